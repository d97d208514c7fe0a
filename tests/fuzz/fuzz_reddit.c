/* libFuzzer target: pushshift NDJSON (pmp_ndjson_extract, ndjson.c), the line
 * parser (pmp_reddit_parse, reddit_parse.c), the group-by record form and one
 * thread's groups (reddit_thread.c). tests/reddit/fuzz_ndjson.c fuzzes single
 * lines with its own properties; this one adds json-c as a reference and the
 * thread builder. (Named fuzz_reddit: fuzz_reddit_ndjson is that older target.)
 *
 * Every input line (at most 256) is checked:
 *  - against a small strict RFC 8259 validator written here (one object, depth
 *    <= 64 as ndjson.h documents; invalid UTF-8 is accepted and repaired): the
 *    scanner accepts exactly the lines it accepts;
 *  - when accepted, against json-c (which is laxer: NaN, leading zeros, ...,
 *    so only as a decoder): every wanted field has json-c's type, number and
 *    (unrepaired) string bytes;
 *  - rejection messages are "byte N: ..." with N inside the line + 1;
 *  - decoded strings are valid UTF-8;
 *  - a parsed item survives pmp_reddit_item_encode/decode unchanged, and a
 *    record one byte short does not decode.
 * Then the items of the first line's thread (submissions: lines with a "title")
 * go through pmp_reddit_thread_add/flush; every group emitted is valid. */
#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pmp_ndjson.h"
#include "pmp_reddit.h"

static const char *const keys[] = {"id", "body", "score", "parent_id", "link_id", "title",
                                   "stickied", "created_utc", "", "a"};
enum { NK = sizeof keys / sizeof keys[0], K_TITLE = 5 };

static json_tokener *tok;
static pmp_ndjson *nx;
static pmp_reddit_parser *rp;
static pmp_reddit_thread *thread;

/* ---- the reference validator ---- */

typedef struct vcur {
    const unsigned char *p;
    size_t n, i;
} vcur;

static void v_ws(vcur *c)
{
    while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t' || c->p[c->i] == '\n' ||
                           c->p[c->i] == '\r'))
        c->i++;
}

static int v_hex(unsigned ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static int v_string(vcur *c)
{
    if (c->i >= c->n || c->p[c->i] != '"') return 0;
    for (c->i++; c->i < c->n; c->i++) {
        unsigned ch = c->p[c->i];
        if (ch == '"') {
            c->i++;
            return 1;
        }
        if (ch < 0x20) return 0;
        if (ch != '\\') continue;
        if (++c->i >= c->n) return 0;
        ch = c->p[c->i];
        if (ch == 'u') {
            for (int k = 0; k < 4; k++)
                if (++c->i >= c->n || !v_hex(c->p[c->i])) return 0;
        } else if (!strchr("\"\\/bfnrt", (int)ch) || ch == 0) {
            return 0;
        }
    }
    return 0;
}

static int v_digits(vcur *c)
{
    size_t s = c->i;
    while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9') c->i++;
    return c->i > s;
}

static int v_number(vcur *c)
{
    if (c->i < c->n && c->p[c->i] == '-') c->i++;
    if (c->i >= c->n) return 0;
    if (c->p[c->i] == '0') c->i++;
    else if (!(c->p[c->i] >= '1' && c->p[c->i] <= '9') || !v_digits(c)) return 0;
    if (c->i < c->n && c->p[c->i] == '.') {
        c->i++;
        if (!v_digits(c)) return 0;
    }
    if (c->i < c->n && (c->p[c->i] == 'e' || c->p[c->i] == 'E')) {
        c->i++;
        if (c->i < c->n && (c->p[c->i] == '+' || c->p[c->i] == '-')) c->i++;
        if (!v_digits(c)) return 0;
    }
    return 1;
}

static int v_value(vcur *c, int depth)
{
    if (c->i >= c->n) return 0;
    unsigned ch = c->p[c->i];
    if (ch == '"') return v_string(c);
    if (ch == '{' || ch == '[') {
        unsigned close = ch == '{' ? '}' : ']';
        if (depth >= 64) return 0;
        c->i++;
        v_ws(c);
        if (c->i < c->n && c->p[c->i] == close) {
            c->i++;
            return 1;
        }
        for (;;) {
            if (ch == '{') {
                if (!v_string(c)) return 0;
                v_ws(c);
                if (c->i >= c->n || c->p[c->i] != ':') return 0;
                c->i++;
                v_ws(c);
            }
            if (!v_value(c, depth + 1)) return 0;
            v_ws(c);
            if (c->i >= c->n) return 0;
            if (c->p[c->i] == close) {
                c->i++;
                return 1;
            }
            if (c->p[c->i] != ',') return 0;
            c->i++;
            v_ws(c);
        }
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lits[k]);
        if (c->n - c->i >= l && !memcmp(c->p + c->i, lits[k], l)) {
            c->i += l;
            return 1;
        }
    }
    return v_number(c);
}

/* One JSON object (the top level is depth 0), surrounded by whitespace only. */
static int ref_valid(const char *s, size_t n)
{
    vcur c = {(const unsigned char *)s, n, 0};
    v_ws(&c);
    if (c.i >= n || c.p[c.i] != '{' || !v_value(&c, 0)) return 0;
    v_ws(&c);
    return c.i == n;
}

static json_object *jsonc_parse(json_tokener *tok, const char *s, size_t n)
{
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    if (!o) return NULL;
    size_t used = tok->char_offset;
    for (size_t i = used; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            json_object_put(o);
            return NULL;
        }
    if (json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static void same_str(const char *a, size_t an, const char *b, size_t bn)
{
    FUZZ_CHECK(an == bn && (an == 0 || memcmp(a, b, an) == 0));
}

static void compare(json_object *o, const pmp_jfield *f, const char *line, size_t len)
{
    /* json-c keys are C strings: a key with an escaped NUL could shadow a wanted one */
    if (memmem(line, len, "\\u0000", 6)) return;
    for (int k = 0; k < NK; k++) {
        json_object *v;
        if (!json_object_object_get_ex(o, keys[k], &v)) {
            FUZZ_CHECK(f[k].type == PMP_JV_ABSENT);
            continue;
        }
        switch (json_object_get_type(v)) {
        case json_type_null: FUZZ_CHECK(f[k].type == PMP_JV_NULL); break;
        case json_type_boolean:
            FUZZ_CHECK(f[k].type == (json_object_get_boolean(v) ? PMP_JV_TRUE : PMP_JV_FALSE));
            break;
        case json_type_int:
        case json_type_double: {
            FUZZ_CHECK(f[k].type == PMP_JV_NUMBER);
            double d;
            /* short plain numbers: both sides must read the same double */
            if (f[k].len <= 17 && !memchr(f[k].s, 'e', f[k].len) && !memchr(f[k].s, 'E', f[k].len)) {
                FUZZ_CHECK(pmp_jfield_number(&f[k], &d) == 0);
                FUZZ_CHECK(d == json_object_get_double(v));
            }
            break;
        }
        case json_type_string:
            FUZZ_CHECK(f[k].type == PMP_JV_STRING);
            if (!f[k].repaired)
                same_str(f[k].s, f[k].len, json_object_get_string(v),
                         (size_t)json_object_get_string_len(v));
            break;
        default: FUZZ_CHECK(f[k].type == PMP_JV_OTHER); break;
        }
    }
}

static int emit(void *ctx, const pmp_group *g, pmp_err *err)
{
    size_t *n = ctx;
    (*n)++;
    FUZZ_CHECK(pmp_group_validate(g, err) == 0);
    FUZZ_CHECK(strcmp(g->source, "reddit") == 0 && g->n_responses >= 2);
    return 0;
}

static void one_line(const char *line, size_t len, uint64_t *thread_link, int *have_link)
{
    pmp_jfield f[NK];
    pmp_err err;
    int ok = pmp_ndjson_extract(nx, line, len, f, &err) == 0;
    if (ok) {
        for (int k = 0; k < NK; k++)
            if (f[k].type == PMP_JV_STRING) FUZZ_CHECK(pmp_utf8_check(f[k].s, f[k].len) == f[k].len);
    } else {
        unsigned long at;
        FUZZ_CHECK(sscanf(err.msg, "byte %lu:", &at) == 1 && at >= 1 && at <= len + 1);
    }
    int want = ref_valid(line, len);
    if (want != ok)
        fprintf(stderr, "fuzz_reddit: reference %s, ndjson %s\n", want ? "accepts" : "rejects",
                ok ? "accepts" : err.msg);
    FUZZ_CHECK(want == ok);
    if (ok && len <= (size_t)INT32_MAX) {
        json_object *o = jsonc_parse(tok, line, len);
        if (!o) fprintf(stderr, "fuzz_reddit: ndjson accepts, json-c: %s\n",
                        json_tokener_error_desc(json_tokener_get_error(tok)));
        FUZZ_CHECK(o);
        compare(o, f, line, len);
        json_object_put(o);
    }
    int is_sub = ok && f[K_TITLE].type != PMP_JV_ABSENT;
    pmp_reddit_item it, back;
    int rc = pmp_reddit_parse(rp, line, len, is_sub, &it, &err);
    FUZZ_CHECK(rc == (ok ? rc : -1) && (ok ? rc != -1 : 1));
    if (rc != 1) return;
    FUZZ_CHECK(pmp_utf8_check(it.body, it.body_len) == it.body_len);
    FUZZ_CHECK(pmp_utf8_check(it.subreddit, it.subreddit_len) == it.subreddit_len);
    FUZZ_CHECK(pmp_utf8_check(it.title, it.title_len) == it.title_len);
    pmp_buf enc = PMP_BUF_INIT;
    pmp_reddit_item_encode(&enc, &it);
    FUZZ_CHECK(pmp_reddit_item_decode(enc.data, enc.len, &back) == 0);
    FUZZ_CHECK(back.id == it.id && back.link == it.link && back.parent == it.parent);
    FUZZ_CHECK(back.flags == it.flags && back.repaired == it.repaired);
    FUZZ_CHECK((isnan(back.score) && isnan(it.score)) || back.score == it.score);
    same_str(back.body, back.body_len, it.body, it.body_len);
    same_str(back.title, back.title_len, it.title, it.title_len);
    same_str(back.subreddit, back.subreddit_len, it.subreddit, it.subreddit_len);
    FUZZ_CHECK(pmp_reddit_item_decode(enc.data, enc.len - 1, &back) == -1);
    if (!*have_link) {
        *have_link = 1;
        *thread_link = it.link;
    }
    if (it.link == *thread_link) pmp_reddit_thread_add(thread, enc.data, enc.len);
    pmp_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!nx) {
        nx = pmp_ndjson_new(keys, NK);
        rp = pmp_reddit_parser_new();
        /* no UTF-8 validation: the scanner repairs what json-c would refuse */
        tok = json_tokener_new_ex(70);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        pmp_reddit_options o;
        pmp_reddit_options_init(&o);
        o.max_depth = 64;
        thread = pmp_reddit_thread_new(&o);
    }
    uint64_t link = 0;
    int have_link = 0;
    size_t i = 0;
    for (int n = 0; n < 256 && i < size; n++) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
        /* an exact-size heap copy of the line, so ASan sees reads past its end */
        char *line = malloc(len ? len : 1);
        if (len) memcpy(line, data + i, len);
        one_line(line, len, &link, &have_link);
        free(line);
        i += len + 1;
    }
    pmp_reddit_stats st;
    memset(&st, 0, sizeof st);
    size_t groups = 0;
    pmp_err err;
    FUZZ_CHECK(pmp_reddit_thread_flush(thread, emit, &groups, &st, &err) == 0);
    FUZZ_CHECK(groups == st.groups);
    return 0;
}

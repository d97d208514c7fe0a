/* group_parse.c — reading group records (pmp_group.h, docs/records.md).
 *
 * Two readings of a line. The reference is json-c (strict, UTF-8 checked): what the
 * project has always accepted, with its error messages. In front of it sits the
 * field scanner (common/pmp_ndjson.h), which skips json-c's DOM: for pmp-tokenize
 * json-c parsing cost a third of the run (bench/shards/tokenize.sh). The scanner
 * only *takes* a line when its reading is certainly json-c's: a valid group, strict
 * UTF-8 throughout, numbers json-c reads the same way (integers of at most 18
 * digits), "meta" re-serialised by json-c itself. Any other line, every bad line among them, goes to json-c, so
 * acceptance, values and error messages stay json-c's exactly, and only what never
 * needed json-c's leniencies gets faster. tests/formats/test_group_scan.c and
 * tests/fuzz/fuzz_group.c hold the two readings equal. */
#include "pmp_group.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "group_internal.h"
#include "pmp_input.h"
#include "pmp_ndjson.h"

/* ---------- the reference: json-c ---------- */

static int get_string(json_object *obj, const char *key, int required, char **out,
                      size_t *len, pmp_err *err)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required) return pmp_err_setc(err, PMP_E_INPUT, "missing field \"%s\"", key);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return pmp_err_setc(err, PMP_E_INPUT, "field \"%s\" must be a string", key);
    size_t n = (size_t)json_object_get_string_len(v);
    *out = pmp_xstrndup(json_object_get_string(v), n);
    if (len) *len = n;
    return 0;
}

static int is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int parse_response(pmp_group *g, json_object *r, size_t index, pmp_err *err)
{
    if (!json_object_is_type(r, json_type_object))
        return pmp_err_setc(err, PMP_E_INPUT, "response %zu is not an object", index + 1);
    json_object *v;
    if (!json_object_object_get_ex(r, "text", &v) || !json_object_is_type(v, json_type_string))
        return pmp_err_setc(err, PMP_E_INPUT, "response %zu: missing string field \"text\"", index + 1);
    const char *text = json_object_get_string(v);
    size_t text_len = (size_t)json_object_get_string_len(v);
    if (!json_object_object_get_ex(r, "score", &v) || !is_number(v))
        return pmp_err_setc(err, PMP_E_INPUT, "response %zu: missing numeric field \"score\"", index + 1);
    double score = json_object_get_double(v);
    char *id = NULL;
    if (get_string(r, "id", 0, &id, NULL, err) < 0)
        return pmp_err_prefix(err, "response %zu", index + 1);
    pmp_response *resp = pmp_group_add_response(g, id, text, text_len, score);
    free(id);
    if (json_object_object_get_ex(r, "created_utc", &v) && !json_object_is_type(v, json_type_null)) {
        if (!is_number(v))
            return pmp_err_setc(err, PMP_E_INPUT, "response %zu: \"created_utc\" must be a number", index + 1);
        resp->created_utc = json_object_get_double(v);
    }
    return 0;
}

static char *meta_text(json_object *meta)
{
    return pmp_xstrdup(json_object_to_json_string_ext(
        meta, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int jsonc_parse(json_tokener *tok, pmp_group *g, const char *line, size_t len,
                       int allow_doc, pmp_err *err)
{
    pmp_group_clear(g);
    if (len > (size_t)INT32_MAX) return pmp_err_setc(err, PMP_E_UNSUPPORTED, "line longer than 2 GiB");
    json_tokener_reset(tok);
    json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success) {
        if (obj) json_object_put(obj);
        if (jerr == json_tokener_continue) return pmp_err_setc(err, PMP_E_INPUT, "invalid JSON: truncated object");
        return pmp_err_setc(err, PMP_E_INPUT, "invalid JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
                           json_tokener_error_desc(jerr));
    }
    int rc = -1;
    if (json_tokener_get_parse_end(tok) < len) {
        size_t end = json_tokener_get_parse_end(tok);
        while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r')) end++;
        if (end < len) {
            pmp_err_setc(err, PMP_E_INPUT, "invalid JSON: extra text after the object at byte %zu", end);
            goto done;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        pmp_err_setc(err, PMP_E_INPUT, "a group must be a JSON object");
        goto done;
    }
    if (get_string(obj, "source", 1, &g->source, NULL, err) < 0) goto done;
    if (get_string(obj, "id", 1, &g->id, NULL, err) < 0) goto done;
    if (get_string(obj, "split_key", 0, &g->split_key, NULL, err) < 0) goto done;
    json_object *resp;
    if (allow_doc && !json_object_object_get_ex(obj, "responses", &resp) &&
        json_object_object_get_ex(obj, "text", &resp)) {
        /* a text document: its text is the context, and there are no responses */
        rc = get_string(obj, "text", 1, &g->context, &g->context_len, err);
        if (rc == 0 && g->split_key && !*g->split_key) rc = pmp_err_setc(err, PMP_E_INPUT, "empty \"split_key\"");
        goto done;
    }
    if (get_string(obj, "context", 1, &g->context, &g->context_len, err) < 0) goto done;
    if (!json_object_object_get_ex(obj, "responses", &resp) ||
        !json_object_is_type(resp, json_type_array)) {
        pmp_err_setc(err, PMP_E_INPUT, "missing array field \"responses\"");
        goto done;
    }
    size_t n = json_object_array_length(resp);
    for (size_t i = 0; i < n; i++)
        if (parse_response(g, json_object_array_get_idx(resp, i), i, err) < 0) goto done;
    json_object *meta;
    if (json_object_object_get_ex(obj, "meta", &meta) && !json_object_is_type(meta, json_type_null)) {
        if (!json_object_is_type(meta, json_type_object)) {
            pmp_err_setc(err, PMP_E_INPUT, "field \"meta\" must be an object");
            goto done;
        }
        g->meta_json = meta_text(meta);
    }
    rc = pmp_group_validate(g, err);
done:
    json_object_put(obj);
    return rc;
}

/* json-c seeds the hash of object keys on first use (lh_char_hash), racily when two
 * threads make their first objects at once, and groups are parsed on many threads
 * (pmp-tokenize). One object made before the first tokener is handed out settles the
 * seed, so callers need not know. */
static void jsonc_seed_hash(void)
{
    json_object_put(json_tokener_parse("{\"k\":0}"));
}

static json_tokener *new_tokener(void)
{
    static pthread_once_t seeded = PTHREAD_ONCE_INIT;
    pthread_once(&seeded, jsonc_seed_hash);
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        fprintf(stderr, "pmp: out of memory creating a JSON tokener\n");
        abort();
    }
    /* Strict: no comments, NaN or trailing commas; UTF-8 checked. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    return tok;
}

int pmp_group_parse_jsonc(pmp_group *g, const char *line, size_t len, int allow_doc,
                          pmp_err *err)
{
    json_tokener *tok = new_tokener();
    int rc = jsonc_parse(tok, g, line, len, allow_doc, err);
    json_tokener_free(tok);
    return rc;
}

/* ---------- the scanner ---------- */

enum { T_SOURCE, T_ID, T_SPLIT_KEY, T_CONTEXT, T_TEXT, T_RESPONSES, T_META, T_N };
static const char *const top_keys[T_N] = {"source", "id",        "split_key", "context",
                                          "text",   "responses", "meta"};
enum { R_TEXT, R_SCORE, R_ID, R_CREATED, R_N };
static const char *const resp_keys[R_N] = {"text", "score", "id", "created_utc"};

/* json-c's default nesting limit: a value may sit at depth 31 at most (the line's
 * object being depth 0), so containers open below depth 31. */
#define JSONC_MAX_DEPTH 31

struct pmp_group_parser {
    pmp_ndjson *top, *resp;
    /* The reference reading and "meta"; made on first use, and anew after an error:
     * json-c 0.16 keeps a pending high surrogate across json_tokener_reset, so after
     * a line that failed inside "\ud800\u..." the next line would decode differently
     * (an extra U+FFFD). */
    json_tokener *tok;
};

pmp_group_parser *pmp_group_parser_new(void)
{
    pmp_group_parser *p = pmp_xcalloc(1, sizeof *p);
    p->top = pmp_ndjson_new(top_keys, T_N);
    pmp_ndjson_set_max_depth(p->top, JSONC_MAX_DEPTH);
    p->resp = pmp_ndjson_new(resp_keys, R_N);
    return p;
}

void pmp_group_parser_free(pmp_group_parser *p)
{
    if (!p) return;
    pmp_ndjson_free(p->top);
    pmp_ndjson_free(p->resp);
    if (p->tok) json_tokener_free(p->tok);
    free(p);
}

static json_tokener *parser_tok(pmp_group_parser *p)
{
    if (!p->tok) p->tok = new_tokener();
    return p->tok;
}

/* A string field, copied; 0 = not a string the scanner may take. */
static int take_string(const pmp_jfield *f, char **out, size_t *len)
{
    if (f->type != PMP_JV_STRING) return 0;
    *out = pmp_xstrndup(f->s, f->len);
    if (len) *len = f->len;
    return 1;
}

/* A number as json-c reads it: an integer literal through int64 (so "-0" is +0.0,
 * and json-c saturates beyond int64: such long integers are left to it), anything
 * with '.', 'e' or 'E' through strtod (so 1e999 is inf, as in json-c). */
static int take_number(const pmp_jfield *f, double *out)
{
    if (f->type != PMP_JV_NUMBER) return 0;
    const char *s = f->s;
    size_t n = f->len;
    if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)) {
        char tmp[64];
        if (n >= sizeof tmp) return 0;
        memcpy(tmp, s, n);
        tmp[n] = 0;
        *out = strtod(tmp, NULL);
        return 1;
    }
    size_t i = s[0] == '-';
    if (n - i > 18) return 0;
    int64_t v = 0;
    for (; i < n; i++) v = v * 10 + (s[i] - '0');
    *out = (double)(s[0] == '-' ? -v : v);
    return 1;
}

/* "meta" is small and json-c's compact re-serialisation of it (key order, duplicate
 * keys, number and escape forms) is the format: json-c writes it, on the object's
 * text alone, which the scanner has checked. */
static int take_meta(pmp_group_parser *p, const pmp_jfield *f, char **out)
{
    if (f->type == PMP_JV_ABSENT || f->type == PMP_JV_NULL) return 1;
    if (f->type != PMP_JV_OTHER || f->s[0] != '{') return 0;
    json_tokener *tok = parser_tok(p);
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, f->s, (int)f->len);
    int ok = o && json_tokener_get_error(tok) == json_tokener_success &&
             json_tokener_get_parse_end(tok) == f->len && json_object_is_type(o, json_type_object);
    if (ok) *out = meta_text(o);
    if (o) json_object_put(o);
    return ok;
}

static int take_response(pmp_group *g, const pmp_jfield *r)
{
    double score;
    if (r[R_TEXT].type != PMP_JV_STRING) return 0;
    if (!take_number(&r[R_SCORE], &score)) return 0;
    char *id = NULL;
    if (r[R_ID].type != PMP_JV_ABSENT && r[R_ID].type != PMP_JV_NULL &&
        !take_string(&r[R_ID], &id, NULL))
        return 0;
    pmp_response *resp = pmp_group_add_response(g, id, r[R_TEXT].s, r[R_TEXT].len, score);
    free(id);
    if (r[R_CREATED].type != PMP_JV_ABSENT && r[R_CREATED].type != PMP_JV_NULL)
        return take_number(&r[R_CREATED], &resp->created_utc);
    return 1;
}

int pmp_group_parse_fast(pmp_group_parser *p, pmp_group *g, const char *line, size_t len,
                         int allow_doc)
{
    pmp_jfield f[T_N];
    pmp_err ignored;
    pmp_group_clear(g);
    /* Strict UTF-8 over the whole line covers json-c's (laxer) check of every byte,
     * unknown fields included, and the record rule for the strings we keep. */
    if (len > (size_t)INT32_MAX || pmp_utf8_check(line, len) != len) return 0;
    if (pmp_ndjson_extract(p->top, line, len, f, &ignored) < 0) return 0;
    if (!take_string(&f[T_SOURCE], &g->source, NULL) || !take_string(&f[T_ID], &g->id, NULL))
        return 0;
    if (f[T_SPLIT_KEY].type != PMP_JV_ABSENT && f[T_SPLIT_KEY].type != PMP_JV_NULL &&
        !take_string(&f[T_SPLIT_KEY], &g->split_key, NULL))
        return 0;
    if (allow_doc && f[T_RESPONSES].type == PMP_JV_ABSENT && f[T_TEXT].type != PMP_JV_ABSENT)
        return (!g->split_key || *g->split_key) &&
               take_string(&f[T_TEXT], &g->context, &g->context_len);
    if (!take_string(&f[T_CONTEXT], &g->context, &g->context_len)) return 0;
    const pmp_jfield *rs = &f[T_RESPONSES];
    if (rs->type != PMP_JV_OTHER || rs->s[0] != '[') return 0;
    size_t pos = 0;
    pmp_jfield r[R_N];
    int more;
    while ((more = pmp_ndjson_array_next_object(p->resp, rs, &pos, r, &ignored)) == 1)
        if (!take_response(g, r)) return 0;
    if (more < 0) return 0;
    if (!take_meta(p, &f[T_META], &g->meta_json)) return 0;
    /* The strings are valid UTF-8 already: the line was, and decoding keeps it so. */
    if (pmp_group_validate_shape(g, &ignored) < 0) return 0;
    for (size_t i = 0; i < g->n_responses; i++)
        if (!isfinite(g->responses[i].score)) return 0;
    return 1;
}

int pmp_group_parser_parse(pmp_group_parser *p, pmp_group *g, const char *line, size_t len,
                           int allow_doc, pmp_err *err)
{
    if (pmp_group_parse_fast(p, g, line, len, allow_doc)) return 0;
    int rc = jsonc_parse(parser_tok(p), g, line, len, allow_doc, err);
    if (rc < 0 && json_tokener_get_error(p->tok) != json_tokener_success) {
        json_tokener_free(p->tok);
        p->tok = NULL;
    }
    return rc;
}

int pmp_group_parse(pmp_group *g, const char *line, size_t len, pmp_err *err)
{
    pmp_group_parser *p = pmp_group_parser_new();
    int rc = pmp_group_parser_parse(p, g, line, len, 0, err);
    pmp_group_parser_free(p);
    return rc;
}

/* ---------- reading a stream ---------- */

struct pmp_group_reader {
    pmp_input *in;
    pmp_group_parser *parser;
    int skip_bad;
    uint64_t skipped;
    char last_skip[sizeof(((pmp_err *)0)->msg) + 512];
};

int pmp_group_reader_open(pmp_group_reader **out, const char *path, int skip_bad, pmp_err *err)
{
    *out = NULL;
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    pmp_group_reader *r = pmp_xcalloc(1, sizeof *r);
    r->in = in;
    r->parser = pmp_group_parser_new();
    r->skip_bad = skip_bad;
    *out = r;
    return 0;
}

int pmp_group_reader_next(pmp_group_reader *r, pmp_group *g, pmp_err *err)
{
    for (;;) {
        const char *line;
        size_t len;
        int rc = pmp_input_line(r->in, &line, &len, err);
        if (rc <= 0) return rc;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        pmp_err perr;
        if (pmp_group_parser_parse(r->parser, g, line, len, 0, &perr) == 0) return 1;
        if (!r->skip_bad)
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s", pmp_input_name(r->in),
                               (unsigned long long)pmp_input_line_number(r->in), perr.msg);
        r->skipped++;
        snprintf(r->last_skip, sizeof r->last_skip, "%s:%llu: %s", pmp_input_name(r->in),
                 (unsigned long long)pmp_input_line_number(r->in), perr.msg);
    }
}

uint64_t pmp_group_reader_skipped(const pmp_group_reader *r) { return r->skipped; }
const char *pmp_group_reader_last_skip(const pmp_group_reader *r) { return r->last_skip; }
uint64_t pmp_group_reader_line(const pmp_group_reader *r) { return pmp_input_line_number(r->in); }

void pmp_group_reader_close(pmp_group_reader *r)
{
    if (!r) return;
    pmp_input_close(r->in);
    pmp_group_parser_free(r->parser);
    free(r);
}

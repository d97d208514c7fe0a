/* ndjson.c — validating single-pass scanner that decodes only the wanted
 * top-level fields of a JSON object line (see pmp_ndjson.h for why). */
#include "pmp_ndjson.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_KEYS 64
#define MAX_DEPTH 64
#define IN_LINE ((size_t)-1)   /* field string points into the line, not scratch */

struct pmp_ndjson {
    char *keys[MAX_KEYS];
    size_t klen[MAX_KEYS];
    size_t n;
    int max_depth;
    pmp_buf scratch;          /* decoded strings of this line */
    size_t off[MAX_KEYS];     /* scratch offset of each decoded string (or IN_LINE) */
    pmp_buf keytmp;           /* a key that contained escapes */
};

typedef struct cur {
    const unsigned char *p;
    size_t n, i;
    pmp_err *err;
    int max_depth;
} cur;

enum { S_ESC = 1, S_HIGH = 2 };

static int fail(cur *c, const char *what)
{
    return pmp_err_setc(c->err, PMP_E_INPUT, "byte %zu: %s", c->i + 1, what);
}

pmp_ndjson *pmp_ndjson_new(const char *const *keys, size_t n_keys)
{
    pmp_ndjson *x = pmp_xcalloc(1, sizeof *x);
    if (n_keys > MAX_KEYS) n_keys = MAX_KEYS;
    for (size_t k = 0; k < n_keys; k++) {
        x->keys[k] = pmp_xstrdup(keys[k]);
        x->klen[k] = strlen(keys[k]);
    }
    x->n = n_keys;
    x->max_depth = MAX_DEPTH;
    return x;
}

void pmp_ndjson_set_max_depth(pmp_ndjson *x, int max_depth)
{
    x->max_depth = max_depth < 1 ? 1 : max_depth > MAX_DEPTH ? MAX_DEPTH : max_depth;
}

void pmp_ndjson_free(pmp_ndjson *x)
{
    if (!x) return;
    for (size_t k = 0; k < x->n; k++) free(x->keys[k]);
    pmp_buf_free(&x->scratch);
    pmp_buf_free(&x->keytmp);
    free(x);
}

static inline void skip_ws(cur *c)
{
    while (c->i < c->n) {
        unsigned ch = c->p[c->i];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') break;
        c->i++;
    }
}

static inline int hexval(unsigned ch)
{
    if (ch >= '0' && ch <= '9') return (int)(ch - '0');
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') return (int)(ch - 'a' + 10);
    return -1;
}

/* c->i at the opening quote. On success c->i is past the closing quote, and
 * [*start, *end) is the raw content. Validates escapes and control characters. */
static int scan_string(cur *c, size_t *start, size_t *end, unsigned *flags)
{
    const unsigned char *p = c->p;
    size_t n = c->n, i = c->i + 1;
    unsigned fl = 0;
    *start = i;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time until a quote, backslash or control byte. */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        const __m128i flip = _mm_set1_epi8((char)0x80), ctl = _mm_set1_epi8((char)0xA0);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                    _mm_cmpeq_epi8(v, bslash)),
                                       _mm_cmplt_epi8(_mm_xor_si128(v, flip), ctl));
            unsigned m = (unsigned)_mm_movemask_epi8(hit);
            unsigned hi = (unsigned)_mm_movemask_epi8(v);
            if (!m) {
                if (hi) fl |= S_HIGH;
                i += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            if (hi & ((1u << k) - 1)) fl |= S_HIGH;
            i += k;
            break;
        }
#endif
        if (i >= n) {
            c->i = i;
            return fail(c, "unterminated string");
        }
        unsigned ch = p[i];
        if (ch == '"') break;
        if (ch == '\\') {
            fl |= S_ESC;
            if (i + 1 >= n) { c->i = i; return fail(c, "unterminated string"); }
            unsigned e = p[i + 1];
            if (e == 'u') {
                if (i + 6 > n || hexval(p[i + 2]) < 0 || hexval(p[i + 3]) < 0 ||
                    hexval(p[i + 4]) < 0 || hexval(p[i + 5]) < 0) {
                    c->i = i;
                    return fail(c, "bad \\u escape");
                }
                i += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' ||
                       e == 'n' || e == 'r' || e == 't') {
                i += 2;
            } else {
                c->i = i;
                return fail(c, "bad escape in string");
            }
            continue;
        }
        if (ch < 0x20) {
            c->i = i;
            return fail(c, "control character in string");
        }
        if (ch >= 0x80) fl |= S_HIGH;
        i++;
    }
    *end = i;
    *flags = fl;
    c->i = i + 1;
    return 0;
}

static unsigned hex4(const unsigned char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

/* Decodes an already-validated raw string into out. Returns the number of
 * repairs (invalid UTF-8 bytes, lone surrogates). */
static size_t decode_string(pmp_buf *out, const unsigned char *s, size_t len)
{
    size_t i = 0, bad = 0;
    /* Escapes are ASCII, so a valid whole has valid runs between them: one check
     * here instead of one per run (texts are full of \n). */
    int valid = pmp_utf8_check((const char *)s, len) == len;
    pmp_buf_reserve(out, len);
    while (i < len) {
        const unsigned char *bs = memchr(s + i, '\\', len - i);
        size_t run = bs ? (size_t)(bs - s) - i : len - i;
        if (valid) pmp_buf_append(out, s + i, run);
        else bad += pmp_utf8_sanitize(out, (const char *)s + i, run);
        i += run;
        if (i >= len) break;
        unsigned e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b': pmp_buf_appendc(out, '\b'); break;
        case 'f': pmp_buf_appendc(out, '\f'); break;
        case 'n': pmp_buf_appendc(out, '\n'); break;
        case 'r': pmp_buf_appendc(out, '\r'); break;
        case 't': pmp_buf_appendc(out, '\t'); break;
        case 'u': {
            uint32_t cp = hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
                    uint32_t lo = hex4(s + i + 2);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                        pmp_utf8_put(out, cp);
                        break;
                    }
                }
                cp = 0xFFFD;
                bad++;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
                bad++;
            }
            pmp_utf8_put(out, cp);
            break;
        }
        default: pmp_buf_appendc(out, (char)e); break;   /* " \ / */
        }
    }
    return bad;
}

static int scan_number(cur *c)
{
    const unsigned char *p = c->p;
    size_t n = c->n, i = c->i;
    if (i < n && p[i] == '-') i++;
    if (i >= n || p[i] < '0' || p[i] > '9') { c->i = i; return fail(c, "bad number"); }
    if (p[i] == '0') i++;
    else while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || p[i] < '0' || p[i] > '9') { c->i = i; return fail(c, "bad number"); }
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || p[i] < '0' || p[i] > '9') { c->i = i; return fail(c, "bad number"); }
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    }
    c->i = i;
    return 0;
}

static int scan_literal(cur *c, const char *lit, size_t len)
{
    if (c->n - c->i < len || memcmp(c->p + c->i, lit, len) != 0) return fail(c, "invalid value");
    c->i += len;
    return 0;
}

static int skip_value(cur *c, int depth);

static int skip_container(cur *c, int depth, int is_obj)
{
    unsigned char close = is_obj ? '}' : ']';
    if (depth >= c->max_depth) return fail(c, "nesting too deep");
    c->i++;
    skip_ws(c);
    if (c->i < c->n && c->p[c->i] == close) { c->i++; return 0; }
    for (;;) {
        if (is_obj) {
            size_t a, b;
            unsigned fl;
            if (c->i >= c->n || c->p[c->i] != '"') return fail(c, "expected a key");
            if (scan_string(c, &a, &b, &fl)) return -1;
            skip_ws(c);
            if (c->i >= c->n || c->p[c->i] != ':') return fail(c, "expected ':'");
            c->i++;
            skip_ws(c);
        }
        if (skip_value(c, depth + 1)) return -1;
        skip_ws(c);
        if (c->i >= c->n) return fail(c, "unexpected end of line");
        if (c->p[c->i] == close) { c->i++; return 0; }
        if (c->p[c->i] != ',') return fail(c, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        c->i++;
        skip_ws(c);
    }
}

static int skip_value(cur *c, int depth)
{
    if (c->i >= c->n) return fail(c, "unexpected end of line");
    switch (c->p[c->i]) {
    case '"': {
        size_t a, b;
        unsigned fl;
        return scan_string(c, &a, &b, &fl);
    }
    case '{': return skip_container(c, depth, 1);
    case '[': return skip_container(c, depth, 0);
    case 't': return scan_literal(c, "true", 4);
    case 'f': return scan_literal(c, "false", 5);
    case 'n': return scan_literal(c, "null", 4);
    default: return scan_number(c);
    }
}

/* Index of the wanted key matching raw key [a, b), or -1. */
static int find_key(pmp_ndjson *x, const unsigned char *p, size_t a, size_t b, unsigned fl)
{
    const char *k = (const char *)p + a;
    size_t kl = b - a;
    if (fl & S_ESC) {
        pmp_buf_clear(&x->keytmp);
        decode_string(&x->keytmp, p + a, kl);
        k = x->keytmp.data;
        /* json-c keeps keys as C strings: "id\u0000x" is the key "id". */
        const char *nul = memchr(k, 0, x->keytmp.len);
        kl = nul ? (size_t)(nul - k) : x->keytmp.len;
    }
    for (size_t j = 0; j < x->n; j++)
        if (x->klen[j] == kl && memcmp(x->keys[j], k, kl) == 0) return (int)j;
    return -1;
}

/* Value of a wanted key: c->i at its first byte. */
static int read_value(pmp_ndjson *x, cur *c, pmp_jfield *f, size_t *off)
{
    size_t start = c->i;
    *off = IN_LINE;
    f->repaired = 0;
    switch (c->p[c->i]) {
    case '"': {
        size_t a, b;
        unsigned fl;
        if (scan_string(c, &a, &b, &fl)) return -1;
        f->type = PMP_JV_STRING;
        if (!(fl & S_ESC) && (!(fl & S_HIGH) ||
                              pmp_utf8_check((const char *)c->p + a, b - a) == b - a)) {
            f->s = (const char *)c->p + a;
            f->len = b - a;
            return 0;
        }
        *off = x->scratch.len;
        f->repaired = decode_string(&x->scratch, c->p + a, b - a) > 0;
        f->len = x->scratch.len - *off;
        return 0;
    }
    case '{':
    case '[':
        f->type = PMP_JV_OTHER;
        break;
    case 't': f->type = PMP_JV_TRUE; break;
    case 'f': f->type = PMP_JV_FALSE; break;
    case 'n': f->type = PMP_JV_NULL; break;
    default: f->type = PMP_JV_NUMBER; break;
    }
    if (skip_value(c, 1)) return -1;
    f->s = (const char *)c->p + start;
    f->len = c->i - start;
    return 0;
}

/* The object at c->i (its '{'), into fields; c->i ends past its '}'. */
static int extract_object(pmp_ndjson *x, cur *c, pmp_jfield *fields)
{
    pmp_buf_clear(&x->scratch);
    for (size_t j = 0; j < x->n; j++) {
        fields[j].type = PMP_JV_ABSENT;
        fields[j].s = NULL;
        fields[j].len = 0;
        fields[j].repaired = 0;
        x->off[j] = IN_LINE;
    }
    c->i++;
    skip_ws(c);
    if (c->i < c->n && c->p[c->i] == '}') {
        c->i++;
    } else {
        for (;;) {
            size_t a, b;
            unsigned fl;
            if (c->i >= c->n) return fail(c, "unexpected end of line");
            if (c->p[c->i] != '"') return fail(c, "expected a key");
            if (scan_string(c, &a, &b, &fl)) return -1;
            int k = find_key(x, c->p, a, b, fl);
            skip_ws(c);
            if (c->i >= c->n || c->p[c->i] != ':') return fail(c, "expected ':'");
            c->i++;
            skip_ws(c);
            if (c->i >= c->n) return fail(c, "unexpected end of line");
            if (k >= 0) {
                if (read_value(x, c, &fields[k], &x->off[k])) return -1;
            } else if (skip_value(c, 1)) {
                return -1;
            }
            skip_ws(c);
            if (c->i >= c->n) return fail(c, "unexpected end of line");
            if (c->p[c->i] == '}') { c->i++; break; }
            if (c->p[c->i] != ',') return fail(c, "expected ',' or '}'");
            c->i++;
            skip_ws(c);
        }
    }
    /* Decoded strings point into scratch only now that it can no longer move. */
    for (size_t j = 0; j < x->n; j++)
        if (x->off[j] != IN_LINE) fields[j].s = x->scratch.data + x->off[j];
    return 0;
}

int pmp_ndjson_extract(pmp_ndjson *x, const char *line, size_t len, pmp_jfield *fields,
                       pmp_err *err)
{
    cur c = {(const unsigned char *)line, len, 0, err, x->max_depth};
    skip_ws(&c);
    if (c.i >= c.n) return fail(&c, "empty line (expected a JSON object)");
    if (c.p[c.i] != '{') return fail(&c, "expected a JSON object");
    if (extract_object(x, &c, fields)) return -1;
    skip_ws(&c);
    if (c.i < c.n) return fail(&c, "trailing data after the JSON object");
    return 0;
}

int pmp_ndjson_array_next_object(pmp_ndjson *x, const pmp_jfield *array, size_t *pos,
                                 pmp_jfield *fields, pmp_err *err)
{
    cur c = {(const unsigned char *)array->s, array->len, *pos, err, x->max_depth};
    if (array->type != PMP_JV_OTHER || c.n == 0 || c.p[0] != '[')
        return pmp_err_setc(err, PMP_E_INPUT, "not an array");
    /* At the '[' or at the ',' / ']' after the previous element. */
    if (c.i >= c.n || c.p[c.i] == ']') return 0;
    c.i++;
    skip_ws(&c);
    if (c.i >= c.n || c.p[c.i] == ']') {
        *pos = c.n;
        return 0;
    }
    if (c.p[c.i] != '{') return fail(&c, "expected an object");
    if (extract_object(x, &c, fields)) return -1;
    skip_ws(&c);
    *pos = c.i;
    return 1;
}

/* Strict JSON number syntax over [s, s+len), then strtod on a NUL-terminated copy. */
static int parse_number_text(const char *s, size_t len, double *out)
{
    pmp_err e;
    cur c = {(const unsigned char *)s, len, 0, &e, MAX_DEPTH};
    if (len == 0 || len > 63 || scan_number(&c) || c.i != len) return -1;
    /* Integers, the common case (scores, timestamps), without strtod. */
    size_t i = s[0] == '-';
    int64_t v = 0;
    if (len - i <= 17) {
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (s[i] - '0');
        if (i == len) {
            *out = s[0] == '-' ? -(double)v : (double)v;
            return 0;
        }
    }
    char tmp[64];
    memcpy(tmp, s, len);
    tmp[len] = 0;
    double d = strtod(tmp, NULL);
    if (!isfinite(d)) return -1;
    *out = d;
    return 0;
}

int pmp_jfield_number(const pmp_jfield *f, double *out)
{
    if (f->type != PMP_JV_NUMBER && f->type != PMP_JV_STRING) return -1;
    return parse_number_text(f->s, f->len, out);
}

int pmp_jfield_truthy(const pmp_jfield *f)
{
    double d;
    switch (f->type) {
    case PMP_JV_TRUE: return 1;
    case PMP_JV_NUMBER: return pmp_jfield_number(f, &d) == 0 && d != 0;
    case PMP_JV_STRING: return pmp_jfield_is(f, "true") || pmp_jfield_is(f, "1");
    default: return 0;
    }
}

int pmp_jfield_is(const pmp_jfield *f, const char *s)
{
    size_t n = strlen(s);
    return f->type == PMP_JV_STRING && f->len == n && memcmp(f->s, s, n) == 0;
}

/* json.c — the one JSON writer (pmp_common.h, "JSON writing"): string and number
 * literals, and pmp_jobj, which every file the project writes goes through, from
 * compact JSONL records to the pretty manifest.json and tokenizer.json. */
#include "pmp_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void pmp_json_put_string(pmp_buf *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    pmp_buf_reserve(out, len + 2);
    pmp_buf_appendc(out, '"');
    size_t run = 0;   /* start of the pending run that needs no escaping */
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        pmp_buf_append(out, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; n = 6;
        }
        pmp_buf_append(out, esc, n);
    }
    pmp_buf_append(out, s + run, len - run);
    pmp_buf_appendc(out, '"');
}

void pmp_json_put_number(pmp_buf *out, double v)
{
    if (!isfinite(v)) { pmp_buf_appends(out, "null"); return; }
    /* "-0" would read back as the integer 0 (json-c, Python): keep the sign. */
    if (v == 0 && signbit(v)) { pmp_buf_appends(out, "-0.0"); return; }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        pmp_buf_printf(out, "%.0f", v);
        return;
    }
    /* Shortest of %.15g..%.17g that reads back exactly. */
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    pmp_buf_appends(out, tmp);
}

/* ---------- pmp_jobj ---------- */

static void newline(pmp_jobj *j, int indent)
{
    pmp_buf_appendc(j->out, '\n');
    for (int i = 0; i < indent; i++) pmp_buf_appendc(j->out, ' ');
    j->indent = indent;
}

/* The separator and line break before a member, then its key. */
static void member(pmp_jobj *j, const char *key)
{
    /* Misuse is a bug in the caller, not a runtime condition: stop at once. */
    if (j->depth < 1) abort();
    struct pmp_jobj_level *lv = &j->lv[j->depth - 1];
    int brk = j->pretty && (j->brk || lv->lines);
    if (lv->n++) pmp_buf_appends(j->out, j->pretty && !brk ? ", " : ",");
    if (brk) newline(j, lv->indent + 2);
    j->brk = 0;
    if (key) {
        pmp_json_put_string(j->out, key, strlen(key));
        pmp_buf_appends(j->out, j->pretty ? ": " : ":");
    }
}

static void open_container(pmp_jobj *j, const char *key, char bracket, char close, int lines)
{
    if (j->depth) member(j, key);
    if (j->depth == PMP_JOBJ_MAX_DEPTH) abort();
    pmp_buf_appendc(j->out, bracket);
    struct pmp_jobj_level *lv = &j->lv[j->depth++];
    lv->n = 0;
    lv->lines = lines;
    /* Members on new lines go two spaces in from the line the container opened on,
     * which keeps hand-shaped layouts (tokenizer.json) expressible. */
    lv->indent = j->indent;
    lv->close = close;
}

static void begin(pmp_jobj *j, pmp_buf *out, int pretty)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->pretty = pretty;
    open_container(j, NULL, '{', '}', pretty);
}

void pmp_jobj_begin(pmp_jobj *j, pmp_buf *out) { begin(j, out, 0); }
void pmp_jobj_begin_pretty(pmp_jobj *j, pmp_buf *out) { begin(j, out, 1); }

void pmp_jobj_object(pmp_jobj *j, const char *key) { open_container(j, key, '{', '}', 0); }
void pmp_jobj_array(pmp_jobj *j, const char *key) { open_container(j, key, '[', ']', 0); }
void pmp_jobj_object_lines(pmp_jobj *j, const char *key) { open_container(j, key, '{', '}', 1); }
void pmp_jobj_array_lines(pmp_jobj *j, const char *key) { open_container(j, key, '[', ']', 1); }

void pmp_jobj_break(pmp_jobj *j)
{
    if (j->pretty) j->brk = 1;
}

void pmp_jobj_close(pmp_jobj *j)
{
    if (j->depth < 1) abort();
    struct pmp_jobj_level *lv = &j->lv[j->depth - 1];
    if (j->pretty && (j->brk || (lv->lines && lv->n))) newline(j, lv->indent);
    j->brk = 0;
    pmp_buf_appendc(j->out, lv->close);
    j->depth--;
}

void pmp_jobj_end(pmp_jobj *j)
{
    while (j->depth) pmp_jobj_close(j);
}

void pmp_jobj_strn(pmp_jobj *j, const char *key, const char *s, size_t len)
{
    member(j, key);
    pmp_json_put_string(j->out, s, len);
}

void pmp_jobj_str(pmp_jobj *j, const char *key, const char *s)
{
    if (!s) {
        pmp_jobj_null(j, key);
        return;
    }
    pmp_jobj_strn(j, key, s, strlen(s));
}

void pmp_jobj_num(pmp_jobj *j, const char *key, double v)
{
    member(j, key);
    pmp_json_put_number(j->out, v);
}

void pmp_jobj_int(pmp_jobj *j, const char *key, long long v)
{
    member(j, key);
    pmp_buf_printf(j->out, "%lld", v);
}

void pmp_jobj_u64(pmp_jobj *j, const char *key, uint64_t v)
{
    member(j, key);
    pmp_buf_printf(j->out, "%llu", (unsigned long long)v);
}

void pmp_jobj_bool(pmp_jobj *j, const char *key, int v)
{
    member(j, key);
    pmp_buf_appends(j->out, v ? "true" : "false");
}

void pmp_jobj_null(pmp_jobj *j, const char *key)
{
    member(j, key);
    pmp_buf_appends(j->out, "null");
}

void pmp_jobj_raw(pmp_jobj *j, const char *key, const char *raw)
{
    member(j, key);
    pmp_buf_appends(j->out, raw);
}

void pmp_jobj_rawf(pmp_jobj *j, const char *key, const char *fmt, ...)
{
    member(j, key);
    va_list ap;
    va_start(ap, fmt);
    pmp_buf_vprintf(j->out, fmt, ap);
    va_end(ap);
}

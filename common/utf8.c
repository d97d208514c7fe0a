/* utf8.c — strict UTF-8 validation and repair, and JSON string output. */
#include "pmp_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid sequence starting at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        return (avail >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c < 0xF0) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;          /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0;         /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;          /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0;         /* > U+10FFFF */
        return 4;
    }
    return 0;
}

size_t pmp_utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= len) break;
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n) return i;
        i += n;
    }
    return len;
}

size_t pmp_utf8_sanitize(pmp_buf *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, bad = 0;
    while (i < len) {
        size_t ok = pmp_utf8_check(str + i, len - i);
        pmp_buf_append(out, s + i, ok);
        i += ok;
        if (i < len) {
            pmp_buf_append(out, "\xEF\xBF\xBD", 3);
            bad++;
            i++;
        }
    }
    return bad;
}

void pmp_utf8_put(pmp_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xC0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    pmp_buf_append(out, b, n);
}

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

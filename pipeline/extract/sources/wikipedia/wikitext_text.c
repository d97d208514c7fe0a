/* wikitext_text.c — the character-level passes: HTML entities and whitespace. */
#include "wikitext.h"

#include <libxml/HTMLparser.h>
#include <string.h>

/* 32 bytes at a time with GCC vector extensions (SSE/AVX when the target has
 * them, plain code otherwise): most of a page is prose without markup, and the
 * byte-at-a-time loops of the scanning passes were most of the cleaning time. */
typedef unsigned char pmp_v32 __attribute__((vector_size(32)));

/* By pointer: a vector argument's ABI depends on -march (GCC notes it). */
static int any32(const pmp_v32 *m)
{
    uint64_t w[4];
    memcpy(w, m, 32);
    return (w[0] | w[1] | w[2] | w[3]) != 0;
}

/* Decodes one reference whose name (between '&' and ';') is name[0..n).
 * Returns 0 when it is not a valid reference. */
static int decode_one(const char *name, size_t n, pmp_buf *out)
{
    uint32_t cp = 0;
    if (n >= 2 && name[0] == '#') {
        int hex = name[1] == 'x' || name[1] == 'X';
        size_t i = hex ? 2 : 1;
        if (i == n) return 0;
        for (; i < n; i++) {
            char c = name[i];
            uint32_t d;
            if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
            else if (hex && c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
            else if (hex && c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
            else return 0;
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10FFFF) return 0;
        }
    } else {
        char key[40];
        if (n == 0 || n >= sizeof key) return 0;
        memcpy(key, name, n);
        key[n] = '\0';
        const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)key);
        if (!e) return 0;
        cp = e->value;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    pmp_utf8_put(out, cp);
    return 1;
}

void pmp_wikitext_decode_entities(const char *s, size_t len, pmp_buf *out)
{
    size_t pos = 0;
    const char *amp;
    while (pos < len && (amp = memchr(s + pos, '&', len - pos)) != NULL) {
        size_t a = (size_t)(amp - s);
        pmp_buf_append(out, s + pos, a - pos);
        size_t lim = len - a - 1 < 36 ? len - a - 1 : 36;
        const char *semi = memchr(s + a + 1, ';', lim);
        if (semi && decode_one(s + a + 1, (size_t)(semi - s) - a - 1, out)) {
            pos = (size_t)(semi - s) + 1;
        } else {
            pmp_buf_appendc(out, '&');
            pos = a + 1;
        }
    }
    if (pos < len) pmp_buf_append(out, s + pos, len - pos);
}

/* Horizontal space: ASCII blanks, and U+00A0 (&nbsp;) whose UTF-8 lead byte
 * 0xC2 is flagged here and checked in full by the caller. */
static const unsigned char is_hspace[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1, [0xC2] = 1,
};

/* True when line s[a..b) needs no squeezing: no leading, trailing or doubled
 * space and no other kind of horizontal space. Most cleaned lines are like that
 * and are then copied whole. */
static int line_is_clean(const char *s, size_t a, size_t b)
{
    if (a == b || s[a] == ' ' || s[b - 1] == ' ') return 0;
    size_t i = a;
    for (; i + 33 <= b; i += 32) {
        pmp_v32 x, y;
        memcpy(&x, s + i, 32);
        memcpy(&y, s + i + 1, 32);
        pmp_v32 m = (pmp_v32)((x == '\t') | (x == '\r') | (x == '\f') | (x == '\v') |
                              (x == 0xC2) | ((x == ' ') & (y == ' ')));
        if (any32(&m)) return 0;
    }
    for (; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((is_hspace[c] && c != ' ') || (c == ' ' && i + 1 < b && s[i + 1] == ' ')) return 0;
    }
    return 1;
}

void pmp_wikitext_squeeze_space(const char *s, size_t len, pmp_buf *out)
{
    /* The output is never longer than the input: write through a pointer and
     * copy runs of text whole (this runs over whole pages). */
    pmp_buf_reserve(out, len);
    char *base = out->data + out->len, *o = base;
    int blank_pending = 0;   /* a blank line seen since the last text line */
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - s) : len;
        int space = 0, any = 0;
        size_t j = i;
        if (line_is_clean(s, i, eol)) {
            if (o > base) {
                *o++ = '\n';
                if (blank_pending) *o++ = '\n';
            }
            memcpy(o, s + i, eol - i);
            o += eol - i;
            any = 1;
            j = eol;
        }
        while (j < eol) {
            unsigned char c = (unsigned char)s[j];
            if (is_hspace[c]) {
                if (c != 0xC2) {
                    space = 1;
                    j++;
                    continue;
                }
                if (j + 1 < eol && (unsigned char)s[j + 1] == 0xA0) {
                    space = 1;
                    j += 2;
                    continue;
                }
            }
            /* a run of text up to the next space */
            size_t k = j + 1;
            while (k < eol && !is_hspace[(unsigned char)s[k]]) k++;
            if (!any) {
                if (o > base) {
                    *o++ = '\n';
                    if (blank_pending) *o++ = '\n';
                }
                any = 1;
            } else if (space) {
                *o++ = ' ';
            }
            space = 0;
            memcpy(o, s + j, k - j);
            o += k - j;
            j = k;
        }
        blank_pending = !any;
        i = eol + 1;
    }
    out->len += (size_t)(o - base);
    out->data[out->len] = '\0';
}

/* Appends s[0..n) without runs of two or more apostrophes (bold/italic) and
 * without behaviour switches (__NOTOC__). */
static void put_inline(const char *s, size_t n, pmp_buf *out)
{
    size_t from = 0;
    for (size_t i = 0; i < n;) {
        i = pmp_wikitext_skip(s, i, n, '\'', '_', '_');
        if (i == n) break;
        char c = s[i];
        if (c == '\'' && i + 1 < n && s[i + 1] == '\'') {
            pmp_buf_append(out, s + from, i - from);
            while (i < n && s[i] == '\'') i++;
            from = i;
        } else if (c == '_' && i + 1 < n && s[i + 1] == '_') {
            size_t j = i + 2;
            while (j < n && s[j] >= 'A' && s[j] <= 'Z') j++;
            if (j > i + 2 && j + 1 < n && s[j] == '_' && s[j + 1] == '_') {
                pmp_buf_append(out, s + from, i - from);
                i = from = j + 2;
            } else {
                i = j;
            }
        } else {
            i++;
        }
    }
    pmp_buf_append(out, s + from, n - from);
}

void pmp_wikitext_lines(const char *s, size_t len, pmp_buf *out)
{
    pmp_buf_reserve(out, len);
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - s) : len;
        size_t a = i, b = eol;
        if (s[a] == '=') {
            /* a heading: "== Title ==" -> "Title" */
            size_t e = b;
            while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
            size_t l = a, r = e;
            while (l < r && s[l] == '=') l++;
            while (r > l && s[r - 1] == '=') r--;
            if (r > l && r < e && l - a <= 6) {
                while (l < r && (s[l] == ' ' || s[l] == '\t')) l++;
                while (r > l && (s[r - 1] == ' ' || s[r - 1] == '\t')) r--;
                a = l, b = r;
            }
        } else if (s[a] == '*' || s[a] == '#' || s[a] == ':' || s[a] == ';') {
            while (a < b && (s[a] == '*' || s[a] == '#' || s[a] == ':' || s[a] == ';')) a++;
            while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        } else if (b - a >= 4 && !strncmp(s + a, "----", 4)) {
            size_t k = a;
            while (k < b && (s[k] == '-' || s[k] == ' ' || s[k] == '\t')) k++;
            if (k == b) a = b;   /* a horizontal rule */
        }
        put_inline(s + a, b - a, out);
        if (nl) pmp_buf_appendc(out, '\n');
        i = eol + 1;
    }
}


size_t pmp_wikitext_skip(const char *s, size_t i, size_t len, char a, char b, char c)
{
    while (i + 32 <= len) {
        pmp_v32 x;
        memcpy(&x, s + i, 32);
        pmp_v32 m = (pmp_v32)((x == (unsigned char)a) | (x == (unsigned char)b) |
                              (x == (unsigned char)c));
        if (any32(&m)) break;
        i += 32;
    }
    while (i < len && s[i] != a && s[i] != b && s[i] != c) i++;
    return i;
}

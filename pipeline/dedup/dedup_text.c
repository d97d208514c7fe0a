/* dedup_text.c — the one normalisation every comparison of pmp-dedup uses
 * (pmp_dedup.h): NFC + case folding through utf8proc, whitespace runs as one
 * space, words as runs of letters, marks and digits. Pure ASCII text, the common
 * case, never goes through utf8proc: NFC leaves it as it is and folding is a table. */
#include <string.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pmp_dedup.h"

void pmp_dedup_u64vec_push(pmp_dedup_u64vec *x, uint64_t v)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->v = pmp_xrealloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = v;
}

void pmp_dedup_text_scratch_free(pmp_dedup_text_scratch *s)
{
    pmp_buf_free(&s->norm);
    pmp_buf_free(&s->folded);
}

/* Unicode White_Space. */
static int is_space_cp(int32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
           c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int is_word_cp(int32_t c)
{
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

#define FOLD_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)

static void fold_ascii(pmp_buf *out, const unsigned char *p, size_t n)
{
    pmp_buf_reserve(out, n + 1);
    unsigned char *o = (unsigned char *)out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        o[i] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
    }
    out->len += n;
    out->data[out->len] = 0;
}

/* NFC + case folding of one segment (valid UTF-8). A short one is decomposed into a
 * buffer on the stack; utf8proc_reencode composes and encodes it in place. */
static void fold_segment(pmp_buf *out, const unsigned char *p, size_t n)
{
    int32_t cps[512];
    utf8proc_ssize_t k = utf8proc_decompose(p, (utf8proc_ssize_t)n, cps, 512, FOLD_OPTIONS);
    if (k >= 0 && k <= 512) {
        utf8proc_ssize_t r = utf8proc_reencode(cps, k, FOLD_OPTIONS);
        if (r >= 0) {
            pmp_buf_append(out, cps, (size_t)r);
            return;
        }
    }
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map(p, (utf8proc_ssize_t)n, &mapped, FOLD_OPTIONS);
    if (m >= 0)
        pmp_buf_append(out, mapped, (size_t)m);
    else   /* not valid UTF-8 (records always are): the bytes as they are */
        pmp_buf_append(out, p, n);
    free(mapped);
}

/* NFC and case folding of the whole text, utf8proc only where it is needed. ASCII
 * characters are starters that compose with nothing after them but a non-ASCII
 * combining mark, and folding is per character; so the text splits exactly into ASCII
 * runs (folded by table) and segments made of a run of non-ASCII characters with the
 * ASCII character before it (through utf8proc). */
static void fold_text(pmp_buf *out, const unsigned char *p, size_t n)
{
    pmp_buf_clear(out);
    pmp_buf_reserve(out, n + 1);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + j, 8);
            if (w & 0x8080808080808080ull) break;
            j += 8;
        }
        while (j < n && p[j] < 0x80) j++;
        size_t ascii_end = (j < n && j > i) ? j - 1 : j;
        fold_ascii(out, p + i, ascii_end - i);
        if (j == n) break;
        size_t k = j;
        while (k < n && p[k] >= 0x80) k++;
        fold_segment(out, p + ascii_end, k - ascii_end);
        i = k;
    }
}

void pmp_dedup_text_scan(pmp_dedup_text_scratch *s, const char *text, size_t len, uint64_t h[2],
                         pmp_dedup_u64vec *words)
{
    fold_text(&s->folded, (const unsigned char *)text, len);
    const unsigned char *p = (const unsigned char *)s->folded.data;
    size_t n = s->folded.len;
    /* One pass: the whitespace-collapsed string into s->norm, the words' hashes out. */
    pmp_buf *nb = &s->norm;
    pmp_buf_clear(nb);
    pmp_buf_reserve(nb, n + 1);
    char *o = nb->data;
    size_t on = 0, word_start = 0;
    int in_word = 0, pending_space = 0;
    size_t i = 0;
    while (i < n) {
        int32_t c;
        size_t k;
        if (p[i] < 0x80) {
            c = p[i];
            k = 1;
        } else {
            utf8proc_ssize_t r = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
            if (r <= 0) { c = 0xfffd; r = 1; }
            k = (size_t)r;
        }
        int word = is_word_cp(c);
        if (in_word && !word) {
            if (words) pmp_dedup_u64vec_push(words, XXH3_64bits(p + word_start, i - word_start));
            in_word = 0;
        } else if (!in_word && word) {
            in_word = 1;
            word_start = i;
        }
        if (is_space_cp(c)) {
            pending_space = on > 0;
        } else {
            if (pending_space) o[on++] = ' ';
            pending_space = 0;
            memcpy(o + on, p + i, k);
            on += k;
        }
        i += k;
    }
    if (in_word && words) pmp_dedup_u64vec_push(words, XXH3_64bits(p + word_start, n - word_start));
    nb->len = on;
    XXH128_hash_t x = XXH3_128bits(o, on);
    h[0] = x.low64;
    h[1] = x.high64;
}

/* libFuzzer target: the revision diff (pmp_wiki_diff, wikipedia_diff.c).
 * The input split at its first 0xFF byte is (good, bad); without one, good is
 * the input and bad the input without its middle byte (a small edit). Oracles:
 *  - diff(good, good) and diff(bad, bad) find no region;
 *  - every region lies inside both texts, start <= end, one side non-empty,
 *    and regions come in text order;
 *  - with valid UTF-8 texts every region is valid UTF-8 (groups must be);
 *  - when the regions do not overlap (anchoring may make two share a
 *    sentence), replacing each good region by its bad region turns good into
 *    bad, up to the spaces and newlines the diff does not compare. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pmp_wikipedia.h"

static void strip_ws(pmp_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n') pmp_buf_appendc(out, s[i]);
}

static void no_change(const char *s, size_t n)
{
    pmp_wiki_region *r = NULL;
    FUZZ_CHECK(pmp_wiki_diff(s, n, s, n, &r) == 0);
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *ff = memchr(data, 0xFF, size);
    char *good, *bad;
    size_t gl, bl;
    /* exact-size heap copies, so ASan sees any read past either end */
    if (ff) {
        gl = (size_t)(ff - data);
        bl = size - gl - 1;
        good = malloc(gl ? gl : 1);
        bad = malloc(bl ? bl : 1);
        if (gl) memcpy(good, data, gl);
        if (bl) memcpy(bad, ff + 1, bl);
    } else {
        gl = size;
        bl = size ? size - 1 : 0;
        good = malloc(gl ? gl : 1);
        bad = malloc(bl ? bl : 1);
        if (gl) memcpy(good, data, gl);
        if (bl) {
            memcpy(bad, data, size / 2);
            memcpy(bad + size / 2, data + size / 2 + 1, size - size / 2 - 1);
        }
    }
    no_change(good, gl);
    no_change(bad, bl);

    pmp_wiki_region *r = NULL;
    size_t n = pmp_wiki_diff(good, gl, bad, bl, &r);
    int utf8 = pmp_utf8_check(good, gl) == gl && pmp_utf8_check(bad, bl) == bl;
    int disjoint = 1;
    for (size_t i = 0; i < n; i++) {
        const pmp_wiki_region *x = &r[i];
        FUZZ_CHECK(x->g_start <= x->g_end && x->g_end <= gl);
        FUZZ_CHECK(x->b_start <= x->b_end && x->b_end <= bl);
        FUZZ_CHECK(x->g_end > x->g_start || x->b_end > x->b_start);
        if (utf8) {
            FUZZ_CHECK(pmp_utf8_check(good + x->g_start, x->g_end - x->g_start) ==
                       x->g_end - x->g_start);
            FUZZ_CHECK(pmp_utf8_check(bad + x->b_start, x->b_end - x->b_start) ==
                       x->b_end - x->b_start);
        }
        if (i > 0) {
            FUZZ_CHECK(r[i - 1].g_start <= x->g_start && r[i - 1].b_start <= x->b_start);
            if (r[i - 1].g_end > x->g_start || r[i - 1].b_end > x->b_start) disjoint = 0;
        }
    }
    if (disjoint) {
        pmp_buf patched = PMP_BUF_INIT, a = PMP_BUF_INIT, b = PMP_BUF_INIT;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            pmp_buf_append(&patched, good + at, r[i].g_start - at);
            pmp_buf_append(&patched, bad + r[i].b_start, r[i].b_end - r[i].b_start);
            at = r[i].g_end;
        }
        pmp_buf_append(&patched, good + at, gl - at);
        strip_ws(&a, patched.data, patched.len);
        strip_ws(&b, bad, bl);
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
            fprintf(stderr, "fuzz_wikipedia_diff: %zu regions do not turn good into bad\n", n);
            abort();
        }
        pmp_buf_free(&patched);
        pmp_buf_free(&a);
        pmp_buf_free(&b);
    }
    free(r);
    free(good);
    free(bad);
    return 0;
}

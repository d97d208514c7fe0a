/* libFuzzer target: wikitext -> plain text (wikitext.c, wikitext_nest.c,
 * wikitext_text.c): pmp_wikitext_clean and each pass it chains.
 * Oracles:
 *  - the whitespace rules of wikitext.h on the cleaned text: no trailing or
 *    leading spaces on a line, no doubled spaces, no tab/CR/FF/VT or U+00A0 left,
 *    at most one blank line in a row, no blank line at either end;
 *  - valid UTF-8 in gives valid UTF-8 out (clean and every pass);
 *  - no pass makes its text longer (squeeze_space writes through a pointer on
 *    that assumption); squeeze_space is idempotent;
 *  - pmp_wikitext_skip agrees with a plain loop. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "wikitext.h"

static void check_layout(const char *s, size_t n)
{
    if (n == 0) return;
    FUZZ_CHECK(s[0] != '\n' && s[n - 1] != '\n');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c != '\t' && c != '\r' && c != '\f' && c != '\v');
        FUZZ_CHECK(!(c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0));
        if (c == ' ') {
            FUZZ_CHECK(i > 0 && s[i - 1] != '\n' && s[i - 1] != ' ');
            FUZZ_CHECK(i + 1 < n && s[i + 1] != '\n');
        }
        if (c == '\n' && i + 2 < n) FUZZ_CHECK(!(s[i + 1] == '\n' && s[i + 2] == '\n'));
    }
}

typedef void (*pass_fn)(const char *, size_t, pmp_buf *);

static void check_pass(pass_fn f, const char *s, size_t n, int utf8)
{
    pmp_buf out = PMP_BUF_INIT;
    pmp_buf_appends(&out, "x");   /* appends: what was there stays */
    f(s, n, &out);
    FUZZ_CHECK(out.len >= 1 && out.data[0] == 'x');
    FUZZ_CHECK(out.len - 1 <= n);
    if (utf8) FUZZ_CHECK(pmp_utf8_check(out.data + 1, out.len - 1) == out.len - 1);
    pmp_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pmp_wikitext *wt;
    pmp_err err;
    if (!wt && pmp_wikitext_new(&wt, &err) != 0) abort();
    /* an exact-size heap copy, so ASan sees any read past the end */
    char *s = malloc(size ? size : 1);
    if (size) memcpy(s, data, size);
    int utf8 = pmp_utf8_check(s, size) == size;

    pmp_buf out = PMP_BUF_INIT;
    pmp_wikitext_clean(wt, s, size, &out);
    check_layout(out.data, out.len);
    if (utf8) FUZZ_CHECK(pmp_utf8_check(out.data, out.len) == out.len);

    pmp_buf sq = PMP_BUF_INIT, sq2 = PMP_BUF_INIT;
    pmp_wikitext_squeeze_space(s, size, &sq);
    FUZZ_CHECK(sq.len <= size);
    check_layout(sq.data, sq.len);
    pmp_wikitext_squeeze_space(sq.data, sq.len, &sq2);
    FUZZ_CHECK(sq2.len == sq.len && memcmp(sq.data, sq2.data, sq.len) == 0);

    check_pass(pmp_wikitext_strip_braces, s, size, utf8);
    check_pass(pmp_wikitext_render_links, s, size, utf8);
    check_pass(pmp_wikitext_lines, s, size, utf8);
    check_pass(pmp_wikitext_decode_entities, s, size, utf8);
    check_pass(pmp_wikitext_squeeze_space, s, size, utf8);

    if (size >= 3) {
        for (size_t from = 0; from <= size; from += 1 + size / 7) {
            size_t want = from;
            while (want < size && s[want] != s[0] && s[want] != s[1] && s[want] != s[2]) want++;
            FUZZ_CHECK(pmp_wikitext_skip(s, from, size, s[0], s[1], s[2]) == want);
        }
    }
    pmp_buf_free(&out);
    pmp_buf_free(&sq);
    pmp_buf_free(&sq2);
    free(s);
    return 0;
}

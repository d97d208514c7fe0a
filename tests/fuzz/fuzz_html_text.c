/* libFuzzer target: HTML fragment -> text (pmp_html_text_convert, html_text.c).
 * Oracles: the conversion succeeds; its text is valid UTF-8 without leading or
 * trailing newlines; appending to a non-empty buffer leaves what was there and
 * appends the same text (the reused parser context keeps no state between calls). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pmp_html_text *h;
    if (!h && !(h = pmp_html_text_new())) abort();
    /* an exact-size heap copy, so ASan sees any read past the end */
    char *html = malloc(size ? size : 1);
    if (size) memcpy(html, data, size);
    pmp_buf a = PMP_BUF_INIT, b = PMP_BUF_INIT;
    pmp_err err;
    if (pmp_html_text_convert(h, &a, html, size, &err) != 0) abort();
    if (pmp_utf8_check(a.data, a.len) != a.len) abort();
    if (a.len && (a.data[0] == '\n' || a.data[a.len - 1] == '\n')) abort();
    pmp_buf_appends(&b, "kept\xc3");
    if (pmp_html_text_convert(h, &b, html, size, &err) != 0) abort();
    if (b.len != 5 + a.len || memcmp(b.data, "kept\xc3", 5) != 0) abort();
    if (a.len && memcmp(b.data + 5, a.data, a.len) != 0) abort();
    pmp_buf_free(&a);
    pmp_buf_free(&b);
    free(html);
    return 0;
}

/* html_text.h — HTML fragments (StackExchange post bodies) to readable text,
 * with libxml2's HTML parser (never the network).
 *
 * The text is Markdown-like and deterministic: paragraphs and other blocks are
 * separated by a blank line; list items start with "- " (nested lists indented
 * two spaces per level); <pre> blocks are kept verbatim between ``` fences;
 * inline <code> is wrapped in backticks; links become their text; images,
 * scripts and styles are dropped; blockquote lines start with "> "; table rows
 * are lines with cells separated by " | ". Outside <pre>, runs of whitespace
 * (including no-break spaces) become one space, and lines carry no trailing
 * spaces. Entities are decoded. Broken HTML is repaired the way the parser
 * repairs it. The result is valid UTF-8, without leading or trailing blank lines.
 */
#ifndef PMP_HTML_TEXT_H
#define PMP_HTML_TEXT_H

#include <stddef.h>

#include "pmp_common.h"

typedef struct pmp_html_text pmp_html_text;

/* A converter keeps one parser context, reused by every call (one per thread). */
pmp_html_text *pmp_html_text_new(void);
void pmp_html_text_free(pmp_html_text *h);

/* Appends the text of the HTML fragment html[0..len) to out. An empty fragment
 * gives empty text. Returns 0, or -1 when the parser could not run at all. */
int pmp_html_text_convert(pmp_html_text *h, pmp_buf *out, const char *html, size_t len,
                          pmp_err *err);

#endif

/* wikitext.h — MediaWiki wikitext to plain text, deterministic.
 *
 * Dropped: templates ({{...}}, nested, and {{{params}}}), tables ({| ... |}),
 * <ref>...</ref> and <ref .../>, HTML comments, <gallery>/<math>/<timeline>
 * blocks, file/image links, category and interlanguage links, behaviour
 * switches (__NOTOC__). Kept as text: [[a|b]] -> b, [[a]] -> a, [url text] ->
 * text, headings as plain lines, list items without their markers, the content
 * of other HTML tags. Bold/italic quotes are removed and HTML entities decoded
 * (libxml2's HTML entity table). Whitespace is normalised: no trailing spaces,
 * runs of spaces collapsed, at most one blank line between paragraphs.
 *
 * Patterns are compiled once (PCRE2, JIT when available) per pmp_wikitext; a
 * pmp_wikitext is not thread-safe (it owns match data), use one per thread.
 */
#ifndef PMP_WIKITEXT_H
#define PMP_WIKITEXT_H

#include <stddef.h>

#include "pmp_common.h"

typedef struct pmp_wikitext pmp_wikitext;

int pmp_wikitext_new(pmp_wikitext **out, pmp_err *err);
void pmp_wikitext_free(pmp_wikitext *wt);

/* Appends the plain text of src (valid UTF-8 wikitext) to out. */
void pmp_wikitext_clean(pmp_wikitext *wt, const char *src, size_t len, pmp_buf *out);

/* Appends s with HTML character references (&name; &#N; &#xN;) decoded; unknown
 * names and invalid code points are kept as written. */
void pmp_wikitext_decode_entities(const char *s, size_t len, pmp_buf *out);

/* The passes pmp_wikitext_clean chains that are not patterns (exposed for tests).
 * Each appends its result to out. */
/* Drops balanced {{templates}}, {{{params}}} and {| tables |} (nested). */
void pmp_wikitext_strip_braces(const char *s, size_t len, pmp_buf *out);
/* [[a|b]] -> b, [[a]] -> a; drops file, image, category and interlanguage links. */
void pmp_wikitext_render_links(const char *s, size_t len, pmp_buf *out);
/* Headings "== T ==" -> "T", list markers and horizontal rules dropped, runs
 * of 2+ apostrophes and __SWITCHES__ removed. */
void pmp_wikitext_lines(const char *s, size_t len, pmp_buf *out);
/* The first index >= i of a byte equal to a, b or c, or len. */
size_t pmp_wikitext_skip(const char *s, size_t i, size_t len, char a, char b, char c);
/* Spaces collapsed, lines trimmed, at most one blank line in a row, no blank
 * lines at either end. */
void pmp_wikitext_squeeze_space(const char *s, size_t len, pmp_buf *out);

#endif

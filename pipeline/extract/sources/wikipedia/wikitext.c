/* wikitext.c — wikitext -> plain text as a fixed sequence of passes.
 *
 * Flat constructs (comments, external links, tags) are PCRE2 patterns
 * compiled once; external links are matched line by line (replace_extlinks),
 * and <ref> and the other dropped blocks by a plain scan (strip_blocks): as
 * patterns, every unclosed opener rescanned the rest of its line or page,
 * quadratic on vandalised pages full of them. Line syntax (headings, list
 * markers, bold/italic quotes) is a
 * plain scan: as one multiline pattern it ran at ~70 MB/s, a fifth of the
 * speed of every other pass together. Nested constructs (templates,
 * tables, [[links]] whose captions hold links) are matched with a bracket stack
 * instead of recursive patterns: vandalised pages are full of unbalanced braces,
 * and a stack finds the balanced pairs in one linear pass where a recursive
 * pattern can backtrack for a very long time. Unbalanced openers stay literal,
 * as MediaWiki renders them, so a stray "{{" never swallows the rest of a page.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "wikitext.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

enum { RX_COMMENT, RX_EXTLINK, RX_TAG, RX_COUNT };

static const struct {
    const char *pattern;
    uint32_t flags;
} patterns[RX_COUNT] = {
    /* An unterminated comment hides the rest of the page in MediaWiki too. */
    [RX_COMMENT] = {"<!--[\\s\\S]*?(?:-->|\\z)", 0},
    [RX_EXTLINK] = {"\\[(?:https?:|ftp:|mailto:|news:|irc:|//)[^\\s\\]<>]*"
                    "(?:[ \\t]+([^\\]\\n]*))?\\]",
                    PCRE2_CASELESS},
    [RX_TAG] = {"</?([A-Za-z][A-Za-z0-9]*)\\b[^<>]*>", 0},
};

struct pmp_wikitext {
    pcre2_code *re[RX_COUNT];
    int jit[RX_COUNT];
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    pmp_buf a, b;
};

int pmp_wikitext_new(pmp_wikitext **out, pmp_err *err)
{
    pmp_wikitext *wt = pmp_xcalloc(1, sizeof *wt);
    uint32_t max_groups = 0;
    for (int i = 0; i < RX_COUNT; i++) {
        int ec;
        PCRE2_SIZE eo;
        wt->re[i] = pcre2_compile((PCRE2_SPTR)patterns[i].pattern, PCRE2_ZERO_TERMINATED,
                                  patterns[i].flags, &ec, &eo, NULL);
        if (!wt->re[i]) {
            PCRE2_UCHAR m[256];
            pcre2_get_error_message(ec, m, sizeof m);
            pmp_wikitext_free(wt);
            return pmp_err_setc(err, PMP_E_INTERNAL, "wikitext pattern %d at offset %zu: %s", i, (size_t)eo, m);
        }
        /* JIT is an optimisation: without it (unsupported CPU) we still match. */
        wt->jit[i] = pcre2_jit_compile(wt->re[i], PCRE2_JIT_COMPLETE) == 0;
        uint32_t n = 0;
        pcre2_pattern_info(wt->re[i], PCRE2_INFO_CAPTURECOUNT, &n);
        if (n > max_groups) max_groups = n;
    }
    wt->md = pcre2_match_data_create(max_groups + 1, NULL);
    wt->mctx = pcre2_match_context_create(NULL);
    wt->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (!wt->md || !wt->mctx || !wt->jstack) {
        pmp_wikitext_free(wt);
        return pmp_err_setc(err, PMP_E_INTERNAL, "wikitext: out of memory creating PCRE2 contexts");
    }
    pcre2_jit_stack_assign(wt->mctx, NULL, wt->jstack);
    *out = wt;
    return 0;
}

void pmp_wikitext_free(pmp_wikitext *wt)
{
    if (!wt) return;
    for (int i = 0; i < RX_COUNT; i++) pcre2_code_free(wt->re[i]);
    pcre2_match_data_free(wt->md);
    pcre2_match_context_free(wt->mctx);
    pcre2_jit_stack_free(wt->jstack);
    pmp_buf_free(&wt->a);
    pmp_buf_free(&wt->b);
    free(wt);
}

typedef void (*rx_emit_fn)(const char *s, const PCRE2_SIZE *ov, int rc, pmp_buf *out);

/* Copies s to out with every match of pattern i replaced by what emit appends
 * (nothing when emit is NULL). A match error (a resource limit) ends the
 * replacing: the rest is copied unchanged rather than lost. */
static void rx_replace(pmp_wikitext *wt, int i, const char *s, size_t len, pmp_buf *out,
                       rx_emit_fn emit)
{
    size_t pos = 0;
    while (pos < len) {
        int rc = wt->jit[i]
                     ? pcre2_jit_match(wt->re[i], (PCRE2_SPTR)s, len, pos, 0, wt->md, wt->mctx)
                     : pcre2_match(wt->re[i], (PCRE2_SPTR)s, len, pos, 0, wt->md, wt->mctx);
        if (rc <= 0) break;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(wt->md);
        pmp_buf_append(out, s + pos, ov[0] - pos);
        if (emit) emit(s, ov, rc, out);
        if (ov[1] > ov[0]) {
            pos = ov[1];
        } else {   /* empty match: step over one byte to make progress */
            if (ov[0] < len) pmp_buf_appendc(out, s[ov[0]]);
            pos = ov[0] + 1;
        }
    }
    if (pos < len) pmp_buf_append(out, s + pos, len - pos);
}

static int group_set(const PCRE2_SIZE *ov, int rc, int g)
{
    return g < rc && ov[2 * g] != PCRE2_UNSET;
}

static void emit_extlink(const char *s, const PCRE2_SIZE *ov, int rc, pmp_buf *out)
{
    if (group_set(ov, rc, 1)) pmp_buf_append(out, s + ov[2], ov[3] - ov[2]);
}

/* External links, line by line: a link ends at a ']' on its own line (neither
 * the URL nor the caption crosses a line break), so only the part of a line up
 * to its last ']' can hold one, and only that part goes to the pattern. On the
 * whole text, every "[http..." after a line's last ']' made the pattern scan to
 * the end of the line: quadratic on a long line of them. */
static void replace_extlinks(pmp_wikitext *wt, const char *s, size_t len, pmp_buf *out)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - s) + 1 : len;
        const char *rb = memrchr(s + i, ']', eol - i);
        size_t cut = rb ? (size_t)(rb - s) + 1 : i;
        if (cut > i && memchr(s + i, '[', cut - i))
            rx_replace(wt, RX_EXTLINK, s + i, cut - i, out, emit_extlink);
        else
            cut = i;
        pmp_buf_append(out, s + cut, eol - cut);
        i = eol;
    }
}

static void emit_tag(const char *s, const PCRE2_SIZE *ov, int rc, pmp_buf *out)
{
    (void)rc;
    if (ov[3] - ov[2] == 2 && strncasecmp(s + ov[2], "br", 2) == 0) pmp_buf_appendc(out, '\n');
}

/* ---- blocks dropped with their content ----
 * What the pattern <(ref|references|...)\b(?:[^<>]*?/>|[^<>]*>[\s\S]*?</\1\s*>)
 * (caseless) matched, as a scan: an opener self-closing, or followed by the
 * nearest close tag of its name. An unclosed opener is left to RX_TAG (dropped
 * alone). Openers are met in text order, so the nearest close tag found for a
 * name stays the answer until an opener comes after it: every name's close tags
 * are searched for once over the page, not once per opener. */

static const char *const k_blocks[] = {"ref", "references", "gallery", "math", "timeline",
                                       "score", "imagemap", "chem", "ce", "graph"};
enum { N_BLOCKS = sizeof k_blocks / sizeof k_blocks[0] };

typedef struct close_cache {
    int known;
    size_t from;         /* searched from here ... */
    size_t start, end;   /* ... the close tag found [start, end), or end == 0: none */
} close_cache;

static int is_word(unsigned char c)   /* PCRE2's \w without UCP */
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

static int is_rx_space(unsigned char c)   /* PCRE2's \s without UCP */
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The nearest close tag </name\s*> at or after from (caseless). */
static void find_close(const char *s, size_t len, size_t from, const char *name, size_t nl,
                       close_cache *c)
{
    c->known = 1;
    c->from = from;
    c->end = 0;
    for (size_t i = from; i < len;) {
        const char *lt = memchr(s + i, '<', len - i);
        if (!lt) return;
        i = (size_t)(lt - s);
        if (len - i >= 2 + nl && s[i + 1] == '/' && strncasecmp(s + i + 2, name, nl) == 0) {
            size_t j = i + 2 + nl;
            while (j < len && is_rx_space((unsigned char)s[j])) j++;
            if (j < len && s[j] == '>') {
                c->start = i;
                c->end = j + 1;
                return;
            }
        }
        i++;
    }
}

/* End of the block starting with the '<' at s[i], or 0 when none starts there. */
static size_t block_at(const char *s, size_t len, size_t i, close_cache *cache)
{
    for (size_t k = 0; k < N_BLOCKS; k++) {
        size_t nl = strlen(k_blocks[k]), j = i + 1 + nl;
        if (len - i - 1 < nl || strncasecmp(s + i + 1, k_blocks[k], nl) != 0 ||
            (j < len && is_word((unsigned char)s[j])))
            continue;
        /* the opener ends at the first '>', with no '<' before it */
        size_t gt = j;
        while (gt < len && s[gt] != '<' && s[gt] != '>') gt++;
        if (gt == len || s[gt] == '<') return 0;
        if (gt > j && s[gt - 1] == '/') return gt + 1;
        close_cache *c = &cache[k];
        if (!c->known || c->from > gt + 1 || (c->end && c->start < gt + 1))
            find_close(s, len, gt + 1, k_blocks[k], nl, c);
        return c->end;   /* 0: unclosed */
    }
    return 0;
}

static void strip_blocks(const char *s, size_t len, pmp_buf *out)
{
    close_cache cache[N_BLOCKS];
    memset(cache, 0, sizeof cache);
    size_t pos = 0, i = 0;
    while (i < len) {
        const char *lt = memchr(s + i, '<', len - i);
        if (!lt) break;
        i = (size_t)(lt - s);
        size_t end = block_at(s, len, i, cache);
        if (end) {
            pmp_buf_append(out, s + pos, i - pos);
            pos = i = end;
        } else {
            i++;
        }
    }
    pmp_buf_append(out, s + pos, len - pos);
}

void pmp_wikitext_clean(pmp_wikitext *wt, const char *src, size_t len, pmp_buf *out)
{
    pmp_buf *a = &wt->a, *b = &wt->b;
    pmp_buf_clear(a);
    rx_replace(wt, RX_COMMENT, src, len, a, NULL);
    pmp_buf_clear(b);
    strip_blocks(a->data ? a->data : "", a->len, b);
    pmp_buf_clear(a);
    pmp_wikitext_strip_braces(b->data ? b->data : "", b->len, a);
    pmp_buf_clear(b);
    pmp_wikitext_render_links(a->data ? a->data : "", a->len, b);
    pmp_buf_clear(a);
    replace_extlinks(wt, b->data ? b->data : "", b->len, a);
    pmp_buf_clear(b);
    rx_replace(wt, RX_TAG, a->data ? a->data : "", a->len, b, emit_tag);
    pmp_buf_clear(a);
    pmp_wikitext_lines(b->data ? b->data : "", b->len, a);
    pmp_buf_clear(b);
    pmp_wikitext_decode_entities(a->data ? a->data : "", a->len, b);
    pmp_wikitext_squeeze_space(b->data ? b->data : "", b->len, out);
}

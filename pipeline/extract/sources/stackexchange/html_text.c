/* html_text.c — HTML fragment -> readable text (rules in html_text.h).
 *
 * libxml2's HTML parser runs with SAX callbacks of our own, so no tree is built:
 * the parser already balances the start/end events of broken HTML, and building
 * and freeing a DOM per body cost more than the rendering. One parser context is
 * reused for every body. Output is produced through a tiny "line printer": blocks
 * only request separation (one or two newlines) and whitespace only requests a
 * space; both are materialised when the next visible character arrives. That is
 * what keeps the result free of leading, trailing and doubled blank lines however
 * the HTML nests.
 */
#include "html_text.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>

typedef struct printer {
    pmp_buf *out;
    size_t start;     /* where this conversion's output begins in out */
    int nl;           /* newlines requested before the next content (0..2) */
    int space;        /* a space requested before the next content */
    int any;          /* content written already */
    pmp_buf prefix;   /* written at the start of every line ("> ", "  ") */
    size_t last_prefix; /* prefix length when the last line was started */
    int marker;       /* the next line start shows "- " for the innermost item */
    size_t marker_at; /* where in the prefix that item's "  " is */
    int cell;         /* cells seen in the current table row */
    int skip;         /* open elements whose content is dropped (img, script...) */
    int capture;      /* open elements inside a <pre> or <code> being captured */
    int capture_pre;  /* the captured element is a <pre> (else inline code) */
    pmp_buf captured; /* its text, verbatim */
    struct open_el {
        unsigned char kind;
        unsigned char nested;   /* a list inside a list item */
        size_t keep;            /* prefix length to restore at the end */
    } *stack;
    size_t depth, cap;
} printer;

struct pmp_html_text {
    htmlParserCtxtPtr ctxt;
    printer p;
};

static void request_nl(printer *p, int n)
{
    if (p->any && p->nl < n) p->nl = n;
    p->space = 0;
}

static void put_prefix(printer *p)
{
    p->last_prefix = p->prefix.len;
    if (p->marker && p->prefix.len >= p->marker_at + 2) {
        pmp_buf_append(p->out, p->prefix.data, p->marker_at);
        pmp_buf_append(p->out, "- ", 2);
        pmp_buf_append(p->out, p->prefix.data + p->marker_at + 2,
                       p->prefix.len - p->marker_at - 2);
        p->marker = 0;
    } else {
        pmp_buf_append(p->out, p->prefix.data, p->prefix.len);
    }
}

/* Blank separator lines carry the prefix shared by the lines around them, without
 * trailing spaces: a paragraph break inside a blockquote reads ">", the break
 * before a blockquote is empty. (Prefixes only grow by appending, so the shared
 * part is the shorter one.) */
static void put_blank_line(printer *p)
{
    size_t n = p->prefix.len < p->last_prefix ? p->prefix.len : p->last_prefix;
    while (n && p->prefix.data[n - 1] == ' ') n--;
    pmp_buf_append(p->out, p->prefix.data, n);
    pmp_buf_appendc(p->out, '\n');
}

/* Makes the pending separation real before visible content. */
static void begin_content(printer *p)
{
    if (!p->any) {
        put_prefix(p);
        p->any = 1;
    } else if (p->nl) {
        pmp_buf_appendc(p->out, '\n');
        for (int i = 1; i < p->nl; i++) put_blank_line(p);
        put_prefix(p);
    } else if (p->space) {
        pmp_buf_appendc(p->out, ' ');
    } else if (p->marker) {
        /* A list item whose parent printed nothing on this line yet. */
        pmp_buf_appendc(p->out, '\n');
        put_prefix(p);
    }
    p->nl = 0;
    p->space = 0;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Inline text with whitespace collapsed; U+00A0 counts as whitespace. */
static void put_text(printer *p, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (is_ws(c)) {
            p->space = 1;
            i++;
            continue;
        }
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) {
            p->space = 1;
            i += 2;
            continue;
        }
        size_t j = i + 1;
        while (j < len && !is_ws((unsigned char)s[j]) && (unsigned char)s[j] != 0xC2) j++;
        begin_content(p);
        pmp_buf_append(p->out, s + i, j - i);
        i = j;
    }
}

static void put_pre(printer *p, const pmp_buf *t)
{
    size_t a = 0, b = t->len;
    /* Leading blank lines and trailing whitespace are layout, not code. */
    for (size_t i = 0; i < b; i++) {
        if (t->data[i] == '\n') a = i + 1;
        else if (!is_ws((unsigned char)t->data[i])) break;
    }
    while (b > a && is_ws((unsigned char)t->data[b - 1])) b--;
    request_nl(p, 2);
    begin_content(p);
    pmp_buf_append(p->out, "```\n", 4);
    put_prefix(p);
    for (size_t i = a; i < b; i++) {
        char c = t->data[i];
        if (c == '\r') continue;
        pmp_buf_appendc(p->out, c);
        if (c == '\n') put_prefix(p);
    }
    if (b > a) {
        pmp_buf_appendc(p->out, '\n');
        put_prefix(p);
    }
    pmp_buf_append(p->out, "```", 3);
    request_nl(p, 2);
}

static void put_code(printer *p, const pmp_buf *t)
{
    /* Collapse whitespace the same way as prose, then wrap in backticks. */
    pmp_buf c = PMP_BUF_INIT;
    int sp = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char ch = (unsigned char)t->data[i];
        if (is_ws(ch)) {
            sp = 1;
            continue;
        }
        if (sp && c.len) pmp_buf_appendc(&c, ' ');
        sp = 0;
        pmp_buf_appendc(&c, (char)ch);
    }
    if (c.len) {
        begin_content(p);
        pmp_buf_appendc(p->out, '`');
        pmp_buf_append(p->out, c.data, c.len);
        pmp_buf_appendc(p->out, '`');
    }
    pmp_buf_free(&c);
}

/* What an element does to the text. Looked up once per element in a sorted
 * table (the HTML parser lowercases names), not by a chain of comparisons. */
typedef enum el_kind {
    EL_INLINE = 0, EL_DROP, EL_BLOCK, EL_PRE, EL_CODE, EL_BR, EL_HR, EL_QUOTE, EL_LIST,
    EL_ITEM, EL_TABLE, EL_ROW, EL_CELL
} el_kind;

static const struct el_entry {
    const char *name;
    el_kind kind;
} k_elements[] = {   /* sorted by name (strcmp) */
    {"address", EL_BLOCK}, {"article", EL_BLOCK}, {"aside", EL_BLOCK},
    {"audio", EL_DROP}, {"blockquote", EL_QUOTE}, {"br", EL_BR},
    {"canvas", EL_DROP}, {"caption", EL_BLOCK}, {"center", EL_BLOCK},
    {"code", EL_CODE}, {"dd", EL_BLOCK}, {"details", EL_BLOCK}, {"div", EL_BLOCK},
    {"dl", EL_BLOCK}, {"dt", EL_BLOCK}, {"embed", EL_DROP}, {"fieldset", EL_BLOCK},
    {"figcaption", EL_BLOCK}, {"figure", EL_BLOCK}, {"footer", EL_BLOCK},
    {"form", EL_BLOCK}, {"h1", EL_BLOCK}, {"h2", EL_BLOCK}, {"h3", EL_BLOCK},
    {"h4", EL_BLOCK}, {"h5", EL_BLOCK}, {"h6", EL_BLOCK}, {"head", EL_DROP},
    {"header", EL_BLOCK}, {"hr", EL_HR}, {"iframe", EL_DROP}, {"img", EL_DROP},
    {"kbd", EL_CODE}, {"li", EL_ITEM}, {"main", EL_BLOCK}, {"menu", EL_LIST},
    {"nav", EL_BLOCK}, {"noscript", EL_DROP}, {"object", EL_DROP}, {"ol", EL_LIST},
    {"p", EL_BLOCK}, {"pre", EL_PRE}, {"script", EL_DROP}, {"section", EL_BLOCK},
    {"style", EL_DROP}, {"summary", EL_BLOCK}, {"svg", EL_DROP}, {"table", EL_TABLE},
    {"td", EL_CELL}, {"template", EL_DROP}, {"th", EL_CELL}, {"tr", EL_ROW},
    {"tt", EL_CODE}, {"ul", EL_LIST}, {"video", EL_DROP},
};

static int el_cmp(const void *key, const void *entry)
{
    return strcmp(key, ((const struct el_entry *)entry)->name);
}

static el_kind classify(const xmlChar *name)
{
    const struct el_entry *e = bsearch(name, k_elements,
                                       sizeof k_elements / sizeof k_elements[0],
                                       sizeof k_elements[0], el_cmp);
    return e ? e->kind : EL_INLINE;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    (void)atts;
    printer *p = ctx;
    el_kind kind = classify(name);
    if (p->skip || kind == EL_DROP) {
        p->skip++;
        return;
    }
    if (p->capture) {
        p->capture++;
        if (kind == EL_BR) pmp_buf_appendc(&p->captured, '\n');
        return;
    }
    if (kind == EL_PRE || kind == EL_CODE) {
        p->capture = 1;
        p->capture_pre = kind == EL_PRE;
        pmp_buf_clear(&p->captured);
        return;
    }
    if (p->depth == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->stack = pmp_xrealloc(p->stack, p->cap * sizeof *p->stack);
    }
    struct open_el *e = &p->stack[p->depth++];
    e->kind = (unsigned char)kind;
    e->nested = 0;
    e->keep = p->prefix.len;
    switch (kind) {
    case EL_BR: request_nl(p, 1); break;
    case EL_HR: request_nl(p, 2); break;
    case EL_QUOTE:
        request_nl(p, 2);
        pmp_buf_append(&p->prefix, "> ", 2);
        break;
    case EL_LIST:
        /* A list nested in an item follows the item's line directly. */
        e->nested = p->prefix.len >= 2 && p->prefix.data[p->prefix.len - 1] == ' ' &&
                    p->prefix.data[p->prefix.len - 2] == ' ';
        request_nl(p, e->nested ? 1 : 2);
        break;
    case EL_ITEM:
        request_nl(p, 1);
        pmp_buf_append(&p->prefix, "  ", 2);
        p->marker = 1;
        p->marker_at = e->keep;
        break;
    case EL_TABLE: request_nl(p, 2); break;
    case EL_ROW:
        request_nl(p, 1);
        p->cell = 0;
        break;
    case EL_CELL:
        if (p->cell++ > 0) {
            begin_content(p);
            pmp_buf_append(p->out, " |", 2);
            p->space = 1;
        }
        break;
    case EL_BLOCK: request_nl(p, 2); break;
    default: break;   /* inline: a, strong, em, span, sup, ... */
    }
}

static void on_end(void *ctx, const xmlChar *name)
{
    (void)name;   /* the parser balances events: the stack says what ends */
    printer *p = ctx;
    if (p->skip) {
        p->skip--;
        return;
    }
    if (p->capture) {
        if (--p->capture == 0) {
            if (p->capture_pre) put_pre(p, &p->captured);
            else put_code(p, &p->captured);
        }
        return;
    }
    if (p->depth == 0) return;
    struct open_el *e = &p->stack[--p->depth];
    switch ((el_kind)e->kind) {
    case EL_QUOTE:
    case EL_ITEM:
        if (e->kind == EL_ITEM) {
            p->marker = 0;
            request_nl(p, 1);
        } else {
            request_nl(p, 2);
        }
        p->prefix.len = e->keep;
        p->prefix.data[e->keep] = 0;
        break;
    case EL_LIST: request_nl(p, e->nested ? 1 : 2); break;
    case EL_ROW: request_nl(p, 1); break;
    case EL_TABLE:
    case EL_BLOCK: request_nl(p, 2); break;
    default: break;
    }
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
    printer *p = ctx;
    if (p->skip || len <= 0) return;
    if (p->capture) pmp_buf_append(&p->captured, s, (size_t)len);
    else put_text(p, (const char *)s, (size_t)len);
}

pmp_html_text *pmp_html_text_new(void)
{
    pmp_html_text *h = pmp_xcalloc(1, sizeof *h);
    h->ctxt = htmlNewParserCtxt();
    htmlSAXHandler *sax = h->ctxt ? xmlMalloc(sizeof *sax) : NULL;
    if (!sax) {
        if (h->ctxt) htmlFreeParserCtxt(h->ctxt);
        free(h);
        return NULL;
    }
    /* Our handlers only: no tree, no DTD, no entity hooks. Whitespace the parser
     * calls ignorable is dropped, as the tree builder would. The context owns
     * (and frees) its handler. */
    memset(sax, 0, sizeof *sax);
    sax->startElement = on_start;
    sax->endElement = on_end;
    sax->characters = on_text;
    sax->cdataBlock = on_text;
    xmlFree(h->ctxt->sax);
    h->ctxt->sax = sax;
    h->ctxt->userData = &h->p;
    pmp_buf_appends(&h->p.prefix, "");
    return h;
}

void pmp_html_text_free(pmp_html_text *h)
{
    if (!h) return;
    htmlFreeParserCtxt(h->ctxt);
    pmp_buf_free(&h->p.prefix);
    pmp_buf_free(&h->p.captured);
    free(h->p.stack);
    free(h);
}

int pmp_html_text_convert(pmp_html_text *h, pmp_buf *out, const char *html, size_t len,
                          pmp_err *err)
{
    if (len == 0) return 0;
    if (len > (size_t)INT32_MAX)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "HTML fragment too large (%zu bytes)", len);
    printer *p = &h->p;
    p->out = out;
    p->start = out->len;
    p->nl = p->space = p->any = p->marker = p->cell = 0;
    p->skip = p->capture = 0;
    p->depth = 0;
    p->last_prefix = 0;
    p->prefix.len = 0;
    p->prefix.data[0] = 0;
    /* The handlers write into out as the parser goes; there is no document. */
    htmlDocPtr doc = htmlCtxtReadMemory(h->ctxt, html, (int)len, NULL, "UTF-8",
                                        HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                            HTML_PARSE_NOWARNING);
    if (doc) xmlFreeDoc(doc);
    /* A <pre> or <code> cut off by the end of the fragment still counts. */
    if (p->capture) {
        p->capture = 0;
        if (p->capture_pre) put_pre(p, &p->captured);
        else put_code(p, &p->captured);
    }
    p->out = NULL;

    /* The parser's output is UTF-8; a broken input byte sequence can still leak
     * through, so check and repair only this conversion's part (none at all when
     * nothing was written: out->data may still be NULL). */
    size_t n = out->len - p->start;
    if (n && pmp_utf8_check(out->data + p->start, n) != n) {
        char *copy = pmp_xstrndup(out->data + p->start, n);
        out->len = p->start;
        out->data[out->len] = 0;
        pmp_utf8_sanitize(out, copy, n);
        free(copy);
    }
    return 0;
}

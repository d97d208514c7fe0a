/* wikipedia_xml.c — MediaWiki export XML as a stream of page/revision events.
 *
 * libxml2's SAX2 push parser is fed the decoded chunks as they come, so a
 * multi-gigabyte history never has to be in memory: only the fields of the
 * current revision are collected (text included, it can be megabytes). The
 * parser runs with XML_PARSE_NONET and without XML_PARSE_NOENT / DTDLOAD: the
 * export format needs only the predefined entities, which SAX2 decodes anyway.
 */
#include "pmp_wikipedia.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

enum { F_NONE, F_TITLE, F_NS, F_PAGE_ID, F_REV_ID, F_TS, F_USER, F_COMMENT, F_TEXT, F_SHA1,
       F_NSNAME };

typedef struct ns_name {
    int key;
    char *name;
} ns_name;

struct pmp_wiki_xml {
    char *name;
    pmp_wiki_xml_cb cb;
    xmlParserCtxtPtr ctxt;
    int depth;
    int in_siteinfo, in_page, in_rev, in_contrib, in_upload;
    int field;             /* F_*: the element whose characters we collect */
    int want;              /* the page callback wants this page's revisions */
    int page_announced;
    int has_ns;
    pmp_buf title, page_id, ns, rev_id, ts, user, comment, sha1, text, nsname;
    int redirect, text_deleted, ns_key;
    ns_name *names;
    size_t n_names, cap_names;
    pmp_wiki_page page;
    /* first error reported by libxml2 */
    int failed;
    const char *errkind;   /* "malformed XML: " or "" */
    char errmsg[512];
    int errline, errcol;
};

static pmp_buf *field_buf(pmp_wiki_xml *x, int f)
{
    switch (f) {
    case F_TITLE: return &x->title;
    case F_NS: return &x->ns;
    case F_PAGE_ID: return &x->page_id;
    case F_REV_ID: return &x->rev_id;
    case F_TS: return &x->ts;
    case F_USER: return &x->user;
    case F_COMMENT: return &x->comment;
    case F_TEXT: return &x->text;
    case F_SHA1: return &x->sha1;
    case F_NSNAME: return &x->nsname;
    default: return NULL;
    }
}

static const char *bstr(const pmp_buf *b)
{
    return b->data ? b->data : "";
}

static int is(const xmlChar *name, const char *s)
{
    return strcmp((const char *)name, s) == 0;
}

/* Value of attribute `name` from SAX2's (localname, prefix, URI, value, end)
 * tuples, or NULL. Copied into buf (the value is not NUL-terminated). */
static const char *attr(const xmlChar **attrs, int n, const char *name, char *buf, size_t cap)
{
    for (int i = 0; i < n; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (a[1] == NULL && is(a[0], name)) {
            size_t len = (size_t)(a[4] - a[3]);
            if (len >= cap) len = cap - 1;
            memcpy(buf, a[3], len);
            buf[len] = '\0';
            return buf;
        }
    }
    return NULL;
}

/* Namespace of a title in a schema without <ns>: the prefix before ':' when
 * <siteinfo> names it, else 0 (articles may contain ':' in their titles). */
static int ns_from_title(const pmp_wiki_xml *x, const char *title)
{
    const char *colon = strchr(title, ':');
    if (!colon) return 0;
    size_t n = (size_t)(colon - title);
    for (size_t i = 0; i < x->n_names; i++) {
        if (strlen(x->names[i].name) == n && strncmp(x->names[i].name, title, n) == 0)
            return x->names[i].key;
    }
    return 0;
}

static void announce_page(pmp_wiki_xml *x)
{
    if (x->page_announced) return;
    x->page_announced = 1;
    x->page.title = bstr(&x->title);
    x->page.id = bstr(&x->page_id);
    x->page.ns = x->has_ns ? atoi(bstr(&x->ns)) : ns_from_title(x, bstr(&x->title));
    x->page.redirect = x->redirect;
    x->want = x->cb.page ? x->cb.page(x->cb.ud, &x->page) : 1;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nss, int nb_attrs, int nb_defaulted,
                     const xmlChar **attrs)
{
    (void)prefix, (void)uri, (void)nb_ns, (void)nss, (void)nb_defaulted;
    pmp_wiki_xml *x = ctx;
    x->depth++;
    x->field = F_NONE;
    char v[64];
    if (x->depth == 1 && !is(name, "mediawiki") && !x->failed) {
        /* e.g. a StackExchange Posts.xml given to the wrong source */
        x->failed = 1;
        x->errline = xmlSAX2GetLineNumber(x->ctxt);
        x->errcol = xmlSAX2GetColumnNumber(x->ctxt);
        x->errkind = "";
        snprintf(x->errmsg, sizeof x->errmsg,
                 "root element <%s> is not <mediawiki>: not a MediaWiki XML export", name);
        xmlStopParser(x->ctxt);
        return;
    }
    if (x->in_rev) {
        if (x->in_contrib) {
            if (is(name, "username") || is(name, "ip")) {
                x->field = F_USER;
                pmp_buf_clear(&x->user);
            }
        } else if (is(name, "contributor")) {
            x->in_contrib = 1;
        } else if (is(name, "id")) {
            x->field = F_REV_ID;
        } else if (is(name, "timestamp")) {
            x->field = F_TS;
        } else if (is(name, "comment")) {
            x->field = F_COMMENT;
        } else if (is(name, "text")) {
            x->text_deleted = attr(attrs, nb_attrs, "deleted", v, sizeof v) != NULL;
            if (x->want) x->field = F_TEXT;
        } else if (is(name, "sha1")) {
            x->field = F_SHA1;
        }
    } else if (x->in_page) {
        if (is(name, "revision")) {
            announce_page(x);
            x->in_rev = 1;
            x->text_deleted = 0;
            pmp_buf_clear(&x->rev_id);
            pmp_buf_clear(&x->ts);
            pmp_buf_clear(&x->user);
            pmp_buf_clear(&x->comment);
            pmp_buf_clear(&x->sha1);
            pmp_buf_clear(&x->text);
        } else if (is(name, "upload")) {
            x->in_upload = 1;
        } else if (!x->in_upload && x->depth == 3) {
            if (is(name, "title")) x->field = F_TITLE;
            else if (is(name, "ns")) x->field = F_NS, x->has_ns = 1;
            else if (is(name, "id")) x->field = F_PAGE_ID;
            else if (is(name, "redirect")) x->redirect = 1;
        }
    } else if (is(name, "page")) {
        x->in_page = 1;
        x->page_announced = 0;
        x->has_ns = 0;
        x->redirect = 0;
        x->want = 0;
        pmp_buf_clear(&x->title);
        pmp_buf_clear(&x->ns);
        pmp_buf_clear(&x->page_id);
    } else if (is(name, "siteinfo")) {
        x->in_siteinfo = 1;
    } else if (x->in_siteinfo && is(name, "namespace")) {
        const char *k = attr(attrs, nb_attrs, "key", v, sizeof v);
        x->ns_key = k ? atoi(k) : 0;
        x->field = F_NSNAME;
        pmp_buf_clear(&x->nsname);
    }
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
    (void)prefix, (void)uri;
    pmp_wiki_xml *x = ctx;
    x->depth--;
    x->field = F_NONE;
    if (x->in_rev) {
        if (x->in_contrib) {
            if (is(name, "contributor")) x->in_contrib = 0;
        } else if (is(name, "revision")) {
            x->in_rev = 0;
            if (x->want && x->cb.revision) {
                pmp_wiki_rev r = {bstr(&x->rev_id), bstr(&x->ts), bstr(&x->user),
                                  bstr(&x->comment), bstr(&x->sha1), &x->text,
                                  x->text_deleted};
                if (!x->text.data) pmp_buf_reserve(&x->text, 0);   /* never NULL */
                x->cb.revision(x->cb.ud, &x->page, &r);
            }
        }
    } else if (x->in_page) {
        if (is(name, "upload")) {
            x->in_upload = 0;
        } else if (is(name, "page")) {
            announce_page(x);
            x->in_page = 0;
            if (x->cb.page_end) x->cb.page_end(x->cb.ud, &x->page);
        }
    } else if (x->in_siteinfo) {
        if (is(name, "namespace")) {
            if (x->nsname.len > 0) {
                if (x->n_names == x->cap_names) {
                    x->cap_names = x->cap_names ? 2 * x->cap_names : 32;
                    x->names = pmp_xrealloc(x->names, x->cap_names * sizeof *x->names);
                }
                x->names[x->n_names++] = (ns_name){x->ns_key, pmp_xstrdup(x->nsname.data)};
            }
        } else if (is(name, "siteinfo")) {
            x->in_siteinfo = 0;
        }
    }
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    pmp_wiki_xml *x = ctx;
    pmp_buf *b = field_buf(x, x->field);
    if (b) pmp_buf_append(b, ch, (size_t)len);
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    pmp_wiki_xml *x = ctx;
    if (x->failed || e->level < XML_ERR_ERROR) return;
    x->failed = 1;
    x->errline = e->line;
    x->errcol = e->int2;
    size_t n = strlen(e->message ? e->message : "");
    while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' ')) n--;
    snprintf(x->errmsg, sizeof x->errmsg, "%.*s", (int)n, e->message ? e->message : "");
}

pmp_wiki_xml *pmp_wiki_xml_new(const char *name, const pmp_wiki_xml_cb *cb)
{
    pmp_wiki_xml *x = pmp_xcalloc(1, sizeof *x);
    x->name = pmp_xstrdup(name);
    x->cb = *cb;
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.endElementNs = on_end;
    h.characters = on_chars;
    h.cdataBlock = on_chars;
    h.serror = on_error;   /* replaces the default printing to stderr */
    x->ctxt = xmlCreatePushParserCtxt(&h, x, NULL, 0, name);
    if (!x->ctxt) abort();   /* only fails on allocation failure */
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    return x;
}

int pmp_wiki_xml_feed(pmp_wiki_xml *x, const char *chunk, size_t len, int last, pmp_err *err)
{
    if (x->failed) return pmp_err_setc(err, PMP_E_INTERNAL, "%s: XML parsing already failed", x->name);
    /* xmlParseChunk takes an int size; callers feed chunks far below that */
    int rc = xmlParseChunk(x->ctxt, chunk, (int)len, last);
    if (rc != 0 && !x->failed) {
        x->failed = 1;
        snprintf(x->errmsg, sizeof x->errmsg, "libxml2 error %d", rc);
        x->errline = xmlSAX2GetLineNumber(x->ctxt);
        x->errcol = xmlSAX2GetColumnNumber(x->ctxt);
    }
    if (x->failed) {
        return pmp_err_setc(err, PMP_E_INPUT, "%s: line %d, column %d (XML byte %ld): %s%s",
                           x->name, x->errline, x->errcol, xmlByteConsumed(x->ctxt),
                           x->errkind ? x->errkind : "malformed XML: ", x->errmsg);
    }
    if (last && (x->in_page || x->depth != 0)) {
        x->failed = 1;
        return pmp_err_setc(err, PMP_E_INPUT, "%s: XML byte %ld: input ends inside an element", x->name,
                           xmlByteConsumed(x->ctxt));
    }
    return 0;
}

void pmp_wiki_xml_free(pmp_wiki_xml *x)
{
    if (!x) return;
    /* An internal subset with entity declarations makes libxml2 build a document
     * even in SAX mode ("expat compatibility"), which the context does not own. */
    if (x->ctxt->myDoc) xmlFreeDoc(x->ctxt->myDoc);
    xmlFreeParserCtxt(x->ctxt);
    pmp_buf *bufs[] = {&x->title, &x->page_id, &x->ns, &x->rev_id, &x->ts, &x->user,
                       &x->comment, &x->sha1, &x->text, &x->nsname};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) pmp_buf_free(bufs[i]);
    for (size_t i = 0; i < x->n_names; i++) free(x->names[i].name);
    free(x->names);
    free(x->name);
    free(x);
}

/* stackexchange_xml.c — the <row .../> reader shared by Posts.xml and Votes.xml:
 * libxml2's SAX2 push parser fed with pmp_input chunks, so any compression and
 * any size stream through a fixed buffer.
 *
 * Safety: the data dumps never carry a DOCTYPE, so one is refused outright (the
 * internalSubset callback stops the parser): no entity declarations, hence no
 * entity-expansion bomb and no external entity, and XML_PARSE_NONET without
 * XML_PARSE_DTDLOAD / XML_PARSE_NOENT means nothing is ever fetched or substituted.
 * An undeclared entity reference is a well-formedness error. libxml2 never prints:
 * its errors are captured and returned as "file:line: message".
 */
#include "pmp_stackexchange.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "pmp_input.h"

#define CHUNK (1u << 20)

typedef struct rows_ctx {
    xmlParserCtxtPtr ctxt;
    const char *name;
    pmp_se_row_fn fn;
    void *fn_ctx;
    int depth;
    int saw_root;
    int amp_escaped;   /* this libxml2 hands '&' in attributes over as "&#38;" */
    int saw_content;   /* a byte other than whitespace or the BOM was read */
    uint64_t rows;
    int failed;        /* err holds the message */
    pmp_err *err;
} rows_ctx;

const char *pmp_se_row_attr(const pmp_se_row *row, const char *name, size_t *len)
{
    for (int i = 0; i < row->n_attrs; i++) {
        const unsigned char **a = row->attrs + 5 * i;
        if (!strcmp((const char *)a[0], name) && !a[1]) {
            *len = (size_t)(a[4] - a[3]);
            return (const char *)a[3];
        }
    }
    *len = 0;
    return NULL;
}

const char *pmp_se_row_text(const pmp_se_row *row, const char *name, pmp_buf *scratch,
                            size_t *len)
{
    const char *v = pmp_se_row_attr(row, name, len);
    const char *amp = v && row->amp_escaped ? memchr(v, '&', *len) : NULL;
    if (!amp) return v;
    /* Without entity substitution libxml2 hands SAX2 every '&' of an attribute
     * value as the reference "&#38;" (for a tree builder to re-parse). That is the
     * only way a '&' appears, so replacing each "&#38;" left to right is exact. */
    const char *p = v, *end = v + *len;
    pmp_buf_clear(scratch);
    while (amp) {
        pmp_buf_append(scratch, p, (size_t)(amp - p));
        pmp_buf_appendc(scratch, '&');
        p = amp + ((end - amp >= 5 && !memcmp(amp, "&#38;", 5)) ? 5 : 1);
        amp = memchr(p, '&', (size_t)(end - p));
    }
    pmp_buf_append(scratch, p, (size_t)(end - p));
    *len = scratch->len;
    return scratch->data;
}

static uint64_t cur_line(rows_ctx *c)
{
    return c->ctxt && c->ctxt->input ? (uint64_t)c->ctxt->input->line : 0;
}

static void fail_stop(rows_ctx *c)
{
    c->failed = 1;
    xmlStopParser(c->ctxt);
}

static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attrs,
                     int nb_defaulted, const xmlChar **attrs)
{
    (void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_defaulted;
    rows_ctx *c = ud;
    c->depth++;
    c->saw_root = 1;
    if (c->failed || c->depth != 2 || strcmp((const char *)localname, "row")) return;
    pmp_se_row row = {attrs, nb_attrs, cur_line(c), c->amp_escaped, 0};
    for (int i = 0; i < nb_attrs; i++) row.bytes += (uint64_t)(attrs[5 * i + 4] - attrs[5 * i + 3]);
    c->rows++;
    if (c->fn(c->fn_ctx, &row, c->err) != 0) {
        pmp_err_prefix(c->err, "%s:%llu", c->name, (unsigned long long)row.line);
        fail_stop(c);
    }
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    (void)localname, (void)prefix, (void)uri;
    ((rows_ctx *)ud)->depth--;
}

static void on_internal_subset(void *ud, const xmlChar *name, const xmlChar *ext_id,
                               const xmlChar *sys_id)
{
    (void)name, (void)ext_id, (void)sys_id;
    rows_ctx *c = ud;
    if (c->failed) return;
    pmp_err_setc(c->err, PMP_E_INPUT, "%s:%llu: DOCTYPE declarations are not accepted (a data dump "
                "has none; DTDs and entities are refused for safety)",
                c->name, (unsigned long long)cur_line(c));
    fail_stop(c);
}

static xmlEntityPtr on_get_entity(void *ud, const xmlChar *name)
{
    (void)ud, (void)name;
    return NULL;   /* only the five predefined entities exist */
}

static void on_error(void *ud, xmlErrorPtr e)
{
    rows_ctx *c = ud;
    if (c->failed || !e || e->level < XML_ERR_ERROR) return;
    const char *msg = e->message ? e->message : "XML error";
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    pmp_err_setc(c->err, PMP_E_INPUT, "%s:%d: malformed XML: %.*s", c->name, e->line, (int)n, msg);
    fail_stop(c);
}

static void on_probe(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attrs,
                     int nb_defaulted, const xmlChar **attrs)
{
    (void)localname, (void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_defaulted;
    if (nb_attrs == 1)
        *(int *)ud = attrs[4] - attrs[3] == 5 && !memcmp(attrs[3], "&#38;", 5);
}

/* Whether this libxml2 (without entity substitution) passes '&' in attribute
 * values to SAX2 as "&#38;" (2.9 does; a later version might decode it fully),
 * asked of the library itself rather than assumed. */
static int probe_amp_escaping(void)
{
    static const char doc[] = "<r a=\"&amp;\"/>";
    int escaped = 1;
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_probe;
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, &escaped, NULL, 0, NULL);
    if (!ctxt) return 1;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    xmlParseChunk(ctxt, doc, (int)sizeof doc - 1, 1);
    xmlFreeParserCtxt(ctxt);
    return escaped;
}

int pmp_se_read_rows(const char *path, pmp_se_row_fn fn, void *ctx,
                     void (*on_progress)(void *ctx, uint64_t bytes, uint64_t rows),
                     void *progress_ctx, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err) != 0) return -1;
    rows_ctx c = {.name = pmp_input_name(in), .fn = fn, .fn_ctx = ctx, .err = err,
                  .amp_escaped = probe_amp_escaping()};

    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.internalSubset = on_internal_subset;
    sax.getEntity = on_get_entity;
    sax.getParameterEntity = on_get_entity;
    sax.serror = on_error;

    c.ctxt = xmlCreatePushParserCtxt(&sax, &c, NULL, 0, c.name);
    if (!c.ctxt) {
        pmp_input_close(in);
        return pmp_err_setc(err, PMP_E_INTERNAL, "%s: cannot create an XML parser", c.name);
    }
    /* XML_PARSE_HUGE: an attribute value of 10 MB (libxml2's default limit) up to 1 GB
     * is read, so an over-long row is one bad row (PMP_SE_MAX_ROW_BYTES), not the end of
     * the file. Safe here: with no DOCTYPE there is no entity to amplify. */
    xmlCtxtUseOptions(c.ctxt, XML_PARSE_NONET | XML_PARSE_HUGE);

    char *buf = pmp_xmalloc(CHUNK);
    int rc = 0;
    uint64_t last_rows = 0;
    for (;;) {
        ssize_t n = pmp_input_read(in, buf, CHUNK, err);
        if (n < 0) {
            rc = -1;
            break;
        }
        for (ssize_t i = 0; i < n && !c.saw_content; i++) {
            unsigned char b = (unsigned char)buf[i];
            c.saw_content = !(b == ' ' || b == '\n' || b == '\r' || b == '\t' ||
                              b == 0xEF || b == 0xBB || b == 0xBF);
        }
        xmlParseChunk(c.ctxt, buf, (int)n, n == 0);
        if (c.failed && !c.saw_content && !c.saw_root) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s: empty input (no XML document)", c.name);
            break;
        }
        if (c.failed) {
            rc = -1;
            break;
        }
        if (!c.ctxt->wellFormed) {
            /* An error the handler did not see (should not happen): still fail. */
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: malformed XML", c.name,
                             (unsigned long long)cur_line(&c));
            break;
        }
        if (on_progress && c.rows != last_rows) {
            on_progress(progress_ctx, pmp_input_decoded(in), c.rows);
            last_rows = c.rows;
        }
        if (n == 0) break;
    }
    free(buf);
    xmlFreeParserCtxt(c.ctxt);
    pmp_input_close(in);
    return rc;
}

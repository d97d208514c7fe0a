/* sax_baseline.c — the peer for the XML extractors (stackexchange, wikipedia): a bare
 * libxml2 SAX2 push parse of the same XML, fed the same way (pmp_input chunks
 * of the same size), with callbacks that only count. --decode-only skips the
 * parse to show what decompression alone costs.
 *
 * usage: bench_sax_baseline [--decode-only] FILE
 * prints: bytes elements characters seconds
 */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_input.h"

typedef struct counts {
    unsigned long long elements, chars;
} counts;

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nss, int nb_attrs, int nb_defaulted,
                     const xmlChar **attrs)
{
    (void)name, (void)prefix, (void)uri, (void)nb_ns, (void)nss, (void)nb_attrs;
    (void)nb_defaulted, (void)attrs;
    ((counts *)ctx)->elements++;
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    (void)ch;
    ((counts *)ctx)->chars += (unsigned long long)len;
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    if (e->level >= XML_ERR_ERROR) {
        fprintf(stderr, "bench_sax_baseline: line %d: %s", e->line, e->message);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int decode_only = argc == 3 && !strcmp(argv[1], "--decode-only");
    if (argc != 2 + decode_only) {
        fprintf(stderr, "usage: bench_sax_baseline [--decode-only] FILE\n");
        return 2;
    }
    const char *path = argv[1 + decode_only];
    pmp_err err;
    pmp_input *in;
    if (pmp_input_open(&in, path, &err) < 0) {
        fprintf(stderr, "bench_sax_baseline: %s\n", err.msg);
        return 1;
    }
    double t0 = pmp_now();
    counts c = {0, 0};
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.characters = on_chars;
    h.serror = on_error;
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&h, &c, NULL, 0, path);
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    enum { CHUNK = 1 << 18 };   /* the chunk size pmp-extract wikipedia uses */
    char *buf = malloc(CHUNK);
    unsigned long long bytes = 0;
    ssize_t n;
    do {
        n = pmp_input_read(in, buf, CHUNK, &err);
        if (n < 0) {
            fprintf(stderr, "bench_sax_baseline: %s\n", err.msg);
            return 1;
        }
        bytes += (unsigned long long)n;
        if (!decode_only && xmlParseChunk(ctxt, buf, (int)n, n == 0) != 0) {
            fprintf(stderr, "bench_sax_baseline: parse error\n");
            return 1;
        }
    } while (n > 0);
    printf("%llu %llu %llu %.3f\n", bytes, c.elements, c.chars, pmp_now() - t0);
    xmlFreeParserCtxt(ctxt);
    pmp_input_close(in);
    free(buf);
    return 0;
}

/* sax_baseline.c — the peer for bench/stackexchange: a bare libxml2 SAX2 push
 * parse of a file (same parser, options and chunk size as pmp-extract
 * stackexchange, a handler that only counts <row> elements), so the ratio
 * pmp / baseline says how much our work costs on top of XML parsing itself. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

static unsigned long long rows;

static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attrs,
                     int nb_defaulted, const xmlChar **attrs)
{
    (void)ud, (void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_attrs;
    (void)nb_defaulted, (void)attrs;
    if (localname[0] == 'r') rows++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sax_baseline Posts.xml\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, argv[1]);
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    ssize_t n;
    int rc = 0;
    while ((n = read(fd, buf, cap)) > 0)
        if (xmlParseChunk(ctxt, buf, (int)n, 0) != 0) break;
    xmlParseChunk(ctxt, NULL, 0, 1);
    if (!ctxt->wellFormed) {
        fprintf(stderr, "%s: not well-formed\n", argv[1]);
        rc = 1;
    }
    printf("rows=%llu\n", rows);
    xmlFreeParserCtxt(ctxt);
    free(buf);
    close(fd);
    return rc;
}

/* fuzz_xml.h — for the targets that parse XML with libxml2: its external entity
 * loader replaced by one that aborts, so that any attempt to load a DTD or an
 * external entity (XXE) is a crash. */
#ifndef PMP_FUZZ_XML_H
#define PMP_FUZZ_XML_H

#include <stdio.h>
#include <stdlib.h>

/* From <libxml/parser.h> (whose include path the fuzz targets do not have):
 * the loader's argument and result types are pointers. */
typedef void *(*fuzz_xml_ext_loader)(const char *url, const char *id, void *ctxt);
void xmlSetExternalEntityLoader(fuzz_xml_ext_loader f);

static const char *fuzz_xml_target = "fuzz";

static inline void *fuzz_no_external_entities(const char *url, const char *id, void *ctxt)
{
    (void)ctxt;
    fprintf(stderr, "%s: libxml2 tried to load an external entity (url %s, id %s)\n",
            fuzz_xml_target, url ? url : "-", id ? id : "-");
    abort();
}

/* Installs the aborting loader; TARGET_NAME heads its message. */
static inline void fuzz_block_external_entities(const char *target_name)
{
    fuzz_xml_target = target_name;
    xmlSetExternalEntityLoader(fuzz_no_external_entities);
}

#endif

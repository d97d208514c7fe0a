/* libFuzzer target, one per source of pipeline/extract/sources.list: fuzz_source_NAME
 * is this file built with PMP_FUZZ_SOURCE="NAME" (tests/fuzz/CMakeLists.txt), so a new
 * source is fuzzed from the day it is listed, through the interface every source has
 * (pmp_extract.h), with its default options. Seeds: samples/NAME/.
 *
 * The input is written to a file in this process's scratch directory (fuzz_dir) and
 * extracted by the source's run() into a group file read back. Oracles: a failure
 * comes with a message; whatever the outcome, every line written reads back as a
 * valid group of that source (pmp_group_reader validates each record), and the
 * report names at most PMP_EXTRACT_MAX_STATS stats, each with a key. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pmp_extract.h"

#ifndef PMP_FUZZ_SOURCE
#error "build with -DPMP_FUZZ_SOURCE=\"NAME\""
#endif

static char in_path[320], out_path[320];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const pmp_source *src = pmp_extract_find(PMP_FUZZ_SOURCE);
    FUZZ_CHECK(src != NULL);
    if (!in_path[0]) {
        const char *dir = fuzz_dir("source-" PMP_FUZZ_SOURCE);
        snprintf(in_path, sizeof in_path, "%s/in", dir);
        snprintf(out_path, sizeof out_path, "%s/out.jsonl", dir);
    }
    fuzz_write(in_path, data, size);

    void *state = calloc(1, src->state_size);
    FUZZ_CHECK(state != NULL);
    src->init(state);
    const char *paths[] = {in_path};
    pmp_err err = {0};
    pmp_group_writer *w;
    FUZZ_CHECK(pmp_group_writer_open(&w, out_path, &err) == 0);
    pmp_extract_sink sink = {w, NULL, NULL};
    int rc = src->run(state, paths, 1, &sink, &err);
    FUZZ_CHECK(rc == 0 || err.msg[0]);
    pmp_err werr;
    FUZZ_CHECK(pmp_group_writer_close(w, &werr) == 0);

    pmp_extract_report *rep = calloc(1, sizeof *rep);
    FUZZ_CHECK(rep != NULL);
    src->report(state, in_path, 1.0, rep);
    FUZZ_CHECK(rep->n <= PMP_EXTRACT_MAX_STATS);
    for (size_t i = 0; i < rep->n; i++) FUZZ_CHECK(rep->stat[i].key[0]);
    free(rep);
    if (src->free) src->free(state);
    free(state);

    pmp_group_reader *rd;
    FUZZ_CHECK(pmp_group_reader_open(&rd, out_path, 0, &err) == 0);
    pmp_group g;
    pmp_group_init(&g);
    int r;
    while ((r = pmp_group_reader_next(rd, &g, &err)) == 1) FUZZ_CHECK(!strcmp(g.source, src->name));
    FUZZ_CHECK(r == 0);
    pmp_group_clear(&g);
    pmp_group_reader_close(rd);
    return 0;
}

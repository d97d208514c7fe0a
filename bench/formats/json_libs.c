/* json_libs.c — one JSON library on a JSONL file: parse every line and read its
 * string fields, as the group reader does. Prints MB/s (median of 7 runs).
 * Built twice, against json-c and against jansson (the two cannot share a
 * binary: both export json_object_get); json_libs.sh runs both. */
#include <stdio.h>
#include <stdlib.h>

#include "pmp_common.h"
#include "pmp_input.h"

size_t parse_all(const char *data, const size_t *ends, size_t nlines);

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.jsonl[.gz|.zst]\n", argv[0]);
        return 2;
    }
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, argv[1], &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 77;   /* shared data absent: skip */
    }
    pmp_buf all = PMP_BUF_INIT;
    size_t *ends = NULL, nlines = 0, cap = 0;
    const char *line;
    size_t len;
    while (pmp_input_line(in, &line, &len, &err) == 1) {
        pmp_buf_append(&all, line, len);
        if (nlines == cap) ends = pmp_xrealloc(ends, (cap = cap ? cap * 2 : 1024) * sizeof *ends);
        ends[nlines++] = all.len;
    }
    pmp_input_close(in);
    double mb = (double)all.len / 1e6, t[7];
    size_t sink = 0;
    for (int r = 0; r < 7; r++) {
        double t0 = pmp_now();
        sink = parse_all(all.data, ends, nlines);
        t[r] = pmp_now() - t0;
        if (sink == (size_t)-1) {
            fprintf(stderr, "a line does not parse\n");
            return 1;
        }
    }
    qsort(t, 7, sizeof t[0], cmp);
    printf("%.1f MB/s  (%.1f MB, %zu lines, %zu string bytes; median of 7)\n", mb / t[3], mb,
           nlines, sink);
    free(ends);
    pmp_buf_free(&all);
    return 0;
}

/* pmp_extract.h — the extractor interface: a public dump in, comparison groups out
 * (records: docs/records.md; adding a source: docs/sources.md).
 *
 * Every source (the list: sources.list) is a room extract/sources/NAME/ with two
 * faces, both the same shape for every source:
 *  - its extractor, declared in its public header pmp_NAME.h with its own prefix P
 *    (pmp_hh_, pmp_se_, pmp_reddit_, pmp_wiki_): a P_options struct, its documented
 *    defaults from P_options_init(), and one push function over any number of inputs,
 *        int P_extract(const P_options *o, const char *const *paths, size_t n_paths,
 *                      const pmp_extract_sink *sink, P_stats *st, pmp_err *err);
 *    that reads the inputs in order ("-" = standard input), pushes groups to
 *    sink->writer and progress to pmp_extract_progress(), and leaves in *st the stats
 *    summed over the inputs, also after a failure (errors name the file and its
 *    line or offset);
 *  - its command, `const pmp_source pmp_source_NAME` (source_NAME.c): flags, help
 *    and the stats report around P_extract().
 * The pmp-extract driver (extract.c) does the rest once for all of them: flags,
 * --help, input arguments ("-" at most once), the group writer, progress,
 * --quiet/--json and the error-to-exit-status mapping. Its table of sources is
 * generated from sources.list (extract_sources.c in the build directory).
 */
#ifndef PMP_EXTRACT_H
#define PMP_EXTRACT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_group.h"

/* What a run writes to: the group writer (stdout), and a progress callback the
 * source calls as it reads (cheap to call per record; rate-limited by the driver). */
typedef struct pmp_extract_sink {
    pmp_group_writer *writer;
    void (*progress)(void *ctx, uint64_t in_bytes, uint64_t items, const char *unit);
    void *ctx;
} pmp_extract_sink;

/* Progress from a source's extractor: input bytes read so far, items (lines, rows,
 * groups: unit) read so far. Cheap; sink->progress may be NULL (tests, fuzz targets). */
void pmp_extract_progress(const pmp_extract_sink *sink, uint64_t in_bytes, uint64_t items,
                          const char *unit);

/* A source's stats: named counters in the order they are reported (the keys of
 * the --json summary), plus at most one warning for the user. Keys are copied. */
#define PMP_EXTRACT_MAX_STATS 48
typedef struct pmp_extract_stat {
    char key[48];
    double num;
    const char *str;   /* non-NULL: a string stat (points into the source's state) */
} pmp_extract_stat;

typedef struct pmp_extract_report {
    pmp_extract_stat stat[PMP_EXTRACT_MAX_STATS];
    size_t n;
    char warning[256];  /* "" = none */
} pmp_extract_report;

void pmp_extract_report_num(pmp_extract_report *r, const char *key, double v);
void pmp_extract_report_str(pmp_extract_report *r, const char *key, const char *v);

typedef struct pmp_source {
    const char *name;       /* "reddit": the subcommand */
    const char *summary;    /* one line for `pmp-extract --help` */
    const char *usage;      /* the full `pmp-extract NAME --help` text, with an example */
    /* The source's own long options ({0}-terminated), ids from PMP_OPT_FIRST_FREE;
     * the driver adds the common ones (-h, -q, --json, --version). */
    const struct option *options;
    size_t state_size;      /* bytes of the source's state: its options and stats */
    void (*init)(void *state);    /* the documented defaults */
    /* One option; a bad value is a PMP_E_USAGE error whose message names the flag. */
    int (*set)(void *state, int id, const char *arg, pmp_err *err);
    /* The positional arguments -> the inputs in reading order (*paths: args itself or
     * storage in the state). NULL: the FILEs as given, "-" (standard input) when there
     * are none. The driver then refuses "-" more than once. Errors are PMP_E_USAGE. */
    int (*inputs)(void *state, int n, char *const *args, const char *const **paths,
                  size_t *n_paths, pmp_err *err);
    /* Calls the source's P_extract() with the options and stats in the state (the
     * stats stay there, so the summary reports how far a failed run got). */
    int (*run)(void *state, const char *const *paths, size_t n_paths,
               const pmp_extract_sink *sink, pmp_err *err);
    /* input: the inputs for the summary, one path or "a + b + ...". */
    void (*report)(const void *state, const char *input, double seconds, pmp_extract_report *r);
    void (*free)(void *state);    /* may be NULL */
} pmp_source;

/* Adds a stats struct made only of uint64_t counters (every source's) to a total:
 * how a source sums its per-input stats. */
void pmp_extract_add_counts(void *total, const void *part, size_t size);
/* Put beside every struct summed that way: checks what C can (size and alignment of
 * a uint64_t array; a double field would still pass, so keep them all uint64_t). */
#define PMP_EXTRACT_COUNTS(T)                                                             \
    _Static_assert(sizeof(T) % sizeof(uint64_t) == 0 && _Alignof(T) == _Alignof(uint64_t), \
                   #T " is summed as uint64_t[] by pmp_extract_add_counts")

/* The table of sources, in `--help` order: sources.list's. */
const pmp_source *const *pmp_extract_sources(size_t *n);
const pmp_source *pmp_extract_find(const char *name);

/* `pmp-extract SOURCE ...` for one source: argv[0] is the source's name. Returns
 * the exit status (0 ok, 1 bad input or I/O, 2 usage). */
int pmp_extract_main(const pmp_source *src, int argc, char **argv);

#endif

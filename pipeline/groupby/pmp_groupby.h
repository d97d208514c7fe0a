/* pmp_groupby.h — external group-by: bring together records that share a key
 * when the input is far larger than memory.
 *
 * Records (key, value) are added in any order. Up to mem_budget bytes are held in
 * memory; beyond that, the held records are sorted and spilled to a run file in
 * tmpdir, and at the end the runs are merged. Records come back ordered by key
 * (memcmp order, shorter key first on a common prefix) and, for equal keys, in the
 * order they were added — so the output is the same for every mem_budget.
 * Callers that want numeric order encode numbers big-endian (pmp_groupby_key_u64).
 * Run files are unlinked as soon as they are created-and-opened, so nothing is
 * left behind if the process dies. The descriptors held stay within a share of
 * RLIMIT_NOFILE (taken at open; runs are merged while adding when they would
 * exceed it), so any input size works under an ordinary `ulimit -n`.
 */
#ifndef PMP_GROUPBY_H
#define PMP_GROUPBY_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

typedef struct pmp_groupby pmp_groupby;

/* tmpdir NULL means $TMPDIR, else /tmp. */
int pmp_groupby_open(pmp_groupby **out, uint64_t mem_budget, const char *tmpdir,
                     pmp_err *err);
int pmp_groupby_add(pmp_groupby *g, const void *key, size_t klen,
                    const void *val, size_t vlen, pmp_err *err);
/* Compresses run files with zstd at this level (0: plain, the default), before the
 * first add: the temporary disk shrinks 2.3-2.5x on the extractors' records, for
 * about 7 CPU-s per GB of runs at level 1 (docs/scaling.md). */
int pmp_groupby_compress_runs(pmp_groupby *g, int level, pmp_err *err);
/* Ends the adding phase. */
int pmp_groupby_finish(pmp_groupby *g, pmp_err *err);
/* Next record in (key, insertion) order; pointers valid until the next call.
 * Returns 1, 0 at the end, -1 on error. */
int pmp_groupby_next(pmp_groupby *g, const void **key, size_t *klen,
                     const void **val, size_t *vlen, pmp_err *err);
/* Number of run files written so far, spills and merges (for stats and tests). */
uint64_t pmp_groupby_runs(const pmp_groupby *g);
/* Bytes written to run files so far, and the most held on disk at once. */
uint64_t pmp_groupby_spill_bytes(const pmp_groupby *g);
uint64_t pmp_groupby_spill_peak(const pmp_groupby *g);
/* Descriptors this group-by may hold (its share of RLIMIT_NOFILE). */
size_t pmp_groupby_max_open(const pmp_groupby *g);
void pmp_groupby_close(pmp_groupby *g);

/* The temporary directory: tmpdir, or $TMPDIR when NULL or empty, else /tmp; checked
 * to be a directory (PMP_E_* otherwise). */
int pmp_groupby_tmpdir(const char *tmpdir, const char **resolved, pmp_err *err);
/* A new file in the directory tmpdir (resolved by pmp_groupby_tmpdir), unlinked at once:
 * its data lives as long as the descriptor returned (read-write), so nothing is left
 * behind however the process ends. -1 on error. Other spills (pmp-dedup's) use it too. */
int pmp_groupby_tmpfile(const char *tmpdir, pmp_err *err);

/* Writes v big-endian into out[8], so that memcmp order is numeric order. */
void pmp_groupby_key_u64(unsigned char out[8], uint64_t v);

#endif

/* loader.h — ranked pairs from a shard directory (pmp-tokenize's output),
 * in a shuffled order that is a pure function of (seed, epoch).
 *
 * The order is a full permutation of all pairs, computed on demand: position i
 * of epoch e maps to pair pmp_loader_permute(seed, e, n, i), a keyed Feistel
 * network over the next power of four >= n with cycle-walking. It needs no
 * memory, so a 100-million-pair directory shuffles as well as a small one, and
 * the data cursor saved in a checkpoint is just (epoch, position).
 */
#ifndef PMP_LOADER_H
#define PMP_LOADER_H

#include <stdint.h>

#include "pmp_common.h"
#include "pmp_shard.h"

typedef struct pmp_loader pmp_loader;

/* A pair's tokens (in a text directory, pmp-tokenize --text, the items are documents:
 * ctx holds the document, n_better = n_worse = 0); pointers are valid until the next call on the loader. ctx,
 * better and worse lie one after another in one buffer, in that order (so ctx with
 * n_ctx + n_better tokens is the context followed by the better response). */
typedef struct pmp_pair_view {
    const int32_t *ctx, *better, *worse;
    int n_ctx, n_better, n_worse;
    uint32_t orig_better, orig_worse;   /* response lengths before truncation */
    /* where the pair comes from (not NUL-terminated; a response id has length 0 when
     * absent), so results can be joined back to the input groups */
    const char *group_id, *better_id, *worse_id;
    size_t group_id_len, better_id_len, worse_id_len;
    uint32_t better_index, worse_index;  /* response indices within the group */
    double better_score, worse_score;    /* the responses' scores (0 for a document) */
} pmp_pair_view;

/* Opens DIR: its manifest must be complete; every listed shard is opened and its
 * index checked. */
int pmp_loader_open(pmp_loader **out, const char *dir, pmp_err *err);
void pmp_loader_close(pmp_loader *l);

/* Usable pairs: all of the directory's, or after pmp_loader_subsample the
 * subsample's. Every other call (get, the shuffle over [0, pairs)) works on them. */
uint64_t pmp_loader_pairs(const pmp_loader *l);
/* Groups the usable pairs come from (groups without pairs not counted). */
uint64_t pmp_loader_groups(const pmp_loader *l);
/* 1 for a text directory (pmp-tokenize --text): every "pair" below is a document, every
 * group one document, and only the lm objective can train on it. */
int pmp_loader_is_text(const pmp_loader *l);
/* All pairs of the directory, whatever the subsample. */
uint64_t pmp_loader_all_pairs(const pmp_loader *l);
/* Storage ordinal (0 .. all_pairs-1, manifest shard order) of usable pair k. */
uint64_t pmp_loader_pair_ordinal(const pmp_loader *l, uint64_t k);

/* Restricts the usable pairs to a seeded subsample of max_pairs pairs (all of them
 * when the directory has fewer), chosen by whole groups: group number g (its
 * ordinal over the directory's groups, in manifest shard order, counting groups
 * without pairs) gets the key pmp_loader_group_key(seed, g); groups are taken in
 * increasing (key, g) order, all of a group's pairs at once, and the last group
 * taken is cut to its first pairs (storage order) so the total is exactly
 * max_pairs. A pure function of (seed, max_pairs, the directory), and nested: the
 * subsample of n pairs is contained in that of any m > n. The usable pairs stay in
 * storage order. At most once per loader; max_pairs >= 1. One pass over the
 * shards' blocks. */
int pmp_loader_subsample(pmp_loader *l, uint64_t seed, uint64_t max_pairs, pmp_err *err);
/* splitmix64(seed ^ splitmix64(group + golden ratio)). */
uint64_t pmp_loader_group_key(uint64_t seed, uint64_t group);
const char *pmp_loader_tokenizer_identity(const pmp_loader *l);
/* The directory's manifest (its tokenizer record: pmp_bpe_load_for_manifest). */
const pmp_manifest *pmp_loader_manifest(const pmp_loader *l);

/* Usable pair number k in storage order (0 <= k < pmp_loader_pairs). */
int pmp_loader_get(pmp_loader *l, uint64_t k, pmp_pair_view *v, pmp_err *err);

/* The shuffle: a bijection of [0, n) chosen by (seed, epoch). */
uint64_t pmp_loader_permute(uint64_t seed, uint64_t epoch, uint64_t n, uint64_t i);

/* ---------- several shard directories mixed by weight (mixture.c; docs/train.md,
 * "Mixing sources").
 *
 * Position q of the run's pair stream (q = step * batch_pairs + j) is a pure function of
 * (seed, the weights, the sources' sizes, q):
 *   union mode (no weights, or weights proportional to the sources' pair counts): the
 *     sources are one directory of N = sum n_k pairs, concatenated in order, shuffled as
 *     one (pmp_loader_permute(seed, q / N, N, q % N)) — exactly what `pmp-shard merge`
 *     of the same directories trains on;
 *   weighted mode: source k is drawn with probability w_k / sum w (a hash of (seed, q),
 *     independently per position: sampling with replacement among sources), and its
 *     c-th draw (c counted from q = 0) is position c of source k's own endless shuffled
 *     stream, pmp_loader_permute(seed_k, c / n_k, n_k, c % n_k). Source k's epoch is
 *     its count over n_k.
 * The counts make a mixer sequential: pmp_mix_seek then pmp_mix_next for every
 * position in order (each rank walks every position of a step, and keeps its share). */
typedef struct pmp_mix pmp_mix;

/* The loaders stay the caller's (open while the mixer is used); weights NULL = by size. */
pmp_mix *pmp_mix_new(pmp_loader **sources, const double *weights, size_t n, uint64_t seed);
/* The same over sources of these sizes (> 0) without loaders (pmp_mix_source is NULL). */
pmp_mix *pmp_mix_new_sizes(const uint64_t *sizes, const double *weights, size_t n, uint64_t seed);
void pmp_mix_free(pmp_mix *m);
int pmp_mix_weighted(const pmp_mix *m);   /* 0 = union mode */
size_t pmp_mix_sources(const pmp_mix *m);
pmp_loader *pmp_mix_source(const pmp_mix *m, size_t k);
/* Replays the draws of positions [0, q) (weighted mode: counts; a hash per position). */
void pmp_mix_seek(pmp_mix *m, uint64_t q);
/* The next position's source and its pair there. */
void pmp_mix_next(pmp_mix *m, size_t *source, uint64_t *pair);
/* Pairs drawn from source k so far (positions before the next one). */
uint64_t pmp_mix_count(const pmp_mix *m, size_t k);

#endif

/* pmp_manifest.h — manifest.json of a shard directory (docs/shards.md,
 * "manifest"): tokenizer identity, pairing policy, the complete shards with
 * their counts and checksums, cumulative stats, and the input cursor that
 * --resume continues from. Written deterministically (no times, fixed key
 * order) so an interrupted and resumed run produces the same bytes. */
#ifndef PMP_MANIFEST_H
#define PMP_MANIFEST_H

#include <stdint.h>

#include "pmp_common.h"

#define PMP_MANIFEST_NAME "manifest.json"

/* Cumulative stats over the listed shards (X-macro: one list for the struct,
 * the writer and the reader). */
#define PMP_MANIFEST_STATS(X)                                                      \
    X(groups) X(groups_without_pairs) X(pairs) X(tokens) X(responses)              \
    X(context_tokens) X(response_tokens) X(contexts_truncated)                     \
    X(responses_truncated) X(context_tokens_dropped) X(response_tokens_dropped)    \
    X(pair_candidates) X(pairs_dropped_gap) X(pairs_dropped_time)                 \
    X(pairs_dropped_cap)

typedef struct pmp_manifest_source {
    char *name;
    uint64_t groups;
} pmp_manifest_source;

typedef struct pmp_manifest_stats {
#define PMP_MS_FIELD(n) uint64_t n;
    PMP_MANIFEST_STATS(PMP_MS_FIELD)
#undef PMP_MS_FIELD
    pmp_manifest_source *sources;   /* sorted by name */
    size_t n_sources;
} pmp_manifest_stats;

void pmp_manifest_stats_add_source(pmp_manifest_stats *s, const char *name, size_t len,
                                   uint64_t groups);
/* dst += src (sources merged). */
void pmp_manifest_stats_add(pmp_manifest_stats *dst, const pmp_manifest_stats *src);
void pmp_manifest_stats_free(pmp_manifest_stats *s);

typedef struct pmp_manifest_shard {
    char *name;          /* file name, relative to the manifest's directory */
    uint64_t bytes, blocks, groups, pairs, tokens, groups_without_pairs;
    uint64_t xxh64;      /* of the whole file */
} pmp_manifest_shard;

typedef struct pmp_manifest_policy {
    uint64_t max_pairs_per_group;
    double min_score_gap;
    int time_rule;
    uint64_t max_context_tokens;    /* 0 = no limit */
    uint64_t max_response_tokens;
    uint64_t shard_size;            /* bytes of tokens (4 per token) */
    double eval_fraction;
    uint64_t eval_fold;             /* eval = groups hashing into fold K of width eval_fraction */
    int zstd_level;
} pmp_manifest_policy;

typedef struct pmp_manifest {
    int complete;
    char *split;                    /* "train" or "eval" */
    char *tok_identity, *tok_path, *tok_kind, *tok_pattern;
    uint64_t tok_vocab_size;
    pmp_manifest_policy policy;
    char *input_path;
    uint64_t input_cursor;          /* input groups [0, cursor) of this split are in the shards */
    uint64_t input_groups;          /* when complete: all groups read from the input */
    uint64_t input_bad_lines;       /* when complete: lines skipped (--skip-bad) */
    pmp_manifest_stats stats;
    pmp_manifest_shard *shards;
    size_t n_shards, cap_shards;
} pmp_manifest;

void pmp_manifest_init(pmp_manifest *m);
void pmp_manifest_free(pmp_manifest *m);
pmp_manifest_shard *pmp_manifest_add_shard(pmp_manifest *m, const char *name);
void pmp_manifest_to_json(pmp_buf *out, const pmp_manifest *m);
/* Writes DIR/manifest.json atomically (tmp + fsync + rename + dir fsync). */
int pmp_manifest_save(const pmp_manifest *m, const char *dir, pmp_err *err);
/* Loads DIR/manifest.json. Returns 1 loaded, 0 absent, -1 error. */
int pmp_manifest_load(pmp_manifest *m, const char *dir, pmp_err *err);
/* 0 if equal, else -1 with the first difference in err. */
int pmp_manifest_policy_cmp(const pmp_manifest_policy *a, const pmp_manifest_policy *b,
                            pmp_err *err);

/* Verifies every listed shard of DIR: size and whole-file xxHash64 against the
 * manifest (quick), or with full=1 also every block and record
 * (pmp_shard_verify) and the counts. Errors name the shard (and block). */
int pmp_manifest_verify(const pmp_manifest *m, const char *dir, int full, pmp_err *err);

#endif

/* pmp_tokenize.h — group JSONL -> tokenized ranked-pair shards (the library
 * behind pmp-tokenize; CLI and policy: docs/tokenize.md).
 *
 * Groups are read in batches, tokenized in parallel (OpenMP, one BPE scratch
 * per thread), then truncated, paired, split and appended serially in input
 * order, so the output is byte-identical for any thread count. Each shard is
 * committed durably before the manifest that lists it; --resume continues from
 * the manifests' input cursors and finishes with the same bytes as an
 * uninterrupted run.
 */
#ifndef PMP_TOKENIZE_H
#define PMP_TOKENIZE_H

#include <stdint.h>

#include "pmp_common.h"
#include "pmp_shard.h"

typedef struct pmp_tokenize_opts {
    const char *tokenizer;      /* path given to pmp_bpe_load */
    const char *pattern;        /* NULL = the tokenizer's own */
    const char *input;          /* path or "-" (when n_inputs is 0) */
    /* Several inputs, read in this order as one stream of groups: input ordinals,
     * the --resume cursor and the manifest's prefix hash run over their
     * concatenation. "-" at most once. */
    const char *const *inputs;
    size_t n_inputs;
    const char *out_dir;
    pmp_manifest_policy policy; /* pmp_tokenize_opts_default fills it */
    int threads;                /* 0 = OpenMP default */
    int resume, force, skip_bad;
    int allow_empty;            /* else an input without any group is an error */
    size_t max_line_bytes;      /* longer lines: error, or bad_lines with skip_bad (64 MiB) */
    size_t batch_groups;        /* default 4096 */
    /* Progress (may be NULL): input bytes consumed, groups read. */
    void (*progress)(void *ctx, uint64_t in_bytes, uint64_t groups);
    void *ctx;
} pmp_tokenize_opts;

typedef struct pmp_tokenize_result {
    uint64_t groups_read;       /* valid groups in the input */
    uint64_t groups_skipped_resume;
    uint64_t bad_lines;
    uint64_t groups_without_split_key;   /* split by their id instead (docs/tokenize.md) */
    uint64_t input_bytes;       /* decoded JSONL bytes */
    uint64_t text_bytes;        /* context + response bytes tokenized this run */
    uint64_t shards_written;    /* this run, all splits */
    /* --text (policy.text_chunk_tokens > 0), this run: non-empty texts read, those seen
     * before (dropped), records written, tokens of one-token chunks dropped */
    uint64_t texts, texts_duplicate, documents, text_tokens_dropped;
    uint64_t train_groups, train_pairs, train_tokens;   /* final totals of the split */
    uint64_t eval_groups, eval_pairs, eval_tokens;
    double encode_seconds;      /* wall time inside the parallel encode */
    double parse_seconds;       /* wall time inside the parallel JSON parse */
    double write_seconds;       /* serial: pairing, records, compression, shard writes */
    int threads;
    int already_complete;
} pmp_tokenize_result;

void pmp_tokenize_opts_default(pmp_tokenize_opts *o);
int pmp_tokenize_run(const pmp_tokenize_opts *o, pmp_tokenize_result *res, pmp_err *err);

/* ---- the output directory (tokenize_dir.c) ---- */

/* The lock file pmp-tokenize holds (flock) in its output directory while it runs. */
#define PMP_TOKENIZE_LOCK_NAME ".lock"
/* 1 if dir exists and holds any entry but the lock file, 0 if absent or empty, -1 on
 * error. */
int pmp_tokenize_dir_nonempty(const char *dir, pmp_err *err);

/* ---- a set of distinct texts (tokenize_text.c): --text keeps the first occurrence
 * of each text; pmp-shard leaks finds the keys and contexts both splits hold ---- */

typedef struct pmp_text_set pmp_text_set;
pmp_text_set *pmp_text_set_new(void);
void pmp_text_set_free(pmp_text_set *s);
/* 1 if the text was new (now added), 0 if seen before. */
int pmp_text_set_add(pmp_text_set *s, const char *text, size_t len);
/* 1 if the text is in the set (nothing is added). */
int pmp_text_set_has(const pmp_text_set *s, const char *text, size_t len);
size_t pmp_text_set_size(const pmp_text_set *s);

#endif

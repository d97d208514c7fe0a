/* pmp_dedup.h — data hygiene for group JSONL (the library behind pmp-dedup;
 * docs/dedup.md): exact duplicates, near duplicates and decontamination against
 * evaluation sets, in one streaming pass; past half of the memory budget, rules 3 and 4
 * are decided from sorted runs on disk at the end of the input (the external mode), with
 * the same output byte for byte.
 *
 * Every text is normalised the same way before it is compared: Unicode NFC, case
 * folded (utf8proc), whitespace runs taken as one space, leading and trailing
 * whitespace ignored. The output keeps the original text: normalisation is for
 * hashing only. Words are maximal runs of letters, marks and digits (Unicode
 * categories L*, M*, N*) of the normalised text; punctuation separates words.
 *
 * Per group, in input order, the first rule that applies decides:
 *  1. responses whose normalised text equals an earlier response of the same group
 *     are dropped from it; a group left with fewer than 2 responses is dropped;
 *  2. contaminated: a text of the group (its context followed by a response, for each
 *     response) shares a word n-gram (default 13) with an evaluation text, or, when
 *     shorter than n words, equals one word for word: dropped;
 *  3. exact duplicate: the normalised context and set of response texts equal those
 *     of an earlier group: dropped;
 *  4. near duplicate: the word-shingle set of the context followed by the best
 *     response (highest score, first on ties) has a MinHash-estimated Jaccard
 *     similarity >= near with a group kept earlier (LSH banding finds candidates):
 *     dropped. Keep-first in input order.
 * Groups are analysed in parallel batches (OpenMP) and decided serially in input
 * order, so the output is byte-identical for any thread count.
 *
 * A group that is kept unchanged is written as the very bytes it was read as
 * (fields this library does not know survive); a group that lost a response is
 * re-serialised with pmp_group_to_json.
 */
#ifndef PMP_DEDUP_H
#define PMP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

#define PMP_DEDUP_DEFAULT_NEAR 0.8
#define PMP_DEDUP_DEFAULT_SHINGLE 5
#define PMP_DEDUP_DEFAULT_PERMS 192
#define PMP_DEDUP_DEFAULT_NGRAM 13
#define PMP_DEDUP_MAX_PERMS 1024

typedef struct pmp_dedup_opts {
    double near;                /* Jaccard threshold in (0, 1]; 0 = no near-duplicate pass */
    unsigned shingle_words;     /* words per shingle (default 5) */
    unsigned perms;             /* MinHash permutations (default 192) */
    unsigned bands;             /* LSH bands; perms % bands == 0; 0 = chosen from near */
    unsigned ngram;             /* words per decontamination n-gram (default 13) */
    uint64_t seed;              /* of the MinHash permutations */
    uint64_t mem_bytes;         /* memory budget: the indexes stay in memory up to half of it,
                                   then the run goes on external (spilling to tmpdir) */
    const char *tmpdir;         /* for the external mode; NULL: $TMPDIR, else /tmp */
    int threads;                /* 0 = OpenMP's default */
    int skip_bad;               /* count and skip invalid lines instead of failing */
    size_t max_line_bytes;      /* a longer line is bad (default 64 MiB) */
    size_t batch_groups;        /* groups analysed per parallel batch (default 2048) */
    unsigned big_bucket;        /* external mode: groups of one band key paired directly, at
                                   most (0: 128); more are checked at the replay (tests) */
    /* Progress (may be NULL): input bytes consumed, groups read. */
    void (*progress)(void *ctx, uint64_t in_bytes, uint64_t groups);
    void *ctx;
} pmp_dedup_opts;

void pmp_dedup_opts_default(pmp_dedup_opts *o);
/* The rows per band used for a threshold when opts.bands is 0: the largest r that
 * divides perms, at most 16, with P(candidate) = 1 - (1 - near^r)^(perms/r) >= 0.995. */
unsigned pmp_dedup_auto_rows(double near, unsigned perms);

typedef struct pmp_dedup pmp_dedup;

/* Checks the options (PMP_E_USAGE when they do not fit together). */
int pmp_dedup_new(pmp_dedup **out, const pmp_dedup_opts *o, pmp_err *err);
void pmp_dedup_free(pmp_dedup *d);

/* Adds the texts of an evaluation file (plain or compressed) to the n-gram set. The
 * format is decided by its first non-blank line: a group record (every text of the
 * group; the item is named by the group's id), an hh-rlhf row {"chosen", "rejected"}
 * (both texts; item "FILE:LINE"), or plain text (each line an item "FILE:LINE").
 * Every later line must be of the same kind (else PMP_E_INPUT naming FILE:LINE). A group
 * gives one text per response, context + response. Past opts.mem_bytes: PMP_E_FAIL. */
int pmp_dedup_add_eval_file(pmp_dedup *d, const char *path, pmp_err *err);
/* The same for text in memory (name is used in messages and item names). */
int pmp_dedup_add_eval_mem(pmp_dedup *d, const char *name, const char *data, size_t len,
                           pmp_err *err);

/* Reads the inputs ("-" is stdin, at most once) in order as one stream of groups and
 * writes the groups kept to out_fd. Everything decided before an error has been
 * written when it returns; the caller marks a failed output (pmp_group_error_line). */
int pmp_dedup_run(pmp_dedup *d, const char *const *paths, size_t n_paths, int out_fd,
                  pmp_err *err);

typedef struct pmp_dedup_counts {
    uint64_t groups_in, groups_out;
    uint64_t responses_dropped;      /* repeated inside their group (rule 1) */
    uint64_t groups_too_few;         /* left with < 2 responses by rule 1 */
    uint64_t contaminated;           /* rule 2 */
    uint64_t exact_dups;             /* rule 3 */
    uint64_t near_dups;              /* rule 4 */
    uint64_t rewritten;              /* kept, but re-serialised without a response */
    uint64_t bad_lines;              /* skipped with skip_bad */
} pmp_dedup_counts;

typedef struct pmp_dedup_stats {
    pmp_dedup_counts total;
    uint64_t input_bytes;            /* decoded JSONL bytes read */
    uint64_t text_bytes;             /* context + response bytes analysed */
    uint64_t shingles;               /* shingle positions hashed (near pass) */
    uint64_t no_words;               /* groups with no word: no near-duplicate check */
    uint64_t candidates;             /* LSH candidates verified */
    uint64_t eval_items, eval_texts, eval_short_texts, eval_ngrams;   /* short: matched whole */
    uint64_t index_bytes;            /* exact set + LSH table + signatures, now */
    uint64_t eval_bytes;             /* the evaluation n-gram set */
    uint64_t kept_signatures;
    unsigned bands, rows;
    int threads;
    /* The external mode (0 when the indexes stayed within half of mem_bytes): */
    int external;
    uint64_t ext_groups;             /* groups that reached rule 3 after the switch */
    uint64_t ext_prefix_kept;        /* kept groups carried over from memory */
    uint64_t ext_pairs;              /* candidate pairs verified (replaces candidates) */
    uint64_t ext_edges;              /* of them, near-duplicate pairs */
    uint64_t ext_big_buckets;        /* band keys shared by too many groups to pair */
    uint64_t spill_bytes;            /* written to temporary files */
    uint64_t spill_peak_bytes;       /* most held in them at once (upper bound) */
    double seconds_analyse, seconds_decide;
} pmp_dedup_stats;

void pmp_dedup_get_stats(const pmp_dedup *d, pmp_dedup_stats *st);
/* Bytes of index state per kept group (exact key + LSH entries + signature), for
 * sizing --mem; the exact set alone costs per_group_exact for each distinct group. */
void pmp_dedup_cost_per_group(const pmp_dedup *d, double *per_kept, double *per_group_exact);

/* The --report document (pretty JSON): parameters, counts in total and per source,
 * the evaluation items hit and by how many groups (most first), index sizes. */
void pmp_dedup_report_json(const pmp_dedup *d, pmp_buf *out);

/* ---- rule 4 for other tools: an index of near-duplicate texts ----
 * The normalisation, word shingles, MinHash and LSH banding of rule 4, over plain
 * texts (pmp-shard leaks: contexts across a train/eval split). Uses near,
 * shingle_words, perms, bands and seed of the options (near > 0). Signatures made by
 * two indexes with the same options are interchangeable, so a text signed once can
 * be looked up in one index and added to another. Memory: 2 * perms bytes of
 * signature and 16 * bands bytes of LSH table (kept under half full) per text added. */
typedef struct pmp_dedup_near pmp_dedup_near;
int pmp_dedup_near_new(pmp_dedup_near **out, const pmp_dedup_opts *o, pmp_err *err);
void pmp_dedup_near_free(pmp_dedup_near *x);
/* The signature length (uint32_t values) of pmp_dedup_near_sign. */
unsigned pmp_dedup_near_perms(const pmp_dedup_near *x);
/* The MinHash signature of text's word shingles into sig; returns the number of
 * shingles, 0 when the text has no word (sig is then unusable). */
size_t pmp_dedup_near_sign(pmp_dedup_near *x, const char *text, size_t len, uint32_t *sig);
/* 1 when a text added earlier has estimated Jaccard >= near with sig, else 0. */
int pmp_dedup_near_find(pmp_dedup_near *x, const uint32_t *sig);
void pmp_dedup_near_add(pmp_dedup_near *x, const uint32_t *sig);
uint64_t pmp_dedup_near_bytes(const pmp_dedup_near *x);

/* ---- the pieces, exposed for tests ---- */

/* Normalises one text as described above and returns XXH3-128 of the normalised
 * string in h[0..1]; appends the 64-bit hashes of its words to *words (may be NULL).
 * The scratch is reused between calls (free with pmp_dedup_text_scratch_free). */
typedef struct pmp_dedup_text_scratch {
    pmp_buf norm;
    pmp_buf folded;
} pmp_dedup_text_scratch;
typedef struct pmp_dedup_u64vec {
    uint64_t *v;
    size_t n, cap;
} pmp_dedup_u64vec;
void pmp_dedup_u64vec_push(pmp_dedup_u64vec *x, uint64_t v);
void pmp_dedup_text_scan(pmp_dedup_text_scratch *s, const char *text, size_t len, uint64_t h[2],
                         pmp_dedup_u64vec *words);
void pmp_dedup_text_scratch_free(pmp_dedup_text_scratch *s);

#endif

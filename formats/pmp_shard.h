/* pmp_shard.h — a shard directory: the shard files (tokenized ranked-pair groups in
 * checksummed zstd blocks) and the manifest.json that lists them. Byte layout and
 * manifest keys: docs/shards.md. */
#ifndef PMP_SHARD_H
#define PMP_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

/* ---------- tokenized ranked-pair shards (byte layout: docs/shards.md).
 *
 * A shard file is: a 16-byte header, zstd-compressed blocks of whole group
 * records (each block with its own header and xxHash64), an index (one entry per
 * block: offset, lengths, checksum, first group and pair ordinals, counts), and a
 * 96-byte footer (totals, the index's checksum, its own checksum, end magic).
 * Everything is little-endian. Every byte of a shard is covered by some check,
 * so a flipped byte or a truncated file is always detected by verify.
 *
 * Writers write NAME.tmp, fsync, rename and fsync the directory (pmp_dfile),
 * so a file with the final name is always complete.
 */
#define PMP_SHARD_VERSION 1u
#define PMP_SHARD_HEADER_SIZE 16u
#define PMP_SHARD_BLOCK_HEADER_SIZE 24u
#define PMP_SHARD_INDEX_ENTRY_SIZE 48u
#define PMP_SHARD_FOOTER_SIZE 96u
#define PMP_SHARD_BLOCK_TARGET (1u << 20)   /* raw bytes per block, approximately */
#define PMP_SHARD_EXT ".pmps"

/* ---- one group, as stored ---- */

typedef struct pmp_shard_resp {
    const char *id;          /* NULL when absent */
    size_t id_len;
    double score;
    double created_utc;      /* NAN when absent */
    const uint32_t *tokens;  /* after truncation */
    uint32_t n_tokens;
    uint32_t orig_tokens;    /* before truncation (> n_tokens: truncated on the right) */
} pmp_shard_resp;

/* A group record. When decoded, the pointers point into the reader's buffers and
 * stay valid until the next call on that reader. */
typedef struct pmp_shard_group {
    const char *source;
    size_t source_len;
    const char *id;
    size_t id_len;
    const char *meta;        /* compact JSON object text, NULL when absent */
    size_t meta_len;
    const char *split_key;   /* the group's split_key (docs/records.md), NULL when absent */
    size_t split_key_len;
    const uint32_t *ctx;     /* context tokens, after left truncation */
    uint32_t n_ctx;
    uint32_t orig_ctx;       /* before truncation */
    pmp_shard_resp *resp;
    uint32_t n_resp;
    const uint32_t *pairs;   /* n_pairs (better, worse) index pairs: 2*n_pairs values */
    uint32_t n_pairs;
} pmp_shard_group;

/* Appends the record encoding of g to out (docs/shards.md, "group record"). */
void pmp_shard_record_put(pmp_buf *out, const pmp_shard_group *g);

/* Scratch for decoding records (token and response arrays are copied here so
 * they are aligned). */
typedef struct pmp_shard_decoder {
    uint32_t *tok;
    size_t tok_cap;
    pmp_shard_resp *resp;
    size_t resp_cap;
} pmp_shard_decoder;
void pmp_shard_decoder_free(pmp_shard_decoder *d);
/* Decodes the record at p[*pos..len), advances *pos. Returns 0 or -1 (err says
 * what is wrong and at which byte of the block). */
int pmp_shard_record_get(pmp_shard_decoder *d, const char *p, size_t len, size_t *pos,
                         pmp_shard_group *g, pmp_err *err);
/* Tokens stored in a group (context + responses). */
uint64_t pmp_shard_group_tokens(const pmp_shard_group *g);

/* Durable files (pmp_dfile) and fault injection (PMP_FAULT) are in common
 * (pmp_common.h, durable.c). */

/* ---- writing a shard ---- */

typedef struct pmp_shard_writer pmp_shard_writer;

typedef struct pmp_shard_totals {
    uint64_t groups, pairs, tokens, groups_without_pairs, blocks, bytes;
    uint64_t xxh64;   /* of the whole file (after close; not known to a reader: 0) */
    uint64_t index_xxh64;   /* of the index, as in the footer: names the shard's content */
} pmp_shard_totals;

/* zstd_level: 0 = default (1). */
int pmp_shard_writer_open(pmp_shard_writer **out, const char *path, int zstd_level,
                          pmp_err *err);
int pmp_shard_writer_add(pmp_shard_writer *w, const pmp_shard_group *g, pmp_err *err);
/* Tokens stored so far (to decide when a shard is full). */
uint64_t pmp_shard_writer_tokens(const pmp_shard_writer *w);
/* Flushes the last block, writes index and footer, commits durably. Frees w. */
int pmp_shard_writer_close(pmp_shard_writer *w, pmp_shard_totals *tot, pmp_err *err);
/* Drops the temporary file. Frees w. */
void pmp_shard_writer_abort(pmp_shard_writer *w);

/* ---- reading a shard ---- */

typedef struct pmp_shard_index_entry {
    uint64_t offset;
    uint32_t raw_len, comp_len;
    uint64_t xxh64;
    uint64_t first_group, first_pair;
    uint32_t n_groups, n_pairs;
} pmp_shard_index_entry;

typedef struct pmp_shard_reader pmp_shard_reader;

/* Opens a shard: checks header, footer (magics, version, footer checksum, file
 * size) and index (checksum, contiguity). Errors name the file. */
int pmp_shard_open(pmp_shard_reader **out, const char *path, pmp_err *err);
void pmp_shard_close(pmp_shard_reader *r);
const pmp_shard_totals *pmp_shard_info(const pmp_shard_reader *r);
size_t pmp_shard_n_blocks(const pmp_shard_reader *r);
const pmp_shard_index_entry *pmp_shard_block(const pmp_shard_reader *r, size_t b);
/* Reads, checks (header vs index, xxHash64, content size) and decompresses
 * block b; *raw points into the reader, valid until the next call. */
int pmp_shard_read_block(pmp_shard_reader *r, size_t b, const char **raw, size_t *raw_len,
                         pmp_err *err);

/* Streams groups in order: 1 = got one, 0 = end, -1 = error. */
int pmp_shard_next(pmp_shard_reader *r, pmp_shard_group *g, pmp_err *err);
/* Finds pair k (0-based, file order): binary search over the index, one block
 * decompressed. Fills g with its group and *which with the pair's index within
 * the group. */
int pmp_shard_pair(pmp_shard_reader *r, uint64_t k, pmp_shard_group *g, uint32_t *which,
                   pmp_err *err);
/* Finds group k (0-based, file order): binary search over the index, one block
 * decompressed. */
int pmp_shard_group_at(pmp_shard_reader *r, uint64_t k, pmp_shard_group *g, pmp_err *err);
/* Checks every block and record: checksums, lengths, record structure, pair
 * indices, per-block and total counts. Errors name the file and block. */
int pmp_shard_verify(pmp_shard_reader *r, pmp_err *err);

/* ---- little helpers shared by the format code ---- */
static inline void pmp_le32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}
static inline void pmp_le64(char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i));
}
static inline uint32_t pmp_rd32(const char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | (unsigned char)p[i];
    return v;
}
static inline uint64_t pmp_rd64(const char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | (unsigned char)p[i];
    return v;
}

/* ---------- manifest.json of a shard directory (docs/shards.md,
 * "manifest"): tokenizer identity, pairing policy, the complete shards with
 * their counts and checksums, cumulative stats, and the input cursor that
 * --resume continues from. Written deterministically (no times, fixed key
 * order) so an interrupted and resumed run produces the same bytes. */
#define PMP_MANIFEST_NAME "manifest.json"
/* The eval split of a directory (pmp-tokenize --split eval=F) is a shard directory of its
 * own, in this subdirectory. */
#define PMP_SHARD_EVAL_DIR "eval"

/* Cumulative stats over the listed shards (X-macro: one list for the struct,
 * the writer and the reader). Additive counters only: a merge sums them (a stat that
 * does not add up goes outside this list, with its own merge rule). */
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
/* The stats as members of j's open object: every counter, then "sources" {name: groups}
 * (as manifest.json has them). */
void pmp_manifest_stats_put(pmp_jobj *j, const pmp_manifest_stats *s);

typedef struct pmp_manifest_shard {
    char *name;          /* file name, relative to the manifest's directory */
    uint64_t bytes, blocks, groups, pairs, tokens, groups_without_pairs;
    uint64_t xxh64;      /* of the whole file */
    /* The footer's index_xxh64: the index holds every block's checksum, so it names the
     * shard's content and is checked in O(1) when the shard is opened. 0 in manifests
     * written before it existed (the whole-file xxh64 is checked instead). */
    uint64_t index_xxh64;
} pmp_manifest_shard;

/* policy.time_rule: which first-mover rule formed the pairs (docs/tokenize.md).
 * In manifest.json: false, "later-or-2x", or true for directories written before
 * 2026-12-07 by the rule that kept earlier winners (read, never written, and
 * refused by --resume). */
enum {
    PMP_TIME_RULE_OFF = 0,
    PMP_TIME_RULE_EARLIER_OR_2X = 1,
    PMP_TIME_RULE_LATER_OR_2X = 2,
};

typedef struct pmp_manifest_policy {
    uint64_t max_pairs_per_group;
    double min_score_gap;
    int time_rule;                  /* PMP_TIME_RULE_* */
    int shp_rule;                   /* written only when on (older manifests lack it) */
    uint64_t max_context_tokens;    /* 0 = no limit */
    uint64_t max_response_tokens;
    uint64_t shard_size;            /* bytes of tokens (4 per token) */
    double eval_fraction;
    uint64_t eval_fold;             /* eval = groups hashing into fold K of width eval_fraction */
    int split_by_id;                /* 1: hash the group id (--split-by id, the old way); 0: the
                                     * split key, falling back to the id (docs/tokenize.md) */
    int zstd_level;
    /* > 0: a text directory (pmp-tokenize --text): every record is one chunk of at most
     * this many tokens of a distinct text, with no responses and no pairs; 0: pairs. */
    uint64_t text_chunk_tokens;
} pmp_manifest_policy;

typedef struct pmp_manifest {
    int complete;
    char *split;                    /* "train" or "eval" */
    char *tok_identity, *tok_path, *tok_kind, *tok_pattern;
    char *tok_relpath;              /* the tokenizer from the manifest's directory, or NULL */
    char *dir;                      /* loaded: the directory it was loaded from; merged: the
                                     * directory it goes to (not saved) */
    uint64_t tok_vocab_size;
    pmp_manifest_policy policy;
    char *input_path;
    uint64_t input_cursor;          /* input groups [0, cursor) of this split are in the shards */
    uint64_t input_groups;          /* when complete: all groups read from the input */
    uint64_t input_bad_lines;       /* when complete: lines skipped (--skip-bad) */
    /* The input's identity, checked by --resume: its size in bytes when it is a regular
     * file (0 = unknown: stdin, a pipe), and the xxHash64 of its first input_cursor
     * group lines (each as read, trailing CR/space cut, plus '\n'; 0 with cursor 0). */
    uint64_t input_size;
    uint64_t input_prefix_xxh64;
    /* Several inputs read one after the other as one stream (pmp-tokenize A B ...):
     * each one's path and size (0 = not a regular file), in reading order; the cursor
     * and prefix_xxh64 are then over their concatenation, input_path is the paths
     * joined by " + " and input_size their sum when all are known. Empty (0) for one
     * input, whose manifests keep their bytes. */
    size_t n_input_files;
    char **input_files;
    uint64_t *input_file_sizes;
    pmp_manifest_stats stats;
    pmp_manifest_shard *shards;
    size_t n_shards, cap_shards;
    int has_checksum;               /* loaded: the file carried "manifest_xxh64" (and it matched) */
} pmp_manifest;

void pmp_manifest_init(pmp_manifest *m);
void pmp_manifest_free(pmp_manifest *m);
pmp_manifest_shard *pmp_manifest_add_shard(pmp_manifest *m, const char *name);
/* The manifest as written: fixed key order, and last a "manifest_xxh64" field, the
 * xxHash64 of this same text without that field (the canonical content), so an
 * edited or damaged manifest is refused when loaded. */
void pmp_manifest_to_json(pmp_buf *out, const pmp_manifest *m);
/* Writes DIR/manifest.json atomically (tmp + fsync + rename + dir fsync). */
int pmp_manifest_save(const pmp_manifest *m, const char *dir, pmp_err *err);
/* Loads DIR/manifest.json. Returns 1 loaded, 0 absent, -1 error: not JSON, text after
 * the object, a missing or malformed field, or content that does not match its
 * manifest_xxh64 (PMP_E_CORRUPT). A manifest without the field (written before it
 * existed) loads with has_checksum = 0; pmp_manifest_verify (full) and
 * pmp_shard_dir_open, which every reader uses, refuse it. */
int pmp_manifest_load(pmp_manifest *m, const char *dir, pmp_err *err);
/* Records the tokenizer file: the path as given, and its path relative to
 * manifest_dir, so the shards find it from any working directory. */
void pmp_manifest_set_tokenizer_path(pmp_manifest *m, const char *given, const char *manifest_dir);
/* The tokenizer file to open (malloc'd): relative_path from the loaded manifest's
 * directory when that file exists, else the path as given when it was written. */
char *pmp_manifest_tokenizer_file(const pmp_manifest *m);
/* ---- merging manifests (manifest_merge.c; pmp-shard merge) ----
 * pmp_manifest_merge folds src into dst field by field: every key manifest.json has
 * gets its rule from one table (manifest_merge.c), and tests/formats/test_manifest_merge.c
 * fails when the writer writes a key the table has no row for, so a new field cannot
 * merge by accident. The rules, and the fields that have them:
 *   EQUAL      the same in every input, else PMP_E_MISMATCH naming the field and both
 *              values, dst unchanged: format, version, tokenizer.identity, and
 *              policy.text_chunk_tokens (a text directory and a pair directory are read
 *              differently, so they cannot become one)
 *   FIRST      the first input's: split, tokenizer.kind/pattern/vocab_size (the same
 *              tokenizer by its identity), every other policy.* field (pmp-shard merge
 *              records the first directory's policy, as its --help says)
 *   SUM        added: input.cursor, input.groups, input.bad_lines, every stats counter
 *              (PMP_MANIFEST_STATS holds additive counters only), stats.sources by name
 *   MIN        the least: complete (the merge is complete only if every input is)
 *   CONCAT     appended in input order: shards, each entry with its counts and checksums
 *   RECOMPUTE  derived for the merged directory: tokenizer.path and relative_path (the
 *              first input's tokenizer file, relative to dst->dir), shards[].name
 *              (pmp_shard_dir_name of its new position), shards[].index_xxh64 (read from
 *              the shard's footer when an older input lacks it), manifest_xxh64 (at save)
 *   CLEAR      left empty: a merge has no single input: input.path, size, files,
 *              prefix_xxh64
 */
typedef enum pmp_manifest_merge_rule {
    PMP_MERGE_EQUAL = 1,
    PMP_MERGE_FIRST,
    PMP_MERGE_SUM,
    PMP_MERGE_MIN,
    PMP_MERGE_CONCAT,
    PMP_MERGE_RECOMPUTE,
    PMP_MERGE_CLEAR,
} pmp_manifest_merge_rule;

/* dst starts as pmp_manifest_init left it, with dst->dir set (pmp_xstrdup) to the
 * directory the merged manifest and shards go to; the first src merged fills it, each
 * later one is folded in. src is a loaded manifest (pmp_shard_dir_open): src->dir is
 * where its shards are. dst's shards are named, not copied: the caller copies src's
 * shard i to dst->dir/dst->shards[n + i].name, n being dst->n_shards before the call.
 * Returns 0, or -1: PMP_E_MISMATCH with dst unchanged, or the error reading the footer
 * of an old input's shard (dst then half merged: free it). */
int pmp_manifest_merge(pmp_manifest *dst, const pmp_manifest *src, pmp_err *err);

/* 0 if equal, else -1 with the first difference in err. */
int pmp_manifest_policy_cmp(const pmp_manifest_policy *a, const pmp_manifest_policy *b,
                            pmp_err *err);

/* Verifies every listed shard of DIR: size and whole-file xxHash64 against the
 * manifest (quick), or with full=1 also every block and record
 * (pmp_shard_verify), each shard's counts, the manifest's totals recomputed from
 * the shards, and that the manifest has its checksum. Errors name the shard (and
 * block) or the total that differs. */
int pmp_manifest_verify(const pmp_manifest *m, const char *dir, int full, pmp_err *err);

/* ---------- the shard directory's names (shard_dir.c): what is in DIR besides
 * manifest.json is shard NNNNNN (pmp_shard_dir_name), the temporaries of a writer that
 * did not finish (a shard's or the manifest's NAME.tmp, pmp_dfile), the writer's lock
 * and eval/; nothing else is ours. */

/* Room for any shard name: "shard-", up to 20 digits, PMP_SHARD_EXT, NUL. */
#define PMP_SHARD_NAME_MAX 32
/* The file name of shard `index` of a directory: "shard-%06zu" PMP_SHARD_EXT (six
 * digits, more from index 1000000 on), written into name; returns name. */
const char *pmp_shard_dir_name(char name[PMP_SHARD_NAME_MAX], size_t index);
/* 1 and *index (may be NULL) when name is exactly pmp_shard_dir_name(*index), else 0
 * ("shard-1.pmps", "shard-0000001.pmps" and "shard-000001.pmps.tmp" are not). */
int pmp_shard_dir_recognise(const char *name, size_t *index);
/* The entries of dir that a writer made and that m does not account for: shard files
 * it does not list (m NULL: every shard file) and the temporaries of shards and of the
 * manifest; sorted by name. *names is malloc'd, as each name is (free with
 * pmp_shard_dir_names_free). A missing dir has none. 0 or -1 (it cannot be read). */
int pmp_shard_dir_list_stray(const char *dir, const pmp_manifest *m, char ***names, size_t *n,
                             pmp_err *err);
void pmp_shard_dir_names_free(char **names, size_t n);
/* Removes what pmp_shard_dir_list_stray lists, and with drop_manifest also
 * manifest.json, then makes the removal durable (fsync of dir). --resume cleans with
 * the loaded manifest, --force with NULL and drop_manifest. Entries that are not ours
 * stay. 0 or -1 (err names the file). */
int pmp_shard_dir_clean(const char *dir, const pmp_manifest *m, int drop_manifest, pmp_err *err);
/* Opens the next shard of the directory dir whose manifest is m for writing: the file
 * pmp_shard_dir_name(m->n_shards), written through its .tmp (pmp_shard_writer_open).
 * *name gets that file name (malloc'd) to list in m once the shard is closed; NULL when
 * it fails. */
int pmp_shard_dir_append(pmp_shard_writer **w, char **name, const char *dir, const pmp_manifest *m,
                         int zstd_level, pmp_err *err);

/* ---------- opening a shard directory for reading (shard_dir.c). Every reader (pmp-shard
 * info/verify/cat/head/pair/stats/export/merge, pmp-train and its score/export,
 * pmp-tokenize --resume) goes through these two, so all of them refuse the same things. */
enum {
    PMP_SHARD_DIR_INCOMPLETE_OK = 1,   /* info, verify, --resume: a run not finished loads */
    PMP_SHARD_DIR_ABSENT_OK = 2,       /* --resume: no manifest yet returns 0, not an error */
};
/* Loads DIR/manifest.json and checks, in this order: it exists (else PMP_E_USAGE, or 0
 * with PMP_SHARD_DIR_ABSENT_OK); it parses and carries a manifest_xxh64 that matches its
 * content (a manifest without one is PMP_E_CORRUPT); the run is complete (else
 * PMP_E_INPUT "incomplete", unless PMP_SHARD_DIR_INCOMPLETE_OK); and every listed shard
 * is the one the manifest names (pmp_shard_dir_shard on each). Returns 1 (m filled, free
 * it with pmp_manifest_free), 0 (absent, allowed) or -1 (m empty). */
int pmp_shard_dir_open(pmp_manifest *m, const char *dir, unsigned flags, pmp_err *err);
/* Opens shard i of a manifest from pmp_shard_dir_open (in m->dir) and checks, before any
 * record is read, that it is the shard the manifest lists: its size and footer counts,
 * and its index checksum (or, for manifests without index_xxh64, its whole-file
 * xxHash64). A shard copied in from another directory is refused (PMP_E_CORRUPT) naming
 * the file. */
int pmp_shard_dir_shard(const pmp_manifest *m, size_t i, pmp_shard_reader **r, pmp_err *err);

#endif

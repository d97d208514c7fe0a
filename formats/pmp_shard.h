/* pmp_shard.h — tokenized ranked-pair shards (byte layout: docs/shards.md).
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
#ifndef PMP_SHARD_H
#define PMP_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

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
    uint64_t xxh64;   /* of the whole file (after close) */
} pmp_shard_totals;

/* zstd_level: 0 = default (1). */
int pmp_shard_writer_open(pmp_shard_writer **out, const char *path, int zstd_level,
                          pmp_err *err);
int pmp_shard_writer_add(pmp_shard_writer *w, const pmp_shard_group *g, pmp_err *err);
/* Tokens stored so far (to decide when a shard is full). */
uint64_t pmp_shard_writer_tokens(const pmp_shard_writer *w);
uint64_t pmp_shard_writer_groups(const pmp_shard_writer *w);
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

#endif

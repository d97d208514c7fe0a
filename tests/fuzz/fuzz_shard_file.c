/* libFuzzer target: a whole shard file (header, blocks, index, footer) through the
 * reader: pmp_shard_open, pmp_shard_read_block, pmp_shard_verify, pmp_shard_next
 * and pmp_shard_pair. The file is a memfd opened by its /proc path.
 *
 * Input: one mode byte, then the file. Mode 0 takes the file as it is. Other modes
 * first make the derived fields consistent so that mutations reach the blocks and
 * records behind the checksums: bit 0 block headers from the index and every
 * block's xxHash64, bit 1 the index chain (offsets, first group and pair) and the
 * footer's group and pair totals, bit 2 raw_len from the zstd frame's content
 * size, bit 3 the footer's token and no-pair totals; any non-zero mode then
 * recomputes the index and footer checksums. Bit 4 instead builds the shard from
 * raw blocks (u32 length + that many bytes of records, repeated): each block keeps
 * the records that decode, compressed, with their counts, so the mutations reach
 * the records of a multi-block shard that verifies.
 *
 * A block may claim up to 4 GiB by design (raw_len is a u32, a zstd frame expands up
 * to 32768 times): inputs with a block over RAW_MAX that its frame could hold are
 * skipped, to stay within libFuzzer's memory limit; claims the frame cannot hold
 * are not skipped (the reader refuses them before allocating).
 *
 * Oracle: a shard that verifies streams exactly its footer's groups, pairs, tokens
 * and no-pair groups, each block holding its index's counts, and pmp_shard_pair(k)
 * finds the group and pair index that the stream has for pair k. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "pmp_shard.h"

#define H PMP_SHARD_HEADER_SIZE
#define BH PMP_SHARD_BLOCK_HEADER_SIZE
#define IE PMP_SHARD_INDEX_ENTRY_SIZE
#define F PMP_SHARD_FOOTER_SIZE
#define FIX_RAW_MAX (16u << 20)   /* bit 3 decodes blocks up to this size */
#define PAIRS_CHECKED 64
#define RAW_MAX (64u << 20)

/* The index entries of f[0..n) that lie inside the file, or 0. */
static uint64_t index_of(char *f, size_t n, char **ix)
{
    if (n < H + F) return 0;
    char *ft = f + n - F;
    uint64_t nb = pmp_rd64(ft + 16), ioff = pmp_rd64(ft + 24);
    if (ioff > n - F || nb > (n - F - ioff) / IE) return 0;
    *ix = f + ioff;
    return nb;
}

/* 1 if a block of the file claims more than RAW_MAX bytes that its frame could hold. */
static int too_big(char *f, size_t n)
{
    char *ix = NULL;
    uint64_t nb = index_of(f, n, &ix);
    for (uint64_t b = 0; b < nb; b++) {
        uint64_t raw = pmp_rd32(ix + b * IE + 8), comp = pmp_rd32(ix + b * IE + 12);
        if (raw > RAW_MAX && raw <= comp * 32768) return 1;
    }
    return 0;
}

static void fixup(char *f, size_t n, unsigned mode)
{
    char *ix = NULL;
    uint64_t nb = index_of(f, n, &ix);
    if (n < H + F) return;
    char *ft = f + n - F;
    uint64_t off = H, groups = 0, pairs = 0, tokens = 0, nopair = 0;
    pmp_shard_decoder dec = {0};
    char *raw = NULL;
    for (uint64_t b = 0; b < nb; b++) {
        char *e = ix + b * IE;
        if (mode & 2) {
            pmp_le64(e, off);
            pmp_le64(e + 24, groups);
            pmp_le64(e + 32, pairs);
        }
        uint64_t at = pmp_rd64(e);
        uint32_t comp_len = pmp_rd32(e + 12);
        groups += pmp_rd32(e + 40);
        pairs += pmp_rd32(e + 44);
        off += BH + (uint64_t)comp_len;
        if (at > n || BH + (uint64_t)comp_len > n - at) continue;
        char *bh = f + at, *c = bh + BH;
        if (mode & 4) {
            unsigned long long cs = ZSTD_getFrameContentSize(c, comp_len);
            if (cs <= UINT32_MAX) pmp_le32(e + 8, (uint32_t)cs);
        }
        if (mode & 1) {
            memcpy(bh, "PMPB", 4);
            memcpy(bh + 4, e + 8, 8);        /* raw_len, comp_len */
            memcpy(bh + 12, e + 40, 4);      /* n_groups */
            uint64_t h = pmp_xxh64(c, comp_len);
            pmp_le64(bh + 16, h);
            pmp_le64(e + 16, h);
        }
        if (mode & 8) {
            uint32_t raw_len = pmp_rd32(e + 8);
            if (raw_len > FIX_RAW_MAX) continue;
            raw = realloc(raw, raw_len ? raw_len : 1);
            size_t d = ZSTD_decompress(raw, raw_len, c, comp_len);
            if (ZSTD_isError(d)) continue;
            size_t pos = 0;
            pmp_shard_group g;
            pmp_err err;
            for (uint32_t i = 0; i < pmp_rd32(e + 40); i++) {
                if (pmp_shard_record_get(&dec, raw, d, &pos, &g, &err) < 0) break;
                tokens += pmp_shard_group_tokens(&g);
                nopair += g.n_pairs == 0;
            }
        }
    }
    free(raw);
    pmp_shard_decoder_free(&dec);
    if (mode & 2) {
        pmp_le64(ft + 48, groups);
        pmp_le64(ft + 56, pairs);
    }
    if (mode & 8) {
        pmp_le64(ft + 64, tokens);
        pmp_le64(ft + 72, nopair);
    }
    if (ix) pmp_le64(ft + 40, pmp_xxh64(ix, nb * IE));
    pmp_le64(ft + 80, pmp_xxh64(ft, 80));
}

/* Bit 4: a whole shard from raw blocks (see the top). */
static char *build(const uint8_t *p, size_t n, size_t *out_len)
{
    pmp_buf f = PMP_BUF_INIT, ix = PMP_BUF_INIT;
    pmp_buf_append(&f, "PMPSHRD\0\1\0\0\0\0\0\0\0", H);
    pmp_shard_decoder dec = {0};
    uint64_t groups = 0, pairs = 0, tokens = 0, nopair = 0, nb = 0;
    size_t pos = 0;
    while (n - pos >= 4) {
        size_t len = pmp_rd32((const char *)p + pos);
        pos += 4;
        if (len > n - pos) len = n - pos;
        const char *raw = (const char *)p + pos;
        pos += len;
        uint32_t ng = 0, np = 0;
        size_t at = 0;
        pmp_shard_group g;
        pmp_err err;
        while (at < len && pmp_shard_record_get(&dec, raw, len, &at, &g, &err) == 0) {
            ng++;
            np += g.n_pairs;
            tokens += pmp_shard_group_tokens(&g);
            nopair += g.n_pairs == 0;
        }
        if (ng == 0) continue;   /* only the records that decode: a shard that verifies */
        len = at;
        size_t bound = ZSTD_compressBound(len);
        pmp_buf_reserve(&f, BH + bound);
        char *bh = f.data + f.len;
        static ZSTD_CCtx *cctx;
        if (!cctx && !(cctx = ZSTD_createCCtx())) abort();
        size_t c = ZSTD_compressCCtx(cctx, bh + BH, bound, raw, len, 1);
        if (ZSTD_isError(c)) abort();
        uint64_t h = pmp_xxh64(bh + BH, c);
        char e[IE];
        pmp_le64(e, f.len);
        pmp_le32(e + 8, (uint32_t)len);
        pmp_le32(e + 12, (uint32_t)c);
        pmp_le64(e + 16, h);
        pmp_le64(e + 24, groups);
        pmp_le64(e + 32, pairs);
        pmp_le32(e + 40, ng);
        pmp_le32(e + 44, np);
        pmp_buf_append(&ix, e, IE);
        memcpy(bh, "PMPB", 4);
        memcpy(bh + 4, e + 8, 8);
        memcpy(bh + 12, e + 40, 4);
        pmp_le64(bh + 16, h);
        f.len += BH + c;
        groups += ng;
        pairs += np;
        nb++;
    }
    pmp_shard_decoder_free(&dec);
    char ft[F] = "PMPFOOT";
    pmp_le32(ft + 8, PMP_SHARD_VERSION);
    pmp_le64(ft + 16, nb);
    pmp_le64(ft + 24, f.len);
    pmp_le64(ft + 32, ix.len);
    pmp_le64(ft + 40, pmp_xxh64(ix.data ? ix.data : "", ix.len));
    pmp_le64(ft + 48, groups);
    pmp_le64(ft + 56, pairs);
    pmp_le64(ft + 64, tokens);
    pmp_le64(ft + 72, nopair);
    pmp_le64(ft + 80, pmp_xxh64(ft, 80));
    memcpy(ft + 88, "PMPSEND", 8);
    pmp_buf_append(&f, ix.data, ix.len);
    pmp_buf_append(&f, ft, F);
    pmp_buf_free(&ix);
    *out_len = f.len;
    return pmp_buf_detach(&f);
}

/* The record bytes of g, hashed (to compare groups from two reads). */
static uint64_t group_hash(pmp_buf *scratch, const pmp_shard_group *g)
{
    pmp_buf_clear(scratch);
    pmp_shard_record_put(scratch, g);
    return pmp_xxh64(scratch->data, scratch->len);
}

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (memfd < 0) {
        memfd = memfd_create("fuzz_shard_file", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    unsigned mode = data[0];
    size_t n = size - 1;
    char *f;
    if (mode & 16) {
        f = build(data + 1, n, &n);
    } else {
        f = malloc(n ? n : 1);
        if (n) memcpy(f, data + 1, n);
        if (mode) fixup(f, n, mode);
    }
    if (too_big(f, n)) {
        free(f);
        return 0;
    }
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, f, n, 0) != (ssize_t)n) abort();
    free(f);

    pmp_shard_reader *r;
    pmp_err err;
    if (pmp_shard_open(&r, path, &err) < 0) return 0;
    const pmp_shard_totals *t = pmp_shard_info(r);
    size_t nb = pmp_shard_n_blocks(r);
    if (t->blocks != nb || t->bytes != n) abort();
    for (size_t b = 0; b < nb; b++) {
        const char *raw;
        size_t raw_len;
        if (pmp_shard_read_block(r, b, &raw, &raw_len, &err) == 0 &&
            raw_len != pmp_shard_block(r, b)->raw_len)
            abort();
    }
    int verified = pmp_shard_verify(r, &err) == 0;

    /* Stream every group; remember where the first PAIRS_CHECKED pairs are. */
    uint64_t groups = 0, pairs = 0, tokens = 0, nopair = 0;
    uint64_t want_hash[PAIRS_CHECKED];
    uint32_t want_which[PAIRS_CHECKED];
    pmp_buf scratch = PMP_BUF_INIT;
    pmp_shard_group g;
    int rc;
    while ((rc = pmp_shard_next(r, &g, &err)) == 1) {
        for (uint32_t k = 0; k < 2 * g.n_pairs; k++)
            if (g.pairs[k] >= g.n_resp) abort();
        if (pairs < PAIRS_CHECKED && g.n_pairs) {
            uint64_t h = group_hash(&scratch, &g);
            for (uint32_t w = 0; w < g.n_pairs && pairs + w < PAIRS_CHECKED; w++) {
                want_hash[pairs + w] = h;
                want_which[pairs + w] = w;
            }
        }
        groups++;
        pairs += g.n_pairs;
        tokens += pmp_shard_group_tokens(&g);
        nopair += g.n_pairs == 0;
    }
    if (verified) {
        if (rc != 0 || groups != t->groups || pairs != t->pairs || tokens != t->tokens ||
            nopair != t->groups_without_pairs)
            abort();
        uint64_t per_block = 0;
        for (size_t b = 0; b < nb; b++) per_block += pmp_shard_block(r, b)->n_groups;
        if (per_block != groups) abort();
    }
    /* Pair k through the index (also on shards that do not verify: no crash). */
    uint64_t np = t->pairs;
    for (uint64_t k = 0; k < np && k < PAIRS_CHECKED; k++) {
        uint32_t which;
        rc = pmp_shard_pair(r, k, &g, &which, &err);
        if (verified && (rc != 0 || which != want_which[k] || which >= g.n_pairs ||
                         group_hash(&scratch, &g) != want_hash[k]))
            abort();
    }
    if (np && pmp_shard_pair(r, np - 1, &g, &(uint32_t){0}, &err) < 0 && verified) abort();
    if (pmp_shard_pair(r, np, &g, &(uint32_t){0}, &err) == 0) abort();   /* out of range */
    pmp_buf_free(&scratch);
    pmp_shard_close(r);
    return 0;
}

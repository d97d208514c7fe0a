/* shard_read.c — opens, streams, seeks (pair k) and verifies a shard
 * (docs/shards.md). Opening checks the footer and index; every block read
 * checks its header against the index, its xxHash64 and its decoded size. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "pmp_shard.h"

/* A zstd block decodes to at most 128 KiB and takes at least 4 bytes (header and
 * the byte of an RLE block): no frame decodes to more than 32768 times its size. */
#define ZSTD_MAX_RATIO 32768u

struct pmp_shard_reader {
    int fd;
    char *path;
    uint64_t size;
    pmp_shard_totals tot;
    pmp_shard_index_entry *index;
    size_t n_blocks;
    ZSTD_DCtx *dctx;
    char *comp;
    size_t comp_cap;
    char *raw;
    size_t raw_cap, raw_len;
    size_t cur_block;        /* block held in raw, or SIZE_MAX */
    /* streaming position */
    size_t s_block, s_pos;
    uint32_t s_left;         /* groups left in the streamed block */
    int s_started;
    pmp_shard_decoder dec;
};

static int pread_all(pmp_shard_reader *r, void *buf, size_t n, uint64_t off, pmp_err *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(r->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR) continue;
            return pmp_err_errno(err, errno, "%s: read at byte %llu", r->path,
                                 (unsigned long long)(off + got));
        }
        if (k == 0)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: truncated at byte %llu", r->path,
                               (unsigned long long)(off + got));
        got += (size_t)k;
    }
    return 0;
}

void pmp_shard_close(pmp_shard_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->path);
    free(r->index);
    ZSTD_freeDCtx(r->dctx);
    free(r->comp);
    free(r->raw);
    pmp_shard_decoder_free(&r->dec);
    free(r);
}

static int open_fail(pmp_shard_reader *r)
{
    pmp_shard_close(r);
    return -1;
}

int pmp_shard_open(pmp_shard_reader **out, const char *path, pmp_err *err)
{
    *out = NULL;
    pmp_shard_reader *r = pmp_xcalloc(1, sizeof *r);
    r->path = pmp_xstrdup(path);
    r->cur_block = SIZE_MAX;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        pmp_err_errno(err, errno, "%s", path);
        return open_fail(r);
    }
    struct stat st;
    if (fstat(r->fd, &st) < 0) {
        pmp_err_errno(err, errno, "%s", path);
        return open_fail(r);
    }
    r->size = (uint64_t)st.st_size;
    if (r->size < PMP_SHARD_HEADER_SIZE + PMP_SHARD_FOOTER_SIZE) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: truncated: %llu bytes is too short for a shard", path,
                     (unsigned long long)r->size);
        return open_fail(r);
    }
    char h[PMP_SHARD_HEADER_SIZE], f[PMP_SHARD_FOOTER_SIZE];
    if (pread_all(r, h, sizeof h, 0, err) < 0 ||
        pread_all(r, f, sizeof f, r->size - PMP_SHARD_FOOTER_SIZE, err) < 0)
        return open_fail(r);
    if (memcmp(h, "PMPSHRD", 8) != 0) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: header: not a pmp shard (bad magic)", path);
        return open_fail(r);
    }
    if (pmp_rd32(h + 8) != PMP_SHARD_VERSION || pmp_rd32(h + 12) != 0) {
        pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: header: unsupported version %u or flags 0x%x", path,
                     pmp_rd32(h + 8), pmp_rd32(h + 12));
        return open_fail(r);
    }
    if (memcmp(f + 88, "PMPSEND", 8) != 0 || memcmp(f, "PMPFOOT", 8) != 0) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: footer: bad magic (truncated or not a complete shard)", path);
        return open_fail(r);
    }
    if (pmp_rd64(f + 80) != pmp_xxh64(f, 80)) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: footer: checksum mismatch", path);
        return open_fail(r);
    }
    if (pmp_rd32(f + 8) != PMP_SHARD_VERSION || pmp_rd32(f + 12) != 0) {
        pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: footer: unsupported version or flags", path);
        return open_fail(r);
    }
    uint64_t nb = pmp_rd64(f + 16), ioff = pmp_rd64(f + 24), ilen = pmp_rd64(f + 32);
    r->tot.blocks = nb;
    r->tot.groups = pmp_rd64(f + 48);
    r->tot.pairs = pmp_rd64(f + 56);
    r->tot.tokens = pmp_rd64(f + 64);
    r->tot.groups_without_pairs = pmp_rd64(f + 72);
    r->tot.bytes = r->size;
    r->tot.index_xxh64 = pmp_rd64(f + 40);
    if (ilen != nb * PMP_SHARD_INDEX_ENTRY_SIZE || nb > r->size / PMP_SHARD_INDEX_ENTRY_SIZE ||
        ioff + ilen + PMP_SHARD_FOOTER_SIZE != r->size || ioff < PMP_SHARD_HEADER_SIZE) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: footer: index position/length do not match the file size "
                     "(truncated or extended file)", path);
        return open_fail(r);
    }
    char *ix = pmp_xmalloc(ilen ? ilen : 1);
    if (pread_all(r, ix, ilen, ioff, err) < 0) {
        free(ix);
        return open_fail(r);
    }
    if (pmp_xxh64(ix, ilen) != pmp_rd64(f + 40)) {
        free(ix);
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: index: checksum mismatch", path);
        return open_fail(r);
    }
    r->n_blocks = nb;
    r->index = pmp_xcalloc(nb ? nb : 1, sizeof *r->index);
    uint64_t expect_off = PMP_SHARD_HEADER_SIZE, g = 0, p = 0;
    for (size_t b = 0; b < nb; b++) {
        const char *q = ix + b * PMP_SHARD_INDEX_ENTRY_SIZE;
        pmp_shard_index_entry *e = &r->index[b];
        e->offset = pmp_rd64(q);
        e->raw_len = pmp_rd32(q + 8);
        e->comp_len = pmp_rd32(q + 12);
        e->xxh64 = pmp_rd64(q + 16);
        e->first_group = pmp_rd64(q + 24);
        e->first_pair = pmp_rd64(q + 32);
        e->n_groups = pmp_rd32(q + 40);
        e->n_pairs = pmp_rd32(q + 44);
        if (e->offset != expect_off || e->first_group != g || e->first_pair != p ||
            e->n_groups == 0) {
            free(ix);
            pmp_err_setc(err, PMP_E_CORRUPT, "%s: index: entry for block %zu is inconsistent", path, b);
            return open_fail(r);
        }
        expect_off += PMP_SHARD_BLOCK_HEADER_SIZE + (uint64_t)e->comp_len;
        g += e->n_groups;
        p += e->n_pairs;
    }
    free(ix);
    if (expect_off != ioff || g != r->tot.groups || p != r->tot.pairs) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: index: block sizes or counts do not add up to the footer's",
                     path);
        return open_fail(r);
    }
    r->dctx = ZSTD_createDCtx();
    if (!r->dctx) abort();
    *out = r;
    return 0;
}

const pmp_shard_totals *pmp_shard_info(const pmp_shard_reader *r)
{
    return &r->tot;
}

size_t pmp_shard_n_blocks(const pmp_shard_reader *r)
{
    return r->n_blocks;
}

const pmp_shard_index_entry *pmp_shard_block(const pmp_shard_reader *r, size_t b)
{
    return &r->index[b];
}

int pmp_shard_read_block(pmp_shard_reader *r, size_t b, const char **raw, size_t *raw_len,
                         pmp_err *err)
{
    if (b >= r->n_blocks) return pmp_err_setc(err, PMP_E_INTERNAL, "%s: no block %zu", r->path, b);
    if (r->cur_block == b) {
        *raw = r->raw;
        *raw_len = r->raw_len;
        return 0;
    }
    const pmp_shard_index_entry *e = &r->index[b];
    size_t n = PMP_SHARD_BLOCK_HEADER_SIZE + (size_t)e->comp_len;
    if (n > r->comp_cap) {
        r->comp_cap = n;
        r->comp = pmp_xrealloc(r->comp, n);
    }
    if (pread_all(r, r->comp, n, e->offset, err) < 0)
        return pmp_err_prefix(err, "block %zu", b);
    const char *h = r->comp;
    if (memcmp(h, "PMPB", 4) != 0 || pmp_rd32(h + 4) != e->raw_len ||
        pmp_rd32(h + 8) != e->comp_len || pmp_rd32(h + 12) != e->n_groups ||
        pmp_rd64(h + 16) != e->xxh64)
        return pmp_err_setc(err, PMP_E_CORRUPT,
                            "%s: block %zu (offset %llu): header does not match the index", r->path, b,
                            (unsigned long long)e->offset);
    const char *c = r->comp + PMP_SHARD_BLOCK_HEADER_SIZE;
    if (pmp_xxh64(c, e->comp_len) != e->xxh64)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu (offset %llu): checksum mismatch", r->path, b,
                            (unsigned long long)e->offset);
    unsigned long long cs = ZSTD_getFrameContentSize(c, e->comp_len);
    if (cs != e->raw_len)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: zstd frame content size does not match",
                            r->path, b);
    /* The content size is a claim: refuse one the frame cannot hold before allocating it. */
    if ((uint64_t)e->raw_len > (uint64_t)e->comp_len * ZSTD_MAX_RATIO)
        return pmp_err_setc(err, PMP_E_CORRUPT,
                            "%s: block %zu: %u bytes cannot come from a %u-byte zstd frame", r->path, b,
                            e->raw_len, e->comp_len);
    if (e->raw_len > r->raw_cap) {
        r->raw_cap = e->raw_len;
        r->raw = pmp_xrealloc(r->raw, r->raw_cap);
    }
    r->cur_block = SIZE_MAX;
    size_t d = ZSTD_decompressDCtx(r->dctx, r->raw, e->raw_len, c, e->comp_len);
    if (ZSTD_isError(d) || d != e->raw_len)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: zstd: %s", r->path, b,
                            ZSTD_isError(d) ? ZSTD_getErrorName(d) : "short block");
    r->cur_block = b;
    r->raw_len = d;
    *raw = r->raw;
    *raw_len = d;
    return 0;
}

int pmp_shard_next(pmp_shard_reader *r, pmp_shard_group *g, pmp_err *err)
{
    if (!r->s_started) {
        r->s_started = 1;
        r->s_block = 0;
        r->s_pos = 0;
        r->s_left = r->n_blocks ? r->index[0].n_groups : 0;
    }
    while (r->s_left == 0) {
        if (r->s_block + 1 >= r->n_blocks) return 0;
        r->s_block++;
        r->s_pos = 0;
        r->s_left = r->index[r->s_block].n_groups;
    }
    const char *raw;
    size_t len;
    if (pmp_shard_read_block(r, r->s_block, &raw, &len, err) < 0) return -1;
    if (pmp_shard_record_get(&r->dec, raw, len, &r->s_pos, g, err) < 0)
        return pmp_err_prefix(err, "%s: block %zu", r->path, r->s_block);
    r->s_left--;
    return 1;
}

/* The last block whose first pair (pairs = 1) or first group (0) is <= k. */
static size_t last_block_from(const pmp_shard_reader *r, uint64_t k, int pairs)
{
    size_t lo = 0, hi = r->n_blocks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((pairs ? r->index[mid].first_pair : r->index[mid].first_group) <= k) lo = mid;
        else hi = mid;
    }
    return lo;
}

int pmp_shard_pair(pmp_shard_reader *r, uint64_t k, pmp_shard_group *g, uint32_t *which,
                   pmp_err *err)
{
    if (k >= r->tot.pairs)
        return pmp_err_setc(err, PMP_E_INTERNAL, "%s: pair %llu out of range (%llu pairs)", r->path,
                           (unsigned long long)k, (unsigned long long)r->tot.pairs);
    size_t lo = last_block_from(r, k, 1);
    /* Blocks whose groups have no pairs share first_pair with the next one. */
    while (lo + 1 < r->n_blocks && r->index[lo].first_pair + r->index[lo].n_pairs <= k) lo++;
    const char *raw;
    size_t len, pos = 0;
    if (pmp_shard_read_block(r, lo, &raw, &len, err) < 0) return -1;
    uint64_t p = r->index[lo].first_pair;
    for (uint32_t i = 0; i < r->index[lo].n_groups; i++) {
        if (pmp_shard_record_get(&r->dec, raw, len, &pos, g, err) < 0)
            return pmp_err_prefix(err, "%s: block %zu", r->path, lo);
        if (k < p + g->n_pairs) {
            *which = (uint32_t)(k - p);
            return 0;
        }
        p += g->n_pairs;
    }
    return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: pair %llu not found (counts disagree with index)",
                        r->path, lo, (unsigned long long)k);
}

int pmp_shard_group_at(pmp_shard_reader *r, uint64_t k, pmp_shard_group *g, pmp_err *err)
{
    if (k >= r->tot.groups)
        return pmp_err_setc(err, PMP_E_INTERNAL, "%s: group %llu out of range (%llu groups)", r->path,
                           (unsigned long long)k, (unsigned long long)r->tot.groups);
    size_t lo = last_block_from(r, k, 0);
    const char *raw;
    size_t len, pos = 0;
    if (pmp_shard_read_block(r, lo, &raw, &len, err) < 0) return -1;
    uint64_t skip = k - r->index[lo].first_group;
    if (skip >= r->index[lo].n_groups)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: group %llu not found (counts disagree "
                            "with index)", r->path, lo, (unsigned long long)k);
    for (uint64_t i = 0; i <= skip; i++)
        if (pmp_shard_record_get(&r->dec, raw, len, &pos, g, err) < 0)
            return pmp_err_prefix(err, "%s: block %zu", r->path, lo);
    return 0;
}

int pmp_shard_verify(pmp_shard_reader *r, pmp_err *err)
{
    uint64_t tokens = 0, nopair = 0;
    for (size_t b = 0; b < r->n_blocks; b++) {
        const pmp_shard_index_entry *e = &r->index[b];
        const char *raw;
        size_t len, pos = 0;
        if (pmp_shard_read_block(r, b, &raw, &len, err) < 0) return -1;
        uint64_t pairs = 0;
        for (uint32_t i = 0; i < e->n_groups; i++) {
            pmp_shard_group g;
            if (pmp_shard_record_get(&r->dec, raw, len, &pos, &g, err) < 0)
                return pmp_err_prefix(err, "%s: block %zu", r->path, b);
            pairs += g.n_pairs;
            tokens += pmp_shard_group_tokens(&g);
            if (!g.n_pairs) nopair++;
        }
        if (pos != len)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: %zu bytes after the last record", r->path,
                                b, len - pos);
        if (pairs != e->n_pairs)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: block %zu: holds %llu pairs, the index says %u",
                                r->path, b, (unsigned long long)pairs, e->n_pairs);
    }
    if (tokens != r->tot.tokens || nopair != r->tot.groups_without_pairs)
        return pmp_err_setc(err, PMP_E_CORRUPT,
                            "%s: footer: token or no-pair group totals do not match the blocks", r->path);
    r->cur_block = SIZE_MAX;
    return 0;
}

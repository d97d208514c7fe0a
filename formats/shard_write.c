/* shard_write.c — writes one shard: header, blocks of ~1 MiB of whole group
 * records (zstd, xxHash64), index, footer (docs/shards.md). Memory: one raw
 * block, one compressed block and the index, whatever the shard's size. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "pmp_shard.h"

struct pmp_shard_writer {
    pmp_dfile f;
    ZSTD_CCtx *cctx;
    int level;
    pmp_buf raw;             /* the open block's records */
    pmp_buf comp;
    pmp_shard_index_entry *index;
    size_t n_blocks, cap_blocks;
    uint32_t blk_groups, blk_pairs;
    pmp_shard_totals tot;
};

static const char header_magic[8] = {'P', 'M', 'P', 'S', 'H', 'R', 'D', 0};
static const char block_magic[4] = {'P', 'M', 'P', 'B'};
static const char footer_magic[8] = {'P', 'M', 'P', 'F', 'O', 'O', 'T', 0};
static const char end_magic[8] = {'P', 'M', 'P', 'S', 'E', 'N', 'D', 0};

int pmp_shard_writer_open(pmp_shard_writer **out, const char *path, int zstd_level, pmp_err *err)
{
    *out = NULL;
    pmp_shard_writer *w = pmp_xcalloc(1, sizeof *w);
    if (pmp_dfile_open(&w->f, path, err) < 0) {
        free(w);
        return -1;
    }
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx) abort();
    w->level = zstd_level ? zstd_level : 1;
    char h[PMP_SHARD_HEADER_SIZE];
    memcpy(h, header_magic, 8);
    pmp_le32(h + 8, PMP_SHARD_VERSION);
    pmp_le32(h + 12, 0);
    if (pmp_dfile_write(&w->f, h, sizeof h, err) < 0) {
        pmp_shard_writer_abort(w);
        return -1;
    }
    *out = w;
    return 0;
}

static int flush_block(pmp_shard_writer *w, pmp_err *err)
{
    if (w->blk_groups == 0) return 0;
    size_t bound = ZSTD_compressBound(w->raw.len);
    pmp_buf_clear(&w->comp);
    pmp_buf_reserve(&w->comp, PMP_SHARD_BLOCK_HEADER_SIZE + bound);
    char *dst = w->comp.data + PMP_SHARD_BLOCK_HEADER_SIZE;
    /* ZSTD_compressCCtx writes the content size into the frame header. */
    size_t n = ZSTD_compressCCtx(w->cctx, dst, bound, w->raw.data, w->raw.len, w->level);
    if (ZSTD_isError(n))
        return pmp_err_setc(err, PMP_E_INTERNAL, "%s: zstd: %s", w->f.tmp, ZSTD_getErrorName(n));
    if (w->raw.len > UINT32_MAX || n > UINT32_MAX)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: block larger than 4 GiB (one huge group?)", w->f.tmp);
    uint64_t h = pmp_xxh64(dst, n);
    char *bh = w->comp.data;
    memcpy(bh, block_magic, 4);
    pmp_le32(bh + 4, (uint32_t)w->raw.len);
    pmp_le32(bh + 8, (uint32_t)n);
    pmp_le32(bh + 12, w->blk_groups);
    pmp_le64(bh + 16, h);
    if (w->n_blocks == w->cap_blocks) {
        w->cap_blocks = w->cap_blocks ? 2 * w->cap_blocks : 64;
        w->index = pmp_xrealloc(w->index, w->cap_blocks * sizeof *w->index);
    }
    pmp_shard_index_entry *e = &w->index[w->n_blocks++];
    e->offset = w->f.bytes;
    e->raw_len = (uint32_t)w->raw.len;
    e->comp_len = (uint32_t)n;
    e->xxh64 = h;
    e->n_groups = w->blk_groups;
    e->n_pairs = w->blk_pairs;
    e->first_group = w->tot.groups - w->blk_groups;
    e->first_pair = w->tot.pairs - w->blk_pairs;
    if (pmp_dfile_write(&w->f, w->comp.data, PMP_SHARD_BLOCK_HEADER_SIZE + n, err) < 0) return -1;
    pmp_buf_clear(&w->raw);
    w->blk_groups = w->blk_pairs = 0;
    return 0;
}

int pmp_shard_writer_add(pmp_shard_writer *w, const pmp_shard_group *g, pmp_err *err)
{
    if (w->blk_pairs + (uint64_t)g->n_pairs > UINT32_MAX) {
        if (flush_block(w, err) < 0) return -1;
    }
    pmp_shard_record_put(&w->raw, g);
    w->blk_groups++;
    w->blk_pairs += g->n_pairs;
    w->tot.groups++;
    w->tot.pairs += g->n_pairs;
    w->tot.tokens += pmp_shard_group_tokens(g);
    if (g->n_pairs == 0) w->tot.groups_without_pairs++;
    if (w->raw.len >= PMP_SHARD_BLOCK_TARGET) return flush_block(w, err);
    return 0;
}

uint64_t pmp_shard_writer_tokens(const pmp_shard_writer *w)
{
    return w->tot.tokens;
}

static void writer_free(pmp_shard_writer *w)
{
    ZSTD_freeCCtx(w->cctx);
    pmp_buf_free(&w->raw);
    pmp_buf_free(&w->comp);
    free(w->index);
    free(w);
}

void pmp_shard_writer_abort(pmp_shard_writer *w)
{
    if (!w) return;
    pmp_dfile_abort(&w->f);
    writer_free(w);
}

int pmp_shard_writer_close(pmp_shard_writer *w, pmp_shard_totals *tot, pmp_err *err)
{
    if (flush_block(w, err) < 0) goto fail;
    uint64_t index_off = w->f.bytes;
    size_t ilen = w->n_blocks * PMP_SHARD_INDEX_ENTRY_SIZE;
    char *ix = pmp_xcalloc(1, ilen + PMP_SHARD_FOOTER_SIZE);
    for (size_t b = 0; b < w->n_blocks; b++) {
        char *p = ix + b * PMP_SHARD_INDEX_ENTRY_SIZE;
        const pmp_shard_index_entry *e = &w->index[b];
        pmp_le64(p, e->offset);
        pmp_le32(p + 8, e->raw_len);
        pmp_le32(p + 12, e->comp_len);
        pmp_le64(p + 16, e->xxh64);
        pmp_le64(p + 24, e->first_group);
        pmp_le64(p + 32, e->first_pair);
        pmp_le32(p + 40, e->n_groups);
        pmp_le32(p + 44, e->n_pairs);
    }
    char *f = ix + ilen;
    memcpy(f, footer_magic, 8);
    pmp_le32(f + 8, PMP_SHARD_VERSION);
    pmp_le32(f + 12, 0);
    pmp_le64(f + 16, w->n_blocks);
    pmp_le64(f + 24, index_off);
    pmp_le64(f + 32, ilen);
    w->tot.index_xxh64 = pmp_xxh64(ix, ilen);
    pmp_le64(f + 40, w->tot.index_xxh64);
    pmp_le64(f + 48, w->tot.groups);
    pmp_le64(f + 56, w->tot.pairs);
    pmp_le64(f + 64, w->tot.tokens);
    pmp_le64(f + 72, w->tot.groups_without_pairs);
    pmp_le64(f + 80, pmp_xxh64(f, 80));
    memcpy(f + 88, end_magic, 8);
    int rc = pmp_dfile_write(&w->f, ix, ilen + PMP_SHARD_FOOTER_SIZE, err);
    free(ix);
    if (rc < 0) goto fail;
    w->tot.blocks = w->n_blocks;
    w->tot.bytes = w->f.bytes;
    if (pmp_dfile_commit(&w->f, &w->tot.xxh64, err) < 0) {
        writer_free(w);
        return -1;
    }
    if (tot) *tot = w->tot;
    writer_free(w);
    return 0;
fail:
    pmp_shard_writer_abort(w);
    return -1;
}

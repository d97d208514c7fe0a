/* loader.c — pairs from a shard directory in a seeded, memory-free shuffle
 * (loader.h). */
#include "loader.h"

#include <stdlib.h>
#include <string.h>

#include "pmp_shard.h"

typedef struct loader_shard {
    pmp_shard_reader *r;
    uint64_t first_pair;   /* global ordinal of its first pair */
    uint64_t pairs;
} loader_shard;

struct pmp_loader {
    pmp_manifest man;
    loader_shard *shards;
    size_t n_shards;
    uint64_t total;
    int32_t *tok;          /* int32 copies of the current pair's tokens */
    size_t tok_cap;
};

void pmp_loader_close(pmp_loader *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n_shards; i++) pmp_shard_close(l->shards[i].r);
    free(l->shards);
    pmp_manifest_free(&l->man);
    free(l->tok);
    free(l);
}

int pmp_loader_open(pmp_loader **out, const char *dir, pmp_err *err)
{
    *out = NULL;
    pmp_loader *l = pmp_xcalloc(1, sizeof *l);
    pmp_manifest_init(&l->man);
    if (pmp_manifest_load(&l->man, dir, err) < 0) goto fail;
    if (!l->man.complete) {
        pmp_err_set(err, "%s: the shard directory is incomplete (pmp-tokenize did not finish; "
                    "run it again with --resume)", dir);
        goto fail;
    }
    l->shards = pmp_xcalloc(l->man.n_shards ? l->man.n_shards : 1, sizeof *l->shards);
    pmp_buf path = PMP_BUF_INIT;
    for (size_t i = 0; i < l->man.n_shards; i++) {
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, l->man.shards[i].name);
        loader_shard *s = &l->shards[l->n_shards];
        if (pmp_shard_open(&s->r, path.data, err) < 0) {
            pmp_buf_free(&path);
            goto fail;
        }
        l->n_shards++;
        s->first_pair = l->total;
        s->pairs = pmp_shard_info(s->r)->pairs;
        if (s->pairs != l->man.shards[i].pairs) {
            pmp_err_set(err, "%s: holds %llu pairs, the manifest says %llu", path.data,
                        (unsigned long long)s->pairs, (unsigned long long)l->man.shards[i].pairs);
            pmp_buf_free(&path);
            goto fail;
        }
        l->total += s->pairs;
    }
    pmp_buf_free(&path);
    *out = l;
    return 0;
fail:
    pmp_loader_close(l);
    return -1;
}

uint64_t pmp_loader_pairs(const pmp_loader *l) { return l->total; }
const char *pmp_loader_tokenizer_identity(const pmp_loader *l) { return l->man.tok_identity; }
const char *pmp_loader_tokenizer_path(const pmp_loader *l) { return l->man.tok_path; }
const pmp_manifest *pmp_loader_manifest(const pmp_loader *l) { return &l->man; }
uint64_t pmp_loader_vocab_size(const pmp_loader *l) { return l->man.tok_vocab_size; }

static int32_t *copy_tokens(int32_t *dst, const uint32_t *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) dst[i] = (int32_t)src[i];
    return dst;
}

int pmp_loader_get(pmp_loader *l, uint64_t k, pmp_pair_view *v, pmp_err *err)
{
    if (k >= l->total)
        return pmp_err_set(err, "pair %llu is out of range (%llu pairs)", (unsigned long long)k,
                           (unsigned long long)l->total);
    size_t lo = 0, hi = l->n_shards;   /* last shard whose first_pair <= k */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (l->shards[mid].first_pair <= k) lo = mid;
        else hi = mid;
    }
    while (l->shards[lo].pairs == 0 || k - l->shards[lo].first_pair >= l->shards[lo].pairs) lo++;
    loader_shard *s = &l->shards[lo];
    pmp_shard_group g;
    uint32_t which;
    if (pmp_shard_pair(s->r, k - s->first_pair, &g, &which, err) < 0) return -1;
    const pmp_shard_resp *b = &g.resp[g.pairs[2 * which]], *w = &g.resp[g.pairs[2 * which + 1]];
    size_t need = (size_t)g.n_ctx + b->n_tokens + w->n_tokens;
    if (need > l->tok_cap) {
        l->tok_cap = need + need / 2 + 16;
        l->tok = pmp_xrealloc(l->tok, l->tok_cap * sizeof *l->tok);
    }
    v->ctx = copy_tokens(l->tok, g.ctx, g.n_ctx);
    v->better = copy_tokens(l->tok + g.n_ctx, b->tokens, b->n_tokens);
    v->worse = copy_tokens(l->tok + g.n_ctx + b->n_tokens, w->tokens, w->n_tokens);
    v->n_ctx = (int)g.n_ctx;
    v->n_better = (int)b->n_tokens;
    v->n_worse = (int)w->n_tokens;
    v->orig_better = b->orig_tokens;
    v->orig_worse = w->orig_tokens;
    return 0;
}

/* ---------- the shuffle ---------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t pmp_loader_permute(uint64_t seed, uint64_t epoch, uint64_t n, uint64_t i)
{
    if (n <= 1) return 0;
    /* Smallest even bit count 2h with 2^(2h) >= n: both Feistel halves have h bits,
     * and the domain is under 4n, so cycle-walking takes < 4 rounds on average. */
    int h = 1;
    while (h < 32 && (1ULL << (2 * h)) < n) h++;
    uint64_t mask = (1ULL << h) - 1;
    uint64_t key = mix64(seed ^ mix64(epoch + 0x9e3779b97f4a7c15ULL));
    uint64_t x = i;
    do {
        uint64_t left = x >> h, right = x & mask;
        for (int round = 0; round < 6; round++) {
            uint64_t f = mix64(right ^ key ^ ((uint64_t)round << 56)) & mask;
            uint64_t t = left ^ f;
            left = right;
            right = t;
        }
        x = (left << h) | right;
    } while (x >= n);
    return x;
}

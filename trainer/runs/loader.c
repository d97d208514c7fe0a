/* loader.c — pairs from a shard directory in a seeded, memory-free shuffle
 * (loader.h). */
#include "loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    uint64_t groups;       /* groups holding at least one usable pair */
    uint64_t *sel;         /* after pmp_loader_subsample: the usable pairs' storage
                            * ordinals, ascending (NULL: all pairs are usable) */
    uint64_t n_sel;
    int text;              /* a --text directory: the items are documents (records) */
};

void pmp_loader_close(pmp_loader *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n_shards; i++) pmp_shard_close(l->shards[i].r);
    free(l->shards);
    pmp_manifest_free(&l->man);
    free(l->tok);
    free(l->sel);
    free(l);
}

int pmp_loader_open(pmp_loader **out, const char *dir, pmp_err *err)
{
    *out = NULL;
    pmp_loader *l = pmp_xcalloc(1, sizeof *l);
    pmp_manifest_init(&l->man);
    /* the manifest checks itself, the run completed, each shard is the one listed */
    if (pmp_shard_dir_open(&l->man, dir, 0, err) < 0) goto fail;
    /* Every shard's size and whole-file checksum before the first step (one streaming
     * read, docs/robustness.md has its cost): damaged data stops a run at its start,
     * naming the shard, not hours in when the bad block is first read. */
    if (pmp_manifest_verify(&l->man, dir, 0, err) < 0) goto fail;
    l->text = l->man.policy.text_chunk_tokens > 0;
    l->shards = pmp_xcalloc(l->man.n_shards ? l->man.n_shards : 1, sizeof *l->shards);
    pmp_buf path = PMP_BUF_INIT;
    for (size_t i = 0; i < l->man.n_shards; i++) {
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, l->man.shards[i].name);
        loader_shard *s = &l->shards[l->n_shards];
        if (pmp_shard_dir_shard(&l->man, i, &s->r, err) < 0) {
            pmp_buf_free(&path);
            goto fail;
        }
        l->n_shards++;
        s->first_pair = l->total;
        s->pairs = l->text ? pmp_shard_info(s->r)->groups : pmp_shard_info(s->r)->pairs;
        uint64_t listed = l->text ? l->man.shards[i].groups : l->man.shards[i].pairs;
        if (s->pairs != listed) {
            pmp_err_setc(err, PMP_E_CORRUPT, "%s: holds %llu %s, the manifest says %llu", path.data,
                        (unsigned long long)s->pairs, l->text ? "documents" : "pairs",
                        (unsigned long long)listed);
            pmp_buf_free(&path);
            goto fail;
        }
        l->total += s->pairs;
    }
    pmp_buf_free(&path);
    l->groups = l->text ? l->man.stats.groups
                : l->man.stats.groups >= l->man.stats.groups_without_pairs
                    ? l->man.stats.groups - l->man.stats.groups_without_pairs : 0;
    *out = l;
    return 0;
fail:
    pmp_loader_close(l);
    return -1;
}

uint64_t pmp_loader_pairs(const pmp_loader *l) { return l->sel ? l->n_sel : l->total; }
uint64_t pmp_loader_groups(const pmp_loader *l) { return l->groups; }
int pmp_loader_is_text(const pmp_loader *l) { return l->text; }
uint64_t pmp_loader_all_pairs(const pmp_loader *l) { return l->total; }
uint64_t pmp_loader_pair_ordinal(const pmp_loader *l, uint64_t k)
{
    return l->sel ? (k < l->n_sel ? l->sel[k] : UINT64_MAX) : k;
}
const char *pmp_loader_tokenizer_identity(const pmp_loader *l) { return l->man.tok_identity; }
const pmp_manifest *pmp_loader_manifest(const pmp_loader *l) { return &l->man; }

static int32_t *copy_tokens(int32_t *dst, const uint32_t *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) dst[i] = (int32_t)src[i];
    return dst;
}

int pmp_loader_get(pmp_loader *l, uint64_t k, pmp_pair_view *v, pmp_err *err)
{
    if (k >= pmp_loader_pairs(l))
        return pmp_err_setc(err, PMP_E_INTERNAL, "pair %llu is out of range (%llu pairs)", (unsigned long long)k,
                           (unsigned long long)pmp_loader_pairs(l));
    if (l->sel) k = l->sel[k];
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
    if (l->text) {
        if (pmp_shard_group_at(s->r, k - s->first_pair, &g, err) < 0) return -1;
        if (g.n_ctx > l->tok_cap) {
            l->tok_cap = g.n_ctx + g.n_ctx / 2 + 16;
            l->tok = pmp_xrealloc(l->tok, l->tok_cap * sizeof *l->tok);
        }
        v->ctx = v->better = v->worse = copy_tokens(l->tok, g.ctx, g.n_ctx);
        v->n_ctx = (int)g.n_ctx;
        v->n_better = v->n_worse = 0;
        v->orig_better = v->orig_worse = 0;
        v->group_id = g.id;
        v->group_id_len = g.id_len;
        v->better_id = v->worse_id = "";
        v->better_id_len = v->worse_id_len = 0;
        v->better_index = v->worse_index = 0;
        v->better_score = v->worse_score = 0;
        return 0;
    }
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
    v->group_id = g.id;
    v->group_id_len = g.id_len;
    v->better_id = b->id ? b->id : "";
    v->better_id_len = b->id ? b->id_len : 0;
    v->worse_id = w->id ? w->id : "";
    v->worse_id_len = w->id ? w->id_len : 0;
    v->better_index = g.pairs[2 * which];
    v->worse_index = g.pairs[2 * which + 1];
    v->better_score = b->score;
    v->worse_score = w->score;
    return 0;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---------- the subsample ---------- */

uint64_t pmp_loader_group_key(uint64_t seed, uint64_t group)
{
    return mix64(seed ^ mix64(group + 0x9e3779b97f4a7c15ULL));
}

typedef struct sub_group {
    uint64_t key, index;   /* key, then group ordinal: a total order */
    uint64_t first_pair;   /* storage ordinal of its first pair */
    uint64_t pairs;
} sub_group;

static int sub_group_cmp(const void *a, const void *b)
{
    const sub_group *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int pmp_loader_subsample(pmp_loader *l, uint64_t seed, uint64_t max_pairs, pmp_err *err)
{
    if (l->sel)
        return pmp_err_setc(err, PMP_E_INTERNAL, "the loader is already restricted to a subsample");
    if (max_pairs == 0) return pmp_err_setc(err, PMP_E_USAGE, "--max-pairs must be at least 1");
    /* Every group holding pairs, in storage order: one pass over the shards. */
    size_t n = 0, cap = 64;
    sub_group *g = pmp_xmalloc(cap * sizeof *g);
    uint64_t group = 0, pair = 0;
    pmp_shard_decoder dec;
    memset(&dec, 0, sizeof dec);
    int rc = 0;
    for (size_t i = 0; i < l->n_shards && rc == 0; i++) {
        pmp_shard_reader *r = l->shards[i].r;
        uint64_t seen = 0;
        for (size_t b = 0; b < pmp_shard_n_blocks(r) && rc == 0; b++) {
            const char *raw;
            size_t len, pos = 0;
            rc = pmp_shard_read_block(r, b, &raw, &len, err);
            for (uint32_t j = 0; rc == 0 && j < pmp_shard_block(r, b)->n_groups; j++) {
                pmp_shard_group sg;
                rc = pmp_shard_record_get(&dec, raw, len, &pos, &sg, err);
                if (rc < 0) {
                    pmp_err_prefix(err, "%s: block %zu", l->man.shards[i].name, b);
                    break;
                }
                uint64_t items = l->text ? 1 : sg.n_pairs;   /* a document is one item */
                if (items) {
                    if (n == cap) g = pmp_xrealloc(g, (cap *= 2) * sizeof *g);
                    g[n++] = (sub_group){pmp_loader_group_key(seed, group), group, pair, items};
                }
                group++;
                pair += items;
                seen += items;
            }
        }
        if (rc == 0 && seen != l->shards[i].pairs)
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: its groups hold %llu pairs, its index says %llu",
                             l->man.shards[i].name, (unsigned long long)seen,
                             (unsigned long long)l->shards[i].pairs);
    }
    pmp_shard_decoder_free(&dec);
    if (rc < 0) {
        free(g);
        return -1;
    }
    qsort(g, n, sizeof *g, sub_group_cmp);
    uint64_t want = max_pairs < l->total ? max_pairs : l->total, have = 0;
    l->sel = pmp_xmalloc((want ? want : 1) * sizeof *l->sel);
    size_t taken = 0;
    for (; taken < n && have < want; taken++) {
        uint64_t k = g[taken].pairs < want - have ? g[taken].pairs : want - have;
        for (uint64_t j = 0; j < k; j++) l->sel[have++] = g[taken].first_pair + j;
    }
    free(g);
    qsort(l->sel, have, sizeof *l->sel, u64_cmp);
    l->n_sel = have;
    l->groups = taken;
    return 0;
}

/* ---------- the shuffle ---------- */

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

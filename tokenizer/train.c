/* train.c — learning byte-level BPE merges from text.
 *
 * 1. Counting (pmp_bpe_trainer_add): the pattern splits each text into pieces;
 *    OpenMP threads count pieces in per-thread tables (64-bit counts), merged
 *    once at the end. Sums do not depend on the thread count.
 * 2. Merging (pmp_bpe_trainer_finish): the distinct pieces ("words") are sorted
 *    by their bytes, so every later step sees the same order whatever the
 *    threads did. Pair counts are kept incrementally: a merge visits only the
 *    words that contain its pair (each pair keeps the list of such words) and
 *    fixes the counts of the pairs in those words. A max-heap holds (count,
 *    pair) entries that may be stale: a popped entry whose count no longer
 *    matches is pushed back with its current count (counts of existing pairs
 *    only ever fall; new pairs are pushed when they appear).
 * Tie-breaking: highest count, then smaller left id, then smaller right id.
 * A pair whose joined bytes already are a token (x+yz == xy+z) is skipped, so
 * every token comes from exactly one merge and rank order stays well defined. */
#include "bpe_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>




/* ---- a bytes -> count table (one per thread while counting) ---- */

typedef struct piece_ent {
    uint64_t hash;
    uint64_t count;
    uint32_t off, len;     /* into the table's arena; len 0 = empty */
} piece_ent;

typedef struct piece_map {
    piece_ent *e;
    size_t mask, used;
    pmp_buf arena;
} piece_map;

static void pm_init(piece_map *m)
{
    m->mask = 4095;
    m->used = 0;
    m->e = pmp_xcalloc(m->mask + 1, sizeof *m->e);
    m->arena = (pmp_buf)PMP_BUF_INIT;
}

static void pm_free(piece_map *m)
{
    free(m->e);
    pmp_buf_free(&m->arena);
}

static void pm_grow(piece_map *m)
{
    size_t mask = m->mask * 2 + 1;
    piece_ent *e = pmp_xcalloc(mask + 1, sizeof *e);
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->e[i].len) continue;
        size_t j = m->e[i].hash & mask;
        while (e[j].len) j = (j + 1) & mask;
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->mask = mask;
}

static void pm_add(piece_map *m, const unsigned char *p, size_t len, uint64_t count)
{
    uint64_t h = XXH3_64bits(p, len);
    size_t i = h & m->mask;
    while (m->e[i].len) {
        piece_ent *x = &m->e[i];
        if (x->hash == h && x->len == len && memcmp(m->arena.data + x->off, p, len) == 0) {
            x->count += count;
            return;
        }
        i = (i + 1) & m->mask;
    }
    piece_ent *x = &m->e[i];
    x->hash = h;
    x->count = count;
    x->off = (uint32_t)m->arena.len;
    x->len = (uint32_t)len;
    pmp_buf_append(&m->arena, p, len);
    if (++m->used * 2 > m->mask) pm_grow(m);
}

/* ---- the trainer ---- */

struct pmp_bpe_trainer {
    uint32_t vocab_size;
    uint64_t min_frequency;
    char *pattern_spec;
    char **specials;
    size_t n_specials;
    pcre2_code *re;
    int jit;
    int threads;
    int pretok;           /* PRETOK_*: the hand-written splitter for a named pattern */
    piece_map *maps;      /* one per thread */
    int n_maps;
};

int pmp_bpe_trainer_new(pmp_bpe_trainer **out, const pmp_bpe_train_opts *o, pmp_err *err)
{
    *out = NULL;
    if (o->vocab_size < 256 + o->n_specials)
        return pmp_err_setc(err, PMP_E_USAGE, "vocabulary size %u is below 256 bytes + %zu special tokens",
                           o->vocab_size, o->n_specials);
    const char *name;
    const char *pat = pmp_bpe_resolve_pattern(o->pattern, &name);
    int jit;
    pcre2_code *re = pmp_bpe_compile_pattern(pat, &jit, err);
    if (!re) return -1;
    pmp_bpe_trainer *t = pmp_xcalloc(1, sizeof *t);
    t->vocab_size = o->vocab_size;
    t->min_frequency = o->min_frequency ? o->min_frequency : 2;
    t->pattern_spec = pmp_xstrdup(pat);
    t->re = re;
    t->jit = jit;
    t->pretok = pmp_bpe_pretok_kind(name);
    t->threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    t->n_specials = o->n_specials;
    t->specials = pmp_xcalloc(o->n_specials + 1, sizeof *t->specials);
    for (size_t i = 0; i < o->n_specials; i++) {
        if (!o->specials[i][0]) {
            pmp_bpe_trainer_free(t);
            return pmp_err_setc(err, PMP_E_USAGE, "empty special token");
        }
        t->specials[i] = pmp_xstrdup(o->specials[i]);
    }
    t->n_maps = t->threads;
    t->maps = pmp_xcalloc((size_t)t->n_maps, sizeof *t->maps);
    for (int i = 0; i < t->n_maps; i++) pm_init(&t->maps[i]);
    *out = t;
    return 0;
}

void pmp_bpe_trainer_free(pmp_bpe_trainer *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_maps; i++) pm_free(&t->maps[i]);
    free(t->maps);
    for (size_t i = 0; i < t->n_specials; i++) free(t->specials[i]);
    free(t->specials);
    free(t->pattern_spec);
    if (t->re) pcre2_code_free(t->re);
    free(t);
}

static void count_cb(void *ctx, const unsigned char *p, size_t len)
{
    pm_add(ctx, p, len, 1);
}

int pmp_bpe_trainer_add(pmp_bpe_trainer *t, const char *const *texts, const size_t *lens,
                        size_t n, pmp_err *err)
{
    int failed = 0;
    pmp_err first;
#pragma omp parallel num_threads(t->n_maps)
    {
        bpe_matcher m;
        pmp_bpe_matcher_init(&m, t->re, t->jit);
        piece_map *map = &t->maps[omp_get_thread_num()];
        pmp_err e;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            const unsigned char *text = (const unsigned char *)texts[i];
            if (t->pretok) pmp_bpe_split_pretok(t->pretok, text, lens[i], count_cb, map);
            else if (pmp_bpe_split(t->re, &m, text, lens[i], count_cb, map, &e) < 0) {
#pragma omp critical
                if (!failed) {
                    failed = 1;
                    first = e;
                }
            }
        }
        pmp_bpe_matcher_free(&m);
    }
    if (failed) {
        if (err) *err = first;
        return -1;
    }
    return 0;
}

/* ---- merging ---- */

typedef struct word {
    const unsigned char *bytes;
    uint32_t len;
    uint64_t count;
} word;

static int cmp_word(const void *a, const void *b)
{
    const word *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->bytes, y->bytes, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

typedef struct pair {
    uint32_t a, b;
    int64_t count;
    uint32_t *words;       /* indices of words that contain (or once contained) the pair */
    uint32_t n_words, cap_words;
    uint8_t banned;        /* its joined bytes already are a token */
    uint32_t pushed;       /* the merge (new id) in which it was last pushed */
} pair;

typedef struct pair_table {
    uint32_t *slot;        /* pair index + 1; 0 = empty */
    size_t mask;
    pair *p;
    size_t n, cap;
} pair_table;

static inline uint64_t pair_hash(uint32_t a, uint32_t b)
{
    uint64_t k = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ULL;
    return k ^ (k >> 31);
}

static uint32_t pt_get(pair_table *t, uint32_t a, uint32_t b)
{
    size_t i = pair_hash(a, b) & t->mask;
    for (;; i = (i + 1) & t->mask) {
        uint32_t s = t->slot[i];
        if (!s) break;
        if (t->p[s - 1].a == a && t->p[s - 1].b == b) return s - 1;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1 << 16;
        t->p = pmp_xrealloc(t->p, t->cap * sizeof *t->p);
    }
    uint32_t idx = (uint32_t)t->n++;
    t->p[idx] = (pair){a, b, 0, NULL, 0, 0, 0, 0};
    t->slot[i] = idx + 1;
    if (t->n * 2 > t->mask) {
        size_t mask = t->mask * 2 + 1;
        uint32_t *ns = pmp_xcalloc(mask + 1, sizeof *ns);
        for (size_t k = 0; k < t->n; k++) {
            size_t j = pair_hash(t->p[k].a, t->p[k].b) & mask;
            while (ns[j]) j = (j + 1) & mask;
            ns[j] = (uint32_t)k + 1;
        }
        free(t->slot);
        t->slot = ns;
        t->mask = mask;
    }
    return idx;
}

static void pair_add_word(pair *p, uint32_t w)
{
    if (p->n_words && p->words[p->n_words - 1] == w) return;
    if (p->n_words == p->cap_words) {
        p->cap_words = p->cap_words ? p->cap_words * 2 : 4;
        p->words = pmp_xrealloc(p->words, p->cap_words * sizeof *p->words);
    }
    p->words[p->n_words++] = w;
}

typedef struct hent {
    int64_t count;
    uint32_t a, b;
} hent;

static inline int hent_before(hent x, hent y)
{
    if (x.count != y.count) return x.count > y.count;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
}

typedef struct heap {
    hent *e;
    size_t n, cap;
} heap;

static void hpush(heap *h, hent v)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1 << 16;
        h->e = pmp_xrealloc(h->e, h->cap * sizeof *h->e);
    }
    size_t i = h->n++;
    while (i && hent_before(v, h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = v;
}

static hent hpop(heap *h)
{
    hent top = h->e[0], last = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && hent_before(h->e[c + 1], h->e[c])) c++;
        if (!hent_before(h->e[c], last)) break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->n) h->e[i] = last;
    return top;
}

/* Adds delta * count for every adjacent pair of sym[0..n); with track, also
 * records word w in the lists of pairs that contain symbol z. */
static void count_pairs(pair_table *pt, const uint32_t *sym, uint32_t n, int64_t delta, uint32_t w,
                        uint32_t z, int track)
{
    for (uint32_t i = 0; i + 1 < n; i++) {
        uint32_t pi = pt_get(pt, sym[i], sym[i + 1]);
        pt->p[pi].count += delta;
        if (track && (sym[i] == z || sym[i + 1] == z)) pair_add_word(&pt->p[pi], w);
    }
}

int pmp_bpe_trainer_finish(pmp_bpe_trainer *t, pmp_bpe **out, uint64_t stats[2], pmp_err *err)
{
    *out = NULL;
    /* Merge the per-thread counts into map 0. */
    piece_map *all = &t->maps[0];
    for (int k = 1; k < t->n_maps; k++) {
        piece_map *m = &t->maps[k];
        for (size_t i = 0; i <= m->mask; i++)
            if (m->e[i].len)
                pm_add(all, (const unsigned char *)m->arena.data + m->e[i].off, m->e[i].len,
                       m->e[i].count);
        pm_free(m);
        pm_init(m);
    }
    size_t nw = 0;
    word *words = pmp_xmalloc((all->used + 1) * sizeof *words);
    for (size_t i = 0; i <= all->mask; i++)
        if (all->e[i].len)
            words[nw++] = (word){(const unsigned char *)all->arena.data + all->e[i].off,
                                 all->e[i].len, all->e[i].count};
    qsort(words, nw, sizeof *words, cmp_word);

    /* Symbols of all words in one array; word w owns sym[start[w] .. start[w]+len[w]). */
    size_t total = 0;
    for (size_t w = 0; w < nw; w++) total += words[w].len;
    uint32_t *sym = pmp_xmalloc((total + 1) * sizeof *sym);
    size_t *start = pmp_xmalloc((nw + 1) * sizeof *start);
    uint32_t *wlen = pmp_xmalloc((nw + 1) * sizeof *wlen);
    uint32_t *stamp = pmp_xcalloc(nw + 1, sizeof *stamp);
    for (size_t w = 0, o = 0; w < nw; w++) {
        start[w] = o;
        wlen[w] = words[w].len;
        for (uint32_t k = 0; k < words[w].len; k++) sym[o++] = words[w].bytes[k];
    }

    /* Token bytes by id, and the builder that will own them. */
    pmp_bpe *b = pmp_bpe_new();
    int rc = 0;
    for (int c = 0; c < 256 && rc == 0; c++) {
        unsigned char byte = (unsigned char)c;
        rc = pmp_bpe_add_token(b, (uint32_t)c, &byte, 1, 0, err);
    }

    pair_table pt = {0};
    pt.mask = (1 << 16) - 1;
    pt.slot = pmp_xcalloc(pt.mask + 1, sizeof *pt.slot);
    for (size_t w = 0; w < nw; w++) {
        const uint32_t *s = sym + start[w];
        for (uint32_t i = 0; i + 1 < wlen[w]; i++) {
            uint32_t pi = pt_get(&pt, s[i], s[i + 1]);
            pt.p[pi].count += (int64_t)words[w].count;
            pair_add_word(&pt.p[pi], (uint32_t)w);
        }
    }
    heap h = {0};
    for (size_t i = 0; i < pt.n; i++) hpush(&h, (hent){pt.p[i].count, pt.p[i].a, pt.p[i].b});

    uint32_t target = t->vocab_size - (uint32_t)t->n_specials;
    uint32_t next_id = 256, merges = 0;
    pmp_buf joined = PMP_BUF_INIT;
    uint32_t *fresh = NULL;   /* pairs that gained counts in this merge */
    size_t n_fresh = 0, cap_fresh = 0;
    while (rc == 0 && next_id < target && h.n) {
        hent e = hpop(&h);
        uint32_t pi = pt_get(&pt, e.a, e.b);
        pair *p = &pt.p[pi];
        if (p->banned || p->count <= 0) continue;
        if (p->count != e.count) {
            hpush(&h, (hent){p->count, e.a, e.b});
            continue;
        }
        if ((uint64_t)p->count < t->min_frequency) break;
        size_t la, lb;
        const char *ba = pmp_bpe_token(b, e.a, &la), *bb = pmp_bpe_token(b, e.b, &lb);
        pmp_buf_clear(&joined);
        pmp_buf_append(&joined, ba, la);
        pmp_buf_append(&joined, bb, lb);
        if (joined.len > UINT16_MAX || bpe_find(b, joined.data, joined.len)) {
            p->banned = 1;
            continue;
        }
        uint32_t z = next_id++;
        rc = pmp_bpe_add_token(b, z, joined.data, joined.len, 256 + merges, err);
        merges++;
        uint32_t a = e.a, c = e.b;
        /* The list may grow while we walk it (a == z never happens: z is new). */
        for (uint32_t k = 0; k < pt.p[pi].n_words; k++) {
            uint32_t w = pt.p[pi].words[k];
            if (stamp[w] == z) continue;
            stamp[w] = z;
            uint32_t *s = sym + start[w], n = wlen[w];
            int found = 0;
            for (uint32_t i = 0; i + 1 < n; i++)
                if (s[i] == a && s[i + 1] == c) { found = 1; break; }
            if (!found) continue;
            int64_t f = (int64_t)words[w].count;
            count_pairs(&pt, s, n, -f, (uint32_t)w, z, 0);
            uint32_t o = 0;
            for (uint32_t i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == a && s[i + 1] == c) {
                    s[o++] = z;
                    i++;
                } else {
                    s[o++] = s[i];
                }
            }
            wlen[w] = o;
            count_pairs(&pt, s, o, f, (uint32_t)w, z, 1);
            for (uint32_t i = 0; i + 1 < o; i++) {
                if (s[i] != z && s[i + 1] != z) continue;
                if (n_fresh == cap_fresh) {
                    cap_fresh = cap_fresh ? cap_fresh * 2 : 1024;
                    fresh = pmp_xrealloc(fresh, cap_fresh * sizeof *fresh);
                }
                fresh[n_fresh++] = pt_get(&pt, s[i], s[i + 1]);
            }
        }
        /* The merged pair is gone; new pairs (with z) enter the heap once each. */
        pt.p[pi].count = 0;
        free(pt.p[pi].words);
        pt.p[pi].words = NULL;
        pt.p[pi].n_words = pt.p[pi].cap_words = 0;
        for (size_t k = 0; k < n_fresh; k++) {
            pair *q = &pt.p[fresh[k]];
            if (q->banned || q->pushed == z) continue;
            q->pushed = z;
            hpush(&h, (hent){q->count, q->a, q->b});
        }
        n_fresh = 0;
    }
    free(fresh);
    pmp_buf_free(&joined);
    for (size_t i = 0; i < pt.n; i++) free(pt.p[i].words);
    free(pt.p);
    free(pt.slot);
    free(h.e);
    free(sym);
    free(start);
    free(wlen);
    free(stamp);
    free(words);
    if (stats) {
        stats[0] = nw;
        stats[1] = merges;
    }
    for (size_t i = 0; i < t->n_specials && rc == 0; i++)
        rc = pmp_bpe_add_special(b, next_id++, t->specials[i], strlen(t->specials[i]), err);
    if (rc == 0) rc = pmp_bpe_finish(b, t->pattern_spec, "trained", "training", err);
    if (rc < 0) {
        pmp_bpe_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

/* dedup_minhash.c — MinHash signatures over word shingles, the LSH index of the
 * groups kept so far, and the set of exact-duplicate keys. */
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_internal.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void pmp_dedup_minhash_init(pmp_dedup_minhash *m, unsigned perms, unsigned bands, unsigned shingle,
                            uint64_t seed)
{
    m->perms = perms;
    m->bands = bands;
    m->rows = perms / bands;
    m->shingle = shingle;
    m->a = pmp_xmalloc(perms * sizeof *m->a);
    m->b = pmp_xmalloc(perms * sizeof *m->b);
    uint64_t s = seed;
    for (unsigned i = 0; i < perms; i++) {
        m->a[i] = splitmix64(&s) | 1;
        m->b[i] = splitmix64(&s);
    }
}

void pmp_dedup_minhash_free(pmp_dedup_minhash *m)
{
    free(m->a);
    free(m->b);
    memset(m, 0, sizeof *m);
}

/* Multiply-shift hashing: the high 32 bits of a*x + b (mod 2^64) are a 2-universal
 * family (Dietzfelbinger); x is already a good 64-bit hash of the shingle. The loop
 * vectorises (AVX-512 has the 64-bit multiply). */
static void minhash_update(const pmp_dedup_minhash *m, uint64_t x, uint32_t *restrict sig)
{
    const uint64_t *restrict a = m->a, *restrict b = m->b;
    for (unsigned i = 0; i < m->perms; i++) {
        uint32_t v = (uint32_t)((a[i] * x + b[i]) >> 32);
        sig[i] = v < sig[i] ? v : sig[i];
    }
}

size_t pmp_dedup_signature(const pmp_dedup_minhash *m, const uint64_t *words, size_t n, uint32_t *sig)
{
    if (n == 0) return 0;
    for (unsigned i = 0; i < m->perms; i++) sig[i] = UINT32_MAX;
    size_t k = m->shingle;
    if (n < k) {
        minhash_update(m, XXH3_64bits(words, n * sizeof *words), sig);
        return 1;
    }
    for (size_t i = 0; i + k <= n; i++) minhash_update(m, XXH3_64bits(words + i, k * sizeof *words), sig);
    return n - k + 1;
}

/* ---------- LSH ---------- */

void pmp_dedup_lsh_init(pmp_dedup_lsh *x, const pmp_dedup_minhash *m)
{
    memset(x, 0, sizeof *x);
    x->m = m;
}

void pmp_dedup_lsh_free(pmp_dedup_lsh *x)
{
    free(x->sigs);
    free(x->slots);
    free(x->seen);
    memset(x, 0, sizeof *x);
}

static uint64_t band_key(const pmp_dedup_minhash *m, const uint32_t *sig, unsigned band)
{
    return XXH3_64bits_withSeed(sig + band * m->rows, m->rows * sizeof *sig, band + 1);
}

uint64_t pmp_dedup_lsh_bytes(const pmp_dedup_lsh *x)
{
    return (uint64_t)x->cap * x->m->perms * sizeof *x->sigs + (uint64_t)x->n_slots * sizeof *x->slots;
}

uint64_t pmp_dedup_lsh_bytes_after_insert(const pmp_dedup_lsh *x)
{
    uint64_t cap = x->n == x->cap ? (x->cap ? 2 * x->cap : 64) : x->cap;
    uint64_t slots = x->n_slots;
    while ((x->used + x->m->bands) * 2 > slots) slots = slots ? 2 * slots : 1024;
    return cap * x->m->perms * sizeof *x->sigs + slots * sizeof *x->slots;
}

/* A slot holds the band key's high 32 bits and the group + 1; its position comes from
 * those 32 bits alone, so the table can grow without the full keys. A false match
 * of 32 bits only costs one more verification. */
static size_t slot_home(uint32_t key_hi, size_t mask)
{
    return (size_t)(((uint64_t)key_hi * 0x9e3779b97f4a7c15ull) >> 20) & mask;
}

static void slot_put(uint64_t *slots, size_t n_slots, uint64_t entry)
{
    size_t mask = n_slots - 1, i = slot_home((uint32_t)(entry >> 32), mask);
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = entry;
}

static void lsh_grow(pmp_dedup_lsh *x, size_t want)
{
    size_t n = x->n_slots ? x->n_slots : 1024;
    while (want * 2 > n) n *= 2;
    if (n == x->n_slots) return;
    uint64_t *slots = pmp_xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < x->n_slots; i++)
        if (x->slots[i]) slot_put(slots, n, x->slots[i]);
    free(x->slots);
    x->slots = slots;
    x->n_slots = n;
}

void pmp_dedup_lsh_insert(pmp_dedup_lsh *x, const uint32_t *sig)
{
    const pmp_dedup_minhash *m = x->m;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        x->sigs = pmp_xrealloc(x->sigs, x->cap * m->perms * sizeof *x->sigs);
    }
    uint16_t *s = x->sigs + x->n * m->perms;
    for (unsigned i = 0; i < m->perms; i++) s[i] = (uint16_t)sig[i];
    lsh_grow(x, x->used + m->bands);
    for (unsigned b = 0; b < m->bands; b++) {
        uint64_t key = band_key(m, sig, b);
        slot_put(x->slots, x->n_slots, (key >> 32) << 32 | (uint64_t)(x->n + 1));
    }
    x->used += m->bands;
    x->n++;
}

/* b-bit MinHash (Li & Koenig 2010) with b = 16: two different minima agree in their
 * low 16 bits with probability 2^-16, so E[match] = J + (1 - J) 2^-16. */
double pmp_dedup_sig_estimate(const pmp_dedup_minhash *m, const uint16_t *a, const uint16_t *b)
{
    unsigned same = 0;
    for (unsigned i = 0; i < m->perms; i++) same += a[i] == b[i];
    const double c = 1.0 / 65536;
    return ((double)same / m->perms - c) / (1 - c);
}

uint32_t pmp_dedup_band_hi(const pmp_dedup_minhash *m, const uint32_t *sig, unsigned band)
{
    return (uint32_t)(band_key(m, sig, band) >> 32);
}

int pmp_dedup_lsh_query(pmp_dedup_lsh *x, const uint32_t *sig, double near, uint64_t *candidates)
{
    const pmp_dedup_minhash *m = x->m;
    if (!x->n) return 0;
    uint16_t low[PMP_DEDUP_MAX_PERMS];
    for (unsigned i = 0; i < m->perms; i++) low[i] = (uint16_t)sig[i];
    x->n_seen = 0;
    size_t mask = x->n_slots - 1;
    for (unsigned b = 0; b < m->bands; b++) {
        uint32_t hi = pmp_dedup_band_hi(m, sig, b);
        for (size_t i = slot_home(hi, mask); x->slots[i]; i = (i + 1) & mask) {
            if ((uint32_t)(x->slots[i] >> 32) != hi) continue;
            uint32_t g = (uint32_t)x->slots[i] - 1;
            int seen = 0;
            for (size_t k = 0; k < x->n_seen && !seen; k++) seen = x->seen[k] == g;
            if (seen) continue;
            if (x->n_seen == x->cap_seen) {
                x->cap_seen = x->cap_seen ? 2 * x->cap_seen : 64;
                x->seen = pmp_xrealloc(x->seen, x->cap_seen * sizeof *x->seen);
            }
            x->seen[x->n_seen++] = g;
            (*candidates)++;
            if (pmp_dedup_sig_estimate(m, x->sigs + (size_t)g * m->perms, low) >= near) return 1;
        }
    }
    return 0;
}

/* ---------- the exact-duplicate keys ---------- */

static size_t key_home(const uint64_t *k, size_t mask) { return (size_t)(k[0] ^ (k[1] >> 7)) & mask; }

int pmp_dedup_keyset_add(pmp_dedup_keyset *s, const uint64_t key[2])
{
    uint64_t k[2] = {key[0], key[1]};
    if (!k[0] && !k[1]) k[1] = 1;
    if ((s->used + 1) * 2 > s->n_slots) {
        size_t n = s->n_slots ? 2 * s->n_slots : 1024;
        uint64_t *t = pmp_xcalloc(n * 2, sizeof *t);
        for (size_t i = 0; i < s->n_slots; i++) {
            const uint64_t *e = s->k + 2 * i;
            if (!e[0] && !e[1]) continue;
            size_t j = key_home(e, n - 1);
            while (t[2 * j] || t[2 * j + 1]) j = (j + 1) & (n - 1);
            t[2 * j] = e[0];
            t[2 * j + 1] = e[1];
        }
        free(s->k);
        s->k = t;
        s->n_slots = n;
    }
    size_t mask = s->n_slots - 1, i = key_home(k, mask);
    for (; s->k[2 * i] || s->k[2 * i + 1]; i = (i + 1) & mask)
        if (s->k[2 * i] == k[0] && s->k[2 * i + 1] == k[1]) return 1;
    s->k[2 * i] = k[0];
    s->k[2 * i + 1] = k[1];
    s->used++;
    return 0;
}

uint64_t pmp_dedup_keyset_bytes(const pmp_dedup_keyset *s) { return (uint64_t)s->n_slots * 16; }

uint64_t pmp_dedup_keyset_bytes_after_insert(const pmp_dedup_keyset *s)
{
    size_t n = s->n_slots;
    if ((s->used + 1) * 2 > n) n = n ? 2 * n : 1024;
    return (uint64_t)n * 16;
}

void pmp_dedup_keyset_free(pmp_dedup_keyset *s)
{
    free(s->k);
    memset(s, 0, sizeof *s);
}

/* mixture.c — several shard directories as one pair stream, mixed by weight
 * (loader.h, "several shard directories"). */
#include <stdlib.h>
#include <string.h>

#include "loader.h"

struct pmp_mix {
    pmp_loader **src;
    size_t n;
    uint64_t seed;
    int weighted;
    uint64_t *size;      /* [n] pairs */
    uint64_t *first;     /* [n] union mode: ordinal of each source's first pair */
    uint64_t total;
    double *cum;         /* [n] weighted: cumulative probability, cum[n-1] = 1 */
    uint64_t *count;     /* [n] draws so far */
    uint64_t q;          /* the next position */
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

pmp_mix *pmp_mix_new(pmp_loader **sources, const double *weights, size_t n, uint64_t seed)
{
    uint64_t *sizes = pmp_xmalloc(n * sizeof *sizes);
    for (size_t k = 0; k < n; k++) sizes[k] = pmp_loader_pairs(sources[k]);
    pmp_mix *m = pmp_mix_new_sizes(sizes, weights, n, seed);
    memcpy(m->src, sources, n * sizeof *m->src);
    free(sizes);
    return m;
}

pmp_mix *pmp_mix_new_sizes(const uint64_t *sizes, const double *weights, size_t n, uint64_t seed)
{
    pmp_mix *m = pmp_xcalloc(1, sizeof *m);
    m->src = pmp_xcalloc(n, sizeof *m->src);
    m->n = n;
    m->seed = seed;
    m->size = pmp_xcalloc(n, sizeof *m->size);
    m->first = pmp_xcalloc(n, sizeof *m->first);
    m->count = pmp_xcalloc(n, sizeof *m->count);
    m->cum = pmp_xcalloc(n, sizeof *m->cum);
    for (size_t k = 0; k < n; k++) {
        m->size[k] = sizes[k];
        m->first[k] = m->total;
        m->total += m->size[k];
    }
    /* weights proportional to the sizes (to 1e-12) are the union: no sampling noise,
     * and the very batches of the merged directory */
    if (weights) {
        for (size_t k = 1; k < n && !m->weighted; k++) {
            double a = weights[k] * (double)m->size[0], b = weights[0] * (double)m->size[k];
            if (a - b > 1e-12 * b || b - a > 1e-12 * b) m->weighted = 1;
        }
    }
    if (m->weighted) {
        double w = 0;
        for (size_t k = 0; k < n; k++) w += weights[k];
        double acc = 0;
        for (size_t k = 0; k < n; k++) m->cum[k] = (acc += weights[k]) / w;
        m->cum[n - 1] = 1.0;
    }
    return m;
}

void pmp_mix_free(pmp_mix *m)
{
    if (!m) return;
    free(m->src);
    free(m->size);
    free(m->first);
    free(m->count);
    free(m->cum);
    free(m);
}

int pmp_mix_weighted(const pmp_mix *m) { return m->weighted; }
size_t pmp_mix_sources(const pmp_mix *m) { return m->n; }
pmp_loader *pmp_mix_source(const pmp_mix *m, size_t k) { return m->src[k]; }
uint64_t pmp_mix_count(const pmp_mix *m, size_t k) { return m->count[k]; }

/* Weighted mode: the source of position q, from 53 bits of a hash of (seed, q). */
static size_t draw_source(const pmp_mix *m, uint64_t q)
{
    uint64_t h = mix64(m->seed ^ mix64(q ^ 0x6a09e667f3bcc909ULL));
    double u = (double)(h >> 11) * 0x1.0p-53;
    size_t k = 0;
    while (k + 1 < m->n && u >= m->cum[k]) k++;
    return k;
}

void pmp_mix_seek(pmp_mix *m, uint64_t q)
{
    memset(m->count, 0, m->n * sizeof *m->count);
    m->q = 0;
    if (!m->weighted) {   /* union: the counts only say where the positions fell */
        uint64_t full = q / m->total, rest = q % m->total;
        for (size_t k = 0; k < m->n; k++) m->count[k] = full * m->size[k];
        for (uint64_t i = 0; i < rest; i++) {   /* the partial epoch, position by position */
            uint64_t u = pmp_loader_permute(m->seed, full, m->total, i);
            size_t k = 0;
            while (k + 1 < m->n && u >= m->first[k + 1]) k++;
            m->count[k]++;
        }
        m->q = q;
        return;
    }
    for (uint64_t i = 0; i < q; i++) m->count[draw_source(m, i)]++;
    m->q = q;
}

void pmp_mix_next(pmp_mix *m, size_t *source, uint64_t *pair)
{
    uint64_t q = m->q++;
    if (!m->weighted) {
        uint64_t u = pmp_loader_permute(m->seed, q / m->total, m->total, q % m->total);
        size_t k = 0;
        while (k + 1 < m->n && u >= m->first[k + 1]) k++;
        m->count[k]++;
        *source = k;
        *pair = u - m->first[k];
        return;
    }
    size_t k = draw_source(m, q);
    uint64_t c = m->count[k]++, nk = m->size[k];
    uint64_t seed_k = m->seed ^ mix64(0x9e3779b97f4a7c15ULL * (k + 1));
    *source = k;
    *pair = pmp_loader_permute(seed_k, c / nk, nk, c % nk);
}

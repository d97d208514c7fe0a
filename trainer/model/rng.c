#include "pmp_model.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pmp_rng_seed(pmp_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pmp_rng_u64(pmp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* 24-bit uniforms in [0, 1). */
float pmp_rng_uniform(pmp_rng *r)
{
    return (float)(pmp_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t pmp_rng_below(pmp_rng *r, uint64_t n)
{
    /* Rejection keeps every value equally likely. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = pmp_rng_u64(r);
    while (x >= lim);
    return x % n;
}

float pmp_rng_normal(pmp_rng *r)
{
    /* 53-bit uniforms in (0, 1]: log never sees 0. */
    double u1 = ((double)(pmp_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(pmp_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

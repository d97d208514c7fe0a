/* pmp_rng.h — the trainer's only source of randomness: an explicit, copyable state.
 *
 * All randomness (weight init, and later data order) flows through a pmp_rng that
 * the caller owns, so a checkpoint saves it as plain bytes and resume continues
 * the exact same stream. xoshiro256** seeded through splitmix64.
 */
#ifndef PMP_RNG_H
#define PMP_RNG_H

#include <stdint.h>

typedef struct pmp_rng {
    uint64_t s[4];
} pmp_rng;

void pmp_rng_seed(pmp_rng *r, uint64_t seed);
uint64_t pmp_rng_u64(pmp_rng *r);
/* Uniform in [0, 1) with 24 random bits (exact in float). */
float pmp_rng_uniform(pmp_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pmp_rng_below(pmp_rng *r, uint64_t n);
/* Standard normal (Box-Muller on two draws; no cached second value, so the
 * state is the whole story). */
float pmp_rng_normal(pmp_rng *r);

#endif

/* pmp_pairing.h — which ranked pairs (better, worse) a comparison group yields
 * (docs/tokenize.md, "pairing policy"). One module, so pmp-tokenize, the tests
 * and the docs agree on a single definition. */
#ifndef PMP_PAIRING_H
#define PMP_PAIRING_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_shard.h"

typedef struct pmp_pairs_policy {
    uint32_t max_pairs_per_group;  /* 0 = unlimited; default 8 */
    double min_score_gap;          /* keep a pair only if |score_a - score_b| >= this (> 0 always) */
    int time_rule;                 /* PMP_TIME_RULE_*: first-mover correction (docs/tokenize.md) */
    int shp_rule;                  /* Stanford SHP's pair rule (docs/tokenize.md) */
} pmp_pairs_policy;

void pmp_pairs_policy_default(pmp_pairs_policy *p);

/* The pairing fields of a manifest's policy (pmp_shard.h), where pmp-tokenize keeps
 * them between its flags and the shards: copied both ways field by field, so the
 * defaults above are the only ones. */
void pmp_pairs_policy_to_manifest(const pmp_pairs_policy *p, pmp_manifest_policy *m);
void pmp_pairs_policy_from_manifest(const pmp_manifest_policy *m, pmp_pairs_policy *p);

/* Counters for the stats. */
typedef struct pmp_pairs_stats {
    uint64_t candidates;     /* pairs with different scores */
    uint64_t dropped_gap;    /* below --min-score-gap */
    uint64_t dropped_time;   /* removed by the time rule or the SHP rule */
    uint64_t dropped_cap;    /* over --max-pairs-per-group */
} pmp_pairs_stats;

/* Forms the pairs of one group: for every i < j with different scores, the
 * better response first; filtered by the gap and time rule; if more than K
 * remain, the K with the smallest xxHash64 of (group id, better, worse) are
 * kept. Output: 2*n values in out (grown as needed), in (i, j) enumeration
 * order. Returns the number of pairs. Deterministic: depends only on the
 * arguments. */
size_t pmp_pairs_form(const pmp_pairs_policy *p, const char *group_id, size_t id_len,
                      const double *scores, const double *created_utc, size_t n,
                      uint32_t **out, size_t *out_cap, pmp_pairs_stats *st);

/* Split assignment: 1 if the key (the group's split key, or its id: pmp_group_split_key)
 * hashes into fold `fold` of width `fraction` of the 64-bit range,
 * [fold * fraction, (fold + 1) * fraction) (xxHash64 of the key, seed PMP_SPLIT_SEED). Folds 0 .. ceil(1 / fraction) - 1 partition the groups:
 * k-fold cross-validation. */
#define PMP_SPLIT_SEED 0x706d702d73706c74ull   /* "pmp-splt" */
int pmp_pairs_in_split(const char *key, size_t key_len, double fraction, uint64_t fold);

#endif

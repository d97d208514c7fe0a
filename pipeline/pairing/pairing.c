/* pairing.c — ranked pairs from a group (pmp_pairing.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pmp_pairing.h"

#define PAIR_SEED 0x706d702d70616972ull   /* "pmp-pair" */

void pmp_pairs_policy_default(pmp_pairs_policy *p)
{
    p->max_pairs_per_group = 8;
    p->min_score_gap = 0;
    p->time_rule = 0;
    p->shp_rule = 0;
}

void pmp_pairs_policy_to_manifest(const pmp_pairs_policy *p, pmp_manifest_policy *m)
{
    m->max_pairs_per_group = p->max_pairs_per_group;
    m->min_score_gap = p->min_score_gap;
    m->time_rule = p->time_rule;
    m->shp_rule = p->shp_rule;
}

void pmp_pairs_policy_from_manifest(const pmp_manifest_policy *m, pmp_pairs_policy *p)
{
    /* pmp-tokenize refuses --max-pairs-per-group above UINT32_MAX */
    p->max_pairs_per_group = (uint32_t)m->max_pairs_per_group;
    p->min_score_gap = m->min_score_gap;
    p->time_rule = m->time_rule;
    p->shp_rule = m->shp_rule;
}

/* A first-mover correction: an earlier comment has had more time to collect
 * votes, so "a beats b" is trusted if a was posted no earlier than b (it won
 * without that head start), or if a's score is at least twice b's (a margin the
 * head start is unlikely to explain). Applies only when both times are known.
 * Until 2026-12-07 the first test was the other way round (ta <= tb), which kept
 * exactly the pairs the head start can explain; manifests record which rule
 * wrote a shard directory (PMP_TIME_RULE_*, pmp_shard.h). */
static int time_ok(double sa, double sb, double ta, double tb)
{
    if (isnan(ta) || isnan(tb)) return 1;
    return ta >= tb || sa >= 2 * sb;
}

/* Stanford SHP's pair rule: "a beats b" only if a (the higher score) was written
 * no earlier than b, so that its higher score cannot come from having been
 * visible longer, and a's score is at least twice b's (b's above zero). Both
 * times must be known. */
static int shp_ok(double sa, double sb, double ta, double tb)
{
    if (isnan(ta) || isnan(tb)) return 0;
    return ta >= tb && sb > 0 && sa >= 2 * sb;
}

/* xxHash64 of le32(a) le32(b), seeded with xxHash64(group id, PAIR_SEED). */
static uint64_t pair_hash(uint64_t id_hash, uint32_t a, uint32_t b)
{
    unsigned char t[8];
    for (int k = 0; k < 4; k++) {
        t[k] = (unsigned char)(a >> (8 * k));
        t[4 + k] = (unsigned char)(b >> (8 * k));
    }
    return XXH64(t, 8, id_hash);
}

typedef struct cand {
    uint64_t h;
    uint32_t a, b;
    size_t order;
} cand;

static int by_hash(const void *x, const void *y)
{
    const cand *p = x, *q = y;
    if (p->h != q->h) return p->h < q->h ? -1 : 1;
    return p->order < q->order ? -1 : p->order > q->order;
}

static int by_order(const void *x, const void *y)
{
    const cand *p = x, *q = y;
    return p->order < q->order ? -1 : p->order > q->order;
}

size_t pmp_pairs_form(const pmp_pairs_policy *p, const char *group_id, size_t id_len,
                      const double *scores, const double *created_utc, size_t n,
                      uint32_t **out, size_t *out_cap, pmp_pairs_stats *st)
{
    size_t nc = 0, cap = 16;
    cand *c = pmp_xmalloc(cap * sizeof *c);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (scores[i] == scores[j]) continue;
            st->candidates++;
            size_t a = scores[i] > scores[j] ? i : j, b = a == i ? j : i;
            if (fabs(scores[a] - scores[b]) < p->min_score_gap) {
                st->dropped_gap++;
                continue;
            }
            if (p->time_rule && created_utc &&
                !time_ok(scores[a], scores[b], created_utc[a], created_utc[b])) {
                st->dropped_time++;
                continue;
            }
            if (p->shp_rule &&
                !shp_ok(scores[a], scores[b], created_utc ? created_utc[a] : NAN,
                        created_utc ? created_utc[b] : NAN)) {
                st->dropped_time++;
                continue;
            }
            if (nc == cap) {
                cap *= 2;
                c = pmp_xrealloc(c, cap * sizeof *c);
            }
            c[nc] = (cand){0, (uint32_t)a, (uint32_t)b, nc};
            nc++;
        }
    if (p->max_pairs_per_group && nc > p->max_pairs_per_group) {
        uint64_t idh = XXH64(group_id, id_len, PAIR_SEED);
        for (size_t k = 0; k < nc; k++) c[k].h = pair_hash(idh, c[k].a, c[k].b);
        qsort(c, nc, sizeof *c, by_hash);
        st->dropped_cap += nc - p->max_pairs_per_group;
        nc = p->max_pairs_per_group;
        qsort(c, nc, sizeof *c, by_order);
    }
    if (2 * nc > *out_cap) {
        *out_cap = 2 * nc + 16;
        *out = pmp_xrealloc(*out, *out_cap * sizeof **out);
    }
    for (size_t k = 0; k < nc; k++) {
        (*out)[2 * k] = c[k].a;
        (*out)[2 * k + 1] = c[k].b;
    }
    free(c);
    return nc;
}

int pmp_pairs_in_split(const char *key, size_t key_len, double fraction, uint64_t fold)
{
    if (fraction <= 0) return 0;
    if (fraction >= 1) return 1;
    double x = (double)XXH64(key, key_len, PMP_SPLIT_SEED) / 18446744073709551616.0;
    return x >= (double)fold * fraction && x < (double)(fold + 1) * fraction;
}

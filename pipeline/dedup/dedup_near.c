/* dedup_near.c — rule 4's MinHash/LSH index over plain texts (pmp_dedup.h), for
 * tools that ask "is this text a near duplicate of one seen before" outside a
 * pmp-dedup run (pmp-shard leaks). The same signature and index code as the run. */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

struct pmp_dedup_near {
    double near;
    pmp_dedup_minhash mh;
    pmp_dedup_lsh lsh;
    pmp_dedup_text_scratch scratch;
    pmp_dedup_u64vec words;
    uint64_t candidates;
};

int pmp_dedup_near_new(pmp_dedup_near **out, const pmp_dedup_opts *o, pmp_err *err)
{
    *out = NULL;
    if (pmp_dedup_opts_check(o, err) < 0) return -1;
    if (!(o->near > 0)) return pmp_err_setc(err, PMP_E_USAGE, "near-duplicate index: expected a Jaccard threshold in (0, 1]");
    pmp_dedup_near *x = pmp_xcalloc(1, sizeof *x);
    x->near = o->near;
    unsigned rows = pmp_dedup_opts_rows(o);
    pmp_dedup_minhash_init(&x->mh, o->perms, o->perms / rows, o->shingle_words, o->seed);
    pmp_dedup_lsh_init(&x->lsh, &x->mh);
    *out = x;
    return 0;
}

void pmp_dedup_near_free(pmp_dedup_near *x)
{
    if (!x) return;
    pmp_dedup_lsh_free(&x->lsh);
    pmp_dedup_minhash_free(&x->mh);
    pmp_dedup_text_scratch_free(&x->scratch);
    free(x->words.v);
    free(x);
}

unsigned pmp_dedup_near_perms(const pmp_dedup_near *x) { return x->mh.perms; }

size_t pmp_dedup_near_sign(pmp_dedup_near *x, const char *text, size_t len, uint32_t *sig)
{
    uint64_t h[2];
    x->words.n = 0;
    pmp_dedup_text_scan(&x->scratch, text, len, h, &x->words);
    return pmp_dedup_signature(&x->mh, x->words.v, x->words.n, sig);
}

int pmp_dedup_near_find(pmp_dedup_near *x, const uint32_t *sig)
{
    return pmp_dedup_lsh_query(&x->lsh, sig, x->near, &x->candidates);
}

void pmp_dedup_near_add(pmp_dedup_near *x, const uint32_t *sig) { pmp_dedup_lsh_insert(&x->lsh, sig); }

uint64_t pmp_dedup_near_bytes(const pmp_dedup_near *x) { return pmp_dedup_lsh_bytes(&x->lsh); }

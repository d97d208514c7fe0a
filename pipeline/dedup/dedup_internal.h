/* dedup_internal.h — the state of a pmp_dedup run, shared by the files of
 * pipeline/dedup/ only. */
#ifndef PMP_DEDUP_INTERNAL_H
#define PMP_DEDUP_INTERNAL_H

#include <stdint.h>

#include "pmp_dedup.h"

/* ---- MinHash signatures and the LSH index (dedup_minhash.c) ---- */

typedef struct pmp_dedup_minhash {
    unsigned perms, bands, rows, shingle;
    uint64_t *a, *b;               /* h_i(x) = (a_i x + b_i) >> 32, a_i odd */
} pmp_dedup_minhash;

void pmp_dedup_minhash_init(pmp_dedup_minhash *m, unsigned perms, unsigned bands, unsigned shingle,
                            uint64_t seed);
void pmp_dedup_minhash_free(pmp_dedup_minhash *m);
/* sig[perms] of the shingles of words[0..n): every run of `shingle` consecutive words,
 * or all the words as one shingle when there are fewer. Returns the shingle count
 * (0: no words, sig untouched). */
size_t pmp_dedup_signature(const pmp_dedup_minhash *m, const uint64_t *words, size_t n, uint32_t *sig);

/* The index of kept groups: their signatures (low 16 bits of each minimum: b-bit
 * MinHash, enough to estimate J within 2^-16) and one entry per band in an open-
 * addressing table of (band hash, group) pairs. */
typedef struct pmp_dedup_lsh {
    const pmp_dedup_minhash *m;
    uint16_t *sigs;                /* perms per kept group */
    size_t n, cap;                 /* kept groups */
    uint64_t *slots;               /* (band key high 32 bits) << 32 | (group + 1); 0 empty */
    size_t n_slots, used;
    uint32_t *seen;                /* candidates already verified for this query */
    size_t n_seen, cap_seen;
} pmp_dedup_lsh;

void pmp_dedup_lsh_init(pmp_dedup_lsh *x, const pmp_dedup_minhash *m);
void pmp_dedup_lsh_free(pmp_dedup_lsh *x);
/* 1 when a kept group's estimated Jaccard with sig is >= near (*candidates += the
 * number of groups verified), else 0. */
int pmp_dedup_lsh_query(pmp_dedup_lsh *x, const uint32_t *sig, double near, uint64_t *candidates);
/* The bytes pmp_dedup_lsh_insert would hold after adding one more group. */
uint64_t pmp_dedup_lsh_bytes_after_insert(const pmp_dedup_lsh *x);
uint64_t pmp_dedup_lsh_bytes(const pmp_dedup_lsh *x);
void pmp_dedup_lsh_insert(pmp_dedup_lsh *x, const uint32_t *sig);

/* The estimated Jaccard similarity of two signatures of perms low-16-bit minima. */
double pmp_dedup_sig_estimate(const pmp_dedup_minhash *m, const uint16_t *a, const uint16_t *b);
/* The high 32 bits of band `band`'s key of sig: what the LSH table matches on (a
 * match of these bits in any band makes a candidate). */
uint32_t pmp_dedup_band_hi(const pmp_dedup_minhash *m, const uint32_t *sig, unsigned band);

/* ---- a set of 128-bit keys (dedup_minhash.c) ---- */
typedef struct pmp_dedup_keyset {
    uint64_t *k;                   /* pairs; (0, 0) empty (a real (0,0) key is stored as (0,1)) */
    size_t n_slots, used;
} pmp_dedup_keyset;
/* 1 if it was there already, 0 if added. */
int pmp_dedup_keyset_add(pmp_dedup_keyset *s, const uint64_t key[2]);
uint64_t pmp_dedup_keyset_bytes_after_insert(const pmp_dedup_keyset *s);
uint64_t pmp_dedup_keyset_bytes(const pmp_dedup_keyset *s);
void pmp_dedup_keyset_free(pmp_dedup_keyset *s);

/* ---- evaluation n-grams (dedup_eval.c) ---- */

typedef struct pmp_dedup_evalset {
    unsigned n;                    /* words per n-gram */
    uint64_t *keys;                /* n-gram hash; 0 empty (a real 0 is stored as 1) */
    uint32_t *item;                /* the first item holding it */
    size_t n_slots, used;
    /* One bit per hash of n_slots * 8 bits (>= 16 bits per n-gram): a group's n-grams
     * are looked up in it first, so most lookups stay in cache (a Bloom filter, k = 1). */
    uint64_t *filter;
    unsigned filter_shift;         /* 64 - log2(bits) */
    char **names;                  /* item names */
    uint64_t *hits;                /* groups that hit each item */
    size_t n_items, cap_items;
    uint64_t texts, short_texts;   /* short: fewer than n words, matched whole */
    pmp_dedup_text_scratch scratch;
    pmp_dedup_u64vec words;
} pmp_dedup_evalset;

uint64_t pmp_dedup_ngram_hash(const uint64_t *words, unsigned n);
/* A whole word sequence shorter than an n-gram (another seed: never equal to an
 * n-gram's hash by construction of the inputs, only by a 2^-64 accident). */
uint64_t pmp_dedup_short_hash(const uint64_t *words, size_t count);
/* The item of an n-gram hash, or -1. */
int64_t pmp_dedup_evalset_find(const pmp_dedup_evalset *e, uint64_t h);
static inline int pmp_dedup_evalset_maybe(const pmp_dedup_evalset *e, uint64_t h)
{
    uint64_t bit = (h * 0x9e3779b97f4a7c15ull) >> e->filter_shift;
    return e->filter && (e->filter[bit >> 6] >> (bit & 63) & 1);
}
uint64_t pmp_dedup_evalset_bytes(const pmp_dedup_evalset *e);
void pmp_dedup_evalset_free(pmp_dedup_evalset *e);
/* Adds a text's n-grams (or, under n words, its whole word sequence) to item. A second
 * text (may be NULL) is appended to the first as words: a group's context + response. */
int pmp_dedup_evalset_add_text(pmp_dedup_evalset *e, uint32_t item, const char *text, size_t len,
                               const char *text2, size_t len2);
uint32_t pmp_dedup_evalset_new_item(pmp_dedup_evalset *e, const char *name);

/* ---- options (dedup_run.c) ---- */
/* PMP_E_USAGE when the options do not fit together. */
int pmp_dedup_opts_check(const pmp_dedup_opts *o, pmp_err *err);
/* Rows per LSH band: perms / bands, or pmp_dedup_auto_rows when bands is 0. */
unsigned pmp_dedup_opts_rows(const pmp_dedup_opts *o);

/* ---- per-source counts (dedup_report.c) ---- */
typedef struct pmp_dedup_source {
    char *name;
    pmp_dedup_counts c;
} pmp_dedup_source;

/* ---- the external mode (dedup_external.c) ----
 * Past half of --mem, the run stops holding rule 3's and rule 4's indexes: groups that
 * reach rule 3 are spooled to a temporary file, their exact keys, signatures and band
 * keys go to disk (sorted runs of pmp_groupby), and at the end of the input the
 * decisions are made from those and the spooled groups written (docs/dedup.md). */
typedef struct pmp_dedup_ext pmp_dedup_ext;
/* Switches d to the external mode: the groups kept so far and the exact keys are
 * carried over from the in-memory indexes, which are then freed. */
int pmp_dedup_ext_start(pmp_dedup *d, pmp_err *err);
/* A group that reached rule 3 (in input order): its exact key, its signature (NULL:
 * no word) and what to write if it is kept: the line read (a newline is added) or,
 * when rewritten, the group re-serialised; source indexes d->src. */
int pmp_dedup_ext_add(pmp_dedup *d, const uint64_t key[2], const uint32_t *sig, size_t source,
                      const char *bytes, size_t len, int rewritten, pmp_err *err);
/* Decides rules 3 and 4 for every group added and writes the kept ones to out_fd. */
int pmp_dedup_ext_finish(pmp_dedup *d, int out_fd, pmp_err *err);
void pmp_dedup_ext_free(pmp_dedup_ext *x);
/* Writes all of b to fd (EINTR retried) and empties b. */
int pmp_dedup_write_all(int fd, pmp_buf *b, pmp_err *err);

struct pmp_dedup {
    pmp_dedup_opts o;
    pmp_dedup_minhash mh;
    pmp_dedup_lsh lsh;
    pmp_dedup_keyset exact;
    pmp_dedup_evalset eval;
    pmp_dedup_source *src;
    size_t n_src, cap_src;
    pmp_dedup_stats st;
    pmp_dedup_ext *ext;            /* NULL: in-memory mode */
};

pmp_dedup_counts *pmp_dedup_source_counts(pmp_dedup *d, const char *name);

#endif

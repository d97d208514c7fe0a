/* tokenize_internal.h — one batch of pmp-tokenize's pipeline (tokenize_batch.c):
 * raw lines, parsed in parallel into groups, the texts of the groups to write,
 * encoded in parallel. Two batches alternate, so the serial writer
 * (tokenize.c) works on one while the next one is parsed and encoded. */
#ifndef PMP_TOKENIZE_INTERNAL_H
#define PMP_TOKENIZE_INTERNAL_H

#include <stdint.h>

#include "pmp_bpe.h"
#include "pmp_group.h"
#include "pmp_tokenize.h"

typedef struct pmp_tok_batch {
    /* raw lines, parsed in parallel into groups[0..nl) */
    pmp_buf lines;
    size_t *loff, *llen;
    uint64_t *lno;
    char **perr;             /* parse error of line k, or NULL */
    pmp_group *groups;
    size_t nl, cap;
    /* the groups that are written: kidx[j] indexes groups[] */
    size_t *kidx;
    uint64_t *ordinal;
    uint64_t *prefix_xxh64;  /* of the input's group lines up to and including this one */
    int *which;              /* split of each group */
    size_t n;
    /* their texts: ctx, r0, r1, ... per group (--text: only the new ones);
     * ids[first_text[j] + i]; role: -1 the context, i response i */
    const char **txt;
    size_t *len;
    int *role;
    pmp_ids *ids;            /* views into the arenas (cap 0: they own nothing) */
    size_t *first_text;      /* n + 1 entries */
    size_t n_txt, cap_txt, cap_ids;
    /* the ids of the texts, one arena per encoding thread, kept from batch to batch:
     * text i is arena[ids_arena[i]] from ids_off[i] (no allocation per text) */
    pmp_ids *arena;
    int n_arena;
    int *ids_arena;
    size_t *ids_off;
} pmp_tok_batch;

void pmp_tok_batch_add_line(pmp_tok_batch *b, const char *line, size_t len, uint64_t lno);
/* Parses every line in parallel (perr[k] set on failure); with docs, text document
 * lines too (pmp_group_parser_parse's allow_doc). */
void pmp_tok_batch_parse(pmp_tok_batch *b, int threads, int docs);
/* --text: appends group k with only the texts keep[] marks (keep[0] the context,
 * keep[1 + i] response i). */
void pmp_tok_batch_select_texts(pmp_tok_batch *b, size_t k, uint64_t ordinal, int which,
                                const unsigned char *keep);
/* Encodes the selected texts in parallel, one scratch per thread. */
int pmp_tok_batch_encode(pmp_tok_batch *b, const pmp_bpe *bpe, pmp_bpe_scratch **scratch,
                         int threads, pmp_err *err);
/* Empties the batch, keeping its memory. */
void pmp_tok_batch_reset(pmp_tok_batch *b);
void pmp_tok_batch_free(pmp_tok_batch *b);

/* ---- --text: the distinct texts seen so far (tokenize_text.c; the set itself is
 * public, pmp_tokenize.h, for pmp-shard leaks) ---- */

typedef struct pmp_text_counts {
    uint64_t texts;        /* non-empty contexts and responses read */
    uint64_t duplicates;   /* of those, the ones seen before */
} pmp_text_counts;

/* Adds g's texts in order (context, then responses); keep[i] = 1 for each one that was
 * new and non-empty (keep has 1 + n_responses entries). Returns 1 if any was. */
int pmp_text_set_mark(pmp_text_set *s, const pmp_group *g, unsigned char *keep,
                      pmp_text_counts *c);

#endif

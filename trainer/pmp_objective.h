/* pmp_objective.h — packed batches, the four objectives and the binarised view.
 *
 * A batch is B token sequences packed back to back into N tokens (no padding).
 * Attention is causal inside each sequence only; positions restart at 0 for each
 * sequence. Every preference-model sequence is
 *     [label prefix] context response EOC
 * and its reward is read at its last token (the EOC). The sequences of one pair
 * share their context, and causal attention makes the context's activations the
 * same in both; with share_context the batch stores it once: a sharing sequence
 * keeps only its own suffix, and its first `shared` positions are read from an
 * earlier `root` sequence (which shares nothing itself). A root and the sequences
 * sharing with it are adjacent (a family). The arithmetic is that of the unshared
 * batch, on fewer tokens. What the batch carries
 * decides which loss terms exist:
 *   pairs   (better, worse) sequence indices     -> rank term  -log sigmoid(r_b - r_w)
 *   label   +1 good / -1 bad per sequence        -> binary term -log sigmoid(label * r)
 *   targets next-token id per position or -1     -> LM term (mean NLL over targets)
 * and pmp_loss_opts weighs them. One forward/backward serves every objective.
 */
#ifndef PMP_OBJECTIVE_H
#define PMP_OBJECTIVE_H

#include <stdint.h>

#include "pmp_common.h"

typedef enum pmp_objective {
    PMP_OBJ_RANK = 0,    /* -log sigmoid(r_better - r_worse) [+ lm_coef * LM on better] */
    PMP_OBJ_BINARY,      /* each sequence labelled good/bad: -log sigmoid(+-r) */
    PMP_OBJ_IMITATION,   /* LM loss on the better response only */
    PMP_OBJ_LM,          /* LM loss on plain text */
} pmp_objective;

/* "rank" | "binary" | "imitation" | "lm" -> 0, or -1 if unknown. */
int pmp_objective_parse(const char *name, pmp_objective *out);
const char *pmp_objective_name(pmp_objective o);

typedef struct pmp_batch {
    int B;               /* sequences */
    int N;               /* packed tokens */
    int P;               /* pairs */
    int NT;              /* positions with a next-token target */
    int32_t *tokens;     /* [N] */
    int32_t *pos;        /* [N] position inside its sequence */
    int32_t *targets;    /* [N] next token to predict at this position, or -1 */
    int32_t *seq_start;  /* [B+1] first token of each sequence; seq_start[B] = N */
    int32_t *readout;    /* [B] absolute token index the reward is read at */
    int32_t *root;       /* [B] sequence whose first `shared` tokens prefix this one, or -1 */
    int32_t *shared;     /* [B] positions taken from root (0 when root is -1) */
    int NL;              /* tokens counting every sequence whole (N + the shared) */
    int8_t *label;       /* [B] +1 good, -1 bad, 0 not labelled */
    int32_t *pair_better, *pair_worse;   /* [P] sequence indices */
    int cap_n, cap_b, cap_p;
} pmp_batch;

void pmp_batch_init(pmp_batch *b);
void pmp_batch_clear(pmp_batch *b);   /* empty, keeps memory */
void pmp_batch_free(pmp_batch *b);

typedef struct pmp_batch_opts {
    pmp_objective objective;
    int binarize;        /* paper §4.1 view, rank and binary objectives */
    int lm_targets;      /* rank: next-token targets on the better sequence (--lm-coef) */
    int eval;            /* imitation: also add the worse sequence, so pairs can be
                          * scored by mean log-probability */
    int32_t eoc;         /* end-of-context token closing every PM sequence */
    const int32_t *good_prefix, *bad_prefix;   /* binarised label prefixes */
    int n_good_prefix, n_bad_prefix;
    int share_context;   /* store a pair's common prefix once (see above) */
    int maxT;            /* model context length */
    int V;               /* vocabulary size (token ids are checked against it) */
} pmp_batch_opts;

/* Adds one ranked pair (better > worse, both answering ctx) as the objective asks:
 *   rank:       2 sequences, 1 pair; binarised: 4 sequences, 2 pairs
 *               ("GOOD:"A > "BAD:"A and "BAD:"B > "GOOD:"B);
 *   binary:     2 sequences labelled +1 / -1; binarised: the same 4 sequences as
 *               rank, labelled good when the prefix matches the truth;
 *   imitation:  the better sequence with targets on its response tokens
 *               (eval: the worse one too, and the pair);
 *   lm:         not allowed (use pmp_batch_add_text).
 * Too long for maxT: the context loses tokens from its start, the same for both
 * responses (as many as the longer one needs), then a response still too long
 * loses its end; prefix and EOC always stay. Returns 0, or -1 with err set. */
int pmp_batch_add_pair(pmp_batch *b, const pmp_batch_opts *o, const int32_t *ctx, int n_ctx,
                       const int32_t *better, int n_better, const int32_t *worse, int n_worse,
                       pmp_err *err);
/* LM objective: one plain-text sequence (first maxT tokens), targets on every
 * next token. */
int pmp_batch_add_text(pmp_batch *b, const pmp_batch_opts *o, const int32_t *tok, int n,
                       pmp_err *err);
/* The two sequences whose scores judge the batch's i-th added pair at evaluation:
 * its better and worse sequence, or with the binarised view GOOD:better and
 * GOOD:worse (the score is then r(GOOD:A) - r(GOOD:B)). For batches built by
 * pmp_batch_add_pair with the same binarize setting. */
void pmp_batch_judged_pair(const pmp_batch *b, int binarize, int i, int *better, int *worse);
/* Length of sequence s counted whole (its shared prefix included), and its token
 * at position t (0 <= t < that length). */
int pmp_batch_seq_len(const pmp_batch *b, int s);
int32_t pmp_batch_seq_token(const pmp_batch *b, int s, int t);

typedef struct pmp_loss_opts {
    float rank_coef;     /* weight of the mean pair loss */
    float binary_coef;   /* weight of the mean binary loss */
    float lm_coef;       /* weight of the mean next-token loss */
} pmp_loss_opts;

/* The weights an objective uses: rank -> (1, 0, lm_coef); binary -> (0, 1, 0);
 * imitation and lm -> (0, 0, 1). */
pmp_loss_opts pmp_loss_for(pmp_objective o, float lm_coef);

typedef struct pmp_loss {
    double loss;          /* weighted total */
    double rank, binary, lm;   /* each term's mean (0 when absent) */
    int pairs_correct;    /* r_better > r_worse (or mean log-prob, see below) */
    int labels_correct;   /* sign(r) == label */
} pmp_loss;

/* Computes the loss from rewards r [B] and per-target log-probs (logprob [NT], in
 * the batch's target order), and the gradients with respect to them, times
 * grad_scale: dr [B], dlogprob [NT]. seq_logprob [B] gets each sequence's mean
 * target log-probability (0 if it has none); pairs are judged on it instead of r
 * when the batch has no rank term but has targets (imitation eval). */
void pmp_loss_compute(const pmp_batch *b, const pmp_loss_opts *lo, const float *r,
                      const float *logprob, float grad_scale, pmp_loss *out, float *dr,
                      float *dlogprob, float *seq_logprob);

#endif

/* pmp_trainer.h — the trainer's public interface: its random stream, packed batches
 * and objectives, the GPT-2-architecture preference model, and training runs over
 * shard directories (docs/trainer.md, docs/train.md, docs/checkpoint.md).
 * Kernels (layers.h), the optimizer (optim.h), the data loader (loader.h) and GPT-2
 * weight files (gpt2io.h) are internal to trainer/. */
#ifndef PMP_TRAINER_H
#define PMP_TRAINER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmp_common.h"

/* ---------- the trainer's only source of randomness: an explicit, copyable state.
 *
 * All randomness (weight init, and later data order) flows through a pmp_rng that
 * the caller owns, so a checkpoint saves it as plain bytes and resume continues
 * the exact same stream. xoshiro256** seeded through splitmix64.
 */
typedef struct pmp_rng {
    uint64_t s[4];
} pmp_rng;

void pmp_rng_seed(pmp_rng *r, uint64_t seed);
uint64_t pmp_rng_u64(pmp_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pmp_rng_below(pmp_rng *r, uint64_t n);
/* Standard normal (Box-Muller on two draws; no cached second value, so the
 * state is the whole story). */
float pmp_rng_uniform(pmp_rng *r);
float pmp_rng_normal(pmp_rng *r);

/* ---------- packed batches, the four objectives and the binarised view.
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
    float *pair_margin;  /* [P] m in -log sigmoid(r_b - r_w - m); 0 unless set */
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
/* The margin of the batch's last pair (pmp_batch_add_pair sets 0). */
void pmp_batch_set_margin(pmp_batch *b, float margin);

/* --margin: the m of a pair from its responses' scores (docs/train.md, "Margins"):
 *   none           m = 0
 *   score-gap      m = s_better - s_worse                 (TRL's `margin` column)
 *   log-score-gap  m = ln(1 + s_better - s_worse)
 * (a negative gap, which pairing never produces, counts as 0). */
typedef enum pmp_margin {
    PMP_MARGIN_NONE = 0,
    PMP_MARGIN_SCORE_GAP,
    PMP_MARGIN_LOG_SCORE_GAP,
} pmp_margin;
int pmp_margin_parse(const char *name, pmp_margin *out);
const char *pmp_margin_name(pmp_margin m);
float pmp_margin_of(pmp_margin m, double better_score, double worse_score);

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
    float center_coef;   /* weight of the mean (r_b + r_w)^2 over pairs (TRL's
                          * center_rewards_coefficient; 0 = none) */
} pmp_loss_opts;

/* The weights an objective uses: rank -> (1, 0, lm_coef); binary -> (0, 1, 0);
 * imitation and lm -> (0, 0, 1). */
pmp_loss_opts pmp_loss_for(pmp_objective o, float lm_coef);

typedef struct pmp_loss {
    double loss;          /* weighted total */
    double rank, binary, lm;   /* each term's mean (0 when absent) */
    double center;        /* mean (r_b + r_w)^2 over pairs, when center_coef != 0 */
    int pairs_correct;    /* r_better > r_worse (or mean log-prob, see below) */
    int labels_correct;   /* sign(r) == label */
    int pairs;            /* pairs in the batch (summed over micro-batches and ranks) */
    double margin_sum;    /* sum over pairs of r_better - r_worse (no margin subtracted) */
    /* the rewards of the sequences a pair or label judges: count, sum, sum of
     * squares, min, max (min > max when there are none) */
    int reward_n;
    double reward_sum, reward_sq, reward_min, reward_max;
    double comm_seconds;  /* a training step's time in the gradient sum over MPI ranks */
} pmp_loss;

/* The mean and sample standard deviation (n - 1) of a loss's reward_n rewards; 0 when
 * there are none. */
void pmp_loss_reward_moments(const pmp_loss *l, double *mean, double *std);

/* Computes the loss from rewards r [B] and per-target log-probs (logprob [NT], in
 * the batch's target order), and the gradients with respect to them, times
 * grad_scale: dr [B], dlogprob [NT]. seq_logprob [B] gets each sequence's mean
 * target log-probability (0 if it has none); pairs are judged on it instead of r
 * when the batch has no rank term but has targets (imitation eval). */
void pmp_loss_compute(const pmp_batch *b, const pmp_loss_opts *lo, const float *r,
                      const float *logprob, float grad_scale, pmp_loss *out, float *dr,
                      float *dlogprob, float *seq_logprob);

/* ---------- a GPT-2-architecture preference model: config, presets, parameters,
 * forward and backward over packed batches.
 *
 * GPT-2 blocks (pre-LayerNorm, causal attention, GELU MLP, learned positions, final
 * LayerNorm, LM head tied to the token embedding) plus a scalar reward head
 * r = lnf(x_readout) . rw + rb. Dimensions: L layers, NH heads, C width, maxT
 * context, V vocabulary; a batch has B sequences packed into N tokens.
 *
 * All parameters live in one contiguous float buffer with named pointers into it
 * (a checkpoint is one write, an all-reduce one call); the gradients are a second
 * buffer with the same layout. Tensor order and shapes: pmp_param_shapes().
 */
typedef struct pmp_config {
    int L, NH, C, maxT, V;
} pmp_config;

/* Presets: "tiny" (4 layers, 4 heads, width 256, context 128), "small" (6, 6, 384,
 * 256), "gpt2" (12, 12, 768, 1024). V comes from the tokenizer. maxT: 0 keeps the
 * preset's context, otherwise it must not exceed it. */
int pmp_config_preset(const char *name, int V, int maxT, pmp_config *cfg, pmp_err *err);
int pmp_config_check(const pmp_config *cfg, pmp_err *err);

#define PMP_NUM_TENSORS 18
/* Named pointers into one buffer, in this (file) order. */
typedef struct pmp_params {
    float *wte;       /* [V, C] token embedding, also the LM head */
    float *wpe;       /* [maxT, C] */
    float *ln1w, *ln1b;          /* [L, C] */
    float *qkvw, *qkvb;          /* [L, 3C, C], [L, 3C] */
    float *attprojw, *attprojb;  /* [L, C, C], [L, C] */
    float *ln2w, *ln2b;          /* [L, C] */
    float *fcw, *fcb;            /* [L, 4C, C], [L, 4C] */
    float *fcprojw, *fcprojb;    /* [L, C, 4C], [L, C] */
    float *lnfw, *lnfb;          /* [C] */
    float *rw, *rb;              /* [C], [1] reward head */
} pmp_params;

typedef struct pmp_tensor_info {
    const char *name;   /* "wte", ... as in pmp_params */
    size_t offset;      /* floats from the start of the buffer */
    size_t size;        /* floats */
    int ndim;           /* shape below, outermost first, includes the L axis */
    int shape[3];
    int decay;          /* 1: weight decay applies (matrices), 0: biases, norms */
} pmp_tensor_info;

/* Fills info[PMP_NUM_TENSORS]; returns the total number of floats. */
size_t pmp_param_shapes(const pmp_config *cfg, pmp_tensor_info info[PMP_NUM_TENSORS]);
/* Points p's fields into mem (which holds pmp_param_shapes() floats). */
void pmp_params_point(pmp_params *p, float *mem, const pmp_config *cfg);

typedef struct pmp_acts pmp_acts;   /* activations, sized for the largest batch seen */

typedef struct pmp_model {
    pmp_config cfg;
    size_t n_params;
    pmp_tensor_info tensors[PMP_NUM_TENSORS];
    float *params_mem;     /* [n_params] */
    float *grads_mem;      /* [n_params] */
    pmp_params params, grads;
    pmp_acts *acts;
    /* Outputs of the last forward, [B] each (valid until the next forward). */
    float *rewards;
    float *seq_logprob;    /* mean target log-probability per sequence */
    pmp_loss loss;
} pmp_model;

/* Allocates parameters (GPT-2 init from rng: N(0, 0.02), residual projections
 * scaled by 1/sqrt(2L), zero biases, unit norms; rng NULL: zeros, for a caller
 * that loads them) and zeroed gradients. */
int pmp_model_init(pmp_model *m, const pmp_config *cfg, pmp_rng *rng, pmp_err *err);
void pmp_model_free(pmp_model *m);
void pmp_model_zero_grad(pmp_model *m);

/* Forward over a packed batch: rewards, per-sequence log-probs, loss (m->loss).
 * Computes the LM head only on positions with a target. Fails on a batch that
 * does not fit the config. */
int pmp_model_forward(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo, pmp_err *err);
/* Backward of the last forward (same batch and loss opts): adds
 * grad_scale * d loss / d params to m->grads (grad_scale = 1 / micro-batches for
 * gradient accumulation). */
void pmp_model_backward(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo,
                        float grad_scale);

/* Gradient blocks, numbered in the order the backward pass finishes them: block 0
 * is the reward head and final norm (rw, rb, lnfw, lnfb), block 1 + k is layer
 * L-1-k, block L+1 the embeddings (wte, wpe; wte is also the LM head). Once its
 * block is reported ready, no later part of the same backward touches a gradient. */
#define PMP_GRAD_BLOCKS(cfg) ((cfg)->L + 2)
#define PMP_MAX_BLOCK_SPANS 12   /* a layer's twelve tensors */
/* The block's gradients as spans of the gradient buffer (offset, length in floats);
 * returns how many. */
int pmp_grad_block_spans(const pmp_model *m, int block, size_t off[PMP_MAX_BLOCK_SPANS],
                         size_t len[PMP_MAX_BLOCK_SPANS]);
/* pmp_model_backward that calls ready(ctx, block) as each block's gradients are
 * final, so a data-parallel job can start summing them while the rest runs. */
void pmp_model_backward_ready(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo,
                              float grad_scale, void (*ready)(void *ctx, int block), void *ctx);

/* FLOPs of one forward+backward over b (matmuls 6 per multiply-add-weight-token,
 * attention as computed), for GFLOP/s figures. */
double pmp_model_flops(const pmp_model *m, const pmp_batch *b, int lm_head);

/* Threads for our loops and for BLAS (both OpenMP here). */
void pmp_model_set_threads(int n);
/* Which BLAS is linked: "OpenBLAS 0.3.21 ... (openmp) /usr/lib/.../libopenblas.so.0".
 * Returns the threading model: 0 sequential, 1 pthreads, 2 OpenMP, -1 unknown. */
int pmp_blas_info(char *buf, size_t size);

/* ---------- a training run over shard directories: the loop, evaluation, the
 * log, checkpoints and exact resume (docs/train.md, docs/checkpoint.md).
 *
 * Step s trains on positions [s*B, (s+1)*B) of the endless pair stream
 * "epoch 0 shuffled, epoch 1 shuffled, ..." (pmp_loader_permute), so the data
 * cursor is a function of the step, and a run resumed from a checkpoint sees the
 * same batches as one that never stopped. With the same thread count the
 * resumed run's weights are bit-identical.
 */
typedef struct pmp_run_opts {
    const char *data_dir;       /* training shards */
    /* --data given more than once: n_data > 1 directories (data_dirs[0] == data_dir),
     * mixed by data_weights (NULL: by size) as docs/train.md "Mixing sources" says */
    int n_data;
    const char *const *data_dirs;
    const double *data_weights;
    long max_pairs;             /* > 0: train on a seeded subsample of this many pairs,
                                 * by whole groups (pmp_loader_subsample); 0 = all */
    uint64_t subsample_seed;    /* its seed (independent of seed) */
    const char *eval_dir;       /* may be NULL */
    const char *out_dir;        /* RUN_DIR: log.jsonl, checkpoints/ */
    const char *tokenizer;      /* NULL: the path in the data manifest */
    pmp_objective objective;
    int binarize;
    float lm_coef;
    pmp_margin margin;          /* rank: the pair margin m from the shards' scores */
    float center_rewards;       /* rank: + C * mean (r_b + r_w)^2 (TRL's coefficient) */
    long steps;
    int batch_pairs;            /* pairs per optimizer step */
    int micro_batches;          /* gradient accumulation: the step's pairs are split in this many */
    int allreduce_overlap;      /* MPI ranks: sum the gradients block by block during the
                                 * backward pass instead of in one sum after it (dist.h) */
    float lr, min_lr, weight_decay, clip;
    long warmup;
    const char *model;          /* preset name, or NULL when cfg is given */
    pmp_config cfg;             /* layers/heads/width/context when model == NULL (V ignored) */
    int context;                /* 0 = the preset's */
    const char *init;           /* checkpoint file, run dir, or model.safetensors; may be NULL */
    const char *init_config;    /* --init-config: a GPT-2 init's config.json (NULL: beside it) */
    int shape_given;            /* the user chose --model or --layers/--heads/--width: with
                                 * --init they must agree with the init's architecture */
    int reset_head;
    int threads;
    uint64_t seed;
    int resume;
    long ckpt_every;
    unsigned keep;
    long eval_every;            /* 0 = only at the end */
    long eval_pairs;            /* 0 = all eval pairs */
    int keep_margins;           /* each evaluation returns its per-pair margins
                                 * (pmp_eval_result.margins) */
    /* Reporting (may be NULL). */
    void (*warn)(void *ctx, const char *msg);
    void (*note)(void *ctx, const char *msg);   /* facts the user should see (what --init loaded) */
    void (*progress)(void *ctx, long step, long steps, double tokens_per_s, double steps_per_s);
    void *ctx;
    int out_locked;             /* the caller holds out_dir/lock already (pmp-train's main) */
} pmp_run_opts;

void pmp_run_opts_default(pmp_run_opts *o);

typedef struct pmp_eval_result {
    long pairs;
    double accuracy;            /* better scored above worse; a tie (equal scores) counts
                                 * 1/2, as in both longer-wins baselines */
    double margin;              /* mean score(better) - score(worse) */
    double loss;                /* mean -log sigmoid(margin) */
    double ece;                 /* expected calibration error of sigmoid(margin), 10 bins */
    double longer_wins;         /* accuracy of "the longer response is better" (ties 1/2),
                                 * by the lengths before any truncation */
    double longer_wins_visible; /* the same by the response tokens the model sees: after
                                 * pmp-tokenize's --max-*-tokens cuts and the fit to the
                                 * model's context */
    /* accuracy - longer_wins, and its standard error over pairs (paired: the same
     * pairs judged both ways; pairs of one group are correlated, so it is a lower
     * bound) */
    double vs_longer, vs_longer_se;
    /* --objective lm only: the held-out next-token loss (nats per token) on the eval
     * pairs' text as the LM trains on it (context + better response, every token);
     * perplexity = exp(lm_loss). 0 tokens for the other objectives. */
    double lm_loss;
    uint64_t lm_tokens;
    /* with pmp_run_opts.keep_margins: score(better) - score(worse) of each eval pair in
     * eval order ([pairs], malloc'd; the caller frees it), else NULL */
    float *margins;
    /* The rewards of both judged sequences of every pair (2 * pairs values; not for
     * imitation and lm, which judge by log-probability): mean, sample standard
     * deviation (as torch.std, what OpenRLHF records), min, max. reward_n = 0: none. */
    long reward_n;
    double reward_mean, reward_std, reward_min, reward_max;
} pmp_eval_result;

typedef struct pmp_run_result {
    long start_step;            /* > 0 when resumed */
    long steps;
    double seconds;
    double comm_seconds;        /* of which in the MPI gradient sums (0 on one rank) */
    double tokens;
    double last_loss;
    uint64_t train_pairs;       /* training pairs used (after --max-pairs; all sources') */
    uint64_t train_groups;      /* the groups they come from */
    int evaluated;
    pmp_eval_result eval;       /* the final evaluation */
    uint64_t params_xxh64;      /* of the final weights (resume tests compare it) */
    size_t n_params;            /* the model's size */
    unsigned ckpt_fallbacks;    /* resume: newer, damaged checkpoints passed over (each warned) */
} pmp_run_result;

int pmp_run_train(const pmp_run_opts *o, pmp_run_result *res, pmp_err *err);

/* A --data argument DIR[:WEIGHT]: *dir (malloc'd) and *weight (0 when none given). A
 * suffix after the last ':' that is not a number belongs to the directory's name;
 * one that is a number must be a weight in (0, 1e15]. Returns 0, or -1 (bad weight). */
int pmp_run_parse_data(const char *arg, char **dir, double *weight);

/* Data parallelism over MPI (`mpirun -np N pmp-train …`; the rules in trainer/dist.h,
 * docs/scaling.md). pmp_run_train uses the ranks started here; without MPI in the
 * build, or without a launcher (mpirun, srun), there is one rank. */
void pmp_dist_init(int *argc, char ***argv);   /* once, from main */
void pmp_dist_finalize(void);
int pmp_dist_rank(void);
int pmp_dist_size(void);
/* Ends the whole job with this exit code when there are other ranks (from main,
 * on a rank that failed: the others would wait for it); with one rank it returns. */
void pmp_dist_abort(int code);

/* The checkpoint score and export read, from CKPT (a file) or RUN_DIR (its newest
 * whole checkpoint). warn (may be NULL) hears of every newer checkpoint passed over
 * because it is damaged; step and fallbacks say what was used. A checkpoint inside
 * RUN/checkpoints/ whose run configuration (run_id) is not RUN/config.json's is
 * refused (PMP_E_MISMATCH): it was copied in from another run. */
typedef struct pmp_ckpt_pick {
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    long step;           /* out: the checkpoint's step, -1 for a file named directly */
    unsigned fallbacks;  /* out: newer checkpoints passed over */
} pmp_ckpt_pick;

/* Scores pairs with a trained model: for the first max_pairs pairs of data_dir
 * (0 = all, storage order), writes one JSON line per pair to out:
 *   {"pair":k,"better":r,"worse":r,"better_tokens":[...],"worse_tokens":[...]}
 * (the token lists only with with_tokens: the exact sequences the rewards were
 * read from, end-of-context token included). normalize: rewards printed as
 * (r - mean) / std with the checkpoint's recorded eval statistics (OpenRLHF's
 * normalize_reward); an error when it has none. */
int pmp_run_score(const char *ckpt, const char *data_dir, const char *tokenizer, long max_pairs,
                  int with_tokens, int normalize, FILE *out, pmp_ckpt_pick *pick, pmp_err *err);

/* `pmp-train score RUN --text groups.jsonl`: every response of every group record
 * scored, one line per group: {"group","source","rewards":[r...],"ids":[id|null...]}
 * (docs/train.md). The checkpoint's tokenizer and pmp-tokenize's cuts come from the
 * data's manifest (data_dir, else the run's --data), or the tokenizer file given
 * (then no cuts but the model's context, unless given here). Each response is read
 * against as much of its context as fits with it. */
typedef struct pmp_score_text_opts {
    const char *tokenizer;
    const char *data_dir;
    long max_context_tokens;    /* -1: the manifest's */
    long max_response_tokens;   /* -1: the manifest's */
    uint64_t *groups_out, *responses_out;   /* counts (may be NULL) */
    int normalize;              /* as pmp_run_score's */
    pmp_ckpt_pick *pick;                     /* may be NULL */
} pmp_score_text_opts;
int pmp_run_score_text(const char *ckpt, const char *groups, const pmp_score_text_opts *x, FILE *out,
                       pmp_err *err);

/* `pmp-train export` (docs/train.md, "Weights in and out"). out ending in
 * .safetensors: that file (GPT-2 names + score.weight/score.bias, what --init reads
 * back exactly) and config.json beside it, or at config_out. Any other out: a
 * Hugging Face model directory: model.safetensors in GPT2ForSequenceClassification's
 * names, config.json, tokenizer.json and tokenizer_config.json. Its tokenizer is
 * `tokenizer`, or the one the manifest of data_dir names, or of the run's own --data
 * (RUN_DIR/args.json); it must be the checkpoint's. */
typedef struct pmp_export_opts {
    const char *config_out;   /* NULL: beside the weights */
    const char *tokenizer;    /* NULL: from the data's manifest */
    const char *data_dir;     /* NULL: the run's --data */
    pmp_ckpt_pick *pick;      /* may be NULL */
} pmp_export_opts;
/* *hf_dir (may be NULL): 1 when a model directory was written. */
int pmp_run_export(const char *ckpt, const char *out, const pmp_export_opts *x, int *hf_dir, pmp_err *err);

/* RUN_DIR/args.json: the command-line arguments a run was started with (a JSON array
 * of strings), so `pmp-train --resume --out RUN_DIR` needs no other flag. save writes
 * it durably (creating RUN_DIR), unless RUN_DIR already holds checkpoints; load returns 1 and a malloc'd NULL-terminated argv
 * (pmp_run_free_args), 0 when the file is absent, -1 on a damaged file. */
int pmp_run_save_args(const char *out_dir, int argc, char *const *argv, pmp_err *err);
int pmp_run_load_args(const char *out_dir, char ***argv, int *argc, pmp_err *err);
void pmp_run_free_args(char **argv, int argc);
/* Appends `flag value` to out_dir/args.json (what an extension by --steps does, so a
 * later `--resume --out RUN` replays the extended plan); 0 when there is no args.json. */
int pmp_run_append_args(const char *out_dir, const char *flag, long value, pmp_err *err);

/* ---------- sample-efficiency curves (curve.c, curve_plot.c; docs/experiments.md) ----------
 * A sweep over (init, replicate, size, seed) cells, replicates crossed with seeds (every
 * replicate of an init is finetuned with every seed): each finetunes the init on the seeded, nested
 * subsample of `size` training pairs (the same pairs for every init, so inits are
 * compared on paired data) with one recipe, and evaluates it on the whole eval set.
 * Steps per cell: max(min_steps, ceil(epochs * size / batch_pairs)); size 0 trains
 * nothing and evaluates the init as it is. Rows go to OUT/curve.csv, rewritten durably
 * after every cell; a sweep run again skips the cells it holds. Each cell's per-pair
 * margins go to OUT/margins/NAME-rREP-nSIZE-sSEED.f32 (float32 little-endian, eval
 * order), written before its row. */
typedef struct pmp_curve_init {
    const char *name;          /* the label in the CSVs and the legend: [A-Za-z0-9_.-]+ */
    const char *const *srcs;   /* its replicates: run dirs, checkpoints or model.safetensors
                                * (independent runs of one arm, e.g. PMP with other seeds);
                                * unused for scratch */
    size_t n_srcs;             /* >= 1 (1 for scratch) */
    int scratch;               /* random weights, the architecture of recipe.model */
    int new_head;              /* reset the reward head (NAME=SRC:new-head) */
} pmp_curve_init;

typedef struct pmp_curve_opts {
    const char *train_dir, *eval_dir, *out_dir;
    const char *target;        /* the first column of every row */
    const pmp_curve_init *inits;
    size_t n_inits;
    const long *sizes;
    size_t n_sizes;
    int seeds;                 /* seeds 0 .. seeds-1 */
    int jobs;                  /* cells at once; recipe.threads is split between them */
    long min_steps;
    double epochs;
    int keep_models;           /* keep OUT/cells/NAME-rREP-nSIZE-sSEED/ run dirs */
    const char *baseline;      /* the reference init's name, kept in OUT/baseline (may be NULL) */
    pmp_run_opts recipe;       /* lr, batch, objective, model, threads, ... */
    /* cell k of n done, the estimated seconds left */
    void (*progress)(void *ctx, size_t done, size_t cells, double eta_s);
    void *ctx;
} pmp_curve_opts;

typedef struct pmp_curve_result {
    size_t cells, skipped, ran;
    double seconds;
} pmp_curve_result;

extern const char pmp_curve_csv_header[];
extern const char pmp_curve_csv_header_v1[];   /* before replicates and margins */
void pmp_curve_opts_default(pmp_curve_opts *o);
long pmp_curve_steps(const pmp_curve_opts *o, long size);
uint64_t pmp_curve_recipe_hash(const pmp_curve_opts *o);
int pmp_curve_run(const pmp_curve_opts *o, pmp_curve_result *res, pmp_err *err);
/* summary.csv from one or more curve directories (several: several targets, e.g.
 * the sites of a leave-one-site-out experiment, pooled with the target as the top
 * unit): per target (and pooled) and init and size, the mean accuracy and the paired
 * difference against the baseline init, with 95 % intervals from the hierarchical
 * bootstrap and from t (curve_stats.c; docs/experiments.md, "Intervals"). With draw,
 * also curve.svg/.png and diff.svg/.png when gnuplot is installed (*drawn says whether
 * it was; gnuplot's failure is an error). */
typedef struct pmp_curve_summary_opts {
    const char *const *dirs;   /* curve directories (curve.csv, margins/) */
    size_t n_dirs;
    const char *out_dir;       /* summary.csv and the pictures */
    const char *baseline;      /* NULL: the name in every dir's `baseline` file */
    int draw;
    int boot;                  /* bootstrap resamples (2000) */
    uint64_t boot_seed;        /* (1) */
} pmp_curve_summary_opts;
void pmp_curve_summary_opts_default(pmp_curve_summary_opts *o);
int pmp_curve_summarize(const pmp_curve_summary_opts *o, int *drawn, pmp_err *err);

/* Intervals over every source of variance (curve_stats.c; docs/experiments.md,
 * "Intervals"). A unit is one target (site): values v[(r * S + s) * P + p] for
 * replicate r < R, seed s < S and eval pair p < P (P = 1 when only each cell's
 * accuracy is known), e.g. per-pair correctness differences init - baseline. */
typedef struct pmp_contrast_unit {
    size_t R, S, P;
    const double *v;
} pmp_contrast_unit;

typedef struct pmp_contrast {
    double mean;              /* of the targets' means */
    double boot_lo, boot_hi;  /* 95 %: the hierarchical bootstrap (expanded percentile) */
    double boot_se;           /* the bootstrap draws' standard deviation */
    double se, df;            /* the analytic standard error and its degrees of freedom */
    double t_lo, t_hi;        /* 95 %: mean -+ t(0.975, df) * se */
    /* estimated variance components (as sds of one value): between targets, and the
     * first target's replicates, seeds, eval pairs, and the interactions together */
    double sd_target, sd_rep, sd_seed, sd_pair, sd_cell;
} pmp_contrast;

/* T units; `boot` resamples (>= 10) drawn from a generator seeded with `seed`, so the
 * same input gives the same interval. */
int pmp_contrast_estimate(const pmp_contrast_unit *units, size_t T, int boot, uint64_t seed,
                          pmp_contrast *out, pmp_err *err);
/* The p-quantile of Student's t with df (> 0, not necessarily whole) degrees of freedom. */
double pmp_t_quantile(double p, double df);

/* Pictures (plot.c, run_plot.c). gnuplot is looked up at run time; without it the
 * data files are still written and the caller says how to get the picture. */
int pmp_gnuplot_present(void);
/* Runs a gnuplot script into out (.svg or .png, chosen by the name) without a shell
 * (plot.c): gnuplot's failure, or an empty picture, is an error and leaves no out. */
int pmp_gnuplot_render(const char *script, const char *out, pmp_err *err);
/* Appends s as a gnuplot string that reads back byte for byte whatever it holds
 * (quotes, backquotes, $, @, newlines): every string a script carries goes through it. */
void pmp_gnuplot_quote(pmp_buf *out, const char *s);
/* A run's log.jsonl as a picture: training loss by step, and the evaluations'
 * accuracy next to both longer-wins baselines. Writes RUN_DIR/plot/ data and script.
 * Returns 1 drawn, 0 gnuplot absent (data written), -1 error. */
int pmp_run_plot(const char *run_dir, const char *out, pmp_err *err);

#endif

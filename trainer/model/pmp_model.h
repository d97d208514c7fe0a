/* pmp_model.h — the model room of trainer/ (trainer/model/): its random stream, packed
 * batches and objectives, the GPT-2-architecture preference model, the optimizer and
 * training step, GPT-2 weight files, and the ranks of a data-parallel job
 * (docs/trainer.md). The layer kernels (layers.h) are internal to the room.
 * Rooms of trainer/, bottom up: model < runs < experiments. */
#ifndef PMP_MODEL_H
#define PMP_MODEL_H

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

/* ---------- the optimizer (optim.c): AdamW with decoupled weight decay, warmup +
 * cosine schedule, global-norm gradient clipping, and one training step with gradient
 * accumulation.
 *
 * The optimizer state is two float buffers (m, v) with the model's parameter layout
 * plus a step counter: a checkpoint saves them as they are.
 */
typedef struct pmp_adamw {
    float beta1, beta2, eps, weight_decay;
    long step;            /* updates done so far (bias correction uses step + 1) */
    size_t n;
    float *m, *v;         /* [n], model parameter layout */
} pmp_adamw;

/* Defaults: beta1 0.9, beta2 0.95, eps 1e-8, weight decay 0.1; zeroed state. */
void pmp_adamw_init(pmp_adamw *o, size_t n_params);
void pmp_adamw_free(pmp_adamw *o);
/* One update of m->params from m->grads at learning rate lr. Weight decay
 * (decoupled: p -= lr * wd * p) applies to tensors marked decay (matrices and
 * embeddings), not to biases and norms. */
void pmp_adamw_update(pmp_adamw *o, pmp_model *m, float lr);

typedef struct pmp_schedule {
    float lr;             /* peak */
    float min_lr;         /* floor of the cosine */
    long warmup;          /* linear warmup steps: lr * (step + 1) / warmup */
    long total;           /* cosine reaches min_lr at this step */
} pmp_schedule;

float pmp_schedule_lr(const pmp_schedule *s, long step);

/* Global L2 norm of the gradients (accumulated in double, fixed order), and scales
 * them to max_norm when above it (max_norm <= 0: no clipping). Returns the norm
 * before clipping. */
float pmp_optim_grad_clip(pmp_model *m, float max_norm);

/* One optimizer step over n_micro micro-batches (gradient accumulation): zero the
 * gradients, forward+backward each with grad_scale 1/n_micro, clip, AdamW at the
 * scheduled lr. out (optional) gets the mean of the micro-batch losses and counts
 * summed; grad_norm (optional) the norm before clipping. */
int pmp_optim_step(pmp_model *m, pmp_adamw *o, const pmp_schedule *s, float clip,
                   const pmp_batch *micro, int n_micro, const pmp_loss_opts *lo,
                   pmp_loss *out, float *grad_norm, pmp_err *err);

/* The same step as one of the ranks of a data-parallel job (below): this rank's
 * n_micro of the step's n_total micro-batches (grad_scale 1/n_total), then the
 * gradients and the loss terms summed over the ranks before clipping and the
 * update: in one fused sum, or (overlap) block by block as the last micro-batch's
 * backward pass finishes each. pmp_optim_step is this with n_total = n_micro and one
 * rank. */
int pmp_optim_step_ranks(pmp_model *m, pmp_adamw *o, const pmp_schedule *s, float clip,
                         const pmp_batch *micro, int n_micro, int n_total, int overlap,
                         const pmp_loss_opts *lo, pmp_loss *out, float *grad_norm, pmp_err *err);

/* ---------- GPT-2 weight files (gpt2io.c): Hugging Face GPT-2 weights in and out
 * (model.safetensors + config.json), so PMP can start from a pretrained language model
 * and a trained preference model can leave pmp.
 *
 * Names: wte.weight, wpe.weight, h.<l>.{ln_1,attn.c_attn,attn.c_proj,ln_2,
 * mlp.c_fc,mlp.c_proj}.{weight,bias}, ln_f.{weight,bias}, optionally prefixed
 * "transformer." on input. GPT-2's Conv1D matrices are stored [in, out]; ours are
 * [out, in], so they are transposed both ways. The reward head is written as
 * score.weight [1, C] and score.bias [1] (GPT2ForSequenceClassification's
 * score layer, plus the bias our head has). Both sides use LayerNorm eps 1e-5
 * and the tanh GELU ("gelu_new").
 */

/* Reads n_layer, n_head, n_embd, n_positions and vocab_size from config.json
 * (vocab_size less the padding row when the file is a PMP_GPT2_HF export: it
 * records pmp_vocab_size). */
int pmp_gpt2_read_config(const char *path, pmp_config *cfg, pmp_err *err);

/* The two layouts export writes:
 *  PMP_GPT2_FILE  the body's names without prefix, score.weight and score.bias:
 *                 what --init reads back exactly;
 *  PMP_GPT2_HF    GPT2ForSequenceClassification's: the body under "transformer.",
 *                 score.weight only, and wte with one more row of zeros, the
 *                 padding token (id V), so that Hugging Face's readout (the last
 *                 token that is not padding) lands on pmp's end-of-context token.
 *                 The score bias is left out: rewards are compared in pairs, so a
 *                 constant cancels; config.json records it (pmp_score_bias). */
typedef enum { PMP_GPT2_FILE, PMP_GPT2_HF } pmp_gpt2_layout;

/* What config.json says about the tokens (PMP_GPT2_HF). */
typedef struct pmp_gpt2_tokens {
    int32_t eoc;          /* end-of-context: eos_token_id, the reward's token */
    int32_t pad;          /* V: the added padding row */
    float score_bias;
} pmp_gpt2_tokens;

/* Appends a config.json for cfg (n_positions = maxT); tok: NULL for PMP_GPT2_FILE. */
void pmp_gpt2_config_json(const pmp_config *cfg, const pmp_gpt2_tokens *tok, pmp_buf *out);

/* Copies the weights of a GPT-2 model.safetensors into m, whose config must
 * match (L, NH, C; V and maxT at most the file's rows: the first V rows of wte
 * and maxT of wpe are used). score.weight/score.bias are loaded when present (*has_head = 1);
 * otherwise the reward head is left as it is. */
int pmp_gpt2_import(pmp_model *m, const char *path, int *has_head, pmp_err *err);

/* Writes m's weights in the layout; the same model always gives the same bytes. */
int pmp_gpt2_export(const pmp_model *m, pmp_gpt2_layout layout, const char *path, pmp_err *err);

/* ---------- ranks (dist.c): data parallelism over MPI (docs/scaling.md): the ranks of
 * one `mpirun -np N pmp-train …` job. pmp_run_train uses the ranks pmp_dist_init
 * started.
 *
 * Without MPI in the build, or when the program was not started by mpirun/srun
 * (no launcher environment), there is one rank and every call is a no-op: the
 * non-MPI path is the program as it always was.
 *
 * Rules, stated once:
 *  - every rank runs the same steps on the same parameters; rank r computes the
 *    micro-batches [r*K, (r+1)*K) of the step's N*K (so the global batch is the
 *    same whatever N), and the gradients are summed with one MPI_Allreduce over the
 *    whole gradient buffer per step (fused), or (--allreduce overlap) block by block
 *    with MPI_Iallreduce as the last micro-batch's backward pass finishes each block,
 *    waited for before the update; then every rank clips and updates identically;
 *  - MPI's reduction order for a given N, message size and launch is fixed, so a
 *    run with N ranks is bit-identical to itself when resumed; against 1 rank it
 *    agrees to fp32 summation tolerance; resumed on another N it goes on with the same
 *    global batches and records the change (config.json rank_changes);
 *  - rank 0 alone writes config.json, args.json, log.jsonl, checkpoints and the
 *    summary; every rank reads the same checkpoint on resume;
 *  - an error on one rank aborts the job (MPI_Abort): no rank waits forever; an error
 *    every rank has learnt of (pmp_dist_any_failed) ends it by MPI_Finalize instead,
 *    so that the failing rank's message is not lost in the abort. */
void pmp_dist_init(int *argc, char ***argv);   /* once, from main */
void pmp_dist_finalize(void);
int pmp_dist_rank(void);
int pmp_dist_size(void);
/* Ends the whole job with this exit code when there are other ranks (from main,
 * on a rank that failed: the others would wait for it); with one rank, or after
 * pmp_dist_any_failed told every rank of the failure, it returns (the caller goes on
 * to pmp_dist_finalize). */
void pmp_dist_abort(int code);
/* Ranks on this host (threads per rank default to cores / this). */
int pmp_dist_local_size(void);
/* Sums n floats (and nd doubles) over the ranks, in place. */
int pmp_dist_sum(float *x, size_t n, double *d, size_t nd, pmp_err *err);
/* The maximum of each of n doubles over the ranks, in place (a minimum: negate). */
int pmp_dist_max(double *d, size_t n, pmp_err *err);
/* Starts summing n floats over the ranks, in place (x must not change until
 * pmp_dist_sum_wait); every rank starts the same sums in the same order. */
int pmp_dist_sum_start(float *x, size_t n, pmp_err *err);
/* Waits for every sum started. */
int pmp_dist_sum_wait(pmp_err *err);
/* 1 when rc < 0 on any rank (all ranks must call it at the same point). */
int pmp_dist_any_failed(int rc);
/* 1 when v is the same on every rank. */
int pmp_dist_same(unsigned long long v);

#endif

/* pmp_model.h — a GPT-2-architecture preference model: config, presets, parameters,
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
#ifndef PMP_MODEL_H
#define PMP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_objective.h"
#include "pmp_rng.h"

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

/* FLOPs of one forward+backward over b (matmuls 6 per multiply-add-weight-token,
 * attention as computed), for GFLOP/s figures. */
double pmp_model_flops(const pmp_model *m, const pmp_batch *b, int lm_head);

/* Threads for our loops and for BLAS (both OpenMP here). */
void pmp_set_threads(int n);
/* Which BLAS is linked: "OpenBLAS 0.3.21 ... (openmp) /usr/lib/.../libopenblas.so.0".
 * Returns the threading model: 0 sequential, 1 pthreads, 2 OpenMP, -1 unknown. */
int pmp_blas_info(char *buf, size_t size);

#endif

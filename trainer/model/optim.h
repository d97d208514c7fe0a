/* optim.h — AdamW with decoupled weight decay, warmup + cosine schedule,
 * global-norm gradient clipping, and one training step with gradient accumulation.
 *
 * The optimizer state is two float buffers (m, v) with the model's parameter layout
 * plus a step counter: a checkpoint saves them as they are.
 */
#ifndef PMP_OPTIM_H
#define PMP_OPTIM_H

#include <stddef.h>

#include "pmp_trainer.h"

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

/* The same step as one of the ranks of a data-parallel job (dist.h): this rank's
 * n_micro of the step's n_total micro-batches (grad_scale 1/n_total), then the
 * gradients and the loss terms summed over the ranks before clipping and the
 * update: in one fused sum, or (overlap) block by block as the last micro-batch's
 * backward pass finishes each. pmp_optim_step is this with n_total = n_micro and one
 * rank. */
int pmp_optim_step_ranks(pmp_model *m, pmp_adamw *o, const pmp_schedule *s, float clip,
                         const pmp_batch *micro, int n_micro, int n_total, int overlap,
                         const pmp_loss_opts *lo, pmp_loss *out, float *grad_norm, pmp_err *err);

#endif

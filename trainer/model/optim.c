/* AdamW, learning-rate schedule, clipping, and the training step. */
#include "pmp_model.h"


#include <math.h>
#include <stdlib.h>
#include <string.h>

void pmp_adamw_init(pmp_adamw *o, size_t n)
{
    o->beta1 = 0.9f;
    o->beta2 = 0.95f;
    o->eps = 1e-8f;
    o->weight_decay = 0.1f;
    o->step = 0;
    o->n = n;
    o->m = pmp_xcalloc(n ? n : 1, sizeof(float));
    o->v = pmp_xcalloc(n ? n : 1, sizeof(float));
}

void pmp_adamw_free(pmp_adamw *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void pmp_adamw_update(pmp_adamw *o, pmp_model *m, float lr)
{
    long t = o->step + 1;
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    float c1 = 1.0f / (1.0f - powf(b1, (float)t)), c2 = 1.0f / (1.0f - powf(b2, (float)t));
    for (int k = 0; k < PMP_NUM_TENSORS; k++) {
        const pmp_tensor_info *ti = &m->tensors[k];
        float wd = ti->decay ? o->weight_decay : 0.0f;
        float *p = m->params_mem + ti->offset, *g = m->grads_mem + ti->offset;
        float *mm = o->m + ti->offset, *vv = o->v + ti->offset;
        long n = (long)ti->size;
#pragma omp parallel for schedule(dynamic, 16384) if (n >= 32768)
        for (long i = 0; i < n; i++) {
            float gi = g[i];
            float mi = b1 * mm[i] + (1.0f - b1) * gi;
            float vi = b2 * vv[i] + (1.0f - b2) * gi * gi;
            mm[i] = mi;
            vv[i] = vi;
            p[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i]);
        }
    }
    o->step = t;
}

float pmp_schedule_lr(const pmp_schedule *s, long step)
{
    if (s->warmup > 0 && step < s->warmup)
        return s->lr * (float)(step + 1) / (float)s->warmup;
    if (s->total <= s->warmup)   /* no decay phase configured */
        return s->lr;
    if (step >= s->total)
        return s->min_lr;
    double f = (double)(step - s->warmup) / (double)(s->total - s->warmup);
    return (float)(s->min_lr + 0.5 * (s->lr - s->min_lr) * (1.0 + cos(M_PI * f)));
}

float pmp_optim_grad_clip(pmp_model *m, float max_norm)
{
    /* Fixed-size chunks summed in order: the same bits whatever the thread count. */
    enum { CHUNK = 1 << 16 };
    size_t n = m->n_params, nch = (n + CHUNK - 1) / CHUNK;
    double *part = pmp_xmalloc(sizeof(double) * (nch ? nch : 1));
    const float *g = m->grads_mem;
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t c = 0; c < nch; c++) {
        size_t i0 = c * CHUNK, i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
        double acc = 0.0;
        for (size_t i = i0; i < i1; i++)
            acc += (double)g[i] * g[i];
        part[c] = acc;
    }
    double ss = 0.0;
    for (size_t c = 0; c < nch; c++)
        ss += part[c];
    free(part);
    float norm = (float)sqrt(ss);
    if (max_norm > 0.0f && norm > max_norm) {
        float sc = max_norm / norm;
        float *gw = m->grads_mem;
#pragma omp parallel for schedule(dynamic, 65536)
        for (size_t i = 0; i < n; i++)
            gw[i] *= sc;
    }
    return norm;
}

int pmp_optim_step(pmp_model *m, pmp_adamw *o, const pmp_schedule *s, float clip,
                   const pmp_batch *micro, int n_micro, const pmp_loss_opts *lo,
                   pmp_loss *out, float *grad_norm, pmp_err *err)
{
    return pmp_optim_step_ranks(m, o, s, clip, micro, n_micro, n_micro, 0, lo, out, grad_norm, err);
}

/* --allreduce overlap: each gradient block's sum starts as the backward pass of the
 * step's last micro-batch finishes it (pmp_model.h, ranks). */
typedef struct block_sums {
    pmp_model *m;
    pmp_err *err;
    int rc;
    double seconds;   /* in MPI calls */
} block_sums;

static void start_block_sum(void *ctx, int block)
{
    block_sums *bs = ctx;
    size_t off[PMP_MAX_BLOCK_SPANS], len[PMP_MAX_BLOCK_SPANS];
    int n = pmp_grad_block_spans(bs->m, block, off, len);
    double t0 = pmp_now();
    for (int i = 0; i < n && bs->rc == 0; i++)
        bs->rc = pmp_dist_sum_start(bs->m->grads_mem + off[i], len[i], bs->err);
    bs->seconds += pmp_now() - t0;
}

int pmp_optim_step_ranks(pmp_model *m, pmp_adamw *o, const pmp_schedule *s, float clip,
                         const pmp_batch *micro, int n_micro, int n_total, int overlap,
                         const pmp_loss_opts *lo, pmp_loss *out, float *grad_norm, pmp_err *err)
{
    pmp_loss sum;
    memset(&sum, 0, sizeof sum);
    pmp_model_zero_grad(m);
    float scale = 1.0f / (float)n_total;
    int ranks = n_total != n_micro;
    block_sums bs = {m, err, 0, 0.0};
    for (int k = 0; k < n_micro; k++) {
        if (pmp_model_forward(m, &micro[k], lo, err))
            return pmp_err_prefix(err, "micro-batch %d", k);
        if (ranks && overlap && k == n_micro - 1)
            pmp_model_backward_ready(m, &micro[k], lo, scale, start_block_sum, &bs);
        else
            pmp_model_backward(m, &micro[k], lo, scale);
        sum.loss += m->loss.loss / n_total;
        sum.rank += m->loss.rank / n_total;
        sum.binary += m->loss.binary / n_total;
        sum.lm += m->loss.lm / n_total;
        sum.center += m->loss.center / n_total;
        sum.pairs_correct += m->loss.pairs_correct;
        sum.labels_correct += m->loss.labels_correct;
        sum.pairs += m->loss.pairs;
        sum.margin_sum += m->loss.margin_sum;
        sum.reward_n += m->loss.reward_n;
        sum.reward_sum += m->loss.reward_sum;
        sum.reward_sq += m->loss.reward_sq;
        if (k == 0 || m->loss.reward_min < sum.reward_min) sum.reward_min = m->loss.reward_min;
        if (k == 0 || m->loss.reward_max > sum.reward_max) sum.reward_max = m->loss.reward_max;
    }
    if (ranks) {   /* the other ranks' micro-batches: one fused sum, or the blocks' */
        double st[11] = {sum.loss, sum.rank, sum.binary, sum.lm, sum.pairs_correct, sum.labels_correct,
                         sum.center, sum.pairs, sum.margin_sum, sum.reward_n, sum.reward_sum};
        double sq = sum.reward_sq, mx[2] = {sum.reward_max, -sum.reward_min};
        double t0 = pmp_now();
        if (bs.rc < 0 || pmp_dist_sum_wait(err) < 0) return -1;
        if (pmp_dist_sum(overlap ? NULL : m->grads_mem, overlap ? 0 : m->n_params, st, 11, err) < 0)
            return -1;
        if (pmp_dist_sum(NULL, 0, &sq, 1, err) < 0 || pmp_dist_max(mx, 2, err) < 0) return -1;
        sum.reward_sq = sq;
        sum.reward_max = mx[0];
        sum.reward_min = -mx[1];
        sum.center = st[6];
        sum.pairs = (int)st[7];
        sum.margin_sum = st[8];
        sum.reward_n = (int)st[9];
        sum.reward_sum = st[10];
        sum.comm_seconds = pmp_now() - t0 + bs.seconds;
        sum.loss = st[0];
        sum.rank = st[1];
        sum.binary = st[2];
        sum.lm = st[3];
        sum.pairs_correct = (int)st[4];
        sum.labels_correct = (int)st[5];
    }
    float norm = pmp_optim_grad_clip(m, clip);
    pmp_adamw_update(o, m, pmp_schedule_lr(s, o->step));
    if (out)
        *out = sum;
    if (grad_norm)
        *grad_norm = norm;
    return 0;
}

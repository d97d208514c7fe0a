/* The model: parameter layout, activations, forward and backward over a packed batch. */
#include "pmp_model.h"

#include <cblas.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* ---------- config ---------- */

int pmp_config_check(const pmp_config *c, pmp_err *err)
{
    if (c->L < 1 || c->NH < 1 || c->C < 1 || c->maxT < 2 || c->V < 2)
        return pmp_err_setc(err, PMP_E_USAGE, "model config: L=%d NH=%d C=%d maxT=%d V=%d must all be "
                           "positive (maxT, V >= 2)", c->L, c->NH, c->C, c->maxT, c->V);
    if (c->C % c->NH)
        return pmp_err_setc(err, PMP_E_USAGE, "model config: width %d is not a multiple of %d heads",
                           c->C, c->NH);
    /* The layout and the kernels take 4C (the MLP width) as an int. */
    if (c->C > INT_MAX / 4)
        return pmp_err_setc(err, PMP_E_USAGE, "model config: width %d is too large (at most %d)", c->C,
                           INT_MAX / 4);
    /* The parameter count (pmp_param_shapes) must not overflow size_t: 2^40 floats (4 TiB)
     * is far past any machine this runs on; a config.json claiming more is damaged. */
    unsigned __int128 L = (unsigned)c->L, C = (unsigned)c->C, T = (unsigned)c->maxT,
                      V = (unsigned)c->V;
    unsigned __int128 n = V * C + T * C + L * (12 * C * C + 13 * C) + 3 * C + 1;
    if (n > ((unsigned __int128)1 << 40))
        return pmp_err_setc(err, PMP_E_USAGE, "model config: L=%d C=%d maxT=%d V=%d means %.3g parameters "
                           "(at most 2^40)", c->L, c->C, c->maxT, c->V, (double)n);
    return 0;
}

int pmp_config_preset(const char *name, int V, int maxT, pmp_config *cfg, pmp_err *err)
{
    static const struct { const char *name; int L, NH, C, T; } presets[] = {
        {"tiny", 4, 4, 256, 128},
        {"small", 6, 6, 384, 256},
        {"gpt2", 12, 12, 768, 1024},
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(name, presets[i].name))
            continue;
        if (maxT > presets[i].T)
            return pmp_err_setc(err, PMP_E_USAGE, "model preset %s: context %d exceeds its maximum %d", name,
                               maxT, presets[i].T);
        *cfg = (pmp_config){presets[i].L, presets[i].NH, presets[i].C,
                            maxT > 0 ? maxT : presets[i].T, V};
        return pmp_config_check(cfg, err);
    }
    return pmp_err_setc(err, PMP_E_USAGE, "unknown model preset '%s' (tiny, small, gpt2)", name);
}

/* ---------- parameter layout ---------- */

size_t pmp_param_shapes(const pmp_config *cfg, pmp_tensor_info t[PMP_NUM_TENSORS])
{
    int L = cfg->L, C = cfg->C, V = cfg->V, T = cfg->maxT;
    const pmp_tensor_info def[PMP_NUM_TENSORS] = {
        {"wte", 0, 0, 2, {V, C, 0}, 1},        {"wpe", 0, 0, 2, {T, C, 0}, 1},
        {"ln1w", 0, 0, 2, {L, C, 0}, 0},       {"ln1b", 0, 0, 2, {L, C, 0}, 0},
        {"qkvw", 0, 0, 3, {L, 3 * C, C}, 1},   {"qkvb", 0, 0, 2, {L, 3 * C, 0}, 0},
        {"attprojw", 0, 0, 3, {L, C, C}, 1},   {"attprojb", 0, 0, 2, {L, C, 0}, 0},
        {"ln2w", 0, 0, 2, {L, C, 0}, 0},       {"ln2b", 0, 0, 2, {L, C, 0}, 0},
        {"fcw", 0, 0, 3, {L, 4 * C, C}, 1},    {"fcb", 0, 0, 2, {L, 4 * C, 0}, 0},
        {"fcprojw", 0, 0, 3, {L, C, 4 * C}, 1}, {"fcprojb", 0, 0, 2, {L, C, 0}, 0},
        {"lnfw", 0, 0, 1, {C, 0, 0}, 0},       {"lnfb", 0, 0, 1, {C, 0, 0}, 0},
        {"rw", 0, 0, 1, {C, 0, 0}, 1},         {"rb", 0, 0, 1, {1, 0, 0}, 0},
    };
    size_t off = 0;
    for (int i = 0; i < PMP_NUM_TENSORS; i++) {
        t[i] = def[i];
        size_t n = 1;
        for (int d = 0; d < t[i].ndim; d++)
            n *= (size_t)t[i].shape[d];
        t[i].offset = off;
        t[i].size = n;
        off += n;
    }
    return off;
}

void pmp_params_point(pmp_params *p, float *mem, const pmp_config *cfg)
{
    pmp_tensor_info t[PMP_NUM_TENSORS];
    pmp_param_shapes(cfg, t);
    float **ptrs[PMP_NUM_TENSORS] = {
        &p->wte, &p->wpe, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb, &p->attprojw, &p->attprojb,
        &p->ln2w, &p->ln2b, &p->fcw, &p->fcb, &p->fcprojw, &p->fcprojb, &p->lnfw, &p->lnfb,
        &p->rw, &p->rb};
    for (int i = 0; i < PMP_NUM_TENSORS; i++)
        *ptrs[i] = mem + t[i].offset;
}

/* ---------- activations ---------- */

struct pmp_acts {
    int cap_n, cap_b, cap_nt;
    size_t cap_att;
    size_t *att_off;                       /* [B] */
    int32_t *family;                       /* [B+1] */
    pmp_seq_layout sl;                     /* of the last forward's batch */
    size_t att_per_layer;
    float *encoded;                        /* [N, C] */
    float *ln1, *ln1_mean, *ln1_rstd;      /* [L, N, C], [L, N] */
    float *qkv;                            /* [L, N, 3C] */
    float *att;                            /* [L, A] */
    float *atty, *res2;                    /* [L, N, C] */
    float *ln2, *ln2_mean, *ln2_rstd;
    float *fch, *fch_gelu;                 /* [L, N, 4C] */
    float *res3;                           /* [L, N, C] */
    float *lnf, *lnf_mean, *lnf_rstd;      /* [N, C], [N] */
    float *lnf_t, *logits, *logprob;       /* [NT, C], [NT, V], [NT] */
    int32_t *tgt, *tgt_pos;                /* [NT] */
    /* backward scratch, reused across layers */
    float *dres, *dln, *dqkv, *datt, *datty, *dfch, *dlnf, *dlnf_t, *dscale, *dr, *dlogprob;
};

static void acts_free(pmp_acts *a)
{
    if (!a)
        return;
    float **f[] = {&a->encoded, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv, &a->att,
                   &a->atty, &a->res2, &a->ln2, &a->ln2_mean, &a->ln2_rstd, &a->fch,
                   &a->fch_gelu, &a->res3, &a->lnf, &a->lnf_mean, &a->lnf_rstd, &a->lnf_t,
                   &a->logits, &a->logprob, &a->dres, &a->dln, &a->dqkv, &a->datt, &a->datty,
                   &a->dfch, &a->dlnf, &a->dlnf_t, &a->dscale, &a->dr, &a->dlogprob};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    free(a->tgt);
    free(a->tgt_pos);
    free(a->att_off);
    free(a->family);
    a->tgt = a->tgt_pos = NULL;
    a->att_off = NULL;
    a->family = NULL;
    a->cap_n = a->cap_b = a->cap_nt = 0;
    a->cap_att = 0;
}

static float *fal(size_t n) { return pmp_xmalloc(sizeof(float) * (n ? n : 1)); }

/* Grows the buffers to fit N tokens, B sequences, A attention floats per layer and
 * NT targets; sizes only ever grow, so a steady run allocates once. */
static void acts_reserve(pmp_model *m, int N, int B, size_t A, int NT)
{
    pmp_acts *a = m->acts;
    size_t L = m->cfg.L, C = m->cfg.C, V = m->cfg.V;
    if (N > a->cap_n || A > a->cap_att) {
        int n = N > a->cap_n ? N : a->cap_n;
        size_t at = A > a->cap_att ? A : a->cap_att;
        float **big[] = {&a->encoded, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv, &a->att,
                         &a->atty, &a->res2, &a->ln2, &a->ln2_mean, &a->ln2_rstd, &a->fch,
                         &a->fch_gelu, &a->res3, &a->lnf, &a->lnf_mean, &a->lnf_rstd,
                         &a->dres, &a->dln, &a->dqkv, &a->datt, &a->datty, &a->dfch, &a->dlnf};
        size_t sz[] = {n * C, L * n * C, L * n, L * n, L * n * 3 * C, L * at,
                       L * n * C, L * n * C, L * n * C, L * n, L * n, L * n * 4 * C,
                       L * n * 4 * C, L * n * C, n * C, n, n,
                       n * C, n * C, n * 3 * C, at, n * C, n * 4 * C, n * C};
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
            free(*big[i]);
            *big[i] = fal(sz[i]);
        }
        a->cap_n = n;
        a->cap_att = at;
    }
    if (B > a->cap_b) {
        free(a->att_off);
        free(a->family);
        free(a->dr);
        free(m->rewards);
        free(m->seq_logprob);
        a->att_off = pmp_xmalloc(sizeof(size_t) * B);
        a->family = pmp_xmalloc(sizeof(int32_t) * (B + 1));
        a->dr = fal(B);
        m->rewards = fal(B);
        m->seq_logprob = fal(B);
        a->cap_b = B;
    }
    if (NT > a->cap_nt) {
        float **f[] = {&a->lnf_t, &a->logits, &a->logprob, &a->dlnf_t, &a->dscale, &a->dlogprob};
        size_t sz[] = {NT * C, NT * V, NT, NT * C, NT, NT};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
            free(*f[i]);
            *f[i] = fal(sz[i]);
        }
        free(a->tgt);
        free(a->tgt_pos);
        a->tgt = pmp_xmalloc(sizeof(int32_t) * NT);
        a->tgt_pos = pmp_xmalloc(sizeof(int32_t) * NT);
        a->cap_nt = NT;
    }
}

/* ---------- init / free ---------- */

int pmp_model_init(pmp_model *m, const pmp_config *cfg, pmp_rng *rng, pmp_err *err)
{
    memset(m, 0, sizeof *m);
    if (pmp_config_check(cfg, err))
        return -1;
    m->cfg = *cfg;
    m->n_params = pmp_param_shapes(cfg, m->tensors);
    m->params_mem = fal(m->n_params);
    m->grads_mem = pmp_xcalloc(m->n_params, sizeof(float));
    pmp_params_point(&m->params, m->params_mem, cfg);
    pmp_params_point(&m->grads, m->grads_mem, cfg);
    m->acts = pmp_xcalloc(1, sizeof(pmp_acts));
    if (!rng) {   /* the caller loads the parameters (checkpoint, GPT-2 import) */
        memset(m->params_mem, 0, sizeof(float) * m->n_params);
        return 0;
    }
    float resid_std = 0.02f / sqrtf(2.0f * cfg->L);
    for (int i = 0; i < PMP_NUM_TENSORS; i++) {
        const pmp_tensor_info *t = &m->tensors[i];
        float *p = m->params_mem + t->offset;
        const char *nm = t->name;
        size_t len = strlen(nm);
        if (nm[len - 1] == 'b') {     /* biases, norm shifts */
            memset(p, 0, sizeof(float) * t->size);
        } else if (!strcmp(nm, "ln1w") || !strcmp(nm, "ln2w") || !strcmp(nm, "lnfw")) {
            for (size_t j = 0; j < t->size; j++)
                p[j] = 1.0f;
        } else {
            float sd = (!strcmp(nm, "attprojw") || !strcmp(nm, "fcprojw")) ? resid_std : 0.02f;
            for (size_t j = 0; j < t->size; j++)
                p[j] = sd * pmp_rng_normal(rng);
        }
    }
    return 0;
}

void pmp_model_free(pmp_model *m)
{
    acts_free(m->acts);
    free(m->acts);
    free(m->params_mem);
    free(m->grads_mem);
    free(m->rewards);
    free(m->seq_logprob);
    memset(m, 0, sizeof *m);
}

void pmp_model_zero_grad(pmp_model *m)
{
    memset(m->grads_mem, 0, sizeof(float) * m->n_params);
}

/* ---------- forward ---------- */

int pmp_model_forward(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo, pmp_err *err)
{
    const pmp_config *cf = &m->cfg;
    int L = cf->L, C = cf->C, NH = cf->NH, V = cf->V, N = b->N, B = b->B;
    if (B < 1 || N < 1)
        return pmp_err_setc(err, PMP_E_INTERNAL, "forward: empty batch");
    size_t A = 0;
    int head = -1;   /* the current family's root */
    for (int s = 0; s < B; s++) {
        int M = b->seq_start[s + 1] - b->seq_start[s], P = b->shared[s];
        if (M < 1 || P < 0 || P + M > cf->maxT)
            return pmp_err_setc(err, PMP_E_INTERNAL, "forward: sequence %d has %d tokens (context %d)", s, P + M,
                               cf->maxT);
        if (b->readout[s] < b->seq_start[s] || b->readout[s] >= b->seq_start[s + 1])
            return pmp_err_setc(err, PMP_E_INTERNAL, "forward: readout of sequence %d is outside it", s);
        if (b->root[s] < 0) {
            if (P != 0)
                return pmp_err_setc(err, PMP_E_INTERNAL, "forward: sequence %d shares %d tokens without a root",
                                   s, P);
            head = s;
        } else if (b->root[s] != head || P > b->seq_start[head + 1] - b->seq_start[head]) {
            return pmp_err_setc(err, PMP_E_INTERNAL, "forward: sequence %d shares %d tokens of sequence %d, which "
                               "is not its family's root or is shorter", s, P, b->root[s]);
        }
        A += (size_t)NH * M * (P + M);
    }
    for (int n = 0; n < N; n++)
        if (b->tokens[n] < 0 || b->tokens[n] >= V || b->targets[n] >= V)
            return pmp_err_setc(err, PMP_E_INTERNAL, "forward: token %d at %d outside the vocabulary %d",
                               b->tokens[n], n, V);
    acts_reserve(m, N, B, A, b->NT);
    pmp_acts *a = m->acts;
    const pmp_params *p = &m->params;
    size_t off = 0;
    int F = 0;
    for (int s = 0; s < B; s++) {
        int M = b->seq_start[s + 1] - b->seq_start[s];
        a->att_off[s] = off;
        off += (size_t)NH * M * (b->shared[s] + M);
        if (b->root[s] < 0)
            a->family[F++] = s;
    }
    a->family[F] = B;
    a->sl = (pmp_seq_layout){.B = B, .F = F, .start = b->seq_start, .root = b->root,
                             .shared = b->shared, .family = a->family, .att_off = a->att_off};
    a->att_per_layer = A;

    size_t NC = (size_t)N * C;
    pmp_encoder_forward(a->encoded, b->tokens, b->pos, p->wte, p->wpe, N, C);
    const float *res = a->encoded;
    for (int l = 0; l < L; l++) {
        size_t cc = (size_t)C * C;
        float *ln1 = a->ln1 + l * NC, *qkv = a->qkv + l * 3 * NC, *atty = a->atty + l * NC;
        float *res2 = a->res2 + l * NC, *ln2 = a->ln2 + l * NC, *res3 = a->res3 + l * NC;
        float *fch = a->fch + l * 4 * NC, *fchg = a->fch_gelu + l * 4 * NC;
        pmp_layernorm_forward(ln1, a->ln1_mean + (size_t)l * N, a->ln1_rstd + (size_t)l * N, res,
                              p->ln1w + l * C, p->ln1b + l * C, N, C);
        pmp_matmul_forward(qkv, ln1, p->qkvw + l * 3 * cc, p->qkvb + l * 3 * C, N, C, 3 * C, 0);
        pmp_attention_forward(atty, a->att + l * A, qkv, &a->sl, C, NH);
        memcpy(res2, res, sizeof(float) * NC);
        pmp_matmul_forward(res2, atty, p->attprojw + l * cc, p->attprojb + l * C, N, C, C, 1);
        pmp_layernorm_forward(ln2, a->ln2_mean + (size_t)l * N, a->ln2_rstd + (size_t)l * N,
                              res2, p->ln2w + l * C, p->ln2b + l * C, N, C);
        pmp_matmul_forward(fch, ln2, p->fcw + l * 4 * cc, p->fcb + l * 4 * C, N, C, 4 * C, 0);
        pmp_gelu_forward(fchg, fch, 4 * NC);
        memcpy(res3, res2, sizeof(float) * NC);
        pmp_matmul_forward(res3, fchg, p->fcprojw + l * 4 * cc, p->fcprojb + l * C, N, 4 * C, C,
                           1);
        res = res3;
    }
    pmp_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, res, p->lnfw, p->lnfb, N, C);

    for (int s = 0; s < B; s++) {
        const float *x = a->lnf + (size_t)b->readout[s] * C;
        float acc = 0.0f;
        for (int c = 0; c < C; c++)
            acc += x[c] * p->rw[c];
        m->rewards[s] = acc + p->rb[0];
    }
    if (b->NT > 0) {
        int k = 0;
        for (int n = 0; n < N; n++)
            if (b->targets[n] >= 0) {
                a->tgt[k] = b->targets[n];
                a->tgt_pos[k] = n;
                memcpy(a->lnf_t + (size_t)k * C, a->lnf + (size_t)n * C, sizeof(float) * C);
                k++;
            }
        pmp_matmul_forward(a->logits, a->lnf_t, p->wte, NULL, b->NT, C, V, 0);
        pmp_crossentropy_forward(a->logits, a->logprob, a->tgt, b->NT, V);
    }
    pmp_loss_compute(b, lo, m->rewards, a->logprob, 1.0f, &m->loss, a->dr, a->dlogprob,
                     m->seq_logprob);
    return 0;
}

/* ---------- backward ---------- */

int pmp_grad_block_spans(const pmp_model *m, int block, size_t off[PMP_MAX_BLOCK_SPANS],
                         size_t len[PMP_MAX_BLOCK_SPANS])
{
    /* tensor indices in the pmp_params order: wte wpe | 12 per-layer | lnfw lnfb rw rb */
    const pmp_tensor_info *t = m->tensors;
    int L = m->cfg.L, n = 0;
    if (block == 0) {
        for (int i = 14; i < PMP_NUM_TENSORS; i++, n++) off[n] = t[i].offset, len[n] = t[i].size;
    } else if (block <= L) {
        size_t l = (size_t)(L - block);
        for (int i = 2; i < 14; i++, n++) {
            size_t per = t[i].size / (size_t)L;
            off[n] = t[i].offset + l * per, len[n] = per;
        }
    } else if (block == L + 1) {
        for (int i = 0; i < 2; i++, n++) off[n] = t[i].offset, len[n] = t[i].size;
    }
    return n;
}

void pmp_model_backward(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo,
                        float grad_scale)
{
    pmp_model_backward_ready(m, b, lo, grad_scale, NULL, NULL);
}

void pmp_model_backward_ready(pmp_model *m, const pmp_batch *b, const pmp_loss_opts *lo,
                              float grad_scale, void (*ready)(void *ctx, int block), void *ctx)
{
    const pmp_config *cf = &m->cfg;
    int L = cf->L, C = cf->C, NH = cf->NH, V = cf->V, N = b->N, B = b->B;
    pmp_acts *a = m->acts;
    const pmp_params *p = &m->params;
    pmp_params *g = &m->grads;
    size_t NC = (size_t)N * C, A = a->att_per_layer;
    pmp_loss tmp;
    pmp_loss_compute(b, lo, m->rewards, a->logprob, grad_scale, &tmp, a->dr, a->dlogprob,
                     m->seq_logprob);

    memset(a->dlnf, 0, sizeof(float) * NC);
    for (int s = 0; s < B; s++) {
        float d = a->dr[s];
        if (d == 0.0f)
            continue;
        size_t row = (size_t)b->readout[s] * C;
        for (int c = 0; c < C; c++) {
            a->dlnf[row + c] += d * p->rw[c];
            g->rw[c] += d * a->lnf[row + c];
        }
        g->rb[0] += d;
    }
    if (b->NT > 0 && lo->lm_coef != 0.0f) {
        /* d loss / d logits = dlogprob * (onehot - p) = (-dlogprob) * (p - onehot) */
        for (int i = 0; i < b->NT; i++)
            a->dscale[i] = -a->dlogprob[i];
        pmp_crossentropy_backward(a->logits, a->tgt, a->dscale, b->NT, V);
        pmp_matmul_backward(a->dlnf_t, g->wte, NULL, a->logits, a->lnf_t, p->wte, b->NT, C, V);
        for (int i = 0; i < b->NT; i++) {
            float *d = a->dlnf + (size_t)a->tgt_pos[i] * C;
            const float *s = a->dlnf_t + (size_t)i * C;
            for (int c = 0; c < C; c++)
                d[c] += s[c];
        }
    }
    const float *resL = L > 0 ? a->res3 + (size_t)(L - 1) * NC : a->encoded;
    memset(a->dres, 0, sizeof(float) * NC);
    pmp_layernorm_backward(a->dres, g->lnfw, g->lnfb, a->dlnf, resL, p->lnfw, a->lnf_mean,
                           a->lnf_rstd, N, C);
    if (ready) ready(ctx, 0);
    for (int l = L - 1; l >= 0; l--) {
        size_t cc = (size_t)C * C;
        const float *res_in = l == 0 ? a->encoded : a->res3 + (l - 1) * NC;
        float *ln1 = a->ln1 + l * NC, *qkv = a->qkv + l * 3 * NC, *atty = a->atty + l * NC;
        float *res2 = a->res2 + l * NC, *ln2 = a->ln2 + l * NC;
        float *fch = a->fch + l * 4 * NC, *fchg = a->fch_gelu + l * 4 * NC;
        pmp_matmul_backward(a->dfch, g->fcprojw + l * 4 * cc, g->fcprojb + l * C, a->dres, fchg,
                            p->fcprojw + l * 4 * cc, N, 4 * C, C);
        pmp_gelu_backward(a->dfch, fch, a->dfch, 4 * NC);
        pmp_matmul_backward(a->dln, g->fcw + l * 4 * cc, g->fcb + l * 4 * C, a->dfch, ln2,
                            p->fcw + l * 4 * cc, N, C, 4 * C);
        pmp_layernorm_backward(a->dres, g->ln2w + l * C, g->ln2b + l * C, a->dln, res2,
                               p->ln2w + l * C, a->ln2_mean + (size_t)l * N,
                               a->ln2_rstd + (size_t)l * N, N, C);
        pmp_matmul_backward(a->datty, g->attprojw + l * cc, g->attprojb + l * C, a->dres, atty,
                            p->attprojw + l * cc, N, C, C);
        pmp_attention_backward(a->dqkv, a->datt, a->datty, qkv, a->att + l * A, &a->sl, C, NH);
        pmp_matmul_backward(a->dln, g->qkvw + l * 3 * cc, g->qkvb + l * 3 * C, a->dqkv, ln1,
                            p->qkvw + l * 3 * cc, N, C, 3 * C);
        pmp_layernorm_backward(a->dres, g->ln1w + l * C, g->ln1b + l * C, a->dln, res_in,
                               p->ln1w + l * C, a->ln1_mean + (size_t)l * N,
                               a->ln1_rstd + (size_t)l * N, N, C);
        if (ready) ready(ctx, L - l);
    }
    pmp_encoder_backward(g->wte, g->wpe, a->dres, b->tokens, b->pos, N, C);
    if (ready) ready(ctx, L + 1);
}

/* ---------- accounting and environment ---------- */

double pmp_model_flops(const pmp_model *m, const pmp_batch *b, int lm_head)
{
    double C = m->cfg.C, L = m->cfg.L;
    double f = 6.0 * b->N * 12.0 * C * C * L;
    for (int s = 0; s < b->B; s++) {
        double M = b->seq_start[s + 1] - b->seq_start[s];
        f += 12.0 * M * (M + b->shared[s]) * C * L;   /* QK^T, PV forward; four backward */
    }
    if (lm_head)
        f += 6.0 * b->NT * C * m->cfg.V;
    return f;
}

void pmp_model_set_threads(int n)
{
    if (n < 1)
        n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int pmp_blas_info(char *buf, size_t size)
{
    Dl_info di;
    const char *path = "?";
    char real[4096];
    if (dladdr((void *)cblas_sgemm, &di) && di.dli_fname) {
        path = di.dli_fname;
        if (realpath(path, real))   /* through the update-alternatives symlinks */
            path = real;
    }
    int par = openblas_get_parallel();
    snprintf(buf, size, "%s [%s] %s", openblas_get_config(),
             par == 0 ? "sequential" : par == 1 ? "pthreads" : par == 2 ? "openmp" : "?", path);
    return par >= 0 && par <= 2 ? par : -1;
}

/* Gradient checks against central finite differences: every layer on its own
 * (with a random linear read-out L = sum(out * R), so dL/dout = R), then the whole
 * model under a loss that mixes all objectives' terms.
 *
 * Each check perturbs one tensor along random directions u and compares
 * (L(x + eps u) - L(x - eps u)) / 2 eps with grad . u. Directional derivatives
 * aggregate many coordinates, which keeps float32 round-off well below the
 * tolerance with a modest eps; a few single coordinates are checked too. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layers.h"
#include "pmp_model.h"

typedef double (*fwd_fn)(void *ctx);

static pmp_rng rng;

static float *randv(size_t n, float sd)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        v[i] = sd * pmp_rng_normal(&rng);
    return v;
}

static double dotd(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Checks grad (of f w.r.t. x[0..n)) along 3 random directions and at 3 single
 * coordinates, with step length eps. Returns the worst relative error (also asserted <= tol). */
static double check(const char *what, float *x, size_t n, const float *grad, fwd_fn f,
                    void *ctx, float eps, double tol)
{
    float *u = randv(n, 1.0f), *save = malloc(sizeof(float) * n);
    memcpy(save, x, sizeof(float) * n);
    double worst = 0.0;
    for (int k = 0; k < 6; k++) {
        if (k < 3) {
            /* unit-norm random direction: eps is then the step's length */
            double nn = 0.0;
            for (size_t i = 0; i < n; i++) {
                u[i] = pmp_rng_normal(&rng);
                nn += (double)u[i] * u[i];
            }
            for (size_t i = 0; i < n; i++)
                u[i] = (float)(u[i] / sqrt(nn));
        } else {
            memset(u, 0, sizeof(float) * n);
            u[pmp_rng_below(&rng, n)] = 1.0f;
        }
        double an = dotd(grad, u, n);
        for (size_t i = 0; i < n; i++)
            x[i] = save[i] + eps * u[i];
        double fp = f(ctx);
        for (size_t i = 0; i < n; i++)
            x[i] = save[i] - eps * u[i];
        double fm = f(ctx);
        memcpy(x, save, sizeof(float) * n);
        double fd = (fp - fm) / (2.0 * eps);
        double scale = fabs(an) > fabs(fd) ? fabs(an) : fabs(fd);
        /* grad . u can cancel to almost nothing: judge the error against the size
         * the derivative has in a typical direction (|g| / sqrt(n)) as well */
        double typ = sqrt(dotd(grad, grad, n) / n);
        scale = scale > typ ? scale : typ;
        double err = fabs(an - fd) / (scale > 1e-8 ? scale : 1e-8);
        if (err > worst)
            worst = err;
        if (err > tol)
            print_error("%s: direction %d analytic %.8g finite-diff %.8g (rel %.3g)\n", what, k,
                        an, fd, err);
        assert_true(err <= tol);
    }
    if (getenv("PMP_GRAD_VERBOSE"))
        print_message("%-16s worst relative error %.2e\n", what, worst);
    free(u);
    free(save);
    return worst;
}

/* ---------- per-layer ---------- */

typedef struct lctx {
    int N, C, OC, NH, V, kind;
    float *inp, *w, *b, *out, *R, *mean, *rstd, *att;
    const int32_t *tok, *pos, *tgt;
    const pmp_seq_layout *sl;
    float *wpe;
    float *logprob;
} lctx;

enum { K_LN, K_MM, K_GELU, K_ATT, K_ENC, K_CE };

static size_t out_size(const lctx *c)
{
    switch (c->kind) {
    case K_MM: return (size_t)c->N * c->OC;
    case K_GELU: return (size_t)c->N * c->C;
    case K_CE: return (size_t)c->N;
    default: return (size_t)c->N * c->C;
    }
}

static double lfwd(void *vc)
{
    lctx *c = vc;
    switch (c->kind) {
    case K_LN: pmp_layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C); break;
    case K_MM: pmp_matmul_forward(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC, 0); break;
    case K_GELU: pmp_gelu_forward(c->out, c->inp, (size_t)c->N * c->C); break;
    case K_ATT:
        pmp_attention_forward(c->out, c->att, c->inp, c->sl, c->C, c->NH);
        break;
    case K_ENC: pmp_encoder_forward(c->out, c->tok, c->pos, c->w, c->wpe, c->N, c->C); break;
    case K_CE: {
        float *z = malloc(sizeof(float) * c->N * c->V);
        memcpy(z, c->inp, sizeof(float) * c->N * c->V);
        pmp_crossentropy_forward(z, c->out, c->tgt, c->N, c->V);
        free(z);
        break;
    }
    }
    return dotd(c->out, c->R, out_size(c));
}

static void test_layernorm(void **st)
{
    (void)st;
    lctx c = {.N = 7, .C = 70, .kind = K_LN};   /* C not a multiple of the channel block */
    c.inp = randv(c.N * c.C, 1.0f);
    for (int i = 0; i < c.N * c.C; i++)
        c.inp[i] += 0.5f;
    c.w = randv(c.C, 1.0f);
    c.b = randv(c.C, 1.0f);
    c.out = malloc(sizeof(float) * c.N * c.C);
    c.mean = malloc(sizeof(float) * c.N);
    c.rstd = malloc(sizeof(float) * c.N);
    c.R = randv(c.N * c.C, 1.0f);
    float *din = calloc(c.N * c.C, sizeof(float)), *dw = calloc(c.C, 4), *db = calloc(c.C, 4);
    lfwd(&c);
    pmp_layernorm_backward(din, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    check("layernorm dinp", c.inp, c.N * c.C, din, lfwd, &c, 1e-2f, 1e-2);
    check("layernorm dw", c.w, c.C, dw, lfwd, &c, 1e-2f, 1e-2);
    check("layernorm db", c.b, c.C, db, lfwd, &c, 1e-2f, 1e-2);
    free(din); free(dw); free(db); free(c.inp); free(c.w); free(c.b); free(c.out);
    free(c.mean); free(c.rstd); free(c.R);
}

static void test_matmul(void **st)
{
    (void)st;
    lctx c = {.N = 9, .C = 24, .OC = 40, .kind = K_MM};
    c.inp = randv(c.N * c.C, 1.0f);
    c.w = randv(c.OC * c.C, 0.3f);
    c.b = randv(c.OC, 1.0f);
    c.out = malloc(sizeof(float) * c.N * c.OC);
    c.R = randv(c.N * c.OC, 1.0f);
    float *din = malloc(sizeof(float) * c.N * c.C), *dw = calloc(c.OC * c.C, 4),
          *db = calloc(c.OC, 4);
    pmp_matmul_backward(din, dw, db, c.R, c.inp, c.w, c.N, c.C, c.OC);
    check("matmul dinp", c.inp, c.N * c.C, din, lfwd, &c, 1e-2f, 1e-3);
    check("matmul dw", c.w, c.OC * c.C, dw, lfwd, &c, 1e-2f, 1e-3);
    check("matmul db", c.b, c.OC, db, lfwd, &c, 1e-2f, 1e-3);
    free(din); free(dw); free(db); free(c.inp); free(c.w); free(c.b); free(c.out); free(c.R);
}

static void test_gelu(void **st)
{
    (void)st;
    lctx c = {.N = 10, .C = 37, .kind = K_GELU};
    c.inp = randv(c.N * c.C, 2.0f);
    c.out = malloc(sizeof(float) * c.N * c.C);
    c.R = randv(c.N * c.C, 1.0f);
    float *din = malloc(sizeof(float) * c.N * c.C);
    pmp_gelu_backward(din, c.inp, c.R, (size_t)c.N * c.C);
    check("gelu", c.inp, c.N * c.C, din, lfwd, &c, 1e-2f, 1e-2);
    /* against the closed form in double */
    lfwd(&c);
    for (int i = 0; i < c.N * c.C; i++) {
        double x = c.inp[i];
        double ref = 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        assert_true(fabs(c.out[i] - ref) <= 1e-5 * (1.0 + fabs(ref)));
    }
    free(din); free(c.inp); free(c.out); free(c.R);
}

/* Attention floats and offsets of a layout (M x (P + M) per head and sequence). */
static size_t att_layout(pmp_seq_layout *sl, size_t *off, int NH)
{
    size_t A = 0;
    for (int s = 0; s < sl->B; s++) {
        size_t M = (size_t)(sl->start[s + 1] - sl->start[s]), P = sl->shared ? sl->shared[s] : 0;
        off[s] = A;
        A += (size_t)NH * M * (P + M);
    }
    sl->att_off = off;
    return A;
}

static void test_attention(void **st)
{
    (void)st;
    /* four packed sequences: 0 (5 tokens), 1 = the first 3 tokens of 0 shared + 4 of
     * its own, 2 of length 1, 3 of length 3 */
    int32_t ss[5] = {0, 5, 9, 10, 13}, root[4] = {-1, 0, -1, -1}, shared[4] = {0, 3, 0, 0};
    int32_t fam[4] = {0, 2, 3, 4};
    size_t off[4];
    pmp_seq_layout sl = {.B = 4, .F = 3, .start = ss, .root = root, .shared = shared,
                         .family = fam};
    size_t A = att_layout(&sl, off, 4);
    lctx c = {.N = 13, .C = 16, .NH = 4, .kind = K_ATT, .sl = &sl};
    c.inp = randv(c.N * 3 * c.C, 1.0f);
    c.out = malloc(sizeof(float) * c.N * c.C);
    c.att = malloc(sizeof(float) * A);
    c.R = randv(c.N * c.C, 1.0f);
    float *dqkv = malloc(sizeof(float) * c.N * 3 * c.C), *datt = malloc(sizeof(float) * A);
    lfwd(&c);
    size_t row = 3 * (size_t)c.C;
    /* The same attention with sequence 1 written out whole (no sharing): its own
     * rows must come out the same. */
    {
        int32_t ss2[5] = {0, 5, 12, 13, 16}, fam2[5] = {0, 1, 2, 3, 4};
        size_t off2[4];
        pmp_seq_layout flat = {.B = 4, .F = 4, .start = ss2, .family = fam2};
        size_t A2 = att_layout(&flat, off2, 4);
        float *qkv2 = malloc(sizeof(float) * 16 * row), *o2 = malloc(sizeof(float) * 16 * c.C);
        float *att2 = malloc(sizeof(float) * A2);
        memcpy(qkv2, c.inp, sizeof(float) * 5 * row);
        memcpy(qkv2 + 5 * row, c.inp, sizeof(float) * 3 * row);
        memcpy(qkv2 + 8 * row, c.inp + 5 * row, sizeof(float) * 8 * row);
        pmp_attention_forward(o2, att2, qkv2, &flat, c.C, c.NH);
        int map[13] = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15};
        for (int n = 0; n < 13; n++)
            for (int k = 0; k < c.C; k++)
                assert_float_equal(c.out[n * c.C + k], o2[map[n] * c.C + k], 1e-5f);
        free(qkv2); free(o2); free(att2);
    }
    /* Causality and no mixing across sequences: changing the last token of
     * sequence 0 (not shared) must not move any other output; changing its third
     * token (shared) moves sequence 1 too. */
    float *o0 = malloc(sizeof(float) * c.N * c.C);
    memcpy(o0, c.out, sizeof(float) * c.N * c.C);
    for (int k = 0; k < 3 * c.C; k++)
        c.inp[4 * row + k] += 1.0f;
    lfwd(&c);
    for (int n = 0; n < c.N; n++)
        for (int k = 0; k < c.C; k++)
            if (n != 4)
                assert_true(c.out[n * c.C + k] == o0[n * c.C + k]);
    for (int k = 0; k < 3 * c.C; k++)
        c.inp[4 * row + k] -= 1.0f;
    for (int k = 0; k < 3 * c.C; k++)
        c.inp[2 * row + k] += 1.0f;
    lfwd(&c);
    for (int n = 0; n < c.N; n++) {
        int moved = 0;
        for (int k = 0; k < c.C; k++)
            moved |= c.out[n * c.C + k] != o0[n * c.C + k];
        assert_int_equal(moved, (n >= 2 && n <= 4) || (n >= 5 && n <= 8));
    }
    for (int k = 0; k < 3 * c.C; k++)
        c.inp[2 * row + k] -= 1.0f;
    lfwd(&c);
    pmp_attention_backward(dqkv, datt, c.R, c.inp, c.att, &sl, c.C, c.NH);
    check("attention dqkv", c.inp, c.N * 3 * c.C, dqkv, lfwd, &c, 1e-2f, 1e-2);
    free(o0); free(dqkv); free(datt); free(c.inp); free(c.out); free(c.att); free(c.R);
}

static void test_encoder(void **st)
{
    (void)st;
    int32_t tok[8] = {3, 1, 3, 3, 0, 2, 1, 3}, pos[8] = {0, 1, 2, 0, 1, 2, 3, 0};
    lctx c = {.N = 8, .C = 70, .kind = K_ENC, .tok = tok, .pos = pos};
    c.w = randv(5 * c.C, 1.0f);
    c.wpe = randv(4 * c.C, 1.0f);
    c.out = malloc(sizeof(float) * c.N * c.C);
    c.R = randv(c.N * c.C, 1.0f);
    float *dwte = calloc(5 * c.C, 4), *dwpe = calloc(4 * c.C, 4);
    pmp_encoder_backward(dwte, dwpe, c.R, tok, pos, c.N, c.C);
    check("encoder dwte", c.w, 5 * c.C, dwte, lfwd, &c, 1e-1f, 1e-3);
    check("encoder dwpe", c.wpe, 4 * c.C, dwpe, lfwd, &c, 1e-1f, 1e-3);
    free(dwte); free(dwpe); free(c.w); free(c.wpe); free(c.out); free(c.R);
}

static void test_crossentropy(void **st)
{
    (void)st;
    int32_t tgt[5] = {0, 17, 99, 5, 5};
    lctx c = {.N = 5, .V = 100, .kind = K_CE, .tgt = tgt};
    c.inp = randv(c.N * c.V, 3.0f);
    c.out = malloc(sizeof(float) * c.N);
    c.R = randv(c.N, 1.0f);
    float *z = malloc(sizeof(float) * c.N * c.V);
    memcpy(z, c.inp, sizeof(float) * c.N * c.V);
    float *lp = malloc(sizeof(float) * c.N);
    pmp_crossentropy_forward(z, lp, tgt, c.N, c.V);
    /* log-probs against a double log-sum-exp */
    for (int i = 0; i < c.N; i++) {
        double mx = -1e30, s = 0;
        for (int v = 0; v < c.V; v++)
            mx = fmax(mx, c.inp[i * c.V + v]);
        for (int v = 0; v < c.V; v++)
            s += exp(c.inp[i * c.V + v] - mx);
        double ref = c.inp[i * c.V + tgt[i]] - mx - log(s);
        assert_true(fabs(lp[i] - ref) <= 1e-5 * (1.0 + fabs(ref)));
    }
    /* d sum(R * logprob) / dz = R * (onehot - p) = (-R) * (p - onehot) */
    float *ds = malloc(sizeof(float) * c.N);
    for (int i = 0; i < c.N; i++)
        ds[i] = -c.R[i];
    pmp_crossentropy_backward(z, tgt, ds, c.N, c.V);
    check("crossentropy dlogits", c.inp, c.N * c.V, z, lfwd, &c, 1e-2f, 1e-2);
    free(z); free(lp); free(ds); free(c.inp); free(c.out); free(c.R);
}

/* ---------- whole model ---------- */

typedef struct mctx {
    pmp_model *m;
    pmp_batch *b;
    pmp_loss_opts lo;
} mctx;

static double mfwd(void *vc)
{
    mctx *c = vc;
    pmp_err err;
    assert_int_equal(pmp_model_forward(c->m, c->b, &c->lo, &err), 0);
    return c->m->loss.loss;
}

/* Two binarised rank pairs with LM targets and a shared context: pairs, labels and
 * targets all present (the loss then weighs all three terms). Vocabulary >= 23. */
static void two_pair_batch(pmp_batch *b, const pmp_config *cfg)
{
    pmp_err err;
    int32_t good = 20, bad = 21;
    pmp_batch_opts bo = {.objective = PMP_OBJ_RANK, .binarize = 1, .lm_targets = 1, .eoc = 22,
                         .good_prefix = &good, .n_good_prefix = 1, .bad_prefix = &bad,
                         .n_bad_prefix = 1, .share_context = 1, .maxT = cfg->maxT, .V = cfg->V};
    pmp_batch_init(b);
    int32_t ctx[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, r1[] = {10, 11, 12}, r2[] = {13, 14};
    assert_int_equal(pmp_batch_add_pair(b, &bo, ctx, 4, r1, 3, r2, 2, &err), 0);
    assert_int_equal(pmp_batch_add_pair(b, &bo, ctx + 2, 7, r2, 2, r1, 1, &err), 0);
}

static void test_whole_model(void **st)
{
    (void)st;
    pmp_config cfg = {.L = 2, .NH = 2, .C = 16, .maxT = 12, .V = 23};
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    for (size_t i = 0; i < m.n_params; i++)
        m.params_mem[i] += 0.2f * pmp_rng_normal(&rng);
    pmp_batch b;
    two_pair_batch(&b, &cfg);
    assert_true(b.N < b.NL);   /* the shared path is the one checked */
    mctx c = {&m, &b, {1.0f, 0.7f, 0.3f, 0.0f}};
    mfwd(&c);
    pmp_model_zero_grad(&m);
    pmp_model_backward(&m, &b, &c.lo, 1.0f);
    for (int t = 0; t < PMP_NUM_TENSORS; t++) {
        const pmp_tensor_info *ti = &m.tensors[t];
        check(ti->name, m.params_mem + ti->offset, ti->size, m.grads_mem + ti->offset, mfwd, &c,
              2e-2f, 1e-2);
    }
    pmp_batch_free(&b);
    pmp_model_free(&m);
}

/* --margin and --center-rewards: rank pairs with margins (one negative, one larger
 * than the reward gap) and the centering term; the loss is checked against its
 * formula from the rewards, the gradients against finite differences. */
static void test_margin_center(void **st)
{
    (void)st;
    pmp_config cfg = {.L = 2, .NH = 2, .C = 16, .maxT = 12, .V = 23};
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    for (size_t i = 0; i < m.n_params; i++)
        m.params_mem[i] += 0.2f * pmp_rng_normal(&rng);
    pmp_batch_opts bo = {.objective = PMP_OBJ_RANK, .eoc = 22, .share_context = 1, .maxT = cfg.maxT,
                         .V = cfg.V};
    pmp_batch b;
    pmp_batch_init(&b);
    int32_t ctx[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, r1[] = {10, 11, 12}, r2[] = {13, 14};
    float margins[3] = {0.7f, pmp_margin_of(PMP_MARGIN_LOG_SCORE_GAP, 12, 4), 3.0f};
    assert_float_equal(margins[1], log(9.0), 1e-6);
    assert_float_equal(pmp_margin_of(PMP_MARGIN_SCORE_GAP, 12, 4), 8.0, 0);
    assert_float_equal(pmp_margin_of(PMP_MARGIN_NONE, 12, 4), 0.0, 0);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 4, r1, 3, r2, 2, &err), 0);
    pmp_batch_set_margin(&b, margins[0]);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx + 2, 7, r2, 2, r1, 1, &err), 0);
    pmp_batch_set_margin(&b, margins[1]);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx + 1, 5, r1, 2, r2, 1, &err), 0);
    pmp_batch_set_margin(&b, margins[2]);
    mctx c = {&m, &b, {1.0f, 0.0f, 0.0f, 0.25f}};
    mfwd(&c);
    double want_rank = 0, want_center = 0;
    for (int p = 0; p < b.P; p++) {
        double rb = m.rewards[b.pair_better[p]], rw = m.rewards[b.pair_worse[p]];
        want_rank += log1p(exp(-(rb - rw - margins[p])));
        want_center += (rb + rw) * (rb + rw);
    }
    want_rank /= b.P;
    want_center /= b.P;
    assert_float_equal(m.loss.rank, want_rank, 1e-6);
    assert_float_equal(m.loss.center, want_center, 1e-6);
    assert_float_equal(m.loss.loss, want_rank + 0.25 * want_center, 1e-6);
    pmp_model_zero_grad(&m);
    pmp_model_backward(&m, &b, &c.lo, 1.0f);
    for (int t = 0; t < PMP_NUM_TENSORS; t++) {
        const pmp_tensor_info *ti = &m.tensors[t];
        check(ti->name, m.params_mem + ti->offset, ti->size, m.grads_mem + ti->offset, mfwd, &c,
              2e-2f, 1e-2);
    }
    pmp_batch_free(&b);
    pmp_model_free(&m);
}

/* A batch that stores each pair's common context once gives the rewards, losses
 * and gradients of the batch that stores every sequence whole. */
/* pmp_model_backward_ready: the blocks cover every parameter once, come in order,
 * and a block's gradients when it is reported ready are already the final ones
 * (an MPI sum started then would sum the right numbers). */
typedef struct ready_log {
    pmp_model *m;
    int next;             /* the block expected next */
    float *snap;          /* [n_params]: each block copied when reported */
} ready_log;

static void on_ready(void *ctx, int block)
{
    ready_log *r = ctx;
    assert_int_equal(block, r->next++);
    size_t off[PMP_MAX_BLOCK_SPANS], len[PMP_MAX_BLOCK_SPANS];
    int n = pmp_grad_block_spans(r->m, block, off, len);
    for (int i = 0; i < n; i++) memcpy(r->snap + off[i], r->m->grads_mem + off[i], len[i] * sizeof(float));
}

static void test_ready_blocks(void **st)
{
    (void)st;
    pmp_config cfg = {.L = 3, .NH = 2, .C = 8, .maxT = 12, .V = 23};
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    unsigned char *seen = calloc(m.n_params, 1);
    for (int blk = 0; blk < PMP_GRAD_BLOCKS(&cfg); blk++) {
        size_t off[PMP_MAX_BLOCK_SPANS], len[PMP_MAX_BLOCK_SPANS];
        int n = pmp_grad_block_spans(&m, blk, off, len);
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
            for (size_t k = off[i]; k < off[i] + len[i]; k++) assert_int_equal(seen[k]++, 0);
    }
    for (size_t k = 0; k < m.n_params; k++) assert_int_equal(seen[k], 1);
    free(seen);
    /* LM targets too: wte gets the LM head's gradient before the layers and the
     * embedding's after them, so it must be in the last block */
    pmp_batch b;
    two_pair_batch(&b, &cfg);
    pmp_loss_opts lo = {1.0f, 0.7f, 0.3f, 0.0f};
    assert_int_equal(pmp_model_forward(&m, &b, &lo, &err), 0);
    pmp_model_zero_grad(&m);
    ready_log r = {&m, 0, calloc(m.n_params, sizeof(float))};
    pmp_model_backward_ready(&m, &b, &lo, 0.5f, on_ready, &r);
    assert_int_equal(r.next, PMP_GRAD_BLOCKS(&cfg));
    assert_memory_equal(r.snap, m.grads_mem, m.n_params * sizeof(float));
    size_t nonzero = 0;
    for (size_t k = 0; k < m.n_params; k++) nonzero += m.grads_mem[k] != 0.0f;
    assert_true(nonzero > m.n_params / 2);   /* a backward that did something */
    free(r.snap);
    pmp_batch_free(&b);
    pmp_model_free(&m);
}

static void test_shared_context_matches(void **st)
{
    (void)st;
    pmp_config cfg = {.L = 2, .NH = 2, .C = 16, .maxT = 14, .V = 23};
    pmp_model m[2];
    pmp_err err;
    pmp_rng r0 = rng;
    for (int k = 0; k < 2; k++) {
        pmp_rng r = r0;
        assert_int_equal(pmp_model_init(&m[k], &cfg, &r, &err), 0);
    }
    int32_t good = 20, bad = 21;
    int32_t ctx[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, r1[] = {10, 11, 12, 3}, r2[] = {10, 14};
    struct { pmp_objective obj; int binarize, lm, eval; } cases[] = {
        {PMP_OBJ_RANK, 0, 1, 0}, {PMP_OBJ_RANK, 1, 1, 0}, {PMP_OBJ_BINARY, 1, 0, 0},
        {PMP_OBJ_IMITATION, 0, 0, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        pmp_batch b[2];
        for (int k = 0; k < 2; k++) {
            pmp_batch_opts bo = {.objective = cases[ci].obj, .binarize = cases[ci].binarize,
                                 .lm_targets = cases[ci].lm, .eval = cases[ci].eval, .eoc = 22,
                                 .good_prefix = &good, .n_good_prefix = 1, .bad_prefix = &bad,
                                 .n_bad_prefix = 1, .share_context = k, .maxT = cfg.maxT,
                                 .V = cfg.V};
            pmp_batch_init(&b[k]);
            /* the last pair is cut to the context: both keep the same context tail */
            assert_int_equal(pmp_batch_add_pair(&b[k], &bo, ctx, 4, r1, 4, r2, 2, &err), 0);
            assert_int_equal(pmp_batch_add_pair(&b[k], &bo, ctx, 9, r2, 2, r1, 4, &err), 0);
            pmp_loss_opts lo = pmp_loss_for(cases[ci].obj, 0.5f);
            assert_int_equal(pmp_model_forward(&m[k], &b[k], &lo, &err), 0);
            pmp_model_zero_grad(&m[k]);
            pmp_model_backward(&m[k], &b[k], &lo, 1.0f);
        }
        assert_int_equal(b[0].B, b[1].B);
        assert_int_equal(b[0].NL, b[1].NL);
        assert_int_equal(b[0].NT, b[1].NT);
        assert_true(b[1].N < b[0].N);
        for (int s = 0; s < b[0].B; s++) {
            assert_int_equal(pmp_batch_seq_len(&b[0], s), pmp_batch_seq_len(&b[1], s));
            for (int t = 0; t < pmp_batch_seq_len(&b[0], s); t++)
                assert_int_equal(pmp_batch_seq_token(&b[0], s, t), pmp_batch_seq_token(&b[1], s, t));
            assert_float_equal(m[0].rewards[s], m[1].rewards[s], 1e-5f);
            assert_float_equal(m[0].seq_logprob[s], m[1].seq_logprob[s], 1e-5f);
        }
        assert_float_equal(m[0].loss.loss, m[1].loss.loss, 1e-5f);
        double gmax = 0, dmax = 0;
        for (size_t i = 0; i < m[0].n_params; i++) {
            gmax = fmax(gmax, fabs(m[0].grads_mem[i]));
            dmax = fmax(dmax, fabs(m[0].grads_mem[i] - m[1].grads_mem[i]));
        }
        assert_true(gmax > 0 && dmax <= 1e-5 * gmax);
        pmp_batch_free(&b[0]);
        pmp_batch_free(&b[1]);
    }
    pmp_model_free(&m[0]);
    pmp_model_free(&m[1]);
}

int main(void)
{
    pmp_rng_seed(&rng, 42);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm), cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_gelu),      cmocka_unit_test(test_attention),
        cmocka_unit_test(test_encoder),   cmocka_unit_test(test_crossentropy),
        cmocka_unit_test(test_whole_model), cmocka_unit_test(test_shared_context_matches),
        cmocka_unit_test(test_margin_center),
        cmocka_unit_test(test_ready_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

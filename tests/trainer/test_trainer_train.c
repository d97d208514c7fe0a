/* Objectives, batch building (incl. the binarised view), optimizer pieces, gradient
 * accumulation, determinism, and learnable synthetic tasks for all four objectives.
 * References are computed independently here (closed forms in double). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pmp_model.h"
#include "test_util.h"

/* synthetic vocabulary: 0..27 content, 28 marker, 29 GOOD, 30 BAD, 31 EOC */
enum { VOCAB = 32, MARK = 28, GOOD = 29, BAD = 30, EOC = 31 };
static const int32_t good_tok = GOOD, bad_tok = BAD;

static pmp_batch_opts opts(pmp_objective o, int binarize, int maxT)
{
    pmp_batch_opts bo = {.objective = o, .binarize = binarize, .eoc = EOC,
                         .good_prefix = &good_tok, .n_good_prefix = 1, .bad_prefix = &bad_tok,
                         .n_bad_prefix = 1, .maxT = maxT, .V = VOCAB};
    return bo;
}

/* ---------- batch building ---------- */

static void test_batch_rank_and_binarised(void **st)
{
    (void)st;
    pmp_err err;
    pmp_batch b;
    pmp_batch_init(&b);
    int32_t ctx[] = {1, 2, 3}, A[] = {4, 5}, Bw[] = {6};
    pmp_batch_opts bo = opts(PMP_OBJ_RANK, 0, 16);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 3, A, 2, Bw, 1, &err), 0);
    assert_int_equal(b.B, 2);
    assert_int_equal(b.P, 1);
    assert_int_equal(b.N, 6 + 5);
    int32_t want0[] = {1, 2, 3, 4, 5, EOC, 1, 2, 3, 6, EOC};
    assert_memory_equal(b.tokens, want0, sizeof want0);
    assert_int_equal(b.seq_start[1], 6);
    assert_int_equal(b.readout[0], 5);
    assert_int_equal(b.readout[1], 10);
    assert_int_equal(b.pos[7], 1);
    assert_int_equal(b.NT, 0);
    assert_int_equal(b.pair_better[0], 0);
    assert_int_equal(b.pair_worse[0], 1);

    /* binarised: GOOD A > BAD A, BAD B > GOOD B, same texts under two prefixes */
    pmp_batch_clear(&b);
    bo.binarize = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 3, A, 2, Bw, 1, &err), 0);
    assert_int_equal(b.B, 4);
    assert_int_equal(b.P, 2);
    int32_t want1[] = {GOOD, 1, 2, 3, 4, 5, EOC, GOOD, 1, 2, 3, 6, EOC,
                       BAD, 1, 2, 3, 4, 5, EOC, BAD, 1, 2, 3, 6, EOC};
    assert_int_equal(b.N, (int)(sizeof want1 / sizeof want1[0]));
    assert_memory_equal(b.tokens, want1, sizeof want1);
    for (int p = 0; p < 2; p++) {
        int i = b.pair_better[p], j = b.pair_worse[p];
        /* better has the true label: GOOD on A or BAD on B */
        int ti = b.tokens[b.seq_start[i]], tj = b.tokens[b.seq_start[j]];
        assert_true(ti != tj);
        assert_int_equal(b.label[i], 1);
        assert_int_equal(b.label[j], -1);
        assert_int_equal(b.seq_start[i + 1] - b.seq_start[i], b.seq_start[j + 1] - b.seq_start[j]);
    }
    /* evaluation judges the pair by GOOD A against GOOD B */
    int jb, jw;
    pmp_batch_judged_pair(&b, 1, 0, &jb, &jw);
    for (int t = 0; t < 7; t++)
        assert_int_equal(pmp_batch_seq_token(&b, jb, t), want1[t]);
    for (int t = 0; t < 6; t++)
        assert_int_equal(pmp_batch_seq_token(&b, jw, t), want1[7 + t]);

    /* shared context: the worse sequence keeps only what differs from the better */
    pmp_batch_clear(&b);
    bo.binarize = 0;
    bo.share_context = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 3, A, 2, Bw, 1, &err), 0);
    int32_t want2[] = {1, 2, 3, 4, 5, EOC, 6, EOC};
    assert_int_equal(b.N, 8);
    assert_int_equal(b.NL, 11);
    assert_memory_equal(b.tokens, want2, sizeof want2);
    assert_int_equal(b.root[0], -1);
    assert_int_equal(b.root[1], 0);
    assert_int_equal(b.shared[1], 3);
    assert_int_equal(b.pos[6], 3);
    assert_int_equal(b.readout[1], 7);
    assert_int_equal(pmp_batch_seq_len(&b, 1), 5);
    for (int t = 0; t < 5; t++)
        assert_int_equal(pmp_batch_seq_token(&b, 1, t), want0[6 + t]);
    /* binarised: GOOD A / GOOD B and BAD A / BAD B share "prefix context" */
    pmp_batch_clear(&b);
    bo.binarize = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 3, A, 2, Bw, 1, &err), 0);
    assert_int_equal(b.NL, 26);
    assert_int_equal(b.N, 26 - 8);
    assert_int_equal(b.root[1], 0);
    assert_int_equal(b.root[3], 2);
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < pmp_batch_seq_len(&b, s); t++)
            assert_int_equal(pmp_batch_seq_token(&b, s, t), want1[(s % 2 ? 7 : 0) + (s / 2) * 13 + t]);
    pmp_batch_judged_pair(&b, 1, 0, &jb, &jw);
    assert_int_equal(pmp_batch_seq_token(&b, jb, 0), GOOD);
    assert_int_equal(pmp_batch_seq_token(&b, jw, 0), GOOD);
    assert_int_equal(pmp_batch_seq_token(&b, jb, 4), 4);
    assert_int_equal(pmp_batch_seq_token(&b, jw, 4), 6);
    bo.share_context = 0;

    /* lm targets under rank: the whole better sequence, nothing else */
    pmp_batch_clear(&b);
    bo.binarize = 0;
    bo.lm_targets = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 3, A, 2, Bw, 1, &err), 0);
    assert_int_equal(b.NT, 5);
    for (int t = 0; t < 5; t++)
        assert_int_equal(b.targets[t], want0[t + 1]);
    assert_int_equal(b.targets[5], -1);
    for (int t = 6; t < b.N; t++)
        assert_int_equal(b.targets[t], -1);
    pmp_batch_free(&b);
}

static void test_batch_imitation_lm_truncation_errors(void **st)
{
    (void)st;
    pmp_err err;
    pmp_batch b;
    pmp_batch_init(&b);
    int32_t ctx[] = {1, 2, 3, 4, 5, 6, 7, 8}, A[] = {9, 10, 11}, Bw[] = {12};
    pmp_batch_opts bo = opts(PMP_OBJ_IMITATION, 0, 32);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 2, A, 3, Bw, 1, &err), 0);
    assert_int_equal(b.B, 1);
    assert_int_equal(b.P, 0);
    /* targets on the response tokens and the closing EOC: positions 1..4 */
    int32_t want_t[] = {-1, 9, 10, 11, EOC, -1};
    assert_memory_equal(b.targets, want_t, sizeof want_t);
    assert_int_equal(b.NT, 4);
    bo.eval = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 2, A, 3, Bw, 1, &err), 0);
    assert_int_equal(b.B, 3);
    assert_int_equal(b.P, 1);

    /* too long: context loses its start first, then the response its end */
    pmp_batch_clear(&b);
    bo = opts(PMP_OBJ_RANK, 1, 7);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 8, A, 3, Bw, 1, &err), 0);
    int32_t want_s0[] = {GOOD, 7, 8, 9, 10, 11, EOC};
    assert_memory_equal(b.tokens, want_s0, sizeof want_s0);
    pmp_batch_clear(&b);
    bo.maxT = 4;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 8, A, 3, Bw, 1, &err), 0);
    int32_t want_s1[] = {GOOD, 9, 10, EOC};
    assert_memory_equal(b.tokens, want_s1, sizeof want_s1);

    /* the pair keeps one context tail, cut for the longer response, and shares it */
    pmp_batch_clear(&b);
    bo = opts(PMP_OBJ_RANK, 0, 8);
    bo.share_context = 1;
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 8, A, 3, Bw, 1, &err), 0);
    int32_t want_s2[] = {5, 6, 7, 8, 9, 10, 11, EOC, 12, EOC};
    assert_int_equal(b.N, 10);
    assert_memory_equal(b.tokens, want_s2, sizeof want_s2);
    assert_int_equal(b.shared[1], 4);

    /* lm: plain text, every next token */
    pmp_batch_clear(&b);
    bo = opts(PMP_OBJ_LM, 0, 5);
    assert_int_equal(pmp_batch_add_text(&b, &bo, ctx, 8, &err), 0);
    assert_int_equal(b.N, 5);
    assert_int_equal(b.NT, 4);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 2, A, 1, Bw, 1, &err), -1);

    /* errors name what is wrong */
    bo = opts(PMP_OBJ_RANK, 0, 16);
    int32_t badtok[] = {1, 99};
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 2, badtok, 2, Bw, 1, &err), -1);
    assert_non_null(strstr(err.msg, "better response token 99 at index 1"));
    pmp_batch_free(&b);
}

/* ---------- losses ---------- */

static void test_loss_values(void **st)
{
    (void)st;
    pmp_err err;
    pmp_batch b;
    pmp_batch_init(&b);
    int32_t ctx[] = {1, 2}, A[] = {3}, Bw[] = {4};
    pmp_batch_opts bo = opts(PMP_OBJ_RANK, 1, 16);
    assert_int_equal(pmp_batch_add_pair(&b, &bo, ctx, 2, A, 1, Bw, 1, &err), 0);
    float r[4] = {0.5f, -1.0f, 2.0f, 3.0f}, dr[4], lp[1], dlp[1], slp[4];
    pmp_loss_opts lo = {1.0f, 0.5f, 0.0f, 0.0f};
    pmp_loss L;
    pmp_loss_compute(&b, &lo, r, lp, 2.0f, &L, dr, dlp, slp);
    /* sequences GOOD A, GOOD B, BAD A, BAD B: pairs (0 > 2), (3 > 1); labels +1,
     * -1, -1, +1 */
    double rank = (log1p(exp(1.5)) + log1p(exp(-4.0))) / 2;
    double bin = (log1p(exp(-0.5)) + log1p(exp(-1.0)) + log1p(exp(2.0)) + log1p(exp(-3.0))) / 4;
    assert_true(fabs(L.rank - rank) < 1e-12);
    assert_true(fabs(L.binary - bin) < 1e-12);
    assert_true(fabs(L.loss - (rank + 0.5 * bin)) < 1e-12);
    assert_int_equal(L.pairs_correct, 1);
    assert_int_equal(L.labels_correct, 3);
    /* d/dr0 of 2 * (rank + 0.5 bin) */
    double sg = 1.0 / (1.0 + exp(-1.5));
    double d0 = 2.0 * (-sg / 2 + 0.5 * (-1.0 / (1.0 + exp(0.5))) / 4);
    assert_true(fabs(dr[0] - d0) < 1e-6);
    pmp_batch_free(&b);
}

/* ---------- optimizer ---------- */

static void test_schedule_clip_adamw(void **st)
{
    (void)st;
    pmp_schedule s = {.lr = 1e-3f, .min_lr = 1e-4f, .warmup = 10, .total = 110};
    assert_true(fabsf(pmp_schedule_lr(&s, 0) - 1e-4f) < 1e-9f);
    assert_true(fabsf(pmp_schedule_lr(&s, 9) - 1e-3f) < 1e-9f);
    assert_true(fabsf(pmp_schedule_lr(&s, 60) - 5.5e-4f) < 1e-8f);   /* cosine midpoint */
    assert_true(fabsf(pmp_schedule_lr(&s, 110) - 1e-4f) < 1e-9f);
    assert_true(fabsf(pmp_schedule_lr(&s, 500) - 1e-4f) < 1e-9f);

    pmp_config cfg = {.L = 1, .NH = 1, .C = 8, .maxT = 4, .V = 8};
    pmp_rng rng;
    pmp_rng_seed(&rng, 7);
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    double ss = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        m.grads_mem[i] = pmp_rng_normal(&rng);
        ss += (double)m.grads_mem[i] * m.grads_mem[i];
    }
    float *g0 = malloc(sizeof(float) * m.n_params), *p0 = malloc(sizeof(float) * m.n_params);
    memcpy(g0, m.grads_mem, sizeof(float) * m.n_params);
    float norm = pmp_optim_grad_clip(&m, 1.0f);
    assert_true(fabs(norm - sqrt(ss)) < 1e-4 * sqrt(ss));
    for (size_t i = 0; i < m.n_params; i += 17)
        assert_true(fabsf(m.grads_mem[i] - g0[i] / norm) < 1e-6f);

    /* two AdamW steps against the formula in double, for a decayed and a
     * non-decayed element */
    pmp_adamw o;
    pmp_adamw_init(&o, m.n_params);
    memcpy(p0, m.params_mem, sizeof(float) * m.n_params);
    size_t iw = m.tensors[4].offset + 3, ib = m.tensors[5].offset + 2;   /* qkvw, qkvb */
    assert_true(m.tensors[4].decay && !m.tensors[5].decay);
    double pw = p0[iw], pb = p0[ib], mw = 0, vw = 0, mb = 0, vb = 0;
    for (int t = 1; t <= 2; t++) {
        double gw = m.grads_mem[iw], gb = m.grads_mem[ib], lr = 0.01;
        mw = 0.9 * mw + 0.1 * gw; vw = 0.95 * vw + 0.05 * gw * gw;
        mb = 0.9 * mb + 0.1 * gb; vb = 0.95 * vb + 0.05 * gb * gb;
        double c1 = 1 - pow(0.9, t), c2 = 1 - pow(0.95, t);
        pw -= lr * ((mw / c1) / (sqrt(vw / c2) + 1e-8) + 0.1 * pw);
        pb -= lr * ((mb / c1) / (sqrt(vb / c2) + 1e-8));
        pmp_adamw_update(&o, &m, 0.01f);
    }
    assert_int_equal(o.step, 2);
    assert_true(fabs(m.params_mem[iw] - pw) < 1e-6);
    assert_true(fabs(m.params_mem[ib] - pb) < 1e-6);
    free(g0);
    free(p0);
    pmp_adamw_free(&o);
    pmp_model_free(&m);
}

/* ---------- synthetic tasks ---------- */

/* better = random tokens with MARK somewhere, worse = random tokens without */
static void gen_pair(pmp_rng *r, int32_t *ctx, int *nc, int32_t *a, int *na, int32_t *w, int *nw)
{
    *nc = 2 + (int)pmp_rng_below(r, 4);
    *na = 2 + (int)pmp_rng_below(r, 4);
    *nw = 2 + (int)pmp_rng_below(r, 4);
    for (int i = 0; i < *nc; i++) ctx[i] = (int32_t)pmp_rng_below(r, 28);
    for (int i = 0; i < *na; i++) a[i] = (int32_t)pmp_rng_below(r, 28);
    for (int i = 0; i < *nw; i++) w[i] = (int32_t)pmp_rng_below(r, 28);
    a[pmp_rng_below(r, *na)] = MARK;
}

static void fill(pmp_batch *b, const pmp_batch_opts *bo, pmp_rng *r, int pairs)
{
    pmp_err err;
    int32_t ctx[8], a[8], w[8];
    int nc, na, nw;
    pmp_batch_clear(b);
    for (int k = 0; k < pairs; k++) {
        if (bo->objective == PMP_OBJ_LM) {
            /* arithmetic text: next = prev + 3 mod 28 */
            int32_t t[12];
            t[0] = (int32_t)pmp_rng_below(r, 28);
            for (int i = 1; i < 12; i++)
                t[i] = (t[i - 1] + 3) % 28;
            assert_int_equal(pmp_batch_add_text(b, bo, t, 12, &err), 0);
            continue;
        }
        gen_pair(r, ctx, &nc, a, &na, w, &nw);
        assert_int_equal(pmp_batch_add_pair(b, bo, ctx, nc, a, na, w, nw, &err), 0);
    }
}

/* Trains a small model on the task and returns held-out accuracy (pairs, or labels
 * for binary) or, for lm, the held-out loss. */
static double train_task(pmp_objective obj, int binarize, int steps, float lr)
{
    /* one thread: the model is so small that two would only wait at barriers */
    pmp_model_set_threads(1);
    pmp_config cfg = {.L = 2, .NH = 2, .C = 32, .maxT = 16, .V = VOCAB};
    pmp_rng rng, data;
    pmp_rng_seed(&rng, 1);
    pmp_rng_seed(&data, 2);
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    pmp_adamw o;
    pmp_adamw_init(&o, m.n_params);
    o.weight_decay = 0.01f;
    pmp_schedule s = {.lr = lr, .min_lr = lr / 10, .warmup = 10, .total = steps};
    pmp_batch_opts bo = opts(obj, binarize, cfg.maxT);
    pmp_loss_opts lo = pmp_loss_for(obj, 0.0f);
    pmp_batch b[2];
    pmp_batch_init(&b[0]);
    pmp_batch_init(&b[1]);
    for (int step = 0; step < steps; step++) {
        /* two micro-batches of 8 pairs: exercises accumulation too */
        fill(&b[0], &bo, &data, 8);
        fill(&b[1], &bo, &data, 8);
        assert_int_equal(pmp_optim_step(&m, &o, &s, 1.0f, b, 2, &lo, NULL, NULL, &err), 0);
    }
    pmp_rng_seed(&data, 99);   /* held out */
    bo.eval = 1;
    long right = 0, total = 0;
    double lm = 0;
    for (int k = 0; k < 4; k++) {
        fill(&b[0], &bo, &data, 50);
        assert_int_equal(pmp_model_forward(&m, &b[0], &lo, &err), 0);
        if (obj == PMP_OBJ_BINARY) {
            right += m.loss.labels_correct;
            total += b[0].B;
        } else {
            right += m.loss.pairs_correct;
            total += b[0].P;
        }
        lm += m.loss.lm / 4;
    }
    pmp_batch_free(&b[0]);
    pmp_batch_free(&b[1]);
    pmp_adamw_free(&o);
    pmp_model_free(&m);
    double acc = obj == PMP_OBJ_LM ? lm : (double)right / total;
    print_message("%s%s: %s %.4f after %d steps\n", pmp_objective_name(obj),
                  binarize ? " (binarised)" : "", obj == PMP_OBJ_LM ? "held-out loss" :
                  "held-out accuracy", acc, steps);
    return acc;
}

static void test_learn_rank(void **st) { (void)st; assert_true(train_task(PMP_OBJ_RANK, 0, 150, 3e-3f) > 0.95); }
static void test_learn_rank_binarised(void **st) { (void)st; assert_true(train_task(PMP_OBJ_RANK, 1, 200, 3e-3f) > 0.95); }
static void test_learn_binary(void **st) { (void)st; assert_true(train_task(PMP_OBJ_BINARY, 0, 150, 3e-3f) > 0.95); }
static void test_learn_binary_binarised(void **st) { (void)st; assert_true(train_task(PMP_OBJ_BINARY, 1, 200, 3e-3f) > 0.95); }
static void test_learn_imitation(void **st) { (void)st; assert_true(train_task(PMP_OBJ_IMITATION, 0, 150, 3e-3f) > 0.95); }
static void test_learn_lm(void **st) { (void)st; assert_true(train_task(PMP_OBJ_LM, 0, 150, 3e-3f) < 0.3); }

/* ---------- accumulation and determinism ---------- */

static void run_grads(pmp_model *m, const pmp_batch *b, int nb, float *out)
{
    pmp_err err;
    pmp_loss_opts lo = {1.0f, 0.5f, 0.3f, 0.0f};
    pmp_model_zero_grad(m);
    for (int k = 0; k < nb; k++) {
        assert_int_equal(pmp_model_forward(m, &b[k], &lo, &err), 0);
        pmp_model_backward(m, &b[k], &lo, 1.0f / nb);
    }
    memcpy(out, m->grads_mem, sizeof(float) * m->n_params);
}

static void test_accumulation_and_determinism(void **st)
{
    (void)st;
    /* big enough that BLAS really splits work across threads */
    pmp_config cfg = {.L = 2, .NH = 4, .C = 128, .maxT = 64, .V = VOCAB};
    pmp_rng rng;
    pmp_rng_seed(&rng, 5);
    pmp_model m;
    pmp_err err;
    assert_int_equal(pmp_model_init(&m, &cfg, &rng, &err), 0);
    pmp_batch_opts bo = opts(PMP_OBJ_RANK, 1, cfg.maxT);
    bo.lm_targets = 1;
    pmp_batch whole, part[2];
    pmp_batch_init(&whole);
    pmp_batch_init(&part[0]);
    pmp_batch_init(&part[1]);
    int32_t ctx[64], a[64], w[64];
    for (int k = 0; k < 8; k++) {
        /* equal-size pairs, so the mean over 8 equals the mean of two means over 4 */
        for (int i = 0; i < 40; i++) ctx[i] = (int32_t)pmp_rng_below(&rng, 28);
        for (int i = 0; i < 10; i++) a[i] = (int32_t)pmp_rng_below(&rng, 28);
        for (int i = 0; i < 10; i++) w[i] = (int32_t)pmp_rng_below(&rng, 28);
        assert_int_equal(pmp_batch_add_pair(&whole, &bo, ctx, 40, a, 10, w, 10, &err), 0);
        assert_int_equal(pmp_batch_add_pair(&part[k / 4], &bo, ctx, 40, a, 10, w, 10, &err), 0);
    }
    size_t n = m.n_params;
    float *g1 = malloc(sizeof(float) * n), *g2 = malloc(sizeof(float) * n),
          *g3 = malloc(sizeof(float) * n);
    run_grads(&m, &whole, 1, g1);
    run_grads(&m, part, 2, g2);
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += fabs((double)g1[i] - g2[i]);
        den += fabs((double)g1[i]);
    }
    assert_true(num / den < 1e-5);

    /* bit-identical: again, and with 1 vs 2 threads */
    pmp_model_set_threads(2);
    run_grads(&m, &whole, 1, g1);
    run_grads(&m, &whole, 1, g2);
    assert_memory_equal(g1, g2, sizeof(float) * n);
    pmp_model_set_threads(1);
    run_grads(&m, &whole, 1, g3);
    pmp_model_set_threads(2);
    assert_memory_equal(g1, g3, sizeof(float) * n);

    /* whole training steps (clip + AdamW) too: 1 thread vs 2 from the same state */
    float *p0 = malloc(sizeof(float) * n), *p1 = malloc(sizeof(float) * n);
    memcpy(p0, m.params_mem, sizeof(float) * n);
    pmp_schedule sch = {.lr = 1e-3f, .min_lr = 1e-4f, .warmup = 2, .total = 10};
    pmp_loss_opts lo = {1.0f, 0.5f, 0.3f, 0.0f};
    for (int th = 1; th <= 2; th++) {
        pmp_model_set_threads(th);
        memcpy(m.params_mem, p0, sizeof(float) * n);
        pmp_adamw o;
        pmp_adamw_init(&o, n);
        for (int k = 0; k < 3; k++)
            assert_int_equal(pmp_optim_step(&m, &o, &sch, 0.5f, part, 2, &lo, NULL, NULL, &err), 0);
        if (th == 1)
            memcpy(p1, m.params_mem, sizeof(float) * n);
        else
            assert_memory_equal(p1, m.params_mem, sizeof(float) * n);
        pmp_adamw_free(&o);
    }
    free(p0);
    free(p1);
    free(g1);
    free(g2);
    free(g3);
    pmp_batch_free(&whole);
    pmp_batch_free(&part[0]);
    pmp_batch_free(&part[1]);
    pmp_model_free(&m);
}

/* The BLAS we run on is reported from the loaded library itself (the linker only
 * picks a name; update-alternatives picks the file). */
static void test_blas_info(void **st)
{
    (void)st;
    char buf[512];
    int par = pmp_blas_info(buf, sizeof buf);
    print_message("BLAS: %s\n", buf);
    assert_non_null(strstr(buf, "OpenBLAS"));
    assert_true(par >= 0 && par <= 2);
}

/* Model shapes that int arithmetic cannot hold are refused, and config.json values
 * are taken exactly (regressions found by tests/fuzz/fuzz_gpt2_config). */
static void test_config_limits(void **st)
{
    (void)st;
    pmp_err err;
    pmp_config ok = {2, 2, 32, 64, 320}, wide = {1, 1, 1 << 30, 2, 2};
    assert_int_equal(pmp_config_check(&ok, &err), 0);
    assert_int_equal(pmp_config_check(&wide, &err), -1);   /* 3C and 4C overflow an int */
    assert_non_null(strstr(err.msg, "too large"));
    const char *good = "{\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 32, \"n_ctx\": 64, \"vocab_size\": 320}";
    const char *big = "{\"n_layer\": 4294967298, \"n_head\": 2, \"n_embd\": 32, \"n_positions\": 64, "
                      "\"vocab_size\": 320}";
    pmp_config c;
    tu_write_file(tu_tmp("config.json"), good, strlen(good));
    assert_int_equal(pmp_gpt2_read_config(tu_tmp("config.json"), &c, &err), 0);
    assert_true(c.L == 2 && c.NH == 2 && c.C == 32 && c.maxT == 64 && c.V == 320);
    tu_write_file(tu_tmp("config.json"), big, strlen(big));
    assert_int_equal(pmp_gpt2_read_config(tu_tmp("config.json"), &c, &err), -1);   /* not clamped */
    assert_non_null(strstr(err.msg, "n_layer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blas_info),
        cmocka_unit_test(test_config_limits),
        cmocka_unit_test(test_batch_rank_and_binarised),
        cmocka_unit_test(test_batch_imitation_lm_truncation_errors),
        cmocka_unit_test(test_loss_values),
        cmocka_unit_test(test_schedule_clip_adamw),
        cmocka_unit_test(test_accumulation_and_determinism),
        cmocka_unit_test(test_learn_rank),
        cmocka_unit_test(test_learn_rank_binarised),
        cmocka_unit_test(test_learn_binary),
        cmocka_unit_test(test_learn_binary_binarised),
        cmocka_unit_test(test_learn_imitation),
        cmocka_unit_test(test_learn_lm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

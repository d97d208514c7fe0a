/* Writes a small random model, a packed batch built by pmp_batch_add_pair/_text,
 * and our forward/backward results, for tests/trainer/torch_parity.py to redo in
 * PyTorch (float64) and compare.
 *   parity_dump OBJECTIVE BINARIZE LM_COEF SHARE OUTDIR [MARGIN CENTER]
 * (SHARE 1: each pair's common context stored once, pmp_batch_opts.share_context;
 * MARGIN 1: the pairs get margins 0.9, -0.4, 2.5 (--margin); CENTER: the
 * --center-rewards coefficient)
 * OUTDIR gets params.bin, grads.bin (float32, model layout) and case.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_model.h"

static void put_ints(pmp_buf *o, const char *key, const int32_t *v, int n)
{
    pmp_buf_printf(o, "\"%s\":[", key);
    for (int i = 0; i < n; i++)
        pmp_buf_printf(o, "%s%d", i ? "," : "", v[i]);
    pmp_buf_appends(o, "],");
}

static void put_floats(pmp_buf *o, const char *key, const float *v, int n)
{
    pmp_buf_printf(o, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (i)
            pmp_buf_appendc(o, ',');
        pmp_json_put_number(o, v[i]);
    }
    pmp_buf_appends(o, "],");
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "parity_dump: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 8) {
        fprintf(stderr, "usage: parity_dump OBJECTIVE BINARIZE LM_COEF SHARE OUTDIR [MARGIN CENTER]\n");
        return 2;
    }
    pmp_objective obj;
    if (pmp_objective_parse(argv[1], &obj)) {
        fprintf(stderr, "parity_dump: unknown objective %s\n", argv[1]);
        return 2;
    }
    int binarize = atoi(argv[2]);
    float lm_coef = strtof(argv[3], NULL);
    int share = atoi(argv[4]);
    const char *dir = argv[5];
    int with_margin = argc == 8 && atoi(argv[6]);
    float center = argc == 8 ? strtof(argv[7], NULL) : 0.0f;
    static const float margins[3] = {0.9f, -0.4f, 2.5f};
    pmp_err err;
    pmp_config cfg = {.L = 2, .NH = 2, .C = 32, .maxT = 24, .V = 53};
    pmp_rng rng;
    pmp_rng_seed(&rng, 1234);
    pmp_model m;
    if (pmp_model_init(&m, &cfg, &rng, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    /* Larger random weights than the init, so every path carries signal. */
    for (size_t i = 0; i < m.n_params; i++)
        m.params_mem[i] += 0.1f * pmp_rng_normal(&rng);

    int32_t good = 50, bad = 51, eoc = 52;
    pmp_batch_opts bo = {.objective = obj, .binarize = binarize, .lm_targets = lm_coef != 0,
                         .eval = 0, .eoc = eoc, .good_prefix = &good, .n_good_prefix = 1,
                         .bad_prefix = &bad, .n_bad_prefix = 1, .share_context = share,
                         .maxT = cfg.maxT, .V = cfg.V};
    pmp_batch b;
    pmp_batch_init(&b);
    int32_t ctx[40], r1[40], r2[40];
    for (int k = 0; k < 3; k++) {
        /* lengths vary (and one pair is truncated) so packing is exercised */
        int nc = 3 + 4 * k + (k == 2 ? 15 : 0), n1 = 2 + k, n2 = 4 - k;
        for (int i = 0; i < nc; i++) ctx[i] = (int32_t)pmp_rng_below(&rng, 50);
        for (int i = 0; i < n1; i++) r1[i] = (int32_t)pmp_rng_below(&rng, 50);
        for (int i = 0; i < n2; i++) r2[i] = (int32_t)pmp_rng_below(&rng, 50);
        int rc = obj == PMP_OBJ_LM ? pmp_batch_add_text(&b, &bo, ctx, nc, &err)
                                   : pmp_batch_add_pair(&b, &bo, ctx, nc, r1, n1, r2, n2, &err);
        if (rc) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        if (with_margin) pmp_batch_set_margin(&b, margins[k]);
    }
    pmp_loss_opts lo = pmp_loss_for(obj, lm_coef);
    lo.center_coef = center;
    if (pmp_model_forward(&m, &b, &lo, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    pmp_model_zero_grad(&m);
    pmp_model_backward(&m, &b, &lo, 1.0f);

    pmp_buf o = PMP_BUF_INIT;
    pmp_buf_printf(&o, "{\"cfg\":[%d,%d,%d,%d,%d],", cfg.L, cfg.NH, cfg.C, cfg.maxT, cfg.V);
    put_ints(&o, "tokens", b.tokens, b.N);
    put_ints(&o, "targets", b.targets, b.N);
    put_ints(&o, "seq_start", b.seq_start, b.B + 1);
    put_ints(&o, "readout", b.readout, b.B);
    put_ints(&o, "root", b.root, b.B);
    put_ints(&o, "shared", b.shared, b.B);
    int32_t lab[64];
    for (int s = 0; s < b.B; s++)
        lab[s] = b.label[s];
    put_ints(&o, "label", lab, b.B);
    put_ints(&o, "pair_better", b.pair_better, b.P);
    put_ints(&o, "pair_worse", b.pair_worse, b.P);
    float co[4] = {lo.rank_coef, lo.binary_coef, lo.lm_coef, lo.center_coef};
    put_floats(&o, "coefs", co, 4);
    if (with_margin) put_floats(&o, "pair_margin", b.pair_margin, b.P);
    put_floats(&o, "rewards", m.rewards, b.B);
    put_floats(&o, "seq_logprob", m.seq_logprob, b.B);
    pmp_buf_appends(&o, "\"loss\":");
    pmp_json_put_number(&o, m.loss.loss);
    pmp_buf_appends(&o, "}\n");
    int rc = write_file(dir, "case.json", o.data, o.len) ||
             write_file(dir, "params.bin", m.params_mem, sizeof(float) * m.n_params) ||
             write_file(dir, "grads.bin", m.grads_mem, sizeof(float) * m.n_params);
    pmp_buf_free(&o);
    pmp_batch_free(&b);
    pmp_model_free(&m);
    return rc ? 1 : 0;
}

/* Times full training steps (forward + backward + clip + AdamW) of the C trainer on
 * a rank-objective batch, or measures the OpenBLAS SGEMM peak.
 *   pmp-bench-train step PRESET V T PAIRS THREADS STEPS [SHARE]
 *   pmp-bench-train sgemm SIZE THREADS REPS
 * Prints one JSON line. The batch is the one torch_step.py builds: PAIRS pairs of
 * sequences of exactly T tokens (context T/2, responses T/2 - 1, EOC), token ids
 * from a fixed formula. SHARE 1 (default 0) stores each pair's common context once,
 * as pmp-train does. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_model.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int bench_sgemm(int n, int threads, int reps)
{
    pmp_model_set_threads(threads);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = (float)(i % 17) * 0.01f;
        b[i] = (float)(i % 13) * 0.01f;
    }
    double t[64];
    reps = reps > 64 ? 64 : reps;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = pmp_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        if (r)   /* first call warms up */
            t[r - 1] = pmp_now() - t0;
    }
    double med = median(t, reps);
    printf("{\"sgemm_n\":%d,\"threads\":%d,\"median_s\":%.6f,\"gflops\":%.2f}\n", n, threads, med,
           2.0 * n * n * (double)n / med / 1e9);
    free(a);
    free(b);
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "sgemm"))
        return bench_sgemm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if ((argc != 8 && argc != 9) || strcmp(argv[1], "step")) {
        fprintf(stderr, "usage: pmp-bench-train step PRESET V T PAIRS THREADS STEPS [SHARE]\n"
                        "       pmp-bench-train sgemm SIZE THREADS REPS\n");
        return 2;
    }
    int V = atoi(argv[3]), T = atoi(argv[4]), pairs = atoi(argv[5]), threads = atoi(argv[6]);
    int steps = atoi(argv[7]), share = argc == 9 ? atoi(argv[8]) : 0;
    pmp_model_set_threads(threads);
    pmp_err err;
    pmp_config cfg;
    if (pmp_config_preset(argv[2], V, T, &cfg, &err)) {
        fprintf(stderr, "pmp-bench-train: %s\n", err.msg);
        return 2;
    }
    pmp_rng rng;
    pmp_rng_seed(&rng, 1);
    pmp_model m;
    if (pmp_model_init(&m, &cfg, &rng, &err)) {
        fprintf(stderr, "pmp-bench-train: %s\n", err.msg);
        return 1;
    }
    pmp_adamw o;
    pmp_adamw_init(&o, m.n_params);
    pmp_schedule sch = {.lr = 1e-4f, .min_lr = 1e-5f, .warmup = 0, .total = 1000};
    pmp_batch_opts bo = {.objective = PMP_OBJ_RANK, .eoc = V - 1, .share_context = share,
                         .maxT = T, .V = V};
    pmp_batch b;
    pmp_batch_init(&b);
    int nc = T / 2, nr = T - nc - 1;
    int32_t *ctx = malloc(sizeof(int32_t) * T), *r1 = malloc(sizeof(int32_t) * T),
            *r2 = malloc(sizeof(int32_t) * T);
    for (int p = 0; p < pairs; p++) {
        /* the same formula as torch_step.py: token of sequence s at position t */
        for (int t = 0; t < nc; t++)
            ctx[t] = (int32_t)(((2 * p) * 131 + t * 31 + 7) % (V - 1));
        for (int t = 0; t < nr; t++) {
            r1[t] = (int32_t)(((2 * p) * 131 + (nc + t) * 31 + 7) % (V - 1));
            r2[t] = (int32_t)(((2 * p + 1) * 131 + (nc + t) * 31 + 7) % (V - 1));
        }
        if (pmp_batch_add_pair(&b, &bo, ctx, nc, r1, nr, r2, nr, &err)) {
            fprintf(stderr, "pmp-bench-train: %s\n", err.msg);
            return 1;
        }
    }
    pmp_loss_opts lo = pmp_loss_for(PMP_OBJ_RANK, 0.0f);
    double *t = malloc(sizeof(double) * (steps + 1));
    pmp_loss L = {0};
    for (int s = 0; s < steps + 1; s++) {
        double t0 = pmp_now();
        if (pmp_optim_step(&m, &o, &sch, 1.0f, &b, 1, &lo, &L, NULL, &err)) {
            fprintf(stderr, "pmp-bench-train: %s\n", err.msg);
            return 1;
        }
        t[s] = pmp_now() - t0;
    }
    double med = median(t + 1, steps);   /* step 0 allocates and warms up */
    double fl = pmp_model_flops(&m, &b, 0);
    char blas[512];
    pmp_blas_info(blas, sizeof blas);
    printf("{\"impl\":\"pmp\",\"preset\":\"%s\",\"V\":%d,\"T\":%d,\"pairs\":%d,\"threads\":%d,"
           "\"share\":%d,\"tokens\":%d,\"steps\":%d,\"median_step_s\":%.6f,\"gflops\":%.2f,\"flops_per_step\":%.4g,"
           "\"params\":%zu,\"last_loss\":%.6f,\"peak_rss_mb\":%.1f,\"blas\":\"%s\"}\n",
           argv[2], V, T, pairs, threads, share, b.N, steps, med, fl / med / 1e9, fl, m.n_params, L.loss,
           pmp_peak_rss() / 1048576.0, blas);
    free(t);
    free(ctx);
    free(r1);
    free(r2);
    pmp_batch_free(&b);
    pmp_adamw_free(&o);
    pmp_model_free(&m);
    return 0;
}

/* pmp_experiments.h — the experiments room of trainer/ (trainer/experiments/):
 * sample-efficiency curves, their intervals and summary, and pictures drawn with
 * gnuplot (docs/experiments.md). What curve_summary.c hands to curve_plot.c
 * (curve_internal.h) is internal to the room. Uses the runs room (pmp_runs.h). */
#ifndef PMP_EXPERIMENTS_H
#define PMP_EXPERIMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_runs.h"

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
    /* a cell that failed while the sweep was already stopping for an earlier error
     * (that one is pmp_curve_run's error); may be NULL */
    void (*cell_error)(void *ctx, const pmp_err *err);
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

/* curve_internal.h — what curve_summary.c (reading curve directories, the intervals,
 * summary.csv) hands to curve_plot.c (the pictures). Not a public header. */
#ifndef PMP_CURVE_INTERNAL_H
#define PMP_CURVE_INTERNAL_H

#include "pmp_experiments.h"

typedef struct curve_cell {   /* one row of a curve.csv */
    int target, init, rep, seed;
    long size, eval_pairs;
    double acc, lw, lwv;
    size_t params;
    double *y;                /* per-pair correctness (1, 1/2 for a tie, 0), or NULL */
} curve_cell;

typedef struct curve_sum {    /* one row of summary.csv */
    int target;               /* -1: every target pooled */
    int init;
    long size;
    size_t targets, reps, seeds;   /* reps, seeds and pairs: per cell; in a pooled row */
    long pairs;               /* the largest over its targets (pairs 0: margins missing) */
    double lw, lwv;
    pmp_contrast acc;
    int has_diff;
    pmp_contrast diff;
    char note[160];
} curve_sum;

typedef struct curve_table {
    curve_cell *cells;
    size_t n, cap;
    char **targets, **inits;  /* in order of first appearance */
    size_t n_targets, n_inits;
    long *sizes;              /* ascending */
    size_t n_sizes;
    int baseline;             /* index into inits */
    size_t params;            /* the largest model's size */
    double lw_all, lwv_all;   /* over every cell */
    curve_sum *sums;
    size_t n_sums;
} curve_table;

/* curve_plot.c: curve.svg/.png (accuracy) and diff.svg/.png (each init minus the
 * baseline) of the pooled rows (or the one target's) into out_dir. */
int pmp_curve_draw(const curve_table *t, const char *out_dir, pmp_err *err);

#endif

/* curve_plot.c — from curve.csv to summary.csv (mean and spread over seeds, the
 * paired difference of each init against the first) and to curve.svg/.png with
 * gnuplot. Reads only the CSV, so `pmp-curve plot OUT_DIR` redraws any sweep. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_trainer.h"

typedef struct row {
    char init[128];
    long size;
    int seed;
    double acc, lw, lwv;
} row;

typedef struct table {
    row *rows;
    size_t n, cap;
    char inits[32][128];   /* in order of first appearance: the first named init first */
    size_t n_inits;
    long sizes[256];
    size_t n_sizes;
    char target[256];
} table;

static int read_rows(const char *csv_path, table *t, pmp_err *err)
{
    FILE *f = fopen(csv_path, "r");
    if (!f)
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", csv_path, strerror(errno));
    char line[4096];
    long no = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        if (++no == 1) continue;   /* header */
        row r;
        char target[256];
        long pairs, groups, steps;
        double se, margin, loss;
        if (sscanf(line, "%255[^,],%127[^,],%ld,%d,%ld,%ld,%ld,%lf,%lf,%lf,%lf,%lf,%lf", target,
                   r.init, &r.size, &r.seed, &pairs, &groups, &steps, &r.acc, &se, &margin, &loss,
                   &r.lw, &r.lwv) != 13) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: not a curve row", csv_path, no);
            break;
        }
        if (t->n == t->cap) t->rows = pmp_xrealloc(t->rows, (t->cap = t->cap ? 2 * t->cap : 64) * sizeof *t->rows);
        t->rows[t->n++] = r;
        if (!t->target[0]) snprintf(t->target, sizeof t->target, "%s", target);
        size_t i;
        for (i = 0; i < t->n_inits && strcmp(t->inits[i], r.init); i++) {}
        if (i == t->n_inits && i < 32) snprintf(t->inits[t->n_inits++], 128, "%s", r.init);
        for (i = 0; i < t->n_sizes && t->sizes[i] != r.size; i++) {}
        if (i == t->n_sizes && i < 256) t->sizes[t->n_sizes++] = r.size;
    }
    fclose(f);
    /* sizes ascending */
    for (size_t i = 1; i < t->n_sizes; i++)
        for (size_t j = i; j > 0 && t->sizes[j - 1] > t->sizes[j]; j--) {
            long x = t->sizes[j];
            t->sizes[j] = t->sizes[j - 1];
            t->sizes[j - 1] = x;
        }
    return rc;
}

static const row *find(const table *t, const char *init, long size, int seed)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].size == size && t->rows[i].seed == seed && !strcmp(t->rows[i].init, init))
            return &t->rows[i];
    return NULL;
}

typedef struct stat2 { double mean, sd; size_t n; } stat2;

static stat2 stats_of(const double *v, size_t n)
{
    stat2 s = {0, 0, n};
    for (size_t i = 0; i < n; i++) s.mean += v[i];
    if (n) s.mean /= (double)n;
    for (size_t i = 0; i < n; i++) s.sd += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd = n > 1 ? sqrt(s.sd / (double)(n - 1)) : 0;
    return s;
}

int pmp_curve_summarize(const char *out_dir, int draw, int *drawn, pmp_err *err)
{
    *drawn = 0;
    table t = {0};
    pmp_buf path = PMP_BUF_INIT, out = PMP_BUF_INIT, gp = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/curve.csv", out_dir);
    int rc = read_rows(path.data, &t, err);
    double lwv_all = 0, lw_all = 0, ylo = 0.5, yhi = 0.5;   /* the picture's y range */
    for (size_t i = 0; i < t.n; i++) {
        lwv_all += t.rows[i].lwv / (double)t.n;
        lw_all += t.rows[i].lw / (double)t.n;
    }
    pmp_buf_appends(&out, "init,size,seeds,accuracy_mean,accuracy_sd,longer_wins_mean,"
                          "longer_wins_visible_mean,vs_init,diff_mean,diff_se,diff_seeds\n");
    double *v = pmp_xcalloc(t.n + 1, sizeof *v), *d = pmp_xcalloc(t.n + 1, sizeof *d);
    double *lw = pmp_xcalloc(t.n + 1, sizeof *lw), *lwv = pmp_xcalloc(t.n + 1, sizeof *lwv);
    for (size_t ii = 0; rc == 0 && ii < t.n_inits; ii++) {
        const char *init = t.inits[ii], *base = t.inits[0];
        pmp_buf dat = PMP_BUF_INIT;
        pmp_buf_printf(&dat, "%s/cells/%s.dat", out_dir, init);
        FILE *df = draw ? fopen(dat.data, "w") : NULL;
        for (size_t si = 0; si < t.n_sizes; si++) {
            size_t n = 0, nd = 0;
            for (size_t i = 0; i < t.n; i++) {
                const row *r = &t.rows[i];
                if (r->size != t.sizes[si] || strcmp(r->init, init)) continue;
                lw[n] = r->lw;
                lwv[n] = r->lwv;
                v[n++] = r->acc;
                const row *b = find(&t, base, r->size, r->seed);
                if (b && ii > 0) d[nd++] = r->acc - b->acc;
            }
            if (!n) continue;
            stat2 a = stats_of(v, n), dd = stats_of(d, nd);
            pmp_buf_printf(&out, "%s,%ld,%zu,%.4f,%.4f,%.4f,%.4f,%s,", init, t.sizes[si], n,
                           a.mean, a.sd, stats_of(lw, n).mean, stats_of(lwv, n).mean, base);
            if (nd) pmp_buf_printf(&out, "%.4f,%.4f,%zu\n", dd.mean, dd.sd / sqrt((double)nd), nd);
            else pmp_buf_appends(&out, ",,0\n");
            /* x: size 0 (the init as it is) is drawn at 1 on the log axis */
            if (df) fprintf(df, "%ld %.5f %.5f\n", t.sizes[si] ? t.sizes[si] : 1, a.mean, a.sd);
            if (a.mean - a.sd < ylo) ylo = a.mean - a.sd;
            if (a.mean + a.sd > yhi) yhi = a.mean + a.sd;
        }
        if (df) fclose(df);
        pmp_buf_free(&dat);
    }
    free(v);
    free(d);
    free(lw);
    free(lwv);
    if (rc == 0) {
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/summary.csv", out_dir);
        rc = pmp_write_file_durable(path.data, out.data, out.len, err);
    }
    if (lw_all < ylo) ylo = lw_all;
    if (lwv_all < ylo) ylo = lwv_all;
    if (lw_all > yhi) yhi = lw_all;
    if (lwv_all > yhi) yhi = lwv_all;
    ylo = floor((ylo - 0.02) * 20) / 20;   /* to the 0.05 below, with room */
    yhi = ceil((yhi + 0.02) * 20) / 20;
    if (ylo < 0) ylo = 0;
    if (yhi > 1) yhi = 1;
    if (rc == 0 && draw && t.n_inits && pmp_gnuplot_present()) {
        long xmax = t.n_sizes ? t.sizes[t.n_sizes - 1] : 1;
        static const char *const colors[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                             "#e69f00", "#56b4e9", "#000000", "#f0e442"};
        pmp_buf tq = PMP_BUF_INIT;
        pmp_gnuplot_quote(&tq, t.target);
        pmp_buf_printf(&gp,
            "set datafile separator whitespace\n"
            "set logscale x 2\nset xrange [0.7:%ld]\nset yrange [%.2f:%.2f]\n"
            "set xtics add ('init' 1)\n"
            "set xlabel 'finetuning pairs (log scale; \"init\": no finetuning)'\n"
            "set ylabel 'eval accuracy (mean, bars: sd over seeds)'\n"
            "set key below horizontal maxrows 3\nset grid\n"
            "set title 'Sample efficiency on '.%s noenhanced\n"
            "plot 0.5 title 'chance' lc rgb '#888888' dt 2, "
            "%.4f title 'longer wins (visible tokens)' lc rgb '#999900' dt 3 lw 2, "
            "%.4f title 'longer wins (raw text)' lc rgb '#666666' dt 4",
            xmax * 2, ylo, yhi, tq.data, lwv_all, lw_all);
        pmp_buf_free(&tq);
        for (size_t ii = 0; ii < t.n_inits; ii++) {
            pmp_buf dat = PMP_BUF_INIT;
            pmp_buf_printf(&dat, "%s/cells/%s.dat", out_dir, t.inits[ii]);
            pmp_buf_appends(&gp, ", ");
            pmp_gnuplot_quote(&gp, dat.data);
            pmp_buf_appends(&gp, " using 1:2:3 with yerrorlines title ");
            pmp_gnuplot_quote(&gp, t.inits[ii]);
            pmp_buf_printf(&gp, " noenhanced lw 2 pt 7 lc rgb '%s'", colors[ii % 8]);
            pmp_buf_free(&dat);
        }
        pmp_buf_appends(&gp, "\n");
        pmp_buf script = PMP_BUF_INIT;
        pmp_buf_printf(&script, "%s/curve.gp", out_dir);
        rc = pmp_write_file_durable(script.data, gp.data, gp.len, err);
        for (size_t k = 0; rc == 0 && k < 2; k++) {
            pmp_buf pic = PMP_BUF_INIT;
            pmp_buf_printf(&pic, "%s/curve.%s", out_dir, k ? "png" : "svg");
            rc = pmp_gnuplot_render(script.data, pic.data, err);
            pmp_buf_free(&pic);
        }
        pmp_buf_free(&script);
        *drawn = rc == 0;
    }
    free(t.rows);
    pmp_buf_free(&path);
    pmp_buf_free(&out);
    pmp_buf_free(&gp);
    return rc < 0 ? -1 : 0;
}

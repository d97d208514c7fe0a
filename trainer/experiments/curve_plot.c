/* curve_plot.c — the pictures of a summary (curve_summary.c): curve.svg/.png, each
 * init's accuracy by finetuning size, and diff.svg/.png, each init minus the baseline
 * with a zero line; bars are the 95 % bootstrap intervals over every source of
 * variance. Size 0 (the init as it is, no finetuning) has its own panel left of the
 * log axis, never joined to the curve. An init keeps its colour and marker in every
 * figure (a palette keyed by name, a hash of the name for others). Every string in a
 * script goes through pmp_gnuplot_quote; data files are named by index. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "curve_internal.h"

typedef struct style {
    const char *color;
    int point;
} style;

static style style_of(const char *name)
{
    static const struct {
        const char *name;
        style s;
    } known[] = {
        {"scratch", {"#666666", 1}},          {"lm", {"#0072b2", 5}},
        {"pmp-rank", {"#d55e00", 7}},         {"pmp-rank-newhead", {"#e69f00", 9}},
        {"pmp-binary", {"#009e73", 13}},      {"pmp-rank-scratch", {"#cc79a7", 11}},
        {"pmp-rank-sr", {"#56b4e9", 15}},     {"pmp-binary-sr", {"#004d40", 4}},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i].name, name)) return known[i].s;
    static const char *const colors[] = {"#8c510a", "#01665e", "#762a83", "#b2182b", "#2166ac",
                                         "#1b7837", "#bf812d", "#35978f", "#9970ab", "#000000"};
    static const int points[] = {4, 6, 8, 10, 12, 14, 2, 3};
    uint64_t h = pmp_xxh64(name, strlen(name));
    return (style){colors[h % 10], points[(h >> 8) % 8]};
}

typedef struct view {
    const curve_table *t;
    int target;              /* the rows drawn: -1 pooled */
    int diff;
} view;

static const curve_sum *row(const view *v, int init, long size)
{
    for (size_t i = 0; i < v->t->n_sums; i++) {
        const curve_sum *s = &v->t->sums[i];
        if (s->target == v->target && s->init == init && s->size == size && (!v->diff || s->has_diff))
            return s;
    }
    return NULL;
}

static void title_of(const view *v, pmp_buf *b)
{
    const curve_table *t = v->t;
    long pairs = 0, fewest = 0;   /* pooled: the targets' eval sets differ in size */
    size_t reps = 0, seeds = 0;
    for (size_t i = 0; i < t->n_sums; i++) {
        const curve_sum *s = &t->sums[i];
        if (v->target < 0 && s->target >= 0 && s->pairs && (!fewest || s->pairs < fewest))
            fewest = s->pairs;
        if (s->target != v->target) continue;
        if (s->pairs > pairs) pairs = s->pairs;
        if (s->reps > reps) reps = s->reps;
        if (s->seeds > seeds) seeds = s->seeds;
    }
    if (v->diff) pmp_buf_printf(b, "Each init minus %s", t->inits[t->baseline]);
    else pmp_buf_appends(b, "Sample efficiency");
    if (v->target >= 0) pmp_buf_printf(b, " on %s", t->targets[v->target]);
    else {
        pmp_buf_printf(b, ", %zu targets pooled:", t->n_targets);
        for (size_t i = 0; i < t->n_targets; i++) pmp_buf_printf(b, "%s %s", i ? "," : "", t->targets[i]);
    }
    pmp_buf_appends(b, "\n");
    if (pairs && fewest && fewest < pairs)
        pmp_buf_printf(b, "eval n = %ld-%ld pairs per target", fewest, pairs);
    else if (pairs) pmp_buf_printf(b, "eval n = %ld pairs%s", pairs, v->target < 0 ? " per target" : "");
    else pmp_buf_appends(b, "eval n unknown (no margins)");
    if (t->params) pmp_buf_printf(b, "; model %.2fM parameters", (double)t->params / 1e6);
    pmp_buf_printf(b, "; up to %zu run%s x %zu seeds\n", reps, reps == 1 ? "" : "s", seeds);
    pmp_buf_appends(b, "bars: 95% hierarchical bootstrap over ");
    pmp_buf_appends(b, v->target < 0 ? "targets, runs, seeds" : "runs, seeds");
    pmp_buf_appends(b, pairs ? " and eval pairs" : " (eval pairs held fixed)");
}

/* one figure: data files OUT/plot/NAME-K.dat, the script OUT/NAME.gp, NAME.svg/.png */
static int figure(const view *v, const char *out_dir, const char *name, pmp_err *err)
{
    const curve_table *t = v->t;
    pmp_buf dir = PMP_BUF_INIT, path = PMP_BUF_INIT, gp = PMP_BUF_INIT, dat = PMP_BUF_INIT,
            title = PMP_BUF_INIT;
    pmp_buf_printf(&dir, "%s/plot", out_dir);
    int rc = pmp_mkdir_p(dir.data, err);
    int has0 = 0, haspos = 0, n_series = 0;
    long smin = 0, smax = 0;
    double ylo = v->diff ? 0 : 0.5, yhi = ylo;
    if (!v->diff) {
        double b[] = {t->lw_all, t->lwv_all};
        for (int k = 0; k < 2; k++) ylo = fmin(ylo, b[k]), yhi = fmax(yhi, b[k]);
    }
    /* each init: size 0 rows and the rest, x jittered so bars do not cover each other */
    int n_inits = (int)t->n_inits;
    for (int a = 0; rc == 0 && a < n_inits; a++) {
        if (v->diff && a == t->baseline) continue;
        pmp_buf_clear(&dat);
        int any = 0;
        for (int part = 0; part < 2; part++) {
            /* gnuplot counts a block only once it has a line: an empty size-0 block would
             * make the curve "index 0" and leave "index 1" naming nothing (drawn as
             * nothing, exit 0). A block without rows holds one undefined point. */
            size_t before = dat.len;
            for (size_t z = 0; z < t->n_sizes; z++) {
                long size = t->sizes[z];
                if ((part == 0) != (size == 0)) continue;
                const curve_sum *s = row(v, a, size);
                if (!s) continue;
                const pmp_contrast *c = v->diff ? &s->diff : &s->acc;
                double off = n_inits > 1 ? (double)a / (n_inits - 1) - 0.5 : 0;
                double x = size == 0 ? 1.2 * off : (double)size * pow(2, 0.16 * off);
                pmp_buf_printf(&dat, "%.6g %.6f %.6f %.6f\n", x, c->mean, c->boot_lo, c->boot_hi);
                ylo = fmin(ylo, c->boot_lo);
                yhi = fmax(yhi, c->boot_hi);
                if (size == 0) has0 = 1;
                else {
                    haspos = 1;
                    if (!smin || size < smin) smin = size;
                    if (size > smax) smax = size;
                }
                any = 1;
            }
            if (dat.len == before) pmp_buf_appends(&dat, "NaN NaN NaN NaN\n");
            pmp_buf_appends(&dat, "\n\n");   /* gnuplot index 0: size 0; index 1: the curve */
        }
        if (!any) continue;
        n_series++;
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s-%d.dat", dir.data, name, a);
        if (rc == 0) rc = pmp_write_file_durable(path.data, dat.data, dat.len, err);
    }
    if (rc == 0 && !n_series) goto done;
    double pad = (yhi - ylo) * 0.08 + 0.005;
    ylo -= pad;
    yhi += pad;
    if (!v->diff) ylo = fmax(0, ylo), yhi = fmin(1, yhi);
    title_of(v, &title);
    pmp_buf_appends(&gp, "set multiplot title ");
    pmp_gnuplot_quote(&gp, title.data);
    pmp_buf_printf(&gp, " noenhanced\nset grid\nset yrange [%.4f:%.4f]\n"
                        "set tmargin at screen 0.85\nset bmargin at screen 0.31\n", ylo, yhi);
    const char *ylabel = v->diff ? "difference in eval accuracy" : "eval accuracy";
    /* reference lines, drawn in both panels */
    pmp_buf refs = PMP_BUF_INIT;
    if (v->diff) pmp_buf_appends(&refs, "0 lc rgb '#000000' lw 1.5 title 'no difference'");
    else
        pmp_buf_printf(&refs, "0.5 lc rgb '#888888' dt 2 title 'chance', "
                              "%.4f lc rgb '#999900' dt 3 lw 2 title 'longer wins, visible', "
                              "%.4f lc rgb '#666666' dt 4 title 'longer wins, raw text'",
                       t->lwv_all, t->lw_all);
    for (int panel = 0; panel < 2; panel++) {
        if ((panel == 0 && !has0) || (panel == 1 && !haspos)) continue;
        double left = panel == 0 ? 0.12 : has0 ? 0.25 : 0.12, right = panel == 0 && haspos ? 0.21 : 0.97;
        pmp_buf_printf(&gp, "set lmargin at screen %.2f\nset rmargin at screen %.2f\n", left, right);
        if (panel == 0) {
            pmp_buf_printf(&gp, "unset logscale x\nset xrange [-1:1]\nset xtics ('0' 0)\n"
                                "set xlabel 'no finetuning' noenhanced\nset ylabel '%s'\nunset key\n",
                           ylabel);
        } else {
            pmp_buf_printf(&gp, "set logscale x 2\nset xrange [%.3f:%.3f]\nset xtics (", smin / 1.6,
                           smax * 1.6);
            int first = 1;
            for (size_t z = 0; z < t->n_sizes; z++)
                if (t->sizes[z] > 0) {
                    pmp_buf_printf(&gp, "%s'%ld' %ld", first ? "" : ", ", t->sizes[z], t->sizes[z]);
                    first = 0;
                }
            pmp_buf_appends(&gp, ")\nset xlabel 'finetuning pairs (log scale)'\n");
            if (has0) pmp_buf_appends(&gp, "set format y ''\nunset ylabel\n");
            else pmp_buf_printf(&gp, "set ylabel '%s'\n", ylabel);
            pmp_buf_appends(&gp, "set key at screen 0.55,0.015 center bottom horizontal maxcols 3 "
                                 "noenhanced samplen 2 width 0\n");
        }
        pmp_buf_appends(&gp, "plot ");
        pmp_buf_append(&gp, refs.data, refs.len);
        for (int a = 0; a < n_inits; a++) {
            if (v->diff && a == t->baseline) continue;
            int any = 0;
            for (size_t z = 0; z < t->n_sizes; z++) any |= row(v, a, t->sizes[z]) != NULL;
            if (!any) continue;
            style st = style_of(t->inits[a]);
            pmp_buf_clear(&path);
            pmp_buf_printf(&path, "%s/%s-%d.dat", dir.data, name, a);
            pmp_buf_appends(&gp, ", ");
            pmp_gnuplot_quote(&gp, path.data);
            pmp_buf_printf(&gp, " index %d using 1:2:3:4 with %s lc rgb '%s' pt %d ps 1.3 lw 2 title ",
                           panel, panel == 0 ? "yerrorbars" : "yerrorlines", st.color, st.point);
            pmp_gnuplot_quote(&gp, t->inits[a]);
        }
        pmp_buf_appends(&gp, "\n");
    }
    pmp_buf_appends(&gp, "unset multiplot\n");
    pmp_buf_free(&refs);
    pmp_buf_clear(&path);
    pmp_buf_printf(&path, "%s/%s.gp", out_dir, name);
    if (rc == 0) rc = pmp_write_file_durable(path.data, gp.data, gp.len, err);
    for (int k = 0; rc == 0 && k < 2; k++) {
        pmp_buf pic = PMP_BUF_INIT;
        pmp_buf_printf(&pic, "%s/%s.%s", out_dir, name, k ? "png" : "svg");
        rc = pmp_gnuplot_render(path.data, pic.data, err);
        pmp_buf_free(&pic);
    }
done:
    pmp_buf_free(&dir);
    pmp_buf_free(&path);
    pmp_buf_free(&gp);
    pmp_buf_free(&dat);
    pmp_buf_free(&title);
    return rc;
}

int pmp_curve_draw(const curve_table *t, const char *out_dir, pmp_err *err)
{
    view v = {t, t->n_targets > 1 ? -1 : 0, 0};
    int rc = figure(&v, out_dir, "curve", err);
    v.diff = 1;
    if (rc == 0) rc = figure(&v, out_dir, "diff", err);
    return rc;
}

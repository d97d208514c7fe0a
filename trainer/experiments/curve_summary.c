/* curve_summary.c — from one or more curve directories (curve.csv + margins/) to
 * summary.csv: each init's accuracy and its paired difference against the baseline,
 * per size, with 95 % intervals over targets, replicates, seeds and eval pairs
 * (curve_stats.c); then the pictures (curve_plot.c). Reads only what the sweep wrote,
 * so `pmp-curve plot` and `pmp-curve summary` redraw any sweep. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curve_internal.h"

void pmp_curve_summary_opts_default(pmp_curve_summary_opts *o)
{
    memset(o, 0, sizeof *o);
    o->draw = 1;
    o->boot = 2000;
    o->boot_seed = 1;
}

static int intern(char ***names, size_t *n, const char *s, size_t len)
{
    for (size_t i = 0; i < *n; i++)
        if (strlen((*names)[i]) == len && !memcmp((*names)[i], s, len)) return (int)i;
    *names = pmp_xrealloc(*names, (*n + 1) * sizeof **names);
    char *c = pmp_xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = 0;
    (*names)[*n] = c;
    return (int)(*n)++;
}

/* CSV fields of one line (no quoting: our rows never hold a comma in a field) */
static size_t split(char *line, char **f, size_t cap)
{
    size_t n = 0;
    for (char *p = line;;) {
        if (n == cap) return cap + 1;
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int num(const char *s, double lo, double hi, double *v)
{
    return pmp_parse_double(s, lo, hi, v);
}

/* The per-pair margins of a cell: float32 little-endian in eval order, as many as
 * the row's eval_pairs, with the row's checksum; each becomes 1 (better above
 * worse), 1/2 (a tie) or 0, and their mean must be the row's accuracy. */
static int load_margins(const char *path, curve_cell *c, uint64_t hash, pmp_err *err)
{
    const void *data;
    size_t len;
    if (pmp_map_file(path, &data, &len, err) < 0) return -1;
    int rc = 0;
    if (len != (size_t)c->eval_pairs * 4)
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: %zu bytes, curve.csv says %ld pairs (x 4)", path,
                          len, c->eval_pairs);
    else if (pmp_xxh64(data, len) != hash)
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: checksum differs from curve.csv's", path);
    if (rc == 0) {
        const unsigned char *b = data;
        c->y = pmp_xmalloc((size_t)(c->eval_pairs ? c->eval_pairs : 1) * sizeof *c->y);
        double sum = 0;
        for (long i = 0; i < c->eval_pairs; i++) {
            uint32_t u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
                         (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
            float m;
            memcpy(&m, &u, 4);
            c->y[i] = m > 0 ? 1.0 : m == 0 ? 0.5 : 0.0;
            sum += c->y[i];
        }
        if (c->eval_pairs && fabs(sum / (double)c->eval_pairs - c->acc) > 2e-6)
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: the margins give accuracy %.6f, curve.csv %.6f",
                              path, sum / (double)c->eval_pairs, c->acc);
    }
    pmp_unmap_file(data, len);
    return rc;
}

static int read_dir(curve_table *t, const char *dir, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/curve.csv", dir);
    FILE *f = fopen(path.data, "r");
    if (!f) {
        int rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", path.data, strerror(errno));
        pmp_buf_free(&path);
        return rc;
    }
    char line[4096];
    long no = 0;
    int rc = 0, v2 = 0;
    size_t first = t->n;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        no++;
        size_t len = strlen(line);
        if (!len || line[len - 1] != '\n') {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: line too long or not ended", path.data, no);
            break;
        }
        if (no == 1) {
            if (!strcmp(line, pmp_curve_csv_header)) v2 = 1;
            else if (strcmp(line, pmp_curve_csv_header_v1))
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s:1: not a pmp-curve table (header)", path.data);
            continue;
        }
        line[len - 1] = 0;
        char *fl[24];
        size_t nf = split(line, fl, 24);
        curve_cell c = {0};
        double v[16];
        int bad = nf != (v2 ? 19u : 15u);
        /* v2: target,init,replicate,size,seed,pairs,groups,steps,eval_pairs,accuracy,
         *     accuracy_se,margin,loss,longer_wins,longer_wins_visible,params,seconds,
         *     margins_xxh64,recipe; v1: target,init,size,seed,pairs,groups,steps,
         *     accuracy,accuracy_se,margin,loss,longer_wins,longer_wins_visible,seconds,recipe */
        static const int i2[] = {2, 3, 4, 8, 9, 13, 14, 15}, i1[] = {-1, 2, 3, -1, 7, 11, 12, -1};
        static const double hi[] = {1e6, 1e15, 1e9, 1e15, 1, 1, 1, 1e15};
        const int *ix = v2 ? i2 : i1;
        for (int k = 0; !bad && k < 8; k++) {
            v[k] = 0;
            if (ix[k] >= 0) bad = num(fl[ix[k]], 0, hi[k], &v[k]) < 0;
        }
        if (bad || !*fl[0] || !*fl[1]) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: not a curve row", path.data, no);
            break;
        }
        c.target = intern(&t->targets, &t->n_targets, fl[0], strlen(fl[0]));
        c.init = intern(&t->inits, &t->n_inits, fl[1], strlen(fl[1]));
        c.rep = (int)v[0];
        c.size = (long)v[1];
        c.seed = (int)v[2];
        c.eval_pairs = (long)v[3];
        c.acc = v[4];
        c.lw = v[5];
        c.lwv = v[6];
        c.params = (size_t)v[7];
        for (size_t i = 0; i < t->n; i++) {
            const curve_cell *o = &t->cells[i];
            if (o->target == c.target && o->init == c.init && o->rep == c.rep && o->size == c.size &&
                o->seed == c.seed) {
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: cell %s %s r%d n%ld s%d given twice "
                                  "(two directories of one target?)", path.data, no, fl[0], fl[1],
                                  c.rep, c.size, c.seed);
                break;
            }
        }
        if (rc == 0 && v2) {
            unsigned long long h;
            char *end;
            errno = 0;
            h = strtoull(fl[17], &end, 16);
            if (errno || *end || end == fl[17]) {
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%ld: bad margins_xxh64", path.data, no);
                break;
            }
            pmp_buf mp = PMP_BUF_INIT;
            pmp_buf_printf(&mp, "%s/margins/%s-r%d-n%ld-s%d.f32", dir, fl[1], c.rep, c.size, c.seed);
            rc = load_margins(mp.data, &c, (uint64_t)h, err);
            pmp_buf_free(&mp);
        }
        if (rc < 0) break;
        if (t->n == t->cap) t->cells = pmp_xrealloc(t->cells, (t->cap = t->cap ? 2 * t->cap : 64) * sizeof *t->cells);
        t->cells[t->n++] = c;
    }
    if (rc == 0 && ferror(f)) rc = pmp_err_setc(err, PMP_E_IO, "%s: read failed", path.data);
    if (rc == 0 && t->n == first) rc = pmp_err_setc(err, PMP_E_INPUT, "%s: no finished cells", path.data);
    fclose(f);
    pmp_buf_free(&path);
    return rc;
}

static const curve_cell *find(const curve_table *t, int target, int init, int rep, long size, int seed)
{
    for (size_t i = 0; i < t->n; i++) {
        const curve_cell *c = &t->cells[i];
        if (c->size == size && c->seed == seed && c->init == init && c->rep == rep && c->target == target)
            return c;
    }
    return NULL;
}

static int reps_of(const curve_table *t, int target, int init, long size)
{
    int r = 0;
    for (size_t i = 0; i < t->n; i++) {
        const curve_cell *c = &t->cells[i];
        if (c->target == target && c->init == init && c->size == size && c->rep + 1 > r) r = c->rep + 1;
    }
    return r;
}

/* One target's unit for init a (minus init b when b >= 0) at one size: the seeds
 * every replicate of both has finished; replicates of a and b paired by index (an
 * arm with fewer runs repeats its runs: one baseline run is held fixed). */
static int build_unit(const curve_table *t, int target, int a, int b, long size,
                      pmp_contrast_unit *u, double **store, curve_sum *s)
{
    int Ra = reps_of(t, target, a, size), Rb = b >= 0 ? reps_of(t, target, b, size) : 1;
    if (!Ra || !Rb) return 0;
    int R = Ra > Rb ? Ra : Rb;
    int seeds[1024];
    size_t S = 0;
    for (size_t i = 0; i < t->n && S < 1024; i++) {
        const curve_cell *c = &t->cells[i];
        if (c->target != target || c->init != a || c->size != size || c->rep != 0) continue;
        int ok = 1;
        for (int r = 0; r < R && ok; r++)
            ok = find(t, target, a, r % Ra, size, c->seed) &&
                 (b < 0 || find(t, target, b, r % Rb, size, c->seed));
        if (ok) seeds[S++] = c->seed;
    }
    if (!S) return 0;
    long P = -1;
    for (int r = 0; r < R; r++)
        for (size_t k = 0; k < S; k++) {
            const curve_cell *ca = find(t, target, a, r % Ra, size, seeds[k]);
            const curve_cell *cb = b >= 0 ? find(t, target, b, r % Rb, size, seeds[k]) : NULL;
            long pa = ca->y ? ca->eval_pairs : 0, pb = cb ? (cb->y ? cb->eval_pairs : 0) : pa;
            if (pa != pb || (P >= 0 && pa != P)) P = 0;
            else if (P < 0) P = pa;
        }
    if (P <= 0) P = 0;   /* margins missing or eval sets differ: cells' accuracies only */
    size_t n = (size_t)R * S * (size_t)(P ? P : 1);
    double *v = pmp_xmalloc(n * sizeof *v);
    for (int r = 0; r < R; r++)
        for (size_t k = 0; k < S; k++) {
            const curve_cell *ca = find(t, target, a, r % Ra, size, seeds[k]);
            const curve_cell *cb = b >= 0 ? find(t, target, b, r % Rb, size, seeds[k]) : NULL;
            double *out = v + ((size_t)r * S + k) * (size_t)(P ? P : 1);
            if (P)
                for (long p = 0; p < P; p++) out[p] = ca->y[p] - (cb ? cb->y[p] : 0);
            else out[0] = ca->acc - (cb ? cb->acc : 0);
        }
    *u = (pmp_contrast_unit){(size_t)R, S, (size_t)(P ? P : 1), v};
    *store = v;
    if (s) {
        if (!P && !strstr(s->note, "no margins")) strcat(s->note, "no margins: eval pairs held fixed; ");
        if (b >= 0 && Rb == 1 && Ra > 1 && !strstr(s->note, "baseline"))
            strcat(s->note, "the baseline has one run: its run-to-run spread is not counted; ");
        if (b >= 0 && Ra > 1 && Rb > 1 && Ra != Rb && !strstr(s->note, "modulo"))
            strcat(s->note, "runs paired by index modulo; ");
        if (S == 1 && !strstr(s->note, "one seed")) strcat(s->note, "one seed; ");
        if ((size_t)R > s->reps) s->reps = (size_t)R;
        if (S > s->seeds) s->seeds = S;
        if (P > s->pairs) s->pairs = P;
    }
    return 1;
}

static uint64_t seed_for(uint64_t base, const char *target, const char *init, long size, int diff)
{
    pmp_buf b = PMP_BUF_INIT;
    pmp_buf_printf(&b, "%s|%s|%ld|%d", target, init, size, diff);
    uint64_t h = pmp_xxh64(b.data, b.len) ^ base;
    pmp_buf_free(&b);
    return h;
}

/* One summary row: target >= 0 one target, -1 all of them pooled. */
static int summarize_one(const curve_table *t, const pmp_curve_summary_opts *o, int target, int a,
                         long size, curve_sum *s, pmp_err *err)
{
    memset(s, 0, sizeof *s);
    s->target = target;
    s->init = a;
    s->size = size;
    size_t n = 0, nlw = 0;
    for (size_t i = 0; i < t->n; i++) {
        const curve_cell *c = &t->cells[i];
        if (c->init == a && c->size == size && (target < 0 || c->target == target)) {
            s->lw += c->lw;
            s->lwv += c->lwv;
            nlw++;
        }
    }
    if (!nlw) return 0;
    s->lw /= (double)nlw;
    s->lwv /= (double)nlw;
    const char *tname = target < 0 ? "pooled" : t->targets[target];
    for (int diff = 0; diff < 2; diff++) {
        int b = diff ? t->baseline : -1;
        if (diff && a == t->baseline) break;
        pmp_contrast_unit *units = pmp_xcalloc(t->n_targets, sizeof *units);
        double **store = pmp_xcalloc(t->n_targets, sizeof *store);
        n = 0;
        for (size_t tt = 0; tt < t->n_targets; tt++)
            if (target < 0 || (int)tt == target)
                n += (size_t)build_unit(t, (int)tt, a, b, size, &units[n], &store[n], s);
        int rc = 0;
        if (n) {
            pmp_contrast *c = diff ? &s->diff : &s->acc;
            rc = pmp_contrast_estimate(units, n, o->boot, seed_for(o->boot_seed, tname, t->inits[a], size, diff),
                                       c, err);
            /* an accuracy is in [0, 1], a difference of two in [-1, 1] */
            double lo = diff ? -1 : 0;
            c->boot_lo = fmax(lo, c->boot_lo), c->t_lo = fmax(lo, c->t_lo);
            c->boot_hi = fmin(1, c->boot_hi), c->t_hi = fmin(1, c->t_hi);
            if (diff) s->has_diff = rc == 0;
            if (!diff) s->targets = n;
        }
        for (size_t k = 0; k < n; k++) free(store[k]);
        free(store);
        free(units);
        if (rc < 0) return -1;
        if (!n && !diff) return 0;
    }
    return 1;
}

static void fmt(pmp_buf *b, double x)
{
    if (isfinite(x)) pmp_buf_printf(b, ",%.4f", x);
    else pmp_buf_appends(b, ",");
}

static void summary_csv(const curve_table *t, pmp_buf *out)
{
    pmp_buf_appends(out, "target,init,size,targets,replicates,seeds,eval_pairs,accuracy,accuracy_lo,"
                         "accuracy_hi,longer_wins,longer_wins_visible,baseline,diff,diff_lo,diff_hi,"
                         "diff_se,diff_df,diff_t_lo,diff_t_hi,sd_target,sd_rep,sd_seed,sd_pair,note\n");
    for (size_t i = 0; i < t->n_sums; i++) {
        const curve_sum *s = &t->sums[i];
        pmp_buf_printf(out, "%s,%s,%ld,%zu,%zu,%zu,%ld", s->target < 0 ? "pooled" : t->targets[s->target],
                       t->inits[s->init], s->size, s->targets, s->reps, s->seeds, s->pairs);
        fmt(out, s->acc.mean);
        fmt(out, s->acc.boot_lo);
        fmt(out, s->acc.boot_hi);
        fmt(out, s->lw);
        fmt(out, s->lwv);
        pmp_buf_printf(out, ",%s", t->inits[t->baseline]);
        if (s->has_diff) {
            const pmp_contrast *d = &s->diff;
            double v[] = {d->mean, d->boot_lo, d->boot_hi, d->se};
            for (int k = 0; k < 4; k++) fmt(out, v[k]);
            pmp_buf_printf(out, ",%.1f", d->df);
            double w[] = {d->t_lo, d->t_hi, d->sd_target, d->sd_rep, d->sd_seed, d->sd_pair};
            for (int k = 0; k < 6; k++) fmt(out, w[k]);
        } else {
            pmp_buf_appends(out, ",,,,,,,,,,,");
        }
        size_t nl = strlen(s->note);
        pmp_buf_printf(out, ",%.*s\n", (int)(nl >= 2 ? nl - 2 : nl), s->note);
    }
}

static void table_free(curve_table *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->cells[i].y);
    free(t->cells);
    for (size_t i = 0; i < t->n_targets; i++) free(t->targets[i]);
    for (size_t i = 0; i < t->n_inits; i++) free(t->inits[i]);
    free(t->targets);
    free(t->inits);
    free(t->sizes);
    free(t->sums);
}

/* the baseline: o->baseline, else the one every directory's `baseline` file names */
static int pick_baseline(const pmp_curve_summary_opts *o, curve_table *t, pmp_err *err)
{
    char name[256] = "";
    if (o->baseline) snprintf(name, sizeof name, "%s", o->baseline);
    for (size_t d = 0; !o->baseline && d < o->n_dirs; d++) {
        pmp_buf p = PMP_BUF_INIT;
        pmp_buf_printf(&p, "%s/baseline", o->dirs[d]);
        FILE *f = fopen(p.data, "r");
        char got[256] = "";
        if (f) {
            if (!fgets(got, sizeof got, f)) got[0] = 0;
            fclose(f);
        }
        got[strcspn(got, "\n")] = 0;
        int rc = 0;
        if (!got[0])
            rc = pmp_err_setc(err, PMP_E_USAGE, "%s: absent or empty: name the reference init with "
                              "--baseline NAME", p.data);
        else if (name[0] && strcmp(name, got))
            rc = pmp_err_setc(err, PMP_E_USAGE, "the directories name different baselines (%s, %s): "
                              "choose one with --baseline", name, got);
        else snprintf(name, sizeof name, "%s", got);
        pmp_buf_free(&p);
        if (rc < 0) return rc;
    }
    for (size_t i = 0; i < t->n_inits; i++)
        if (!strcmp(t->inits[i], name)) {
            t->baseline = (int)i;
            return 0;
        }
    return pmp_err_setc(err, PMP_E_USAGE, "baseline '%s' is not an init of the curve", name);
}

int pmp_curve_summarize(const pmp_curve_summary_opts *o, int *drawn, pmp_err *err)
{
    *drawn = 0;
    if (!o->n_dirs || !o->out_dir) return pmp_err_setc(err, PMP_E_USAGE, "no curve directory");
    curve_table t;
    memset(&t, 0, sizeof t);
    int rc = 0;
    for (size_t d = 0; rc == 0 && d < o->n_dirs; d++) rc = read_dir(&t, o->dirs[d], err);
    if (rc == 0) rc = pick_baseline(o, &t, err);
    /* sizes ascending; the baseline-independent figures over every cell */
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        const curve_cell *c = &t.cells[i];
        size_t k;
        for (k = 0; k < t.n_sizes && t.sizes[k] != c->size; k++) {}
        if (k == t.n_sizes) {
            t.sizes = pmp_xrealloc(t.sizes, (t.n_sizes + 1) * sizeof *t.sizes);
            size_t j = t.n_sizes++;
            for (; j > 0 && t.sizes[j - 1] > c->size; j--) t.sizes[j] = t.sizes[j - 1];
            t.sizes[j] = c->size;
        }
        t.lw_all += c->lw / (double)t.n;
        t.lwv_all += c->lwv / (double)t.n;
        if (c->params > t.params) t.params = c->params;
    }
    /* per target, then pooled when there are several */
    size_t cap = (t.n_targets + 1) * t.n_inits * t.n_sizes;
    t.sums = pmp_xcalloc(cap ? cap : 1, sizeof *t.sums);
    for (int tt = t.n_targets > 1 ? -1 : 0; rc == 0 && tt < (int)t.n_targets; tt++)
        for (size_t a = 0; rc == 0 && a < t.n_inits; a++)
            for (size_t z = 0; rc == 0 && z < t.n_sizes; z++) {
                int got = summarize_one(&t, o, tt, (int)a, t.sizes[z], &t.sums[t.n_sums], err);
                if (got < 0) rc = -1;
                else t.n_sums += (size_t)got;
            }
    pmp_buf out = PMP_BUF_INIT, path = PMP_BUF_INIT;
    if (rc == 0) rc = pmp_mkdir_p(o->out_dir, err);
    if (rc == 0) {
        summary_csv(&t, &out);
        pmp_buf_printf(&path, "%s/summary.csv", o->out_dir);
        rc = pmp_write_file_durable(path.data, out.data, out.len, err);
    }
    if (rc == 0 && o->draw && pmp_gnuplot_present()) {
        rc = pmp_curve_draw(&t, o->out_dir, err);
        *drawn = rc == 0;
    }
    pmp_buf_free(&out);
    pmp_buf_free(&path);
    table_free(&t);
    return rc < 0 ? -1 : 0;
}

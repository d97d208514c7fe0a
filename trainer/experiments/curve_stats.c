/* curve_stats.c — the interval of a paired difference between two inits (or of one
 * init's accuracy) over every source of variance a curve has: targets (sites),
 * replicates (PMP runs), finetuning seeds and eval pairs. Method and its coverage test:
 * docs/experiments.md, "Intervals"; tests/curve/test_curve_stats.c.
 *
 * Within a target the values form a crossed R x S x P array (every replicate with every
 * seed, every cell on the same eval pairs). Resampling each factor of a crossed array
 * (the "pigeonhole" bootstrap) counts the interactions up to three times; so the array
 * is decomposed into its ANOVA effects (three main effects, three two-way, one
 * three-way), each set of effects is rescaled so its mean square is the unbiased
 * estimate of its variance component (Carpenter, Goldstein & Rasbash 2003: the
 * "reflated" residual bootstrap; a negative estimate is 0), and one bootstrap draw
 * reweights the effects of each factor by multinomial counts of its levels. The draw's
 * variance is then exactly the estimated variance of the mean. Several targets: each
 * target's effect, reflated to the between-target component, plus an independent
 * within-target draw, for T targets drawn with replacement. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_experiments.h"

/* ---- Student's t: the regularized incomplete beta by its continued fraction ---- */

static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

static double beta_reg(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lb = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lb) * beta_cf(a, b, x) / a;
    return 1 - exp(lb) * beta_cf(b, a, 1 - x) / b;
}

/* P(T <= t) for Student's t with df > 0 degrees of freedom */
static double t_cdf(double t, double df)
{
    double tail = 0.5 * beta_reg(df / 2, 0.5, df / (df + t * t));
    return t >= 0 ? 1 - tail : tail;
}

double pmp_t_quantile(double p, double df)
{
    if (!(df > 0) || !(p > 0 && p < 1)) return NAN;
    if (p < 0.5) return -pmp_t_quantile(1 - p, df);
    double lo = 0, hi = 1;
    while (t_cdf(hi, df) < p && hi < 1e12) hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (t_cdf(mid, df) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- one target: the ANOVA effects of an R x S x P array ---- */

enum { F_R, F_S, F_P, F_RS, F_RP, F_SP, F_RSP, N_TERMS };

typedef struct unit_fx {
    size_t R, S, P;
    double mean;
    double *fx[N_TERMS];    /* effects of each term, reflated */
    double ms[N_TERMS];     /* mean squares (0 when the term has no degrees of freedom) */
    double df[N_TERMS];
    double comp[N_TERMS];   /* variance components, truncated at 0 */
    double var;             /* estimated variance of the unit's mean (= the draws' variance) */
    double var_df;          /* its Satterthwaite degrees of freedom */
} unit_fx;

static void unit_free(unit_fx *u)
{
    for (int k = 0; k < N_TERMS; k++) free(u->fx[k]);
}

static void unit_fit(const pmp_contrast_unit *in, unit_fx *u)
{
    memset(u, 0, sizeof *u);
    size_t R = in->R, S = in->S, P = in->P, N = R * S * P;
    u->R = R, u->S = S, u->P = P;
    const double *v = in->v;
#define V(r, s, p) v[((r) * S + (s)) * P + (p)]
    double *a = pmp_xcalloc(R, sizeof *a), *b = pmp_xcalloc(S, sizeof *b), *c = pmp_xcalloc(P, sizeof *c);
    double *ab = pmp_xcalloc(R * S, sizeof *ab), *ac = pmp_xcalloc(R * P, sizeof *ac);
    double *bc = pmp_xcalloc(S * P, sizeof *bc), *e = pmp_xcalloc(N, sizeof *e);
    double m = 0;
    for (size_t i = 0; i < N; i++) m += v[i];
    m /= (double)N;
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++)
            for (size_t p = 0; p < P; p++) {
                double x = V(r, s, p);
                a[r] += x, b[s] += x, c[p] += x;
                ab[r * S + s] += x, ac[r * P + p] += x, bc[s * P + p] += x;
            }
    for (size_t r = 0; r < R; r++) a[r] = a[r] / (double)(S * P) - m;
    for (size_t s = 0; s < S; s++) b[s] = b[s] / (double)(R * P) - m;
    for (size_t p = 0; p < P; p++) c[p] = c[p] / (double)(R * S) - m;
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++) ab[r * S + s] = ab[r * S + s] / (double)P - m - a[r] - b[s];
    for (size_t r = 0; r < R; r++)
        for (size_t p = 0; p < P; p++) ac[r * P + p] = ac[r * P + p] / (double)S - m - a[r] - c[p];
    for (size_t s = 0; s < S; s++)
        for (size_t p = 0; p < P; p++) bc[s * P + p] = bc[s * P + p] / (double)R - m - b[s] - c[p];
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++)
            for (size_t p = 0; p < P; p++)
                e[(r * S + s) * P + p] = V(r, s, p) - m - a[r] - b[s] - c[p] - ab[r * S + s] -
                                         ac[r * P + p] - bc[s * P + p];
#undef V
    u->mean = m;
    double *fx[N_TERMS] = {a, b, c, ab, ac, bc, e};
    size_t len[N_TERMS] = {R, S, P, R * S, R * P, S * P, N};
    /* each effect squared appears N / len times in the sum of squares */
    double dR = (double)R - 1, dS = (double)S - 1, dP = (double)P - 1;
    double df[N_TERMS] = {dR, dS, dP, dR * dS, dR * dP, dS * dP, dR * dS * dP};
    for (int k = 0; k < N_TERMS; k++) {
        double ss = 0;
        for (size_t i = 0; i < len[k]; i++) ss += fx[k][i] * fx[k][i];
        ss *= (double)N / (double)len[k];
        u->df[k] = df[k];
        u->ms[k] = df[k] > 0 ? ss / df[k] : 0;
        u->fx[k] = fx[k];
    }
    const double *ms = u->ms;
    double comp[N_TERMS];
    comp[F_RSP] = ms[F_RSP];
    comp[F_RS] = (ms[F_RS] - ms[F_RSP]) / (double)P;
    comp[F_RP] = (ms[F_RP] - ms[F_RSP]) / (double)S;
    comp[F_SP] = (ms[F_SP] - ms[F_RSP]) / (double)R;
    comp[F_R] = (ms[F_R] - ms[F_RS] - ms[F_RP] + ms[F_RSP]) / (double)(S * P);
    comp[F_S] = (ms[F_S] - ms[F_RS] - ms[F_SP] + ms[F_RSP]) / (double)(R * P);
    comp[F_P] = (ms[F_P] - ms[F_RP] - ms[F_SP] + ms[F_RSP]) / (double)(R * S);
    double trunc_var = 0;
    for (int k = 0; k < N_TERMS; k++) {
        if (!(df[k] > 0) || comp[k] < 0) comp[k] = 0;
        u->comp[k] = comp[k];
        trunc_var += comp[k] / (double)len[k];
        /* reflate: the effects' mean square becomes the component */
        double msq = 0;
        for (size_t i = 0; i < len[k]; i++) msq += fx[k][i] * fx[k][i];
        msq /= (double)len[k];
        double f = msq > 0 ? sqrt(comp[k] / msq) : 0;
        for (size_t i = 0; i < len[k]; i++) fx[k][i] *= f;
    }
    /* The variance of the unit's mean: the sum of the components, each over the number
     * of its effects averaged. Truncating negative estimates at 0 makes it a little
     * conservative; the unbiased combination of mean squares (MS_R + MS_S + MS_P - MS_RS
     * - MS_RP - MS_SP + MS_RSP) / N is not used: when a factor with few levels (5
     * seeds) contributes nothing, its mean square still swings the combination by a
     * chi-square with that few degrees of freedom, and the intervals undercover
     * (0.87 in the coverage test). Degrees of freedom: Satterthwaite's over the
     * components' shares, each with the degrees of freedom of its own mean square. */
    double den = 0;
    for (int k = 0; k < N_TERMS; k++) {
        if (!(df[k] > 0)) continue;
        double x = comp[k] / (double)len[k];
        den += x * x / df[k];
    }
    u->var = trunc_var;
    u->var_df = den > 0 ? trunc_var * trunc_var / den : 1;
    if (u->var_df < 1) u->var_df = 1;
}

/* one draw of the unit's mean minus its estimate */
static double unit_draw(const unit_fx *u, pmp_rng *rng, double *w_r, double *w_s, double *w_p)
{
    size_t R = u->R, S = u->S, P = u->P;
    memset(w_r, 0, R * sizeof *w_r);
    memset(w_s, 0, S * sizeof *w_s);
    memset(w_p, 0, P * sizeof *w_p);
    for (size_t i = 0; i < R; i++) w_r[pmp_rng_below(rng, R)] += 1;
    for (size_t i = 0; i < S; i++) w_s[pmp_rng_below(rng, S)] += 1;
    for (size_t i = 0; i < P; i++) w_p[pmp_rng_below(rng, P)] += 1;
    double **fx = (double **)u->fx, x = 0;
    double tr = 0, ts = 0, tp = 0;
    for (size_t r = 0; r < R; r++) tr += w_r[r] * fx[F_R][r];
    for (size_t s = 0; s < S; s++) ts += w_s[s] * fx[F_S][s];
    for (size_t p = 0; p < P; p++) tp += w_p[p] * fx[F_P][p];
    x += tr / (double)R + ts / (double)S + tp / (double)P;
    double trs = 0, trp = 0, tsp = 0, trsp = 0;
    for (size_t r = 0; r < R; r++) {
        if (!w_r[r]) continue;
        for (size_t s = 0; s < S; s++) trs += w_r[r] * w_s[s] * fx[F_RS][r * S + s];
        for (size_t p = 0; p < P; p++) trp += w_r[r] * w_p[p] * fx[F_RP][r * P + p];
    }
    for (size_t s = 0; s < S; s++) {
        if (!w_s[s]) continue;
        const double *row = fx[F_SP] + s * P;
        double acc = 0;
        for (size_t p = 0; p < P; p++) acc += w_p[p] * row[p];
        tsp += w_s[s] * acc;
    }
    if (u->comp[F_RSP] > 0)
        for (size_t r = 0; r < R; r++) {
            if (!w_r[r]) continue;
            for (size_t s = 0; s < S; s++) {
                if (!w_s[s]) continue;
                const double *row = fx[F_RSP] + (r * S + s) * P;
                double acc = 0;
                for (size_t p = 0; p < P; p++) acc += w_p[p] * row[p];
                trsp += w_r[r] * w_s[s] * acc;
            }
        }
    x += trs / (double)(R * S) + trp / (double)(R * P) + tsp / (double)(S * P) +
         trsp / (double)(R * S * P);
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int pmp_contrast_estimate(const pmp_contrast_unit *units, size_t T, int boot, uint64_t seed,
                          pmp_contrast *out, pmp_err *err)
{
    memset(out, 0, sizeof *out);
    if (T < 1 || boot < 10)
        return pmp_err_setc(err, PMP_E_USAGE, "an interval needs a target and >= 10 resamples");
    size_t maxR = 1, maxS = 1, maxP = 1;
    for (size_t t = 0; t < T; t++) {
        if (!units[t].R || !units[t].S || !units[t].P || !units[t].v)
            return pmp_err_setc(err, PMP_E_INPUT, "target %zu has no cells", t);
        if (units[t].R > maxR) maxR = units[t].R;
        if (units[t].S > maxS) maxS = units[t].S;
        if (units[t].P > maxP) maxP = units[t].P;
    }
    unit_fx *u = pmp_xcalloc(T, sizeof *u);
    double mean = 0, mean_var = 0;
    for (size_t t = 0; t < T; t++) {
        unit_fit(&units[t], &u[t]);
        mean += u[t].mean / (double)T;
        mean_var += u[t].var / (double)T;
    }
    /* between targets: the spread of the target means beyond their own noise. With
     * several targets the interval's variance is the plain one of a mean of T target
     * means (their sample variance / T, T - 1 degrees of freedom): each target's effect
     * is reflated to the between-target component, and when the targets spread less
     * than their own noise says (a negative component), the within-target draws are
     * shrunk instead, so the draws' variance is that same figure. */
    double *tfx = pmp_xcalloc(T, sizeof *tfx), between = 0, sd_t = 0, shrink = 1;
    if (T > 1) {
        for (size_t t = 0; t < T; t++) between += (u[t].mean - mean) * (u[t].mean - mean);
        between /= (double)(T - 1);
        double comp = between - mean_var, msq = between * (double)(T - 1) / (double)T;
        if (comp < 0) {
            comp = 0;
            shrink = mean_var > 0 ? sqrt(between / mean_var) : 0;
        }
        sd_t = sqrt(comp);
        double f = msq > 0 ? sqrt(comp / msq) : 0;
        for (size_t t = 0; t < T; t++) tfx[t] = (u[t].mean - mean) * f;
        out->se = sqrt(between / (double)T);
        out->df = (double)(T - 1);
    } else {
        out->se = sqrt(u[0].var);
        out->df = u[0].var_df;
    }
    out->mean = mean;
    out->sd_target = sd_t;
    /* the components of the first target, as standard deviations (for the summary) */
    out->sd_rep = sqrt(u[0].comp[F_R]);
    out->sd_seed = sqrt(u[0].comp[F_S]);
    out->sd_pair = sqrt(u[0].comp[F_P]);
    out->sd_cell = sqrt(u[0].comp[F_RS] + u[0].comp[F_RSP] + u[0].comp[F_SP] + u[0].comp[F_RP]);
    double tq = pmp_t_quantile(0.975, out->df), z = 1.959963984540054;
    out->t_lo = mean - tq * out->se;
    out->t_hi = mean + tq * out->se;
    /* the bootstrap */
    pmp_rng rng;
    pmp_rng_seed(&rng, seed);
    double *draws = pmp_xmalloc((size_t)boot * sizeof *draws);
    double *w_r = pmp_xmalloc(maxR * sizeof *w_r), *w_s = pmp_xmalloc(maxS * sizeof *w_s);
    double *w_p = pmp_xmalloc(maxP * sizeof *w_p);
    for (int b = 0; b < boot; b++) {
        double x = 0;
        if (T == 1) x = unit_draw(&u[0], &rng, w_r, w_s, w_p);
        else
            for (size_t k = 0; k < T; k++) {
                size_t t = (size_t)pmp_rng_below(&rng, T);
                x += (tfx[t] + shrink * unit_draw(&u[t], &rng, w_r, w_s, w_p)) / (double)T;
            }
        draws[b] = mean + x;
    }
    qsort(draws, (size_t)boot, sizeof *draws, cmp_double);
    double lo = draws[(size_t)floor(0.025 * (boot - 1))], hi = draws[(size_t)ceil(0.975 * (boot - 1))];
    double sd = 0;
    for (int b = 0; b < boot; b++) sd += (draws[b] - mean) * (draws[b] - mean);
    out->boot_se = sqrt(sd / boot);
    /* expanded percentile (Hesterberg 2015): the percentile interval stretched about the
     * estimate by t(df)/z, so a few units at the top level (3 PMP runs, 4 sites) widen it
     * as they widen the t interval, where a plain percentile interval undercovers */
    double stretch = tq / z;
    out->boot_lo = mean - (mean - lo) * stretch;
    out->boot_hi = mean + (hi - mean) * stretch;
    free(draws);
    free(w_r);
    free(w_s);
    free(w_p);
    free(tfx);
    for (size_t t = 0; t < T; t++) unit_free(&u[t]);
    free(u);
    return 0;
}

/* Packed batches, the binarised view, and the losses of the four objectives. */
#include "pmp_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const obj_names[] = {"rank", "binary", "imitation", "lm"};

int pmp_objective_parse(const char *name, pmp_objective *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, obj_names[i]) == 0) {
            *out = (pmp_objective)i;
            return 0;
        }
    return -1;
}

const char *pmp_objective_name(pmp_objective o)
{
    return (unsigned)o < 4 ? obj_names[o] : "?";
}

void pmp_batch_init(pmp_batch *b)
{
    memset(b, 0, sizeof *b);
    b->seq_start = pmp_xcalloc(1, sizeof(int32_t));
    b->cap_b = 0;
}

void pmp_batch_clear(pmp_batch *b)
{
    b->B = b->N = b->P = b->NT = b->NL = 0;
    b->seq_start[0] = 0;
}

void pmp_batch_free(pmp_batch *b)
{
    free(b->tokens);
    free(b->pos);
    free(b->targets);
    free(b->seq_start);
    free(b->readout);
    free(b->root);
    free(b->shared);
    free(b->label);
    free(b->pair_better);
    free(b->pair_worse);
    free(b->pair_margin);
    memset(b, 0, sizeof *b);
}

static void reserve(pmp_batch *b, int add_n, int add_b, int add_p)
{
    if (b->N + add_n > b->cap_n) {
        int c = b->cap_n ? b->cap_n : 256;
        while (c < b->N + add_n)
            c *= 2;
        b->tokens = pmp_xrealloc(b->tokens, sizeof(int32_t) * c);
        b->pos = pmp_xrealloc(b->pos, sizeof(int32_t) * c);
        b->targets = pmp_xrealloc(b->targets, sizeof(int32_t) * c);
        b->cap_n = c;
    }
    if (b->B + add_b > b->cap_b) {
        int c = b->cap_b ? b->cap_b : 16;
        while (c < b->B + add_b)
            c *= 2;
        b->seq_start = pmp_xrealloc(b->seq_start, sizeof(int32_t) * (c + 1));
        b->readout = pmp_xrealloc(b->readout, sizeof(int32_t) * c);
        b->root = pmp_xrealloc(b->root, sizeof(int32_t) * c);
        b->shared = pmp_xrealloc(b->shared, sizeof(int32_t) * c);
        b->label = pmp_xrealloc(b->label, c);
        b->cap_b = c;
    }
    if (b->P + add_p > b->cap_p) {
        int c = b->cap_p ? b->cap_p : 16;
        while (c < b->P + add_p)
            c *= 2;
        b->pair_better = pmp_xrealloc(b->pair_better, sizeof(int32_t) * c);
        b->pair_worse = pmp_xrealloc(b->pair_worse, sizeof(int32_t) * c);
        b->pair_margin = pmp_xrealloc(b->pair_margin, sizeof(float) * c);
        b->cap_p = c;
    }
}

static int check_ids(const int32_t *t, int n, int V, const char *what, pmp_err *err)
{
    for (int i = 0; i < n; i++)
        if (t[i] < 0 || t[i] >= V)
            return pmp_err_setc(err, PMP_E_MISMATCH, "batch: %s token %d at index %d is outside the vocabulary "
                               "(size %d)", what, t[i], i, V);
    return 0;
}

/* Appends prefix + ctx + resp [+ EOC]; resp_targets: next-token targets on the
 * response tokens (1; and on the EOC for a PM sequence, so the model learns where
 * a response ends) or on every token (2). root >= 0 (with o->share_context): take
 * the longest common prefix with that earlier, unshared sequence from it instead
 * of storing it again, short of this sequence's first target (the root's rows
 * carry the root's targets) and of its last token (the readout stays its own).
 * Returns the new sequence's index. */
static int push_seq(pmp_batch *b, const pmp_batch_opts *o, const int32_t *pre, int n_pre,
                    const int32_t *ctx, int n_ctx, const int32_t *resp, int n_resp, int eoc,
                    int resp_targets, int8_t label, int root)
{
    int budget = o->maxT - n_pre - (eoc ? 1 : 0);
    if (n_ctx + n_resp > budget) {
        int cut = n_ctx + n_resp - budget;
        int cc = cut < n_ctx ? cut : n_ctx;
        ctx += cc;
        n_ctx -= cc;
        cut -= cc;
        n_resp -= cut;
    }
    int T = n_pre + n_ctx + n_resp + (eoc ? 1 : 0);
    reserve(b, T, 1, 0);
    int s = b->B, t0 = b->N;
    int32_t *tok = b->tokens + t0;
    /* (pointers may be NULL when their count is 0, which memcpy does not allow) */
    if (n_pre)
        memcpy(tok, pre, sizeof(int32_t) * n_pre);
    if (n_ctx)
        memcpy(tok + n_pre, ctx, sizeof(int32_t) * n_ctx);
    if (n_resp)
        memcpy(tok + n_pre + n_ctx, resp, sizeof(int32_t) * n_resp);
    if (eoc)
        tok[T - 1] = o->eoc;
    int r0 = n_pre + n_ctx;   /* first response token; position t predicts token t+1 */
    int first_target = resp_targets == 2 ? 0 : resp_targets == 1 ? (r0 > 0 ? r0 - 1 : 0) : T;
    int P = 0;
    if (o->share_context && root >= 0) {
        const int32_t *rt = b->tokens + b->seq_start[root];
        int lim = b->seq_start[root + 1] - b->seq_start[root];
        lim = lim < T - 1 ? lim : T - 1;
        lim = lim < first_target ? lim : first_target;
        while (P < lim && rt[P] == tok[P])
            P++;
        if (P)
            memmove(tok, tok + P, sizeof(int32_t) * (T - P));
    }
    for (int t = P; t < T; t++) {
        int n = t0 + t - P, tgt = -1;
        b->pos[n] = t;
        if (t + 1 < T && t >= first_target)
            tgt = tok[t + 1 - P];
        b->targets[n] = tgt;
        b->NT += tgt >= 0;
    }
    b->root[s] = P ? root : -1;
    b->shared[s] = P;
    b->readout[s] = t0 + T - P - 1;
    b->label[s] = label;
    b->N += T - P;
    b->NL += T;
    b->B++;
    b->seq_start[b->B] = b->N;
    return s;
}

void pmp_batch_judged_pair(const pmp_batch *b, int binarize, int i, int *better, int *worse)
{
    if (binarize) {   /* view pairs 2i: GOOD:A > BAD:A, 2i+1: BAD:B > GOOD:B */
        *better = b->pair_better[2 * i];
        *worse = b->pair_worse[2 * i + 1];
    } else {
        *better = b->pair_better[i];
        *worse = b->pair_worse[i];
    }
}

int pmp_batch_seq_len(const pmp_batch *b, int s)
{
    return b->shared[s] + b->seq_start[s + 1] - b->seq_start[s];
}

int32_t pmp_batch_seq_token(const pmp_batch *b, int s, int t)
{
    int P = b->shared[s];
    return t < P ? b->tokens[b->seq_start[b->root[s]] + t] : b->tokens[b->seq_start[s] + t - P];
}

static void push_pair(pmp_batch *b, int better, int worse)
{
    reserve(b, 0, 0, 1);
    b->pair_better[b->P] = better;
    b->pair_worse[b->P] = worse;
    b->pair_margin[b->P] = 0.0f;
    b->P++;
}

void pmp_batch_set_margin(pmp_batch *b, float margin)
{
    if (b->P > 0) b->pair_margin[b->P - 1] = margin;
}

static const char *const margin_names[] = {"none", "score-gap", "log-score-gap"};

int pmp_margin_parse(const char *name, pmp_margin *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, margin_names[i]) == 0) {
            *out = (pmp_margin)i;
            return 0;
        }
    return -1;
}

const char *pmp_margin_name(pmp_margin m)
{
    return (unsigned)m < 3 ? margin_names[m] : "?";
}

float pmp_margin_of(pmp_margin m, double better_score, double worse_score)
{
    /* A pair's better response never scores lower (pairing keeps score order); a
     * gap below 0 would only come from a damaged shard and is read as 0. */
    double gap = better_score - worse_score;
    if (!(gap > 0)) gap = 0;
    switch (m) {
    case PMP_MARGIN_SCORE_GAP: return (float)gap;
    case PMP_MARGIN_LOG_SCORE_GAP: return (float)log1p(gap);
    default: return 0.0f;
    }
}

int pmp_batch_add_pair(pmp_batch *b, const pmp_batch_opts *o, const int32_t *ctx, int n_ctx,
                       const int32_t *better, int n_better, const int32_t *worse, int n_worse,
                       pmp_err *err)
{
    if (o->objective == PMP_OBJ_LM)
        return pmp_err_setc(err, PMP_E_USAGE, "batch: the lm objective takes plain text, not pairs");
    if (check_ids(ctx, n_ctx, o->V, "context", err) || check_ids(better, n_better, o->V,
        "better response", err) || check_ids(worse, n_worse, o->V, "worse response", err))
        return -1;
    if (o->eoc < 0 || o->eoc >= o->V)
        return pmp_err_setc(err, PMP_E_MISMATCH, "batch: end-of-context token %d outside the vocabulary", o->eoc);
    int npre = o->binarize ? (o->n_good_prefix > o->n_bad_prefix ? o->n_good_prefix
                                                                 : o->n_bad_prefix) : 0;
    if (o->binarize && (check_ids(o->good_prefix, o->n_good_prefix, o->V, "GOOD prefix", err) ||
                        check_ids(o->bad_prefix, o->n_bad_prefix, o->V, "BAD prefix", err)))
        return -1;
    if (npre + 2 > o->maxT)
        return pmp_err_setc(err, PMP_E_USAGE, "batch: context length %d leaves no room for a response",
                           o->maxT);

    /* Both responses are judged against the same context: when the longer one does
     * not fit with all of it, the context loses its start for both (then push_seq
     * cuts a response that alone is too long from its end). Imitation training has
     * one sequence and keeps what fits it. */
    int two = o->objective != PMP_OBJ_IMITATION || o->eval;
    int longest = two && n_worse > n_better ? n_worse : n_better;
    int room = o->maxT - npre - 1 - longest;
    if (n_ctx > room) {
        int keep = room > 0 ? room : 0;
        ctx += n_ctx - keep;
        n_ctx = keep;
    }
    if (o->objective == PMP_OBJ_IMITATION) {
        int sb = push_seq(b, o, NULL, 0, ctx, n_ctx, better, n_better, 1, 1, 0, -1);
        if (o->eval) {
            int sw = push_seq(b, o, NULL, 0, ctx, n_ctx, worse, n_worse, 1, 1, 0, sb);
            push_pair(b, sb, sw);
        }
        return 0;
    }
    /* the LM term of rank covers the whole better sequence */
    int lm = o->objective == PMP_OBJ_RANK && o->lm_targets ? 2 : 0;
    if (!o->binarize) {
        int sb = push_seq(b, o, NULL, 0, ctx, n_ctx, better, n_better, 1, lm, 1, -1);
        int sw = push_seq(b, o, NULL, 0, ctx, n_ctx, worse, n_worse, 1, 0, -1, sb);
        push_pair(b, sb, sw);
        return 0;
    }
    /* Binarised view (paper §4.1): A > B becomes GOOD:A > BAD:A and BAD:B > GOOD:B.
     * The preferred sequence of each new pair is the one whose label is true; the
     * LM term (rank + lm_coef) goes on the true-labelled better text GOOD:A. The
     * sequences are pushed by label prefix, so each pair of equal prefixes is a
     * family that can share "prefix context". */
    const int32_t *G = o->good_prefix, *Bp = o->bad_prefix;
    int nG = o->n_good_prefix, nB = o->n_bad_prefix;
    int ga = push_seq(b, o, G, nG, ctx, n_ctx, better, n_better, 1, lm, 1, -1);
    int gb = push_seq(b, o, G, nG, ctx, n_ctx, worse, n_worse, 1, 0, -1, ga);
    int ba = push_seq(b, o, Bp, nB, ctx, n_ctx, better, n_better, 1, 0, -1, -1);
    int bb = push_seq(b, o, Bp, nB, ctx, n_ctx, worse, n_worse, 1, 0, 1, ba);
    push_pair(b, ga, ba);
    push_pair(b, bb, gb);
    return 0;
}

int pmp_batch_add_text(pmp_batch *b, const pmp_batch_opts *o, const int32_t *tok, int n,
                       pmp_err *err)
{
    if (check_ids(tok, n, o->V, "text", err))
        return -1;
    if (n > o->maxT)
        n = o->maxT;
    if (n < 2)
        return pmp_err_setc(err, PMP_E_INPUT, "batch: a text needs at least 2 tokens, got %d", n);
    push_seq(b, o, NULL, 0, NULL, 0, tok, n, 0, 2, 0, -1);
    return 0;
}

pmp_loss_opts pmp_loss_for(pmp_objective o, float lm_coef)
{
    pmp_loss_opts lo = {0, 0, 0, 0};
    switch (o) {
    case PMP_OBJ_RANK: lo.rank_coef = 1; lo.lm_coef = lm_coef; break;
    case PMP_OBJ_BINARY: lo.binary_coef = 1; break;
    case PMP_OBJ_IMITATION:
    case PMP_OBJ_LM: lo.lm_coef = 1; break;
    }
    return lo;
}

/* log(1 + e^x) without overflow */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

void pmp_loss_compute(const pmp_batch *b, const pmp_loss_opts *lo, const float *r,
                      const float *logprob, float grad_scale, pmp_loss *out, float *dr,
                      float *dlogprob, float *seq_logprob)
{
    memset(out, 0, sizeof *out);
    for (int s = 0; s < b->B; s++)
        dr[s] = 0.0f;
    /* per-sequence mean log-prob, targets are in token order */
    int k = 0;
    for (int s = 0; s < b->B; s++) {
        double acc = 0.0;
        int cnt = 0;
        for (int t = b->seq_start[s]; t < b->seq_start[s + 1]; t++)
            if (b->targets[t] >= 0) {
                acc += logprob[k++];
                cnt++;
            }
        seq_logprob[s] = cnt ? (float)(acc / cnt) : 0.0f;
    }
    int by_logprob = lo->rank_coef == 0 && lo->binary_coef == 0 && b->NT > 0;
    if (b->P > 0) {
        double sum = 0.0, csum = 0.0, msum = 0.0, g = lo->rank_coef * grad_scale / b->P;
        double gc = 2.0 * lo->center_coef * grad_scale / b->P;
        for (int p = 0; p < b->P; p++) {
            int i = b->pair_better[p], j = b->pair_worse[p];
            double d = (double)r[i] - r[j], dm = d - b->pair_margin[p];
            sum += softplus(-dm);
            msum += d;
            if (lo->rank_coef != 0) {
                float gd = (float)(-sigmoid(-dm) * g);
                dr[i] += gd;
                dr[j] -= gd;
            }
            if (lo->center_coef != 0) {   /* TRL: coef * mean((r_chosen + r_rejected)^2) */
                double c = (double)r[i] + r[j];
                csum += c * c;
                dr[i] += (float)(gc * c);
                dr[j] += (float)(gc * c);
            }
            out->pairs_correct += by_logprob ? seq_logprob[i] > seq_logprob[j] : d > 0;
        }
        out->rank = sum / b->P;
        out->center = csum / b->P;
        out->margin_sum = msum;
        out->pairs = b->P;
    }
    /* the reward distribution over the sequences a pair or a label judges */
    out->reward_min = INFINITY;
    out->reward_max = -INFINITY;
    for (int s = 0; s < b->B; s++) {
        int judged = b->label[s] != 0;
        for (int p = 0; p < b->P && !judged; p++) judged = b->pair_better[p] == s || b->pair_worse[p] == s;
        if (!judged) continue;
        double x = r[s];
        out->reward_n++;
        out->reward_sum += x;
        out->reward_sq += x * x;
        if (x < out->reward_min) out->reward_min = x;
        if (x > out->reward_max) out->reward_max = x;
    }
    int nl = 0;
    for (int s = 0; s < b->B; s++)
        nl += b->label[s] != 0;
    if (nl > 0) {
        double sum = 0.0, g = lo->binary_coef * grad_scale / nl;
        for (int s = 0; s < b->B; s++) {
            if (!b->label[s])
                continue;
            double y = b->label[s], z = y * r[s];
            sum += softplus(-z);
            if (lo->binary_coef != 0)
                dr[s] += (float)(-y * sigmoid(-z) * g);
            out->labels_correct += z > 0;
        }
        out->binary = sum / nl;
    }
    if (b->NT > 0) {
        double sum = 0.0;
        for (int i = 0; i < b->NT; i++)
            sum -= logprob[i];
        out->lm = sum / b->NT;
        float g = (float)(-(double)lo->lm_coef * grad_scale / b->NT);
        for (int i = 0; i < b->NT; i++)
            dlogprob[i] = g;
    }
    out->loss = lo->rank_coef * out->rank + lo->binary_coef * out->binary + lo->lm_coef * out->lm +
                lo->center_coef * out->center;
}

void pmp_loss_reward_moments(const pmp_loss *l, double *mean, double *std)
{
    *mean = *std = 0.0;
    if (l->reward_n <= 0) return;
    double n = l->reward_n;
    *mean = l->reward_sum / n;
    double var = n > 1 ? (l->reward_sq - n * *mean * *mean) / (n - 1) : 0.0;
    *std = sqrt(var > 0 ? var : 0.0);
}

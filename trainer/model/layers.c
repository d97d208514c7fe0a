/* Layer kernels: each forward next to its backward. Large products go to BLAS;
 * the rest are plain loops laid out so gcc vectorises the inner dimension. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Channel block for reductions over tokens: one thread owns a block of channels and
 * walks the tokens in order, so sums do not depend on the thread count. */
#define CBLK 64
/* Below this many elements a loop stays on one thread: a parallel region's
 * barrier costs more than the work, and much more on a busy machine. Results do
 * not depend on it (no reductions are split by thread). */
#define PAR_MIN 32768

/* Sum with 16 independent lanes: vectorises without -ffast-math and keeps a fixed
 * order (so the same inputs give the same bits). */
static inline float sum16(const float *x, int n)
{
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++)
            acc[l] += x[i + l];
    float s = 0.0f;
    for (; i < n; i++)
        s += x[i];
    for (int l = 0; l < 16; l++)
        s += acc[l];
    return s;
}

/* ---------- encoder ---------- */

void pmp_encoder_forward(float *out, const int32_t *tok, const int32_t *pos,
                         const float *wte, const float *wpe, int N, int C)
{
#pragma omp parallel for schedule(dynamic, 8) if ((size_t)N * C >= PAR_MIN)
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * C;
        const float *e = wte + (size_t)tok[n] * C, *p = wpe + (size_t)pos[n] * C;
        for (int c = 0; c < C; c++)
            o[c] = e[c] + p[c];
    }
}

void pmp_encoder_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tok,
                          const int32_t *pos, int N, int C)
{
    /* Tokens repeat, so rows of dwte collide: split by channel, not by token. */
    int nblk = (C + CBLK - 1) / CBLK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)N * C >= PAR_MIN)
    for (int blk = 0; blk < nblk; blk++) {
        int c0 = blk * CBLK, c1 = c0 + CBLK < C ? c0 + CBLK : C;
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * C;
            float *e = dwte + (size_t)tok[n] * C, *p = dwpe + (size_t)pos[n] * C;
            for (int c = c0; c < c1; c++) {
                e[c] += d[c];
                p[c] += d[c];
            }
        }
    }
}

/* ---------- layernorm ---------- */

void pmp_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *w, const float *b, int N, int C)
{
#pragma omp parallel for schedule(dynamic, 8) if ((size_t)N * C >= PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float m = 0.0f;
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= C;
        float v = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            v += d * d;
        }
        float s = 1.0f / sqrtf(v / C + 1e-5f);
        for (int c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * w[c] + b[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

void pmp_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, const float *mean,
                            const float *rstd, int N, int C)
{
#pragma omp parallel for schedule(dynamic, 8) if ((size_t)N * C >= PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        float *di = dinp + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        float a = 0.0f, bb = 0.0f;
        for (int c = 0; c < C; c++) {
            float dn = d[c] * w[c];
            a += dn;
            bb += dn * (x[c] - m) * s;
        }
        a /= C;
        bb /= C;
        for (int c = 0; c < C; c++) {
            float nrm = (x[c] - m) * s;
            di[c] += s * (d[c] * w[c] - a - nrm * bb);
        }
    }
    int nblk = (C + CBLK - 1) / CBLK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)N * C >= PAR_MIN)
    for (int blk = 0; blk < nblk; blk++) {
        int c0 = blk * CBLK, c1 = c0 + CBLK < C ? c0 + CBLK : C;
        float aw[CBLK] = {0}, ab[CBLK] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            float m = mean[n], s = rstd[n];
            for (int c = c0; c < c1; c++) {
                aw[c - c0] += d[c] * (x[c] - m) * s;
                ab[c - c0] += d[c];
            }
        }
        for (int c = c0; c < c1; c++) {
            dw[c] += aw[c - c0];
            db[c] += ab[c - c0];
        }
    }
}

/* ---------- matmul (BLAS) ---------- */

/* db[c] += sum_n dout[n, c], in token order whatever the thread count. */
static void pmp_colsum_acc(float *db, const float *dout, int N, int C)
{
    int nblk = (C + CBLK - 1) / CBLK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)N * C >= PAR_MIN)
    for (int blk = 0; blk < nblk; blk++) {
        int c0 = blk * CBLK, c1 = c0 + CBLK < C ? c0 + CBLK : C;
        float acc[CBLK] = {0};
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++)
                acc[c - c0] += d[c];
        }
        for (int c = c0; c < c1; c++)
            db[c] += acc[c - c0];
    }
}

/* Large products: C[M,N] = A[M,K] B[K,N] (+ beta C), row-major, op() by the flags.
 * OpenBLAS's own threading blocks K differently for 1 and 2 threads, which changes
 * the rounding; here the output is cut into tiles chosen from the shape (never from
 * the thread count) and each tile is one single-threaded BLAS call (BLAS runs on one
 * thread inside a parallel region), so the bits do not depend on the thread count.
 * Tiles are at most GEMM_TILE wide, and an even number along M where there is room,
 * so that 2 or 4 threads get equal shares. Measured on this machine's 2 cores, such
 * tiles are also faster than OpenBLAS's own threading (the model's 12 product shapes:
 * 84 vs 73 GFLOP/s at width 256, 134 vs 124 at width 768). */
#define GEMM_TILE 512

/* Splits n into parts of at most GEMM_TILE (an even count when even > 0 and n
 * allows), each a multiple of 16 but the last; returns the part size. */
static int tile_size(int n, int even)
{
    int parts = (n + GEMM_TILE - 1) / GEMM_TILE;
    if (even && parts % 2 && n >= 256)
        parts++;
    int t = (n + parts - 1) / parts;
    return (t + 15) / 16 * 16;
}

static void sgemm_tiled(int ta, int tb, int M, int N, int K, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc)
{
    int tn = tile_size(N, 0), nn = (N + tn - 1) / tn;
    int tm = tile_size(M, nn % 2), nm = (M + tm - 1) / tm;
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < nm * nn; t++) {
        int i0 = (t / nn) * tm, j0 = (t % nn) * tn;
        int em = M - i0 < tm ? M - i0 : tm;
        int en = N - j0 < tn ? N - j0 : tn;
        const float *a = ta ? A + i0 : A + (size_t)i0 * lda;
        const float *b = tb ? B + (size_t)j0 * ldb : B + j0;
        cblas_sgemm(CblasRowMajor, TA, TB, em, en, K, 1.0f, a, lda, b, ldb, beta,
                    C + (size_t)i0 * ldc + j0, ldc);
    }
}

void pmp_matmul_forward(float *out, const float *inp, const float *w, const float *b,
                        int N, int C, int OC, int accumulate)
{
    if (b || !accumulate) {
#pragma omp parallel for schedule(dynamic, 8) if ((size_t)N * OC >= PAR_MIN)
        for (int n = 0; n < N; n++) {
            float *o = out + (size_t)n * OC;
            if (accumulate) {
                for (int c = 0; c < OC; c++)
                    o[c] += b[c];
            } else if (b) {
                memcpy(o, b, sizeof(float) * OC);
            } else {
                memset(o, 0, sizeof(float) * OC);
            }
        }
    }
    sgemm_tiled(0, 1, N, OC, C, inp, C, w, C, 1.0f, out, OC);
}

void pmp_matmul_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, int N, int C, int OC)
{
    if (dinp)
        sgemm_tiled(0, 0, N, C, OC, dout, OC, w, C, 0.0f, dinp, C);
    sgemm_tiled(1, 0, OC, C, N, dout, OC, inp, C, 1.0f, dw, C);
    if (db)
        pmp_colsum_acc(db, dout, N, OC);
}

/* ---------- GELU (tanh approximation) ---------- */

#define GELU_K 0.7978845608028654f   /* sqrt(2/pi) */

static inline float tanh_fast(float u)
{
    return 1.0f - 2.0f / (pmp_expf(2.0f * u) + 1.0f);
}

void pmp_gelu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for schedule(dynamic, 4096) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanh_fast(GELU_K * (x + 0.044715f * x * x * x));
        out[i] = 0.5f * x * (1.0f + t);
    }
}

void pmp_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
#pragma omp parallel for schedule(dynamic, 4096) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanh_fast(GELU_K * (x + 0.044715f * x * x * x));
        float sech2 = 1.0f - t * t;
        float g = 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] = g * dout[i];
    }
}

/* ---------- causal attention inside packed sequences ---------- */

/* The keys of sequence s: P shared rows of its root, then its own M rows. The
 * probabilities of own row i cover keys 0 .. P+i. */
typedef struct att_seq {
    int M, P, K;        /* own rows, shared keys, K = P + M */
    size_t own, prefix; /* token index of the first own row and of the root's first row */
} att_seq;

static att_seq att_seq_of(const pmp_seq_layout *sl, int s)
{
    att_seq a;
    a.M = sl->start[s + 1] - sl->start[s];
    a.P = sl->shared ? sl->shared[s] : 0;
    a.K = a.P + a.M;
    a.own = (size_t)sl->start[s];
    a.prefix = a.P ? (size_t)sl->start[sl->root[s]] : 0;
    return a;
}

/* C[M,N] (ldc) = alpha * op(A) op(B) + beta C, row-major, beta 0 or 1; empty
 * products are done here (a BLAS may reject a zero dimension's leading sizes). */
static void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        for (int i = 0; beta == 0.0f && i < M; i++)
            memset(C + (size_t)i * ldc, 0, sizeof(float) * N);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void pmp_attention_forward(float *out, float *att, const float *qkv, const pmp_seq_layout *sl,
                           int C, int NH)
{
    int hs = C / NH, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    /* BLAS runs single-threaded inside a parallel region, so each task's arithmetic
     * is the same whatever the thread count. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int fh = 0; fh < sl->F * NH; fh++) {
        int f = fh / NH, h = fh % NH;
        for (int s = sl->family[f]; s < sl->family[f + 1]; s++) {
            att_seq a = att_seq_of(sl, s);
            const float *q = qkv + a.own * ld + (size_t)h * hs, *k = q + C, *v = q + 2 * C;
            const float *kp = qkv + a.prefix * ld + (size_t)h * hs + C, *vp = kp + C;
            float *A = att + sl->att_off[s] + (size_t)h * a.M * a.K;
            gemm(0, 1, a.M, a.P, hs, scale, q, ld, kp, ld, 0.0f, A, a.K);
            gemm(0, 1, a.M, a.M, hs, scale, q, ld, k, ld, 0.0f, A + a.P, a.K);
            for (int i = 0; i < a.M; i++) {
                float *r = A + (size_t)i * a.K;
                int n = a.P + i + 1;   /* visible keys */
                float mx = r[0];
                for (int j = 1; j < n; j++)
                    mx = r[j] > mx ? r[j] : mx;
                for (int j = 0; j < n; j++)
                    r[j] = pmp_expf(r[j] - mx);
                float inv = 1.0f / sum16(r, n);
                for (int j = 0; j < n; j++)
                    r[j] *= inv;
                for (int j = n; j < a.K; j++)
                    r[j] = 0.0f;
            }
            float *o = out + a.own * C + (size_t)h * hs;
            gemm(0, 0, a.M, hs, a.P, 1.0f, A, a.K, vp, ld, 0.0f, o, C);
            gemm(0, 0, a.M, hs, a.M, 1.0f, A + a.P, a.K, v, ld, a.P ? 1.0f : 0.0f, o, C);
        }
    }
}

void pmp_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                            const float *att, const pmp_seq_layout *sl, int C, int NH)
{
    int hs = C / NH, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    /* A family's root comes first and overwrites its own dq, dk, dv; the sequences
     * sharing with it then add into the root's dk, dv rows, in order. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int fh = 0; fh < sl->F * NH; fh++) {
        int f = fh / NH, h = fh % NH;
        for (int s = sl->family[f]; s < sl->family[f + 1]; s++) {
            att_seq a = att_seq_of(sl, s);
            size_t ho = (size_t)h * hs;
            const float *q = qkv + a.own * ld + ho, *k = q + C, *v = q + 2 * C;
            const float *kp = qkv + a.prefix * ld + ho + C, *vp = kp + C;
            float *dq = dqkv + a.own * ld + ho, *dk = dq + C, *dv = dq + 2 * C;
            float *dkp = dqkv + a.prefix * ld + ho + C, *dvp = dkp + C;
            const float *dO = dout + a.own * C + ho;
            const float *A = att + sl->att_off[s] + (size_t)h * a.M * a.K;
            float *dA = datt + sl->att_off[s] + (size_t)h * a.M * a.K;
            gemm(0, 1, a.M, a.P, hs, 1.0f, dO, C, vp, ld, 0.0f, dA, a.K);
            gemm(0, 1, a.M, a.M, hs, 1.0f, dO, C, v, ld, 0.0f, dA + a.P, a.K);
            gemm(1, 0, a.P, hs, a.M, 1.0f, A, a.K, dO, C, 1.0f, dvp, ld);
            gemm(1, 0, a.M, hs, a.M, 1.0f, A + a.P, a.K, dO, C, 0.0f, dv, ld);
            for (int i = 0; i < a.M; i++) {
                const float *r = A + (size_t)i * a.K;
                float *dr = dA + (size_t)i * a.K;
                int n = a.P + i + 1;
                float dot = 0.0f;
                for (int j = 0; j < n; j++)
                    dot += r[j] * dr[j];
                for (int j = 0; j < n; j++)
                    dr[j] = r[j] * (dr[j] - dot) * scale;
                for (int j = n; j < a.K; j++)
                    dr[j] = 0.0f;
            }
            gemm(0, 0, a.M, hs, a.P, 1.0f, dA, a.K, kp, ld, 0.0f, dq, ld);
            gemm(0, 0, a.M, hs, a.M, 1.0f, dA + a.P, a.K, k, ld, a.P ? 1.0f : 0.0f, dq, ld);
            gemm(1, 0, a.P, hs, a.M, 1.0f, dA, a.K, q, ld, 1.0f, dkp, ld);
            gemm(1, 0, a.M, hs, a.M, 1.0f, dA + a.P, a.K, q, ld, 0.0f, dk, ld);
        }
    }
}

/* ---------- next-token cross-entropy ---------- */

void pmp_crossentropy_forward(float *logits, float *logprob, const int32_t *target,
                              int NT, int V)
{
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)NT * V >= PAR_MIN)
    for (int i = 0; i < NT; i++) {
        float *z = logits + (size_t)i * V;
        float mx = z[0];
        for (int v = 1; v < V; v++)
            mx = z[v] > mx ? z[v] : mx;
        float zt = z[target[i]];
        for (int v = 0; v < V; v++)
            z[v] = pmp_expf(z[v] - mx);
        float sum = sum16(z, V);
        float inv = 1.0f / sum;
        for (int v = 0; v < V; v++)
            z[v] *= inv;
        logprob[i] = zt - mx - logf(sum);
    }
}

void pmp_crossentropy_backward(float *probs, const int32_t *target, const float *dscale,
                               int NT, int V)
{
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)NT * V >= PAR_MIN)
    for (int i = 0; i < NT; i++) {
        float *p = probs + (size_t)i * V;
        float s = dscale[i];
        for (int v = 0; v < V; v++)
            p[v] *= s;
        p[target[i]] -= s;
    }
}

/* layers.h — the transformer's layer kernels, each forward next to its backward.
 *
 * Used by the model (model.c) and by the per-layer gradient checks; not needed by
 * programs. Dimensions: N packed tokens (all sequences back to back), C channels,
 * OC output channels, NH heads, B sequences, V vocabulary.
 *
 * Gradient convention: parameter gradients (dw, db, dwte, ...) are always
 * accumulated (+=), so micro-batches add up; activation gradients are overwritten
 * (=) except where a layer feeds the residual stream, which says "+=" below.
 *
 * Determinism: every reduction has a fixed order that does not depend on the
 * thread count (reductions over tokens are split by channel, never by token), and
 * the attention's small products run single-threaded inside one OpenMP task each.
 */
#ifndef PMP_LAYERS_H
#define PMP_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* exp() written so the compiler can vectorise it (a few ulp; clamps to
 * [-87.3, 88.7]). Used by softmax, GELU and the cross-entropy. */
static inline float pmp_expf(float x)
{
    x = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
    float n = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f
              + r * (8.3333338e-3f + r * 1.3888889e-3f)))));
    union { int32_t i; float f; } u = {.i = ((int32_t)n + 127) << 23};
    return p * u.f;
}

/* x[n] = wte[tok[n]] + wpe[pos[n]] */
void pmp_encoder_forward(float *out, const int32_t *tok, const int32_t *pos,
                         const float *wte, const float *wpe, int N, int C);
void pmp_encoder_backward(float *dwte, float *dwpe, const float *dout, const int32_t *tok,
                          const int32_t *pos, int N, int C);

/* out = (inp - mean) * rstd * w + b per token; mean, rstd [N] saved for backward. */
void pmp_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *w, const float *b, int N, int C);
/* dinp += ...; dw, db += ... */
void pmp_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, const float *mean,
                            const float *rstd, int N, int C);

/* out[N,OC] (= or += when accumulate) inp[N,C] @ w[OC,C]^T + b[OC] (b may be NULL). */
void pmp_matmul_forward(float *out, const float *inp, const float *w, const float *b,
                        int N, int C, int OC, int accumulate);
/* dinp = dout @ w (skipped when dinp is NULL); dw += dout^T @ inp; db += colsum(dout). */
void pmp_matmul_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, int N, int C, int OC);


/* GELU, tanh approximation (GPT-2's). dinp may alias dout. */
void pmp_gelu_forward(float *out, const float *inp, size_t n);
void pmp_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);

/* Where each packed sequence's attention keys are (pmp_model.h): sequence s
 * owns the M_s tokens [start[s], start[s+1]) at positions shared[s] ...; its first
 * P_s = shared[s] positions are the first P_s tokens of root[s]. A family (a root
 * and the sequences sharing with it) is contiguous: family f is sequences
 * family[f] .. family[f+1]-1, and its root comes first. root/shared NULL: no
 * sharing (every sequence is a family). Sequence s's attention probabilities are
 * NH blocks of M_s x (P_s + M_s) floats at att + att_off[s]. */
typedef struct pmp_seq_layout {
    int B, F;
    const int32_t *start;    /* [B+1] */
    const int32_t *root;     /* [B] or NULL */
    const int32_t *shared;   /* [B] or NULL */
    const int32_t *family;   /* [F+1] */
    const size_t *att_off;   /* [B] */
} pmp_seq_layout;

/* Causal self-attention inside each (logical) sequence.
 * qkv [N,3C] (q | k | v, heads interleaved as h*hs); out [N,C]; att as above
 * (zero where the mask hides a key). One (family, head) per task, so the sums do
 * not depend on the thread count. */
void pmp_attention_forward(float *out, float *att, const float *qkv, const pmp_seq_layout *sl,
                           int C, int NH);
/* dqkv = ...(overwritten); datt: scratch of the same size as att. */
void pmp_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                            const float *att, const pmp_seq_layout *sl, int C, int NH);

/* Next-token cross-entropy on the NT rows that have a target: in place, logits [NT,V]
 * become probabilities; lse [NT] saved; logprob[i] = log p(target[i]). */
void pmp_crossentropy_forward(float *logits, float *logprob, const int32_t *target,
                              int NT, int V);
/* logits (holding probabilities) become dlogits = (p - onehot) * dscale[i]. */
void pmp_crossentropy_backward(float *probs, const int32_t *target, const float *dscale,
                               int NT, int V);

#endif

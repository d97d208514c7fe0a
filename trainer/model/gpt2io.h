/* gpt2io.h — Hugging Face GPT-2 weights in and out (model.safetensors +
 * config.json), so PMP can start from a pretrained language model and a
 * trained preference model can leave pmp.
 *
 * Names: wte.weight, wpe.weight, h.<l>.{ln_1,attn.c_attn,attn.c_proj,ln_2,
 * mlp.c_fc,mlp.c_proj}.{weight,bias}, ln_f.{weight,bias}, optionally prefixed
 * "transformer." on input. GPT-2's Conv1D matrices are stored [in, out]; ours are
 * [out, in], so they are transposed both ways. The reward head is written as
 * score.weight [1, C] and score.bias [1] (GPT2ForSequenceClassification's
 * score layer, plus the bias our head has). Both sides use LayerNorm eps 1e-5
 * and the tanh GELU ("gelu_new").
 */
#ifndef PMP_GPT2IO_H
#define PMP_GPT2IO_H

#include "pmp_trainer.h"

/* Reads n_layer, n_head, n_embd, n_positions and vocab_size from config.json
 * (vocab_size less the padding row when the file is a PMP_GPT2_HF export: it
 * records pmp_vocab_size). */
int pmp_gpt2_read_config(const char *path, pmp_config *cfg, pmp_err *err);

/* The two layouts export writes:
 *  PMP_GPT2_FILE  the body's names without prefix, score.weight and score.bias:
 *                 what --init reads back exactly;
 *  PMP_GPT2_HF    GPT2ForSequenceClassification's: the body under "transformer.",
 *                 score.weight only, and wte with one more row of zeros, the
 *                 padding token (id V), so that Hugging Face's readout (the last
 *                 token that is not padding) lands on pmp's end-of-context token.
 *                 The score bias is left out: rewards are compared in pairs, so a
 *                 constant cancels; config.json records it (pmp_score_bias). */
typedef enum { PMP_GPT2_FILE, PMP_GPT2_HF } pmp_gpt2_layout;

/* What config.json says about the tokens (PMP_GPT2_HF). */
typedef struct pmp_gpt2_tokens {
    int32_t eoc;          /* end-of-context: eos_token_id, the reward's token */
    int32_t pad;          /* V: the added padding row */
    float score_bias;
} pmp_gpt2_tokens;

/* Appends a config.json for cfg (n_positions = maxT); tok: NULL for PMP_GPT2_FILE. */
void pmp_gpt2_config_json(const pmp_config *cfg, const pmp_gpt2_tokens *tok, pmp_buf *out);

/* Copies the weights of a GPT-2 model.safetensors into m, whose config must
 * match (L, NH, C; V and maxT at most the file's rows: the first V rows of wte
 * and maxT of wpe are used). score.weight/score.bias are loaded when present (*has_head = 1);
 * otherwise the reward head is left as it is. */
int pmp_gpt2_import(pmp_model *m, const char *path, int *has_head, pmp_err *err);

/* Writes m's weights in the layout; the same model always gives the same bytes. */
int pmp_gpt2_export(const pmp_model *m, pmp_gpt2_layout layout, const char *path, pmp_err *err);

#endif

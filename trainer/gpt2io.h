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

/* Reads n_layer, n_head, n_embd, n_positions and vocab_size from config.json. */
int pmp_gpt2_read_config(const char *path, pmp_config *cfg, pmp_err *err);
/* Appends a config.json for cfg (n_positions = maxT). */
void pmp_gpt2_config_json(const pmp_config *cfg, pmp_buf *out);

/* Copies the weights of a GPT-2 model.safetensors into m, whose config must
 * match (L, NH, C, V; maxT at most the file's positions: the first maxT rows of
 * wpe are used). score.weight/score.bias are loaded when present (*has_head = 1);
 * otherwise the reward head is left as it is. */
int pmp_gpt2_import(pmp_model *m, const char *path, int *has_head, pmp_err *err);

/* Writes m's weights under GPT-2 names plus the score head; the same model
 * always gives the same bytes. */
int pmp_gpt2_export(const pmp_model *m, const char *path, pmp_err *err);

#endif

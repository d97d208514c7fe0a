/* gpt2io.c — GPT-2 safetensors import/export (pmp_model.h). */
#include "pmp_model.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_safetensors.h"

static int config_int(json_object *o, const char *key, const char *alt, int *out, pmp_err *err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) && !(alt && json_object_object_get_ex(o, alt, &v)))
        return pmp_err_setc(err, PMP_E_INPUT, "config.json has no \"%s\"", key);
    if (!json_object_is_type(v, json_type_int)) return pmp_err_setc(err, PMP_E_INPUT, "config.json: \"%s\" is not an integer", key);
    /* json_object_get_int would clamp a larger value to INT32_MAX. */
    int64_t x = json_object_get_int64(v);
    if (x < INT_MIN || x > INT_MAX) return pmp_err_setc(err, PMP_E_INPUT, "config.json: \"%s\" is out of range", key);
    *out = (int)x;
    return 0;
}

int pmp_gpt2_read_config(const char *path, pmp_config *cfg, pmp_err *err)
{
    json_object *o = json_object_from_file(path);
    if (!o) return pmp_err_setc(err, PMP_E_INPUT, "%s: cannot read or parse JSON", path);
    int rc = 0;
    memset(cfg, 0, sizeof *cfg);
    if (config_int(o, "n_layer", NULL, &cfg->L, err) < 0 || config_int(o, "n_head", NULL, &cfg->NH, err) < 0 ||
        config_int(o, "n_embd", NULL, &cfg->C, err) < 0 ||
        config_int(o, "n_positions", "n_ctx", &cfg->maxT, err) < 0 ||
        config_int(o, "vocab_size", NULL, &cfg->V, err) < 0)
        rc = pmp_err_prefix(err, "%s", path);
    json_object *v;
    int own = 0;
    if (rc == 0 && json_object_object_get_ex(o, "pmp_vocab_size", &v)) {
        if (config_int(o, "pmp_vocab_size", NULL, &own, err) < 0 || own < 1 || own > cfg->V)
            rc = pmp_err_prefix(err, "%s", path);
        else
            cfg->V = own;
    }
    json_object_put(o);
    if (rc == 0 && pmp_config_check(cfg, err) < 0) rc = pmp_err_prefix(err, "%s", path);
    return rc;
}

void pmp_gpt2_config_json(const pmp_config *c, const pmp_gpt2_tokens *tok, pmp_buf *out)
{
    pmp_jobj j;
    pmp_jobj_begin(&j, out);
    pmp_jobj_array(&j, "architectures");
    pmp_jobj_str(&j, NULL, "GPT2ForSequenceClassification");
    pmp_jobj_close(&j);
    pmp_jobj_str(&j, "model_type", "gpt2");
    pmp_jobj_int(&j, "n_layer", c->L);
    pmp_jobj_int(&j, "n_head", c->NH);
    pmp_jobj_int(&j, "n_embd", c->C);
    pmp_jobj_int(&j, "n_positions", c->maxT);
    pmp_jobj_int(&j, "n_ctx", c->maxT);
    pmp_jobj_int(&j, "vocab_size", tok ? c->V + 1 : c->V);
    pmp_jobj_int(&j, "num_labels", 1);
    pmp_jobj_num(&j, "layer_norm_epsilon", 1e-5);
    pmp_jobj_str(&j, "activation_function", "gelu_new");
    if (tok) {
        pmp_jobj_int(&j, "pad_token_id", tok->pad);
        pmp_jobj_int(&j, "eos_token_id", tok->eoc);
        pmp_jobj_int(&j, "bos_token_id", tok->eoc);
        pmp_jobj_str(&j, "torch_dtype", "float32");
        /* pmp's own keys: the vocabulary without the padding row (so --init reads the
         * directory back), and the left-out bias (pmp reward = this model's + it) */
        pmp_jobj_int(&j, "pmp_vocab_size", c->V);
        pmp_jobj_num(&j, "pmp_score_bias", tok->score_bias);
    }
    pmp_jobj_end(&j);
    pmp_buf_appendc(out, '\n');
}

/* One mapping row: our tensor (by field), the HF name pattern, and whether the
 * per-layer matrix is transposed (Conv1D). rows/cols: our [out, in] shape. */
typedef struct map_row {
    size_t field;        /* offsetof(pmp_params, x) */
    const char *hf;      /* "h.%d.ln_1.weight" or "wte.weight" */
    int per_layer;
    int transpose;
} map_row;

#define F(x) offsetof(pmp_params, x)
static const map_row rows[] = {
    {F(ln1w), "h.%d.ln_1.weight", 1, 0},        {F(ln1b), "h.%d.ln_1.bias", 1, 0},
    {F(qkvw), "h.%d.attn.c_attn.weight", 1, 1}, {F(qkvb), "h.%d.attn.c_attn.bias", 1, 0},
    {F(attprojw), "h.%d.attn.c_proj.weight", 1, 1}, {F(attprojb), "h.%d.attn.c_proj.bias", 1, 0},
    {F(ln2w), "h.%d.ln_2.weight", 1, 0},        {F(ln2b), "h.%d.ln_2.bias", 1, 0},
    {F(fcw), "h.%d.mlp.c_fc.weight", 1, 1},     {F(fcb), "h.%d.mlp.c_fc.bias", 1, 0},
    {F(fcprojw), "h.%d.mlp.c_proj.weight", 1, 1}, {F(fcprojb), "h.%d.mlp.c_proj.bias", 1, 0},
    {F(lnfw), "ln_f.weight", 0, 0},             {F(lnfb), "ln_f.bias", 0, 0},
};
#undef F

static float *field(const pmp_params *p, size_t off)
{
    float *f;
    memcpy(&f, (const char *)p + off, sizeof f);
    return f;
}

/* Our per-layer shape of a mapped tensor: [out, in] for matrices, [n] for vectors. */
static void layer_shape(const pmp_model *m, size_t off, int *rows_out, int *cols_out)
{
    const pmp_config *c = &m->cfg;
    int C = c->C;
    int r = C, k = 1;
    if (off == offsetof(pmp_params, qkvw)) { r = 3 * C; k = C; }
    else if (off == offsetof(pmp_params, qkvb)) r = 3 * C;
    else if (off == offsetof(pmp_params, attprojw)) k = C;
    else if (off == offsetof(pmp_params, fcw)) { r = 4 * C; k = C; }
    else if (off == offsetof(pmp_params, fcb)) r = 4 * C;
    else if (off == offsetof(pmp_params, fcprojw)) k = 4 * C;
    *rows_out = r;
    *cols_out = k;
}

static const pmp_safetensors_tensor *find(const pmp_safetensors *st, const char *name, pmp_buf *tmp)
{
    const pmp_safetensors_tensor *t = pmp_safetensors_find(st, name);
    if (t) return t;
    pmp_buf_clear(tmp);
    pmp_buf_printf(tmp, "transformer.%s", name);
    return pmp_safetensors_find(st, tmp->data);
}

static int load(const pmp_safetensors *st, const char *name, float *dst, uint64_t n, pmp_err *err)
{
    pmp_buf alt = PMP_BUF_INIT;
    const pmp_safetensors_tensor *t = find(st, name, &alt);
    int rc = t ? pmp_safetensors_read_f32(st, t->name, dst, n, err)
               : pmp_err_setc(err, PMP_E_INPUT, "no tensor \"%s\"", name);
    pmp_buf_free(&alt);
    return rc;
}

/* The first `rows` rows of a [>= rows, C] table (wte: a padding row past V; wpe:
 * the model's context may be shorter than the file's). */
static int load_rows(const pmp_safetensors *st, const char *name, float *dst, int rows, int C, pmp_buf *alt,
                     pmp_err *err)
{
    const pmp_safetensors_tensor *t = find(st, name, alt);
    if (!t || t->ndim != 2 || t->shape[1] != C || t->shape[0] < rows)
        return pmp_err_setc(err, PMP_E_INPUT, "%s must be [>= %d, %d]", name, rows, C);
    float *all = pmp_xmalloc(t->numel * sizeof *all);
    int rc = pmp_safetensors_read_f32(st, t->name, all, t->numel, err);
    if (rc == 0) memcpy(dst, all, (size_t)rows * C * sizeof *all);
    free(all);
    return rc;
}

int pmp_gpt2_import(pmp_model *m, const char *path, int *has_head, pmp_err *err)
{
    pmp_safetensors *st;
    if (pmp_safetensors_open(&st, path, err) < 0) return -1;
    const pmp_config *c = &m->cfg;
    const pmp_params *p = &m->params;
    int C = c->C, rc = 0;
    float *tmp = NULL;
    pmp_buf name = PMP_BUF_INIT, alt = PMP_BUF_INIT;
    *has_head = 0;

    rc = load_rows(st, "wte.weight", p->wte, c->V, C, &alt, err);
    if (rc == 0) rc = load_rows(st, "wpe.weight", p->wpe, c->maxT, C, &alt, err);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0] && rc == 0; r++) {
        int nr, nc;
        layer_shape(m, rows[r].field, &nr, &nc);
        size_t per = (size_t)nr * nc;
        tmp = pmp_xrealloc(tmp, per * sizeof *tmp);
        for (int l = 0; l < (rows[r].per_layer ? c->L : 1) && rc == 0; l++) {
            pmp_buf_clear(&name);
            pmp_buf_printf(&name, rows[r].hf, l);
            float *dst = field(p, rows[r].field) + (size_t)l * per;
            if (!rows[r].transpose) {
                rc = load(st, name.data, dst, per, err);
                continue;
            }
            rc = load(st, name.data, tmp, per, err);   /* HF [in=nc, out=nr] */
            for (int i = 0; rc == 0 && i < nr; i++)
                for (int k = 0; k < nc; k++) dst[(size_t)i * nc + k] = tmp[(size_t)k * nr + i];
        }
    }
    if (rc == 0 && find(st, "score.weight", &alt)) {
        rc = load(st, "score.weight", p->rw, (uint64_t)C, err);
        if (rc == 0 && find(st, "score.bias", &alt)) rc = load(st, "score.bias", p->rb, 1, err);
        else if (rc == 0) p->rb[0] = 0;
        *has_head = rc == 0;
    }
    if (rc < 0) pmp_err_prefix(err, "%s", path);
    free(tmp);
    pmp_buf_free(&name);
    pmp_buf_free(&alt);
    pmp_safetensors_close(st);
    return rc;
}

int pmp_gpt2_export(const pmp_model *m, pmp_gpt2_layout layout, const char *path, pmp_err *err)
{
    int hf = layout == PMP_GPT2_HF;
    const char *prefix = hf ? "transformer." : "";
    const pmp_config *c = &m->cfg;
    const pmp_params *p = &m->params;
    int C = c->C;
    /* Transposed copies must live until the write. */
    size_t tsize = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        if (rows[r].transpose) {
            int nr, nc;
            layer_shape(m, rows[r].field, &nr, &nc);
            tsize += (size_t)c->L * nr * nc;
        }
    float *tbuf = pmp_xmalloc((tsize ? tsize : 1) * sizeof *tbuf), *tp = tbuf;
    float *wte = p->wte;
    if (hf) {   /* the padding row */
        wte = pmp_xcalloc((size_t)(c->V + 1) * C, sizeof *wte);
        memcpy(wte, p->wte, (size_t)c->V * C * sizeof *wte);
    }
    pmp_safetensors_writer *w = pmp_safetensors_writer_new();
    pmp_safetensors_writer_metadata(w, "format", "pt");
    pmp_safetensors_writer_metadata(w, "producer", "pmp " PMP_VERSION);
    pmp_buf name = PMP_BUF_INIT;
    int64_t s2[2];
    int rc = 0;
    s2[0] = hf ? c->V + 1 : c->V; s2[1] = C;
    pmp_buf_printf(&name, "%swte.weight", prefix);
    rc = pmp_safetensors_writer_add_f32(w, name.data, s2, 2, wte, err);
    s2[0] = c->maxT;
    pmp_buf_clear(&name);
    pmp_buf_printf(&name, "%swpe.weight", prefix);
    if (rc == 0) rc = pmp_safetensors_writer_add_f32(w, name.data, s2, 2, p->wpe, err);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0] && rc == 0; r++) {
        int nr, nc;
        layer_shape(m, rows[r].field, &nr, &nc);
        size_t per = (size_t)nr * nc;
        for (int l = 0; l < (rows[r].per_layer ? c->L : 1) && rc == 0; l++) {
            pmp_buf_clear(&name);
            pmp_buf_appends(&name, prefix);
            pmp_buf_printf(&name, rows[r].hf, l);
            const float *src = field(p, rows[r].field) + (size_t)l * per;
            if (!rows[r].transpose) {
                int64_t s1 = nr;
                rc = pmp_safetensors_writer_add_f32(w, name.data, &s1, 1, src, err);
                continue;
            }
            for (int i = 0; i < nr; i++)
                for (int k = 0; k < nc; k++) tp[(size_t)k * nr + i] = src[(size_t)i * nc + k];
            int64_t hs[2] = {nc, nr};
            rc = pmp_safetensors_writer_add_f32(w, name.data, hs, 2, tp, err);
            tp += per;
        }
    }
    int64_t sw[2] = {1, C}, sb = 1;
    if (rc == 0) rc = pmp_safetensors_writer_add_f32(w, "score.weight", sw, 2, p->rw, err);
    if (rc == 0 && !hf) rc = pmp_safetensors_writer_add_f32(w, "score.bias", &sb, 1, p->rb, err);
    if (rc == 0) rc = pmp_safetensors_writer_write(w, path, err);
    pmp_safetensors_writer_free(w);
    pmp_buf_free(&name);
    if (wte != p->wte) free(wte);
    free(tbuf);
    return rc;
}

/* export.c — a checkpoint out of pmp (pmp_run_export in pmp_runs.h): the GPT-2
 * safetensors file --init reads back, or a Hugging Face model directory that
 * GPT2ForSequenceClassification loads with the reward where pmp reads it. */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_runs.h"
#include "pmp_bpe.h"
#include "run_internal.h"

int pmp_run_ckpt_tokens(const pmp_ckpt *ck, char **identity, int32_t *eoc, pmp_err *err)
{
    json_object *o = pmp_run_ckpt_section_json(ck, "config"), *v;
    int rc = 0;
    if (!o || !json_object_object_get_ex(o, "tokenizer", &v) || !json_object_is_type(v, json_type_string))
        rc = pmp_err_setc(err, PMP_E_INPUT, "the checkpoint names no tokenizer");
    else
        *identity = pmp_xstrdup(json_object_get_string(v));
    if (rc == 0 && (!json_object_object_get_ex(o, "eoc", &v) || !json_object_is_type(v, json_type_int)))
        rc = pmp_err_setc(err, PMP_E_INPUT, "the checkpoint has no end-of-context token");
    else if (rc == 0)
        *eoc = (int32_t)json_object_get_int64(v);
    if (o) json_object_put(o);
    return rc;
}

int pmp_run_ckpt_reward_stats(const pmp_ckpt *ck, double *mean, double *std, long *step)
{
    json_object *o = pmp_run_ckpt_section_json(ck, "state"), *m, *s, *t;
    int found = o && json_object_object_get_ex(o, "reward_mean", &m) &&
                json_object_object_get_ex(o, "reward_std", &s) &&
                json_object_object_get_ex(o, "reward_stats_step", &t) &&
                (json_object_is_type(m, json_type_double) || json_object_is_type(m, json_type_int)) &&
                (json_object_is_type(s, json_type_double) || json_object_is_type(s, json_type_int)) &&
                json_object_is_type(t, json_type_int);
    if (found) {
        *mean = json_object_get_double(m);
        *std = json_object_get_double(s);
        *step = (long)json_object_get_int64(t);
        found = isfinite(*mean) && isfinite(*std) && *std >= 0;
    }
    if (o) json_object_put(o);
    return found;
}

/* OpenRLHF's normalisation keys, "mean" and "std" (its RewardModel sets them from the
 * evaluation set and divides by them under --normalize_reward), added to a config.json
 * text; std at least 1e-8 as OpenRLHF clamps it. shift: what the exported model's
 * reward differs from pmp's by (the HF head leaves the bias out). */
static void put_reward_stats(pmp_buf *text, const pmp_ckpt *ck, double shift)
{
    double mean, std;
    long step;
    if (pmp_run_ckpt_reward_stats(ck, &mean, &std, &step) != 1) return;
    while (text->len && (text->data[text->len - 1] == '\n' || text->data[text->len - 1] == '}')) {
        int brace = text->data[text->len - 1] == '}';
        text->data[--text->len] = 0;
        if (brace) break;
    }
    pmp_buf_appends(text, ",\"mean\":");
    pmp_json_put_number(text, mean - shift);
    pmp_buf_appends(text, ",\"std\":");
    pmp_json_put_number(text, std > 1e-8 ? std : 1e-8);
    pmp_buf_printf(text, ",\"pmp_reward_stats_step\":%ld}\n", step);
}

/* --data DIR of the run's args.json (the last one given; its :WEIGHT left off: every
 * source of a run has the same tokenizer). */
static char *run_data_dir(const char *ckpt)
{
    char **argv;
    int argc;
    pmp_err ignored;
    if (pmp_run_load_args(ckpt, &argv, &argc, &ignored) <= 0) return NULL;
    char *dir = NULL;
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--data")) {
            free(dir);
            double w;
            if (pmp_run_parse_data(argv[i + 1], &dir, &w) < 0) dir = pmp_xstrdup(argv[i + 1]);
        }
    pmp_run_free_args(argv, argc);
    return dir;
}

int pmp_run_ckpt_tokenizer(const char *ckpt, const char *tokenizer, const char *data_dir, const char *identity,
                           pmp_bpe **bpe, pmp_manifest_policy *policy, pmp_err *err)
{
    if (policy) memset(policy, 0, sizeof *policy);
    if (tokenizer) {
        if (pmp_bpe_load(bpe, tokenizer, NULL, err) < 0) return -1;
    } else {
        char *data = data_dir ? pmp_xstrdup(data_dir) : run_data_dir(ckpt);
        if (!data)
            return pmp_err_setc(err, PMP_E_USAGE, "%s: which tokenizer? (the run's args.json names no "
                                "--data: give --tokenizer FILE or --data DIR)", ckpt);
        pmp_loader *l;
        int rc = pmp_loader_open(&l, data, err);
        if (rc == 0) {
            rc = pmp_bpe_load_for_manifest(bpe, pmp_loader_manifest(l), NULL, NULL, err);
            if (policy) *policy = pmp_loader_manifest(l)->policy;
            pmp_loader_close(l);
        }
        if (rc < 0) pmp_err_prefix(err, "the tokenizer of the data %s (or give --tokenizer FILE)", data);
        free(data);
        if (rc < 0) return -1;
    }
    if (strcmp(pmp_bpe_identity(*bpe), identity) != 0) {
        pmp_err_setc(err, PMP_E_MISMATCH, "the tokenizer %s is not the checkpoint's (%s)", pmp_bpe_identity(*bpe),
                     identity);
        pmp_bpe_free(*bpe);
        *bpe = NULL;
        return -1;
    }
    return 0;
}

static int write_text(const char *dir, const char *name, const pmp_buf *text, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    if (dir) pmp_buf_printf(&path, "%s/%s", dir, name);
    else pmp_buf_appends(&path, name);
    int rc = pmp_write_file_durable(path.data, text->data, text->len, err);
    pmp_buf_free(&path);
    return rc;
}

/* The Hugging Face directory: the weights last, so a directory with
 * model.safetensors has everything else already. */
static int export_dir(const pmp_model *m, const pmp_ckpt *ck, const pmp_bpe *bpe, int32_t eoc, const char *dir,
                      pmp_err *err)
{
    const pmp_config *c = &m->cfg;
    if (pmp_mkdir_p(dir, err) < 0) return -1;
    pmp_gpt2_tokens tok = {eoc, c->V, m->params.rb[0]};
    pmp_buf text = PMP_BUF_INIT, path = PMP_BUF_INIT;
    pmp_gpt2_config_json(c, &tok, &text);
    put_reward_stats(&text, ck, m->params.rb[0]);
    int rc = write_text(dir, "config.json", &text, err);

    /* the end-of-context token's text: the tokenizer's special, or the id pmp added */
    const char *texts[2];
    uint32_t ids[2];
    size_t n = 0;
    const char *eoc_text = "<|endoftext|>";
    if ((uint32_t)eoc >= pmp_bpe_vocab_size(bpe)) {
        texts[n] = eoc_text;
        ids[n++] = (uint32_t)eoc;
    }
    texts[n] = "<|pad|>";
    ids[n++] = (uint32_t)c->V;
    for (size_t i = 0; i < pmp_bpe_n_specials(bpe); i++) {
        uint32_t id;
        const char *t = pmp_bpe_special(bpe, i, &id);
        if (id == (uint32_t)eoc) eoc_text = t;
    }
    pmp_bpe_json_extra extra = {texts, ids, n, eoc};
    pmp_buf_printf(&path, "%s/tokenizer.json", dir);
    if (rc == 0) rc = pmp_bpe_save_json_extra(bpe, &extra, path.data, err);

    pmp_buf_clear(&text);
    pmp_jobj j;
    pmp_jobj_begin(&j, &text);
    pmp_jobj_str(&j, "tokenizer_class", "PreTrainedTokenizerFast");
    pmp_jobj_str(&j, "eos_token", eoc_text);
    pmp_jobj_str(&j, "bos_token", eoc_text);
    pmp_jobj_str(&j, "pad_token", "<|pad|>");
    pmp_jobj_str(&j, "padding_side", "right");
    pmp_jobj_int(&j, "model_max_length", c->maxT);
    pmp_jobj_end(&j);
    pmp_buf_appendc(&text, '\n');
    if (rc == 0) rc = write_text(dir, "tokenizer_config.json", &text, err);

    pmp_buf_clear(&path);
    pmp_buf_printf(&path, "%s/model.safetensors", dir);
    if (rc == 0) rc = pmp_gpt2_export(m, PMP_GPT2_HF, path.data, err);
    pmp_buf_free(&text);
    pmp_buf_free(&path);
    return rc;
}

/* The file and its config.json (beside it unless config_out says where). */
static int export_file(const pmp_model *m, const pmp_ckpt *ck, const char *out, const char *config_out,
                       pmp_err *err)
{
    pmp_buf cpath = PMP_BUF_INIT, text = PMP_BUF_INIT;
    if (config_out) {
        pmp_buf_appends(&cpath, config_out);
    } else {
        const char *slash = strrchr(out, '/');
        if (slash) pmp_buf_append(&cpath, out, (size_t)(slash - out + 1));
        pmp_buf_appends(&cpath, "config.json");
    }
    pmp_gpt2_config_json(&m->cfg, NULL, &text);
    put_reward_stats(&text, ck, 0.0);
    int rc = write_text(NULL, cpath.data, &text, err);
    if (rc == 0) rc = pmp_gpt2_export(m, PMP_GPT2_FILE, out, err);
    pmp_buf_free(&cpath);
    pmp_buf_free(&text);
    return rc;
}

int pmp_run_export(const char *ckpt, const char *out, const pmp_export_opts *x, int *hf_dir, pmp_err *err)
{
    static const pmp_export_opts none;
    if (!x) x = &none;
    int dir = !pmp_str_ends_with(out, ".safetensors");
    if (hf_dir) *hf_dir = dir;
    pmp_ckpt *ck;
    if (pmp_run_open_run_ckpt(ckpt, &ck, x->pick, err) < 0) return -1;
    pmp_config cfg;
    pmp_model m;
    pmp_rng rng;
    pmp_rng_seed(&rng, 0);
    pmp_bpe *bpe = NULL;
    char *identity = NULL;
    int32_t eoc = -1;
    int rc = pmp_run_ckpt_config(ck, &cfg, err);
    if (rc == 0 && dir) rc = pmp_run_ckpt_tokens(ck, &identity, &eoc, err);
    if (rc == 0 && dir) rc = pmp_run_ckpt_tokenizer(ckpt, x->tokenizer, x->data_dir, identity, &bpe, NULL, err);
    int ready = 0;
    if (rc == 0) rc = pmp_model_init(&m, &cfg, &rng, err);
    if (rc == 0) {
        ready = 1;
        rc = pmp_run_ckpt_load_params(ck, &m, err);
    }
    if (rc == 0) rc = dir ? export_dir(&m, ck, bpe, eoc, out, err) : export_file(&m, ck, out, x->config_out, err);
    if (ready) pmp_model_free(&m);
    if (bpe) pmp_bpe_free(bpe);
    free(identity);
    pmp_ckpt_close(ck);
    return rc;
}

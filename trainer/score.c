/* score.c — rewards of a trained model on the pairs of a shard directory
 * (pmp_run_score in pmp_trainer.h). */
#include <string.h>

#include "run_internal.h"

int pmp_run_score(const char *ckpt, const char *data_dir, const char *tokenizer, long max_pairs,
                  int with_tokens, FILE *out, pmp_err *err)
{
    run_ctx r;
    memset(&r, 0, sizeof r);
    pmp_ckpt *ck = NULL;
    pmp_config cfg;
    int rc = pmp_loader_open(&r.train, data_dir, err);
    if (rc == 0 && pmp_loader_is_text(r.train))
        rc = pmp_err_setc(err, PMP_E_USAGE, "%s holds text documents (pmp-tokenize --text), not pairs "
                          "to score", data_dir);
    if (rc == 0) rc = pmp_run_setup_tokens(&r, tokenizer, err);
    if (rc == 0) rc = pmp_run_open_init_ckpt(ckpt, &ck, NULL, err);
    if (rc == 0) rc = pmp_run_ckpt_config(ck, &cfg, err);
    if (rc == 0 && cfg.V != r.V)
        rc = pmp_err_set(err, "%s: vocabulary %d, but the data's tokenizer gives %d", ckpt, cfg.V, r.V);
    pmp_rng_seed(&r.rng, 0);
    if (rc == 0) rc = pmp_model_init(&r.model, &cfg, &r.rng, err);
    if (rc == 0) {
        r.model_ready = 1;
        rc = pmp_run_ckpt_load_params(ck, &r.model, err);
    }
    pmp_ckpt_close(ck);
    uint64_t n = pmp_loader_pairs(r.train);
    if (max_pairs > 0 && (uint64_t)max_pairs < n) n = (uint64_t)max_pairs;
    pmp_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.objective = PMP_OBJ_RANK;
    bo.eoc = r.eoc;
    bo.maxT = cfg.maxT;
    bo.V = cfg.V;
    pmp_loss_opts lo = pmp_loss_for(PMP_OBJ_RANK, 0);
    pmp_batch b;
    pmp_batch_init(&b);
    pmp_buf line = PMP_BUF_INIT;
    for (uint64_t k = 0; k < n && rc == 0; k++) {
        pmp_pair_view v;
        pmp_batch_clear(&b);
        rc = pmp_loader_get(r.train, k, &v, err);
        if (rc == 0)
            rc = pmp_batch_add_pair(&b, &bo, v.ctx, v.n_ctx, v.better, v.n_better, v.worse, v.n_worse, err);
        if (rc == 0) rc = pmp_model_forward(&r.model, &b, &lo, err);
        if (rc < 0) break;
        pmp_buf_clear(&line);
        pmp_jobj j;
        pmp_jobj_begin(&j, &line);
        pmp_jobj_u64(&j, "pair", k);
        pmp_jobj_strn(&j, "group", v.group_id, v.group_id_len);
        if (v.better_id_len) pmp_jobj_strn(&j, "better_id", v.better_id, v.better_id_len);
        else pmp_jobj_null(&j, "better_id");
        if (v.worse_id_len) pmp_jobj_strn(&j, "worse_id", v.worse_id, v.worse_id_len);
        else pmp_jobj_null(&j, "worse_id");
        pmp_jobj_u64(&j, "better_index", v.better_index);
        pmp_jobj_u64(&j, "worse_index", v.worse_index);
        pmp_jobj_num(&j, "better", r.model.rewards[0]);
        pmp_jobj_num(&j, "worse", r.model.rewards[1]);
        if (with_tokens) {
            for (int s = 0; s < 2; s++) {
                pmp_jobj_array(&j, s ? "worse_tokens" : "better_tokens");
                for (int t = b.seq_start[s]; t < b.seq_start[s + 1]; t++) pmp_jobj_int(&j, NULL, b.tokens[t]);
                pmp_jobj_close(&j);
            }
        }
        pmp_jobj_end(&j);
        pmp_buf_appendc(&line, '\n');
        if (fwrite(line.data, 1, line.len, out) != line.len) rc = pmp_err_set(err, "write error on the output");
    }
    pmp_buf_free(&line);
    pmp_batch_free(&b);
    pmp_run_free(&r);
    return rc < 0 ? -1 : 0;
}

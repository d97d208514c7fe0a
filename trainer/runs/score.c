/* score.c — rewards of a trained model: on the pairs of a shard directory
 * (pmp_run_score), or on the responses of group records (pmp_run_score_text). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_bpe.h"
#include "pmp_group.h"
#include "run_internal.h"

/* --normalize: the checkpoint's recorded reward mean and std (OpenRLHF's
 * (r - mean) / std, std at least 1e-8), or a usage error when it has none. */
static int normalizer(const pmp_ckpt *ck, const char *ckpt, double *mean, double *std, pmp_err *err)
{
    long step;
    if (pmp_run_ckpt_reward_stats(ck, mean, std, &step) != 1)
        return pmp_err_setc(err, PMP_E_USAGE, "%s records no reward mean and std: they come from an "
                            "evaluation (train with --eval), so --normalize has nothing to divide by", ckpt);
    if (*std < 1e-8) *std = 1e-8;
    return 0;
}

int pmp_run_score(const char *ckpt, const char *data_dir, const char *tokenizer, long max_pairs,
                  int with_tokens, int normalize, FILE *out, pmp_ckpt_pick *pick, pmp_err *err)
{
    double mean = 0.0, std = 1.0;
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.lock_fd = -1;
    pmp_ckpt *ck = NULL;
    pmp_config cfg;
    int rc = pmp_loader_open(&r.train, data_dir, err);
    if (rc == 0 && pmp_loader_is_text(r.train))
        rc = pmp_err_setc(err, PMP_E_USAGE, "%s holds text documents (pmp-tokenize --text), not pairs "
                          "to score", data_dir);
    if (rc == 0) rc = pmp_run_setup_tokens(&r, tokenizer, err);
    if (rc == 0) rc = pmp_run_open_run_ckpt(ckpt, &ck, pick, err);
    if (rc == 0) rc = pmp_run_ckpt_config(ck, &cfg, err);
    if (rc == 0 && normalize) rc = normalizer(ck, ckpt, &mean, &std, err);
    if (rc == 0 && cfg.V != r.V)
        rc = pmp_err_setc(err, PMP_E_MISMATCH, "%s: vocabulary %d, but the data's tokenizer gives %d", ckpt, cfg.V, r.V);
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
        pmp_jobj_num(&j, "better", (r.model.rewards[0] - mean) / std);
        pmp_jobj_num(&j, "worse", (r.model.rewards[1] - mean) / std);
        if (with_tokens) {
            for (int s = 0; s < 2; s++) {
                pmp_jobj_array(&j, s ? "worse_tokens" : "better_tokens");
                for (int t = b.seq_start[s]; t < b.seq_start[s + 1]; t++) pmp_jobj_int(&j, NULL, b.tokens[t]);
                pmp_jobj_close(&j);
            }
        }
        pmp_jobj_end(&j);
        pmp_buf_appendc(&line, '\n');
        if (fwrite(line.data, 1, line.len, out) != line.len) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "write error on the output");
    }
    pmp_buf_free(&line);
    pmp_batch_free(&b);
    pmp_run_free(&r);
    return rc < 0 ? -1 : 0;
}

/* ---------- groups JSONL in, rewards out ---------- */

static int32_t *to_i32(const pmp_ids *ids, uint64_t keep_from, uint64_t keep, int32_t *buf)
{
    for (uint64_t i = 0; i < keep; i++) buf[i] = (int32_t)ids->data[keep_from + i];
    return buf;
}

int pmp_run_score_text(const char *ckpt, const char *groups, const pmp_score_text_opts *x, FILE *out,
                       pmp_err *err)
{
    pmp_ckpt *ck = NULL;
    pmp_config cfg;
    pmp_model m;
    int ready = 0;
    char *identity = NULL;
    int32_t eoc = -1;
    pmp_bpe *bpe = NULL;
    pmp_manifest_policy cuts;
    pmp_group_reader *rd = NULL;
    int rc = pmp_run_open_run_ckpt(ckpt, &ck, x->pick, err);
    if (rc == 0) rc = pmp_run_ckpt_config(ck, &cfg, err);
    double mean = 0.0, std = 1.0;
    if (rc == 0) rc = pmp_run_ckpt_tokens(ck, &identity, &eoc, err);
    if (rc == 0 && x->normalize) rc = normalizer(ck, ckpt, &mean, &std, err);
    if (rc == 0) rc = pmp_run_ckpt_tokenizer(ckpt, x->tokenizer, x->data_dir, identity, &bpe, &cuts, err);
    if (rc == 0) {
        if (x->max_context_tokens >= 0) cuts.max_context_tokens = (uint64_t)x->max_context_tokens;
        if (x->max_response_tokens >= 0) cuts.max_response_tokens = (uint64_t)x->max_response_tokens;
    }
    pmp_rng rng;
    pmp_rng_seed(&rng, 0);
    if (rc == 0) rc = pmp_model_init(&m, &cfg, &rng, err);
    if (rc == 0) {
        ready = 1;
        rc = pmp_run_ckpt_load_params(ck, &m, err);
    }
    if (ck) pmp_ckpt_close(ck);
    if (rc == 0) rc = pmp_group_reader_open(&rd, groups, 0, err);

    pmp_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.objective = PMP_OBJ_RANK;
    bo.eoc = eoc;
    bo.maxT = cfg.maxT;
    bo.V = cfg.V;
    bo.share_context = 1;   /* the second (identical) sequence costs one token */
    pmp_loss_opts lo = pmp_loss_for(PMP_OBJ_RANK, 0);
    pmp_batch b;
    pmp_batch_init(&b);
    pmp_group g;
    pmp_group_init(&g);
    pmp_bpe_scratch *sc = bpe ? pmp_bpe_scratch_new(bpe) : NULL;
    pmp_ids ctx = PMP_IDS_INIT, resp = PMP_IDS_INIT;
    int32_t *cbuf = NULL, *rbuf = NULL;
    pmp_buf line = PMP_BUF_INIT;
    uint64_t n_groups = 0, n_resp = 0;
    while (rc == 0) {
        int got = pmp_group_reader_next(rd, &g, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        pmp_ids_clear(&ctx);
        rc = pmp_bpe_encode(bpe, sc, g.context, g.context_len, 0, &ctx, err);
        uint64_t nc = ctx.len, c0 = 0;
        if (cuts.max_context_tokens && nc > cuts.max_context_tokens) {   /* pmp-tokenize's rule */
            c0 = nc - cuts.max_context_tokens;
            nc = cuts.max_context_tokens;
        }
        cbuf = pmp_xrealloc(cbuf, (nc + 1) * sizeof *cbuf);
        to_i32(&ctx, c0, nc, cbuf);
        pmp_buf_clear(&line);
        pmp_jobj j;
        pmp_jobj_begin(&j, &line);
        pmp_jobj_str(&j, "group", g.id);
        pmp_jobj_str(&j, "source", g.source);
        /* the whole group in one forward: each response paired with itself, so its
         * context is cut to fit it, as a pair's is cut to fit its longer response
         * (the copy shares all but its last token: one token more) */
        pmp_batch_clear(&b);
        for (size_t i = 0; i < g.n_responses && rc == 0; i++) {
            pmp_ids_clear(&resp);
            rc = pmp_bpe_encode(bpe, sc, g.responses[i].text, g.responses[i].text_len, 0, &resp, err);
            uint64_t nr = resp.len;
            if (cuts.max_response_tokens && nr > cuts.max_response_tokens) nr = cuts.max_response_tokens;
            rbuf = pmp_xrealloc(rbuf, (nr + 1) * sizeof *rbuf);
            to_i32(&resp, 0, nr, rbuf);
            if (rc == 0) rc = pmp_batch_add_pair(&b, &bo, cbuf, (int)nc, rbuf, (int)nr, rbuf, (int)nr, err);
        }
        if (rc == 0 && g.n_responses) rc = pmp_model_forward(&m, &b, &lo, err);
        pmp_jobj_array(&j, "rewards");
        for (size_t i = 0; i < g.n_responses && rc == 0; i++) pmp_jobj_num(&j, NULL, (m.rewards[2 * i] - mean) / std);
        pmp_jobj_close(&j);
        pmp_jobj_array(&j, "ids");
        for (size_t i = 0; i < g.n_responses; i++) {
            if (g.responses[i].id) pmp_jobj_str(&j, NULL, g.responses[i].id);
            else pmp_jobj_null(&j, NULL);
        }
        pmp_jobj_close(&j);
        pmp_jobj_end(&j);
        pmp_buf_appendc(&line, '\n');
        if (rc < 0) {
            pmp_err_prefix(err, "%s:%llu", groups, (unsigned long long)pmp_group_reader_line(rd));
            break;
        }
        if (fwrite(line.data, 1, line.len, out) != line.len) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "write error on the output");
        n_groups++;
        n_resp += g.n_responses;
    }
    if (x->groups_out) *x->groups_out = n_groups;
    if (x->responses_out) *x->responses_out = n_resp;
    pmp_buf_free(&line);
    free(cbuf);
    free(rbuf);
    pmp_ids_free(&ctx);
    pmp_ids_free(&resp);
    if (sc) pmp_bpe_scratch_free(sc);
    pmp_group_clear(&g);
    pmp_batch_free(&b);
    if (rd) pmp_group_reader_close(rd);
    if (bpe) pmp_bpe_free(bpe);
    if (ready) pmp_model_free(&m);
    free(identity);
    return rc < 0 ? -1 : 0;
}

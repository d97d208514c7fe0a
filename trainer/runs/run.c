/* run.c — the training loop over shards, with evaluation, log and exact resume
 * (pmp_runs.h). Checkpoint sections: docs/checkpoint.md. */
#include "pmp_runs.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pmp_bpe.h"
#include "pmp_ckpt.h"
#include "loader.h"
#include "pmp_tfevents.h"
#include "run_internal.h"

void pmp_run_opts_default(pmp_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->objective = PMP_OBJ_RANK;
    o->steps = 1000;
    o->batch_pairs = 8;
    o->micro_batches = 1;
    o->lr = 3e-4f;
    o->min_lr = 0;
    o->weight_decay = 0.1f;
    o->clip = 1.0f;
    o->warmup = -1;            /* default: 5% of the steps */
    o->model = "tiny";
    o->seed = 1;
    o->ckpt_every = 100;
    o->keep = 3;
    o->eval_pairs = 0;
}

/* ---------- the tokens a run needs from its tokenizer ---------- */

/* End-of-context token: the tokenizer's <|endoftext|>, or, when it has none, one
 * extra id past its vocabulary (the model's V grows by one). The binarised
 * view's labels are the literal texts "GOOD:" and "BAD:" encoded by the
 * tokenizer (docs/train.md): they work with any vocabulary, GPT-2's included. */
int pmp_run_setup_tokens(run_ctx *r, const char *tokenizer, pmp_err *err)
{
    pmp_bpe *bpe;
    if (pmp_bpe_load_for_manifest(&bpe, pmp_loader_manifest(r->train), tokenizer, NULL, err) < 0)
        return err->code == PMP_E_MISMATCH
                   ? -1
                   : pmp_err_prefix(err, "loading the data's tokenizer (give it with --tokenizer)");
    int rc = 0;
    {
        r->tok_identity = pmp_xstrdup(pmp_bpe_identity(bpe));
        r->vocab = (int)pmp_bpe_vocab_size(bpe);
        int64_t eot = pmp_bpe_special_id(bpe, "<|endoftext|>");
        r->eoc = eot >= 0 ? (int32_t)eot : r->vocab;
        r->V = eot >= 0 ? r->vocab : r->vocab + 1;
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(bpe);
        pmp_ids g = PMP_IDS_INIT, b = PMP_IDS_INIT;
        rc = pmp_bpe_encode(bpe, s, "GOOD:", 5, 0, &g, err);
        if (rc == 0) rc = pmp_bpe_encode(bpe, s, "BAD:", 4, 0, &b, err);
        r->good = pmp_xmalloc((g.len + 1) * sizeof *r->good);
        r->bad = pmp_xmalloc((b.len + 1) * sizeof *r->bad);
        for (size_t i = 0; i < g.len; i++) r->good[i] = (int32_t)g.data[i];
        for (size_t i = 0; i < b.len; i++) r->bad[i] = (int32_t)b.data[i];
        r->n_good = (int)g.len;
        r->n_bad = (int)b.len;
        pmp_ids_free(&g);
        pmp_ids_free(&b);
        pmp_bpe_scratch_free(s);
    }
    pmp_bpe_free(bpe);
    return rc;
}

static pmp_batch_opts batch_opts(const run_ctx *r, const pmp_run_opts *o, int eval)
{
    pmp_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    /* An LM is evaluated like imitation: a pair by its responses' mean log-probability. */
    bo.objective = eval && o->objective == PMP_OBJ_LM ? PMP_OBJ_IMITATION : o->objective;
    bo.binarize = o->binarize;
    bo.lm_targets = o->objective == PMP_OBJ_RANK && o->lm_coef > 0;
    bo.eval = eval;
    bo.share_context = 1;   /* same results, fewer tokens (pmp_model.h) */
    bo.eoc = r->eoc;
    bo.good_prefix = r->good;
    bo.bad_prefix = r->bad;
    bo.n_good_prefix = r->n_good;
    bo.n_bad_prefix = r->n_bad;
    bo.maxT = r->model.cfg.maxT;
    bo.V = r->model.cfg.V;
    return bo;
}

/* ---------- model set-up: preset, checkpoint or GPT-2 ---------- */

/* --init as GPT-2 weights: a .safetensors file, or a model directory (pmp-train
 * export's) holding model.safetensors and no checkpoints; *path = the weights. */
static int init_weights_file(const char *init, pmp_buf *path)
{
    if (pmp_str_ends_with(init, ".safetensors")) {
        pmp_buf_appends(path, init);
        return 1;
    }
    struct stat st;
    pmp_buf probe = PMP_BUF_INIT;
    pmp_buf_printf(&probe, "%s/checkpoints", init);
    int has_ckpts = stat(probe.data, &st) == 0;
    pmp_buf_clear(&probe);
    pmp_buf_printf(&probe, "%s/model.safetensors", init);
    int is_dir = !has_ckpts && stat(probe.data, &st) == 0 && S_ISREG(st.st_mode);
    if (is_dir) pmp_buf_appends(path, probe.data);
    pmp_buf_free(&probe);
    return is_dir;
}

static int init_model_with(run_ctx *r, const pmp_run_opts *o, pmp_buf *weights_buf, pmp_err *err)
{
    pmp_config cfg;
    int from_gpt2 = o->init && init_weights_file(o->init, weights_buf);
    const char *wpath = weights_buf->data;
    pmp_ckpt *init_ck = NULL;
    long init_step = -1;
    if (from_gpt2) {
        pmp_buf cpath = PMP_BUF_INIT;
        if (o->init_config) {
            pmp_buf_appends(&cpath, o->init_config);
        } else {
            const char *slash = strrchr(wpath, '/');
            if (slash) pmp_buf_append(&cpath, wpath, (size_t)(slash - wpath + 1));
            pmp_buf_appends(&cpath, "config.json");
        }
        int rc = pmp_gpt2_read_config(cpath.data, &cfg, err);
        if (rc < 0 && !o->init_config)
            pmp_err_prefix(err, "--init %s takes its architecture from the config.json beside it "
                           "(or give --init-config FILE)", o->init);
        pmp_buf_free(&cpath);
        if (rc < 0) {
            return -1;
        }
        if (cfg.V != r->V) {
            return pmp_err_setc(err, PMP_E_MISMATCH, "%s: vocabulary %d, but the data's tokenizer gives %d", o->init, cfg.V, r->V);
        }
        if (o->context) {
            if (o->context > cfg.maxT) return pmp_err_setc(err, PMP_E_USAGE, "--context %d exceeds the model's %d", o->context, cfg.maxT);
            cfg.maxT = o->context;
        }
    } else if (o->init) {
        /* a damaged newest checkpoint of the --init run is passed over, and said */
        if (pmp_run_open_init_ckpt(o->init, &init_ck, &init_step, o->warn, o->ctx, err) < 0) return -1;
        if (pmp_run_ckpt_config(init_ck, &cfg, err) < 0) {
            pmp_ckpt_close(init_ck);
            return pmp_err_prefix(err, "%s", o->init);
        }
        if (cfg.V != r->V) {
            pmp_ckpt_close(init_ck);
            return pmp_err_setc(err, PMP_E_MISMATCH, "%s: vocabulary %d, but the data's tokenizer gives %d", o->init, cfg.V, r->V);
        }
    } else if (o->model) {
        if (pmp_config_preset(o->model, r->V, o->context, &cfg, err) < 0) return -1;
    } else {
        cfg = o->cfg;
        cfg.V = r->V;
        if (pmp_config_check(&cfg, err) < 0) return -1;
    }
    if (o->init && o->shape_given) {
        /* the architecture comes from the init: a shape flag may only repeat it */
        pmp_config want = o->cfg;
        if (o->model && pmp_config_preset(o->model, r->V, o->context, &want, err) < 0) {
            pmp_ckpt_close(init_ck);
            return -1;
        }
        int ctx_ok = from_gpt2 ? 1 : (!want.maxT || want.maxT == cfg.maxT);
        if (want.L != cfg.L || want.NH != cfg.NH || want.C != cfg.C || !ctx_ok) {
            pmp_ckpt_close(init_ck);
            return pmp_err_setc(err, PMP_E_USAGE, "--init %s has %d layers, %d heads, width %d, context %d "
                                "and the run takes its architecture from it; %s asks for %d, %d, %d, %d "
                                "(leave the shape flags out with --init)", o->init, cfg.L, cfg.NH, cfg.C,
                                cfg.maxT, o->model ? o->model : "--layers/--heads/--width/--context",
                                want.L, want.NH, want.C, want.maxT);
        }
    }
    if (o->init && o->note) {
        pmp_buf m = PMP_BUF_INIT;
        pmp_buf_printf(&m, "initialised from %s", o->init);
        if (init_step >= 0) pmp_buf_printf(&m, " (its checkpoint of step %ld)", init_step);
        pmp_buf_printf(&m, "%s: %d layers, %d heads, width %d, context %d (the "
                       "architecture comes from it)%s", from_gpt2 ? " (GPT-2 weights)" : "",
                       cfg.L, cfg.NH, cfg.C, cfg.maxT, o->reset_head ? ", new reward head" : "");
        o->note(o->ctx, m.data);
        pmp_buf_free(&m);
    }
    pmp_rng_seed(&r->rng, o->seed);
    if (pmp_model_init(&r->model, &cfg, &r->rng, err) < 0) {
        pmp_ckpt_close(init_ck);
        return -1;
    }
    r->model_ready = 1;
    int rc = 0;
    if (from_gpt2) {
        int has_head;
        rc = pmp_gpt2_import(&r->model, wpath, &has_head, err);
    } else if (init_ck) {
        rc = pmp_run_ckpt_load_params(init_ck, &r->model, err);
        pmp_ckpt_close(init_ck);
    }
    if (rc == 0 && o->reset_head) {
        for (int i = 0; i < cfg.C; i++) r->model.params.rw[i] = 0.02f * pmp_rng_normal(&r->rng);
        r->model.params.rb[0] = 0;
    }
    return rc;
}

static int init_model(run_ctx *r, const pmp_run_opts *o, pmp_err *err)
{
    pmp_buf weights = PMP_BUF_INIT;
    int rc = init_model_with(r, o, &weights, err);
    pmp_buf_free(&weights);
    return rc;
}

/* ---------- evaluation ---------- */

/* The LM's held-out loss: the first n eval pairs as the text it trains on, the mean
 * over every target token (not over chunks, whose token counts differ). */
static int evaluate_lm_text(run_ctx *r, const pmp_run_opts *o, uint64_t n, int chunk,
                            pmp_eval_result *res, pmp_err *err)
{
    pmp_batch_opts bo = batch_opts(r, o, 0);
    pmp_loss_opts lo = pmp_loss_for(PMP_OBJ_LM, 0);
    pmp_batch b;
    pmp_batch_init(&b);
    double sum = 0.0;
    int rc = 0;
    for (uint64_t k0 = 0; k0 < n && rc == 0; k0 += (uint64_t)chunk) {
        pmp_batch_clear(&b);
        for (uint64_t k = k0; k < n && k < k0 + (uint64_t)chunk && rc == 0; k++) {
            pmp_pair_view v;
            rc = pmp_loader_get(r->eval, k, &v, err);
            if (rc == 0) rc = pmp_batch_add_text(&b, &bo, v.ctx, v.n_ctx + v.n_better, err);
        }
        if (rc == 0 && b.NT > 0) rc = pmp_model_forward(&r->model, &b, &lo, err);
        if (rc == 0 && b.NT > 0) {
            sum += r->model.loss.lm * (double)b.NT;
            res->lm_tokens += (uint64_t)b.NT;
        }
    }
    pmp_batch_free(&b);
    if (rc < 0) return pmp_err_prefix(err, "evaluation (lm text)");
    res->lm_loss = res->lm_tokens ? sum / (double)res->lm_tokens : 0.0;
    return 0;
}

static int pmp_run_evaluate(run_ctx *r, const pmp_run_opts *o, pmp_eval_result *res, pmp_err *err)
{
    free(res->margins);   /* an earlier evaluation's */
    memset(res, 0, sizeof *res);
    uint64_t n = pmp_loader_pairs(r->eval);
    if (o->eval_pairs > 0 && (uint64_t)o->eval_pairs < n) n = (uint64_t)o->eval_pairs;
    if (o->keep_margins && !pmp_loader_is_text(r->eval))
        res->margins = pmp_xmalloc((size_t)(n ? n : 1) * sizeof *res->margins);
    int chunk = o->batch_pairs > 0 ? o->batch_pairs : 8;
    /* text documents have no pairs to rank: the LM's held-out loss is all there is */
    if (pmp_loader_is_text(r->eval)) return evaluate_lm_text(r, o, n, chunk, res, err);
    pmp_batch_opts bo = batch_opts(r, o, 1);
    int by_logprob = o->objective == PMP_OBJ_IMITATION || o->objective == PMP_OBJ_LM;
    pmp_loss_opts lo = pmp_loss_for(by_logprob ? PMP_OBJ_IMITATION : o->objective, o->lm_coef);
    pmp_batch b;
    pmp_batch_init(&b);
    double bins_n[10] = {0}, bins_p[10] = {0}, bins_c[10] = {0}, diff_sq = 0.0;
    double r_sum = 0.0, r_sq = 0.0;
    int rc = 0;
    uint32_t *len_b = pmp_xmalloc((size_t)chunk * sizeof *len_b), *len_w = pmp_xmalloc((size_t)chunk * sizeof *len_w);
    for (uint64_t k0 = 0; k0 < n && rc == 0; k0 += (uint64_t)chunk) {
        pmp_batch_clear(&b);
        int m = 0;
        for (uint64_t k = k0; k < n && k < k0 + (uint64_t)chunk && rc == 0; k++, m++) {
            pmp_pair_view v;
            rc = pmp_loader_get(r->eval, k, &v, err);
            if (rc == 0)
                rc = pmp_batch_add_pair(&b, &bo, v.ctx, v.n_ctx, v.better, v.n_better, v.worse,
                                        v.n_worse, err);
            len_b[m] = v.orig_better;
            len_w[m] = v.orig_worse;
        }
        if (rc == 0) rc = pmp_model_forward(&r->model, &b, &lo, err);
        for (int i = 0; i < m && rc == 0; i++) {
            int sb, sw;
            pmp_batch_judged_pair(&b, o->binarize && !by_logprob, i, &sb, &sw);
            const float *score = by_logprob ? r->model.seq_logprob : r->model.rewards;
            double d = (double)score[sb] - (double)score[sw];
            if (!by_logprob) {
                for (int e = 0; e < 2; e++) {
                    double x = score[e ? sw : sb];
                    if (!res->reward_n || x < res->reward_min) res->reward_min = x;
                    if (!res->reward_n || x > res->reward_max) res->reward_max = x;
                    r_sum += x;
                    r_sq += x * x;
                    res->reward_n++;
                }
            }
            /* Calibration of the side the model favours: it says "this one is better"
             * with probability sigmoid(|d|) and is right when d > 0. */
            double p = 1.0 / (1.0 + exp(-fabs(d)));
            /* a tie is half right, as a length tie is in both baselines */
            double right = d > 0 ? 1.0 : d == 0 ? 0.5 : 0.0;
            if (res->margins) res->margins[res->pairs] = (float)d;
            res->accuracy += right;
            res->margin += d;
            res->loss += d > 0 ? log1p(exp(-d)) : -d + log1p(exp(d));
            double lw = len_b[i] > len_w[i] ? 1.0 : len_b[i] == len_w[i] ? 0.5 : 0.0;
            res->longer_wins += lw;
            /* The judged sequences have the same prefix and (cut) context, so their
             * lengths differ as the responses the model sees do. */
            int vb = pmp_batch_seq_len(&b, sb), vw = pmp_batch_seq_len(&b, sw);
            res->longer_wins_visible += vb > vw ? 1.0 : vb == vw ? 0.5 : 0.0;
            diff_sq += (right - lw) * (right - lw);
            int bin = (int)(p * 10);
            if (bin > 9) bin = 9;
            bins_n[bin]++;
            bins_p[bin] += p;
            bins_c[bin] += right;
            res->pairs++;
        }
    }
    free(len_b);
    free(len_w);
    pmp_batch_free(&b);
    if (rc < 0) return pmp_err_prefix(err, "evaluation");
    if (res->pairs) {
        double np = (double)res->pairs;
        res->accuracy /= np;
        res->margin /= np;
        res->loss /= np;
        res->longer_wins /= np;
        res->longer_wins_visible /= np;
        res->vs_longer = res->accuracy - res->longer_wins;
        if (res->pairs > 1) {
            double var = (diff_sq - np * res->vs_longer * res->vs_longer) / (np - 1.0);
            res->vs_longer_se = sqrt(var > 0 ? var / np : 0.0);
        }
        for (int i = 0; i < 10; i++)
            if (bins_n[i]) res->ece += fabs(bins_p[i] - bins_c[i]) / np;
    }
    if (res->reward_n) {
        double nr = (double)res->reward_n;
        res->reward_mean = r_sum / nr;
        double var = nr > 1 ? (r_sq - nr * res->reward_mean * res->reward_mean) / (nr - 1.0) : 0.0;
        res->reward_std = sqrt(var > 0 ? var : 0.0);
    }
    if (o->objective == PMP_OBJ_LM) return evaluate_lm_text(r, o, n, chunk, res, err);
    return 0;
}

void pmp_run_note_reward_stats(run_ctx *r, long step, const pmp_eval_result *e)
{
    if (!e->reward_n) return;
    r->reward_mean = e->reward_mean;
    r->reward_std = e->reward_std;
    r->reward_stats_step = step > 0 ? step : 0;
}

/* ---------- the loop ---------- */

/* Builds step s's batches: positions [s*B, (s+1)*B) of the shuffled stream,
 * split into micro-batches. */
static int build_step(run_ctx *r, const pmp_run_opts *o, long s, pmp_batch *micro, int *tokens,
                      pmp_err *err)
{
    uint64_t n = pmp_loader_pairs(r->train);
    pmp_batch_opts bo = batch_opts(r, o, 0);
    /* this rank's micro-batches [rank*K, (rank+1)*K) of the step's ranks*K (pmp_model.h, ranks) */
    int K = o->micro_batches, per = o->batch_pairs / (K * pmp_dist_size());
    int j0 = pmp_dist_rank() * K * per;
    *tokens = 0;
    for (int k = 0; k < K; k++) pmp_batch_clear(&micro[k]);
    /* several sources: every rank draws every position of the step (the draws count),
     * and keeps its own */
    for (int j = 0; r->mix && j < j0; j++) {
        size_t src;
        uint64_t pair;
        pmp_mix_next(r->mix, &src, &pair);
    }
    for (int jj = 0; jj < K * per; jj++) {
        int j = j0 + jj;
        uint64_t q = (uint64_t)s * (uint64_t)o->batch_pairs + (uint64_t)j;
        pmp_loader *from = r->train;
        uint64_t pair;
        if (r->mix) {
            size_t src;
            pmp_mix_next(r->mix, &src, &pair);
            from = r->sources[src];
        } else {
            pair = pmp_loader_permute(o->seed, q / n, n, q % n);
        }
        pmp_pair_view v;
        if (pmp_loader_get(from, pair, &v, err) < 0) return -1;
        int rc;
        if (o->objective == PMP_OBJ_LM) {
            /* Plain text: the context followed by the better response (the view's
             * tokens are contiguous in that order). */
            rc = pmp_batch_add_text(&micro[jj / per], &bo, v.ctx, v.n_ctx + v.n_better, err);
        } else {
            rc = pmp_batch_add_pair(&micro[jj / per], &bo, v.ctx, v.n_ctx, v.better, v.n_better,
                                    v.worse, v.n_worse, err);
            if (rc == 0 && o->margin != PMP_MARGIN_NONE)
                pmp_batch_set_margin(&micro[jj / per], pmp_margin_of(o->margin, v.better_score, v.worse_score));
        }
        if (rc < 0) return pmp_err_prefix(err, "pair %llu", (unsigned long long)pair);
    }
    for (int j = j0 + K * per; r->mix && j < o->batch_pairs; j++) {
        size_t src;
        uint64_t pair;
        pmp_mix_next(r->mix, &src, &pair);
    }
    for (int k = 0; k < o->micro_batches; k++) *tokens += micro[k].NL;
    return 0;
}

int pmp_run_parse_data(const char *arg, char **dir, double *weight)
{
    const char *colon = strrchr(arg, ':');
    *weight = 0;
    char *end;
    if (colon && colon > arg && colon[1]) {
        (void)strtod(colon + 1, &end);
        if (*end == 0) {   /* the suffix is a number: a weight, which must be valid */
            if (pmp_parse_double(colon + 1, 0.0, 1e15, weight) < 0 || !(*weight > 0)) return -1;
            *dir = pmp_xstrdup(arg);
            (*dir)[colon - arg] = 0;
            return 0;
        }
    }
    *dir = pmp_xstrdup(arg);
    return 0;
}

/* --data more than once: the other sources opened and checked against the first, and
 * their mixer seeded (docs/train.md, "Mixing sources"). */
static int open_sources(run_ctx *r, const pmp_run_opts *o, pmp_err *err)
{
    if (o->max_pairs > 0)
        return pmp_err_setc(err, PMP_E_USAGE, "--max-pairs subsamples one --data directory; with several, "
                            "subsample each with pmp-shard or weight them");
    r->sources = pmp_xcalloc((size_t)o->n_data, sizeof *r->sources);
    r->sources[0] = r->train;
    r->n_sources = 1;
    for (int k = 1; k < o->n_data; k++) {
        const char *d = o->data_dirs[k];
        if (pmp_loader_open(&r->sources[k], d, err) < 0) return -1;
        r->n_sources++;
        if (pmp_loader_is_text(r->sources[k]) != pmp_loader_is_text(r->train))
            return pmp_err_setc(err, PMP_E_USAGE, "--data %s and %s: one holds text documents, the other pairs",
                                d, o->data_dirs[0]);
        if (pmp_loader_pairs(r->sources[k]) == 0) return pmp_err_setc(err, PMP_E_INPUT, "%s: holds no pairs", d);
        if (strcmp(pmp_loader_tokenizer_identity(r->sources[k]), pmp_loader_tokenizer_identity(r->train)))
            return pmp_err_setc(err, PMP_E_MISMATCH, "%s and %s were tokenized with different tokenizers", d, o->data_dirs[0]);
    }
    r->mix = pmp_mix_new(r->sources, o->data_weights, (size_t)o->n_data, o->seed);
    return 0;
}

void pmp_run_free(run_ctx *r)
{
    pmp_mix_free(r->mix);
    for (int k = 1; k < r->n_sources; k++) pmp_loader_close(r->sources[k]);
    free(r->sources);
    pmp_loader_close(r->train);
    pmp_loader_close(r->eval);
    if (r->model_ready) pmp_model_free(&r->model);
    if (r->opt.m) pmp_adamw_free(&r->opt);
    free(r->good);
    free(r->bad);
    free(r->tok_identity);
    free(r->plan_ends);
    free(r->rank_changes);
    free(r->resumed_path);
    free(r->resumed_config);
    if (r->log) fclose(r->log);
    pmp_tfevents_close(r->tb);
    if (r->lock_fd >= 0) close(r->lock_fd);
}

int pmp_run_train(const pmp_run_opts *o, pmp_run_result *res, pmp_err *err)
{
    memset(res, 0, sizeof *res);
    /* Equal micro-batches: the step's loss is the mean of their means. */
    int ranks = pmp_dist_size(), rank0 = pmp_dist_rank() == 0;
    if (o->batch_pairs < 1 || o->micro_batches < 1 || o->batch_pairs % o->micro_batches != 0)
        return pmp_err_setc(err, PMP_E_USAGE, "--batch-pairs (%d) must be a multiple of --micro-batches (%d)",
                           o->batch_pairs, o->micro_batches);
    if (o->batch_pairs % (o->micro_batches * ranks) != 0)
        return pmp_err_setc(err, PMP_E_USAGE, "--batch-pairs (%d) must be a multiple of --micro-batches (%d) "
                            "times the %d MPI ranks", o->batch_pairs, o->micro_batches, ranks);
    if ((o->margin != PMP_MARGIN_NONE || o->center_rewards != 0) &&
        (o->objective != PMP_OBJ_RANK || o->binarize))
        return pmp_err_setc(err, PMP_E_USAGE, "--margin and --center-rewards shape the rank loss of a "
                            "pair's two responses: they need --objective rank without --binarize");
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.lock_fd = -1;
    if (o->threads > 0) pmp_model_set_threads(o->threads);
    else if (ranks > 1) pmp_model_set_threads((int)sysconf(_SC_NPROCESSORS_ONLN) / pmp_dist_local_size());
    int rc = pmp_loader_open(&r.train, o->data_dir, err);
    if (rc == 0 && pmp_loader_is_text(r.train) && o->objective != PMP_OBJ_LM)
        rc = pmp_err_setc(err, PMP_E_USAGE, "%s holds text documents (pmp-tokenize --text): only "
                          "--objective lm trains on it; the %s objective needs pairs", o->data_dir,
                          pmp_objective_name(o->objective));
    if (rc == 0 && pmp_loader_pairs(r.train) == 0)
        rc = pmp_err_setc(err, PMP_E_INPUT, "%s: holds no %s", o->data_dir, pmp_loader_is_text(r.train) ? "documents" : "pairs");
    if (rc == 0 && o->n_data > 1) rc = open_sources(&r, o, err);
    if (rc == 0 && o->max_pairs > 0)
        rc = pmp_loader_subsample(r.train, o->subsample_seed, (uint64_t)o->max_pairs, err);
    for (int k = 0; rc == 0 && k < (r.n_sources ? r.n_sources : 1); k++) {
        pmp_loader *l = r.n_sources ? r.sources[k] : r.train;
        res->train_pairs += pmp_loader_pairs(l);
        res->train_groups += pmp_loader_groups(l);
    }
    if (rc == 0 && o->eval_dir) {
        rc = pmp_loader_open(&r.eval, o->eval_dir, err);
        if (rc == 0 && pmp_loader_is_text(r.eval) && o->objective != PMP_OBJ_LM)
            rc = pmp_err_setc(err, PMP_E_USAGE, "--eval %s holds text documents (pmp-tokenize --text): "
                              "only --objective lm evaluates on it", o->eval_dir);
        if (rc == 0 && strcmp(pmp_loader_tokenizer_identity(r.eval), pmp_loader_tokenizer_identity(r.train)))
            rc = pmp_err_setc(err, PMP_E_MISMATCH, "%s and %s were tokenized with different tokenizers", o->eval_dir, o->data_dir);
    }
    if (rc == 0) rc = pmp_run_setup_tokens(&r, o->tokenizer, err);
    if (rc == 0) rc = pmp_run_prepare_dir(o->out_dir, err);
    if (rc == 0 && rank0 && !o->out_locked) rc = pmp_run_lock(o->out_dir, &r.lock_fd, err);
    if (rc == 0 && !o->resume) {
        /* Never mix two runs' checkpoints in one directory. */
        pmp_buf d = PMP_BUF_INIT;
        pmp_buf_printf(&d, "%s/checkpoints", o->out_dir);
        uint64_t any;
        int found = pmp_ckpt_latest(d.data, &any, NULL, NULL, NULL, err);
        pmp_buf_free(&d);
        if (found > 0)
            rc = pmp_err_setc(err, PMP_E_USAGE, "%s already holds checkpoints: add --resume to continue that run, "
                             "or choose another --out", o->out_dir);
        else if (found < 0)
            rc = -1;
    }
    long start = 0;
    if (rc == 0 && o->resume) {
        rc = pmp_run_resume(&r, o, &start, err);
        if (rc == 1) { rc = 0; }            /* resumed */
        else if (rc == 0) start = -1;       /* nothing to resume: fresh start */
    }
    if (rc == 0 && start <= 0) {
        start = 0;
        rc = init_model(&r, o, err);
        if (rc == 0) pmp_adamw_init(&r.opt, r.model.n_params);
    }
    r.start_step = start;
    /* rank 0 writes config.json (and an extension's args.json) before the others read it */
    if (rc == 0 && rank0) rc = pmp_run_check_config(&r, o, err);
    if (pmp_dist_any_failed(rc) && rc == 0) rc = pmp_err_setc(err, PMP_E_FAIL, "stopped: another MPI rank failed");
    if (rc == 0 && !rank0) rc = pmp_run_check_config(&r, o, err);
    if (rc == 0 && rank0) rc = pmp_run_open_log(&r, o, start, err);
    r.warn = o->warn;
    r.warn_ctx = o->ctx;
    if (rc == 0 && rank0) rc = pmp_run_tb_open(&r, o->out_dir, start, err);
    if (pmp_dist_any_failed(rc) && rc == 0) rc = pmp_err_setc(err, PMP_E_FAIL, "stopped: another MPI rank failed");
    r.opt.weight_decay = o->weight_decay;
    pmp_loss_opts lo = pmp_loss_for(o->objective, o->lm_coef);
    lo.center_coef = o->center_rewards;
    pmp_batch *micro = pmp_xcalloc((size_t)o->micro_batches, sizeof *micro);
    for (int k = 0; k < o->micro_batches; k++) pmp_batch_init(&micro[k]);
    res->start_step = start;
    if (r.mix) pmp_mix_seek(r.mix, (uint64_t)start * (uint64_t)o->batch_pairs);
    res->ckpt_fallbacks = r.ckpt_fallbacks;
    double t0 = pmp_now(), tokens_total = 0;
    for (long s = start; s < o->steps && rc == 0; s++) {
        double ts = pmp_now();
        int tokens;
        pmp_loss loss;
        float gnorm;
        rc = build_step(&r, o, s, micro, &tokens, err);
        pmp_schedule sched = pmp_run_schedule(&r, o, r.opt.step);
        float lr = pmp_schedule_lr(&sched, r.opt.step);
        if (rc == 0)
            rc = pmp_optim_step_ranks(&r.model, &r.opt, &sched, o->clip, micro, o->micro_batches,
                                      o->micro_batches * ranks, o->allreduce_overlap, &lo, &loss,
                                      &gnorm, err);
        if (rc == 0 && ranks > 1) {   /* the step's tokens over all ranks, for the log */
            double t = tokens;
            rc = pmp_dist_sum(NULL, 0, &t, 1, err);
            tokens = (int)t;
        }
        if (rc < 0) {
            pmp_err_prefix(err, "step %ld", s + 1);
            break;
        }
        if (!isfinite(loss.loss)) {
            rc = pmp_err_setc(err, PMP_E_FAIL, "step %ld: the loss is not finite (lower --lr?)", s + 1);
            break;
        }
        tokens_total += tokens;
        res->last_loss = loss.loss;
        double ms = (pmp_now() - ts) * 1000;
        if (pmp_run_log_step(&r, s + 1, &loss, lr, gnorm, tokens, ms,
                             ranks > 1 ? loss.comm_seconds * 1000 : -1, err) < 0) {
            rc = -1;
            break;
        }
        pmp_run_tb_step(&r, s + 1, &loss, lr, gnorm, tokens, ms);
        res->comm_seconds += loss.comm_seconds;
        double el = pmp_now() - t0;
        if (o->progress && rank0)
            o->progress(o->ctx, s + 1, o->steps, tokens_total / el, (double)(s + 1 - start) / el);
        int last = s + 1 == o->steps;
        if (r.eval && rank0 && ((o->eval_every > 0 && (s + 1) % o->eval_every == 0) || last)) {
            rc = pmp_run_evaluate(&r, o, &res->eval, err);
            if (rc == 0) {
                rc = pmp_run_log_eval(&r, s + 1, &res->eval, err);
                pmp_run_tb_eval(&r, s + 1, &res->eval);
                pmp_run_note_reward_stats(&r, s + 1, &res->eval);
                res->evaluated = 1;
            }
        }
        if (rc == 0 && ((o->ckpt_every > 0 && (s + 1) % o->ckpt_every == 0) || last)) {
            /* the ranks must hold the same weights: checked where they are saved */
            if (ranks > 1 && !pmp_dist_same(XXH64(r.model.params_mem, r.model.n_params * sizeof(float), 0)))
                rc = pmp_err_setc(err, PMP_E_INTERNAL, "step %ld: the MPI ranks' weights differ", s + 1);
            if (rc == 0 && rank0) rc = pmp_run_save_checkpoint(&r, o, s + 1, err);
        }
    }
    if (rc == 0 && o->steps == 0 && r.eval && rank0) {
        /* zero steps: the init as it is (a sample-efficiency curve's size 0) */
        rc = pmp_run_evaluate(&r, o, &res->eval, err);
        if (rc == 0) {
            rc = pmp_run_log_eval(&r, 0, &res->eval, err);
            pmp_run_tb_eval(&r, 0, &res->eval);
            pmp_run_note_reward_stats(&r, 0, &res->eval);
            res->evaluated = 1;
        }
    }
    res->steps = o->steps;
    res->seconds = pmp_now() - t0;
    res->tokens = tokens_total;
    if (r.model_ready) {
        res->params_xxh64 = XXH64(r.model.params_mem, r.model.n_params * sizeof(float), 0);
        res->n_params = r.model.n_params;
    }
    for (int k = 0; k < o->micro_batches; k++) pmp_batch_free(&micro[k]);
    free(micro);
    pmp_run_free(&r);
    return rc < 0 ? -1 : 0;
}

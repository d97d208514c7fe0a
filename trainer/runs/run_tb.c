/* run_tb.c — a run's TensorBoard scalars in RUN_DIR/tb/ (docs/train.md,
 * "TensorBoard"): the figures of each log.jsonl line, under the tags TRL's and
 * OpenRLHF's runs show (train/loss, train/learning_rate, eval/accuracy, ...). */
#include <time.h>

#include "pmp_tfevents.h"
#include "run_internal.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int pmp_run_tb_open(run_ctx *r, const char *out_dir, long start, pmp_err *err)
{
    pmp_buf dir = PMP_BUF_INIT;
    pmp_buf_printf(&dir, "%s/tb", out_dir);
    /* a resumed run keeps the steps up to its checkpoint, as log.jsonl does */
    int rc = pmp_tfevents_open(&r->tb, dir.data, start > 0 ? start : -1, err);
    pmp_buf_free(&dir);
    return rc;
}

/* A write error here stops nothing: TensorBoard is a view, log.jsonl the record. The
 * first one is reported once. */
static void end_event(run_ctx *r)
{
    pmp_err err;
    if (pmp_tfevents_end(r->tb, &err) < 0 && !r->tb_failed) {
        r->tb_failed = 1;
        if (r->warn) r->warn(r->warn_ctx, err.msg);
    }
}

void pmp_run_tb_step(run_ctx *r, long step, const pmp_loss *l, float lr, float gnorm, int tokens, double ms)
{
    if (!r->tb) return;
    pmp_tfevents *t = r->tb;
    pmp_tfevents_begin(t, step, wall_now());
    pmp_tfevents_scalar(t, "train/loss", l->loss);
    pmp_tfevents_scalar(t, "train/learning_rate", lr);
    pmp_tfevents_scalar(t, "train/grad_norm", gnorm);
    if (ms > 0) pmp_tfevents_scalar(t, "train/tokens_per_s", tokens / (ms / 1000.0));
    if (l->pairs > 0) {
        pmp_tfevents_scalar(t, "train/accuracy", (double)l->pairs_correct / l->pairs);
        pmp_tfevents_scalar(t, "train/margin", l->margin_sum / l->pairs);
    }
    if (l->reward_n > 0) {
        double mean, std;
        pmp_loss_reward_moments(l, &mean, &std);
        pmp_tfevents_scalar(t, "train/reward_mean", mean);
        pmp_tfevents_scalar(t, "train/reward_std", std);
        pmp_tfevents_scalar(t, "train/reward_min", l->reward_min);
        pmp_tfevents_scalar(t, "train/reward_max", l->reward_max);
    }
    if (l->center != 0) pmp_tfevents_scalar(t, "train/center", l->center);
    end_event(r);
}

void pmp_run_tb_eval(run_ctx *r, long step, const pmp_eval_result *e)
{
    if (!r->tb) return;
    pmp_tfevents *t = r->tb;
    pmp_tfevents_begin(t, step, wall_now());
    if (e->pairs) {
        pmp_tfevents_scalar(t, "eval/accuracy", e->accuracy);
        pmp_tfevents_scalar(t, "eval/loss", e->loss);
        pmp_tfevents_scalar(t, "eval/margin", e->margin);
        pmp_tfevents_scalar(t, "eval/ece", e->ece);
        pmp_tfevents_scalar(t, "eval/longer_wins", e->longer_wins);
        pmp_tfevents_scalar(t, "eval/longer_wins_visible", e->longer_wins_visible);
        pmp_tfevents_scalar(t, "eval/vs_longer", e->vs_longer);
    }
    if (e->reward_n) {
        pmp_tfevents_scalar(t, "eval/reward_mean", e->reward_mean);
        pmp_tfevents_scalar(t, "eval/reward_std", e->reward_std);
        pmp_tfevents_scalar(t, "eval/reward_min", e->reward_min);
        pmp_tfevents_scalar(t, "eval/reward_max", e->reward_max);
    }
    if (e->lm_tokens) pmp_tfevents_scalar(t, "eval/lm_loss", e->lm_loss);
    end_event(r);
}

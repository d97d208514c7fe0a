/* run_internal.h — what run.c and run_state.c share (not a public header). */
#ifndef PMP_RUN_INTERNAL_H
#define PMP_RUN_INTERNAL_H

#include <stdio.h>

#include "pmp_ckpt.h"
#include "loader.h"
#include "pmp_runs.h"

typedef struct run_ctx {
    pmp_loader *train, *eval;
    /* --data given more than once: every source (sources[0] == train) and their mixer */
    pmp_loader **sources;
    int n_sources;
    pmp_mix *mix;
    pmp_model model;
    int model_ready;
    pmp_adamw opt;
    pmp_rng rng;
    char *tok_identity;
    int vocab;          /* the tokenizer's */
    int V;              /* the model's: vocab, or vocab + 1 for an added end-of-context id */
    int32_t eoc;
    int32_t *good, *bad;
    int n_good, n_bad;
    FILE *log;
    const char *out_dir;
    /* The lr schedule's plan (docs/train.md, "Extending a run"): warmup steps, and
     * the step each cosine plan ends at. A run has one end, --steps; every
     * `--resume --steps N` with a larger N adds one. Step s follows the plan of the
     * first end above s. Set by pmp_run_check_config. */
    long warmup;
    int lock_fd;        /* RUN_DIR/lock, rank 0; -1 when not held */
    long *plan_ends;
    int n_plan;
    /* The reward mean and standard deviation of the latest evaluation (OpenRLHF's
     * config mean/std), saved in checkpoints; reward_stats_step 0 = none yet. */
    long reward_stats_step;
    double reward_mean, reward_std;
    /* the step this process starts at, and the run's changes of MPI rank count
     * (config.json rank_changes; pmp_run_check_config) */
    long start_step;
    struct run_rank_change { long step; int from, to; } *rank_changes;
    int n_rank_changes;
    /* RUN_DIR/tb/ (rank 0; NULL elsewhere), and who hears of its first write error */
    struct pmp_tfevents *tb;
    int tb_failed;
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* Set by pmp_run_resume: the resumed checkpoint's path and "config" section (its
     * run's identity, checked against this run by pmp_run_check_config), and how many
     * newer, damaged checkpoints were passed over to reach it. */
    char *resumed_path, *resumed_config;
    unsigned ckpt_fallbacks;
} run_ctx;

/* Loads the data's tokenizer (or the given one), checks its identity, and sets
 * the end-of-context token, the model vocabulary and the GOOD:/BAD: prefixes. */
int pmp_run_setup_tokens(run_ctx *r, const char *tokenizer, pmp_err *err);
void pmp_run_free(run_ctx *r);

int pmp_run_prepare_dir(const char *out_dir, pmp_err *err);
/* Holds RUN_DIR/lock (flock, released when the process ends, kill -9 included), so
 * two trainings never write one run directory; *fd stays open for the run. */
int pmp_run_lock(const char *out_dir, int *fd, pmp_err *err);
/* 1 = resumed from a checkpoint (model, optimizer, rng restored, *start set),
 * 0 = no checkpoint to resume from, -1 = error. */
int pmp_run_resume(run_ctx *r, const pmp_run_opts *o, long *start, pmp_err *err);
/* Writes RUN_DIR/config.json on a fresh start; checks it on resume, where a larger
 * --steps extends the run (a new plan end, config.json and args.json updated). */
int pmp_run_check_config(run_ctx *r, const pmp_run_opts *o, pmp_err *err);
int pmp_run_save_checkpoint(run_ctx *r, const pmp_run_opts *o, long step, pmp_err *err);

/* --init's checkpoint (no run identity check: another run's weights are the point).
 * step (may be NULL): the step of the checkpoint a run directory gave, or -1 for a
 * checkpoint file named directly; warn (may be NULL) hears of each damaged one passed
 * over. */
int pmp_run_open_init_ckpt(const char *path, pmp_ckpt **out, long *step,
                           void (*warn)(void *ctx, const char *msg), void *ctx, pmp_err *err);
/* What score and export open (pmp_ckpt_pick in pmp_runs.h; pick may be NULL):
 * fallbacks reported, and a checkpoint of another run than its RUN_DIR refused. */
int pmp_run_open_run_ckpt(const char *path, pmp_ckpt **out, pmp_ckpt_pick *pick, pmp_err *err);
int pmp_run_ckpt_config(const pmp_ckpt *ck, pmp_config *cfg, pmp_err *err);
int pmp_run_ckpt_load_params(const pmp_ckpt *ck, pmp_model *m, pmp_err *err);
/* The tokenizer identity and end-of-context id a checkpoint was trained with
 * (*identity is the caller's to free). */
int pmp_run_ckpt_tokens(const pmp_ckpt *ck, char **identity, int32_t *eoc, pmp_err *err);
/* The checkpoint's tokenizer: the file given, or the one the manifest of data_dir
 * names, or of the run's own --data (RUN_DIR/args.json); refused unless its identity
 * is `identity`. policy (may be NULL): that manifest's cuts, or zeros. */
struct pmp_bpe;
int pmp_run_ckpt_tokenizer(const char *ckpt, const char *tokenizer, const char *data_dir, const char *identity,
                           struct pmp_bpe **bpe, pmp_manifest_policy *policy, pmp_err *err);
/* A checkpoint section parsed as JSON (a json_object *, or NULL); the caller puts it. */
struct json_object *pmp_run_ckpt_section_json(const pmp_ckpt *ck, const char *name);

int pmp_run_open_log(run_ctx *r, const pmp_run_opts *o, long start, pmp_err *err);
/* allreduce_ms < 0: not an MPI run (the field is left out) */
/* Both return -1 when the line could not be written (a full disk): a run whose log
 * stops short must not look whole. */
int pmp_run_log_step(run_ctx *r, long step, const pmp_loss *loss, float lr, float gnorm, int tokens,
                     double ms, double allreduce_ms, pmp_err *err);
int pmp_run_log_eval(run_ctx *r, long step, const pmp_eval_result *e, pmp_err *err);

/* Keeps an evaluation's reward mean and std as the run's (for checkpoints, export). */
void pmp_run_note_reward_stats(run_ctx *r, long step, const pmp_eval_result *e);
/* A checkpoint's recorded reward statistics: 1 (mean, std, the step of the evaluation
 * they come from), 0 when it has none. */
int pmp_run_ckpt_reward_stats(const pmp_ckpt *ck, double *mean, double *std, long *step);

/* TensorBoard (run_tb.c): RUN_DIR/tb/ opened for a run starting at start (a resume
 * keeps the events of steps <= start), and one event per log.jsonl line. */
int pmp_run_tb_open(run_ctx *r, const char *out_dir, long start, pmp_err *err);
void pmp_run_tb_step(run_ctx *r, long step, const pmp_loss *l, float lr, float gnorm, int tokens, double ms);
void pmp_run_tb_eval(run_ctx *r, long step, const pmp_eval_result *e);

/* The schedule step s trains with (the plan end above s). */
pmp_schedule pmp_run_schedule(const run_ctx *r, const pmp_run_opts *o, long step);


#endif

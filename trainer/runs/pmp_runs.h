/* pmp_runs.h — the runs room of trainer/ (trainer/runs/): training runs over shard
 * directories with their log, checkpoints and exact resume, and what reads a run back:
 * scoring pairs and groups, exporting weights, the arguments a run was started with
 * (docs/train.md, docs/checkpoint.md). The data loader and source mixing (loader.h)
 * and what run.c and run_state.c share (run_internal.h) are internal to the room.
 * Uses the model room (pmp_model.h). */
#ifndef PMP_RUNS_H
#define PMP_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmp_common.h"
#include "pmp_model.h"

/* ---------- a training run over shard directories: the loop, evaluation, the
 * log, checkpoints and exact resume (docs/train.md, docs/checkpoint.md).
 *
 * Step s trains on positions [s*B, (s+1)*B) of the endless pair stream
 * "epoch 0 shuffled, epoch 1 shuffled, ..." (pmp_loader_permute), so the data
 * cursor is a function of the step, and a run resumed from a checkpoint sees the
 * same batches as one that never stopped. With the same thread count the
 * resumed run's weights are bit-identical.
 */
typedef struct pmp_run_opts {
    const char *data_dir;       /* training shards */
    /* --data given more than once: n_data > 1 directories (data_dirs[0] == data_dir),
     * mixed by data_weights (NULL: by size) as docs/train.md "Mixing sources" says */
    int n_data;
    const char *const *data_dirs;
    const double *data_weights;
    long max_pairs;             /* > 0: train on a seeded subsample of this many pairs,
                                 * by whole groups (pmp_loader_subsample); 0 = all */
    uint64_t subsample_seed;    /* its seed (independent of seed) */
    const char *eval_dir;       /* may be NULL */
    const char *out_dir;        /* RUN_DIR: log.jsonl, checkpoints/ */
    const char *tokenizer;      /* NULL: the path in the data manifest */
    pmp_objective objective;
    int binarize;
    float lm_coef;
    pmp_margin margin;          /* rank: the pair margin m from the shards' scores */
    float center_rewards;       /* rank: + C * mean (r_b + r_w)^2 (TRL's coefficient) */
    long steps;
    int batch_pairs;            /* pairs per optimizer step */
    int micro_batches;          /* gradient accumulation: the step's pairs are split in this many */
    int allreduce_overlap;      /* MPI ranks: sum the gradients block by block during the
                                 * backward pass instead of in one sum after it (pmp_model.h) */
    float lr, min_lr, weight_decay, clip;
    long warmup;
    const char *model;          /* preset name, or NULL when cfg is given */
    pmp_config cfg;             /* layers/heads/width/context when model == NULL (V ignored) */
    int context;                /* 0 = the preset's */
    const char *init;           /* checkpoint file, run dir, or model.safetensors; may be NULL */
    const char *init_config;    /* --init-config: a GPT-2 init's config.json (NULL: beside it) */
    int shape_given;            /* the user chose --model or --layers/--heads/--width: with
                                 * --init they must agree with the init's architecture */
    int reset_head;
    int threads;
    uint64_t seed;
    int resume;
    long ckpt_every;
    unsigned keep;
    long eval_every;            /* 0 = only at the end */
    long eval_pairs;            /* 0 = all eval pairs */
    int keep_margins;           /* each evaluation returns its per-pair margins
                                 * (pmp_eval_result.margins) */
    /* Reporting (may be NULL). */
    void (*warn)(void *ctx, const char *msg);
    void (*note)(void *ctx, const char *msg);   /* facts the user should see (what --init loaded) */
    void (*progress)(void *ctx, long step, long steps, double tokens_per_s, double steps_per_s);
    void *ctx;
    int out_locked;             /* the caller holds out_dir/lock already (pmp-train's main) */
} pmp_run_opts;

void pmp_run_opts_default(pmp_run_opts *o);

typedef struct pmp_eval_result {
    long pairs;
    double accuracy;            /* better scored above worse; a tie (equal scores) counts
                                 * 1/2, as in both longer-wins baselines */
    double margin;              /* mean score(better) - score(worse) */
    double loss;                /* mean -log sigmoid(margin) */
    double ece;                 /* expected calibration error of sigmoid(margin), 10 bins */
    double longer_wins;         /* accuracy of "the longer response is better" (ties 1/2),
                                 * by the lengths before any truncation */
    double longer_wins_visible; /* the same by the response tokens the model sees: after
                                 * pmp-tokenize's --max-*-tokens cuts and the fit to the
                                 * model's context */
    /* accuracy - longer_wins, and its standard error over pairs (paired: the same
     * pairs judged both ways; pairs of one group are correlated, so it is a lower
     * bound) */
    double vs_longer, vs_longer_se;
    /* --objective lm only: the held-out next-token loss (nats per token) on the eval
     * pairs' text as the LM trains on it (context + better response, every token);
     * perplexity = exp(lm_loss). 0 tokens for the other objectives. */
    double lm_loss;
    uint64_t lm_tokens;
    /* with pmp_run_opts.keep_margins: score(better) - score(worse) of each eval pair in
     * eval order ([pairs], malloc'd; the caller frees it), else NULL */
    float *margins;
    /* The rewards of both judged sequences of every pair (2 * pairs values; not for
     * imitation and lm, which judge by log-probability): mean, sample standard
     * deviation (as torch.std, what OpenRLHF records), min, max. reward_n = 0: none. */
    long reward_n;
    double reward_mean, reward_std, reward_min, reward_max;
} pmp_eval_result;

typedef struct pmp_run_result {
    long start_step;            /* > 0 when resumed */
    long steps;
    double seconds;
    double comm_seconds;        /* of which in the MPI gradient sums (0 on one rank) */
    double tokens;
    double last_loss;
    uint64_t train_pairs;       /* training pairs used (after --max-pairs; all sources') */
    uint64_t train_groups;      /* the groups they come from */
    int evaluated;
    pmp_eval_result eval;       /* the final evaluation */
    uint64_t params_xxh64;      /* of the final weights (resume tests compare it) */
    size_t n_params;            /* the model's size */
    unsigned ckpt_fallbacks;    /* resume: newer, damaged checkpoints passed over (each warned) */
} pmp_run_result;

int pmp_run_train(const pmp_run_opts *o, pmp_run_result *res, pmp_err *err);

/* A --data argument DIR[:WEIGHT]: *dir (malloc'd) and *weight (0 when none given). A
 * suffix after the last ':' that is not a number belongs to the directory's name;
 * one that is a number must be a weight in (0, 1e15]. Returns 0, or -1 (bad weight). */
int pmp_run_parse_data(const char *arg, char **dir, double *weight);

/* The checkpoint score and export read, from CKPT (a file) or RUN_DIR (its newest
 * whole checkpoint). warn (may be NULL) hears of every newer checkpoint passed over
 * because it is damaged; step and fallbacks say what was used. A checkpoint inside
 * RUN/checkpoints/ whose run configuration (run_id) is not RUN/config.json's is
 * refused (PMP_E_MISMATCH): it was copied in from another run. */
typedef struct pmp_ckpt_pick {
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    long step;           /* out: the checkpoint's step, -1 for a file named directly */
    unsigned fallbacks;  /* out: newer checkpoints passed over */
} pmp_ckpt_pick;

/* Scores pairs with a trained model: for the first max_pairs pairs of data_dir
 * (0 = all, storage order), writes one JSON line per pair to out:
 *   {"pair":k,"better":r,"worse":r,"better_tokens":[...],"worse_tokens":[...]}
 * (the token lists only with with_tokens: the exact sequences the rewards were
 * read from, end-of-context token included). normalize: rewards printed as
 * (r - mean) / std with the checkpoint's recorded eval statistics (OpenRLHF's
 * normalize_reward); an error when it has none. */
int pmp_run_score(const char *ckpt, const char *data_dir, const char *tokenizer, long max_pairs,
                  int with_tokens, int normalize, FILE *out, pmp_ckpt_pick *pick, pmp_err *err);

/* `pmp-train score RUN --text groups.jsonl`: every response of every group record
 * scored, one line per group: {"group","source","rewards":[r...],"ids":[id|null...]}
 * (docs/train.md). The checkpoint's tokenizer and pmp-tokenize's cuts come from the
 * data's manifest (data_dir, else the run's --data), or the tokenizer file given
 * (then no cuts but the model's context, unless given here). Each response is read
 * against as much of its context as fits with it. */
typedef struct pmp_score_text_opts {
    const char *tokenizer;
    const char *data_dir;
    long max_context_tokens;    /* -1: the manifest's */
    long max_response_tokens;   /* -1: the manifest's */
    uint64_t *groups_out, *responses_out;   /* counts (may be NULL) */
    int normalize;              /* as pmp_run_score's */
    pmp_ckpt_pick *pick;                     /* may be NULL */
} pmp_score_text_opts;
int pmp_run_score_text(const char *ckpt, const char *groups, const pmp_score_text_opts *x, FILE *out,
                       pmp_err *err);

/* `pmp-train export` (docs/train.md, "Weights in and out"). out ending in
 * .safetensors: that file (GPT-2 names + score.weight/score.bias, what --init reads
 * back exactly) and config.json beside it, or at config_out. Any other out: a
 * Hugging Face model directory: model.safetensors in GPT2ForSequenceClassification's
 * names, config.json, tokenizer.json and tokenizer_config.json. Its tokenizer is
 * `tokenizer`, or the one the manifest of data_dir names, or of the run's own --data
 * (RUN_DIR/args.json); it must be the checkpoint's. */
typedef struct pmp_export_opts {
    const char *config_out;   /* NULL: beside the weights */
    const char *tokenizer;    /* NULL: from the data's manifest */
    const char *data_dir;     /* NULL: the run's --data */
    pmp_ckpt_pick *pick;      /* may be NULL */
} pmp_export_opts;
/* *hf_dir (may be NULL): 1 when a model directory was written. */
int pmp_run_export(const char *ckpt, const char *out, const pmp_export_opts *x, int *hf_dir, pmp_err *err);

/* RUN_DIR/args.json: the command-line arguments a run was started with (a JSON array
 * of strings), so `pmp-train --resume --out RUN_DIR` needs no other flag. save writes
 * it durably (creating RUN_DIR), unless RUN_DIR already holds checkpoints; load returns 1 and a malloc'd NULL-terminated argv
 * (pmp_run_free_args), 0 when the file is absent, -1 on a damaged file. */
int pmp_run_save_args(const char *out_dir, int argc, char *const *argv, pmp_err *err);
int pmp_run_load_args(const char *out_dir, char ***argv, int *argc, pmp_err *err);
void pmp_run_free_args(char **argv, int argc);
/* Appends `flag value` to out_dir/args.json (what an extension by --steps does, so a
 * later `--resume --out RUN` replays the extended plan); 0 when there is no args.json. */
int pmp_run_append_args(const char *out_dir, const char *flag, long value, pmp_err *err);

#endif

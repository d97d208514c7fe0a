/* pmp_run.h — a training run over shard directories: the loop, evaluation, the
 * log, checkpoints and exact resume (docs/train.md, docs/checkpoint.md).
 *
 * Step s trains on positions [s*B, (s+1)*B) of the endless pair stream
 * "epoch 0 shuffled, epoch 1 shuffled, ..." (pmp_loader_permute), so the data
 * cursor is a function of the step, and a run resumed from a checkpoint sees the
 * same batches as one that never stopped. With the same thread count the
 * resumed run's weights are bit-identical.
 */
#ifndef PMP_RUN_H
#define PMP_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "pmp_model.h"
#include "pmp_objective.h"

typedef struct pmp_run_opts {
    const char *data_dir;       /* training shards */
    const char *eval_dir;       /* may be NULL */
    const char *out_dir;        /* RUN_DIR: log.jsonl, checkpoints/ */
    const char *tokenizer;      /* NULL: the path in the data manifest */
    pmp_objective objective;
    int binarize;
    float lm_coef;
    long steps;
    int batch_pairs;            /* pairs per optimizer step */
    int micro_batches;          /* gradient accumulation: the step's pairs are split in this many */
    float lr, min_lr, weight_decay, clip;
    long warmup;
    const char *model;          /* preset name, or NULL when cfg is given */
    pmp_config cfg;             /* layers/heads/width/context when model == NULL (V ignored) */
    int context;                /* 0 = the preset's */
    const char *init;           /* checkpoint file, run dir, or model.safetensors; may be NULL */
    int reset_head;
    int threads;
    uint64_t seed;
    int resume;
    long ckpt_every;
    unsigned keep;
    long eval_every;            /* 0 = only at the end */
    long eval_pairs;            /* 0 = all eval pairs */
    /* Reporting (may be NULL). */
    void (*warn)(void *ctx, const char *msg);
    void (*progress)(void *ctx, long step, long steps, double tokens_per_s, double steps_per_s);
    void *ctx;
} pmp_run_opts;

void pmp_run_opts_default(pmp_run_opts *o);

typedef struct pmp_eval_result {
    long pairs;
    double accuracy;            /* better scored above worse */
    double margin;              /* mean score(better) - score(worse) */
    double loss;                /* mean -log sigmoid(margin) */
    double ece;                 /* expected calibration error of sigmoid(margin), 10 bins */
    double longer_wins;         /* accuracy of "the longer response is better" (ties 1/2) */
    /* accuracy - longer_wins, and its standard error over pairs (paired: the same
     * pairs judged both ways; pairs of one group are correlated, so it is a lower
     * bound) */
    double vs_longer, vs_longer_se;
} pmp_eval_result;

typedef struct pmp_run_result {
    long start_step;            /* > 0 when resumed */
    long steps;
    double seconds;
    double tokens;
    double last_loss;
    int evaluated;
    pmp_eval_result eval;       /* the final evaluation */
    uint64_t params_xxh64;      /* of the final weights (resume tests compare it) */
} pmp_run_result;

int pmp_run_train(const pmp_run_opts *o, pmp_run_result *res, pmp_err *err);

/* Scores pairs with a trained model: for the first max_pairs pairs of data_dir
 * (0 = all, storage order), writes one JSON line per pair to out:
 *   {"pair":k,"better":r,"worse":r,"better_tokens":[...],"worse_tokens":[...]}
 * (the token lists only with with_tokens: the exact sequences the rewards were
 * read from, end-of-context token included). */
int pmp_run_score(const char *ckpt, const char *data_dir, const char *tokenizer, long max_pairs,
                  int with_tokens, FILE *out, pmp_err *err);

/* Writes a checkpoint's weights as a GPT-2 model.safetensors (+ score head), and
 * config.json when config_out is not NULL. */
int pmp_run_export(const char *ckpt, const char *out, const char *config_out, pmp_err *err);

#endif

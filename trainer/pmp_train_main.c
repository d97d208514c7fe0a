/* pmp-train — train a preference model on shards (pmp_runs.h); `pmp-train export`
 * writes a checkpoint as GPT-2 safetensors. */
#include <getopt.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_common.h"
#include "pmp_experiments.h"

static const char usage[] =
    "Usage: pmp-train --data DIR --out RUN_DIR [OPTIONS]\n"
    "       pmp-train export CKPT|RUN_DIR -o MODEL_DIR/ [--tokenizer FILE | --data DIR]\n"
    "       pmp-train export CKPT|RUN_DIR -o pm.safetensors [--config-out config.json]\n"
    "       pmp-train score CKPT|RUN_DIR --data DIR [--pairs N] [--tokens] [--normalize] > rewards.jsonl\n"
    "       pmp-train score CKPT|RUN_DIR --text GROUPS.jsonl [--data DIR | --tokenizer FILE]\n"
    "                 [--max-context-tokens N] [--max-response-tokens N] [--normalize] > rewards.jsonl\n"
    "                 (--normalize: (r - mean) / std, the run's eval statistics, as OpenRLHF)\n"
    "       pmp-train plot RUN_DIR -o run.svg|run.png   (loss, and eval accuracy vs longer-wins)\n"
    "Trains a preference model on ranked-pair shards (pmp-tokenize's output): a GPT-2\n"
    "architecture transformer with a scalar reward head, on CPU threads. RUN_DIR gets\n"
    "log.jsonl, config.json, tb/ (TensorBoard: tensorboard --logdir RUN_DIR/tb) and\n"
    "checkpoints/step-N; --resume continues the newest whole checkpoint and ends with the\n"
    "same weights as a run that never stopped (on another number of MPI ranks: the same\n"
    "batches, to fp32 tolerance).\n\n"
    "Data and objective:\n"
    "  --data DIR[:WEIGHT]   training shards (manifest.json + *.pmps); repeat it to mix\n"
    "                        several: no weights = their union (as pmp-shard merge), or\n"
    "                        each source drawn with probability WEIGHT / sum (docs/train.md)\n"
    "  --eval DIR            evaluation shards: pair accuracy vs the longer-wins baselines\n"
    "  --max-pairs N         train on a seeded subsample of N pairs, by whole groups\n"
    "                        (nested: the N-pair subsample holds every smaller one)\n"
    "  --subsample-seed S    the subsample's seed (0)\n"
    "  --objective NAME      rank (default), binary, imitation, or lm (next-token loss on\n"
    "                        each pair's context + better response)\n"
    "  --binarize            the paper's GOOD:/BAD: view of each pair (rank, binary)\n"
    "  --lm-coef X           rank: add X times the LM loss on the better sequence\n"
    "  --margin KIND         rank: -log sigmoid(r_b - r_w - m), m from the pair's scores:\n"
    "                        none (default), score-gap (s_b - s_w), log-score-gap\n"
    "                        (ln(1 + s_b - s_w)); TRL's margin, OpenRLHF's --margin_loss\n"
    "  --center-rewards C    rank: add C * mean (r_b + r_w)^2 (TRL's\n"
    "                        center_rewards_coefficient; 1e-2 is TRL's suggestion)\n"
    "  --tokenizer T         the shards' tokenizer, if its recorded path moved\n"
    "Model:\n"
    "  --model NAME          tiny (default), small or gpt2\n"
    "  --layers N --heads N --width N   instead of --model\n"
    "  --context N           context length (at most the preset's)\n"
    "  --init PATH           start from a checkpoint, a run dir, a GPT-2 model.safetensors\n"
    "                        (config.json beside it) or a model dir (pmp-train export's)\n"
    "  --init-config FILE    the config.json of a GPT-2 --init, when it is not beside it\n"
    "  --reset-head          new reward head (finetuning: with a fresh optimizer and cursor)\n"
    "Optimisation:\n"
    "  --steps N (1000; 0 evaluates the start weights on --eval and trains nothing)\n"
    "  --batch-pairs B (8)  --micro-batches K (1, gradient accumulation)\n"
    "  --lr X (3e-4)  --min-lr X (0)  --warmup N (5% of steps)  --weight-decay X (0.1)\n"
    "  --clip X (1.0)  --seed S (1)  --threads T (all cores; per MPI rank: cores / ranks)\n"
    "  --allreduce fused|overlap   under mpirun: one sum of all gradients per step\n"
    "                        (default), or block by block overlapped with the backward\n"
    "                        pass (no faster on one host: docs/scaling.md)\n"
    "Run:\n"
    "  --resume              continue RUN_DIR from its newest whole checkpoint; the flags\n"
    "                        the run was started with come from RUN_DIR/args.json, so\n"
    "                        `pmp-train --resume --out RUN_DIR` is enough; with a larger\n"
    "                        --steps N it extends the run (the cosine re-planned for N\n"
    "                        from the old end on: docs/train.md)\n"
    "  --ckpt-every N (100)  --keep K (3)  --eval-every N (0: at the end)  --eval-pairs N (all)\n"
    "  -q, --quiet  --json  -h, --help  --version\n\n"
    "Example:\n"
    "  pmp-train --data shards/ --eval shards/eval --objective rank --model tiny \\\n"
    "            --steps 2000 --out runs/pmp-se\n"
    "  pmp-train --resume --out runs/pmp-se --steps 3000\n"
    "  pmp-train --data shards-a/:3 --data shards-b/:1 --steps 2000 --out runs/mix\n"
    "  pmp-train export runs/pmp-se -o pm/\n"
    "  pmp-train score runs/pmp-se --text groups.jsonl > rewards.jsonl\n";

static void on_warn(void *ctx, const char *msg)
{
    pmp_cli_warn(ctx, "%s", msg);
}

/* --json of score and export: which checkpoint was read, and how many newer, damaged
 * ones were passed over (each also said on stderr). */
static void ckpt_stats(pmp_cli *cli, const pmp_ckpt_pick *pick)
{
    if (pick->step >= 0) pmp_cli_stat_num(cli, "checkpoint_step", (double)pick->step);
    pmp_cli_stat_num(cli, "checkpoint_fallbacks", (double)pick->fallbacks);
}

static void on_note(void *ctx, const char *msg)
{
    pmp_cli *cli = ctx;
    if (cli->quiet) return;
    pmp_cli_progress_done(cli);
    fprintf(stderr, "%s: %s\n", cli->prog, msg);
}

static void on_progress(void *ctx, long step, long steps, double tok_s, double steps_s)
{
    pmp_cli *cli = ctx;
    if (!cli->progress) return;
    double t = pmp_now();
    if (t - cli->t_last_progress < 0.25 && step != steps) return;
    cli->t_last_progress = t;
    double eta = steps_s > 0 ? (double)(steps - step) / steps_s : 0;
    fprintf(stderr, "\r%s: step %ld/%ld, %.2f steps/s, %.0f tokens/s, ETA %.0fs   ", cli->prog, step, steps,
            steps_s, tok_s, eta);
    fflush(stderr);
}

/* Numbers go through common/parse.c: whole string, in range, finite. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    long long v;
    if (pmp_parse_int(s, lo, hi, &v) < 0) return -1;
    *out = (long)v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    long v = 0;
    if (parse_long(s, lo, hi, &v) < 0) return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *s, double lo, double hi, float *out)
{
    double v;
    if (pmp_parse_double(s, lo, hi, &v) < 0) return -1;
    *out = (float)v;
    return 0;
}

static int cmd_export(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-train export", usage);
    enum { OPT_CONFIG_OUT = PMP_OPT_FIRST_FREE, OPT_TOKENIZER, OPT_DATA };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {"config-out", required_argument, NULL, OPT_CONFIG_OUT},
        {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
        {"data", required_argument, NULL, OPT_DATA},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    pmp_ckpt_pick pick = {on_warn, &cli, -1, 0};
    pmp_export_opts x = {NULL, NULL, NULL, &pick};
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        if (c == 'o') out = optarg;
        else if (c == OPT_CONFIG_OUT) x.config_out = optarg;
        else if (c == OPT_TOKENIZER) x.tokenizer = optarg;
        else if (c == OPT_DATA) x.data_dir = optarg;
        else return pmp_cli_usage_error(&cli, "unexpected option");
    }
    if (optind + 1 != argc || !out) return pmp_cli_usage_error(&cli, "expected CKPT and -o OUT");
    if (!strcmp(out, "-"))
        return pmp_cli_usage_error(&cli, "-o -: export writes a model directory or a .safetensors file "
                                   "(with config.json beside it), not stdout");
    pmp_err err;
    int hf_dir = 0;
    if (pmp_run_export(argv[optind], out, &x, &hf_dir, &err) < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    pmp_cli_stat_str(&cli, "checkpoint", argv[optind]);
    ckpt_stats(&cli, &pick);
    pmp_cli_stat_str(&cli, "output", out);
    pmp_cli_stat_str(&cli, "layout", hf_dir ? "huggingface-dir" : "safetensors-file");
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

static int cmd_score(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-train score", usage);
    enum { OPT_DATA = PMP_OPT_FIRST_FREE, OPT_PAIRS, OPT_TOKENS, OPT_TOKENIZER, OPT_TEXT, OPT_MAXC, OPT_MAXR,
           OPT_NORMALIZE };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"data", required_argument, NULL, OPT_DATA},
        {"pairs", required_argument, NULL, OPT_PAIRS},
        {"tokens", no_argument, NULL, OPT_TOKENS},
        {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
        {"text", required_argument, NULL, OPT_TEXT},
        {"max-context-tokens", required_argument, NULL, OPT_MAXC},
        {"max-response-tokens", required_argument, NULL, OPT_MAXR},
        {"normalize", no_argument, NULL, OPT_NORMALIZE},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *tokenizer = NULL, *text = NULL;
    long pairs = 0, maxc = -1, maxr = -1;
    int tokens = 0, normalize = 0, c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        int bad = 0;
        if (c == OPT_DATA) data = optarg;
        else if (c == OPT_TOKENIZER) tokenizer = optarg;
        else if (c == OPT_TOKENS) tokens = 1;
        else if (c == OPT_NORMALIZE) normalize = 1;
        else if (c == OPT_TEXT) text = optarg;
        else if (c == OPT_PAIRS) bad = parse_long(optarg, 0, 1L << 40, &pairs);
        else if (c == OPT_MAXC) bad = parse_long(optarg, 0, 1L << 30, &maxc);
        else if (c == OPT_MAXR) bad = parse_long(optarg, 0, 1L << 30, &maxr);
        else return pmp_cli_usage_error(&cli, "unexpected option");
        if (bad) return pmp_cli_bad_value(&cli, longopts, c, optarg);
    }
    if (optind + 1 != argc || (!data && !text))
        return pmp_cli_usage_error(&cli, "expected CKPT and --data DIR or --text GROUPS.jsonl");
    pmp_err err;
    pmp_ckpt_pick pick = {on_warn, &cli, -1, 0};
    if (text) {
        if (tokens || pairs) return pmp_cli_usage_error(&cli, "--tokens and --pairs score shards, not --text");
        uint64_t ng = 0, nr = 0;
        pmp_score_text_opts x = {tokenizer, data, maxc, maxr, &ng, &nr, normalize, &pick};
        int rc = pmp_run_score_text(argv[optind], text, &x, stdout, &err);
        if (rc == 0 && fflush(stdout) != 0) rc = pmp_err_setc(&err, pmp_errcode_from_errno(errno), "write error on the output");
        pmp_cli_stat_num(&cli, "groups", (double)ng);
        pmp_cli_stat_num(&cli, "responses", (double)nr);
        ckpt_stats(&cli, &pick);
        if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
        return pmp_cli_finish(&cli, PMP_EXIT_OK);
    }
    if (maxc >= 0 || maxr >= 0) return pmp_cli_usage_error(&cli, "the cuts of shards are the shards' own");
    if (pmp_run_score(argv[optind], data, tokenizer, pairs, tokens, normalize, stdout, &pick, &err) < 0)
        return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (fflush(stdout) != 0) {
        pmp_err_setc(&err, pmp_errcode_from_errno(errno), "write error on the output");
        return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    }
    ckpt_stats(&cli, &pick);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

static int cmd_plot(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-train plot", usage);
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        if (c == 'o') out = optarg;
        else return pmp_cli_usage_error(&cli, "unexpected option");
    }
    if (optind + 1 != argc || !out) return pmp_cli_usage_error(&cli, "expected RUN_DIR and -o OUT.svg|.png");
    pmp_err err = {0};
    int rc = pmp_run_plot(argv[optind], out, &err);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (rc == 0)
        pmp_cli_warn(&cli, "gnuplot is not installed (apt install gnuplot-nox): wrote %s/plot/ only",
                     argv[optind]);
    pmp_cli_stat_str(&cli, "run", argv[optind]);
    pmp_cli_stat_str(&cli, "output", out);
    pmp_cli_stat_num(&cli, "drawn", rc);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

static char *not_saved;   /* train_main's argv words that args.json leaves out */
/* --data DIR[:WEIGHT] arguments (freed by main on every path out of train_main). */
typedef struct data_args {
    char **dirs;
    double *weights;
    int n;
} data_args;

static int train_main(int argc, char **argv, data_args *da);

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "plot")) return cmd_plot(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "export")) return cmd_export(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "score")) return cmd_score(argc - 1, argv + 1);
    pmp_dist_init(&argc, &argv);
    data_args da = {NULL, NULL, 0};
    int rc = train_main(argc, argv, &da);
    free(not_saved);
    for (int k = 0; k < da.n; k++) free(da.dirs[k]);
    free(da.dirs);
    free(da.weights);
    if (rc != PMP_EXIT_OK) pmp_dist_abort(rc);   /* the other ranks would wait for this one */
    pmp_dist_finalize();
    return rc;
}

static int train_main(int argc, char **argv, data_args *da)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-train", usage);
    enum {
        OPT_DATA = PMP_OPT_FIRST_FREE, OPT_EVAL, OPT_OBJECTIVE, OPT_BINARIZE, OPT_LMCOEF, OPT_TOKENIZER,
        OPT_MODEL, OPT_LAYERS, OPT_HEADS, OPT_WIDTH, OPT_CONTEXT, OPT_INIT, OPT_RESET_HEAD, OPT_STEPS,
        OPT_BATCH, OPT_MICRO, OPT_LR, OPT_MINLR, OPT_WARMUP, OPT_WD, OPT_CLIP, OPT_SEED, OPT_THREADS,
        OPT_RESUME, OPT_CKPT_EVERY, OPT_KEEP, OPT_EVAL_EVERY, OPT_EVAL_PAIRS, OPT_OUT,
        OPT_MAX_PAIRS, OPT_SUB_SEED, OPT_INIT_CONFIG, OPT_ALLREDUCE, OPT_MARGIN, OPT_CENTER,
    };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"data", required_argument, NULL, OPT_DATA}, {"eval", required_argument, NULL, OPT_EVAL},
        {"objective", required_argument, NULL, OPT_OBJECTIVE}, {"binarize", no_argument, NULL, OPT_BINARIZE},
        {"lm-coef", required_argument, NULL, OPT_LMCOEF}, {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
        {"model", required_argument, NULL, OPT_MODEL}, {"layers", required_argument, NULL, OPT_LAYERS},
        {"heads", required_argument, NULL, OPT_HEADS}, {"width", required_argument, NULL, OPT_WIDTH},
        {"context", required_argument, NULL, OPT_CONTEXT}, {"init", required_argument, NULL, OPT_INIT},
        {"init-config", required_argument, NULL, OPT_INIT_CONFIG},
        {"reset-head", no_argument, NULL, OPT_RESET_HEAD}, {"steps", required_argument, NULL, OPT_STEPS},
        {"batch-pairs", required_argument, NULL, OPT_BATCH}, {"micro-batches", required_argument, NULL, OPT_MICRO},
        {"lr", required_argument, NULL, OPT_LR}, {"min-lr", required_argument, NULL, OPT_MINLR},
        {"warmup", required_argument, NULL, OPT_WARMUP}, {"weight-decay", required_argument, NULL, OPT_WD},
        {"clip", required_argument, NULL, OPT_CLIP}, {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS}, {"resume", no_argument, NULL, OPT_RESUME},
        {"ckpt-every", required_argument, NULL, OPT_CKPT_EVERY}, {"keep", required_argument, NULL, OPT_KEEP},
        {"eval-every", required_argument, NULL, OPT_EVAL_EVERY},
        {"eval-pairs", required_argument, NULL, OPT_EVAL_PAIRS}, {"out", required_argument, NULL, OPT_OUT},
        {"max-pairs", required_argument, NULL, OPT_MAX_PAIRS},
        {"subsample-seed", required_argument, NULL, OPT_SUB_SEED},
        {"allreduce", required_argument, NULL, OPT_ALLREDUCE},
        {"margin", required_argument, NULL, OPT_MARGIN}, {"center-rewards", required_argument, NULL, OPT_CENTER},
        {NULL, 0, NULL, 0},
    };
    /* --resume --out RUN: the flags the run was started with (RUN/args.json) come first,
     * the ones given now after them, so they override; a change the run cannot take is
     * refused by the config check as before. */
    const char *resume_out = NULL;
    int resume_flag = 0, c;
    /* A first, silent getopt pass finds them as the real one will (abbreviations,
     * --out=RUN, an "--out" that is another flag's value); "-" keeps argv's order.
     * It also marks the words a saved run leaves out (-q, --json, --resume). */
    not_saved = pmp_xcalloc((size_t)argc + 1, 1);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "-" PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (c == OPT_RESUME) resume_flag = 1;
        else if (c == OPT_OUT) resume_out = optarg;
        const char *w = argv[optind - 1];
        if ((c == OPT_RESUME || c == 'q' || c == PMP_OPT_QUIET || c == PMP_OPT_JSON) &&
            (!strcmp(w, "-q") || !strncmp(w, "--", 2)))
            not_saved[optind - 1] = 1;
    }
    opterr = 1;
    optind = 0;
    char **saved = NULL, **merged = NULL;
    int n_saved = 0, from_saved = 0;
    if (resume_flag && resume_out) {
        pmp_err aerr;
        int got = pmp_run_load_args(resume_out, &saved, &n_saved, &aerr);
        if (got < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &aerr));
        if (got == 1) {
            merged = pmp_xcalloc((size_t)(n_saved + argc + 1), sizeof *merged);
            merged[0] = argv[0];
            for (int i = 0; i < n_saved; i++) merged[1 + i] = saved[i];
            for (int i = 1; i < argc; i++) merged[n_saved + i] = argv[i];
            from_saved = 1;
        }
    }
    char **orig_argv = argv;
    int orig_argc = argc;
    if (from_saved) {
        argv = merged;
        argc = n_saved + orig_argc;
    }
    pmp_run_opts o;
    pmp_run_opts_default(&o);
    o.warn = on_warn;
    o.note = on_note;
    o.progress = on_progress;
    o.ctx = &cli;
    int explicit_shape = 0;
    long v = 0;
    /* --data DIR[:WEIGHT], repeatable; given now on a --resume, they replace the run's */
    int data_new = 0, n_weighted = 0;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        const char *a = optarg;
        int bad = 0;
        switch (c) {
        case OPT_DATA: {
            int is_new = from_saved && optind - 1 > n_saved;
            if (is_new && !data_new) {   /* the first --data given now: the saved ones go */
                for (int k = 0; k < da->n; k++) free(da->dirs[k]);
                da->n = n_weighted = 0;
            }
            data_new |= is_new;
            da->dirs = pmp_xrealloc(da->dirs, (size_t)(da->n + 1) * sizeof *da->dirs);
            da->weights = pmp_xrealloc(da->weights, (size_t)(da->n + 1) * sizeof *da->weights);
            da->dirs[da->n] = NULL;
            bad = pmp_run_parse_data(a, &da->dirs[da->n], &da->weights[da->n]) < 0;
            if (!bad) n_weighted += da->weights[da->n] > 0, da->n++;
            break;
        }
        case OPT_EVAL: o.eval_dir = a; break;
        case OPT_OUT: o.out_dir = a; break;
        case OPT_TOKENIZER: o.tokenizer = a; break;
        case OPT_OBJECTIVE:
            if (pmp_objective_parse(a, &o.objective) < 0) return pmp_cli_usage_error(&cli, "unknown objective '%s'", a);
            break;
        case OPT_BINARIZE: o.binarize = 1; break;
        case OPT_MARGIN:
            if (pmp_margin_parse(a, &o.margin) < 0)
                return pmp_cli_usage_error(&cli, "--margin '%s': none, score-gap or log-score-gap", a);
            break;
        case OPT_CENTER: {
            double x;
            bad = pmp_parse_double(a, 0.0, 1e6, &x) < 0;
            o.center_rewards = (float)x;
            break;
        }
        case OPT_LMCOEF: bad = parse_float(a, 0, 1e3, &o.lm_coef); break;
        case OPT_MODEL: o.model = a; o.shape_given = 1; break;
        case OPT_LAYERS: bad = parse_int(a, 1, 256, &o.cfg.L); explicit_shape = 1; break;
        case OPT_HEADS: bad = parse_int(a, 1, 256, &o.cfg.NH); explicit_shape = 1; break;
        case OPT_WIDTH: bad = parse_int(a, 1, 1 << 16, &o.cfg.C); explicit_shape = 1; break;
        case OPT_CONTEXT: bad = parse_int(a, 2, 1 << 16, &o.context); o.cfg.maxT = o.context; break;
        case OPT_INIT: o.init = a; break;
        case OPT_INIT_CONFIG: o.init_config = a; break;
        case OPT_RESET_HEAD: o.reset_head = 1; break;
        case OPT_STEPS: bad = parse_long(a, 0, 1L << 40, &o.steps); break;
        case OPT_BATCH: bad = parse_int(a, 1, 1 << 20, &o.batch_pairs); break;
        case OPT_MICRO: bad = parse_int(a, 1, 1 << 20, &o.micro_batches); break;
        case OPT_ALLREDUCE:
            if (strcmp(a, "fused") && strcmp(a, "overlap"))
                return pmp_cli_usage_error(&cli, "--allreduce '%s': fused or overlap", a);
            o.allreduce_overlap = !strcmp(a, "overlap");
            break;
        case OPT_LR: bad = parse_float(a, 0, 10, &o.lr); break;
        case OPT_MINLR: bad = parse_float(a, 0, 10, &o.min_lr); break;
        case OPT_WARMUP: bad = parse_long(a, 0, 1L << 40, &o.warmup); break;
        case OPT_WD: bad = parse_float(a, 0, 10, &o.weight_decay); break;
        case OPT_CLIP: bad = parse_float(a, 0, 1e6, &o.clip); break;
        case OPT_SEED: bad = parse_long(a, 0, LONG_MAX, &v); o.seed = (uint64_t)v; break;
        case OPT_THREADS: bad = parse_int(a, 1, 1024, &o.threads); break;
        case OPT_RESUME: o.resume = 1; break;
        case OPT_CKPT_EVERY: bad = parse_long(a, 0, 1L << 40, &o.ckpt_every); break;
        case OPT_KEEP: bad = parse_long(a, 1, 1L << 20, &v); o.keep = (unsigned)v; break;
        case OPT_EVAL_EVERY: bad = parse_long(a, 0, 1L << 40, &o.eval_every); break;
        case OPT_EVAL_PAIRS: bad = parse_long(a, 0, 1L << 40, &o.eval_pairs); break;
        case OPT_MAX_PAIRS: bad = parse_long(a, 1, 1L << 40, &o.max_pairs); break;
        case OPT_SUB_SEED: bad = parse_long(a, 0, LONG_MAX, &v); o.subsample_seed = (uint64_t)v; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
        if (bad) return pmp_cli_bad_value(&cli, longopts, c, a);
    }
    if (optind != argc) return pmp_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
    if (n_weighted && n_weighted != da->n)
        return pmp_cli_usage_error(&cli, "--data: give every directory a weight (DIR:WEIGHT) or none");
    if (da->n) {
        o.data_dir = da->dirs[0];
        o.n_data = da->n;
        o.data_dirs = (const char *const *)da->dirs;
        o.data_weights = n_weighted ? da->weights : NULL;
    }
    if (!o.data_dir || !o.out_dir) return pmp_cli_usage_error(&cli, "--data and --out are required");
    if (!strcmp(o.out_dir, "-")) return pmp_cli_usage_error(&cli, "--out -: a run is a directory, not stdout");
    if (o.steps == 0 && !o.eval_dir) return pmp_cli_usage_error(&cli, "--steps 0 needs --eval");
    if (explicit_shape) o.shape_given = 1;
    if (explicit_shape) {
        if (!o.cfg.L || !o.cfg.NH || !o.cfg.C || !o.cfg.maxT)
            return pmp_cli_usage_error(&cli, "--layers, --heads, --width and --context go together");
        o.model = NULL;
    }
    pmp_err err;
    if (pmp_dist_rank() != 0) cli.quiet = 1, cli.json = 0;   /* rank 0 reports for the job */
    /* RUN/lock before anything is written there (args.json included): of two runs
     * started at once, one is refused cleanly, the other never sees a half-done file.
     * Held until exit. */
    int lock_fd = -1;
    if (pmp_dist_rank() == 0) {
        if (pmp_mkdir_p(o.out_dir, &err) < 0 || pmp_lock_dir(o.out_dir, "lock", "trained by another "
                                                             "pmp-train", &lock_fd, &err) < 0)
            return pmp_cli_fail_err(&cli, &err);
        o.out_locked = 1;
    }
    if (!from_saved && pmp_dist_rank() == 0) {
        /* what a later `--resume --out RUN` replays: the run's flags, not -q, --json or
         * --resume (those are about this invocation) */
        char **keep = pmp_xcalloc((size_t)orig_argc, sizeof *keep);
        int nk = 0;
        for (int i = 1; i < orig_argc; i++)
            if (!not_saved[i]) keep[nk++] = orig_argv[i];
        int src = pmp_run_save_args(o.out_dir, nk, keep, &err);
        free(keep);
        if (src < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    }
    pmp_run_result res;
    int rc = pmp_run_train(&o, &res, &err);
    free(merged);
    pmp_run_free_args(saved, n_saved);
    pmp_cli_progress_done(&cli);
    pmp_cli_stat_str(&cli, "out", o.out_dir);
    pmp_cli_stat_num(&cli, "start_step", (double)res.start_step);
    if (o.resume) pmp_cli_stat_num(&cli, "checkpoint_fallbacks", (double)res.ckpt_fallbacks);
    pmp_cli_stat_num(&cli, "steps", (double)res.steps);
    if (rc == 0) pmp_cli_stat_num(&cli, "final_loss", res.last_loss);   /* a failed run has none */
    pmp_cli_stat_num(&cli, "train_pairs", (double)res.train_pairs);
    pmp_cli_stat_num(&cli, "train_groups", (double)res.train_groups);
    if (o.max_pairs > 0) {
        pmp_cli_stat_num(&cli, "max_pairs", (double)o.max_pairs);
        pmp_cli_stat_num(&cli, "subsample_seed", (double)o.subsample_seed);
    }
    if (pmp_dist_size() > 1) {
        pmp_cli_stat_num(&cli, "ranks", pmp_dist_size());
        pmp_cli_stat_num(&cli, "allreduce_seconds", res.comm_seconds);
    }
    if (rc == 0 && res.seconds > 0) {   /* a failed run's rates would be nonsense */
        pmp_cli_stat_num(&cli, "steps_per_s", (double)(res.steps - res.start_step) / res.seconds);
        pmp_cli_stat_num(&cli, "tokens_per_s", res.tokens / res.seconds);
    }
    if (res.evaluated && res.eval.pairs > 0) {   /* text shards (an lm run) have no pairs */
        pmp_cli_stat_num(&cli, "eval_pairs", (double)res.eval.pairs);
        pmp_cli_stat_num(&cli, "eval_accuracy", res.eval.accuracy);
        pmp_cli_stat_num(&cli, "longer_wins_accuracy", res.eval.longer_wins);
        pmp_cli_stat_num(&cli, "longer_wins_visible_accuracy", res.eval.longer_wins_visible);
        pmp_cli_stat_num(&cli, "eval_vs_longer", res.eval.vs_longer);
        pmp_cli_stat_num(&cli, "eval_vs_longer_se", res.eval.vs_longer_se);
        pmp_cli_stat_num(&cli, "eval_margin", res.eval.margin);
        pmp_cli_stat_num(&cli, "eval_ece", res.eval.ece);
        if (res.eval.reward_n) {
            pmp_cli_stat_num(&cli, "eval_reward_mean", res.eval.reward_mean);
            pmp_cli_stat_num(&cli, "eval_reward_std", res.eval.reward_std);
        }
    }
    if (res.evaluated && res.eval.lm_tokens) {
        pmp_cli_stat_num(&cli, "eval_lm_loss", res.eval.lm_loss);
        pmp_cli_stat_num(&cli, "eval_perplexity", exp(res.eval.lm_loss));
        pmp_cli_stat_num(&cli, "eval_lm_tokens", (double)res.eval.lm_tokens);
    }
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)res.params_xxh64);
    if (rc == 0) pmp_cli_stat_str(&cli, "params_xxh64", hash);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

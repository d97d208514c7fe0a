/* pmp-curve — sample-efficiency curves: flags, then pmp_curve_run and
 * pmp_curve_summarize (pmp_experiments.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_experiments.h"

static const char usage[] =
    "Usage: pmp-curve --train DIR --eval DIR --init NAME=SRC[,SRC...] [--init ...] --sizes LIST\n"
    "                 [--seeds N] [--baseline NAME] [--jobs J] [recipe flags] -o OUT_DIR\n"
    "       pmp-curve plot OUT_DIR [--baseline NAME]\n"
    "       pmp-curve summary DIR... -o OUT [--baseline NAME]   (several targets pooled)\n"
    "Finetunes every init on seeded, nested subsamples of --train (by whole groups;\n"
    "the same pairs for every init) and measures each on the whole --eval set\n"
    "(docs/experiments.md). Writes OUT_DIR/curve.csv (one row per init, replicate, size\n"
    "and seed), margins/ (each cell's per-pair margins), summary.csv (each init's accuracy\n"
    "and its paired difference against --baseline, with 95% intervals over targets,\n"
    "replicates, seeds and eval pairs) and the pictures curve.svg/.png and diff.svg/.png\n"
    "(with gnuplot). Run it again to resume: finished cells are skipped, a cell killed\n"
    "half-way is redone.\n\n"
    "  --init NAME=SRC[,SRC...][:new-head]  SRC: a run dir, a checkpoint, a GPT-2\n"
    "                  model.safetensors, or 'scratch' (random weights, the recipe's\n"
    "                  --model). Several SRCs are replicates of one arm (e.g. PMP runs\n"
    "                  with other seeds): each is finetuned with every seed. :new-head\n"
    "                  resets the reward head instead of keeping it\n"
    "  --baseline NAME the init every other is compared with (default: the first --init;\n"
    "                  kept in OUT_DIR/baseline for `plot`)\n"
    "  --boot N        bootstrap resamples for the intervals (2000); --boot-seed S (1)\n"
    "  --sizes LIST    training pairs per cell, e.g. 0,16,64,256 (0: the init as it is)\n"
    "  --seeds N       seeds 0..N-1 (3): subsample, shuffle and scratch weights\n"
    "  --jobs J        cells at once (1); --threads is split between them\n"
    "  --target NAME   the first CSV column (default: --eval's basename)\n"
    "  --keep-models   keep each cell's run directory (OUT_DIR/cells/)\n"
    "Recipe (the same for every init, recorded as a hash in every row):\n"
    "  --min-steps S (20)  --epochs E (2): steps = max(S, ceil(E * size / batch))\n"
    "  --batch-pairs B (8)  --lr X (3e-4)  --min-lr X (0)  --warmup N (5%)\n"
    "  --weight-decay X (0.1)  --objective rank|binary|...  --binarize\n"
    "  --model NAME | --layers L --heads H --width C   --context T   (for scratch)\n"
    "  --eval-pairs N (0 = all)  --threads N\n"
    "  -q, --quiet  --json  --help  --version\n\n"
    "Example:\n"
    "  pmp-curve --train hh-pool/ --eval hh-eval/ --init scratch=scratch \\\n"
    "      --init pmp=runs/pmp-se --baseline scratch --sizes 0,32,128,512 --seeds 5 --model tiny -o curves/hh\n"
    "  pmp-curve plot curves/hh --baseline pmp\n"
    "  pmp-curve summary curves/hh -o curves/pooled\n"
    "(replicate runs of one arm: --init pmp=runs/pmp-s1,runs/pmp-s2,runs/pmp-s3)\n";

static void on_progress(void *ctx, size_t done, size_t cells, double eta)
{
    pmp_cli *cli = ctx;
    if (!cli->progress) return;
    fprintf(stderr, "\r%s: cell %zu of %zu, ETA %.0fs   ", cli->prog, done, cells, eta);
    cli->t_last_progress = pmp_now();
}

/* The cells that failed after the first (which pmp_curve_run returns). */
static void on_cell_error(void *ctx, const pmp_err *err)
{
    pmp_cli *cli = ctx;
    pmp_cli_progress_done(cli);
    fprintf(stderr, "%s: %s\n", cli->prog, err->msg);
}

/* pmp-curve plot OUT_DIR | pmp-curve summary DIR... -o OUT */
static int cmd_summary(int argc, char **argv, int plot)
{
    pmp_cli cli;
    pmp_cli_init(&cli, plot ? "pmp-curve plot" : "pmp-curve summary", usage);
    enum { OPT_BASELINE = PMP_OPT_FIRST_FREE, OPT_BOOT, OPT_BOOT_SEED, OPT_OUT };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"baseline", required_argument, NULL, OPT_BASELINE}, {"boot", required_argument, NULL, OPT_BOOT},
        {"boot-seed", required_argument, NULL, OPT_BOOT_SEED}, {"out", required_argument, NULL, OPT_OUT},
        {NULL, 0, NULL, 0},
    };
    pmp_curve_summary_opts so;
    pmp_curve_summary_opts_default(&so);
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        long long v;
        int bad = 0;
        switch (c) {
        case OPT_BASELINE: so.baseline = optarg; break;
        case OPT_BOOT: bad = pmp_parse_int(optarg, 100, 1000000, &v); so.boot = (int)v; break;
        case OPT_BOOT_SEED: bad = pmp_parse_int(optarg, 0, 1LL << 62, &v); so.boot_seed = (uint64_t)v; break;
        case 'o':
        case OPT_OUT: so.out_dir = optarg; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
        if (bad) return pmp_cli_bad_value(&cli, longopts, c, optarg);
    }
    if (plot) {
        if (optind + 1 != argc) return pmp_cli_usage_error(&cli, "expected OUT_DIR");
        if (so.out_dir) return pmp_cli_usage_error(&cli, "plot draws into OUT_DIR: no -o");
        so.out_dir = argv[optind];
    } else if (optind == argc || !so.out_dir) {
        return pmp_cli_usage_error(&cli, "expected DIR... and -o OUT");
    }
    so.dirs = (const char *const *)argv + optind;
    so.n_dirs = (size_t)(argc - optind);
    pmp_err err = {0};
    int drawn;
    if (pmp_curve_summarize(&so, &drawn, &err) < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (!drawn)
        pmp_cli_warn(&cli, "gnuplot is not installed (apt install gnuplot-nox): wrote the CSVs only");
    pmp_cli_stat_str(&cli, "out", so.out_dir);
    pmp_cli_stat_num(&cli, "dirs", (double)so.n_dirs);
    pmp_cli_stat_num(&cli, "drawn", drawn);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

static int valid_name(const char *s, size_t n)
{
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]) || !s[i])
            return 0;
    return 1;
}

/* NAME=SRC[,SRC...][:new-head]: several SRCs are replicates of one arm */
static int parse_init(char *arg, pmp_curve_init *in)
{
    char *eq = strchr(arg, '=');
    if (!eq || !valid_name(arg, (size_t)(eq - arg)) || !eq[1]) return -1;
    *eq = 0;
    memset(in, 0, sizeof *in);
    in->name = arg;
    char *list = eq + 1;
    size_t n = strlen(list);
    if (n > 9 && !strcmp(list + n - 9, ":new-head")) {
        in->new_head = 1;
        list[n - 9] = 0;
    }
    const char **srcs = NULL;
    size_t k = 0;
    for (char *p = list;;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        if (!*p || k == 64) {
            free(srcs);
            return -1;
        }
        srcs = pmp_xrealloc(srcs, (k + 1) * sizeof *srcs);
        srcs[k++] = p;
        if (!c) break;
        p = c + 1;
    }
    in->srcs = srcs;
    in->n_srcs = k;
    in->scratch = !strcmp(srcs[0], "scratch");
    for (size_t i = 0; i < k; i++)
        if ((strcmp(srcs[i], "scratch") == 0) != in->scratch || (in->scratch && k > 1)) {
            free(srcs);
            in->srcs = NULL;
            return -1;
        }
    return 0;
}

static int parse_sizes(const char *s, long *out, size_t cap, size_t *n)
{
    *n = 0;
    char item[32];
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        long long v;
        if (len >= sizeof item || *n == cap) return -1;
        memcpy(item, p, len);
        item[len] = 0;
        if (pmp_parse_int(item, 0, 1LL << 40, &v) < 0) return -1;
        for (size_t i = 0; i < *n; i++)
            if (out[i] == v) return -1;
        out[(*n)++] = (long)v;
        if (!p[len]) return 0;
        p += len + 1;
    }
}

/* The --init arguments: each one's replicate list is malloc'd and freed by main. */
static pmp_curve_init inits[32];
static size_t n_inits;

static int sweep_main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "plot")) return cmd_summary(argc - 1, argv + 1, 1);
    if (argc > 1 && !strcmp(argv[1], "summary")) return cmd_summary(argc - 1, argv + 1, 0);
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-curve", usage);
    enum {
        OPT_TRAIN = PMP_OPT_FIRST_FREE, OPT_EVAL, OPT_INIT, OPT_SIZES, OPT_SEEDS, OPT_JOBS,
        OPT_TARGET, OPT_KEEP_MODELS, OPT_MIN_STEPS, OPT_EPOCHS, OPT_BATCH, OPT_LR, OPT_MINLR,
        OPT_WARMUP, OPT_WD, OPT_OBJECTIVE, OPT_BINARIZE, OPT_MODEL, OPT_LAYERS, OPT_HEADS,
        OPT_WIDTH, OPT_CONTEXT, OPT_EVAL_PAIRS, OPT_THREADS, OPT_OUT, OPT_BASELINE, OPT_BOOT,
        OPT_BOOT_SEED,
    };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"train", required_argument, NULL, OPT_TRAIN}, {"eval", required_argument, NULL, OPT_EVAL},
        {"init", required_argument, NULL, OPT_INIT}, {"sizes", required_argument, NULL, OPT_SIZES},
        {"seeds", required_argument, NULL, OPT_SEEDS}, {"jobs", required_argument, NULL, OPT_JOBS},
        {"target", required_argument, NULL, OPT_TARGET},
        {"keep-models", no_argument, NULL, OPT_KEEP_MODELS},
        {"min-steps", required_argument, NULL, OPT_MIN_STEPS},
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"batch-pairs", required_argument, NULL, OPT_BATCH}, {"lr", required_argument, NULL, OPT_LR},
        {"min-lr", required_argument, NULL, OPT_MINLR}, {"warmup", required_argument, NULL, OPT_WARMUP},
        {"weight-decay", required_argument, NULL, OPT_WD},
        {"objective", required_argument, NULL, OPT_OBJECTIVE},
        {"binarize", no_argument, NULL, OPT_BINARIZE}, {"model", required_argument, NULL, OPT_MODEL},
        {"layers", required_argument, NULL, OPT_LAYERS}, {"heads", required_argument, NULL, OPT_HEADS},
        {"width", required_argument, NULL, OPT_WIDTH}, {"context", required_argument, NULL, OPT_CONTEXT},
        {"eval-pairs", required_argument, NULL, OPT_EVAL_PAIRS},
        {"threads", required_argument, NULL, OPT_THREADS}, {"out", required_argument, NULL, OPT_OUT},
        {"baseline", required_argument, NULL, OPT_BASELINE}, {"boot", required_argument, NULL, OPT_BOOT},
        {"boot-seed", required_argument, NULL, OPT_BOOT_SEED},
        {NULL, 0, NULL, 0},
    };
    pmp_curve_opts o;
    pmp_curve_opts_default(&o);
    pmp_curve_summary_opts so;
    pmp_curve_summary_opts_default(&so);
    o.progress = on_progress;
    o.cell_error = on_cell_error;
    o.ctx = &cli;
    long sizes[256];
    size_t n_sizes = 0;
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        const char *a = optarg;
        long long v;
        double d;
        int bad = 0;
        switch (c) {
        case OPT_TRAIN: o.train_dir = a; break;
        case OPT_EVAL: o.eval_dir = a; break;
        case 'o':
        case OPT_OUT: o.out_dir = a; break;
        case OPT_TARGET: o.target = a; bad = !valid_name(a, strlen(a)); break;
        case OPT_BASELINE: o.baseline = a; break;
        case OPT_BOOT: bad = pmp_parse_int(a, 100, 1000000, &v); so.boot = (int)v; break;
        case OPT_BOOT_SEED: bad = pmp_parse_int(a, 0, 1LL << 62, &v); so.boot_seed = (uint64_t)v; break;
        case OPT_INIT:
            if (n_inits == sizeof inits / sizeof inits[0] || parse_init(optarg, &inits[n_inits]) < 0)
                return pmp_cli_usage_error(&cli, "--init wants NAME=SRC[,SRC...][:new-head] (NAME of "
                                                 "[A-Za-z0-9_.-], scratch alone), not '%s'", a);
            n_inits++;   /* counted now, so main frees its list on every way out */
            for (size_t i = 0; i + 1 < n_inits; i++)
                if (!strcmp(inits[i].name, inits[n_inits - 1].name))
                    return pmp_cli_usage_error(&cli, "--init: the name '%s' is given twice", inits[i].name);
            break;
        case OPT_SIZES:
            if (parse_sizes(a, sizes, sizeof sizes / sizeof sizes[0], &n_sizes) < 0)
                return pmp_cli_usage_error(&cli, "--sizes wants distinct counts like 0,16,64, not '%s'", a);
            break;
        case OPT_SEEDS: bad = pmp_parse_int(a, 1, 1000, &v); o.seeds = (int)v; break;
        case OPT_JOBS: bad = pmp_parse_int(a, 1, 64, &v); o.jobs = (int)v; break;
        case OPT_KEEP_MODELS: o.keep_models = 1; break;
        case OPT_MIN_STEPS: bad = pmp_parse_int(a, 1, 1LL << 30, &v); o.min_steps = (long)v; break;
        case OPT_EPOCHS: bad = pmp_parse_double(a, 0, 1e6, &o.epochs); break;
        case OPT_BATCH: bad = pmp_parse_int(a, 1, 1 << 20, &v); o.recipe.batch_pairs = (int)v; break;
        case OPT_LR: bad = pmp_parse_double(a, 0, 10, &d); o.recipe.lr = (float)d; break;
        case OPT_MINLR: bad = pmp_parse_double(a, 0, 10, &d); o.recipe.min_lr = (float)d; break;
        case OPT_WARMUP: bad = pmp_parse_int(a, 0, 1LL << 30, &v); o.recipe.warmup = (long)v; break;
        case OPT_WD: bad = pmp_parse_double(a, 0, 10, &d); o.recipe.weight_decay = (float)d; break;
        case OPT_OBJECTIVE: bad = pmp_objective_parse(a, &o.recipe.objective) < 0; break;
        case OPT_BINARIZE: o.recipe.binarize = 1; break;
        case OPT_MODEL: o.recipe.model = a; break;
        case OPT_LAYERS: bad = pmp_parse_int(a, 1, 256, &v); o.recipe.cfg.L = (int)v; o.recipe.model = NULL; break;
        case OPT_HEADS: bad = pmp_parse_int(a, 1, 256, &v); o.recipe.cfg.NH = (int)v; o.recipe.model = NULL; break;
        case OPT_WIDTH: bad = pmp_parse_int(a, 1, 1 << 16, &v); o.recipe.cfg.C = (int)v; o.recipe.model = NULL; break;
        case OPT_CONTEXT:
            bad = pmp_parse_int(a, 2, 1 << 16, &v);
            o.recipe.context = (int)v;
            o.recipe.cfg.maxT = (int)v;
            break;
        case OPT_EVAL_PAIRS: bad = pmp_parse_int(a, 0, 1LL << 40, &v); o.recipe.eval_pairs = (long)v; break;
        case OPT_THREADS: bad = pmp_parse_int(a, 1, 1024, &v); o.recipe.threads = (int)v; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
        if (bad) return pmp_cli_bad_value(&cli, longopts, c, a);
    }
    if (optind != argc) return pmp_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
    if (!o.train_dir || !o.eval_dir || !o.out_dir || !n_inits || !n_sizes)
        return pmp_cli_usage_error(&cli, "--train, --eval, --init, --sizes and -o are required");
    char target[128];
    if (!o.target) {
        size_t n = strlen(o.eval_dir);
        while (n > 1 && o.eval_dir[n - 1] == '/') n--;
        const char *b = o.eval_dir + n;
        while (b > o.eval_dir && b[-1] != '/') b--;
        snprintf(target, sizeof target, "%.*s", (int)(o.eval_dir + n - b), b);
        for (char *p = target; *p; p++)
            if (*p == ',') *p = '_';
        o.target = target;
    }
    if (!o.baseline) o.baseline = inits[0].name;
    int known = 0;
    for (size_t i = 0; i < n_inits; i++) known |= !strcmp(inits[i].name, o.baseline);
    if (!known) return pmp_cli_usage_error(&cli, "--baseline '%s' is not one of the --init names", o.baseline);
    o.inits = inits;
    o.n_inits = n_inits;
    o.sizes = sizes;
    o.n_sizes = n_sizes;
    pmp_curve_result res;
    pmp_err err = {0};
    int rc = pmp_curve_run(&o, &res, &err);
    pmp_cli_progress_done(&cli);
    int drawn = 0;
    pmp_err perr = {0};
    /* the CSVs and the picture of what finished, also after a failed cell */
    const char *dirs[1] = {o.out_dir};
    so.dirs = dirs;
    so.n_dirs = 1;
    so.out_dir = o.out_dir;
    so.baseline = o.baseline;
    int prc = res.ran + res.skipped ? pmp_curve_summarize(&so, &drawn, &perr) : 0;
    pmp_cli_stat_str(&cli, "out", o.out_dir);
    pmp_cli_stat_num(&cli, "cells", (double)res.cells);
    pmp_cli_stat_num(&cli, "skipped", (double)res.skipped);
    pmp_cli_stat_num(&cli, "ran", (double)res.ran);
    pmp_cli_stat_num(&cli, "drawn", drawn);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (prc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &perr));
    if (!drawn)
        pmp_cli_warn(&cli, "gnuplot is not installed (apt install gnuplot-nox): the CSVs are in %s; "
                           "`pmp-curve plot %s` draws them later", o.out_dir, o.out_dir);
    else if (!cli.quiet && !cli.json)
        fprintf(stderr, "pmp-curve: %s/curve.csv, margins/, summary.csv, curve.svg/.png, diff.svg/.png\n",
                o.out_dir);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

int main(int argc, char **argv)
{
    int rc = sweep_main(argc, argv);
    for (size_t i = 0; i < n_inits; i++) free((void *)inits[i].srcs);
    return rc;
}

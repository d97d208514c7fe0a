/* pmp-tokenize — group JSONL -> tokenized ranked-pair shards (docs/tokenize.md). */
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_shard.h"
#include "pmp_tokenize.h"

static const char usage[] =
    "Usage: pmp-tokenize --tokenizer T -o DIR [OPTIONS] [FILE|-]...\n"
    "Reads comparison groups (JSONL from any pmp-extract; plain or compressed; several\n"
    "FILEs are read in the order given as one stream, `-` at most once),\n"
    "tokenizes them in parallel, forms ranked pairs and writes checksummed shards\n"
    "plus manifest.json into DIR (format: docs/shards.md; options: docs/tokenize.md).\n"
    "The output is byte-identical for any thread count and after --resume.\n\n"
    "Options:\n"
    "  -t, --tokenizer PATH         tokenizer.json, *.tiktoken or a GPT-2 directory (required)\n"
    "      --pattern P              pre-tokenisation pattern (name or regex; default: the file's)\n"
    "  -o, --output DIR             output directory (required)\n"
    "      --shard-size SIZE        tokens per shard, in bytes at 4 per token (default 64M; K/M/G)\n"
    "      --max-pairs-per-group K  keep at most K pairs per group, chosen by a hash of\n"
    "                               (group id, i, j) (default 8; 0 = all)\n"
    "      --min-score-gap X        keep a pair only if the scores differ by at least X\n"
    "      --preset shp             Stanford SHP's pair rule: keep A > B only if A was\n"
    "                               written no earlier than B and A's score >= 2 x B's\n"
    "                               (both times known); with pmp-extract reddit --preset shp\n"
    "      --time-rule              first-mover rule: keep A > B only if A was posted no\n"
    "                               earlier than B or A's score is at least twice B's\n"
    "      --max-context-tokens N   keep the last N context tokens (default: all)\n"
    "      --max-response-tokens N  keep the first N tokens of each response (default: all)\n"
    "      --split eval=F[,fold=K]  put a fraction F of the groups (by a hash of the group's\n"
    "                               split_key: its thread, page, question or opening turn)\n"
    "                               into DIR/eval/ (its own shards and manifest); fold K\n"
    "                               takes the K-th such slice instead of the first, so\n"
    "                               K = 0 .. 1/F - 1 give k-fold cross-validation\n"
    "      --split-by key|id        what --split hashes: the split key (default; groups\n"
    "                               without one: their id, with a warning), or the group id\n"
    "                               (the old way, which lets groups sharing text straddle\n"
    "                               the split; for comparisons)\n"
    "  -j, --threads N              encoding threads (default: OpenMP's, e.g. OMP_NUM_THREADS)\n"
    "      --zstd-level N           block compression level (default 1: fastest;\n"
    "                               3 makes hh-rlhf shards ~8% smaller for ~10% more CPU)\n"
    "      --resume                 continue an interrupted run in DIR (same options and\n"
    "                               inputs: the manifest lists each with its size)\n"
    "      --force                  overwrite the shards and manifests already in DIR\n"
    "      --skip-bad               count and skip invalid input lines (default: fail)\n"
    "      --max-line-bytes SIZE    a longer input line is an error (or, with --skip-bad,\n"
    "                               skipped and counted); bounds memory (default 64M; K/M/G)\n"
    "      --text                   language-model text instead of pairs: every distinct\n"
    "                               context and response once (first occurrence, by its\n"
    "                               bytes), as records of at most --chunk-tokens tokens\n"
    "                               (for pmp-train --objective lm; docs/tokenize.md)\n"
    "      --chunk-tokens N         --text: tokens per record (default 1024; use the\n"
    "                               model's --context)\n"
    "      --allow-empty            write a (complete, empty) DIR for an input with no\n"
    "                               groups; by default that is an error, since it mostly\n"
    "                               means an upstream stage failed\n"
    "  -q, --quiet                  no progress or summary on stderr\n"
    "      --json                   print the final stats as one JSON object on stderr\n"
    "  -h, --help                   this help;  --version  the version\n\n"
    "In pipes, run `set -o pipefail` first, so a stage that fails makes the pipe fail.\n\n"
    "Example:\n"
    "  set -o pipefail\n"
    "  pmp-extract hh train.jsonl.gz | pmp-tokenize -t gpt2/ -o shards/ --split eval=0.05\n";

enum {
    OPT_PATTERN = PMP_OPT_FIRST_FREE,
    OPT_SHARD_SIZE,
    OPT_MAX_PAIRS,
    OPT_MIN_GAP,
    OPT_TIME_RULE,
    OPT_PRESET,
    OPT_MAX_CTX,
    OPT_MAX_RESP,
    OPT_SPLIT,
    OPT_ZSTD,
    OPT_RESUME,
    OPT_FORCE,
    OPT_SKIP_BAD,
    OPT_BATCH,
    OPT_MAX_LINE,
    OPT_ALLOW_EMPTY,
    OPT_TEXT,
    OPT_CHUNK,
    OPT_SPLIT_BY,
};

static int parse_u64(const char *s, uint64_t *out)
{
    long long v;
    if (pmp_parse_int(s, 0, LLONG_MAX, &v) < 0) return -1;   /* common/parse.c: ERANGE too */
    *out = (uint64_t)v;
    return 0;
}

static void on_progress(void *ctx, uint64_t in_bytes, uint64_t groups)
{
    pmp_cli_progress(ctx, in_bytes, groups, "groups");
}

int main(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-tokenize", usage);
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"tokenizer", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'j'},
        {"pattern", required_argument, NULL, OPT_PATTERN},
        {"shard-size", required_argument, NULL, OPT_SHARD_SIZE},
        {"max-pairs-per-group", required_argument, NULL, OPT_MAX_PAIRS},
        {"min-score-gap", required_argument, NULL, OPT_MIN_GAP},
        {"time-rule", no_argument, NULL, OPT_TIME_RULE},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"max-context-tokens", required_argument, NULL, OPT_MAX_CTX},
        {"max-response-tokens", required_argument, NULL, OPT_MAX_RESP},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"zstd-level", required_argument, NULL, OPT_ZSTD},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"force", no_argument, NULL, OPT_FORCE},
        {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
        {"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
        {"text", no_argument, NULL, OPT_TEXT},
        {"chunk-tokens", required_argument, NULL, OPT_CHUNK},
        {"split-by", required_argument, NULL, OPT_SPLIT_BY},
        {NULL, 0, NULL, 0},
    };
    pmp_tokenize_opts o;
    pmp_tokenize_opts_default(&o);
    int c, text = 0, pairing = 0;
    uint64_t v, chunk = 0;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "t:o:j:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        char *end, frac[64];
        switch (c) {
        case 't': o.tokenizer = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'j':
            if (parse_u64(optarg, &v) < 0 || v < 1 || v > 1024)
                return pmp_cli_usage_error(&cli, "--threads: expected 1..1024, got '%s'", optarg);
            o.threads = (int)v;
            break;
        case OPT_PATTERN: o.pattern = optarg; break;
        case OPT_SHARD_SIZE:
            if (pmp_parse_size(optarg, &o.policy.shard_size) < 0 || o.policy.shard_size < 4)
                return pmp_cli_usage_error(&cli, "--shard-size: expected a size like 64M, got '%s'",
                                           optarg);
            break;
        case OPT_MAX_PAIRS:
            pairing = 1;
            if (parse_u64(optarg, &o.policy.max_pairs_per_group) < 0 ||
                o.policy.max_pairs_per_group > UINT32_MAX)
                return pmp_cli_usage_error(&cli, "--max-pairs-per-group: expected a count");
            break;
        case OPT_MIN_GAP:
            pairing = 1;
            if (pmp_parse_double(optarg, 0, DBL_MAX, &o.policy.min_score_gap) < 0)
                return pmp_cli_usage_error(&cli, "--min-score-gap: expected a number >= 0");
            break;
        case OPT_TIME_RULE: o.policy.time_rule = PMP_TIME_RULE_LATER_OR_2X; pairing = 1; break;
        case OPT_PRESET:
            if (strcmp(optarg, "shp"))
                return pmp_cli_usage_error(&cli, "--preset: unknown preset (known: shp)");
            o.policy.shp_rule = pairing = 1;
            break;
        case OPT_MAX_CTX:
            pairing = 1;
            if (parse_u64(optarg, &o.policy.max_context_tokens) < 0)
                return pmp_cli_usage_error(&cli, "--max-context-tokens: expected a count");
            break;
        case OPT_MAX_RESP:
            pairing = 1;
            if (parse_u64(optarg, &o.policy.max_response_tokens) < 0)
                return pmp_cli_usage_error(&cli, "--max-response-tokens: expected a count");
            break;
        case OPT_SPLIT:
            if (strncmp(optarg, "eval=", 5) != 0)
                return pmp_cli_usage_error(&cli, "--split: expected eval=FRACTION[,fold=K]");
            end = optarg + 5 + strcspn(optarg + 5, ",");
            snprintf(frac, sizeof frac, "%.*s", (int)(end - optarg - 5), optarg + 5);
            if (end - optarg - 5 >= (ptrdiff_t)sizeof frac ||
                pmp_parse_double(frac, 0, 1, &o.policy.eval_fraction) < 0 || o.policy.eval_fraction >= 1)
                return pmp_cli_usage_error(&cli, "--split: the fraction must be in [0, 1)");
            if (strncmp(end, ",fold=", 6) == 0) {
                if (parse_u64(end + 6, &o.policy.eval_fold) < 0 ||
                    (double)o.policy.eval_fold * o.policy.eval_fraction >= 1.0)
                    return pmp_cli_usage_error(&cli, "--split: fold K must be 0 .. 1/FRACTION - 1");
            } else if (*end) {
                return pmp_cli_usage_error(&cli, "--split: expected eval=FRACTION[,fold=K]");
            }
            break;
        case OPT_SPLIT_BY:
            if (strcmp(optarg, "key") == 0) o.policy.split_by_id = 0;
            else if (strcmp(optarg, "id") == 0) o.policy.split_by_id = 1;
            else return pmp_cli_usage_error(&cli, "--split-by: expected key or id");
            break;
        case OPT_ZSTD:
            if (parse_u64(optarg, &v) < 0 || v < 1 || v > 19)
                return pmp_cli_usage_error(&cli, "--zstd-level: expected 1..19");
            o.policy.zstd_level = (int)v;
            break;
        case OPT_RESUME: o.resume = 1; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_SKIP_BAD: o.skip_bad = 1; break;
        case OPT_ALLOW_EMPTY: o.allow_empty = 1; break;
        case OPT_TEXT: text = 1; break;
        case OPT_CHUNK:
            if (parse_u64(optarg, &v) < 0 || v < 2 || v > (1u << 30))
                return pmp_cli_bad_value(&cli, longopts, c, optarg);
            chunk = v;
            break;
        case OPT_MAX_LINE:
            if (pmp_parse_size(optarg, &v) < 0 || v < 1)
                return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.max_line_bytes = (size_t)v;
            break;
        case OPT_BATCH:
            if (parse_u64(optarg, &v) < 0 || v < 1)
                return pmp_cli_usage_error(&cli, "--batch: expected a count >= 1");
            o.batch_groups = (size_t)v;
            break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (chunk && !text) return pmp_cli_usage_error(&cli, "--chunk-tokens is for --text");
    if (text && pairing)
        return pmp_cli_usage_error(&cli, "--text writes whole texts, not pairs: --max-pairs-per-group, "
                                   "--min-score-gap, --time-rule, --max-context-tokens and "
                                   "--max-response-tokens do not apply (--chunk-tokens cuts texts)");
    if (text) {
        o.policy.text_chunk_tokens = chunk ? chunk : 1024;
        o.policy.max_pairs_per_group = 0;
    }
    if (o.policy.split_by_id && !(o.policy.eval_fraction > 0))
        return pmp_cli_usage_error(&cli, "--split-by is for --split");
    if (!o.tokenizer) return pmp_cli_usage_error(&cli, "--tokenizer is required");
    if (!o.out_dir) return pmp_cli_usage_error(&cli, "-o DIR is required");
    if (!strcmp(o.out_dir, "-"))
        return pmp_cli_usage_error(&cli, "-o -: pmp-tokenize writes a directory (shards and a manifest), "
                                   "not stdout");
    if (o.resume && o.force) return pmp_cli_usage_error(&cli, "--resume and --force exclude each other");
    int n_stdin = 0;
    for (int i = optind; i < argc; i++) n_stdin += strcmp(argv[i], "-") == 0;
    if (n_stdin > 1) return pmp_cli_usage_error(&cli, "only one of the inputs can be standard input");
    if (optind < argc) o.input = argv[optind];
    o.inputs = (const char *const *)argv + optind;
    o.n_inputs = (size_t)(argc - optind);
    if (!o.policy.zstd_level) o.policy.zstd_level = 1;
    o.progress = on_progress;
    o.ctx = &cli;

    pmp_err err;
    pmp_tokenize_result res;
    double t0 = pmp_now();
    int rc = pmp_tokenize_run(&o, &res, &err);
    double secs = pmp_now() - t0;
    pmp_cli_progress_done(&cli);
    pmp_buf inputs = PMP_BUF_INIT;   /* the summary's "input": the paths, " + " between */
    for (size_t i = 0; i < o.n_inputs; i++)
        pmp_buf_printf(&inputs, "%s%s", i ? " + " : "", o.inputs[i]);
    pmp_cli_stat_str(&cli, "input", o.n_inputs > 1 ? inputs.data : o.input);
    pmp_buf_free(&inputs);
    pmp_cli_stat_str(&cli, "output", o.out_dir);
    pmp_cli_stat_num(&cli, "groups_read", (double)res.groups_read);
    pmp_cli_stat_num(&cli, "groups_skipped_resume", (double)res.groups_skipped_resume);
    pmp_cli_stat_num(&cli, "bad_lines", (double)res.bad_lines);
    pmp_cli_stat_num(&cli, "train_groups", (double)res.train_groups);
    pmp_cli_stat_num(&cli, "train_pairs", (double)res.train_pairs);
    pmp_cli_stat_num(&cli, "train_tokens", (double)res.train_tokens);
    if (o.policy.eval_fraction > 0) {
        pmp_cli_stat_num(&cli, "eval_groups", (double)res.eval_groups);
        pmp_cli_stat_num(&cli, "eval_pairs", (double)res.eval_pairs);
        pmp_cli_stat_num(&cli, "eval_tokens", (double)res.eval_tokens);
        pmp_cli_stat_num(&cli, "groups_without_split_key", (double)res.groups_without_split_key);
    }
    if (text) {
        pmp_cli_stat_num(&cli, "texts", (double)res.texts);
        pmp_cli_stat_num(&cli, "texts_duplicate", (double)res.texts_duplicate);
        pmp_cli_stat_num(&cli, "documents", (double)res.documents);
        pmp_cli_stat_num(&cli, "text_tokens_dropped", (double)res.text_tokens_dropped);
    }
    pmp_cli_stat_num(&cli, "shards_written", (double)res.shards_written);
    pmp_cli_stat_num(&cli, "threads", res.threads);
    pmp_cli_stat_num(&cli, "text_bytes", (double)res.text_bytes);
    pmp_cli_stat_num(&cli, "parse_seconds", res.parse_seconds);
    pmp_cli_stat_num(&cli, "encode_seconds", res.encode_seconds);
    pmp_cli_stat_num(&cli, "write_seconds", res.write_seconds);
    pmp_cli_stat_num(&cli, "text_mb_s", secs > 0 ? (double)res.text_bytes / 1e6 / secs : 0);
    pmp_cli_stat_num(&cli, "pairs_per_s",
                     secs > 0 ? (double)(res.train_pairs + res.eval_pairs) / secs : 0);
    pmp_cli_stat_num(&cli, "io_ops", (double)pmp_io_count());
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (o.policy.eval_fraction > 0 && !o.policy.split_by_id && res.groups_without_split_key)
        pmp_cli_warn(&cli, "%llu of %llu groups have no split_key (written before split keys): "
                     "they were split by their id, so groups sharing text may sit on both sides "
                     "(re-extract them to split by thread, page, question or opening turn)",
                     (unsigned long long)res.groups_without_split_key,
                     (unsigned long long)res.groups_read);
    if (res.bad_lines)
        pmp_cli_warn(&cli, "skipped %llu bad lines (--skip-bad)", (unsigned long long)res.bad_lines);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

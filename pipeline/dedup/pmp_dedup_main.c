/* pmp-dedup — group JSONL in, group JSONL out, without duplicates, near duplicates
 * or evaluation-set overlap (docs/dedup.md). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmp_dedup.h"
#include "pmp_group.h"

static const char usage[] =
    "Usage: pmp-dedup [OPTIONS] [FILE|-]...\n"
    "Reads comparison groups (JSONL from pmp-extract; plain or compressed; several FILEs\n"
    "are read in the order given as one stream, `-` at most once; stdin when none) and\n"
    "writes to stdout the groups that are not duplicates, near duplicates, or overlapping\n"
    "an evaluation set, first occurrence kept (docs/dedup.md). Kept groups are written\n"
    "byte for byte as read; a group that loses a repeated response is re-serialised.\n"
    "Texts are compared after NFC, case folding and whitespace collapsing. Text documents\n"
    "{\"source\", \"id\", \"text\"} (pmp-extract wikipedia --text) are read too, alone or\n"
    "mixed with groups, and deduplicated like groups with their whole text as context.\n\n"
    "Options:\n"
    "      --near J          drop a group whose context + best response has estimated word-\n"
    "                        shingle Jaccard >= J with a kept group (default 0.8)\n"
    "      --no-near         exact duplicates and decontamination only\n"
    "      --shingle N       words per shingle (default 5)\n"
    "      --perms N         MinHash permutations (default 192)\n"
    "      --bands N         LSH bands (must divide --perms; default: chosen from J so that\n"
    "                        a pair at J becomes a candidate with probability >= 0.995)\n"
    "      --against FILE    drop every group sharing a word n-gram with a text of FILE\n"
    "                        (group JSONL, hh-rlhf {chosen, rejected} JSONL, or plain text,\n"
    "                        one item per line; compressed ok); repeatable, up to 64\n"
    "      --ngram N         words per decontamination n-gram (default 13)\n"
    "      --report FILE     write a JSON report: counts per source, evaluation items hit,\n"
    "                        index sizes\n"
    "      --mem SIZE        memory budget (default: half the RAM; K/M/G): the indexes stay in\n"
    "                        memory up to half of it, then the run goes on external (sorted\n"
    "                        runs and the groups spooled in --tmp; the output comes at the\n"
    "                        end of the input, byte for byte the same)\n"
    "      --tmp DIR         directory for the external mode's files (default $TMPDIR, else\n"
    "                        /tmp; unlinked at once, nothing is left behind)\n"
    "  -j, --threads N       analysis threads (default: OpenMP's); output is identical for any N\n"
    "      --skip-bad        count and skip invalid input lines (default: fail)\n"
    "      --max-line-bytes SIZE  a longer input line is bad (default 64M)\n"
    "  -q, --quiet           no progress or summary on stderr\n"
    "      --json            print the final stats as one JSON object on stderr\n"
    "  -h, --help            this help;  --version  the version\n\n"
    "Exit codes: 0 ok, 1 bad input or failure (the output then ends with a {\"pmp_error\": ...}\n"
    "line that pmp-tokenize refuses), 2 usage error.\n\n"
    "Example:\n"
    "  set -o pipefail\n"
    "  pmp-extract reddit RC_2019-04.zst | pmp-dedup --against harmless-base/test.jsonl.gz \\\n"
    "      --report dedup.json | pmp-tokenize -t gpt2/ -o dedup-shards/\n";

enum {
    OPT_NEAR = PMP_OPT_FIRST_FREE,
    OPT_NO_NEAR,
    OPT_SHINGLE,
    OPT_PERMS,
    OPT_BANDS,
    OPT_AGAINST,
    OPT_NGRAM,
    OPT_REPORT,
    OPT_MEM,
    OPT_SKIP_BAD,
    OPT_MAX_LINE,
    OPT_BATCH,
    OPT_TMP,
    OPT_BIG_BUCKET,
};

static void on_progress(void *ctx, uint64_t in_bytes, uint64_t groups)
{
    pmp_cli_progress(ctx, in_bytes, groups, "groups");
}

int main(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-dedup", usage);
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"near", required_argument, NULL, OPT_NEAR},
        {"no-near", no_argument, NULL, OPT_NO_NEAR},
        {"shingle", required_argument, NULL, OPT_SHINGLE},
        {"perms", required_argument, NULL, OPT_PERMS},
        {"bands", required_argument, NULL, OPT_BANDS},
        {"against", required_argument, NULL, OPT_AGAINST},
        {"ngram", required_argument, NULL, OPT_NGRAM},
        {"report", required_argument, NULL, OPT_REPORT},
        {"mem", required_argument, NULL, OPT_MEM},
        {"threads", required_argument, NULL, 'j'},
        {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
        {"max-line-bytes", required_argument, NULL, OPT_MAX_LINE},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"tmp", required_argument, NULL, OPT_TMP},
        {"big-bucket", required_argument, NULL, OPT_BIG_BUCKET},   /* for tests, as --batch */
        {NULL, 0, NULL, 0},
    };
    pmp_dedup_opts o;
    pmp_dedup_opts_default(&o);
    const char *against[64];
    size_t n_against = 0;
    const char *report = NULL;
    int c, near_set = 0, no_near = 0;
    long long v;
    double x;
    uint64_t size;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "j:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        switch (c) {
        case OPT_NEAR:
            if (pmp_parse_double(optarg, 0, 1, &x) < 0 || x <= 0)
                return pmp_cli_usage_error(&cli, "--near: expected a Jaccard similarity in (0, 1], got '%s'",
                                           optarg);
            o.near = x;
            near_set = 1;
            break;
        case OPT_NO_NEAR: no_near = 1; break;
        case OPT_SHINGLE:
            if (pmp_parse_int(optarg, 1, 64, &v) < 0) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.shingle_words = (unsigned)v;
            break;
        case OPT_PERMS:
            if (pmp_parse_int(optarg, 1, PMP_DEDUP_MAX_PERMS, &v) < 0)
                return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.perms = (unsigned)v;
            break;
        case OPT_BANDS:
            if (pmp_parse_int(optarg, 1, PMP_DEDUP_MAX_PERMS, &v) < 0)
                return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.bands = (unsigned)v;
            break;
        case OPT_AGAINST:
            if (n_against == sizeof against / sizeof *against)
                return pmp_cli_usage_error(&cli, "--against: at most 64 files (concatenate them)");
            against[n_against++] = optarg;
            break;
        case OPT_NGRAM:
            if (pmp_parse_int(optarg, 1, 64, &v) < 0) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.ngram = (unsigned)v;
            break;
        case OPT_REPORT: report = optarg; break;
        case OPT_MEM:
            if (pmp_parse_size(optarg, &size) < 0 || size < 1) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.mem_bytes = size;
            break;
        case 'j':
            if (pmp_parse_int(optarg, 1, 1024, &v) < 0)
                return pmp_cli_usage_error(&cli, "--threads: expected 1..1024, got '%s'", optarg);
            o.threads = (int)v;
            break;
        case OPT_SKIP_BAD: o.skip_bad = 1; break;
        case OPT_TMP: o.tmpdir = optarg; break;
        case OPT_BIG_BUCKET:
            if (pmp_parse_int(optarg, 2, 1 << 20, &v) < 0) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.big_bucket = (unsigned)v;
            break;
        case OPT_MAX_LINE:
            if (pmp_parse_size(optarg, &size) < 0 || size < 1) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.max_line_bytes = (size_t)size;
            break;
        case OPT_BATCH:
            if (pmp_parse_int(optarg, 1, 1 << 24, &v) < 0) return pmp_cli_bad_value(&cli, longopts, c, optarg);
            o.batch_groups = (size_t)v;
            break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (no_near && near_set) return pmp_cli_usage_error(&cli, "--near and --no-near exclude each other");
    if (no_near) o.near = 0;
    int n_stdin = 0;
    for (int i = optind; i < argc; i++) n_stdin += strcmp(argv[i], "-") == 0;
    if (n_stdin > 1) return pmp_cli_usage_error(&cli, "only one of the inputs can be standard input");
    o.progress = on_progress;
    o.ctx = &cli;

    pmp_err err = {0};
    pmp_dedup *d;
    if (pmp_dedup_new(&d, &o, &err) < 0) {
        return err.code == PMP_E_USAGE ? pmp_cli_usage_error(&cli, "%s", err.msg) : pmp_cli_fail_err(&cli, &err);
    }
    int rc = 0;
    for (size_t i = 0; i < n_against && rc == 0; i++) rc = pmp_dedup_add_eval_file(d, against[i], &err);
    if (rc < 0) {   /* nothing written yet: no failure record needed */
        pmp_dedup_free(d);
        return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    }
    rc = pmp_dedup_run(d, (const char *const *)argv + optind, (size_t)(argc - optind), STDOUT_FILENO, &err);
    pmp_cli_progress_done(&cli);
    if (rc < 0) pmp_group_mark_failed(STDOUT_FILENO, err.msg);
    pmp_err rerr;
    if (report) {
        pmp_buf b = PMP_BUF_INIT;
        pmp_dedup_report_json(d, &b);
        if (pmp_write_file_durable(report, b.data, b.len, &rerr) < 0 && rc == 0) {
            err = rerr;
            rc = -1;
        }
        pmp_buf_free(&b);
    }
    pmp_dedup_stats st;
    pmp_dedup_get_stats(d, &st);
    pmp_cli_stat_num(&cli, "groups_in", (double)st.total.groups_in);
    pmp_cli_stat_num(&cli, "groups_out", (double)st.total.groups_out);
    pmp_cli_stat_num(&cli, "exact_duplicates", (double)st.total.exact_dups);
    pmp_cli_stat_num(&cli, "near_duplicates", (double)st.total.near_dups);
    pmp_cli_stat_num(&cli, "contaminated", (double)st.total.contaminated);
    pmp_cli_stat_num(&cli, "responses_repeated", (double)st.total.responses_dropped);
    pmp_cli_stat_num(&cli, "groups_too_few_responses", (double)st.total.groups_too_few);
    pmp_cli_stat_num(&cli, "bad_lines", (double)st.total.bad_lines);
    pmp_cli_stat_num(&cli, "eval_items", (double)st.eval_items);
    pmp_cli_stat_num(&cli, "eval_ngrams", (double)st.eval_ngrams);
    pmp_cli_stat_num(&cli, "shingles", (double)st.shingles);
    pmp_cli_stat_num(&cli, "index_mb", (double)(st.index_bytes + st.eval_bytes) / 1048576.0);
    pmp_cli_stat_num(&cli, "threads", st.threads);
    pmp_cli_stat_num(&cli, "external", st.external);
    pmp_cli_stat_num(&cli, "spill_bytes", (double)st.spill_bytes);
    pmp_cli_stat_num(&cli, "spill_peak_bytes", (double)st.spill_peak_bytes);
    pmp_cli_stat_num(&cli, "text_bytes", (double)st.text_bytes);
    double secs = pmp_now() - cli.t_start;
    pmp_cli_stat_num(&cli, "text_mb_s", secs > 0 ? (double)st.text_bytes / 1e6 / secs : 0);
    pmp_dedup_free(d);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail_err(&cli, &err));
    if (st.total.bad_lines)
        pmp_cli_warn(&cli, "skipped %llu bad lines (--skip-bad)", (unsigned long long)st.total.bad_lines);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

/* cmd_hh.c — `pmp-extract hh`: flags, then pmp_hh_extract(). */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "hh.h"

static const char usage[] =
    "Usage: pmp-extract hh [OPTIONS] [FILE|-]\n"
    "Converts Anthropic hh-rlhf JSONL ({\"chosen\": ..., \"rejected\": ...}, plain or\n"
    "compressed) into two-response comparison groups on stdout (docs/records.md).\n"
    "Context: the dialogue up to and including the last \"\\n\\nAssistant:\", which both\n"
    "transcripts must share; responses: the final assistant turns (chosen 1, rejected 0).\n"
    "Pairs with identical texts or different prefixes are skipped and counted.\n\n"
    "Options:\n"
    "  --name NAME     file name used in group ids hh/NAME/LINE (default: FILE's basename)\n"
    "  --skip-bad      count and skip lines that are not valid JSON pairs (default: fail)\n"
    "  -q, --quiet     no progress or summary on stderr\n"
    "      --json      print the final stats as one JSON object on stderr\n"
    "  -h, --help      this help;  --version  the version\n\n"
    "Example:\n"
    "  pmp-extract hh harmless-base/test.jsonl.gz > hh-groups.jsonl\n";

struct progress_ctx {
    pmp_cli *cli;
};

static void on_line(void *ctx, uint64_t offset, uint64_t lines)
{
    struct progress_ctx *p = ctx;
    pmp_cli_progress(p->cli, offset, lines, "lines");
}

int pmp_cmd_hh(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-extract hh", usage);
    enum { OPT_NAME = PMP_OPT_FIRST_FREE, OPT_SKIP_BAD };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"name", required_argument, NULL, OPT_NAME},
        {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
        {NULL, 0, NULL, 0},
    };
    pmp_hh_options opt = {0};
    struct progress_ctx pctx = {&cli};
    opt.on_line = on_line;
    opt.ctx = &pctx;
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        switch (c) {
        case OPT_NAME: opt.name = optarg; break;
        case OPT_SKIP_BAD: opt.skip_bad = 1; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (argc - optind > 1) return pmp_cli_usage_error(&cli, "expected at most one input file");
    const char *path = optind < argc ? argv[optind] : "-";

    pmp_err err;
    pmp_group_writer *w;
    if (pmp_group_writer_open(&w, "-", &err) < 0) return pmp_cli_fail(&cli, "%s", err.msg);
    pmp_hh_stats st;
    int rc = pmp_hh_extract(path, &opt, w, &st, &err);
    pmp_err werr;
    int wrc = pmp_group_writer_close(w, &werr);
    pmp_cli_stat_str(&cli, "input", path);
    pmp_cli_stat_num(&cli, "lines", (double)st.lines);
    pmp_cli_stat_num(&cli, "groups", (double)st.groups);
    for (int k = 1; k < PMP_HH_SKIP_REASONS; k++) {
        static char keys[PMP_HH_SKIP_REASONS][48];
        snprintf(keys[k], sizeof keys[k], "skipped_%s", pmp_hh_skip_name((pmp_hh_skip)k));
        pmp_cli_stat_num(&cli, keys[k], (double)st.skipped[k]);
    }
    pmp_cli_stat_num(&cli, "bad_lines", (double)st.bad_lines);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", err.msg));
    if (wrc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", werr.msg));
    if (st.bad_lines)
        pmp_cli_warn(&cli, "skipped %llu bad lines (--skip-bad)", (unsigned long long)st.bad_lines);
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

/* cmd_stackexchange.c — `pmp-extract stackexchange`: flags, then pmp_se_extract(). */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "stackexchange.h"

static const char usage[] =
    "Usage: pmp-extract stackexchange [OPTIONS] [FILE|-]\n"
    "Reads a StackExchange data-dump Posts.xml (plain, .zst, .bz2 or .gz) and writes one\n"
    "comparison group per question with at least 2 answers (docs/stackexchange.md):\n"
    "context = title + blank line + question body as text; responses = the answers as\n"
    "text, score = round(log2(1 + upvotes)) + 1 if accepted, -1 if upvotes < 0.\n"
    "Groups come out ordered by question Id, identical for every --mem.\n\n"
    "Options:\n"
    "  --site NAME     site name for group ids NAME/q/ID (default: from the file name,\n"
    "                  e.g. cooking.stackexchange.com-Posts.xml, else \"stackexchange\")\n"
    "  --votes FILE    count upvotes as the UpMod votes (VoteTypeId 2) in this Votes.xml\n"
    "                  instead of using each answer's Score (net votes)\n"
    "  --mem SIZE      memory for grouping before spilling sorted runs (default 1G)\n"
    "  --tmp DIR       directory for spilled runs (default $TMPDIR, else /tmp)\n"
    "  --strict        fail on the first bad row instead of counting and skipping it\n"
    "  -q, --quiet     no progress or summary on stderr\n"
    "      --json      print the final stats as one JSON object on stderr\n"
    "  -h, --help      this help;  --version  the version\n\n"
    "Example:\n"
    "  pmp-extract stackexchange --votes cooking.stackexchange.com/Votes.xml \\\n"
    "      cooking.stackexchange.com/Posts.xml > cooking-groups.jsonl\n";

static void on_progress(void *ctx, uint64_t bytes, uint64_t rows)
{
    pmp_cli_progress(ctx, bytes, rows, "rows");
}

int pmp_cmd_stackexchange(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-extract stackexchange", usage);
    enum { OPT_SITE = PMP_OPT_FIRST_FREE, OPT_VOTES, OPT_MEM, OPT_TMP, OPT_STRICT };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"site", required_argument, NULL, OPT_SITE},
        {"votes", required_argument, NULL, OPT_VOTES},
        {"mem", required_argument, NULL, OPT_MEM},
        {"tmp", required_argument, NULL, OPT_TMP},
        {"strict", no_argument, NULL, OPT_STRICT},
        {NULL, 0, NULL, 0},
    };
    pmp_se_options opt = {.on_progress = on_progress, .ctx = &cli};
    int c;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        switch (c) {
        case OPT_SITE:
            if (!*optarg) return pmp_cli_usage_error(&cli, "--site needs a non-empty name");
            opt.site = optarg;
            break;
        case OPT_VOTES: opt.votes_path = optarg; break;
        case OPT_MEM:
            if (pmp_parse_size(optarg, &opt.mem) != 0 || opt.mem == 0)
                return pmp_cli_usage_error(&cli, "--mem: '%s' is not a size (e.g. 64M, 1G)",
                                           optarg);
            break;
        case OPT_TMP: opt.tmpdir = optarg; break;
        case OPT_STRICT: opt.strict = 1; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (argc - optind > 1) return pmp_cli_usage_error(&cli, "expected at most one input file");
    const char *path = optind < argc ? argv[optind] : "-";

    pmp_err err;
    pmp_group_writer *w;
    if (pmp_group_writer_open(&w, "-", &err) < 0) return pmp_cli_fail(&cli, "%s", err.msg);
    pmp_se_stats st;
    int rc = pmp_se_extract(path, &opt, w, &st, &err);
    pmp_err werr;
    int wrc = pmp_group_writer_close(w, &werr);
    pmp_cli_progress_done(&cli);
    pmp_cli_stat_str(&cli, "input", path);
    if (opt.votes_path) pmp_cli_stat_str(&cli, "votes", opt.votes_path);
    pmp_cli_stat_num(&cli, "rows", (double)st.rows);
    pmp_cli_stat_num(&cli, "questions", (double)st.questions);
    pmp_cli_stat_num(&cli, "answers", (double)st.answers);
    pmp_cli_stat_num(&cli, "groups", (double)st.groups);
    pmp_cli_stat_num(&cli, "responses", (double)st.responses);
    pmp_cli_stat_num(&cli, "orphans", (double)st.skipped[PMP_SE_SKIP_ORPHAN]);
    if (opt.votes_path) {
        pmp_cli_stat_num(&cli, "vote_rows", (double)st.vote_rows);
        pmp_cli_stat_num(&cli, "upvotes", (double)st.upvotes);
    }
    for (int k = 1; k < PMP_SE_SKIP_REASONS; k++) {
        if (k == PMP_SE_SKIP_ORPHAN) continue;   /* reported as "orphans" */
        static char keys[PMP_SE_SKIP_REASONS][48];
        snprintf(keys[k], sizeof keys[k], "skipped_%s", pmp_se_skip_name((pmp_se_skip)k));
        pmp_cli_stat_num(&cli, keys[k], (double)st.skipped[k]);
    }
    pmp_cli_stat_num(&cli, "runs", (double)st.runs);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", err.msg));
    if (wrc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", werr.msg));
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

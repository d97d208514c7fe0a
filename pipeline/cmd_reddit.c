/* cmd_reddit.c — `pmp-extract reddit`: flags -> pmp_reddit_extract -> stdout. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pmp_common.h"
#include "reddit.h"

static const char usage[] =
    "Usage: pmp-extract reddit [OPTIONS] [--submissions RS_FILE] RC_FILE|-\n"
    "Reads a pushshift comments dump (RC_*, NDJSON; .zst with a 2 GiB window, .gz,\n"
    ".bz2 or plain) and writes one group per parent (submission or comment) with at\n"
    "least 2 eligible direct replies of differing scores (docs/reddit.md).\n"
    "\n"
    "  --comments FILE          the comments dump (instead of the positional argument)\n"
    "  --submissions FILE       the matching RS_* dump: gives top-level comments a\n"
    "                           context (title + selftext); without it they are skipped\n"
    "  --max-depth N            ancestors of the parent comment in the context (3)\n"
    "  --min-score N            replies need score >= N (off)\n"
    "  --min-submission-score N threads need a known submission with score >= N (off)\n"
    "  --subreddits A,B,...     only these subreddits (case-insensitive; off)\n"
    "  --keep LIST              turn eligibility filters off: empty, deleted (body\n"
    "                           [deleted]/[removed]), deleted-author, automoderator,\n"
    "                           stickied, moderator, or all (default: every filter on)\n"
    "  --raw-html               keep &amp; &lt; &gt; as written in the dump\n"
    "  --skip-bad               count and skip invalid JSON lines instead of failing\n"
    "  --mem SIZE               group-by memory before spilling to disk (1G)\n"
    "  --tmp DIR                where spill runs go ($TMPDIR or /tmp)\n"
    "  -q, --quiet  --json  --help  --version\n"
    "\n"
    "Output is the same for every --mem. Exit: 0 ok, 1 bad input, 2 usage.\n"
    "\n"
    "Example:\n"
    "  pmp-extract reddit --submissions RS_2019-04.zst RC_2019-04.zst > groups.jsonl\n";

enum {
    OPT_COMMENTS = PMP_OPT_FIRST_FREE,
    OPT_SUBMISSIONS,
    OPT_MAX_DEPTH,
    OPT_MIN_SCORE,
    OPT_MIN_SUB_SCORE,
    OPT_SUBREDDITS,
    OPT_KEEP,
    OPT_RAW_HTML,
    OPT_SKIP_BAD,
    OPT_MEM,
    OPT_TMP,
};

typedef struct out_ctx {
    pmp_cli *cli;
    pmp_buf buf;
} out_ctx;

static int flush_out(out_ctx *o, pmp_err *err)
{
    if (o->buf.len && fwrite(o->buf.data, 1, o->buf.len, stdout) != o->buf.len)
        return pmp_err_set(err, "<stdout>: write failed: %s", strerror(errno));
    pmp_buf_clear(&o->buf);
    return 0;
}

static int emit(void *ctx, const pmp_group *g, pmp_err *err)
{
    out_ctx *o = ctx;
    if (pmp_group_validate(g, err)) return pmp_err_prefix(err, "group %s", g->id);
    pmp_group_to_json(&o->buf, g);
    return o->buf.len >= (1u << 20) ? flush_out(o, err) : 0;
}

static void progress(void *ctx, uint64_t in_bytes, uint64_t lines)
{
    out_ctx *o = ctx;
    pmp_cli_progress(o->cli, in_bytes, lines, "lines");
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (end == s || *end || errno) ? -1 : 0;
}

static int parse_keep(const char *list, unsigned *keep)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        {"empty", PMP_REDDIT_KEEP_EMPTY},
        {"deleted", PMP_REDDIT_KEEP_DELETED_BODY},
        {"deleted-author", PMP_REDDIT_KEEP_DELETED_AUTHOR},
        {"automoderator", PMP_REDDIT_KEEP_AUTOMOD},
        {"stickied", PMP_REDDIT_KEEP_STICKIED},
        {"moderator", PMP_REDDIT_KEEP_MODERATOR},
        {"all", ~0u},
    };
    char *copy = pmp_xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(tok, names[i].name)) break;
        if (i == sizeof names / sizeof names[0]) { rc = -1; break; }
        *keep |= names[i].bit;
    }
    free(copy);
    return rc;
}

/* "a,b,c" -> a NULL-free array of the non-empty names (pointers into *storage). */
static size_t split_list(const char *list, char **storage, const char ***out)
{
    *storage = pmp_xstrdup(list);
    size_t n = 0, cap = 8;
    const char **v = pmp_xmalloc(cap * sizeof *v);
    char *save = NULL;
    for (char *tok = strtok_r(*storage, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == cap) v = pmp_xrealloc(v, (cap *= 2) * sizeof *v);
        v[n++] = tok;
    }
    *out = v;
    return n;
}

int pmp_cmd_reddit(int argc, char **argv)
{
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"comments", required_argument, NULL, OPT_COMMENTS},
        {"submissions", required_argument, NULL, OPT_SUBMISSIONS},
        {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
        {"min-score", required_argument, NULL, OPT_MIN_SCORE},
        {"min-submission-score", required_argument, NULL, OPT_MIN_SUB_SCORE},
        {"subreddits", required_argument, NULL, OPT_SUBREDDITS},
        {"keep", required_argument, NULL, OPT_KEEP},
        {"raw-html", no_argument, NULL, OPT_RAW_HTML},
        {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
        {"mem", required_argument, NULL, OPT_MEM},
        {"tmp", required_argument, NULL, OPT_TMP},
        {NULL, 0, NULL, 0},
    };
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-extract reddit", usage);
    pmp_reddit_opts o;
    pmp_reddit_opts_init(&o);
    const char *comments = NULL;
    char *sr_storage = NULL;
    const char **srs = NULL;
    int opt, rc = PMP_EXIT_OK;
    optind = 1;
    while ((opt = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int c_exit, c = pmp_cli_option(&cli, opt, &c_exit);
        if (c == PMP_CLI_EXIT) { rc = c_exit; goto out; }
        if (c == PMP_CLI_HANDLED) continue;
        double d;
        switch (opt) {
        case OPT_COMMENTS: comments = optarg; break;
        case OPT_SUBMISSIONS: o.submissions = optarg; break;
        case OPT_MAX_DEPTH:
            if (parse_num(optarg, &d) || d < 0 || d > 64 || d != (int)d) {
                rc = pmp_cli_usage_error(&cli, "--max-depth wants an integer 0..64, not '%s'", optarg);
                goto out;
            }
            o.max_depth = (int)d;
            break;
        case OPT_MIN_SCORE:
            if (parse_num(optarg, &o.min_score)) {
                rc = pmp_cli_usage_error(&cli, "--min-score wants a number, not '%s'", optarg);
                goto out;
            }
            o.has_min_score = 1;
            break;
        case OPT_MIN_SUB_SCORE:
            if (parse_num(optarg, &o.min_submission_score)) {
                rc = pmp_cli_usage_error(&cli, "--min-submission-score wants a number, not '%s'",
                                         optarg);
                goto out;
            }
            o.has_min_submission_score = 1;
            break;
        case OPT_SUBREDDITS:
            free(sr_storage);
            free(srs);
            o.n_subreddits = split_list(optarg, &sr_storage, &srs);
            o.subreddits = srs;
            break;
        case OPT_KEEP:
            if (parse_keep(optarg, &o.keep)) {
                rc = pmp_cli_usage_error(&cli, "--keep: unknown filter in '%s'", optarg);
                goto out;
            }
            break;
        case OPT_RAW_HTML: o.unescape_html = 0; break;
        case OPT_SKIP_BAD: o.skip_bad = 1; break;
        case OPT_MEM:
            if (pmp_parse_size(optarg, &o.mem) || o.mem == 0) {
                rc = pmp_cli_usage_error(&cli, "--mem wants a size like 64M or 2G, not '%s'", optarg);
                goto out;
            }
            break;
        case OPT_TMP: o.tmpdir = optarg; break;
        default:
            rc = pmp_cli_usage_error(&cli, "unexpected option");
            goto out;
        }
    }
    if (optind < argc) {
        if (comments || optind + 1 < argc) {
            rc = pmp_cli_usage_error(&cli, "give exactly one comments file");
            goto out;
        }
        comments = argv[optind];
    }
    if (!comments) {
        rc = pmp_cli_usage_error(&cli, "no comments file (use - for standard input)");
        goto out;
    }
    if (o.submissions && !strcmp(o.submissions, "-") && !strcmp(comments, "-")) {
        rc = pmp_cli_usage_error(&cli, "only one of the inputs can be standard input");
        goto out;
    }

    out_ctx oc = {&cli, PMP_BUF_INIT};
    pmp_reddit_stats st;
    pmp_err err;
    int r = pmp_reddit_extract(&o, comments, emit, progress, &oc, &st, &err);
    if (r == 0) r = flush_out(&oc, &err);
    if (r == 0 && fflush(stdout) != 0) r = pmp_err_set(&err, "<stdout>: write failed: %s", strerror(errno));
    pmp_buf_free(&oc.buf);
    if (r) {
        /* Groups already written stay whole lines: the buffer only ever holds whole ones. */
        fflush(stdout);
        rc = pmp_cli_fail(&cli, "%s", err.msg);
    }
    if (st.bad_lines) pmp_cli_warn(&cli, "skipped %llu invalid JSON lines", (unsigned long long)st.bad_lines);
    double secs = pmp_now() - cli.t_start;
    pmp_cli_stat_num(&cli, "lines", (double)st.lines);
    pmp_cli_stat_num(&cli, "comments", (double)st.comments);
    pmp_cli_stat_num(&cli, "submissions", (double)st.submissions);
    pmp_cli_stat_num(&cli, "groups", (double)st.groups);
    pmp_cli_stat_num(&cli, "responses", (double)st.responses);
    pmp_cli_stat_num(&cli, "threads", (double)st.threads);
    pmp_cli_stat_num(&cli, "parents", (double)st.parents);
    pmp_cli_stat_num(&cli, "too_few", (double)st.too_few);
    pmp_cli_stat_num(&cli, "same_score", (double)st.same_score);
    pmp_cli_stat_num(&cli, "no_context", (double)st.no_context);
    pmp_cli_stat_num(&cli, "low_submission_score", (double)st.low_submission_score);
    pmp_cli_stat_num(&cli, "ineligible_replies", (double)st.ineligible_replies);
    pmp_cli_stat_num(&cli, "other_subreddit", (double)st.other_subreddit);
    pmp_cli_stat_num(&cli, "missing_fields", (double)st.missing_fields);
    pmp_cli_stat_num(&cli, "bad_lines", (double)st.bad_lines);
    pmp_cli_stat_num(&cli, "repaired", (double)st.repaired);
    pmp_cli_stat_num(&cli, "duplicates", (double)st.duplicates);
    pmp_cli_stat_num(&cli, "spill_runs", (double)st.spill_runs);
    pmp_cli_stat_num(&cli, "in_mb", round((double)st.in_bytes / 1e4) / 100);
    if (secs > 0) pmp_cli_stat_num(&cli, "mb_per_s", round((double)st.in_bytes / 1e5 / secs) / 10);
    rc = pmp_cli_finish(&cli, rc);
out:
    free(sr_storage);
    free(srs);
    return rc;
}

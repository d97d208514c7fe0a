/* source_reddit.c — `pmp-extract reddit` as a pmp_source: the flags and stats of
 * pmp_reddit_extract(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_reddit.h"

typedef struct reddit_state {
    pmp_reddit_options o;
    pmp_reddit_stats st;
    /* the inputs: --submissions, the FILEs (kind read from their lines), --comments */
    const char **subs, **detect, **comments, **all;
    size_t n_subs, n_detect, n_comments;
    char *sr_storage;          /* --subreddits, split in place */
    const char **srs;
} reddit_state;

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
    OPT_TMP_COMPRESS,
    OPT_PRESET,
};
static const struct option options[] = {
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
    {"tmp-compress", no_argument, NULL, OPT_TMP_COMPRESS},
    {"preset", required_argument, NULL, OPT_PRESET},
    {NULL, 0, NULL, 0},
};

static void init(void *state)
{
    reddit_state *s = state;
    pmp_reddit_options_init(&s->o);
}

static void free_state(void *state)
{
    reddit_state *s = state;
    free(s->sr_storage);
    free(s->srs);
    free(s->subs);
    free(s->detect);
    free(s->comments);
    free(s->all);
}

static void push(const char ***v, size_t *n, const char *path)
{
    *v = pmp_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = path;
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

/* "a,b,c" -> the non-empty names (pointers into *storage). */
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

static int set(void *state, int id, const char *arg, pmp_err *err)
{
    reddit_state *s = state;
    pmp_reddit_options *o = &s->o;
    double d;
    switch (id) {
    case OPT_COMMENTS: push(&s->comments, &s->n_comments, arg); return 0;
    case OPT_SUBMISSIONS: push(&s->subs, &s->n_subs, arg); return 0;
    case OPT_MAX_DEPTH:
        if (pmp_parse_double(arg, 0, 64, &d) || d != (int)d)
            return pmp_err_setc(err, PMP_E_USAGE, "--max-depth wants an integer 0..64, not '%s'",
                                arg);
        o->max_depth = (int)d;
        return 0;
    case OPT_MIN_SCORE:
        if (pmp_parse_double(arg, -HUGE_VAL, HUGE_VAL, &o->min_score))
            return pmp_err_setc(err, PMP_E_USAGE, "--min-score wants a number, not '%s'", arg);
        o->has_min_score = 1;
        return 0;
    case OPT_MIN_SUB_SCORE:
        if (pmp_parse_double(arg, -HUGE_VAL, HUGE_VAL, &o->min_submission_score))
            return pmp_err_setc(err, PMP_E_USAGE,
                                "--min-submission-score wants a number, not '%s'", arg);
        o->has_min_submission_score = 1;
        return 0;
    case OPT_SUBREDDITS:
        free(s->sr_storage);
        free(s->srs);
        o->n_subreddits = split_list(arg, &s->sr_storage, &s->srs);
        o->subreddits = s->srs;
        return 0;
    case OPT_KEEP:
        if (parse_keep(arg, &o->keep))
            return pmp_err_setc(err, PMP_E_USAGE, "--keep: unknown filter in '%s'", arg);
        return 0;
    case OPT_RAW_HTML: o->unescape_html = 0; return 0;
    case OPT_SKIP_BAD: o->skip_bad = 1; return 0;
    case OPT_MEM:
        if (pmp_parse_size(arg, &o->mem) || o->mem == 0)
            return pmp_err_setc(err, PMP_E_USAGE, "--mem wants a size like 64M or 2G, not '%s'",
                                arg);
        return 0;
    case OPT_TMP: o->tmpdir = arg; return 0;
    case OPT_TMP_COMPRESS: o->tmp_compress = 1; return 0;
    case OPT_PRESET:
        if (strcmp(arg, "shp"))
            return pmp_err_setc(err, PMP_E_USAGE, "--preset: unknown preset '%s' (known: shp)", arg);
        /* Stanford SHP's post and comment rules (docs/reddit.md, "--preset shp");
         * its pair rules are pmp-tokenize --preset shp */
        o->shp = 1;
        o->has_min_score = 1;
        o->min_score = 2;
        o->has_min_submission_score = 1;
        o->min_submission_score = 10;
        return 0;
    }
    return pmp_err_setc(err, PMP_E_USAGE, "unexpected option");
}

/* A FILE is submissions or comments by what its lines hold, whatever its name
 * (RS_2019-04.zst, AskHistorians_submissions.zst, dump.ndjson); --submissions and
 * --comments force the kind. With neither FILEs nor --comments, standard input. */
static int inputs(void *state, int n, char *const *args, const char *const **paths,
                  size_t *n_paths, pmp_err *err)
{
    reddit_state *s = state;
    (void)err;
    for (int i = 0; i < n; i++) push(&s->detect, &s->n_detect, args[i]);
    if (!s->n_comments && !s->n_detect) push(&s->detect, &s->n_detect, "-");
    s->o.submissions = s->subs;
    s->o.n_submissions = s->n_subs;
    s->o.comments = s->comments;
    s->o.n_comments = s->n_comments;
    for (size_t i = 0; i < s->n_subs; i++) push(&s->all, n_paths, s->subs[i]);
    for (size_t i = 0; i < s->n_detect; i++) push(&s->all, n_paths, s->detect[i]);
    for (size_t i = 0; i < s->n_comments; i++) push(&s->all, n_paths, s->comments[i]);
    *paths = s->all;
    return 0;
}

static int run(void *state, const char *const *paths, size_t n, const pmp_extract_sink *sink,
               pmp_err *err)
{
    reddit_state *s = state;
    (void)paths;   /* the same files, sorted by inputs() into --submissions, the FILEs
                    * (kind detected) and --comments; pmp_reddit_extract takes the FILEs */
    (void)n;
    return pmp_reddit_extract(&s->o, s->detect, s->n_detect, sink, &s->st, err);
}

static void report(const void *state, const char *path, double seconds, pmp_extract_report *r)
{
    const pmp_reddit_stats *st = &((const reddit_state *)state)->st;
    (void)path;
    if (st->bad_lines)
        snprintf(r->warning, sizeof r->warning, "skipped %llu invalid JSON lines",
                 (unsigned long long)st->bad_lines);
    pmp_extract_report_num(r, "lines", (double)st->lines);
    pmp_extract_report_num(r, "comments", (double)st->comments);
    pmp_extract_report_num(r, "submissions", (double)st->submissions);
    pmp_extract_report_num(r, "groups", (double)st->groups);
    pmp_extract_report_num(r, "responses", (double)st->responses);
    pmp_extract_report_num(r, "threads", (double)st->threads);
    pmp_extract_report_num(r, "parents", (double)st->parents);
    pmp_extract_report_num(r, "too_few", (double)st->too_few);
    pmp_extract_report_num(r, "same_score", (double)st->same_score);
    pmp_extract_report_num(r, "no_context", (double)st->no_context);
    pmp_extract_report_num(r, "low_submission_score", (double)st->low_submission_score);
    if (((const reddit_state *)state)->o.shp)
        pmp_extract_report_num(r, "shp_not_self_post", (double)st->shp_post);
    pmp_extract_report_num(r, "ineligible_replies", (double)st->ineligible_replies);
    pmp_extract_report_num(r, "other_subreddit", (double)st->other_subreddit);
    pmp_extract_report_num(r, "missing_fields", (double)st->missing_fields);
    pmp_extract_report_num(r, "bad_lines", (double)st->bad_lines);
    pmp_extract_report_num(r, "repaired", (double)st->repaired);
    pmp_extract_report_num(r, "duplicates", (double)st->duplicates);
    pmp_extract_report_num(r, "spill_runs", (double)st->spill_runs);
    pmp_extract_report_num(r, "spill_bytes", (double)st->spill_bytes);
    pmp_extract_report_num(r, "spill_peak_bytes", (double)st->spill_peak_bytes);
    pmp_extract_report_num(r, "in_mb", round((double)st->in_bytes / 1e4) / 100);
    if (seconds > 0)
        pmp_extract_report_num(r, "mb_per_s", round((double)st->in_bytes / 1e5 / seconds) / 10);
}

const pmp_source pmp_source_reddit = {
    .name = "reddit",
    .summary = "pushshift comments/submissions NDJSON -> sibling-comment groups",
    .usage =
        "Usage: pmp-extract reddit [OPTIONS] [FILE|-]...\n"
        "Reads pushshift dumps (NDJSON; .zst with a 2 GiB window, .gz, .bz2 or plain) and\n"
        "writes one group per parent (submission or comment) with at least 2 eligible\n"
        "direct replies of differing scores (docs/reddit.md). Each FILE is submissions or\n"
        "comments by what its lines hold (title/selftext/num_comments vs parent_id/body),\n"
        "not by its name: monthly RS_/RC_ files and per-subreddit NAME_submissions.zst /\n"
        "NAME_comments.zst alike; a file mixing both is an error. Several files are one\n"
        "joined input: threads are grouped across all of them. `-` at most once.\n"
        "\n"
        "  --comments FILE          read FILE as comments, whatever it holds (repeatable)\n"
        "  --submissions FILE       read FILE as submissions (repeatable); submissions\n"
        "                           give top-level comments a context (title +\n"
        "                           selftext); without any they are skipped\n"
        "  --max-depth N            ancestors of the parent comment in the context (3)\n"
        "  --min-score N            replies need score >= N (off)\n"
        "  --min-submission-score N threads need a known submission with score >= N (off)\n"
        "  --subreddits A,B,...     only these subreddits (case-insensitive; off)\n"
        "  --keep LIST              turn eligibility filters off: empty, deleted (body\n"
        "                           [deleted]/[removed]), deleted-author, automoderator,\n"
        "                           stickied, moderator, or all (default: every filter on)\n"
        "  --preset shp             Stanford SHP's rules: top-level replies to a known\n"
        "                           self-post, not NSFW, post score >= 10, replies with\n"
        "                           score >= 2, not by [deleted], moderators or the\n"
        "                           post's author (pair rules: pmp-tokenize --preset shp)\n"
        "  --raw-html               keep &amp; &lt; &gt; as written in the dump\n"
        "  --skip-bad               count and skip invalid JSON lines instead of failing\n"
        "  --mem SIZE               group-by memory before spilling to disk (1G)\n"
        "  --tmp DIR                where spill runs go ($TMPDIR or /tmp)\n"
        "  --tmp-compress           zstd the spill runs: ~2.3x less disk, ~7 CPU-s more\n"
        "                           per GB spilled\n"
        "  -q, --quiet  --json  --help  --version\n"
        "\n"
        "Output is the same for every --mem. Exit: 0 ok, 1 bad input, 2 usage.\n"
        "\n"
        "Reading a .zst itself it decodes pushshift's 2 GiB window; a pipe from zstd needs\n"
        "`zstd -dc --long=31`. In pipes, `set -o pipefail` first.\n"
        "\n"
        "Example:\n"
        "  pmp-extract reddit RS_2019-04.zst RC_2019-04.zst > groups.jsonl\n"
        "  pmp-extract reddit AskHistorians_submissions.zst AskHistorians_comments.zst\n",
    .options = options,
    .state_size = sizeof(reddit_state),
    .init = init,
    .set = set,
    .inputs = inputs,
    .run = run,
    .report = report,
    .free = free_state,
};

/* source_stackexchange.c — `pmp-extract stackexchange` as a pmp_source: the flags and
 * stats of pmp_se_extract(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmp_stackexchange.h"

typedef struct se_state {
    pmp_se_options opt;
    pmp_se_stats st;
} se_state;

enum { OPT_SITE = PMP_OPT_FIRST_FREE, OPT_VOTES, OPT_VOTES_BESIDE, OPT_MEM, OPT_TMP, OPT_TMP_COMPRESS, OPT_STRICT };
static const struct option options[] = {
    {"site", required_argument, NULL, OPT_SITE},
    {"votes", required_argument, NULL, OPT_VOTES},
    {"votes-beside", no_argument, NULL, OPT_VOTES_BESIDE},
    {"mem", required_argument, NULL, OPT_MEM},
    {"tmp", required_argument, NULL, OPT_TMP},
    {"tmp-compress", no_argument, NULL, OPT_TMP_COMPRESS},
    {"strict", no_argument, NULL, OPT_STRICT},
    {NULL, 0, NULL, 0},
};

static void init(void *state)
{
    se_state *s = state;
    pmp_se_options_init(&s->opt);
}

static int set(void *state, int id, const char *arg, pmp_err *err)
{
    se_state *s = state;
    switch (id) {
    case OPT_SITE:
        if (!*arg) return pmp_err_setc(err, PMP_E_USAGE, "--site needs a non-empty name");
        s->opt.site = arg;
        return 0;
    case OPT_VOTES: s->opt.votes_path = arg; return 0;
    case OPT_VOTES_BESIDE: s->opt.votes_beside = 1; return 0;
    case OPT_MEM:
        if (pmp_parse_size(arg, &s->opt.mem) != 0 || s->opt.mem == 0)
            return pmp_err_setc(err, PMP_E_USAGE, "--mem: '%s' is not a size (e.g. 64M, 1G)",
                                arg);
        return 0;
    case OPT_TMP: s->opt.tmpdir = arg; return 0;
    case OPT_TMP_COMPRESS: s->opt.tmp_compress = 1; return 0;
    case OPT_STRICT: s->opt.strict = 1; return 0;
    }
    return pmp_err_setc(err, PMP_E_USAGE, "unexpected option");
}

/* --votes names one file, so it goes with one input; --votes-beside with any. */
static int inputs(void *state, int n, char *const *args, const char *const **paths,
                  size_t *n_paths, pmp_err *err)
{
    static const char *const stdin_only[] = {"-"};
    se_state *s = state;
    *paths = n ? (const char *const *)args : stdin_only;
    *n_paths = n ? (size_t)n : 1;
    if (s->opt.votes_path && s->opt.votes_beside)
        return pmp_err_setc(err, PMP_E_USAGE, "--votes and --votes-beside exclude each other");
    if (s->opt.votes_path && *n_paths > 1)
        return pmp_err_setc(err, PMP_E_USAGE, "--votes names the Votes.xml of one input; with "
                            "several inputs use --votes-beside");
    for (size_t i = 0; s->opt.votes_beside && i < *n_paths; i++)
        if (!strcmp((*paths)[i], "-"))
            return pmp_err_setc(err, PMP_E_USAGE, "--votes-beside: standard input has no file beside it");
    return 0;
}

static int run(void *state, const char *const *paths, size_t n, const pmp_extract_sink *sink,
               pmp_err *err)
{
    se_state *s = state;
    return pmp_se_extract(&s->opt, paths, n, sink, &s->st, err);
}

static void report(const void *state, const char *path, double seconds, pmp_extract_report *r)
{
    const se_state *s = state;
    const pmp_se_stats *st = &s->st;
    (void)seconds;
    pmp_extract_report_str(r, "input", path);
    if (s->opt.votes_path) pmp_extract_report_str(r, "votes", s->opt.votes_path);
    if (s->opt.votes_beside) pmp_extract_report_str(r, "votes", "beside each input");
    pmp_extract_report_num(r, "rows", (double)st->rows);
    pmp_extract_report_num(r, "questions", (double)st->questions);
    pmp_extract_report_num(r, "answers", (double)st->answers);
    pmp_extract_report_num(r, "groups", (double)st->groups);
    pmp_extract_report_num(r, "responses", (double)st->responses);
    pmp_extract_report_num(r, "orphans", (double)st->skipped[PMP_SE_SKIP_ORPHAN]);
    if (s->opt.votes_path || s->opt.votes_beside) {
        pmp_extract_report_num(r, "vote_rows", (double)st->vote_rows);
        pmp_extract_report_num(r, "upvotes", (double)st->upvotes);
        pmp_extract_report_num(r, "upvotes_matched", (double)st->upvotes_matched);
        /* A Votes.xml of another site matches almost nothing, and every answer would
         * then score as if it had no votes. */
        pmp_extract_report_num(r, "upvotes_before_post", (double)st->upvotes_before_post);
        /* Post ids are small integers on every site, so another site's Votes.xml still
         * matches many answers; but then many votes predate the answer they are on. */
        if (st->answers > 0 && (st->upvotes_matched * 10 < st->upvotes ||
                                st->upvotes_before_post * 20 > st->upvotes_matched))
            snprintf(r->warning, sizeof r->warning, "%s: of %llu UpMod votes %llu are on answers of "
                     "this Posts.xml and %llu of those predate their answer: is it another "
                     "site's Votes.xml?", s->opt.votes_path ? s->opt.votes_path : "the Votes.xml files",
                     (unsigned long long)st->upvotes,
                     (unsigned long long)st->upvotes_matched, (unsigned long long)st->upvotes_before_post);
    }
    for (int k = 1; k < PMP_SE_SKIP_REASONS; k++) {
        if (k == PMP_SE_SKIP_ORPHAN) continue;   /* reported as "orphans" */
        char key[48];
        snprintf(key, sizeof key, "skipped_%s", pmp_se_skip_name((pmp_se_skip)k));
        pmp_extract_report_num(r, key, (double)st->skipped[k]);
    }
    pmp_extract_report_num(r, "runs", (double)st->runs);
    pmp_extract_report_num(r, "spill_bytes", (double)st->spill_bytes);
    pmp_extract_report_num(r, "spill_peak_bytes", (double)st->spill_peak_bytes);
}

const pmp_source pmp_source_stackexchange = {
    .name = "stackexchange",
    .summary = "StackExchange Posts.xml (+ Votes.xml) -> scored answer groups",
    .usage =
        "Usage: pmp-extract stackexchange [OPTIONS] [FILE|-]...\n"
        "Reads a StackExchange data-dump Posts.xml (plain, .zst, .bz2 or .gz) and writes one\n"
        "comparison group per question with at least 2 answers (docs/stackexchange.md):\n"
        "context = title + blank line + question body as text; responses = the answers as\n"
        "text, score = round(log2(1 + upvotes)) + 1 if accepted, -1 if upvotes < 0.\n"
        "Groups come out ordered by question Id, identical for every --mem. Several FILEs\n"
        "(sites) are read one after the other, each with its own site name and grouping:\n"
        "the output is their separate outputs, concatenated in the order given.\n\n"
        "Options:\n"
        "  --site NAME     site name for group ids NAME/q/ID (default: from the file name,\n"
        "                  e.g. cooking.stackexchange.com-Posts.xml, else \"stackexchange\")\n"
        "  --votes FILE    count upvotes as the UpMod votes (VoteTypeId 2) in this Votes.xml\n"
        "                  instead of using each answer's Score (net votes); one input only\n"
        "  --votes-beside  the same for any number of inputs: each SITE-Posts.xml (or\n"
        "                  SITE/Posts.xml, compressed or not) reads the file beside it named\n"
        "                  with Votes for Posts, which must exist\n"
        "  --mem SIZE      memory for grouping before spilling sorted runs (default 1G)\n"
        "  --tmp DIR       directory for spilled runs (default $TMPDIR, else /tmp)\n"
        "  --tmp-compress  zstd the spilled runs: ~2.5x less disk, ~7 CPU-s more per GB spilled\n"
        "  --strict        fail on the first bad row instead of counting and skipping it\n"
        "  -q, --quiet     no progress or summary on stderr\n"
        "      --json      print the final stats as one JSON object on stderr\n"
        "  -h, --help      this help;  --version  the version\n\n"
        "Example:\n"
        "  pmp-extract stackexchange --votes cooking.stackexchange.com/Votes.xml \\\n"
        "      cooking.stackexchange.com/Posts.xml > cooking-groups.jsonl\n",
    .options = options,
    .state_size = sizeof(se_state),
    .init = init,
    .set = set,
    .inputs = inputs,
    .run = run,
    .report = report,
};

/* source_wikipedia.c — `pmp-extract wikipedia` as a pmp_source: the flags and stats
 * of pmp_wiki_extract(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pmp_wikipedia.h"

typedef struct wiki_state {
    pmp_wiki_options o;
    pmp_wiki_stats st;
} wiki_state;

enum {
    OPT_RADIUS = PMP_OPT_FIRST_FREE, OPT_PATTERN, OPT_ANY, OPT_NS, OPT_CONTEXT, OPT_MAX,
    OPT_BLANK, OPT_LIST, OPT_TEXT, OPT_SELF
};
static const struct option options[] = {
    {"radius", required_argument, NULL, OPT_RADIUS},
    {"comment-pattern", required_argument, NULL, OPT_PATTERN},
    {"any-revert", no_argument, NULL, OPT_ANY},
    {"keep-self-reverts", no_argument, NULL, OPT_SELF},
    {"ns", required_argument, NULL, OPT_NS},
    {"context-chars", required_argument, NULL, OPT_CONTEXT},
    {"max-change-chars", required_argument, NULL, OPT_MAX},
    {"keep-blanking", no_argument, NULL, OPT_BLANK},
    {"list-reverts", no_argument, NULL, OPT_LIST},
    {"text", no_argument, NULL, OPT_TEXT},
    {NULL, 0, NULL, 0},
};

static void init(void *state)
{
    wiki_state *s = state;
    pmp_wiki_options_init(&s->o);
}

/* "all" or a comma-separated list of namespace numbers. */
static int parse_ns(const char *s, pmp_wiki_options *o)
{
    if (!strcmp(s, "all")) {
        o->all_ns = 1;
        return 0;
    }
    o->n_ns = 0;
    char item[32];
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        long long v;
        if (len >= sizeof item || o->n_ns == sizeof o->ns / sizeof o->ns[0]) return -1;
        memcpy(item, p, len);
        item[len] = 0;
        if (pmp_parse_int(item, -1000000, 1000000, &v) < 0) return -1;
        o->ns[o->n_ns++] = (int)v;
        if (!p[len]) break;
        p += len + 1;
    }
    return 0;
}

static int set(void *state, int id, const char *arg, pmp_err *err)
{
    wiki_state *s = state;
    long long v;
    switch (id) {
    case OPT_RADIUS:
        if (pmp_parse_int(arg, 2, 100000, &v) < 0)
            return pmp_err_setc(err, PMP_E_USAGE, "--radius: expected an integer >= 2, got '%s'",
                                arg);
        s->o.radius = (int)v;
        return 0;
    case OPT_PATTERN: s->o.comment_pattern = arg; return 0;
    case OPT_ANY: s->o.any_revert = 1; return 0;
    case OPT_SELF: s->o.keep_self_reverts = 1; return 0;
    case OPT_NS:
        if (parse_ns(arg, &s->o) < 0)
            return pmp_err_setc(err, PMP_E_USAGE,
                                "--ns: expected 'all' or a list like 0,4, got '%s'", arg);
        return 0;
    case OPT_CONTEXT:
        if (pmp_parse_int(arg, 0, (long long)1 << 40, &v) < 0)
            return pmp_err_setc(err, PMP_E_USAGE,
                                "--context-chars: expected an integer >= 0, got '%s'", arg);
        s->o.context_chars = (size_t)v;
        return 0;
    case OPT_MAX:
        if (pmp_parse_int(arg, 1, (long long)1 << 40, &v) < 0)
            return pmp_err_setc(err, PMP_E_USAGE,
                                "--max-change-chars: expected an integer >= 1, got '%s'", arg);
        s->o.max_change_chars = (size_t)v;
        return 0;
    case OPT_BLANK: s->o.keep_blanking = 1; return 0;
    case OPT_LIST: s->o.list_reverts = 1; return 0;
    case OPT_TEXT: s->o.latest_text = 1; return 0;
    }
    return pmp_err_setc(err, PMP_E_USAGE, "unexpected option");
}

static int run(void *state, const char *const *paths, size_t n, const pmp_extract_sink *sink,
               pmp_err *err)
{
    wiki_state *s = state;
    return pmp_wiki_extract(&s->o, paths, n, sink, &s->st, err);
}

static void report(const void *state, const char *path, double seconds, pmp_extract_report *r)
{
    const pmp_wiki_stats *s = &((const wiki_state *)state)->st;
    (void)seconds;
    pmp_extract_report_str(r, "input", path);
    pmp_extract_report_num(r, "xml_mb", (double)s->xml_bytes / 1e6);
    pmp_extract_report_num(r, "pages", (double)s->pages);
    pmp_extract_report_num(r, "pages_used", (double)s->pages_used);
    pmp_extract_report_num(r, "redirects", (double)s->redirects);
    pmp_extract_report_num(r, "revisions", (double)s->revisions);
    pmp_extract_report_num(r, "reverts", (double)s->reverts);
    pmp_extract_report_num(r, "self_reverts", (double)s->self_reverts);
    pmp_extract_report_num(r, "reverts_kept", (double)s->reverts_kept);
    pmp_extract_report_num(r, "reverts_no_change", (double)s->reverts_no_change);
    pmp_extract_report_num(r, "regions", (double)s->regions);
    pmp_extract_report_num(r, "skipped_same", (double)s->regions_same);
    pmp_extract_report_num(r, "skipped_too_large", (double)s->regions_too_large);
    pmp_extract_report_num(r, "blanking", (double)s->blanking);
    pmp_extract_report_num(r, "groups", (double)s->groups);
}

const pmp_source pmp_source_wikipedia = {
    .name = "wikipedia",
    .summary = "MediaWiki history XML -> vandalism-revert groups",
    .usage =
        "Usage: pmp-extract wikipedia [OPTIONS] [FILE|-]...\n"
        "Reads a MediaWiki XML export with full revision history (pages-meta-history;\n"
        "plain, .bz2, .zst or .gz; schemas 0.3 to 0.11) and writes one comparison group\n"
        "per region changed by a reverted vandal edit (docs/wikipedia.md): the restored\n"
        "text (score 1) against the vandalised text (score 0), with the page title and\n"
        "the unchanged text around the change as context.\n"
        "A revert: revision R has the text of an earlier revision G among the --radius\n"
        "revisions before it, G is not the previous revision B, B's text differs.\n\n"
        "Options:\n"
        "  --radius N              revisions to look back for G (default 15)\n"
        "  --comment-pattern RE    PCRE2 pattern (case-insensitive) a revert's comment must\n"
        "                          match (default: vandal, rv, rvv, Reverted edits by,\n"
        "                          ClueBot, Huggle, (HG))\n"
        "  --any-revert            keep every identity revert, whatever its comment\n"
        "  --keep-self-reverts     keep reverts of the reverting user's own last edit\n"
        "                          (dropped and counted as self_reverts by default)\n"
        "  --ns LIST               namespaces to read, comma-separated, or 'all' (default 0)\n"
        "  --context-chars N       characters of page text around a change (default 2000)\n"
        "  --max-change-chars N    skip regions longer than N characters (default 2000)\n"
        "  --keep-blanking         keep regions where one side is empty (page blanking)\n"
        "  --list-reverts          instead of groups, print every identity revert as\n"
        "                          page_id TAB R TAB G TAB B TAB comment_matched(0/1)\n"
        "  --text                  instead of groups, each page's last revision as plain\n"
        "                          text, one {\"source\",\"id\",\"text\"} line a page: the\n"
        "                          page's text for language-model pre-training\n"
        "                          (pmp-tokenize --text)\n"
        "  -q, --quiet             no progress or summary on stderr\n"
        "      --json              print the final stats as one JSON object on stderr\n"
        "  -h, --help              this help;  --version  the version\n\n"
        "Example:\n"
        "  pmp-extract wikipedia enwiki-latest-pages-meta-history1.xml.bz2 > wiki-groups.jsonl\n",
    .options = options,
    .state_size = sizeof(wiki_state),
    .init = init,
    .set = set,
    .run = run,
    .report = report,
};

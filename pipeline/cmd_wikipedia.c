/* cmd_wikipedia.c — `pmp-extract wikipedia`: flags, then the pmp_wiki stream. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "wikipedia.h"

static const char usage[] =
    "Usage: pmp-extract wikipedia [OPTIONS] [FILE|-]\n"
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
    "  --ns LIST               namespaces to read, comma-separated, or 'all' (default 0)\n"
    "  --context-chars N       characters of page text around a change (default 2000)\n"
    "  --max-change-chars N    skip regions longer than N characters (default 2000)\n"
    "  --keep-blanking         keep regions where one side is empty (page blanking)\n"
    "  --list-reverts          instead of groups, print every identity revert as\n"
    "                          page_id TAB R TAB G TAB B TAB comment_matched(0/1)\n"
    "  -q, --quiet             no progress or summary on stderr\n"
    "      --json              print the final stats as one JSON object on stderr\n"
    "  -h, --help              this help;  --version  the version\n\n"
    "Example:\n"
    "  pmp-extract wikipedia enwiki-latest-pages-meta-history1.xml.bz2 > wiki-groups.jsonl\n";

static int parse_count(const char *s, long lo, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo) return -1;
    *out = v;
    return 0;
}

static int parse_ns(const char *s, pmp_wiki_opts *o)
{
    if (!strcmp(s, "all")) {
        o->all_ns = 1;
        return 0;
    }
    o->n_ns = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || o->n_ns == sizeof o->ns / sizeof o->ns[0])
            return -1;
        o->ns[o->n_ns++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return o->n_ns ? 0 : -1;
}

static void print_revert(void *ud, const pmp_wiki_revert *r)
{
    (void)ud;
    printf("%s\t%s\t%s\t%s\t%d\n", r->page_id, r->revert_rev, r->good_rev, r->bad_rev,
           r->comment_matches);
}

static void put_stats(pmp_cli *cli, const pmp_wiki_stats *s)
{
    pmp_cli_stat_num(cli, "xml_mb", (double)s->xml_bytes / 1e6);
    pmp_cli_stat_num(cli, "pages", (double)s->pages);
    pmp_cli_stat_num(cli, "pages_used", (double)s->pages_used);
    pmp_cli_stat_num(cli, "redirects", (double)s->redirects);
    pmp_cli_stat_num(cli, "revisions", (double)s->revisions);
    pmp_cli_stat_num(cli, "reverts", (double)s->reverts);
    pmp_cli_stat_num(cli, "reverts_kept", (double)s->reverts_kept);
    pmp_cli_stat_num(cli, "reverts_no_change", (double)s->reverts_no_change);
    pmp_cli_stat_num(cli, "regions", (double)s->regions);
    pmp_cli_stat_num(cli, "skipped_same", (double)s->regions_same);
    pmp_cli_stat_num(cli, "skipped_too_large", (double)s->regions_too_large);
    pmp_cli_stat_num(cli, "blanking", (double)s->blanking);
    pmp_cli_stat_num(cli, "groups", (double)s->groups);
}

int pmp_cmd_wikipedia(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-extract wikipedia", usage);
    enum {
        OPT_RADIUS = PMP_OPT_FIRST_FREE, OPT_PATTERN, OPT_ANY, OPT_NS, OPT_CONTEXT, OPT_MAX,
        OPT_BLANK, OPT_LIST
    };
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"radius", required_argument, NULL, OPT_RADIUS},
        {"comment-pattern", required_argument, NULL, OPT_PATTERN},
        {"any-revert", no_argument, NULL, OPT_ANY},
        {"ns", required_argument, NULL, OPT_NS},
        {"context-chars", required_argument, NULL, OPT_CONTEXT},
        {"max-change-chars", required_argument, NULL, OPT_MAX},
        {"keep-blanking", no_argument, NULL, OPT_BLANK},
        {"list-reverts", no_argument, NULL, OPT_LIST},
        {NULL, 0, NULL, 0},
    };
    pmp_wiki_opts o;
    pmp_wiki_opts_init(&o);
    int list = 0, c;
    long v;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        switch (c) {
        case OPT_RADIUS:
            if (parse_count(optarg, 2, &v) < 0 || v > 100000)
                return pmp_cli_usage_error(&cli, "--radius: expected an integer >= 2, got '%s'",
                                           optarg);
            o.radius = (int)v;
            break;
        case OPT_PATTERN: o.comment_pattern = optarg; break;
        case OPT_ANY: o.any_revert = 1; break;
        case OPT_NS:
            if (parse_ns(optarg, &o) < 0)
                return pmp_cli_usage_error(&cli,
                                           "--ns: expected 'all' or a list like 0,4, got '%s'",
                                           optarg);
            break;
        case OPT_CONTEXT:
            if (parse_count(optarg, 0, &v) < 0)
                return pmp_cli_usage_error(&cli,
                                           "--context-chars: expected an integer >= 0, got '%s'",
                                           optarg);
            o.context_chars = (size_t)v;
            break;
        case OPT_MAX:
            if (parse_count(optarg, 1, &v) < 0)
                return pmp_cli_usage_error(
                    &cli, "--max-change-chars: expected an integer >= 1, got '%s'", optarg);
            o.max_change_chars = (size_t)v;
            break;
        case OPT_BLANK: o.keep_blanking = 1; break;
        case OPT_LIST: list = 1; break;
        default: return pmp_cli_usage_error(&cli, "unexpected option");
        }
    }
    if (argc - optind > 1) return pmp_cli_usage_error(&cli, "expected at most one input file");
    const char *path = optind < argc ? argv[optind] : "-";
    if (list) o.on_revert = print_revert;

    pmp_err err;
    pmp_wiki *w;
    if (pmp_wiki_open(&w, path, &o, &err) < 0) {
        /* a bad --comment-pattern is a usage error, a missing file a failure */
        if (!strncmp(err.msg, "comment pattern", 15))
            return pmp_cli_usage_error(&cli, "%s", err.msg);
        return pmp_cli_fail(&cli, "%s", err.msg);
    }
    pmp_group_writer *gw = NULL;
    if (!list && pmp_group_writer_open(&gw, "-", &err) < 0) {
        pmp_wiki_close(w);
        return pmp_cli_fail(&cli, "%s", err.msg);
    }
    pmp_group g;
    pmp_group_init(&g);
    int rc;
    while ((rc = pmp_wiki_next(w, &g, &err)) == 1) {
        if (!list && pmp_group_writer_write(gw, &g, &err) < 0) {
            rc = -1;
            break;
        }
        const pmp_wiki_stats *s = pmp_wiki_get_stats(w);
        pmp_cli_progress(&cli, s->xml_bytes, s->groups, "groups");
    }
    /* --list-reverts output comes from the callback; drain without writing */
    pmp_group_clear(&g);
    pmp_err werr;
    int wrc = gw ? pmp_group_writer_close(gw, &werr) : (fflush(stdout) == 0 ? 0 : -1);
    if (!gw && wrc < 0) snprintf(werr.msg, sizeof werr.msg, "writing standard output failed");
    pmp_cli_stat_str(&cli, "input", path);
    put_stats(&cli, pmp_wiki_get_stats(w));
    pmp_wiki_close(w);
    if (rc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", err.msg));
    if (wrc < 0) return pmp_cli_finish(&cli, pmp_cli_fail(&cli, "%s", werr.msg));
    return pmp_cli_finish(&cli, PMP_EXIT_OK);
}

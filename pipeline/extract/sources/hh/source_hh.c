/* source_hh.c — `pmp-extract hh` as a pmp_source: the flags and stats of pmp_hh_extract(). */
#include <stdio.h>

#include "pmp_hh.h"

typedef struct hh_state {
    pmp_hh_options opt;
    pmp_hh_stats st;
} hh_state;

enum { OPT_NAME = PMP_OPT_FIRST_FREE, OPT_SKIP_BAD };
static const struct option options[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
    {NULL, 0, NULL, 0},
};

static void init(void *state)
{
    hh_state *s = state;
    pmp_hh_options_init(&s->opt);
}

static int set(void *state, int id, const char *arg, pmp_err *err)
{
    hh_state *s = state;
    switch (id) {
    case OPT_NAME: s->opt.name = arg; return 0;
    case OPT_SKIP_BAD: s->opt.skip_bad = 1; return 0;
    }
    return pmp_err_setc(err, PMP_E_USAGE, "unexpected option");
}

static int run(void *state, const char *const *paths, size_t n, const pmp_extract_sink *sink,
               pmp_err *err)
{
    hh_state *s = state;
    return pmp_hh_extract(&s->opt, paths, n, sink, &s->st, err);
}

static void report(const void *state, const char *path, double seconds, pmp_extract_report *r)
{
    const hh_state *s = state;
    (void)seconds;
    pmp_extract_report_str(r, "input", path);
    pmp_extract_report_num(r, "lines", (double)s->st.lines);
    pmp_extract_report_num(r, "groups", (double)s->st.groups);
    for (int k = 1; k < PMP_HH_SKIP_REASONS; k++) {
        char key[48];
        snprintf(key, sizeof key, "skipped_%s", pmp_hh_skip_name((pmp_hh_skip)k));
        pmp_extract_report_num(r, key, (double)s->st.skipped[k]);
    }
    pmp_extract_report_num(r, "bad_lines", (double)s->st.bad_lines);
    if (s->st.bad_lines)
        snprintf(r->warning, sizeof r->warning, "skipped %llu bad lines (--skip-bad)",
                 (unsigned long long)s->st.bad_lines);
}

const pmp_source pmp_source_hh = {
    .name = "hh",
    .summary = "Anthropic hh-rlhf chosen/rejected JSONL -> two-response groups",
    .usage =
        "Usage: pmp-extract hh [OPTIONS] [FILE|-]...\n"
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
        "  pmp-extract hh harmless-base/test.jsonl.gz > hh-groups.jsonl\n",
    .options = options,
    .state_size = sizeof(hh_state),
    .init = init,
    .set = set,
    .run = run,
    .report = report,
};

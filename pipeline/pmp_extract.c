/* pmp-extract — turn public dumps into comparison groups (group JSONL on stdout). */
#include "cmd.h"
#include "pmp_common.h"

static const pmp_subcommand sources[] = {
    {"hh", pmp_cmd_hh, "Anthropic hh-rlhf chosen/rejected JSONL -> two-response groups"},
    {"reddit", pmp_cmd_reddit, "pushshift RC_/RS_ NDJSON -> sibling-comment groups"},
    {"stackexchange", pmp_cmd_stackexchange, "StackExchange Posts.xml (+ Votes.xml) -> scored answer groups"},
    {"wikipedia", pmp_cmd_wikipedia, "MediaWiki history XML -> vandalism-revert groups"},
};

int main(int argc, char **argv)
{
    return pmp_cli_dispatch(
        "pmp-extract", "pmp-extract SOURCE [OPTIONS] [FILE|-]",
        "Reads a public dump (plain, .zst, .bz2 or .gz; detected from the bytes) and\n"
        "writes comparison groups, one JSON object per line, to stdout\n"
        "(format: docs/records.md).",
        "Sources", sources, sizeof sources / sizeof sources[0],
        "Example:\n  pmp-extract hh train.jsonl.gz > groups.jsonl\n"
        "  zstdcat RC_2019-04.zst | pmp-extract reddit - > reddit.jsonl\n",
        argc, argv);
}

/* pmp-extract — turn public dumps into comparison groups (group JSONL on stdout). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "pmp_common.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"hh", pmp_cmd_hh, "Anthropic hh-rlhf chosen/rejected JSONL -> two-response groups"},
    {"reddit", pmp_cmd_reddit, "pushshift RC_/RS_ NDJSON -> sibling-comment groups"},
    {"stackexchange", pmp_cmd_stackexchange, "StackExchange Posts.xml (+ Votes.xml) -> scored answer groups"},
    {"wikipedia", pmp_cmd_wikipedia, "MediaWiki history XML -> vandalism-revert groups"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pmp-extract SOURCE [OPTIONS] [FILE|-]\n"
            "Reads a public dump (plain, .zst, .bz2 or .gz; detected from the bytes) and\n"
            "writes comparison groups, one JSON object per line, to stdout\n"
            "(format: docs/records.md).\n\nSources:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nEvery source takes --help, --version, -q/--quiet, --json (stats on stderr).\n"
            "Exit codes: 0 ok, 1 bad input or failure, 2 usage error.\n\n"
            "Example:\n  pmp-extract hh train.jsonl.gz > groups.jsonl\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return PMP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return PMP_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pmp-extract %s\n", PMP_VERSION);
        return PMP_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pmp-extract: unknown source '%s'\nTry 'pmp-extract --help'.\n", argv[1]);
    return PMP_EXIT_USAGE;
}

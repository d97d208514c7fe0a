/* pmp-bpe — byte-level BPE: encode, decode, inspect and train tokenizers. */
#include <stdio.h>
#include <string.h>

#include "bpe_cli.h"
#include "pmp_common.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"encode", pmp_bpe_cmd_encode, "text lines (or JSON strings) -> lines of token ids"},
    {"decode", pmp_bpe_cmd_decode, "lines of token ids -> text lines (or JSON strings)"},
    {"info", pmp_bpe_cmd_info, "vocabulary size, pattern, special tokens, identity"},
    {"train", pmp_bpe_cmd_train, "learn a vocabulary from text; writes tokenizer.json"},
    {"convert", pmp_bpe_cmd_convert, "write any loadable tokenizer as tokenizer.json"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: pmp-bpe COMMAND [OPTIONS] ...\n"
               "Byte-level BPE exactly as GPT-2 / tiktoken (docs/tokenizer.md).\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command takes --help, --version, -q/--quiet, --json (stats on stderr).\n"
               "Exit codes: 0 ok, 1 bad input or failure, 2 usage error.\n\n"
               "Example:\n  echo 'Hello world' | pmp-bpe encode -t cl100k_base.tiktoken\n");
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
        printf("pmp-bpe %s\n", PMP_VERSION);
        return PMP_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pmp-bpe: unknown command '%s'\nTry 'pmp-bpe --help'.\n", argv[1]);
    return PMP_EXIT_USAGE;
}

/* pmp-bpe — byte-level BPE: encode, decode, inspect and train tokenizers. */
#include "bpe_cli.h"
#include "pmp_common.h"

static const pmp_subcommand commands[] = {
    {"encode", pmp_bpe_cmd_encode, "text lines (or JSON strings) -> lines of token ids"},
    {"decode", pmp_bpe_cmd_decode, "lines of token ids -> text lines (or JSON strings)"},
    {"info", pmp_bpe_cmd_info, "vocabulary size, pattern, special tokens, identity"},
    {"train", pmp_bpe_cmd_train, "learn a vocabulary from text; writes tokenizer.json"},
    {"convert", pmp_bpe_cmd_convert, "write any loadable tokenizer as tokenizer.json"},
};

int main(int argc, char **argv)
{
    return pmp_cli_dispatch("pmp-bpe", "pmp-bpe COMMAND [OPTIONS] ...",
                            "Byte-level BPE exactly as GPT-2 / tiktoken (docs/tokenizer.md).",
                            "Commands", commands, sizeof commands / sizeof commands[0],
                            "Example:\n  echo 'Hello world' | pmp-bpe encode -t cl100k_base.tiktoken\n",
                            argc, argv);
}

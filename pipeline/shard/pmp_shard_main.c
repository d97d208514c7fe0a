/* pmp-shard — inspect, verify, decode and merge shard directories. */
#include "pmp_common.h"
#include "shard_cmd.h"

static const pmp_subcommand commands[] = {
    {"info", pmp_shard_cmd_info, "counts, sizes, tokenizer, policy and sources of DIR"},
    {"verify", pmp_shard_cmd_verify, "check every checksum, block and record; names what fails"},
    {"cat", pmp_shard_cmd_cat, "decode DIR back to group JSONL with its tokenizer"},
    {"head", pmp_shard_cmd_head, "the first N groups as JSONL (-n N, default 10)"},
    {"stats", pmp_shard_cmd_stats, "length, score-gap and pairs-per-group histograms"},
    {"pair", pmp_shard_cmd_pair, "pair K through the index, as one JSON line"},
    {"merge", pmp_shard_cmd_merge, "merge DIR... -o OUT (same tokenizer only)"},
    {"export", pmp_shard_cmd_export, "the pairs as text for other tools: --format trl|shp|h4"},
    {"leaks", pmp_shard_cmd_leaks, "TRAIN EVAL: split keys and contexts a split shares"},
};

int main(int argc, char **argv)
{
    return pmp_cli_dispatch(
        "pmp-shard", "pmp-shard COMMAND [OPTIONS] DIR...",
        "Shard directories written by pmp-tokenize (docs/shards.md, docs/tokenize.md).\n"
        "DIR/eval (from --split) is a shard directory of its own.",
        "Commands", commands, sizeof commands / sizeof commands[0],
        "Example:\n  pmp-shard verify shards/ && pmp-shard cat shards/ | head -n 3\n", argc, argv);
}

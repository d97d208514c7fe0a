/* pmp-extract — turn public dumps into comparison groups (group JSONL on stdout).
 * The sources and the driver are in the library (pmp_extract.h). */
#include <string.h>

#include "pmp_common.h"
#include "pmp_extract.h"

int main(int argc, char **argv)
{
    const pmp_source *src = argc > 1 ? pmp_extract_find(argv[1]) : NULL;
    if (src) return pmp_extract_main(src, argc - 1, argv + 1);

    /* no source named: help, version and unknown names, as every multi-command tool */
    size_t n;
    const pmp_source *const *all = pmp_extract_sources(&n);
    pmp_subcommand cmds[16];
    if (n > sizeof cmds / sizeof cmds[0]) n = sizeof cmds / sizeof cmds[0];
    for (size_t i = 0; i < n; i++)
        cmds[i] = (pmp_subcommand){all[i]->name, NULL, all[i]->summary};
    return pmp_cli_dispatch(
        "pmp-extract", "pmp-extract SOURCE [OPTIONS] [FILE|-]",
        "Reads a public dump (plain, .zst, .bz2 or .gz; detected from the bytes) and\n"
        "writes comparison groups, one JSON object per line, to stdout\n"
        "(format: docs/records.md).",
        "Sources", cmds, n,
        "Example:\n  pmp-extract hh train.jsonl.gz > groups.jsonl\n"
        "  pmp-extract reddit RC_2019-04.zst > reddit.jsonl\n"
        "  zstd -dc --long=31 RC_2019-04.zst | pmp-extract reddit > reddit.jsonl\n",
        argc, argv);
}

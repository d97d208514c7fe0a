/* shard_cmd.h — the subcommands of pmp-shard (docs/tokenize.md). */
#ifndef PMP_SHARD_CMD_H
#define PMP_SHARD_CMD_H

#include "pmp_common.h"
#include "pmp_shard.h"

int pmp_shard_cmd_info(int argc, char **argv);
int pmp_shard_cmd_verify(int argc, char **argv);
int pmp_shard_cmd_cat(int argc, char **argv);
int pmp_shard_cmd_head(int argc, char **argv);
int pmp_shard_cmd_stats(int argc, char **argv);
int pmp_shard_cmd_merge(int argc, char **argv);
int pmp_shard_cmd_pair(int argc, char **argv);

/* Calls fn for every group of every shard listed in DIR's manifest, in order.
 * fn returns 0 to continue, 1 to stop, -1 on error. */
typedef int (*pmp_shard_group_fn)(void *ctx, const pmp_shard_group *g, pmp_err *err);
int pmp_shard_cmd_each(const pmp_manifest *m, const char *dir, pmp_shard_group_fn fn, void *ctx,
                       pmp_err *err);

#endif

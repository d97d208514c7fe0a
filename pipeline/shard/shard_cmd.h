/* shard_cmd.h — the subcommands of pmp-shard (docs/tokenize.md). */
#ifndef PMP_SHARD_CMD_H
#define PMP_SHARD_CMD_H

#include "pmp_bpe.h"
#include "pmp_common.h"
#include "pmp_shard.h"

int pmp_shard_cmd_info(int argc, char **argv);
int pmp_shard_cmd_verify(int argc, char **argv);
int pmp_shard_cmd_cat(int argc, char **argv);
int pmp_shard_cmd_head(int argc, char **argv);
int pmp_shard_cmd_stats(int argc, char **argv);
int pmp_shard_cmd_merge(int argc, char **argv);
int pmp_shard_cmd_pair(int argc, char **argv);
int pmp_shard_cmd_export(int argc, char **argv);
int pmp_shard_cmd_leaks(int argc, char **argv);

/* Calls fn for every group of every shard listed in m (from pmp_shard_dir_open), in
 * order, each shard opened by pmp_shard_dir_shard. fn returns 0 to continue, 1 to
 * stop, -1 on error. */
typedef int (*pmp_shard_group_fn)(void *ctx, const pmp_shard_group *g, pmp_err *err);
int pmp_shard_cmd_each(const pmp_manifest *m, pmp_shard_group_fn fn, void *ctx, pmp_err *err);

/* Decodes tokens into dec as valid UTF-8: a text cut inside a character (truncation,
 * chunking) gets U+FFFD and counts in *repaired. scratch is working space. */
int pmp_shard_cmd_decode(const pmp_bpe *bpe, const uint32_t *t, size_t n, pmp_buf *dec,
                         pmp_buf *scratch, uint64_t *repaired, pmp_err *err);

#endif

/* shard_internal.h — shared by the shard directory code of formats/ only. */
#ifndef PMP_SHARD_INTERNAL_H
#define PMP_SHARD_INTERNAL_H

#include <stdint.h>

#include "pmp_common.h"

/* The size and xxHash64 of a whole file, in one streaming read. */
int pmp_shard_file_xxh64(const char *path, uint64_t *size, uint64_t *h, pmp_err *err);

#endif

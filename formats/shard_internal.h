/* shard_internal.h — shared by the shard directory code of formats/ only. */
#ifndef PMP_SHARD_INTERNAL_H
#define PMP_SHARD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_shard.h"

/* The size and xxHash64 of a whole file, in one streaming read. */
int pmp_shard_file_xxh64(const char *path, uint64_t *size, uint64_t *h, pmp_err *err);

/* The merge table (manifest_merge.c): one row per key manifest.json has. Exposed for
 * tests/formats/test_manifest_merge.c, which checks it against the writer. */
typedef enum pmp_manifest_field_kind {
    PMP_MF_NONE,        /* no value of its own, or handled with another row */
    PMP_MF_INT,         /* an int at offset (booleans, zstd_level) */
    PMP_MF_U64,
    PMP_MF_NUM,         /* a double */
    PMP_MF_STR,         /* a char * (may be NULL) */
    PMP_MF_SOURCES,     /* stats.sources, a map {name: groups}: its keys are data */
    PMP_MF_SHARDS,      /* the shards array: entries by the "shards[]." rows */
    PMP_MF_TOKENIZER,   /* tokenizer.path with relative_path */
} pmp_manifest_field_kind;

typedef struct pmp_manifest_merge_field {
    const char *key;    /* as nested in manifest.json: "policy.shard_size", "shards[].bytes" */
    pmp_manifest_merge_rule rule;
    pmp_manifest_field_kind kind;
    size_t offset;      /* in pmp_manifest; for "shards[]." rows in pmp_manifest_shard */
} pmp_manifest_merge_field;

size_t pmp_manifest_merge_fields(const pmp_manifest_merge_field **rows);

#endif

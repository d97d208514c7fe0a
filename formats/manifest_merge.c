/* manifest_merge.c — merging manifests field by field (pmp_shard.h, "merging
 * manifests"). One row per key manifest.json has, with its rule; the merge walks the
 * rows, never the struct as a whole, so a field without a row is never copied by
 * accident, and tests/formats/test_manifest_merge.c fails when the writer (manifest.c)
 * writes a key that has no row here. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_shard.h"
#include "shard_internal.h"

#define M(f) offsetof(pmp_manifest, f)
#define S(f) offsetof(pmp_manifest_shard, f)

/* Keys as manifest.json nests them: "policy.shard_size"; an array's elements are
 * "shards[]", their keys "shards[].bytes" (offsets into pmp_manifest_shard). */
static const pmp_manifest_merge_field fields[] = {
    {"format", PMP_MERGE_EQUAL, PMP_MF_NONE, 0},    /* the loader refuses any other */
    {"version", PMP_MERGE_EQUAL, PMP_MF_NONE, 0},   /* likewise */
    {"complete", PMP_MERGE_MIN, PMP_MF_INT, M(complete)},
    {"split", PMP_MERGE_FIRST, PMP_MF_STR, M(split)},
    {"tokenizer.identity", PMP_MERGE_EQUAL, PMP_MF_STR, M(tok_identity)},
    {"tokenizer.path", PMP_MERGE_RECOMPUTE, PMP_MF_TOKENIZER, 0},
    {"tokenizer.relative_path", PMP_MERGE_RECOMPUTE, PMP_MF_NONE, 0},   /* with "path" */
    {"tokenizer.kind", PMP_MERGE_FIRST, PMP_MF_STR, M(tok_kind)},
    {"tokenizer.pattern", PMP_MERGE_FIRST, PMP_MF_STR, M(tok_pattern)},
    {"tokenizer.vocab_size", PMP_MERGE_FIRST, PMP_MF_U64, M(tok_vocab_size)},
    {"policy.max_pairs_per_group", PMP_MERGE_FIRST, PMP_MF_U64, M(policy.max_pairs_per_group)},
    {"policy.min_score_gap", PMP_MERGE_FIRST, PMP_MF_NUM, M(policy.min_score_gap)},
    {"policy.time_rule", PMP_MERGE_FIRST, PMP_MF_INT, M(policy.time_rule)},
    {"policy.shp_rule", PMP_MERGE_FIRST, PMP_MF_INT, M(policy.shp_rule)},
    {"policy.max_context_tokens", PMP_MERGE_FIRST, PMP_MF_U64, M(policy.max_context_tokens)},
    {"policy.max_response_tokens", PMP_MERGE_FIRST, PMP_MF_U64, M(policy.max_response_tokens)},
    {"policy.shard_size", PMP_MERGE_FIRST, PMP_MF_U64, M(policy.shard_size)},
    {"policy.eval_fraction", PMP_MERGE_FIRST, PMP_MF_NUM, M(policy.eval_fraction)},
    {"policy.eval_fold", PMP_MERGE_FIRST, PMP_MF_U64, M(policy.eval_fold)},
    {"policy.zstd_level", PMP_MERGE_FIRST, PMP_MF_INT, M(policy.zstd_level)},
    {"policy.split_by", PMP_MERGE_FIRST, PMP_MF_INT, M(policy.split_by_id)},
    {"policy.text_chunk_tokens", PMP_MERGE_EQUAL, PMP_MF_U64, M(policy.text_chunk_tokens)},
    {"input.path", PMP_MERGE_CLEAR, PMP_MF_STR, M(input_path)},
    {"input.size", PMP_MERGE_CLEAR, PMP_MF_U64, M(input_size)},
    {"input.files", PMP_MERGE_CLEAR, PMP_MF_NONE, 0},   /* input_files, input_file_sizes */
    {"input.files[].path", PMP_MERGE_CLEAR, PMP_MF_NONE, 0},
    {"input.files[].size", PMP_MERGE_CLEAR, PMP_MF_NONE, 0},
    {"input.cursor", PMP_MERGE_SUM, PMP_MF_U64, M(input_cursor)},
    {"input.prefix_xxh64", PMP_MERGE_CLEAR, PMP_MF_U64, M(input_prefix_xxh64)},
    {"input.groups", PMP_MERGE_SUM, PMP_MF_U64, M(input_groups)},
    {"input.bad_lines", PMP_MERGE_SUM, PMP_MF_U64, M(input_bad_lines)},
#define STAT_ROW(n) {"stats." #n, PMP_MERGE_SUM, PMP_MF_U64, M(stats.n)},
    PMP_MANIFEST_STATS(STAT_ROW)
#undef STAT_ROW
    {"stats.sources", PMP_MERGE_SUM, PMP_MF_SOURCES, 0},   /* {name: groups}, by name */
    {"shards", PMP_MERGE_CONCAT, PMP_MF_SHARDS, 0},
    {"shards[].name", PMP_MERGE_RECOMPUTE, PMP_MF_NONE, 0},   /* renumbered */
    {"shards[].bytes", PMP_MERGE_CONCAT, PMP_MF_U64, S(bytes)},
    {"shards[].blocks", PMP_MERGE_CONCAT, PMP_MF_U64, S(blocks)},
    {"shards[].groups", PMP_MERGE_CONCAT, PMP_MF_U64, S(groups)},
    {"shards[].pairs", PMP_MERGE_CONCAT, PMP_MF_U64, S(pairs)},
    {"shards[].tokens", PMP_MERGE_CONCAT, PMP_MF_U64, S(tokens)},
    {"shards[].groups_without_pairs", PMP_MERGE_CONCAT, PMP_MF_U64, S(groups_without_pairs)},
    {"shards[].xxh64", PMP_MERGE_CONCAT, PMP_MF_U64, S(xxh64)},
    {"shards[].index_xxh64", PMP_MERGE_RECOMPUTE, PMP_MF_NONE, 0},   /* kept, or from the footer */
    {"manifest_xxh64", PMP_MERGE_RECOMPUTE, PMP_MF_NONE, 0},   /* by pmp_manifest_save */
};

#undef M
#undef S

size_t pmp_manifest_merge_fields(const pmp_manifest_merge_field **rows)
{
    *rows = fields;
    return sizeof fields / sizeof fields[0];
}

static int is_shard_row(const pmp_manifest_merge_field *f)
{
    return strncmp(f->key, "shards[].", 9) == 0;
}

#define AT(T, base, off) ((T *)(void *)((char *)(base) + (off)))
#define AT_C(T, base, off) ((const T *)(const void *)((const char *)(base) + (off)))

static int same_value(const pmp_manifest_merge_field *f, const void *a, const void *b)
{
    switch (f->kind) {
    case PMP_MF_INT: return *AT_C(int, a, f->offset) == *AT_C(int, b, f->offset);
    case PMP_MF_U64: return *AT_C(uint64_t, a, f->offset) == *AT_C(uint64_t, b, f->offset);
    case PMP_MF_NUM: return *AT_C(double, a, f->offset) == *AT_C(double, b, f->offset);
    case PMP_MF_STR: {
        const char *x = *AT_C(char *, a, f->offset), *y = *AT_C(char *, b, f->offset);
        return x == y || (x && y && strcmp(x, y) == 0);
    }
    default: return 1;   /* no value of its own (format, version: the loader checks them) */
    }
}

static void show_value(pmp_buf *out, const pmp_manifest_merge_field *f, const void *m)
{
    switch (f->kind) {
    case PMP_MF_INT: pmp_buf_printf(out, "%d", *AT_C(int, m, f->offset)); break;
    case PMP_MF_U64: pmp_buf_printf(out, "%" PRIu64, *AT_C(uint64_t, m, f->offset)); break;
    case PMP_MF_NUM: pmp_buf_printf(out, "%.17g", *AT_C(double, m, f->offset)); break;
    case PMP_MF_STR: {
        const char *s = *AT_C(char *, m, f->offset);
        pmp_buf_appends(out, s ? s : "null");
        break;
    }
    default: break;
    }
}

/* dst's field = src's (a field with a value of its own). */
static void copy_value(const pmp_manifest_merge_field *f, void *dst, const void *src)
{
    switch (f->kind) {
    case PMP_MF_INT: *AT(int, dst, f->offset) = *AT_C(int, src, f->offset); break;
    case PMP_MF_U64: *AT(uint64_t, dst, f->offset) = *AT_C(uint64_t, src, f->offset); break;
    case PMP_MF_NUM: *AT(double, dst, f->offset) = *AT_C(double, src, f->offset); break;
    case PMP_MF_STR: {
        char **d = AT(char *, dst, f->offset);
        const char *s = *AT_C(char *, src, f->offset);
        free(*d);
        *d = s ? pmp_xstrdup(s) : NULL;
        break;
    }
    default: break;
    }
}

/* src's shards appended to dst: each entry's fields by their rows, the name by its
 * new position. */
static int concat_shards(pmp_manifest *dst, const pmp_manifest *src, pmp_err *err)
{
    for (size_t i = 0; i < src->n_shards; i++) {
        const pmp_manifest_shard *from = &src->shards[i];
        char name[PMP_SHARD_NAME_MAX];
        pmp_manifest_shard *to = pmp_manifest_add_shard(dst, pmp_shard_dir_name(name, dst->n_shards));
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (is_shard_row(&fields[k]) && fields[k].rule == PMP_MERGE_CONCAT)
                copy_value(&fields[k], to, from);
        to->index_xxh64 = from->index_xxh64;
        if (!to->index_xxh64) {   /* an input written before the manifest named it */
            pmp_buf path = PMP_BUF_INIT;
            pmp_buf_printf(&path, "%s/%s", src->dir ? src->dir : ".", from->name);
            pmp_shard_reader *r;
            int rc = pmp_shard_open(&r, path.data, err);
            pmp_buf_free(&path);
            if (rc < 0) return -1;
            to->index_xxh64 = pmp_shard_info(r)->index_xxh64;
            pmp_shard_close(r);
        }
    }
    return 0;
}

int pmp_manifest_merge(pmp_manifest *dst, const pmp_manifest *src, pmp_err *err)
{
    /* every loaded manifest has a tokenizer identity: none yet means nothing merged */
    int first = dst->tok_identity == NULL;
    size_t n = sizeof fields / sizeof fields[0];
    /* the checks first, so a refused input leaves dst as it was */
    for (size_t k = 0; !first && k < n; k++) {
        const pmp_manifest_merge_field *f = &fields[k];
        if (f->rule != PMP_MERGE_EQUAL || same_value(f, dst, src)) continue;
        pmp_buf a = PMP_BUF_INIT, b = PMP_BUF_INIT;
        show_value(&a, f, src);
        show_value(&b, f, dst);
        pmp_err_setc(err, PMP_E_MISMATCH, "%s: %s %s differs from %s of the directories merged "
                     "before it", src->dir ? src->dir : "(manifest)", f->key, a.data, b.data);
        pmp_buf_free(&a);
        pmp_buf_free(&b);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const pmp_manifest_merge_field *f = &fields[k];
        if (is_shard_row(f)) continue;   /* by concat_shards, entry by entry */
        switch (f->rule) {
        case PMP_MERGE_EQUAL:
        case PMP_MERGE_FIRST:
            if (first) copy_value(f, dst, src);
            break;
        case PMP_MERGE_SUM:
            if (f->kind == PMP_MF_U64)
                *AT(uint64_t, dst, f->offset) += *AT_C(uint64_t, src, f->offset);
            else if (f->kind == PMP_MF_SOURCES)
                for (size_t i = 0; i < src->stats.n_sources; i++)
                    pmp_manifest_stats_add_source(&dst->stats, src->stats.sources[i].name,
                                                  strlen(src->stats.sources[i].name),
                                                  src->stats.sources[i].groups);
            break;
        case PMP_MERGE_MIN:
            if (first || *AT_C(int, src, f->offset) < *AT(int, dst, f->offset)) copy_value(f, dst, src);
            break;
        case PMP_MERGE_CONCAT:
            if (f->kind == PMP_MF_SHARDS && concat_shards(dst, src, err) < 0) return -1;
            break;
        case PMP_MERGE_RECOMPUTE:
            if (f->kind == PMP_MF_TOKENIZER && first) {
                /* the first input's tokenizer file, found from its directory, named
                 * relative to the merged one */
                char *tok = pmp_manifest_tokenizer_file(src);
                pmp_manifest_set_tokenizer_path(dst, tok, dst->dir ? dst->dir : ".");
                free(tok);
            }
            break;
        case PMP_MERGE_CLEAR:   /* dst starts empty and stays so */
            break;
        }
    }
    return 0;
}

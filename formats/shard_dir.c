/* shard_dir.c — opening a shard directory for reading: the one place that decides
 * which directories a reader may trust (pmp_shard.h, docs/shards.md "Opening a
 * directory"). A manifest must check itself, say the run completed, and every shard
 * it lists must be that shard, before the first record is served. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "pmp_shard.h"
#include "shard_internal.h"

int pmp_shard_dir_shard(const pmp_manifest *m, size_t i, pmp_shard_reader **out, pmp_err *err)
{
    *out = NULL;
    const pmp_manifest_shard *s = &m->shards[i];
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/%s", m->dir ? m->dir : ".", s->name);
    /* the size first: a cut or extended file is named as such, not as a bad footer */
    struct stat st;
    if (stat(path.data, &st) == 0 && (uint64_t)st.st_size != s->bytes) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: %llu bytes, the manifest says %llu (truncated or replaced)",
                     path.data, (unsigned long long)st.st_size, (unsigned long long)s->bytes);
        pmp_buf_free(&path);
        return -1;
    }
    pmp_shard_reader *r;
    if (pmp_shard_open(&r, path.data, err) < 0) {
        pmp_buf_free(&path);
        return -1;
    }
    const pmp_shard_totals *t = pmp_shard_info(r);
    const char *what = t->bytes != s->bytes ? "its size"
                     : t->blocks != s->blocks ? "its block count"
                     : t->groups != s->groups ? "its group count"
                     : t->pairs != s->pairs ? "its pair count"
                     : t->tokens != s->tokens ? "its token count"
                     : t->groups_without_pairs != s->groups_without_pairs ? "its count of groups without pairs"
                     : s->index_xxh64 && t->index_xxh64 != s->index_xxh64 ? "its index checksum"
                     : NULL;
    if (!what && !s->index_xxh64) {
        /* a manifest written before index_xxh64: the whole file's checksum instead */
        uint64_t size, h;
        if (pmp_shard_file_xxh64(path.data, &size, &h, err) < 0) {
            pmp_shard_close(r);
            pmp_buf_free(&path);
            return -1;
        }
        if (size != s->bytes || h != s->xxh64) what = "its checksum";
    }
    if (what) {
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: not the shard %s/%s lists (%s differs: copied in "
                     "from another directory, or replaced)", path.data, m->dir ? m->dir : ".",
                     PMP_MANIFEST_NAME, what);
        pmp_shard_close(r);
        pmp_buf_free(&path);
        return -1;
    }
    pmp_buf_free(&path);
    *out = r;
    return 0;
}

int pmp_shard_dir_open(pmp_manifest *m, const char *dir, unsigned flags, pmp_err *err)
{
    int got = pmp_manifest_load(m, dir, err);
    if (got < 0) return -1;
    if (got == 0) {
        if (flags & PMP_SHARD_DIR_ABSENT_OK) return 0;
        struct stat st;
        if (stat(dir, &st) != 0)
            return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return pmp_err_setc(err, PMP_E_INPUT, "%s: not a directory (a shard directory written by "
                                "pmp-tokenize)", dir);
        return pmp_err_setc(err, PMP_E_INPUT, "%s: no %s (not a shard directory written by "
                            "pmp-tokenize, or one that has not finished its first shard)",
                            dir, PMP_MANIFEST_NAME);
    }
    int rc = 0;
    if (!m->has_checksum)
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s/%s: has no manifest_xxh64, so nothing in it can be "
                          "trusted (edited, or written by a pmp-tokenize older than the checksum); "
                          "re-create the directory", dir, PMP_MANIFEST_NAME);
    else if (!m->complete && !(flags & PMP_SHARD_DIR_INCOMPLETE_OK))
        rc = pmp_err_setc(err, PMP_E_INPUT, "%s: INCOMPLETE: the run that writes it did not finish "
                          "(%zu shards, input cursor %" PRIu64 "); finish it with pmp-tokenize "
                          "--resume", dir, m->n_shards, m->input_cursor);
    for (size_t i = 0; rc == 0 && i < m->n_shards; i++) {
        pmp_shard_reader *r;
        if (pmp_shard_dir_shard(m, i, &r, err) < 0) rc = -1;
        pmp_shard_close(r);
    }
    if (rc < 0) {
        pmp_manifest_free(m);
        return -1;
    }
    return 1;
}

/* shard_dir.c — the shard directory: its file names (the one place that knows the
 * shard-NNNNNN pattern), listing and cleaning what a writer left, opening the next shard
 * for append, and opening a directory for reading: the one place that decides which
 * directories a reader may trust (pmp_shard.h, docs/shards.md "Opening a directory").
 * A manifest must check itself, say the run completed, and every shard it lists must
 * be that shard, before the first record is served. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_shard.h"
#include "shard_internal.h"

/* ---------- names ---------- */

#define SHARD_PREFIX "shard-"
#define TMP_SUFFIX ".tmp"   /* pmp_dfile's temporary: NAME.tmp */

const char *pmp_shard_dir_name(char name[PMP_SHARD_NAME_MAX], size_t index)
{
    snprintf(name, PMP_SHARD_NAME_MAX, SHARD_PREFIX "%06zu" PMP_SHARD_EXT, index);
    return name;
}

int pmp_shard_dir_recognise(const char *name, size_t *index)
{
    size_t plen = sizeof SHARD_PREFIX - 1;
    if (strncmp(name, SHARD_PREFIX, plen) != 0) return 0;
    const char *d = name + plen;
    size_t v = 0, n = 0;
    for (; d[n] >= '0' && d[n] <= '9'; n++) {
        if (n == 20 || v > (SIZE_MAX - (size_t)(d[n] - '0')) / 10) return 0;
        v = v * 10 + (size_t)(d[n] - '0');
    }
    /* exactly what pmp_shard_dir_name writes: no sign, no missing or extra zeros */
    char canon[PMP_SHARD_NAME_MAX];
    if (n < 6 || strcmp(name, pmp_shard_dir_name(canon, v)) != 0) return 0;
    if (index) *index = v;
    return 1;
}

/* A temporary a writer of this directory leaves when it dies: a shard's or the
 * manifest's NAME.tmp. */
static int is_temporary(const char *name)
{
    size_t len = strlen(name), t = sizeof TMP_SUFFIX - 1;
    if (len <= t || strcmp(name + len - t, TMP_SUFFIX) != 0) return 0;
    char stem[PMP_SHARD_NAME_MAX];
    if (len - t >= sizeof stem) return 0;
    memcpy(stem, name, len - t);
    stem[len - t] = 0;
    return pmp_shard_dir_recognise(stem, NULL) || strcmp(stem, PMP_MANIFEST_NAME) == 0;
}

static int listed(const pmp_manifest *m, const char *name)
{
    for (size_t i = 0; m && i < m->n_shards; i++)
        if (strcmp(m->shards[i].name, name) == 0) return 1;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void pmp_shard_dir_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int pmp_shard_dir_list_stray(const char *dir, const pmp_manifest *m, char ***names, size_t *n,
                             pmp_err *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return pmp_err_errno(err, errno, "%s", dir);
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        int stray = is_temporary(name) || (pmp_shard_dir_recognise(name, NULL) && !listed(m, name));
        if (!stray) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *names = pmp_xrealloc(*names, cap * sizeof **names);
        }
        (*names)[(*n)++] = pmp_xstrdup(name);
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, cmp_names);
    return 0;
}

int pmp_shard_dir_clean(const char *dir, const pmp_manifest *m, int drop_manifest, pmp_err *err)
{
    char **names;
    size_t n;
    if (pmp_shard_dir_list_stray(dir, m, &names, &n, err) < 0) return -1;
    if (drop_manifest) {
        names = pmp_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = pmp_xstrdup(PMP_MANIFEST_NAME);
    }
    pmp_buf path = PMP_BUF_INIT;
    int rc = 0, removed = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, names[i]);
        if (unlink(path.data) == 0) removed++;
        else if (errno != ENOENT) rc = pmp_err_errno(err, errno, "%s: cannot remove", path.data);
    }
    pmp_buf_free(&path);
    pmp_shard_dir_names_free(names, n);
    if (rc == 0 && removed) rc = pmp_fsync_dir(dir, err);
    return rc;
}

int pmp_shard_dir_append(pmp_shard_writer **w, char **name, const char *dir, const pmp_manifest *m,
                         int zstd_level, pmp_err *err)
{
    char base[PMP_SHARD_NAME_MAX];
    pmp_shard_dir_name(base, m->n_shards);
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/%s", dir, base);
    int rc = pmp_shard_writer_open(w, path.data, zstd_level, err);
    pmp_buf_free(&path);
    *name = rc < 0 ? NULL : pmp_xstrdup(base);
    return rc;
}

/* ---------- opening for reading ---------- */

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

/* tokenize_dir.c — preparing a shard directory: the non-empty check, and the
 * clean-up --resume and --force do (stray temporaries, unlisted shards). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_shard.h"
#include "pmp_tokenize.h"

int pmp_tokenize_dir_nonempty(const char *dir, pmp_err *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", dir, strerror(errno));
    }
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, PMP_TOKENIZE_LOCK_NAME)) {
            found = 1;
            break;
        }
    closedir(d);
    return found;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !memcmp(s + a - b, suf, b);
}

static int listed(const pmp_manifest *m, const char *name)
{
    if (!m) return 0;
    for (size_t i = 0; i < m->n_shards; i++)
        if (!strcmp(m->shards[i].name, name)) return 1;
    return 0;
}

int pmp_tokenize_dir_clean(const char *dir, const pmp_manifest *m, int drop_manifest, pmp_err *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", dir, strerror(errno));
    }
    pmp_buf path = PMP_BUF_INIT;
    int rc = 0, removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        int ours_tmp = ends_with(n, ".tmp") &&
                       (!strncmp(n, "shard-", 6) || !strncmp(n, PMP_MANIFEST_NAME, 13));
        int shard = !strncmp(n, "shard-", 6) && ends_with(n, PMP_SHARD_EXT);
        int manifest = drop_manifest && !strcmp(n, PMP_MANIFEST_NAME);
        if (!(ours_tmp || (shard && !listed(m, n)) || manifest)) continue;
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, n);
        if (unlink(path.data) < 0 && errno != ENOENT) {
            rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot remove: %s", path.data, strerror(errno));
            break;
        }
        removed++;
    }
    closedir(d);
    pmp_buf_free(&path);
    if (rc == 0 && removed) rc = pmp_fsync_dir(dir, err);
    return rc;
}

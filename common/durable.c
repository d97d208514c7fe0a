/* durable.c — durable files (write NAME.tmp, fsync, rename, fsync the
 * directory) and SQLite-style fault injection: PMP_FAULT=kill@N or enospc@N
 * acts at the N-th durability-relevant call, so tests can stop a run at every
 * point where a crash could leave a different state on disk. Also files mapped
 * for reading. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pmp_common.h"

static uint64_t io_count;
static uint64_t fault_at;   /* 0 = none */
static int fault_kind;      /* 1 = kill, 2 = enospc */
static int fault_read;

uint64_t pmp_xxh64(const void *p, size_t n)
{
    return XXH64(p, n, 0);
}

uint64_t pmp_io_count(void)
{
    return io_count;
}

/* Returns -1 with errno = ENOSPC when this call is the injected failure. */
static int tick(void)
{
    if (!fault_read) {
        fault_read = 1;
        const char *f = getenv("PMP_FAULT");
        if (f && *f) {
            const char *at = strchr(f, '@');
            if (at) {
                long long n;
                fault_at = pmp_parse_int(at + 1, 1, LLONG_MAX, &n) == 0 ? (uint64_t)n : 0;
                if (!strncmp(f, "kill@", 5)) fault_kind = 1;
                else if (!strncmp(f, "enospc@", 7)) fault_kind = 2;
                else fault_at = 0;
            }
        }
    }
    io_count++;
    if (fault_at && io_count == fault_at) {
        if (fault_kind == 1) raise(SIGKILL);
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

static char *dir_of(const char *path)
{
    char *tmp = pmp_xstrdup(path);
    char *d = pmp_xstrdup(dirname(tmp));
    free(tmp);
    return d;
}

int pmp_fsync_dir(const char *dir, pmp_err *err)
{
    if (tick() < 0) return pmp_err_errno(err, errno, "%s: fsync of the directory", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return pmp_err_errno(err, errno, "%s", dir);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc < 0) return pmp_err_errno(err, e, "%s: fsync of the directory", dir);
    return 0;
}

int pmp_durable_unlink(const char *path, pmp_err *err)
{
    if (tick() < 0 || (unlink(path) < 0 && errno != ENOENT))
        return pmp_err_errno(err, errno, "%s: cannot remove", path);
    return 0;
}

int pmp_dfile_open(pmp_dfile *f, const char *path, pmp_err *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->path = pmp_xstrdup(path);
    pmp_buf t = PMP_BUF_INIT;
    pmp_buf_printf(&t, "%s.tmp", path);
    f->tmp = pmp_buf_detach(&t);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        pmp_err_errno(err, errno, "%s: cannot create", f->tmp);
        free(f->path);
        free(f->tmp);
        memset(f, 0, sizeof *f);
        f->fd = -1;   /* so that an abort after a failed open closes nothing */
        return -1;
    }
    XXH64_state_t *st = XXH64_createState();
    if (!st) abort();
    XXH64_reset(st, 0);
    f->xxh = st;
    return 0;
}

int pmp_dfile_write(pmp_dfile *f, const void *p, size_t n, pmp_err *err)
{
    if (tick() < 0) return pmp_err_errno(err, errno, "%s: write failed", f->tmp);
    const char *c = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(f->fd, c, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            return pmp_err_errno(err, errno, "%s: write failed", f->tmp);
        }
        c += w;
        left -= (size_t)w;
    }
    XXH64_update(f->xxh, p, n);
    f->bytes += n;
    return 0;
}

static void dfile_release(pmp_dfile *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    XXH64_freeState(f->xxh);
    free(f->path);
    free(f->tmp);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

void pmp_dfile_abort(pmp_dfile *f)
{
    if (f->tmp) unlink(f->tmp);
    dfile_release(f);
}

int pmp_dfile_commit(pmp_dfile *f, uint64_t *xxh64, pmp_err *err)
{
    if (xxh64) *xxh64 = XXH64_digest(f->xxh);
    if (tick() < 0 || fsync(f->fd) < 0) {
        pmp_err_errno(err, errno, "%s: fsync failed", f->tmp);
        goto fail;
    }
    int rc = close(f->fd);
    f->fd = -1;
    if (rc < 0) {
        pmp_err_errno(err, errno, "%s: close failed", f->tmp);
        goto fail;
    }
    if (tick() < 0 || rename(f->tmp, f->path) < 0) {
        pmp_err_errno(err, errno, "%s: cannot rename to %s", f->tmp, f->path);
        goto fail;
    }
    char *dir = dir_of(f->path);
    if (pmp_fsync_dir(dir, err) < 0) {
        free(dir);
        /* The rename happened but may not be durable; the file keeps its final
         * name and the caller decides (pmp-tokenize removes an unlisted shard). */
        dfile_release(f);
        return -1;
    }
    free(dir);
    dfile_release(f);
    return 0;
fail:
    pmp_dfile_abort(f);
    return -1;
}

int pmp_write_file_durable(const char *path, const void *p, size_t n, pmp_err *err)
{
    pmp_dfile f;
    if (pmp_dfile_open(&f, path, err) < 0) return -1;
    if (pmp_dfile_write(&f, p, n, err) < 0) {
        pmp_dfile_abort(&f);
        return -1;
    }
    return pmp_dfile_commit(&f, NULL, err);
}

int pmp_map_file(const char *path, const void **data, size_t *len, pmp_err *err)
{
    *data = "";
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pmp_err_errno(err, errno, "%s: cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return pmp_err_errno(err, e, "%s: cannot stat", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return 0;
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return pmp_err_errno(err, e, "%s: cannot map", path);
    *data = map;
    *len = (size_t)sb.st_size;
    return 0;
}

void pmp_unmap_file(const void *data, size_t len)
{
    if (len) munmap((void *)data, len);
}

int pmp_mkdir_p(const char *dir, pmp_err *err)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        return pmp_err_setc(err, PMP_E_USAGE, "%s: exists and is not a directory", dir);
    }
    size_t n = strlen(dir);
    char *p = pmp_xmalloc(n + 1);
    memcpy(p, dir, n + 1);
    int rc = 0;
    /* each prefix ending before a '/' (not the root's), then the whole path */
    for (size_t i = 1; i <= n && rc == 0; i++) {
        if (i < n && p[i] != '/') continue;
        p[i] = 0;
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot create directory: %s", p,
                              strerror(errno));
        else if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = pmp_err_setc(err, PMP_E_USAGE, "%s: exists and is not a directory", p);
        if (i < n) p[i] = '/';
    }
    free(p);
    return rc;
}

char *pmp_relpath(const char *from_dir, const char *target)
{
    char *a = realpath(from_dir, NULL), *b = realpath(target, NULL);
    char *out = NULL;
    if (a && b) {
        /* the longest common prefix that ends at a component boundary */
        size_t common = 0;
        for (size_t i = 0;; i++) {
            int end_a = a[i] == 0 || a[i] == '/', end_b = b[i] == 0 || b[i] == '/';
            if (end_a && end_b) common = i;
            if (a[i] != b[i] || !a[i]) break;
        }
        pmp_buf r = PMP_BUF_INIT;
        for (const char *p = a + common; *p; p++)   /* one ".." per component left in a */
            if (*p == '/') pmp_buf_appends(&r, "../");
        const char *rest = b + common;
        if (*rest == '/') rest++;
        pmp_buf_appends(&r, rest);
        if (r.len == 0) pmp_buf_appends(&r, ".");
        out = pmp_buf_detach(&r);
    }
    free(a);
    free(b);
    return out;
}

int pmp_lock_dir(const char *dir, const char *name, const char *doing, int *fd, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/%s", dir, name);
    *fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = 0;
    if (*fd < 0) {
        rc = pmp_err_errno(err, errno, "%s: cannot open", path.data);
    } else if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK
                 ? pmp_err_setc(err, PMP_E_USAGE, "%s is being %s right now (it holds %s); "
                                "wait for it, or stop it first", dir, doing, path.data)
                 : pmp_err_errno(err, errno, "%s: cannot lock", path.data);
        close(*fd);
        *fd = -1;
    }
    pmp_buf_free(&path);
    return rc;
}

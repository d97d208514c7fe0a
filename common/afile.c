/* afile.c — files written under a temporary name and renamed when whole, and
 * files mapped for reading. */
#include "pmp_common.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int pmp_fsync_parent(const char *path, pmp_err *err)
{
    char *copy = pmp_xstrdup(path);
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || fsync(fd) != 0)
        rc = pmp_err_set(err, "%s: cannot sync directory: %s", dir, strerror(errno));
    if (fd >= 0) close(fd);
    free(copy);
    return rc;
}

int pmp_afile_open(pmp_afile *f, const char *path, pmp_err *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    size_t n = strlen(path);
    f->tmp = pmp_xmalloc(n + 5);
    memcpy(f->tmp, path, n);
    memcpy(f->tmp + n, ".tmp", 5);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        pmp_err_set(err, "%s: cannot create: %s", f->tmp, strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        return -1;
    }
    f->path = pmp_xstrdup(path);
    return 0;
}

int pmp_afile_write(pmp_afile *f, const void *data, size_t len, pmp_err *err)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(f->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
            return pmp_err_set(err, "%s: write error at byte %llu: %s", f->tmp,
                               (unsigned long long)f->written, strerror(errno));
        p += w;
        len -= (size_t)w;
        f->written += (uint64_t)w;
    }
    return 0;
}

int pmp_afile_commit(pmp_afile *f, pmp_err *err)
{
    int rc = 0;
    if (fsync(f->fd) != 0)
        rc = pmp_err_set(err, "%s: fsync failed: %s", f->tmp, strerror(errno));
    if (close(f->fd) != 0 && rc == 0)
        rc = pmp_err_set(err, "%s: close failed: %s", f->tmp, strerror(errno));
    f->fd = -1;
    if (rc == 0 && rename(f->tmp, f->path) != 0)
        rc = pmp_err_set(err, "%s: cannot rename to %s: %s", f->tmp, f->path, strerror(errno));
    if (rc == 0) rc = pmp_fsync_parent(f->path, err);
    if (rc != 0) unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    f->tmp = f->path = NULL;
    return rc;
}

void pmp_afile_abort(pmp_afile *f)
{
    if (f->fd >= 0) close(f->fd);
    if (f->tmp) unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    f->fd = -1;
    f->tmp = f->path = NULL;
}

int pmp_map_file(const char *path, const void **data, size_t *len, pmp_err *err)
{
    *data = "";
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pmp_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return pmp_err_set(err, "%s: cannot stat: %s", path, strerror(e));
    }
    if (sb.st_size == 0) {
        close(fd);
        return 0;
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return pmp_err_set(err, "%s: cannot map: %s", path, strerror(e));
    *data = map;
    *len = (size_t)sb.st_size;
    return 0;
}

void pmp_unmap_file(const void *data, size_t len)
{
    if (len) munmap((void *)data, len);
}

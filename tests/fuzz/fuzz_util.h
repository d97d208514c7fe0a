/* fuzz_util.h — helpers for the fuzz targets: FUZZ_CHECK (an oracle that fails
 * aborts, naming the place and the condition), and for those whose library entry
 * point takes a path: one scratch directory per process under /tmp (created on
 * first use, reused for every input, removed at exit), writing the input to it,
 * and telling a compressed input from the plain text the target is about. */
#ifndef PMP_FUZZ_UTIL_H
#define PMP_FUZZ_UTIL_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static char fuzz_dir_path[256];

/* Removes DIR's files and its subdirectories' files (two levels: all we make). */
static inline void fuzz_rm_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (depth > 0) fuzz_rm_tree(p, depth - 1);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static inline void fuzz_cleanup(void) { fuzz_rm_tree(fuzz_dir_path, 2); }

/* /tmp/pmp-fuzz-NAME-PID, made once; aborts if it cannot be made (a broken
 * set-up, not a finding). */
static inline const char *fuzz_dir(const char *name)
{
    if (!fuzz_dir_path[0]) {
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "/tmp/pmp-fuzz-%s-%ld", name, (long)getpid());
        fuzz_rm_tree(fuzz_dir_path, 2);
        if (mkdir(fuzz_dir_path, 0700) < 0) {
            perror(fuzz_dir_path);
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir_path;
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* The loaders read through pmp_input, which decompresses by magic number (and
 * allows zstd's 2 GiB window, for the pushshift dumps): a compressed input would
 * fuzz the decompressors, not the parser, so the targets skip those. */
static inline int fuzz_is_compressed(const uint8_t *b, size_t n)
{
    if (n >= 4 && ((b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) ||
                   ((b[0] & 0xF0) == 0x50 && b[1] == 0x2A && b[2] == 0x4D && b[3] == 0x18)))
        return 1;
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return 1;
    return n >= 2 && b[0] == 0x1F && b[1] == 0x8B;
}

#endif

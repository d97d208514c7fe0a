/* ckpt.c — sectioned, checksummed checkpoint files (pmp_ckpt.h).
 *
 * Layout (little-endian; docs/checkpoint.md):
 *   header   "PMPCKPT1", u32 version = 1, u32 section count n
 *   table    n x { char name[32] (NUL-padded), u64 offset, u64 length, u64 xxh64 }
 *   u64      xxh64 of header + table
 *   payload  each section at its offset, 64-byte aligned, zero padding between
 *   trailer  "PMPCKEND"
 */
#include "pmp_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define MAGIC "PMPCKPT1"
#define TRAILER "PMPCKEND"
#define VERSION 1u
#define ALIGN 64u
#define ENTRY_SIZE 56u
#define MAX_SECTIONS 1024u

typedef struct ck_section {
    char name[32];
    uint64_t offset, length, hash;
    const void *data;
} ck_section;

struct pmp_ckpt_writer {
    ck_section *s;
    size_t n, cap;
};

struct pmp_ckpt {
    const void *map;
    size_t len;
    ck_section *s;
    size_t n;
};

pmp_ckpt_writer *pmp_ckpt_writer_new(void)
{
    return pmp_xcalloc(1, sizeof(pmp_ckpt_writer));
}

int pmp_ckpt_writer_add(pmp_ckpt_writer *w, const char *name, const void *data, size_t len,
                        pmp_err *err)
{
    if (strlen(name) > PMP_CKPT_NAME_MAX || !*name)
        return pmp_err_setc(err, PMP_E_INTERNAL, "checkpoint section name \"%s\" must have 1 to 31 bytes", name);
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->s[i].name, name)) return pmp_err_setc(err, PMP_E_INTERNAL, "section \"%s\" added twice", name);
    if (w->n == MAX_SECTIONS) return pmp_err_setc(err, PMP_E_INTERNAL, "too many checkpoint sections");
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 8;
        w->s = pmp_xrealloc(w->s, w->cap * sizeof *w->s);
    }
    ck_section *s = &w->s[w->n++];
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, strlen(name));
    s->data = data;
    s->length = len;
    return 0;
}

static uint64_t align_up(uint64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static void put_u32(pmp_buf *b, uint32_t v) { pmp_buf_append(b, &v, 4); }
static void put_u64(pmp_buf *b, uint64_t v) { pmp_buf_append(b, &v, 8); }

int pmp_ckpt_writer_write(pmp_ckpt_writer *w, const char *path, pmp_err *err)
{
    uint64_t at = align_up(16 + (uint64_t)w->n * ENTRY_SIZE + 8);
    for (size_t i = 0; i < w->n; i++) {
        w->s[i].offset = at;
        w->s[i].hash = XXH64(w->s[i].data, w->s[i].length, 0);
        at = align_up(at + w->s[i].length);
    }
    pmp_buf head = PMP_BUF_INIT;
    pmp_buf_append(&head, MAGIC, 8);
    put_u32(&head, VERSION);
    put_u32(&head, (uint32_t)w->n);
    for (size_t i = 0; i < w->n; i++) {
        pmp_buf_append(&head, w->s[i].name, 32);
        put_u64(&head, w->s[i].offset);
        put_u64(&head, w->s[i].length);
        put_u64(&head, w->s[i].hash);
    }
    put_u64(&head, XXH64(head.data, head.len, 0));
    static const char zeros[ALIGN];
    pmp_dfile f;
    int rc = pmp_dfile_open(&f, path, err);
    if (rc == 0) rc = pmp_dfile_write(&f, head.data, head.len, err);
    for (size_t i = 0; i < w->n && rc == 0; i++) {
        rc = pmp_dfile_write(&f, zeros, w->s[i].offset - f.bytes, err);
        if (rc == 0) rc = pmp_dfile_write(&f, w->s[i].data, w->s[i].length, err);
    }
    if (rc == 0) rc = pmp_dfile_write(&f, zeros, align_up(f.bytes) - f.bytes, err);
    if (rc == 0) rc = pmp_dfile_write(&f, TRAILER, 8, err);
    if (rc == 0) rc = pmp_dfile_commit(&f, NULL, err);
    else pmp_dfile_abort(&f);
    pmp_buf_free(&head);
    return rc;
}

void pmp_ckpt_writer_free(pmp_ckpt_writer *w)
{
    if (!w) return;
    free(w->s);
    free(w);
}

static int verify(pmp_ckpt *ck, const char *path, pmp_err *err)
{
    const unsigned char *p = ck->map;
    size_t len = ck->len;
    if (len < 16 + 8 + 8 || memcmp(p, MAGIC, 8) != 0)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: not a pmp checkpoint (bad magic)", path);
    uint32_t version, n;
    memcpy(&version, p + 8, 4);
    memcpy(&n, p + 12, 4);
    if (version != VERSION)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: unsupported checkpoint version %u", path, version);
    if (n > MAX_SECTIONS || 16 + (uint64_t)n * ENTRY_SIZE + 8 > len)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: truncated section table", path);
    size_t table_end = 16 + (size_t)n * ENTRY_SIZE;
    uint64_t stored;
    memcpy(&stored, p + table_end, 8);
    if (XXH64(p, table_end, 0) != stored)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section table checksum mismatch", path);
    if (memcmp(p + len - 8, TRAILER, 8) != 0)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: truncated (no end marker at byte %zu)", path, len - 8);
    ck->s = pmp_xcalloc(n ? n : 1, sizeof *ck->s);
    ck->n = n;
    for (uint32_t i = 0; i < n; i++) {
        ck_section *s = &ck->s[i];
        const unsigned char *e = p + 16 + (size_t)i * ENTRY_SIZE;
        memcpy(s->name, e, 32);
        s->name[31] = '\0';
        memcpy(&s->offset, e + 32, 8);
        memcpy(&s->length, e + 40, 8);
        memcpy(&s->hash, e + 48, 8);
        /* 1 to 31 bytes of name, NUL-padded, each name once (as the writer makes them) */
        size_t nl = strlen(s->name);
        int padded = nl > 0;
        for (size_t k = nl; k < 32; k++) padded &= e[k] == 0;
        if (!padded)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section %u: bad name (not 1 to 31 NUL-padded bytes)",
                                path, i);
        for (uint32_t k = 0; k < i; k++)
            if (!strcmp(ck->s[k].name, s->name))
                return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section \"%s\" appears twice", path, s->name);
        /* in the payload, 64-byte aligned: pmp_ckpt_section promises aligned bytes */
        if (s->offset < table_end + 8 || s->offset % ALIGN != 0)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section \"%s\" at byte %llu: not a 64-byte boundary "
                                "after the section table", path, s->name, (unsigned long long)s->offset);
        if (s->offset > len - 8 || s->length > len - 8 - s->offset)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section \"%s\" lies past the end of the file", path,
                                s->name);
        s->data = p + s->offset;
        if (XXH64(s->data, s->length, 0) != s->hash)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: section \"%s\" (bytes %llu..%llu) checksum mismatch",
                                path, s->name, (unsigned long long)s->offset,
                                (unsigned long long)(s->offset + s->length));
    }
    return 0;
}

int pmp_ckpt_open(pmp_ckpt **out, const char *path, pmp_err *err)
{
    *out = NULL;
    pmp_ckpt *ck = pmp_xcalloc(1, sizeof *ck);
    const void *map;
    if (pmp_map_file(path, &map, &ck->len, err) < 0) {
        free(ck);
        return -1;
    }
    ck->map = map;
    if (verify(ck, path, err) < 0) {
        pmp_ckpt_close(ck);
        return -1;
    }
    *out = ck;
    return 0;
}

const void *pmp_ckpt_section(const pmp_ckpt *ck, const char *name, size_t *len)
{
    for (size_t i = 0; i < ck->n; i++)
        if (!strcmp(ck->s[i].name, name)) {
            if (len) *len = ck->s[i].length;
            return ck->s[i].data;
        }
    return NULL;
}

void pmp_ckpt_close(pmp_ckpt *ck)
{
    if (!ck) return;
    pmp_unmap_file(ck->map, ck->len);
    free(ck->s);
    free(ck);
}

void pmp_ckpt_path(pmp_buf *out, const char *dir, uint64_t step)
{
    pmp_buf_printf(out, "%s/step-%09llu", dir, (unsigned long long)step);
}

/* Parses "step-<digits>" exactly; returns 1 and the step. */
static int parse_step_name(const char *name, uint64_t *step)
{
    if (strncmp(name, "step-", 5) != 0 || !name[5]) return 0;
    uint64_t v = 0;
    for (const char *p = name + 5; *p; p++) {
        if (*p < '0' || *p > '9' || v > UINT64_MAX / 10) return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *step = v;
    return 1;
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

/* Steps of the step-N files in dir, newest first. Returns the count or -1. */
static long list_steps(const char *dir, uint64_t **steps, pmp_err *err)
{
    *steps = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return pmp_err_errno(err, errno, "%s: cannot list", dir);
    }
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t s;
        if (!parse_step_name(e->d_name, &s)) continue;
        if (n == cap) *steps = pmp_xrealloc(*steps, (cap = cap ? 2 * cap : 16) * sizeof **steps);
        (*steps)[n++] = s;
    }
    closedir(d);
    if (n) qsort(*steps, n, sizeof **steps, cmp_desc);
    return (long)n;
}

int pmp_ckpt_latest(const char *dir, uint64_t *step, pmp_ckpt **out,
                    void (*warn)(void *ctx, const char *msg), void *ctx, pmp_err *err)
{
    uint64_t *steps;
    long n = list_steps(dir, &steps, err);
    if (n < 0) return -1;
    int found = 0;
    pmp_buf path = PMP_BUF_INIT;
    for (long i = 0; i < n && !found; i++) {
        pmp_buf_clear(&path);
        pmp_ckpt_path(&path, dir, steps[i]);
        pmp_ckpt *ck;
        pmp_err cerr;
        if (pmp_ckpt_open(&ck, path.data, &cerr) < 0) {
            if (warn) {
                pmp_buf msg = PMP_BUF_INIT;
                pmp_buf_printf(&msg, "skipping damaged checkpoint: %s", cerr.msg);
                warn(ctx, msg.data);
                pmp_buf_free(&msg);
            }
            continue;
        }
        found = 1;
        *step = steps[i];
        if (out) *out = ck;
        else pmp_ckpt_close(ck);
    }
    pmp_buf_free(&path);
    free(steps);
    return found;
}

int pmp_ckpt_prune(const char *dir, unsigned keep, pmp_err *err)
{
    uint64_t *steps;
    long n = list_steps(dir, &steps, err);
    if (n < 0) return -1;
    pmp_buf path = PMP_BUF_INIT;
    int rc = 0;
    for (long i = keep; i < n; i++) {
        pmp_buf_clear(&path);
        pmp_ckpt_path(&path, dir, steps[i]);
        if (unlink(path.data) != 0 && errno != ENOENT) {
            rc = pmp_err_errno(err, errno, "%s: cannot delete", path.data);
            break;
        }
    }
    /* Temporary files of interrupted writes. */
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "step-", 5) != 0 || len < 9 || strcmp(e->d_name + len - 4, ".tmp") != 0)
            continue;
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, e->d_name);
        unlink(path.data);
    }
    if (d) closedir(d);
    pmp_buf_free(&path);
    free(steps);
    return rc;
}

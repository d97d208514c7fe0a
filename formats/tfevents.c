/* tfevents.c — TensorBoard event files: TFRecord framing around hand-encoded
 * protobuf Events (pmp_tfevents.h). */
#include "pmp_tfevents.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------- CRC-32C and the record framing ---------- */

uint32_t pmp_crc32c(const void *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {   /* idempotent: racing threads write the same values */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const uint8_t *b = p;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

uint32_t pmp_tfrecord_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(pmp_buf *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) pmp_buf_appendc(b, (char)(v >> (8 * i) & 0xff));
}

int pmp_tfrecord_next(const uint8_t *buf, size_t n, size_t *pos, const uint8_t **data, size_t *len,
                      pmp_err *err)
{
    size_t at = *pos;
    if (at == n) return 0;
    if (n - at < 12) return pmp_err_setc(err, PMP_E_CORRUPT, "record at byte %zu: truncated header", at);
    uint64_t L = get_le64(buf + at);
    if (pmp_tfrecord_mask(pmp_crc32c(buf + at, 8)) != get_le32(buf + at + 8))
        return pmp_err_setc(err, PMP_E_CORRUPT, "record at byte %zu: length checksum mismatch", at);
    if (L > n - at - 12 || n - at - 12 - L < 4)
        return pmp_err_setc(err, PMP_E_CORRUPT, "record at byte %zu: truncated (%llu bytes of data)", at,
                            (unsigned long long)L);
    const uint8_t *d = buf + at + 12;
    if (pmp_tfrecord_mask(pmp_crc32c(d, (size_t)L)) != get_le32(d + L))
        return pmp_err_setc(err, PMP_E_CORRUPT, "record at byte %zu: data checksum mismatch", at);
    *data = d;
    *len = (size_t)L;
    *pos = at + 12 + (size_t)L + 4;
    return 1;
}

static void put_record(pmp_buf *out, const void *data, size_t len)
{
    uint8_t head[8];
    for (int i = 0; i < 8; i++) head[i] = (uint8_t)((uint64_t)len >> (8 * i));
    pmp_buf_append(out, head, 8);
    put_le(out, pmp_tfrecord_mask(pmp_crc32c(head, 8)), 4);
    pmp_buf_append(out, data, len);
    put_le(out, pmp_tfrecord_mask(pmp_crc32c(data, len)), 4);
}

/* ---------- protobuf wire format ---------- */

static void put_varint(pmp_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        pmp_buf_appendc(b, (char)((v & 0x7f) | 0x80));
        v >>= 7;
    }
    pmp_buf_appendc(b, (char)v);
}

static void put_key(pmp_buf *b, int field, int wire) { put_varint(b, (uint64_t)field << 3 | (uint64_t)wire); }

static void put_double(pmp_buf *b, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    put_le(b, u, 8);
}

static int get_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= n) return -1;
        uint8_t c = p[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int pmp_tfevent_step(const uint8_t *data, size_t len, int64_t *step, int *has_summary)
{
    size_t pos = 0;
    *step = 0;
    *has_summary = 0;
    while (pos < len) {
        uint64_t key, v;
        if (get_varint(data, len, &pos, &key) < 0) return -1;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        switch (wire) {
        case 0:
            if (get_varint(data, len, &pos, &v) < 0) return -1;
            if (field == 2) *step = (int64_t)v;
            break;
        case 1:
            if (len - pos < 8) return -1;
            pos += 8;
            break;
        case 2:
            if (get_varint(data, len, &pos, &v) < 0 || v > len - pos) return -1;
            pos += (size_t)v;
            if (field == 5) *has_summary = 1;
            break;
        case 5:
            if (len - pos < 4) return -1;
            pos += 4;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

/* ---------- the writer ---------- */

struct pmp_tfevents {
    FILE *f;
    char *path;
    pmp_buf summary, event, rec;
    long step;
    double wall;
};

static void file_version_event(pmp_buf *out, double wall)
{
    pmp_buf ev = PMP_BUF_INIT;
    put_key(&ev, 1, 1);
    put_double(&ev, wall);
    put_key(&ev, 3, 2);
    put_varint(&ev, 13);
    pmp_buf_append(&ev, "brain.Event:2", 13);
    put_record(out, ev.data, ev.len);
    pmp_buf_free(&ev);
}

static int is_event_file(const char *name)
{
    return strncmp(name, "events.out.tfevents.", 20) == 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The summary events of one old file with step <= keep, appended to out (up to its
 * first damaged record). */
static int carry_over(const char *path, long keep, pmp_buf *out, pmp_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot read: %s", path, strerror(errno));
    pmp_buf text = PMP_BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) pmp_buf_append(&text, chunk, got);
    int rc = ferror(f) ? pmp_err_setc(err, PMP_E_IO, "%s: read error", path) : 0;
    fclose(f);
    size_t pos = 0;
    const uint8_t *d;
    size_t len;
    pmp_err rerr;
    while (rc == 0 && pmp_tfrecord_next((const uint8_t *)text.data, text.len, &pos, &d, &len, &rerr) == 1) {
        int64_t step;
        int summary;
        if (pmp_tfevent_step(d, len, &step, &summary) == 0 && summary && step <= keep)
            put_record(out, d, len);
    }
    pmp_buf_free(&text);
    return rc;
}

int pmp_tfevents_open(pmp_tfevents **out, const char *dir, long keep_to_step, pmp_err *err)
{
    *out = NULL;
    if (pmp_mkdir_p(dir, err) < 0) return -1;
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    for (char *c = host; *c; c++)
        if (*c == '/') *c = '_';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double wall = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    pmp_buf path = PMP_BUF_INIT, name = PMP_BUF_INIT, body = PMP_BUF_INIT;
    pmp_buf_printf(&name, "events.out.tfevents.%010lld.%s", (long long)ts.tv_sec, host);
    pmp_buf_printf(&path, "%s/%s", dir, name.data);

    /* the older event files, oldest name first */
    char **old = NULL;
    size_t n_old = 0;
    DIR *d = opendir(dir);
    if (!d) {
        pmp_buf_free(&path);
        pmp_buf_free(&name);
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot list: %s", dir, strerror(errno));
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_event_file(e->d_name)) continue;
        old = pmp_xrealloc(old, (n_old + 1) * sizeof *old);
        old[n_old++] = pmp_xstrdup(e->d_name);
    }
    closedir(d);
    if (n_old) qsort(old, n_old, sizeof *old, name_cmp);

    file_version_event(&body, wall);
    int rc = 0;
    pmp_buf p = PMP_BUF_INIT;
    for (size_t i = 0; rc == 0 && keep_to_step >= 0 && i < n_old; i++) {
        if (pmp_str_ends_with(old[i], ".tmp")) continue;
        pmp_buf_clear(&p);
        pmp_buf_printf(&p, "%s/%s", dir, old[i]);
        rc = carry_over(p.data, keep_to_step, &body, err);
    }
    if (rc == 0) rc = pmp_write_file_durable(path.data, body.data, body.len, err);
    for (size_t i = 0; rc == 0 && i < n_old; i++) {
        if (!strcmp(old[i], name.data)) continue;   /* replaced by the rename above */
        pmp_buf_clear(&p);
        pmp_buf_printf(&p, "%s/%s", dir, old[i]);
        rc = pmp_durable_unlink(p.data, err);
    }
    for (size_t i = 0; i < n_old; i++) free(old[i]);
    free(old);
    pmp_buf_free(&p);
    pmp_buf_free(&body);
    pmp_buf_free(&name);
    FILE *f = rc == 0 ? fopen(path.data, "ab") : NULL;
    if (rc == 0 && !f) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot append: %s", path.data, strerror(errno));
    if (rc < 0) {
        pmp_buf_free(&path);
        return -1;
    }
    pmp_tfevents *t = pmp_xcalloc(1, sizeof *t);
    t->f = f;
    t->path = path.data;   /* the buffer's memory is the writer's now */
    *out = t;
    return 0;
}

void pmp_tfevents_begin(pmp_tfevents *t, long step, double wall_time)
{
    pmp_buf_clear(&t->summary);
    t->step = step;
    t->wall = wall_time;
}

void pmp_tfevents_scalar(pmp_tfevents *t, const char *tag, double value)
{
    size_t n = strlen(tag);
    float v = (float)value;
    uint32_t u;
    memcpy(&u, &v, 4);
    pmp_buf *val = &t->rec;   /* scratch for the Value message */
    pmp_buf_clear(val);
    put_key(val, 1, 2);
    put_varint(val, n);
    pmp_buf_append(val, tag, n);
    put_key(val, 2, 5);
    put_le(val, u, 4);
    put_key(&t->summary, 1, 2);
    put_varint(&t->summary, val->len);
    pmp_buf_append(&t->summary, val->data, val->len);
}

int pmp_tfevents_end(pmp_tfevents *t, pmp_err *err)
{
    pmp_buf_clear(&t->event);
    put_key(&t->event, 1, 1);
    put_double(&t->event, t->wall);
    put_key(&t->event, 2, 0);
    put_varint(&t->event, (uint64_t)(int64_t)t->step);
    put_key(&t->event, 5, 2);
    put_varint(&t->event, t->summary.len);
    if (t->summary.len) pmp_buf_append(&t->event, t->summary.data, t->summary.len);
    pmp_buf_clear(&t->rec);
    put_record(&t->rec, t->event.data, t->event.len);
    if (fwrite(t->rec.data, 1, t->rec.len, t->f) != t->rec.len || fflush(t->f) != 0)
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: write error: %s", t->path, strerror(errno));
    return 0;
}

const char *pmp_tfevents_path(const pmp_tfevents *t) { return t->path; }

void pmp_tfevents_close(pmp_tfevents *t)
{
    if (!t) return;
    if (t->f) fclose(t->f);
    free(t->path);
    pmp_buf_free(&t->summary);
    pmp_buf_free(&t->event);
    pmp_buf_free(&t->rec);
    free(t);
}

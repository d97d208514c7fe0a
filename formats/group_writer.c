/* group_writer.c — buffered, checked writing of group JSONL (pmp_group.h). */
#include "pmp_group.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITER_FLUSH_AT (1u << 20)

struct pmp_group_writer {
    int fd;
    int own_fd;
    char *name;
    pmp_buf buf;
    uint64_t count;
};

int pmp_group_writer_open(pmp_group_writer **out, const char *path, pmp_err *err)
{
    *out = NULL;
    int fd = STDOUT_FILENO, own = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot create: %s", path, strerror(errno));
        own = 1;
    }
    pmp_group_writer *w = pmp_xcalloc(1, sizeof *w);
    w->fd = fd;
    w->own_fd = own;
    w->name = pmp_xstrdup(own ? path : "<stdout>");
    *out = w;
    return 0;
}

static int flush(pmp_group_writer *w, pmp_err *err)
{
    size_t done = 0;
    while (done < w->buf.len) {
        ssize_t n = write(w->fd, w->buf.data + done, w->buf.len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: write error: %s", w->name, strerror(errno));
        done += (size_t)n;
    }
    pmp_buf_clear(&w->buf);
    return 0;
}

int pmp_group_writer_write(pmp_group_writer *w, const pmp_group *g, pmp_err *err)
{
    if (pmp_group_validate(g, err) < 0)
        return pmp_err_prefix(err, "group %s", g->id ? g->id : "(no id)");
    pmp_group_to_json(&w->buf, g);
    w->count++;
    if (w->buf.len >= WRITER_FLUSH_AT) return flush(w, err);
    return 0;
}

int pmp_group_writer_write_line(pmp_group_writer *w, const char *line, size_t len, pmp_err *err)
{
    pmp_buf_append(&w->buf, line, len);
    if (w->buf.len >= WRITER_FLUSH_AT) return flush(w, err);
    return 0;
}

int pmp_group_writer_write_text(pmp_group_writer *w, const char *source, size_t source_len,
                                const char *id, size_t id_len, const char *split_key,
                                size_t split_key_len, const char *text, size_t text_len,
                                pmp_err *err)
{
    pmp_buf_append(&w->buf, "{\"source\":", 10);
    pmp_json_put_string(&w->buf, source, source_len);
    pmp_buf_append(&w->buf, ",\"id\":", 6);
    pmp_json_put_string(&w->buf, id, id_len);
    if (split_key) {
        pmp_buf_append(&w->buf, ",\"split_key\":", 13);
        pmp_json_put_string(&w->buf, split_key, split_key_len);
    }
    pmp_buf_append(&w->buf, ",\"text\":", 8);
    pmp_json_put_string(&w->buf, text, text_len);
    pmp_buf_append(&w->buf, "}\n", 2);
    w->count++;
    if (w->buf.len >= WRITER_FLUSH_AT) return flush(w, err);
    return 0;
}

uint64_t pmp_group_writer_count(const pmp_group_writer *w)
{
    return w->count;
}

int pmp_group_writer_close(pmp_group_writer *w, pmp_err *err)
{
    if (!w) return 0;
    int rc = flush(w, err);
    if (w->own_fd && close(w->fd) != 0 && rc == 0)
        rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: close failed: %s", w->name, strerror(errno));
    pmp_buf_free(&w->buf);
    free(w->name);
    free(w);
    return rc;
}

void pmp_group_mark_failed(int fd, const char *msg)
{
    pmp_buf b = PMP_BUF_INIT;
    pmp_buf_appends(&b, "{\"" PMP_ERROR_RECORD_KEY "\":");
    pmp_json_put_string(&b, msg, strlen(msg));
    pmp_buf_appends(&b, "}\n");
    const char *p = b.data;
    size_t n = b.len;
    while (n > 0) {   /* best effort: fd itself may be what failed */
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        p += k;
        n -= (size_t)k;
    }
    pmp_buf_free(&b);
}

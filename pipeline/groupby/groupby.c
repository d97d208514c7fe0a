/* groupby.c — the external group-by of pmp_groupby.h.
 *
 * Adding: records are appended to one arena (u32 klen, u32 vlen, key, value) with
 * an index entry each (8-byte key prefix + arena offset). When the next record
 * would take arena + index past the budget, the index is sorted and the records
 * are written, in order, to a run file. The arena offset doubles as insertion
 * order, so (key, offset) is a total order and qsort's instability is harmless.
 *
 * Reading: with no run, the sorted index is walked in place. Otherwise the rest
 * is spilled too and the runs are merged with a binary heap ordered by (key, run
 * number); runs are numbered in creation order, so equal keys come out in
 * insertion order.
 *
 * Open files are bounded, whatever the input size: a run is an unlinked file, so
 * it exists only as long as its descriptor, and the process may hold only
 * RLIMIT_NOFILE of those. Each group-by takes a share of what the limit leaves
 * (max_open, fd_budget below) and merges runs while it adds: whenever the last
 * `fanin` runs are of the same level (a level-0 run is a spill, a level-k run
 * merged fanin level-(k-1) runs), they become one run of the next level, so the
 * data is rewritten log_fanin(runs) times; if the held runs still reach max_open,
 * the newest ones are merged regardless of level. Merging only consecutive runs,
 * each replaced in place by its result, keeps the creation order of every record,
 * so the output is the same for every budget and every limit. A run at rest is a
 * bare descriptor; buffers exist only while a run is written or merged.
 *
 * With pmp_groupby_compress_runs, run files are zstd frames (a window of
 * 2^SPILL_WINDOW_LOG bytes): the groups of a dump shrink 2.3-2.5x at level 1, and
 * the temporary disk with them, for about 7 CPU-s per GB of runs (measured on this
 * project's generated dumps: it is off by default, since that is more than the
 * extractors' own cost). The small window bounds what each reader of a merge
 * holds (its decoder's window and block, about 2 x 2^SPILL_WINDOW_LOG) whatever
 * the file says: decoding refuses a larger one.
 */
#include "pmp_groupby.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define MERGE_FANIN 64
#define SPILL_WINDOW_LOG 16
#define REC_HDR 8   /* u32 klen + u32 vlen in the arena */
/* Descriptors left to the caller (inputs, outputs, decompressors, libraries) out
 * of what RLIMIT_NOFILE allows beyond those already open, and the group-bys one
 * process may hold at once (pmp-extract stackexchange holds two). */
#define FD_HEADROOM 16
#define FD_SHARERS 2
#define MAX_OPEN_CAP 1024
#define MAX_OPEN_MIN 4

typedef struct gb_ent {
    uint64_t prefix;   /* first 8 key bytes, big-endian, zero-padded */
    uint64_t off;      /* arena offset; also the insertion order */
} gb_ent;

/* A run at rest: an unlinked file, rewound, known only by its descriptor. */
typedef struct gb_run {
    int fd;
    unsigned level;    /* 0: a spill; k: merged from fanin runs of level k-1 */
    uint64_t bytes;
} gb_run;

/* Writing a run: records gather in buf, which is written to the descriptor, or
 * compressed through the group-by's one compressor (one run is written at a
 * time) into zbuf and that written. */
typedef struct gb_writer {
    int fd;
    ZSTD_CCtx *z;      /* NULL: runs are plain */
    unsigned char *buf, *zbuf;
    size_t len, cap, zcap;
    uint64_t bytes;    /* written to the file so far (compressed) */
    int err;           /* errno of the first failed write, 0 if none */
    const char *zerr;  /* the compressor's error, NULL if none */
} gb_writer;

/* Reading a run: bytes from the descriptor into out, or (compressed runs) into
 * in and decoded into out; handed out from out[pos..len). */
typedef struct gb_reader {
    int fd;
    ZSTD_DCtx *z;      /* NULL: a plain run */
    unsigned char *in, *out;
    size_t in_cap, out_cap;
    ZSTD_inBuffer zin;
    size_t pos, len;
    size_t frame_left; /* the decoder's last hint: 0 when a frame just ended */
    int eof;           /* the descriptor is exhausted */
    const char *why;   /* what went wrong, for the message */
    pmp_buf key, val;
    size_t order;      /* run number: ties go to the lower one */
} gb_reader;

struct pmp_groupby {
    uint64_t budget;
    char *tmpdir;
    size_t iobuf_size;
    int zlevel;         /* run compression level; 0: plain runs */
    ZSTD_CCtx *zc;      /* made at the first spill when zlevel */
    size_t max_open;   /* descriptors this group-by may hold */
    size_t fanin;      /* runs merged into one */

    unsigned char *arena;
    size_t alen, acap;
    gb_ent *idx;
    size_t n, icap;

    gb_run *runs;
    size_t nruns, caprun;
    uint64_t runs_total;
    uint64_t bytes_written;
    uint64_t bytes_live, bytes_peak;   /* in run files held now / at most */

    int finished;
    int merging;
    size_t pos;         /* in-memory walk */

    gb_reader *rd;      /* merge */
    size_t nrd;
    size_t *heap;
    size_t nheap;
    int have_last;      /* the heap top was handed out and must be advanced */
};

void pmp_groupby_key_u64(unsigned char out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t key_prefix(const unsigned char *k, size_t klen)
{
    uint64_t p = 0;
    for (size_t i = 0; i < 8; i++) p = (p << 8) | (i < klen ? k[i] : 0);
    return p;
}

static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t m = alen < blen ? alen : blen;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return (alen > blen) - (alen < blen);
}

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int ent_cmp(const void *pa, const void *pb, void *arg)
{
    const gb_ent *a = pa, *b = pb;
    if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
    const unsigned char *arena = arg;
    const unsigned char *ra = arena + a->off, *rb = arena + b->off;
    uint32_t ka = rd32(ra), kb = rd32(rb);
    if (ka > 8 || kb > 8) {
        int c = key_cmp(ra + REC_HDR, ka, rb + REC_HDR, kb);
        if (c) return c;
    } else if (ka != kb) {
        return ka < kb ? -1 : 1;
    }
    return (a->off > b->off) - (a->off < b->off);
}

static size_t open_fds(void)
{
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return FD_HEADROOM;   /* not Linux: count the headroom twice */
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* This group-by's share of the descriptors the soft RLIMIT_NOFILE leaves. */
static size_t fd_budget(void)
{
    struct rlimit rl;
    uint64_t soft = MAX_OPEN_CAP * FD_SHARERS + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)rl.rlim_cur < soft)
        soft = rl.rlim_cur;
    uint64_t used = open_fds() + FD_HEADROOM;
    uint64_t share = soft > used ? (soft - used) / FD_SHARERS : 0;
    if (share > MAX_OPEN_CAP) share = MAX_OPEN_CAP;
    /* Below the minimum a merge cannot make progress; creating the file then
     * fails with a clear "Too many open files". */
    if (share < MAX_OPEN_MIN) share = MAX_OPEN_MIN;
    return (size_t)share;
}

int pmp_groupby_tmpdir(const char *tmpdir, const char **resolved, pmp_err *err)
{
    if (!tmpdir || !*tmpdir) tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    *resolved = tmpdir;
    /* Checked now so that a typo fails at the start, not after an hour of input. */
    struct stat st;
    if (stat(tmpdir, &st) != 0)
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: temporary directory '%s': %s", tmpdir,
                           strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pmp_err_setc(err, PMP_E_IO, "groupby: temporary directory '%s': not a directory",
                           tmpdir);
    return 0;
}

int pmp_groupby_tmpfile(const char *tmpdir, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/pmp-groupby-XXXXXX", tmpdir);
    int fd = mkstemp(path.data);
    if (fd < 0) {
        pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: cannot create a run file in '%s': %s", tmpdir,
                    strerror(errno));
        pmp_buf_free(&path);
        return -1;
    }
    /* Unlinked at once: the data lives as long as the descriptor, and nothing is
     * left behind whatever way the process ends. */
    unlink(path.data);
    pmp_buf_free(&path);
    return fd;
}

int pmp_groupby_open(pmp_groupby **out, uint64_t mem_budget, const char *tmpdir,
                     pmp_err *err)
{
    *out = NULL;
    if (pmp_groupby_tmpdir(tmpdir, &tmpdir, err) != 0) return -1;
    pmp_groupby *g = pmp_xcalloc(1, sizeof *g);
    g->budget = mem_budget ? mem_budget : 1;
    g->tmpdir = pmp_xstrdup(tmpdir);
    g->max_open = fd_budget();
    g->fanin = g->max_open - 2 < MERGE_FANIN ? g->max_open - 2 : MERGE_FANIN;
    uint64_t io = g->budget / (2 * (g->fanin + 1));
    if (io < 4096) io = 4096;
    if (io > (1u << 20)) io = 1u << 20;
    g->iobuf_size = (size_t)io;
    *out = g;
    return 0;
}

static int run_create(pmp_groupby *g, gb_writer *w, pmp_err *err)
{
    int fd = pmp_groupby_tmpfile(g->tmpdir, err);
    if (fd < 0) return -1;
    if (g->zlevel && !g->zc) {
        g->zc = ZSTD_createCCtx();
        if (!g->zc || ZSTD_isError(ZSTD_CCtx_setParameter(g->zc, ZSTD_c_compressionLevel, g->zlevel)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(g->zc, ZSTD_c_windowLog, SPILL_WINDOW_LOG))) {
            close(fd);
            return pmp_err_setc(err, PMP_E_INTERNAL, "groupby: cannot set up the run compressor");
        }
    }
    if (g->zc) ZSTD_CCtx_reset(g->zc, ZSTD_reset_session_only);
    w->fd = fd;
    w->z = g->zc;
    w->cap = g->iobuf_size;
    w->buf = pmp_xmalloc(w->cap);
    w->zcap = g->zc ? ZSTD_CStreamOutSize() : 0;
    w->zbuf = g->zc ? pmp_xmalloc(w->zcap) : NULL;
    w->len = 0;
    w->bytes = 0;
    w->err = 0;
    w->zerr = NULL;
    return 0;
}

static void wr_raw(gb_writer *w, const unsigned char *p, size_t len)
{
    size_t off = 0;
    while (off < len && !w->err) {
        ssize_t n = write(w->fd, p + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) w->err = n < 0 ? errno : EIO;
        else off += (size_t)n;
    }
    w->bytes += off;
}

/* Compresses buf[0..len) and writes what the compressor gives; end closes the frame. */
static void wr_flush(gb_writer *w, int end)
{
    if (!w->z) {
        wr_raw(w, w->buf, w->len);
        w->len = 0;
        return;
    }
    ZSTD_inBuffer in = {w->buf, w->len, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
        if (w->err || w->zerr) break;
        ZSTD_outBuffer out = {w->zbuf, w->zcap, 0};
        size_t left = ZSTD_compressStream2(w->z, &out, &in, mode);
        if (ZSTD_isError(left)) {
            w->zerr = ZSTD_getErrorName(left);
            break;
        }
        wr_raw(w, w->zbuf, out.pos);
        if (end ? left == 0 : in.pos == in.size) break;
    }
    w->len = 0;
}

static void wr_bytes(gb_writer *w, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n) {
        if (w->len == w->cap) wr_flush(w, 0);
        size_t step = w->cap - w->len < n ? w->cap - w->len : n;
        memcpy(w->buf + w->len, s, step);
        w->len += step;
        s += step;
        n -= step;
    }
}

static void put_varint(gb_writer *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    b[n++] = (unsigned char)v;
    wr_bytes(w, b, n);
}

/* Decodes the next stretch of the run into out. Returns 1, 0 at a clean end
 * (every frame complete), -1 on a read error or a corrupt or truncated file. */
/* One read of the run's descriptor into buf: the bytes read (0 at its end), or
 * -1 with r->why set. */
static ssize_t rd_some(gb_reader *r, unsigned char *buf, size_t cap)
{
    ssize_t n;
    do n = read(r->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) r->why = strerror(errno);
    return n;
}

static int rd_fill(gb_reader *r)
{
    r->pos = r->len = 0;
    if (!r->z) {
        ssize_t n = rd_some(r, r->out, r->out_cap);
        if (n < 0) return -1;
        r->len = (size_t)n;
        return n > 0;
    }
    for (;;) {
        if (r->zin.pos == r->zin.size && !r->eof) {
            ssize_t n = rd_some(r, r->in, r->in_cap);
            if (n < 0) return -1;
            if (n == 0) r->eof = 1;
            r->zin = (ZSTD_inBuffer){r->in, (size_t)n, 0};
        }
        if (r->zin.pos == r->zin.size && r->eof) {
            if (r->frame_left == 0) return 0;
            r->why = "short read";
            return -1;
        }
        ZSTD_outBuffer ob = {r->out, r->out_cap, 0};
        size_t hint = ZSTD_decompressStream(r->z, &ob, &r->zin);
        if (ZSTD_isError(hint)) {
            r->why = ZSTD_getErrorName(hint);
            return -1;
        }
        r->frame_left = hint;
        if (ob.pos) {
            r->len = ob.pos;
            return 1;
        }
    }
}

static int rd_getc(gb_reader *r)
{
    if (r->pos == r->len) {
        int rc = rd_fill(r);
        if (rc <= 0) return rc == 0 ? EOF : -2;
    }
    return r->out[r->pos++];
}

static size_t rd_read(gb_reader *r, unsigned char *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (r->pos == r->len && rd_fill(r) != 1) break;
        size_t step = r->len - r->pos < n - got ? r->len - r->pos : n - got;
        memcpy(dst + got, r->out + r->pos, step);
        r->pos += step;
        got += step;
    }
    return got;
}

/* Returns 1, 0 at a clean end of file, -1 on a truncated or corrupt file. */
static int get_varint(gb_reader *r, uint64_t *out, int first)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        int c = rd_getc(r);
        if (c == -2) return -1;
        if (c == EOF) return (first && shift == 0) ? 0 : -1;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return -1;
}

static void write_rec(gb_writer *w, const void *k, size_t klen, const void *v, size_t vlen)
{
    put_varint(w, klen);
    put_varint(w, vlen);
    wr_bytes(w, k, klen);
    wr_bytes(w, v, vlen);
}

static void writer_abandon(gb_writer *w)
{
    if (w->fd >= 0) close(w->fd);
    free(w->buf);
    free(w->zbuf);
    w->fd = -1;
    w->buf = w->zbuf = NULL;
}

/* Flushes the writer and turns it into a run at rest (rewound, no buffer). */
static int writer_seal(pmp_groupby *g, gb_writer *w, unsigned level, gb_run *out,
                       pmp_err *err)
{
    wr_flush(w, 1);
    if (w->zerr) {
        pmp_err_setc(err, PMP_E_INTERNAL, "groupby: compressing a run file: %s", w->zerr);
        writer_abandon(w);
        return -1;
    }
    if (w->err) {
        pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: writing a run file in '%s': %s", g->tmpdir,
                    strerror(w->err));
        writer_abandon(w);
        return -1;
    }
    if (lseek(w->fd, 0, SEEK_SET) != 0) {
        pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: rewinding a run file: %s", strerror(errno));
        writer_abandon(w);
        return -1;
    }
    free(w->buf);
    free(w->zbuf);
    w->buf = w->zbuf = NULL;
    out->fd = w->fd;
    out->level = level;
    out->bytes = w->bytes;
    w->fd = -1;
    g->bytes_written += w->bytes;
    g->bytes_live += w->bytes;
    if (g->bytes_live > g->bytes_peak) g->bytes_peak = g->bytes_live;
    return 0;
}

static void run_close(gb_run *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}

static void push_run(pmp_groupby *g, gb_run r)
{
    if (g->nruns == g->caprun) {
        g->caprun = g->caprun ? 2 * g->caprun : 16;
        g->runs = pmp_xrealloc(g->runs, g->caprun * sizeof *g->runs);
    }
    g->runs[g->nruns++] = r;
}

static void sort_mem(pmp_groupby *g)
{
    if (g->n > 1) qsort_r(g->idx, g->n, sizeof *g->idx, ent_cmp, g->arena);
}

static int compact(pmp_groupby *g, pmp_err *err);

static int spill(pmp_groupby *g, pmp_err *err)
{
    if (g->n == 0) return 0;
    sort_mem(g);
    gb_writer w;
    if (run_create(g, &w, err) != 0) return -1;
    for (size_t i = 0; i < g->n && !w.err; i++) {
        const unsigned char *rec = g->arena + g->idx[i].off;
        uint32_t klen = rd32(rec), vlen = rd32(rec + 4);
        write_rec(&w, rec + REC_HDR, klen, rec + REC_HDR + klen, vlen);
    }
    gb_run r;
    if (writer_seal(g, &w, 0, &r, err) != 0) return -1;
    push_run(g, r);
    g->runs_total++;
    g->alen = 0;
    g->n = 0;
    return compact(g, err);
}

static size_t grow_to(size_t cap, size_t need, uint64_t budget)
{
    size_t c = cap ? cap : 4096;
    while (c < need) c *= 2;
    /* Growing by doubling could take memory far past a small budget; stop at it
     * unless a single record is bigger. */
    if (c > budget && need <= budget) c = (size_t)budget;
    return c < need ? need : c;
}

int pmp_groupby_add(pmp_groupby *g, const void *key, size_t klen, const void *val,
                    size_t vlen, pmp_err *err)
{
    if (g->finished) return pmp_err_setc(err, PMP_E_INTERNAL, "groupby: add after finish");
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "groupby: record too large (%zu + %zu bytes)", klen, vlen);
    size_t rec = REC_HDR + klen + vlen;
    if (g->n && (uint64_t)(g->alen + rec) + (g->n + 1) * sizeof(gb_ent) > g->budget)
        if (spill(g, err) != 0) return -1;
    if (g->alen + rec > g->acap) {
        size_t arena_budget = g->budget > (g->n + 1) * sizeof(gb_ent)
                                  ? (size_t)(g->budget - (g->n + 1) * sizeof(gb_ent))
                                  : 0;
        g->acap = grow_to(g->acap, g->alen + rec, arena_budget);
        g->arena = pmp_xrealloc(g->arena, g->acap);
    }
    if (g->n == g->icap) {
        g->icap = grow_to(g->icap, g->n + 1, g->budget / sizeof(gb_ent) + 1);
        g->idx = pmp_xrealloc(g->idx, g->icap * sizeof *g->idx);
    }
    unsigned char *p = g->arena + g->alen;
    uint32_t k32 = (uint32_t)klen, v32 = (uint32_t)vlen;
    memcpy(p, &k32, 4);
    memcpy(p + 4, &v32, 4);
    if (klen) memcpy(p + REC_HDR, key, klen);
    if (vlen) memcpy(p + REC_HDR + klen, val, vlen);
    g->idx[g->n].prefix = key_prefix(key, klen);
    g->idx[g->n].off = g->alen;
    g->n++;
    g->alen += rec;
    return 0;
}

/* ---- merging ---- */

/* Reads n bytes into b (NUL-terminated), growing it as the bytes arrive, so that
 * a corrupt length in a short run file fails at the read instead of allocating
 * up to 4 GiB first. */
static int read_field(gb_reader *r, pmp_buf *b, uint64_t n)
{
    pmp_buf_clear(b);
    while (b->len < n) {
        size_t step = n - b->len < (1u << 20) ? (size_t)(n - b->len) : (size_t)1 << 20;
        pmp_buf_reserve(b, step);
        size_t got = rd_read(r, (unsigned char *)b->data + b->len, step);
        b->len += got;
        if (got != step) return -1;
    }
    pmp_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return 0;
}

static int reader_next(gb_reader *r, pmp_err *err)
{
    uint64_t klen, vlen;
    r->why = NULL;
    int rc = get_varint(r, &klen, 1);
    if (rc == 0) return 0;
    if (rc < 0 || get_varint(r, &vlen, 0) != 1 || klen > UINT32_MAX || vlen > UINT32_MAX)
        return pmp_err_setc(err, PMP_E_CORRUPT, "groupby: run file truncated or corrupt%s%s%s",
                            r->why ? " (" : "", r->why ? r->why : "", r->why ? ")" : "");
    if (read_field(r, &r->key, klen) != 0 || read_field(r, &r->val, vlen) != 0)
        return pmp_err_setc(err, PMP_E_CORRUPT, "groupby: run file truncated (%s)",
                            r->why ? r->why : "short read");
    return 1;
}

static int rd_less(const gb_reader *rd, size_t a, size_t b)
{
    int c = key_cmp(rd[a].key.data, rd[a].key.len, rd[b].key.data, rd[b].key.len);
    if (c) return c < 0;
    return rd[a].order < rd[b].order;
}

static void sift_down(const gb_reader *rd, size_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && rd_less(rd, h[l], h[m])) m = l;
        if (r < n && rd_less(rd, h[r], h[m])) m = r;
        if (m == i) return;
        size_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void merge_free(pmp_groupby *g)
{
    for (size_t i = 0; i < g->nrd; i++) {
        if (g->rd[i].fd >= 0) close(g->rd[i].fd);
        ZSTD_freeDCtx(g->rd[i].z);
        free(g->rd[i].in);
        free(g->rd[i].out);
        pmp_buf_free(&g->rd[i].key);
        pmp_buf_free(&g->rd[i].val);
    }
    free(g->rd);
    free(g->heap);
    g->rd = NULL;
    g->heap = NULL;
    g->nrd = g->nheap = 0;
    g->have_last = 0;
}

/* Takes ownership of runs[0..n) (each closed when its reader is freed, or at
 * once if it cannot be read) and sets up the heap over them. */
static int merge_start(pmp_groupby *g, gb_run *runs, size_t n, pmp_err *err)
{
    g->rd = pmp_xcalloc(n ? n : 1, sizeof *g->rd);
    g->heap = pmp_xcalloc(n ? n : 1, sizeof *g->heap);
    g->nrd = n;
    g->nheap = 0;
    g->have_last = 0;
    int failed = 0;
    size_t half = g->iobuf_size / 2 < 4096 ? 4096 : g->iobuf_size / 2;
    for (size_t i = 0; i < n; i++) {
        gb_reader *r = &g->rd[i];
        r->order = i;
        r->fd = -1;
        if (failed) {
            run_close(&runs[i]);
            continue;
        }
        if (g->zlevel) {
            r->z = ZSTD_createDCtx();
            if (!r->z || ZSTD_isError(ZSTD_DCtx_setParameter(r->z, ZSTD_d_windowLogMax, SPILL_WINDOW_LOG))) {
                pmp_err_setc(err, PMP_E_INTERNAL, "groupby: cannot set up a run decoder");
                run_close(&runs[i]);
                failed = 1;
                continue;
            }
        }
        r->fd = runs[i].fd;
        runs[i].fd = -1;
        r->in_cap = r->z ? half : 0;
        r->out_cap = r->z ? half : g->iobuf_size;
        r->in = r->z ? pmp_xmalloc(r->in_cap) : NULL;
        r->out = pmp_xmalloc(r->out_cap);
    }
    if (failed) return -1;
    for (size_t i = 0; i < n; i++) {
        int rc = reader_next(&g->rd[i], err);
        if (rc < 0) return -1;
        if (rc) g->heap[g->nheap++] = i;
    }
    for (size_t i = g->nheap / 2; i-- > 0;) sift_down(g->rd, g->heap, g->nheap, i);
    return 0;
}

static int merge_next(pmp_groupby *g, gb_reader **out, pmp_err *err)
{
    if (g->have_last) {
        g->have_last = 0;
        int rc = reader_next(&g->rd[g->heap[0]], err);
        if (rc < 0) return -1;
        if (rc == 0) g->heap[0] = g->heap[--g->nheap];
        sift_down(g->rd, g->heap, g->nheap, 0);
    }
    if (g->nheap == 0) return 0;
    *out = &g->rd[g->heap[0]];
    g->have_last = 1;
    return 1;
}

/* Merges runs[start..start+cnt) into one run of the given level, which takes
 * runs[start]'s place; the runs after the batch move down. On failure the
 * batch is gone and the runs before and after it remain. */
static int merge_batch(pmp_groupby *g, size_t start, size_t cnt, unsigned level,
                       pmp_err *err)
{
    gb_writer w;
    if (run_create(g, &w, err) != 0) return -1;
    for (size_t i = start; i < start + cnt; i++) g->bytes_live -= g->runs[i].bytes;
    int rc = merge_start(g, g->runs + start, cnt, err);
    gb_reader *r;
    if (rc == 0)
        while ((rc = merge_next(g, &r, err)) == 1 && !w.err)
            write_rec(&w, r->key.data, r->key.len, r->val.data, r->val.len);
    merge_free(g);
    gb_run out = {-1, level, 0};
    if (rc < 0) writer_abandon(&w);
    else rc = writer_seal(g, &w, level, &out, err);
    size_t keep = rc < 0 ? 0 : 1;
    if (keep) g->runs[start] = out;
    memmove(g->runs + start + keep, g->runs + start + cnt,
            (g->nruns - start - cnt) * sizeof *g->runs);
    g->nruns -= cnt - keep;
    if (keep) g->runs_total++;
    return rc < 0 ? -1 : 0;
}

/* While adding: merges the newest runs while the last fanin of them share a
 * level, or while the group-by holds as many as it may (so that the next run
 * file can still be created). The arena's memory is given back first, so that
 * a merge's read buffers do not come on top of a full budget. */
static int compact(pmp_groupby *g, pmp_err *err)
{
    for (;;) {
        size_t cnt = 0;
        unsigned level = 0;
        if (g->nruns >= g->fanin) {
            level = g->runs[g->nruns - 1].level;
            size_t same = 0;
            while (same < g->fanin && g->runs[g->nruns - 1 - same].level == level) same++;
            if (same == g->fanin) cnt = g->fanin;
        }
        if (!cnt && g->nruns + 1 >= g->max_open) {
            cnt = g->nruns < g->fanin ? g->nruns : g->fanin;
            level = 0;
            for (size_t i = g->nruns - cnt; i < g->nruns; i++)
                if (g->runs[i].level > level) level = g->runs[i].level;
        }
        if (cnt < 2) return 0;
        free(g->arena);
        free(g->idx);
        g->arena = NULL;
        g->idx = NULL;
        g->acap = g->icap = 0;
        if (merge_batch(g, g->nruns - cnt, cnt, level + 1, err) != 0) return -1;
    }
}

/* At the end: merges consecutive batches of runs until at most fanin are left. */
static int reduce_runs(pmp_groupby *g, pmp_err *err)
{
    while (g->nruns > g->fanin) {
        for (size_t start = 0; start < g->nruns; start++) {
            size_t cnt = g->nruns - start < g->fanin ? g->nruns - start : g->fanin;
            if (cnt < 2) break;
            if (merge_batch(g, start, cnt, 0, err) != 0) return -1;
        }
    }
    return 0;
}

int pmp_groupby_finish(pmp_groupby *g, pmp_err *err)
{
    if (g->finished) return 0;
    g->finished = 1;
    if (g->nruns == 0) {
        sort_mem(g);
        g->pos = 0;
        return 0;
    }
    if (spill(g, err) != 0) return -1;
    free(g->arena);
    free(g->idx);
    g->arena = NULL;
    g->idx = NULL;
    g->acap = g->icap = 0;
    if (reduce_runs(g, err) != 0) return -1;
    g->merging = 1;
    size_t n = g->nruns;
    g->nruns = 0;   /* ownership moves to the readers */
    return merge_start(g, g->runs, n, err);
}

int pmp_groupby_next(pmp_groupby *g, const void **key, size_t *klen, const void **val,
                     size_t *vlen, pmp_err *err)
{
    if (!g->finished) return pmp_err_setc(err, PMP_E_INTERNAL, "groupby: next before finish");
    if (!g->merging) {
        if (g->pos >= g->n) return 0;
        const unsigned char *rec = g->arena + g->idx[g->pos++].off;
        uint32_t k = rd32(rec), v = rd32(rec + 4);
        *key = rec + REC_HDR;
        *klen = k;
        *val = rec + REC_HDR + k;
        *vlen = v;
        return 1;
    }
    gb_reader *r;
    int rc = merge_next(g, &r, err);
    if (rc != 1) return rc;
    *key = r->key.data;
    *klen = r->key.len;
    *val = r->val.data;
    *vlen = r->val.len;
    return 1;
}

int pmp_groupby_compress_runs(pmp_groupby *g, int level, pmp_err *err)
{
    if (g->runs_total || g->n)
        return pmp_err_setc(err, PMP_E_INTERNAL, "groupby: run compression set after the first record");
    if (level < 0 || level > ZSTD_maxCLevel())
        return pmp_err_setc(err, PMP_E_USAGE, "groupby: run compression level %d is not in 0..%d", level,
                            ZSTD_maxCLevel());
    g->zlevel = level;
    return 0;
}

uint64_t pmp_groupby_runs(const pmp_groupby *g)
{
    return g->runs_total;
}

uint64_t pmp_groupby_spill_bytes(const pmp_groupby *g)
{
    return g->bytes_written;
}

uint64_t pmp_groupby_spill_peak(const pmp_groupby *g)
{
    return g->bytes_peak;
}

size_t pmp_groupby_max_open(const pmp_groupby *g)
{
    return g->max_open;
}

void pmp_groupby_close(pmp_groupby *g)
{
    if (!g) return;
    merge_free(g);
    for (size_t i = 0; i < g->nruns; i++) run_close(&g->runs[i]);
    ZSTD_freeCCtx(g->zc);
    free(g->runs);
    free(g->arena);
    free(g->idx);
    free(g->tmpdir);
    free(g);
}

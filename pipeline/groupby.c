/* groupby.c — the external group-by of groupby.h.
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
 * insertion order. More than MERGE_FANIN runs are first merged in consecutive
 * batches (which keeps that numbering meaningful) so that open files and read
 * buffers stay bounded however small the budget.
 */
#include "groupby.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MERGE_FANIN 64
#define REC_HDR 8   /* u32 klen + u32 vlen in the arena */

typedef struct gb_ent {
    uint64_t prefix;   /* first 8 key bytes, big-endian, zero-padded */
    uint64_t off;      /* arena offset; also the insertion order */
} gb_ent;

typedef struct gb_run {
    FILE *f;
    char *iobuf;
} gb_run;

typedef struct gb_reader {
    gb_run run;
    pmp_buf key, val;
    size_t order;      /* run number: ties go to the lower one */
} gb_reader;

struct pmp_groupby {
    uint64_t budget;
    char *tmpdir;
    size_t iobuf_size;

    unsigned char *arena;
    size_t alen, acap;
    gb_ent *idx;
    size_t n, icap;

    gb_run *runs;
    size_t nruns, caprun;
    uint64_t runs_total;

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

int pmp_groupby_open(pmp_groupby **out, uint64_t mem_budget, const char *tmpdir,
                     pmp_err *err)
{
    *out = NULL;
    if (!tmpdir || !*tmpdir) tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    /* Checked now so that a typo fails at the start, not after an hour of input. */
    struct stat st;
    if (stat(tmpdir, &st) != 0)
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: temporary directory '%s': %s", tmpdir,
                           strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pmp_err_setc(err, PMP_E_IO, "groupby: temporary directory '%s': not a directory",
                           tmpdir);
    pmp_groupby *g = pmp_xcalloc(1, sizeof *g);
    g->budget = mem_budget ? mem_budget : 1;
    g->tmpdir = pmp_xstrdup(tmpdir);
    uint64_t io = g->budget / (2 * (MERGE_FANIN + 1));
    if (io < 4096) io = 4096;
    if (io > (1u << 20)) io = 1u << 20;
    g->iobuf_size = (size_t)io;
    *out = g;
    return 0;
}

static int run_create(pmp_groupby *g, gb_run *r, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/pmp-groupby-XXXXXX", g->tmpdir);
    int fd = mkstemp(path.data);
    if (fd < 0) {
        pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: cannot create a run file in '%s': %s", g->tmpdir,
                    strerror(errno));
        pmp_buf_free(&path);
        return -1;
    }
    /* Unlinked at once: the data lives as long as the descriptor, and nothing is
     * left behind whatever way the process ends. */
    unlink(path.data);
    pmp_buf_free(&path);
    r->f = fdopen(fd, "w+b");
    if (!r->f) {
        close(fd);
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: fdopen: %s", strerror(errno));
    }
    r->iobuf = pmp_xmalloc(g->iobuf_size);
    setvbuf(r->f, r->iobuf, _IOFBF, g->iobuf_size);
    return 0;
}

static void run_close(gb_run *r)
{
    if (r->f) fclose(r->f);
    free(r->iobuf);
    r->f = NULL;
    r->iobuf = NULL;
}

static void put_varint(FILE *f, uint64_t v)
{
    while (v >= 0x80) {
        putc_unlocked((int)(v & 0x7f) | 0x80, f);
        v >>= 7;
    }
    putc_unlocked((int)v, f);
}

/* Returns 1, 0 at a clean end of file, -1 on a truncated or corrupt file. */
static int get_varint(FILE *f, uint64_t *out, int first)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        int c = getc_unlocked(f);
        if (c == EOF) return (first && shift == 0) ? 0 : -1;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return -1;
}

static int write_rec(gb_run *r, const void *k, size_t klen, const void *v, size_t vlen)
{
    put_varint(r->f, klen);
    put_varint(r->f, vlen);
    if (klen && fwrite(k, 1, klen, r->f) != klen) return -1;
    if (vlen && fwrite(v, 1, vlen, r->f) != vlen) return -1;
    return 0;
}

static int run_rewind(pmp_groupby *g, gb_run *r, pmp_err *err)
{
    if (fflush(r->f) != 0 || ferror(r->f))
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: writing a run file in '%s': %s", g->tmpdir,
                           strerror(errno));
    if (fseeko(r->f, 0, SEEK_SET) != 0)
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "groupby: rewinding a run file: %s", strerror(errno));
    return 0;
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

static int spill(pmp_groupby *g, pmp_err *err)
{
    if (g->n == 0) return 0;
    sort_mem(g);
    gb_run r = {0};
    if (run_create(g, &r, err) != 0) return -1;
    for (size_t i = 0; i < g->n; i++) {
        const unsigned char *rec = g->arena + g->idx[i].off;
        uint32_t klen = rd32(rec), vlen = rd32(rec + 4);
        if (write_rec(&r, rec + REC_HDR, klen, rec + REC_HDR + klen, vlen) != 0) break;
    }
    if (run_rewind(g, &r, err) != 0) {
        run_close(&r);
        return -1;
    }
    push_run(g, r);
    g->runs_total++;
    g->alen = 0;
    g->n = 0;
    return 0;
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
static int read_field(FILE *f, pmp_buf *b, uint64_t n)
{
    pmp_buf_clear(b);
    while (b->len < n) {
        size_t step = n - b->len < (1u << 20) ? (size_t)(n - b->len) : (size_t)1 << 20;
        pmp_buf_reserve(b, step);
        size_t got = fread(b->data + b->len, 1, step, f);
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
    int rc = get_varint(r->run.f, &klen, 1);
    if (rc == 0) return 0;
    if (rc < 0 || get_varint(r->run.f, &vlen, 0) != 1 || klen > UINT32_MAX ||
        vlen > UINT32_MAX)
        return pmp_err_setc(err, PMP_E_CORRUPT, "groupby: run file truncated or corrupt");
    if (read_field(r->run.f, &r->key, klen) != 0 || read_field(r->run.f, &r->val, vlen) != 0)
        return pmp_err_setc(err, PMP_E_CORRUPT, "groupby: run file truncated (%s)",
                           ferror(r->run.f) ? strerror(errno) : "short read");
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
        run_close(&g->rd[i].run);
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

/* Takes ownership of runs[0..n) and sets up the heap over them. */
static int merge_start(pmp_groupby *g, gb_run *runs, size_t n, pmp_err *err)
{
    g->rd = pmp_xcalloc(n ? n : 1, sizeof *g->rd);
    g->heap = pmp_xcalloc(n ? n : 1, sizeof *g->heap);
    g->nrd = n;
    g->nheap = 0;
    g->have_last = 0;
    for (size_t i = 0; i < n; i++) {
        g->rd[i].run = runs[i];
        g->rd[i].order = i;
    }
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

/* Merges consecutive batches of runs until at most MERGE_FANIN are left. */
static int reduce_runs(pmp_groupby *g, pmp_err *err)
{
    while (g->nruns > MERGE_FANIN) {
        size_t nout = 0;
        for (size_t start = 0; start < g->nruns; start += MERGE_FANIN) {
            size_t cnt = g->nruns - start < MERGE_FANIN ? g->nruns - start : MERGE_FANIN;
            gb_run out = {0};
            if (run_create(g, &out, err) != 0) return -1;
            if (merge_start(g, g->runs + start, cnt, err) != 0) {
                run_close(&out);
                goto fail_batch;
            }
            gb_reader *r;
            int rc;
            while ((rc = merge_next(g, &r, err)) == 1)
                if (write_rec(&out, r->key.data, r->key.len, r->val.data, r->val.len) != 0)
                    break;
            if (rc < 0 || run_rewind(g, &out, err) != 0) {
                run_close(&out);
                goto fail_batch;
            }
            merge_free(g);
            g->runs[nout++] = out;
            g->runs_total++;
            continue;
        fail_batch:
            merge_free(g);
            /* The batch's runs now belong to nobody; forget them, close the rest. */
            for (size_t i = start + cnt; i < g->nruns; i++) run_close(&g->runs[i]);
            g->nruns = nout;
            return -1;
        }
        g->nruns = nout;
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

uint64_t pmp_groupby_runs(const pmp_groupby *g)
{
    return g->runs_total;
}

void pmp_groupby_close(pmp_groupby *g)
{
    if (!g) return;
    merge_free(g);
    for (size_t i = 0; i < g->nruns; i++) run_close(&g->runs[i]);
    free(g->runs);
    free(g->arena);
    free(g->idx);
    free(g->tmpdir);
    free(g);
}

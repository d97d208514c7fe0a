/* libFuzzer target: the group-by's run files (groupby.c), read back from
 * arbitrary bytes. The run reader is internal (run files are created, unlinked
 * and read by the group-by itself), so groupby.c is compiled into this target
 * and arbitrary runs are handed to the merge as if they had been spilled.
 *
 *  1. Runs: byte 0 picks 1..70 runs (above MERGE_FANIN = 64 the multi-pass merge,
 *     which writes merged runs to /tmp, runs too); the rest of the input is cut
 *     into that many run files (memory streams). From 128 on the group-by's runs
 *     are compressed (pmp_groupby_compress_runs) and each piece is compressed as
 *     the group-by would, so that the record reader still sees arbitrary
 *     records; a model decoder written here (varint klen, varint vlen,
 *     key, value; the end of a file only between records) says what each run
 *     holds. Oracles: a corrupt run makes finish or next fail, never a clean end;
 *     clean runs give exactly their records, and when each run is in key order
 *     the output is the stable merge (key, then run, then position). When byte
 *     0 is 210 or more the pieces go in as they are, not compressed, for the
 *     decoder: then the only oracle is an end or an error naming a run file.
 *  2. Round trip (runs compressed when byte 1 is odd): records cut from the first
 *     4 KB are added under a tiny memory
 *     budget (so they spill), and come back as the stable sort by key. */
#include "groupby.c"
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>
#include "fuzz_util.h"

typedef struct mrec {
    const unsigned char *k, *v;
    size_t kl, vl;
    size_t run, seq;
} mrec;

typedef struct model {
    mrec *v;
    size_t n, cap;
} model;

static void model_push(model *m, mrec r)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->v = pmp_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = r;
}

/* LEB128 as groupby.c writes it; at most 10 bytes. Returns 1, 0 at the end of
 * p (only when first), -1 when truncated or too long. */
static int m_varint(const unsigned char *p, size_t n, size_t *i, uint64_t *out, int first)
{
    uint64_t v = 0;
    for (int b = 0; b < 10; b++) {
        if (*i >= n) return first && b == 0 ? 0 : -1;
        unsigned c = p[(*i)++];
        v |= (uint64_t)(c & 0x7f) << (7 * b);
        if (!(c & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return -1;
}

/* Appends run r's records to m. Returns 1 when the run is clean, 0 when corrupt;
 * *sorted says whether its keys are in order. */
static int m_decode(const unsigned char *p, size_t n, size_t r, model *m, int *sorted)
{
    size_t i = 0, seq = 0;
    const mrec *prev = NULL;
    size_t first = m->n;
    *sorted = 1;
    for (;;) {
        uint64_t kl, vl;
        int rc = m_varint(p, n, &i, &kl, 1);
        if (rc == 0) return 1;
        if (rc < 0 || m_varint(p, n, &i, &vl, 0) != 1 || kl > UINT32_MAX || vl > UINT32_MAX ||
            kl > n - i || vl > n - i - kl)
            return 0;
        mrec x = {p + i, p + i + kl, kl, vl, r, seq++};
        i += kl + vl;
        if (m->n > first) {
            prev = &m->v[m->n - 1];
            if (key_cmp(prev->k, prev->kl, x.k, x.kl) > 0) *sorted = 0;
        }
        model_push(m, x);
    }
}

static int mrec_cmp(const void *a, const void *b)
{
    const mrec *x = a, *y = b;
    int c = key_cmp(x->k, x->kl, y->k, y->kl);
    if (c) return c;
    if (x->run != y->run) return x->run < y->run ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void expect_output(pmp_groupby *g, const model *m, int exact)
{
    pmp_err err;
    size_t got = 0;
    const void *k, *v;
    size_t kl, vl;
    int rc;
    while ((rc = pmp_groupby_next(g, &k, &kl, &v, &vl, &err)) == 1) {
        FUZZ_CHECK(got < m->n);
        if (exact) {
            const mrec *x = &m->v[got];
            FUZZ_CHECK(kl == x->kl && vl == x->vl);
            FUZZ_CHECK(kl == 0 || memcmp(k, x->k, kl) == 0);
            FUZZ_CHECK(vl == 0 || memcmp(v, x->v, vl) == 0);
        }
        got++;
    }
    FUZZ_CHECK(rc == 0 && got == m->n);
}

static void runs_from_bytes(const uint8_t *data, size_t size)
{
    size_t nruns = 1 + data[0] % 70;
    const unsigned char *body = data + 1;
    size_t blen = size - 1, piece = blen / nruns;
    int raw = data[0] >= 210;
    pmp_groupby *g;
    pmp_err err;
    FUZZ_CHECK(pmp_groupby_open(&g, 1 << 16, "/tmp", &err) == 0);
    /* compressed runs from 128 on (raw bytes then go to the decoder from 210) */
    int zrun = data[0] >= 128;
    FUZZ_CHECK(pmp_groupby_compress_runs(g, zrun, &err) == 0);
    model m = {0};
    int clean = 1, sorted = 1;
    for (size_t r = 0; r < nruns; r++) {
        const unsigned char *p = body + r * piece;
        size_t n = r + 1 < nruns ? piece : blen - r * piece;
        int s;
        clean &= m_decode(p, n, r, &m, &s);
        sorted &= s;
        /* a run is a bare descriptor: an anonymous in-memory file holding the bytes */
        int fd = memfd_create("fuzz_run", MFD_CLOEXEC);
        FUZZ_CHECK(fd >= 0);
        if (raw || !zrun) {
            FUZZ_CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
        } else {
            size_t zcap = ZSTD_compressBound(n);
            void *z = pmp_xmalloc(zcap);
            size_t zl = ZSTD_compress(z, zcap, p, n, 1);
            FUZZ_CHECK(!ZSTD_isError(zl) && write(fd, z, zl) == (ssize_t)zl);
            free(z);
        }
        FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
        push_run(g, (gb_run){fd, 0, n});
        g->runs_total++;
    }
    if (raw) {
        int rc = pmp_groupby_finish(g, &err);
        const void *k, *v;
        size_t kl, vl;
        if (rc == 0)
            while ((rc = pmp_groupby_next(g, &k, &kl, &v, &vl, &err)) == 1) {}
        FUZZ_CHECK(rc == 0 || (rc == -1 && strstr(err.msg, "groupby: run file")));
    } else if (!clean) {
        int rc = pmp_groupby_finish(g, &err);
        const void *k, *v;
        size_t kl, vl;
        if (rc == 0)
            while ((rc = pmp_groupby_next(g, &k, &kl, &v, &vl, &err)) == 1) {}
        if (rc != -1) fprintf(stderr, "fuzz_groupby_runs: corrupt runs, rc %d\n", rc);
        FUZZ_CHECK(rc == -1 && strstr(err.msg, "groupby: run file"));
    } else {
        FUZZ_CHECK(pmp_groupby_finish(g, &err) == 0);
        if (sorted && m.n > 1) qsort(m.v, m.n, sizeof *m.v, mrec_cmp);
        expect_output(g, &m, sorted);
    }
    pmp_groupby_close(g);
    free(m.v);
}

static void round_trip(const uint8_t *data, size_t size)
{
    if (size > 4096) size = 4096;
    pmp_groupby *g;
    pmp_err err;
    uint64_t budget = 1 + (size ? data[0] : 0) * 8u;
    FUZZ_CHECK(pmp_groupby_open(&g, budget, "/tmp", &err) == 0);
    FUZZ_CHECK(pmp_groupby_compress_runs(g, size > 1 && (data[1] & 1), &err) == 0);
    model m = {0};
    for (size_t i = 1; i < size;) {
        size_t kl = data[i] % 12, vl = (data[i] / 12) % 9;
        i++;
        if (kl > size - i) kl = size - i;
        if (vl > size - i - kl) vl = size - i - kl;
        mrec x = {data + i, data + i + kl, kl, vl, 0, m.n};
        FUZZ_CHECK(pmp_groupby_add(g, x.k, kl, x.v, vl, &err) == 0);
        model_push(&m, x);
        i += kl + vl;
    }
    FUZZ_CHECK(pmp_groupby_finish(g, &err) == 0);
    if (m.n > 1) qsort(m.v, m.n, sizeof *m.v, mrec_cmp);
    expect_output(g, &m, 1);
    pmp_groupby_close(g);
    free(m.v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    runs_from_bytes(data, size);
    round_trip(data, size);
    return 0;
}

/* dedup_external.c — rules 3 and 4 on disk, for inputs whose indexes do not fit half
 * of --mem (docs/dedup.md "Memory"). The decisions are those of the in-memory pass,
 * made in another order:
 *
 *  while reading: each group that reaches rule 3 gets the next group number and is
 *    spooled (the bytes it would be written as); its exact key goes to one external
 *    group-by, each of its band keys (the high 32 bits the LSH table matches on) to
 *    another, and its signature (perms low-16-bit minima) to a file of fixed-size
 *    records, read back with pread;
 *  at the end: (1) the exact keys, sorted, mark every group whose key an earlier group
 *    has (a bitmap, 1 bit per group); (2) the band keys, sorted, give the groups that
 *    share one (a bucket); every pair (earlier j, later i) of a bucket, exact duplicates
 *    left out, is verified on the two signatures with the in-memory rule, and the pairs
 *    that pass are sorted by i; (3) the spooled groups are replayed in order, keep-first:
 *    group i is a near duplicate iff a pair comes to it from a j that was KEPT (a second
 *    bitmap), which is exactly "a kept group shares a band key and verifies".
 *
 * A band key shared by more than BIG_BUCKET groups (boilerplate) would make a quadratic
 * number of pairs. Such a bucket is not paired: its members get a record (i, bucket)
 * sorted by i, and the replay checks i against the bucket's kept members so far, as
 * the in-memory index does (whose cost is bounded the same way: only kept groups are
 * in it, and keep-first keeps few near-identical ones). Memory: the group-bys' budgets
 * (half of --mem in all), 2 bits per group, 4 bytes per kept member of such a bucket.
 *
 * The groups kept before the switch are carried over as group numbers 0..prefix-1
 * (kept, already written) with their signatures and band keys from the LSH table; the
 * exact keys seen so far enter as keys no later group may repeat. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup_internal.h"
#include "pmp_groupby.h"

#define BIG_BUCKET 128                  /* members of a band key paired directly, at most
                                           (opts.big_bucket overrides it for tests) */
#define MIN_GROUPBY_BUDGET ((uint64_t)64 << 10)
#define FLAG_SIG 1u
#define FLAG_REWRITTEN 2u
#define NO_GROUP UINT32_MAX             /* an exact key carried over from memory */

typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static void u32vec_push(u32vec *x, uint32_t v)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->v = pmp_xrealloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = v;
}

struct pmp_dedup_ext {
    char *tmpdir;
    uint64_t budget;                   /* for the group-bys together */
    FILE *spool;                       /* per group: u32 len, u32 source, u32 flags, bytes */
    FILE *sigs;                        /* perms x u16 per group number (zeros: no signature) */
    pmp_groupby *exact;                /* 16-byte key -> u32 group */
    pmp_groupby *bands;                /* u32 band key (big-endian) -> u32 group */
    uint32_t n;                        /* group numbers given, carried-over ones included */
    uint32_t prefix;                   /* 0..prefix-1: kept before the switch */
    uint64_t spool_bytes, sig_bytes;
    uint64_t gb_bytes, gb_peak;        /* of the group-bys closed so far */
};

static void gb_account(pmp_dedup_ext *x, pmp_groupby **g)
{
    if (!*g) return;
    x->gb_bytes += pmp_groupby_spill_bytes(*g);
    x->gb_peak += pmp_groupby_spill_peak(*g);
    pmp_groupby_close(*g);
    *g = NULL;
}

void pmp_dedup_ext_free(pmp_dedup_ext *x)
{
    if (!x) return;
    if (x->spool) fclose(x->spool);
    if (x->sigs) fclose(x->sigs);
    pmp_groupby_close(x->exact);
    pmp_groupby_close(x->bands);
    free(x->tmpdir);
    free(x);
}

static FILE *tmp_stream(const pmp_dedup_ext *x, pmp_err *err)
{
    int fd = pmp_groupby_tmpfile(x->tmpdir, err);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        pmp_err_errno(err, errno, "pmp-dedup: temporary file in '%s'", x->tmpdir);
        close(fd);
    }
    return f;
}

static int stream_failed(const pmp_dedup_ext *x, const char *what, pmp_err *err)
{
    int e = errno ? errno : EIO;
    return pmp_err_setc(err, pmp_errcode_from_errno(e), "pmp-dedup: %s in '%s': %s", what, x->tmpdir,
                        strerror(e));
}

static void be32(unsigned char out[4], uint32_t v)
{
    out[0] = (unsigned char)(v >> 24);
    out[1] = (unsigned char)(v >> 16);
    out[2] = (unsigned char)(v >> 8);
    out[3] = (unsigned char)v;
}

static uint32_t rd_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int add_band(pmp_dedup_ext *x, uint32_t hi, uint32_t group, pmp_err *err)
{
    unsigned char k[4];
    be32(k, hi);
    return pmp_groupby_add(x->bands, k, 4, &group, 4, err);
}

int pmp_dedup_ext_start(pmp_dedup *d, pmp_err *err)
{
    pmp_dedup_ext *x = pmp_xcalloc(1, sizeof *x);
    const char *dir;
    if (pmp_groupby_tmpdir(d->o.tmpdir, &dir, err) != 0) {
        free(x);
        return -1;
    }
    x->tmpdir = pmp_xstrdup(dir);
    /* The in-memory indexes held at most half of --mem; the group-bys get the other
     * half (a quarter for the exact keys, the rest for the band keys). */
    x->budget = d->o.mem_bytes / 2;
    uint64_t eb = x->budget / 4, bb = x->budget - eb;
    if (eb < MIN_GROUPBY_BUDGET) eb = MIN_GROUPBY_BUDGET;
    if (bb < MIN_GROUPBY_BUDGET) bb = MIN_GROUPBY_BUDGET;
    int near = d->o.near > 0;
    if (pmp_groupby_open(&x->exact, eb, x->tmpdir, err) != 0) goto fail;
    if (near && pmp_groupby_open(&x->bands, bb, x->tmpdir, err) != 0) goto fail;
    if (!(x->spool = tmp_stream(x, err))) goto fail;
    if (near && !(x->sigs = tmp_stream(x, err))) goto fail;

    /* Carried over: the kept groups (numbers 0..K-1, their signatures and band keys)
     * and every exact key seen. */
    const pmp_dedup_lsh *l = &d->lsh;
    size_t P = d->mh.perms;
    x->prefix = x->n = (uint32_t)l->n;
    if (near && l->n) {
        if (fwrite(l->sigs, 2 * P, l->n, x->sigs) != l->n) {
            stream_failed(x, "writing signatures", err);
            goto fail;
        }
        x->sig_bytes += 2 * P * l->n;
        for (size_t i = 0; i < l->n_slots; i++)
            if (l->slots[i] && add_band(x, (uint32_t)(l->slots[i] >> 32), (uint32_t)l->slots[i] - 1, err) != 0)
                goto fail;
    }
    const pmp_dedup_keyset *k = &d->exact;
    uint32_t none = NO_GROUP;
    for (size_t i = 0; i < k->n_slots; i++) {
        const uint64_t *e = k->k + 2 * i;
        if ((e[0] || e[1]) && pmp_groupby_add(x->exact, e, 16, &none, 4, err) != 0) goto fail;
    }
    d->st.ext_prefix_kept = l->n;
    pmp_dedup_lsh_free(&d->lsh);
    pmp_dedup_lsh_init(&d->lsh, &d->mh);
    pmp_dedup_keyset_free(&d->exact);
    d->ext = x;
    d->st.external = 1;
    return 0;
fail:
    pmp_dedup_ext_free(x);
    return -1;
}

int pmp_dedup_ext_add(pmp_dedup *d, const uint64_t key[2], const uint32_t *sig, size_t source,
                      const char *bytes, size_t len, int rewritten, pmp_err *err)
{
    pmp_dedup_ext *x = d->ext;
    if (x->n == NO_GROUP)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "pmp-dedup: more than %u groups past --mem", NO_GROUP - 1);
    if (len >= UINT32_MAX) return pmp_err_setc(err, PMP_E_UNSUPPORTED, "pmp-dedup: a group of %zu bytes", len);
    uint32_t g = x->n++;
    d->st.ext_groups++;
    uint32_t hdr[3] = {(uint32_t)len, (uint32_t)source, (sig ? FLAG_SIG : 0) | (rewritten ? FLAG_REWRITTEN : 0)};
    /* a line read is written back with its newline; a rewritten group has one */
    if (!rewritten) hdr[0]++;
    if (fwrite(hdr, sizeof hdr, 1, x->spool) != 1 || fwrite(bytes, 1, len, x->spool) != len ||
        (!rewritten && fputc('\n', x->spool) == EOF))
        return stream_failed(x, "writing the spooled groups", err);
    x->spool_bytes += sizeof hdr + hdr[0];
    /* as the in-memory set stores it */
    uint64_t k[2] = {key[0], key[1]};
    if (!k[0] && !k[1]) k[1] = 1;
    if (pmp_groupby_add(x->exact, k, 16, &g, 4, err) != 0) return -1;
    if (!x->sigs) return 0;
    const pmp_dedup_minhash *m = &d->mh;
    uint16_t low[PMP_DEDUP_MAX_PERMS];
    for (unsigned i = 0; i < m->perms; i++) low[i] = sig ? (uint16_t)sig[i] : 0;
    if (fwrite(low, 2, m->perms, x->sigs) != m->perms) return stream_failed(x, "writing signatures", err);
    x->sig_bytes += 2 * m->perms;
    if (!sig) return 0;
    for (unsigned b = 0; b < m->bands; b++)
        if (add_band(x, pmp_dedup_band_hi(m, sig, b), g, err) != 0) return -1;
    return 0;
}

/* ---------- the end of the input ---------- */

typedef struct finisher {
    pmp_dedup *d;
    pmp_dedup_ext *x;
    uint64_t *dup, *kept;              /* bitmaps over group numbers */
    pmp_groupby *edges;                /* u32 i (big-endian) -> u32 j: j < i, near duplicates */
    pmp_groupby *big;                  /* u32 i (big-endian) -> u32 bucket */
    u32vec *buckets;                   /* per big bucket: its kept members so far */
    size_t n_buckets, cap_buckets;
    u32vec members;
    size_t big_bucket;                 /* BIG_BUCKET or opts.big_bucket */
    uint16_t *sigbuf;                  /* big_bucket signatures */
} finisher;

static int bit(const uint64_t *b, uint32_t i) { return (int)(b[i >> 6] >> (i & 63) & 1); }
static void set_bit(uint64_t *b, uint32_t i) { b[i >> 6] |= 1ull << (i & 63); }

static int read_sig(finisher *f, uint32_t g, uint16_t *out, pmp_err *err)
{
    size_t n = 2 * (size_t)f->d->mh.perms;
    off_t at = (off_t)g * (off_t)n;
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fileno(f->x->sigs), (char *)out + got, n - got, at + (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = EIO;
            return stream_failed(f->x, "reading signatures", err);
        }
        got += (size_t)k;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* One band key's groups (in f->members): pairs, or a big bucket. */
static int bucket(finisher *f, pmp_err *err)
{
    pmp_dedup_ext *x = f->x;
    pmp_dedup *d = f->d;
    u32vec *mb = &f->members;
    size_t m = 0;
    for (size_t i = 0; i < mb->n; i++)
        if (mb->v[i] < x->prefix || !bit(f->dup, mb->v[i])) mb->v[m++] = mb->v[i];
    if (m < 2) return 0;
    qsort(mb->v, m, sizeof *mb->v, cmp_u32);
    size_t u = 1;   /* a group with two bands of one key is one member */
    for (size_t i = 1; i < m; i++)
        if (mb->v[i] != mb->v[u - 1]) mb->v[u++] = mb->v[i];
    m = u;
    if (m < 2 || mb->v[m - 1] < x->prefix) return 0;   /* all decided already */
    size_t P = d->mh.perms;
    if (m <= f->big_bucket) {
        for (size_t i = 0; i < m; i++)
            if (read_sig(f, mb->v[i], f->sigbuf + i * P, err) != 0) return -1;
        for (size_t l = 1; l < m; l++) {
            if (mb->v[l] < x->prefix) continue;
            unsigned char k[4];
            be32(k, mb->v[l]);
            for (size_t j = 0; j < l; j++) {
                d->st.ext_pairs++;
                if (pmp_dedup_sig_estimate(&d->mh, f->sigbuf + j * P, f->sigbuf + l * P) < d->o.near) continue;
                d->st.ext_edges++;
                if (pmp_groupby_add(f->edges, k, 4, &mb->v[j], 4, err) != 0) return -1;
            }
        }
        return 0;
    }
    if (f->n_buckets == f->cap_buckets) {
        f->cap_buckets = f->cap_buckets ? 2 * f->cap_buckets : 16;
        f->buckets = pmp_xrealloc(f->buckets, f->cap_buckets * sizeof *f->buckets);
    }
    uint32_t id = (uint32_t)f->n_buckets++;
    u32vec *b = &f->buckets[id];
    memset(b, 0, sizeof *b);
    d->st.ext_big_buckets++;
    for (size_t i = 0; i < m; i++) {
        if (mb->v[i] < x->prefix) {
            u32vec_push(b, mb->v[i]);   /* kept before the switch */
            continue;
        }
        unsigned char k[4];
        be32(k, mb->v[i]);
        if (pmp_groupby_add(f->big, k, 4, &id, 4, err) != 0) return -1;
    }
    return 0;
}

/* (1) exact duplicates: in each run of equal keys, every group after the first. */
static int mark_exact(finisher *f, pmp_err *err)
{
    pmp_dedup_ext *x = f->x;
    if (pmp_groupby_finish(x->exact, err) != 0) return -1;
    unsigned char prev[16];
    int have = 0, rc;
    const void *k, *v;
    size_t kl, vl;
    while ((rc = pmp_groupby_next(x->exact, &k, &kl, &v, &vl, err)) == 1) {
        if (kl != 16 || vl != 4) return pmp_err_setc(err, PMP_E_CORRUPT, "pmp-dedup: a spilled exact key is damaged");
        if (have && memcmp(prev, k, 16) == 0) {
            uint32_t g = rd_u32(v);
            if (g != NO_GROUP && g < x->n) set_bit(f->dup, g);
            continue;
        }
        memcpy(prev, k, 16);
        have = 1;
    }
    if (rc < 0) return -1;
    gb_account(x, &x->exact);
    return 0;
}

/* (2) the band keys: pairs verified, big buckets listed. */
static int pair_bands(finisher *f, pmp_err *err)
{
    pmp_dedup_ext *x = f->x;
    if (pmp_groupby_finish(x->bands, err) != 0) return -1;
    uint32_t cur = 0;
    int rc;
    const void *k, *v;
    size_t kl, vl;
    f->members.n = 0;
    while ((rc = pmp_groupby_next(x->bands, &k, &kl, &v, &vl, err)) == 1) {
        if (kl != 4 || vl != 4) return pmp_err_setc(err, PMP_E_CORRUPT, "pmp-dedup: a spilled band key is damaged");
        uint32_t hi = rd_be32(k), g = rd_u32(v);
        if (g >= x->n) return pmp_err_setc(err, PMP_E_CORRUPT, "pmp-dedup: a spilled band key is damaged");
        if (f->members.n && hi != cur && bucket(f, err) != 0) return -1;
        if (hi != cur) f->members.n = 0;
        cur = hi;
        u32vec_push(&f->members, g);
    }
    if (rc < 0) return -1;
    if (f->members.n && bucket(f, err) != 0) return -1;
    gb_account(x, &x->bands);
    return 0;
}

/* A sorted stream of (u32 group, u32 value) records from a finished group-by. */
typedef struct by_group {
    pmp_groupby *g;
    int have;                          /* 1: (at, val) is the next record */
    uint32_t at, val;
} by_group;

static int by_group_next(by_group *s, pmp_err *err)
{
    const void *k, *v;
    size_t kl, vl;
    int rc = s->g ? pmp_groupby_next(s->g, &k, &kl, &v, &vl, err) : 0;
    if (rc < 0) return -1;
    s->have = rc == 1;
    if (s->have) {
        if (kl != 4 || vl != 4) return pmp_err_setc(err, PMP_E_CORRUPT, "pmp-dedup: a spilled pair is damaged");
        s->at = rd_be32(k);
        s->val = rd_u32(v);
    }
    return 0;
}

/* (3) keep-first over the spooled groups, in input order. */
static int replay(finisher *f, int out_fd, pmp_err *err)
{
    pmp_dedup *d = f->d;
    pmp_dedup_ext *x = f->x;
    size_t P = d->mh.perms;
    by_group edges = {f->edges, 0, 0, 0}, big = {f->big, 0, 0, 0};
    if ((f->edges && pmp_groupby_finish(f->edges, err) != 0) || (f->big && pmp_groupby_finish(f->big, err) != 0))
        return -1;
    if (by_group_next(&edges, err) != 0 || by_group_next(&big, err) != 0) return -1;
    if (fflush(x->spool) != 0 || fseek(x->spool, 0, SEEK_SET) != 0)
        return stream_failed(x, "rewinding the spooled groups", err);
    pmp_buf out = PMP_BUF_INIT, line = PMP_BUF_INIT;
    u32vec ids = {0};
    uint16_t *mine = pmp_xmalloc(2 * P), *other = pmp_xmalloc(2 * P);
    int rc = 0;
    for (uint32_t g = x->prefix; g < x->n && rc == 0; g++) {
        uint32_t hdr[3];
        if (fread(hdr, sizeof hdr, 1, x->spool) != 1) {
            rc = stream_failed(x, "reading the spooled groups", err);
            break;
        }
        pmp_buf_clear(&line);
        pmp_buf_reserve(&line, hdr[0]);
        if (fread(line.data, 1, hdr[0], x->spool) != hdr[0]) {
            rc = stream_failed(x, "reading the spooled groups", err);
            break;
        }
        line.len = hdr[0];
        if (hdr[1] >= d->n_src) {
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "pmp-dedup: the spooled groups are damaged");
            break;
        }
        pmp_dedup_counts *c[2] = {&d->st.total, &d->src[hdr[1]].c};
        int dropped = 0;
        ids.n = 0;
        while (big.have && big.at <= g) {
            if (big.at == g) u32vec_push(&ids, big.val);
            if ((rc = by_group_next(&big, err)) != 0) break;
        }
        int near = 0;
        while (rc == 0 && edges.have && edges.at <= g) {
            if (edges.at == g && (edges.val < x->prefix || bit(f->kept, edges.val))) near = 1;
            rc = by_group_next(&edges, err);
        }
        if (rc != 0) break;
        if (bit(f->dup, g)) {
            for (int i = 0; i < 2; i++) c[i]->exact_dups++;
            dropped = 1;
        } else if (d->o.near > 0 && (hdr[2] & FLAG_SIG)) {
            if (!near && ids.n) {
                if ((rc = read_sig(f, g, mine, err)) != 0) break;
                for (size_t i = 0; i < ids.n && !near && rc == 0; i++) {
                    const u32vec *b = &f->buckets[ids.v[i]];
                    for (size_t j = 0; j < b->n && !near; j++) {
                        d->st.ext_pairs++;
                        if ((rc = read_sig(f, b->v[j], other, err)) != 0) break;
                        near = pmp_dedup_sig_estimate(&d->mh, other, mine) >= d->o.near;
                    }
                }
                if (rc != 0) break;
            }
            if (near) {
                for (int i = 0; i < 2; i++) c[i]->near_dups++;
                dropped = 1;
            } else {
                set_bit(f->kept, g);
                for (size_t i = 0; i < ids.n; i++) u32vec_push(&f->buckets[ids.v[i]], g);
            }
        } else if (d->o.near > 0) {
            d->st.no_words++;
        }
        if (dropped) continue;
        for (int i = 0; i < 2; i++) {
            c[i]->groups_out++;
            c[i]->rewritten += (hdr[2] & FLAG_REWRITTEN) != 0;
        }
        pmp_buf_append(&out, line.data, line.len);
        if (out.len >= (1u << 20)) rc = pmp_dedup_write_all(out_fd, &out, err);
    }
    if (rc == 0) rc = pmp_dedup_write_all(out_fd, &out, err);
    pmp_buf_free(&out);
    pmp_buf_free(&line);
    free(ids.v);
    free(mine);
    free(other);
    return rc;
}

int pmp_dedup_ext_finish(pmp_dedup *d, int out_fd, pmp_err *err)
{
    pmp_dedup_ext *x = d->ext;
    finisher f;
    memset(&f, 0, sizeof f);
    f.d = d;
    f.x = x;
    size_t words = ((size_t)x->n + 63) / 64 + 1;
    f.dup = pmp_xcalloc(words, 8);
    f.kept = pmp_xcalloc(words, 8);
    int rc = 0;
    if (fflush(x->spool) != 0 || (x->sigs && fflush(x->sigs) != 0))
        rc = stream_failed(x, "writing temporary files", err);
    if (rc == 0) rc = mark_exact(&f, err);
    if (rc == 0 && x->bands) {
        /* the band key group-by's merge buffers and these two share the other half */
        uint64_t eb = x->budget / 4, bb = x->budget / 8;
        if (eb < MIN_GROUPBY_BUDGET) eb = MIN_GROUPBY_BUDGET;
        if (bb < MIN_GROUPBY_BUDGET) bb = MIN_GROUPBY_BUDGET;
        f.big_bucket = d->o.big_bucket ? d->o.big_bucket : BIG_BUCKET;
        f.sigbuf = pmp_xmalloc(f.big_bucket * 2 * d->mh.perms);
        if (pmp_groupby_open(&f.edges, eb, x->tmpdir, err) != 0 || pmp_groupby_open(&f.big, bb, x->tmpdir, err) != 0)
            rc = -1;
        if (rc == 0) rc = pair_bands(&f, err);
    }
    if (rc == 0) rc = replay(&f, out_fd, err);
    d->st.spill_bytes = x->spool_bytes + x->sig_bytes + x->gb_bytes;
    d->st.spill_peak_bytes = x->spool_bytes + x->sig_bytes + x->gb_peak;
    if (f.edges) {
        d->st.spill_bytes += pmp_groupby_spill_bytes(f.edges) + pmp_groupby_spill_bytes(f.big);
        d->st.spill_peak_bytes += pmp_groupby_spill_peak(f.edges) + pmp_groupby_spill_peak(f.big);
    }
    pmp_groupby_close(f.edges);
    pmp_groupby_close(f.big);
    for (size_t i = 0; i < f.n_buckets; i++) free(f.buckets[i].v);
    free(f.buckets);
    free(f.members.v);
    free(f.sigbuf);
    free(f.dup);
    free(f.kept);
    return rc;
}

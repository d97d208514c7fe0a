/* dedup_run.c — the streaming pass: lines are read in batches, each batch is
 * analysed in parallel (parse, normalise, hash, sign, look up the evaluation
 * n-grams: all read-only work), then decided serially in input order against the
 * indexes of the groups kept so far, so the result is the same for any thread count. */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_internal.h"
#include "pmp_group.h"
#include "pmp_groupby.h"
#include "pmp_input.h"

#define BATCH_TEXT_BYTES ((size_t)32 << 20)
#define MAX_HITS_KEPT 64   /* evaluation items remembered per group (the count is exact) */

void pmp_dedup_opts_default(pmp_dedup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->near = PMP_DEDUP_DEFAULT_NEAR;
    o->shingle_words = PMP_DEDUP_DEFAULT_SHINGLE;
    o->perms = PMP_DEDUP_DEFAULT_PERMS;
    o->ngram = PMP_DEDUP_DEFAULT_NGRAM;
    o->seed = 0x706d702d64656475ull;   /* "pmp-dedu" */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    o->mem_bytes = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 2 : (uint64_t)4 << 30;
    o->max_line_bytes = (size_t)64 << 20;
    o->batch_groups = 2048;
}

unsigned pmp_dedup_auto_rows(double near, unsigned perms)
{
    for (unsigned r = 16; r >= 1; r--) {
        if (perms % r) continue;
        double p = 1 - pow(1 - pow(near, r), (double)(perms / r));
        if (p >= 0.995) return r;
    }
    return 1;
}

int pmp_dedup_opts_check(const pmp_dedup_opts *o, pmp_err *err)
{
    if (!(o->near >= 0 && o->near <= 1))
        return pmp_err_setc(err, PMP_E_USAGE, "--near: expected a Jaccard similarity in (0, 1]");
    if (o->perms < 1 || o->perms > PMP_DEDUP_MAX_PERMS)
        return pmp_err_setc(err, PMP_E_USAGE, "--perms: expected 1..%d", PMP_DEDUP_MAX_PERMS);
    if (o->bands && (o->bands > o->perms || o->perms % o->bands))
        return pmp_err_setc(err, PMP_E_USAGE, "--bands %u does not divide --perms %u", o->bands, o->perms);
    if (o->shingle_words < 1 || o->shingle_words > 64)
        return pmp_err_setc(err, PMP_E_USAGE, "--shingle: expected 1..64 words");
    if (o->ngram < 1 || o->ngram > 64)
        return pmp_err_setc(err, PMP_E_USAGE, "--ngram: expected 1..64 words");
    return 0;
}

unsigned pmp_dedup_opts_rows(const pmp_dedup_opts *o)
{
    return o->bands ? o->perms / o->bands : pmp_dedup_auto_rows(o->near > 0 ? o->near : 1, o->perms);
}

int pmp_dedup_new(pmp_dedup **out, const pmp_dedup_opts *o, pmp_err *err)
{
    *out = NULL;
    if (pmp_dedup_opts_check(o, err) < 0) return -1;
    /* the external mode's directory, checked now: a typo fails at the start, not at
     * the switch an hour into the input */
    const char *tmpdir;
    if (pmp_groupby_tmpdir(o->tmpdir, &tmpdir, err) != 0) return -1;
    pmp_dedup *d = pmp_xcalloc(1, sizeof *d);
    d->o = *o;
    if (!d->o.batch_groups) d->o.batch_groups = 2048;
    if (!d->o.max_line_bytes) d->o.max_line_bytes = (size_t)64 << 20;
    unsigned rows = pmp_dedup_opts_rows(o);
    pmp_dedup_minhash_init(&d->mh, o->perms, o->perms / rows, o->shingle_words, o->seed);
    pmp_dedup_lsh_init(&d->lsh, &d->mh);
    d->eval.n = o->ngram;
    *out = d;
    return 0;
}

void pmp_dedup_free(pmp_dedup *d)
{
    if (!d) return;
    pmp_dedup_ext_free(d->ext);
    pmp_dedup_lsh_free(&d->lsh);
    pmp_dedup_minhash_free(&d->mh);
    pmp_dedup_keyset_free(&d->exact);
    pmp_dedup_evalset_free(&d->eval);
    for (size_t i = 0; i < d->n_src; i++) free(d->src[i].name);
    free(d->src);
    free(d);
}

/* ---------- analysis of one group (parallel) ---------- */

typedef struct feat {
    char *err;                 /* parse error, or NULL */
    char *source;
    uint32_t n_resp, n_kept;
    int doc;                   /* a text document {"source", "id", "text"}: no responses */
    uint64_t key[2];
    size_t shingles;           /* 0: no words, no signature */
    uint64_t n_hits;           /* distinct evaluation items hit */
    uint32_t hits[MAX_HITS_KEPT];
    char *rewritten;           /* the group without its repeated responses */
    size_t rewritten_len;
    size_t text_bytes;
} feat;

typedef struct worker {
    pmp_group_parser *gp;
    pmp_group g;
    pmp_dedup_text_scratch ts;
    pmp_dedup_u64vec words, shingle_words, joined;
    size_t *span;              /* word offsets: text t is words[span[t] .. span[t + 1]) */
    uint64_t (*rh)[3];         /* per response: hash low, high, index */
    uint8_t *drop;             /* per response: repeated, dropped */
    size_t cap;
} worker;

static void worker_free(worker *w)
{
    pmp_group_parser_free(w->gp);
    pmp_group_clear(&w->g);
    pmp_dedup_text_scratch_free(&w->ts);
    free(w->words.v);
    free(w->shingle_words.v);
    free(w->joined.v);
    free(w->span);
    free(w->rh);
    free(w->drop);
}

static int cmp_rh(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

static void add_hit(feat *f, uint32_t item)
{
    size_t kept = f->n_hits < MAX_HITS_KEPT ? f->n_hits : MAX_HITS_KEPT;
    for (size_t i = 0; i < kept; i++)
        if (f->hits[i] == item) return;
    if (f->n_hits < MAX_HITS_KEPT) f->hits[f->n_hits] = item;
    f->n_hits++;
}

static void check_ngram(const pmp_dedup *d, feat *f, uint64_t h)
{
    if (!pmp_dedup_evalset_maybe(&d->eval, h)) return;
    int64_t it = pmp_dedup_evalset_find(&d->eval, h);
    if (it >= 0) add_hit(f, (uint32_t)it);
}

static void analyse(const pmp_dedup *d, worker *w, const char *line, size_t len, feat *f, uint32_t *sig)
{
    memset(f, 0, sizeof *f);
    pmp_err perr;
    pmp_group *g = &w->g;
    if (pmp_group_parser_parse(w->gp, g, line, len, 1, &perr) < 0) {
        f->err = pmp_xstrdup(perr.msg);
        return;
    }
    f->source = pmp_xstrdup(g->source);
    size_t nr = g->n_responses;
    f->n_resp = (uint32_t)nr;
    f->doc = nr == 0;   /* a group has at least 2 responses (the parser checks) */
    if (nr + 2 > w->cap) {
        w->cap = nr + 2;
        w->span = pmp_xrealloc(w->span, w->cap * sizeof *w->span);
        w->rh = pmp_xrealloc(w->rh, w->cap * sizeof *w->rh);
        w->drop = pmp_xrealloc(w->drop, w->cap);
    }
    uint64_t h[2], ctx_h[2];
    w->words.n = 0;
    w->span[0] = 0;
    pmp_dedup_text_scan(&w->ts, g->context, g->context_len, ctx_h, &w->words);
    f->text_bytes = g->context_len;
    for (size_t i = 0; i < nr; i++) {
        w->span[i + 1] = w->words.n;
        pmp_dedup_text_scan(&w->ts, g->responses[i].text, g->responses[i].text_len, h, &w->words);
        w->rh[i][0] = h[0];
        w->rh[i][1] = h[1];
        w->rh[i][2] = i;
        f->text_bytes += g->responses[i].text_len;
    }
    w->span[nr + 1] = w->words.n;

    /* Rule 1: a response equal to an earlier one of the group goes. Sorted by
     * (hash, index), the first of each run of equal hashes is the one kept. */
    qsort(w->rh, nr, sizeof *w->rh, cmp_rh);
    uint8_t *drop = w->drop;
    memset(drop, 0, nr);
    XXH3_state_t st;
    XXH3_128bits_reset(&st);
    XXH3_128bits_update(&st, ctx_h, sizeof ctx_h);
    if (f->doc) XXH3_128bits_update(&st, "doc", 3);   /* a document never equals a group */
    f->n_kept = 0;
    for (size_t i = 0; i < nr; i++) {
        if (i && w->rh[i][0] == w->rh[i - 1][0] && w->rh[i][1] == w->rh[i - 1][1]) {
            drop[w->rh[i][2]] = 1;
            continue;
        }
        f->n_kept++;
        XXH3_128bits_update(&st, w->rh[i], 2 * sizeof(uint64_t));
    }
    XXH128_hash_t key = XXH3_128bits_digest(&st);
    f->key[0] = key.low64;
    f->key[1] = key.high64;

    /* Rule 2: the word sequence context + response, for every response, against the
     * evaluation set: each of its n-grams (the context's are looked up once), or the whole
     * sequence when it has fewer than n words. */
    if (d->eval.used) {
        unsigned n = d->eval.n;
        size_t c0 = w->span[0], c1 = w->span[1], nc = c1 - c0;
        for (size_t i = c0; i + n <= c1; i++) check_ngram(d, f, pmp_dedup_ngram_hash(w->words.v + i, n));
        if (f->doc && nc > 0 && nc < n) check_ngram(d, f, pmp_dedup_short_hash(w->words.v + c0, nc));
        for (size_t t = 0; t < nr; t++) {
            if (drop[t]) continue;
            pmp_dedup_u64vec *j = &w->joined;
            j->n = 0;
            size_t tail = nc < n - 1 ? nc : n - 1;   /* context words an n-gram can span from */
            for (size_t i = c1 - tail; i < c1; i++) pmp_dedup_u64vec_push(j, w->words.v[i]);
            for (size_t i = w->span[t + 1]; i < w->span[t + 2]; i++) pmp_dedup_u64vec_push(j, w->words.v[i]);
            if (nc + (j->n - tail) < n) {
                if (nc + j->n - tail > 0) {
                    /* the whole sequence: context (all of it is in the tail) + response */
                    check_ngram(d, f, pmp_dedup_short_hash(j->v, j->n));
                }
                continue;
            }
            for (size_t i = 0; i + n <= j->n; i++) check_ngram(d, f, pmp_dedup_ngram_hash(j->v + i, n));
        }
    }

    /* Rule 4's text: the context, then the best response (highest score, first on ties). */
    if (d->o.near > 0) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < nr; i++)
            if (!drop[i] && (best == SIZE_MAX || g->responses[i].score > g->responses[best].score)) best = i;
        pmp_dedup_u64vec *sw = &w->shingle_words;
        sw->n = 0;
        for (size_t i = w->span[0]; i < w->span[1]; i++) pmp_dedup_u64vec_push(sw, w->words.v[i]);
        if (best != SIZE_MAX)
            for (size_t i = w->span[best + 1]; i < w->span[best + 2]; i++) pmp_dedup_u64vec_push(sw, w->words.v[i]);
        f->shingles = pmp_dedup_signature(&d->mh, sw->v, sw->n, sig);
    }

    if (f->n_kept < nr && f->n_kept >= 2) {
        size_t k = 0;
        for (size_t i = 0; i < nr; i++) {
            if (drop[i]) {
                free(g->responses[i].id);
                free(g->responses[i].text);
            } else {
                g->responses[k++] = g->responses[i];
            }
        }
        g->n_responses = k;
        pmp_buf out = PMP_BUF_INIT;
        pmp_group_to_json(&out, g);
        f->rewritten_len = out.len;
        f->rewritten = pmp_buf_detach(&out);
    }
}

static void feat_free(feat *f)
{
    free(f->err);
    free(f->source);
    free(f->rewritten);
}

/* ---------- the run ---------- */

typedef struct run {
    pmp_dedup *d;
    int out_fd;
    pmp_buf out;
    worker *workers;
    int threads;
    /* the batch */
    pmp_buf lines;
    size_t *off, *len;
    uint64_t *lineno;
    size_t n, cap;
    feat *feats;
    uint32_t *sigs;
    const char *name;          /* of the input being read */
    uint64_t consumed;         /* compressed bytes consumed so far (progress) */
} run;

int pmp_dedup_write_all(int fd, pmp_buf *b, pmp_err *err)
{
    const char *p = b->data;
    size_t n = b->len;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return pmp_err_errno(err, errno, "standard output: write");
        p += k;
        n -= (size_t)k;
    }
    pmp_buf_clear(b);
    return 0;
}

static int flush_out(run *r, pmp_err *err) { return pmp_dedup_write_all(r->out_fd, &r->out, err); }

/* Returns 0 when group k's rules 3 and 4 can be decided in memory (the indexes after
 * it stay within half of --mem), else switches to the external mode: then d->ext is
 * set (or an error returned). */
static int switch_external(run *r, const feat *f, pmp_err *err)
{
    pmp_dedup *d = r->d;
    uint64_t need = pmp_dedup_keyset_bytes_after_insert(&d->exact) + pmp_dedup_evalset_bytes(&d->eval) +
                    (d->o.near > 0 && f->shingles ? pmp_dedup_lsh_bytes_after_insert(&d->lsh)
                                                  : pmp_dedup_lsh_bytes(&d->lsh));
    if (need <= d->o.mem_bytes / 2) return 0;
    if (pmp_dedup_ext_start(d, err) != 0) return -1;
    return 1;
}

static int decide(run *r, size_t k, pmp_err *err)
{
    pmp_dedup *d = r->d;
    feat *f = &r->feats[k];
    if (f->err) {
        if (!d->o.skip_bad)
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s", r->name, (unsigned long long)r->lineno[k], f->err);
        d->st.total.bad_lines++;
        return 0;
    }
    pmp_dedup_counts *c[2] = {&d->st.total, pmp_dedup_source_counts(d, f->source)};
    for (int i = 0; i < 2; i++) {
        c[i]->groups_in++;
        c[i]->responses_dropped += f->n_resp - f->n_kept;
    }
    d->st.text_bytes += f->text_bytes;
    d->st.shingles += f->shingles;
    uint64_t *which = NULL;
    if (!f->doc && f->n_kept < 2) {
        which = &c[0]->groups_too_few;
    } else if (f->n_hits) {
        which = &c[0]->contaminated;
        size_t kept = f->n_hits < MAX_HITS_KEPT ? f->n_hits : MAX_HITS_KEPT;
        for (size_t i = 0; i < kept; i++) d->eval.hits[f->hits[i]]++;
    } else if (d->ext || switch_external(r, f, err) != 0) {
        /* rules 3 and 4 at the end of the input (dedup_external.c) */
        if (!d->ext) return -1;
        const char *bytes = f->rewritten ? f->rewritten : r->lines.data + r->off[k];
        size_t len = f->rewritten ? f->rewritten_len : r->len[k];
        const uint32_t *sig = d->o.near > 0 && f->shingles ? r->sigs + k * d->mh.perms : NULL;
        size_t src = (size_t)((pmp_dedup_source *)((char *)c[1] - offsetof(pmp_dedup_source, c)) - d->src);
        return pmp_dedup_ext_add(d, f->key, sig, src, bytes, len, f->rewritten != NULL, err);
    } else {
        if (pmp_dedup_keyset_add(&d->exact, f->key)) {
            which = &c[0]->exact_dups;
        } else if (d->o.near > 0 && f->shingles) {
            const uint32_t *sig = r->sigs + k * d->mh.perms;
            if (pmp_dedup_lsh_query(&d->lsh, sig, d->o.near, &d->st.candidates))
                which = &c[0]->near_dups;
            else
                pmp_dedup_lsh_insert(&d->lsh, sig);
        } else if (d->o.near > 0) {
            d->st.no_words++;
        }
    }
    if (which) {
        /* the same counter in the source's counts */
        size_t off = (size_t)((char *)which - (char *)c[0]);
        (*which)++;
        (*(uint64_t *)((char *)c[1] + off))++;
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        c[i]->groups_out++;
        c[i]->rewritten += f->rewritten != NULL;
    }
    if (f->rewritten)
        pmp_buf_append(&r->out, f->rewritten, f->rewritten_len);
    else {
        pmp_buf_append(&r->out, r->lines.data + r->off[k], r->len[k]);
        pmp_buf_appendc(&r->out, '\n');
    }
    return 0;
}

static int process_batch(run *r, pmp_err *err)
{
    pmp_dedup *d = r->d;
    if (!r->n) return 0;
    double t0 = pmp_now();
    size_t P = d->mh.perms;
#pragma omp parallel for schedule(dynamic, 4) num_threads(r->threads)
    for (size_t k = 0; k < r->n; k++)
        analyse(d, &r->workers[omp_get_thread_num()], r->lines.data + r->off[k], r->len[k], &r->feats[k],
                r->sigs + k * P);
    double t1 = pmp_now();
    int rc = 0;
    for (size_t k = 0; k < r->n && rc == 0; k++) rc = decide(r, k, err);
    for (size_t k = 0; k < r->n; k++) feat_free(&r->feats[k]);
    d->st.seconds_analyse += t1 - t0;
    d->st.seconds_decide += pmp_now() - t1;
    r->n = 0;
    pmp_buf_clear(&r->lines);
    if (flush_out(r, rc < 0 ? NULL : err) < 0 && rc == 0) rc = -1;
    return rc;
}

static void batch_add(run *r, const char *line, size_t len, uint64_t lineno)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->off = pmp_xrealloc(r->off, r->cap * sizeof *r->off);
        r->len = pmp_xrealloc(r->len, r->cap * sizeof *r->len);
        r->lineno = pmp_xrealloc(r->lineno, r->cap * sizeof *r->lineno);
        r->feats = pmp_xrealloc(r->feats, r->cap * sizeof *r->feats);
        r->sigs = pmp_xrealloc(r->sigs, r->cap * r->d->mh.perms * sizeof *r->sigs);
    }
    r->off[r->n] = r->lines.len;
    r->len[r->n] = len;
    r->lineno[r->n] = lineno;
    pmp_buf_append(&r->lines, line, len);
    r->n++;
}

/* The input failed at a point after the batch's lines: decide and write those first
 * (an error among them comes first in the input, so it is the one reported). */
static int finish_batch_then_fail(run *r, pmp_err *err)
{
    pmp_err earlier;
    if (process_batch(r, &earlier) < 0) *err = earlier;
    return -1;
}

static int read_input(run *r, pmp_input *in, uint64_t base, pmp_err *err)
{
    pmp_dedup *d = r->d;
    for (;;) {
        const char *line;
        size_t len;
        int got = pmp_input_line(in, &line, &len, err);
        if (got < 0) return finish_batch_then_fail(r, err);
        if (got == 0) return process_batch(r, err);
        uint64_t lineno = pmp_input_line_number(in);
        d->st.input_bytes += len + 1;
        r->consumed = base + pmp_input_offset(in);
        if (got == PMP_INPUT_LONG_LINE) {
            if (!d->o.skip_bad) {
                pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: line longer than --max-line-bytes (%zu bytes)",
                             r->name, (unsigned long long)lineno, d->o.max_line_bytes);
                return finish_batch_then_fail(r, err);
            }
            d->st.total.bad_lines++;
            continue;
        }
        static const char failed[] = "{\"" PMP_ERROR_RECORD_KEY "\"";
        if (len >= sizeof failed - 1 && memcmp(line, failed, sizeof failed - 1) == 0) {
            /* even with --skip-bad: the lines before it may be wrong too */
            pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: the stage that wrote this input failed: %.*s",
                         r->name, (unsigned long long)lineno, (int)(len < 400 ? len : 400), line);
            return finish_batch_then_fail(r, err);
        }
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        batch_add(r, line, len, lineno);
        if (d->o.progress) d->o.progress(d->o.ctx, r->consumed, d->st.total.groups_in + r->n);
        if (r->n >= d->o.batch_groups || r->lines.len >= BATCH_TEXT_BYTES)
            if (process_batch(r, err) < 0) return -1;
    }
}

int pmp_dedup_run(pmp_dedup *d, const char *const *paths, size_t n_paths, int out_fd, pmp_err *err)
{
    static const char *const stdin_only[] = {"-"};
    if (!n_paths) {
        paths = stdin_only;
        n_paths = 1;
    }
    run r;
    memset(&r, 0, sizeof r);
    r.d = d;
    r.out_fd = out_fd;
    r.threads = d->o.threads > 0 ? d->o.threads : omp_get_max_threads();
    d->st.threads = r.threads;
    r.workers = pmp_xcalloc((size_t)r.threads, sizeof *r.workers);
    for (int t = 0; t < r.threads; t++) {
        r.workers[t].gp = pmp_group_parser_new();
        pmp_group_init(&r.workers[t].g);
    }
    int rc = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < n_paths && rc == 0; i++) {
        pmp_input *in;
        if (pmp_input_open(&in, paths[i], err) < 0) {
            rc = -1;
            break;
        }
        pmp_input_set_max_line(in, d->o.max_line_bytes);
        r.name = pmp_input_name(in);
        rc = read_input(&r, in, base, err);
        base += pmp_input_offset(in);
        pmp_input_close(in);
    }
    /* The groups spooled before an input error are decided and written as in memory
     * mode (an error of the external mode itself ends the run). */
    if (d->ext && (rc == 0 || err->code == PMP_E_INPUT)) {
        pmp_err e2;
        if (pmp_dedup_ext_finish(d, out_fd, &e2) != 0 && rc == 0) {
            *err = e2;
            rc = -1;
        }
    }
    for (int t = 0; t < r.threads; t++) worker_free(&r.workers[t]);
    free(r.workers);
    pmp_buf_free(&r.out);
    pmp_buf_free(&r.lines);
    free(r.off);
    free(r.len);
    free(r.lineno);
    free(r.feats);
    free(r.sigs);
    return rc;
}

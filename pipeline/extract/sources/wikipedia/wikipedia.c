/* wikipedia.c — identity reverts in a revision stream, and the groups they make.
 *
 * Per page we keep a ring of the last `radius` revisions (hash, id, timestamp)
 * and the text of the previous revision. A revert R restores G's text exactly,
 * so R's own text stands in for G's: the only texts a diff needs are R's and
 * B's (the previous one), whatever the radius.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pmp_wikipedia.h"

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmp_input.h"
#include "wikitext.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Case-insensitive PCRE2 pattern for vandalism-revert edit comments. */
static const char pmp_wiki_default_comment_pattern[] =
    "vandal|\\brvv?\\b|reverted edits by|cluebot|huggle|\\(hg\\)";

enum { KIND_UNKNOWN = 0, KIND_SHA1, KIND_TEXT };

typedef struct slot {
    XXH128_hash_t hash;
    int kind;
    char id[32];
    char ts[32];
} slot;

struct pmp_wiki {
    pmp_wiki_options o;
    pmp_input *in;
    pmp_wiki_xml *xml;
    pmp_wikitext *wt;
    pcre2_code *re;
    pcre2_match_data *md;
    char *chunk;
    int eof;
    pmp_wiki_stats st;
    /* current page */
    slot *ring;          /* radius + 1 slots, indexed by revision number mod size */
    uint64_t nrev;       /* revisions seen in this page */
    pmp_buf prev_text;   /* text of revision nrev - 1 */
    pmp_buf prev_user;
    int page_used;       /* the page's revisions are read */
    int prev_deleted;    /* --text: revision nrev - 1's text is deleted */
    /* cleaned texts by raw-text hash: edit wars revert to the same few
     * versions over and over, and each costs a full wikitext pass */
    struct {
        XXH128_hash_t hash;
        uint64_t stamp;   /* 0 = empty */
        pmp_buf text;
    } cache[8];
    uint64_t clock;
    const pmp_buf *clean_g, *clean_b;
    pmp_buf scratch;
    /* groups waiting to be returned */
    pmp_group *queue;
    size_t qhead, qlen, qcap;
};

enum { CHUNK = 1 << 18 };

void pmp_wiki_options_init(pmp_wiki_options *o)
{
    memset(o, 0, sizeof *o);
    o->radius = 15;
    o->context_chars = 2000;
    o->max_change_chars = 2000;
    o->ns[0] = 0;
    o->n_ns = 1;
}

static int ns_wanted(const pmp_wiki_options *o, int ns)
{
    if (o->all_ns) return 1;
    for (size_t i = 0; i < o->n_ns; i++)
        if (o->ns[i] == ns) return 1;
    return 0;
}

static int on_page(void *ud, const pmp_wiki_page *p)
{
    pmp_wiki *w = ud;
    w->st.pages++;
    w->nrev = 0;
    pmp_buf_clear(&w->prev_text);
    if (!ns_wanted(&w->o, p->ns)) return 0;
    if (p->redirect) {
        w->st.redirects++;
        return 0;
    }
    w->st.pages_used++;
    w->page_used = 1;
    return 1;
}

static pmp_group *queue_push(pmp_wiki *w);

/* --text: the page's last revision as one document (its wikitext cleaned to plain
 * text), unless that text is deleted or cleans to nothing. */
static void on_page_end(void *ud, const pmp_wiki_page *p)
{
    pmp_wiki *w = ud;
    int used = w->page_used;
    w->page_used = 0;
    if (!w->o.latest_text || !used || w->nrev == 0 || w->prev_deleted) return;
    pmp_buf_clear(&w->scratch);
    pmp_wikitext_clean(w->wt, w->prev_text.data ? w->prev_text.data : "", w->prev_text.len, &w->scratch);
    if (w->scratch.len == 0) return;
    const slot *last = &w->ring[(w->nrev - 1) % ((size_t)w->o.radius + 1)];
    pmp_group *g = queue_push(w);
    pmp_buf gid = PMP_BUF_INIT;
    pmp_buf_printf(&gid, "wikipedia/%s/%s", p->title, last->id);
    pmp_group_set(g, "wikipedia", gid.data, w->scratch.data, w->scratch.len);
    pmp_buf_clear(&gid);   /* the page, as its revert groups have it */
    pmp_buf_printf(&gid, "wikipedia/%s", p->title);
    pmp_group_set_split_key(g, gid.data, gid.len);
    pmp_buf_free(&gid);
    w->st.groups++;
}

static double parse_ts(const char *ts)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return NAN;
    return (double)timegm(&tm);
}

static size_t count_cp(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\n';
}

/* Equal once every run of white space counts as one space. */
static int same_words(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < an && is_ws(a[i])) i++;
        while (j < bn && is_ws(b[j])) j++;
        if (i == an || j == bn) return i == an && j == bn;
        while (i < an && j < bn && !is_ws(a[i]) && !is_ws(b[j])) {
            if (a[i] != b[j]) return 0;
            i++, j++;
        }
        if ((i == an || is_ws(a[i])) != (j == bn || is_ws(b[j]))) return 0;
    }
}

/* Start of the context before `end`: at most `budget` code points back, moved
 * forward to a paragraph (else line, else word) start so nothing is cut. */
static size_t context_start(const char *s, size_t end, size_t budget)
{
    size_t i = end, cp = 0;
    while (i > 0 && cp < budget) {
        i--;
        if (((unsigned char)s[i] & 0xC0) != 0x80) cp++;
    }
    if (i == 0) return 0;
    const char *p = memmem(s + i, end - i, "\n\n", 2);
    if (p) return (size_t)(p - s) + 2;
    p = memchr(s + i, '\n', end - i);
    if (p) return (size_t)(p - s) + 1;
    p = memchr(s + i, ' ', end - i);
    return p ? (size_t)(p - s) + 1 : end;
}

/* End of the context after `start`, symmetric to context_start. */
static size_t context_end(const char *s, size_t len, size_t start, size_t budget)
{
    size_t i = start, cp = 0;
    while (i < len && cp < budget) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        cp++;
    }
    if (i >= len) return len;
    for (size_t k = i; k > start + 1; k--)
        if (s[k - 1] == '\n' && s[k - 2] == '\n') return k - 2;
    for (size_t k = i; k > start; k--)
        if (s[k - 1] == '\n' || s[k - 1] == ' ') return k - 1;
    return start;
}

static void trim_span(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && (s[*a] == ' ' || s[*a] == '\n')) (*a)++;
    while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\n')) (*b)--;
}

static pmp_group *queue_push(pmp_wiki *w)
{
    if (w->qhead + w->qlen == w->qcap) {
        if (w->qhead > 0) {
            memmove(w->queue, w->queue + w->qhead, w->qlen * sizeof *w->queue);
            w->qhead = 0;
        } else {
            w->qcap = w->qcap ? 2 * w->qcap : 16;
            w->queue = pmp_xrealloc(w->queue, w->qcap * sizeof *w->queue);
        }
    }
    pmp_group *g = &w->queue[w->qhead + w->qlen++];
    pmp_group_init(g);
    return g;
}

static void emit_group(pmp_wiki *w, const pmp_wiki_page *p, const pmp_wiki_rev *r,
                       const slot *gs, const slot *bs, const pmp_wiki_region *reg, int n)
{
    const char *G = w->clean_g->data ? w->clean_g->data : "";
    const char *B = w->clean_b->data ? w->clean_b->data : "";
    size_t glen = w->clean_g->len;
    pmp_buf *ctx = &w->scratch;
    pmp_buf_clear(ctx);
    pmp_buf_appends(ctx, p->title);
    size_t before_budget = w->o.context_chars * 2 / 3;
    size_t cs = context_start(G, reg->g_start, before_budget), ce0 = reg->g_start;
    trim_span(G, &cs, &ce0);
    /* what the text before leaves of the budget goes to the text after */
    size_t used = count_cp(G + cs, ce0 - cs);
    size_t after_budget = used < w->o.context_chars ? w->o.context_chars - used : 0;
    size_t as = reg->g_end;
    size_t ae = context_end(G, glen, as, after_budget);
    trim_span(G, &as, &ae);
    if (ce0 > cs) {
        pmp_buf_appends(ctx, "\n\n");
        pmp_buf_append(ctx, G + cs, ce0 - cs);
    }
    if (ae > as) {
        pmp_buf_appends(ctx, "\n\n[...]\n\n");
        pmp_buf_append(ctx, G + as, ae - as);
    }

    pmp_group *g = queue_push(w);
    pmp_buf gid = PMP_BUF_INIT;
    pmp_buf_printf(&gid, "wikipedia/%s/%s/%d", p->title, r->id, n);
    pmp_group_set(g, "wikipedia", gid.data, ctx->data, ctx->len);
    /* the page: its reverts share paragraphs, so they split together */
    pmp_buf_clear(&gid);
    pmp_buf_printf(&gid, "wikipedia/%s", p->title);
    pmp_group_set_split_key(g, gid.data, gid.len);
    pmp_buf_free(&gid);
    pmp_response *rg = pmp_group_add_response(g, gs->id, G + reg->g_start,
                                              reg->g_end - reg->g_start, 1);
    rg->created_utc = parse_ts(gs->ts);
    pmp_response *rb = pmp_group_add_response(g, bs->id, B + reg->b_start,
                                              reg->b_end - reg->b_start, 0);
    rb->created_utc = parse_ts(bs->ts);

    pmp_buf meta = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &meta);
    pmp_jobj_str(&j, "page_id", p->id);
    pmp_jobj_str(&j, "title", p->title);
    pmp_jobj_num(&j, "ns", p->ns);
    pmp_jobj_str(&j, "revert_rev", r->id);
    pmp_jobj_str(&j, "good_rev", gs->id);
    pmp_jobj_str(&j, "bad_rev", bs->id);
    pmp_jobj_str(&j, "revert_timestamp", r->timestamp);
    pmp_jobj_str(&j, "good_timestamp", gs->ts);
    pmp_jobj_str(&j, "bad_timestamp", bs->ts);
    pmp_jobj_str(&j, "comment", r->comment);
    pmp_jobj_str(&j, "revert_user", r->user);
    pmp_jobj_str(&j, "bad_user", w->prev_user.data ? w->prev_user.data : "");
    pmp_jobj_end(&j);
    pmp_group_set_meta(g, pmp_buf_detach(&meta));
    w->st.groups++;
}

/* The plain text of raw wikitext, from the cache when it was cleaned recently. */
static const pmp_buf *clean_cached(pmp_wiki *w, const char *raw, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(raw, len);
    size_t victim = 0;
    for (size_t i = 0; i < sizeof w->cache / sizeof w->cache[0]; i++) {
        if (w->cache[i].stamp && XXH128_isEqual(w->cache[i].hash, h)) {
            w->cache[i].stamp = ++w->clock;
            return &w->cache[i].text;
        }
        if (w->cache[i].stamp < w->cache[victim].stamp) victim = i;
    }
    w->cache[victim].hash = h;
    w->cache[victim].stamp = ++w->clock;
    pmp_buf_clear(&w->cache[victim].text);
    pmp_wikitext_clean(w->wt, raw, len, &w->cache[victim].text);
    pmp_buf_reserve(&w->cache[victim].text, 0);   /* data never NULL */
    return &w->cache[victim].text;
}

static void handle_revert(pmp_wiki *w, const pmp_wiki_page *p, const pmp_wiki_rev *r,
                          const slot *gs, const slot *bs)
{
    w->st.reverts++;
    int match = pcre2_match(w->re, (PCRE2_SPTR)r->comment, strlen(r->comment), 0, 0, w->md,
                            NULL) >= 0;
    if (w->o.on_revert) {
        pmp_wiki_revert rv = {p->id, p->title, p->ns, r->id, gs->id, bs->id, r->comment, match};
        w->o.on_revert(w->o.ud, &rv);
    }
    if (!match && !w->o.any_revert) return;
    /* An editor undoing their own last edit is no judgement of it: B is not
     * vandalism someone else caught, so the pair says nothing about quality. */
    if (!w->o.keep_self_reverts && r->user[0] && strlen(r->user) == w->prev_user.len &&
        !memcmp(r->user, w->prev_user.data, w->prev_user.len)) {
        w->st.self_reverts++;
        return;
    }
    w->st.reverts_kept++;
    /* the second lookup cannot evict the first: it was just stamped newest */
    w->clean_g = clean_cached(w, r->text->data, r->text->len);
    w->clean_b = clean_cached(w, w->prev_text.data ? w->prev_text.data : "", w->prev_text.len);
    const char *G = w->clean_g->data, *B = w->clean_b->data;
    pmp_wiki_region *reg = NULL;
    size_t n = pmp_wiki_diff(G, w->clean_g->len, B, w->clean_b->len, &reg);
    if (n == 0) w->st.reverts_no_change++;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        const pmp_wiki_region *x = &reg[i];
        w->st.regions++;
        size_t gl = x->g_end - x->g_start, bl = x->b_end - x->b_start;
        if (x->blank) {
            w->st.blanking++;
            if (!w->o.keep_blanking) continue;
        }
        if (same_words(G + x->g_start, gl, B + x->b_start, bl)) {
            w->st.regions_same++;
            continue;
        }
        if (count_cp(G + x->g_start, gl) > w->o.max_change_chars ||
            count_cp(B + x->b_start, bl) > w->o.max_change_chars) {
            w->st.regions_too_large++;
            continue;
        }
        emit_group(w, p, r, gs, bs, x, k++);
    }
    free(reg);
}

static void on_revision(void *ud, const pmp_wiki_page *p, const pmp_wiki_rev *r)
{
    pmp_wiki *w = ud;
    w->st.revisions++;
    size_t size = (size_t)w->o.radius + 1;
    slot *cur = &w->ring[w->nrev % size];
    memset(cur, 0, sizeof *cur);
    snprintf(cur->id, sizeof cur->id, "%s", r->id);
    snprintf(cur->ts, sizeof cur->ts, "%s", r->timestamp);
    if (r->text_deleted) {
        cur->kind = KIND_UNKNOWN;
    } else if (r->sha1[0]) {
        cur->kind = KIND_SHA1;
        cur->hash = XXH3_128bits(r->sha1, strlen(r->sha1));
    } else {
        cur->kind = KIND_TEXT;
        cur->hash = XXH3_128bits(r->text->data, r->text->len);
    }
    const slot *prev = w->nrev >= 1 ? &w->ring[(w->nrev - 1) % size] : NULL;
    w->prev_deleted = r->text_deleted;
    if (!w->o.latest_text && cur->kind != KIND_UNKNOWN && w->nrev >= 2 && prev->kind != KIND_UNKNOWN &&
        !(prev->kind == cur->kind && XXH128_isEqual(prev->hash, cur->hash))) {
        uint64_t lo = w->nrev > (uint64_t)w->o.radius ? w->nrev - (uint64_t)w->o.radius : 0;
        for (uint64_t j = w->nrev - 1; j-- > lo;) {
            const slot *s = &w->ring[j % size];
            if (s->kind == cur->kind && XXH128_isEqual(s->hash, cur->hash)) {
                handle_revert(w, p, r, s, prev);
                break;
            }
        }
    }
    /* this revision's text becomes the previous one */
    pmp_buf t = w->prev_text;
    w->prev_text = *r->text;
    *r->text = t;
    pmp_buf_clear(&w->prev_user);
    pmp_buf_appends(&w->prev_user, r->user);
    w->nrev++;
}

int pmp_wiki_open(pmp_wiki **out, const char *path, const pmp_wiki_options *o, pmp_err *err)
{
    pmp_wiki *w = pmp_xcalloc(1, sizeof *w);
    w->o = *o;
    if (w->o.radius < 2) {
        free(w);
        return pmp_err_setc(err, PMP_E_USAGE, "radius must be at least 2 (got %d)", o->radius);
    }
    const char *pat = o->comment_pattern ? o->comment_pattern : pmp_wiki_default_comment_pattern;
    int ec;
    PCRE2_SIZE eo;
    w->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                          PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    if (!w->re) {
        PCRE2_UCHAR m[256];
        pcre2_get_error_message(ec, m, sizeof m);
        free(w);
        return pmp_err_setc(err, PMP_E_USAGE, "comment pattern at offset %zu: %s", (size_t)eo, m);
    }
    pcre2_jit_compile(w->re, PCRE2_JIT_COMPLETE);
    w->md = pcre2_match_data_create_from_pattern(w->re, NULL);
    if (pmp_wikitext_new(&w->wt, err) < 0 || pmp_input_open(&w->in, path, err) < 0) {
        pmp_wiki_close(w);
        return -1;
    }
    w->ring = pmp_xcalloc((size_t)w->o.radius + 1, sizeof *w->ring);
    w->chunk = pmp_xmalloc(CHUNK);
    pmp_wiki_xml_cb cb = {on_page, on_revision, on_page_end, w};
    w->xml = pmp_wiki_xml_new(pmp_input_name(w->in), &cb);
    *out = w;
    return 0;
}

int pmp_wiki_next(pmp_wiki *w, pmp_group *g, pmp_err *err)
{
    while (w->qlen == 0) {
        if (w->eof) return 0;
        ssize_t n = pmp_input_read(w->in, w->chunk, CHUNK, err);
        if (n < 0) return -1;
        w->st.xml_bytes += (uint64_t)n;
        if (n == 0) {
            w->eof = 1;
            if (w->st.xml_bytes == 0)
                return pmp_err_setc(err, PMP_E_INPUT, "%s: empty input: no XML", pmp_input_name(w->in));
        }
        if (pmp_wiki_xml_feed(w->xml, w->chunk, (size_t)n, n == 0, err) < 0) return -1;
    }
    pmp_group_clear(g);
    *g = w->queue[w->qhead++];
    w->qlen--;
    if (w->qlen == 0) w->qhead = 0;
    return 1;
}

const pmp_wiki_stats *pmp_wiki_get_stats(const pmp_wiki *w)
{
    return &w->st;
}

void pmp_wiki_close(pmp_wiki *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->qlen; i++) pmp_group_clear(&w->queue[w->qhead + i]);
    free(w->queue);
    pmp_wiki_xml_free(w->xml);
    pmp_input_close(w->in);
    pmp_wikitext_free(w->wt);
    pcre2_match_data_free(w->md);
    pcre2_code_free(w->re);
    pmp_buf_free(&w->prev_text);
    pmp_buf_free(&w->prev_user);
    for (size_t i = 0; i < sizeof w->cache / sizeof w->cache[0]; i++)
        pmp_buf_free(&w->cache[i].text);
    pmp_buf_free(&w->scratch);
    free(w->ring);
    free(w->chunk);
    free(w);
}

/* ---- the source interface: every input pushed to the sink ---- */

typedef struct extract_run {
    const pmp_extract_sink *sink;
    pmp_wiki_stats *st;       /* summed over the inputs read so far */
    pmp_err list_err;         /* list_reverts: the first write error */
    int list_failed;
} extract_run;

static void print_revert(void *ud, const pmp_wiki_revert *r)
{
    extract_run *x = ud;
    if (x->list_failed) return;   /* the first write error is the one reported */
    pmp_buf line = PMP_BUF_INIT;
    pmp_buf_printf(&line, "%s\t%s\t%s\t%s\t%d\n", r->page_id, r->revert_rev, r->good_rev, r->bad_rev,
                   r->comment_matches);
    if (pmp_group_writer_write_line(x->sink->writer, line.data, line.len, &x->list_err) < 0)
        x->list_failed = 1;
    pmp_buf_free(&line);
}

/* One input; its stats are added to *x->st. */
static int extract_one(extract_run *x, const pmp_wiki_options *o, const char *path, pmp_err *err)
{
    pmp_wiki *w;
    if (pmp_wiki_open(&w, path, o, err) < 0) return -1;
    const pmp_wiki_stats before = *x->st;
    pmp_group g;
    pmp_group_init(&g);
    int rc;
    while ((rc = pmp_wiki_next(w, &g, err)) == 1) {
        /* list_reverts output comes from the callback: drain without writing */
        pmp_group_writer *out = x->sink->writer;
        int wrc = o->list_reverts ? 0
                  : o->latest_text
                      ? pmp_group_writer_write_text(out, g.source, strlen(g.source), g.id,
                                                    strlen(g.id), g.split_key,
                                                    g.split_key ? strlen(g.split_key) : 0,
                                                    g.context, g.context_len, err)
                      : pmp_group_writer_write(out, &g, err);
        if (wrc < 0) {
            rc = -1;
            break;
        }
        const pmp_wiki_stats *st = pmp_wiki_get_stats(w);
        pmp_extract_progress(x->sink, before.xml_bytes + st->xml_bytes, before.groups + st->groups,
                             "groups");
    }
    pmp_group_clear(&g);
    *x->st = before;
    pmp_extract_add_counts(x->st, pmp_wiki_get_stats(w), sizeof *x->st);
    pmp_wiki_close(w);
    return rc < 0 ? -1 : 0;
}

PMP_EXTRACT_COUNTS(pmp_wiki_stats);

int pmp_wiki_extract(const pmp_wiki_options *o, const char *const *paths, size_t n_paths,
                     const pmp_extract_sink *sink, pmp_wiki_stats *st, pmp_err *err)
{
    memset(st, 0, sizeof *st);
    extract_run x = {.sink = sink, .st = st};
    pmp_wiki_options opt = *o;
    if (o->list_reverts) opt.on_revert = print_revert, opt.ud = &x;
    int rc = 0;
    for (size_t i = 0; i < n_paths && rc == 0 && !x.list_failed; i++)
        rc = extract_one(&x, &opt, paths[i], err);
    if (rc == 0 && x.list_failed) {
        *err = x.list_err;
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

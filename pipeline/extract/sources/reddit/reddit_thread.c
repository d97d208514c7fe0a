/* reddit_thread.c — one whole thread (its submission, if known, and all its
 * comments, from the group-by) -> one group per parent with >= 2 eligible replies
 * of differing scores. The thread is small next to a month, so it is held in
 * memory, turned into groups, and dropped. */
#include "pmp_reddit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pmp_reddit_thread {
    pmp_reddit_options o;
    pmp_buf arena;                 /* the records, back to back */
    size_t *offs;                  /* record i spans arena[offs[i], offs[i+1]) */
    size_t n, cap;
    pmp_reddit_item *items;
    size_t cap_items;
    uint32_t *byid, *bypar;        /* comment indexes sorted two ways */
    size_t cap_idx;
    pmp_group g;
    pmp_buf ctx, text, tmp, meta;
};

pmp_reddit_thread *pmp_reddit_thread_new(const pmp_reddit_options *o)
{
    pmp_reddit_thread *t = pmp_xcalloc(1, sizeof *t);
    t->o = *o;
    pmp_group_init(&t->g);
    return t;
}

void pmp_reddit_thread_free(pmp_reddit_thread *t)
{
    if (!t) return;
    pmp_buf_free(&t->arena);
    free(t->offs);
    free(t->items);
    free(t->byid);
    free(t->bypar);
    pmp_group_clear(&t->g);
    pmp_buf_free(&t->ctx);
    pmp_buf_free(&t->text);
    pmp_buf_free(&t->tmp);
    pmp_buf_free(&t->meta);
    free(t);
}

void pmp_reddit_thread_add(pmp_reddit_thread *t, const void *rec, size_t n)
{
    if (t->n + 2 > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->offs = pmp_xrealloc(t->offs, t->cap * sizeof *t->offs);
    }
    t->offs[t->n] = t->arena.len;
    pmp_buf_append(&t->arena, rec, n);
    t->n++;
    t->offs[t->n] = t->arena.len;
}

/* ---- ordering ---- */

static int cmp_byid(const void *a, const void *b, void *ctx)
{
    const pmp_reddit_item *it = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (it[i].id != it[j].id) return it[i].id < it[j].id ? -1 : 1;
    return (i > j) - (i < j);   /* equal ids: insertion order, the first is kept */
}

/* Submission-parented comments first, then by parent id, then by id. */
static int cmp_bypar(const void *a, const void *b, void *ctx)
{
    const pmp_reddit_item *it = ctx;
    const pmp_reddit_item *x = &it[*(const uint32_t *)a], *y = &it[*(const uint32_t *)b];
    int xt = !(x->flags & PMP_RI_PARENT_T3), yt = !(y->flags & PMP_RI_PARENT_T3);
    if (xt != yt) return xt - yt;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return 0;
}

static const pmp_reddit_item *find_comment(const pmp_reddit_thread *t, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t v = t->items[t->byid[mid]].id;
        if (v == id) return &t->items[t->byid[mid]];
        if (v < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ---- text ---- */

/* Reddit's API (and so pushshift) stores bodies with &, <, > escaped as entities. */
static void put_text(pmp_buf *out, const char *s, size_t n, int unescape)
{
    if (!unescape) {
        pmp_buf_append(out, s, n);
        return;
    }
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t run = amp ? (size_t)(amp - s) - i : n - i;
        pmp_buf_append(out, s + i, run);
        i += run;
        if (i >= n) break;
        if (n - i >= 5 && !memcmp(s + i, "&amp;", 5)) { pmp_buf_appendc(out, '&'); i += 5; }
        else if (n - i >= 4 && !memcmp(s + i, "&lt;", 4)) { pmp_buf_appendc(out, '<'); i += 4; }
        else if (n - i >= 4 && !memcmp(s + i, "&gt;", 4)) { pmp_buf_appendc(out, '>'); i += 4; }
        else { pmp_buf_appendc(out, '&'); i++; }
    }
}

static int usable_as_context(const pmp_reddit_item *c)
{
    return !(c->flags & (PMP_RI_BODY_DELETED | PMP_RI_BODY_EMPTY));
}

/* sub: the thread's submission, or NULL when unknown. */
static int eligible(const pmp_reddit_options *o, const pmp_reddit_item *c, const pmp_reddit_item *sub)
{
    unsigned f = c->flags;
    if (o->shp && sub && c->author_hash && c->author_hash == sub->author_hash) return 0;
    if (!(f & PMP_RI_HAS_SCORE)) return 0;
    if ((f & PMP_RI_BODY_EMPTY) && !(o->keep & PMP_REDDIT_KEEP_EMPTY)) return 0;
    if ((f & PMP_RI_BODY_DELETED) && !(o->keep & PMP_REDDIT_KEEP_DELETED_BODY)) return 0;
    if ((f & PMP_RI_AUTHOR_DELETED) && !(o->keep & PMP_REDDIT_KEEP_DELETED_AUTHOR)) return 0;
    if ((f & PMP_RI_AUTOMOD) && !(o->keep & PMP_REDDIT_KEEP_AUTOMOD)) return 0;
    if ((f & PMP_RI_STICKIED) && !(o->keep & PMP_REDDIT_KEEP_STICKIED)) return 0;
    if ((f & PMP_RI_MODERATOR) && !(o->keep & PMP_REDDIT_KEEP_MODERATOR)) return 0;
    if (o->has_min_score && c->score < o->min_score) return 0;
    return 1;
}

/* Context pieces, oldest first, joined by a blank line: the submission (title, then
 * selftext unless empty/deleted) when known, then up to max_depth ancestors of the
 * parent comment (the chain stops at one not in the input or deleted), then the
 * parent comment. */
static void build_context(pmp_reddit_thread *t, size_t nc, const pmp_reddit_item *sub,
                          const pmp_reddit_item *pc)
{
    const pmp_reddit_item *chain[65];
    size_t depth = 0;
    int unesc = t->o.unescape_html;
    pmp_buf_clear(&t->ctx);
    if (pc) {
        chain[depth++] = pc;
        const pmp_reddit_item *a = pc;
        for (int d = 0; d < t->o.max_depth && depth < 65; d++) {
            if (a->flags & PMP_RI_PARENT_T3) break;
            const pmp_reddit_item *b = find_comment(t, nc, a->parent);
            if (!b || !usable_as_context(b)) break;
            chain[depth++] = b;
            a = b;
        }
    }
    if (sub) {
        put_text(&t->ctx, sub->title, sub->title_len, unesc);
        if (!(sub->flags & (PMP_RI_BODY_EMPTY | PMP_RI_BODY_DELETED))) {
            if (t->ctx.len) pmp_buf_appends(&t->ctx, "\n\n");
            put_text(&t->ctx, sub->body, sub->body_len, unesc);
        }
    }
    while (depth > 0) {
        const pmp_reddit_item *c = chain[--depth];
        if (t->ctx.len) pmp_buf_appends(&t->ctx, "\n\n");
        put_text(&t->ctx, c->body, c->body_len, unesc);
    }
}

/* One parent's run of replies [r0, r1) in bypar. */
static int one_parent(pmp_reddit_thread *t, size_t nc, size_t r0, size_t r1,
                      const pmp_reddit_item *sub, pmp_reddit_emit_fn emit, void *ctx,
                      pmp_reddit_stats *st, pmp_err *err)
{
    const pmp_reddit_item *first = &t->items[t->bypar[r0]];
    if (sub && sub->id != first->link) sub = NULL;
    size_t n_ok = 0;
    const pmp_reddit_item *e0 = NULL;
    int distinct = 0;
    st->parents++;
    for (size_t r = r0; r < r1; r++) {
        const pmp_reddit_item *c = &t->items[t->bypar[r]];
        if (!eligible(&t->o, c, sub)) { st->ineligible_replies++; continue; }
        if (!e0) e0 = c;
        else if (c->score != e0->score) distinct = 1;
        n_ok++;
    }
    if (n_ok < 2) { st->too_few++; return 0; }
    if (!distinct) { st->same_score++; return 0; }

    int top = (first->flags & PMP_RI_PARENT_T3) != 0;
    const pmp_reddit_item *pc = NULL;
    if (top) {
        if (!sub || sub->id != first->parent) { st->no_context++; return 0; }
    } else {
        pc = find_comment(t, nc, first->parent);
        if (!pc || !usable_as_context(pc)) { st->no_context++; return 0; }
    }
    if (t->o.shp && (!top || !sub || !(sub->flags & PMP_RI_SELF) || (sub->flags & PMP_RI_NSFW))) {
        st->shp_post++;
        return 0;
    }
    if (t->o.has_min_submission_score &&
        (!sub || !(sub->flags & PMP_RI_HAS_SCORE) || sub->score < t->o.min_submission_score)) {
        st->low_submission_score++;
        return 0;
    }
    build_context(t, nc, sub, pc);

    /* Subreddit: the replies', else the submission's. */
    const char *sr = e0->subreddit;
    size_t srl = e0->subreddit_len;
    if (!srl && sub) { sr = sub->subreddit; srl = sub->subreddit_len; }
    if (!srl) { sr = "unknown"; srl = 7; }
    char pid[14], lid[14], rid[14];
    pmp_reddit_id_format(first->parent, pid);
    pmp_reddit_id_format(first->link, lid);
    const char *pfx = top ? "t3_" : "t1_";
    pmp_buf_clear(&t->tmp);
    pmp_buf_appends(&t->tmp, "reddit/");
    pmp_buf_append(&t->tmp, sr, srl);
    pmp_buf_printf(&t->tmp, "/%s%s", pfx, pid);

    pmp_group *g = &t->g;
    pmp_group_clear(g);
    pmp_group_set(g, "reddit", t->tmp.data, t->ctx.data ? t->ctx.data : "", t->ctx.len);
    /* the submission: sibling groups of one thread share its context, so they split
     * together */
    pmp_buf_clear(&t->tmp);
    pmp_buf_printf(&t->tmp, "reddit/t3_%s", lid);
    pmp_group_set_split_key(g, t->tmp.data, t->tmp.len);
    for (size_t r = r0; r < r1; r++) {
        const pmp_reddit_item *c = &t->items[t->bypar[r]];
        if (!eligible(&t->o, c, sub)) continue;
        pmp_reddit_id_format(c->id, rid);
        pmp_buf_clear(&t->text);
        put_text(&t->text, c->body, c->body_len, t->o.unescape_html);
        pmp_response *resp = pmp_group_add_response(g, rid, t->text.data ? t->text.data : "",
                                                    t->text.len, c->score);
        resp->created_utc = c->created_utc;
    }
    pmp_buf_clear(&t->meta);
    pmp_jobj j;
    pmp_jobj_begin(&j, &t->meta);
    pmp_jobj_strn(&j, "subreddit", sr, srl);
    pmp_buf_clear(&t->tmp);
    pmp_buf_printf(&t->tmp, "t3_%s", lid);
    pmp_jobj_str(&j, "link_id", t->tmp.data);
    pmp_buf_clear(&t->tmp);
    pmp_buf_printf(&t->tmp, "%s%s", pfx, pid);
    pmp_jobj_str(&j, "parent_id", t->tmp.data);
    if (sub && (sub->flags & PMP_RI_HAS_SCORE)) pmp_jobj_num(&j, "submission_score", sub->score);
    pmp_jobj_end(&j);
    pmp_group_set_meta(g, pmp_xstrndup(t->meta.data, t->meta.len));
    st->groups++;
    st->responses += g->n_responses;
    return emit(ctx, g, err);
}

int pmp_reddit_thread_flush(pmp_reddit_thread *t, pmp_reddit_emit_fn emit, void *ctx,
                            pmp_reddit_stats *st, pmp_err *err)
{
    int rc = 0;
    /* Allocated for an empty thread too: qsort_r and memcpy need real arrays. */
    if (t->n > t->cap_items || !t->items) {
        t->cap_items = t->n;
        t->items = pmp_xrealloc(t->items, t->cap_items * sizeof *t->items);
        t->byid = pmp_xrealloc(t->byid, t->cap_items * sizeof *t->byid);
        t->bypar = pmp_xrealloc(t->bypar, t->cap_items * sizeof *t->bypar);
    }
    const pmp_reddit_item *sub = NULL;
    size_t nc = 0;
    for (size_t i = 0; i < t->n; i++) {
        pmp_reddit_item *it = &t->items[i];
        if (pmp_reddit_item_decode(t->arena.data + t->offs[i], t->offs[i + 1] - t->offs[i], it)) {
            rc = pmp_err_setc(err, PMP_E_INTERNAL, "reddit: corrupt group-by record");
            goto done;
        }
        if (it->flags & PMP_RI_SUBMISSION) {
            if (sub) st->duplicates++;
            else sub = it;
        } else {
            t->byid[nc++] = (uint32_t)i;
        }
    }
    st->threads++;
    qsort_r(t->byid, nc, sizeof *t->byid, cmp_byid, t->items);
    size_t w = 0;
    for (size_t r = 0; r < nc; r++) {
        if (w && t->items[t->byid[w - 1]].id == t->items[t->byid[r]].id) {
            st->duplicates++;
            continue;
        }
        t->byid[w++] = t->byid[r];
    }
    nc = w;
    memcpy(t->bypar, t->byid, nc * sizeof *t->bypar);
    qsort_r(t->bypar, nc, sizeof *t->bypar, cmp_bypar, t->items);
    for (size_t r0 = 0; r0 < nc;) {
        const pmp_reddit_item *a = &t->items[t->bypar[r0]];
        size_t r1 = r0 + 1;
        while (r1 < nc) {
            const pmp_reddit_item *b = &t->items[t->bypar[r1]];
            if (b->parent != a->parent ||
                ((b->flags ^ a->flags) & PMP_RI_PARENT_T3))
                break;
            r1++;
        }
        if (one_parent(t, nc, r0, r1, sub, emit, ctx, st, err)) { rc = -1; goto done; }
        r0 = r1;
    }
done:
    pmp_buf_clear(&t->arena);
    t->n = 0;
    pmp_group_clear(&t->g);
    return rc;
}

/* stackexchange.c — Posts.xml (+ Votes.xml) -> groups, through the external
 * group-by.
 *
 * Without votes there is one group-by, keyed by question Id (big-endian, so the
 * output is in numeric question order): question rows under their Id, answer rows
 * under their ParentId. With votes a first group-by, keyed by answer Id, joins
 * answer rows with their UpMod votes (Votes.xml is read after Posts.xml, so the
 * votes of a post are never held in memory beyond the budget), and its output is
 * fed, re-keyed by ParentId, into the second. Each group-by gets half the budget.
 *
 * Bodies travel as raw HTML and are converted to text only for questions that
 * make a group: most answers never need it.
 */
#include "pmp_stackexchange.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmp_groupby.h"
#include "html_text.h"

#define DEFAULT_MEM (1ULL << 30)

/* ---- group-by values: a type byte, fixed 8-byte numbers, u32-prefixed strings ---- */

enum { REC_Q = 'Q', REC_A = 'A', REC_V = 'V' };

typedef struct se_str {
    const char *p;
    size_t n;
} se_str;

typedef struct se_q {
    uint64_t id, accepted;
    int64_t score;
    se_str created, title, tags, body;
} se_q;

#define VOTE_DATE 10   /* YYYY-MM-DD */

typedef struct se_a {
    uint64_t id, parent;
    int64_t score, upvotes;
    se_str created, body;
} se_a;

static void put_u64(pmp_buf *b, uint64_t v)
{
    pmp_buf_append(b, &v, 8);
}

static void put_str(pmp_buf *b, const char *s, size_t n)
{
    uint32_t n32 = (uint32_t)n;
    pmp_buf_append(b, &n32, 4);
    pmp_buf_append(b, s, n);
}

typedef struct cursor {
    const unsigned char *p, *end;
    int bad;
} cursor;

static uint64_t get_u64(cursor *c)
{
    uint64_t v = 0;
    if (c->end - c->p < 8) {
        c->bad = 1;
        return 0;
    }
    memcpy(&v, c->p, 8);
    c->p += 8;
    return v;
}

static se_str get_str(cursor *c)
{
    se_str s = {"", 0};
    uint32_t n;
    if (c->end - c->p < 4) {
        c->bad = 1;
        return s;
    }
    memcpy(&n, c->p, 4);
    c->p += 4;
    if ((size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return s;
    }
    s.p = (const char *)c->p;
    s.n = n;
    c->p += n;
    return s;
}

static void enc_q(pmp_buf *b, const se_q *q)
{
    pmp_buf_appendc(b, REC_Q);
    put_u64(b, q->id);
    put_u64(b, q->accepted);
    put_u64(b, (uint64_t)q->score);
    put_str(b, q->created.p, q->created.n);
    put_str(b, q->title.p, q->title.n);
    put_str(b, q->tags.p, q->tags.n);
    put_str(b, q->body.p, q->body.n);
}

static void enc_a(pmp_buf *b, const se_a *a)
{
    pmp_buf_appendc(b, REC_A);
    put_u64(b, a->id);
    put_u64(b, a->parent);
    put_u64(b, (uint64_t)a->score);
    put_u64(b, (uint64_t)a->upvotes);
    put_str(b, a->created.p, a->created.n);
    put_str(b, a->body.p, a->body.n);
}

static int dec_q(const void *v, size_t n, se_q *q)
{
    cursor c = {(const unsigned char *)v + 1, (const unsigned char *)v + n, 0};
    q->id = get_u64(&c);
    q->accepted = get_u64(&c);
    q->score = (int64_t)get_u64(&c);
    q->created = get_str(&c);
    q->title = get_str(&c);
    q->tags = get_str(&c);
    q->body = get_str(&c);
    return c.bad ? -1 : 0;
}

static int dec_a(const void *v, size_t n, se_a *a)
{
    cursor c = {(const unsigned char *)v + 1, (const unsigned char *)v + n, 0};
    a->id = get_u64(&c);
    a->parent = get_u64(&c);
    a->score = (int64_t)get_u64(&c);
    a->upvotes = (int64_t)get_u64(&c);
    a->created = get_str(&c);
    a->body = get_str(&c);
    return c.bad ? -1 : 0;
}

/* ---- reading rows ---- */

typedef struct se_run {
    const pmp_se_options *opt;
    pmp_se_stats *st;
    pmp_groupby *by_question;   /* key: question Id */
    pmp_groupby *by_answer;     /* key: answer Id (with votes only) */
    pmp_buf val;
    pmp_buf scratch[3];               /* decoded text attributes */
    uint64_t vote_post, vote_count;   /* the pending run of equal PostIds */
    char vote_first[VOTE_DATE];       /* its earliest CreationDate, YYYY-MM-DD */
} se_run;

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (!s || n == 0 || n > 19) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    int neg = n > 0 && s[0] == '-';
    if (parse_u64(s + neg, n - (size_t)neg, &v) != 0 || v > INT64_MAX) return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static se_str attr(const pmp_se_row *row, const char *name)
{
    se_str s;
    s.p = pmp_se_row_attr(row, name, &s.n);
    if (!s.p) s.p = "";
    return s;
}

static se_str attr_text(const pmp_se_row *row, const char *name, pmp_buf *scratch)
{
    se_str s;
    s.p = pmp_se_row_text(row, name, scratch, &s.n);
    if (!s.p) s.p = "";
    return s;
}

static int bad_row(se_run *r, pmp_err *err, const char *why)
{
    if (r->opt->strict) return pmp_err_setc(err, PMP_E_INPUT, "%s (--strict)", why);
    r->st->skipped[PMP_SE_SKIP_BAD_ROW]++;
    return 0;
}

static void key_of(unsigned char k[8], uint64_t id)
{
    pmp_groupby_key_u64(k, id);
}

static int on_post(void *ctx, const pmp_se_row *row, pmp_err *err)
{
    se_run *r = ctx;
    r->st->rows++;
    size_t n;
    const char *type = pmp_se_row_attr(row, "PostTypeId", &n);
    int is_q = type && n == 1 && type[0] == '1';
    int is_a = type && n == 1 && type[0] == '2';
    if (!is_q && !is_a) {
        r->st->skipped[PMP_SE_SKIP_OTHER_TYPE]++;
        return 0;
    }
    if (row->bytes > PMP_SE_MAX_ROW_BYTES) {
        char why[96];
        snprintf(why, sizeof why, "row of %llu bytes, over the limit of %llu",
                 (unsigned long long)row->bytes, (unsigned long long)PMP_SE_MAX_ROW_BYTES);
        return bad_row(r, err, why);
    }
    uint64_t id;
    int64_t score = 0;
    se_str s_id = attr(row, "Id"), s_score = attr(row, "Score");
    if (parse_u64(s_id.p, s_id.n, &id) != 0) return bad_row(r, err, "row without a valid Id");
    if (s_score.n && parse_i64(s_score.p, s_score.n, &score) != 0)
        return bad_row(r, err, "row with an invalid Score");
    unsigned char key[8];
    pmp_buf_clear(&r->val);
    if (is_q) {
        r->st->questions++;
        se_q q = {.id = id, .score = score};
        se_str acc = attr(row, "AcceptedAnswerId");
        if (acc.n && parse_u64(acc.p, acc.n, &q.accepted) != 0)
            return bad_row(r, err, "question with an invalid AcceptedAnswerId");
        q.created = attr(row, "CreationDate");
        q.title = attr_text(row, "Title", &r->scratch[0]);
        q.tags = attr_text(row, "Tags", &r->scratch[1]);
        q.body = attr_text(row, "Body", &r->scratch[2]);
        enc_q(&r->val, &q);
        key_of(key, id);
        return pmp_groupby_add(r->by_question, key, 8, r->val.data, r->val.len, err);
    }
    r->st->answers++;
    se_a a = {.id = id, .score = score, .upvotes = score};
    se_str parent = attr(row, "ParentId");
    if (parse_u64(parent.p, parent.n, &a.parent) != 0)
        return bad_row(r, err, "answer without a valid ParentId");
    a.created = attr(row, "CreationDate");
    a.body = attr_text(row, "Body", &r->scratch[2]);
    if (r->by_answer) {
        a.upvotes = 0;   /* counted from the votes when they are joined */
        enc_a(&r->val, &a);
        key_of(key, id);
        return pmp_groupby_add(r->by_answer, key, 8, r->val.data, r->val.len, err);
    }
    enc_a(&r->val, &a);
    key_of(key, a.parent);
    return pmp_groupby_add(r->by_question, key, 8, r->val.data, r->val.len, err);
}

static int flush_votes(se_run *r, pmp_err *err)
{
    if (!r->vote_count) return 0;
    unsigned char key[8], val[9 + VOTE_DATE];
    key_of(key, r->vote_post);
    val[0] = REC_V;
    memcpy(val + 1, &r->vote_count, 8);
    memcpy(val + 9, r->vote_first, VOTE_DATE);
    r->vote_count = 0;
    return pmp_groupby_add(r->by_answer, key, 8, val, sizeof val, err);
}

static int on_vote(void *ctx, const pmp_se_row *row, pmp_err *err)
{
    se_run *r = ctx;
    r->st->vote_rows++;
    size_t n;
    const char *type = pmp_se_row_attr(row, "VoteTypeId", &n);
    if (!type || n != 1 || type[0] != '2') return 0;   /* UpMod only */
    uint64_t post;
    se_str s = attr(row, "PostId");
    if (parse_u64(s.p, s.n, &post) != 0) {
        if (r->opt->strict) return pmp_err_setc(err, PMP_E_INPUT, "vote without a valid PostId (--strict)");
        return 0;
    }
    r->st->upvotes++;
    /* Consecutive votes on one post (common: dumps list votes by time, and a new
     * post collects its votes together) become one record. */
    if (r->vote_count && post != r->vote_post && flush_votes(r, err) != 0) return -1;
    /* the day only: votes are dated to the day, posts to the millisecond */
    char day[VOTE_DATE] = "9999-99-99";
    se_str d = attr(row, "CreationDate");
    if (d.n >= VOTE_DATE) memcpy(day, d.p, VOTE_DATE);
    if (!r->vote_count || memcmp(day, r->vote_first, VOTE_DATE) < 0) memcpy(r->vote_first, day, VOTE_DATE);
    r->vote_post = post;
    r->vote_count++;
    return 0;
}

/* Drains the answer-keyed group-by into the question-keyed one with each
 * answer's UpMod count. */
static int join_votes(se_run *r, pmp_err *err)
{
    if (flush_votes(r, err) != 0 || pmp_groupby_finish(r->by_answer, err) != 0) return -1;
    pmp_buf answers = PMP_BUF_INIT;   /* the current key's answer records, u32-framed */
    uint64_t votes = 0;
    char first[VOTE_DATE];   /* the key's earliest vote day */
    memset(first, '9', sizeof first);
    unsigned char cur[8] = {0};
    int have = 0, rc;
    for (;;) {
        const void *k, *v;
        size_t kl, vl;
        rc = pmp_groupby_next(r->by_answer, &k, &kl, &v, &vl, err);
        if (rc < 0) break;
        if (have && (rc == 0 || memcmp(k, cur, 8) != 0)) {
            if (answers.len) r->st->upvotes_matched += votes;
            for (size_t off = 0; off < answers.len;) {
                uint32_t n;
                memcpy(&n, answers.data + off, 4);
                se_a a;
                if (dec_a(answers.data + off + 4, n, &a) != 0) {
                    rc = pmp_err_setc(err, PMP_E_INTERNAL, "internal: corrupt answer record");
                    goto done;
                }
                a.upvotes = (int64_t)votes;
                /* a vote dated before the answer it is on cannot be: another site's */
                if (votes && a.created.n >= VOTE_DATE && memcmp(first, a.created.p, VOTE_DATE) < 0)
                    r->st->upvotes_before_post += votes;
                pmp_buf_clear(&r->val);
                enc_a(&r->val, &a);
                unsigned char key[8];
                key_of(key, a.parent);
                if (pmp_groupby_add(r->by_question, key, 8, r->val.data, r->val.len, err) != 0) {
                    rc = -1;
                    goto done;
                }
                off += 4 + n;
            }
            pmp_buf_clear(&answers);
            votes = 0;
            memset(first, '9', sizeof first);
            have = 0;
        }
        if (rc == 0) break;
        memcpy(cur, k, 8);
        have = 1;
        const unsigned char *p = v;
        if (vl == 9 + VOTE_DATE && p[0] == REC_V) {
            uint64_t c;
            memcpy(&c, p + 1, 8);
            votes += c;
            if (memcmp(p + 9, first, VOTE_DATE) < 0) memcpy(first, p + 9, VOTE_DATE);
        } else if (vl > 0 && p[0] == REC_A) {
            uint32_t n = (uint32_t)vl;
            pmp_buf_append(&answers, &n, 4);
            pmp_buf_append(&answers, v, vl);
        }
    }
done:
    pmp_buf_free(&answers);
    return rc < 0 ? -1 : 0;
}

/* ---- building one group ---- */

typedef struct se_group {
    pmp_buf q;          /* the question record (first one seen) */
    int has_q;
    pmp_buf answers;    /* answer records, u32-framed */
    size_t n_answers;
} se_group;

typedef struct se_ans {
    se_a a;
    size_t text_off, text_len;
} se_ans;

static int ans_cmp(const void *pa, const void *pb)
{
    const se_ans *a = pa, *b = pb;
    return (a->a.id > b->a.id) - (a->a.id < b->a.id);
}

static void meta_str(pmp_buf *m, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    pmp_json_put_string(m, key, strlen(key));
    pmp_buf_appendc(m, ':');
    pmp_json_put_string(m, num, strlen(num));
}

static int build_group(se_group *sg, const char *site, int with_votes, pmp_html_text *h,
                       pmp_group *g, pmp_group_writer *w, pmp_se_stats *st, pmp_err *err)
{
    if (!sg->has_q) {
        st->skipped[PMP_SE_SKIP_ORPHAN] += sg->n_answers;
        return 0;
    }
    se_q q;
    if (dec_q(sg->q.data, sg->q.len, &q) != 0) return pmp_err_setc(err, PMP_E_INTERNAL, "internal: corrupt question record");
    if (sg->n_answers < 2) {
        st->skipped[PMP_SE_SKIP_FEW_ANSWERS]++;
        return 0;
    }
    se_ans *ans = pmp_xcalloc(sg->n_answers, sizeof *ans);
    size_t na = 0;
    for (size_t off = 0; off < sg->answers.len;) {
        uint32_t n;
        memcpy(&n, sg->answers.data + off, 4);
        if (dec_a(sg->answers.data + off + 4, n, &ans[na].a) != 0) {
            free(ans);
            return pmp_err_setc(err, PMP_E_INTERNAL, "internal: corrupt answer record");
        }
        na++;
        off += 4 + n;
    }
    qsort(ans, na, sizeof *ans, ans_cmp);

    pmp_buf texts = PMP_BUF_INIT;
    size_t keep = 0;
    int rc = 0;
    for (size_t i = 0; i < na; i++) {
        if (keep && ans[keep - 1].a.id == ans[i].a.id) {
            st->skipped[PMP_SE_SKIP_DUPLICATE]++;
            continue;
        }
        size_t start = texts.len;
        if (pmp_html_text_convert(h, &texts, ans[i].a.body.p, ans[i].a.body.n, err) != 0) {
            rc = pmp_err_prefix(err, "answer %llu", (unsigned long long)ans[i].a.id);
            goto out;
        }
        if (texts.len == start) {
            st->skipped[PMP_SE_SKIP_EMPTY_TEXT]++;
            continue;
        }
        ans[keep] = ans[i];
        ans[keep].text_off = start;
        ans[keep].text_len = texts.len - start;
        keep++;
    }
    if (keep < 2) {
        st->skipped[PMP_SE_SKIP_FEW_ANSWERS]++;
        goto out;
    }

    pmp_buf ctx = PMP_BUF_INIT, id = PMP_BUF_INIT, meta = PMP_BUF_INIT;
    pmp_utf8_sanitize(&ctx, q.title.p, q.title.n);
    pmp_buf_appends(&ctx, "\n\n");
    if (pmp_html_text_convert(h, &ctx, q.body.p, q.body.n, err) != 0) {
        rc = pmp_err_prefix(err, "question %llu", (unsigned long long)q.id);
        pmp_buf_free(&ctx);
        goto out;
    }
    pmp_buf_printf(&id, "%s/q/%llu", site, (unsigned long long)q.id);
    pmp_group_clear(g);
    pmp_group_set(g, "stackexchange", id.data, ctx.data, ctx.len);
    /* the question: one group per question, so the key is the group's id */
    pmp_group_set_split_key(g, id.data, id.len);
    for (size_t i = 0; i < keep; i++) {
        char aid[24];
        snprintf(aid, sizeof aid, "%llu", (unsigned long long)ans[i].a.id);
        int accepted = q.accepted && q.accepted == ans[i].a.id;
        pmp_response *resp = pmp_group_add_response(g, aid, texts.data + ans[i].text_off,
                                                    ans[i].text_len,
                                                    pmp_se_score(ans[i].a.upvotes, accepted));
        resp->created_utc = pmp_se_parse_date(ans[i].a.created.p, ans[i].a.created.n);
    }

    /* meta: {"site", "question_id", "accepted", "question_score", "tags",
     * "created", "upvotes_from", "answers": [{"id","score","upvotes","created"}]} */
    pmp_buf_appendc(&meta, '{');
    pmp_json_put_string(&meta, "site", 4);
    pmp_buf_appendc(&meta, ':');
    pmp_json_put_string(&meta, site, strlen(site));
    pmp_buf_appendc(&meta, ',');
    meta_str(&meta, "question_id", q.id);
    if (q.accepted) {
        pmp_buf_appendc(&meta, ',');
        meta_str(&meta, "accepted", q.accepted);
    }
    pmp_buf_printf(&meta, ",\"question_score\":%lld,\"tags\":", (long long)q.score);
    pmp_se_tags_json(&meta, q.tags.p, q.tags.n);
    pmp_buf_appends(&meta, ",\"created\":");
    pmp_json_put_string(&meta, q.created.p, q.created.n);
    pmp_buf_printf(&meta, ",\"upvotes_from\":\"%s\",\"answers\":[", with_votes ? "votes" : "score");
    for (size_t i = 0; i < keep; i++) {
        pmp_buf_printf(&meta, "%s{\"id\":\"%llu\",\"score\":%lld,\"upvotes\":%lld,\"created\":",
                       i ? "," : "", (unsigned long long)ans[i].a.id, (long long)ans[i].a.score,
                       (long long)ans[i].a.upvotes);
        pmp_json_put_string(&meta, ans[i].a.created.p, ans[i].a.created.n);
        pmp_buf_appendc(&meta, '}');
    }
    pmp_buf_appends(&meta, "]}");
    pmp_group_set_meta(g, pmp_buf_detach(&meta));
    rc = pmp_group_writer_write(w, g, err);
    if (rc == 0) {
        st->groups++;
        st->responses += keep;
    } else {
        pmp_err_prefix(err, "question %llu", (unsigned long long)q.id);
    }
    pmp_buf_free(&ctx);
    pmp_buf_free(&id);
out:
    pmp_buf_free(&texts);
    free(ans);
    return rc;
}

static int emit_groups(pmp_groupby *by_question, const char *site, int with_votes,
                       pmp_group_writer *w, pmp_se_stats *st, pmp_err *err)
{
    pmp_html_text *h = pmp_html_text_new();
    if (!h) return pmp_err_setc(err, PMP_E_INTERNAL, "cannot create an HTML parser");
    se_group sg = {0};
    pmp_group g;
    pmp_group_init(&g);
    unsigned char cur[8] = {0};
    int have = 0, rc;
    for (;;) {
        const void *k, *v;
        size_t kl, vl;
        rc = pmp_groupby_next(by_question, &k, &kl, &v, &vl, err);
        if (rc < 0) break;
        if (have && (rc == 0 || memcmp(k, cur, 8) != 0)) {
            if (build_group(&sg, site, with_votes, h, &g, w, st, err) != 0) {
                rc = -1;
                break;
            }
            pmp_buf_clear(&sg.q);
            pmp_buf_clear(&sg.answers);
            sg.has_q = 0;
            sg.n_answers = 0;
            have = 0;
        }
        if (rc == 0) break;
        memcpy(cur, k, 8);
        have = 1;
        const unsigned char *p = v;
        if (vl && p[0] == REC_Q) {
            if (sg.has_q) {
                st->skipped[PMP_SE_SKIP_DUPLICATE]++;
                continue;
            }
            pmp_buf_append(&sg.q, v, vl);
            sg.has_q = 1;
        } else if (vl && p[0] == REC_A) {
            uint32_t n = (uint32_t)vl;
            pmp_buf_append(&sg.answers, &n, 4);
            pmp_buf_append(&sg.answers, v, vl);
            sg.n_answers++;
        }
    }
    pmp_group_clear(&g);
    pmp_buf_free(&sg.q);
    pmp_buf_free(&sg.answers);
    pmp_html_text_free(h);
    return rc < 0 ? -1 : 0;
}

/* ---- the whole run ---- */

static void on_progress(void *ctx, uint64_t bytes, uint64_t rows)
{
    pmp_extract_progress(ctx, bytes, rows, "rows");
}

/* One Posts.xml; its stats in *st. */
static int extract_one(const char *posts_path, const pmp_se_options *opt,
                       const pmp_extract_sink *sink, pmp_se_stats *st, pmp_err *err)
{
    memset(st, 0, sizeof *st);
    uint64_t mem = opt->mem ? opt->mem : DEFAULT_MEM;
    se_run r = {.opt = opt, .st = st};
    int rc = -1;
    char *site = opt->site ? pmp_xstrdup(opt->site) : pmp_se_site_from_path(posts_path);
    if (!site) site = pmp_xstrdup("stackexchange");

    uint64_t share = opt->votes_path ? mem / 2 : mem;
    if (pmp_groupby_open(&r.by_question, share, opt->tmpdir, err) != 0 ||
        pmp_groupby_compress_runs(r.by_question, opt->tmp_compress, err) != 0)
        goto out;
    if (opt->votes_path && (pmp_groupby_open(&r.by_answer, share, opt->tmpdir, err) != 0 ||
                            pmp_groupby_compress_runs(r.by_answer, opt->tmp_compress, err) != 0))
        goto out;
    if (pmp_se_read_rows(posts_path, on_post, &r, on_progress, (void *)sink, err) != 0)
        goto out;
    if (opt->votes_path) {
        if (pmp_se_read_rows(opt->votes_path, on_vote, &r, on_progress, (void *)sink, err) != 0)
            goto out;
        if (join_votes(&r, err) != 0) goto out;
        st->runs += pmp_groupby_runs(r.by_answer);
        st->spill_bytes += pmp_groupby_spill_bytes(r.by_answer);
        st->spill_peak_bytes += pmp_groupby_spill_peak(r.by_answer);
        pmp_groupby_close(r.by_answer);
        r.by_answer = NULL;
    }
    if (pmp_groupby_finish(r.by_question, err) != 0) goto out;
    rc = emit_groups(r.by_question, site, opt->votes_path != NULL, sink->writer, st, err);
    st->runs += pmp_groupby_runs(r.by_question);
    st->spill_bytes += pmp_groupby_spill_bytes(r.by_question);
    st->spill_peak_bytes += pmp_groupby_spill_peak(r.by_question);
out:
    pmp_groupby_close(r.by_question);
    pmp_groupby_close(r.by_answer);
    pmp_buf_free(&r.val);
    for (int i = 0; i < 3; i++) pmp_buf_free(&r.scratch[i]);
    free(site);
    return rc;
}

void pmp_se_options_init(pmp_se_options *o) { memset(o, 0, sizeof *o); }

/* The Votes.xml beside a Posts.xml: the last "Posts" of the file name replaced by
 * "Votes" (cooking.stackexchange.com-Posts.xml.zst -> ...-Votes.xml.zst,
 * site/Posts.xml -> site/Votes.xml). NULL when the name has no "Posts". */
static char *votes_beside(const char *posts)
{
    const char *base = strrchr(posts, '/');
    base = base ? base + 1 : posts;
    const char *at = NULL;
    for (const char *p = strstr(base, "Posts"); p; p = strstr(p + 1, "Posts")) at = p;
    if (!at) return NULL;
    char *v = pmp_xstrdup(posts);
    memcpy(v + (at - posts), "Votes", 5);
    return v;
}

PMP_EXTRACT_COUNTS(pmp_se_stats);

int pmp_se_extract(const pmp_se_options *o, const char *const *paths, size_t n_paths,
                   const pmp_extract_sink *sink, pmp_se_stats *st, pmp_err *err)
{
    memset(st, 0, sizeof *st);
    int rc = 0;
    for (size_t i = 0; i < n_paths && rc == 0; i++) {
        pmp_se_options one_opt = *o;
        char *votes = NULL;
        if (o->votes_beside) {
            votes = votes_beside(paths[i]);
            if (!votes)
                return pmp_err_setc(err, PMP_E_INPUT, "%s: --votes-beside: the file name has no "
                                    "\"Posts\" to find its Votes.xml by", paths[i]);
            if (access(votes, R_OK) != 0) {
                pmp_err_setc(err, PMP_E_INPUT, "%s: --votes-beside: no readable %s", paths[i], votes);
                free(votes);
                return -1;
            }
            one_opt.votes_path = votes;
        }
        pmp_se_stats one;
        rc = extract_one(paths[i], &one_opt, sink, &one, err);
        pmp_extract_add_counts(st, &one, sizeof one);
        free(votes);
    }
    return rc;
}

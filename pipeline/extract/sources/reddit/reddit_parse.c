/* reddit_parse.c — one pushshift NDJSON line -> pmp_reddit_item, base36 ids,
 * and the compact binary form items take through the group-by. */
#include "pmp_reddit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "pmp_ndjson.h"

enum { F_ID, F_NAME, F_PARENT, F_LINK, F_BODY, F_SCORE, F_CREATED, F_AUTHOR, F_SUBREDDIT,
       F_STICKIED, F_DISTINGUISHED, F_TITLE, F_SELFTEXT, F_NUM_COMMENTS,
       F_IS_SELF, F_OVER_18, F_N };

static const char *const field_keys[F_N] = {
    "id", "name", "parent_id", "link_id", "body", "score", "created_utc", "author",
    "subreddit", "stickied", "distinguished", "title", "selftext", "num_comments",
    "is_self", "over_18",
};

struct pmp_reddit_parser {
    pmp_ndjson *x;
    pmp_jfield f[F_N];
};

void pmp_reddit_options_init(pmp_reddit_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_depth = 3;
    o->unescape_html = 1;
    o->mem = 1ULL << 30;
}

pmp_reddit_parser *pmp_reddit_parser_new(void)
{
    pmp_reddit_parser *p = pmp_xcalloc(1, sizeof *p);
    p->x = pmp_ndjson_new(field_keys, F_N);
    return p;
}

void pmp_reddit_parser_free(pmp_reddit_parser *p)
{
    if (!p) return;
    pmp_ndjson_free(p->x);
    free(p);
}

int pmp_reddit_id_parse(const char *s, size_t len, uint64_t *out, int *prefix)
{
    *prefix = 0;
    if (len >= 3 && s[0] == 't' && s[2] == '_' && (s[1] == '1' || s[1] == '3')) {
        *prefix = s[1] - '0';
        s += 3;
        len -= 3;
    }
    if (len == 0 || len > 12) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') d = (c | 0x20) - 'a' + 10;
        else return -1;
        v = v * 36 + d;
    }
    *out = v;
    return 0;
}

void pmp_reddit_id_format(uint64_t v, char out[14])
{
    char tmp[14];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % 36);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= 36;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

static int str_field(const pmp_jfield *f, const char **s, size_t *len)
{
    if (f->type != PMP_JV_STRING) {
        *s = "";
        *len = 0;
        return 0;
    }
    *s = f->s;
    *len = f->len;
    return 1;
}

/* A line without a usable id field: reported in err, counted, skipped. */
static int missing(pmp_err *err, const char *what)
{
    pmp_err_setc(err, PMP_E_INPUT, "no usable \"%s\"", what);
    return 0;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

/* What the line's fields say it is: 1 a submission, 0 a comment, -1 neither
 * or both (pushshift submissions have title/selftext/num_comments and no
 * parent_id/body; comments the other way round). */
static int kind_of(const pmp_jfield *f)
{
    int sub = f[F_TITLE].type != PMP_JV_ABSENT || f[F_SELFTEXT].type != PMP_JV_ABSENT ||
              f[F_NUM_COMMENTS].type != PMP_JV_ABSENT;
    int com = f[F_PARENT].type != PMP_JV_ABSENT || f[F_BODY].type != PMP_JV_ABSENT;
    return sub == com ? -1 : sub;
}

int pmp_reddit_parse(pmp_reddit_parser *p, const char *line, size_t len, int is_submission,
                     pmp_reddit_item *it, pmp_err *err)
{
    pmp_jfield *f = p->f;
    if (pmp_ndjson_extract(p->x, line, len, f, err)) return -1;
    memset(it, 0, sizeof *it);
    it->created_utc = NAN;
    if (is_submission < 0) {
        is_submission = kind_of(f);
        if (is_submission < 0) {
            it->flags |= PMP_RI_NO_KIND;
            pmp_err_setc(err, PMP_E_INPUT, "%s", f[F_TITLE].type != PMP_JV_ABSENT || f[F_SELFTEXT].type != PMP_JV_ABSENT ||
                                       f[F_NUM_COMMENTS].type != PMP_JV_ABSENT
                                   ? "both submission fields (title/selftext/num_comments) "
                                     "and comment fields (parent_id/body)"
                                   : "neither a submission (title/selftext/num_comments) nor "
                                     "a comment (parent_id/body)");
            return 0;
        }
    }
    for (int k = 0; k < F_N; k++) it->repaired |= f[k].repaired;

    int prefix;
    const pmp_jfield *idf = f[F_ID].type == PMP_JV_STRING ? &f[F_ID] : &f[F_NAME];
    if (idf->type != PMP_JV_STRING || pmp_reddit_id_parse(idf->s, idf->len, &it->id, &prefix))
        return missing(err, "id");

    if (pmp_jfield_number(&f[F_SCORE], &it->score) == 0) it->flags |= PMP_RI_HAS_SCORE;
    double t;
    if (pmp_jfield_number(&f[F_CREATED], &t) == 0) it->created_utc = t;
    str_field(&f[F_SUBREDDIT], &it->subreddit, &it->subreddit_len);
    str_field(is_submission ? &f[F_SELFTEXT] : &f[F_BODY], &it->body, &it->body_len);
    if (pmp_jfield_is(&f[F_AUTHOR], "[deleted]")) it->flags |= PMP_RI_AUTHOR_DELETED;
    else if (f[F_AUTHOR].type == PMP_JV_STRING && f[F_AUTHOR].len)
        it->author_hash = XXH64(f[F_AUTHOR].s, f[F_AUTHOR].len, 0) | 1;
    if (pmp_jfield_is(&f[F_AUTHOR], "AutoModerator")) it->flags |= PMP_RI_AUTOMOD;
    if (pmp_jfield_truthy(&f[F_STICKIED])) it->flags |= PMP_RI_STICKIED;
    if (pmp_jfield_is(&f[F_DISTINGUISHED], "moderator")) it->flags |= PMP_RI_MODERATOR;
    if (is_blank(it->body, it->body_len)) it->flags |= PMP_RI_BODY_EMPTY;
    if ((it->body_len == 9 && !memcmp(it->body, "[deleted]", 9)) ||
        (it->body_len == 9 && !memcmp(it->body, "[removed]", 9)))
        it->flags |= PMP_RI_BODY_DELETED;

    if (is_submission) {
        it->flags |= PMP_RI_SUBMISSION;
        it->link = it->id;
        str_field(&f[F_TITLE], &it->title, &it->title_len);
        if (pmp_jfield_truthy(&f[F_IS_SELF])) it->flags |= PMP_RI_SELF;
        if (pmp_jfield_truthy(&f[F_OVER_18])) it->flags |= PMP_RI_NSFW;
        return 1;
    }
    int lp, pp;
    if (f[F_LINK].type != PMP_JV_STRING ||
        pmp_reddit_id_parse(f[F_LINK].s, f[F_LINK].len, &it->link, &lp) || lp == 1)
        return missing(err, "link_id");
    if (f[F_PARENT].type != PMP_JV_STRING ||
        pmp_reddit_id_parse(f[F_PARENT].s, f[F_PARENT].len, &it->parent, &pp))
        return missing(err, "parent_id");
    /* Without a prefix, a parent equal to the thread id is the submission. */
    if (pp == 3 || (pp == 0 && it->parent == it->link)) it->flags |= PMP_RI_PARENT_T3;
    return 1;
}

/* ---- binary form: fixed header, then three length-prefixed strings ---- */

typedef struct rec_head {
    uint32_t flags;
    uint32_t lens[3];   /* subreddit, body, title */
    uint64_t id, link, parent, author_hash;
    double score, created_utc;
} rec_head;
_Static_assert(sizeof(rec_head) == 64, "rec_head has no padding: a spill record is its bytes");

void pmp_reddit_item_encode(pmp_buf *out, const pmp_reddit_item *it)
{
    rec_head h;
    memset(&h, 0, sizeof h);
    h.flags = it->flags | (it->repaired ? 1u << 31 : 0);
    h.lens[0] = (uint32_t)it->subreddit_len;
    h.lens[1] = (uint32_t)it->body_len;
    h.lens[2] = (uint32_t)it->title_len;
    h.id = it->id;
    h.link = it->link;
    h.parent = it->parent;
    h.author_hash = it->author_hash;
    h.score = it->score;
    h.created_utc = it->created_utc;
    pmp_buf_reserve(out, sizeof h + it->subreddit_len + it->body_len + it->title_len);
    pmp_buf_append(out, &h, sizeof h);
    pmp_buf_append(out, it->subreddit, it->subreddit_len);
    pmp_buf_append(out, it->body, it->body_len);
    pmp_buf_append(out, it->title, it->title_len);
}

int pmp_reddit_item_decode(const void *p, size_t n, pmp_reddit_item *it)
{
    rec_head h;
    if (n < sizeof h) return -1;
    memcpy(&h, p, sizeof h);
    uint64_t total = (uint64_t)h.lens[0] + h.lens[1] + h.lens[2];
    if (total != n - sizeof h) return -1;
    const char *s = (const char *)p + sizeof h;
    memset(it, 0, sizeof *it);
    it->flags = h.flags & ~(1u << 31);
    it->repaired = (h.flags >> 31) & 1;
    it->id = h.id;
    it->link = h.link;
    it->parent = h.parent;
    it->author_hash = h.author_hash;
    it->score = h.score;
    it->created_utc = h.created_utc;
    it->subreddit = s;
    it->subreddit_len = h.lens[0];
    it->body = s + h.lens[0];
    it->body_len = h.lens[1];
    it->title = it->body + h.lens[1];
    it->title_len = h.lens[2];
    return 0;
}

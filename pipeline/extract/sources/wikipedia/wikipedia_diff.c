/* wikipedia_diff.c — where two versions of a page differ: paragraphs first,
 * then sentences inside each changed run of paragraphs.
 *
 * Units are compared by 64-bit hashes; the LCS runs on the hash arrays after
 * the common prefix and suffix are trimmed, which leaves only a few units for
 * a typical vandal edit. When what remains is too large for the quadratic
 * table (a rewrite, not vandalism), it is treated as one change, which the
 * caller then drops as too large.
 */
#include "pmp_wikipedia.h"

#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct unit {
    size_t start, end;
    uint64_t hash;
} unit;

typedef struct units {
    unit *v;
    size_t n, cap;
} units;

typedef struct hunk {
    size_t a0, a1;   /* bad units  [a0, a1) */
    size_t b0, b1;   /* good units [b0, b1) */
} hunk;

typedef struct hunks {
    hunk *v;
    size_t n, cap;
} hunks;

enum { MAX_LCS_CELLS = 4 * 1000 * 1000 };

static void units_push(units *u, const char *s, size_t start, size_t end)
{
    while (start < end && (s[start] == ' ' || s[start] == '\n')) start++;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\n')) end--;
    if (start == end) return;
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 64;
        u->v = pmp_xrealloc(u->v, u->cap * sizeof *u->v);
    }
    u->v[u->n++] = (unit){start, end, XXH3_64bits(s + start, end - start)};
}

static void hunks_push(hunks *h, size_t a0, size_t a1, size_t b0, size_t b1)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->v = pmp_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n++] = (hunk){a0, a1, b0, b1};
}

/* Paragraphs: separated by blank lines (cleaned text has exactly "\n\n"). */
static void split_paragraphs(const char *s, size_t start, size_t end, units *u)
{
    size_t p = start;
    for (size_t i = start; i + 1 < end; i++) {
        if (s[i] == '\n' && s[i + 1] == '\n') {
            units_push(u, s, p, i);
            p = i + 2;
            i++;
        }
    }
    units_push(u, s, p, end);
}

/* Sentences: a line break ends one, and so does . ! or ? (plus closing quotes
 * or brackets) followed by a space. */
static void split_sentences(const char *s, size_t start, size_t end, units *u)
{
    size_t p = start;
    for (size_t i = start; i < end; i++) {
        char c = s[i];
        if (c == '\n') {
            units_push(u, s, p, i);
            p = i + 1;
        } else if (c == '.' || c == '!' || c == '?') {
            size_t j = i + 1;
            while (j < end && (s[j] == '"' || s[j] == '\'' || s[j] == ')' || s[j] == ']')) j++;
            if (j < end && s[j] == ' ') {
                units_push(u, s, p, j);
                p = j + 1;
                i = j;
            }
        }
    }
    units_push(u, s, p, end);
}

/* Appends the changed runs between a (bad) and b (good) to h, as LCS hunks. */
static void diff_units(const units *a, const units *b, hunks *h)
{
    size_t n = a->n, m = b->n, pre = 0, suf = 0;
    while (pre < n && pre < m && a->v[pre].hash == b->v[pre].hash) pre++;
    while (suf < n - pre && suf < m - pre && a->v[n - 1 - suf].hash == b->v[m - 1 - suf].hash)
        suf++;
    size_t an = n - pre - suf, bn = m - pre - suf;
    if (an == 0 && bn == 0) return;
    if (an == 0 || bn == 0 || (an + 1) * (bn + 1) > MAX_LCS_CELLS) {
        hunks_push(h, pre, pre + an, pre, pre + bn);
        return;
    }
    const unit *av = a->v + pre, *bv = b->v + pre;
    /* L[i][j] = LCS length of av[i..] and bv[j..] */
    uint32_t *L = pmp_xcalloc((an + 1) * (bn + 1), sizeof *L);
#define CELL(i, j) L[(i) * (bn + 1) + (j)]
    for (size_t i = an; i-- > 0;)
        for (size_t j = bn; j-- > 0;)
            CELL(i, j) = av[i].hash == bv[j].hash
                             ? CELL(i + 1, j + 1) + 1
                             : (CELL(i + 1, j) >= CELL(i, j + 1) ? CELL(i + 1, j) : CELL(i, j + 1));
    size_t i = 0, j = 0, hi = 0, hj = 0;
    while (i < an || j < bn) {
        if (i < an && j < bn && av[i].hash == bv[j].hash) {
            if (hi < i || hj < j) hunks_push(h, pre + hi, pre + i, pre + hj, pre + j);
            i++, j++;
            hi = i, hj = j;
        } else if (j == bn || (i < an && CELL(i + 1, j) >= CELL(i, j + 1))) {
            i++;
        } else {
            j++;
        }
    }
    if (hi < an || hj < bn) hunks_push(h, pre + hi, pre + an, pre + hj, pre + bn);
#undef CELL
    free(L);
}

typedef struct regions {
    pmp_wiki_region *v;
    size_t n, cap;
} regions;

static void regions_push(regions *r, pmp_wiki_region x)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->v = pmp_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = x;
}

/* The last (or first) sentence of paragraph u, as an anchor for a pure
 * insertion or deletion next to it. */
static unit edge_sentence(const char *s, const unit *para, int last)
{
    units u = {0};
    split_sentences(s, para->start, para->end, &u);
    unit r = u.n ? u.v[last ? u.n - 1 : 0] : *para;
    free(u.v);
    return r;
}

size_t pmp_wiki_diff(const char *good, size_t glen, const char *bad, size_t blen,
                     pmp_wiki_region **out)
{
    units pa = {0}, pg = {0};
    hunks ph = {0};
    regions res = {0};
    split_paragraphs(bad, 0, blen, &pa);
    split_paragraphs(good, 0, glen, &pg);
    diff_units(&pa, &pg, &ph);
    for (size_t k = 0; k < ph.n; k++) {
        const hunk *p = &ph.v[k];
        units sa = {0}, sg = {0};
        hunks sh = {0};
        if (p->a1 > p->a0) split_sentences(bad, pa.v[p->a0].start, pa.v[p->a1 - 1].end, &sa);
        if (p->b1 > p->b0) split_sentences(good, pg.v[p->b0].start, pg.v[p->b1 - 1].end, &sg);
        diff_units(&sa, &sg, &sh);
        for (size_t q = 0; q < sh.n; q++) {
            const hunk *h = &sh.v[q];
            int a_empty = h->a0 == h->a1, g_empty = h->b0 == h->b1;
            /* the first and last unit of each side, before anchoring */
            unit af = {0, 0, 0}, al = {0, 0, 0}, gf = {0, 0, 0}, gl = {0, 0, 0};
            if (!a_empty) af = sa.v[h->a0], al = sa.v[h->a1 - 1];
            if (!g_empty) gf = sg.v[h->b0], gl = sg.v[h->b1 - 1];
            int blank = 0;
            if (a_empty || g_empty) {
                /* Anchor with an unchanged neighbour present on both sides: in
                 * this run of paragraphs, else the paragraph before or after. */
                unit xa, xg;
                int before;
                if (h->a0 > 0 && h->b0 > 0) {
                    xa = sa.v[h->a0 - 1], xg = sg.v[h->b0 - 1], before = 1;
                } else if (h->a1 < sa.n && h->b1 < sg.n) {
                    xa = sa.v[h->a1], xg = sg.v[h->b1], before = 0;
                } else if (p->a0 > 0 && p->b0 > 0) {
                    xa = edge_sentence(bad, &pa.v[p->a0 - 1], 1);
                    xg = edge_sentence(good, &pg.v[p->b0 - 1], 1);
                    before = 1;
                } else if (p->a1 < pa.n && p->b1 < pg.n) {
                    xa = edge_sentence(bad, &pa.v[p->a1], 0);
                    xg = edge_sentence(good, &pg.v[p->b1], 0);
                    before = 0;
                } else {
                    blank = 1;
                    before = -1;
                    xa = xg = (unit){0, 0, 0};
                }
                if (before == 1) {
                    af = xa;
                    if (a_empty) al = xa;
                    gf = xg;
                    if (g_empty) gl = xg;
                } else if (before == 0) {
                    al = xa;
                    if (a_empty) af = xa;
                    gl = xg;
                    if (g_empty) gf = xg;
                }
            }
            regions_push(&res, (pmp_wiki_region){gf.start, gl.end, af.start, al.end, blank});
        }
        free(sa.v);
        free(sg.v);
        free(sh.v);
    }
    free(pa.v);
    free(pg.v);
    free(ph.v);
    *out = res.v;
    return res.n;
}

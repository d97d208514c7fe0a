/* wikitext_nest.c — the nested constructs of wikitext, found with a bracket
 * stack: {{templates}}, {{{params}}}, {| tables |} and [[links]].
 *
 * Both passes first collect the spans of balanced pairs, then act on the
 * outermost ones. An opener without a closer never becomes a span, so it is
 * kept as literal text (vandals type "{{" and "[[" a lot).
 */
#include "wikitext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    size_t start, end;   /* [start, end) including the brackets */
} span;

typedef struct opener {
    size_t pos;
    unsigned char width;   /* 2 or 3 braces; 0 = a table "{|" */
} opener;

typedef struct spans {
    span *v;
    size_t n, cap;
} spans;

static void spans_push(spans *s, size_t start, size_t end)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = pmp_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (span){start, end};
}

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    /* same start: the longer (outer) span first */
    return x->end > y->end ? -1 : x->end < y->end;
}

/* Sorts and keeps only the outermost spans (the others lie inside them). */
static void spans_outermost(spans *s)
{
    if (s->n == 0) return;
    qsort(s->v, s->n, sizeof *s->v, span_cmp);
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i].start >= s->v[k].end) s->v[++k] = s->v[i];
    }
    s->n = k + 1;
}

/* True when only spaces or ':' (indentation) precede position i on its line. */
static int at_line_start(const char *s, size_t i)
{
    while (i > 0) {
        char c = s[i - 1];
        if (c == '\n') return 1;
        if (c != ' ' && c != '\t' && c != ':') return 0;
        i--;
    }
    return 1;
}

typedef struct ostack {
    opener *v;
    size_t n, cap;
} ostack;

static void ostack_push(ostack *st, size_t pos, unsigned char width)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 16;
        st->v = pmp_xrealloc(st->v, st->cap * sizeof *st->v);
    }
    st->v[st->n++] = (opener){pos, width};
}

void pmp_wikitext_strip_braces(const char *s, size_t len, pmp_buf *out)
{
    ostack st = {0};
    spans sp = {0};
    size_t i = 0;
    while (i < len) {
        /* most bytes are text: skip to the next one that can matter */
        i = pmp_wikitext_skip(s, i, len, '{', '}', '|');
        if (i == len) break;
        char c = s[i];
        if (c == '{') {
            size_t k = 1;
            while (i + k < len && s[i + k] == '{') k++;
            if (k == 1) {
                if (i + 1 < len && s[i + 1] == '|' && at_line_start(s, i)) {
                    ostack_push(&st, i, 0);
                    i += 2;
                } else {
                    i++;
                }
                continue;
            }
            /* A run of k braces: "{{{" is a parameter, longer runs nest. */
            size_t p = i;
            while (k >= 2) {
                unsigned char w = (k == 3 || k >= 5) ? 3 : 2;
                ostack_push(&st, p, w);
                p += w;
                k -= w;
            }
            i = p + k;
            continue;
        }
        if (c == '}') {
            size_t k = 1;
            while (i + k < len && s[i + k] == '}') k++;
            size_t p = i;
            while (k >= 2 && st.n > 0 && st.v[st.n - 1].width != 0) {
                opener o = st.v[--st.n];
                size_t w = o.width <= k ? o.width : k;
                p += w;
                k -= w;
                spans_push(&sp, o.pos, p);
            }
            i = p + k;
            continue;
        }
        if (c == '|' && i + 1 < len && s[i + 1] == '}' && at_line_start(s, i)) {
            size_t t = st.n;
            while (t > 0 && st.v[t - 1].width != 0) t--;
            if (t > 0) {
                spans_push(&sp, st.v[t - 1].pos, i + 2);
                st.n = t - 1;
            }
            i += 2;
            continue;
        }
        i++;
    }
    spans_outermost(&sp);
    size_t pos = 0;
    for (size_t j = 0; j < sp.n; j++) {
        pmp_buf_append(out, s + pos, sp.v[j].start - pos);
        pos = sp.v[j].end;
    }
    pmp_buf_append(out, s + pos, len - pos);
    free(st.v);
    free(sp.v);
}

/* Namespaces whose links are not running text (English and the languages of
 * our test dumps). Compared case-insensitively for ASCII letters. */
static const char *const dropped_ns[] = {
    "file", "image", "media", "category", "datei", "bild", "kategorie", "fichier",
    "catégorie", "categorie", "immagine", "categoria", "archivo", "imagen", "categoría",
    "arquivo", "imagem", "bestand", "afbeelding", "plik", "kategoria", "kategori",
};

/* Interlanguage prefixes: a 2-3 letter lowercase code, optional -suffixes
 * ("de", "simple" is not matched on purpose: 6 letters; "zh-min-nan"). */
static int is_language_prefix(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] >= 'a' && p[i] <= 'z') i++;
    if (i < 2 || i > 3) return 0;
    while (i < n) {
        if (p[i] != '-') return 0;
        size_t j = ++i;
        while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9'))) i++;
        if (i == j) return 0;
    }
    return 1;
}

static int is_dropped_target(const char *t, size_t n)
{
    const char *colon = memchr(t, ':', n);
    if (!colon) return 0;
    size_t pn = (size_t)(colon - t);
    while (pn > 0 && t[pn - 1] == ' ') pn--;
    for (size_t i = 0; i < sizeof dropped_ns / sizeof dropped_ns[0]; i++) {
        if (strlen(dropped_ns[i]) == pn && strncasecmp(t, dropped_ns[i], pn) == 0) return 1;
    }
    return is_language_prefix(t, pn);
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**p)) (*p)++, (*n)--;
    while (*n > 0 && isspace((unsigned char)(*p)[*n - 1])) (*n)--;
}

static void render_links(const char *s, size_t len, pmp_buf *out, int depth);

static void render_one(const char *in, size_t n, pmp_buf *out, int depth)
{
    /* the first '|' outside nested [[...]] separates target from label */
    size_t bar = n, nest = 0;
    for (size_t i = 0; i + 1 <= n; i++) {
        if (i + 1 < n && in[i] == '[' && in[i + 1] == '[') nest++, i++;
        else if (i + 1 < n && in[i] == ']' && in[i + 1] == ']' && nest > 0) nest--, i++;
        else if (in[i] == '|' && nest == 0) { bar = i; break; }
    }
    const char *t = in;
    size_t tn = bar;
    trim(&t, &tn);
    int forced = tn > 0 && t[0] == ':';   /* [[:Category:X]] is an ordinary link */
    if (forced) t++, tn--;
    if (!forced && is_dropped_target(t, tn)) return;
    if (bar < n) {
        const char *l = in + bar + 1;
        size_t ln = n - bar - 1;
        trim(&l, &ln);
        if (ln > 0) {
            render_links(l, ln, out, depth + 1);
            return;
        }
    }
    pmp_buf_append(out, t, tn);
}

static void render_links(const char *s, size_t len, pmp_buf *out, int depth)
{
    if (depth > 4) {   /* absurd nesting: keep it as written */
        pmp_buf_append(out, s, len);
        return;
    }
    size_t *stack = NULL, n = 0, cap = 0;
    spans sp = {0};
    for (size_t i = 0; i < len;) {
        i = pmp_wikitext_skip(s, i, len, '[', ']', ']');
        if (i == len) break;
        char c = s[i];
        size_t k = 1;
        while (i + k < len && s[i + k] == c) k++;
        if (c == '[') {
            if (k >= 2) {   /* "[[[x]]]" is a link inside a literal '[' */
                if (n == cap) {
                    cap = cap ? 2 * cap : 16;
                    stack = pmp_xrealloc(stack, cap * sizeof *stack);
                }
                stack[n++] = i + k - 2;
            }
        } else {
            size_t p = i;
            while (k - (p - i) >= 2 && n > 0) {
                spans_push(&sp, stack[--n], p + 2);
                p += 2;
            }
        }
        i += k;
    }
    spans_outermost(&sp);
    size_t pos = 0;
    for (size_t j = 0; j < sp.n; j++) {
        pmp_buf_append(out, s + pos, sp.v[j].start - pos);
        render_one(s + sp.v[j].start + 2, sp.v[j].end - sp.v[j].start - 4, out, depth);
        pos = sp.v[j].end;
    }
    pmp_buf_append(out, s + pos, len - pos);
    free(stack);
    free(sp.v);
}

void pmp_wikitext_render_links(const char *s, size_t len, pmp_buf *out)
{
    render_links(s, len, out, 0);
}

/* dedup_eval.c — the evaluation texts' word n-grams (decontamination), and the
 * reader of --against files: group JSONL, hh-rlhf JSONL or plain text lines. */
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_internal.h"
#include "pmp_group.h"
#include "pmp_input.h"
#include "pmp_ndjson.h"

uint64_t pmp_dedup_ngram_hash(const uint64_t *words, unsigned n)
{
    uint64_t h = XXH3_64bits_withSeed(words, n * sizeof *words, 0x6e6772616d /* "ngram" */);
    return h ? h : 1;
}

uint64_t pmp_dedup_short_hash(const uint64_t *words, size_t count)
{
    uint64_t h = XXH3_64bits_withSeed(words, count * sizeof *words, 0x73686f7274 /* "short" */);
    return h ? h : 1;
}

static size_t ngram_home(uint64_t h, size_t mask) { return (size_t)(h >> 17) & mask; }

int64_t pmp_dedup_evalset_find(const pmp_dedup_evalset *e, uint64_t h)
{
    if (!e->used) return -1;
    size_t mask = e->n_slots - 1;
    for (size_t i = ngram_home(h, mask); e->keys[i]; i = (i + 1) & mask)
        if (e->keys[i] == h) return e->item[i];
    return -1;
}

static void filter_set(pmp_dedup_evalset *e, uint64_t h)
{
    uint64_t bit = (h * 0x9e3779b97f4a7c15ull) >> e->filter_shift;
    e->filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
}

static void evalset_put(pmp_dedup_evalset *e, uint64_t h, uint32_t item)
{
    if ((e->used + 1) * 2 > e->n_slots) {
        size_t n = e->n_slots ? 2 * e->n_slots : 1024;
        uint64_t *keys = pmp_xcalloc(n, sizeof *keys);
        uint32_t *items = pmp_xmalloc(n * sizeof *items);
        for (size_t i = 0; i < e->n_slots; i++) {
            if (!e->keys[i]) continue;
            size_t j = ngram_home(e->keys[i], n - 1);
            while (keys[j]) j = (j + 1) & (n - 1);
            keys[j] = e->keys[i];
            items[j] = e->item[i];
        }
        free(e->keys);
        free(e->item);
        e->keys = keys;
        e->item = items;
        e->n_slots = n;
        free(e->filter);
        unsigned log2 = 0;
        while (((size_t)1 << log2) < n * 8) log2++;
        e->filter = pmp_xcalloc(((size_t)1 << log2) / 64, sizeof *e->filter);
        e->filter_shift = 64 - log2;
        for (size_t i = 0; i < n; i++)
            if (keys[i]) filter_set(e, keys[i]);
    }
    size_t mask = e->n_slots - 1, i = ngram_home(h, mask);
    for (; e->keys[i]; i = (i + 1) & mask)
        if (e->keys[i] == h) return;   /* the first item keeps it */
    e->keys[i] = h;
    e->item[i] = item;
    e->used++;
    filter_set(e, h);
}

uint64_t pmp_dedup_evalset_bytes(const pmp_dedup_evalset *e)
{
    return (uint64_t)e->n_slots * (sizeof *e->keys + sizeof *e->item + 1) +
           (uint64_t)e->cap_items * (sizeof *e->names + sizeof *e->hits);
}

uint32_t pmp_dedup_evalset_new_item(pmp_dedup_evalset *e, const char *name)
{
    if (e->n_items == e->cap_items) {
        e->cap_items = e->cap_items ? 2 * e->cap_items : 256;
        e->names = pmp_xrealloc(e->names, e->cap_items * sizeof *e->names);
        e->hits = pmp_xrealloc(e->hits, e->cap_items * sizeof *e->hits);
    }
    e->names[e->n_items] = pmp_xstrdup(name);
    e->hits[e->n_items] = 0;
    return (uint32_t)e->n_items++;
}

/* 1 when the text had n words or more (its n-grams were added), else 0 (a text with
 * words is then added whole). */
int pmp_dedup_evalset_add_text(pmp_dedup_evalset *e, uint32_t item, const char *text, size_t len,
                               const char *text2, size_t len2)
{
    uint64_t h[2];
    e->words.n = 0;
    pmp_dedup_text_scan(&e->scratch, text, len, h, &e->words);
    if (text2) pmp_dedup_text_scan(&e->scratch, text2, len2, h, &e->words);
    e->texts++;
    if (e->words.n < e->n) {
        e->short_texts++;
        if (e->words.n) evalset_put(e, pmp_dedup_short_hash(e->words.v, e->words.n), item);
        return 0;
    }
    for (size_t i = 0; i + e->n <= e->words.n; i++)
        evalset_put(e, pmp_dedup_ngram_hash(e->words.v + i, e->n), item);
    return 1;
}

void pmp_dedup_evalset_free(pmp_dedup_evalset *e)
{
    free(e->keys);
    free(e->item);
    free(e->filter);
    for (size_t i = 0; i < e->n_items; i++) free(e->names[i]);
    free(e->names);
    free(e->hits);
    pmp_dedup_text_scratch_free(&e->scratch);
    free(e->words.v);
    memset(e, 0, sizeof *e);
}

/* ---------- reading an evaluation file ---------- */

enum eval_kind { K_UNKNOWN, K_GROUP, K_HH, K_TEXT };
static const char *const kind_name[] = {"", "group records", "hh-rlhf rows {chosen, rejected}",
                                        "plain text"};

typedef struct eval_reader {
    pmp_dedup_evalset *e;
    const char *name;
    enum eval_kind kind;
    pmp_group_parser *gp;
    pmp_ndjson *hh;
    pmp_group g;
    pmp_buf item;
} eval_reader;

static int eval_line(eval_reader *r, const char *line, size_t len, uint64_t lineno, pmp_err *err)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
    if (len == 0) return 0;
    if (r->kind == K_UNKNOWN) {
        if (line[0] != '{') {
            r->kind = K_TEXT;
        } else {
            static const char *const probe_keys[] = {"responses", "chosen", "rejected"};
            pmp_ndjson *probe = pmp_ndjson_new(probe_keys, 3);
            pmp_jfield f[3];
            pmp_err perr;
            int rc = pmp_ndjson_extract(probe, line, len, f, &perr);
            pmp_ndjson_free(probe);
            if (rc < 0)
                r->kind = K_TEXT;   /* a text line that starts with '{' */
            else if (f[0].type != PMP_JV_ABSENT)
                r->kind = K_GROUP;
            else if (f[1].type != PMP_JV_ABSENT || f[2].type != PMP_JV_ABSENT)
                r->kind = K_HH;
            else
                return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: a JSON object that is neither a group "
                                    "record nor an hh-rlhf row {\"chosen\", \"rejected\"}", r->name,
                                    (unsigned long long)lineno);
        }
    }
    pmp_dedup_evalset *e = r->e;
    pmp_err perr;
    switch (r->kind) {
    case K_TEXT: {
        pmp_buf_clear(&r->item);
        pmp_buf_printf(&r->item, "%s:%llu", r->name, (unsigned long long)lineno);
        if (pmp_utf8_check(line, len) != len)
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: not valid UTF-8 (%s)", r->name,
                                (unsigned long long)lineno, kind_name[r->kind]);
        pmp_dedup_evalset_add_text(e, pmp_dedup_evalset_new_item(e, r->item.data), line, len, NULL, 0);
        return 0;
    }
    case K_GROUP: {
        if (pmp_group_parser_parse(r->gp, &r->g, line, len, 0, &perr) < 0)
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s (the file's first record was a group)",
                                r->name, (unsigned long long)lineno, perr.msg);
        /* the group's texts as a reader of its pairs sees them: context + each response */
        uint32_t it = pmp_dedup_evalset_new_item(e, r->g.id);
        for (size_t i = 0; i < r->g.n_responses; i++)
            pmp_dedup_evalset_add_text(e, it, r->g.context, r->g.context_len, r->g.responses[i].text,
                                       r->g.responses[i].text_len);
        return 0;
    }
    case K_HH: {
        pmp_jfield f[2];
        if (pmp_ndjson_extract(r->hh, line, len, f, &perr) < 0)
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s", r->name, (unsigned long long)lineno,
                                perr.msg);
        for (int i = 0; i < 2; i++)
            if (f[i].type != PMP_JV_STRING)
                return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: \"%s\" is %s, expected a string "
                                    "(hh-rlhf rows)", r->name, (unsigned long long)lineno,
                                    i ? "rejected" : "chosen", f[i].type == PMP_JV_ABSENT ? "missing" : "not a string");
        pmp_buf_clear(&r->item);
        pmp_buf_printf(&r->item, "%s:%llu", r->name, (unsigned long long)lineno);
        uint32_t it = pmp_dedup_evalset_new_item(e, r->item.data);
        /* the scanner's strings live until its next call: copy the second */
        char *rej = pmp_xstrndup(f[1].s, f[1].len);
        size_t rej_len = f[1].len;
        pmp_dedup_evalset_add_text(e, it, f[0].s, f[0].len, NULL, 0);
        pmp_dedup_evalset_add_text(e, it, rej, rej_len, NULL, 0);
        free(rej);
        return 0;
    }
    default:
        return 0;
    }
}

static void reader_init(eval_reader *r, pmp_dedup_evalset *e, const char *name)
{
    memset(r, 0, sizeof *r);
    r->e = e;
    r->name = name;
    r->gp = pmp_group_parser_new();
    static const char *const hh_keys[] = {"chosen", "rejected"};
    r->hh = pmp_ndjson_new(hh_keys, 2);
    pmp_group_init(&r->g);
}

static void reader_free(eval_reader *r)
{
    pmp_group_parser_free(r->gp);
    pmp_ndjson_free(r->hh);
    pmp_group_clear(&r->g);
    pmp_buf_free(&r->item);
}

static int check_mem(pmp_dedup *d, const char *name, pmp_err *err)
{
    uint64_t b = pmp_dedup_evalset_bytes(&d->eval);
    if (b > d->o.mem_bytes)
        return pmp_err_setc(err, PMP_E_NOSPACE, "%s: the evaluation n-grams need %.1f MiB, more than "
                            "--mem %.1f MiB; raise --mem", name, b / 1048576.0, d->o.mem_bytes / 1048576.0);
    return 0;
}

int pmp_dedup_add_eval_file(pmp_dedup *d, const char *path, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    pmp_input_set_max_line(in, d->o.max_line_bytes);
    eval_reader r;
    reader_init(&r, &d->eval, pmp_input_name(in));
    int rc;
    const char *line;
    size_t len;
    while ((rc = pmp_input_line(in, &line, &len, err)) == 1) {
        if ((rc = eval_line(&r, line, len, pmp_input_line_number(in), err)) < 0) break;
        if ((rc = check_mem(d, r.name, err)) < 0) break;
        rc = 1;
    }
    if (rc == PMP_INPUT_LONG_LINE)
        rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: line longer than %zu bytes", r.name,
                          (unsigned long long)pmp_input_line_number(in), d->o.max_line_bytes);
    reader_free(&r);
    pmp_input_close(in);
    return rc < 0 ? -1 : 0;
}

int pmp_dedup_add_eval_mem(pmp_dedup *d, const char *name, const char *data, size_t len, pmp_err *err)
{
    eval_reader r;
    reader_init(&r, &d->eval, name);
    uint64_t lineno = 0;
    int rc = 0;
    const char *p = data, *end = data + len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        rc = eval_line(&r, p, (size_t)(le - p), ++lineno, err);
        if (rc == 0) rc = check_mem(d, name, err);
        p = nl ? nl + 1 : end;
    }
    reader_free(&r);
    return rc;
}

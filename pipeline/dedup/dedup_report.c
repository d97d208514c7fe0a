/* dedup_report.c — counts per source, the figures of a run and the --report document. */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

#define MAX_SOURCES 1024   /* past this, further source names count as "(other)" */

pmp_dedup_counts *pmp_dedup_source_counts(pmp_dedup *d, const char *name)
{
    for (size_t i = 0; i < d->n_src; i++)
        if (strcmp(d->src[i].name, name) == 0) return &d->src[i].c;
    if (d->n_src >= MAX_SOURCES) name = "(other)";
    for (size_t i = 0; i < d->n_src; i++)
        if (strcmp(d->src[i].name, name) == 0) return &d->src[i].c;
    if (d->n_src == d->cap_src) {
        d->cap_src = d->cap_src ? 2 * d->cap_src : 8;
        d->src = pmp_xrealloc(d->src, d->cap_src * sizeof *d->src);
    }
    pmp_dedup_source *s = &d->src[d->n_src++];
    memset(s, 0, sizeof *s);
    s->name = pmp_xstrdup(name);
    return &s->c;
}

void pmp_dedup_cost_per_group(const pmp_dedup *d, double *per_kept, double *per_group_exact)
{
    /* At the tables' load factor (at most 1/2, so 2 slots per entry on average after
     * the last doubling and up to 4 just after one): 3 slots per entry as the figure. */
    *per_group_exact = 3.0 * 16;
    *per_kept = d->o.near > 0 ? (double)d->mh.perms * 2 + 3.0 * 8 * d->mh.bands : 0;
}

void pmp_dedup_get_stats(const pmp_dedup *d, pmp_dedup_stats *st)
{
    *st = d->st;
    st->eval_items = d->eval.n_items;
    st->eval_texts = d->eval.texts;
    st->eval_short_texts = d->eval.short_texts;
    st->eval_ngrams = d->eval.used;
    st->index_bytes = pmp_dedup_keyset_bytes(&d->exact) + pmp_dedup_lsh_bytes(&d->lsh);
    st->eval_bytes = pmp_dedup_evalset_bytes(&d->eval);
    st->kept_signatures = d->lsh.n;
    st->bands = d->mh.bands;
    st->rows = d->mh.rows;
}

static void put_counts(pmp_jobj *j, const char *key, const pmp_dedup_counts *c)
{
    pmp_jobj_object(j, key);
    pmp_jobj_u64(j, "groups_in", c->groups_in);
    pmp_jobj_u64(j, "groups_out", c->groups_out);
    pmp_jobj_u64(j, "exact_duplicates", c->exact_dups);
    pmp_jobj_u64(j, "near_duplicates", c->near_dups);
    pmp_jobj_u64(j, "contaminated", c->contaminated);
    pmp_jobj_u64(j, "responses_repeated", c->responses_dropped);
    pmp_jobj_u64(j, "groups_too_few_responses", c->groups_too_few);
    pmp_jobj_u64(j, "groups_rewritten", c->rewritten);
    pmp_jobj_close(j);
}

static const pmp_dedup_evalset *sort_eval;
static int by_hits(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint64_t hx = sort_eval->hits[x], hy = sort_eval->hits[y];
    if (hx != hy) return hx > hy ? -1 : 1;
    return x < y ? -1 : x > y;
}

void pmp_dedup_report_json(const pmp_dedup *d, pmp_buf *out)
{
    pmp_dedup_stats st;
    pmp_dedup_get_stats(d, &st);
    pmp_jobj j;
    pmp_jobj_begin_pretty(&j, out);
    pmp_jobj_str(&j, "program", "pmp-dedup");
    pmp_jobj_str(&j, "version", PMP_VERSION);
    pmp_jobj_object_lines(&j, "parameters");
    pmp_jobj_str(&j, "normalisation", "NFC, case folded, whitespace runs as one space; words: runs of "
                                      "Unicode letters, marks and digits");
    pmp_jobj_num(&j, "near", d->o.near);
    pmp_jobj_str(&j, "near_text", "context followed by the best response");
    pmp_jobj_int(&j, "shingle_words", d->o.shingle_words);
    pmp_jobj_int(&j, "permutations", d->mh.perms);
    pmp_jobj_int(&j, "bands", d->mh.bands);
    pmp_jobj_int(&j, "rows", d->mh.rows);
    pmp_jobj_int(&j, "ngram_words", d->o.ngram);
    pmp_jobj_u64(&j, "mem_bytes", d->o.mem_bytes);
    pmp_jobj_close(&j);
    put_counts(&j, "total", &st.total);
    pmp_jobj_object_lines(&j, "sources");
    for (size_t i = 0; i < d->n_src; i++) put_counts(&j, d->src[i].name, &d->src[i].c);
    pmp_jobj_close(&j);
    pmp_jobj_object_lines(&j, "evaluation");
    pmp_jobj_u64(&j, "items", st.eval_items);
    pmp_jobj_u64(&j, "texts", st.eval_texts);
    pmp_jobj_u64(&j, "texts_shorter_than_ngram", st.eval_short_texts);
    pmp_jobj_u64(&j, "ngrams", st.eval_ngrams);
    uint32_t *order = pmp_xmalloc((d->eval.n_items + 1) * sizeof *order);
    size_t n_hit = 0;
    for (size_t i = 0; i < d->eval.n_items; i++)
        if (d->eval.hits[i]) order[n_hit++] = (uint32_t)i;
    sort_eval = &d->eval;
    qsort(order, n_hit, sizeof *order, by_hits);
    pmp_jobj_u64(&j, "items_hit", n_hit);
    pmp_jobj_array_lines(&j, "hits");
    for (size_t i = 0; i < n_hit; i++) {
        pmp_jobj_object(&j, NULL);
        pmp_jobj_str(&j, "item", d->eval.names[order[i]]);
        pmp_jobj_u64(&j, "groups", d->eval.hits[order[i]]);
        pmp_jobj_close(&j);
    }
    free(order);
    pmp_jobj_close(&j);
    pmp_jobj_close(&j);
    pmp_jobj_object_lines(&j, "index");
    pmp_jobj_u64(&j, "shingles", st.shingles);
    pmp_jobj_u64(&j, "groups_without_words", st.no_words);
    pmp_jobj_u64(&j, "kept_signatures", st.kept_signatures);
    pmp_jobj_u64(&j, "lsh_candidates_verified", st.candidates);
    pmp_jobj_u64(&j, "exact_keys", d->exact.used);
    pmp_jobj_u64(&j, "index_bytes", st.index_bytes);
    pmp_jobj_u64(&j, "eval_ngram_bytes", st.eval_bytes);
    double pk, pe;
    pmp_dedup_cost_per_group(d, &pk, &pe);
    pmp_jobj_num(&j, "bytes_per_kept_group", pk + pe);
    pmp_jobj_close(&j);
    /* Past half of --mem: rules 3 and 4 decided from sorted runs at the end (the index
     * figures above are those of the groups before the switch). */
    pmp_jobj_object_lines(&j, "external");
    pmp_jobj_bool(&j, "used", st.external);
    pmp_jobj_u64(&j, "groups_spooled", st.ext_groups);
    pmp_jobj_u64(&j, "kept_before_switch", st.ext_prefix_kept);
    pmp_jobj_u64(&j, "pairs_verified", st.ext_pairs);
    pmp_jobj_u64(&j, "near_duplicate_pairs", st.ext_edges);
    pmp_jobj_u64(&j, "oversized_band_buckets", st.ext_big_buckets);
    pmp_jobj_u64(&j, "spill_bytes", st.spill_bytes);
    pmp_jobj_u64(&j, "spill_peak_bytes", st.spill_peak_bytes);
    pmp_jobj_close(&j);
    pmp_jobj_object_lines(&j, "input");
    pmp_jobj_u64(&j, "bytes", st.input_bytes);
    pmp_jobj_u64(&j, "text_bytes", st.text_bytes);
    pmp_jobj_u64(&j, "bad_lines_skipped", st.total.bad_lines);
    pmp_jobj_close(&j);
    pmp_jobj_end(&j);
    pmp_buf_appendc(out, '\n');
}

/* tokenize_batch.c — parse and encode one batch in parallel
 * (tokenize_internal.h). Results land in per-index slots, so the output never
 * depends on which thread did what. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize_internal.h"

#define IDS_KEEP_MIN 256   /* ids: pmp_ids_push's first allocation */

void pmp_tok_batch_add_line(pmp_tok_batch *b, const char *line, size_t len, uint64_t lno)
{
    if (b->nl == b->cap) {
        size_t old = b->cap;
        b->cap = b->cap ? 2 * b->cap : 256;
        b->groups = pmp_xrealloc(b->groups, b->cap * sizeof *b->groups);
        for (size_t i = old; i < b->cap; i++) pmp_group_init(&b->groups[i]);
        b->loff = pmp_xrealloc(b->loff, b->cap * sizeof *b->loff);
        b->llen = pmp_xrealloc(b->llen, b->cap * sizeof *b->llen);
        b->lno = pmp_xrealloc(b->lno, b->cap * sizeof *b->lno);
        b->perr = pmp_xrealloc(b->perr, b->cap * sizeof *b->perr);
        b->kidx = pmp_xrealloc(b->kidx, b->cap * sizeof *b->kidx);
        b->ordinal = pmp_xrealloc(b->ordinal, b->cap * sizeof *b->ordinal);
        b->prefix_xxh64 = pmp_xrealloc(b->prefix_xxh64, b->cap * sizeof *b->prefix_xxh64);
        b->which = pmp_xrealloc(b->which, b->cap * sizeof *b->which);
        b->first_text = pmp_xrealloc(b->first_text, (b->cap + 1) * sizeof *b->first_text);
    }
    b->loff[b->nl] = b->lines.len;
    b->llen[b->nl] = len;
    b->lno[b->nl] = lno;
    b->perr[b->nl] = NULL;
    pmp_buf_append(&b->lines, line, len);
    b->nl++;
}

void pmp_tok_batch_parse(pmp_tok_batch *b, int threads, int docs)
{
    long nl = (long)b->nl;
#pragma omp parallel num_threads(threads)
    {
        /* One parser per thread, so its buffers are reused from group to group. */
        pmp_group_parser *p = pmp_group_parser_new();
#pragma omp for schedule(dynamic, 16)
        for (long k = 0; k < nl; k++) {
            pmp_err perr;
            if (pmp_group_parser_parse(p, &b->groups[k], b->lines.data + b->loff[k], b->llen[k],
                                       docs, &perr) < 0)
                b->perr[k] = pmp_xstrdup(perr.msg);
        }
        pmp_group_parser_free(p);
    }
}

static void add_text(pmp_tok_batch *b, const char *p, size_t n, int role)
{
    if (b->n_txt == b->cap_txt) {
        b->cap_txt = b->cap_txt ? 2 * b->cap_txt : 1024;
        b->txt = pmp_xrealloc(b->txt, b->cap_txt * sizeof *b->txt);
        b->len = pmp_xrealloc(b->len, b->cap_txt * sizeof *b->len);
        b->role = pmp_xrealloc(b->role, b->cap_txt * sizeof *b->role);
    }
    b->txt[b->n_txt] = p;
    b->len[b->n_txt] = n;
    b->role[b->n_txt] = role;
    b->n_txt++;
}

void pmp_tok_batch_select_texts(pmp_tok_batch *b, size_t k, uint64_t ordinal, int which,
                                const unsigned char *keep)
{
    const pmp_group *g = &b->groups[k];
    b->kidx[b->n] = k;
    b->ordinal[b->n] = ordinal;
    b->which[b->n] = which;
    b->first_text[b->n] = b->n_txt;
    if (!keep || keep[0]) add_text(b, g->context, g->context_len, -1);
    for (size_t i = 0; i < g->n_responses; i++)
        if (!keep || keep[1 + i]) add_text(b, g->responses[i].text, g->responses[i].text_len, (int)i);
    b->n++;
    b->first_text[b->n] = b->n_txt;
}

int pmp_tok_batch_encode(pmp_tok_batch *b, const pmp_bpe *bpe, pmp_bpe_scratch **scratch,
                         int threads, pmp_err *err)
{
    if (b->n_txt > b->cap_ids) {
        b->ids = pmp_xrealloc(b->ids, b->n_txt * sizeof *b->ids);
        for (size_t i = b->cap_ids; i < b->n_txt; i++) b->ids[i] = (pmp_ids)PMP_IDS_INIT;
        b->cap_ids = b->n_txt;
    }
    int failed = 0;
    size_t bad = 0;
    long nt = (long)b->n_txt;
#pragma omp parallel num_threads(threads)
    {
        pmp_bpe_scratch *s = scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 8)
        for (long i = 0; i < nt; i++) {
            pmp_ids_clear(&b->ids[i]);
            if (pmp_bpe_encode(bpe, s, b->txt[i], b->len[i], 0, &b->ids[i], NULL) < 0) {
#pragma omp critical
                {
                    failed = 1;
                    bad = (size_t)i;
                }
            }
        }
    }
    if (failed) return pmp_err_setc(err, PMP_E_INPUT, "tokenizer failed on a text (text %zu of a batch)", bad);
    return 0;
}

void pmp_tok_batch_reset(pmp_tok_batch *b)
{
    /* A slot keeps its token buffer for the next batch only while the buffer is
     * at most twice the text it just held (or the first allocation's 256 ids);
     * a slot this batch did not use keeps only that much. Otherwise every slot
     * would drift up to the longest text it ever held, and memory would creep with
     * the input's size (issue 30: at a fixed 8192-id limit pmp-tokenize grew from
     * 73 to 142 MB between 10 and 87 MB of Reddit groups, 95 MB of it token
     * buffers). So a batch's ids take at most 2 x its tokens + 1 KB a text slot. */
    for (size_t i = 0; i < b->cap_ids; i++) {
        size_t held = i < b->n_txt ? b->ids[i].len : 0;
        if (b->ids[i].cap > IDS_KEEP_MIN && b->ids[i].cap > 2 * held) pmp_ids_free(&b->ids[i]);
    }
    for (size_t k = 0; k < b->nl; k++) {
        free(b->perr[k]);
        b->perr[k] = NULL;
    }
    b->nl = 0;
    b->n = 0;
    b->n_txt = 0;
    pmp_buf_clear(&b->lines);
}

void pmp_tok_batch_free(pmp_tok_batch *b)
{
    pmp_tok_batch_reset(b);
    for (size_t i = 0; i < b->cap; i++) pmp_group_clear(&b->groups[i]);
    free(b->groups);
    pmp_buf_free(&b->lines);
    free(b->loff);
    free(b->llen);
    free(b->lno);
    free(b->prefix_xxh64);
    free(b->perr);
    free(b->kidx);
    free(b->ordinal);
    free(b->which);
    free(b->first_text);
    free(b->txt);
    free(b->len);
    free(b->role);
    for (size_t i = 0; i < b->cap_ids; i++) pmp_ids_free(&b->ids[i]);
    free(b->ids);
    memset(b, 0, sizeof *b);
}

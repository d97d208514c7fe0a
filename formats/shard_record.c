/* shard_record.c — the group record inside a shard block (docs/shards.md).
 * Decoding bounds-checks every length against the block, so a corrupt record
 * is an error with its byte offset, never a read past the buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_shard.h"

#define REC_HAS_META 1u
#define REC_HAS_SPLIT_KEY 2u   /* added later: records without it read as before */
#define RESP_HAS_ID 1u

static void put32(pmp_buf *b, uint32_t v)
{
    char t[4];
    pmp_le32(t, v);
    pmp_buf_append(b, t, 4);
}

static void put_f64(pmp_buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    char t[8];
    pmp_le64(t, u);
    pmp_buf_append(b, t, 8);
}

static void put_bytes(pmp_buf *b, const char *p, size_t n)
{
    put32(b, (uint32_t)n);
    pmp_buf_append(b, p, n);
}

static void put_tokens(pmp_buf *b, const uint32_t *t, uint32_t n)
{
    pmp_buf_reserve(b, (size_t)n * 4);
    char *p = b->data + b->len;
    for (uint32_t i = 0; i < n; i++) pmp_le32(p + 4 * (size_t)i, t[i]);
    b->len += (size_t)n * 4;
    b->data[b->len] = 0;
}

void pmp_shard_record_put(pmp_buf *out, const pmp_shard_group *g)
{
    size_t start = out->len;
    put32(out, 0);   /* record length, patched below */
    put32(out, (g->meta ? REC_HAS_META : 0) | (g->split_key ? REC_HAS_SPLIT_KEY : 0));
    put_bytes(out, g->source, g->source_len);
    put_bytes(out, g->id, g->id_len);
    put_bytes(out, g->meta ? g->meta : "", g->meta ? g->meta_len : 0);
    if (g->split_key) put_bytes(out, g->split_key, g->split_key_len);
    put32(out, g->n_ctx);
    put32(out, g->orig_ctx);
    put_tokens(out, g->ctx, g->n_ctx);
    put32(out, g->n_resp);
    for (uint32_t i = 0; i < g->n_resp; i++) {
        const pmp_shard_resp *r = &g->resp[i];
        put32(out, r->id ? RESP_HAS_ID : 0);
        put_bytes(out, r->id ? r->id : "", r->id ? r->id_len : 0);
        put_f64(out, r->score);
        put_f64(out, r->created_utc);
        put32(out, r->n_tokens);
        put32(out, r->orig_tokens);
        put_tokens(out, r->tokens, r->n_tokens);
    }
    put32(out, g->n_pairs);
    put_tokens(out, g->pairs, 2 * g->n_pairs);
    pmp_le32(out->data + start, (uint32_t)(out->len - start - 4));
}

void pmp_shard_decoder_free(pmp_shard_decoder *d)
{
    free(d->tok);
    free(d->resp);
    memset(d, 0, sizeof *d);
}

uint64_t pmp_shard_group_tokens(const pmp_shard_group *g)
{
    uint64_t n = g->n_ctx;
    for (uint32_t i = 0; i < g->n_resp; i++) n += g->resp[i].n_tokens;
    return n;
}

typedef struct rd {
    const char *p;
    size_t pos, end;
    size_t base;   /* offset of p[0] in the block, for messages */
    pmp_err *err;
} rd;

static int need(rd *r, size_t n, const char *what)
{
    if (r->end - r->pos < n)
        return pmp_err_setc(r->err, PMP_E_CORRUPT, "record at block byte %zu: %s runs past the record end",
                            r->base, what);
    return 0;
}

static int get32(rd *r, uint32_t *v, const char *what)
{
    if (need(r, 4, what) < 0) return -1;
    *v = pmp_rd32(r->p + r->pos);
    r->pos += 4;
    return 0;
}

static int get_bytes(rd *r, const char **s, size_t *n, const char *what)
{
    uint32_t len;
    if (get32(r, &len, what) < 0 || need(r, len, what) < 0) return -1;
    *s = r->p + r->pos;
    *n = len;
    r->pos += len;
    return 0;
}

static int get_f64(rd *r, double *d, const char *what)
{
    if (need(r, 8, what) < 0) return -1;
    uint64_t u = pmp_rd64(r->p + r->pos);
    memcpy(d, &u, 8);
    r->pos += 8;
    return 0;
}

/* Token arrays are copied into d->tok; pointers are fixed up after all copies
 * because the array may move while growing. Stores the offset in *off. */
static int get_tokens(rd *r, pmp_shard_decoder *d, size_t *used, uint32_t n, size_t *off,
                      const char *what)
{
    if (need(r, (size_t)n * 4, what) < 0) return -1;
    if (*used + n > d->tok_cap || !d->tok) {   /* also for 0 tokens: NULL + 0 is UB */
        d->tok_cap = (*used + n) * 2 + 64;
        d->tok = pmp_xrealloc(d->tok, d->tok_cap * sizeof *d->tok);
    }
    for (uint32_t i = 0; i < n; i++) d->tok[*used + i] = pmp_rd32(r->p + r->pos + 4 * (size_t)i);
    *off = *used;
    *used += n;
    r->pos += (size_t)n * 4;
    return 0;
}

int pmp_shard_record_get(pmp_shard_decoder *d, const char *p, size_t len, size_t *pos,
                         pmp_shard_group *g, pmp_err *err)
{
    rd r = {p, *pos, len, *pos, err};
    uint32_t rec_len, flags;
    if (get32(&r, &rec_len, "record length") < 0) return -1;
    if (need(&r, rec_len, "record") < 0) return -1;
    r.end = r.pos + rec_len;
    memset(g, 0, sizeof *g);
    if (get32(&r, &flags, "flags") < 0) return -1;
    if (flags & ~(REC_HAS_META | REC_HAS_SPLIT_KEY))
        return pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: unknown flags 0x%x", r.base,
                            flags);
    if (get_bytes(&r, &g->source, &g->source_len, "source") < 0) return -1;
    if (get_bytes(&r, &g->id, &g->id_len, "id") < 0) return -1;
    if (get_bytes(&r, &g->meta, &g->meta_len, "meta") < 0) return -1;
    if (!(flags & REC_HAS_META)) {
        if (g->meta_len)
            return pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: meta without flag", r.base);
        g->meta = NULL;
    }
    if (flags & REC_HAS_SPLIT_KEY) {
        if (get_bytes(&r, &g->split_key, &g->split_key_len, "split key") < 0) return -1;
        if (!g->split_key_len)
            return pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: empty split key", r.base);
    }
    size_t used = 0, ctx_off;
    if (get32(&r, &g->n_ctx, "context length") < 0 || get32(&r, &g->orig_ctx, "context length") < 0 ||
        get_tokens(&r, d, &used, g->n_ctx, &ctx_off, "context tokens") < 0)
        return -1;
    if (get32(&r, &g->n_resp, "response count") < 0) return -1;
    /* Each response needs at least 36 bytes: a cheap bound before allocating. */
    if ((uint64_t)g->n_resp * 36 > r.end - r.pos)
        return pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: response count %u too large",
                            r.base, g->n_resp);
    if (g->n_resp > d->resp_cap) {
        d->resp_cap = g->n_resp * 2;
        d->resp = pmp_xrealloc(d->resp, d->resp_cap * sizeof *d->resp);
    }
    size_t *offs = g->n_resp ? pmp_xmalloc(g->n_resp * sizeof *offs) : NULL;
    int rc = -1;
    for (uint32_t i = 0; i < g->n_resp; i++) {
        pmp_shard_resp *s = &d->resp[i];
        uint32_t rf;
        if (get32(&r, &rf, "response flags") < 0) goto done;
        if (rf & ~RESP_HAS_ID) {
            pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: unknown response flags", r.base);
            goto done;
        }
        if (get_bytes(&r, &s->id, &s->id_len, "response id") < 0) goto done;
        if (!(rf & RESP_HAS_ID)) {
            if (s->id_len) {
                pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: response id without flag",
                             r.base);
                goto done;
            }
            s->id = NULL;
        }
        if (get_f64(&r, &s->score, "score") < 0 || get_f64(&r, &s->created_utc, "created_utc") < 0 ||
            get32(&r, &s->n_tokens, "response length") < 0 ||
            get32(&r, &s->orig_tokens, "response length") < 0 ||
            get_tokens(&r, d, &used, s->n_tokens, &offs[i], "response tokens") < 0)
            goto done;
    }
    size_t pair_off;
    if (get32(&r, &g->n_pairs, "pair count") < 0 ||
        (uint64_t)g->n_pairs * 8 > r.end - r.pos ||
        get_tokens(&r, d, &used, 2 * g->n_pairs, &pair_off, "pairs") < 0) {
        if (g->n_pairs && (uint64_t)g->n_pairs * 8 > r.end - r.pos)
            pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: pair count %u too large", r.base,
                         g->n_pairs);
        goto done;
    }
    if (r.pos != r.end) {
        pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: %zu unexpected bytes at its end", r.base,
                     r.end - r.pos);
        goto done;
    }
    g->ctx = d->tok + ctx_off;
    for (uint32_t i = 0; i < g->n_resp; i++) d->resp[i].tokens = d->tok + offs[i];
    g->resp = d->resp;
    g->pairs = d->tok + pair_off;
    for (uint32_t k = 0; k < 2 * g->n_pairs; k++)
        if (g->pairs[k] >= g->n_resp) {
            pmp_err_setc(err, PMP_E_CORRUPT, "record at block byte %zu: pair index %u out of range", r.base,
                         g->pairs[k]);
            goto done;
        }
    *pos = r.pos;
    rc = 0;
done:
    free(offs);
    return rc;
}

/* vocab.c — the token table: id -> bytes, bytes -> (rank, id), special tokens,
 * and the identity hash. Loaders and the trainer fill it through bpe_add_*. */
#include "bpe_internal.h"

#include <stdlib.h>
#include <string.h>




pmp_bpe *pmp_bpe_new(void)
{
    pmp_bpe *b = pmp_xcalloc(1, sizeof *b);
    for (int i = 0; i < 256; i++) b->byte_id[i] = UINT32_MAX;
    b->slot_mask = 1023;
    b->slots = pmp_xcalloc(b->slot_mask + 1, sizeof *b->slots);
    /* Offset 0 is reserved so that a zero offset never names a real token. */
    pmp_buf_appendc(&b->pool, 0);
    return b;
}

void pmp_bpe_free(pmp_bpe *b)
{
    if (!b) return;
    free(b->tok_off);
    free(b->tok_len);
    free(b->tok_rank);
    free(b->tok_type);
    pmp_buf_free(&b->pool);
    free(b->slots);
    free(b->pair_rank);
    free(b->short_filter);
    free(b->long_filter);
    free(b->short_tab);
    free(b->long_tab);
    free(b->hot_seed);
    for (size_t i = 0; i < b->n_specials; i++) free(b->sp_text[i]);
    free(b->sp_text);
    free(b->sp_len);
    free(b->sp_id);
    free(b->pattern);
    free(b->pattern_name);
    if (b->re) pcre2_code_free(b->re);
    free(b);
}

static void slot_insert(bpe_slot *slots, uint32_t mask, const char *pool, bpe_slot v)
{
    const unsigned char *p = (const unsigned char *)pool + v.off;
    v.head = load_head(p, v.len);
    v.tail = v.len > 8 ? load_tail(p, v.len) : 0;
    uint64_t h = hash_key(p, v.len, v.head);
    v.tag = (uint16_t)(h >> 48);
    uint32_t i = (uint32_t)h & mask;
    while (slots[i].len) i = (i + 1) & mask;
    slots[i] = v;
}

static void grow_slots(pmp_bpe *b)
{
    uint32_t mask = b->slot_mask * 2 + 1;
    bpe_slot *ns = pmp_xcalloc_huge(((size_t)mask + 1) * sizeof *ns);
    for (uint32_t i = 0; i <= b->slot_mask; i++)
        if (b->slots[i].len) slot_insert(ns, mask, b->pool.data, b->slots[i]);
    free(b->slots);
    b->slots = ns;
    b->slot_mask = mask;
}

static void grow_ids(pmp_bpe *b, uint32_t id)
{
    if (id < b->cap_ids) {
        if (id >= b->n_ids) b->n_ids = id + 1;
        return;
    }
    uint32_t cap = b->cap_ids ? b->cap_ids : 1024;
    while (cap <= id) cap *= 2;
    b->tok_off = pmp_xrealloc(b->tok_off, cap * sizeof *b->tok_off);
    b->tok_len = pmp_xrealloc(b->tok_len, cap * sizeof *b->tok_len);
    b->tok_rank = pmp_xrealloc(b->tok_rank, cap * sizeof *b->tok_rank);
    b->tok_type = pmp_xrealloc(b->tok_type, cap);
    for (uint32_t i = b->cap_ids; i < cap; i++) {
        b->tok_off[i] = 0;
        b->tok_len[i] = 0;
        b->tok_rank[i] = BPE_NO_RANK;
        b->tok_type[i] = TOK_UNUSED;
    }
    b->cap_ids = cap;
    b->n_ids = id + 1;
}

#define BPE_MAX_ID (1u << 24)
/* room for specials placed past a cut vocabulary (cl100k's at 100257 above 300 tokens) */
#define BPE_ID_SLACK (1u << 18)

void pmp_bpe_expect_tokens(pmp_bpe *b, size_t n)
{
    b->id_limit = n < (BPE_MAX_ID - BPE_ID_SLACK) / 2 ? (uint32_t)(2 * n + BPE_ID_SLACK) : BPE_MAX_ID;
}

/* ids are dense in every real vocabulary (o200k: 200k ids, 200k tokens); the tables
 * are indexed by id, so one id of 4e9 in a 3 KB encoder.json would fill 4e9 slots */
static int id_out_of_range(const pmp_bpe *b, uint32_t id, pmp_err *err)
{
    uint32_t lim = b->id_limit ? b->id_limit : BPE_MAX_ID;
    if (id < lim) return 0;
    pmp_err_setc(err, PMP_E_INPUT, "token id %u out of range: ids must be below %u (twice the file's tokens plus "
                "2^18, at most 2^24)", id, lim);
    return 1;
}

int pmp_bpe_add_token(pmp_bpe *b, uint32_t id, const void *bytes, size_t len, uint32_t rank,
                  pmp_err *err)
{
    if (len == 0) return pmp_err_setc(err, PMP_E_INPUT, "empty token (id %u)", id);
    if (len > UINT16_MAX) return pmp_err_setc(err, PMP_E_UNSUPPORTED, "token %u is longer than 65535 bytes", id);
    if (id_out_of_range(b, id, err)) return -1;
    if (id < b->n_ids && b->tok_type[id] != TOK_UNUSED)
        return pmp_err_setc(err, PMP_E_INPUT, "id %u is used twice", id);
    if (b->pool.len + len > UINT32_MAX) return pmp_err_setc(err, PMP_E_UNSUPPORTED, "vocabulary too large");
    if (rank != BPE_NO_RANK) {
        const bpe_slot *dup = bpe_find(b, bytes, len);
        if (dup) return pmp_err_setc(err, PMP_E_INPUT, "token %u repeats the bytes of token %u", id, dup->id);
    }
    grow_ids(b, id);
    uint32_t off = (uint32_t)b->pool.len;
    pmp_buf_append(&b->pool, bytes, len);
    b->tok_off[id] = off;
    b->tok_len[id] = (uint32_t)len;
    b->tok_rank[id] = rank;
    b->tok_type[id] = TOK_ORDINARY;
    b->n_ordinary++;
    if (len == 1 && b->byte_id[*(const unsigned char *)bytes] == UINT32_MAX)
        b->byte_id[*(const unsigned char *)bytes] = id;
    if (rank != BPE_NO_RANK) {
        if ((b->n_slots_used + 1) * 2 > b->slot_mask) grow_slots(b);
        bpe_slot v = {0, 0, off, (uint16_t)len, 0, rank, id};
        slot_insert(b->slots, b->slot_mask, b->pool.data, v);
        b->n_slots_used++;
    }
    return 0;
}

int pmp_bpe_add_special(pmp_bpe *b, uint32_t id, const char *text, size_t len, pmp_err *err)
{
    if (len == 0) return pmp_err_setc(err, PMP_E_INPUT, "empty special token (id %u)", id);
    if (id_out_of_range(b, id, err)) return -1;
    if (id < b->n_ids && b->tok_type[id] != TOK_UNUSED)
        return pmp_err_setc(err, PMP_E_INPUT, "special token %.*s: id %u is already used", (int)len, text, id);
    for (size_t i = 0; i < b->n_specials; i++)
        if (b->sp_len[i] == len && memcmp(b->sp_text[i], text, len) == 0)
            return pmp_err_setc(err, PMP_E_INPUT, "special token %.*s is defined twice", (int)len, text);
    if (b->pool.len + len > UINT32_MAX) return pmp_err_setc(err, PMP_E_UNSUPPORTED, "vocabulary too large");
    grow_ids(b, id);
    b->tok_off[id] = (uint32_t)b->pool.len;
    b->tok_len[id] = (uint32_t)len;
    b->tok_type[id] = TOK_SPECIAL;
    pmp_buf_append(&b->pool, text, len);
    /* Kept sorted by id: insertion sort, the lists are short. */
    size_t n = b->n_specials;
    b->sp_text = pmp_xrealloc(b->sp_text, (n + 1) * sizeof *b->sp_text);
    b->sp_len = pmp_xrealloc(b->sp_len, (n + 1) * sizeof *b->sp_len);
    b->sp_id = pmp_xrealloc(b->sp_id, (n + 1) * sizeof *b->sp_id);
    size_t at = n;
    while (at > 0 && b->sp_id[at - 1] > id) {
        b->sp_text[at] = b->sp_text[at - 1];
        b->sp_len[at] = b->sp_len[at - 1];
        b->sp_id[at] = b->sp_id[at - 1];
        at--;
    }
    b->sp_text[at] = pmp_xstrndup(text, len);
    b->sp_len[at] = len;
    b->sp_id[at] = id;
    b->n_specials = n + 1;
    b->sp_first[(unsigned char)text[0]] = 1;
    return 0;
}

static int cmp_rank(const void *a, const void *b, void *ctx)
{
    const uint32_t *rank = ctx;
    uint32_t x = rank[*(const uint32_t *)a], y = rank[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

uint32_t *pmp_bpe_rank_order(const pmp_bpe *b, size_t *n)
{
    uint32_t *order = pmp_xmalloc(((size_t)b->n_ids + 1) * sizeof *order);
    size_t k = 0;
    for (uint32_t id = 0; id < b->n_ids; id++)
        if (b->tok_type[id] == TOK_ORDINARY && b->tok_rank[id] != BPE_NO_RANK && b->tok_len[id] > 1)
            order[k++] = id;
    qsort_r(order, k, sizeof *order, cmp_rank, b->tok_rank);
    *n = k;
    return order;
}

/* The identity hashes a canonical form, so the same tokenizer gets the same
 * identity whichever file kind it came from: the pattern, then every id with
 * its type and bytes, then the ids of multi-byte ranked tokens in rank order
 * (the merge order). The ranks' absolute values do not enter, only their order. */
static void compute_identity(pmp_bpe *b, const uint32_t *order, size_t n_order)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    uint32_t w[3];
    XXH3_128bits_update(st, "pmp-bpe-1", 9);
    w[0] = (uint32_t)strlen(b->pattern);
    XXH3_128bits_update(st, w, 4);
    XXH3_128bits_update(st, b->pattern, w[0]);
    w[0] = b->n_ids;
    XXH3_128bits_update(st, w, 4);
    for (uint32_t id = 0; id < b->n_ids; id++) {
        w[0] = id;
        w[1] = b->tok_type[id];
        w[2] = b->tok_len[id];
        XXH3_128bits_update(st, w, 12);
        XXH3_128bits_update(st, b->pool.data + b->tok_off[id], b->tok_len[id]);
    }
    XXH3_128bits_update(st, order, n_order * sizeof *order);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    snprintf(b->identity, sizeof b->identity, "bpe1:%016llx%016llx",
             (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* A filter of the ranked tokens whose length is in [minlen, maxlen]: at least
 * bits_per bits per token, a power of two of 64-bit words (*mask: words - 1). The
 * short filter (bpe_short_maybe) takes 2..8 bytes at 4 bits, the long one
 * (bpe_long_maybe) the rest at 8: it is small, and its false positives cost a probe
 * of `slots` each. */
static uint64_t *build_filter(const pmp_bpe *b, size_t minlen, size_t maxlen, size_t bits_per,
                              uint32_t *mask)
{
    size_t n = 0;
    for (uint32_t i = 0; i <= b->slot_mask; i++)
        if (b->slots[i].len >= minlen && b->slots[i].len <= maxlen) n++;
    size_t words = 64;
    while (words * 64 < n * bits_per) words *= 2;
    uint64_t *f = pmp_xcalloc(words, sizeof *f);
    *mask = (uint32_t)(words - 1);
    for (uint32_t i = 0; i <= b->slot_mask; i++) {
        const bpe_slot *sl = &b->slots[i];
        if (sl->len < minlen || sl->len > maxlen) continue;
        const unsigned char *p = (const unsigned char *)b->pool.data + sl->off;
        uint64_t h = hash_key(p, sl->len, sl->head);
        f[(h >> 20) & *mask] |= short_filter_bits(h);
    }
    return f;
}

/* Entries for a lookup table of n tokens: a power of two, at least 1.5 per token (at
 * most two thirds full, so that linear probes stay short), at least 64. */
static size_t table_entries(size_t n)
{
    size_t entries = 64;
    while (entries * 2 < n * 3) entries *= 2;
    return entries;
}

/* The short-token table (bpe_short_find): a power of two of entries, at least
 * 1.5 per ranked token of 2..8 bytes. */
static void build_short_table(pmp_bpe *b)
{
    size_t n = 0;
    for (uint32_t i = 0; i <= b->slot_mask; i++)
        if (b->slots[i].len >= 2 && b->slots[i].len <= 8) n++;
    size_t entries = table_entries(n);
    free(b->short_tab);
    b->short_tab = pmp_xcalloc_huge(entries * sizeof *b->short_tab);
    b->short_mask = (uint32_t)(entries - 1);
    for (uint32_t i = 0; i <= b->slot_mask; i++) {
        const bpe_slot *sl = &b->slots[i];
        if (sl->len < 2 || sl->len > 8) continue;
        uint64_t h = hash_key(NULL, sl->len, sl->head);
        uint32_t k = (uint32_t)(h >> 40) & b->short_mask;
        while (b->short_tab[k].id_len) k = (k + 1) & b->short_mask;
        /* ids are below 2^24 (BPE_MAX_ID), and an entry with id 0 still has its length */
        b->short_tab[k] = (bpe_short){sl->head, sl->id | (uint32_t)sl->len << 24, sl->rank};
    }
}

/* The long-token table (bpe_long_find): a power of two of `slots`-like entries, at
 * least 1.5 per ranked token of more than 8 bytes. */
static void build_long_table(pmp_bpe *b)
{
    size_t n = 0;
    for (uint32_t i = 0; i <= b->slot_mask; i++)
        if (b->slots[i].len > 8) n++;
    size_t entries = table_entries(n);
    free(b->long_tab);
    b->long_tab = pmp_xcalloc_huge(entries * sizeof *b->long_tab);
    b->long_mask = (uint32_t)(entries - 1);
    for (uint32_t i = 0; i <= b->slot_mask; i++)
        if (b->slots[i].len > 8) slot_insert(b->long_tab, b->long_mask, b->pool.data, b->slots[i]);
}

int pmp_bpe_finish(pmp_bpe *b, const char *pattern_spec, const char *kind, const char *where,
               pmp_err *err)
{
    int allow_missing = !strcmp(kind, "tokenizer.json");
    for (int c = 0; c < 256; c++) {
        if (b->byte_id[c] == UINT32_MAX) {
            if (allow_missing) {
                b->n_missing_bytes++;
                continue;
            }
            return pmp_err_setc(err, PMP_E_INPUT, "%s: the vocabulary has no token for byte 0x%02X "
                               "(a byte-level BPE needs all 256)", where, c);
        }
        if (b->tok_rank[b->byte_id[c]] == BPE_NO_RANK)
            return pmp_err_setc(err, PMP_E_INPUT, "%s: byte 0x%02X is not a ranked token", where, c);
    }
    const char *name;
    const char *pat = pmp_bpe_resolve_pattern(pattern_spec, &name);
    b->re = pmp_bpe_compile_pattern(pat, &b->jit, err);
    if (!b->re) return pmp_err_prefix(err, "%s", where);
    b->pattern = pmp_xstrdup(pat);
    b->pattern_name = pmp_xstrdup(name);
    b->pretok = pmp_bpe_pretok_kind(name);
    b->kind = kind;
    /* Two-byte strings are most of the merge loop's lookups: a direct table
     * (256 KiB) instead of a probe into the whole vocabulary. */
    b->pair_rank = pmp_xmalloc(65536 * sizeof *b->pair_rank);
    for (unsigned k = 0; k < 65536; k++) {
        unsigned char two[2] = {(unsigned char)(k >> 8), (unsigned char)k};
        const bpe_slot *sl = bpe_find(b, two, 2);
        b->pair_rank[k] = sl ? sl->rank : BPE_NO_RANK;
    }
    b->ranks_below_2_24 = 1;
    for (uint32_t id = 0; id < b->n_ids; id++)
        if (b->tok_type[id] == TOK_ORDINARY && b->tok_rank[id] != BPE_NO_RANK &&
            b->tok_rank[id] >= (1u << 24))
            b->ranks_below_2_24 = 0;
    free(b->short_filter);
    free(b->long_filter);
    b->short_filter = build_filter(b, 2, 8, 4, &b->filter_mask);
    b->long_filter = build_filter(b, 9, UINT16_MAX, 8, &b->long_filter_mask);
    build_short_table(b);
    build_long_table(b);
    size_t n_order;
    uint32_t *order = pmp_bpe_rank_order(b, &n_order);
    b->hot_seed = pmp_bpe_hot_seed_build(b, order, n_order);
    compute_identity(b, order, n_order);
    free(order);
    return 0;
}

uint32_t pmp_bpe_vocab_size(const pmp_bpe *b) { return b->n_ids; }
uint32_t pmp_bpe_n_tokens(const pmp_bpe *b) { return b->n_ordinary; }
size_t pmp_bpe_n_specials(const pmp_bpe *b) { return b->n_specials; }
const char *pmp_bpe_pattern(const pmp_bpe *b) { return b->pattern; }
const char *pmp_bpe_pattern_name(const pmp_bpe *b) { return b->pattern_name; }
const char *pmp_bpe_identity(const pmp_bpe *b) { return b->identity; }
const char *pmp_bpe_kind(const pmp_bpe *b) { return b->kind; }

int64_t pmp_bpe_special_id(const pmp_bpe *b, const char *text)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < b->n_specials; i++)
        if (b->sp_len[i] == len && memcmp(b->sp_text[i], text, len) == 0) return b->sp_id[i];
    return -1;
}

const char *pmp_bpe_special(const pmp_bpe *b, size_t i, uint32_t *id)
{
    if (i >= b->n_specials) return NULL;
    if (id) *id = b->sp_id[i];
    return b->sp_text[i];
}

const char *pmp_bpe_token(const pmp_bpe *b, uint32_t id, size_t *len)
{
    if (id >= b->n_ids || b->tok_type[id] == TOK_UNUSED) return NULL;
    if (len) *len = b->tok_len[id];
    return b->pool.data + b->tok_off[id];
}

void pmp_ids_push(pmp_ids *ids, uint32_t id)
{
    if (ids->len == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 256;
        ids->data = pmp_xrealloc(ids->data, ids->cap * sizeof *ids->data);
    }
    ids->data[ids->len++] = id;
}

void pmp_ids_clear(pmp_ids *ids) { ids->len = 0; }

void pmp_ids_free(pmp_ids *ids)
{
    free(ids->data);
    ids->data = NULL;
    ids->len = ids->cap = 0;
}

/* bpe_internal.h — the pmp_bpe object, shared by the files of tokenizer/.
 * Not installed; users see only pmp_bpe.h. */
#ifndef PMP_BPE_INTERNAL_H
#define PMP_BPE_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pmp_bpe.h"

#define BPE_NO_RANK UINT32_MAX

enum { TOK_UNUSED = 0, TOK_ORDINARY = 1, TOK_SPECIAL = 2 };

/* One slot of the bytes -> (rank, id) table. Only ranked tokens (the 256 single
 * bytes and every merge result) are in it: those are the only byte strings the
 * merge loop may produce, as in tiktoken. len == 0 marks an empty slot. */
typedef struct bpe_slot {
    uint64_t head;     /* the first 8 bytes (zero-padded): short tokens never touch pool */
    uint64_t tail;     /* the last 8 bytes if len > 8: tokens up to 16 bytes never do either */
    uint32_t off;      /* into pool */
    uint16_t len;
    uint16_t tag;      /* high bits of the hash: most misses end without a compare */
    uint32_t rank;
    uint32_t id;
} bpe_slot;

/* One entry of the short-token table: the string's zero-padded bytes, its id in
 * bits 0-23 and its length in bits 24-27 of id_len (0: empty), its rank. */
typedef struct bpe_short {
    uint64_t head;
    uint32_t id_len;
    uint32_t rank;
} bpe_short;

struct pmp_bpe {
    /* per id (0 .. n_ids-1) */
    uint32_t n_ids, cap_ids;
    /* ids must be below this (0: below 2^24); a loader sets it from the number of tokens
     * its file holds (pmp_bpe_expect_tokens) */
    uint32_t id_limit;
    uint32_t *tok_off, *tok_len, *tok_rank;
    uint8_t *tok_type;
    pmp_buf pool;
    uint32_t n_ordinary;
    uint32_t byte_id[256];     /* id of each single byte; UINT32_MAX if missing */
    uint32_t *pair_rank;       /* [65536]: rank of the token of bytes (a, b) at a << 8 | b */
    int ranks_below_2_24;      /* every rank fits in 24 bits (the merge loop's packed keys) */

    bpe_slot *slots;
    uint32_t slot_mask, n_slots_used;
    /* A blocked Bloom filter of the ranked tokens of 2..8 bytes by hash_key (built by
     * pmp_bpe_finish; 4-8 bits a token: 32/64/128 KiB and about 6-7 % false positives
     * for r50k/cl100k/o200k; larger filters gave more L2 misses, not fewer): 4 in 10
     * of the merge loop's candidates that miss the hot table are no token, and those
     * are answered here, in cache, not by a probe of the vocabulary's table (4-16 MB). */
    uint64_t *short_filter;
    uint32_t filter_mask;      /* words - 1 */
    /* The same for the ranked tokens longer than 8 bytes (bpe_long_maybe; 10-13 bits a
     * token, 16/32/64 KiB): 4 in 5 of the merge loop's candidates of 9 or more bytes
     * are no token, and each of those was a probe of `slots`. */
    uint64_t *long_filter;
    uint32_t long_filter_mask;
    /* The ranked tokens of 2..8 bytes again, in a table of 16-byte entries at most
     * two thirds full (built by pmp_bpe_finish): 1/2/4 MiB for r50k/cl100k/o200k
     * against 4/8/16 MiB for their part of `slots`. A lookup that misses the
     * encoder's hot table lands here; on the 2-core EPYC of docs/tokenizer.md a random
     * read costs about 20-30 ns in a table of 4 MiB and 140-160 ns in one of 16 MiB (a
     * pointer chase), and for o200k these lookups were a third of the
     * encoding time. */
    bpe_short *short_tab;
    uint32_t short_mask;       /* entries - 1 */
    /* The ranked tokens longer than 8 bytes again, in their own table of `slots`'
     * layout at most two thirds full (built by pmp_bpe_finish): 1/1/4 MiB for
     * r50k/cl100k/o200k against 4/8/16 MiB for the whole of `slots`, where a random
     * read cost about 150 ns on the machine of docs/tokenizer.md. The encoder reads it
     * for every piece of 9 or more bytes (most of them whole tokens) and for the
     * merge loop's long candidates. */
    bpe_slot *long_tab;
    uint32_t long_mask;        /* entries - 1 */
    /* What a new scratch's hot table starts as (encode.c: pmp_bpe_hot_seed_build). */
    void *hot_seed;

    /* special tokens, sorted by id */
    size_t n_specials;
    char **sp_text;
    size_t *sp_len;
    uint32_t *sp_id;
    unsigned char sp_first[256];  /* 1 if some special starts with this byte */

    char *pattern;             /* as given (the tokenizer's pattern) */
    char *pattern_name;        /* "gpt2", "cl100k", "o200k", "custom" */
    pcre2_code *re;            /* compiled from the \s-corrected pattern */
    int jit;
    int pretok;                /* PRETOK_*: the hand-written splitter for a named pattern */
    const char *kind;
    char identity[48];
    /* Hugging Face trainers keep only the bytes they saw: such a vocabulary
     * loads, and encoding a byte it lacks is an error (never a silent drop). */
    int n_missing_bytes;
};

/* vocab.c: building. */
pmp_bpe *pmp_bpe_new(void);
/* rank: BPE_NO_RANK for a token that merges never produce (decode only).
 * Returns 0, or -1 with a message (without file/line: the loader adds them). */
/* The file holds about n tokens: ids may leave at most about half the id space unused
 * (ids below 2n + 2^18, and below 2^24). The tables are indexed by id, so a 3 KB file
 * with one id of 11 million would otherwise take 210 MB and 0.4 s to load. */
void pmp_bpe_expect_tokens(pmp_bpe *b, size_t n);
int pmp_bpe_add_token(pmp_bpe *b, uint32_t id, const void *bytes, size_t len, uint32_t rank,
                  pmp_err *err);
int pmp_bpe_add_special(pmp_bpe *b, uint32_t id, const char *text, size_t len, pmp_err *err);
/* Checks completeness, compiles the pattern (spec: name or regex) and computes
 * the identity. where: names the source in messages. Missing single bytes are
 * an error unless the kind is "tokenizer.json". */
int pmp_bpe_finish(pmp_bpe *b, const char *pattern_spec, const char *kind, const char *where,
               pmp_err *err);

/* Keys of up to 8 bytes (most tokens) are hashed and compared as one word,
 * which keeps a lookup to one cache line of the table. */
static inline uint64_t load_head(const unsigned char *p, size_t len)
{
    uint64_t w = 0;
    if (len >= 8) memcpy(&w, p, 8);
    else memcpy(&w, p, len);
    return w;
}

static inline uint64_t hash_key(const unsigned char *p, size_t len, uint64_t head)
{
    if (len <= 8) {
        uint64_t h = (head ^ (len * 0x9E3779B97F4A7C15ULL)) * 0xD6E8FEB86659FD93ULL;
        return h ^ (h >> 29);
    }
    return XXH3_64bits(p, len);
}

/* The last 8 bytes of p[0..len), len > 8 (a load inside the string). */
static inline uint64_t load_tail(const unsigned char *p, size_t len)
{
    uint64_t w;
    memcpy(&w, p + len - 8, 8);
    return w;
}

/* Bytes 8..len of slot s's token and of p equal, given their first 8 do (len > 8):
 * up to 16 bytes by the slot's copy of its last 8, without touching the pool. */
static inline int tail_equal(const char *pool, const struct bpe_slot *s, const unsigned char *p,
                             size_t len)
{
    if (s->tail != load_tail(p, len)) return 0;
    return len <= 16 || memcmp(pool + s->off + 8, p + 8, len - 16) == 0;
}

/* The slot of p[0..len) in a table of slots (mask: entries - 1; head: load_head, h:
 * hash_key), or NULL: `slots` and the long-token table share the layout and the probe. */
static inline const bpe_slot *slot_probe(const bpe_slot *tab, uint32_t mask, const char *pool,
                                         const unsigned char *p, size_t len, uint64_t head,
                                         uint64_t h)
{
    uint16_t tag = (uint16_t)(h >> 48);
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const bpe_slot *s = &tab[i];
        if (!s->len) return NULL;
        if (s->tag == tag && s->len == len && s->head == head &&
            (len <= 8 || tail_equal(pool, s, p, len)))
            return s;
    }
}

/* Lookup with the hash already computed (bpe_key), so that callers can
 * prefetch the slot first. */
static inline const bpe_slot *bpe_find_h(const pmp_bpe *b, const unsigned char *p, size_t len,
                                         uint64_t head, uint64_t h)
{
    return slot_probe(b->slots, b->slot_mask, b->pool.data, p, len, head, h);
}

/* The long-token table's slot of the ranked token p[0..len) (9 <= len <= UINT16_MAX;
 * head: load_head, h: hash_key), or NULL if it is no ranked token. */
static inline const bpe_slot *bpe_long_find(const pmp_bpe *b, const unsigned char *p, size_t len,
                                            uint64_t head, uint64_t h)
{
    return slot_probe(b->long_tab, b->long_mask, b->pool.data, p, len, head, h);
}

static inline const bpe_slot *bpe_find(const pmp_bpe *b, const void *bytes, size_t len)
{
    if (len == 0 || len > UINT16_MAX) return NULL;
    const unsigned char *p = bytes;
    uint64_t head = load_head(p, len);
    return bpe_find_h(b, p, len, head, hash_key(p, len, head));
}

/* The filter's two bits of hash h in one 64-bit word (bits 8-19 choose them, bits
 * 20- the word: independent of each other). */
static inline uint64_t short_filter_bits(uint64_t h)
{
    return 1ULL << (h >> 8 & 63) | 1ULL << (h >> 14 & 63);
}

/* 0 if no ranked token of 2..8 bytes has hash h (exact); 1 if one may. */
static inline int bpe_short_maybe(const pmp_bpe *b, uint64_t h)
{
    uint64_t m = short_filter_bits(h);
    return (b->short_filter[(h >> 20) & b->filter_mask] & m) == m;
}

/* 0 if no ranked token of more than 8 bytes has hash h (exact); 1 if one may. */
static inline int bpe_long_maybe(const pmp_bpe *b, uint64_t h)
{
    uint64_t m = short_filter_bits(h);
    return (b->long_filter[(h >> 20) & b->long_filter_mask] & m) == m;
}

/* The short-token table's entry of the ranked token p[0..len) (2 <= len <= 8;
 * head: load_head, h: hash_key), or NULL if it is no ranked token. */
static inline const bpe_short *bpe_short_find(const pmp_bpe *b, size_t len, uint64_t head,
                                              uint64_t h)
{
    uint32_t want = (uint32_t)len << 24;
    for (uint32_t i = (uint32_t)(h >> 40) & b->short_mask;; i = (i + 1) & b->short_mask) {
        const bpe_short *e = &b->short_tab[i];
        if (!e->id_len) return NULL;
        if (e->head == head && (e->id_len & 0x0F000000u) == want) return e;
    }
}

/* The ranked ordinary tokens of 2 or more bytes, in rank order (merge order): what
 * the identity hashes, what a tokenizer.json lists as merges, what the hot table is
 * seeded with. malloc'd; *n: how many. */
uint32_t *pmp_bpe_rank_order(const pmp_bpe *b, size_t *n);
/* encode.c: the first contents of every scratch's hot table, built once per
 * vocabulary from its rank order (malloc'd; pmp_bpe_free frees it). */
void *pmp_bpe_hot_seed_build(const pmp_bpe *b, const uint32_t *order, size_t n);

/* pattern.c */
/* Resolves a name to its regex (or returns spec) and sets *name. */
const char *pmp_bpe_resolve_pattern(const char *spec, const char **name);
/* Compiles with UTF + UCP (\C refused), \s rewritten to the White_Space set, JIT when
 * possible. */
pcre2_code *pmp_bpe_compile_pattern(const char *pattern, int *jit, pmp_err *err);
/* Special tokens of a known encoding, by name ("gpt2", "cl100k", "o200k"). */
typedef struct bpe_known_special {
    const char *text;
    uint32_t id;
} bpe_known_special;
size_t pmp_bpe_known_specials(const char *encoding, const bpe_known_special **out);

/* encode.c: merges one piece by rank; max_rank bounds the ranks that may merge
 * (BPE_NO_RANK = all). Writes part boundaries (n_parts+1 offsets) to bounds,
 * which must hold len+1 entries. Returns n_parts. Used by save.c to recover the
 * merge that made each token. */
size_t pmp_bpe_merge_piece(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p, size_t len,
                       uint32_t max_rank, uint32_t *bounds);

/* The pattern's per-thread state, and the splitter shared by encoding and
 * training: calls fn for every piece of text, in order (pieces cover every byte). */
typedef struct bpe_matcher {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    int jit;
} bpe_matcher;
typedef void (*bpe_piece_fn)(void *ctx, const unsigned char *p, size_t len);
void pmp_bpe_matcher_init(bpe_matcher *m, const pcre2_code *re, int jit);
void pmp_bpe_matcher_free(bpe_matcher *m);
int pmp_bpe_split(const pcre2_code *re, const bpe_matcher *m, const unsigned char *t, size_t len,
              bpe_piece_fn fn, void *ctx, pmp_err *err);

/* uclass_table.c (generated by gen_uclass from the linked PCRE2): the class of
 * code point c is pmp_bpe_uclass_blocks[pmp_bpe_uclass_index[c / PMP_UCLASS_BLOCK] *
 * PMP_UCLASS_BLOCK + c % PMP_UCLASS_BLOCK]: category (0 other, 1 Lu, 2 Lt, 3 Ll,
 * 4 Lm, 5 Lo, 6 M, 7 N) in bits 0-2, White_Space in bit 3. */
#define PMP_UCLASS_BLOCK 128
extern const unsigned short pmp_bpe_uclass_index[0x110000 / PMP_UCLASS_BLOCK];
extern const unsigned char pmp_bpe_uclass_blocks[];

/* pretok.c: the named patterns as hand-written matchers, exact against PCRE2. */
enum { PRETOK_NONE = 0, PRETOK_GPT2, PRETOK_CL100K, PRETOK_O200K };
/* The PRETOK_* kind of a pattern name ("gpt2", "cl100k", "o200k"), else PRETOK_NONE. */
int pmp_bpe_pretok_kind(const char *pattern_name);
/* Splits valid UTF-8 t[0..len) from *pos as the pattern `kind` does: writes the end
 * of up to max pieces to ends, advances *pos past them, returns how many. */
size_t pmp_bpe_pretok(int kind, const unsigned char *t, size_t len, size_t *pos, size_t *ends,
                      size_t max);
/* pmp_bpe_split with the hand-written splitter (kind != PRETOK_NONE): the same pieces. */
int pmp_bpe_split_pretok(int kind, const unsigned char *t, size_t len, bpe_piece_fn fn, void *ctx);

/* bytelevel.c: GPT-2's byte <-> unicode spelling used by encoder.json,
 * vocab.bpe and tokenizer.json. */
void pmp_bpe_bytes_to_unicode(pmp_buf *out, const void *bytes, size_t len);
/* Returns 0, or -1 if s holds a character outside the 256-symbol alphabet. */
int pmp_bpe_unicode_to_bytes(pmp_buf *out, const char *s, size_t len);

#endif

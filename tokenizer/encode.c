/* encode.c — text -> ids, and ids -> bytes.
 *
 * For each piece the pre-tokenizer finds (pretok.c for the named patterns, the
 * PCRE2 regex for a custom one): a piece of one byte is that byte's id; if the
 * whole piece is a ranked token, that is its id (tiktoken's shortcut, which can
 * differ from merging); otherwise the piece cache of the scratch may hold its ids
 * from an earlier occurrence; otherwise adjacent parts are merged, always the pair
 * whose concatenation has the lowest rank, leftmost first, and the result goes
 * into the cache. Pieces of up to SMALL_PIECE bytes (nearly all) are merged with
 * their parts as the bits of one word and, up to 16 bytes, their candidates' ranks
 * in two AVX2 registers (merge_small); longer ones up to LONG_PIECE by tiktoken's quadratic scan
 * (merge_short); longer still by a heap over a linked list, O(n log n), so a 100 MB
 * run of letters does not take hours. All give the same result: the same pair is
 * chosen at every step. */
#include "bpe_internal.h"

#include <stdlib.h>
#include <string.h>
#if (defined(__AVX2__) && !defined(PMP_NO_SIMD)) || defined(__BMI2__)
#include <immintrin.h>
#endif

#define SMALL_PIECE 63   /* merge_small: a bit per byte and one for the end in a word */
#define LONG_PIECE 256

typedef struct heap_ent {
    uint32_t rank;
    uint32_t pos;      /* node index = start byte of the left part */
    uint32_t ver;      /* node version when pushed; stale entries are skipped */
} heap_ent;

/* Pieces are encoded in blocks of up to BLOCK (encode_block): the long ones'
 * hashes first, with the table slots they will read prefetched, so that the cache
 * misses of a block's lookups overlap instead of following each other; then ids. */
#define BLOCK 64
_Static_assert(BLOCK <= 64, "encode_block marks a block's long pieces in a 64-bit mask");

/* The piece cache: pieces of 2..CACHE_MAX_PIECE bytes that are not one token,
 * with their ids, per scratch (so per thread, no locks). Budget: CACHE_SLOTS slots
 * of 16 bytes (1 MiB) at most half full, and a pool of CACHE_POOL_WORDS 32-bit
 * words (2 MiB) for the pieces' bytes and ids: 3 MiB per scratch, allocated on
 * the first piece that needs merging. When full it is emptied and refilled (the
 * ids never depend on it). */
#define CACHE_SLOTS (1u << 16)
#define CACHE_MAX_PIECES (CACHE_SLOTS / 2)
#define CACHE_POOL_WORDS (1u << 19)
#define CACHE_MAX_PIECE 128
typedef struct cache_slot {
    uint64_t h;
    uint32_t off;     /* into pool: the bytes (padded to words), then n ids */
    uint16_t len;     /* 0: empty */
    uint16_t n;
} cache_slot;

/* The hot table: byte strings of 1..8 bytes with their rank and id, or the
 * fact that they are no token, direct-mapped by the string's first 8 bytes and
 * overwritten on a miss. Whole pieces and the merge loop's candidate pairs both
 * look here first. 65,536 entries of 16 bytes (1 MiB, the L2 cache of a Zen 4 or 5
 * core) against 1-4 MiB for the short-token table: 3-4 % faster
 * than 16,384 entries on the tuning text, for all three encodings (2^17 was no
 * faster); more of the vocabulary is seeded, fewer tokens miss. One word holds the id
 * (below 2^24), the length and whether the string is a token, so that the block
 * loop's hit test is two compares. */
#define HOT_BITS 16
#define HOT_ENTRIES (1u << HOT_BITS)
#define HOT_ID_MASK 0x00FFFFFFu
#define HOT_TOKEN (16u << 24)    /* with the length in bits 24-27 */
#define HOT_PAIR (32u << 24)     /* no token, but a piece whose merge gave two tokens */
typedef struct hot_entry {
    uint64_t head;
    uint32_t id_len;     /* id in bits 0-23, len in 24-27 (0: empty), HOT_TOKEN if a token,
                          * HOT_PAIR if a piece of two tokens (the first id here) */
    uint32_t rank;       /* HOT_PAIR: the second id */
} hot_entry;

/* The entry of a string by its zero-padded first 8 bytes (Fibonacci hashing: the
 * top bits of the product depend on every byte). */
static inline uint32_t hot_index(uint64_t head)
{
    return (uint32_t)((head * 0x9E3779B97F4A7C15ULL) >> (64 - HOT_BITS));
}

struct pmp_bpe_scratch {
    bpe_matcher m;
    uint64_t hash[BLOCK];   /* encode_block: the hashes of its long pieces */
    hot_entry *hot;
    cache_slot *cslots;
    uint32_t *cpool;
    uint32_t cpool_len, cused;
    /* merge buffers, grown on demand */
    uint32_t *bounds, *ranks;
    size_t cap;
    /* the piece being merged, followed by 8 zero bytes (8-byte loads anywhere in it) */
    unsigned char *pad;
    size_t cap_pad;
    /* heap path */
    uint32_t *next, *prev, *ver;
    heap_ent *heap;
    size_t cap_long, cap_heap;
};

/* Rank of the string p[0..len) (2 <= len <= 8; head: load_head; h: its hash_key, or 0
 * for not computed yet), BPE_NO_RANK if it is no token; *id its id when ranked. */
static inline uint32_t hot_rank(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                                size_t len, uint64_t head, uint64_t h, uint32_t *id)
{
    hot_entry *e = &s->hot[hot_index(head)];
    if (e->head == head && (e->id_len >> 24 & 15) == len) {
        *id = e->id_len & HOT_ID_MASK;
        return e->id_len & HOT_TOKEN ? e->rank : BPE_NO_RANK;
    }
    if (!h) h = hash_key(p, len, head);   /* a hash of 0 is only computed again */
    /* the filter's no is as quick as a hit here: such a string takes no entry from a token */
    if (!bpe_short_maybe(b, h)) {
        *id = 0;
        return BPE_NO_RANK;
    }
    const bpe_short *sh = bpe_short_find(b, len, head, h);
    e->head = head;
    if (sh) {
        *id = sh->id_len & HOT_ID_MASK;
        e->id_len = sh->id_len | HOT_TOKEN;
        e->rank = sh->rank;
    } else {
        *id = 0;
        e->id_len = (uint32_t)len << 24;
        e->rank = BPE_NO_RANK;
    }
    return e->rank;
}

/* Records that piece p (2..8 bytes, no token; head: load_head) merges into ids a, b:
 * the block loop writes both from the hot table the next time it sees the piece. */
static inline void hot_put_pair(pmp_bpe_scratch *s, size_t len, uint64_t head, uint32_t a,
                                uint32_t b)
{
    hot_entry *e = &s->hot[hot_index(head)];
    e->head = head;
    e->id_len = a | HOT_PAIR | (uint32_t)len << 24;
    e->rank = b;
}

/* The hot-table entry of single byte c, a token with this id. */
static inline hot_entry byte_entry(unsigned c, uint32_t id)
{
    return (hot_entry){c, id | HOT_TOKEN | 1u << 24, 0};
}

/* Puts single byte c (id) in the hot table. */
static inline void hot_put_byte(pmp_bpe_scratch *s, unsigned c, uint32_t id)
{
    if (id > HOT_ID_MASK) return;   /* a byte without a token: the slow path reports it */
    s->hot[hot_index(c)] = byte_entry(c, id);
}

static inline void hot_alloc(const pmp_bpe *b, pmp_bpe_scratch *s)
{
    if (s->hot) return;
    s->hot = pmp_xmalloc(HOT_ENTRIES * sizeof *s->hot);
    memcpy(s->hot, b->hot_seed, HOT_ENTRIES * sizeof *s->hot);
}

/* A new hot table is not empty: each entry holds the lowest-ranked token of 2..8
 * bytes that maps to it. BPE ranks follow merge order, and merges were learned in
 * order of frequency, so low ranks are the common words (" the", " and", "ing"):
 * without the seed each of them costs a read of the short-token table (L3 or
 * memory) on its first occurrence in every scratch. The seed uses the vocabulary
 * only, never the text being encoded. */
void *pmp_bpe_hot_seed_build(const pmp_bpe *b, const uint32_t *order, size_t n)
{
    hot_entry *seed = pmp_xcalloc(HOT_ENTRIES, sizeof *seed);
    /* the single bytes first: a tenth of English pieces are one byte (punctuation,
     * single spaces and newlines), and the block loop finds them here */
    for (unsigned c = 0; c < 256; c++) {
        uint32_t id = b->byte_id[c];
        hot_entry *e = &seed[hot_index(c)];
        if (id > HOT_ID_MASK || e->id_len) continue;
        *e = byte_entry(c, id);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t id = order[i], len = b->tok_len[id];
        if (len > 8) continue;
        uint64_t head = load_head((const unsigned char *)b->pool.data + b->tok_off[id], len);
        hot_entry *e = &seed[hot_index(head)];
        if (e->id_len) continue;
        *e = (hot_entry){head, id | HOT_TOKEN | len << 24, b->tok_rank[id]};
    }
    return seed;
}

pmp_bpe_scratch *pmp_bpe_scratch_new(const pmp_bpe *b)
{
    pmp_bpe_scratch *s = pmp_xcalloc(1, sizeof *s);
    pmp_bpe_matcher_init(&s->m, b->re, b->jit);
    return s;
}

void pmp_bpe_scratch_free(pmp_bpe_scratch *s)
{
    if (!s) return;
    pmp_bpe_matcher_free(&s->m);
    free(s->hot);
    free(s->cslots);
    free(s->cpool);
    free(s->bounds);
    free(s->ranks);
    free(s->pad);
    free(s->next);
    free(s->prev);
    free(s->ver);
    free(s->heap);
    free(s);
}

/* The zero-padded first len bytes of p (1 <= len <= 8; 8 bytes readable at p): one
 * load and a mask (BMI2's bzhi where the build has it), no test of len. */
static inline uint64_t load_short(const unsigned char *p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, 8);
#ifdef __BMI2__
    return _bzhi_u64(w, (unsigned)(8 * len));
#else
    return w & (~0ULL >> (64 - 8 * len));
#endif
#else
    return load_head(p, len);
#endif
}

/* load_short where fewer than 8 bytes may be readable at p (end: one past the last). */
static inline uint64_t load_short_within(const unsigned char *p, size_t len,
                                         const unsigned char *end)
{
    return end - p >= 8 ? load_short(p, len) : load_head(p, len);
}

/* Rank and id of the ranked token q[0..n) (n > 8; q: 8 bytes readable past q[n - 1]),
 * BPE_NO_RANK if it is none. Out of line: the merge loop's long candidates are few,
 * and the hash of a long string is much code. */
static __attribute__((noinline)) uint32_t long_rank(const pmp_bpe *b, const unsigned char *q,
                                                    uint32_t n, uint32_t *id)
{
    uint64_t head = load_short(q, 8), h = hash_key(q, n, head);
    const bpe_slot *sl = bpe_long_maybe(b, h) ? bpe_long_find(b, q, n, head, h) : NULL;
    if (!sl) return BPE_NO_RANK;
    *id = sl->id;
    return sl->rank;
}

/* Rank and id of the candidate p[from..from+n) (n >= 3; p: 8 bytes readable past
 * from), BPE_NO_RANK if it is no token below max_rank. */
static inline uint32_t cand_rank(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                                 uint32_t from, uint32_t n, uint32_t max_rank, uint32_t *id)
{
    const unsigned char *q = p + from;
    uint32_t r = n <= 8 ? hot_rank(b, s, q, n, load_short(q, n), 0, id)
                        : long_rank(b, q, n, id);
    return r < max_rank ? r : BPE_NO_RANK;
}

/* Rank of p[from..to) (p: the padded copy, 8 bytes readable past any part), or
 * BPE_NO_RANK if none below max_rank. */
static inline uint32_t pair_rank(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                                 uint32_t from, uint32_t to, uint32_t max_rank)
{
    uint32_t n = to - from, id;
    if (n == 2) {
        uint32_t r = b->pair_rank[p[from] << 8 | p[from + 1]];
        return r < max_rank ? r : BPE_NO_RANK;
    }
    return cand_rank(b, s, p, from, n, max_rank, &id);
}

static void reserve_short(pmp_bpe_scratch *s, size_t n)
{
    if (n <= s->cap) return;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n) cap *= 2;
    s->bounds = pmp_xrealloc(s->bounds, cap * sizeof *s->bounds);
    s->ranks = pmp_xrealloc(s->ranks, cap * sizeof *s->ranks);
    s->cap = cap;
}

/* tiktoken's loop: bounds[0..m] are part starts plus the end; ranks[i] is the
 * rank of parts i and i+1 joined. The arrays are short (a piece of up to
 * LONG_PIECE bytes, most under 16): moved by plain loops, not memmove calls. */
static size_t merge_short(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                          size_t len, uint32_t max_rank, uint32_t *bounds)
{
    uint32_t *r = s->ranks;
    size_t m = len;   /* parts */
    for (size_t i = 0; i <= len; i++) bounds[i] = (uint32_t)i;
    /* the first candidates are all byte pairs: the pair table, no hashing */
    for (size_t i = 0; i + 1 < m; i++) {
        uint32_t pr = b->pair_rank[p[i] << 8 | p[i + 1]];
        r[i] = pr < max_rank ? pr : BPE_NO_RANK;
    }
    while (m > 1) {
        uint32_t best = r[0];
        size_t bi = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (r[i] < best) { best = r[i]; bi = i; }
        if (best == BPE_NO_RANK) break;
        /* Join parts bi and bi+1: drop boundary bi+1 and rank bi+1. */
        for (size_t i = bi + 1; i < m; i++) bounds[i] = bounds[i + 1];
        for (size_t i = bi + 1; i + 2 < m; i++) r[i] = r[i + 1];
        m--;
        if (bi + 1 < m) r[bi] = pair_rank(b, s, p, bounds[bi], bounds[bi + 2], max_rank);
        else r[bi] = BPE_NO_RANK;
        if (bi > 0) r[bi - 1] = pair_rank(b, s, p, bounds[bi - 1], bounds[bi + 1], max_rank);
    }
    return m;
}

static inline int heap_less(heap_ent a, heap_ent b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(pmp_bpe_scratch *s, size_t *n, heap_ent e)
{
    if (*n == s->cap_heap) {
        s->cap_heap = s->cap_heap ? s->cap_heap * 2 : 1024;
        s->heap = pmp_xrealloc(s->heap, s->cap_heap * sizeof *s->heap);
    }
    size_t i = (*n)++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!heap_less(e, s->heap[up])) break;
        s->heap[i] = s->heap[up];
        i = up;
    }
    s->heap[i] = e;
}

static heap_ent heap_pop(pmp_bpe_scratch *s, size_t *n)
{
    heap_ent top = s->heap[0], last = s->heap[--*n];
    size_t i = 0, cnt = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= cnt) break;
        if (c + 1 < cnt && heap_less(s->heap[c + 1], s->heap[c])) c++;
        if (!heap_less(s->heap[c], last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (cnt) s->heap[i] = last;
    return top;
}

/* Nodes are byte positions; next[i] is the start of the part after the part
 * starting at i (len for the last). Merging i with next[i] bumps the versions
 * of i and of prev[i], which invalidates their old heap entries. */
static size_t merge_long(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                         size_t len, uint32_t max_rank, uint32_t *bounds)
{
    if (len + 1 > s->cap_long) {
        s->cap_long = len + 1;
        s->next = pmp_xrealloc(s->next, s->cap_long * sizeof *s->next);
        s->prev = pmp_xrealloc(s->prev, s->cap_long * sizeof *s->prev);
        s->ver = pmp_xrealloc(s->ver, s->cap_long * sizeof *s->ver);
    }
    uint32_t *next = s->next, *prev = s->prev, *ver = s->ver;
    size_t hn = 0;
    for (uint32_t i = 0; i < len; i++) {
        next[i] = i + 1;
        prev[i] = i ? i - 1 : UINT32_MAX;
        ver[i] = 0;
    }
    for (uint32_t i = 0; i + 1 < len; i++) {
        uint32_t r = pair_rank(b, s, p, i, i + 2, max_rank);
        if (r != BPE_NO_RANK) heap_push(s, &hn, (heap_ent){r, i, 0});
    }
    while (hn) {
        heap_ent e = heap_pop(s, &hn);
        if (e.ver != ver[e.pos]) continue;
        uint32_t i = e.pos, j = next[i];
        /* Join i and j. */
        uint32_t k = next[j];
        next[i] = k;
        if (k < len) prev[k] = i;
        ver[i]++;
        ver[j] = UINT32_MAX;   /* dead */
        if (k < len) {
            uint32_t r = pair_rank(b, s, p, i, next[k], max_rank);
            if (r != BPE_NO_RANK) heap_push(s, &hn, (heap_ent){r, i, ver[i]});
        }
        if (prev[i] != UINT32_MAX) {
            uint32_t h = prev[i];
            ver[h]++;
            uint32_t r = pair_rank(b, s, p, h, next[i], max_rank);
            if (r != BPE_NO_RANK) heap_push(s, &hn, (heap_ent){r, h, ver[h]});
        }
    }
    size_t m = 0;
    for (uint32_t i = 0; i < len; i = next[i]) bounds[m++] = i;
    bounds[m] = (uint32_t)len;
    return m;
}

#if defined(__AVX2__) && !defined(PMP_NO_SIMD)
#define MERGE_SIMD 1
/* Sixteen places' candidates as keys, rank << 8 | place (all ones for no rank), in two
 * registers (places 0-7, 8-15): the lowest key is the lowest rank, leftmost on a tie,
 * and holds its place, so the minimum needs no second search for where it is. Ranks
 * must fit in 24 bits (ranks_below_2_24). */
static inline uint32_t rank_key(uint32_t rank, uint32_t at)
{
    return rank == BPE_NO_RANK ? BPE_NO_RANK : rank << 8 | at;
}

/* The keys of ranks r[i..i+8). */
static inline __m256i rank_keys8(const uint32_t *r, uint32_t i)
{
    __m256i v = _mm256_load_si256((const __m256i *)(r + i)),
            at = _mm256_add_epi32(_mm256_set1_epi32((int)i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_or_si256(_mm256_or_si256(_mm256_slli_epi32(v, 8), at),
                           _mm256_cmpeq_epi32(v, _mm256_set1_epi32(-1)));
}

/* The lowest of the sixteen keys. */
static inline uint32_t min_key16(__m256i lo, __m256i hi)
{
    __m256i m = _mm256_min_epu32(lo, hi);
    __m128i x = _mm_min_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    x = _mm_min_epu32(x, _mm_shuffle_epi32(x, 0x4E));
    x = _mm_min_epu32(x, _mm_shuffle_epi32(x, 0xB1));
    return (uint32_t)_mm_cvtsi128_si32(x);
}

/* lo, hi (places 0-7, 8-15) with place i set to v. */
static inline void set_rank16(__m256i *lo, __m256i *hi, uint32_t i, uint32_t v)
{
    const __m256i iota_lo = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                  iota_hi = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    __m256i at = _mm256_set1_epi32((int)i), val = _mm256_set1_epi32((int)v);
    *lo = _mm256_blendv_epi8(*lo, val, _mm256_cmpeq_epi32(iota_lo, at));
    *hi = _mm256_blendv_epi8(*hi, val, _mm256_cmpeq_epi32(iota_hi, at));
}
#endif

/* The index of the lowest of r[0..n) (n a multiple of 8, r 32-byte aligned), the
 * first on a tie; with AVX2 eight ranks a vector (a scalar scan was a third of the
 * merge loop's instructions on pieces of 16 bytes or more). */
static inline uint32_t min_rank_at(const uint32_t *r, uint32_t n)
{
#ifdef MERGE_SIMD
    __m256i m = _mm256_load_si256((const __m256i *)r);
    for (uint32_t i = 8; i < n; i += 8) m = _mm256_min_epu32(m, _mm256_load_si256((const __m256i *)(r + i)));
    __m128i x = _mm_min_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    x = _mm_min_epu32(x, _mm_shuffle_epi32(x, 0x4E));
    x = _mm_min_epu32(x, _mm_shuffle_epi32(x, 0xB1));
    __m256i best = _mm256_broadcastd_epi32(x);
    for (uint32_t i = 0;; i += 8) {
        __m256i eq = _mm256_cmpeq_epi32(_mm256_load_si256((const __m256i *)(r + i)), best);
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
        if (mask) return i + (uint32_t)__builtin_ctz(mask);
    }
#else
    uint32_t best = r[0], bi = 0;
    for (uint32_t i = 1; i < n; i++) {
        int lt = r[i] < best;
        best = lt ? r[i] : best;
        bi = lt ? i : bi;
    }
    return bi;
#endif
}

/* The first part start above i in alive (a bit per part start, and bit len set: i <
 * len < 64), len if none. Two shifts: i + 1 may be 64. */
static inline uint32_t next_start(uint64_t alive, uint32_t i)
{
    return (uint32_t)__builtin_ctzll(alive & (~0ULL << i << 1));
}

/* merge_small's state: the live part starts as bits (bit len marks the end), and per
 * start the id of the candidate that starts there (cand) and of the part (part). */
typedef struct small_parts {
    uint64_t alive;
    uint32_t cand[64], part[64];
} small_parts;

/* Joins the part at bi with the next one (merge_small's step): clears the next one's
 * start, which it returns, and gives the ranks that change: *rb of the joined part with
 * the one after it, and, where a part comes before it (*h its start, else *h = 64),
 * *rh of that part with the joined one (BPE_NO_RANK where no token). */
static inline uint32_t join_parts(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                                  uint32_t len, uint32_t max_rank, small_parts *sp, uint32_t bi,
                                  uint32_t *rb, uint32_t *h, uint32_t *rh)
{
    uint32_t j = next_start(sp->alive, bi);   /* the part joined to bi's */
    sp->alive &= ~(1ULL << j);
    uint32_t k = next_start(sp->alive, bi);   /* the part after the new one */
    /* the joined part's id came with its rank, but for a pair of bytes (the pair
     * table has ranks only): looked up at the end */
    sp->part[bi] = k - bi == 2 ? BPE_NO_RANK : sp->cand[bi];
    *rb = BPE_NO_RANK;
    if (k < len) *rb = cand_rank(b, s, p, bi, next_start(sp->alive, k) - bi, max_rank, &sp->cand[bi]);
    uint64_t below = sp->alive & ((1ULL << bi) - 1);
    *h = 64;
    if (below) {
        *h = 63 - (uint32_t)__builtin_clzll(below);
        *rh = cand_rank(b, s, p, *h, k - *h, max_rank, &sp->cand[*h]);
    }
    return j;
}

/* The merge loop for pieces of 2..SMALL_PIECE bytes, the same choices as
 * merge_short (lowest rank, leftmost first) kept differently: a part is named by
 * its start byte, the live starts are the bits of one word, and rank[i] is the rank
 * of the part at i joined with the next (BPE_NO_RANK if none, or if i is no start).
 * A join clears one bit and recomputes two ranks: nothing moves. The id of each
 * joined string comes with its rank (cand[i]), so the parts' ids are known at the
 * end without looking them up again; ids may be NULL. Pieces of up to 16 bytes (most
 * merges) keep their ranks in two AVX2 registers, as keys that carry their place
 * (rank_key): a new rank stored to memory made the next minimum's vector load wait
 * for it (merges alone about 9 % faster, the keys 7 % more).
 * p: 8 bytes readable past p[len - 1]. Returns the number of parts; bounds gets
 * their starts and len. */
static size_t merge_small(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p,
                          uint32_t len, uint32_t max_rank, uint32_t *bounds, uint32_t *ids)
{
    uint32_t rank[64] __attribute__((aligned(32)));
    small_parts sp;
    /* every byte starts a part; bit len marks the end */
    sp.alive = (2ULL << len) - 1;
    /* the pairs' ranks, and no pair at len - 1 nor up to a multiple of 8: a loop of
     * a whole number of 8s (p is readable 8 bytes past its end) */
    uint32_t n8 = (len + 7) & ~7u;
    for (uint32_t i = n8; i < 16; i++) rank[i] = BPE_NO_RANK;   /* the registers take 16 */
    for (uint32_t i = 0; i < n8; i++) {
        uint32_t pr = b->pair_rank[p[i] << 8 | p[i + 1]];
        rank[i] = pr < max_rank && i + 1 < len ? pr : BPE_NO_RANK;
    }
    uint32_t bi, rb, h, rh;
#ifdef MERGE_SIMD
    if (n8 <= 16 && b->ranks_below_2_24) {
        /* The joins form a chain, each waiting for its lookups; most of the first
         * ones look up strings of 3 and 4 bytes, whose hot-table entries (1 MiB,
         * not all in L2) are fetched here at once instead (merges 10 % faster). */
        for (uint32_t i = 0; i + 3 <= len; i++) {
            __builtin_prefetch(&s->hot[hot_index(load_short(p + i, 3))]);
            if (i + 4 <= len) __builtin_prefetch(&s->hot[hot_index(load_short(p + i, 4))]);
        }
        __m256i lo = rank_keys8(rank, 0), hi = rank_keys8(rank, 8);
        uint32_t key;
        while ((key = min_key16(lo, hi)) != BPE_NO_RANK) {
            bi = key & 0xFF;
            uint32_t j = join_parts(b, s, p, len, max_rank, &sp, bi, &rb, &h, &rh);
            set_rank16(&lo, &hi, j, BPE_NO_RANK);
            set_rank16(&lo, &hi, bi, rank_key(rb, bi));
            if (h < 64) set_rank16(&lo, &hi, h, rank_key(rh, h));
        }
    } else
#endif
    {
        while (rank[bi = min_rank_at(rank, n8)] != BPE_NO_RANK) {
            uint32_t j = join_parts(b, s, p, len, max_rank, &sp, bi, &rb, &h, &rh);
            rank[j] = BPE_NO_RANK;
            rank[bi] = rb;
            if (h < 64) rank[h] = rh;
        }
    }
    size_t m = 0;
    for (uint64_t a = sp.alive & ~(1ULL << len); a; a &= a - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(a);
        bounds[m] = i;
        if (ids) {
            uint32_t n = next_start(sp.alive, i) - i;
            if (n == 1) ids[m] = b->byte_id[p[i]];
            else if (sp.part[i] != BPE_NO_RANK) ids[m] = sp.part[i];
            else hot_rank(b, s, p + i, n, load_short(p + i, n), 0, &ids[m]);
        }
        m++;
    }
    bounds[m] = len;
    return m;
}

/* p[0..len) copied into the scratch's pad with 8 zero bytes after it, so that 8-byte
 * loads anywhere in the piece stay inside the copy. */
static const unsigned char *pad_copy(pmp_bpe_scratch *s, const unsigned char *p, size_t len)
{
    if (len + 8 > s->cap_pad) {
        s->cap_pad = len + 8 > 256 ? len + 8 : 256;
        free(s->pad);
        s->pad = pmp_xmalloc(s->cap_pad);
    }
    memcpy(s->pad, p, len);
    memset(s->pad + len, 0, 8);
    return s->pad;
}

size_t pmp_bpe_merge_piece(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p, size_t len,
                       uint32_t max_rank, uint32_t *bounds)
{
    hot_alloc(b, s);
    p = pad_copy(s, p, len);
    if (len <= SMALL_PIECE) return merge_small(b, s, p, (uint32_t)len, max_rank, bounds, NULL);
    if (len <= LONG_PIECE) {
        reserve_short(s, len + 1);
        return merge_short(b, s, p, len, max_rank, bounds);
    }
    return merge_long(b, s, p, len, max_rank, bounds);
}

/* Room for `more` ids past out->len, so the hot loop stores without checks. */
static void ids_reserve(pmp_ids *out, size_t more)
{
    if (out->cap - out->len >= more) return;
    size_t cap = out->cap ? out->cap : 256;
    while (cap - out->len < more) cap *= 2;
    out->data = pmp_xrealloc(out->data, cap * sizeof *out->data);
    out->cap = cap;
}

/* A piece's bytes take whole 8-byte units of the pool (zero-padded), so that
 * its first 8 bytes compare as one word. */
static inline size_t words_of(size_t len) { return (len + 7) / 8 * 2; }

/* The slot of piece p (head: load_head, hash h) in the cache: a hit, or the empty
 * slot to fill. */
static inline cache_slot *cache_probe(pmp_bpe_scratch *s, const unsigned char *p, size_t len,
                                      uint64_t head, uint64_t h)
{
    for (uint32_t i = (uint32_t)(h >> 32) & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
        cache_slot *c = &s->cslots[i];
        if (!c->len) return c;
        if (c->h == h && c->len == len) {
            const unsigned char *q = (const unsigned char *)(s->cpool + c->off);
            uint64_t w;
            memcpy(&w, q, 8);
            if (w == head && (len <= 8 || memcmp(q + 8, p + 8, len - 8) == 0)) return c;
        }
    }
}

static void cache_put(pmp_bpe_scratch *s, cache_slot *c, const unsigned char *p, size_t len,
                      uint64_t h, const uint32_t *ids, size_t n)
{
    size_t w = words_of(len);
    if (s->cused >= CACHE_MAX_PIECES || s->cpool_len + w + n > CACHE_POOL_WORDS) {
        memset(s->cslots, 0, CACHE_SLOTS * sizeof *s->cslots);
        s->cused = s->cpool_len = 0;
        c = cache_probe(s, p, len, load_head(p, len), h);
    }
    uint32_t *dst = s->cpool + s->cpool_len;
    dst[w - 1] = dst[w - 2] = 0;
    memcpy(dst, p, len);
    memcpy(dst + w, ids, n * sizeof *ids);
    *c = (cache_slot){h, s->cpool_len, (uint16_t)len, (uint16_t)n};
    s->cpool_len += (uint32_t)(w + n);
    s->cused++;
}

/* Merges piece p (not one token) into out and keeps its ids in the piece cache
 * slot c (NULL: not cached); end: one past the text's last byte. The hot table exists
 * (encode_ordinary made it). Out of line: encode_piece's quick answers stay cheap. */
static __attribute__((noinline)) void merge_into(const pmp_bpe *b, pmp_bpe_scratch *s,
                                                 const unsigned char *p, size_t len,
                                                 const unsigned char *end, uint64_t h,
                                                 cache_slot *c, pmp_ids *out)
{
    reserve_short(s, len + 1);
    uint32_t *ids = out->data + out->len;
    size_t m;
    if (len <= SMALL_PIECE) {
        /* in place, unless too near the text's end for 8-byte loads */
        const unsigned char *q = end - p >= (ptrdiff_t)len + 8 ? p : pad_copy(s, p, len);
        m = merge_small(b, s, q, (uint32_t)len, BPE_NO_RANK, s->bounds, ids);
        if (len <= 8 && m == 2) hot_put_pair(s, len, load_short(q, len), ids[0], ids[1]);
    } else {
        m = pmp_bpe_merge_piece(b, s, p, len, BPE_NO_RANK, s->bounds);
        const unsigned char *q = s->pad;   /* p's padded copy */
        for (size_t i = 0; i < m; i++) {
            uint32_t from = s->bounds[i], n = s->bounds[i + 1] - from;
            if (n == 1) ids[i] = b->byte_id[p[from]];
            else if (n <= 8) hot_rank(b, s, q + from, n, load_short(q + from, n), 0, &ids[i]);
            else long_rank(b, q + from, n, &ids[i]);
        }
    }
    out->len += m;
    if (c) cache_put(s, c, p, len, h, ids, m);
}

/* A piece that is not one byte, not a hot-table token and not a token of more than 8
 * bytes (the block loop looked those up): a token of up to 8 bytes found in the
 * vocabulary, the piece cache's ids, or a merge. head: load_head; h: hash_key. Room
 * for len ids: encode_block reserved a byte's worth for its pieces. */
static void encode_piece(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *p, size_t len,
                         const unsigned char *end, uint64_t head, uint64_t h, pmp_ids *out)
{
    if (len <= 8) {
        uint32_t id;
        /* if the filter says it is no token, its piece-cache slot is read next: load
         * it meanwhile (most pieces here are tokens, whose slot is never read) */
        if (s->cslots && !bpe_short_maybe(b, h))
            __builtin_prefetch(&s->cslots[(uint32_t)(h >> 32) & (CACHE_SLOTS - 1)]);
        if (hot_rank(b, s, p, len, head, h, &id) != BPE_NO_RANK) {
            out->data[out->len++] = id;
            return;
        }
    }
    cache_slot *c = NULL;
    if (len <= CACHE_MAX_PIECE) {
        if (!s->cslots) {
            s->cslots = pmp_xcalloc(CACHE_SLOTS, sizeof *s->cslots);
            s->cpool = pmp_xmalloc((CACHE_POOL_WORDS + 4) * sizeof *s->cpool);
        }
        c = cache_probe(s, p, len, head, h);
        if (c->len) {
            const uint32_t *ids = s->cpool + c->off + words_of(len);
            if (len <= 8 && c->n == 2) hot_put_pair(s, len, head, ids[0], ids[1]);
            uint32_t *o = out->data + out->len;
            /* 4 ids at a time: the pool and the output have room past the end */
            for (size_t i = 0; i < c->n; i += 4) memcpy(o + i, ids + i, 16);
            out->len += c->n;
            return;
        }
    }
    merge_into(b, s, p, len, end, h, c, out);
}

/* Runs the pattern over valid UTF-8 text. Text the pattern does not match
 * (possible only with custom patterns) is a piece of its own, so no byte is
 * ever dropped (tiktoken drops it). */
static int split_valid(const pcre2_code *re, const bpe_matcher *m, const unsigned char *t,
                       size_t len, bpe_piece_fn fn, void *ctx, pmp_err *err)
{
    size_t off = 0;
    while (off < len) {
        int rc = m->jit ? pcre2_jit_match(re, t, len, off, PCRE2_NO_UTF_CHECK, m->md, m->mctx)
                        : pcre2_match(re, t, len, off, PCRE2_NO_UTF_CHECK, m->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) {
            fn(ctx, t + off, len - off);
            return 0;
        }
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return pmp_err_setc(err, PMP_E_INPUT, "pattern match failed at byte %zu: %s", off,
                               (const char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t ms = ov[0], me = ov[1];
        if (ms > off) fn(ctx, t + off, ms - off);
        if (me == ms) {
            /* An empty match at the end (e.g. \b, $): every byte is in a piece. */
            if (ms == len) return 0;
            /* Empty match: step over one character as a piece of its own. */
            size_t n = 1;
            while (ms + n < len && (t[ms + n] & 0xC0) == 0x80) n++;
            fn(ctx, t + ms, n);
            me = ms + n;
        } else {
            fn(ctx, t + ms, me - ms);
        }
        off = me;
    }
    return 0;
}

/* Length of the valid UTF-8 prefix of t (the strict checker of common/). */
static size_t valid_prefix(const unsigned char *t, size_t len)
{
    return pmp_utf8_check((const char *)t, len);
}

/* The length of the maximal run of bytes that start no valid sequence at t
 * (t[0] starts none): one piece. */
static size_t invalid_run(const unsigned char *t, size_t len)
{
    size_t bad = 1;
    while (bad < len) {
        size_t lim = len - bad < 4 ? len - bad : 4;
        if (valid_prefix(t + bad, lim) > 0) break;
        bad++;
    }
    return bad;
}

/* The hand-written splitter over valid UTF-8 text: the pieces split_valid finds
 * with the named pattern's regex. */
static inline void split_valid_pretok(int kind, const unsigned char *t, size_t len,
                                      bpe_piece_fn fn, void *ctx)
{
    size_t ends[64], pos = 0, from = 0;
    while (pos < len) {
        size_t n = pmp_bpe_pretok(kind, t, len, &pos, ends, 64);
        for (size_t k = 0; k < n; k++) {
            fn(ctx, t + from, ends[k] - from);
            from = ends[k];
        }
    }
}

/* Valid UTF-8 stretches go to the splitter (kind != PRETOK_NONE: pretok.c, else
 * the regex); each maximal run of bytes that start no valid sequence is a piece. */
static inline int split_stretches(const pcre2_code *re, const bpe_matcher *m, int kind,
                                  const unsigned char *t, size_t len, bpe_piece_fn fn, void *ctx,
                                  pmp_err *err)
{
    size_t off = 0;
    while (off < len) {
        size_t ok = valid_prefix(t + off, len - off);
        if (ok) {
            if (kind) split_valid_pretok(kind, t + off, ok, fn, ctx);
            else if (split_valid(re, m, t + off, ok, fn, ctx, err) < 0) return -1;
        }
        off += ok;
        if (off >= len) break;
        size_t bad = invalid_run(t + off, len - off);
        fn(ctx, t + off, bad);
        off += bad;
    }
    return 0;
}

int pmp_bpe_split(const pcre2_code *re, const bpe_matcher *m, const unsigned char *t, size_t len,
              bpe_piece_fn fn, void *ctx, pmp_err *err)
{
    return split_stretches(re, m, PRETOK_NONE, t, len, fn, ctx, err);
}

int pmp_bpe_split_pretok(int kind, const unsigned char *t, size_t len, bpe_piece_fn fn, void *ctx)
{
    return split_stretches(NULL, NULL, kind, t, len, fn, ctx, NULL);
}

void pmp_bpe_matcher_init(bpe_matcher *m, const pcre2_code *re, int jit)
{
    m->md = pcre2_match_data_create_from_pattern(re, NULL);
    m->jit = jit;
    m->mctx = NULL;
    m->jstack = NULL;
    if (jit) {
        /* Long runs of one class can need more than the default 32 KiB. */
        m->mctx = pcre2_match_context_create(NULL);
        m->jstack = pcre2_jit_stack_create(32 * 1024, 16 * 1024 * 1024, NULL);
        pcre2_jit_stack_assign(m->mctx, NULL, m->jstack);
    }
}

void pmp_bpe_matcher_free(bpe_matcher *m)
{
    pcre2_match_data_free(m->md);
    if (m->mctx) pcre2_match_context_free(m->mctx);
    if (m->jstack) pcre2_jit_stack_free(m->jstack);
}

/* Which of the pieces v[from..ends[0]), v[ends[0]..ends[1]), ... (n <= BLOCK) are
 * longer than 8 bytes: bit k for piece k. Branch-free; with AVX2 four pieces per
 * compare (the scalar loop was a sixth of the block loop's instructions). */
static inline uint64_t long_pieces(size_t from, const size_t *ends, size_t n)
{
    uint64_t longs = ends[0] - from > 8;
    size_t k = 1;
#if defined(__AVX2__) && !defined(PMP_NO_SIMD)
    _Static_assert(sizeof(size_t) == 8, "ends are 64-bit lanes");
    const __m256i eight = _mm256_set1_epi64x(8);
    for (; k + 4 <= n; k += 4) {
        __m256i cur = _mm256_loadu_si256((const __m256i *)(ends + k));
        __m256i prev = _mm256_loadu_si256((const __m256i *)(ends + k - 1));
        /* lengths are below 2^63: the signed compare is exact */
        __m256i gt = _mm256_cmpgt_epi64(_mm256_sub_epi64(cur, prev), eight);
        longs |= (uint64_t)(unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(gt)) << k;
    }
#endif
    for (; k < n; k++) longs |= (uint64_t)(ends[k] - ends[k - 1] > 8) << k;
    return longs;
}

/* The run of pieces from k (below k1) whose ids the hot table holds (one token, or a
 * piece of two), written to *o: nearly all of English. Its own loop with its own few
 * variables, so that they stay in registers (inside block_ids' loop, which calls
 * encode_piece, they were reloaded from the stack every piece). The pieces start 8 or
 * more bytes before the text's end (end: one past its last byte) unless near_end.
 * Returns the first piece it did not write (k1 if none); *st: its start. */
static inline __attribute__((always_inline)) size_t hot_run(const hot_entry *hot,
                                                            const unsigned char *v, size_t *st,
                                                            const size_t *ends, size_t k,
                                                            size_t k1, const unsigned char *end,
                                                            int near_end, uint32_t **o)
{
    size_t pos = *st;
    uint32_t *w = *o;
    for (; k < k1; k++) {
        size_t next = ends[k], len = next - pos;
        if (len > 8) break;
        /* single bytes too: the hot table is seeded with them, and a test of len == 1
         * here was the block loop's most mispredicted branch */
        const unsigned char *p = v + pos;
        uint64_t head = near_end ? load_short_within(p, len, end) : load_short(p, len);
        const hot_entry *e = &hot[hot_index(head)];
        if (e->head != head) break;
        uint32_t tag = e->id_len >> 24;
        if (tag == (HOT_TOKEN >> 24 | len)) {
            *w++ = e->id_len & HOT_ID_MASK;
        } else if (tag == (HOT_PAIR >> 24 | len)) {
            w[0] = e->id_len & HOT_ID_MASK;
            w[1] = e->rank;
            w += 2;
        } else {
            break;
        }
        pos = next;
    }
    *st = pos;
    *o = w;
    return k;
}

/* encode_block's loop over pieces k0..k1 (the first starting at v + st), which
 * start 8 or more bytes before the text's end unless near_end; long_maybe: bit k for
 * a long piece the long-token filter lets through. hot_run writes the pieces the hot
 * table knows, and the loop body takes the one it stopped at. */
static inline __attribute__((always_inline)) void block_ids(const pmp_bpe *b, pmp_bpe_scratch *s,
                                                            const unsigned char *v, size_t st,
                                                            const size_t *ends, size_t k0,
                                                            size_t k1, const unsigned char *end,
                                                            pmp_ids *out, uint64_t long_maybe,
                                                            int near_end)
{
    const hot_entry *hot = s->hot;
    const uint32_t *byte_id = b->byte_id;
    uint32_t *o = out->data + out->len;
    for (size_t k = k0; k < k1; k++) {
        k = hot_run(hot, v, &st, ends, k, k1, end, near_end, &o);
        if (k == k1) break;
        /* piece k: the hot table has no answer for it */
        size_t len = ends[k] - st;
        const unsigned char *p = v + st;
        st = ends[k];
        uint64_t head, h;
        if (len <= 8) {
            head = near_end ? load_short_within(p, len, end) : load_short(p, len);
            if (len == 1) {
                /* a byte the hot table lost, or one without a token: put back */
                *o++ = byte_id[p[0]];
                hot_put_byte(s, p[0], byte_id[p[0]]);
                continue;
            }
            h = hash_key(p, len, head);
        } else {
            head = load_head(p, len);
            h = s->hash[k];
            /* most long pieces are one token, whose slot encode_block prefetched */
            const bpe_slot *whole =
                long_maybe >> k & 1 ? bpe_long_find(b, p, len, head, h) : NULL;
            if (whole) {
                *o++ = whole->id;
                continue;
            }
        }
        out->len = (size_t)(o - out->data);
        encode_piece(b, s, p, len, end, head, h, out);
        o = out->data + out->len;
    }
    out->len = (size_t)(o - out->data);
}

/* Encodes the pieces v[from..ends[0]), v[ends[0]..ends[1]), ... (0 < n <= BLOCK);
 * end: one past the text's last byte (8-byte loads stay before it). Pieces of one
 * byte, pieces of up to 8 bytes that the hot table knows as one token (most of
 * English) and longer pieces that are one token are written here; the others go to
 * encode_piece. Pieces longer than 8 bytes are hashed first, with the vocabulary or
 * piece-cache slot they will read prefetched, so that the cache misses of a block's
 * long pieces overlap instead of following each other. */
static void encode_block(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *v,
                         size_t from, const size_t *ends, size_t n, const unsigned char *end,
                         pmp_ids *out)
{
    uint64_t *hash = s->hash, maybe = 0;
    uint64_t longs = long_pieces(from, ends, n);
    for (uint64_t m = longs; m; m &= m - 1) {
        size_t k = (size_t)__builtin_ctzll(m), st = k ? ends[k - 1] : from, len = ends[k] - st;
        const unsigned char *p = v + st;
        uint64_t h = len <= UINT16_MAX ? hash_key(p, len, load_head(p, len)) : 0;
        hash[k] = h;
        /* most long pieces are one token: their piece-cache slot is never read */
        if (len <= UINT16_MAX && bpe_long_maybe(b, h)) {
            __builtin_prefetch(&b->long_tab[(uint32_t)h & b->long_mask]);
            maybe |= 1ULL << k;
        } else if (s->cslots && len <= CACHE_MAX_PIECE) {
            __builtin_prefetch(&s->cslots[(uint32_t)(h >> 32) & (CACHE_SLOTS - 1)]);
        }
    }
    /* a piece has at most as many ids as bytes; 4 more for encode_piece's copies */
    if (out->cap - out->len < ends[n - 1] - from + 4) ids_reserve(out, ends[n - 1] - from + 4);
    /* the pieces that start 8 or more bytes before the text's end (all but the last
     * few of a text) load their first 8 bytes without a test */
    size_t far = n;
    while (far > 0 && end - (v + (far > 1 ? ends[far - 2] : from)) < 8) far--;
    block_ids(b, s, v, from, ends, 0, far, end, out, maybe, 0);
    if (far < n) block_ids(b, s, v, far ? ends[far - 1] : from, ends, far, n, end, out, maybe, 1);
}

/* The pieces of a custom pattern (pmp_bpe_split's callback), gathered into blocks. */
typedef struct encode_ctx {
    const pmp_bpe *b;
    pmp_bpe_scratch *s;
    pmp_ids *out;
    const unsigned char *t, *end;   /* the text */
    size_t from, n, ends[BLOCK];    /* the block: offsets in t */
} encode_ctx;

static void flush_block(encode_ctx *c)
{
    if (!c->n) return;
    encode_block(c->b, c->s, c->t, c->from, c->ends, c->n, c->end, c->out);
    c->from = c->ends[c->n - 1];
    c->n = 0;
}

static void encode_cb(void *ctx, const unsigned char *p, size_t len)
{
    encode_ctx *c = ctx;
    c->ends[c->n++] = (size_t)(p + len - c->t);
    if (c->n == BLOCK) flush_block(c);
}

static int encode_ordinary(const pmp_bpe *b, pmp_bpe_scratch *s, const unsigned char *t,
                           size_t len, pmp_ids *out, pmp_err *err)
{
    size_t first = out->len;
    /* English runs at about 4.5 bytes a token: one allocation of a quarter of the
     * text's length (a byte of ids per byte of text) up front, instead of a chain of
     * doublings, each one copying, for a new or small id buffer. */
    if (out->cap - out->len < len / 4 + 16) ids_reserve(out, len / 4 + 16);
    hot_alloc(b, s);
    int rc = 0;
    if (b->pretok) {
        /* The splitter's loop written out here: its ends go straight to encode_block,
         * BLOCK at a time. The splitter is asked for SPLIT_ENDS at once: it cuts 64
         * bytes at a time, and where a call's last 64 bytes hold more starts than it
         * has room for, the next call cuts them again (with BLOCK ends a call, which
         * spans five or six cuts, one of them was such a repeat). */
        enum { SPLIT_ENDS = 4 * BLOCK };
        size_t off = 0, ends[SPLIT_ENDS];
        while (off < len) {
            size_t ok = valid_prefix(t + off, len - off);
            const unsigned char *v = t + off;
            size_t pos = 0, from = 0;
            while (pos < ok) {
                size_t n = pmp_bpe_pretok(b->pretok, v, ok, &pos, ends, SPLIT_ENDS);
                for (size_t k = 0; k < n; k += BLOCK) {
                    size_t nb = n - k < BLOCK ? n - k : BLOCK;
                    encode_block(b, s, v, from, ends + k, nb, t + len, out);
                    from = ends[k + nb - 1];
                }
            }
            off += ok;
            if (off < len) {
                size_t bad = invalid_run(t + off, len - off);
                encode_block(b, s, t + off, 0, &bad, 1, t + len, out);
                off += bad;
            }
        }
    } else {
        encode_ctx c = {.b = b, .s = s, .out = out, .t = t, .end = t + len};
        rc = split_stretches(b->re, &s->m, PRETOK_NONE, t, len, encode_cb, &c, err);
        flush_block(&c);
    }
    if (rc < 0) return -1;
    if (b->n_missing_bytes) {
        /* A byte without a token was emitted as UINT32_MAX: report it. */
        for (size_t i = first; i < out->len; i++)
            if (out->data[i] == UINT32_MAX) {
                out->len = first;
                for (size_t k = 0; k < len; k++)
                    if (b->byte_id[t[k]] == UINT32_MAX)
                        return pmp_err_setc(err, PMP_E_INPUT, "byte 0x%02X (offset %zu) has no token in this "
                                           "vocabulary", t[k], k);
                return pmp_err_setc(err, PMP_E_INPUT, "a byte has no token in this vocabulary");
            }
    }
    return 0;
}

/* The earliest special token at or after pos (longest on a tie), or -1. */
static long find_special(const pmp_bpe *b, const unsigned char *t, size_t len, size_t pos,
                         size_t *which)
{
    for (size_t i = pos; i < len; i++) {
        if (!b->sp_first[t[i]]) continue;
        long best = -1;
        for (size_t k = 0; k < b->n_specials; k++) {
            size_t n = b->sp_len[k];
            if (n <= len - i && memcmp(t + i, b->sp_text[k], n) == 0 &&
                (best < 0 || n > b->sp_len[best]))
                best = (long)k;
        }
        if (best >= 0) {
            *which = (size_t)best;
            return (long)i;
        }
    }
    return -1;
}

int pmp_bpe_encode(const pmp_bpe *b, pmp_bpe_scratch *s, const char *text, size_t len,
                   int allow_special, pmp_ids *out, pmp_err *err)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t start = out->len;
    if (!allow_special || !b->n_specials) {
        if (encode_ordinary(b, s, t, len, out, err) < 0) goto fail;
        return 0;
    }
    size_t pos = 0;
    while (pos < len) {
        size_t k;
        long at = find_special(b, t, len, pos, &k);
        size_t end = at < 0 ? len : (size_t)at;
        if (end > pos && encode_ordinary(b, s, t + pos, end - pos, out, err) < 0) goto fail;
        if (at < 0) break;
        pmp_ids_push(out, b->sp_id[k]);
        pos = end + b->sp_len[k];
    }
    return 0;
fail:
    out->len = start;
    return -1;
}

int pmp_bpe_decode(const pmp_bpe *b, const uint32_t *ids, size_t n, pmp_buf *out, pmp_err *err)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id >= b->n_ids || b->tok_type[id] == TOK_UNUSED)
            return pmp_err_setc(err, PMP_E_INPUT, "id %u (position %zu) is not in the vocabulary", id, i);
        pmp_buf_append(out, b->pool.data + b->tok_off[id], b->tok_len[id]);
    }
    return 0;
}

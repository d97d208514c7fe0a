/* pretok.c — the named pre-tokenisation patterns (gpt2/r50k, cl100k, o200k)
 * written out as hand-made matchers over UTF-8, in place of the PCRE2 regex.
 *
 * Each function returns the end of the piece that starts at i, which is the
 * match PCRE2 finds there: its alternatives tried in order, leftmost first,
 * each greedy with backtracking, worked out case by case below. The text is a
 * valid UTF-8 stretch (pmp_bpe_split's contract), and its end is the subject's
 * end (so `\s+(?!\S)` takes a whitespace run to the end of the stretch).
 * Unicode classes come from uclass_table.c, generated at build time from the
 * linked PCRE2 (gen_uclass.c), so both splitters see the same categories.
 * PCRE2 stays the oracle: tests/fuzz/fuzz_pretok.c compares the two on every
 * input, and test_bpe_exact does on the test corpora. */
#include "bpe_internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __AVX2__
#include <immintrin.h>
#endif

/* Class byte: category in bits 0-2, White_Space in bit 3 (as gen_uclass writes). */
enum { UC_OTHER, UC_LU, UC_LT, UC_LL, UC_LM, UC_LO, UC_M, UC_N };
#define CL(x) (1u << (x))
#define M_L (CL(UC_LU) | CL(UC_LT) | CL(UC_LL) | CL(UC_LM) | CL(UC_LO))
#define M_N CL(UC_N)
#define M_WS CL(8)
#define M_O (CL(UC_OTHER) | CL(UC_M))                       /* [^\s\p{L}\p{N}] */
#define M_UP (CL(UC_LU) | CL(UC_LT) | CL(UC_LM) | CL(UC_LO) | CL(UC_M))   /* o200k's first class */
#define M_LO (CL(UC_LL) | CL(UC_LM) | CL(UC_LO) | CL(UC_M))               /* o200k's second class */
#define M_BOTH (M_UP & M_LO)

/* Class of the character at t[i] (i < len), its length in *n. */
static inline unsigned peek(const unsigned char *t, size_t i, unsigned *n)
{
    unsigned b = t[i];
    if (b < 0x80) {
        *n = 1;
        return pmp_bpe_uclass_blocks[b];   /* block 0 is stored first */
    }
    unsigned cp;
    if (b < 0xE0) {
        cp = (b & 0x1Fu) << 6 | (t[i + 1] & 0x3Fu);
        *n = 2;
    } else if (b < 0xF0) {
        cp = (b & 0x0Fu) << 12 | (t[i + 1] & 0x3Fu) << 6 | (t[i + 2] & 0x3Fu);
        *n = 3;
    } else {
        cp = (b & 0x07u) << 18 | (t[i + 1] & 0x3Fu) << 12 | (t[i + 2] & 0x3Fu) << 6 |
             (t[i + 3] & 0x3Fu);
        *n = 4;
    }
    size_t block = pmp_bpe_uclass_index[cp / PMP_UCLASS_BLOCK];
    return pmp_bpe_uclass_blocks[block * PMP_UCLASS_BLOCK + cp % PMP_UCLASS_BLOCK];
}

static inline int in(unsigned mask, unsigned cls) { return (mask >> cls) & 1; }

/* End of the run of characters in mask starting at k. */
static inline size_t run(const unsigned char *t, size_t len, size_t k, unsigned mask)
{
    while (k < len) {
        unsigned b = t[k];
        if (b < 0x80) {
            if (!in(mask, pmp_bpe_uclass_blocks[b])) break;
            k++;
            continue;
        }
        unsigned n;
        if (!in(mask, peek(t, k, &n))) break;
        k += n;
    }
    return k;
}

/* End of the run of ASCII letters from k. With SSE2 (every x86-64), 16 bytes
 * at a time: most words end inside the first block, so the loop's exit branch
 * is taken once per word instead of mispredicted at a per-byte exit; elsewhere
 * the portable loop (the same result). */
static inline size_t ascii_run_end(const unsigned char *t, size_t len, size_t k, int lower_only)
{
#if defined(__SSE2__) && !defined(PMP_NO_SIMD)
    const __m128i lower = _mm_set1_epi8(lower_only ? 0 : 0x20), below_a = _mm_set1_epi8('a' - 1),
                  above_z = _mm_set1_epi8('z' + 1);
    while (len - k >= 16) {
        __m128i v = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(t + k)), lower);
        /* signed compares: bytes >= 0x80 are negative, so never letters */
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpgt_epi8(v, below_a), _mm_cmplt_epi8(v, above_z)));
        if (m != 0xFFFF) return k + (size_t)__builtin_ctz(~m);
        k += 16;
    }
#endif
    unsigned fold = lower_only ? 0 : 0x20;
    while (k < len && (unsigned)((t[k] | fold) - 'a') < 26) k++;
    return k;
}

/* ASCII letters only, the common case, then the general run. */
static inline size_t run_letters(const unsigned char *t, size_t len, size_t k)
{
    k = ascii_run_end(t, len, k, 0);
    if (k < len && t[k] >= 0x80) return run(t, len, k, M_L);
    return k;
}

static inline int is_crlf(unsigned b) { return b == '\r' || b == '\n'; }

/* ASCII byte classes for the fast paths below: each piece that starts and ends among
 * ASCII bytes is cut by one table lookup per decision; a decision that meets a byte
 * >= 0x80 hands the piece to the general matcher, from its start. */
enum { A_LOW = 1, A_UP = 2, A_DIG = 4, A_WS = 8, A_CRLF = 16, A_O = 32, A_HI = 64 };
#define A_LET (A_LOW | A_UP)
#define A_ROW(b)                                                                                  \
    ((b) >= 0x80 ? A_HI                                                                           \
     : (b) >= 'a' && (b) <= 'z' ? A_LOW                                                          \
     : (b) >= 'A' && (b) <= 'Z' ? A_UP                                                           \
     : (b) >= '0' && (b) <= '9' ? A_DIG                                                          \
     : (b) == '\r' || (b) == '\n' ? (A_WS | A_CRLF)                                               \
     : (b) == ' ' || ((b) >= 0x09 && (b) <= 0x0D) ? A_WS                                          \
                                                 : A_O)
#define A_R4(b) A_ROW(b), A_ROW((b) + 1), A_ROW((b) + 2), A_ROW((b) + 3)
#define A_R16(b) A_R4(b), A_R4((b) + 4), A_R4((b) + 8), A_R4((b) + 12)
#define A_R64(b) A_R16(b), A_R16((b) + 16), A_R16((b) + 32), A_R16((b) + 48)
static const unsigned char acls[256] = {A_R64(0), A_R64(64), A_R64(128), A_R64(192)};

/* Class of t[k], or A_HI past the end (so "past the end" needs no test of its own
 * where the decision is the same as for a non-ASCII byte: fall back). */
static inline unsigned acl(const unsigned char *t, size_t len, size_t k)
{
    return k < len ? acls[t[k]] : A_HI;
}

/* End of the run of ASCII bytes of class mask from k; a byte >= 0x80 where the run
 * stops continues it through the general classes (gmask): the same end as run(). */
static inline size_t arun(const unsigned char *t, size_t len, size_t k, unsigned mask,
                          unsigned gmask)
{
    while (k < len && (acls[t[k]] & mask)) k++;
    if (k < len && t[k] >= 0x80) return run(t, len, k, gmask);
    return k;
}

/* A whitespace run starting at i (the character there is White_Space):
 * cl100k and o200k first try `\s*[\r\n]+` (crlf = 1), which ends after the run's
 * last CR or LF; then `\s+(?!\S)`: the run to the end of the text, or all but its
 * last character; then `\s+`: a run of one character. */
static size_t ws_piece(const unsigned char *t, size_t len, size_t i, int crlf)
{
    size_t k = i, last = i, after_nl = 0, count = 0;
    while (k < len) {
        unsigned n;
        if (!in(M_WS, peek(t, k, &n))) break;
        if (is_crlf(t[k])) after_nl = k + 1;
        last = k;
        k += n;
        count++;
    }
    if (crlf && after_nl) return after_nl;
    if (k == len || count == 1) return k;
    return last;
}

/* 's 't 're 've 'm 'll 'd at i (t[i] == '\''), lower case only: its length or 0. */
static inline size_t contraction(const unsigned char *t, size_t len, size_t i)
{
    if (i + 1 >= len) return 0;
    unsigned a = t[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= len) return 0;
    unsigned b = t[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* The same, case-insensitive as PCRE2's (?i) with UCP: 's' also matches U+017F
 * (LATIN SMALL LETTER LONG S, C5 BF). */
static inline size_t contraction_i(const unsigned char *t, size_t len, size_t i)
{
    if (i + 1 >= len || t[i] != '\'') return 0;
    unsigned a = t[i + 1] | 0x20;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (t[i + 1] == 0xC5 && i + 2 < len && t[i + 2] == 0xBF) return 3;
    if (i + 2 >= len) return 0;
    unsigned b = t[i + 2] | 0x20;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t gpt2_general(const unsigned char *t, size_t len, size_t i);

/* gpt2 when t[i] (and t[i+1] after a space) is ASCII; 0: use gpt2_general. */
static inline size_t gpt2_ascii(const unsigned char *t, size_t len, size_t i)
{
    unsigned a = acls[t[i]];
    size_t j = i;
    if (t[i] == ' ') {
        unsigned a2 = acl(t, len, i + 1);
        if (a2 & A_HI) return 0;   /* a non-ASCII character, or the end */
        if (!(a2 & A_WS)) {
            j = i + 1;
            a = a2;
        }
    } else if (t[i] == '\'') {
        size_t c = contraction(t, len, i);
        if (c) return i + c;
    }
    if (a & A_LET) return run_letters(t, len, j + 1);
    if (a & A_DIG) return arun(t, len, j + 1, A_DIG, M_N);
    if (a & A_O) return arun(t, len, j + 1, A_O, M_O);
    return 0;   /* whitespace, or a byte >= 0x80 */
}

static inline size_t gpt2_piece(const unsigned char *t, size_t len, size_t i)
{
    size_t e = gpt2_ascii(t, len, i);
    return e ? e : gpt2_general(t, len, i);
}

static size_t gpt2_general(const unsigned char *t, size_t len, size_t i)
{
    if (t[i] == '\'') {
        size_t c = contraction(t, len, i);
        if (c) return i + c;
    }
    size_t j = i;
    unsigned n, cls = peek(t, i, &n);
    if (t[i] == ' ' && i + 1 < len) {
        /* ` ?X+` with the space when the next character is no whitespace; without
         * it the space itself would have to be X, which it is not. */
        unsigned n2, c2 = peek(t, i + 1, &n2);
        if (!in(M_WS, c2)) {
            j = i + 1;
            cls = c2;
            n = n2;
        }
    }
    if (in(M_L, cls)) return run_letters(t, len, j + n);
    if (in(M_N, cls)) return run(t, len, j + n, M_N);
    if (in(M_O, cls)) return run(t, len, j + n, M_O);
    return ws_piece(t, len, i, 0);
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t cl100k_general(const unsigned char *t, size_t len, size_t i);

/* Up to 3 digits from i (t[i] is one) where all are ASCII and so is the byte after;
 * 0 if a byte >= 0x80 comes first (it may be a digit of another script). */
static inline size_t digits3(const unsigned char *t, size_t len, size_t i)
{
    size_t k = i + 1;
    for (int d = 1; d < 3; d++, k++) {
        unsigned a = acl(t, len, k);
        if (a & A_DIG) continue;
        return k < len && (a & A_HI) ? 0 : k;
    }
    return k;
}

/* cl100k when the bytes it decides on are ASCII; 0: use cl100k_general. */
static inline size_t cl100k_ascii(const unsigned char *t, size_t len, size_t i)
{
    unsigned a = acls[t[i]];
    if (a & A_LET) return run_letters(t, len, i + 1);
    if (a & A_HI) return 0;
    if (t[i] == '\'') {
        size_t c = contraction_i(t, len, i);
        if (c) return i + c;
    }
    if (a & A_DIG) return digits3(t, len, i);
    unsigned a2 = acl(t, len, i + 1);
    if (!(a & A_CRLF)) {
        /* [^\r\n\p{L}\p{N}]\p{L}+ */
        if (a2 & A_LET) return run_letters(t, len, i + 2);
        if (a2 & A_HI) return 0;
    }
    size_t j = i;
    if (t[i] == ' ' && (a2 & A_O)) {
        j = i + 1;
        a = a2;
    }
    if (a & A_O) {
        size_t k = arun(t, len, j + 1, A_O, M_O);
        while (k < len && is_crlf(t[k])) k++;
        return k;
    }
    return 0;   /* whitespace */
}

static inline size_t cl100k_piece(const unsigned char *t, size_t len, size_t i)
{
    size_t e = cl100k_ascii(t, len, i);
    return e ? e : cl100k_general(t, len, i);
}

static size_t cl100k_general(const unsigned char *t, size_t len, size_t i)
{
    size_t c = contraction_i(t, len, i);
    if (c) return i + c;
    unsigned n, cls = peek(t, i, &n);
    if (in(M_L, cls)) return run_letters(t, len, i + n);
    if (!in(M_N, cls) && !is_crlf(t[i]) && i + n < len) {
        unsigned n2;
        if (in(M_L, peek(t, i + n, &n2))) return run_letters(t, len, i + n + n2);
    }
    if (in(M_N, cls)) {
        size_t k = i + n;
        for (int d = 1; d < 3 && k < len; d++) {
            unsigned n2;
            if (!in(M_N, peek(t, k, &n2))) break;
            k += n2;
        }
        return k;
    }
    size_t j = i;
    if (t[i] == ' ' && i + 1 < len) {
        unsigned n2, c2 = peek(t, i + 1, &n2);
        if (in(M_O, c2)) {
            j = i + 1;
            cls = c2;
            n = n2;
        }
    }
    if (in(M_O, cls)) {
        size_t k = run(t, len, j + n, M_O);
        while (k < len && is_crlf(t[k])) k++;
        return k;
    }
    return ws_piece(t, len, i, 1);
}

/* One of o200k's two letter alternatives from s (after the optional prefix):
 *   second = 0:  [UP]*[LO]+    second = 1:  [UP]+[LO]*
 * where UP = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and LO = [\p{Ll}\p{Lm}\p{Lo}\p{M}].
 * Returns the end, or 0 for no match (s > 0 whenever it matters: a match is never
 * empty and starts at or after the piece's start). For [UP]*[LO]+: the UP run is
 * greedy; if no LO follows it, the regex gives back characters of the run until
 * one of them is also LO (Lm, Lo, M), which then ends the match. */
static size_t o200k_letters(const unsigned char *t, size_t len, size_t s, int second)
{
    size_t k = s;
    while (k < len && (unsigned)(t[k] - 'A') < 26) k++;
    if (k == len || t[k] < 0x80) {
        /* The UP run is ASCII capitals (none of them also LO): the common case. */
        size_t w = ascii_run_end(t, len, k, 1);
        if (w < len && t[w] >= 0x80) w = run(t, len, w, M_LO);
        if (second) return k > s ? w : 0;
        return w > k ? w : 0;
    }
    size_t after_both = 0;
    k = s;
    while (k < len) {
        unsigned n, cls = peek(t, k, &n);
        if (!in(M_UP, cls)) break;
        if (in(M_BOTH, cls)) after_both = k + n;
        k += n;
    }
    size_t w = run(t, len, k, M_LO);
    if (second) return k > s ? w : 0;
    if (w > k) return w;
    return after_both;
}

/* [^\r\n\p{L}\p{N}]?[UP]*[LO]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 * [^\r\n\p{L}\p{N}]?[UP]+[LO]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t o200k_general(const unsigned char *t, size_t len, size_t i);

/* o200k's letters from s (t[s] an ASCII letter): capitals [A-Z]* then lower case.
 * Either alternative matches (a capital start makes [UP]+ non-empty, a lower-case
 * one [LO]+), and both end at the end of the lower-case run: ASCII capitals are
 * never LO, so [UP]*[LO]+ has nothing to give back. 0 if the capitals run into a
 * byte >= 0x80 (a non-ASCII UP character may be LO as well: the general path). */
static inline size_t o200k_ascii_word(const unsigned char *t, size_t len, size_t s)
{
    size_t k = s;
    while (k < len && (unsigned)(t[k] - 'A') < 26) k++;
    if (k < len && t[k] >= 0x80) return 0;
    size_t w = ascii_run_end(t, len, k, 1);
    if (w < len && t[w] >= 0x80) w = run(t, len, w, M_LO);
    return w;
}

/* o200k when the bytes it decides on are ASCII; 0: use o200k_general. */
static inline size_t o200k_ascii(const unsigned char *t, size_t len, size_t i)
{
    unsigned a = acls[t[i]];
    size_t e = 0;
    if (a & A_LET) {
        e = o200k_ascii_word(t, len, i);
    } else if (a & A_HI) {
        return 0;
    } else if (a & A_DIG) {
        return digits3(t, len, i);
    } else {
        unsigned a2 = acl(t, len, i + 1);
        if (!(a & A_CRLF) && (a2 & A_LET)) {
            e = o200k_ascii_word(t, len, i + 1);
        } else {
            if (a2 & A_HI) return 0;
            /* no letters: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`, else whitespace */
            size_t j = i;
            if (t[i] == ' ' && (a2 & A_O)) {
                j = i + 1;
                a = a2;
            }
            if (!(a & A_O)) return 0;
            size_t k = arun(t, len, j + 1, A_O, M_O);
            while (k < len && (is_crlf(t[k]) || t[k] == '/')) k++;
            return k;
        }
    }
    return e ? e + contraction_i(t, len, e) : 0;
}

static inline size_t o200k_piece(const unsigned char *t, size_t len, size_t i)
{
    size_t e = o200k_ascii(t, len, i);
    return e ? e : o200k_general(t, len, i);
}

static size_t o200k_general(const unsigned char *t, size_t len, size_t i)
{
    unsigned n, cls = peek(t, i, &n);
    /* The prefix [^\r\n\p{L}\p{N}] is tried first, then no prefix; the first
     * letter alternative before the second. */
    int prefix = !in(M_L | M_N, cls) && !is_crlf(t[i]);
    for (int second = 0; second < 2; second++) {
        size_t e = 0;
        if (prefix && i + n < len) e = o200k_letters(t, len, i + n, second);
        if (!e) e = o200k_letters(t, len, i, second);
        if (e) return e + contraction_i(t, len, e);
    }
    if (in(M_N, cls)) {
        size_t k = i + n;
        for (int d = 1; d < 3 && k < len; d++) {
            unsigned n2;
            if (!in(M_N, peek(t, k, &n2))) break;
            k += n2;
        }
        return k;
    }
    size_t j = i;
    if (t[i] == ' ' && i + 1 < len) {
        unsigned n2, c2 = peek(t, i + 1, &n2);
        if (in(M_O, c2)) {
            j = i + 1;
            cls = c2;
            n = n2;
        }
    }
    if (in(M_O, cls)) {
        size_t k = run(t, len, j + n, M_O);
        while (k < len && (is_crlf(t[k]) || t[k] == '/')) k++;
        return k;
    }
    return ws_piece(t, len, i, 1);
}

/* ---- 64 bytes at a time ------------------------------------------------------
 * Where the next 64 bytes are ASCII, the piece starts among them follow from a
 * few bit masks of byte classes (bit j = byte i + j), so the pieces of a block
 * are cut with shifts, ANDs and one count of trailing zeros per piece, without a
 * branch per byte or per piece kind. The block starts at a piece start i, which
 * for these patterns (no lookbehind) is the same as the start of the text: so
 * bit 0 has no predecessor (prv() shifts in a zero). Contractions are decided
 * from the bytes where the block holds all they need. What the block cannot
 * decide is "hard": any byte >= 0x80 (any class; NBSP is
 * whitespace, U+017F a contraction's s), an apostrophe before a letter too near
 * the block's end, the unknown byte after the block. A start at j depends on the bytes
 * up to j + 1 (one byte of lookahead: a run's end, `(?!\S)`), except the start
 * after the last CR/LF of a whitespace run (cl100k, o200k), which depends on
 * where the run ends; so only starts before the first hard byte less one, and
 * before a whitespace run that reaches it, are taken, and the matchers above
 * cut the rest, from the last start taken. */

typedef struct blockmask {
    uint64_t let, low, dig, sp, ws, crlf, hi, apos, slash;
} blockmask;

static inline void classify64(const unsigned char *t, blockmask *m)
{
#if defined(__AVX2__) && !defined(PMP_NO_SIMD)
    /* 32 bytes a compare where the build targets AVX2 (PMP_NATIVE on this machine
     * kind); the same masks as the SSE2 and the portable code below. */
    const __m256i c20 = _mm256_set1_epi8(0x20), a1 = _mm256_set1_epi8('a' - 1),
                  z1 = _mm256_set1_epi8('z' + 1), d0 = _mm256_set1_epi8('0' - 1),
                  d9 = _mm256_set1_epi8('9' + 1), w8 = _mm256_set1_epi8(8),
                  w14 = _mm256_set1_epi8(14), sp = _mm256_set1_epi8(' '),
                  nl = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r'),
                  ap = _mm256_set1_epi8('\''), sl = _mm256_set1_epi8('/');
    uint64_t let = 0, low = 0, dig = 0, spc = 0, ws = 0, crlf = 0, hi = 0, apos = 0, slash = 0;
    for (int q = 0; q < 2; q++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(t + 32 * q));
        __m256i f = _mm256_or_si256(v, c20);
        /* signed compares: bytes >= 0x80 are negative, in no ASCII class */
        __m256i isl = _mm256_and_si256(_mm256_cmpgt_epi8(f, a1), _mm256_cmpgt_epi8(z1, f));
        __m256i islo = _mm256_and_si256(_mm256_cmpgt_epi8(v, a1), _mm256_cmpgt_epi8(z1, v));
        __m256i isd = _mm256_and_si256(_mm256_cmpgt_epi8(v, d0), _mm256_cmpgt_epi8(d9, v));
        __m256i issp = _mm256_cmpeq_epi8(v, sp);
        __m256i isws = _mm256_or_si256(
            issp, _mm256_and_si256(_mm256_cmpgt_epi8(v, w8), _mm256_cmpgt_epi8(w14, v)));
        __m256i isr = _mm256_or_si256(_mm256_cmpeq_epi8(v, nl), _mm256_cmpeq_epi8(v, cr));
        int sh = 32 * q;
        let |= (uint64_t)(unsigned)_mm256_movemask_epi8(isl) << sh;
        low |= (uint64_t)(unsigned)_mm256_movemask_epi8(islo) << sh;
        dig |= (uint64_t)(unsigned)_mm256_movemask_epi8(isd) << sh;
        spc |= (uint64_t)(unsigned)_mm256_movemask_epi8(issp) << sh;
        ws |= (uint64_t)(unsigned)_mm256_movemask_epi8(isws) << sh;
        crlf |= (uint64_t)(unsigned)_mm256_movemask_epi8(isr) << sh;
        hi |= (uint64_t)(unsigned)_mm256_movemask_epi8(v) << sh;
        apos |= (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, ap)) << sh;
        slash |= (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, sl)) << sh;
    }
    *m = (blockmask){let, low, dig, spc, ws, crlf, hi, apos, slash};
#elif defined(__SSE2__) && !defined(PMP_NO_SIMD)
    const __m128i c20 = _mm_set1_epi8(0x20), a1 = _mm_set1_epi8('a' - 1),
                  z1 = _mm_set1_epi8('z' + 1), d0 = _mm_set1_epi8('0' - 1),
                  d9 = _mm_set1_epi8('9' + 1), w8 = _mm_set1_epi8(8), w14 = _mm_set1_epi8(14),
                  sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                  ap = _mm_set1_epi8('\''), sl = _mm_set1_epi8('/');
    uint64_t let = 0, low = 0, dig = 0, spc = 0, ws = 0, crlf = 0, hi = 0, apos = 0, slash = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + 16 * q));
        __m128i f = _mm_or_si128(v, c20);
        /* signed compares: bytes >= 0x80 are negative, in no ASCII class */
        __m128i isl = _mm_and_si128(_mm_cmpgt_epi8(f, a1), _mm_cmplt_epi8(f, z1));
        __m128i islo = _mm_and_si128(_mm_cmpgt_epi8(v, a1), _mm_cmplt_epi8(v, z1));
        __m128i isd = _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9));
        __m128i issp = _mm_cmpeq_epi8(v, sp);
        __m128i isws = _mm_or_si128(issp, _mm_and_si128(_mm_cmpgt_epi8(v, w8), _mm_cmplt_epi8(v, w14)));
        __m128i isr = _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, cr));
        int sh = 16 * q;
        let |= (uint64_t)(unsigned)_mm_movemask_epi8(isl) << sh;
        low |= (uint64_t)(unsigned)_mm_movemask_epi8(islo) << sh;
        dig |= (uint64_t)(unsigned)_mm_movemask_epi8(isd) << sh;
        spc |= (uint64_t)(unsigned)_mm_movemask_epi8(issp) << sh;
        ws |= (uint64_t)(unsigned)_mm_movemask_epi8(isws) << sh;
        crlf |= (uint64_t)(unsigned)_mm_movemask_epi8(isr) << sh;
        hi |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << sh;
        apos |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, ap)) << sh;
        slash |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sl)) << sh;
    }
    *m = (blockmask){let, low, dig, spc, ws, crlf, hi, apos, slash};
#else
    /* Eight bytes a word (SWAR): for a byte x < 0x80, x + 0x80 - a has its top
     * bit set iff x >= a, with no carry into the next byte; the top bits of the
     * eight bytes are then gathered into eight mask bits by one multiply. */
#define REP(x) ((uint64_t)(x) * 0x0101010101010101u)
#define GE(w, a) (((w) + REP(0x80 - (a))) & REP(0x80))
#define IN(w, a, b) (GE(w, a) & ~GE(w, (b) + 1))
#define GATHER(p) ((((p) >> 7) * 0x0102040810204080u) >> 56)
    blockmask r = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int q = 0; q < 8; q++) {
        uint64_t w;
        memcpy(&w, t + 8 * q, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);   /* byte j of the text in bits 8j.. */
#endif
        uint64_t hi = w & REP(0x80), ascii = ~w & REP(0x80), w7 = w & REP(0x7F);
        uint64_t sp = IN(w7, ' ', ' ') & ascii;
        int sh = 8 * q;
        r.let |= GATHER(IN(w7 | REP(0x20), 'a', 'z') & ascii) << sh;
        r.low |= GATHER(IN(w7, 'a', 'z') & ascii) << sh;
        r.dig |= GATHER(IN(w7, '0', '9') & ascii) << sh;
        r.sp |= GATHER(sp) << sh;
        r.ws |= GATHER((IN(w7, 0x09, 0x0D) & ascii) | sp) << sh;
        r.crlf |= GATHER((IN(w7, '\n', '\n') | IN(w7, '\r', '\r')) & ascii) << sh;
        r.hi |= GATHER(hi) << sh;
        r.apos |= GATHER(IN(w7, '\'', '\'') & ascii) << sh;
        r.slash |= GATHER(IN(w7, '/', '/') & ascii) << sh;
    }
#undef REP
#undef GE
#undef IN
#undef GATHER
    *m = r;
#endif
}

static inline uint64_t prv(uint64_t x) { return x << 1; }   /* bit j: byte j - 1 */
static inline uint64_t nxt(uint64_t x) { return x >> 1; }   /* bit j: byte j + 1 */

/* Starts of the digit groups \p{N}{1,3}: each run's first digit, then every third. */
static inline uint64_t digit_groups(uint64_t dig)
{
    uint64_t g = dig & ~prv(dig);
    uint64_t three = dig & prv(dig) & prv(prv(dig));   /* j, j-1, j-2 digits */
    for (uint64_t add = (g << 3) & three; add; add = (add << 3) & three) g |= add;
    return g;
}

/* The piece starts that are decided in bits 1.. of the block at t (64 bytes
 * readable, the first avail of them text; the rest, if any, are spaces standing
 * for the text's end), and in *hard_at the first hard byte (64: none). */
static inline uint64_t block_starts(int kind, const unsigned char *t, unsigned avail,
                                    unsigned *hard_at)
{
    blockmask m;
    classify64(t, &m);
    uint64_t L = m.let, D = m.dig, W = m.ws, Sp = m.sp, H = m.hi;
    uint64_t O = ~(L | D | W | H), X = L | D | O;
    /* an apostrophe before a letter may start a contraction: decided below,
     * from the bytes, where the block holds them (up to j + 2, and j + 3 is
     * the start after it) */
    uint64_t cand = m.apos & nxt(L), late = cand & ~(((uint64_t)1 << 61) - 1);
    uint64_t hard = H | late;
    cand &= ~late;
    uint64_t st;
    if (kind == PRETOK_GPT2) {
        /* ` ?X+` for each class, `\s+(?!\S)`, `\s+` */
        uint64_t chg = (L & ~prv(L)) | (D & ~prv(D)) | (O & ~prv(O));
        st = (chg & ~prv(Sp)) | (W & ~prv(W)) | (W & nxt(X));
    } else {
        /* The CR/LF run right after a piece of punctuation is part of it
         * (`[\r\n]*`, o200k `[\r\n/]*`): the carry of adding the run's first bit
         * clears exactly that run. */
        uint64_t R = m.crlf, ab;
        if (kind == PRETOK_O200K) {
            /* o200k: the run of CR, LF and '/' from the first CR/LF after
             * punctuation, which may be a '/' of the same run: clear each run's
             * part below its first such CR/LF (the carry from the run's start
             * stops there), keep the rest */
            uint64_t run = R | m.slash, seed = R & prv(O), below = run & ~seed;
            ab = run & ~(below & ~(below + (run & ~prv(run) & ~seed)));
        } else {
            ab = R & ~(R + (R & prv(O)));
        }
        uint64_t O2 = O & ~ab, W2 = W & ~ab, R2 = R & ~ab, ST = W & ~R;
        /* a piece of letters takes one non-CR/LF non-letter-digit before it when
         * that one starts a piece: a whitespace's last, or punctuation alone */
        uint64_t LP = nxt(L) & (ST | (O2 & ~prv(O2) & ~prv(Sp)));
        /* After the last CR/LF of a whitespace run (`\s*[\r\n]+` ends there), a
         * stretch of other whitespace starts a piece; after an earlier CR/LF,
         * one that runs into another CR/LF does not. */
        uint64_t a = ST & prv(R2);
        uint64_t ends = (ST + a) & ~ST & R2;
        if (ends) {
            uint64_t f = nxt(ends) & ST, g;
            while ((g = f | (nxt(f) & ST)) != f) f = g;
            a &= ~f;
        }
        st = LP | (L & ~prv(L) & ~prv(LP)) | digit_groups(D) | (O2 & ~prv(O2) & ~prv(Sp)) |
             (W2 & ~prv(W2)) | a | (ST & nxt(X));
        if (kind == PRETOK_O200K) st |= L & ~m.low & prv(m.low);   /* [UP]*[LO]+ ends */
    }
    /* Contractions ('s 't 're 've 'm 'll 'd; gpt2 lower case only): in gpt2 and
     * cl100k, one at a piece start is a piece (the letters after it start the
     * next); in o200k one right after a letter piece ends that piece (not after a
     * contraction: "x's's" is "x's", "'s"). bits j .. j+2 are in the block. */
    for (unsigned after = 64; cand; cand &= cand - 1) {
        unsigned j = (unsigned)__builtin_ctzll(cand);
        size_t c = kind == PRETOK_GPT2 ? contraction(t, 64, j) : contraction_i(t, 64, j);
        if (!c) continue;
        uint64_t in = (((uint64_t)1 << c) - 1) << j, end = (uint64_t)1 << (j + c);
        if (kind == PRETOK_O200K) {
            if (j == 0 || !((L >> (j - 1)) & 1) || j == after) continue;
            st = (st & ~in) | end;
            after = j + (unsigned)c;
        } else if ((st >> j) & 1) {
            st = (st & ~(in << 1)) | end;
        }
    }
    st &= ~(uint64_t)1;
    unsigned h = hard ? (unsigned)__builtin_ctzll(hard) : 64;
    *hard_at = h;
    if (avail < 64) {
        /* The text ends in the block: the spaces after it end every run as the
         * end does, are no X for `(?!\S)`, and continue a whitespace run, which
         * at the end is one piece after its last CR/LF (as `\s+(?!\S)` takes it). */
        uint64_t real = ((uint64_t)1 << avail) - 1;
        if (!(hard & real)) {
            *hard_at = 64;
            return st & real;
        }
    }
    /* Starts before the first hard byte less one are decided (64: the unknown
     * byte after the block). */
    if (kind != PRETOK_GPT2 && h > 0 && ((W >> (h - 1)) & 1)) {
        /* ... and before the whitespace run that reaches it, whose stretch after
         * a CR/LF may go on into a CR/LF */
        uint64_t notw = ~W & ((h == 64 ? 0 : (uint64_t)1 << h) - 1);
        h = notw ? 64 - (unsigned)__builtin_clzll(notw) : 0;
    } else {
        h = h > 0 ? h - 1 : 0;
    }
    return h >= 64 ? st : st & (((uint64_t)1 << h) - 1);
}

int pmp_bpe_pretok_kind(const char *pattern_name)
{
    if (!strcmp(pattern_name, "gpt2")) return PRETOK_GPT2;
    if (!strcmp(pattern_name, "cl100k")) return PRETOK_CL100K;
    if (!strcmp(pattern_name, "o200k")) return PRETOK_O200K;
    return PRETOK_NONE;
}

/* One scalar piece from i. */
static inline size_t one_piece(int kind, const unsigned char *t, size_t len, size_t i)
{
    switch (kind) {
    case PRETOK_GPT2: return gpt2_piece(t, len, i);
    case PRETOK_CL100K: return cl100k_piece(t, len, i);
    default: return o200k_piece(t, len, i);
    }
}

static inline size_t pretok_blocks(int kind, const unsigned char *t, size_t len, size_t *pos,
                                   size_t *ends, size_t max)
{
    size_t i = *pos, n = 0;
    while (i < len && n < max) {
        const unsigned char *b = t + i;
        unsigned char pad[64];
        unsigned avail = 64, h;
        if (len - i < 64) {
            avail = (unsigned)(len - i);
            memcpy(pad, b, avail);
            memset(pad + avail, ' ', 64 - avail);
            b = pad;
        }
        uint64_t st = block_starts(kind, b, avail, &h);
        size_t base = i;
        if (st) {
            size_t room = max - n, cnt = (size_t)__builtin_popcountll(st);
            if (cnt > room) {
                /* the first room starts fill ends */
                for (; n < max; st &= st - 1) ends[n++] = base + (size_t)__builtin_ctzll(st);
                i = ends[n - 1];
                break;
            }
            size_t *e = ends + n, q = 0;
            /* sixteen stores whatever the count where there is room (those past it are
             * overwritten or past n): a loop that ends after the count mispredicted its
             * exit once a block, and most blocks have fewer than 16 starts */
            if (room >= 16)
                for (; q < 16; q++) {
                    e[q] = base + (size_t)__builtin_ctzll(st | (1ULL << 63));
                    st &= st - 1;
                }
            for (; st; q++) {
                e[q] = base + (size_t)__builtin_ctzll(st);
                st &= st - 1;
            }
            n += cnt;
            i = ends[n - 1];
            if (n == max) break;
        }
        if (h == 64) {
            if (avail < 64) ends[n++] = i = len;   /* the last piece, decided */
            else if (i == base) ends[n++] = i = one_piece(kind, t, len, i);   /* > 63 bytes */
            continue;
        }
        /* The matchers from the last start taken to past the hard byte. */
        size_t past = base + h;
        while (i <= past && n < max) ends[n++] = i = one_piece(kind, t, len, i);
    }
    *pos = i;
    return n;
}

size_t pmp_bpe_pretok(int kind, const unsigned char *t, size_t len, size_t *pos, size_t *ends,
                      size_t max)
{
    switch (kind) {
    case PRETOK_GPT2: return pretok_blocks(PRETOK_GPT2, t, len, pos, ends, max);
    case PRETOK_CL100K: return pretok_blocks(PRETOK_CL100K, t, len, pos, ends, max);
    default: return pretok_blocks(PRETOK_O200K, t, len, pos, ends, max);
    }
}

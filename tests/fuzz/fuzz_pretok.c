/* libFuzzer target: the hand-written pre-tokenizer (tokenizer/pretok.c) against
 * its oracle, the PCRE2 regex of the same named pattern (pmp_bpe_split), for
 * gpt2, cl100k and o200k on every input: the two must cut the same pieces.
 * Input: the first byte picks the mode. Even: the rest is the text, raw bytes
 * (invalid UTF-8 included). Odd: each further byte picks one character from a
 * palette of every class the patterns tell apart (letters of each category,
 * marks, digits of several scripts, each White_Space character and look-alikes,
 * CR, LF, '/', the apostrophe and the letters of the contractions in both cases,
 * U+017F), so that mutations explore class boundaries instead of invalid bytes. */
#include "bpe_internal.h"
#include "fuzz_util.h"

static const char *const NAMES[] = {"gpt2", "cl100k", "o200k"};
static pcre2_code *re[3];
static bpe_matcher matcher[3];

static const char *const PALETTE[] = {
    "a", "b", "s", "t", "r", "e", "v", "m", "l", "d", "S", "T", "R", "E", "V", "M", "L", "D",
    "A", "Z", "'", "\xC5\xBF" /* U+017F long s */, "\xE2\x84\xAA" /* U+212A Kelvin */,
    " ", " ", " ", "\t", "\n", "\r", "\v", "\f", "\xC2\x85" /* NEL */, "\xC2\xA0",
    "\xE1\x9A\x80" /* U+1680 */, "\xE2\x80\x80", "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9",
    "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80", "\xE1\xA0\x8E" /* U+180E, not WS */,
    "\xE2\x80\x8B" /* U+200B */, "0", "7", "\xD9\xA3" /* Arabic-Indic 3 */,
    "\xE2\x85\xA0" /* Roman numeral, Nl */, "\xC2\xB2" /* superscript 2, No */, "/", ".", "!",
    "-", "\"", "(", "\xE2\x80\x99", "\xCC\x81" /* combining acute, Mn */,
    "\xE0\xA4\xBE" /* Devanagari AA sign, Mc */, "\xC7\x85" /* Dz, Lt */,
    "\xCA\xB0" /* modifier h, Lm */, "\xE4\xB8\xAD" /* CJK, Lo */, "\xD7\x90" /* Hebrew, Lo */,
    "\xC3\xA9", "\xC3\x89", "\xD0\xB6", "\xD0\x96", "\xF0\x9F\x98\x80" /* emoji, So */,
    "\xE2\x80\x8D" /* ZWJ, Cf */, "\xEF\xBF\xBD", "\xF0\x90\x90\x80" /* Deseret capital */,
    "\xF0\x9D\x90\x80" /* math bold A */, "\x00", "\x7F", "\xF3\xA0\x80\x81" /* tag, Cf */,
};

typedef struct ends {
    size_t *v, n, cap;
    const unsigned char *base;
} ends;

static void add_end(void *ctx, const unsigned char *p, size_t len)
{
    ends *e = ctx;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 256;
        e->v = pmp_xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = (size_t)(p + len - e->base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int k = 0; k < 3; k++) {
        pmp_err err;
        int jit;
        re[k] = pmp_bpe_compile_pattern(pmp_bpe_named_pattern(NAMES[k]), &jit, &err);
        FUZZ_CHECK(re[k] != NULL);
        pmp_bpe_matcher_init(&matcher[k], re[k], jit);
        FUZZ_CHECK(pmp_bpe_pretok_kind(NAMES[k]) == k + 1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192) return 0;
    pmp_buf text = PMP_BUF_INIT;
    if (data[0] & 1) {
        size_t np = sizeof PALETTE / sizeof PALETTE[0];
        for (size_t i = 1; i < size; i++) {
            const char *c = PALETTE[data[i] % np];
            pmp_buf_append(&text, c, c[0] ? strlen(c) : 1);
        }
    } else {
        pmp_buf_append(&text, data + 1, size - 1);
    }
    const unsigned char *t = (const unsigned char *)(text.data ? text.data : "");
    for (int k = 0; k < 3; k++) {
        ends a = {NULL, 0, 0, t}, b = {NULL, 0, 0, t};
        pmp_err err;
        FUZZ_CHECK(pmp_bpe_split(re[k], &matcher[k], t, text.len, add_end, &a, &err) == 0);
        FUZZ_CHECK(pmp_bpe_split_pretok(k + 1, t, text.len, add_end, &b) == 0);
        if (a.n != b.n || (a.n && memcmp(a.v, b.v, a.n * sizeof *a.v) != 0)) {
            size_t i = 0;
            while (i < a.n && i < b.n && a.v[i] == b.v[i]) i++;
            fprintf(stderr, "%s: piece %zu starting at byte %zu: PCRE2 ends it at %zu, "
                    "pretok at %zu\n", NAMES[k], i, i ? a.v[i - 1] : 0, i < a.n ? a.v[i] : 0,
                    i < b.n ? b.v[i] : 0);
            abort();
        }
        free(a.v);
        free(b.v);
    }
    pmp_buf_free(&text);
    return 0;
}

/* libFuzzer target: the pre-tokenisation pattern compiler (tokenizer/pattern.c:
 * pmp_bpe_resolve_pattern, the \s rewrite, pmp_bpe_compile_pattern) and the
 * splitter that runs a compiled pattern (encode.c: pmp_bpe_split). Input: the
 * pattern, then optionally a NUL byte and a text to split (else the input itself
 * is split as well).
 * Oracle: a pattern PCRE2 compiles as given (the same flags) still compiles after
 * the rewrite; the pieces of a split are non-empty, in order, cover every byte, and
 * start and end on character boundaries of the valid UTF-8 stretches. */
#include "fuzz_bpe_check.h"

typedef struct cover {
    const unsigned char *t;
    size_t len, at;
    unsigned char *boundary;   /* [len + 1]: 1 where a character (or an invalid byte) starts */
} cover;

static void piece(void *ctx, const unsigned char *p, size_t len)
{
    cover *c = ctx;
    FUZZ_CHECK(len > 0 && p == c->t + c->at && c->at + len <= c->len);
    c->at += len;
    FUZZ_CHECK(c->boundary[c->at]);
}

static void split(const pcre2_code *re, const bpe_matcher *m, const char *t, size_t len)
{
    cover c = {(const unsigned char *)t, len, 0, pmp_xcalloc(len + 1, 1)};
    for (size_t i = 0; i < len;) {
        size_t k = 1;
        while (k < 4 && i + k < len && pmp_utf8_check(t + i, k) != k) k++;
        if (pmp_utf8_check(t + i, k) != k) k = 1;   /* an invalid byte: a unit of its own */
        c.boundary[i] = 1;
        i += k;
    }
    c.boundary[len] = 1;
    pmp_err err;
    /* A match error (a limit reached by a pathological pattern) is reported, not a bug. */
    if (pmp_bpe_split(re, m, c.t, len, piece, &c, &err) == 0) FUZZ_CHECK(c.at == len);
    free(c.boundary);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    if (plen > 4096) return 0;
    char *pat = pmp_xstrndup((const char *)data, plen);
    const char *text = nul ? (const char *)nul + 1 : (const char *)data;
    size_t tlen = nul ? size - plen - 1 : size;
    if (tlen > 512) tlen = 512;

    const char *name;
    const char *resolved = pmp_bpe_resolve_pattern(pat, &name);
    FUZZ_CHECK(resolved && name);
    if (strcmp(name, "custom") != 0) FUZZ_CHECK(pmp_bpe_named_pattern(name) == resolved);

    int ec;
    PCRE2_SIZE eo;
    pcre2_code *raw = pcre2_compile((PCRE2_SPTR)resolved, PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &ec, &eo, NULL);
    int jit = 0;
    pmp_err err;
    pcre2_code *re = pmp_bpe_compile_pattern(resolved, &jit, &err);
    if (raw && !re) {
        fprintf(stderr, "compiles as given, not after the rewrite: %s\n", err.msg);
        abort();
    }
    if (re) {
        bpe_matcher m;
        pmp_bpe_matcher_init(&m, re, jit);
        /* Keep pathological backtracking short: the limit is an error, not a hang. */
        if (m.mctx) pcre2_set_match_limit(m.mctx, 200000);
        split(re, &m, FUZZ_TEXT, sizeof FUZZ_TEXT - 1);
        split(re, &m, text, tlen);
        pmp_bpe_matcher_free(&m);
        pcre2_code_free(re);
    }
    if (raw) pcre2_code_free(raw);
    free(pat);
    return 0;
}

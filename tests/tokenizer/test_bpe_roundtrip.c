/* test_bpe_roundtrip.c — decode(encode(x)) == x for arbitrary bytes: random
 * bytes, invalid and truncated UTF-8, special-token text, long runs; with and
 * without special tokens allowed. Also: encoding from two OpenMP threads (one
 * scratch each) gives the same ids as one thread, and the inspection API.
 * Without the shared data: small files written here — what the loaders refuse,
 * save + load keeping the identity, and custom patterns (regressions found by
 * tests/fuzz/fuzz_tok_json, fuzz_tok_tiktoken and fuzz_pattern). */
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpe_testutil.h"
#include "test_util.h"

static const char *const PATHS[] = {BPE_DATA "/gpt2", BPE_DATA "/cl100k_base.tiktoken",
                                    BPE_DATA "/o200k_base.tiktoken"};

/* xorshift: fixed seed, so a failure is reproducible from the printed case. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const PALETTE[] = {
    "a", "Z", "the", " ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "123", "4", ".", "!!", "/",
    "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xE2\x80\x8D", "\xC2\x85", "\xE3\x80\x80",
    "\x80", "\xBF", "\xC0", "\xC1\x81", "\xE2\x82", "\xF0\x9F\x98", "\xED\xA0\x80", "\xF4\x90\x80\x80",
    "\xFF", "\xFE", "\x00", "<|endoftext|>", "<|endofprompt|>", "<|", "|>", "\xCC\x81"};

static void make_case(pmp_buf *t, int kind)
{
    pmp_buf_clear(t);
    size_t n = rnd() % 200;
    if (kind == 0) {
        for (size_t i = 0; i < n; i++) pmp_buf_appendc(t, (char)(rnd() & 255));
    } else if (kind == 1) {
        size_t np = sizeof PALETTE / sizeof PALETTE[0];
        for (size_t i = 0; i < n / 2; i++) {
            const char *p = PALETTE[rnd() % np];
            pmp_buf_append(t, p, p[0] ? strlen(p) : 1);
        }
    } else {
        /* One long run of a single palette entry: the heap merge path. */
        const char *p = PALETTE[rnd() % 20];
        size_t reps = 100 + rnd() % 400;
        for (size_t i = 0; i < reps; i++) pmp_buf_appends(t, p);
    }
}

static void test_random_roundtrip(void **state)
{
    (void)state;
    pmp_buf t = PMP_BUF_INIT, out = PMP_BUF_INIT;
    pmp_ids ids = PMP_IDS_INIT;
    int cases = 0;
    for (size_t e = 0; e < sizeof PATHS / sizeof PATHS[0]; e++) {
        pmp_bpe *b;
        pmp_err err;
        if (pmp_bpe_load(&b, PATHS[e], NULL, &err) < 0) fail_msg("%s", err.msg);
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
        for (int it = 0; it < 3000; it++) {
            make_case(&t, it % 3 == 2 && it % 30 != 2 ? 1 : it % 3);
            for (int sp = 0; sp < 2; sp++) {
                pmp_ids_clear(&ids);
                pmp_buf_clear(&out);
                assert_int_equal(pmp_bpe_encode(b, s, t.data ? t.data : "", t.len, sp, &ids, &err), 0);
                assert_int_equal(pmp_bpe_decode(b, ids.data, ids.len, &out, &err), 0);
                if (out.len != t.len || (t.len && memcmp(out.data, t.data, t.len))) {
                    fprintf(stderr, "round trip failed: %s, case %d (len %zu), specials %d\n",
                            PATHS[e], it, t.len, sp);
                    fail();
                }
                for (size_t k = 0; k < ids.len; k++) assert_true(ids.data[k] < pmp_bpe_vocab_size(b));
                cases++;
            }
        }
        pmp_bpe_scratch_free(s);
        pmp_bpe_free(b);
    }
    fprintf(stderr, "%d round trips\n", cases);
    pmp_ids_free(&ids);
    pmp_buf_free(&t);
    pmp_buf_free(&out);
}

static void test_threads_agree(void **state)
{
    (void)state;
    size_t *lens = NULL, n = 0;
    char **texts = bpe_read_hh(&lens, &n);
    assert_non_null(texts);
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, BPE_DATA "/cl100k_base.tiktoken", NULL, &err) < 0) fail_msg("%s", err.msg);
    uint64_t *one = calloc(n, sizeof *one), *two = calloc(n, sizeof *two);
    for (int pass = 0; pass < 2; pass++) {
        uint64_t *dst = pass ? two : one;
#pragma omp parallel num_threads(pass ? 2 : 1)
        {
            pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
            pmp_ids ids = PMP_IDS_INIT;
            pmp_err e;
#pragma omp for schedule(dynamic, 16)
            for (size_t i = 0; i < n; i++) {
                pmp_ids_clear(&ids);
                pmp_bpe_encode(b, s, texts[i], lens[i], 0, &ids, &e);
                dst[i] = bpe_fnv64(ids.data, ids.len) ^ ids.len;
            }
            pmp_ids_free(&ids);
            pmp_bpe_scratch_free(s);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (one[i] != two[i]) fail_msg("text %zu differs between 1 and 2 threads", i);
    free(one);
    free(two);
    pmp_bpe_free(b);
    bpe_free_texts(texts, lens, n);
}

static void test_inspect(void **state)
{
    (void)state;
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, BPE_DATA "/o200k_base.tiktoken", NULL, &err) < 0) fail_msg("%s", err.msg);
    /* Figures from encodings.json (written from tiktoken's own tables). */
    assert_int_equal(pmp_bpe_vocab_size(b), 200019);
    assert_int_equal(pmp_bpe_n_tokens(b), 199998);
    assert_int_equal(pmp_bpe_special_id(b, "<|endoftext|>"), 199999);
    assert_int_equal(pmp_bpe_special_id(b, "<|endofprompt|>"), 200018);
    assert_int_equal(pmp_bpe_special_id(b, "<|nope|>"), -1);
    assert_string_equal(pmp_bpe_pattern_name(b), "o200k");
    size_t len;
    assert_null(pmp_bpe_token(b, 199998, &len));   /* unused id */
    const char *t = pmp_bpe_token(b, 200018, &len);
    assert_int_equal(len, 15);
    assert_memory_equal(t, "<|endofprompt|>", 15);
    /* Decoding an unused id is an error. */
    uint32_t bad = 199998;
    pmp_buf out = PMP_BUF_INIT;
    assert_int_equal(pmp_bpe_decode(b, &bad, 1, &out, &err), -1);
    assert_non_null(strstr(err.msg, "199998"));
    pmp_buf_free(&out);
    pmp_bpe_free(b);
    /* Same tokenizer from two file kinds: same identity; a pattern override changes it. */
    pmp_bpe *g1, *g2, *g3;
    assert_int_equal(pmp_bpe_load(&g1, BPE_DATA "/gpt2", NULL, &err), 0);
    assert_int_equal(pmp_bpe_load(&g2, BPE_DATA "/r50k_base.tiktoken", NULL, &err), 0);
    assert_int_equal(pmp_bpe_load(&g3, BPE_DATA "/r50k_base.tiktoken", "cl100k", &err), 0);
    assert_string_equal(pmp_bpe_identity(g1), pmp_bpe_identity(g2));
    assert_string_not_equal(pmp_bpe_identity(g1), pmp_bpe_identity(g3));
    assert_int_equal(pmp_bpe_special_id(g1, "<|endoftext|>"), 50256);
    pmp_bpe_free(g1);
    pmp_bpe_free(g2);
    pmp_bpe_free(g3);
}

/* ---------- small files (no shared data) ---------- */

/* A rank file of the 256 bytes (rank = byte), then `extra` lines. */
static const char *write_ranks(const char *name, const char *extra)
{
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pmp_buf t = PMP_BUF_INIT;
    for (int c = 0; c < 256; c++)
        pmp_buf_printf(&t, "%c%c== %d\n", B64[c >> 2], B64[(c & 3) << 4], c);
    pmp_buf_appends(&t, extra);
    const char *path = tu_tmp(name);
    tu_write_file(path, t.data, t.len);
    pmp_buf_free(&t);
    return path;
}

static void expect_load_error(const char *json, const char *needle)
{
    const char *path = tu_tmp("bad.json");
    tu_write_file(path, json, strlen(json));
    pmp_bpe *b;
    pmp_err err;
    assert_int_equal(pmp_bpe_load(&b, path, NULL, &err), -1);
    if (!strstr(err.msg, needle)) fail_msg("expected \"%s\" in: %s", needle, err.msg);
}

static void test_load_refuses(void **state)
{
    (void)state;
    /* A second spelling of a byte: an invalid ("\xC4*", read as U+012A) or an
     * overlong ("\xC1\xA1", '!') two-byte sequence. */
    expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"\xC4*\": 1}, \"merges\": []}}",
                      "byte-level spelling");
    expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"\xC1\xA1\": 1}, \"merges\": []}}",
                      "byte-level spelling");
    /* A special token that is not UTF-8 (json-c does not check). */
    expect_load_error("{\"added_tokens\": [{\"id\": 1, \"content\": \"<\xFF>\"}], "
                      "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}",
                      "not valid UTF-8");
    /* The same in a GPT-2 directory (encoder.json's leftover is a special token). */
    const char *dir = tu_tmp("gpt2-bad");
    mkdir(dir, 0700);
    const char *enc = "{\"a\": 0, \"<\xFF>\": 1}", *merges = "#version: 0.2\n";
    tu_write_file(tu_tmp("gpt2-bad/encoder.json"), enc, strlen(enc));
    tu_write_file(tu_tmp("gpt2-bad/vocab.bpe"), merges, strlen(merges));
    pmp_bpe *g;
    pmp_err e;
    assert_int_equal(pmp_bpe_load(&g, dir, NULL, &e), -1);
    if (!strstr(e.msg, "not valid UTF-8")) fail_msg("%s", e.msg);
    /* \C could end a match inside a character. */
    pmp_bpe *b;
    pmp_err err;
    assert_int_equal(pmp_bpe_load(&b, write_ranks("bytes.tiktoken", ""), "\\C|x", &err), -1);
    assert_non_null(strstr(err.msg, "does not compile"));
}

/* Loads path, saves it as tokenizer.json, loads that: the same identity. */
static void save_reload_same(const char *path)
{
    pmp_bpe *a, *b;
    pmp_err err;
    if (pmp_bpe_load(&a, path, NULL, &err) < 0) fail_msg("%s", err.msg);
    if (pmp_bpe_save_json(a, tu_tmp("saved.json"), &err) < 0) fail_msg("%s", err.msg);
    if (pmp_bpe_load(&b, tu_tmp("saved.json"), NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_string_equal(pmp_bpe_identity(a), pmp_bpe_identity(b));
    pmp_bpe_free(a);
    pmp_bpe_free(b);
}

static void test_save_reload(void **state)
{
    (void)state;
    /* A special whose text is an ordinary token's bytes: saved once in the
     * vocabulary (it used to be written twice, and one id was lost). */
    const char *j = "{\"added_tokens\": [{\"id\": 5, \"content\": \"ab\"}], \"model\": {\"type\": \"BPE\", "
                    "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"ba\": 3}, \"merges\": [\"a b\"]}}";
    tu_write_file(tu_tmp("dup.json"), j, strlen(j));
    save_reload_same(tu_tmp("dup.json"));
    /* The same from a rank file with cl100k's specials: merges make "<|endoftext|>"
     * an ordinary token too. */
    save_reload_same(write_ranks("cl100k_base.tiktoken",
                                 "PHw= 256\nPHxl 257\nPHxlbg== 258\nPHxlbmQ= 259\nPHxlbmRv 260\n"
                                 "PHxlbmRvZg== 261\nPHxlbmRvZnQ= 262\nPHxlbmRvZnRl 263\n"
                                 "PHxlbmRvZnRleA== 264\nPHxlbmRvZnRleHQ= 265\n"
                                 "PHxlbmRvZnRleHR8 266\nPHxlbmRvZnRleHR8Pg== 267\n"));
    /* A ranked token that no merge of lower ranks makes ("abc" without "ab" or
     * "bc") cannot be written as a tokenizer.json: an error, not another tokenizer. */
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, write_ranks("abc.tiktoken", "YWJj 256\n"), NULL, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(pmp_bpe_save_json(b, tu_tmp("abc.json"), &err), -1);
    assert_int_equal(err.code, PMP_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "token 256"));
    pmp_bpe_free(b);
}

static void test_custom_patterns(void **state)
{
    (void)state;
    /* The empty pattern, and patterns whose empty match falls at the end of the
     * text (\b, $): every byte is encoded exactly once. */
    const char *pats[] = {"", "\\b", "$", "(?=a)|\\b|\\w+"};
    const char *text = "ab cd\xC3\xA9 end";
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        pmp_bpe *b;
        pmp_err err;
        if (pmp_bpe_load(&b, write_ranks("bytes.tiktoken", ""), pats[i], &err) < 0)
            fail_msg("pattern \"%s\": %s", pats[i], err.msg);
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
        pmp_ids ids = PMP_IDS_INIT;
        pmp_buf out = PMP_BUF_INIT;
        assert_int_equal(pmp_bpe_encode(b, s, text, strlen(text), 0, &ids, &err), 0);
        assert_int_equal(ids.len, strlen(text));   /* no merges: one id per byte */
        assert_int_equal(pmp_bpe_decode(b, ids.data, ids.len, &out, &err), 0);
        assert_int_equal(out.len, strlen(text));
        assert_memory_equal(out.data, text, out.len);
        pmp_ids_free(&ids);
        pmp_buf_free(&out);
        pmp_bpe_scratch_free(s);
        pmp_bpe_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest files[] = {
        cmocka_unit_test(test_load_refuses),
        cmocka_unit_test(test_save_reload),
        cmocka_unit_test(test_custom_patterns),
    };
    int rc = cmocka_run_group_tests_name("small files", files, NULL, NULL);
    if (!bpe_have_data()) {
        fprintf(stderr, "skipped the rest: %s is absent\n", BPE_DATA);
        return rc ? rc : 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_roundtrip),
        cmocka_unit_test(test_threads_agree),
        cmocka_unit_test(test_inspect),
    };
    return rc | cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_bpe_exact.c — ids must equal tiktoken's (npm tiktoken, the Rust core in
 * WASM; produced by ref_ids.mjs and committed) for gpt2 (both the GPT-2
 * directory and r50k_base.tiktoken), cl100k_base and o200k_base:
 *   hard_cases.jsonl: full ids, ordinary and with special tokens allowed;
 *   the 4,624 hh-rlhf texts: count + FNV-1a 64 of the ids per text.
 * A mismatch names the encoding, the text index and the first differing token.
 * Also checks decode(encode(x)) == x for every text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpe_testutil.h"

#define SRC PMP_SOURCE_DIR "/tests/tokenizer"

static const struct {
    const char *name, *path;
} ENCS[] = {
    {"gpt2", BPE_DATA "/gpt2"},
    {"gpt2", BPE_DATA "/r50k_base.tiktoken"},
    {"cl100k", BPE_DATA "/cl100k_base.tiktoken"},
    {"o200k", BPE_DATA "/o200k_base.tiktoken"},
};

static int check_roundtrip(const pmp_bpe *b, const pmp_ids *ids, const char *t, size_t len)
{
    pmp_buf out = PMP_BUF_INIT;
    pmp_err err;
    int ok = pmp_bpe_decode(b, ids->data, ids->len, &out, &err) == 0 && out.len == len &&
             (len == 0 || memcmp(out.data, t, len) == 0);
    pmp_buf_free(&out);
    return ok;
}

static void test_hard_cases(void **state)
{
    (void)state;
    size_t *lens = NULL, n = 0;
    char **texts = bpe_read_jsonl_strings(SRC "/hard_cases.jsonl", &lens, &n);
    assert_non_null(texts);
    FILE *f = fopen(SRC "/ref_hard.tsv", "r");
    assert_non_null(f);
    int failures = 0, checked = 0;
    for (size_t e = 0; e < sizeof ENCS / sizeof ENCS[0]; e++) {
        pmp_bpe *b;
        pmp_err err;
        if (pmp_bpe_load(&b, ENCS[e].path, NULL, &err) < 0) fail_msg("%s", err.msg);
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
        pmp_ids ids = PMP_IDS_INIT;
        rewind(f);
        char *line = NULL;
        size_t cap = 0;
        ssize_t ll;
        while ((ll = getline(&line, &cap, f)) > 0) {
            if (line[ll - 1] == '\n') line[--ll] = 0;
            char *enc = strtok(line, "\t"), *mode = strtok(NULL, "\t"), *idx = strtok(NULL, "\t");
            char *rest = strtok(NULL, "");
            if (!enc || !mode || !idx || strcmp(enc, ENCS[e].name)) continue;
            size_t i = strtoul(idx, NULL, 10);
            assert_true(i < n);
            pmp_ids_clear(&ids);
            assert_int_equal(pmp_bpe_encode(b, s, texts[i], lens[i], mode[0] == 's', &ids, &err), 0);
            size_t k = 0;
            char *p = rest ? rest : (char *)"";
            int bad = 0;
            while (*p) {
                unsigned long v = strtoul(p, &p, 10);
                if (k >= ids.len || ids.data[k] != v) { bad = 1; break; }
                k++;
                while (*p == ' ') p++;
            }
            if (!bad && k != ids.len) bad = 1;
            if (bad) {
                if (failures < 10)
                    fprintf(stderr, "MISMATCH %s (%s) mode %s: hard case %zu (%.40s...): first "
                            "difference at token %zu (got %u of %zu ids)\n", ENCS[e].name,
                            ENCS[e].path, mode, i, texts[i], k, k < ids.len ? ids.data[k] : 0,
                            ids.len);
                failures++;
            }
            if (!check_roundtrip(b, &ids, texts[i], lens[i])) {
                fprintf(stderr, "ROUNDTRIP %s: hard case %zu\n", ENCS[e].name, i);
                failures++;
            }
            checked++;
        }
        free(line);
        pmp_ids_free(&ids);
        pmp_bpe_scratch_free(s);
        pmp_bpe_free(b);
    }
    fclose(f);
    bpe_free_texts(texts, lens, n);
    fprintf(stderr, "hard cases: %d checks, %d failures\n", checked, failures);
    assert_true(checked >= 4 * 2 * 100);
    assert_int_equal(failures, 0);
}

static void test_hh(void **state)
{
    (void)state;
    size_t *lens = NULL, n = 0;
    char **texts = bpe_read_hh(&lens, &n);
    assert_non_null(texts);
    assert_int_equal(n, 4624);
    FILE *f = fopen(SRC "/ref_hh.tsv", "r");
    assert_non_null(f);
    int failures = 0, checked = 0;
    for (size_t e = 0; e < sizeof ENCS / sizeof ENCS[0]; e++) {
        pmp_bpe *b;
        pmp_err err;
        if (pmp_bpe_load(&b, ENCS[e].path, NULL, &err) < 0) fail_msg("%s", err.msg);
        pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
        pmp_ids ids = PMP_IDS_INIT;
        rewind(f);
        char enc[32];
        size_t i, count;
        char fnv[32];
        while (fscanf(f, "%31s %zu %zu %31s", enc, &i, &count, fnv) == 4) {
            if (strcmp(enc, ENCS[e].name)) continue;
            assert_true(i < n);
            pmp_ids_clear(&ids);
            assert_int_equal(pmp_bpe_encode(b, s, texts[i], lens[i], 0, &ids, &err), 0);
            char got[32];
            snprintf(got, sizeof got, "%016llx", (unsigned long long)bpe_fnv64(ids.data, ids.len));
            if (ids.len != count || strcmp(got, fnv)) {
                if (failures < 10)
                    fprintf(stderr, "MISMATCH %s (%s): hh text %zu: %zu ids (expected %zu), "
                            "digest %s (expected %s)\n", ENCS[e].name, ENCS[e].path, i, ids.len,
                            count, got, fnv);
                failures++;
            }
            if (!check_roundtrip(b, &ids, texts[i], lens[i])) {
                fprintf(stderr, "ROUNDTRIP %s: hh text %zu\n", ENCS[e].name, i);
                failures++;
            }
            checked++;
        }
        pmp_ids_free(&ids);
        pmp_bpe_scratch_free(s);
        pmp_bpe_free(b);
    }
    fclose(f);
    bpe_free_texts(texts, lens, n);
    fprintf(stderr, "hh: %d checks, %d failures\n", checked, failures);
    assert_int_equal(checked, 4 * 4624);
    assert_int_equal(failures, 0);
}

int main(void)
{
    if (!bpe_have_data()) {
        fprintf(stderr, "skipped: %s is absent\n", BPE_DATA);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hard_cases),
        cmocka_unit_test(test_hh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

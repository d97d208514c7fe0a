/* test_bpe_pretok.c — the hand-written pre-tokenizer (tokenizer/pretok.c) must cut
 * exactly the pieces the PCRE2 regex cuts (the oracle: pmp_bpe_split with the named
 * pattern compiled as for encoding), for gpt2, cl100k and o200k, on:
 *   the hard cases (tests/tokenizer/hard_cases.jsonl), the 4,624 hh-rlhf texts, and
 *   every line of every file of ../shared/data (StackExchange XML, Reddit NDJSON,
 *   Wikipedia XML in several languages, the rank files), cut into chunks of 32 lines
 *   (joined with their newlines) so whitespace runs across lines are covered.
 * Also: a few hand-made cases for each alternative of the patterns, and a tokenizer
 * loaded with a named pattern encodes with the hand-written splitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpe_internal.h"
#include "bpe_testutil.h"

#define SRC PMP_SOURCE_DIR "/tests/tokenizer"

static const char *const NAMES[] = {"gpt2", "cl100k", "o200k"};
static pcre2_code *re[3];
static int jit[3];
static bpe_matcher matcher[3];

typedef struct ends {
    size_t *v, n, cap;
    const unsigned char *base;
} ends;

static void add_end(void *ctx, const unsigned char *p, size_t len)
{
    ends *e = ctx;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 1024;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = (size_t)(p + len - e->base);
}

static long checked, failures;

/* Compares the two splitters on one text for every pattern. */
static void compare(const char *where, size_t index, const char *text, size_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    for (int k = 0; k < 3; k++) {
        ends a = {0}, b = {0};
        a.base = b.base = t;
        pmp_err err;
        assert_int_equal(pmp_bpe_split(re[k], &matcher[k], t, len, add_end, &a, &err), 0);
        assert_int_equal(pmp_bpe_split_pretok(k + 1, t, len, add_end, &b), 0);
        checked++;
        if (a.n != b.n || (a.n && memcmp(a.v, b.v, a.n * sizeof *a.v) != 0)) {
            size_t i = 0;
            while (i < a.n && i < b.n && a.v[i] == b.v[i]) i++;
            size_t from = i ? a.v[i - 1] : 0, show = len - from < 60 ? len - from : 60;
            if (failures < 20)
                fprintf(stderr, "MISMATCH %s: %s text %zu, piece %zu at byte %zu: PCRE2 ends it at "
                        "%zu, pretok at %zu: \"%.*s\"\n", NAMES[k], where, index, i, from,
                        i < a.n ? a.v[i] : 0, i < b.n ? b.v[i] : 0, (int)show, text + from);
            failures++;
        }
        free(a.v);
        free(b.v);
    }
}

static void test_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "it's I'M they'RE we'Ve he'LL you'd 'S 'x '", "don\xC5\xBF'\xC5\xBF 'ſ x'\xC5\xBF",
        "  hello   world  ", "a\n\n  b\r\n\tc \t\n", "   ", "\n", " \n ", "x \xC2\xA0 y\xE3\x80\x80z",
        "12345 1234567 \xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4", "...!!! ?? a.b,c;d", " !\n\n/ //\n",
        "HelloWorld HELLOworld helloWORLD \xC7\x85" "ab \xCA\xB0" "x", "e\xCC\x81\xCC\x81 \xCC\x81 \xCC\x81" "A",
        "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xE2\x80\x8D",
        "x\xE1\xA0\x8E y \xE2\x80\x8B z", "A'S B'sx C'LLd", "\t\tx\v\fy\x85z",
        "ABC'S abc'st \xCA\xB0" "'S", "", "a", " ", "'", "\r", "\r\n\r\n", "  \n\n  x",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        compare("case", i, cases[i], strlen(cases[i]));
    assert_int_equal(failures, 0);
}

static void test_corpora(void **state)
{
    (void)state;
    size_t *lens = NULL, n = 0;
    char **texts = bpe_read_jsonl_strings(SRC "/hard_cases.jsonl", &lens, &n);
    assert_non_null(texts);
    for (size_t i = 0; i < n; i++) compare("hard_cases", i, texts[i], lens[i]);
    bpe_free_texts(texts, lens, n);
    texts = bpe_read_hh(&lens, &n);
    assert_non_null(texts);
    for (size_t i = 0; i < n; i++) compare("hh", i, texts[i], lens[i]);
    bpe_free_texts(texts, lens, n);
    fprintf(stderr, "hard cases + hh: %ld comparisons, %ld failures\n", checked, failures);
    assert_int_equal(failures, 0);
}

static void test_shared_files(void **state)
{
    (void)state;
    static const char *const files[] = {
        "stackexchange/beer.stackexchange.com-2020-Posts.xml",
        "stackexchange/cardano.stackexchange.com-Posts.xml",
        "stackexchange/coffee.stackexchange.com-2015-Posts.xml",
        "stackexchange/datascience.meta.stackexchange.com-Posts.xml",
        "stackexchange/dba.meta.stackexchange.com-Posts.xml",
        "stackexchange/quantumcomputing.stackexchange.com-2018-Posts.xml",
        "reddit/RC_2005-12.zst", "reddit/RC_2006-01.zst",
        "wikipedia/aawiki-20260101-pages-meta-history.xml",
        "wikipedia/enwiki-Rio_Grande-history-2007.xml",
        "wikipedia/frwiki-20220101-2pages-history.xml", "wikipedia/itwiki-Amen-history.xml.gz",
        "bpe/cl100k_base.tiktoken",
    };
    long before = checked;
    size_t bytes = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", PMP_SHARED_DATA, files[f]);
        pmp_input *in;
        pmp_err err;
        if (pmp_input_open(&in, path, &err) < 0) fail_msg("%s", err.msg);
        pmp_buf chunk = PMP_BUF_INIT;
        const char *line;
        size_t len, lines = 0, index = 0;
        int rc;
        while ((rc = pmp_input_line(in, &line, &len, &err)) == 1) {
            pmp_buf_append(&chunk, line, len);
            pmp_buf_appendc(&chunk, '\n');
            if (++lines % 32 == 0) {
                compare(files[f], index++, chunk.data, chunk.len);
                bytes += chunk.len;
                pmp_buf_clear(&chunk);
            }
        }
        assert_int_equal(rc, 0);
        if (chunk.len) compare(files[f], index, chunk.data, chunk.len);
        bytes += chunk.len;
        pmp_buf_free(&chunk);
        pmp_input_close(in);
    }
    fprintf(stderr, "shared data files: %.1f MB, %ld comparisons, %ld failures\n", bytes / 1e6,
            checked - before, failures);
    assert_true(bytes > 20000000);
    assert_int_equal(failures, 0);
}

/* Random texts from a palette that is mostly ASCII (letters of the contractions in
 * both cases, digits, each ASCII whitespace, CR/LF, '/', the apostrophe,
 * punctuation, controls), with some characters >= 0x80 among them (NBSP, U+2028
 * and the ideographic space, which are whitespace; letters; U+017F; the curly
 * quotes and their neighbours E2 80 xx), 1 to 400 bytes long:
 * the splitter's 64-byte blocks, their ends and the text's end land on every mix
 * of classes, and the matchers take over from the blocks at every kind of byte. */
static void test_random(void **state)
{
    (void)state;
    static const char *const PALETTE[] = {
        "a", "b", "s", "t", "r", "e", "v", "m", "l", "d", "x", "S", "T", "R", "E", "V", "M",
        "L", "D", "Q", "word", "Word", "WORD", "wOrd", "'", "'", " ", " ", " ", " ", "  ", "\t",
        "\n", "\n", "\r", "\r\n", "\v", "\f", "0", "1", "9", "123", ".", ",", "!", "\"", "-",
        "/", "//", "\x01", "\x1F", "\x7F", "\xC2\xA0", "\xE3\x80\x80", "\xC3\xA9", "\xC3\x89",
        "\xC5\xBF", "\xCA\xB0", "\xE4\xB8\xAD", "\xD9\xA3", "\xCC\x81",
        "\xE2\x80\x99", "\xE2\x80\x98", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x9A",
        "\xE2\x80\x9B", "\xE2\x80\x8B", "\xE2\x80\xA8", "\xE2\x81\x99",
    };
    size_t np = sizeof PALETTE / sizeof PALETTE[0];
    uint64_t rng = 0x9E3779B97F4A7C15u;
    long before = checked;
    char text[512];
    for (int r = 0; r < 30000; r++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t want = 1 + rng % 400, len = 0;
        /* one text in four is ASCII only, so blocks run long */
        int ascii = (rng >> 20) % 4 == 0;
        while (len < want) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const char *c = PALETTE[rng % (ascii ? np - 18 : np)];
            size_t n = strlen(c);
            if (len + n > sizeof text) break;
            memcpy(text + len, c, n);
            len += n;
        }
        compare("random", (size_t)r, text, len);
    }
    fprintf(stderr, "random texts: %ld comparisons, %ld failures\n", checked - before, failures);
    assert_int_equal(failures, 0);
}

/* Loading a tokenizer with a named pattern picks the hand-written splitter, and a
 * custom pattern (even one equal in meaning) keeps PCRE2. */
static void test_selected(void **state)
{
    (void)state;
    pmp_bpe *b;
    pmp_err err;
    assert_int_equal(pmp_bpe_load(&b, BPE_DATA "/r50k_base.tiktoken", NULL, &err), 0);
    assert_int_equal(b->pretok, PRETOK_GPT2);
    pmp_bpe_free(b);
    assert_int_equal(pmp_bpe_load(&b, BPE_DATA "/r50k_base.tiktoken", "o200k", &err), 0);
    assert_int_equal(b->pretok, PRETOK_O200K);
    pmp_bpe_free(b);
    assert_int_equal(pmp_bpe_load(&b, BPE_DATA "/r50k_base.tiktoken", "\\w+|\\W", &err), 0);
    assert_int_equal(b->pretok, PRETOK_NONE);
    pmp_bpe_free(b);
}

int main(void)
{
    if (!bpe_have_data()) {
        fprintf(stderr, "skipped: %s is absent\n", BPE_DATA);
        return 77;
    }
    for (int k = 0; k < 3; k++) {
        pmp_err err;
        re[k] = pmp_bpe_compile_pattern(pmp_bpe_named_pattern(NAMES[k]), &jit[k], &err);
        if (!re[k]) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        pmp_bpe_matcher_init(&matcher[k], re[k], jit[k]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_corpora),
        cmocka_unit_test(test_shared_files),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_selected),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int k = 0; k < 3; k++) {
        pmp_bpe_matcher_free(&matcher[k]);
        pcre2_code_free(re[k]);
    }
    return rc;
}

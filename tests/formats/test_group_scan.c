/* test_group_scan.c — the group scanner (group_parse.c) against its reference,
 * json-c: on tricky lines case by case, on every line of the samples and shared
 * groups, and on random mutations of them. Equal means the same accept/reject, the
 * same group to the bit (scores' signs, NaN created_utc, meta text) and, for a
 * rejected line, the same message. The scanner must also actually take the ordinary
 * lines, or pmp-tokenize silently loses its speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_internal.h"
#include "pmp_group.h"
#include "pmp_input.h"
#include "test_util.h"

static pmp_group_parser *P;

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_str(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int same_group(const pmp_group *a, const pmp_group *b)
{
    if (!same_str(a->source, b->source) || !same_str(a->id, b->id) ||
        !same_str(a->split_key, b->split_key))
        return 0;
    if (a->context_len != b->context_len || memcmp(a->context, b->context, a->context_len))
        return 0;
    if (a->n_responses != b->n_responses || !same_str(a->meta_json, b->meta_json)) return 0;
    for (size_t i = 0; i < a->n_responses; i++) {
        const pmp_response *x = &a->responses[i], *y = &b->responses[i];
        if (!same_str(x->id, y->id) || x->text_len != y->text_len ||
            memcmp(x->text, y->text, x->text_len) || !same_double(x->score, y->score) ||
            !same_double(x->created_utc, y->created_utc))
            return 0;
    }
    return 1;
}

/* Both readings of one line; returns whether the scanner took it. */
static int check_line(const char *line, size_t len, int doc)
{
    pmp_group a, b;
    pmp_group_init(&a);
    pmp_group_init(&b);
    pmp_err ea = {0}, eb = {0};
    int taken = pmp_group_parse_fast(P, &a, line, len, doc);
    int ra = pmp_group_parser_parse(P, &a, line, len, doc, &ea);
    int rb = pmp_group_parse_jsonc(&b, line, len, doc, &eb);
    int ok = ra == rb && (ra < 0 ? strcmp(ea.msg, eb.msg) == 0 : same_group(&a, &b));
    if (taken && rb < 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "differ (doc %d, taken %d): scanner %d '%s', json-c %d '%s' on:\n%.*s\n",
                doc, taken, ra, ea.msg, rb, eb.msg, (int)(len > 2000 ? 2000 : len), line);
        fail();
    }
    pmp_group_clear(&a);
    pmp_group_clear(&b);
    return taken;
}

static int check(const char *line)
{
    int t = check_line(line, strlen(line), 0);
    check_line(line, strlen(line), 1);
    return t;
}

#define R2 "[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":0}]"

/* A group with one part replaced: the context value, a score, the meta value. */
static int with_context(const char *ctx)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"i\",\"context\":%s,\"responses\":" R2 "}", ctx);
    return check(buf);
}

static int with_score(const char *score)
{
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[{\"text\":\"a\","
             "\"score\":%s,\"created_utc\":%s},{\"text\":\"b\",\"score\":0}]}", score, score);
    return check(buf);
}

static int with_meta(const char *meta)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2
             ",\"meta\":%s}", meta);
    return check(buf);
}

static void test_strings(void **state)
{
    (void)state;
    /* taken: plain escapes, \u of the BMP, NUL, raw UTF-8 */
    assert_true(with_context("\"plain\""));
    assert_true(with_context("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
    assert_true(with_context("\"\\u0041\\u00e9\\u20AC\\uffff\\u0000x\""));
    assert_true(with_context("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""));
    assert_true(with_context("\"\""));
    /* surrogate pairs joined, lone surrogates U+FFFD, as json-c does */
    assert_true(with_context("\"\\ud83d\\ude00\""));
    assert_true(with_context("\"\\udbff\\udfff\\ud800\\udc00\""));
    assert_true(with_context("\"\\ud800\""));
    assert_true(with_context("\"\\ud800x\""));
    assert_true(with_context("\"\\udc00\""));
    assert_true(with_context("\"\\ud800\\ud800\\udc00\""));
    assert_true(with_context("\"\\ud800\\n\""));
    assert_true(with_context("\"\\ud800\\\\\""));
    assert_true(with_context("\"\\ud800\\u0041\""));
    assert_true(with_context("\"\\udbff\\udfff\""));
    with_context("\"\\ud800\\uZZZZ\"");
    /* ... and after that failure inside a surrogate pair, the next line reads as on
     * its own (json-c 0.16 would carry the high surrogate over to it) */
    assert_true(with_context("\"\\udbff\\udfff\""));
    with_context("\"\\ud800\\");
    with_context("\"\\ud800\\uZZZZ\"");
    with_meta("{\"a\":\"\\udbff\\udfff\"}");
    /* bad escapes, raw control bytes (json-c takes those), invalid and overlong UTF-8 */
    with_context("\"\\a\"");
    with_context("\"\\u00G0\"");
    with_context("\"\\u12\"");
    with_context("\"a\x01" "b\"");
    with_context("\"a\tb\"");
    with_context("\"a\x7f" "b\"");
    with_context("\"\xe0\x80\x9d\"");
    with_context("\"\xc0\x80\"");
    with_context("\"\xed\xa0\x80\"");
    with_context("\"\xf4\x90\x80\x80\"");
    with_context("\"\xff\"");
    with_context("\"\xc3\"");
    with_context("\"unterminated");
    /* not strings */
    with_context("null");
    with_context("3");
    with_context("[\"a\"]");
    with_context("{}");
    with_context("true");
}

static void test_numbers(void **state)
{
    (void)state;
    static const char *const taken[] = {
        "0", "-0", "1", "-1", "123456789012345678", "-123456789012345678", "1.5", "-0.0",
        "1e5", "1E5", "1e+5", "1E-5", "0e0", "-0e-0", "2.5e+3", "0.1e1", "1e-400",
        "12345678901234567", "9007199254740993", "3.141592653589793238462643383279"};
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
        if (!with_score(taken[i])) fail_msg("score %s not taken", taken[i]);
    /* saturating integers, infinities and what strict JSON forbids: json-c decides */
    static const char *const others[] = {
        "1234567890123456789", "99999999999999999999", "-99999999999999999999",
        "18446744073709551615", "9223372036854775808", "1e999", "-1e999", "01", "-01", "00",
        "1.", "1.e5", ".5", "+1", "-", "1e", "1e+", "1-2", "1e5e5", "1.2.3", "--1", "0x10",
        "NaN", "Infinity", "-Infinity", "\"2\"", "null", "true", "[1]", "{}",
        "0.0000000000000000000000000000000000000000000000000000000000000000000001"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) with_score(others[i]);
}

static void test_meta_and_structure(void **state)
{
    (void)state;
    assert_true(with_meta("{\"accepted\":\"456\",\"question\":1,\"tags\":[\"a\",\"b\"]}"));
    assert_true(with_meta("{}"));
    assert_true(with_meta("null"));
    /* json-c's compact form: spaces dropped, -0 and 1.50 as json-c writes them,
     * \/ and \u0041 unescaped, control bytes as \u00XX, duplicate keys merged in
     * place (first position, last value) */
    assert_true(with_meta("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }"));
    assert_true(with_meta("{\"a\":-0,\"b\":1.50,\"c\":1E+2,\"d\":-0.0}"));
    assert_true(with_meta("{\"a\":\"x\\/y\\u0041\\u001f\\u0008\\u007f\"}"));
    assert_true(with_meta("{\"a\":1,\"b\":2,\"a\":3}"));
    assert_true(with_meta("{\"a\":{\"x\":1,\"y\":2,\"x\":{\"z\":[]}}}"));
    with_meta("{\"k\\u0000tail\":1}");
    assert_true(with_meta("{\"a\":\"\\ud800\"}"));
    with_meta("{\"a\":\"\xe0\x80\x9d\"}");
    with_meta("3");
    with_meta("[1]");
    with_meta("\"m\"");
    with_meta("{\"a\":99999999999999999999}");

    /* duplicate keys: the last one wins, as in json-c */
    assert_true(check("{\"source\":\"s1\",\"source\":\"s2\",\"id\":\"i\",\"context\":\"c\","
                      "\"responses\":[],\"responses\":" R2 "}"));
    check("{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 ",\"responses\":null}");
    /* keys compare up to a NUL, as json-c's C-string keys do; escaped keys */
    check("{\"source\\u0000x\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}");
    assert_true(check("{\"\\u0073ource\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}"));
    /* nested unknown fields, at every level, up to json-c's depth limit and past it */
    assert_true(check("{\"x\":{\"y\":[1,{\"z\":null}],\"w\":\"v\"},\"source\":\"s\",\"id\":\"i\","
                      "\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1,\"u\":{\"q\":[]}},"
                      "{\"text\":\"b\",\"score\":0,\"id\":null,\"created_utc\":null}],\"t\":true}"));
    for (int depth = 28; depth <= 34; depth++) {
        char buf[4096], open[64], close[64];
        memset(open, '[', (size_t)depth);
        open[depth] = 0;
        memset(close, ']', (size_t)depth);
        close[depth] = 0;
        snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2
                 ",\"x\":%s1%s}", open, close);
        check(buf);
        snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2
                 ",\"x\":%s%s}", open, close);
        check(buf);
    }
    /* whitespace: JSON's four kinds between tokens; \v and \f are not JSON's */
    assert_true(check(" \t{ \"source\" :\r\"s\" ,\n\"id\":\"i\",\"context\":\"c\",\"responses\":[ "
                      "{ \"text\" : \"a\" , \"score\" : 1 } , {\"text\":\"b\",\"score\":0} ] } \t"));
    check("\v{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}");
    check("{\f\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}");
    check("{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "} x");
    check("{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}}");
    /* split_key: a string, escaped or not, null or absent; empty, another type or bad
     * UTF-8 refused; also in text documents */
    assert_true(check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"reddit/t3_x\",\"context\":\"c\","
                      "\"responses\":" R2 "}"));
    assert_true(check("{\"split_key\":\"k\\\"\\u00e9\\n\\ud83d\\ude00\",\"source\":\"s\",\"id\":\"i\","
                      "\"context\":\"c\",\"responses\":" R2 "}"));
    assert_true(check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":null,\"context\":\"c\",\"responses\":" R2 "}"));
    assert_true(check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"a\",\"split_key\":\"b\",\"context\":\"c\","
                      "\"responses\":" R2 "}"));
    check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"\",\"context\":\"c\",\"responses\":" R2 "}");
    check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":7,\"context\":\"c\",\"responses\":" R2 "}");
    check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":[\"k\"],\"context\":\"c\",\"responses\":" R2 "}");
    check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"\xe0\x80\x9d\",\"context\":\"c\",\"responses\":" R2 "}");
    check("{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"\\ud800\",\"context\":\"c\",\"responses\":" R2 "}");
    static const char doc_key[] = "{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"p\",\"text\":\"t\"}";
    static const char doc_empty[] = "{\"source\":\"s\",\"id\":\"i\",\"split_key\":\"\",\"text\":\"t\"}";
    assert_true(check_line(doc_key, sizeof doc_key - 1, 1));
    check_line(doc_empty, sizeof doc_empty - 1, 1);
    pmp_group d;
    pmp_err derr;
    pmp_group_init(&d);
    pmp_group_parser *dp = pmp_group_parser_new();
    assert_int_equal(pmp_group_parser_parse(dp, &d, doc_empty, sizeof doc_empty - 1, 1, &derr), -1);
    assert_non_null(strstr(derr.msg, "split_key"));
    assert_int_equal(pmp_group_parser_parse(dp, &d, doc_key, sizeof doc_key - 1, 1, &derr), 0);
    assert_string_equal(d.split_key, "p");
    pmp_group_parser_free(dp);
    pmp_group_clear(&d);
    /* shapes that are not groups */
    static const char *const bad[] = {
        "", " ", "{}", "[]", "\"s\"", "123", "true", "null", "{\"source\":\"s\"",
        "{'source':'s','id':'i','context':'c','responses':" R2 "}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 ",}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1},]}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1}]}",
        "{\"source\":\"\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[1,2]}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":{\"text\":\"a\"}}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1,\"id\":3},{\"text\":\"b\",\"score\":0}]}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1,\"created_utc\":\"x\"},{\"text\":\"b\",\"score\":0}]}",
        "{\"source\":\"s\",\"id\":\"i\",\"text\":\"a document\"}",
        "{\"source\":\"s\",\"id\":\"i\",\"text\":null}",
        "{\"source\":\"s\",\"id\":\"i\",\"text\":\"t\",\"responses\":null}",
        "{\"source\":\"s\",\"id\":\"\",\"text\":\"\xe0\x80\x9d\"}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}\xff",
        "{\"source\":1,\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 "}",
        "{\"source\":\"s\",\"id\":\"i\",\"context\":\"c\",\"responses\":" R2 ",\"meta\":{\"a\":tru}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) check(bad[i]);
    /* embedded NUL bytes in the line */
    static const char nul[] = "{\"source\":\"s\",\"id\":\"i\",\"context\":\"a\0b\",\"responses\":" R2 "}";
    check_line(nul, sizeof nul - 1, 0);
}

/* ---- real lines and mutations of them ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const tokens[] = {
    "\\ud800", "\\udbff\\udfff", "\\u0000", "\\n", "\\\"", "\"", ",", ":", "{", "}", "[", "]",
    "-0", "1e999", "01", " ", "\t", "\xe0\x80\x9d", "\xff", "\xc3\xa9", "null", "\\", "1.5",
    "\"meta\":{\"a\":1}", "\"id\":null", "\"score\":-0", "99999999999999999999", "\v"};

static void mutate(pmp_buf *out, const char *line, size_t len)
{
    pmp_buf_clear(out);
    pmp_buf_append(out, line, len);
    int n = 1 + (int)(next_rand() % 3);
    for (int k = 0; k < n && out->len; k++) {
        size_t at = (size_t)(next_rand() % out->len);
        switch (next_rand() % 4) {
        case 0: out->data[at] = (char)(next_rand() & 0xFF); break;
        case 1: memmove(out->data + at, out->data + at + 1, out->len - at - 1); out->len--; break;
        default: {
            const char *t = tokens[next_rand() % (sizeof tokens / sizeof *tokens)];
            pmp_buf tmp = PMP_BUF_INIT;
            pmp_buf_append(&tmp, out->data, at);
            pmp_buf_appends(&tmp, t);
            pmp_buf_append(&tmp, out->data + at, out->len - at);
            pmp_buf_clear(out);
            pmp_buf_append(out, tmp.data, tmp.len);
            pmp_buf_free(&tmp);
        }
        }
    }
}

/* Every line of a group file, then `mutations` mutants of its first lines. Returns the
 * number of lines; *taken counts those the scanner took. */
static size_t check_file(const char *path, int mutations, size_t max_lines, size_t *taken)
{
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, path, &err) < 0) return 0;
    const char *line;
    size_t len, n = 0;
    pmp_buf keep = PMP_BUF_INIT, m = PMP_BUF_INIT;
    size_t kept = 0, koff[64], klen[64];
    while (n < max_lines && pmp_input_line(in, &line, &len, &err) == 1) {
        if (len == 0) continue;
        *taken += (size_t)check_line(line, len, 0);
        if (kept < 64) {
            koff[kept] = keep.len;
            klen[kept] = len;
            pmp_buf_append(&keep, line, len);
            kept++;
        }
        n++;
    }
    pmp_input_close(in);
    for (int i = 0; i < mutations && kept; i++) {
        size_t k = (size_t)(next_rand() % kept);
        mutate(&m, keep.data + koff[k], klen[k]);
        check_line(m.data, m.len, (int)(next_rand() & 1));
    }
    pmp_buf_free(&keep);
    pmp_buf_free(&m);
    return n;
}

static void test_real_lines(void **state)
{
    (void)state;
    /* groups as pmp-extract writes them, from the samples */
    const char *out = tu_tmp("samples.jsonl");
    if (tu_sh("'%s/pmp-extract' hh -q '%s/samples/hh/sample.jsonl.gz' > '%s' 2>/dev/null", PMP_BIN_DIR,
              PMP_SOURCE_DIR, out) != 0 ||
        tu_sh("'%s/pmp-extract' stackexchange -q '%s/samples/stackexchange/cooking.example.com/Posts.xml' >> '%s' 2>/dev/null",
              PMP_BIN_DIR, PMP_SOURCE_DIR, out) != 0)
        skip();
    size_t taken = 0, n = check_file(out, 20000, (size_t)-1, &taken);
    fprintf(stderr, "samples: %zu lines, %zu taken by the scanner\n", n, taken);
    assert_true(n > 0);
    assert_int_equal(taken, n);
}

static void test_shared_lines(void **state)
{
    (void)state;
    const char *hh = PMP_SHARED_DATA "/hhh/hh-rlhf-harmless-base-test.jsonl.gz";
    const char *out = tu_tmp("hh.jsonl");
    if (tu_sh("test -f '%s' && '%s/pmp-extract' hh -q '%s' > '%s' 2>/dev/null", hh, PMP_BIN_DIR, hh,
              out) != 0)
        skip();
    size_t taken = 0, n = check_file(out, 20000, 3000, &taken);
    fprintf(stderr, "hh-rlhf: %zu lines, %zu taken by the scanner\n", n, taken);
    assert_int_equal(taken, n);
}

int main(void)
{
    P = pmp_group_parser_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_meta_and_structure),
        cmocka_unit_test(test_real_lines),
        cmocka_unit_test(test_shared_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pmp_group_parser_free(P);
    return rc;
}

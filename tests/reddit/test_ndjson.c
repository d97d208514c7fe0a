/* test_ndjson.c — the hand-written field extractor: JSON quirks case by case,
 * and a differential check against json-c (the reference parser) on every line
 * of the real pushshift months in ../shared/data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_input.h"
#include "pmp_ndjson.h"
#include "pmp_reddit.h"

static const char *const K[] = {"a", "b", "c"};

static int ex(const char *line, size_t len, pmp_jfield f[3], pmp_err *err)
{
    static pmp_ndjson *x;
    if (!x) x = pmp_ndjson_new(K, 3);
    return pmp_ndjson_extract(x, line, len, f, err);
}

#define EX(lit, f, err) ex(lit, sizeof(lit) - 1, f, err)

static void expect_str(const pmp_jfield *f, const char *want, size_t n)
{
    assert_int_equal(f->type, PMP_JV_STRING);
    assert_int_equal(f->len, n);
    assert_memory_equal(f->s, want, n);
}

static void test_basic_types(void **state)
{
    (void)state;
    pmp_jfield f[3];
    pmp_err err;
    assert_int_equal(EX(" {\"x\":[1,{\"a\":2}],\"a\":\"hi\",\"b\":-1.5e3,\"c\":null} \r", f, &err), 0);
    expect_str(&f[0], "hi", 2);   /* the nested "a" is not a top-level key */
    assert_int_equal(f[1].type, PMP_JV_NUMBER);
    double d;
    assert_int_equal(pmp_jfield_number(&f[1], &d), 0);
    assert_true(d == -1500.0);
    assert_int_equal(f[2].type, PMP_JV_NULL);
    assert_int_equal(EX("{}", f, &err), 0);
    assert_int_equal(f[0].type, PMP_JV_ABSENT);
    assert_int_equal(EX("{\"a\":true,\"b\":false,\"c\":{\"d\":[]}}", f, &err), 0);
    assert_int_equal(f[0].type, PMP_JV_TRUE);
    assert_int_equal(f[1].type, PMP_JV_FALSE);
    assert_int_equal(f[2].type, PMP_JV_OTHER);
    /* duplicate key: last wins, as in json-c */
    assert_int_equal(EX("{\"a\":\"one\",\"a\":\"two\"}", f, &err), 0);
    expect_str(&f[0], "two", 3);
}

static void test_escapes(void **state)
{
    (void)state;
    pmp_jfield f[3];
    pmp_err err;
    /* U+1F600 as a surrogate pair, U+00E9, \u0000, short escapes, an escaped key */
    assert_int_equal(EX("{\"a\":\"\\ud83d\\ude00 \\u00e9\\u0000x\\n\\t\\\"\\\\\\/\",\"\\u0062\":\"k\"}",
                        f, &err), 0);
    expect_str(&f[0], "\xF0\x9F\x98\x80 \xC3\xA9\0x\n\t\"\\/", 14);
    assert_false(f[0].repaired);
    expect_str(&f[1], "k", 1);
    /* lone surrogates (high then text, lone low, high at the end) -> U+FFFD */
    assert_int_equal(EX("{\"a\":\"\\ud83dx\\ude00\",\"b\":\"\\ud800\"}", f, &err), 0);
    expect_str(&f[0], "\xEF\xBF\xBDx\xEF\xBF\xBD", 7);
    assert_true(f[0].repaired);
    expect_str(&f[1], "\xEF\xBF\xBD", 3);
    /* raw non-UTF-8 bytes, with and without escapes in the same string */
    assert_int_equal(EX("{\"a\":\"caf\xE9!\",\"b\":\"\xFF\\n\",\"c\":\"ok \xC3\xA9\"}", f, &err), 0);
    expect_str(&f[0], "caf\xEF\xBF\xBD!", 7);
    assert_true(f[0].repaired);
    expect_str(&f[1], "\xEF\xBF\xBD\n", 4);
    expect_str(&f[2], "ok \xC3\xA9", 5);
    assert_false(f[2].repaired);
}

static void test_numbers_as_strings(void **state)
{
    (void)state;
    pmp_jfield f[3];
    pmp_err err;
    double d;
    assert_int_equal(EX("{\"a\":\"42\",\"b\":\"1134365188.0\",\"c\":\"12abc\"}", f, &err), 0);
    assert_int_equal(pmp_jfield_number(&f[0], &d), 0);
    assert_true(d == 42);
    assert_int_equal(pmp_jfield_number(&f[1], &d), 0);
    assert_true(d == 1134365188.0);
    assert_int_equal(pmp_jfield_number(&f[2], &d), -1);
    assert_int_equal(EX("{\"a\":-0,\"b\":\"-7\",\"c\":1E2}", f, &err), 0);
    assert_int_equal(pmp_jfield_number(&f[1], &d), 0);
    assert_true(d == -7);
    assert_int_equal(pmp_jfield_number(&f[2], &d), 0);
    assert_true(d == 100);
    assert_true(pmp_jfield_truthy(&(pmp_jfield){PMP_JV_STRING, "true", 4, 0}));
    assert_false(pmp_jfield_truthy(&(pmp_jfield){PMP_JV_FALSE, "false", 5, 0}));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "[1]", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}",
        "{a:1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}",
        "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":[1,]}", "{\"a\":[1}",
        "{\"a\":{\"b\"}}", "{\"a\":\"x\"\"b\":1}", "{\"a\":NaN}", "{'a':1}",
    };
    pmp_jfield f[3];
    pmp_err err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        if (ex(bad[i], strlen(bad[i]), f, &err) != -1) fail_msg("accepted: %s", bad[i]);
        assert_non_null(strstr(err.msg, "byte "));
    }
    /* deep nesting is refused, not a stack overflow */
    char deep[400];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"x\":");
    for (int i = 0; i < 100; i++) deep[n++] = '[';
    for (int i = 0; i < 100; i++) deep[n++] = ']';
    deep[n++] = '}';
    assert_int_equal(ex(deep, n, f, &err), -1);
    assert_non_null(strstr(err.msg, "nesting"));
    /* an unterminated line ending in the middle of a 16-byte block */
    const char *cut = "{\"a\":\"0123456789abcdefghijklmnopqrstuvwxyz";
    assert_int_equal(ex(cut, strlen(cut), f, &err), -1);
    assert_non_null(strstr(err.msg, "unterminated"));
}

static void test_ids(void **state)
{
    (void)state;
    uint64_t v;
    int pfx;
    char out[14];
    assert_int_equal(pmp_reddit_id_parse("t1_c13", 6, &v, &pfx), 0);
    assert_int_equal(pfx, 1);
    assert_true(v == 12 * 36 * 36 + 1 * 36 + 3);
    assert_int_equal(pmp_reddit_id_parse("17863", 5, &v, &pfx), 0);
    assert_int_equal(pfx, 0);
    assert_true(v == ((((uint64_t)1 * 36 + 7) * 36 + 8) * 36 + 6) * 36 + 3);
    pmp_reddit_id_format(v, out);
    assert_string_equal(out, "17863");
    assert_int_equal(pmp_reddit_id_parse("t3_ZZZZZZZZZZZZ", 15, &v, &pfx), 0);
    pmp_reddit_id_format(v, out);
    assert_string_equal(out, "zzzzzzzzzzzz");
    assert_int_equal(pmp_reddit_id_parse("t3_", 3, &v, &pfx), -1);
    assert_int_equal(pmp_reddit_id_parse("a-b", 3, &v, &pfx), -1);
    assert_int_equal(pmp_reddit_id_parse("1234567890abc", 13, &v, &pfx), -1);
}

/* ---- differential: every field of every real line, pmp_ndjson vs json-c ---- */

static const char *const RK[] = {"id", "parent_id", "link_id", "body", "score", "created_utc",
                                 "author", "subreddit", "stickied", "distinguished", "edited",
                                 "gilded", "retrieved_on", "author_flair_text"};
enum { NRK = sizeof RK / sizeof RK[0] };

static void compare_file(const char *path, uint64_t *n_lines, uint64_t *n_fields)
{
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, path, &err)) fail_msg("%s", err.msg);
    pmp_ndjson *x = pmp_ndjson_new(RK, NRK);
    pmp_jfield f[NRK];
    const char *line;
    size_t len;
    int rc;
    while ((rc = pmp_input_line(in, &line, &len, &err)) == 1) {
        (*n_lines)++;
        if (pmp_ndjson_extract(x, line, len, f, &err))
            fail_msg("%s:%llu: %s", path, (unsigned long long)*n_lines, err.msg);
        char *copy = pmp_xstrndup(line, len);
        json_object *o = json_tokener_parse(copy);
        free(copy);
        assert_non_null(o);
        for (int k = 0; k < NRK; k++) {
            json_object *v;
            if (!json_object_object_get_ex(o, RK[k], &v)) {
                assert_int_equal(f[k].type, PMP_JV_ABSENT);
                continue;
            }
            (*n_fields)++;
            switch (json_object_get_type(v)) {
            case json_type_null: assert_int_equal(f[k].type, PMP_JV_NULL); break;
            case json_type_boolean:
                assert_int_equal(f[k].type, json_object_get_boolean(v) ? PMP_JV_TRUE : PMP_JV_FALSE);
                break;
            case json_type_int:
            case json_type_double: {
                double d;
                assert_int_equal(pmp_jfield_number(&f[k], &d), 0);
                assert_true(d == json_object_get_double(v));
                break;
            }
            case json_type_string:
                expect_str(&f[k], json_object_get_string(v), (size_t)json_object_get_string_len(v));
                break;
            default: assert_int_equal(f[k].type, PMP_JV_OTHER); break;
            }
        }
        json_object_put(o);
    }
    assert_int_equal(rc, 0);
    pmp_ndjson_free(x);
    pmp_input_close(in);
}

static void test_real_months_vs_jsonc(void **state)
{
    (void)state;
    const char *months[] = {PMP_SHARED_DATA "/reddit/RC_2005-12.zst",
                            PMP_SHARED_DATA "/reddit/RC_2006-01.zst"};
    FILE *probe = fopen(months[0], "rb");
    if (!probe) skip();
    fclose(probe);
    uint64_t lines = 0, fields = 0;
    for (int i = 0; i < 2; i++) compare_file(months[i], &lines, &fields);
    assert_true(lines == 1075 + 3666);
    print_message("compared %llu lines, %llu fields with json-c\n", (unsigned long long)lines,
                  (unsigned long long)fields);
}

/* A thread flushed with no records gives no group (regression: the sorts got
 * NULL arrays, undefined behaviour found by tests/fuzz/fuzz_reddit), and the
 * thread is still usable afterwards. */
static int count_group(void *ctx, const pmp_group *g, pmp_err *err)
{
    (void)g, (void)err;
    (*(int *)ctx)++;
    return 0;
}

static void test_empty_thread(void **state)
{
    (void)state;
    pmp_reddit_options o;
    pmp_reddit_options_init(&o);
    pmp_reddit_thread *t = pmp_reddit_thread_new(&o);
    pmp_reddit_stats st;
    memset(&st, 0, sizeof st);
    pmp_err err;
    int n = 0;
    assert_int_equal(pmp_reddit_thread_flush(t, count_group, &n, &st, &err), 0);
    assert_int_equal(n, 0);
    pmp_reddit_parser *p = pmp_reddit_parser_new();
    static const char *const lines[] = {
        "{\"id\":\"s1\",\"title\":\"T\",\"score\":5}",
        "{\"id\":\"c1\",\"link_id\":\"t3_s1\",\"parent_id\":\"t3_s1\",\"body\":\"a\",\"score\":1}",
        "{\"id\":\"c2\",\"link_id\":\"t3_s1\",\"parent_id\":\"t3_s1\",\"body\":\"b\",\"score\":9}",
    };
    for (int i = 0; i < 3; i++) {
        pmp_reddit_item it;
        assert_int_equal(pmp_reddit_parse(p, lines[i], strlen(lines[i]), i == 0, &it, &err), 1);
        pmp_buf enc = PMP_BUF_INIT;
        pmp_reddit_item_encode(&enc, &it);
        pmp_reddit_thread_add(t, enc.data, enc.len);
        pmp_buf_free(&enc);
    }
    assert_int_equal(pmp_reddit_thread_flush(t, count_group, &n, &st, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(pmp_reddit_thread_flush(t, count_group, &n, &st, &err), 0);
    assert_int_equal(n, 1);
    pmp_reddit_parser_free(p);
    pmp_reddit_thread_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_types),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_numbers_as_strings),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_real_months_vs_jsonc),
        cmocka_unit_test(test_empty_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

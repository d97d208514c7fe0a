/* test_common.c — UTF-8 validation and repair, JSON string/number output
 * (checked by parsing it back with json-c, an independent parser), sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_common.h"

static void test_utf8_check(void **state)
{
    (void)state;
    struct { const char *s; size_t len; size_t bad_at; } cases[] = {
        {"plain ascii", 11, 11},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 14},
        {"\xc0\xaf", 2, 0},               /* overlong '/' */
        {"ab\xe0\x80\xafz", 6, 2},        /* overlong 3-byte */
        {"\xed\xa0\x80", 3, 0},           /* UTF-16 surrogate */
        {"x\xf4\x90\x80\x80", 5, 1},      /* > U+10FFFF */
        {"ok\xe2\x82", 4, 2},             /* truncated sequence */
        {"\x80", 1, 0},                   /* lone continuation */
        {"a\0b", 3, 3},                   /* NUL is valid UTF-8 */
        {"12345678\xff", 9, 8},           /* after the 8-byte fast path */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(pmp_utf8_check(cases[i].s, cases[i].len), cases[i].bad_at);
}

static void test_utf8_sanitize(void **state)
{
    (void)state;
    pmp_buf b = PMP_BUF_INIT;
    assert_int_equal(pmp_utf8_sanitize(&b, "a\xff" "b\xc3", 4), 2);
    assert_int_equal(b.len, 1 + 3 + 1 + 3);
    assert_memory_equal(b.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd", b.len);
    assert_int_equal(pmp_utf8_check(b.data, b.len), b.len);
    pmp_buf_clear(&b);
    pmp_utf8_put(&b, 0x1F600);
    pmp_utf8_put(&b, 0xE9);
    assert_memory_equal(b.data, "\xf0\x9f\x98\x80\xc3\xa9", 6);
    pmp_buf_free(&b);
}

static void test_json_string_round_trips_through_json_c(void **state)
{
    (void)state;
    /* Every byte value that may appear in valid UTF-8 text, incl. NUL and controls. */
    pmp_buf text = PMP_BUF_INIT;
    for (int c = 0; c < 128; c++) pmp_buf_appendc(&text, (char)c);
    pmp_buf_appends(&text, "\"\\/ caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8");
    pmp_buf json = PMP_BUF_INIT;
    pmp_json_put_string(&json, text.data, text.len);
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, json.data, (int)json.len);
    assert_non_null(o);
    assert_int_equal((size_t)json_object_get_string_len(o), text.len);
    assert_memory_equal(json_object_get_string(o), text.data, text.len);
    json_object_put(o);
    json_tokener_free(tok);
    pmp_buf_free(&text);
    pmp_buf_free(&json);
}

static void test_json_numbers_read_back_exactly(void **state)
{
    (void)state;
    double vals[] = {0, 1, -1, 3, 0.1, 1.0 / 3, -2.5e-300, 1e300, 123456789012345.0,
                     4.35, 9007199254740993.0, -0.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        pmp_buf b = PMP_BUF_INIT;
        pmp_json_put_number(&b, vals[i]);
        if (!isfinite(vals[i])) {
            assert_string_equal(b.data, "null");
        } else {
            assert_true(strtod(b.data, NULL) == vals[i]);
            if (vals[i] == 3) assert_string_equal(b.data, "3");
            /* json-c reads the same value back, sign of zero included ("-0" is its
             * integer 0: a manifest with --min-score-gap -0 failed its own checksum) */
            json_object *o = json_tokener_parse(b.data);
            assert_non_null(o);
            double back = json_object_get_double(o);
            assert_true(back == vals[i] && !signbit(back) == !signbit(vals[i]));
            json_object_put(o);
        }
        pmp_buf_free(&b);
    }
}

static void test_parse_size(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(pmp_parse_size("64M", &v), 0);
    assert_int_equal(v, 64ULL << 20);
    assert_int_equal(pmp_parse_size("1G", &v), 0);
    assert_int_equal(v, 1ULL << 30);
    assert_int_equal(pmp_parse_size("512k", &v), 0);
    assert_int_equal(v, 512ULL << 10);
    assert_int_equal(pmp_parse_size("1000", &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(pmp_parse_size("2MiB", &v), 0);
    assert_int_equal(v, 2ULL << 20);
    assert_int_equal(pmp_parse_size("12X", &v), -1);
    assert_int_equal(pmp_parse_size("", &v), -1);
    assert_int_equal(pmp_parse_size("-5M", &v), -1);
    /* NaN compared false with every bound and became an undefined cast */
    assert_int_equal(pmp_parse_size("nan", &v), -1);
    assert_int_equal(pmp_parse_size("nanM", &v), -1);
    assert_int_equal(pmp_parse_size("inf", &v), -1);
    assert_int_equal(pmp_parse_size(" 5", &v), -1);
}

static void test_buf_and_errors(void **state)
{
    (void)state;
    pmp_buf b = PMP_BUF_INIT;
    for (int i = 0; i < 1000; i++) pmp_buf_printf(&b, "%d,", i);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data + b.len - 4, "999,", 4);
    char *s = pmp_buf_detach(&b);
    assert_null(b.data);
    free(s);
    pmp_err err;
    assert_int_equal(pmp_err_set(&err, "line %d", 7), -1);
    assert_int_equal(pmp_err_prefix(&err, "file.xml"), -1);
    assert_string_equal(err.msg, "file.xml: line 7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_check),
        cmocka_unit_test(test_utf8_sanitize),
        cmocka_unit_test(test_json_string_round_trips_through_json_c),
        cmocka_unit_test(test_json_numbers_read_back_exactly),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_buf_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

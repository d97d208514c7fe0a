/* test_safetensors.c — the safetensors reader and writer: round trip,
 * determinism, rejection of malformed headers, and random mutations (no crash,
 * no out-of-bounds read: run under ASan). tests/fuzz/fuzz_safetensors.c fuzzes
 * the same validator with libFuzzer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pmp_safetensors.h"
#include "test_util.h"

static float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1.5f, 0.25f, 1e-30f}, c[1] = {42};

static void write_sample(const char *path)
{
    pmp_safetensors_writer *w = pmp_safetensors_writer_new();
    pmp_err err;
    int64_t sa[2] = {2, 3}, sb[1] = {3};
    /* Added out of name order: the writer sorts. */
    assert_int_equal(pmp_safetensors_writer_add_f32(w, "z.weight", sa, 2, a, &err), 0);
    assert_int_equal(pmp_safetensors_writer_add_f32(w, "a.bias", sb, 1, b, &err), 0);
    assert_int_equal(pmp_safetensors_writer_add_f32(w, "scalar", NULL, 0, c, &err), 0);
    assert_int_equal(pmp_safetensors_writer_add_f32(w, "a.bias", sb, 1, b, &err), -1);   /* duplicate */
    pmp_safetensors_writer_metadata(w, "format", "pt");
    if (pmp_safetensors_writer_write(w, path, &err) != 0) fail_msg("%s", err.msg);
    pmp_safetensors_writer_free(w);
}

static void test_round_trip_and_determinism(void **state)
{
    (void)state;
    write_sample(tu_tmp("m1.safetensors"));
    write_sample(tu_tmp("m2.safetensors"));
    size_t l1, l2;
    char *f1 = tu_read_file(tu_tmp("m1.safetensors"), &l1);
    char *f2 = tu_read_file(tu_tmp("m2.safetensors"), &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(f1, f2, l1);
    uint64_t hlen;
    memcpy(&hlen, f1, 8);
    assert_int_equal((8 + hlen) % 8, 0);
    assert_int_equal(l1, 8 + hlen + 4 * (6 + 3 + 1));

    pmp_safetensors *st;
    pmp_err err;
    if (pmp_safetensors_open(&st, tu_tmp("m1.safetensors"), &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(pmp_safetensors_count(st), 3);
    assert_string_equal(pmp_safetensors_tensor_at(st, 0)->name, "a.bias");   /* sorted */
    const pmp_safetensors_tensor *t = pmp_safetensors_find(st, "z.weight");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    float got[6];
    assert_int_equal(pmp_safetensors_read_f32(st, "z.weight", got, 6, &err), 0);
    assert_memory_equal(got, a, sizeof a);
    assert_int_equal(pmp_safetensors_read_f32(st, "a.bias", got, 3, &err), 0);
    assert_memory_equal(got, b, sizeof b);
    assert_int_equal(pmp_safetensors_read_f32(st, "a.bias", got, 4, &err), -1);
    assert_int_equal(pmp_safetensors_find(st, "scalar")->ndim, 0);
    assert_string_equal(pmp_safetensors_metadata(st, "format"), "pt");
    assert_null(pmp_safetensors_metadata(st, "nope"));
    pmp_safetensors_close(st);
    free(f1);
    free(f2);
}

/* Builds a file from a header text and a data size. */
static void make_file(pmp_buf *f, const char *header, size_t data_len)
{
    pmp_buf_clear(f);
    uint64_t n = strlen(header);
    pmp_buf_append(f, &n, 8);
    pmp_buf_appends(f, header);
    for (size_t i = 0; i < data_len; i++) pmp_buf_appendc(f, (char)i);
}

static void expect_reject(const char *header, size_t data_len, const char *needle)
{
    pmp_buf f = PMP_BUF_INIT;
    make_file(&f, header, data_len);
    pmp_safetensors *st;
    pmp_err err = {0};
    if (pmp_safetensors_parse(&st, f.data, f.len, &err) == 0) fail_msg("accepted: %s", header);
    if (!strstr(err.msg, needle)) fail_msg("%s: expected '%s' in '%s'", header, needle, err.msg);
    pmp_buf_free(&f);
}

static void test_rejects_malformed(void **state)
{
    (void)state;
    expect_reject("[1,2]", 0, "not a JSON object");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not valid JSON");
    expect_reject("{\"x\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "bytes for");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "past the data");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,8]}}", 8, "overflow");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin <= end");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "hole");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "after the last tensor");
    expect_reject("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "data_offsets");
    expect_reject("{\"__metadata__\":{\"k\":3}}", 0, "must be a string");
    expect_reject("{} x", 0, "not valid JSON");   /* only space padding may follow */
    /* Header length fields that lie. */
    pmp_safetensors *st;
    pmp_err err;
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}'};
    assert_int_equal(pmp_safetensors_parse(&st, big, sizeof big, &err), -1);
    assert_non_null(strstr(err.msg, "100 MiB"));
    unsigned char past[12] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    assert_int_equal(pmp_safetensors_parse(&st, past, sizeof past, &err), -1);
    assert_non_null(strstr(err.msg, "past the end"));
    assert_int_equal(pmp_safetensors_parse(&st, past, 5, &err), -1);
    assert_int_equal(pmp_safetensors_open(&st, tu_tmp("does-not-exist"), &err), -1);
    assert_non_null(strstr(err.msg, "does-not-exist"));
}

static void test_half_precision(void **state)
{
    (void)state;
    /* F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001.
     * BF16: 1.0 = 0x3F80, -0.5 = 0xBF00. */
    uint16_t f16[4] = {0x3C00, 0xC000, 0x7BFF, 0x0001}, bf16[2] = {0x3F80, 0xBF00};
    pmp_buf f = PMP_BUF_INIT;
    make_file(&f, "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}", 0);
    pmp_buf_append(&f, f16, 8);
    pmp_buf_append(&f, bf16, 4);
    pmp_safetensors *st;
    pmp_err err;
    if (pmp_safetensors_parse(&st, f.data, f.len, &err) != 0) fail_msg("%s", err.msg);
    float out[4];
    assert_int_equal(pmp_safetensors_read_f32(st, "h", out, 4, &err), 0);
    assert_true(out[0] == 1.0f && out[1] == -2.0f && out[2] == 65504.0f);
    assert_true(out[3] == 5.9604644775390625e-08f);
    assert_int_equal(pmp_safetensors_read_f32(st, "b", out, 2, &err), 0);
    assert_true(out[0] == 1.0f && out[1] == -0.5f);
    pmp_safetensors_close(st);
    pmp_buf_free(&f);
}

static void test_random_mutations_never_crash(void **state)
{
    (void)state;
    write_sample(tu_tmp("m3.safetensors"));
    size_t len;
    char *orig = tu_read_file(tu_tmp("m3.safetensors"), &len);
    uint32_t x = 12345;
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        /* A fresh exact-size heap copy per try, so ASan sees any read past the end. */
        size_t n = len;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        if (x % 5 == 0) n = x % (len + 1);                 /* truncation */
        char *buf = malloc(n ? n : 1);
        memcpy(buf, orig, n);
        int flips = 1 + (int)(x % 4);
        for (int k = 0; k < flips && n; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            buf[x % n] = (char)(x >> 8);
        }
        pmp_safetensors *st;
        pmp_err err;
        if (pmp_safetensors_parse(&st, buf, n, &err) == 0) {
            accepted++;
            /* Whatever is accepted must be readable in full. */
            for (size_t i = 0; i < pmp_safetensors_count(st); i++) {
                const pmp_safetensors_tensor *t = pmp_safetensors_tensor_at(st, i);
                const unsigned char *p = pmp_safetensors_data(st, t);
                volatile unsigned char sink = 0;
                for (uint64_t j = t->begin; j < t->end; j++) sink ^= p[j - t->begin];
                (void)sink;
            }
            pmp_safetensors_close(st);
        }
        free(buf);
    }
    free(orig);
    /* Flips inside float data keep the file valid: some mutants must pass. */
    assert_true(accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_determinism),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_half_precision),
        cmocka_unit_test(test_random_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

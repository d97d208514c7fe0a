/* test_ckpt.c — checkpoint files: round trip, every single-byte flip and every
 * truncation detected, the table's rules (names, alignment) behind consistent
 * checksums, newest-valid selection with a warning, pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_ckpt.h"
#include "test_util.h"

static float params[1000];
static const char config[] = "{\"layers\":4,\"width\":256}";

static void write_ckpt(const char *path, uint64_t step)
{
    for (int i = 0; i < 1000; i++) params[i] = (float)i * 0.5f + (float)step;
    pmp_ckpt_writer *w = pmp_ckpt_writer_new();
    pmp_err err;
    assert_int_equal(pmp_ckpt_writer_add(w, "config", config, sizeof config - 1, &err), 0);
    assert_int_equal(pmp_ckpt_writer_add(w, "params", params, sizeof params, &err), 0);
    assert_int_equal(pmp_ckpt_writer_add(w, "step", &step, 8, &err), 0);
    assert_int_equal(pmp_ckpt_writer_add(w, "params", params, 4, &err), -1);
    assert_int_equal(pmp_ckpt_writer_add(w, "a-name-that-is-far-too-long-for-it", params, 4, &err), -1);
    if (pmp_ckpt_writer_write(w, path, &err) != 0) fail_msg("%s", err.msg);
    pmp_ckpt_writer_free(w);
}

static void test_round_trip(void **state)
{
    (void)state;
    write_ckpt(tu_tmp("a.ckpt"), 7);
    pmp_ckpt *ck;
    pmp_err err;
    if (pmp_ckpt_open(&ck, tu_tmp("a.ckpt"), &err) != 0) fail_msg("%s", err.msg);
    size_t len;
    const float *p = pmp_ckpt_section(ck, "params", &len);
    assert_int_equal(len, sizeof params);
    assert_int_equal((uintptr_t)p % 8, 0);
    assert_memory_equal(p, params, sizeof params);
    const char *c = pmp_ckpt_section(ck, "config", &len);
    assert_int_equal(len, strlen(config));
    assert_memory_equal(c, config, len);
    assert_null(pmp_ckpt_section(ck, "nope", NULL));
    pmp_ckpt_close(ck);
    /* No temporary file is left behind. */
    struct stat sb;
    assert_int_equal(stat(tu_tmp("a.ckpt.tmp"), &sb), -1);
}

static void test_every_flip_and_truncation_is_caught(void **state)
{
    (void)state;
    write_ckpt(tu_tmp("b.ckpt"), 1);
    size_t len;
    char *data = tu_read_file(tu_tmp("b.ckpt"), &len);
    pmp_ckpt *ck;
    pmp_err err;
    int missed = 0;
    for (size_t at = 0; at < len; at++) {
        /* Zero padding between sections is not covered by a checksum. */
        data[at] ^= 0x01;
        tu_write_file(tu_tmp("flip.ckpt"), data, len);
        int rc = pmp_ckpt_open(&ck, tu_tmp("flip.ckpt"), &err);
        data[at] ^= 0x01;
        if (rc == 0) {
            pmp_ckpt_close(ck);
            missed++;
        }
    }
    /* Only padding bytes (not part of any section or the table) may be missed. */
    assert_true(missed < 64 * 4);
    for (size_t cut = 0; cut < len; cut += (cut < 256 ? 1 : 97)) {
        tu_write_file(tu_tmp("cut.ckpt"), data, cut);
        if (pmp_ckpt_open(&ck, tu_tmp("cut.ckpt"), &err) == 0) fail_msg("truncation at %zu accepted", cut);
        assert_non_null(strstr(err.msg, "cut.ckpt"));
    }
    free(data);
}

/* A table the checksums cannot catch (the file is made consistent again): names
 * and offsets the writer never makes are refused (found by tests/fuzz/fuzz_ckpt). */
static void rehash(char *f, size_t len)
{
    uint32_t n;
    memcpy(&n, f + 12, 4);
    for (uint32_t i = 0; i < n; i++) {
        char *e = f + 16 + 56 * (size_t)i;
        uint64_t off, l;
        memcpy(&off, e + 32, 8);
        memcpy(&l, e + 40, 8);
        uint64_t h = off <= len && l <= len - off ? pmp_xxh64(f + off, l) : 0;
        memcpy(e + 48, &h, 8);
    }
    uint64_t h = pmp_xxh64(f, 16 + 56 * (size_t)n);
    memcpy(f + 16 + 56 * (size_t)n, &h, 8);
}

static void test_table_rules(void **state)
{
    (void)state;
    write_ckpt(tu_tmp("t.ckpt"), 3);
    size_t len;
    char *orig = tu_read_file(tu_tmp("t.ckpt"), &len);
    char *f = malloc(len);
    uint64_t off;
    struct { const char *what, *msg; } cases[] = {
        {"empty name", "bad name"},
        {"32-byte name", "bad name"},
        {"bytes after the name's NUL", "bad name"},
        {"a name twice", "appears twice"},
        {"misaligned offset", "64-byte boundary"},
        {"offset inside the table", "64-byte boundary"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(f, orig, len);
        char *e1 = f + 16 + 56;   /* the second section, "params" */
        switch (c) {
        case 0: memset(e1, 0, 32); break;
        case 1: memset(e1, 'x', 32); break;
        case 2: e1[20] = 'x'; break;
        case 3: memcpy(e1, "config", 7); break;
        case 4:
            memcpy(&off, e1 + 32, 8);
            off += 8;   /* still 8-byte aligned, not 64 */
            memcpy(e1 + 32, &off, 8);
            break;
        case 5:
            off = 0;
            memcpy(e1 + 32, &off, 8);
            break;
        }
        rehash(f, len);
        tu_write_file(tu_tmp("rule.ckpt"), f, len);
        pmp_ckpt *ck;
        pmp_err err;
        if (pmp_ckpt_open(&ck, tu_tmp("rule.ckpt"), &err) == 0) fail_msg("%s accepted", cases[c].what);
        assert_int_equal(err.code, PMP_E_CORRUPT);
        if (!strstr(err.msg, cases[c].msg)) fail_msg("%s: %s", cases[c].what, err.msg);
    }
    memcpy(f, orig, len);   /* rehash alone changes nothing */
    rehash(f, len);
    assert_memory_equal(f, orig, len);
    free(f);
    free(orig);
}

static int warnings;
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    assert_non_null(strstr(msg, "step-000000030"));
    warnings++;
}

static void test_latest_skips_damaged_and_prune(void **state)
{
    (void)state;
    const char *dir = tu_tmp("run");
    mkdir(dir, 0755);
    pmp_err err;
    uint64_t step = 99;
    assert_int_equal(pmp_ckpt_latest(dir, &step, NULL, NULL, NULL, &err), 0);
    pmp_buf path = PMP_BUF_INIT;
    for (uint64_t s = 10; s <= 30; s += 10) {
        pmp_buf_clear(&path);
        pmp_ckpt_path(&path, dir, s);
        write_ckpt(path.data, s);
    }
    /* Damage the newest: truncate it. */
    size_t len;
    char *data = tu_read_file(path.data, &len);
    tu_write_file(path.data, data, len / 2);
    free(data);
    pmp_buf_clear(&path);
    pmp_buf_printf(&path, "%s/step-000000040.tmp", dir);   /* an interrupted write */
    tu_write_file(path.data, "junk", 4);
    pmp_ckpt *ck;
    warnings = 0;
    assert_int_equal(pmp_ckpt_latest(dir, &step, &ck, on_warn, NULL, &err), 1);
    assert_int_equal(step, 20);
    assert_int_equal(warnings, 1);
    const uint64_t *s = pmp_ckpt_section(ck, "step", NULL);
    assert_int_equal(*s, 20);
    pmp_ckpt_close(ck);
    assert_int_equal(pmp_ckpt_prune(dir, 1, &err), 0);
    char *list = tu_sh_output(NULL, "ls '%s'", dir);
    assert_string_equal(list, "step-000000030\n");   /* the newest name, even if damaged */
    free(list);
    pmp_buf_free(&path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_flip_and_truncation_is_caught),
        cmocka_unit_test(test_table_rules),
        cmocka_unit_test(test_latest_skips_damaged_and_prune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_input.c — the streaming reader against the reference decoders
 * (zstd, bzip2, gzip programs) on the shared real files and on multi-frame,
 * multi-stream, multi-member, truncated and bit-flipped files made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_input.h"
#include "test_util.h"

/* Decodes path completely with pmp_input_read in chunks of `chunk` bytes. */
static char *decode_all(const char *path, size_t chunk, size_t *len, pmp_err *err, int *rc)
{
    pmp_input *in;
    *rc = pmp_input_open(&in, path, err);
    if (*rc < 0) return NULL;
    pmp_buf out = PMP_BUF_INIT;
    char *buf = malloc(chunk);
    ssize_t n;
    while ((n = pmp_input_read(in, buf, chunk, err)) > 0) pmp_buf_append(&out, buf, (size_t)n);
    *rc = n < 0 ? -1 : 0;
    free(buf);
    pmp_input_close(in);
    *len = out.len;
    return pmp_buf_detach(&out);
}

/* The reference decoder for a file, chosen by its magic bytes like ours. */
static const char *reference_cmd(const char *path)
{
    unsigned char m[4] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(m, 1, 4, f) : 0;
    if (f) fclose(f);
    if (n >= 4 && m[0] == 0x28 && m[1] == 0xB5) return "zstd -dc --long=31";
    if (n >= 4 && (m[0] & 0xF0) == 0x50 && m[1] == 0x2A) return "zstd -dc --long=31";
    if (n >= 3 && m[0] == 'B' && m[1] == 'Z') return "bzip2 -dc";
    if (n >= 2 && m[0] == 0x1F && m[1] == 0x8B) return "gzip -dc";
    return "cat";
}

static void assert_decodes_like_reference(const char *path)
{
    size_t ref_len, got_len;
    char *ref = tu_sh_output(&ref_len, "%s '%s'", reference_cmd(path), path);
    assert_non_null(ref);
    pmp_err err = {0};
    int rc;
    /* Odd chunk sizes shake out boundary bugs. */
    size_t chunks[] = {1u << 20, 4093};
    for (size_t c = 0; c < 2; c++) {
        char *got = decode_all(path, chunks[c], &got_len, &err, &rc);
        if (rc != 0) fail_msg("%s: %s", path, err.msg);
        assert_int_equal(got_len, ref_len);
        assert_memory_equal(got, ref, ref_len);
        free(got);
    }
    free(ref);
}

static void test_shared_files_decode_like_reference_tools(void **state)
{
    (void)state;
    if (!tu_have_shared()) skip();
    size_t n;
    char *list = tu_sh_output(&n, "find '%s' -type f ! -name '*.md' ! -name SHA256SUMS | sort",
                              tu_shared(""));
    int files = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        /* The 1 GB Anarchism history belongs to the slow label (test_input_large). */
        if (strstr(line, "Anarchism") && !getenv("PMP_TEST_LARGE")) continue;
        assert_decodes_like_reference(line);
        files++;
    }
    free(list);
    assert_true(files >= 20);
}

/* A few MB of varied text, so that compressed files span many input buffers. */
static void make_text(const char *path, int seed)
{
    pmp_buf b = PMP_BUF_INIT;
    uint32_t x = 2463534242u + (uint32_t)seed;
    for (int i = 0; i < 120000; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        pmp_buf_printf(&b, "line %d of seed %d: %08x %u\n", i, seed, x, x % 1000);
    }
    tu_write_file(path, b.data, b.len);
    pmp_buf_free(&b);
}

static void test_multi_frame_stream_member(void **state)
{
    (void)state;
    make_text(tu_tmp("a.txt"), 1);
    make_text(tu_tmp("b.txt"), 2);
    /* Concatenations: zstd frames (+ a skippable frame), bzip2 streams, gzip members. */
    assert_int_equal(0, tu_sh("cd '%s' && zstd -q -f a.txt -o a.zst && zstd -q -f --long=31 b.txt -o b.zst"
                             " && printf 'P*M\\030\\004\\000\\000\\000abcd' > skip.bin"
                             " && cat skip.bin a.zst b.zst > multi.zst"
                             " && bzip2 -kf a.txt b.txt && cat a.txt.bz2 b.txt.bz2 > multi.bz2"
                             " && gzip -kf a.txt b.txt && cat a.txt.gz b.txt.gz > multi.gz"
                             " && cat a.txt b.txt > multi.txt"
                             " && : > empty.txt && gzip -c empty.txt > empty.gz", tu_tmpdir()));
    const char *names[] = {"multi.zst", "multi.bz2", "multi.gz", "multi.txt", "empty.txt", "empty.gz"};
    for (size_t i = 0; i < 6; i++) assert_decodes_like_reference(tu_tmp(names[i]));

    size_t expect_len, got_len;
    char *expect = tu_read_file(tu_tmp("multi.txt"), &expect_len);
    pmp_err err;
    int rc;
    for (size_t i = 0; i < 3; i++) {
        char *got = decode_all(tu_tmp(names[i]), 65536, &got_len, &err, &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(got_len, expect_len);
        assert_memory_equal(got, expect, expect_len);
        free(got);
    }
    free(expect);
}

static void expect_failure_with_offset(const char *path, const char *what)
{
    size_t len;
    pmp_err err = {0};
    int rc;
    char *got = decode_all(path, 65536, &len, &err, &rc);
    if (rc == 0) fail_msg("%s (%s) decoded without an error", path, what);
    free(got);
    if (!strstr(err.msg, "offset") || !strstr(err.msg, path))
        fail_msg("%s: message lacks the file or offset: %s", what, err.msg);
}

static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    make_text(tu_tmp("c.txt"), 3);
    assert_int_equal(0, tu_sh("cd '%s' && zstd -q -f c.txt -o c.zst && bzip2 -kf c.txt && gzip -kf c.txt",
                             tu_tmpdir()));
    const char *names[] = {"c.zst", "c.txt.bz2", "c.txt.gz"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *data = tu_read_file(tu_tmp(names[i]), &len);
        /* Truncation at many points, including inside the header and the trailer. */
        size_t cuts[] = {len / 7, len / 3, len / 2, len - 9, len - 1, 5};
        for (size_t k = 0; k < 6; k++) {
            tu_write_file(tu_tmp("cut"), data, cuts[k]);
            expect_failure_with_offset(tu_tmp("cut"), "truncated");
        }
        /* Single byte flips inside the compressed payload. */
        for (int k = 1; k <= 8; k++) {
            size_t at = 32 + (len - 64) * (size_t)k / 9;
            data[at] ^= 0x5A;
            tu_write_file(tu_tmp("flip"), data, len);
            expect_failure_with_offset(tu_tmp("flip"), "bit flip");
            data[at] ^= 0x5A;
        }
        free(data);
    }
}

static void test_truncated_shared_pushshift(void **state)
{
    (void)state;
    if (!tu_have_shared()) skip();
    size_t len;
    char *data = tu_read_file(tu_shared("reddit/RC_2005-12.zst"), &len);
    assert_non_null(data);
    tu_write_file(tu_tmp("rc.zst"), data, len / 2);
    expect_failure_with_offset(tu_tmp("rc.zst"), "truncated pushshift month");
    free(data);
}

static void test_lines_match_reference(void **state)
{
    (void)state;
    make_text(tu_tmp("d.txt"), 4);
    /* No final newline, a CR, an empty line and a NUL inside a line. */
    assert_int_equal(0, tu_sh("cd '%s' && printf 'x\\r\\n\\nnul\\000here\\nlast' >> d.txt && zstd -q -f d.txt -o d.zst",
                             tu_tmpdir()));
    size_t ref_len;
    char *ref = tu_read_file(tu_tmp("d.txt"), &ref_len);
    pmp_input *in;
    pmp_err err;
    assert_int_equal(0, pmp_input_open(&in, tu_tmp("d.zst"), &err));
    assert_int_equal(pmp_input_format(in), PMP_FORMAT_ZSTD);
    const char *line;
    size_t len, pos = 0;
    uint64_t lines = 0;
    int rc;
    while ((rc = pmp_input_line(in, &line, &len, &err)) == 1) {
        lines++;
        assert_true(pos + len <= ref_len);
        assert_memory_equal(line, ref + pos, len);
        pos += len;
        if (pos < ref_len) {
            assert_int_equal(ref[pos], '\n');
            pos++;
        }
        assert_int_equal(pmp_input_line_number(in), lines);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(pos, ref_len);
    assert_int_equal(lines, 120000 + 4);   /* x\r, empty, nul..here, last */
    pmp_input_close(in);
    free(ref);
}

static void test_open_errors_and_stdin(void **state)
{
    (void)state;
    pmp_input *in;
    pmp_err err;
    assert_int_equal(-1, pmp_input_open(&in, "/nonexistent/file.zst", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/file.zst"));
    /* "-" reads standard input (here: redirected from a gzip file). */
    make_text(tu_tmp("e.txt"), 5);
    assert_int_equal(0, tu_sh("gzip -kf '%s'", tu_tmp("e.txt")));
    assert_non_null(freopen(tu_tmp("e.txt.gz"), "rb", stdin));
    assert_int_equal(0, pmp_input_open(&in, "-", &err));
    assert_string_equal(pmp_input_name(in), "<stdin>");
    assert_int_equal(pmp_input_format(in), PMP_FORMAT_GZIP);
    size_t expect_len;
    char *expect = tu_read_file(tu_tmp("e.txt"), &expect_len);
    pmp_buf got = PMP_BUF_INIT;
    char buf[10000];
    ssize_t n;
    while ((n = pmp_input_read(in, buf, sizeof buf, &err)) > 0) pmp_buf_append(&got, buf, (size_t)n);
    assert_int_equal(n, 0);
    assert_int_equal(got.len, expect_len);
    assert_memory_equal(got.data, expect, expect_len);
    assert_int_equal(pmp_input_decoded(in), expect_len);
    pmp_input_close(in);
    pmp_buf_free(&got);
    free(expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_files_decode_like_reference_tools),
        cmocka_unit_test(test_multi_frame_stream_member),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_truncated_shared_pushshift),
        cmocka_unit_test(test_lines_match_reference),
        cmocka_unit_test(test_open_errors_and_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_group.c — group records: JSON round trip, validation with file:line
 * errors, --skip-bad counting, the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmp_group.h"
#include "test_util.h"

static void make_group(pmp_group *g)
{
    pmp_group_init(g);
    pmp_group_set(g, "stackexchange", "cooking.stackexchange.com/q/1", "Q?\n\nbody \"x\"", 12);
    pmp_response *r = pmp_group_add_response(g, "10", "answer\0with NUL", 15, 3);
    r->created_utc = 1300000000;
    pmp_group_add_response(g, NULL, "caf\xc3\xa9", 5, -1.5);
    pmp_buf meta = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &meta);
    pmp_jobj_str(&j, "accepted", "10");
    pmp_jobj_num(&j, "question", 1);
    pmp_jobj_raw(&j, "tags", "[\"a\",\"b\"]");
    pmp_jobj_end(&j);
    pmp_group_set_meta(g, pmp_buf_detach(&meta));
}

static void test_round_trip(void **state)
{
    (void)state;
    pmp_group g, h;
    make_group(&g);
    pmp_err err;
    assert_int_equal(pmp_group_validate(&g, &err), 0);
    pmp_buf line = PMP_BUF_INIT;
    pmp_group_to_json(&line, &g);
    assert_int_equal(line.data[line.len - 1], '\n');
    assert_null(memchr(line.data, '\n', line.len - 1));   /* one line */
    pmp_group_init(&h);
    if (pmp_group_parse(&h, line.data, line.len - 1, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(h.source, g.source);
    assert_string_equal(h.id, g.id);
    assert_int_equal(h.context_len, g.context_len);
    assert_memory_equal(h.context, g.context, g.context_len);
    assert_int_equal(h.n_responses, 2);
    assert_int_equal(h.responses[0].text_len, 15);
    assert_memory_equal(h.responses[0].text, "answer\0with NUL", 15);
    assert_string_equal(h.responses[0].id, "10");
    assert_true(h.responses[0].created_utc == 1300000000);
    assert_null(h.responses[1].id);
    assert_true(isnan(h.responses[1].created_utc));
    assert_true(h.responses[1].score == -1.5);
    assert_string_equal(h.meta_json, "{\"accepted\":\"10\",\"question\":1,\"tags\":[\"a\",\"b\"]}");
    /* Serialising the parsed group gives the same bytes. */
    pmp_buf again = PMP_BUF_INIT;
    pmp_group_to_json(&again, &h);
    assert_int_equal(again.len, line.len);
    assert_memory_equal(again.data, line.data, line.len);
    pmp_buf_free(&line);
    pmp_buf_free(&again);
    pmp_group_clear(&g);
    pmp_group_clear(&h);
}

static void expect_parse_error(const char *json, const char *needle)
{
    pmp_group g;
    pmp_group_init(&g);
    pmp_err err = {0};
    if (pmp_group_parse(&g, json, strlen(json), &err) == 0) fail_msg("accepted: %s", json);
    if (!strcasestr(err.msg, needle)) fail_msg("for %s: expected '%s' in '%s'", json, needle, err.msg);
    pmp_group_clear(&g);
}

static void test_validation(void **state)
{
    (void)state;
    const char *R2 = "[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":0}]";
    char buf[512];
    expect_parse_error("{\"id\":\"x\",\"context\":\"c\",\"responses\":[]}", "\"source\"");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"context\":\"c\",\"responses\":%s}", R2);
    expect_parse_error(buf, "\"id\"");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"responses\":%s}", R2);
    expect_parse_error(buf, "\"context\"");
    expect_parse_error("{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1}]}",
                       "at least 2 responses");
    expect_parse_error("{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":NaN}]}",
                       "finite");
    expect_parse_error("{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":1e999}]}",
                       "finite");
    expect_parse_error("{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":\"2\"}]}",
                       "score");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"context\":\"bad \xff\",\"responses\":%s}", R2);
    expect_parse_error(buf, "UTF-8");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":%s,\"meta\":3}", R2);
    expect_parse_error(buf, "meta");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":%s} x", R2);
    expect_parse_error(buf, "invalid JSON at byte 98");   /* trailing text after the object */
    expect_parse_error("{\"source\":\"s\",\"id\":\"x\",\"context\":", "truncated");
    /* A lone surrogate escape is not valid text. */
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"context\":\"\\ud800\",\"responses\":%s}", R2);
    pmp_group g;
    pmp_group_init(&g);
    pmp_err err;
    int rc = pmp_group_parse(&g, buf, strlen(buf), &err);
    /* json-c replaces a lone surrogate with U+FFFD; either way the stored text is valid UTF-8. */
    if (rc == 0) assert_int_equal(pmp_utf8_check(g.context, g.context_len), g.context_len);
    pmp_group_clear(&g);
}

static void test_reader_errors_and_skip_bad(void **state)
{
    (void)state;
    const char *good = "{\"source\":\"s\",\"id\":\"g%d\",\"context\":\"c\",\"responses\":[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":0}]}\n";
    pmp_buf file = PMP_BUF_INIT;
    pmp_buf_printf(&file, good, 1);
    pmp_buf_appends(&file, "\n");                          /* blank line: ignored */
    pmp_buf_printf(&file, good, 2);
    pmp_buf_appends(&file, "{\"source\":\"s\"}\n");         /* line 4: bad */
    pmp_buf_printf(&file, good, 3);
    tu_write_file(tu_tmp("g.jsonl"), file.data, file.len);
    assert_int_equal(0, tu_sh("gzip -kf '%s'", tu_tmp("g.jsonl")));

    pmp_group g;
    pmp_group_init(&g);
    pmp_err err;
    pmp_group_reader *r;
    assert_int_equal(pmp_group_reader_open(&r, tu_tmp("g.jsonl.gz"), 0, &err), 0);
    assert_int_equal(pmp_group_reader_next(r, &g, &err), 1);
    assert_string_equal(g.id, "g1");
    assert_int_equal(pmp_group_reader_next(r, &g, &err), 1);
    assert_string_equal(g.id, "g2");
    assert_int_equal(pmp_group_reader_next(r, &g, &err), -1);
    char expect[4200];
    snprintf(expect, sizeof expect, "%s:4: ", tu_tmp("g.jsonl.gz"));
    if (strncmp(err.msg, expect, strlen(expect)) != 0) fail_msg("error lacks file:line: %s", err.msg);
    pmp_group_reader_close(r);

    assert_int_equal(pmp_group_reader_open(&r, tu_tmp("g.jsonl"), 1, &err), 0);
    int n = 0;
    while (pmp_group_reader_next(r, &g, &err) == 1) n++;
    assert_int_equal(n, 3);
    assert_int_equal(pmp_group_reader_skipped(r), 1);
    assert_non_null(strstr(pmp_group_reader_last_skip(r), ":4: "));
    pmp_group_reader_close(r);
    pmp_group_clear(&g);
    pmp_buf_free(&file);
}

static void test_writer(void **state)
{
    (void)state;
    pmp_group g;
    make_group(&g);
    pmp_group_writer *w;
    pmp_err err;
    assert_int_equal(pmp_group_writer_open(&w, tu_tmp("out.jsonl"), &err), 0);
    for (int i = 0; i < 5000; i++) assert_int_equal(pmp_group_writer_write(w, &g, &err), 0);
    /* An invalid group is refused and nothing of it is written. */
    pmp_group bad;
    pmp_group_init(&bad);
    pmp_group_set(&bad, "s", "bad", "c", 1);
    pmp_group_add_response(&bad, NULL, "only one", 8, 1);
    assert_int_equal(pmp_group_writer_write(w, &bad, &err), -1);
    assert_non_null(strstr(err.msg, "group bad"));
    assert_int_equal(pmp_group_writer_count(w), 5000);
    assert_int_equal(pmp_group_writer_close(w, &err), 0);
    size_t len;
    char *data = tu_read_file(tu_tmp("out.jsonl"), &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    assert_int_equal(lines, 5000);
    free(data);
    /* A full disk is an error, not a silent loss. */
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(pmp_group_writer_open(&w, "/dev/full", &err), 0);
        int rc = 0;
        for (int i = 0; i < 100000 && rc == 0; i++) rc = pmp_group_writer_write(w, &g, &err);
        if (rc == 0) rc = pmp_group_writer_close(w, &err);
        else pmp_group_writer_close(w, NULL);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, "No space left"));
    }
    pmp_group_clear(&bad);
    pmp_group_clear(&g);
}

/* split_key: written after "id", read back, and read by Python's json module (an
 * independent reader) as the same string; an empty key is refused on write and read;
 * a line without one reads with NULL and writes without one. */
static void test_split_key(void **state)
{
    (void)state;
    /* quote, backslash, control byte, 2- and 4-byte UTF-8 */
    static const char key[] = "reddit/t3_\"q\\\x01" "caf\xc3\xa9 \xf0\x9f\x98\x80";
    pmp_group g, h;
    make_group(&g);
    pmp_group_set_split_key(&g, key, sizeof key - 1);
    pmp_err err;
    assert_int_equal(pmp_group_validate(&g, &err), 0);
    pmp_buf line = PMP_BUF_INIT;
    pmp_group_to_json(&line, &g);
    const char *at = strstr(line.data, "\"split_key\":");
    assert_non_null(at);
    assert_true(strstr(line.data, "\"id\":") < at && at < strstr(line.data, "\"context\":"));
    pmp_group_init(&h);
    if (pmp_group_parse(&h, line.data, line.len - 1, &err) != 0) fail_msg("%s", err.msg);
    assert_string_equal(h.split_key, key);
    assert_string_equal(pmp_group_split_key(&h), key);
    tu_write_file(tu_tmp("key.jsonl"), line.data, line.len);
    assert_int_equal(0, tu_sh("/usr/bin/python3 -c 'import json,sys; g=json.loads(open(sys.argv[1], "
                              "encoding=\"utf-8\").read()); open(sys.argv[2], \"wb\").write("
                              "g[\"split_key\"].encode(\"utf-8\"))' '%s' '%s'",
                              tu_tmp("key.jsonl"), tu_tmp("key.bin")));
    size_t n;
    char *py = tu_read_file(tu_tmp("key.bin"), &n);
    assert_int_equal(n, sizeof key - 1);
    assert_memory_equal(py, key, n);
    free(py);

    /* invalid: empty, not UTF-8 (on write); empty, not a string (on read) */
    pmp_group_set_split_key(&g, "", 0);
    assert_int_equal(pmp_group_validate(&g, &err), -1);
    assert_non_null(strstr(err.msg, "split_key"));
    pmp_group_set_split_key(&g, "k\xff", 2);
    assert_int_equal(pmp_group_validate(&g, &err), -1);
    assert_non_null(strstr(err.msg, "split_key"));
    const char *R2 = "[{\"text\":\"a\",\"score\":1},{\"text\":\"b\",\"score\":0}]";
    char buf[256];
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"split_key\":\"\",\"context\":\"c\",\"responses\":%s}", R2);
    expect_parse_error(buf, "empty \"split_key\"");
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"split_key\":3,\"context\":\"c\",\"responses\":%s}", R2);
    expect_parse_error(buf, "\"split_key\" must be a string");

    /* absent: NULL, the id stands in, and nothing is written */
    snprintf(buf, sizeof buf, "{\"source\":\"s\",\"id\":\"x\",\"context\":\"c\",\"responses\":%s}", R2);
    assert_int_equal(pmp_group_parse(&h, buf, strlen(buf), &err), 0);
    assert_null(h.split_key);
    assert_string_equal(pmp_group_split_key(&h), "x");
    pmp_buf_clear(&line);
    pmp_group_to_json(&line, &h);
    assert_null(strstr(line.data, "split_key"));
    pmp_buf_free(&line);
    pmp_group_clear(&g);
    pmp_group_clear(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_reader_errors_and_skip_bad),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_split_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

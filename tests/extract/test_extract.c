/* test_extract.c — the extractor interface (pmp_extract.h): every source in the
 * table keeps the contract (usage, options, bad flags are usage errors, the
 * "groups" stat counts the lines written), and a source defined here, outside the
 * table, runs through the same driver: adding a source needs nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmp_extract.h"
#include "test_util.h"

static size_t count_lines(const char *path)
{
    size_t len, n = 0;
    char *s = tu_read_file(path, &len);
    for (size_t i = 0; i < len; i++) n += s[i] == '\n';
    free(s);
    return n;
}

static const pmp_extract_stat *find_stat(const pmp_extract_report *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->stat[i].key, key)) return &r->stat[i];
    return NULL;
}

static void test_table_contract(void **state)
{
    (void)state;
    size_t n;
    const pmp_source *const *all = pmp_extract_sources(&n);
    assert_true(n >= 4);
    for (size_t i = 0; i < n; i++) {
        const pmp_source *s = all[i];
        assert_non_null(s->name);
        assert_ptr_equal(pmp_extract_find(s->name), s);
        char head[64];
        snprintf(head, sizeof head, "Usage: pmp-extract %s ", s->name);
        assert_memory_equal(s->usage, head, strlen(head));
        assert_non_null(strstr(s->usage, "Example"));
        assert_true(s->summary && *s->summary);
        for (const struct option *o = s->options; o && o->name; o++) {
            assert_true(o->val >= PMP_OPT_FIRST_FREE);   /* never shadows -h, -q, --json */
            assert_string_not_equal(o->name, "help");
            assert_string_not_equal(o->name, "json");
        }
        void *st = calloc(1, s->state_size);
        s->init(st);
        pmp_err err = {0};
        assert_int_equal(s->set(st, PMP_OPT_FIRST_FREE + 999, "x", &err), -1);
        assert_int_equal(err.code, PMP_E_USAGE);
        if (s->free) s->free(st);
        free(st);
    }
    assert_null(pmp_extract_find("bogus"));
}

static void progress(void *ctx, uint64_t in_bytes, uint64_t items, const char *unit)
{
    pmp_cli_progress(ctx, in_bytes, items, unit);
}

/* Each source on its sample in samples/: the writer's lines are its "groups". */
static void test_sources_on_samples(void **state)
{
    (void)state;
    static const struct { const char *source, *sample; } cases[] = {
        {"hh", "samples/hh/sample.jsonl.gz"},
        {"reddit", "samples/reddit/RC_sample.ndjson.zst"},
        {"stackexchange", "samples/stackexchange/cooking.example.com/Posts.xml"},
        {"wikipedia", "samples/wikipedia/history.xml"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pmp_source *s = pmp_extract_find(cases[i].source);
        assert_non_null(s);
        void *st = calloc(1, s->state_size);
        s->init(st);
        char path[4096], out[4096];
        snprintf(path, sizeof path, "%s/%s", PMP_SOURCE_DIR, cases[i].sample);
        snprintf(out, sizeof out, "%s", tu_tmp(cases[i].source));
        pmp_err err = {0};
        pmp_group_writer *w;
        assert_int_equal(pmp_group_writer_open(&w, out, &err), 0);
        pmp_cli cli;
        pmp_cli_init(&cli, "test", "");
        cli.progress = 0;
        pmp_extract_sink sink = {w, progress, &cli};
        char *args[] = {path};
        const char *const *in = (const char *const *)args;
        size_t n_in = 1;
        if (s->inputs) {
            n_in = 0;
            assert_int_equal(s->inputs(st, 1, args, &in, &n_in, &err), 0);
        }
        int rc = s->run(st, in, n_in, &sink, &err);
        if (rc) fail_msg("%s: %s", cases[i].source, err.msg);
        assert_int_equal(pmp_group_writer_close(w, &err), 0);
        pmp_extract_report rep = {0};
        s->report(st, path, 1.0, &rep);
        const pmp_extract_stat *g = find_stat(&rep, "groups");
        assert_non_null(g);
        size_t lines = count_lines(out);
        assert_true(lines > 0);
        assert_int_equal((size_t)g->num, lines);
        if (s->free) s->free(st);
        free(st);
    }
}

/* ---- a fifth source, defined only here ---- */
typedef struct count_state {
    long long count;
    int fail_after;   /* --fail: an input error after the groups */
} count_state;

enum { OPT_COUNT = PMP_OPT_FIRST_FREE, OPT_FAIL };
static const struct option count_options[] = {
    {"count", required_argument, NULL, OPT_COUNT},
    {"fail", no_argument, NULL, OPT_FAIL},
    {NULL, 0, NULL, 0},
};
static void count_init(void *state) { ((count_state *)state)->count = 3; }
static int count_set(void *state, int id, const char *arg, pmp_err *err)
{
    count_state *s = state;
    if (id == OPT_FAIL) { s->fail_after = 1; return 0; }
    if (id == OPT_COUNT && pmp_parse_int(arg, 0, 1000, &s->count) == 0) return 0;
    return pmp_err_setc(err, PMP_E_USAGE, "--count wants 0..1000, not '%s'", arg);
}
static int count_run(void *state, const char *const *paths, size_t n, const pmp_extract_sink *sink,
                     pmp_err *err)
{
    const char *path = paths[n - 1];
    count_state *s = state;
    for (long long i = 0; i < s->count; i++) {
        pmp_group g;
        pmp_group_init(&g);
        char id[32];
        snprintf(id, sizeof id, "c/%lld", i);
        pmp_group_set(&g, "count", id, "ctx", 3);
        pmp_group_add_response(&g, "a", "yes", 3, 1);
        pmp_group_add_response(&g, "b", "no", 2, 0);
        int rc = pmp_group_writer_write(sink->writer, &g, err);
        pmp_group_clear(&g);
        if (rc) return rc;
        sink->progress(sink->ctx, (uint64_t)i, (uint64_t)i, "groups");
    }
    if (s->fail_after) return pmp_err_setc(err, PMP_E_INPUT, "%s: line 9: bad", path);
    return 0;
}
static void count_report(const void *state, const char *path, double seconds,
                         pmp_extract_report *r)
{
    (void)seconds;
    pmp_extract_report_str(r, "input", path);
    pmp_extract_report_num(r, "groups", (double)((const count_state *)state)->count);
}
static const pmp_source count_source = {
    .name = "count",
    .summary = "test source",
    .usage = "Usage: pmp-extract count [--count N] [FILE|-]\nExample:\n  pmp-extract count\n",
    .options = count_options,
    .state_size = sizeof(count_state),
    .init = count_init,
    .set = count_set,
    .run = count_run,
    .report = count_report,
};

/* Runs the driver in a child with stdout and stderr in files; returns the exit code. */
static int drive(const char *out, const char *errf, int argc, char **argv)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(errf, "w", stderr)) _exit(99);
        int rc = pmp_extract_main(&count_source, argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_fifth_source(void **state)
{
    (void)state;
    const char *out = tu_tmp("count.jsonl"), *errf = tu_tmp("count.err");
    char *ok[] = {"count", "--count", "5", "--json", "in.txt", NULL};
    assert_int_equal(drive(out, errf, 5, ok), 0);
    assert_int_equal(count_lines(out), 5);
    char *err = tu_read_file(errf, NULL);
    if (!strstr(err, "\"input\":\"in.txt\"")) fail_msg("stderr: %s", err);
    assert_non_null(strstr(err, "\"groups\":5"));
    free(err);

    char *bad[] = {"count", "--count", "x", NULL};
    assert_int_equal(drive(out, errf, 3, bad), PMP_EXIT_USAGE);
    err = tu_read_file(errf, NULL);
    assert_non_null(strstr(err, "pmp-extract count: --count wants 0..1000, not 'x'"));
    free(err);

    /* several inputs reach the source in order; standard input only once */
    char *two[] = {"count", "--json", "a", "b", NULL};
    assert_int_equal(drive(out, errf, 4, two), 0);
    err = tu_read_file(errf, NULL);
    if (!strstr(err, "\"input\":\"a + b\"")) fail_msg("stderr: %s", err);
    free(err);
    char *stdin2[] = {"count", "-", "-", NULL};
    assert_int_equal(drive(out, errf, 3, stdin2), PMP_EXIT_USAGE);

    /* a failure after 4 groups: exit 1, the error names file and line, and the
     * groups written before it are whole lines */
    char *fail[] = {"count", "--count", "4", "--fail", "dump.xml", NULL};
    assert_int_equal(drive(out, errf, 5, fail), PMP_EXIT_FAIL);
    /* ... and a last line saying the output is not to be trusted (docs/records.md) */
    assert_int_equal(count_lines(out), 5);
    char *written = tu_read_file(out, NULL);
    char *last = strstr(written, "{\"pmp_error\":\"");
    assert_non_null(last);
    assert_non_null(strstr(last, "dump.xml: line 9: bad"));
    assert_int_equal(strchr(last, '\n')[1], 0);
    free(written);
    err = tu_read_file(errf, NULL);
    assert_non_null(strstr(err, "dump.xml: line 9: bad"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_contract),
        cmocka_unit_test(test_sources_on_samples),
        cmocka_unit_test(test_fifth_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

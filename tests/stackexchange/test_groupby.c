/* test_groupby.c — the external group-by against a plain in-memory stable sort:
 * random records under budgets from "everything fits" down to one record per
 * run (hundreds of runs, so the multi-pass merge runs too), equal keys in
 * insertion order, run files never visible and all closed, and clear errors
 * for a bad temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zstd.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmp_groupby.h"
#include "test_util.h"

typedef struct rec {
    unsigned char key[24];
    size_t klen;
    char *val;
    size_t vlen;
    size_t seq;
} rec;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Keys from a small space (many duplicates), of lengths 0..20 sharing prefixes,
 * so that both the 8-byte prefix shortcut and the full comparison are used. */
static rec *make_records(size_t n, uint64_t seed)
{
    rng_state = seed;
    rec *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        uint64_t kind = rnd() % 4;
        if (kind == 0) {
            pmp_groupby_key_u64(r[i].key, rnd() % 50);
            r[i].klen = 8;
        } else {
            r[i].klen = rnd() % 21;
            for (size_t j = 0; j < r[i].klen; j++) r[i].key[j] = (unsigned char)("ab\0"[rnd() % 3]);
        }
        r[i].vlen = rnd() % 300;
        r[i].val = malloc(r[i].vlen + 32);
        int m = snprintf(r[i].val, 32, "#%zu:", i);
        for (size_t j = (size_t)m; j < r[i].vlen; j++) r[i].val[j] = (char)('a' + rnd() % 26);
        if (r[i].vlen < (size_t)m) r[i].vlen = (size_t)m;
        r[i].seq = i;
    }
    return r;
}

static int ref_cmp(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    size_t m = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, m);
    if (c) return c;
    if (a->klen != b->klen) return a->klen < b->klen ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Runs the group-by over recs (runs compressed at zlevel, 0: plain) and checks
 * the output against sorted. */
static uint64_t check_budget_z(rec *recs, const rec *sorted, size_t n, uint64_t budget, int zlevel)
{
    const char *dir = tu_tmpdir();
    int fds = count_fds();
    pmp_groupby *g;
    pmp_err err;
    assert_int_equal(pmp_groupby_open(&g, budget, dir, &err), 0);
    assert_int_equal(pmp_groupby_compress_runs(g, zlevel, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pmp_groupby_add(g, recs[i].key, recs[i].klen, recs[i].val,
                                         recs[i].vlen, &err), 0);
    assert_int_equal(pmp_groupby_finish(g, &err), 0);
    /* Run files are unlinked at creation: never visible in the directory. */
    assert_int_equal(count_entries(dir), 0);
    const void *k, *v;
    size_t kl, vl, i = 0;
    int rc;
    while ((rc = pmp_groupby_next(g, &k, &kl, &v, &vl, &err)) == 1) {
        assert_true(i < n);
        assert_int_equal(kl, sorted[i].klen);
        assert_memory_equal(k, sorted[i].key, kl);
        assert_int_equal(vl, sorted[i].vlen);
        assert_memory_equal(v, sorted[i].val, vl);
        i++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(i, n);
    assert_int_equal(pmp_groupby_next(g, &k, &kl, &v, &vl, &err), 0);
    uint64_t runs = pmp_groupby_runs(g);
    pmp_groupby_close(g);
    assert_int_equal(count_fds(), fds);
    assert_int_equal(count_entries(dir), 0);
    return runs;
}

static uint64_t check_budget(rec *recs, const rec *sorted, size_t n, uint64_t budget)
{
    return check_budget_z(recs, sorted, n, budget, 0);
}

static void test_random_budgets(void **state)
{
    (void)state;
    size_t n = 6000;
    rec *recs = make_records(n, 0x9e3779b97f4a7c15ULL);
    rec *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, recs, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, ref_cmp);

    assert_int_equal(check_budget(recs, sorted, n, 1ULL << 30), 0);
    uint64_t r64k = check_budget(recs, sorted, n, 64 << 10);
    assert_true(r64k >= 10);
    uint64_t r4k = check_budget(recs, sorted, n, 4 << 10);
    assert_true(r4k > 64);   /* more than one merge fan-in: multi-pass merge */
    /* Compressed runs (pmp_groupby_compress_runs): the same output, the same runs. */
    assert_int_equal(check_budget_z(recs, sorted, n, 64 << 10, 1), r64k);
    assert_int_equal(check_budget_z(recs, sorted, n, 4 << 10, 3), r4k);
    /* Smaller than any record: one record per run. On a prefix of the input
     * (file creation dominates the time here). */
    size_t n1 = 1500;
    rec *sorted1 = malloc(n1 * sizeof *sorted1);
    memcpy(sorted1, recs, n1 * sizeof *sorted1);
    qsort(sorted1, n1, sizeof *sorted1, ref_cmp);
    uint64_t r1 = check_budget(recs, sorted1, n1, 1);
    assert_true(r1 >= n1);
    free(sorted1);

    for (size_t i = 0; i < n; i++) free(recs[i].val);
    free(recs);
    free(sorted);
}

/* One record per run, thousands of runs: the descriptors held never exceed the
 * group-by's share of RLIMIT_NOFILE, here lowered to 40 (the runs are merged
 * while adding), and the output is still in order. */
static void test_fd_limit(void **state)
{
    (void)state;
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 40;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    size_t n = 3000;
    rec *recs = make_records(n, 42);
    rec *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, recs, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, ref_cmp);
    int fds = count_fds();
    pmp_groupby *g;
    pmp_err err;
    assert_int_equal(pmp_groupby_open(&g, 1, tu_tmpdir(), &err), 0);
    size_t max_open = pmp_groupby_max_open(g);
    assert_true(max_open >= 4 && max_open < 40);
    int most = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pmp_groupby_add(g, recs[i].key, recs[i].klen, recs[i].val,
                                         recs[i].vlen, &err), 0);
        int held = count_fds() - fds;
        if (held > most) most = held;
    }
    assert_true(most >= 2 && (size_t)most <= max_open);
    assert_int_equal(pmp_groupby_finish(g, &err), 0);
    assert_true(pmp_groupby_runs(g) >= n);
    assert_true(pmp_groupby_spill_bytes(g) > pmp_groupby_spill_peak(g));
    const void *k, *v;
    size_t kl, vl, i = 0;
    while (pmp_groupby_next(g, &k, &kl, &v, &vl, &err) == 1) {
        assert_int_equal(kl, sorted[i].klen);
        assert_memory_equal(k, sorted[i].key, kl);
        assert_int_equal(vl, sorted[i].vlen);
        assert_memory_equal(v, sorted[i].val, vl);
        i++;
    }
    assert_int_equal(i, n);
    pmp_groupby_close(g);
    assert_int_equal(count_fds(), fds);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    for (size_t j = 0; j < n; j++) free(recs[j].val);
    free(recs);
    free(sorted);
}

static void test_equal_keys_stable(void **state)
{
    (void)state;
    for (uint64_t budget = 1; budget <= (1u << 20); budget *= 32) {
        pmp_groupby *g;
        pmp_err err;
        assert_int_equal(pmp_groupby_open(&g, budget, tu_tmpdir(), &err), 0);
        unsigned char k[8];
        char v[32];
        /* Keys 2,1,0,2,1,0,...: each key's values must come back 0,1,2,... */
        for (int i = 0; i < 300; i++) {
            pmp_groupby_key_u64(k, (uint64_t)(2 - i % 3) << 40);
            int m = snprintf(v, sizeof v, "%d", i / 3);
            assert_int_equal(pmp_groupby_add(g, k, 8, v, (size_t)m, &err), 0);
        }
        assert_int_equal(pmp_groupby_finish(g, &err), 0);
        const void *kp, *vp;
        size_t kl, vl;
        for (int key = 0; key < 3; key++)
            for (int i = 0; i < 100; i++) {
                assert_int_equal(pmp_groupby_next(g, &kp, &kl, &vp, &vl, &err), 1);
                pmp_groupby_key_u64(k, (uint64_t)key << 40);
                assert_memory_equal(kp, k, 8);
                snprintf(v, sizeof v, "%d", i);
                assert_int_equal(vl, strlen(v));
                assert_memory_equal(vp, v, vl);
            }
        assert_int_equal(pmp_groupby_next(g, &kp, &kl, &vp, &vl, &err), 0);
        pmp_groupby_close(g);
    }
}

static void test_key_u64_order(void **state)
{
    (void)state;
    uint64_t vals[] = {0, 1, 255, 256, 65535, 1ULL << 32, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i + 1 < sizeof vals / sizeof vals[0]; i++) {
        unsigned char a[8], b[8];
        pmp_groupby_key_u64(a, vals[i]);
        pmp_groupby_key_u64(b, vals[i + 1]);
        assert_true(memcmp(a, b, 8) < 0);
    }
}

static void test_empty(void **state)
{
    (void)state;
    pmp_groupby *g;
    pmp_err err;
    assert_int_equal(pmp_groupby_open(&g, 100, tu_tmpdir(), &err), 0);
    assert_int_equal(pmp_groupby_finish(g, &err), 0);
    const void *k, *v;
    size_t kl, vl;
    assert_int_equal(pmp_groupby_next(g, &k, &kl, &v, &vl, &err), 0);
    pmp_groupby_close(g);
}

static void test_bad_tmpdir(void **state)
{
    (void)state;
    pmp_groupby *g;
    pmp_err err;
    /* A directory that does not exist fails at open, naming it. */
    assert_int_equal(pmp_groupby_open(&g, 100, "/nonexistent/pmp-groupby-test", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/pmp-groupby-test"));
    /* A plain file is not a directory. */
    const char *file = tu_tmp("plainfile");
    tu_write_file(file, "x", 1);
    assert_int_equal(pmp_groupby_open(&g, 100, file, &err), -1);
    assert_non_null(strstr(err.msg, "plainfile"));
    /* A directory that goes away (or becomes unwritable: as root, permissions do
     * not stop us, a removed directory does) fails at the first spill. */
    const char *dir = tu_tmp("vanishing");
    assert_int_equal(tu_sh("mkdir -p '%s'", dir), 0);
    assert_int_equal(pmp_groupby_open(&g, 64, dir, &err), 0);
    assert_int_equal(tu_sh("rmdir '%s'", dir), 0);
    char v[40] = {0};
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++) rc = pmp_groupby_add(g, "key", 3, v, sizeof v, &err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "vanishing"));
    pmp_groupby_close(g);
}

/* A run file whose record length is corrupt (0xFFFFFFFF in a file of a few
 * bytes) is an error naming the run file, found at the read: it used to
 * reserve 4 GiB for the key first and abort as out of memory (found by
 * tests/fuzz/fuzz_groupby_runs). The child process checks it with its address
 * space limited to 1 GiB more than it uses (not under ASan, whose shadow memory
 * needs far more address space). */
#if defined(__SANITIZE_ADDRESS__)
#define PMP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PMP_TEST_ASAN 1
#endif
#endif

static int corrupt_run_child(const char *dir, int zlevel)
{
#ifndef PMP_TEST_ASAN
    long pages = 0;
    FILE *sf = fopen("/proc/self/statm", "r");
    if (!sf || fscanf(sf, "%ld", &pages) != 1) return 10;
    fclose(sf);
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1ULL << 30);
    if (setrlimit(RLIMIT_AS, &rl) != 0) return 11;
#endif
    pmp_groupby *g;
    pmp_err err;
    if (pmp_groupby_open(&g, 64, dir, &err) != 0 || pmp_groupby_compress_runs(g, zlevel, &err) != 0)
        return 12;
    char v[40] = {0};
    for (int i = 0; i < 3; i++)
        if (pmp_groupby_add(g, "key", 3, v, sizeof v, &err) != 0) return 13;
    if (pmp_groupby_runs(g) < 1) return 14;
    /* the first spilled run: an unlinked pmp-groupby-* file under dir */
    int fd = -1;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && fd < 0 && (e = readdir(d))) {
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (strstr(target, dir) && strstr(target, "pmp-groupby-")) fd = atoi(e->d_name);
    }
    if (d) closedir(d);
    if (fd < 0) return 15;
    /* compressed runs: the bad length inside a well-formed zstd frame, so that
     * the record reader (not the decoder) meets it */
    static const unsigned char bad[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
    unsigned char frame[64];
    const unsigned char *put = bad;
    size_t fl = sizeof bad;
    if (zlevel) {
        fl = ZSTD_compress(frame, sizeof frame, bad, sizeof bad, zlevel);
        if (ZSTD_isError(fl)) return 18;
        put = frame;
    }
    if (pwrite(fd, put, fl, 0) != (ssize_t)fl || ftruncate(fd, (off_t)fl) != 0) return 16;
    int rc = pmp_groupby_finish(g, &err);
    const void *k, *val;
    size_t kl, vl;
    if (rc == 0)
        while ((rc = pmp_groupby_next(g, &k, &kl, &val, &vl, &err)) == 1) {}
    pmp_groupby_close(g);
    if (rc != -1 || !strstr(err.msg, "run file truncated")) return 17;
    return 0;
}

static void test_corrupt_run(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    for (int zlevel = 0; zlevel <= 1; zlevel++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) _exit(corrupt_run_child(dir, zlevel));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status)) fail_msg("child killed by signal %d", WTERMSIG(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_budgets),
        cmocka_unit_test(test_equal_keys_stable),
        cmocka_unit_test(test_fd_limit),
        cmocka_unit_test(test_key_u64_order),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bad_tmpdir),
        cmocka_unit_test(test_corrupt_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

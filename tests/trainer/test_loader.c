/* test_loader.c — the memory-free shuffle: a bijection for every n, different
 * per epoch and seed, and well mixed (no position stays near its place). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static void test_bijection(void **state)
{
    (void)state;
    uint64_t sizes[] = {1, 2, 3, 5, 16, 17, 255, 1000, 4097, 65537};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        unsigned char *seen = calloc(n, 1);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t p = pmp_loader_permute(42, 3, n, i);
            assert_true(p < n);
            assert_int_equal(seen[p], 0);
            seen[p] = 1;
        }
        free(seen);
    }
}

static void test_epochs_and_seeds_differ_and_mix(void **state)
{
    (void)state;
    const uint64_t n = 10000;
    int same_epoch = 0, same_seed = 0;
    double displacement = 0;
    uint64_t fixed = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t a = pmp_loader_permute(1, 0, n, i);
        same_epoch += a == pmp_loader_permute(1, 1, n, i);
        same_seed += a == pmp_loader_permute(2, 0, n, i);
        displacement += a > i ? (double)(a - i) : (double)(i - a);
        fixed += a == i;
        /* A pure function: the same arguments give the same answer. */
        assert_int_equal(a, pmp_loader_permute(1, 0, n, i));
    }
    /* Two independent random permutations agree on about 1 position. */
    assert_true(same_epoch < 10);
    assert_true(same_seed < 10);
    assert_true(fixed < 10);
    /* For a uniform permutation the mean |p(i) - i| is n/3. */
    double mean = displacement / (double)n;
    assert_true(mean > 0.30 * (double)n && mean < 0.37 * (double)n);
    /* Consecutive positions land far apart (no runs of neighbouring pairs). */
    uint64_t close = 0;
    for (uint64_t i = 0; i + 1 < n; i++) {
        uint64_t a = pmp_loader_permute(1, 0, n, i), b = pmp_loader_permute(1, 0, n, i + 1);
        close += (a > b ? a - b : b - a) < 10;
    }
    assert_true(close < 40);   /* ~20 expected by chance */
}

/* --data DIR:WEIGHT mixing (loader.h): over 400 000 positions each source's share is
 * within 4 binomial standard deviations of WEIGHT / sum; each source's draws walk its
 * own epochs (every pair once per epoch); the stream is a pure function of the seed and
 * the position (seek then next = the stream from 0); and weights proportional to the
 * sizes give the union: the permutation of one directory holding all the pairs. */
static void test_mixture(void **state)
{
    (void)state;
    const uint64_t sizes[3] = {56, 90, 1000};
    const double w[3] = {3, 1, 0.5};
    const uint64_t N = 400000;
    pmp_mix *m = pmp_mix_new_sizes(sizes, w, 3, 7);
    assert_true(pmp_mix_weighted(m));
    pmp_mix_seek(m, 0);
    unsigned char *seen[3];
    uint64_t *first = malloc(2000 * sizeof *first);
    size_t *fsrc = malloc(2000 * sizeof *fsrc);
    for (int k = 0; k < 3; k++) seen[k] = calloc(sizes[k], 1);
    for (uint64_t q = 0; q < N; q++) {
        size_t k;
        uint64_t pair, c = pmp_mix_count(m, 0) + pmp_mix_count(m, 1) + pmp_mix_count(m, 2);
        assert_int_equal(c, q);
        pmp_mix_next(m, &k, &pair);
        assert_true(k < 3 && pair < sizes[k]);
        uint64_t drawn = pmp_mix_count(m, k);   /* this draw is number drawn - 1 of source k */
        if ((drawn - 1) % sizes[k] == 0) memset(seen[k], 0, sizes[k]);   /* a new epoch of k */
        assert_int_equal(seen[k][pair], 0);   /* never twice in one epoch of its source */
        seen[k][pair] = 1;
        if (q >= 123000 && q < 125000) first[q - 123000] = pair, fsrc[q - 123000] = k;
    }
    double W = w[0] + w[1] + w[2];
    for (int k = 0; k < 3; k++) {
        double p = w[k] / W, c = (double)pmp_mix_count(m, k);
        double sd = sqrt(N * p * (1 - p));
        fprintf(stderr, "source %d: weight %.1f share %.5f expected %.5f (%.2f sd)\n", k, w[k], c / N, p,
                (c - N * p) / sd);
        assert_true(fabs(c - N * p) <= 4 * sd);
    }
    /* resume at position 123000: the same draws */
    pmp_mix_seek(m, 123000);
    for (uint64_t i = 0; i < 2000; i++) {
        size_t k;
        uint64_t pair;
        pmp_mix_next(m, &k, &pair);
        assert_int_equal(k, fsrc[i]);
        assert_int_equal(pair, first[i]);
    }
    pmp_mix_free(m);
    /* weights = 2 x the sizes: the union, as one directory of 1146 pairs would be shuffled */
    const double ws[3] = {112, 180, 2000};
    m = pmp_mix_new_sizes(sizes, ws, 3, 7);
    assert_false(pmp_mix_weighted(m));
    pmp_mix_seek(m, 1000);
    for (uint64_t q = 1000; q < 5000; q++) {
        size_t k;
        uint64_t pair, u = pmp_loader_permute(7, q / 1146, 1146, q % 1146);
        pmp_mix_next(m, &k, &pair);
        uint64_t off = k == 0 ? 0 : k == 1 ? 56 : 146;
        assert_int_equal(off + pair, u);
    }
    pmp_mix_free(m);
    for (int k = 0; k < 3; k++) free(seen[k]);
    free(first);
    free(fsrc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bijection),
        cmocka_unit_test(test_epochs_and_seeds_differ_and_mix),
        cmocka_unit_test(test_mixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

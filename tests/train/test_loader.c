/* test_loader.c — the memory-free shuffle: a bijection for every n, different
 * per epoch and seed, and well mixed (no position stays near its place). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bijection),
        cmocka_unit_test(test_epochs_and_seeds_differ_and_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

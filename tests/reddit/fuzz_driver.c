/* fuzz_driver.c — runs LLVMFuzzerTestOneInput without libFuzzer (gcc builds):
 * random mutations (byte flips, JSON-ish insertions, deletions, duplications,
 * truncations) of seed lines, from a fixed PRNG seed so a failure reproduces.
 *   fuzz_reddit_ndjson [ITERATIONS=200000] [SEED_FILE.ndjson] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const seeds[] = {
    "{\"id\":\"c13\",\"parent_id\":\"t3_17863\",\"link_id\":\"t3_17863\",\"body\":\"A \\\"q\\\"\\n\","
    "\"score\":2,\"stickied\":false,\"distinguished\":null,\"edited\":false}",
    "{\"id\":\"t1_a2\",\"parent_id\":\"a1\",\"link_id\":\"q1\",\"body\":\"\\ud83d\\ude00 \\u0000\","
    "\"score\":\"-3\",\"created_utc\":\"1500000000.5\",\"all_awardings\":[{\"n\":[1,2.5e-3]}]}",
    "{\"name\":\"t3_q1\",\"title\":\"T \\ud800 &amp;\",\"selftext\":\"caf\xc3\xa9 \xff\",\"score\":12}",
    "{\"a\":[[[{}]]],\"\\u0062ody\":\"esc key\",\"id\":\"zzzzzzzzzzzz\",\"link_id\":\"t3_0\",\"parent_id\":\"t1_0\"}",
    " {\"id\" : \"x\" , \"body\" : \"\\/\\b\\f\\r\\t\" , \"score\" : 1E+2 } \r",
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char interesting[] = "\"\\{}[],:0123456789eE-+.tfnu \x80\xbf\xc3\xed\xf0\xff";

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    size_t n_seeds = sizeof seeds / sizeof seeds[0], cap = 16;
    char **pool = pmp_xmalloc(cap * sizeof *pool);
    size_t *lens = pmp_xmalloc(cap * sizeof *lens), n = 0;
    for (size_t i = 0; i < n_seeds; i++) {
        pool[n] = pmp_xstrdup(seeds[i]);
        lens[n++] = strlen(seeds[i]);
    }
    if (argc > 2) {   /* extra seeds: the first lines of a real dump */
        FILE *f = fopen(argv[2], "rb");
        char *l = NULL;
        size_t lc = 0;
        ssize_t got;
        while (f && n < 200 && (got = getline(&l, &lc, f)) > 0) {
            if (n == cap) {
                cap *= 2;
                pool = pmp_xrealloc(pool, cap * sizeof *pool);
                lens = pmp_xrealloc(lens, cap * sizeof *lens);
            }
            pool[n] = pmp_xstrndup(l, (size_t)got - 1);
            lens[n++] = (size_t)got - 1;
        }
        free(l);
        if (f) fclose(f);
    }
    pmp_buf b = PMP_BUF_INIT;
    for (long it = 0; it < iters; it++) {
        size_t s = next() % n;
        pmp_buf_clear(&b);
        pmp_buf_append(&b, pool[s], lens[s]);
        int muts = 1 + (int)(next() % 4);
        for (int m = 0; m < muts && b.len; m++) {
            size_t at = next() % b.len;
            switch (next() % 6) {
            case 0: b.data[at] ^= (char)(1u << (next() % 8)); break;
            case 1: b.data[at] = interesting[next() % (sizeof interesting - 1)]; break;
            case 2: {   /* insert */
                char c = interesting[next() % (sizeof interesting - 1)];
                pmp_buf_appendc(&b, 0);
                memmove(b.data + at + 1, b.data + at, b.len - at - 1);
                b.data[at] = c;
                break;
            }
            case 3: {   /* delete a range */
                size_t k = 1 + next() % 8;
                if (k > b.len - at) k = b.len - at;
                memmove(b.data + at, b.data + at + k, b.len - at - k);
                b.len -= k;
                break;
            }
            case 4: b.len = at; break;   /* truncate */
            default: {   /* duplicate a range */
                size_t k = 1 + next() % 16;
                if (k > b.len - at) k = b.len - at;
                char tmp[16];
                memcpy(tmp, b.data + at, k);
                pmp_buf_append(&b, tmp, k);
                break;
            }
            }
        }
        LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
    }
    printf("fuzz_reddit_ndjson: %ld mutated lines from %zu seeds, all properties held\n", iters, n);
    for (size_t i = 0; i < n; i++) free(pool[i]);
    free(pool);
    free(lens);
    pmp_buf_free(&b);
    return 0;
}

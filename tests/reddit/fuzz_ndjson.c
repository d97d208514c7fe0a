/* fuzz_ndjson.c — libFuzzer target for the hand-written JSON field extractor and
 * the pushshift line parser on top of it. Properties checked on every input:
 * no crash / out-of-bounds read (the input is an exact-size heap copy), errors are
 * "byte N: ..." with N inside the line, every decoded string is valid UTF-8, every
 * NUMBER field parses, and an item survives the group-by encoding unchanged.
 * Built with -fsanitize=fuzzer under clang; under gcc, fuzz_driver.c feeds it
 * random mutations of seed lines instead. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_ndjson.h"
#include "pmp_reddit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                       \
    do {                                                               \
        if (!(c)) {                                                    \
            fprintf(stderr, "fuzz_ndjson: check failed: %s\n", #c);    \
            abort();                                                   \
        }                                                              \
    } while (0)

static const char *const keys[] = {"id", "body", "score", "parent_id", "link_id", "a", "",
                                   "stickied"};
enum { NK = sizeof keys / sizeof keys[0] };

static void same_str(const char *a, size_t an, const char *b, size_t bn)
{
    CHECK(an == bn && (an == 0 || memcmp(a, b, an) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pmp_ndjson *x;
    static pmp_reddit_parser *rp;
    if (!x) {
        x = pmp_ndjson_new(keys, NK);
        rp = pmp_reddit_parser_new();
    }
    char *line = malloc(size ? size : 1);
    if (size) memcpy(line, data, size);
    pmp_jfield f[NK];
    pmp_err err;
    if (pmp_ndjson_extract(x, line, size, f, &err) == 0) {
        for (int k = 0; k < NK; k++) {
            double d;
            if (f[k].type == PMP_JV_STRING) CHECK(pmp_utf8_check(f[k].s, f[k].len) == f[k].len);
            /* valid JSON numbers parse, unless too long or beyond a double (1e999) */
            if (f[k].type == PMP_JV_NUMBER && pmp_jfield_number(&f[k], &d) != 0) {
                if (f[k].len <= 63) {
                    char tmp[64];
                    memcpy(tmp, f[k].s, f[k].len);
                    tmp[f[k].len] = 0;
                    CHECK(!isfinite(strtod(tmp, NULL)));
                }
            }
        }
    } else {
        unsigned long at;
        CHECK(sscanf(err.msg, "byte %lu:", &at) == 1 && at >= 1 && at <= size + 1);
    }
    for (int sub = 0; sub < 2; sub++) {
        pmp_reddit_item it, back;
        if (pmp_reddit_parse(rp, line, size, sub, &it, &err) != 1) continue;
        CHECK(pmp_utf8_check(it.body, it.body_len) == it.body_len);
        CHECK(pmp_utf8_check(it.subreddit, it.subreddit_len) == it.subreddit_len);
        pmp_buf enc = PMP_BUF_INIT;
        pmp_reddit_item_encode(&enc, &it);
        CHECK(pmp_reddit_item_decode(enc.data, enc.len, &back) == 0);
        CHECK(back.id == it.id && back.link == it.link && back.parent == it.parent);
        CHECK(back.flags == it.flags && back.repaired == it.repaired);
        same_str(back.body, back.body_len, it.body, it.body_len);
        same_str(back.title, back.title_len, it.title, it.title_len);
        same_str(back.subreddit, back.subreddit_len, it.subreddit, it.subreddit_len);
        CHECK(pmp_reddit_item_decode(enc.data, enc.len - 1, &back) == -1);
        pmp_buf_free(&enc);
    }
    free(line);
    return 0;
}

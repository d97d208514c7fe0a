/* test_shard_format.c — the shard writer and reader against a generator that
 * knows what it wrote: every field read back, pair k found through the index
 * for every k (compared with a linear walk of the generated groups), every
 * single-byte flip and every truncation of a small shard rejected. Also the
 * pairing rules against a brute-force restatement of docs/tokenize.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xxhash.h>

#include "pmp_pairing.h"
#include "pmp_shard.h"
#include "test_util.h"

static uint64_t rng;
static uint32_t max_len = 3000;   /* token arrays up to this length */
static uint32_t rnd(uint32_t k)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33) % k;
}

/* Group g of a deterministic sequence: sizes vary widely, some groups have no
 * pairs, some responses no id, some groups no meta. */
typedef struct gen {
    char source[16], id[32], meta[64], rid[8][16];
    uint32_t ctx[3000], tok[8][600], pairs[64];
    pmp_shard_resp resp[8];
    pmp_shard_group g;
} gen;

static void make_group(gen *x, uint64_t seed, uint64_t i)
{
    rng = seed * 1000003 + i;
    pmp_shard_group *g = &x->g;
    memset(g, 0, sizeof *g);
    snprintf(x->source, sizeof x->source, "src%u", rnd(3));
    snprintf(x->id, sizeof x->id, "g/%llu", (unsigned long long)i);
    g->source = x->source;
    g->source_len = strlen(x->source);
    g->id = x->id;
    g->id_len = strlen(x->id);
    if (rnd(2)) {
        snprintf(x->meta, sizeof x->meta, "{\"k\":%u}", rnd(1000));
        g->meta = x->meta;
        g->meta_len = strlen(x->meta);
    }
    g->n_ctx = rnd(max_len);
    g->orig_ctx = g->n_ctx + rnd(2) * rnd(50);
    for (uint32_t k = 0; k < g->n_ctx; k++) x->ctx[k] = rnd(100000);
    g->ctx = x->ctx;
    g->n_resp = 2 + rnd(7);
    for (uint32_t r = 0; r < g->n_resp; r++) {
        pmp_shard_resp *s = &x->resp[r];
        memset(s, 0, sizeof *s);
        if (rnd(3)) {
            snprintf(x->rid[r], sizeof x->rid[r], "r%u", r);
            s->id = x->rid[r];
            s->id_len = strlen(x->rid[r]);
        }
        s->score = (double)rnd(10) - 3.5;
        s->created_utc = rnd(2) ? NAN : 1.5e9 + rnd(1000);
        s->n_tokens = rnd(max_len < 600 ? max_len : 600);
        s->orig_tokens = s->n_tokens;
        for (uint32_t k = 0; k < s->n_tokens; k++) x->tok[r][k] = rnd(100000);
        s->tokens = x->tok[r];
    }
    g->resp = x->resp;
    g->n_pairs = rnd(4) ? rnd(10) : 0;
    for (uint32_t k = 0; k < 2 * g->n_pairs; k++) x->pairs[k] = rnd(g->n_resp);
    g->pairs = x->pairs;
}

static void write_shard(const char *path, uint64_t seed, uint64_t n, pmp_shard_totals *t)
{
    pmp_err err;
    pmp_shard_writer *w;
    assert_int_equal(pmp_shard_writer_open(&w, path, 1, &err), 0);
    gen *x = malloc(sizeof *x);
    for (uint64_t i = 0; i < n; i++) {
        make_group(x, seed, i);
        assert_int_equal(pmp_shard_writer_add(w, &x->g, &err), 0);
    }
    free(x);
    assert_int_equal(pmp_shard_writer_close(w, t, &err), 0);
    assert_int_equal(access(path, F_OK), 0);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
}

static void same_group(const pmp_shard_group *a, const pmp_shard_group *b)
{
    assert_int_equal(a->source_len, b->source_len);
    assert_memory_equal(a->source, b->source, a->source_len);
    assert_int_equal(a->id_len, b->id_len);
    assert_memory_equal(a->id, b->id, a->id_len);
    assert_int_equal(!a->meta, !b->meta);
    if (a->meta) {
        assert_int_equal(a->meta_len, b->meta_len);
        assert_memory_equal(a->meta, b->meta, a->meta_len);
    }
    assert_int_equal(a->n_ctx, b->n_ctx);
    assert_int_equal(a->orig_ctx, b->orig_ctx);
    if (a->n_ctx) assert_memory_equal(a->ctx, b->ctx, a->n_ctx * 4);
    assert_int_equal(a->n_resp, b->n_resp);
    for (uint32_t r = 0; r < a->n_resp; r++) {
        const pmp_shard_resp *x = &a->resp[r], *y = &b->resp[r];
        assert_int_equal(!x->id, !y->id);
        if (x->id) assert_memory_equal(x->id, y->id, x->id_len);
        assert_true(x->score == y->score);
        assert_true(x->created_utc == y->created_utc ||
                    (isnan(x->created_utc) && isnan(y->created_utc)));
        assert_int_equal(x->n_tokens, y->n_tokens);
        if (x->n_tokens) assert_memory_equal(x->tokens, y->tokens, x->n_tokens * 4);
    }
    assert_int_equal(a->n_pairs, b->n_pairs);
    if (a->n_pairs) assert_memory_equal(a->pairs, b->pairs, a->n_pairs * 8);
}

static void test_round_trip_and_seek(void **state)
{
    (void)state;
    const char *path = tu_tmp("big.pmps");
    const uint64_t n = 900, seed = 7;
    pmp_shard_totals t;
    write_shard(path, seed, n, &t);
    assert_true(t.blocks >= 2);   /* the test must cross block boundaries */
    pmp_err err;
    pmp_shard_reader *r;
    assert_int_equal(pmp_shard_open(&r, path, &err), 0);
    assert_int_equal(pmp_shard_info(r)->groups, n);
    assert_int_equal(pmp_shard_verify(r, &err), 0);

    gen *x = malloc(sizeof *x);
    pmp_shard_group g;
    uint64_t pairs = 0, tokens = 0, nopair = 0;
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(pmp_shard_next(r, &g, &err), 1);
        make_group(x, seed, i);
        same_group(&g, &x->g);
        pairs += x->g.n_pairs;
        tokens += pmp_shard_group_tokens(&x->g);
        nopair += x->g.n_pairs == 0;
    }
    assert_int_equal(pmp_shard_next(r, &g, &err), 0);
    assert_int_equal(pmp_shard_info(r)->pairs, pairs);
    assert_int_equal(pmp_shard_info(r)->tokens, tokens);
    assert_int_equal(pmp_shard_info(r)->groups_without_pairs, nopair);

    /* Pair k for every k, in a scrambled order so blocks are re-read. */
    uint64_t *grp = malloc(pairs * sizeof *grp);
    uint32_t *idx = malloc(pairs * sizeof *idx);
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        make_group(x, seed, i);
        for (uint32_t p = 0; p < x->g.n_pairs; p++, k++) {
            grp[k] = i;
            idx[k] = p;
        }
    }
    for (uint64_t step = 0; step < pairs; step++) {
        uint64_t q = (step * 7919) % pairs;
        uint32_t which;
        assert_int_equal(pmp_shard_pair(r, q, &g, &which, &err), 0);
        make_group(x, seed, grp[q]);
        same_group(&g, &x->g);
        assert_int_equal(which, idx[q]);
    }
    uint32_t which;
    assert_int_equal(pmp_shard_pair(r, pairs, &g, &which, &err), -1);
    free(grp);
    free(idx);
    free(x);
    pmp_shard_close(r);
}

static int check(const char *path)
{
    pmp_err err;
    pmp_shard_reader *r;
    if (pmp_shard_open(&r, path, &err) < 0) return -1;
    int rc = pmp_shard_verify(r, &err);
    pmp_shard_close(r);
    return rc;
}

static void test_every_byte_flip_and_cut(void **state)
{
    (void)state;
    const char *path = tu_tmp("small.pmps");
    pmp_shard_totals t;
    max_len = 12;   /* a small shard, so that every byte can be tried */
    write_shard(path, 3, 6, &t);
    max_len = 3000;
    size_t len;
    char *orig = tu_read_file(path, &len);
    assert_int_equal(len, t.bytes);
    assert_int_equal(check(path), 0);
    char *buf = malloc(len);
    for (size_t off = 0; off < len; off++) {
        memcpy(buf, orig, len);
        buf[off] ^= (char)(1 + off % 255);
        tu_write_file(path, buf, len);
        if (check(path) == 0) fail_msg("flip at byte %zu of %zu not detected", off, len);
    }
    for (size_t cut = 0; cut < len; cut++) {
        tu_write_file(path, orig, cut);
        if (check(path) == 0) fail_msg("truncation to %zu bytes not detected", cut);
    }
    tu_write_file(path, orig, len);
    assert_int_equal(check(path), 0);
    free(buf);
    free(orig);
}

/* Records and blocks the checksums cannot catch (found by tests/fuzz/fuzz_shard_record
 * and fuzz_shard_file). */
static void test_records_and_blocks_behind_the_checksums(void **state)
{
    (void)state;
    uint32_t tok[2] = {5, 6}, pairs[2] = {0, 1};
    pmp_shard_resp resp[2] = {{"r0", 2, 2.0, NAN, tok, 2, 2}, {NULL, 0, 1.0, NAN, tok, 1, 1}};
    pmp_shard_group g = {"s", 1, "s/1", 3, NULL, 0, NULL, 0, tok, 0, 0, resp, 2, pairs, 1}, h;
    pmp_buf b = PMP_BUF_INIT;
    pmp_shard_record_put(&b, &g);
    pmp_shard_decoder d = {0};
    pmp_err err;
    size_t pos = 0;
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), 0);
    /* a response id without its flag was dropped: the record did not re-encode */
    size_t rflags = 4 + 4 + (4 + 1) + (4 + 3) + 4 + 4 + 4 + 4;   /* first response's flags */
    assert_int_equal(pmp_rd32(b.data + rflags), 1);
    pmp_le32(b.data + rflags, 0);
    pos = 0;
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), -1);
    assert_int_equal(err.code, PMP_E_CORRUPT);
    assert_non_null(strstr(err.msg, "response id without flag"));
    assert_int_equal(pos, 0);
    pmp_shard_decoder_free(&d);

    /* the split key (flag bit 1): a record without one is the old layout, byte for
     * byte; with one it follows meta and reads back; flagged but empty is corrupt */
    pmp_buf_clear(&b);
    pmp_shard_record_put(&b, &g);
    assert_int_equal(pmp_rd32(b.data + 4), 0);
    size_t old_len = b.len;
    g.split_key = "wikipedia/Rio Grande";
    g.split_key_len = strlen(g.split_key);
    pmp_buf_clear(&b);
    pmp_shard_record_put(&b, &g);
    assert_int_equal(pmp_rd32(b.data + 4), 2);
    assert_int_equal(b.len, old_len + 4 + g.split_key_len);
    assert_int_equal(pmp_rd32(b.data + 4 + 4 + (4 + 1) + (4 + 3) + 4), g.split_key_len);
    pos = 0;
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), 0);
    assert_int_equal(pos, b.len);
    assert_int_equal(h.split_key_len, g.split_key_len);
    assert_memory_equal(h.split_key, g.split_key, g.split_key_len);
    assert_int_equal(h.n_resp, 2);
    g.split_key = "";
    g.split_key_len = 0;
    pmp_buf_clear(&b);
    pmp_shard_record_put(&b, &g);
    pos = 0;
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), -1);
    assert_non_null(strstr(err.msg, "empty split key"));
    pmp_le32(b.data + 4, 4);   /* a flag bit no reader knows */
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), -1);
    assert_non_null(strstr(err.msg, "unknown flags"));
    g.split_key = NULL;
    pmp_shard_decoder_free(&d);

    /* a record without a single token, first on a fresh decoder (NULL + 0 before) */
    pmp_shard_group e = {"s", 1, "s/2", 3, NULL, 0, NULL, 0, tok, 0, 0, NULL, 0, pairs, 0};
    pmp_buf_clear(&b);
    pmp_shard_record_put(&b, &e);
    pos = 0;
    assert_int_equal(pmp_shard_record_get(&d, b.data, b.len, &pos, &h, &err), 0);
    assert_int_equal(pos, b.len);
    assert_non_null(h.ctx);
    assert_int_equal(h.n_ctx + h.n_resp + h.n_pairs, 0);
    pmp_shard_decoder_free(&d);
    pmp_buf_free(&b);

    /* A block whose index, header and frame all claim 3.75 GiB: a 13-byte frame
     * cannot hold that, refused before allocating it. */
    static const unsigned char frame[13] = {0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0, 0, 0, 0xF0, 9, 0, 0, 'x'};
    const uint32_t raw_len = 0xF0000000u;
    char f[PMP_SHARD_HEADER_SIZE + PMP_SHARD_BLOCK_HEADER_SIZE + sizeof frame + PMP_SHARD_INDEX_ENTRY_SIZE +
           PMP_SHARD_FOOTER_SIZE] = "PMPSHRD";
    pmp_le32(f + 8, PMP_SHARD_VERSION);
    char *bh = f + PMP_SHARD_HEADER_SIZE, *ix = bh + PMP_SHARD_BLOCK_HEADER_SIZE + sizeof frame;
    char *ft = ix + PMP_SHARD_INDEX_ENTRY_SIZE;
    uint64_t xh = pmp_xxh64(frame, sizeof frame);
    memcpy(bh, "PMPB", 4);
    pmp_le32(bh + 4, raw_len);
    pmp_le32(bh + 8, sizeof frame);
    pmp_le32(bh + 12, 1);
    pmp_le64(bh + 16, xh);
    memcpy(bh + PMP_SHARD_BLOCK_HEADER_SIZE, frame, sizeof frame);
    pmp_le64(ix, PMP_SHARD_HEADER_SIZE);
    pmp_le32(ix + 8, raw_len);
    pmp_le32(ix + 12, sizeof frame);
    pmp_le64(ix + 16, xh);
    pmp_le32(ix + 40, 1);
    memcpy(ft, "PMPFOOT", 8);
    pmp_le32(ft + 8, PMP_SHARD_VERSION);
    pmp_le64(ft + 16, 1);
    pmp_le64(ft + 24, (uint64_t)(ix - f));
    pmp_le64(ft + 32, PMP_SHARD_INDEX_ENTRY_SIZE);
    pmp_le64(ft + 40, pmp_xxh64(ix, PMP_SHARD_INDEX_ENTRY_SIZE));
    pmp_le64(ft + 48, 1);
    pmp_le64(ft + 80, pmp_xxh64(ft, 80));
    memcpy(ft + 88, "PMPSEND", 8);
    const char *path = tu_tmp("claim.pmps");
    tu_write_file(path, f, sizeof f);
    pmp_shard_reader *r;
    assert_int_equal(pmp_shard_open(&r, path, &err), 0);
    const char *raw;
    size_t len;
    assert_int_equal(pmp_shard_read_block(r, 0, &raw, &len, &err), -1);
    assert_int_equal(err.code, PMP_E_CORRUPT);
    assert_non_null(strstr(err.msg, "cannot come from a 13-byte zstd frame"));
    pmp_shard_close(r);
}

/* Brute force restatement of the pairing policy (docs/tokenize.md). */
static void test_pairing_rules(void **state)
{
    (void)state;
    double s[6] = {3, 2, 3, 10, 0.5, 2};
    double tm[6] = {100, 50, NAN, 200, 10, 300};
    pmp_pairs_policy p;
    pmp_pairs_policy_default(&p);
    p.max_pairs_per_group = 0;
    uint32_t *out = NULL;
    size_t cap = 0;
    pmp_pairs_stats st = {0};
    size_t n = pmp_pairs_form(&p, "x", 1, s, tm, 6, &out, &cap, &st);
    /* 15 pairs minus ties (0,2) and (1,5). */
    assert_int_equal(n, 13);
    assert_int_equal(st.candidates, 13);
    for (size_t k = 0; k < n; k++) assert_true(s[out[2 * k]] > s[out[2 * k + 1]]);
    assert_int_equal(out[0], 0);   /* (0,1): 3 > 1, enumeration order i<j */
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 3);   /* (0,3): 10 > 3, better first */
    assert_int_equal(out[3], 0);

    /* Gap: keep |a-b| >= 2 only. Brute force count. */
    p.min_score_gap = 2;
    memset(&st, 0, sizeof st);
    n = pmp_pairs_form(&p, "x", 1, s, tm, 6, &out, &cap, &st);
    size_t want = 0;
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++) want += s[i] != s[j] && fabs(s[i] - s[j]) >= 2;
    assert_int_equal(n, want);
    assert_int_equal(st.dropped_gap, 13 - want);

    /* Time rule: A > B kept iff t(A) >= t(B) or s(A) >= 2 s(B), when both known. */
    p.min_score_gap = 0;
    p.time_rule = PMP_TIME_RULE_LATER_OR_2X;
    memset(&st, 0, sizeof st);
    n = pmp_pairs_form(&p, "x", 1, s, tm, 6, &out, &cap, &st);
    want = 0;
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++) {
            if (s[i] == s[j]) continue;
            int a = s[i] > s[j] ? i : j, b = a == i ? j : i;
            int known = !isnan(tm[a]) && !isnan(tm[b]);
            want += !known || tm[a] >= tm[b] || s[a] >= 2 * s[b];
        }
    assert_int_equal(n, want);
    assert_true(st.dropped_time > 0);
    /* By hand: 0 beats 1 (3 > 2) posted later (100 > 50): kept; 0 beats 5 (3 > 2)
     * posted earlier (100 < 300) by less than 2x: dropped (the head start explains it). */
    int kept01 = 0, kept05 = 0;
    for (size_t k = 0; k < n; k++) {
        kept01 |= out[2 * k] == 0 && out[2 * k + 1] == 1;
        kept05 |= out[2 * k] == 0 && out[2 * k + 1] == 5;
    }
    assert_true(kept01);
    assert_false(kept05);
    /* A directory written by the rule before 2026-12-07 is refused, by name. */
    pmp_manifest_policy old_rule = {0}, new_rule = {0};
    old_rule.time_rule = PMP_TIME_RULE_EARLIER_OR_2X;
    new_rule.time_rule = PMP_TIME_RULE_LATER_OR_2X;
    pmp_err e = {0};
    assert_int_equal(pmp_manifest_policy_cmp(&old_rule, &new_rule, &e), -1);
    assert_int_equal(e.code, PMP_E_MISMATCH);
    assert_non_null(strstr(e.msg, "earlier rule"));
    assert_int_equal(pmp_manifest_policy_cmp(&new_rule, &new_rule, &e), 0);

    /* Cap: K pairs, a subset of the uncapped ones, the same for the same id,
     * in enumeration order. */
    p.time_rule = 0;
    p.max_pairs_per_group = 4;
    uint32_t all[26], a1[8], a2[8];
    pmp_pairs_policy q = p;
    q.max_pairs_per_group = 0;
    size_t na = pmp_pairs_form(&q, "x", 1, s, tm, 6, &out, &cap, &st);
    memcpy(all, out, na * 8);
    n = pmp_pairs_form(&p, "grp-1", 5, s, tm, 6, &out, &cap, &st);
    assert_int_equal(n, 4);
    memcpy(a1, out, 32);
    n = pmp_pairs_form(&p, "grp-1", 5, s, tm, 6, &out, &cap, &st);
    memcpy(a2, out, 32);
    assert_memory_equal(a1, a2, 32);
    size_t last = 0;
    for (int k = 0; k < 4; k++) {
        size_t pos = SIZE_MAX;
        for (size_t m = 0; m < na; m++)
            if (all[2 * m] == a1[2 * k] && all[2 * m + 1] == a1[2 * k + 1]) pos = m;
        assert_true(pos != SIZE_MAX);
        if (k) assert_true(pos > last);
        last = pos;
    }
    /* Different ids choose different subsets (for at least one of many ids). */
    int differ = 0;
    for (int id = 0; id < 20 && !differ; id++) {
        char name[16];
        snprintf(name, sizeof name, "g%d", id);
        pmp_pairs_form(&p, name, strlen(name), s, tm, 6, &out, &cap, &st);
        differ = memcmp(out, a1, 32) != 0;
    }
    assert_true(differ);
    free(out);

    /* Split: about the requested fraction, stable per id. */
    int in = 0;
    for (int i = 0; i < 20000; i++) {
        char name[32];
        snprintf(name, sizeof name, "id/%d", i);
        int a = pmp_pairs_in_split(name, strlen(name), 0.1, 0);
        assert_int_equal(a, pmp_pairs_in_split(name, strlen(name), 0.1, 0));
        in += a;
        /* folds of 0.2 partition the ids, fold 0 is the first slice: the ids of
         * the 0.1 split are all in it */
        int folds = 0;
        for (uint64_t k = 0; k < 5; k++)
            folds += pmp_pairs_in_split(name, strlen(name), 0.2, k);
        assert_int_equal(folds, 1);
        if (a)
            assert_true(pmp_pairs_in_split(name, strlen(name), 0.2, 0));
        uint64_t h = XXH64(name, strlen(name), PMP_SPLIT_SEED);
        assert_int_equal(pmp_pairs_in_split(name, strlen(name), 0.2, 2),
                         (double)h >= 0.4 * 18446744073709551616.0 &&
                         (double)h < 0.6 * 18446744073709551616.0);
    }
    assert_true(in > 1800 && in < 2200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_seek),
        cmocka_unit_test(test_every_byte_flip_and_cut),
        cmocka_unit_test(test_records_and_blocks_behind_the_checksums),
        cmocka_unit_test(test_pairing_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

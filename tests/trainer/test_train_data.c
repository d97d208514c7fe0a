/* test_train_data.c — what pmp-train trains and is judged on, on shards made here
 * from samples/ (hh + StackExchange + Reddit: groups of 1 to several pairs, over
 * several shards):
 *   - pmp_loader_subsample (--max-pairs): exact size, whole groups (at most one
 *     cut, and cut to its first pairs), the documented key rule recomputed here,
 *     deterministic, nested for every size, different for another seed, and the
 *     restricted loader serves the same pairs as the full one;
 *   - pmp-train's two length baselines: longer_wins on the lengths before any cut,
 *     longer_wins_visible on the tokens the model sees, both recomputed here from
 *     the shards' stored lengths, in cases where the cuts change the answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "pmp_shard.h"
#include "test_util.h"

#define MAXP 256

/* Pair -> group map of a shard directory, read with the shard API (not the loader). */
typedef struct pairs_map {
    uint64_t n_pairs, n_groups;
    uint64_t group[MAXP];          /* group ordinal of each pair (storage order) */
    uint32_t orig_b[MAXP], orig_w[MAXP], stored_b[MAXP], stored_w[MAXP];
} pairs_map;

static pairs_map MAP;
static const char *SHARDS;

static void read_map(const char *dir, pairs_map *m)
{
    memset(m, 0, sizeof *m);
    pmp_manifest man;
    pmp_manifest_init(&man);
    pmp_err err;
    assert_int_equal(pmp_manifest_load(&man, dir, &err), 1);
    for (size_t i = 0; i < man.n_shards; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, man.shards[i].name);
        pmp_shard_reader *r;
        assert_int_equal(pmp_shard_open(&r, path, &err), 0);
        pmp_shard_group g;
        int got;
        while ((got = pmp_shard_next(r, &g, &err)) == 1) {
            for (uint32_t p = 0; p < g.n_pairs; p++) {
                assert_true(m->n_pairs < MAXP);
                const pmp_shard_resp *b = &g.resp[g.pairs[2 * p]], *w = &g.resp[g.pairs[2 * p + 1]];
                m->group[m->n_pairs] = m->n_groups;
                m->orig_b[m->n_pairs] = b->orig_tokens;
                m->orig_w[m->n_pairs] = w->orig_tokens;
                m->stored_b[m->n_pairs] = b->n_tokens;
                m->stored_w[m->n_pairs] = w->n_tokens;
                m->n_pairs++;
            }
            m->n_groups++;
        }
        assert_int_equal(got, 0);
        pmp_shard_close(r);
    }
    pmp_manifest_free(&man);
}

static int make_shards(const char *dir, const char *tokenize_flags)
{
    const char *t = tu_tmpdir(), *s = PMP_SOURCE_DIR "/samples", *b = PMP_BIN_DIR;
    if (access(t, W_OK) != 0) return -1;
    if (tu_sh("test -s '%s/groups.jsonl' || { '%s/pmp-extract' stackexchange -q "
              "'%s/stackexchange/cooking.example.com/Posts.xml' && "
              "'%s/pmp-extract' reddit -q '%s/reddit/RC_sample.ndjson.zst' && "
              "'%s/pmp-extract' hh -q '%s/hh/sample.jsonl.gz'; } > '%s/groups.jsonl.tmp' && "
              "mv '%s/groups.jsonl.tmp' '%s/groups.jsonl' 2>/dev/null; test -s '%s/groups.jsonl'",
              t, b, s, b, s, b, s, t, t, t, t) != 0)
        return -1;
    if (tu_sh("test -s '%s/tok.json' || '%s/pmp-bpe' train -q --vocab-size 300 --special "
              "'<|endoftext|>' --groups -o '%s/tok.json' '%s/groups.jsonl'", t, b, t, t) != 0)
        return -1;
    return tu_sh("'%s/pmp-tokenize' -q --tokenizer '%s/tok.json' --max-pairs-per-group 0 "
                 "--shard-size 2K %s -o '%s' '%s/groups.jsonl'", b, t, tokenize_flags, dir, t);
}

static int setup(void **state)
{
    (void)state;
    if (access(PMP_BIN_DIR "/pmp-tokenize", X_OK) != 0) {
        fprintf(stderr, "skip: %s/pmp-tokenize is not built\n", PMP_BIN_DIR);
        exit(77);
    }
    SHARDS = strdup(tu_tmp("shards"));
    if (make_shards(SHARDS, "") != 0) return -1;
    read_map(SHARDS, &MAP);
    return 0;
}

/* ---------- the subsample ---------- */

typedef struct sel {
    uint64_t n;
    uint64_t groups;
    uint64_t ord[MAXP];
    unsigned char in[MAXP];
} sel;

static void subsample(uint64_t seed, uint64_t max_pairs, sel *s)
{
    pmp_loader *l;
    pmp_err err;
    memset(s, 0, sizeof *s);
    assert_int_equal(pmp_loader_open(&l, SHARDS, &err), 0);
    assert_int_equal(pmp_loader_all_pairs(l), MAP.n_pairs);
    assert_int_equal(pmp_loader_subsample(l, seed, max_pairs, &err), 0);
    s->n = pmp_loader_pairs(l);
    s->groups = pmp_loader_groups(l);
    for (uint64_t k = 0; k < s->n; k++) {
        s->ord[k] = pmp_loader_pair_ordinal(l, k);
        assert_true(s->ord[k] < MAP.n_pairs);
        assert_int_equal(s->in[s->ord[k]], 0);   /* no pair twice */
        s->in[s->ord[k]] = 1;
        if (k) assert_true(s->ord[k] > s->ord[k - 1]);   /* storage order */
    }
    pmp_loader_close(l);
}

/* The documented key, written out independently: splitmix64 finalizer. */
static uint64_t sm64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_data_has_multi_pair_groups(void **state)
{
    (void)state;
    /* The checks below mean something only with groups of several pairs over
     * several shards. */
    assert_true(MAP.n_pairs >= 12);
    assert_true(MAP.n_groups < MAP.n_pairs);
    int multi = 0;
    for (uint64_t p = 1; p < MAP.n_pairs; p++) multi += MAP.group[p] == MAP.group[p - 1];
    assert_true(multi >= 2);
    pmp_manifest man;
    pmp_manifest_init(&man);
    pmp_err err;
    assert_int_equal(pmp_manifest_load(&man, SHARDS, &err), 1);
    assert_true(man.n_shards >= 2);
    pmp_manifest_free(&man);
}

static void test_whole_groups_exact_size_and_rule(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 4; seed++) {
        /* Group order by the documented key (ties by ordinal). */
        uint64_t order[MAXP], ng = MAP.n_groups;
        for (uint64_t g = 0; g < ng; g++) order[g] = g;
        for (uint64_t i = 0; i < ng; i++)
            for (uint64_t j = i + 1; j < ng; j++) {
                uint64_t ki = sm64(seed ^ sm64(order[i] + 0x9e3779b97f4a7c15ULL));
                uint64_t kj = sm64(seed ^ sm64(order[j] + 0x9e3779b97f4a7c15ULL));
                if (kj < ki || (kj == ki && order[j] < order[i])) {
                    uint64_t t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
        for (uint64_t n = 1; n <= MAP.n_pairs + 3; n++) {
            sel s;
            subsample(seed, n, &s);
            uint64_t want = n < MAP.n_pairs ? n : MAP.n_pairs;
            assert_int_equal(s.n, want);
            /* Expected, by the rule: groups in key order, the last one cut to its
             * first pairs. */
            unsigned char exp[MAXP] = {0};
            uint64_t have = 0, groups = 0;
            for (uint64_t i = 0; i < ng && have < want; i++) {
                int used = 0;
                for (uint64_t p = 0; p < MAP.n_pairs && have < want; p++)
                    if (MAP.group[p] == order[i]) {
                        exp[p] = 1;
                        have++;
                        used = 1;
                    }
                groups += used;
            }
            assert_memory_equal(exp, s.in, MAP.n_pairs);
            assert_int_equal(s.groups, groups);
            /* Whole groups: at most one group is partly taken, and its taken pairs
             * are its first ones. */
            int partial = 0;
            for (uint64_t g = 0; g < ng; g++) {
                uint64_t in = 0, all = 0, first_out = MAXP, last_in = 0;
                for (uint64_t p = 0; p < MAP.n_pairs; p++)
                    if (MAP.group[p] == g) {
                        all++;
                        if (s.in[p]) { in++; last_in = p; }
                        else if (first_out == MAXP) first_out = p;
                    }
                if (in && in < all) {
                    partial++;
                    assert_true(last_in < first_out);
                }
            }
            assert_true(partial <= 1);
        }
    }
}

static void test_deterministic_nested_and_seeded(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 3; seed++) {
        sel prev;
        subsample(seed, 1, &prev);
        for (uint64_t n = 2; n <= MAP.n_pairs; n++) {
            sel a, b;
            subsample(seed, n, &a);
            subsample(seed, n, &b);   /* a fresh loader: same set, same order */
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.ord, b.ord, a.n * sizeof a.ord[0]);
            for (uint64_t p = 0; p < MAP.n_pairs; p++)
                if (prev.in[p]) assert_true(a.in[p]);   /* nested */
            prev = a;
        }
    }
    /* The brief's sizes: 8 inside 16 (here 16 may be all pairs, so also 4 inside 8). */
    sel s4, s8, s16, t8;
    subsample(0, 4, &s4);
    subsample(0, 8, &s8);
    subsample(0, 16, &s16);
    for (uint64_t p = 0; p < MAP.n_pairs; p++) {
        if (s4.in[p]) assert_true(s8.in[p]);
        if (s8.in[p]) assert_true(s16.in[p]);
    }
    /* Another seed, another subsample. */
    subsample(1, 8, &t8);
    assert_int_equal(t8.n, 8);
    assert_true(memcmp(s8.in, t8.in, MAP.n_pairs) != 0);
    sel t4;
    subsample(1, 4, &t4);
    assert_true(memcmp(s4.in, t4.in, MAP.n_pairs) != 0);
}

static void test_restricted_loader_serves_the_same_pairs(void **state)
{
    (void)state;
    pmp_loader *all, *sub;
    pmp_err err;
    assert_int_equal(pmp_loader_open(&all, SHARDS, &err), 0);
    assert_int_equal(pmp_loader_open(&sub, SHARDS, &err), 0);
    assert_int_equal(pmp_loader_pairs(all), MAP.n_pairs);
    assert_int_equal(pmp_loader_groups(all), MAP.n_groups);
    assert_int_equal(pmp_loader_subsample(sub, 5, 7, &err), 0);
    assert_int_equal(pmp_loader_pairs(sub), 7);
    /* Once per loader; 0 pairs is refused. */
    assert_int_equal(pmp_loader_subsample(sub, 5, 3, &err), -1);
    assert_int_equal(pmp_loader_subsample(all, 5, 0, &err), -1);
    for (uint64_t k = 0; k < 7; k++) {
        pmp_pair_view a, b;
        assert_int_equal(pmp_loader_get(sub, k, &b, &err), 0);
        int32_t tok[4096];
        int n = b.n_ctx + b.n_better + b.n_worse;
        assert_true(n <= 4096);
        memcpy(tok, b.ctx, (size_t)n * sizeof tok[0]);
        int nc = b.n_ctx, nb = b.n_better;
        assert_int_equal(pmp_loader_get(all, pmp_loader_pair_ordinal(sub, k), &a, &err), 0);
        assert_int_equal(a.n_ctx, nc);
        assert_int_equal(a.n_better, nb);
        assert_int_equal(a.n_ctx + a.n_better + a.n_worse, n);
        assert_memory_equal(a.ctx, tok, (size_t)n * sizeof tok[0]);
    }
    pmp_pair_view v;
    assert_int_equal(pmp_loader_get(sub, 7, &v, &err), -1);   /* out of the subsample */
    pmp_loader_close(all);
    pmp_loader_close(sub);
}

/* ---------- the length baselines ---------- */

static double lw(uint32_t b, uint32_t w) { return b > w ? 1.0 : b == w ? 0.5 : 0.0; }

/* pmp-train --eval DIR --json: the value of key in its summary. */
static double summary(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) fail_msg("no %s in %s", key, json);
    return strtod(p + strlen(pat), NULL);
}

static void check_baselines(const char *dir, int context, uint32_t resp_room)
{
    pairs_map m;
    read_map(dir, &m);
    double raw = 0, vis = 0;
    for (uint64_t p = 0; p < m.n_pairs; p++) {
        raw += lw(m.orig_b[p], m.orig_w[p]);
        /* the model sees the stored tokens, a response cut to what fits with its EOC */
        uint32_t vb = m.stored_b[p] < resp_room ? m.stored_b[p] : resp_room;
        uint32_t vw = m.stored_w[p] < resp_room ? m.stored_w[p] : resp_room;
        vis += lw(vb, vw);
    }
    raw /= (double)m.n_pairs;
    vis /= (double)m.n_pairs;
    assert_true(fabs(raw - vis) > 0.05);   /* the case means something */
    char *out = tu_sh_output(NULL,
        "'%s/pmp-train' --data '%s' --eval '%s' --layers 1 --heads 1 --width 16 --context %d "
        "--batch-pairs 4 --steps 1 --threads 1 --out '%s' --json -q 2>&1",
        PMP_BIN_DIR, dir, dir, context, tu_tmp(context == 16 ? "run16" : "runcut"));
    assert_non_null(out);
    assert_int_equal((long)summary(out, "eval_pairs"), (long)m.n_pairs);
    assert_true(fabs(summary(out, "longer_wins_accuracy") - raw) < 1e-9);
    assert_true(fabs(summary(out, "longer_wins_visible_accuracy") - vis) < 1e-9);
    free(out);
    /* The log's evaluation line has both. */
    char path[4096];
    snprintf(path, sizeof path, "%s/log.jsonl", tu_tmp(context == 16 ? "run16" : "runcut"));
    char *log = tu_read_file(path, NULL);
    const char *e = strstr(log, "\"eval\":true");
    assert_non_null(e);
    char want[128];
    snprintf(want, sizeof want, "\"longer_wins\":%.6f,\"longer_wins_visible\":%.6f,", raw, vis);
    assert_non_null(strstr(e, want));
    free(log);
}

static void test_visible_after_tokenize_cuts(void **state)
{
    (void)state;
    /* pmp-tokenize --max-response-tokens 6: most responses become 6 tokens long
     * (ties the raw lengths do not have); the model context (64) cuts no response. */
    const char *dir = tu_tmp("cut6");
    assert_int_equal(make_shards(dir, "--max-response-tokens 6 --max-context-tokens 20"), 0);
    check_baselines(dir, 64, 63);
}

static void test_visible_after_context_fit(void **state)
{
    (void)state;
    /* No tokenize cuts, but a 16-token model context: a response keeps at most
     * 15 tokens (its EOC takes the last position; the context goes first). */
    check_baselines(SHARDS, 16, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_has_multi_pair_groups),
        cmocka_unit_test(test_whole_groups_exact_size_and_rule),
        cmocka_unit_test(test_deterministic_nested_and_seeded),
        cmocka_unit_test(test_restricted_loader_serves_the_same_pairs),
        cmocka_unit_test(test_visible_after_tokenize_cuts),
        cmocka_unit_test(test_visible_after_context_fit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

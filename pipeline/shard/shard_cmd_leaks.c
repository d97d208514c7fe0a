/* shard_cmd_leaks.c — pmp-shard leaks TRAIN EVAL: what a train/eval split shares.
 *
 * Three counts, over the groups as stored: groups whose split key (docs/records.md; the
 * id for groups without one) also occurs on the other side, groups whose context (its
 * stored tokens, non-empty) is identical to one on the other side, and groups whose
 * context, decoded to text with the manifest's tokenizer, is a near duplicate of one on
 * the other side (pmp-dedup's rule 4 on the context alone: MinHash of word 5-gram
 * shingles, estimated Jaccard >= --near; identical contexts included). A split made by key
 * shares no key by construction; a split by group id (--split-by id) lets the reverts of
 * one page or the siblings of one thread straddle it. Three streaming passes (train,
 * eval, train again), with one set of 16-byte hashes per side and kind and one LSH
 * index per side: memory grows with the groups, not with the tokens. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_dedup.h"
#include "shard_cmd.h"
#include "pmp_tokenize.h"

typedef struct leak_source {
    char *name;
    uint64_t groups[2];              /* [0] train, [1] eval */
    uint64_t sharing_key[2], same_context[2], near_context[2];
} leak_source;

typedef struct leaks_ctx {
    int pass;                        /* 0 train, 1 eval, 2 train again */
    pmp_text_set *keys[2], *ctxs[2];
    uint64_t groups[2], without_key[2], sharing_key[2], same_context[2], shared_keys;
    /* near duplicates: NULL when --near 0 */
    pmp_dedup_near *near[2];
    const pmp_bpe *bpe[2];
    uint32_t *sig;
    pmp_buf dec, scratch;
    uint64_t repaired, near_context[2], no_words;
    leak_source *src;
    size_t n_src;
} leaks_ctx;

static leak_source *source_of(leaks_ctx *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->n_src; i++)
        if (strlen(c->src[i].name) == len && memcmp(c->src[i].name, name, len) == 0) return &c->src[i];
    c->src = pmp_xrealloc(c->src, (c->n_src + 1) * sizeof *c->src);
    leak_source *s = &c->src[c->n_src++];
    memset(s, 0, sizeof *s);
    s->name = pmp_xstrndup(name, len);
    return s;
}

/* Signs g's context as text; 0 when it has no word (or no near-duplicate pass). */
static int sign_context(leaks_ctx *c, const pmp_shard_group *g, int side, pmp_err *err)
{
    if (!c->near[0] || !g->n_ctx) return 0;
    if (pmp_shard_cmd_decode(c->bpe[side], g->ctx, g->n_ctx, &c->dec, &c->scratch, &c->repaired, err) < 0)
        return -1;
    if (pmp_dedup_near_sign(c->near[side], c->dec.data, c->dec.len, c->sig)) return 1;
    if (c->pass < 2) c->no_words++;
    return 0;
}

static int leaks_one(void *p, const pmp_shard_group *g, pmp_err *err)
{
    leaks_ctx *c = p;
    int side = c->pass == 1, other = !side;
    const char *key = g->split_key ? g->split_key : g->id;
    size_t key_len = g->split_key ? g->split_key_len : g->id_len;
    const char *ctx = (const char *)g->ctx;
    size_t ctx_len = (size_t)g->n_ctx * sizeof *g->ctx;
    int signed_ctx = sign_context(c, g, side, err);
    if (signed_ctx < 0) return -1;
    if (c->pass == 0) {
        pmp_text_set_add(c->keys[0], key, key_len);
        if (ctx_len) pmp_text_set_add(c->ctxs[0], ctx, ctx_len);
        if (signed_ctx) pmp_dedup_near_add(c->near[0], c->sig);
        return 0;
    }
    leak_source *s = source_of(c, g->source, g->source_len);
    c->groups[side]++;
    s->groups[side]++;
    if (!g->split_key) c->without_key[side]++;
    if (pmp_text_set_has(c->keys[other], key, key_len)) {
        c->sharing_key[side]++;
        s->sharing_key[side]++;
    }
    if (ctx_len && pmp_text_set_has(c->ctxs[other], ctx, ctx_len)) {
        c->same_context[side]++;
        s->same_context[side]++;
    }
    if (signed_ctx && pmp_dedup_near_find(c->near[other], c->sig)) {
        c->near_context[side]++;
        s->near_context[side]++;
    }
    if (c->pass == 1) {
        if (signed_ctx) pmp_dedup_near_add(c->near[1], c->sig);
        if (pmp_text_set_add(c->keys[1], key, key_len) && pmp_text_set_has(c->keys[0], key, key_len))
            c->shared_keys++;
        if (ctx_len) pmp_text_set_add(c->ctxs[1], ctx, ctx_len);
    }
    return 0;
}

static void put_side(pmp_jobj *j, const char *name, const uint64_t *groups, const uint64_t *key,
                     const uint64_t *ctx, const uint64_t *near, int near_on, int side)
{
    pmp_jobj_object(j, name);
    pmp_jobj_u64(j, "groups", groups[side]);
    pmp_jobj_u64(j, "groups_sharing_split_key", key[side]);
    pmp_jobj_u64(j, "groups_identical_context", ctx[side]);
    if (near_on) pmp_jobj_u64(j, "groups_near_duplicate_context", near[side]);
    pmp_jobj_close(j);
}

static void print_json(const leaks_ctx *c, double near)
{
    int on = c->near[0] != NULL;
    pmp_buf out = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &out);
    pmp_jobj_u64(&j, "shared_split_keys", c->shared_keys);
    pmp_jobj_u64(&j, "train_split_keys", pmp_text_set_size(c->keys[0]));
    pmp_jobj_u64(&j, "eval_split_keys", pmp_text_set_size(c->keys[1]));
    pmp_jobj_u64(&j, "groups_without_split_key", c->without_key[0] + c->without_key[1]);
    if (on) {
        pmp_jobj_num(&j, "near", near);
        pmp_jobj_u64(&j, "contexts_without_words", c->no_words);
    }
    put_side(&j, "train", c->groups, c->sharing_key, c->same_context, c->near_context, on, 0);
    put_side(&j, "eval", c->groups, c->sharing_key, c->same_context, c->near_context, on, 1);
    pmp_jobj_object(&j, "sources");
    for (size_t i = 0; i < c->n_src; i++) {
        const leak_source *s = &c->src[i];
        pmp_jobj_object(&j, s->name);
        put_side(&j, "train", s->groups, s->sharing_key, s->same_context, s->near_context, on, 0);
        put_side(&j, "eval", s->groups, s->sharing_key, s->same_context, s->near_context, on, 1);
        pmp_jobj_close(&j);
    }
    pmp_jobj_close(&j);
    pmp_jobj_end(&j);
    printf("%s\n", out.data);
    pmp_buf_free(&out);
}

static void print_text(const leaks_ctx *c, double near)
{
    printf("split keys: train %zu, eval %zu, shared %" PRIu64 "\n", pmp_text_set_size(c->keys[0]),
           pmp_text_set_size(c->keys[1]), c->shared_keys);
    printf("%-16s %10s %14s %14s %10s %14s %14s\n", "source", "eval", "eval_same_key", "eval_same_ctx",
           "train", "train_same_key", "train_same_ctx");
    for (size_t i = 0; i <= c->n_src; i++) {
        const uint64_t *g = i < c->n_src ? c->src[i].groups : c->groups;
        const uint64_t *k = i < c->n_src ? c->src[i].sharing_key : c->sharing_key;
        const uint64_t *x = i < c->n_src ? c->src[i].same_context : c->same_context;
        printf("%-16s %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n",
               i < c->n_src ? c->src[i].name : "all", g[1], k[1], x[1], g[0], k[0], x[0]);
    }
    if (c->near[0]) {
        printf("near-duplicate contexts (estimated Jaccard >= %g of word %u-gram shingles): eval %" PRIu64
               ", train %" PRIu64 "\n", near, (unsigned)PMP_DEDUP_DEFAULT_SHINGLE, c->near_context[1], c->near_context[0]);
        for (size_t i = 0; i < c->n_src; i++)
            printf("  %-16s eval %" PRIu64 ", train %" PRIu64 "\n", c->src[i].name, c->src[i].near_context[1],
                   c->src[i].near_context[0]);
    }
    if (c->without_key[0] + c->without_key[1])
        printf("groups without a split key (counted by their id): %" PRIu64 "\n",
               c->without_key[0] + c->without_key[1]);
}

static const char leaks_usage[] =
    "Usage: pmp-shard leaks [--json] [--check] [--near J] [-t TOKENIZER] TRAIN EVAL\n"
    "What a train/eval split shares (docs/tokenize.md): the split keys found on both\n"
    "sides (the thread, page, question or opening turn of docs/records.md; a group\n"
    "without one counts by its id), the groups on each side whose key is on the other,\n"
    "and the groups whose context (stored tokens, non-empty) is identical to a context\n"
    "on the other side; overall and by source. --json: one JSON object on stdout.\n"
    "Also the groups whose context, decoded with the tokenizer the manifest names (or\n"
    "-t, same identity), is a near duplicate of a context on the other side: pmp-dedup's\n"
    "MinHash of word 5-gram shingles with estimated Jaccard >= J (--near, default 0.8;\n"
    "--near 0: not counted, no tokenizer needed).\n"
    "--check: exit 1 when any key or context is shared (identical; near duplicates\n"
    "are counted, not checked).\n\n"
    "Example:\n  pmp-shard leaks shards/ shards/eval\n";

enum { OPT_CHECK = PMP_OPT_FIRST_FREE, OPT_NEAR };

int pmp_shard_cmd_leaks(int argc, char **argv)
{
    pmp_cli cli;
    pmp_cli_init(&cli, "pmp-shard leaks", leaks_usage);
    static const struct option longopts[] = {PMP_CLI_LONGOPTS, {"check", no_argument, NULL, OPT_CHECK},
                                             {"near", required_argument, NULL, OPT_NEAR},
                                             {"tokenizer", required_argument, NULL, 't'},
                                             {NULL, 0, NULL, 0}};
    int c, check = 0;
    const char *tokenizer = NULL;
    pmp_dedup_opts o;
    pmp_dedup_opts_default(&o);
    optind = 1;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "t:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        if (c == OPT_CHECK) check = 1;
        else if (c == 't') tokenizer = optarg;
        else if (c == OPT_NEAR) {
            if (pmp_parse_double(optarg, 0, 1, &o.near) < 0)
                return pmp_cli_usage_error(&cli, "--near: expected a Jaccard similarity in [0, 1], got '%s'", optarg);
        } else return pmp_cli_usage_error(&cli, "unexpected option");
    }
    if (argc - optind != 2) return pmp_cli_usage_error(&cli, "expected two shard directories, TRAIN and EVAL");
    const char *dirs[2] = {argv[optind], argv[optind + 1]};
    pmp_manifest m[2];
    pmp_err err;
    for (int i = 0; i < 2; i++) {
        if (pmp_shard_dir_open(&m[i], dirs[i], 0, &err) < 0) {
            if (i) pmp_manifest_free(&m[0]);
            return pmp_cli_fail_err(&cli, &err);
        }
    }
    leaks_ctx *s = pmp_xcalloc(1, sizeof *s);
    for (int i = 0; i < 2; i++) {
        s->keys[i] = pmp_text_set_new();
        s->ctxs[i] = pmp_text_set_new();
    }
    int rc = 0;
    pmp_bpe *bpe[2] = {NULL, NULL};
    for (int i = 0; i < 2 && rc == 0 && o.near > 0; i++) {
        rc = pmp_dedup_near_new(&s->near[i], &o, &err);
        if (rc == 0 && pmp_bpe_load_for_manifest(&bpe[i], &m[i], tokenizer, NULL, &err) < 0) {
            char msg[sizeof err.msg];
            snprintf(msg, sizeof msg, "%s", err.msg);
            rc = pmp_err_setc(&err, err.code, "%s: %s (near-duplicate contexts are counted on the decoded "
                              "text: give the tokenizer with -t, or --near 0)", dirs[i], msg);
        }
        s->bpe[i] = bpe[i];
    }
    if (s->near[0]) s->sig = pmp_xmalloc(pmp_dedup_near_perms(s->near[0]) * sizeof *s->sig);
    for (s->pass = 0; s->pass < 3 && rc == 0; s->pass++)
        rc = pmp_shard_cmd_each(&m[s->pass == 1], leaks_one, s, &err);
    int exit_code = PMP_EXIT_OK;
    if (rc < 0) {
        exit_code = pmp_cli_fail_err(&cli, &err);
    } else {
        if (cli.json) print_json(s, o.near);
        else print_text(s, o.near);
        if (check && (s->shared_keys || s->same_context[1])) exit_code = PMP_EXIT_FAIL;
    }
    for (int i = 0; i < 2; i++) {
        pmp_dedup_near_free(s->near[i]);
        pmp_bpe_free(bpe[i]);
        pmp_text_set_free(s->keys[i]);
        pmp_text_set_free(s->ctxs[i]);
        pmp_manifest_free(&m[i]);
    }
    for (size_t i = 0; i < s->n_src; i++) free(s->src[i].name);
    free(s->src);
    free(s->sig);
    pmp_buf_free(&s->dec);
    pmp_buf_free(&s->scratch);
    free(s);
    return exit_code;
}

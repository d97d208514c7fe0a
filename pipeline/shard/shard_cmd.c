/* shard_cmd.c — pmp-shard info / verify / cat / head / merge. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_bpe.h"
#include "pmp_group.h"
#include "pmp_tokenize.h"
#include "shard_cmd.h"

int pmp_shard_cmd_each(const pmp_manifest *m, pmp_shard_group_fn fn, void *ctx, pmp_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < m->n_shards && rc == 0; i++) {
        pmp_shard_reader *r;
        if (pmp_shard_dir_shard(m, i, &r, err) < 0) {
            rc = -1;
            break;
        }
        pmp_shard_group g;
        int got;
        while ((got = pmp_shard_next(r, &g, err)) == 1) {
            int k = fn(ctx, &g, err);
            if (k) {
                rc = k;
                break;
            }
        }
        if (got < 0) rc = -1;
        pmp_shard_close(r);
    }
    return rc < 0 ? -1 : 0;
}

/* Parses the common options plus -n (head) and -o / -t. Returns -1 to go on,
 * or an exit code. */
typedef struct args {
    pmp_cli cli;
    const char *out, *tokenizer;
    uint64_t n;
    int allow_duplicates;   /* merge only */
    int first;     /* optind after parsing */
} args;

static int parse(args *a, int argc, char **argv, const char *prog, const char *usage)
{
    pmp_cli_init(&a->cli, prog, usage);
    a->n = 10;
    static const struct option longopts[] = {
        PMP_CLI_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {"tokenizer", required_argument, NULL, 't'},
        {"lines", required_argument, NULL, 'n'},
        {"allow-duplicates", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS "o:t:n:", longopts, NULL)) != -1) {
        int r_exit, r = pmp_cli_option(&a->cli, c, &r_exit);
        if (r == PMP_CLI_EXIT) return r_exit;
        if (r == PMP_CLI_HANDLED) continue;
        long long n;
        switch (c) {
        case 'o': a->out = optarg; break;
        case 't': a->tokenizer = optarg; break;
        case 'D':
            if (strcmp(prog, "pmp-shard merge") != 0)
                return pmp_cli_usage_error(&a->cli, "--allow-duplicates is an option of merge");
            a->allow_duplicates = 1;
            break;
        case 'n':
            if (pmp_parse_int(optarg, 0, LLONG_MAX, &n) < 0) return pmp_cli_usage_error(&a->cli, "-n: expected a count");
            a->n = (uint64_t)n;
            break;
        default: return pmp_cli_usage_error(&a->cli, "unexpected option");
        }
    }
    a->first = optind;
    if (optind >= argc) return pmp_cli_usage_error(&a->cli, "expected a shard directory");
    return -1;
}

/* Every subcommand opens its directories here (pmp_shard_dir_open): only info and
 * verify take an incomplete one, and say so. */
static int load(pmp_manifest *m, const char *dir, unsigned flags, pmp_err *err)
{
    return pmp_shard_dir_open(m, dir, flags, err) < 0 ? -1 : 0;
}

/* ---------- info ---------- */

static const char info_usage[] =
    "Usage: pmp-shard info [--json] DIR...\n"
    "Prints counts, sizes, tokenizer, pairing policy and sources of each shard directory;\n"
    "with --json one JSON object a directory on stdout (dir, split, complete, kind,\n"
    "tokenizer, shards, bytes, input, input_groups, stats with sources). Exit 1 when a\n"
    "directory is INCOMPLETE (its pmp-tokenize did not finish) or fails its checks.\n\n"
    "Example:\n  pmp-shard info shards/ shards/eval\n";

static void print_input_sources(const pmp_manifest *m, const char *label)
{
    printf("  input: %s, %" PRIu64 " groups%s\n", m->input_path ? m->input_path : "?",
           m->complete ? m->input_groups : m->input_cursor, m->complete ? "" : " (cursor)");
    printf("  %s:", label);
    for (size_t s = 0; s < m->stats.n_sources; s++)
        printf(" %s=%" PRIu64, m->stats.sources[s].name, m->stats.sources[s].groups);
    printf("\n");
}

/* --json of info and verify: one compact object a directory, on stdout. */
static void print_json(const char *dir, const pmp_manifest *m, uint64_t bytes, const char *verified)
{
    pmp_buf out = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &out);
    pmp_jobj_str(&j, "dir", dir);
    if (verified) pmp_jobj_str(&j, "verify", verified);
    pmp_jobj_str(&j, "split", m->split);
    pmp_jobj_bool(&j, "complete", m->complete);
    pmp_jobj_str(&j, "kind", m->policy.text_chunk_tokens ? "text" : "pairs");
    pmp_jobj_object(&j, "tokenizer");
    pmp_jobj_str(&j, "identity", m->tok_identity);
    pmp_jobj_str(&j, "path", m->tok_path);
    pmp_jobj_str(&j, "kind", m->tok_kind);
    pmp_jobj_str(&j, "pattern", m->tok_pattern);
    pmp_jobj_u64(&j, "vocab_size", m->tok_vocab_size);
    pmp_jobj_close(&j);
    pmp_jobj_u64(&j, "shards", m->n_shards);
    pmp_jobj_u64(&j, "bytes", bytes);
    pmp_jobj_str(&j, "input", m->input_path);
    pmp_jobj_u64(&j, "input_groups", m->complete ? m->input_groups : m->input_cursor);
    pmp_jobj_object(&j, "stats");
    pmp_manifest_stats_put(&j, &m->stats);
    pmp_jobj_end(&j);
    printf("%s\n", out.data);
    pmp_buf_free(&out);
}

int pmp_shard_cmd_info(int argc, char **argv)
{
    args a = {0};
    int rc = parse(&a, argc, argv, "pmp-shard info", info_usage);
    if (rc >= 0) return rc;
    int incomplete = 0;
    for (int i = a.first; i < argc; i++) {
        pmp_manifest m;
        pmp_err err;
        if (load(&m, argv[i], PMP_SHARD_DIR_INCOMPLETE_OK, &err) < 0)
            return pmp_cli_fail_err(&a.cli, &err);
        if (!m.complete) {
            pmp_cli_warn(&a.cli, "%s: INCOMPLETE: its pmp-tokenize did not finish (readers refuse it; "
                         "finish it with --resume)", argv[i]);
            incomplete = 1;
        }
        uint64_t bytes = 0;
        for (size_t s = 0; s < m.n_shards; s++) bytes += m.shards[s].bytes;
        if (a.cli.json) {
            print_json(argv[i], &m, bytes, NULL);
            pmp_manifest_free(&m);
            continue;
        }
        const pmp_manifest_stats *st = &m.stats;
        printf("%s: split %s, %s\n", argv[i], m.split, m.complete ? "complete" : "INCOMPLETE");
        printf("  tokenizer: %s (%s, %s, pattern %s, vocab %" PRIu64 ")\n", m.tok_identity,
               m.tok_path ? m.tok_path : "?", m.tok_kind, m.tok_pattern ? m.tok_pattern : "?",
               m.tok_vocab_size);
        printf("  shards: %zu, %" PRIu64 " bytes (%.2f bytes/token)\n", m.n_shards, bytes,
               st->tokens ? (double)bytes / (double)st->tokens : 0.0);
        if (m.policy.text_chunk_tokens) {
            printf("  text (pmp-tokenize --text): %" PRIu64 " documents of at most %" PRIu64
                   " tokens, tokens: %" PRIu64 "\n", st->groups, m.policy.text_chunk_tokens, st->tokens);
            print_input_sources(&m, "sources (documents)");
            pmp_manifest_free(&m);
            continue;
        }
        printf("  groups: %" PRIu64 " (%" PRIu64 " without pairs), responses: %" PRIu64
               ", pairs: %" PRIu64 ", tokens: %" PRIu64 "\n",
               st->groups, st->groups_without_pairs, st->responses, st->pairs, st->tokens);
        printf("  truncated: %" PRIu64 " contexts (-%" PRIu64 " tokens), %" PRIu64
               " responses (-%" PRIu64 " tokens)\n",
               st->contexts_truncated, st->context_tokens_dropped, st->responses_truncated,
               st->response_tokens_dropped);
        printf("  policy: max_pairs_per_group %" PRIu64 ", min_score_gap %g, time_rule %s, "
               "eval_fraction %g (fold %" PRIu64 "%s)\n",
               m.policy.max_pairs_per_group, m.policy.min_score_gap,
               m.policy.time_rule ? "on" : "off", m.policy.eval_fraction, m.policy.eval_fold,
               m.policy.split_by_id ? ", by group id" : "");
        printf("  pairs: %" PRIu64 " candidates, dropped %" PRIu64 " (gap) %" PRIu64
               " (time rule) %" PRIu64 " (cap)\n",
               st->pair_candidates, st->pairs_dropped_gap, st->pairs_dropped_time,
               st->pairs_dropped_cap);
        print_input_sources(&m, "sources");
        pmp_manifest_free(&m);
    }
    return incomplete ? PMP_EXIT_FAIL : PMP_EXIT_OK;
}

/* ---------- verify ---------- */

static const char verify_usage[] =
    "Usage: pmp-shard verify [--json] DIR...\n"
    "Checks every shard the manifest lists: header, footer and index checksums, every\n"
    "block's xxHash64 and decoded size, every record's structure and the counts, then\n"
    "the file's size and checksum against the manifest. Names the shard and block that\n"
    "fail; exit 1. Also reports shard or temporary files the manifest does not list.\n"
    "An INCOMPLETE directory (pmp-tokenize did not finish) is checked as far as it goes\n"
    "and exits 1. --json: one JSON object a directory on stdout, info's with \"verify\":\n"
    "\"ok\", \"incomplete\" or \"failed\" (the reason on stderr).\n\n"
    "Example:\n  pmp-shard verify shards/ shards/eval\n";

static int unlisted(const pmp_manifest *m, const char *dir, pmp_buf *out)
{
    char **names;
    size_t n;
    pmp_err ignored;
    if (pmp_shard_dir_list_stray(dir, m, &names, &n, &ignored) < 0) return 0;
    for (size_t i = 0; i < n; i++) pmp_buf_printf(out, " %s", names[i]);
    pmp_shard_dir_names_free(names, n);
    return (int)n;
}

int pmp_shard_cmd_verify(int argc, char **argv)
{
    args a = {0};
    int rc = parse(&a, argc, argv, "pmp-shard verify", verify_usage);
    if (rc >= 0) return rc;
    int fail = 0;
    for (int i = a.first; i < argc; i++) {
        pmp_manifest m;
        pmp_err err;
        int loaded = load(&m, argv[i], PMP_SHARD_DIR_INCOMPLETE_OK, &err) == 0;
        if (!loaded || pmp_manifest_verify(&m, argv[i], 1, &err) < 0) {
            pmp_cli_fail_err(&a.cli, &err);
            fail = 1;
            if (a.cli.json && loaded) print_json(argv[i], &m, 0, "failed");
            pmp_manifest_free(&m);
            continue;
        }
        pmp_buf extra = PMP_BUF_INIT;
        if (unlisted(&m, argv[i], &extra))
            pmp_cli_warn(&a.cli, "%s: files not listed in the manifest:%s", argv[i], extra.data);
        pmp_buf_free(&extra);
        uint64_t bytes = 0;
        for (size_t s = 0; s < m.n_shards; s++) bytes += m.shards[s].bytes;
        if (!m.complete) {
            pmp_cli_fail(&a.cli, "%s: INCOMPLETE: its pmp-tokenize did not finish; the %zu shards "
                         "written so far verify (finish it with --resume)", argv[i], m.n_shards);
            fail = 1;
        }
        if (a.cli.json) print_json(argv[i], &m, bytes, m.complete ? "ok" : "incomplete");
        else if (!a.cli.quiet && m.complete)
            printf("%s: ok: %zu shards, %" PRIu64 " groups, %" PRIu64 " pairs\n", argv[i],
                   m.n_shards, m.stats.groups, m.stats.pairs);
        pmp_manifest_free(&m);
    }
    return fail ? PMP_EXIT_FAIL : PMP_EXIT_OK;
}

/* ---------- cat / head ---------- */

typedef struct cat_ctx {
    const pmp_bpe *bpe;
    pmp_group_writer *w;
    pmp_group g;
    pmp_buf dec, clean;
    uint64_t left;        /* groups still to print (head) */
    uint64_t repaired;    /* texts cut inside a UTF-8 sequence by truncation */
    int text;             /* a --text directory: documents, not groups */
} cat_ctx;

int pmp_shard_cmd_decode(const pmp_bpe *bpe, const uint32_t *t, size_t n, pmp_buf *dec,
                         pmp_buf *scratch, uint64_t *repaired, pmp_err *err)
{
    pmp_buf_clear(dec);
    pmp_buf_clear(scratch);
    if (pmp_bpe_decode(bpe, t, n, dec, err) < 0) return -1;
    if (dec->len == 0) pmp_buf_reserve(dec, 1);
    if (pmp_utf8_check(dec->data, dec->len) == dec->len) return 0;
    (*repaired)++;
    pmp_utf8_sanitize(scratch, dec->data, dec->len);
    pmp_buf tmp = *dec;
    *dec = *scratch;
    *scratch = tmp;
    return 0;
}

static int decode(cat_ctx *c, const uint32_t *t, size_t n, pmp_err *err)
{
    return pmp_shard_cmd_decode(c->bpe, t, n, &c->dec, &c->clean, &c->repaired, err);
}

static int cat_one(void *ctx, const pmp_shard_group *sg, pmp_err *err)
{
    cat_ctx *c = ctx;
    if (c->left == 0) return 1;
    c->left--;
    pmp_group *g = &c->g;
    pmp_group_clear(g);
    if (decode(c, sg->ctx, sg->n_ctx, err) < 0) return -1;
    if (c->text)
        return pmp_group_writer_write_text(c->w, sg->source, sg->source_len, sg->id, sg->id_len,
                                           sg->split_key, sg->split_key_len, c->dec.data,
                                           c->dec.len, err) < 0 ? -1 : 0;
    char *src = pmp_xstrndup(sg->source, sg->source_len), *id = pmp_xstrndup(sg->id, sg->id_len);
    pmp_group_set(g, src, id, c->dec.data, c->dec.len);
    free(src);
    free(id);
    if (sg->split_key) pmp_group_set_split_key(g, sg->split_key, sg->split_key_len);
    for (uint32_t i = 0; i < sg->n_resp; i++) {
        const pmp_shard_resp *r = &sg->resp[i];
        if (decode(c, r->tokens, r->n_tokens, err) < 0) return -1;
        char *rid = r->id ? pmp_xstrndup(r->id, r->id_len) : NULL;
        pmp_response *gr = pmp_group_add_response(g, rid, c->dec.data, c->dec.len, r->score);
        gr->created_utc = r->created_utc;
        free(rid);
    }
    if (sg->meta) pmp_group_set_meta(g, pmp_xstrndup(sg->meta, sg->meta_len));
    return pmp_group_writer_write(c->w, g, err) < 0 ? -1 : 0;
}


static int cat_common(int argc, char **argv, const char *prog, const char *usage, int head)
{
    args a = {0};
    int rc = parse(&a, argc, argv, prog, usage);
    if (rc >= 0) return rc;
    cat_ctx c = {0};
    c.left = head ? a.n : UINT64_MAX;
    pmp_group_init(&c.g);
    pmp_err err;
    if (pmp_group_writer_open(&c.w, "-", &err) < 0) return pmp_cli_fail_err(&a.cli, &err);
    rc = 0;
    for (int i = a.first; i < argc && rc == 0 && c.left; i++) {
        pmp_manifest m;
        pmp_bpe *bpe = NULL;
        if (load(&m, argv[i], 0, &err) < 0) {
            rc = -1;
            break;
        }
        if (pmp_bpe_load_for_manifest(&bpe, &m, a.tokenizer, NULL, &err) < 0) rc = -1;
        else {
            c.bpe = bpe;
            c.text = m.policy.text_chunk_tokens > 0;
            rc = pmp_shard_cmd_each(&m, cat_one, &c, &err);
        }
        pmp_bpe_free(bpe);
        pmp_manifest_free(&m);
    }
    pmp_err werr;
    int wrc = pmp_group_writer_close(c.w, &werr);
    pmp_group_clear(&c.g);
    pmp_buf_free(&c.dec);
    pmp_buf_free(&c.clean);
    if (c.repaired)
        pmp_cli_warn(&a.cli, "%llu truncated texts ended inside a UTF-8 character (replaced by U+FFFD)",
                     (unsigned long long)c.repaired);
    if (rc < 0) return pmp_cli_fail_err(&a.cli, &err);
    if (wrc < 0) return pmp_cli_fail_err(&a.cli, &werr);
    return PMP_EXIT_OK;
}

static const char cat_usage[] =
    "Usage: pmp-shard cat [-t TOKENIZER] DIR...\n"
    "Decodes every group of DIR's shards back to group JSONL (docs/records.md) on stdout,\n"
    "with the tokenizer the manifest names (or -t, which must have the same identity).\n"
    "For input that was not truncated, the output equals pmp-tokenize's input groups.\n"
    "A --text directory gives its documents, {\"source\", \"id\", \"text\"} a line.\n\n"
    "Example:\n  pmp-shard cat shards/ | head -n 1\n";

int pmp_shard_cmd_cat(int argc, char **argv)
{
    return cat_common(argc, argv, "pmp-shard cat", cat_usage, 0);
}

static const char head_usage[] =
    "Usage: pmp-shard head [-n N] [-t TOKENIZER] DIR...\n"
    "Like cat, but stops after N groups (default 10).\n\n"
    "Example:\n  pmp-shard head -n 2 shards/\n";

int pmp_shard_cmd_head(int argc, char **argv)
{
    return cat_common(argc, argv, "pmp-shard head", head_usage, 1);
}

/* ---------- pair ---------- */

static const char pair_usage[] =
    "Usage: pmp-shard pair DIR K...\n"
    "Finds pair K (0-based, over DIR's shards in manifest order) through the shard\n"
    "index (one block decompressed) and prints it as one JSON line: shard, group id,\n"
    "better/worse response indices, scores and token counts.\n\n"
    "Example:\n  pmp-shard pair shards/ 0 12345\n";

int pmp_shard_cmd_pair(int argc, char **argv)
{
    args a = {0};
    int rc = parse(&a, argc, argv, "pmp-shard pair", pair_usage);
    if (rc >= 0) return rc;
    if (argc - a.first < 2) return pmp_cli_usage_error(&a.cli, "expected DIR and K");
    const char *dir = argv[a.first];
    pmp_manifest m;
    pmp_err err;
    if (load(&m, dir, 0, &err) < 0) return pmp_cli_fail_err(&a.cli, &err);
    pmp_buf out = PMP_BUF_INIT;
    rc = PMP_EXIT_OK;
    for (int i = a.first + 1; i < argc && rc == PMP_EXIT_OK; i++) {
        long long ki;
        if (pmp_parse_int(argv[i], 0, LLONG_MAX, &ki) < 0) {
            rc = pmp_cli_usage_error(&a.cli, "K must be a pair number, got '%s'", argv[i]);
            break;
        }
        uint64_t k = (uint64_t)ki, base = 0;
        size_t s = 0;
        while (s < m.n_shards && k >= base + m.shards[s].pairs) base += m.shards[s++].pairs;
        if (s == m.n_shards) {
            rc = pmp_cli_fail(&a.cli, "%s: pair %s out of range (%" PRIu64 " pairs)", dir, argv[i],
                              base);
            break;
        }
        pmp_shard_reader *r;
        pmp_shard_group g;
        uint32_t which;
        if (pmp_shard_dir_shard(&m, s, &r, &err) < 0) {
            rc = pmp_cli_fail_err(&a.cli, &err);
            break;
        }
        if (pmp_shard_pair(r, k - base, &g, &which, &err) < 0) {
            rc = pmp_cli_fail_err(&a.cli, &err);
        } else {
            const pmp_shard_resp *b = &g.resp[g.pairs[2 * which]], *w = &g.resp[g.pairs[2 * which + 1]];
            pmp_buf_clear(&out);
            pmp_jobj j;
            pmp_jobj_begin(&j, &out);
            pmp_jobj_str(&j, "shard", m.shards[s].name);
            pmp_jobj_u64(&j, "pair", k);
            pmp_jobj_strn(&j, "group", g.id, g.id_len);
            pmp_jobj_u64(&j, "better", g.pairs[2 * which]);
            pmp_jobj_u64(&j, "worse", g.pairs[2 * which + 1]);
            pmp_jobj_num(&j, "better_score", b->score);
            pmp_jobj_num(&j, "worse_score", w->score);
            pmp_jobj_u64(&j, "context_tokens", g.n_ctx);
            pmp_jobj_u64(&j, "better_tokens", b->n_tokens);
            pmp_jobj_u64(&j, "worse_tokens", w->n_tokens);
            pmp_jobj_end(&j);
            pmp_buf_appendc(&out, '\n');
            fwrite(out.data, 1, out.len, stdout);
        }
        pmp_shard_close(r);
    }
    pmp_buf_free(&out);
    pmp_manifest_free(&m);
    return rc;
}

/* ---------- merge ---------- */

static const char merge_usage[] =
    "Usage: pmp-shard merge [--allow-duplicates] DIR... -o OUT\n"
    "Copies the shards of complete directories (same tokenizer identity) into OUT,\n"
    "renumbered in argument order, with one manifest summing their stats. The policy\n"
    "recorded is the first directory's. OUT must be absent or empty. Eval splits stay\n"
    "apart: when every DIR has DIR/eval, they are merged the same way into OUT/eval\n"
    "(when only some have one, none is, with a warning).\n"
    "Each shard's bytes are checked against its manifest as they are copied. The result\n"
    "is built in a hidden sibling (.OUT.merge-PID.tmp) and renamed to OUT only once all\n"
    "of it is on disk: a merge that fails leaves no OUT. A shard given twice (the same\n"
    "directory twice, or a copy of one) is refused, since its groups would count twice,\n"
    "unless --allow-duplicates.\n\n"
    "Example:\n  pmp-shard merge shards-a/ shards-b/ -o shards/\n";

/* Copies a shard and checks, as the bytes go by, that they are the ones its manifest
 * lists (size and whole-file xxHash64): a damaged input fails the merge. */
static int copy_shard(const char *from, const char *to, const pmp_manifest_shard *want, pmp_err *err)
{
    FILE *f = fopen(from, "rb");
    if (!f) return pmp_err_errno(err, errno, "%s", from);
    pmp_dfile out;
    if (pmp_dfile_open(&out, to, err) < 0) {
        fclose(f);
        return -1;
    }
    static char buf[1 << 16];
    size_t n;
    uint64_t bytes = 0, h = 0;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        rc = pmp_dfile_write(&out, buf, n, err);
        bytes += n;
    }
    if (rc == 0 && ferror(f)) rc = pmp_err_setc(err, PMP_E_IO, "%s: read error", from);
    fclose(f);
    if (rc < 0) {
        pmp_dfile_abort(&out);
        return -1;
    }
    if (pmp_dfile_commit(&out, &h, err) < 0) return -1;
    if (bytes != want->bytes || h != want->xxh64)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: its bytes differ from the manifest's checksum "
                            "(damaged after it was written); nothing was merged", from);
    return 0;
}

/* One level of the merge: the loaded manifests ins[0..n) (of dirs[i] + sub) into out_dir,
 * each merged by pmp_manifest_merge (the rule of every field is formats/'s) before its
 * shards are copied to the names it gives them. */
static int merge_level(const pmp_manifest *ins, int n, const char *out_dir, size_t *n_out, pmp_err *err)
{
    if (pmp_mkdir_p(out_dir, err) < 0) return -1;
    pmp_manifest out;
    pmp_manifest_init(&out);
    out.dir = pmp_xstrdup(out_dir);
    pmp_buf from = PMP_BUF_INIT, to = PMP_BUF_INIT;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const pmp_manifest *m = &ins[i];
        size_t base = out.n_shards;
        if (pmp_manifest_merge(&out, m, err) < 0) {
            rc = -1;
            break;
        }
        for (size_t s = 0; rc == 0 && s < m->n_shards; s++) {
            pmp_buf_clear(&from);
            pmp_buf_clear(&to);
            pmp_buf_printf(&from, "%s/%s", m->dir, m->shards[s].name);
            pmp_buf_printf(&to, "%s/%s", out_dir, out.shards[base + s].name);
            rc = copy_shard(from.data, to.data, &m->shards[s], err);
        }
    }
    if (rc == 0) rc = pmp_manifest_save(&out, out_dir, err);
    *n_out += out.n_shards;
    pmp_buf_free(&from);
    pmp_buf_free(&to);
    pmp_manifest_free(&out);
    return rc;
}

/* A shard listed twice (same size and whole-file checksum) among all inputs: its
 * groups would count twice. */
static int find_duplicate(const pmp_manifest *ms, int n, pmp_err *err)
{
    for (int i = 0; i < n; i++)
        for (size_t s = 0; s < ms[i].n_shards; s++)
            for (int j = i; j < n; j++)
                for (size_t t = j == i ? s + 1 : 0; t < ms[j].n_shards; t++) {
                    const pmp_manifest_shard *a = &ms[i].shards[s], *b = &ms[j].shards[t];
                    if (a->xxh64 == b->xxh64 && a->bytes == b->bytes)
                        return pmp_err_setc(err, PMP_E_USAGE, "%s/%s and %s/%s are the same shard (a "
                                            "directory given twice, or a copy of one): its groups "
                                            "would count twice; --allow-duplicates merges anyway",
                                            ms[i].dir, a->name, ms[j].dir, b->name);
                }
    return 0;
}

/* Removes the merge's temporary directory: its files and its eval/ (nothing else is
 * ever in it). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    pmp_buf p = PMP_BUF_INIT;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        pmp_buf_clear(&p);
        pmp_buf_printf(&p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p.data, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p.data);
        else unlink(p.data);
    }
    closedir(d);
    pmp_buf_free(&p);
    rmdir(dir);
}

static int open_inputs(pmp_manifest *ms, char **dirs, int n, const char *sub, pmp_err *err)
{
    pmp_buf dir = PMP_BUF_INIT;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        pmp_buf_clear(&dir);
        pmp_buf_printf(&dir, "%s%s", dirs[i], sub);
        if (load(&ms[i], dir.data, 0, err) < 0) rc = -1;
    }
    pmp_buf_free(&dir);
    return rc;
}

int pmp_shard_cmd_merge(int argc, char **argv)
{
    args a = {0};
    int rc = parse(&a, argc, argv, "pmp-shard merge", merge_usage);
    if (rc >= 0) return rc;
    if (!a.out) return pmp_cli_usage_error(&a.cli, "-o OUT is required");
    if (!strcmp(a.out, "-")) return pmp_cli_usage_error(&a.cli, "-o -: merge writes a directory, not stdout");
    pmp_err err;
    int ne = pmp_tokenize_dir_nonempty(a.out, &err);
    if (ne < 0) return pmp_cli_fail_err(&a.cli, &err);
    if (ne) return pmp_cli_fail(&a.cli, "%s: directory is not empty", a.out);
    /* eval splits stay apart: merged into OUT/eval when every input has one */
    int n = argc - a.first, with_eval = 0;
    char **dirs = argv + a.first;
    pmp_buf p = PMP_BUF_INIT;
    for (int i = 0; i < n; i++) {
        struct stat st;
        pmp_buf_clear(&p);
        pmp_buf_printf(&p, "%s/%s/%s", dirs[i], PMP_SHARD_EVAL_DIR, PMP_MANIFEST_NAME);
        with_eval += stat(p.data, &st) == 0;
    }
    if (with_eval && with_eval != n) {   /* e.g. a directory merged with its own eval/ */
        fprintf(stderr, "pmp-shard merge: warning: only %d of the %d directories have an eval split "
                "(DIR/eval); those are not merged\n", with_eval, n);
        with_eval = 0;
    }
    /* Every input is opened (and checked: pmp_shard_dir_open) before anything is written. */
    pmp_manifest *tm = pmp_xcalloc((size_t)n, sizeof *tm), *em = pmp_xcalloc((size_t)n, sizeof *em);
    rc = open_inputs(tm, dirs, n, "", &err);
    if (rc == 0 && with_eval) rc = open_inputs(em, dirs, n, "/" PMP_SHARD_EVAL_DIR, &err);
    if (rc == 0 && !a.allow_duplicates) rc = find_duplicate(tm, n, &err);
    if (rc == 0 && !a.allow_duplicates && with_eval) rc = find_duplicate(em, n, &err);
    /* Built in a sibling, renamed into place once whole and durable. */
    pmp_buf out = PMP_BUF_INIT, parent = PMP_BUF_INIT, tmp = PMP_BUF_INIT;
    pmp_buf_appends(&out, a.out);
    while (out.len > 1 && out.data[out.len - 1] == '/') out.data[--out.len] = 0;
    const char *slash = strrchr(out.data, '/');
    const char *base = slash ? slash + 1 : out.data;
    if (slash) pmp_buf_append(&parent, out.data, (size_t)(slash - out.data) + (slash == out.data));
    else pmp_buf_appends(&parent, ".");
    pmp_buf_printf(&tmp, "%s/.%s.merge-%ld.tmp", parent.data, base, (long)getpid());
    size_t shards = 0;
    int made = 0;
    if (rc == 0) rc = pmp_mkdir_p(parent.data, &err);
    if (rc == 0) {
        remove_tree(tmp.data);   /* left by a killed merge whose pid this one reuses */
        if (mkdir(tmp.data, 0755) < 0)
            rc = pmp_err_errno(&err, errno, "%s: cannot create directory", tmp.data);
        else
            made = 1;
    }
    if (rc == 0) rc = merge_level(tm, n, tmp.data, &shards, &err);
    if (rc == 0 && with_eval) {
        pmp_buf ev = PMP_BUF_INIT;
        pmp_buf_printf(&ev, "%s/%s", tmp.data, PMP_SHARD_EVAL_DIR);
        rc = merge_level(em, n, ev.data, &shards, &err);
        pmp_buf_free(&ev);
    }
    if (rc == 0) rc = pmp_fsync_dir(tmp.data, &err);
    /* rename(2) replaces OUT when it is an empty directory */
    if (rc == 0 && rename(tmp.data, out.data) < 0)
        rc = pmp_err_errno(&err, errno, "%s: cannot rename %s to it", out.data, tmp.data);
    else if (rc == 0) {
        made = 0;
        rc = pmp_fsync_dir(parent.data, &err);
    }
    if (made) remove_tree(tmp.data);
    for (int i = 0; i < n; i++) {
        pmp_manifest_free(&tm[i]);
        pmp_manifest_free(&em[i]);
    }
    free(tm);
    free(em);
    pmp_buf_free(&p);
    pmp_buf_free(&parent);
    pmp_buf_free(&tmp);
    if (rc < 0) {
        pmp_buf_free(&out);
        return pmp_cli_fail_err(&a.cli, &err);
    }
    if (!a.cli.quiet)
        fprintf(stderr, "pmp-shard merge: %zu shards into %s%s\n", shards, out.data,
                with_eval ? " (and its eval/)" : "");
    pmp_buf_free(&out);
    return PMP_EXIT_OK;
}

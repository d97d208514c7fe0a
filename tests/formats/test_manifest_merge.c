/* Merging manifests field by field (pmp_manifest_merge) and the shard directory's names.
 *
 * The rule check: every key the manifest writer can write (read from the writer's source,
 * formats/manifest.c, so keys written only under a condition count too) has a row in the
 * merge table, and every row is a key the writer writes. The source reading is itself
 * checked against the JSON a manifest with every optional field set writes. Set
 * PMP_MANIFEST_WRITER to read another writer: tests/formats/planted_field.sh plants a key
 * in a copy of manifest.c and expects this test to fail naming it. */
#include <dirent.h>
#include <json-c/json.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "pmp_shard.h"
#include "shard_internal.h"
#include "test_util.h"

/* ---------- the keys a writer writes, from its source ---------- */

enum { K_LEAF, K_ARRAY, K_MAP };
typedef struct keyset {
    char *key[256];
    int kind[256];
    size_t n;
} keyset;

static void add_key(keyset *ks, const char *key, int kind)
{
    for (size_t i = 0; i < ks->n; i++)
        if (!strcmp(ks->key[i], key)) return;
    assert_true(ks->n < 256);
    ks->key[ks->n] = strdup(key);
    ks->kind[ks->n++] = kind;
}

static int find_key(const keyset *ks, const char *key)
{
    for (size_t i = 0; i < ks->n; i++)
        if (!strcmp(ks->key[i], key)) return (int)i;
    return -1;
}

static void keyset_free(keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) free(ks->key[i]);
    ks->n = 0;
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The source with comments blanked (string literals kept). */
static char *strip_comments(const char *s)
{
    char *o = strdup(s);
    for (size_t i = 0; o[i]; i++) {
        if (o[i] == '"') {
            for (i++; o[i] && o[i] != '"'; i++)
                if (o[i] == '\\' && o[i + 1]) i++;
        } else if (o[i] == '\'') {
            for (i++; o[i] && o[i] != '\''; i++)
                if (o[i] == '\\' && o[i + 1]) i++;
        } else if (o[i] == '/' && o[i + 1] == '*') {
            for (; o[i] && !(o[i] == '*' && o[i + 1] == '/'); i++) o[i] = ' ';
            if (o[i]) o[i] = o[i + 1] = ' ';
        } else if (o[i] == '/' && o[i + 1] == '/') {
            for (; o[i] && o[i] != '\n'; i++) o[i] = ' ';
        }
        if (!o[i]) break;
    }
    return o;
}

/* Index just past the bracket matching the one at s[i] ('(' or '{'). */
static size_t match(const char *s, size_t i)
{
    char open = s[i], close = open == '(' ? ')' : '}';
    int depth = 0;
    for (; s[i]; i++) {
        if (s[i] == '"') {
            for (i++; s[i] && s[i] != '"'; i++)
                if (s[i] == '\\') i++;
        } else if (s[i] == open) {
            depth++;
        } else if (s[i] == close && --depth == 0) {
            return i + 1;
        }
    }
    return i;
}

/* The '{' of function fn's definition in src, or (size_t)-1. */
static size_t find_body(const char *src, const char *fn)
{
    size_t n = strlen(fn);
    for (const char *p = strstr(src, fn); p; p = strstr(p + 1, fn)) {
        size_t i = (size_t)(p - src);
        if ((i && ident_char(src[i - 1])) || src[i + n] != '(') continue;
        size_t j = match(src, i + n);
        while (src[j] == ' ' || src[j] == '\n') j++;
        if (src[j] == '{') return j;
    }
    return (size_t)-1;
}

typedef struct scan {
    const char *src;
    keyset *ks;
    char path[16][128];   /* the open containers' key paths; [0] the root ("") */
    int depth;
    const char *stats[64];   /* the PMP_MANIFEST_STATS names, for a stringized "#n" key */
    size_t n_stats;
} scan;

static void join(char *out, size_t cap, const char *prefix, const char *key)
{
    snprintf(out, cap, "%s%s%s", prefix, *prefix ? "." : "", key);
}

/* Argument k (0-based) of the call whose '(' is at s[i], trimmed, into out. */
static void call_arg(const char *s, size_t i, int k, char *out, size_t cap)
{
    int depth = 0, arg = 0;
    size_t start = i + 1;
    out[0] = 0;
    for (size_t j = i; s[j]; j++) {
        char c = s[j];
        if (c == '"') {
            for (j++; s[j] && s[j] != '"'; j++)
                if (s[j] == '\\') j++;
            continue;
        }
        if (c == '(') depth++;
        else if (c == ')') depth--;
        if ((c == ',' && depth == 1) || depth == 0) {
            if (arg == k) {
                while (s[start] == ' ' || s[start] == '\n') start++;
                size_t e = j;
                while (e > start && (s[e - 1] == ' ' || s[e - 1] == '\n')) e--;
                size_t len = e - start < cap - 1 ? e - start : cap - 1;
                memcpy(out, s + start, len);
                out[len] = 0;
                return;
            }
            arg++;
            start = j + 1;
            if (depth == 0) return;
        }
    }
}

static void scan_body(scan *sc, size_t open)
{
    const char *s = sc->src;
    size_t end = match(s, open);
    for (size_t i = open + 1; i < end; i++) {
        if (s[i] == '"') {
            for (i++; s[i] && s[i] != '"'; i++)
                if (s[i] == '\\') i++;
            continue;
        }
        if (!ident_char(s[i]) || ident_char(s[i - 1]) || (s[i] >= '0' && s[i] <= '9')) continue;
        size_t a = i;
        while (ident_char(s[i])) i++;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(i - a), s + a);
        size_t p = i;
        while (s[p] == ' ') p++;
        i--;
        if (s[p] != '(') continue;
        char obj[64], key[128];
        call_arg(s, p, 0, obj, sizeof obj);
        if (strcmp(obj, "&j") && strcmp(obj, "j")) continue;   /* not about the JSON object */
        if (strncmp(name, "pmp_jobj_", 9) != 0) {
            /* a helper writing into the object: its keys are the writer's too */
            size_t body = find_body(s, name);
            assert_true(body != (size_t)-1);
            scan_body(sc, body);
            continue;
        }
        const char *op = name + 9;
        const char *top = sc->path[sc->depth];
        char full[128];
        if (!strcmp(op, "begin") || !strcmp(op, "begin_pretty")) {
            sc->depth = 0;
            sc->path[0][0] = 0;
            continue;
        }
        if (!strcmp(op, "end")) continue;
        if (!strcmp(op, "close")) {
            assert_true(sc->depth > 0);
            sc->depth--;
            continue;
        }
        call_arg(s, p, 1, key, sizeof key);
        int literal = key[0] == '"';
        if (literal) {
            memmove(key, key + 1, strlen(key));
            char *q = strchr(key, '"');
            assert_non_null(q);
            *q = 0;
        }
        int opens = !strncmp(op, "object", 6) || !strncmp(op, "array", 5);
        if (opens) {
            if (!strcmp(key, "NULL")) snprintf(full, sizeof full, "%s[]", top);
            else if (literal) join(full, sizeof full, top, key);
            else fail_msg("%s: a container with a computed key", name);
            assert_true(sc->depth < 15);
            snprintf(sc->path[++sc->depth], sizeof sc->path[0], "%s", full);
            if (!strncmp(op, "array", 5)) add_key(sc->ks, full, K_ARRAY);
        } else if (literal) {
            join(full, sizeof full, top, key);
            add_key(sc->ks, full, K_LEAF);
        } else if (key[0] == '#') {
            /* a stringized X-macro parameter: the writer expands PMP_MANIFEST_STATS */
            assert_non_null(strstr(s + open, "PMP_MANIFEST_STATS("));
            for (size_t k = 0; k < sc->n_stats; k++) {
                join(full, sizeof full, top, sc->stats[k]);
                add_key(sc->ks, full, K_LEAF);
            }
        } else {
            add_key(sc->ks, top, K_MAP);   /* keys that are data: a map */
        }
    }
}

static void writer_keys(keyset *ks)
{
    const char *writer = getenv("PMP_MANIFEST_WRITER");
    char path[4096];
    snprintf(path, sizeof path, "%s", writer ? writer : PMP_SOURCE_DIR "/formats/manifest.c");
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    scan sc = {0};
    sc.src = strip_comments(text);
    sc.ks = ks;
#define NAME(n) sc.stats[sc.n_stats++] = #n;
    PMP_MANIFEST_STATS(NAME)
#undef NAME
    size_t body = find_body(sc.src, "manifest_json");
    assert_true(body != (size_t)-1);
    scan_body(&sc, body);
    free((char *)sc.src);
    free(text);
}

/* ---------- the keys a manifest writes, from its JSON ---------- */

static const pmp_manifest_merge_field *row(const char *key)
{
    const pmp_manifest_merge_field *rows;
    size_t n = pmp_manifest_merge_fields(&rows);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].key, key)) return &rows[i];
    return NULL;
}

static void walk(json_object *o, const char *prefix, keyset *ks)
{
    json_object_object_foreach(o, k, v) {
        char full[128];
        join(full, sizeof full, prefix, k);
        const pmp_manifest_merge_field *r = row(full);
        if (r && r->kind == PMP_MF_SOURCES) {
            add_key(ks, full, K_MAP);
        } else if (json_object_is_type(v, json_type_object)) {
            walk(v, full, ks);
        } else if (json_object_is_type(v, json_type_array)) {
            add_key(ks, full, K_ARRAY);
            char elem[160];
            snprintf(elem, sizeof elem, "%s[]", full);
            for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (json_object_is_type(e, json_type_object)) walk(e, elem, ks);
                else add_key(ks, elem, K_LEAF);
            }
        } else {
            add_key(ks, full, K_LEAF);
        }
    }
}

/* A manifest with every field set, the optional ones included. */
static void full_manifest(pmp_manifest *m, const char *identity, int variant)
{
    pmp_manifest_init(m);
    m->complete = 1;
    m->split = strdup("train");
    m->tok_identity = strdup(identity);
    m->tok_path = strdup("/data/tok.json");
    m->tok_relpath = strdup("../tok.json");
    m->tok_kind = strdup(variant ? "tiktoken" : "tokenizer.json");
    m->tok_pattern = strdup("gpt2");
    m->tok_vocab_size = 50257;
    m->policy = (pmp_manifest_policy){.max_pairs_per_group = 5 + (uint64_t)variant,
                                      .min_score_gap = 0.5,
                                      .time_rule = 1,
                                      .shp_rule = 1,
                                      .max_context_tokens = 512,
                                      .max_response_tokens = 256,
                                      .shard_size = 1 << 20,
                                      .eval_fraction = 0.1,
                                      .eval_fold = 2,
                                      .split_by_id = 1,
                                      .zstd_level = 3,
                                      .text_chunk_tokens = 0};
    m->input_path = strdup("a.jsonl + b.jsonl");
    m->input_size = 1000;
    m->input_cursor = 40 + (uint64_t)variant;
    m->input_prefix_xxh64 = 0x1234;
    m->input_groups = 50 + (uint64_t)variant;
    m->input_bad_lines = 2;
    m->n_input_files = 2;
    m->input_files = calloc(2, sizeof *m->input_files);
    m->input_file_sizes = calloc(2, sizeof *m->input_file_sizes);
    m->input_files[0] = strdup("a.jsonl");
    m->input_files[1] = strdup("b.jsonl");
    m->input_file_sizes[0] = 600;
    m->input_file_sizes[1] = 400;
    uint64_t k = 1;
#define SET(n) m->stats.n = 100 * (uint64_t)(variant + 1) + k++;
    PMP_MANIFEST_STATS(SET)
#undef SET
    pmp_manifest_stats_add_source(&m->stats, variant ? "reddit" : "hh", variant ? 6 : 2, 30);
    pmp_manifest_stats_add_source(&m->stats, "stackexchange", 13, 20);
    for (int i = 0; i < 2 + variant; i++) {
        char name[32];
        snprintf(name, sizeof name, "shard-%06d.pmps", i);
        pmp_manifest_shard *s = pmp_manifest_add_shard(m, name);
        s->bytes = 1000 + 10 * (uint64_t)variant + (uint64_t)i;
        s->blocks = 1;
        s->groups = 10 + (uint64_t)i;
        s->pairs = 20 + (uint64_t)i;
        s->tokens = 300 + (uint64_t)i;
        s->groups_without_pairs = (uint64_t)i;
        s->xxh64 = 0xabc0 + (uint64_t)i + 16 * (uint64_t)variant;
        s->index_xxh64 = 0xdef0 + (uint64_t)i + 16 * (uint64_t)variant;
    }
    m->dir = strdup(variant ? "in-b" : "in-a");
}

static void json_keys(keyset *ks)
{
    pmp_manifest m;
    full_manifest(&m, "bpe1:x", 0);
    pmp_buf b = PMP_BUF_INIT;
    pmp_manifest_to_json(&b, &m);
    json_object *o = json_tokener_parse(b.data);
    assert_non_null(o);
    walk(o, "", ks);
    json_object_put(o);
    pmp_buf_free(&b);
    pmp_manifest_free(&m);
}

static const char *kind_name(int k)
{
    return k == K_LEAF ? "a value" : k == K_ARRAY ? "an array" : "a map";
}

static void test_every_written_key_has_a_merge_rule(void **state)
{
    (void)state;
    keyset src = {0}, js = {0};
    writer_keys(&src);
    json_keys(&js);
    /* the source reading sees every key the writer wrote */
    for (size_t i = 0; i < js.n; i++)
        if (find_key(&src, js.key[i]) < 0)
            fail_msg("the manifest's JSON has \"%s\", which the reading of the writer's source missed",
                     js.key[i]);
    int missing = 0;
    for (size_t i = 0; i < src.n; i++) {
        const pmp_manifest_merge_field *r = row(src.key[i]);
        if (!r) {
            fprintf(stderr, "manifest key \"%s\" (%s) has no merge rule: add a row to the table in "
                    "formats/manifest_merge.c (and its rule to pmp_shard.h)\n", src.key[i],
                    kind_name(src.kind[i]));
            missing++;
        } else if (src.kind[i] == K_MAP && r->kind != PMP_MF_SOURCES) {
            fprintf(stderr, "manifest key \"%s\" is a map, its row says otherwise\n", src.key[i]);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    /* and no row for a key the writer no longer writes */
    const pmp_manifest_merge_field *rows;
    size_t n = pmp_manifest_merge_fields(&rows);
    for (size_t i = 0; i < n; i++) {
        if (find_key(&src, rows[i].key) < 0) fail_msg("merge row \"%s\": the writer writes no such key", rows[i].key);
        assert_true(rows[i].rule >= PMP_MERGE_EQUAL && rows[i].rule <= PMP_MERGE_CLEAR);
    }
    /* enough keys were found for the reading to be the real thing */
    assert_true(src.n >= 50);
    keyset_free(&src);
    keyset_free(&js);
}

/* ---------- the merge, against values worked out by hand ---------- */

static void test_merge_by_rule(void **state)
{
    (void)state;
    pmp_manifest a, b, out;
    full_manifest(&a, "bpe1:x", 0);
    full_manifest(&b, "bpe1:x", 1);
    free(a.tok_path);
    a.tok_path = strdup(tu_tmp("tok.json"));
    tu_write_file(a.tok_path, "{}", 2);
    pmp_manifest_init(&out);
    out.dir = strdup(tu_tmp("merged"));
    assert_int_equal(mkdir(out.dir, 0755), 0);
    pmp_err err;
    assert_int_equal(pmp_manifest_merge(&out, &a, &err), 0);
    assert_int_equal(pmp_manifest_merge(&out, &b, &err), 0);
    /* MIN, FIRST, EQUAL */
    assert_int_equal(out.complete, 1);
    assert_string_equal(out.split, "train");
    assert_string_equal(out.tok_identity, "bpe1:x");
    assert_string_equal(out.tok_kind, "tokenizer.json");   /* a's */
    assert_int_equal(out.policy.max_pairs_per_group, 5);   /* a's, not b's 6 */
    assert_true(out.policy.split_by_id && out.policy.shp_rule);
    assert_true(out.policy.min_score_gap == 0.5);
    /* SUM */
    assert_int_equal(out.input_cursor, 40 + 41);
    assert_int_equal(out.input_groups, 50 + 51);
    assert_int_equal(out.input_bad_lines, 4);
    assert_int_equal(out.stats.groups, a.stats.groups + b.stats.groups);
    assert_int_equal(out.stats.pairs_dropped_cap, a.stats.pairs_dropped_cap + b.stats.pairs_dropped_cap);
    assert_int_equal(out.stats.n_sources, 3);   /* hh, reddit, stackexchange 20 + 20 */
    assert_string_equal(out.stats.sources[2].name, "stackexchange");
    assert_int_equal(out.stats.sources[2].groups, 40);
    /* CLEAR */
    assert_null(out.input_path);
    assert_int_equal(out.input_size, 0);
    assert_int_equal(out.n_input_files, 0);
    assert_int_equal(out.input_prefix_xxh64, 0);
    /* CONCAT, renamed; each entry's fields travel with it */
    assert_int_equal(out.n_shards, 5);
    for (size_t i = 0; i < 5; i++) {
        char want[PMP_SHARD_NAME_MAX];
        assert_string_equal(out.shards[i].name, pmp_shard_dir_name(want, i));
        const pmp_manifest_shard *from = i < 2 ? &a.shards[i] : &b.shards[i - 2];
        assert_int_equal(out.shards[i].bytes, from->bytes);
        assert_int_equal(out.shards[i].pairs, from->pairs);
        assert_int_equal(out.shards[i].xxh64, from->xxh64);
        assert_int_equal(out.shards[i].index_xxh64, from->index_xxh64);
    }
    /* RECOMPUTE: a's tokenizer file (its given path: its relative one, from in-a/, does
     * not exist), named from the merged directory */
    assert_string_equal(out.tok_path, a.tok_path);
    assert_string_equal(out.tok_relpath, "../tok.json");
    /* the merged manifest saves and loads back as written */
    assert_int_equal(pmp_manifest_save(&out, out.dir, &err), 0);
    pmp_manifest back;
    assert_int_equal(pmp_manifest_load(&back, out.dir, &err), 1);
    pmp_buf x = PMP_BUF_INIT, y = PMP_BUF_INIT;
    pmp_manifest_to_json(&x, &out);
    pmp_manifest_to_json(&y, &back);
    assert_string_equal(x.data, y.data);
    pmp_buf_free(&x);
    pmp_buf_free(&y);
    pmp_manifest_free(&back);
    pmp_manifest_free(&out);
    pmp_manifest_free(&a);
    pmp_manifest_free(&b);
}

static void test_merge_refuses_what_must_be_equal(void **state)
{
    (void)state;
    pmp_manifest a, b, out;
    full_manifest(&a, "bpe1:x", 0);
    pmp_err err;
    /* another tokenizer */
    full_manifest(&b, "bpe1:y", 1);
    pmp_manifest_init(&out);
    out.dir = strdup(tu_tmp("refused"));
    assert_int_equal(pmp_manifest_merge(&out, &a, &err), 0);
    pmp_buf before = PMP_BUF_INIT, after = PMP_BUF_INIT;
    pmp_manifest_to_json(&before, &out);
    assert_int_equal(pmp_manifest_merge(&out, &b, &err), -1);
    assert_int_equal(err.code, PMP_E_MISMATCH);
    assert_non_null(strstr(err.msg, "in-b"));
    assert_non_null(strstr(err.msg, "tokenizer.identity"));
    assert_non_null(strstr(err.msg, "bpe1:y"));
    pmp_manifest_to_json(&after, &out);
    assert_string_equal(before.data, after.data);   /* left as it was */
    pmp_manifest_free(&b);
    /* a text directory into a pair directory */
    full_manifest(&b, "bpe1:x", 1);
    b.policy.text_chunk_tokens = 1024;
    assert_int_equal(pmp_manifest_merge(&out, &b, &err), -1);
    assert_int_equal(err.code, PMP_E_MISMATCH);
    assert_non_null(strstr(err.msg, "policy.text_chunk_tokens"));
    pmp_buf_clear(&after);
    pmp_manifest_to_json(&after, &out);
    assert_string_equal(before.data, after.data);
    pmp_buf_free(&before);
    pmp_buf_free(&after);
    pmp_manifest_free(&b);
    pmp_manifest_free(&out);
    pmp_manifest_free(&a);
}

/* ---------- names, listing, cleaning ---------- */

static void test_names(void **state)
{
    (void)state;
    char n[PMP_SHARD_NAME_MAX];
    assert_string_equal(pmp_shard_dir_name(n, 0), "shard-000000.pmps");
    assert_string_equal(pmp_shard_dir_name(n, 42), "shard-000042.pmps");
    assert_string_equal(pmp_shard_dir_name(n, 1234567), "shard-1234567.pmps");
    assert_string_equal(pmp_shard_dir_name(n, SIZE_MAX), "shard-18446744073709551615.pmps");
    size_t i = 7;
    assert_int_equal(pmp_shard_dir_recognise("shard-000042.pmps", &i), 1);
    assert_int_equal(i, 42);
    assert_int_equal(pmp_shard_dir_recognise("shard-1234567.pmps", &i), 1);
    assert_int_equal(i, 1234567);
    assert_int_equal(pmp_shard_dir_recognise("shard-18446744073709551615.pmps", &i), 1);
    assert_true(i == SIZE_MAX);
    const char *not_ours[] = {"shard-18446744073709551616.pmps", "shard-99999999999999999999999.pmps",
                              "shard-1.pmps", "shard-00042.pmps", "shard-0000042.pmps",
                              "shard-000042.pmps.tmp", "shard-000042.pmp", "shard-000042.pmpsx",
                              "shard--00042.pmps", "shard-+00042.pmps", "shard-00004a.pmps",
                              "Shard-000042.pmps", "shard-.pmps", "manifest.json", ""};
    for (size_t k = 0; k < sizeof not_ours / sizeof *not_ours; k++)
        if (pmp_shard_dir_recognise(not_ours[k], &i)) fail_msg("recognised \"%s\"", not_ours[k]);
}

static void touch(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    tu_write_file(p, "x", 1);
}

static int exists(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void test_list_and_clean(void **state)
{
    (void)state;
    const char *dir = tu_tmp("dir");
    assert_int_equal(mkdir(dir, 0755), 0);
    const char *files[] = {"shard-000000.pmps", "shard-000001.pmps", "shard-000002.pmps",
                           "shard-000002.pmps.tmp", "manifest.json", "manifest.json.tmp",
                           ".lock", "notes.txt", "shard-1.pmps", "x.tmp"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) touch(dir, files[k]);
    pmp_manifest m;
    pmp_manifest_init(&m);
    pmp_manifest_add_shard(&m, "shard-000000.pmps");
    pmp_manifest_add_shard(&m, "shard-000001.pmps");
    char **names;
    size_t n;
    pmp_err err;
    assert_int_equal(pmp_shard_dir_list_stray(dir, &m, &names, &n, &err), 0);
    assert_int_equal(n, 3);   /* sorted */
    assert_string_equal(names[0], "manifest.json.tmp");
    assert_string_equal(names[1], "shard-000002.pmps");
    assert_string_equal(names[2], "shard-000002.pmps.tmp");
    pmp_shard_dir_names_free(names, n);
    assert_int_equal(pmp_shard_dir_list_stray(tu_tmp("absent"), &m, &names, &n, &err), 0);
    assert_int_equal(n, 0);
    /* --resume: what the manifest lists stays */
    assert_int_equal(pmp_shard_dir_clean(dir, &m, 0, &err), 0);
    assert_true(exists(dir, "shard-000000.pmps") && exists(dir, "shard-000001.pmps"));
    assert_false(exists(dir, "shard-000002.pmps") || exists(dir, "shard-000002.pmps.tmp") ||
                 exists(dir, "manifest.json.tmp"));
    assert_true(exists(dir, "manifest.json"));
    /* --force: every shard and the manifest; what is not ours stays */
    assert_int_equal(pmp_shard_dir_clean(dir, NULL, 1, &err), 0);
    assert_false(exists(dir, "shard-000000.pmps") || exists(dir, "shard-000001.pmps") ||
                 exists(dir, "manifest.json"));
    assert_true(exists(dir, ".lock") && exists(dir, "notes.txt") && exists(dir, "shard-1.pmps") &&
                exists(dir, "x.tmp"));
    pmp_manifest_free(&m);
}

static void test_append_opens_the_next_shard(void **state)
{
    (void)state;
    const char *dir = tu_tmp("append");
    assert_int_equal(mkdir(dir, 0755), 0);
    pmp_manifest m;
    pmp_manifest_init(&m);
    pmp_manifest_add_shard(&m, "shard-000000.pmps");
    pmp_manifest_add_shard(&m, "shard-000001.pmps");
    pmp_shard_writer *w;
    char *name;
    pmp_err err;
    assert_int_equal(pmp_shard_dir_append(&w, &name, dir, &m, 0, &err), 0);
    assert_string_equal(name, "shard-000002.pmps");
    assert_true(exists(dir, "shard-000002.pmps.tmp"));
    pmp_shard_totals t;
    assert_int_equal(pmp_shard_writer_close(w, &t, &err), 0);
    assert_true(exists(dir, "shard-000002.pmps") && !exists(dir, "shard-000002.pmps.tmp"));
    free(name);
    assert_int_equal(pmp_shard_dir_append(&w, &name, tu_tmp("no/such/dir"), &m, 0, &err), -1);
    assert_null(name);
    pmp_manifest_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_written_key_has_a_merge_rule),
        cmocka_unit_test(test_merge_by_rule),
        cmocka_unit_test(test_merge_refuses_what_must_be_equal),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_list_and_clean),
        cmocka_unit_test(test_append_opens_the_next_shard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* manifest.c — manifest.json: write (fixed key order, no times), load, verify
 * the listed shards (pmp_shard.h, docs/shards.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pmp_shard.h"
#include "shard_internal.h"

void pmp_manifest_init(pmp_manifest *m)
{
    memset(m, 0, sizeof *m);
}

void pmp_manifest_stats_free(pmp_manifest_stats *s)
{
    for (size_t i = 0; i < s->n_sources; i++) free(s->sources[i].name);
    free(s->sources);
    memset(s, 0, sizeof *s);
}

void pmp_manifest_free(pmp_manifest *m)
{
    free(m->split);
    free(m->tok_identity);
    free(m->tok_path);
    free(m->tok_relpath);
    free(m->dir);
    free(m->tok_kind);
    free(m->tok_pattern);
    free(m->input_path);
    for (size_t i = 0; i < m->n_input_files; i++) free(m->input_files[i]);
    free(m->input_files);
    free(m->input_file_sizes);
    pmp_manifest_stats_free(&m->stats);
    for (size_t i = 0; i < m->n_shards; i++) free(m->shards[i].name);
    free(m->shards);
    memset(m, 0, sizeof *m);
}

pmp_manifest_shard *pmp_manifest_add_shard(pmp_manifest *m, const char *name)
{
    if (m->n_shards == m->cap_shards) {
        m->cap_shards = m->cap_shards ? 2 * m->cap_shards : 16;
        m->shards = pmp_xrealloc(m->shards, m->cap_shards * sizeof *m->shards);
    }
    pmp_manifest_shard *s = &m->shards[m->n_shards++];
    memset(s, 0, sizeof *s);
    s->name = pmp_xstrdup(name);
    return s;
}

void pmp_manifest_stats_add_source(pmp_manifest_stats *s, const char *name, size_t len,
                                   uint64_t groups)
{
    size_t lo = 0, hi = s->n_sources;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *mn = s->sources[mid].name;
        size_t ml = strlen(mn);
        int c = memcmp(mn, name, ml < len ? ml : len);
        if (c == 0) c = ml < len ? -1 : ml > len;
        if (c == 0) {
            s->sources[mid].groups += groups;
            return;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    s->sources = pmp_xrealloc(s->sources, (s->n_sources + 1) * sizeof *s->sources);
    memmove(s->sources + lo + 1, s->sources + lo, (s->n_sources - lo) * sizeof *s->sources);
    s->sources[lo].name = pmp_xstrndup(name, len);
    s->sources[lo].groups = groups;
    s->n_sources++;
}

void pmp_manifest_stats_add(pmp_manifest_stats *dst, const pmp_manifest_stats *src)
{
#define ADD(n) dst->n += src->n;
    PMP_MANIFEST_STATS(ADD)
#undef ADD
    for (size_t i = 0; i < src->n_sources; i++)
        pmp_manifest_stats_add_source(dst, src->sources[i].name, strlen(src->sources[i].name),
                                      src->sources[i].groups);
}

/* ---------- writing ---------- */

/* with_sum: append "manifest_xxh64": sum as the last field */
static void manifest_json(pmp_buf *b, const pmp_manifest *m, int with_sum, uint64_t sum)
{
    pmp_jobj j;
    pmp_jobj_begin_pretty(&j, b);
    pmp_jobj_str(&j, "format", "pmp-shards");
    pmp_jobj_u64(&j, "version", PMP_SHARD_VERSION);
    pmp_jobj_bool(&j, "complete", m->complete);
    pmp_jobj_str(&j, "split", m->split);
    pmp_jobj_object_lines(&j, "tokenizer");
    pmp_jobj_str(&j, "identity", m->tok_identity);
    pmp_jobj_str(&j, "path", m->tok_path);
    if (m->tok_relpath) pmp_jobj_str(&j, "relative_path", m->tok_relpath);
    pmp_jobj_str(&j, "kind", m->tok_kind);
    pmp_jobj_str(&j, "pattern", m->tok_pattern);
    pmp_jobj_u64(&j, "vocab_size", m->tok_vocab_size);
    pmp_jobj_close(&j);
    const pmp_manifest_policy *p = &m->policy;
    pmp_jobj_object_lines(&j, "policy");
    pmp_jobj_u64(&j, "max_pairs_per_group", p->max_pairs_per_group);
    pmp_jobj_num(&j, "min_score_gap", p->min_score_gap);
    if (p->time_rule == PMP_TIME_RULE_LATER_OR_2X)
        pmp_jobj_str(&j, "time_rule", "later-or-2x");
    else
        pmp_jobj_bool(&j, "time_rule", p->time_rule == PMP_TIME_RULE_EARLIER_OR_2X);
    if (p->shp_rule) pmp_jobj_bool(&j, "shp_rule", 1);
    pmp_jobj_u64(&j, "max_context_tokens", p->max_context_tokens);
    pmp_jobj_u64(&j, "max_response_tokens", p->max_response_tokens);
    pmp_jobj_u64(&j, "shard_size", p->shard_size);
    pmp_jobj_num(&j, "eval_fraction", p->eval_fraction);
    pmp_jobj_u64(&j, "eval_fold", p->eval_fold);
    pmp_jobj_u64(&j, "zstd_level", (uint64_t)p->zstd_level);
    /* only when not the default, so other manifests keep their bytes */
    if (p->split_by_id) pmp_jobj_str(&j, "split_by", "id");
    /* only in text directories, so pair manifests keep their bytes */
    if (p->text_chunk_tokens) pmp_jobj_u64(&j, "text_chunk_tokens", p->text_chunk_tokens);
    pmp_jobj_close(&j);
    pmp_jobj_object_lines(&j, "input");
    pmp_jobj_str(&j, "path", m->input_path);
    if (m->input_size) pmp_jobj_u64(&j, "size", m->input_size);
    if (m->n_input_files) {
        pmp_jobj_array(&j, "files");
        for (size_t i = 0; i < m->n_input_files; i++) {
            pmp_jobj_object(&j, NULL);
            pmp_jobj_str(&j, "path", m->input_files[i]);
            if (m->input_file_sizes[i]) pmp_jobj_u64(&j, "size", m->input_file_sizes[i]);
            pmp_jobj_close(&j);
        }
        pmp_jobj_close(&j);
    }
    pmp_jobj_u64(&j, "cursor", m->input_cursor);
    if (m->input_cursor) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, m->input_prefix_xxh64);
        pmp_jobj_str(&j, "prefix_xxh64", hex);
    }
    if (m->complete) {
        pmp_jobj_u64(&j, "groups", m->input_groups);
        pmp_jobj_u64(&j, "bad_lines", m->input_bad_lines);
    }
    pmp_jobj_close(&j);
    pmp_jobj_object_lines(&j, "stats");
    pmp_manifest_stats_put(&j, &m->stats);
    pmp_jobj_close(&j);
    pmp_jobj_array_lines(&j, "shards");
    for (size_t i = 0; i < m->n_shards; i++) {
        const pmp_manifest_shard *s = &m->shards[i];
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, s->xxh64);
        pmp_jobj_object(&j, NULL);
        pmp_jobj_str(&j, "name", s->name);
        pmp_jobj_u64(&j, "bytes", s->bytes);
        pmp_jobj_u64(&j, "blocks", s->blocks);
        pmp_jobj_u64(&j, "groups", s->groups);
        pmp_jobj_u64(&j, "pairs", s->pairs);
        pmp_jobj_u64(&j, "tokens", s->tokens);
        pmp_jobj_u64(&j, "groups_without_pairs", s->groups_without_pairs);
        pmp_jobj_str(&j, "xxh64", hex);
        if (s->index_xxh64) {   /* absent from manifests written before it existed */
            snprintf(hex, sizeof hex, "%016" PRIx64, s->index_xxh64);
            pmp_jobj_str(&j, "index_xxh64", hex);
        }
        pmp_jobj_close(&j);
    }
    pmp_jobj_close(&j);
    if (with_sum) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, sum);
        pmp_jobj_str(&j, "manifest_xxh64", hex);
    }
    pmp_jobj_end(&j);
    pmp_buf_appendc(b, '\n');
}

static uint64_t canonical_sum(const pmp_manifest *m)
{
    pmp_buf body = PMP_BUF_INIT;
    manifest_json(&body, m, 0, 0);
    uint64_t h = pmp_xxh64(body.data, body.len);
    pmp_buf_free(&body);
    return h;
}

void pmp_manifest_stats_put(pmp_jobj *j, const pmp_manifest_stats *st)
{
#define W(n) pmp_jobj_u64(j, #n, st->n);
    PMP_MANIFEST_STATS(W)
#undef W
    pmp_jobj_object(j, "sources");
    for (size_t i = 0; i < st->n_sources; i++) pmp_jobj_u64(j, st->sources[i].name, st->sources[i].groups);
    pmp_jobj_close(j);
}

void pmp_manifest_to_json(pmp_buf *b, const pmp_manifest *m)
{
    manifest_json(b, m, 1, canonical_sum(m));
}

int pmp_manifest_save(const pmp_manifest *m, const char *dir, pmp_err *err)
{
    pmp_buf b = PMP_BUF_INIT, path = PMP_BUF_INIT;
    pmp_manifest_to_json(&b, m);
    pmp_buf_printf(&path, "%s/%s", dir, PMP_MANIFEST_NAME);
    int rc = pmp_write_file_durable(path.data, b.data, b.len, err);
    pmp_buf_free(&b);
    pmp_buf_free(&path);
    return rc;
}

/* ---------- reading ---------- */

static json_object *get(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, k, &v)) return NULL;
    return v;
}

static char *dup_str(json_object *o, const char *k)
{
    json_object *v = get(o, k);
    if (!v || !json_object_is_type(v, json_type_string)) return NULL;
    return pmp_xstrdup(json_object_get_string(v));
}

static uint64_t u64(json_object *o, const char *k, int *bad)
{
    json_object *v = get(o, k);
    if (!v || !json_object_is_type(v, json_type_int)) {
        *bad = 1;
        return 0;
    }
    return json_object_get_uint64(v);
}

static double num(json_object *o, const char *k, int *bad)
{
    json_object *v = get(o, k);
    if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
        *bad = 1;
        return 0;
    }
    double d = json_object_get_double(v);
    if (!isfinite(d)) *bad = 1;   /* json-c reads NaN, Infinity and 1e999; we write null */
    return d;
}

int pmp_manifest_load(pmp_manifest *m, const char *dir, pmp_err *err)
{
    pmp_manifest_init(m);
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/%s", dir, PMP_MANIFEST_NAME);
    if (access(path.data, F_OK) != 0) {
        pmp_buf_free(&path);
        return 0;
    }
    const void *text;
    size_t len;
    if (pmp_map_file(path.data, &text, &len, err) < 0) {
        pmp_buf_free(&path);
        return -1;
    }
    /* one JSON object and nothing after it but white space */
    json_tokener *tk = json_tokener_new();
    json_object *root = len ? json_tokener_parse_ex(tk, text, (int)len) : NULL;
    size_t used = root ? json_tokener_get_parse_end(tk) : 0;
    const char *c = text;
    while (root && used < len && (c[used] == ' ' || c[used] == '\n' || c[used] == '\t' || c[used] == '\r'))
        used++;
    int rc_parse = !root ? pmp_err_setc(err, PMP_E_CORRUPT, "%s: not valid JSON%s%s", path.data,
                                        len ? ": " : " (empty)",
                                        len ? json_tokener_error_desc(json_tokener_get_error(tk)) : "")
                 : used < len ? pmp_err_setc(err, PMP_E_CORRUPT, "%s: text after the JSON object at byte %zu",
                                             path.data, used)
                 : 0;
    json_tokener_free(tk);
    pmp_unmap_file(text, len);
    if (rc_parse < 0 || !json_object_is_type(root, json_type_object)) {
        if (rc_parse == 0) pmp_err_setc(err, PMP_E_CORRUPT, "%s: not a JSON object", path.data);
        json_object_put(root);
        pmp_buf_free(&path);
        return -1;
    }
    int bad = 0;
    json_object *v = get(root, "format");
    if (!v || strcmp(json_object_get_string(v), "pmp-shards") != 0 ||
        u64(root, "version", &bad) != PMP_SHARD_VERSION)
        bad = 1;
    m->complete = json_object_get_boolean(get(root, "complete"));
    m->split = dup_str(root, "split");
    json_object *t = get(root, "tokenizer");
    m->tok_identity = dup_str(t, "identity");
    m->tok_path = dup_str(t, "path");
    m->tok_relpath = dup_str(t, "relative_path");
    m->tok_kind = dup_str(t, "kind");
    m->tok_pattern = dup_str(t, "pattern");
    m->tok_vocab_size = u64(t, "vocab_size", &bad);
    json_object *p = get(root, "policy");
    m->policy.max_pairs_per_group = u64(p, "max_pairs_per_group", &bad);
    m->policy.min_score_gap = num(p, "min_score_gap", &bad);
    json_object *tr = get(p, "time_rule");
    if (tr && json_object_is_type(tr, json_type_string)) {
        if (strcmp(json_object_get_string(tr), "later-or-2x") == 0)
            m->policy.time_rule = PMP_TIME_RULE_LATER_OR_2X;
        else
            bad = 1;
    } else {
        m->policy.time_rule = json_object_get_boolean(tr) ? PMP_TIME_RULE_EARLIER_OR_2X
                                                          : PMP_TIME_RULE_OFF;
    }
    m->policy.shp_rule = json_object_get_boolean(get(p, "shp_rule"));
    m->policy.max_context_tokens = u64(p, "max_context_tokens", &bad);
    m->policy.max_response_tokens = u64(p, "max_response_tokens", &bad);
    m->policy.shard_size = u64(p, "shard_size", &bad);
    m->policy.eval_fraction = num(p, "eval_fraction", &bad);
    /* absent from manifests written before folds existed: fold 0 */
    m->policy.eval_fold = get(p, "eval_fold") ? u64(p, "eval_fold", &bad) : 0;
    m->policy.zstd_level = (int)u64(p, "zstd_level", &bad);
    json_object *sb = get(p, "split_by");   /* absent: by split key */
    if (sb) {
        const char *v = json_object_is_type(sb, json_type_string) ? json_object_get_string(sb) : "";
        m->policy.split_by_id = strcmp(v, "id") == 0;
        if (!m->policy.split_by_id && strcmp(v, "key") != 0) bad = 1;
    }
    m->policy.text_chunk_tokens = get(p, "text_chunk_tokens") ? u64(p, "text_chunk_tokens", &bad) : 0;
    json_object *in = get(root, "input");
    m->input_path = dup_str(in, "path");
    m->input_cursor = u64(in, "cursor", &bad);
    m->input_size = get(in, "size") ? u64(in, "size", &bad) : 0;
    json_object *files = get(in, "files");
    if (files && json_object_is_type(files, json_type_array)) {
        size_t nf = json_object_array_length(files);
        m->input_files = pmp_xcalloc(nf ? nf : 1, sizeof *m->input_files);
        m->input_file_sizes = pmp_xcalloc(nf ? nf : 1, sizeof *m->input_file_sizes);
        for (size_t i = 0; i < nf; i++) {
            json_object *f = json_object_array_get_idx(files, i);
            char *path = dup_str(f, "path");
            if (!path) { bad = 1; break; }
            m->input_files[i] = path;
            m->input_file_sizes[i] = get(f, "size") ? u64(f, "size", &bad) : 0;
            m->n_input_files = i + 1;
        }
    } else if (files) {
        bad = 1;
    }
    char *prefix = dup_str(in, "prefix_xxh64");   /* absent before it existed: unchecked */
    m->input_prefix_xxh64 = prefix ? strtoull(prefix, NULL, 16) : 0;
    free(prefix);
    if (m->complete) {
        m->input_groups = u64(in, "groups", &bad);
        m->input_bad_lines = u64(in, "bad_lines", &bad);
    }
    json_object *st = get(root, "stats");
#define R(n) m->stats.n = u64(st, #n, &bad);
    PMP_MANIFEST_STATS(R)
#undef R
    json_object *src = get(st, "sources");
    if (src && json_object_is_type(src, json_type_object)) {
        json_object_object_foreach(src, k, val)
            pmp_manifest_stats_add_source(&m->stats, k, strlen(k), json_object_get_uint64(val));
    } else {
        bad = 1;
    }
    json_object *sh = get(root, "shards");
    if (!sh || !json_object_is_type(sh, json_type_array)) bad = 1;
    for (size_t i = 0; !bad && i < json_object_array_length(sh); i++) {
        json_object *o = json_object_array_get_idx(sh, i);
        char *name = dup_str(o, "name");
        char *x = dup_str(o, "xxh64");
        if (!name || !x || strchr(name, '/') || name[0] == '.') {
            bad = 1;
        } else {
            pmp_manifest_shard *s = pmp_manifest_add_shard(m, name);
            s->bytes = u64(o, "bytes", &bad);
            s->blocks = u64(o, "blocks", &bad);
            s->groups = u64(o, "groups", &bad);
            s->pairs = u64(o, "pairs", &bad);
            s->tokens = u64(o, "tokens", &bad);
            s->groups_without_pairs = u64(o, "groups_without_pairs", &bad);
            s->xxh64 = strtoull(x, NULL, 16);
            char *ix = dup_str(o, "index_xxh64");
            if (ix) {
                char *end;
                s->index_xxh64 = strtoull(ix, &end, 16);
                if (strlen(ix) != 16 || *end || !s->index_xxh64) bad = 1;
            }
            free(ix);
        }
        free(name);
        free(x);
    }
    if (!m->split || !m->tok_identity || !m->tok_kind) bad = 1;
    char *sum_hex = dup_str(root, "manifest_xxh64");
    json_object_put(root);
    if (bad) {
        free(sum_hex);
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: not a pmp-shards manifest (missing or malformed fields)",
                     path.data);
        pmp_buf_free(&path);
        pmp_manifest_free(m);
        return -1;
    }
    /* Any edit of a field the tools read changes the canonical text (white space and
     * fields they do not read do not). */
    if (sum_hex) {
        char *end;
        uint64_t want = strtoull(sum_hex, &end, 16);
        int ok = strlen(sum_hex) == 16 && *end == 0 && want == canonical_sum(m);
        free(sum_hex);
        if (!ok) {
            pmp_err_setc(err, PMP_E_CORRUPT, "%s: its content does not match its manifest_xxh64 "
                         "(edited by hand or damaged); re-create the directory with pmp-tokenize",
                         path.data);
            pmp_buf_free(&path);
            pmp_manifest_free(m);
            return -1;
        }
        m->has_checksum = 1;
    }
    m->dir = pmp_xstrdup(dir);
    pmp_buf_free(&path);
    return 1;
}

void pmp_manifest_set_tokenizer_path(pmp_manifest *m, const char *given, const char *manifest_dir)
{
    free(m->tok_path);
    free(m->tok_relpath);
    m->tok_path = given ? pmp_xstrdup(given) : NULL;
    m->tok_relpath = given ? pmp_relpath(manifest_dir, given) : NULL;
}

char *pmp_manifest_tokenizer_file(const pmp_manifest *m)
{
    if (m->tok_relpath && m->dir) {
        pmp_buf p = PMP_BUF_INIT;
        if (m->tok_relpath[0] != '/') pmp_buf_printf(&p, "%s/", m->dir);
        pmp_buf_appends(&p, m->tok_relpath);
        if (access(p.data, F_OK) == 0) return pmp_buf_detach(&p);
        pmp_buf_free(&p);
    }
    return m->tok_path ? pmp_xstrdup(m->tok_path) : NULL;
}

int pmp_manifest_policy_cmp(const pmp_manifest_policy *a, const pmp_manifest_policy *b,
                            pmp_err *err)
{
#define CMP(f, name)                                                                \
    if (a->f != b->f) return pmp_err_setc(err, PMP_E_MISMATCH, "%s differs", name);
    CMP(text_chunk_tokens, "--text / --chunk-tokens")
    CMP(max_pairs_per_group, "--max-pairs-per-group")
    CMP(min_score_gap, "--min-score-gap")
    if (a->time_rule != b->time_rule &&
        (a->time_rule == PMP_TIME_RULE_EARLIER_OR_2X || b->time_rule == PMP_TIME_RULE_EARLIER_OR_2X))
        return pmp_err_setc(err, PMP_E_MISMATCH,
                            "--time-rule differs: the directory was written by the earlier "
                            "rule that kept earlier winners (docs/tokenize.md); write a new one");
    CMP(time_rule, "--time-rule")
    CMP(shp_rule, "--preset shp")
    CMP(max_context_tokens, "--max-context-tokens")
    CMP(max_response_tokens, "--max-response-tokens")
    CMP(shard_size, "--shard-size")
    CMP(eval_fraction, "--split")
    CMP(eval_fold, "--split fold")
    CMP(split_by_id, "--split-by")
    CMP(zstd_level, "--zstd-level")
#undef CMP
    return 0;
}

/* ---------- verifying ---------- */

int pmp_shard_file_xxh64(const char *path, uint64_t *size, uint64_t *h, pmp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", path, strerror(errno));
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    static char buf[1 << 16];
    uint64_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            XXH64_freeState(st);
            return pmp_err_setc(err, pmp_errcode_from_errno(e), "%s: %s", path, strerror(e));
        }
        if (k == 0) break;
        XXH64_update(st, buf, (size_t)k);
        n += (uint64_t)k;
    }
    close(fd);
    *size = n;
    *h = XXH64_digest(st);
    XXH64_freeState(st);
    return 0;
}

int pmp_manifest_verify(const pmp_manifest *m, const char *dir, int full, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    int rc = 0;
    if (full && !m->has_checksum)
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s/%s: has no manifest_xxh64 (written by an older "
                            "pmp-tokenize); re-create the directory to verify it", dir, PMP_MANIFEST_NAME);
    pmp_shard_totals sum = {0};
    for (size_t i = 0; i < m->n_shards && rc == 0; i++) {
        const pmp_manifest_shard *s = &m->shards[i];
        pmp_buf_clear(&path);
        pmp_buf_printf(&path, "%s/%s", dir, s->name);
        if (full) {
            /* Structure first, so a damaged byte is reported with its block. */
            pmp_shard_reader *r;
            if (pmp_shard_open(&r, path.data, err) < 0) {
                rc = -1;
                break;
            }
            const pmp_shard_totals *t = pmp_shard_info(r);
            if (pmp_shard_verify(r, err) < 0) rc = -1;
            else if (t->groups != s->groups || t->pairs != s->pairs || t->tokens != s->tokens ||
                     t->blocks != s->blocks || t->groups_without_pairs != s->groups_without_pairs)
                rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: counts differ from the manifest's", path.data);
            sum.groups += t->groups;
            sum.pairs += t->pairs;
            sum.tokens += t->tokens;
            sum.groups_without_pairs += t->groups_without_pairs;
            pmp_shard_close(r);
            if (rc) break;
        }
        uint64_t size = 0, h = 0;
        if (pmp_shard_file_xxh64(path.data, &size, &h, err) < 0) {
            rc = -1;
        } else if (size != s->bytes) {
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: %llu bytes, the manifest says %llu (truncated or replaced)",
                             path.data, (unsigned long long)size, (unsigned long long)s->bytes);
        } else if (h != s->xxh64) {
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: file checksum differs from the manifest's", path.data);
        }
    }
    pmp_buf_free(&path);
    if (rc == 0 && full) {
        /* the totals users read (pmp-shard info, the trainer's pair count) */
        uint64_t by_source = 0;
        for (size_t i = 0; i < m->stats.n_sources; i++) by_source += m->stats.sources[i].groups;
        const char *what = sum.groups != m->stats.groups ? "groups"
                         : sum.pairs != m->stats.pairs ? "pairs"
                         : sum.tokens != m->stats.tokens ? "tokens"
                         : sum.groups_without_pairs != m->stats.groups_without_pairs ? "groups_without_pairs"
                         : by_source != m->stats.groups ? "sources (their groups do not add up to groups)"
                         : NULL;
        if (what)
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s/%s: stats.%s differs from the shards' total",
                              dir, PMP_MANIFEST_NAME, what);
    }
    return rc;
}

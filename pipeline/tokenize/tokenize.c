/* tokenize.c — pmp_tokenize_run: read batches of groups, encode them in
 * parallel, then truncate, pair, split and append them serially in input
 * order (pmp_tokenize.h). JSON parsing runs in parallel too. Commit order per shard: the shard file (tmp, fsync,
 * rename, dir fsync), then that split's manifest (same dance). */
#include <math.h>
#include <pthread.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pmp_bpe.h"
#include "pmp_group.h"
#include "pmp_input.h"
#include "pmp_pairing.h"
#include "pmp_shard.h"
#include "pmp_tokenize.h"
#include "tokenize_internal.h"

/* 4 MiB, not 32: the two alternating batches then reuse buffers that are still warm; at
 * 32 MiB a run of a few batches first-touched every page (page faults were a fifth of
 * the CPU time on 30 MB of groups, and 0.93 -> 0.80 CPU s with 4 MiB). */
#define BATCH_TEXT_BYTES (4u << 20)

void pmp_tokenize_opts_default(pmp_tokenize_opts *o)
{
    memset(o, 0, sizeof *o);
    o->input = "-";
    pmp_pairs_policy pairs;
    pmp_pairs_policy_default(&pairs);
    pmp_pairs_policy_to_manifest(&pairs, &o->policy);
    o->policy.shard_size = 64u << 20;
    o->batch_groups = 4096;
    o->max_line_bytes = (size_t)64 << 20;
}

typedef struct split {
    const char *name;        /* "train" / "eval" */
    char *dir;
    pmp_manifest m;          /* what is committed on disk */
    pmp_manifest_stats pending;
    pmp_shard_writer *w;
    char *w_name;
    uint64_t last_ordinal;   /* ordinal of the last group appended to w */
    uint64_t last_prefix;    /* the input's prefix hash through that group */
    /* --resume: the prefix hash the run recorded at its cursor, checked when the
     * input reaches it (0: nothing to check) */
    uint64_t resume_prefix;
} split;

typedef struct run {
    const pmp_tokenize_opts *o;
    pmp_tokenize_result *res;
    pmp_bpe *bpe;
    split sp[2];
    int n_splits;
    pmp_input *in;           /* the input being read */
    const char *const *paths;/* the inputs, in reading order */
    size_t n_paths;
    uint64_t *sizes;         /* each one's bytes when a regular file, else 0 */
    char *label;             /* the inputs for messages ("<stdin>", "a + b") */
    uint64_t next_ordinal;   /* valid groups seen so far */
    uint64_t cursor[2];      /* --resume: groups [0, cursor) of each split are on disk */
    uint64_t input_size;     /* their sum, when all are regular files; else 0 */
    XXH64_state_t *in_hash;  /* over the group lines read so far (the input's identity) */
    pmp_tok_batch bat[2];    /* one is written while the other is parsed and encoded */
    /* the writer thread */
    pthread_t writer;
    int writer_running, writer_rc;
    pmp_tok_batch *writer_batch;
    pmp_err writer_err;
    pmp_bpe_scratch **scratch;
    int n_scratch;
    /* serial stage */
    uint32_t *pairs;
    size_t pairs_cap;
    double *scores, *times;
    pmp_shard_resp *resp;
    size_t resp_cap;
    /* --text */
    pmp_text_set *seen;
    unsigned char *keep;
    size_t keep_cap;
    pmp_buf doc_id;
} run;

static void split_free(split *s)
{
    if (s->w) pmp_shard_writer_abort(s->w);
    free(s->w_name);
    free(s->dir);
    pmp_manifest_free(&s->m);
    pmp_manifest_stats_free(&s->pending);
}

/* ---------- setting up the splits ---------- */

static void fill_manifest_header(run *r, split *s)
{
    pmp_manifest *m = &s->m;
    free(m->split);
    free(m->tok_identity);
    free(m->tok_kind);
    free(m->tok_pattern);
    free(m->input_path);
    m->split = pmp_xstrdup(s->name);
    m->tok_identity = pmp_xstrdup(pmp_bpe_identity(r->bpe));
    pmp_manifest_set_tokenizer_path(m, r->o->tokenizer, s->dir);
    m->tok_kind = pmp_xstrdup(pmp_bpe_kind(r->bpe));
    m->tok_pattern = pmp_xstrdup(pmp_bpe_pattern_name(r->bpe));
    m->tok_vocab_size = pmp_bpe_vocab_size(r->bpe);
    m->policy = r->o->policy;
    m->input_path = pmp_xstrdup(r->n_paths > 1 ? r->label : r->paths[0]);
    m->input_size = r->input_size;
    for (size_t i = 0; i < m->n_input_files; i++) free(m->input_files[i]);
    free(m->input_files);
    free(m->input_file_sizes);
    m->input_files = NULL;
    m->input_file_sizes = NULL;
    m->n_input_files = 0;
    if (r->n_paths > 1) {
        m->n_input_files = r->n_paths;
        m->input_files = pmp_xmalloc(r->n_paths * sizeof *m->input_files);
        m->input_file_sizes = pmp_xmalloc(r->n_paths * sizeof *m->input_file_sizes);
        for (size_t i = 0; i < r->n_paths; i++) {
            m->input_files[i] = pmp_xstrdup(r->paths[i]);
            m->input_file_sizes[i] = r->sizes[i];
        }
    }
    m->complete = 0;
}

/* --resume: the inputs are as many as the run's, and each regular file has the size
 * it had (the prefix hash then checks the content as it is read). */
static int same_inputs(const run *r, const pmp_manifest *m, const char *dir, pmp_err *err)
{
    size_t had = m->n_input_files ? m->n_input_files : 1;
    if (had != r->n_paths)
        return pmp_err_setc(err, PMP_E_MISMATCH, "%s: --resume with a different input: the run "
                            "read %zu input%s (%s), this one has %zu", dir, had, had > 1 ? "s" : "",
                            m->input_path ? m->input_path : "?", r->n_paths);
    for (size_t i = 0; i < r->n_paths; i++) {
        uint64_t was = m->n_input_files ? m->input_file_sizes[i] : m->input_size;
        const char *name = m->n_input_files ? m->input_files[i] : m->input_path;
        if (was && r->sizes[i] && was != r->sizes[i])
            return pmp_err_setc(err, PMP_E_MISMATCH, "%s: --resume with a different input: %s is %llu "
                                "bytes, the run read %s of %llu bytes", dir, r->paths[i],
                                (unsigned long long)r->sizes[i], name ? name : "?",
                                (unsigned long long)was);
    }
    return 0;
}

static int open_split(run *r, split *s, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    if (pmp_mkdir_p(s->dir, err) < 0) return -1;
    if (o->resume) {
        int got = pmp_shard_dir_open(&s->m, s->dir, PMP_SHARD_DIR_INCOMPLETE_OK | PMP_SHARD_DIR_ABSENT_OK, err);
        if (got < 0) return pmp_err_prefix(err, "--resume");
        if (got == 1) {
            if (strcmp(s->m.tok_identity, pmp_bpe_identity(r->bpe)) != 0)
                return pmp_err_setc(err, PMP_E_MISMATCH, "%s: --resume with a different tokenizer (%s, was %s)",
                                   s->dir, pmp_bpe_identity(r->bpe), s->m.tok_identity);
            if (pmp_manifest_policy_cmp(&s->m.policy, &o->policy, err) < 0)
                return pmp_err_prefix(err, "%s: --resume with different options", s->dir);
            if (strcmp(s->m.split, s->name) != 0)
                return pmp_err_setc(err, PMP_E_MISMATCH, "%s: manifest is for split \"%s\"", s->dir, s->m.split);
            if (pmp_manifest_verify(&s->m, s->dir, 0, err) < 0)
                return pmp_err_prefix(err, "--resume: a listed shard is damaged");
            /* the same input: its size now (a regular file's), its content as it is read */
            if (same_inputs(r, &s->m, s->dir, err) < 0) return -1;
            s->resume_prefix = s->m.input_cursor ? s->m.input_prefix_xxh64 : 0;
        }
        if (pmp_shard_dir_clean(s->dir, got == 1 ? &s->m : NULL, 0, err) < 0) return -1;
    } else if (o->force) {
        if (pmp_shard_dir_clean(s->dir, NULL, 1, err) < 0) return -1;
    }
    fill_manifest_header(r, s);
    return 0;
}

/* ---------- committing shards ---------- */

static int commit_shard(run *r, split *s, pmp_err *err)
{
    pmp_shard_totals t;
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/%s", s->dir, s->w_name);
    int rc = pmp_shard_writer_close(s->w, &t, err);
    s->w = NULL;
    if (rc < 0) {
        /* If the rename happened but the directory fsync failed, the file has its
         * final name without being listed: remove it. */
        unlink(path.data);
        pmp_buf_free(&path);
        return -1;
    }
    pmp_manifest_shard *ms = pmp_manifest_add_shard(&s->m, s->w_name);
    ms->bytes = t.bytes;
    ms->blocks = t.blocks;
    ms->groups = t.groups;
    ms->pairs = t.pairs;
    ms->tokens = t.tokens;
    ms->groups_without_pairs = t.groups_without_pairs;
    ms->xxh64 = t.xxh64;
    ms->index_xxh64 = t.index_xxh64;
    pmp_manifest_stats_add(&s->m.stats, &s->pending);
    pmp_manifest_stats_free(&s->pending);
    s->m.input_cursor = s->last_ordinal + 1;
    s->m.input_prefix_xxh64 = s->last_prefix;
    r->res->shards_written++;
    if (pmp_manifest_save(&s->m, s->dir, err) < 0) {
        /* Keep the shard only if the new manifest made it to disk. */
        pmp_manifest on_disk;
        pmp_err e2;
        int listed = 0;
        if (pmp_manifest_load(&on_disk, s->dir, &e2) == 1) {
            for (size_t i = 0; i < on_disk.n_shards; i++)
                if (!strcmp(on_disk.shards[i].name, s->w_name)) listed = 1;
            pmp_manifest_free(&on_disk);
        }
        if (!listed) unlink(path.data);
        pmp_buf_free(&path);
        return -1;
    }
    pmp_buf_free(&path);
    free(s->w_name);
    s->w_name = NULL;
    return 0;
}

/* ---------- writing (the writer thread) ---------- */

static void add_source(pmp_manifest_stats *st, const char *src)
{
    pmp_manifest_stats_add_source(st, src, strlen(src), 1);
}

/* Commits split s's shard when it is full. Only between input groups: the cursor
 * a manifest records is a group boundary, so a group's records never straddle it. */
static int commit_if_full(run *r, split *s, pmp_err *err)
{
    if (s->w && pmp_shard_writer_tokens(s->w) * 4 >= r->o->policy.shard_size) return commit_shard(r, s, err);
    return 0;
}

/* Appends one record to split s's open shard (opening it first). ordinal/prefix: the
 * input group the record comes from. */
static int append_record(run *r, split *s, const pmp_shard_group *sg, uint64_t ordinal,
                         uint64_t prefix, pmp_err *err)
{
    if (!s->w && pmp_shard_dir_append(&s->w, &s->w_name, s->dir, &s->m, r->o->policy.zstd_level, err) < 0)
        return -1;
    if (pmp_shard_writer_add(s->w, sg, err) < 0) return -1;
    s->last_ordinal = ordinal;
    s->last_prefix = prefix;
    return 0;
}

/* --text: each selected text of group k, cut into chunks of at most
 * text_chunk_tokens tokens, one record a chunk: id "GROUP/context" or
 * "GROUP/RESPONSE_ID" (or "GROUP/rI" without one), a document line's own id, "#C"
 * added when a text has several chunks; no responses, no pairs. A chunk of one token
 * (nothing to predict) is dropped. */
static int place_texts(run *r, const pmp_tok_batch *b, size_t k, pmp_err *err)
{
    const pmp_group *g = &b->groups[b->kidx[k]];
    split *s = &r->sp[b->which[k]];
    pmp_manifest_stats *st = &s->pending;
    uint64_t C = r->o->policy.text_chunk_tokens;
    for (size_t t = b->first_text[k]; t < b->first_text[k + 1]; t++) {
        const pmp_ids *ids = &b->ids[t];
        int role = b->role[t];
        size_t n_chunks = (ids->len + C - 1) / C;
        for (size_t c = 0; c < n_chunks; c++) {
            uint32_t n = (uint32_t)(ids->len - c * C < C ? ids->len - c * C : C);
            if (n < 2) {
                r->res->text_tokens_dropped += n;
                continue;
            }
            pmp_buf_clear(&r->doc_id);
            pmp_buf_printf(&r->doc_id, "%s", g->id);   /* a document line keeps its own id */
            if (g->n_responses > 0) {
                if (role < 0) pmp_buf_printf(&r->doc_id, "/context");
                else if (g->responses[role].id) pmp_buf_printf(&r->doc_id, "/%s", g->responses[role].id);
                else pmp_buf_printf(&r->doc_id, "/r%d", role);
            }
            if (n_chunks > 1) pmp_buf_printf(&r->doc_id, "#%zu", c);
            pmp_shard_group sg = {0};
            sg.source = g->source;
            sg.source_len = strlen(g->source);
            sg.id = r->doc_id.data;
            sg.id_len = r->doc_id.len;
            sg.split_key = g->split_key;   /* the group's, for pmp-shard leaks */
            sg.split_key_len = g->split_key ? strlen(g->split_key) : 0;
            sg.ctx = ids->data + c * C;
            sg.n_ctx = sg.orig_ctx = n;
            st->groups++;
            st->groups_without_pairs++;
            st->context_tokens += n;
            st->tokens += n;
            add_source(st, g->source);
            r->res->documents++;
            if (append_record(r, s, &sg, b->ordinal[k], b->prefix_xxh64[k], err) < 0) return -1;
        }
    }
    return commit_if_full(r, s, err);
}

/* Truncates, pairs and appends group k of the batch. */
static int place_group(run *r, const pmp_tok_batch *b, size_t k, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    const pmp_group *g = &b->groups[b->kidx[k]];
    split *s = &r->sp[b->which[k]];
    pmp_manifest_stats *st = &s->pending;
    const pmp_ids *ids = &b->ids[b->first_text[k]];
    size_t n = g->n_responses;
    if (n > r->resp_cap) {
        r->resp_cap = 2 * n;
        r->resp = pmp_xrealloc(r->resp, r->resp_cap * sizeof *r->resp);
        r->scores = pmp_xrealloc(r->scores, r->resp_cap * sizeof *r->scores);
        r->times = pmp_xrealloc(r->times, r->resp_cap * sizeof *r->times);
    }
    pmp_shard_group sg = {0};
    sg.source = g->source;
    sg.source_len = strlen(g->source);
    sg.id = g->id;
    sg.id_len = strlen(g->id);
    sg.meta = g->meta_json;
    sg.meta_len = g->meta_json ? strlen(g->meta_json) : 0;
    sg.split_key = g->split_key;
    sg.split_key_len = g->split_key ? strlen(g->split_key) : 0;
    uint64_t mc = o->policy.max_context_tokens, mr = o->policy.max_response_tokens;
    sg.orig_ctx = (uint32_t)ids[0].len;
    sg.n_ctx = sg.orig_ctx;
    sg.ctx = ids[0].data;
    if (mc && sg.n_ctx > mc) {   /* keep the end of the context: the turn being answered */
        sg.ctx += sg.n_ctx - mc;
        sg.n_ctx = (uint32_t)mc;
        st->contexts_truncated++;
        st->context_tokens_dropped += sg.orig_ctx - sg.n_ctx;
    }
    st->context_tokens += sg.n_ctx;
    for (size_t i = 0; i < n; i++) {
        const pmp_response *gr = &g->responses[i];
        pmp_shard_resp *sr = &r->resp[i];
        sr->id = gr->id;
        sr->id_len = gr->id ? strlen(gr->id) : 0;
        sr->score = gr->score;
        sr->created_utc = gr->created_utc;
        sr->tokens = ids[1 + i].data;
        sr->orig_tokens = (uint32_t)ids[1 + i].len;
        sr->n_tokens = sr->orig_tokens;
        if (mr && sr->n_tokens > mr) {
            sr->n_tokens = (uint32_t)mr;
            st->responses_truncated++;
            st->response_tokens_dropped += sr->orig_tokens - sr->n_tokens;
        }
        st->response_tokens += sr->n_tokens;
        r->scores[i] = gr->score;
        r->times[i] = gr->created_utc;
    }
    sg.resp = r->resp;
    sg.n_resp = (uint32_t)n;
    pmp_pairs_policy pp;
    pmp_pairs_policy_from_manifest(&o->policy, &pp);
    pmp_pairs_stats ps = {0};
    sg.n_pairs = (uint32_t)pmp_pairs_form(&pp, g->id, sg.id_len, r->scores, r->times, n,
                                          &r->pairs, &r->pairs_cap, &ps);
    sg.pairs = r->pairs;
    st->pair_candidates += ps.candidates;
    st->pairs_dropped_gap += ps.dropped_gap;
    st->pairs_dropped_time += ps.dropped_time;
    st->pairs_dropped_cap += ps.dropped_cap;
    st->groups++;
    st->responses += n;
    st->pairs += sg.n_pairs;
    st->tokens += pmp_shard_group_tokens(&sg);
    if (!sg.n_pairs) st->groups_without_pairs++;
    add_source(st, g->source);

    if (append_record(r, s, &sg, b->ordinal[k], b->prefix_xxh64[k], err) < 0) return -1;
    return commit_if_full(r, s, err);
}

static void *writer_main(void *arg)
{
    run *r = arg;
    const pmp_tok_batch *b = r->writer_batch;
    double t0 = pmp_now();
    int rc = 0;
    int text = r->o->policy.text_chunk_tokens > 0;
    for (size_t j = 0; rc == 0 && j < b->n; j++)
        rc = text ? place_texts(r, b, j, &r->writer_err) : place_group(r, b, j, &r->writer_err);
    r->res->write_seconds += pmp_now() - t0;
    r->writer_rc = rc;
    return NULL;
}

/* Waits for the writer; returns its result (error in err). */
static int writer_join(run *r, pmp_err *err)
{
    if (!r->writer_running) return 0;
    pthread_join(r->writer, NULL);
    r->writer_running = 0;
    pmp_tok_batch_reset(r->writer_batch);
    if (r->writer_rc < 0) {
        *err = r->writer_err;
        return -1;
    }
    return 0;
}

/* ---------- preparing a batch (main thread) ---------- */

/* Parses the batch's lines in parallel, picks the groups to write (in input
 * order, skipping bad lines with --skip-bad and groups --resume already has),
 * and encodes their texts in parallel. */
static int prepare_batch(run *r, pmp_tok_batch *b, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    double t0 = pmp_now();
    pmp_tok_batch_parse(b, r->n_scratch, r->seen != NULL);
    r->res->parse_seconds += pmp_now() - t0;
    for (size_t k = 0; k < b->nl; k++) {
        if (b->perr[k]) {
            if (!o->skip_bad)
                return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s", pmp_input_name(r->in),
                                   (unsigned long long)b->lno[k], b->perr[k]);
            r->res->bad_lines++;
            continue;
        }
        const pmp_group *g = &b->groups[k];
        /* by the split key, so that groups sharing text share a side */
        const char *key = o->policy.split_by_id ? g->id : pmp_group_split_key(g);
        if (!g->split_key) r->res->groups_without_split_key++;
        int w = r->n_splits > 1 &&
                pmp_pairs_in_split(key, strlen(key), o->policy.eval_fraction, o->policy.eval_fold);
        uint64_t ord = r->next_ordinal++;
        XXH64_update(r->in_hash, b->lines.data + b->loff[k], b->llen[k]);
        XXH64_update(r->in_hash, "\n", 1);
        uint64_t prefix = XXH64_digest(r->in_hash);
        for (int i = 0; i < r->n_splits; i++)
            if (r->sp[i].resume_prefix && ord + 1 == r->cursor[i] && prefix != r->sp[i].resume_prefix)
                return pmp_err_setc(err, PMP_E_MISMATCH, "%s:%llu: --resume with a different input: its "
                                    "first %llu groups are not those the run read from %s (the "
                                    "manifest's prefix_xxh64 differs)", pmp_input_name(r->in),
                                    (unsigned long long)b->lno[k], (unsigned long long)(ord + 1),
                                    r->sp[i].m.input_path);
        /* --text: every group's texts enter the set of seen texts, also those
         * --resume skips, so the set is what an uninterrupted run would hold */
        int any = 1;
        if (r->seen) {
            if (g->n_responses + 1 > r->keep_cap) {
                r->keep_cap = 2 * (g->n_responses + 1);
                r->keep = pmp_xrealloc(r->keep, r->keep_cap);
            }
            pmp_text_counts tc = {0, 0};
            any = pmp_text_set_mark(r->seen, g, r->keep, &tc);
            if (ord >= r->cursor[w]) {
                r->res->texts += tc.texts;
                r->res->texts_duplicate += tc.duplicates;
            }
        }
        if (ord < r->cursor[w]) {
            r->res->groups_skipped_resume++;
            continue;
        }
        if (!any) continue;
        pmp_tok_batch_select_texts(b, k, ord, w, r->seen ? r->keep : NULL);
        b->prefix_xxh64[b->n - 1] = prefix;
        for (size_t t = b->first_text[b->n - 1]; t < b->first_text[b->n]; t++) r->res->text_bytes += b->len[t];
    }
    if (b->n == 0) return 0;
    t0 = pmp_now();
    int rc = pmp_tok_batch_encode(b, r->bpe, r->scratch, r->n_scratch, err);
    r->res->encode_seconds += pmp_now() - t0;
    return rc;
}

/* Prepares batch b, waits for the writer to finish the previous one, then
 * hands b to a new writer thread. */
static int submit_batch(run *r, pmp_tok_batch *b, pmp_err *err)
{
    if (b->nl == 0) return 0;
    int rc = prepare_batch(r, b, err);
    pmp_err werr;
    if (writer_join(r, &werr) < 0) {
        *err = werr;
        rc = -1;
    }
    if (rc < 0) return -1;
    r->writer_batch = b;
    r->writer_rc = 0;
    if (pthread_create(&r->writer, NULL, writer_main, r) != 0)
        return pmp_err_setc(err, PMP_E_INTERNAL, "cannot start the writer thread");
    r->writer_running = 1;
    return 0;
}

/* ---------- the run ---------- */

static const char *path_label(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static int read_input(run *r, int *cur, uint64_t base, pmp_err *err);

/* Reads the inputs one after the other into batches, as one stream of groups. A
 * batch never spans two inputs, so its errors name the input its lines came from. */
static int read_inputs(run *r, int *cur, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    uint64_t base = 0;   /* compressed bytes of the inputs already read, for progress */
    for (size_t f = 0; f < r->n_paths; f++) {
        if (pmp_input_open(&r->in, r->paths[f], err) < 0) return -1;
        pmp_input_set_max_line(r->in, o->max_line_bytes);
        int rc = read_input(r, cur, base, err);
        if (rc == 0 && r->bat[*cur].nl) {
            /* the writer now has this batch: fill the other one */
            rc = submit_batch(r, &r->bat[*cur], err);
            *cur ^= 1;
        }
        base += pmp_input_offset(r->in);
        pmp_input_close(r->in);
        r->in = NULL;
        if (rc < 0) return -1;
    }
    return 0;
}

static int read_input(run *r, int *cur, uint64_t base, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    for (;;) {
        const char *line;
        size_t len;
        int got = pmp_input_line(r->in, &line, &len, err);
        if (got < 0) return -1;
        if (got == 0) return 0;
        if (got == PMP_INPUT_LONG_LINE) {
            if (!o->skip_bad)
                return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: line longer than --max-line-bytes (%zu bytes)",
                                    pmp_input_name(r->in), (unsigned long long)pmp_input_line_number(r->in),
                                    o->max_line_bytes);
            r->res->bad_lines++;
            continue;
        }
        static const char failed[] = "{\"" PMP_ERROR_RECORD_KEY "\"";
        if (len >= sizeof failed - 1 && memcmp(line, failed, sizeof failed - 1) == 0) {
            /* even with --skip-bad: the lines before it may be wrong too */
            return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: the stage that wrote this input failed: %.*s",
                                path_label(pmp_input_name(r->in)),
                                (unsigned long long)pmp_input_line_number(r->in),
                                (int)(len < 400 ? len : 400), line);
        }
        /* As pmp_group_reader: trailing CR / spaces ignored, blank lines skipped. */
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        pmp_tok_batch *b = &r->bat[*cur];
        pmp_tok_batch_add_line(b, line, len, pmp_input_line_number(r->in));
        if (o->progress) o->progress(o->ctx, base + pmp_input_offset(r->in), r->next_ordinal + b->nl);
        if (b->nl >= o->batch_groups || b->lines.len >= BATCH_TEXT_BYTES) {
            if (submit_batch(r, b, err) < 0) return -1;
            *cur ^= 1;
        }
    }
}

static int run_all(run *r, pmp_err *err)
{
    const pmp_tokenize_opts *o = r->o;
    int cur = 0;
    int rc = read_inputs(r, &cur, err);
    pmp_err werr;
    if (writer_join(r, &werr) < 0 && rc == 0) {
        *err = werr;
        rc = -1;
    }
    uint64_t ordinal = r->next_ordinal;
    r->res->groups_read = ordinal;
    if (rc < 0) return -1;
    for (int i = 0; i < r->n_splits; i++)
        if (r->cursor[i] > ordinal)
            return pmp_err_setc(err, PMP_E_MISMATCH, "%s: --resume with a different input: it ends after "
                                "%llu groups, the run had read %llu from %s", r->label,
                                (unsigned long long)ordinal, (unsigned long long)r->cursor[i],
                                r->sp[i].m.input_path);
    if (ordinal == 0 && !o->allow_empty)
        return pmp_err_setc(err, PMP_E_INPUT, "%s: no groups in the input%s; nothing is marked complete "
                            "(in a pipe, did an earlier stage fail? use set -o pipefail; "
                            "--allow-empty writes an empty directory)", r->label,
                            r->res->bad_lines ? " (every line was bad)" : "");
    uint64_t whole = XXH64_digest(r->in_hash);
    for (int i = 0; i < r->n_splits; i++) {
        split *s = &r->sp[i];
        if (s->w && commit_shard(r, s, err) < 0) return -1;
        s->m.complete = 1;
        s->m.input_cursor = ordinal;
        s->m.input_prefix_xxh64 = whole;
        s->m.input_groups = ordinal;
        s->m.input_bad_lines = r->res->bad_lines;
        if (pmp_manifest_save(&s->m, s->dir, err) < 0) return -1;
    }
    return 0;
}

int pmp_tokenize_run(const pmp_tokenize_opts *o, pmp_tokenize_result *res, pmp_err *err)
{
    memset(res, 0, sizeof *res);
    run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.res = res;
    /* OUT/.lock before anything is written there: two runs into one directory would
     * interleave shards and manifests (pmp-train's RUN/lock, the same kind). Held to
     * the end of the run. */
    int lock_fd = -1;
    if (pmp_mkdir_p(o->out_dir, err) < 0 ||
        pmp_lock_dir(o->out_dir, PMP_TOKENIZE_LOCK_NAME, "written by another pmp-tokenize", &lock_fd, err) < 0)
        return -1;
    if (!o->resume && !o->force) {
        int ne = pmp_tokenize_dir_nonempty(o->out_dir, err);
        if (ne)
            close(lock_fd);
        if (ne < 0) return -1;
        if (ne)
            return pmp_err_setc(err, PMP_E_USAGE, "%s: directory is not empty (use --resume to continue a run, "
                               "--force to overwrite)", o->out_dir);
    }
    if (o->policy.shard_size < 4) {
        close(lock_fd);
        return pmp_err_setc(err, PMP_E_USAGE, "--shard-size must be at least 4 bytes");
    }
    /* On --resume the directory's manifest says which pattern the run used, so
     * --pattern need not be repeated; the identity check then covers both. */
    pmp_manifest prior;
    pmp_manifest_init(&prior);
    int had = o->resume ? pmp_shard_dir_open(&prior, o->out_dir,
                                             PMP_SHARD_DIR_INCOMPLETE_OK | PMP_SHARD_DIR_ABSENT_OK, err)
                        : 0;
    if (had < 0) {
        pmp_manifest_free(&prior);
        close(lock_fd);
        return pmp_err_prefix(err, "--resume");
    }
    int lrc = had == 1 ? pmp_bpe_load_for_manifest(&r.bpe, &prior, o->tokenizer, o->pattern, err)
                       : pmp_bpe_load(&r.bpe, o->tokenizer, o->pattern, err);
    pmp_manifest_free(&prior);
    if (lrc < 0) {
        close(lock_fd);
        return had == 1 ? pmp_err_prefix(err, "%s: --resume", o->out_dir) : -1;
    }
    static const char *const stdin_only[] = {"-"};
    const char *one[1] = {o->input};
    r.paths = o->n_inputs ? o->inputs : o->input ? one : stdin_only;
    r.n_paths = o->n_inputs ? o->n_inputs : 1;
    r.sizes = pmp_xcalloc(r.n_paths, sizeof *r.sizes);
    pmp_buf lb = PMP_BUF_INIT;
    int all_sized = 1;
    for (size_t i = 0; i < r.n_paths; i++) {
        struct stat ist;
        if (strcmp(r.paths[i], "-") != 0 && stat(r.paths[i], &ist) == 0 && S_ISREG(ist.st_mode))
            r.sizes[i] = (uint64_t)ist.st_size;
        else
            all_sized = 0;
        r.input_size += r.sizes[i];
        pmp_buf_printf(&lb, "%s%s", i ? " + " : "", path_label(r.paths[i]));
    }
    if (!all_sized) r.input_size = 0;
    r.label = pmp_buf_detach(&lb);
    if (o->policy.text_chunk_tokens) r.seen = pmp_text_set_new();
    r.in_hash = XXH64_createState();
    XXH64_reset(r.in_hash, 0);
    r.n_splits = o->policy.eval_fraction > 0 ? 2 : 1;
    r.sp[0].name = "train";
    r.sp[0].dir = pmp_xstrdup(o->out_dir);
    r.sp[1].name = "eval";
    pmp_buf ed = PMP_BUF_INIT;
    pmp_buf_printf(&ed, "%s/%s", o->out_dir, PMP_SHARD_EVAL_DIR);
    r.sp[1].dir = pmp_buf_detach(&ed);
    int rc = 0;
    for (int i = 0; i < r.n_splits && rc == 0; i++) rc = open_split(&r, &r.sp[i], err);
    /* --force without a split: an eval split left by an earlier run would
     * otherwise look like part of this one. */
    if (rc == 0 && o->force && r.n_splits == 1)
        rc = pmp_shard_dir_clean(r.sp[1].dir, NULL, 1, err);
    for (int i = 0; i < r.n_splits; i++) r.cursor[i] = r.sp[i].m.input_cursor;
    if (rc == 0) {
        r.n_scratch = o->threads > 0 ? o->threads : omp_get_max_threads();
        res->threads = r.n_scratch;
        r.scratch = pmp_xcalloc((size_t)r.n_scratch, sizeof *r.scratch);
        for (int i = 0; i < r.n_scratch; i++) r.scratch[i] = pmp_bpe_scratch_new(r.bpe);
        rc = run_all(&r, err);
    }
    res->train_groups = r.sp[0].m.stats.groups;
    res->train_pairs = r.sp[0].m.stats.pairs;
    res->train_tokens = r.sp[0].m.stats.tokens;
    res->eval_groups = r.sp[1].m.stats.groups;
    res->eval_pairs = r.sp[1].m.stats.pairs;
    res->eval_tokens = r.sp[1].m.stats.tokens;
    for (int i = 0; i < r.n_scratch; i++) pmp_bpe_scratch_free(r.scratch[i]);
    free(r.scratch);
    for (int i = 0; i < 2; i++) split_free(&r.sp[i]);
    pmp_tok_batch_free(&r.bat[0]);
    pmp_tok_batch_free(&r.bat[1]);
    free(r.pairs);
    free(r.scores);
    free(r.times);
    free(r.resp);
    pmp_text_set_free(r.seen);
    free(r.keep);
    pmp_buf_free(&r.doc_id);
    pmp_bpe_free(r.bpe);
    if (r.in_hash) XXH64_freeState(r.in_hash);
    free(r.sizes);
    free(r.label);
    close(lock_fd);
    return rc;
}

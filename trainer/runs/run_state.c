/* run_state.c — a run's durable state: RUN_DIR/config.json, checkpoints (save,
 * resume, init) and log.jsonl. Checkpoint sections (docs/checkpoint.md):
 *   config  the run configuration (JSON, as in RUN_DIR/config.json)
 *   params  all parameters (f32, the model's one buffer)
 *   adam_m, adam_v  AdamW moments (same layout)
 *   state   {"step", "adam_step", "rng": [4 hex words], "pairs_seen", "tokenizer"}
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmp_runs.h"
#include "run_internal.h"

static void ckpt_dir(pmp_buf *b, const char *out_dir)
{
    pmp_buf_printf(b, "%s/checkpoints", out_dir);
}

int pmp_run_prepare_dir(const char *out_dir, pmp_err *err)
{
    if (pmp_mkdir_p(out_dir, err) < 0) return -1;
    pmp_buf d = PMP_BUF_INIT;
    ckpt_dir(&d, out_dir);
    int rc = pmp_mkdir_p(d.data, err);
    pmp_buf_free(&d);
    return rc;
}

int pmp_run_lock(const char *out_dir, int *fd, pmp_err *err)
{
    return pmp_lock_dir(out_dir, "lock", "trained by another pmp-train", fd, err);
}

/* ---------- configuration ---------- */

/* The run's configuration as members of j. identity: without what may change in the
 * life of one run (steps and steps_plan grow when it is extended). */
static void config_fields(pmp_jobj *jp, const run_ctx *r, const pmp_run_opts *o, int identity)
{
    const pmp_config *c = &r->model.cfg;
    pmp_jobj_int(jp, "layers", c->L);
    pmp_jobj_int(jp, "heads", c->NH);
    pmp_jobj_int(jp, "width", c->C);
    pmp_jobj_int(jp, "context", c->maxT);
    pmp_jobj_int(jp, "vocab", c->V);
    pmp_jobj_str(jp, "objective", pmp_objective_name(o->objective));
    pmp_jobj_int(jp, "binarize", o->binarize);
    pmp_jobj_num(jp, "lm_coef", o->lm_coef);
    /* only when used, so older run directories still resume */
    if (o->margin != PMP_MARGIN_NONE) pmp_jobj_str(jp, "margin", pmp_margin_name(o->margin));
    if (o->center_rewards != 0) pmp_jobj_num(jp, "center_rewards", o->center_rewards);
    if (r->mix) {   /* --data more than once (docs/train.md, "Mixing sources") */
        pmp_jobj_str(jp, "mixture", pmp_mix_weighted(r->mix) ? "weighted" : "union");
        pmp_jobj_array(jp, "data_sources");
        for (int k = 0; k < r->n_sources; k++) {
            pmp_jobj_object(jp, NULL);
            pmp_jobj_str(jp, "dir", o->data_dirs[k]);
            if (o->data_weights) pmp_jobj_num(jp, "weight", o->data_weights[k]);
            pmp_jobj_u64(jp, "pairs", pmp_loader_pairs(r->sources[k]));
            pmp_jobj_close(jp);
        }
        pmp_jobj_close(jp);
    }
    pmp_jobj_int(jp, "batch_pairs", o->batch_pairs);
    pmp_jobj_int(jp, "micro_batches", o->micro_batches);
    pmp_jobj_num(jp, "lr", o->lr);
    pmp_jobj_num(jp, "min_lr", o->min_lr);
    pmp_jobj_num(jp, "weight_decay", o->weight_decay);
    pmp_jobj_num(jp, "clip", o->clip);
    pmp_jobj_int(jp, "warmup", r->warmup);
    if (!identity) pmp_jobj_int(jp, "steps", o->steps);
    if (!identity && r->n_plan > 1) {   /* only an extended run has it, so older run directories resume */
        pmp_jobj_array(jp, "steps_plan");
        for (int i = 0; i < r->n_plan; i++) pmp_jobj_int(jp, NULL, r->plan_ends[i]);
        pmp_jobj_close(jp);
    }
    pmp_jobj_u64(jp, "seed", o->seed);
    if (o->max_pairs > 0) {   /* only then, so older run directories still resume */
        pmp_jobj_int(jp, "max_pairs", o->max_pairs);
        pmp_jobj_u64(jp, "subsample_seed", o->subsample_seed);
    }
    pmp_jobj_str(jp, "tokenizer", r->tok_identity);
    pmp_jobj_int(jp, "eoc", r->eoc);
    /* Not part of the identity: a run resumed on another number of ranks (elastic) is
     * the same run. Only written then, so older runs resume. */
    if (!identity && (pmp_dist_size() > 1 || r->n_rank_changes)) pmp_jobj_int(jp, "ranks", pmp_dist_size());
    if (!identity && r->n_rank_changes) {   /* resumed on another number of ranks (docs/scaling.md) */
        pmp_jobj_array(jp, "rank_changes");
        for (int i = 0; i < r->n_rank_changes; i++) {
            pmp_jobj_object(jp, NULL);
            pmp_jobj_int(jp, "step", r->rank_changes[i].step);
            pmp_jobj_int(jp, "from", r->rank_changes[i].from);
            pmp_jobj_int(jp, "to", r->rank_changes[i].to);
            pmp_jobj_close(jp);
        }
        pmp_jobj_close(jp);
    }
    /* on more than 2 ranks MPI may sum the smaller blocks in another order than the
     * fused buffer, so a run keeps its mode */
    if (o->allreduce_overlap) pmp_jobj_str(jp, "allreduce", "overlap");
}

/* The run's identity: the xxHash64 of its configuration (without steps) and of its
 * training data's content (each listed shard's checksum), so a checkpoint of another
 * run (another --seed, --lr, or other data) is never taken for one of this run's. */
static uint64_t run_id(const run_ctx *r, const pmp_run_opts *o)
{
    pmp_buf b = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &b);
    config_fields(&j, r, o, 1);
    pmp_jobj_end(&j);
    const pmp_manifest *m = r->train ? pmp_loader_manifest(r->train) : NULL;
    for (size_t i = 0; m && i < m->n_shards; i++)
        pmp_buf_printf(&b, "\n%016llx %llu", (unsigned long long)m->shards[i].xxh64,
                       (unsigned long long)m->shards[i].bytes);
    uint64_t h = pmp_xxh64(b.data, b.len);
    pmp_buf_free(&b);
    return h;
}

static void config_json(const run_ctx *r, const pmp_run_opts *o, pmp_buf *out)
{
    pmp_jobj j;
    pmp_jobj_begin(&j, out);
    config_fields(&j, r, o, 0);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)run_id(r, o));
    pmp_jobj_str(&j, "run_id", hex);
    pmp_jobj_end(&j);
    pmp_buf_appendc(out, '\n');
}

static int json_int(json_object *o, const char *key, long *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) return -1;
    *out = (long)json_object_get_int64(v);
    return 0;
}

/* Keys written only by some runs: when have has one, want must have it too (a run
 * started on a subsample never resumes on all the data). */
static const char *const optional_keys[] = {"max_pairs", "subsample_seed", "steps_plan", "ranks",
                                            "allreduce", "margin", "center_rewards", "mixture",
                                            "data_sources"};

/* Every key of want must be in have with the same value. */
/* A config key as the flag that sets it, and its value as a user would type it (floats
 * are stored as float32: 3e-4 reads back 0.0003000000142, shown as 0.0003). */
static const char *flag_of(const char *key)
{
    static const char *const map[][2] = {
        {"layers", "--layers"}, {"heads", "--heads"}, {"width", "--width"}, {"context", "--context"},
        {"vocab", "the tokenizer's vocabulary"}, {"objective", "--objective"}, {"binarize", "--binarize"},
        {"lm_coef", "--lm-coef"}, {"batch_pairs", "--batch-pairs"}, {"micro_batches", "--micro-batches"},
        {"lr", "--lr"}, {"min_lr", "--min-lr"}, {"weight_decay", "--weight-decay"}, {"clip", "--clip"},
        {"warmup", "--warmup"}, {"steps", "--steps"}, {"seed", "--seed"},
        {"tokenizer", "the data's tokenizer"}, {"eoc", "the tokenizer's end-of-context token"},
        {"max_pairs", "--max-pairs"}, {"subsample_seed", "--subsample-seed"},
        {"steps_plan", "the extensions of --steps"}, {"ranks", "MPI ranks (mpirun -np)"},
        {"allreduce", "--allreduce"}, {"margin", "--margin"}, {"center_rewards", "--center-rewards"},
        {"mixture", "--data (weights)"}, {"data_sources", "--data"},
        {"run_id", "the training data (--data's shards; run_id)"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i][0], key)) return map[i][1];
    return key;
}

static void put_value(pmp_buf *b, json_object *v)
{
    if (!v) pmp_buf_appends(b, "(none)");
    else if (json_object_is_type(v, json_type_double)) pmp_buf_printf(b, "%.7g", json_object_get_double(v));
    else if (json_object_is_type(v, json_type_string)) pmp_buf_appends(b, json_object_get_string(v));
    else pmp_buf_appends(b, json_object_to_json_string(v));
}

/* ckpt: have is a checkpoint's configuration (where names it), want this run's. */
static int config_differs(pmp_err *err, const char *where, const char *key, json_object *h, json_object *w,
                          int ckpt)
{
    pmp_buf was = PMP_BUF_INIT, now = PMP_BUF_INIT;
    int absent_is_fused = !strcmp(key, "allreduce");   /* the default is not written */
    if (h || !absent_is_fused) put_value(&was, h);
    else pmp_buf_appends(&was, "fused");
    if (w) put_value(&now, w);
    else pmp_buf_appends(&now, absent_is_fused ? "fused" : "(not given)");
    if (ckpt)
        pmp_err_setc(err, PMP_E_MISMATCH, "%s is a checkpoint of another run (written with %s %s, this "
                     "run has %s %s): copied in from another run directory? Move it away to use this "
                     "run's own", where, flag_of(key), was.data, flag_of(key), now.data);
    else
        pmp_err_setc(err, PMP_E_MISMATCH, "%s: the run was started with %s %s, now %s %s (use the same flags, or another "
                    "--out)", where, flag_of(key), was.data, flag_of(key), now.data);
    pmp_buf_free(&was);
    pmp_buf_free(&now);
    return -1;
}

/* Every key of want is in have with the same value, except "steps" when extended
 * (then the plan says what changed). */
static int compare_config(json_object *have, const char *want_text, int extended, int ckpt,
                          const char *where, pmp_err *err)
{
    json_object *want = json_tokener_parse(want_text);
    int rc = 0;
    if (!want) {
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: unreadable run configuration", where);
    } else {
        json_object_object_foreach(want, key, val) {
            json_object *h;
            if (extended && (!strcmp(key, "steps") || !strcmp(key, "steps_plan"))) continue;
            if (!strcmp(key, "ranks") || !strcmp(key, "rank_changes")) continue;   /* elastic: rank_change() */
            if (!strcmp(key, "run_id")) continue;   /* last: when all the flags agree */
            if (!json_object_object_get_ex(have, key, &h) ||
                strcmp(json_object_to_json_string(h), json_object_to_json_string(val)) != 0) {
                rc = config_differs(err, where, key, h, val, ckpt);
                break;
            }
        }
        for (size_t i = 0; rc == 0 && i < sizeof optional_keys / sizeof optional_keys[0]; i++) {
            json_object *h, *w;
            if (!strcmp(optional_keys[i], "ranks")) continue;
            if (extended && !strcmp(optional_keys[i], "steps_plan")) continue;
            if (json_object_object_get_ex(have, optional_keys[i], &h) &&
                !json_object_object_get_ex(want, optional_keys[i], &w))
                rc = config_differs(err, where, optional_keys[i], h, NULL, ckpt);
        }
        /* The same flags: the identity then differs by the training data's content.
         * (Configurations written before run_id existed are checked by their keys.) */
        json_object *h, *w;
        if (rc == 0 && json_object_object_get_ex(have, "run_id", &h) &&
            json_object_object_get_ex(want, "run_id", &w) &&
            strcmp(json_object_get_string(h), json_object_get_string(w)) != 0)
            rc = config_differs(err, where, "run_id", h, w, ckpt);
    }
    if (want) json_object_put(want);
    return rc;
}

static void plan_push(run_ctx *r, long end)
{
    r->plan_ends = pmp_xrealloc(r->plan_ends, (size_t)(r->n_plan + 1) * sizeof *r->plan_ends);
    r->plan_ends[r->n_plan++] = end;
}

/* The plan of a run directory's config (its steps_plan, or its one --steps) and its
 * warmup; then --steps above the plan's last end extends it (returns 1). */
static int plan_from_config(run_ctx *r, const pmp_run_opts *o, json_object *have, const char *where,
                            pmp_err *err)
{
    long have_steps, have_warmup;
    if (json_int(have, "steps", &have_steps) || json_int(have, "warmup", &have_warmup))
        return pmp_err_setc(err, PMP_E_CORRUPT, "%s: unreadable run configuration (steps, warmup)", where);
    r->n_plan = 0;
    json_object *plan;
    if (json_object_object_get_ex(have, "steps_plan", &plan)) {
        size_t n = json_object_is_type(plan, json_type_array) ? json_object_array_length(plan) : 0;
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(plan, i);
            long end = json_object_is_type(e, json_type_int) ? (long)json_object_get_int64(e) : -1;
            if (end < 1 || (r->n_plan && end <= r->plan_ends[r->n_plan - 1]))
                return pmp_err_setc(err, PMP_E_CORRUPT, "%s: unreadable steps_plan", where);
            plan_push(r, end);
        }
        if (!r->n_plan || r->plan_ends[r->n_plan - 1] != have_steps)
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s: steps_plan does not end at steps", where);
    } else {
        plan_push(r, have_steps);
    }
    /* The default warmup (5% of --steps) is the first plan's: an extension keeps it. */
    if (o->warmup < 0) r->warmup = have_warmup;
    if (o->steps < have_steps)
        return pmp_err_setc(err, PMP_E_USAGE, "%s: the run is planned for %ld steps, now --steps %ld "
                            "(a run's steps can only grow: a larger --steps extends it)", where,
                            have_steps, o->steps);
    if (o->steps == have_steps) return 0;
    plan_push(r, o->steps);
    return 1;
}

/* Resuming at r->start_step on another number of MPI ranks than the run had there: the
 * global batches stay the same (pmp_model.h, ranks), only the order of the gradient sums changes,
 * so it goes on and records the change. Changes the resumed history never reached
 * (at or after the checkpoint's step) are dropped first. Returns 1 when the record
 * changed (config.json must be written again). */
static int rank_change(run_ctx *r, const pmp_run_opts *o, json_object *have)
{
    json_object *v, *a;
    int had_ranks = json_object_object_get_ex(have, "ranks", &v) ? json_object_get_int(v) : 1;
    r->n_rank_changes = 0;
    int was = had_ranks, dropped = 0;
    if (json_object_object_get_ex(have, "rank_changes", &a) && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(a, i);
            long step = 0, from = 0, to = 0;
            if (json_int(e, "step", &step) || json_int(e, "from", &from) || json_int(e, "to", &to)) continue;
            if (i == 0) was = (int)from;   /* the ranks before any change */
            if (step >= r->start_step) {
                dropped = 1;
                continue;
            }
            r->rank_changes = pmp_xrealloc(r->rank_changes, (size_t)(r->n_rank_changes + 1) * sizeof *r->rank_changes);
            r->rank_changes[r->n_rank_changes++] = (struct run_rank_change){step, (int)from, (int)to};
            was = (int)to;
        }
    }
    int now = pmp_dist_size();
    if (was == now) return dropped || had_ranks != now;
    r->rank_changes = pmp_xrealloc(r->rank_changes, (size_t)(r->n_rank_changes + 1) * sizeof *r->rank_changes);
    r->rank_changes[r->n_rank_changes++] = (struct run_rank_change){r->start_step, was, now};
    if (o->note && pmp_dist_rank() == 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "resuming at step %ld on %d MPI rank%s (the run had %d): the same global "
                 "batches, but the gradient sums add up in another order from here, so the weights agree "
                 "with an uninterrupted run to fp32 tolerance, not bit for bit (config.json rank_changes)",
                 r->start_step, now, now == 1 ? "" : "s", was);
        o->note(o->ctx, msg);
    }
    return 1;
}

static json_object *read_json_file(const char *path, int *missing, pmp_err *err)
{
    FILE *f = fopen(path, "rb");
    *missing = f == NULL;
    if (!f) return NULL;
    pmp_buf text = PMP_BUF_INIT;
    char chunk[4096];
    size_t len;
    while ((len = fread(chunk, 1, sizeof chunk, f)) > 0) pmp_buf_append(&text, chunk, len);
    fclose(f);
    json_object *o = text.len ? json_tokener_parse(text.data) : NULL;
    pmp_buf_free(&text);
    if (!o) pmp_err_setc(err, PMP_E_CORRUPT, "%s: unreadable run configuration", path);
    return o;
}

static int write_config(run_ctx *r, const pmp_run_opts *o, const char *path, pmp_err *err)
{
    pmp_buf text = PMP_BUF_INIT;
    config_json(r, o, &text);
    int rc = pmp_write_file_durable(path, text.data, text.len, err);
    pmp_buf_free(&text);
    return rc;
}

/* A checkpoint of another run (copied into checkpoints/ from a run with another --seed,
 * --lr or data) must not be resumed: the result would match neither run. Its "config"
 * section is its run's configuration and identity; it must be this run's (steps apart). */
static int check_ckpt_config(const char *ckpt_config, const char *want, const char *ckpt_path,
                             pmp_err *err)
{
    json_object *have = ckpt_config ? json_tokener_parse(ckpt_config) : NULL;
    int rc = 0;
    if (!have) {
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: no readable run configuration", ckpt_path);
    } else {
        rc = compare_config(have, want, 1, 1, ckpt_path, err);
    }
    if (have) json_object_put(have);
    return rc;
}

static int check_resumed_ckpt(run_ctx *r, const pmp_run_opts *o, pmp_err *err)
{
    pmp_buf want = PMP_BUF_INIT;
    config_json(r, o, &want);
    int rc = check_ckpt_config(r->resumed_config, want.data, r->resumed_path, err);
    pmp_buf_free(&want);
    return rc;
}

int pmp_run_check_config(run_ctx *r, const pmp_run_opts *o, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/config.json", o->out_dir);
    r->warmup = o->warmup >= 0 ? o->warmup : o->steps / 20;
    r->n_plan = 0;
    plan_push(r, o->steps);
    int rc = 0, missing = 1;
    json_object *have = o->resume ? read_json_file(path.data, &missing, err) : NULL;
    if (o->resume && !missing && !have) rc = -1;
    if (have) {
        int extended = plan_from_config(r, o, have, path.data, err);
        rc = extended < 0 ? -1 : 0;
        int ranks_changed = rc == 0 ? rank_change(r, o, have) : 0;
        pmp_buf want = PMP_BUF_INIT;
        if (rc == 0) {
            config_json(r, o, &want);
            rc = compare_config(have, want.data, extended, 0, path.data, err);
        }
        /* args.json first: a crash between the two leaves the run resumable either way */
        if (rc == 0 && extended) rc = pmp_run_append_args(o->out_dir, "--steps", o->steps, err);
        if (rc == 0 && (extended || ranks_changed) && pmp_dist_rank() == 0) rc = write_config(r, o, path.data, err);
        if (rc == 0 && extended && o->note) {
            char msg[256];
            snprintf(msg, sizeof msg, "extending the run from %ld to %ld steps: steps after %ld follow "
                     "the lr of a %ld-step plan (docs/train.md)", r->plan_ends[r->n_plan - 2], o->steps,
                     r->plan_ends[r->n_plan - 2], o->steps);
            o->note(o->ctx, msg);
        }
        pmp_buf_free(&want);
        json_object_put(have);
    } else if (rc == 0 && pmp_dist_rank() == 0) {
        rc = write_config(r, o, path.data, err);
    }
    if (rc == 0 && r->resumed_path) rc = check_resumed_ckpt(r, o, err);
    pmp_buf_free(&path);
    return rc;
}

pmp_schedule pmp_run_schedule(const run_ctx *r, const pmp_run_opts *o, long step)
{
    long total = o->steps;
    for (int i = 0; i < r->n_plan; i++)
        if (step < r->plan_ends[i]) {
            total = r->plan_ends[i];
            break;
        }
    pmp_schedule s = {o->lr, o->min_lr, r->warmup, total};
    return s;
}

/* ---------- checkpoints ---------- */

int pmp_run_save_checkpoint(run_ctx *r, const pmp_run_opts *o, long step, pmp_err *err)
{
    pmp_buf cfg = PMP_BUF_INIT, state = PMP_BUF_INIT, dir = PMP_BUF_INIT, path = PMP_BUF_INIT;
    config_json(r, o, &cfg);
    pmp_jobj j;
    pmp_jobj_begin(&j, &state);
    pmp_jobj_int(&j, "step", step);
    pmp_jobj_int(&j, "adam_step", r->opt.step);
    pmp_jobj_array(&j, "rng");
    for (int i = 0; i < 4; i++) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r->rng.s[i]);
        pmp_jobj_str(&j, NULL, hex);
    }
    pmp_jobj_close(&j);
    pmp_jobj_u64(&j, "pairs_seen", (unsigned long long)step * (unsigned long long)o->batch_pairs);
    pmp_jobj_str(&j, "tokenizer", r->tok_identity);
    if (r->reward_stats_step > 0) {   /* the latest evaluation's, for export (OpenRLHF's mean/std) */
        pmp_jobj_num(&j, "reward_mean", r->reward_mean);
        pmp_jobj_num(&j, "reward_std", r->reward_std);
        pmp_jobj_int(&j, "reward_stats_step", r->reward_stats_step);
    }
    pmp_jobj_end(&j);
    pmp_buf_appendc(&state, '\n');
    ckpt_dir(&dir, o->out_dir);
    pmp_ckpt_path(&path, dir.data, (uint64_t)step);
    size_t bytes = r->model.n_params * sizeof(float);
    pmp_ckpt_writer *w = pmp_ckpt_writer_new();
    int rc = pmp_ckpt_writer_add(w, "config", cfg.data, cfg.len, err);
    if (rc == 0) rc = pmp_ckpt_writer_add(w, "params", r->model.params_mem, bytes, err);
    if (rc == 0) rc = pmp_ckpt_writer_add(w, "adam_m", r->opt.m, bytes, err);
    if (rc == 0) rc = pmp_ckpt_writer_add(w, "adam_v", r->opt.v, bytes, err);
    if (rc == 0) rc = pmp_ckpt_writer_add(w, "state", state.data, state.len, err);
    if (rc == 0) rc = pmp_ckpt_writer_write(w, path.data, err);
    if (rc == 0) rc = pmp_ckpt_prune(dir.data, o->keep ? o->keep : 1, err);
    pmp_ckpt_writer_free(w);
    pmp_buf_free(&cfg);
    pmp_buf_free(&state);
    pmp_buf_free(&dir);
    pmp_buf_free(&path);
    return rc;
}

json_object *pmp_run_ckpt_section_json(const pmp_ckpt *ck, const char *name)
{
    size_t len;
    const char *p = pmp_ckpt_section(ck, name, &len);
    if (!p) return NULL;
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, p, (int)len);
    json_tokener_free(tok);
    return o;
}


int pmp_run_ckpt_config(const pmp_ckpt *ck, pmp_config *cfg, pmp_err *err)
{
    json_object *o = pmp_run_ckpt_section_json(ck, "config");
    long L = 0, NH = 0, C = 0, T = 0, V = 0;
    int rc = 0;
    if (!o || json_int(o, "layers", &L) || json_int(o, "heads", &NH) || json_int(o, "width", &C) ||
        json_int(o, "context", &T) || json_int(o, "vocab", &V))
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "checkpoint has no readable model configuration");
    if (o) json_object_put(o);
    /* a long outside int would wrap when narrowed, turning 2^32 + 2 layers into 2 */
    if (rc == 0 && (L < 0 || L > INT_MAX || NH < 0 || NH > INT_MAX || C < 0 || C > INT_MAX ||
                    T < 0 || T > INT_MAX || V < 0 || V > INT_MAX))
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "checkpoint model configuration out of range");
    if (rc == 0) {
        cfg->L = (int)L; cfg->NH = (int)NH; cfg->C = (int)C; cfg->maxT = (int)T; cfg->V = (int)V;
        rc = pmp_config_check(cfg, err);
    }
    return rc;
}

int pmp_run_ckpt_load_params(const pmp_ckpt *ck, pmp_model *m, pmp_err *err)
{
    size_t len;
    const void *p = pmp_ckpt_section(ck, "params", &len);
    if (!p || len != m->n_params * sizeof(float))
        return pmp_err_setc(err, PMP_E_MISMATCH, "checkpoint parameters do not match the model (%zu bytes, expected %zu)",
                           p ? len : 0, m->n_params * sizeof(float));
    memcpy(m->params_mem, p, len);
    return 0;
}

/* Reports a checkpoint passed over (damaged) and counts it. */
typedef struct fallback_report {
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    unsigned n;
} fallback_report;

static void fallback_cb(void *ctx, const char *msg)
{
    fallback_report *f = ctx;
    f->n++;
    if (f->warn) f->warn(f->ctx, msg);
}

int pmp_run_open_init_ckpt(const char *path, pmp_ckpt **out, long *step_out,
                           void (*warn)(void *ctx, const char *msg), void *ctx, pmp_err *err)
{
    if (step_out) *step_out = -1;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* A run directory (or its checkpoints/): its newest whole checkpoint. */
        pmp_buf d = PMP_BUF_INIT;
        ckpt_dir(&d, path);
        uint64_t step;
        int found = pmp_ckpt_latest(d.data, &step, out, warn, ctx, err);
        if (found == 0) found = pmp_ckpt_latest(path, &step, out, warn, ctx, err);
        pmp_buf_free(&d);
        if (found < 0) return -1;
        if (found == 0) return pmp_err_setc(err, PMP_E_INPUT, "%s: no checkpoint found", path);
        if (step_out) *step_out = (long)step;
        return 0;
    }
    return pmp_ckpt_open(out, path, err);
}

/* p's parent directory ("." for a bare name). */
static void parent_dir(pmp_buf *p)
{
    char *slash = strrchr(p->data, '/');
    if (slash && slash != p->data) {
        *slash = 0;
        p->len = (size_t)(slash - p->data);
    } else if (!slash) {
        pmp_buf_clear(p);
        pmp_buf_appends(p, ".");
    }
}

static int has_config(const char *dir)
{
    pmp_buf c = PMP_BUF_INIT;
    pmp_buf_printf(&c, "%s/config.json", dir);
    int has = access(c.data, F_OK) == 0;
    pmp_buf_free(&c);
    return has;
}

/* The run directory a checkpoint path belongs to (malloc'd), or NULL: RUN_DIR itself
 * (it has config.json), RUN/checkpoints, or a file in RUN/checkpoints/. */
static char *run_dir_of(const char *path)
{
    struct stat sb;
    pmp_buf p = PMP_BUF_INIT;
    pmp_buf_appends(&p, path);
    while (p.len > 1 && p.data[p.len - 1] == '/') p.data[--p.len] = 0;
    int is_dir = stat(p.data, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (is_dir && has_config(p.data)) return pmp_buf_detach(&p);
    if (!is_dir) parent_dir(&p);   /* a checkpoint file: its directory */
    const char *slash = strrchr(p.data, '/');
    if (!strcmp(slash ? slash + 1 : p.data, "checkpoints")) {
        parent_dir(&p);
        if (has_config(p.data)) return pmp_buf_detach(&p);
    }
    pmp_buf_free(&p);
    return NULL;
}

int pmp_run_open_run_ckpt(const char *path, pmp_ckpt **out, pmp_ckpt_pick *pick, pmp_err *err)
{
    *out = NULL;
    long step = -1;
    fallback_report fr = {pick ? pick->warn : NULL, pick ? pick->ctx : NULL, 0};
    struct stat sb;
    pmp_buf ckpath = PMP_BUF_INIT;
    int rc = 0;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        pmp_buf d = PMP_BUF_INIT;
        ckpt_dir(&d, path);
        uint64_t s;
        int found = pmp_ckpt_latest(d.data, &s, out, fallback_cb, &fr, err);
        if (found == 0 && fr.n == 0) {
            pmp_buf_clear(&d);
            pmp_buf_appends(&d, path);
            found = pmp_ckpt_latest(d.data, &s, out, fallback_cb, &fr, err);
        }
        if (found == 0) rc = pmp_err_setc(err, PMP_E_INPUT, "%s: no %scheckpoint found", path, fr.n ? "whole " : "");
        else if (found < 0) rc = -1;
        else {
            step = (long)s;
            pmp_ckpt_path(&ckpath, d.data, s);
        }
        pmp_buf_free(&d);
    } else {
        rc = pmp_ckpt_open(out, path, err);
        pmp_buf_appends(&ckpath, path);
    }
    if (pick) {
        pick->step = step;
        pick->fallbacks = fr.n;
    }
    char *run = rc == 0 ? run_dir_of(ckpath.data) : NULL;
    if (run) {
        pmp_buf cpath = PMP_BUF_INIT;
        pmp_buf_printf(&cpath, "%s/config.json", run);
        const void *text;
        size_t len;
        if (pmp_map_file(cpath.data, &text, &len, err) < 0) {
            rc = -1;
        } else {
            char *want = pmp_xstrndup(text, len);
            pmp_unmap_file(text, len);
            size_t clen;
            const char *ctext = pmp_ckpt_section(*out, "config", &clen);
            char *have = ctext ? pmp_xstrndup(ctext, clen) : NULL;
            json_object *wj = json_tokener_parse(want);
            if (!wj) rc = pmp_err_setc(err, PMP_E_CORRUPT, "%s: unreadable run configuration", cpath.data);
            else json_object_put(wj);
            if (rc == 0) rc = check_ckpt_config(have, want, ckpath.data, err);
            free(have);
            free(want);
        }
        pmp_buf_free(&cpath);
        free(run);
    }
    if (rc < 0 && *out) {
        pmp_ckpt_close(*out);
        *out = NULL;
    }
    pmp_buf_free(&ckpath);
    return rc;
}

int pmp_run_resume(run_ctx *r, const pmp_run_opts *o, long *start, pmp_err *err)
{
    pmp_buf d = PMP_BUF_INIT;
    ckpt_dir(&d, o->out_dir);
    uint64_t step;
    pmp_ckpt *ck = NULL;
    fallback_report fr = {o->warn, o->ctx, 0};
    int found = pmp_ckpt_latest(d.data, &step, &ck, fallback_cb, &fr, err);
    r->ckpt_fallbacks = fr.n;
    if (found > 0) {
        pmp_buf p = PMP_BUF_INIT;
        pmp_ckpt_path(&p, d.data, step);
        r->resumed_path = pmp_buf_detach(&p);
        size_t clen;
        const char *ctext = pmp_ckpt_section(ck, "config", &clen);
        if (ctext) r->resumed_config = pmp_xstrndup(ctext, clen);
        if (fr.n && o->note) {
            pmp_buf msg = PMP_BUF_INIT;
            pmp_buf_printf(&msg, "resuming from the older checkpoint %s (%u newer one%s damaged)",
                           r->resumed_path, fr.n, fr.n == 1 ? "" : "s");
            o->note(o->ctx, msg.data);
            pmp_buf_free(&msg);
        }
    }
    pmp_buf_free(&d);
    if (found <= 0) return found;
    pmp_config cfg;
    int rc = pmp_run_ckpt_config(ck, &cfg, err);
    json_object *st = rc == 0 ? pmp_run_ckpt_section_json(ck, "state") : NULL;
    long s = 0, adam_step = 0;
    if (rc == 0 && (!st || json_int(st, "step", &s) || json_int(st, "adam_step", &adam_step) ||
                    s < 1 || adam_step < 0))
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "checkpoint step %llu: unreadable state", (unsigned long long)step);
    json_object *rng = NULL;
    int rng_ok = rc == 0 && json_object_object_get_ex(st, "rng", &rng) &&
                 json_object_is_type(rng, json_type_array) && json_object_array_length(rng) == 4;
    for (int i = 0; rng_ok && i < 4; i++)
        rng_ok = json_object_is_type(json_object_array_get_idx(rng, (size_t)i), json_type_string);
    if (rc == 0 && !rng_ok)
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "checkpoint step %llu: no RNG state", (unsigned long long)step);
    for (int i = 0; rc == 0 && i < 4; i++)
        r->rng.s[i] = strtoull(json_object_get_string(json_object_array_get_idx(rng, (size_t)i)), NULL, 16);
    if (rc == 0 && cfg.V != r->V)
        rc = pmp_err_setc(err, PMP_E_MISMATCH, "checkpoint vocabulary %d does not match the data's %d", cfg.V, r->V);
    if (rc == 0) rc = pmp_model_init(&r->model, &cfg, &r->rng, err);
    if (rc == 0) {
        r->model_ready = 1;
        rc = pmp_run_ckpt_load_params(ck, &r->model, err);
    }
    if (rc == 0) {
        /* The RNG was advanced by the init above: put back the saved state. */
        for (int i = 0; i < 4; i++)
            r->rng.s[i] = strtoull(json_object_get_string(json_object_array_get_idx(rng, (size_t)i)), NULL, 16);
        pmp_adamw_init(&r->opt, r->model.n_params);
        size_t lm, lv;
        const void *m = pmp_ckpt_section(ck, "adam_m", &lm), *v = pmp_ckpt_section(ck, "adam_v", &lv);
        size_t want = r->model.n_params * sizeof(float);
        if (!m || !v || lm != want || lv != want) {
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "checkpoint step %llu: optimizer state missing or the wrong size",
                             (unsigned long long)step);
        } else {
            memcpy(r->opt.m, m, want);
            memcpy(r->opt.v, v, want);
            r->opt.step = adam_step;
            *start = s;
            r->reward_stats_step = pmp_run_ckpt_reward_stats(ck, &r->reward_mean, &r->reward_std,
                                                             &r->reward_stats_step) == 1
                                       ? r->reward_stats_step : 0;
        }
    }
    if (st) json_object_put(st);
    pmp_ckpt_close(ck);
    return rc < 0 ? -1 : 1;
}

/* ---------- log.jsonl ---------- */

/* On resume, keeps the log lines of steps up to start (later ones will be
 * written again), so the log reads as if the run never stopped. */
int pmp_run_open_log(run_ctx *r, const pmp_run_opts *o, long start, pmp_err *err)
{
    pmp_buf path = PMP_BUF_INIT, kept = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/log.jsonl", o->out_dir);
    r->out_dir = o->out_dir;   /* for log_line's messages */
    if (start > 0) {
        FILE *f = fopen(path.data, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (f && (n = getline(&line, &cap, f)) > 0) {
            json_object *j = json_tokener_parse(line);
            long s;
            if (j && json_int(j, "step", &s) == 0 && s <= start) pmp_buf_append(&kept, line, (size_t)n);
            if (j) json_object_put(j);
        }
        free(line);
        if (f) fclose(f);
    }
    /* Replace the log whole (a crash here keeps the old one), then append. */
    int rc = pmp_write_file_durable(path.data, kept.data ? kept.data : "", kept.len, err);
    if (rc == 0) {
        r->log = fopen(path.data, "a");
        if (!r->log) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot write: %s", path.data, strerror(errno));
    }
    pmp_buf_free(&path);
    pmp_buf_free(&kept);
    return rc;
}

/* A step's reward distribution over the sequences its pairs and labels judge (all
 * ranks and micro-batches): mean, sample std, min, max; and over its pairs the mean
 * r_better - r_worse and the accuracy; the centering term when it is on. */
static void put_reward_stats(pmp_jobj *j, const pmp_loss *l)
{
    if (l->reward_n > 0) {
        double mean, std;
        pmp_loss_reward_moments(l, &mean, &std);
        pmp_jobj_num(j, "reward_mean", mean);
        pmp_jobj_num(j, "reward_std", std);
        pmp_jobj_num(j, "reward_min", l->reward_min);
        pmp_jobj_num(j, "reward_max", l->reward_max);
    }
    if (l->pairs > 0) {
        pmp_jobj_num(j, "margin", l->margin_sum / l->pairs);
        pmp_jobj_num(j, "accuracy", (double)l->pairs_correct / l->pairs);
    }
    if (l->center != 0) pmp_jobj_num(j, "center", l->center);
}

/* Writes one line of log.jsonl and frees it. */
static int log_line(run_ctx *r, pmp_buf *b, pmp_err *err)
{
    errno = 0;
    int bad = fwrite(b->data, 1, b->len, r->log) != b->len;
    if (fflush(r->log) != 0) bad = 1;
    int e = errno ? errno : EIO;
    pmp_buf_free(b);
    return bad ? pmp_err_errno(err, e, "%s/log.jsonl: write failed", r->out_dir ? r->out_dir : ".") : 0;
}

int pmp_run_log_step(run_ctx *r, long step, const pmp_loss *loss, float lr, float gnorm, int tokens,
                     double ms, double allreduce_ms, pmp_err *err)
{
    if (!r->log) return 0;   /* a rank other than 0 */
    pmp_buf b = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &b);
    pmp_jobj_int(&j, "step", step);
    pmp_jobj_num(&j, "loss", loss->loss);
    pmp_jobj_num(&j, "lr", lr);
    pmp_jobj_num(&j, "grad_norm", gnorm);
    pmp_jobj_int(&j, "tokens", tokens);
    pmp_jobj_rawf(&j, "ms", "%.1f", ms);
    if (allreduce_ms >= 0) pmp_jobj_rawf(&j, "allreduce_ms", "%.2f", allreduce_ms);
    put_reward_stats(&j, loss);
    if (r->mix) {   /* pairs drawn from each --data source so far */
        pmp_jobj_array(&j, "source_pairs");
        for (int k = 0; k < r->n_sources; k++) pmp_jobj_u64(&j, NULL, pmp_mix_count(r->mix, (size_t)k));
        pmp_jobj_close(&j);
    }
    pmp_jobj_end(&j);
    pmp_buf_appendc(&b, '\n');
    return log_line(r, &b, err);
}

int pmp_run_log_eval(run_ctx *r, long step, const pmp_eval_result *e, pmp_err *err)
{
    if (!r->log) return 0;
    pmp_buf b = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &b);
    pmp_jobj_int(&j, "step", step);
    pmp_jobj_bool(&j, "eval", 1);
    pmp_jobj_int(&j, "pairs", e->pairs);
    /* Fixed six decimals, as the log has always had them. */
    pmp_jobj_rawf(&j, "accuracy", "%.6f", e->accuracy);
    pmp_jobj_rawf(&j, "margin", "%.6f", e->margin);
    pmp_jobj_rawf(&j, "loss", "%.6f", e->loss);
    pmp_jobj_rawf(&j, "ece", "%.6f", e->ece);
    pmp_jobj_rawf(&j, "longer_wins", "%.6f", e->longer_wins);
    pmp_jobj_rawf(&j, "longer_wins_visible", "%.6f", e->longer_wins_visible);
    pmp_jobj_rawf(&j, "vs_longer", "%.6f", e->vs_longer);
    pmp_jobj_rawf(&j, "vs_longer_se", "%.6f", e->vs_longer_se);
    if (e->reward_n) {
        pmp_jobj_rawf(&j, "reward_mean", "%.6f", e->reward_mean);
        pmp_jobj_rawf(&j, "reward_std", "%.6f", e->reward_std);
        pmp_jobj_rawf(&j, "reward_min", "%.6f", e->reward_min);
        pmp_jobj_rawf(&j, "reward_max", "%.6f", e->reward_max);
    }
    if (e->lm_tokens) {
        pmp_jobj_rawf(&j, "lm_loss", "%.6f", e->lm_loss);
        pmp_jobj_rawf(&j, "perplexity", "%.4f", exp(e->lm_loss));
        pmp_jobj_rawf(&j, "lm_tokens", "%llu", (unsigned long long)e->lm_tokens);
    }
    pmp_jobj_end(&j);
    pmp_buf_appendc(&b, '\n');
    return log_line(r, &b, err);
}

/* ---------- export ---------- */

/* ---------- the arguments a run was started with ---------- */

int pmp_run_save_args(const char *out_dir, int argc, char *const *argv, pmp_err *err)
{
    if (pmp_mkdir_p(out_dir, err) < 0) return -1;
    pmp_buf out = PMP_BUF_INIT, path = PMP_BUF_INIT;
    /* a directory with checkpoints holds a run already: its args.json stays (the
     * trainer then refuses the new run unless it is that run's --resume) */
    pmp_buf_printf(&path, "%s/checkpoints", out_dir);
    uint64_t step;
    pmp_err cerr;
    int found = pmp_ckpt_latest(path.data, &step, NULL, NULL, NULL, &cerr);
    pmp_buf_clear(&path);
    if (found > 0) {
        pmp_buf_free(&path);
        return 0;
    }
    pmp_buf_appendc(&out, '[');
    for (int i = 0; i < argc; i++) {
        if (i) pmp_buf_appendc(&out, ',');
        pmp_json_put_string(&out, argv[i], strlen(argv[i]));
    }
    pmp_buf_appends(&out, "]\n");
    pmp_buf_printf(&path, "%s/args.json", out_dir);
    int rc = pmp_write_file_durable(path.data, out.data, out.len, err);
    pmp_buf_free(&out);
    pmp_buf_free(&path);
    return rc;
}

int pmp_run_append_args(const char *out_dir, const char *flag, long value, pmp_err *err)
{
    char **argv;
    int argc;
    int got = pmp_run_load_args(out_dir, &argv, &argc, err);
    if (got <= 0) return got;   /* a run from before args.json: nothing to replay */
    pmp_buf out = PMP_BUF_INIT, path = PMP_BUF_INIT;
    char num[32];
    snprintf(num, sizeof num, "%ld", value);
    pmp_buf_appendc(&out, '[');
    for (int i = 0; i < argc; i++) {
        pmp_json_put_string(&out, argv[i], strlen(argv[i]));
        pmp_buf_appendc(&out, ',');
    }
    pmp_json_put_string(&out, flag, strlen(flag));
    pmp_buf_appendc(&out, ',');
    pmp_json_put_string(&out, num, strlen(num));
    pmp_buf_appends(&out, "]\n");
    pmp_buf_printf(&path, "%s/args.json", out_dir);
    int rc = pmp_write_file_durable(path.data, out.data, out.len, err);
    pmp_buf_free(&out);
    pmp_buf_free(&path);
    pmp_run_free_args(argv, argc);
    return rc;
}

void pmp_run_free_args(char **argv, int argc)
{
    if (!argv) return;
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}

int pmp_run_load_args(const char *out_dir, char ***argv, int *argc, pmp_err *err)
{
    *argv = NULL;
    *argc = 0;
    pmp_buf path = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/args.json", out_dir);
    struct stat st;
    if (stat(path.data, &st) != 0) {
        pmp_buf_free(&path);
        return 0;
    }
    json_object *a = json_object_from_file(path.data);
    int ok = a && json_object_is_type(a, json_type_array);
    size_t n = ok ? json_object_array_length(a) : 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_object_is_type(json_object_array_get_idx(a, i), json_type_string);
    if (!ok) {
        if (a) json_object_put(a);
        pmp_err_setc(err, PMP_E_CORRUPT, "%s: not a JSON array of strings (the arguments the run "
                     "was started with); give the flags on the command line", path.data);
        pmp_buf_free(&path);
        return -1;
    }
    char **v = pmp_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = pmp_xstrdup(json_object_get_string(json_object_array_get_idx(a, i)));
    json_object_put(a);
    pmp_buf_free(&path);
    *argv = v;
    *argc = (int)n;
    return 1;
}

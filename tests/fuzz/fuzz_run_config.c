/* libFuzzer target: what pmp-train --resume reads back of a run (trainer/runs/run_state.c):
 * RUN_DIR/config.json, compared with the run's own configuration
 * (pmp_run_check_config), and the newest checkpoint's "config" and "state"
 * sections (pmp_run_ckpt_config, pmp_run_resume: model shape, step, optimizer
 * step, RNG words). Input: config.json, a 0xFF byte, the state section, and
 * optionally a 0xFF byte and the config section (default: the run's own). The
 * run is the one tests/trainer/train.sh starts (--layers 2 --heads 2 --width 32
 * --context 64 --batch-pairs 4 --seed 7 --steps 2), so its config.json compares
 * equal. The checkpoint gets parameter and moment sections of the size its
 * config section implies; a config of more than 4M parameters is only parsed
 * (the resume would allocate it).
 * Oracle: the sanitizers; an accepted config section holds the section's values
 * exactly (read again here with json-c: no truncation to int); a resume that
 * succeeds built a model of the section's shape and restored the optimizer. Files
 * live in one directory under /tmp. */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "run_internal.h"

static const char IDENTITY[] = "bpe1:111471f5c3fffba92365f9118fa23209";
static const char RUN_CONFIG[] =
    "{\"layers\":2,\"heads\":2,\"width\":32,\"context\":64,\"vocab\":320,\"objective\":\"rank\","
    "\"binarize\":0,\"lm_coef\":0,\"batch_pairs\":4,\"micro_batches\":1,"
    "\"lr\":0.0003000000142492354,\"min_lr\":0,\"weight_decay\":0.10000000149011612,\"clip\":1,"
    "\"warmup\":0,\"steps\":2,\"seed\":7,\"tokenizer\":\"bpe1:111471f5c3fffba92365f9118fa23209\","
    "\"eoc\":319}\n";

static void run_init(run_ctx *r, pmp_run_opts *o, const char *out_dir)
{
    memset(r, 0, sizeof *r);
    r->model.cfg = (pmp_config){2, 2, 32, 64, 320};
    r->tok_identity = pmp_xstrdup(IDENTITY);
    r->vocab = 320;
    r->V = 320;
    r->eoc = 319;
    pmp_run_opts_default(o);
    o->out_dir = out_dir;
    o->model = NULL;
    o->steps = 2;
    o->batch_pairs = 4;
    o->warmup = 0;
    o->seed = 7;
    o->resume = 1;
}

/* Writes RUN/checkpoints/step-000000002 with these sections; params_bytes of
 * zeros for params, adam_m and adam_v. */
static void write_ckpt(const char *ckpt, const void *cfg, size_t cfg_len, const void *state,
                       size_t state_len, size_t params_bytes)
{
    pmp_ckpt_writer *w = pmp_ckpt_writer_new();
    void *zeros = pmp_xcalloc(params_bytes ? params_bytes : 1, 1);
    pmp_err err;
    int rc = pmp_ckpt_writer_add(w, "config", cfg, cfg_len, &err);
    if (rc == 0 && params_bytes) {
        rc = pmp_ckpt_writer_add(w, "params", zeros, params_bytes, &err);
        if (rc == 0) rc = pmp_ckpt_writer_add(w, "adam_m", zeros, params_bytes, &err);
        if (rc == 0) rc = pmp_ckpt_writer_add(w, "adam_v", zeros, params_bytes, &err);
    }
    if (rc == 0) rc = pmp_ckpt_writer_add(w, "state", state, state_len, &err);
    if (rc == 0) rc = pmp_ckpt_writer_write(w, ckpt, &err);
    if (rc < 0) {
        fprintf(stderr, "writing the checkpoint: %s\n", err.msg);
        abort();
    }
    pmp_ckpt_writer_free(w);
    free(zeros);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *s1 = memchr(data, 0xFF, size);
    if (!s1) return 0;
    size_t n_cfg = (size_t)(s1 - data);
    const uint8_t *state = s1 + 1;
    const uint8_t *s2 = memchr(state, 0xFF, size - n_cfg - 1);
    size_t n_state = s2 ? (size_t)(s2 - state) : size - n_cfg - 1;
    const void *ck_cfg = s2 ? (const void *)(s2 + 1) : RUN_CONFIG;
    size_t n_ck_cfg = s2 ? size - n_cfg - 1 - n_state - 1 : sizeof RUN_CONFIG - 1;

    const char *dir = fuzz_dir("run_config");
    char run[512], path[600], ckpt[600];
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(path, sizeof path, "%s/config.json", run);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step-000000002", run);
    pmp_err err;
    if (pmp_run_prepare_dir(run, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    run_ctx r;
    pmp_run_opts o;

    /* RUN_DIR/config.json on --resume. */
    fuzz_write(path, data, n_cfg);
    run_init(&r, &o, run);
    (void)pmp_run_check_config(&r, &o, &err);
    pmp_run_free(&r);

    /* The checkpoint's config section alone. */
    write_ckpt(ckpt, ck_cfg, n_ck_cfg, state, n_state, 0);
    pmp_ckpt *ck;
    pmp_config cfg;
    FUZZ_CHECK(pmp_ckpt_open(&ck, ckpt, &err) == 0);
    int cfg_ok = pmp_run_ckpt_config(ck, &cfg, &err) == 0;
    pmp_ckpt_close(ck);
    size_t n_params = 0;
    if (cfg_ok) {
        json_tokener *tok = json_tokener_new();
        json_object *jo = json_tokener_parse_ex(tok, ck_cfg, (int)n_ck_cfg), *v;
        json_tokener_free(tok);
        const char *keys[5] = {"layers", "heads", "width", "context", "vocab"};
        const int vals[5] = {cfg.L, cfg.NH, cfg.C, cfg.maxT, cfg.V};
        for (int i = 0; i < 5; i++)
            FUZZ_CHECK(json_object_object_get_ex(jo, keys[i], &v) && json_object_get_int64(v) == vals[i]);
        json_object_put(jo);
        pmp_tensor_info t[PMP_NUM_TENSORS];
        n_params = pmp_param_shapes(&cfg, t);
    }
    if (cfg_ok && n_params <= (4u << 20)) {
        /* The whole resume, with parameters of the right size. */
        write_ckpt(ckpt, ck_cfg, n_ck_cfg, state, n_state, n_params * sizeof(float));
        run_init(&r, &o, run);
        r.V = cfg.V;
        long start = -1;
        int rc = pmp_run_resume(&r, &o, &start, &err);
        FUZZ_CHECK(rc == 1 || rc == -1);
        if (rc == 1) {
            FUZZ_CHECK(r.model_ready && r.model.n_params == n_params && r.opt.m);
            FUZZ_CHECK(memcmp(&r.model.cfg, &cfg, sizeof cfg) == 0);
        }
        pmp_run_free(&r);
    }
    unlink(ckpt);
    unlink(path);
    return 0;
}

/* libFuzzer target: the GPT-2 config.json reader (trainer/model/gpt2io.c,
 * pmp_gpt2_read_config), which pmp-train --init model.safetensors runs on the
 * config.json beside the weights.
 * Oracles: an accepted configuration holds the file's values exactly (read
 * again here with json-c: no clamping); it lays out its parameters (pmp_param_shapes,
 * what pmp_model_init allocates) with every tensor's size the product of its
 * shape and the total the closed form, in 64-bit arithmetic (no overflow); and it
 * writes (pmp_gpt2_config_json) a config.json that reads back the same. */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "pmp_model.h"

/* The file's integer under key (or alt), as json-c reads it. */
static int64_t file_int(json_object *o, const char *key, const char *alt)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) FUZZ_CHECK(alt && json_object_object_get_ex(o, alt, &v));
    return json_object_get_int64(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir("gpt2_config");
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    fuzz_write(path, data, size);
    pmp_config cfg;
    pmp_err err;
    if (pmp_gpt2_read_config(path, &cfg, &err) == 0) {
        json_object *o = json_object_from_file(path);
        FUZZ_CHECK(o);
        FUZZ_CHECK(file_int(o, "n_layer", NULL) == cfg.L && file_int(o, "n_head", NULL) == cfg.NH &&
                   file_int(o, "n_embd", NULL) == cfg.C && file_int(o, "n_positions", "n_ctx") == cfg.maxT &&
                   file_int(o, "vocab_size", NULL) == cfg.V);
        json_object_put(o);
        pmp_tensor_info t[PMP_NUM_TENSORS];
        size_t total = pmp_param_shapes(&cfg, t);
        unsigned __int128 sum = 0;
        for (int i = 0; i < PMP_NUM_TENSORS; i++) {
            unsigned __int128 n = 1;
            for (int d = 0; d < t[i].ndim; d++) {
                FUZZ_CHECK(t[i].shape[d] > 0);
                n *= (unsigned)t[i].shape[d];
            }
            FUZZ_CHECK(n == t[i].size && t[i].offset == sum);
            sum += n;
        }
        unsigned __int128 L = (unsigned)cfg.L, C = (unsigned)cfg.C, T = (unsigned)cfg.maxT,
                          V = (unsigned)cfg.V;
        FUZZ_CHECK(sum == total && sum == V * C + T * C + L * (12 * C * C + 13 * C) + 3 * C + 1);
        pmp_buf j = PMP_BUF_INIT;
        pmp_gpt2_config_json(&cfg, NULL, &j);
        fuzz_write(path, j.data, j.len);
        pmp_buf_free(&j);
        pmp_config back;
        FUZZ_CHECK(pmp_gpt2_read_config(path, &back, &err) == 0);
        FUZZ_CHECK(back.L == cfg.L && back.NH == cfg.NH && back.C == cfg.C && back.maxT == cfg.maxT &&
                   back.V == cfg.V);
    }
    unlink(path);
    return 0;
}

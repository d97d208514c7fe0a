/* libFuzzer target: manifest.json loading (pmp_manifest_load), writing
 * (pmp_manifest_to_json) and the listed shards' check (pmp_manifest_verify).
 * The bytes are DIR/manifest.json in this process's scratch directory under /tmp
 * (fuzz_dir), which also holds one small valid shard, shard-000000.pmps (made at the first call).
 * Oracle: what loads serialises to JSON (with its manifest_xxh64) that loads again,
 * with the same policy, and serialises to the same bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "pmp_shard.h"

static const char *dir;
static char dir2[320], file[320], file2[400], shard[320];

/* Two groups, one with pairs, one without. */
static void make_shard(void)
{
    static const uint32_t tok[4] = {1, 2, 3, 4};
    static const uint32_t pairs[2] = {1, 0};
    pmp_shard_resp resp[2] = {{"a", 1, 1.0, 100.0, tok, 2, 2}, {NULL, 0, 2.0, 200.0, tok + 2, 2, 5}};
    pmp_shard_group g = {"hh", 2, "hh/1", 4, "{\"k\":1}", 7, "hh/k", 4, tok, 3, 3, resp, 2, pairs, 1};
    pmp_shard_writer *w;
    pmp_err err;
    if (pmp_shard_writer_open(&w, shard, 1, &err) < 0 || pmp_shard_writer_add(w, &g, &err) < 0) abort();
    g.n_pairs = 0;
    g.meta = NULL;
    if (pmp_shard_writer_add(w, &g, &err) < 0 || pmp_shard_writer_close(w, NULL, &err) < 0) abort();
}

static void init(void)
{
    dir = fuzz_dir("manifest");
    snprintf(dir2, sizeof dir2, "%s/again", dir);
    snprintf(file, sizeof file, "%s/%s", dir, PMP_MANIFEST_NAME);
    snprintf(file2, sizeof file2, "%s/%s", dir2, PMP_MANIFEST_NAME);
    char base[PMP_SHARD_NAME_MAX];
    snprintf(shard, sizeof shard, "%s/%s", dir, pmp_shard_dir_name(base, 0));
    if (mkdir(dir2, 0700) != 0) abort();
    make_shard();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir) init();
    fuzz_write(file, data, size);
    pmp_manifest m, m2;
    pmp_err err;
    int rc = pmp_manifest_load(&m, dir, &err);
    if (rc == 0) abort();   /* the file is there */
    if (rc < 0) return 0;
    /* Names are kept inside dir (no '/', no leading '.'); a name other than the
     * shard is simply absent. */
    for (size_t i = 0; i < m.n_shards; i++)
        if (strchr(m.shards[i].name, '/') || m.shards[i].name[0] == '.') abort();
    pmp_manifest_verify(&m, dir, 0, &err);
    /* num() refuses NaN, Infinity and 1e999 (json-c reads them; we would write null) */
    if (!isfinite(m.policy.min_score_gap) || !isfinite(m.policy.eval_fraction)) abort();
    pmp_buf a = PMP_BUF_INIT, b = PMP_BUF_INIT;
    pmp_manifest_to_json(&a, &m);
    fuzz_write(file2, a.data, a.len);
    if (pmp_manifest_load(&m2, dir2, &err) != 1 || !m2.has_checksum) abort();
    if (pmp_manifest_policy_cmp(&m.policy, &m2.policy, &err) != 0) abort();
    pmp_manifest_to_json(&b, &m2);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    /* with its checksum, the full check runs (the shards are in dir) */
    pmp_manifest_verify(&m2, dir, 1, &err);
    /* a manifest merges with itself (every must-equal field is): the counters double,
     * the shards are listed twice under new names */
    pmp_manifest sum;
    pmp_manifest_init(&sum);
    sum.dir = strdup(dir2);
    if (pmp_manifest_merge(&sum, &m, &err) == 0) {
        if (pmp_manifest_merge(&sum, &m, &err) == 0 &&
            (sum.n_shards != 2 * m.n_shards || sum.stats.groups != 2 * m.stats.groups))
            abort();
    }
    pmp_manifest_free(&sum);
    pmp_buf_free(&a);
    pmp_buf_free(&b);
    pmp_manifest_free(&m);
    pmp_manifest_free(&m2);
    return 0;
}

/* libFuzzer target: the TensorBoard event-file reader (formats/tfevents.c), which a
 * resumed pmp-train runs over RUN/tb/ to carry the steps up to its checkpoint over.
 * Oracles: every record returned lies inside the input, passes its checksum and moves
 * the position forward; a failure stops the walk; pmp_tfevents_open over the input as
 * an old event file never fails on its content, and the file it writes reads back
 * whole: the file-version record, then exactly the input's summary events of step
 * <= the kept step, byte for byte. */
#include "fuzz_util.h"
#include "pmp_tfevents.h"

static size_t walk(const uint8_t *p, size_t n, long keep, const uint8_t **kept, size_t *kept_len, size_t cap)
{
    size_t pos = 0, k = 0;
    const uint8_t *d;
    size_t len;
    pmp_err err;
    int rc;
    while ((rc = pmp_tfrecord_next(p, n, &pos, &d, &len, &err)) == 1) {
        FUZZ_CHECK(d >= p && d + len <= p + n && pos <= n);
        int64_t step;
        int summary;
        if (pmp_tfevent_step(d, len, &step, &summary) == 0 && summary && step <= keep && k < cap) {
            kept[k] = d;
            kept_len[k++] = len;
        }
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { CAP = 4096 };
    static const uint8_t *kept[CAP], *again[CAP];
    static size_t kept_len[CAP], again_len[CAP];
    long keep = size ? data[0] : 0;
    size_t k = walk(data, size, keep, kept, kept_len, CAP);
    const char *dir = fuzz_dir("tfevents");
    char path[512];
    fuzz_rm_tree(dir, 1);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/events.out.tfevents.0000000001.old", dir);
    fuzz_write(path, data, size);
    pmp_tfevents *t;
    pmp_err err;
    FUZZ_CHECK(pmp_tfevents_open(&t, dir, keep, &err) == 0);
    FILE *f = fopen(pmp_tfevents_path(t), "rb");
    FUZZ_CHECK(f);
    static uint8_t out[1 << 22];
    size_t n = fread(out, 1, sizeof out, f);
    fclose(f);
    pmp_tfevents_close(t);
    size_t pos = 0, len;
    const uint8_t *d;
    FUZZ_CHECK(pmp_tfrecord_next(out, n, &pos, &d, &len, &err) == 1);   /* the file version */
    size_t k2 = walk(out + pos, n - pos, keep, again, again_len, CAP);
    FUZZ_CHECK(k2 == k);
    for (size_t i = 0; i < k; i++) FUZZ_CHECK(again_len[i] == kept_len[i] && !memcmp(again[i], kept[i], kept_len[i]));
    return 0;
}

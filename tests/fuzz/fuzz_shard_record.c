/* libFuzzer target: the group record decoder of shard blocks (pmp_shard_record_get).
 * The bytes are a decompressed block: records are decoded one after another, with
 * one decoder, until the end or the first error. Oracle: every record that decodes
 * re-encodes (pmp_shard_record_put) to exactly the bytes it was decoded from, and
 * decodes again to the same record. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_shard.h"

/* Every byte the decoded group points to (ASan checks each range). */
static unsigned touch(const pmp_shard_group *g)
{
    unsigned s = 0;
    for (size_t i = 0; i < g->source_len; i++) s += (unsigned char)g->source[i];
    for (size_t i = 0; i < g->id_len; i++) s += (unsigned char)g->id[i];
    for (size_t i = 0; g->meta && i < g->meta_len; i++) s += (unsigned char)g->meta[i];
    for (uint32_t i = 0; i < g->n_ctx; i++) s += g->ctx[i];
    for (uint32_t r = 0; r < g->n_resp; r++) {
        const pmp_shard_resp *p = &g->resp[r];
        for (size_t i = 0; p->id && i < p->id_len; i++) s += (unsigned char)p->id[i];
        for (uint32_t i = 0; i < p->n_tokens; i++) s += p->tokens[i];
    }
    for (uint32_t k = 0; k < 2 * g->n_pairs; k++) {
        if (g->pairs[k] >= g->n_resp) abort();
        s += g->pairs[k];
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    pmp_shard_decoder d = {0}, d2 = {0};
    pmp_buf enc = PMP_BUF_INIT, enc2 = PMP_BUF_INIT;
    pmp_err err;
    size_t pos = 0;
    unsigned sum = 0;
    while (pos < size) {
        size_t start = pos;
        pmp_shard_group g;
        if (pmp_shard_record_get(&d, p, size, &pos, &g, &err) < 0) {
            if (pos != start) abort();   /* a failed decode does not advance */
            break;
        }
        if (pos <= start || pos > size) abort();
        sum += touch(&g);
        pmp_buf_clear(&enc);
        pmp_shard_record_put(&enc, &g);
        if (enc.len != pos - start || memcmp(enc.data, p + start, enc.len) != 0) abort();
        /* and the re-encoding decodes to the same record */
        pmp_shard_group h;
        size_t pos2 = 0;
        if (pmp_shard_record_get(&d2, enc.data, enc.len, &pos2, &h, &err) < 0 || pos2 != enc.len) abort();
        pmp_buf_clear(&enc2);
        pmp_shard_record_put(&enc2, &h);
        if (enc2.len != enc.len || memcmp(enc2.data, enc.data, enc.len) != 0) abort();
        if (pmp_shard_group_tokens(&h) != pmp_shard_group_tokens(&g)) abort();
    }
    volatile unsigned sink = sum;
    (void)sink;
    pmp_buf_free(&enc);
    pmp_buf_free(&enc2);
    pmp_shard_decoder_free(&d);
    pmp_shard_decoder_free(&d2);
    return 0;
}

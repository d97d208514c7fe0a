/* save.c — writes a Hugging Face tokenizer.json: BPE model (vocab spelled in
 * GPT-2's byte alphabet, merges in rank order), Split(pattern) + ByteLevel
 * pre-tokenizer, ByteLevel decoder, special tokens as added_tokens.
 *
 * The merges are recovered from the ranks, as tiktoken's own converters do: a
 * token of rank r is made by the merge its bytes reach when merged with ranks
 * below r only; that leaves exactly two parts, the merge's left and right side.
 * "ignore_merges": true tells Hugging Face to look a whole piece up in the
 * vocabulary first, which is tiktoken's rule too. */
#include "bpe_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_rank(const void *a, const void *b, void *ctx)
{
    const uint32_t *rank = ctx;
    uint32_t x = rank[*(const uint32_t *)a], y = rank[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

static void put_spelled(pmp_buf *out, const char *bytes, size_t len)
{
    pmp_buf sp = PMP_BUF_INIT;
    pmp_bpe_bytes_to_unicode(&sp, bytes, len);
    pmp_json_put_string(out, sp.data, sp.len);
    pmp_buf_free(&sp);
}

static void write_json(const pmp_bpe *b, pmp_buf *out)
{
    pmp_buf_appends(out, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n"
                         "  \"added_tokens\": [");
    for (size_t i = 0; i < b->n_specials; i++) {
        pmp_buf_printf(out, "%s\n    {\"id\": %u, \"content\": ", i ? "," : "", b->sp_id[i]);
        pmp_buf clean = PMP_BUF_INIT;
        pmp_utf8_sanitize(&clean, b->sp_text[i], b->sp_len[i]);
        pmp_json_put_string(out, clean.data, clean.len);
        pmp_buf_free(&clean);
        pmp_buf_appends(out, ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
                             "\"normalized\": false, \"special\": true}");
    }
    pmp_buf_appends(out, b->n_specials ? "\n  ],\n" : "],\n");
    pmp_buf_appends(out, "  \"normalizer\": null,\n  \"pre_tokenizer\": {\"type\": \"Sequence\", "
                         "\"pretokenizers\": [\n    {\"type\": \"Split\", \"pattern\": {\"Regex\": ");
    pmp_json_put_string(out, b->pattern, strlen(b->pattern));
    pmp_buf_appends(out, "}, \"behavior\": \"Isolated\", \"invert\": false},\n"
                         "    {\"type\": \"ByteLevel\", \"add_prefix_space\": false, "
                         "\"trim_offsets\": true, \"use_regex\": false}]},\n"
                         "  \"post_processor\": null,\n"
                         "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
                         "\"trim_offsets\": true, \"use_regex\": true},\n"
                         "  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, "
                         "\"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, "
                         "\"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": true,\n"
                         "    \"vocab\": {");
    int first = 1;
    for (uint32_t id = 0; id < b->n_ids; id++) {
        /* Specials too, as Hugging Face's own files have them: otherwise it
         * renumbers added tokens that are missing from the vocabulary. */
        if (b->tok_type[id] == TOK_UNUSED) continue;
        pmp_buf_appends(out, first ? "\n      " : ",\n      ");
        first = 0;
        put_spelled(out, b->pool.data + b->tok_off[id], b->tok_len[id]);
        pmp_buf_printf(out, ": %u", id);
    }
    pmp_buf_appends(out, "\n    },\n    \"merges\": [");
    /* Multi-byte ranked tokens in rank order. */
    uint32_t *order = pmp_xmalloc(((size_t)b->n_ids + 1) * sizeof *order);
    size_t n = 0, maxlen = 1;
    for (uint32_t id = 0; id < b->n_ids; id++)
        if (b->tok_type[id] == TOK_ORDINARY && b->tok_rank[id] != BPE_NO_RANK && b->tok_len[id] > 1) {
            order[n++] = id;
            if (b->tok_len[id] > maxlen) maxlen = b->tok_len[id];
        }
    qsort_r(order, n, sizeof *order, cmp_rank, b->tok_rank);
    pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
    uint32_t *bounds = pmp_xmalloc((maxlen + 1) * sizeof *bounds);
    first = 1;
    for (size_t k = 0; k < n; k++) {
        uint32_t id = order[k];
        const unsigned char *p = (const unsigned char *)b->pool.data + b->tok_off[id];
        size_t m = pmp_bpe_merge_piece(b, s, p, b->tok_len[id], b->tok_rank[id], bounds);
        if (m != 2) continue;   /* no merge makes it: only whole-piece lookup can */
        pmp_buf sp = PMP_BUF_INIT;
        pmp_bpe_bytes_to_unicode(&sp, p, bounds[1]);
        pmp_buf_appendc(&sp, ' ');
        pmp_bpe_bytes_to_unicode(&sp, p + bounds[1], b->tok_len[id] - bounds[1]);
        pmp_buf_appends(out, first ? "\n      " : ",\n      ");
        first = 0;
        pmp_json_put_string(out, sp.data, sp.len);
        pmp_buf_free(&sp);
    }
    free(bounds);
    free(order);
    pmp_bpe_scratch_free(s);
    pmp_buf_appends(out, "\n    ]\n  }\n}\n");
}

int pmp_bpe_save_json(const pmp_bpe *b, const char *path, pmp_err *err)
{
    pmp_buf out = PMP_BUF_INIT, tmp = PMP_BUF_INIT;
    write_json(b, &out);
    pmp_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.data, "wb");
    int rc = 0;
    if (!f) {
        rc = pmp_err_set(err, "%s: cannot create: %m", tmp.data);
    } else {
        int bad = fwrite(out.data, 1, out.len, f) != out.len;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
        if (bad) rc = pmp_err_set(err, "%s: write failed: %m", tmp.data);
        else if (rename(tmp.data, path) < 0) rc = pmp_err_set(err, "%s: cannot rename: %m", path);
        if (rc < 0) unlink(tmp.data);
    }
    pmp_buf_free(&out);
    pmp_buf_free(&tmp);
    return rc;
}

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

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A token's bytes as Hugging Face spells them. GPT-2's byte alphabet has no NUL and
 * tokens are never empty, so the spelling is a C string (and can be a key). */
static void spell(pmp_buf *sp, const char *bytes, size_t len)
{
    pmp_buf_clear(sp);
    pmp_bpe_bytes_to_unicode(sp, bytes, len);
}

/* 1 if an ordinary token has these bytes (a special token's text may equal them). */
static int ordinary_has(const pmp_bpe *b, const char *bytes, uint32_t len)
{
    if (bpe_find(b, bytes, len)) return 1;
    for (uint32_t id = 0; id < b->n_ids; id++)
        if (b->tok_type[id] == TOK_ORDINARY && b->tok_len[id] == len &&
            memcmp(b->pool.data + b->tok_off[id], bytes, len) == 0)
            return 1;
    return 0;
}

/* The layout of Hugging Face's own files: one line per added token, vocabulary
 * entry and merge, the small objects each on one line. Fails for a ranked token
 * that no merge of lower-ranked tokens makes (possible only in a rank file): a
 * tokenizer.json cannot express it, and leaving its merge out would save another
 * tokenizer (that token would load as decode-only). */
static void added_token(pmp_jobj *j, uint32_t id, const char *text, size_t len)
{
    pmp_jobj_object(j, NULL);
    pmp_jobj_u64(j, "id", id);
    pmp_buf clean = PMP_BUF_INIT;
    pmp_utf8_sanitize(&clean, text, len);
    pmp_jobj_strn(j, "content", clean.data, clean.len);
    pmp_buf_free(&clean);
    pmp_jobj_bool(j, "single_word", 0);
    pmp_jobj_bool(j, "lstrip", 0);
    pmp_jobj_bool(j, "rstrip", 0);
    pmp_jobj_bool(j, "normalized", 0);
    pmp_jobj_bool(j, "special", 1);
    pmp_jobj_close(j);
}

/* TemplateProcessing: $A (and $A $B for a pair) then the appended special token. */
static void append_processor(pmp_jobj *j, const char *text, uint32_t id)
{
    pmp_jobj_object(j, "post_processor");
    pmp_jobj_str(j, "type", "TemplateProcessing");
    for (int pair = 0; pair < 2; pair++) {
        pmp_jobj_array(j, pair ? "pair" : "single");
        for (int k = 0; k < 2 + pair; k++) {
            int special = k == 1 + pair;
            pmp_jobj_object(j, NULL);
            pmp_jobj_object(j, special ? "SpecialToken" : "Sequence");
            pmp_jobj_str(j, "id", special ? text : k ? "B" : "A");
            pmp_jobj_int(j, "type_id", 0);
            pmp_jobj_close(j);
            pmp_jobj_close(j);
        }
        pmp_jobj_close(j);
    }
    pmp_jobj_object(j, "special_tokens");
    pmp_jobj_object(j, text);
    pmp_jobj_str(j, "id", text);
    pmp_jobj_array(j, "ids");
    pmp_jobj_u64(j, NULL, id);
    pmp_jobj_close(j);
    pmp_jobj_array(j, "tokens");
    pmp_jobj_str(j, NULL, text);
    pmp_jobj_close(j);
    pmp_jobj_close(j);
    pmp_jobj_close(j);
    pmp_jobj_close(j);
}

static int write_json(const pmp_bpe *b, const pmp_bpe_json_extra *x, pmp_buf *out, pmp_err *err)
{
    const char *append_text = NULL;
    if (x && x->append_id >= 0) {
        for (size_t i = 0; i < b->n_specials && !append_text; i++)
            if (b->sp_id[i] == (uint32_t)x->append_id) append_text = b->sp_text[i];
        for (size_t i = 0; i < x->n && !append_text; i++)
            if (x->ids[i] == (uint32_t)x->append_id) append_text = x->texts[i];
        if (!append_text)
            return pmp_err_setc(err, PMP_E_USAGE, "the appended id %lld is no special token",
                                (long long)x->append_id);
    }
    for (size_t i = 0; x && i < x->n; i++)
        if (x->ids[i] < b->n_ids || (i && x->ids[i] <= x->ids[i - 1]))
            return pmp_err_setc(err, PMP_E_USAGE, "an added token's id (%u) must be past the "
                                "vocabulary (%u) and ascending", x->ids[i], b->n_ids);

    pmp_jobj j;
    pmp_jobj_begin_pretty(&j, out);
    pmp_jobj_str(&j, "version", "1.0");
    pmp_jobj_null(&j, "truncation");
    pmp_jobj_null(&j, "padding");
    pmp_jobj_array_lines(&j, "added_tokens");
    for (size_t i = 0; i < b->n_specials; i++) added_token(&j, b->sp_id[i], b->sp_text[i], b->sp_len[i]);
    for (size_t i = 0; x && i < x->n; i++) added_token(&j, x->ids[i], x->texts[i], strlen(x->texts[i]));
    pmp_jobj_close(&j);
    pmp_jobj_null(&j, "normalizer");
    pmp_jobj_object(&j, "pre_tokenizer");
    pmp_jobj_str(&j, "type", "Sequence");
    pmp_jobj_array(&j, "pretokenizers");
    pmp_jobj_break(&j);
    pmp_jobj_object(&j, NULL);
    pmp_jobj_str(&j, "type", "Split");
    pmp_jobj_object(&j, "pattern");
    pmp_jobj_str(&j, "Regex", b->pattern);
    pmp_jobj_close(&j);
    pmp_jobj_str(&j, "behavior", "Isolated");
    pmp_jobj_bool(&j, "invert", 0);
    pmp_jobj_close(&j);
    pmp_jobj_break(&j);
    pmp_jobj_object(&j, NULL);
    pmp_jobj_str(&j, "type", "ByteLevel");
    pmp_jobj_bool(&j, "add_prefix_space", 0);
    pmp_jobj_bool(&j, "trim_offsets", 1);
    pmp_jobj_bool(&j, "use_regex", 0);
    pmp_jobj_close(&j);
    pmp_jobj_close(&j);
    pmp_jobj_close(&j);
    if (append_text) append_processor(&j, append_text, (uint32_t)x->append_id);
    else pmp_jobj_null(&j, "post_processor");
    pmp_jobj_object(&j, "decoder");
    pmp_jobj_str(&j, "type", "ByteLevel");
    pmp_jobj_bool(&j, "add_prefix_space", 1);
    pmp_jobj_bool(&j, "trim_offsets", 1);
    pmp_jobj_bool(&j, "use_regex", 1);
    pmp_jobj_close(&j);
    pmp_jobj_object(&j, "model");
    pmp_jobj_str(&j, "type", "BPE");
    pmp_jobj_null(&j, "dropout");
    pmp_jobj_null(&j, "unk_token");
    pmp_jobj_null(&j, "continuing_subword_prefix");
    pmp_jobj_null(&j, "end_of_word_suffix");
    pmp_jobj_bool(&j, "fuse_unk", 0);
    pmp_jobj_bool(&j, "byte_fallback", 0);
    pmp_jobj_bool(&j, "ignore_merges", 1);
    pmp_jobj_break(&j);
    pmp_jobj_object_lines(&j, "vocab");
    pmp_buf sp = PMP_BUF_INIT;
    for (uint32_t id = 0; id < b->n_ids; id++) {
        /* Specials too, as Hugging Face's own files have them: otherwise it
         * renumbers added tokens that are missing from the vocabulary. */
        if (b->tok_type[id] == TOK_UNUSED) continue;
        /* A special whose text is also an ordinary token's bytes is only in
         * added_tokens: the vocabulary cannot hold one key twice. */
        if (b->tok_type[id] == TOK_SPECIAL &&
            ordinary_has(b, b->pool.data + b->tok_off[id], b->tok_len[id]))
            continue;
        spell(&sp, b->pool.data + b->tok_off[id], b->tok_len[id]);
        pmp_jobj_u64(&j, sp.data, id);
    }
    for (size_t i = 0; x && i < x->n; i++) {   /* as the specials: Hugging Face keeps their ids */
        spell(&sp, x->texts[i], strlen(x->texts[i]));
        pmp_jobj_u64(&j, sp.data, x->ids[i]);
    }
    pmp_jobj_break(&j);   /* the bracket on its own line even when empty */
    pmp_jobj_close(&j);
    pmp_jobj_break(&j);
    pmp_jobj_array_lines(&j, "merges");
    /* Multi-byte ranked tokens in rank order. */
    size_t n, maxlen = 1;
    uint32_t *order = pmp_bpe_rank_order(b, &n);
    for (size_t k = 0; k < n; k++)
        if (b->tok_len[order[k]] > maxlen) maxlen = b->tok_len[order[k]];
    pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
    uint32_t *bounds = pmp_xmalloc((maxlen + 1) * sizeof *bounds);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        uint32_t id = order[k];
        const unsigned char *p = (const unsigned char *)b->pool.data + b->tok_off[id];
        size_t m = pmp_bpe_merge_piece(b, s, p, b->tok_len[id], b->tok_rank[id], bounds);
        if (m != 2) {
            rc = pmp_err_setc(err, PMP_E_UNSUPPORTED, "token %u (rank %u) is made by no merge of "
                              "lower-ranked tokens: a tokenizer.json cannot express it", id,
                              b->tok_rank[id]);
            break;
        }
        spell(&sp, (const char *)p, bounds[1]);
        pmp_buf_appendc(&sp, ' ');
        pmp_bpe_bytes_to_unicode(&sp, p + bounds[1], b->tok_len[id] - bounds[1]);
        pmp_jobj_strn(&j, NULL, sp.data, sp.len);
    }
    free(bounds);
    free(order);
    pmp_bpe_scratch_free(s);
    pmp_buf_free(&sp);
    if (rc < 0) return -1;
    pmp_jobj_break(&j);
    pmp_jobj_close(&j);
    pmp_jobj_break(&j);
    pmp_jobj_end(&j);
    pmp_buf_appendc(out, '\n');
    return 0;
}

int pmp_bpe_save_json(const pmp_bpe *b, const char *path, pmp_err *err)
{
    return pmp_bpe_save_json_extra(b, NULL, path, err);
}

int pmp_bpe_save_json_extra(const pmp_bpe *b, const pmp_bpe_json_extra *x, const char *path, pmp_err *err)
{
    pmp_buf out = PMP_BUF_INIT, tmp = PMP_BUF_INIT;
    if (write_json(b, x, &out, err) < 0) {
        pmp_buf_free(&out);
        return pmp_err_prefix(err, "%s", path);
    }
    if (!strcmp(path, "-")) {   /* stdout, as every -o of pmp takes it (not a file named "-") */
        int bad = fwrite(out.data, 1, out.len, stdout) != out.len;
        bad |= fflush(stdout) != 0;
        pmp_buf_free(&out);
        return bad ? pmp_err_errno(err, errno, "<stdout>: write error") : 0;
    }
    pmp_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.data, "wb");
    int rc = 0;
    if (!f) {
        rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot create: %m", tmp.data);
    } else {
        int bad = fwrite(out.data, 1, out.len, f) != out.len;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
        if (bad) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: write failed: %m", tmp.data);
        else if (rename(tmp.data, path) < 0) rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot rename: %m", path);
        if (rc < 0) unlink(tmp.data);
    }
    pmp_buf_free(&out);
    pmp_buf_free(&tmp);
    return rc;
}

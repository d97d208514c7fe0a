/* fuzz_bpe_check.h — the oracle the tokenizer-loader targets apply to whatever
 * loads: the inspection API agrees with itself, decode(encode(x)) == x for a fixed
 * text and for the input's own bytes (special tokens allowed and not), and the
 * tokenizer saves as a tokenizer.json that loads back with the same identity. */
#ifndef PMP_FUZZ_BPE_CHECK_H
#define PMP_FUZZ_BPE_CHECK_H

#include "bpe_internal.h"
#include "fuzz_util.h"

static const char FUZZ_TEXT[] =
    "Hello world! It's 2024, isn't it?\n\n  Tabs\tand   spaces \xC3\xA9t\xC3\xA9 "
    "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 <|endoftext|> 12345 'LL \x80\xFF\xC0 end";

static inline void fuzz_roundtrip(const pmp_bpe *b, pmp_bpe_scratch *s, const char *t, size_t n)
{
    for (int allow = 0; allow < 2; allow++) {
        pmp_ids ids = PMP_IDS_INIT;
        pmp_buf out = PMP_BUF_INIT;
        pmp_err err;
        if (pmp_bpe_encode(b, s, t, n, allow, &ids, &err) < 0) {
            /* Only a vocabulary without all 256 bytes may refuse text. */
            FUZZ_CHECK(b->n_missing_bytes > 0);
            FUZZ_CHECK(ids.len == 0);
        } else {
            uint32_t V = pmp_bpe_vocab_size(b);
            for (size_t i = 0; i < ids.len; i++) {
                FUZZ_CHECK(ids.data[i] < V);
                if (!allow) FUZZ_CHECK(b->tok_type[ids.data[i]] == TOK_ORDINARY);
            }
            FUZZ_CHECK(pmp_bpe_decode(b, ids.data, ids.len, &out, &err) == 0);
            FUZZ_CHECK(out.len == n && (n == 0 || memcmp(out.data, t, n) == 0));
        }
        pmp_ids_free(&ids);
        pmp_buf_free(&out);
    }
}

static inline void fuzz_check_bpe(const pmp_bpe *b, const uint8_t *data, size_t size, const char *dir)
{
    uint32_t V = pmp_bpe_vocab_size(b);
    FUZZ_CHECK(pmp_bpe_n_tokens(b) + pmp_bpe_n_specials(b) <= V);
    for (size_t i = 0; i < pmp_bpe_n_specials(b); i++) {
        uint32_t id;
        const char *text = pmp_bpe_special(b, i, &id);
        size_t len;
        const char *tok = pmp_bpe_token(b, id, &len);
        FUZZ_CHECK(text && id < V && tok && len == b->sp_len[i] && memcmp(tok, text, len) == 0);
        if (strlen(text) == len) FUZZ_CHECK(pmp_bpe_special_id(b, text) == (int64_t)id);
    }
    FUZZ_CHECK(pmp_bpe_identity(b) && !strncmp(pmp_bpe_identity(b), "bpe1:", 5));

    pmp_bpe_scratch *s = pmp_bpe_scratch_new(b);
    fuzz_roundtrip(b, s, FUZZ_TEXT, sizeof FUZZ_TEXT - 1);
    fuzz_roundtrip(b, s, (const char *)data, size < 4096 ? size : 4096);
    pmp_bpe_scratch_free(s);

    /* What loads must save as a tokenizer.json that loads back as the same
     * tokenizer (the identity does not depend on the file kind); only a ranked
     * token that no merge makes (a rank file's) may refuse to be saved. */
    char path[512];
    snprintf(path, sizeof path, "%s/saved.json", dir);
    pmp_err err;
    if (pmp_bpe_save_json(b, path, &err) < 0) {
        if (err.code == PMP_E_UNSUPPORTED && strstr(err.msg, "made by no merge")) return;
        fprintf(stderr, "save: %s\n", err.msg);
        abort();
    }
    pmp_bpe *c;
    if (pmp_bpe_load(&c, path, NULL, &err) < 0) {
        fprintf(stderr, "reload: %s\n", err.msg);
        abort();
    }
    if (strcmp(pmp_bpe_identity(b), pmp_bpe_identity(c)) != 0) {
        fprintf(stderr, "identity changed by save + load: %s -> %s\n", pmp_bpe_identity(b),
                pmp_bpe_identity(c));
        abort();
    }
    pmp_bpe_free(c);
    unlink(path);
}

#endif

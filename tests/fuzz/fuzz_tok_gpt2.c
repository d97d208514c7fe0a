/* libFuzzer target: the GPT-2 directory loader (tokenizer/load.c, load_gpt2_dir
 * through pmp_bpe_load): the input is encoder.json, a 0xFF byte, then vocab.bpe
 * (no 0xFF: an empty vocab.bpe; 0xFF never occurs in UTF-8 text).
 * Oracle (fuzz_bpe_check.h): what loads round-trips text and saves as a
 * tokenizer.json that loads back with the same identity. */
#include "fuzz_bpe_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t n_enc = sep ? (size_t)(sep - data) : size;
    const uint8_t *merges = sep ? sep + 1 : data + size;
    size_t n_merges = size - n_enc - (sep ? 1 : 0);
    if (fuzz_is_compressed(data, n_enc) || fuzz_is_compressed(merges, n_merges)) return 0;
    const char *dir = fuzz_dir("tok_gpt2");
    char tok[512], path[600];
    snprintf(tok, sizeof tok, "%s/gpt2", dir);
    mkdir(tok, 0700);
    snprintf(path, sizeof path, "%s/encoder.json", tok);
    fuzz_write(path, data, n_enc);
    snprintf(path, sizeof path, "%s/vocab.bpe", tok);
    fuzz_write(path, merges, n_merges);
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, tok, NULL, &err) == 0) {
        fuzz_check_bpe(b, data, size, dir);
        pmp_bpe_free(b);
    }
    return 0;
}

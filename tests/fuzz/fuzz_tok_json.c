/* libFuzzer target: the Hugging Face tokenizer.json loader (tokenizer/load.c,
 * load_hf_json through pmp_bpe_load): vocab, merges ("A B" or ["A", "B"]),
 * added_tokens, the pattern of the pre_tokenizer (compiled as given). Inputs that
 * do not start with '{' (after white space) would load as rank files and are
 * skipped (fuzz_tok_tiktoken has those).
 * Oracle (fuzz_bpe_check.h): what loads round-trips text (a vocabulary without
 * all 256 bytes may refuse text, with nothing appended) and saves as a
 * tokenizer.json that loads back with the same identity. */
#include "fuzz_bpe_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i == size || data[i] != '{') return 0;
    const char *dir = fuzz_dir("tok_json");
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    fuzz_write(path, data, size);
    pmp_bpe *b;
    pmp_err err;
    if (pmp_bpe_load(&b, path, NULL, &err) == 0) {
        fuzz_check_bpe(b, data, size, dir);
        pmp_bpe_free(b);
    }
    unlink(path);
    return 0;
}

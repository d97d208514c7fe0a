/* libFuzzer target: the tiktoken rank-file loader (tokenizer/load.c, load_tiktoken
 * through pmp_bpe_load). An optional first line "#NAME" names the file
 * NAME.tiktoken (NAME: up to 32 of [a-z0-9_]), which decides the built-in special
 * tokens (cl100k_base, o200k_base, r50k_base, ...); the rest is the file, so a cut
 * of a real rank file is an input as it is.
 * Oracle (fuzz_bpe_check.h): what loads round-trips text and saves as a
 * tokenizer.json that loads back with the same identity. */
#include "fuzz_bpe_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir("tok_tiktoken");
    char name[40] = "x";
    if (size && data[0] == '#') {
        size_t i = 1, k = 0;
        while (i < size && data[i] != '\n') {
            char c = (char)data[i++];
            if (k < 32 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) name[k++] = c;
        }
        name[k ? k : 1] = 0;
        size_t skip = i < size ? i + 1 : size;
        data += skip;
        size -= skip;
    }
    if (fuzz_is_compressed(data, size)) return 0;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.tiktoken", dir, name);
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

/* fuzz_bpe.c — libFuzzer target: decode(encode(x)) == x for any bytes x, with
 * special tokens allowed or not (first input byte), for the tokenizer named by
 * PMP_FUZZ_TOKENIZER (default: the shared cl100k_base). Built and run by
 * fuzz.sh with clang (-fsanitize=fuzzer,address,undefined). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_bpe.h"

static pmp_bpe *bpe;
static pmp_bpe_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("PMP_FUZZ_TOKENIZER");
    pmp_err err;
    if (pmp_bpe_load(&bpe, path ? path : PMP_SHARED_DATA "/bpe/cl100k_base.tiktoken", NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    scratch = pmp_bpe_scratch_new(bpe);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int allow = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    pmp_ids ids = PMP_IDS_INIT;
    pmp_buf out = PMP_BUF_INIT;
    pmp_err err;
    if (pmp_bpe_encode(bpe, scratch, text, len, allow, &ids, &err) < 0) abort();
    if (pmp_bpe_decode(bpe, ids.data, ids.len, &out, &err) < 0) abort();
    if (out.len != len || (len && memcmp(out.data, text, len) != 0)) abort();
    pmp_ids_free(&ids);
    pmp_buf_free(&out);
    return 0;
}

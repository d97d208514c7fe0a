/* libFuzzer target: the safetensors header validator; every tensor's bytes it
 * accepts are read (ASan catches a range outside the file). */
#include <stddef.h>
#include <stdint.h>

#include "pmp_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pmp_safetensors *st;
    pmp_err err;
    if (pmp_safetensors_parse(&st, data, size, &err) == 0) {
        unsigned sum = 0;
        for (size_t i = 0; i < pmp_safetensors_count(st); i++) {
            const pmp_safetensors_tensor *t = pmp_safetensors_tensor_at(st, i);
            const unsigned char *p = pmp_safetensors_data(st, t);
            for (uint64_t j = 0; j < t->end - t->begin; j++) sum += p[j];
        }
        volatile unsigned sink = sum;
        (void)sink;
        pmp_safetensors_close(st);
    }
    return 0;
}

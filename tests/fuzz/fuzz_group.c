/* libFuzzer target: group record parsing (pmp_group_parse) and re-serialising:
 * whatever parses must serialise to a line that parses to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_group.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pmp_group g, h;
    pmp_group_init(&g);
    pmp_group_init(&h);
    pmp_err err;
    if (pmp_group_parse(&g, (const char *)data, size, &err) == 0) {
        pmp_buf a = PMP_BUF_INIT, b = PMP_BUF_INIT;
        pmp_group_to_json(&a, &g);
        if (pmp_group_parse(&h, a.data, a.len - 1, &err) != 0) abort();
        pmp_group_to_json(&b, &h);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
        pmp_buf_free(&a);
        pmp_buf_free(&b);
    }
    pmp_group_clear(&g);
    pmp_group_clear(&h);
    return 0;
}

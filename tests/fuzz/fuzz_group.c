/* libFuzzer target: group record parsing (pmp_group_parse) and re-serialising:
 * whatever parses must serialise to a line that parses to the same bytes; and the
 * scanner (group_parse.c) must agree with its reference, json-c, on every input:
 * the same accept/reject, the same message, the same group. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "group_internal.h"
#include "pmp_group.h"

static int same(const pmp_group *a, const pmp_group *b)
{
    pmp_buf x = PMP_BUF_INIT, y = PMP_BUF_INIT;
    pmp_group_to_json(&x, a);
    pmp_group_to_json(&y, b);
    int eq = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    for (size_t i = 0; eq && i < a->n_responses; i++)   /* the sign of a zero score */
        eq = signbit(a->responses[i].score) == signbit(b->responses[i].score);
    pmp_buf_free(&x);
    pmp_buf_free(&y);
    return eq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pmp_group_parser *p;
    if (!p) p = pmp_group_parser_new();
    pmp_group g, h, ref;
    pmp_group_init(&g);
    pmp_group_init(&h);
    pmp_group_init(&ref);
    pmp_err err, rerr;
    for (int doc = 0; doc <= 1; doc++) {
        int rc = pmp_group_parser_parse(p, &g, (const char *)data, size, doc, &err);
        int rrc = pmp_group_parse_jsonc(&ref, (const char *)data, size, doc, &rerr);
        if (rc != rrc) abort();
        if (rc < 0 && strcmp(err.msg, rerr.msg) != 0) abort();
        if (rc == 0 && !same(&g, &ref)) abort();
    }
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
    pmp_group_clear(&ref);
    return 0;
}

/* pmp_ndjson.h — pull a few fields out of one-object-per-line JSON, fast.
 *
 * Why not json-c: building a full DOM for every line of a 200 GB pushshift month
 * runs at ~100 MB/s on one core (bench/reddit/json_speed), below the 150 MB/s the
 * extractor must sustain; this scanner validates the whole line with the full JSON
 * grammar but only decodes the values whose keys were asked for, and hands out
 * strings that need no decoding as pointers into the line (no copy). The same holds
 * for group records in front of pmp-tokenize (formats/group.c), which is why the
 * scanner lives here, below both.
 *
 * Every line must be exactly one JSON object (surrounding whitespace allowed).
 * Strings come back as valid UTF-8: escapes are decoded (surrogate pairs joined,
 * \u0000 kept as a NUL byte, lone surrogates and invalid bytes become U+FFFD via
 * pmp_utf8_sanitize). Keys are compared as json-c compares them: up to their first
 * NUL ("id\u0000x" is "id"). Duplicate keys: the last one wins (as in json-c).
 * Nested objects/arrays are validated and skipped (type PMP_JV_OTHER), depth <= 64
 * unless pmp_ndjson_set_max_depth says otherwise; pmp_ndjson_array_next_object
 * extracts from the objects of such an array, one by one.
 * Fuzzed: tests/reddit/fuzz_ndjson.c, and against json-c in tests/fuzz/fuzz_group.c.
 */
#ifndef PMP_NDJSON_H
#define PMP_NDJSON_H

#include <stddef.h>

#include "pmp_common.h"

typedef enum pmp_jv_type {
    PMP_JV_ABSENT = 0,
    PMP_JV_NULL,
    PMP_JV_FALSE,
    PMP_JV_TRUE,
    PMP_JV_NUMBER,   /* s/len: the number's text as written */
    PMP_JV_STRING,   /* s/len: decoded, valid UTF-8 (may contain NUL bytes) */
    PMP_JV_OTHER,    /* an object or an array (not decoded) */
} pmp_jv_type;

typedef struct pmp_jfield {
    pmp_jv_type type;
    const char *s;   /* valid until the next pmp_ndjson_extract call */
    size_t len;
    int repaired;    /* STRING: invalid bytes / lone surrogates were replaced */
} pmp_jfield;

typedef struct pmp_ndjson pmp_ndjson;

/* keys: the top-level keys wanted (copied); at most 64. */
pmp_ndjson *pmp_ndjson_new(const char *const *keys, size_t n_keys);
void pmp_ndjson_free(pmp_ndjson *x);

/* Containers may open at nesting depths below max_depth, the line's object being
 * depth 0 (so a scalar may sit at depth max_depth). Default 64, at most 64. */
void pmp_ndjson_set_max_depth(pmp_ndjson *x, int max_depth);

/* Parses one line; fields[i] receives keys[i] (PMP_JV_ABSENT when missing).
 * Returns 0, or -1 with "byte N: reason" (N 1-based within the line) in err. */
int pmp_ndjson_extract(pmp_ndjson *x, const char *line, size_t len, pmp_jfield *fields,
                       pmp_err *err);

/* The elements of an array field (type PMP_JV_OTHER, text starting with '['), which
 * pmp_ndjson_extract has validated, each extracted as x's keys say: start with
 * *pos = 0. Returns 1 with fields filled from the next element, 0 after the last one,
 * -1 when an element is not an object ("byte N" counts from the '['). Fields are
 * valid until x's next call; the array's own text until the line's next call. */
int pmp_ndjson_array_next_object(pmp_ndjson *x, const pmp_jfield *array, size_t *pos,
                                 pmp_jfield *fields, pmp_err *err);

/* A number, or a string holding a JSON-style number ("12", "-3.5"), as a double.
 * Returns 0, or -1 when absent, null or not numeric. */
int pmp_jfield_number(const pmp_jfield *f, double *out);
/* true, a non-zero number, or the strings "true"/"1" -> 1; anything else -> 0. */
int pmp_jfield_truthy(const pmp_jfield *f);
/* Whether the field is a string equal to s. */
int pmp_jfield_is(const pmp_jfield *f, const char *s);

#endif

/* group_internal.h — the two readings of a group line behind pmp_group_parse
 * (group_parse.c), apart, so that tests can hold them equal. */
#ifndef PMP_GROUP_INTERNAL_H
#define PMP_GROUP_INTERNAL_H

#include "pmp_group.h"

/* The reference, json-c: what pmp_group_parse returns for every line the scanner
 * does not take, errors included. */
int pmp_group_parse_jsonc(pmp_group *g, const char *line, size_t len, int allow_doc,
                          pmp_err *err);
/* The scanner alone: 1 = taken (g holds the group, which the reference would give
 * too), 0 = left to the reference (g's contents are then meaningless). */
int pmp_group_parse_fast(pmp_group_parser *p, pmp_group *g, const char *line, size_t len,
                         int allow_doc);

/* pmp_group_validate without the UTF-8 checks, for groups whose strings are valid
 * by construction (the scanner's: a strictly valid line, escapes decoded to
 * scalar values). */
int pmp_group_validate_shape(const pmp_group *g, pmp_err *err);

#endif

/* pmp_hh.h — Anthropic hh-rlhf ({"chosen": ..., "rejected": ...} JSONL) to
 * two-response comparison groups.
 *
 * Context is the dialogue up to and including the last "\n\nAssistant:" of each
 * transcript; the two transcripts must agree on it. The responses are what
 * follows it (the final assistant turns, leading space kept, so that
 * context + response is the original transcript): chosen scores 1, rejected 0.
 */
#ifndef PMP_HH_H
#define PMP_HH_H

#include <stdint.h>

#include "pmp_common.h"
#include "pmp_extract.h"
#include "pmp_group.h"

typedef enum pmp_hh_skip {
    PMP_HH_OK = 0,
    PMP_HH_SKIP_IDENTICAL,         /* chosen == rejected, or equal final turns */
    PMP_HH_SKIP_NO_ASSISTANT,      /* a transcript has no "\n\nAssistant:" */
    PMP_HH_SKIP_DIFFERENT_PREFIX,  /* they diverge before the final assistant turn */
    PMP_HH_SKIP_REASONS
} pmp_hh_skip;

const char *pmp_hh_skip_name(pmp_hh_skip reason);

/* Builds the group for one pair (g is cleared first). Returns PMP_HH_OK with g
 * filled, or the reason the pair is skipped. */
pmp_hh_skip pmp_hh_group_from_pair(pmp_group *g, const char *id, const char *chosen,
                                   size_t chosen_len, const char *rejected, size_t rejected_len);

/* The split key of an hh context (docs/records.md, "Split keys"): "hh/" and the
 * xxHash64 (seed 0, 16 hex digits) of its first human turn with whitespace runs
 * made one space and cut at both ends, so rows that open alike share a side of
 * the split. */
#define PMP_HH_SPLIT_KEY_SIZE 20
void pmp_hh_split_key(const char *context, size_t len, char out[PMP_HH_SPLIT_KEY_SIZE]);

typedef struct pmp_hh_stats {
    uint64_t lines;
    uint64_t groups;
    uint64_t skipped[PMP_HH_SKIP_REASONS];
    uint64_t bad_lines;          /* invalid JSON or missing fields (with skip_bad) */
} pmp_hh_stats;

typedef struct pmp_hh_options {
    const char *name;            /* file name used in ids; default: each input's basename */
    int skip_bad;                /* count bad lines and go on, instead of failing */
} pmp_hh_options;

void pmp_hh_options_init(pmp_hh_options *o);   /* the documented defaults */

/* The source interface (pmp_extract.h): reads the inputs in order ("-" = stdin;
 * plain or compressed) and pushes their groups to sink. Errors name file:line. */
int pmp_hh_extract(const pmp_hh_options *o, const char *const *paths, size_t n_paths,
                   const pmp_extract_sink *sink, pmp_hh_stats *st, pmp_err *err);

#endif

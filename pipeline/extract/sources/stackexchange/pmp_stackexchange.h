/* pmp_stackexchange.h — StackExchange data dumps (Posts.xml, Votes.xml) to
 * comparison groups (docs/stackexchange.md).
 *
 * One group per question with at least two answers: context = title, blank line,
 * question body as text; responses = the answers (ordered by Id) as text, scored
 * as in the PMP paper: round(log2(1 + upvotes)) plus 1 for the accepted answer,
 * and -1 whatever the acceptance when upvotes is negative. "upvotes" is the row's
 * Score (net votes), or with a Votes.xml the number of UpMod votes (VoteTypeId 2).
 *
 * Streaming and bounded memory: the XML is read with libxml2's SAX2 push parser
 * (no DTD, no entity substitution, no network) and questions and answers meet in
 * the external group-by (pmp_groupby.h), keyed by question Id, so rows may come in
 * any order and the output, ordered by question Id, is the same for every memory
 * budget.
 */
#ifndef PMP_STACKEXCHANGE_H
#define PMP_STACKEXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_extract.h"
#include "pmp_group.h"

/* ---- the extractor ---- */

typedef enum pmp_se_skip {
    PMP_SE_SKIP_NONE = 0,
    PMP_SE_SKIP_OTHER_TYPE,     /* PostTypeId other than 1 and 2 (tag wikis, ...) */
    PMP_SE_SKIP_BAD_ROW,        /* a question/answer row without a usable Id/ParentId */
    PMP_SE_SKIP_ORPHAN,         /* answer whose question is not in the file */
    PMP_SE_SKIP_FEW_ANSWERS,    /* question with fewer than 2 usable answers */
    PMP_SE_SKIP_DUPLICATE,      /* a second row with the same question or answer Id */
    PMP_SE_SKIP_EMPTY_TEXT,     /* answer whose body has no text */
    PMP_SE_SKIP_REASONS
} pmp_se_skip;

const char *pmp_se_skip_name(pmp_se_skip s);

typedef struct pmp_se_options {
    const char *site;          /* NULL: from the file name (pmp_se_site_from_path) */
    const char *votes_path;    /* NULL: upvotes = Score (one input only) */
    int votes_beside;          /* each SITE-Posts.xml reads the SITE-Votes.xml beside it */
    uint64_t mem;              /* group-by memory budget in bytes; 0 = 1 GiB */
    const char *tmpdir;        /* NULL: $TMPDIR, else /tmp */
    int tmp_compress;          /* zstd level of the spill runs; 0: plain (pmp_groupby.h) */
    int strict;                /* a bad row is an error instead of a skip */
} pmp_se_options;

void pmp_se_options_init(pmp_se_options *o);   /* the documented defaults */

typedef struct pmp_se_stats {
    uint64_t rows;              /* Posts.xml rows */
    uint64_t questions;         /* PostTypeId 1 rows */
    uint64_t answers;           /* PostTypeId 2 rows */
    uint64_t groups;
    uint64_t responses;         /* answers written */
    uint64_t vote_rows;         /* Votes.xml rows */
    uint64_t upvotes;           /* VoteTypeId 2 rows */
    uint64_t upvotes_matched;   /* ... whose PostId is an answer of this Posts.xml */
    uint64_t upvotes_before_post; /* ... of those, dated before the answer was posted */
    uint64_t runs;              /* group-by run files spilled */
    uint64_t spill_bytes, spill_peak_bytes;   /* written to run files; most held at once (sum over group-bys) */
    uint64_t skipped[PMP_SE_SKIP_REASONS];
} pmp_se_stats;

/* The source interface (pmp_extract.h): reads each Posts.xml ("-" = stdin; plain or
 * compressed) in order, each with its own site name and grouping, and pushes its
 * groups to sink. Groups already written when an error is found are whole records;
 * the error names the file and line. */
int pmp_se_extract(const pmp_se_options *o, const char *const *paths, size_t n_paths,
                   const pmp_extract_sink *sink, pmp_se_stats *st, pmp_err *err);

/* The site name from a dump path: "cooking.stackexchange.com-Posts.xml",
 * "cooking.stackexchange.com-2020-Posts.xml.zst" and
 * "cooking.stackexchange.com/Posts.xml" all give "cooking.stackexchange.com".
 * NULL when the path names no site (malloc'd otherwise). */
char *pmp_se_site_from_path(const char *path);

/* The PMP score from upvotes and acceptance (see above). */
double pmp_se_score(int64_t upvotes, int accepted);

/* "2014-05-14T08:11:02.157" -> seconds since the epoch (UTC, fraction dropped);
 * NAN when s is not such a date. */
double pmp_se_parse_date(const char *s, size_t len);

/* Tags "<a><b>" (older dumps) or "|a|b|" (2024 dumps) as a JSON array of strings,
 * appended to out. */
void pmp_se_tags_json(pmp_buf *out, const char *tags, size_t len);

/* ---- the row reader (Posts.xml, Votes.xml, ... : <root><row a="..."/>...) ---- */

typedef struct pmp_se_row {
    const unsigned char **attrs;   /* libxml2 SAX2 layout: 5 pointers per attribute */
    int n_attrs;
    uint64_t line;
    int amp_escaped;               /* '&' arrives as "&#38;" (see pmp_se_row_text) */
    uint64_t bytes;                /* its attribute values' bytes */
} pmp_se_row;

/* A row whose attribute values add up to more than this is a bad row (skipped and
 * counted, an error with --strict): no post of a real dump comes near it (a
 * StackExchange body is at most 30,000 characters). libxml2's own limit, an error that
 * ends the file, is raised to 1 GB per value (XML_PARSE_HUGE), so only a row past that
 * still stops the extraction. */
#define PMP_SE_MAX_ROW_BYTES ((uint64_t)16 << 20)

/* The value of attribute name as libxml2 gives it (not NUL-terminated), or NULL.
 * Fine for numbers and dates; text may hold '&' and needs pmp_se_row_text. */
const char *pmp_se_row_attr(const pmp_se_row *row, const char *name, size_t *len);
/* The exact value of a text attribute (Body, Title, Tags): as pmp_se_row_attr,
 * with the "&#38;" libxml2 (2.9, without entity substitution) leaves for every '&'
 * turned back into '&' (in scratch when needed; valid until scratch changes). */
const char *pmp_se_row_text(const pmp_se_row *row, const char *name, pmp_buf *scratch,
                            size_t *len);

/* Calls fn for every <row> child of the root element. fn returns 0 to go on or -1
 * with err set; its message gets the "file:line: " prefix. A DOCTYPE (and with it
 * any entity declaration or external DTD) is refused. */
typedef int (*pmp_se_row_fn)(void *ctx, const pmp_se_row *row, pmp_err *err);
int pmp_se_read_rows(const char *path, pmp_se_row_fn fn, void *ctx,
                     void (*on_progress)(void *ctx, uint64_t bytes, uint64_t rows),
                     void *progress_ctx, pmp_err *err);

#endif

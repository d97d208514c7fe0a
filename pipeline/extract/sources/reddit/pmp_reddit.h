/* pmp_reddit.h — pushshift Reddit dumps (RC_ comments, RS_ submissions; NDJSON,
 * any compression pmp_input reads) -> sibling-comment comparison groups.
 *
 * One group per parent (a submission t3_ or a comment t1_) with >= 2 eligible
 * direct replies carrying >= 2 distinct scores. Comments of one thread are spread
 * over a whole month, so every comment (and every submission) goes through the
 * external group-by (pmp_groupby.h) keyed by its thread (link_id as a big-endian
 * u64); each key group is then one whole thread, whose tree is built in memory,
 * turned into groups and freed. Output order (docs/reddit.md):
 *   threads by numeric link id; inside a thread, the submission's group first, then
 *   comment parents by numeric id; responses by numeric comment id.
 * It does not depend on the input order or on the memory budget.
 */
#ifndef PMP_REDDIT_H
#define PMP_REDDIT_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_extract.h"
#include "pmp_group.h"

/* ---------- options ---------- */

/* Eligibility filters on by default; a set bit in pmp_reddit_options.keep turns one off. */
enum {
    PMP_REDDIT_KEEP_EMPTY = 1 << 0,           /* empty / whitespace-only bodies */
    PMP_REDDIT_KEEP_DELETED_BODY = 1 << 1,    /* body "[deleted]" / "[removed]" */
    PMP_REDDIT_KEEP_DELETED_AUTHOR = 1 << 2,  /* author "[deleted]" */
    PMP_REDDIT_KEEP_AUTOMOD = 1 << 3,         /* author "AutoModerator" */
    PMP_REDDIT_KEEP_STICKIED = 1 << 4,        /* stickied comments */
    PMP_REDDIT_KEEP_MODERATOR = 1 << 5,       /* distinguished == "moderator" */
};

typedef struct pmp_reddit_options {
    /* RS files (paths or "-"), read before the comments: several months' dumps make
     * one joined input, so a comment meets its submission whatever month each is in */
    const char *const *submissions;
    size_t n_submissions;
    /* comments files (paths or "-"), read last. The inputs given to
     * pmp_reddit_extract() are read between the two, each submissions or comments by
     * what its lines hold (one kind a file) */
    const char *const *comments;
    size_t n_comments;
    int max_depth;             /* ancestors of the parent comment put in the context */
    unsigned keep;             /* PMP_REDDIT_KEEP_* */
    int has_min_score;
    double min_score;          /* replies below it are not eligible */
    int has_min_submission_score;
    double min_submission_score;   /* threads below it (or without a known submission) are skipped */
    const char *const *subreddits; /* only these (case-insensitive), or NULL = all */
    size_t n_subreddits;
    int unescape_html;         /* &amp; &lt; &gt; -> & < > (Reddit escapes these in bodies) */
    int skip_bad;              /* count and skip bad lines instead of failing */
    /* --preset shp (Stanford SHP's post and comment rules): only top-level replies
     * to a known self-post that is not NSFW; replies by the post's author are not
     * eligible (the score thresholds go in min_score / min_submission_score) */
    int shp;
    uint64_t mem;              /* group-by memory budget in bytes */
    const char *tmpdir;        /* NULL: $TMPDIR or /tmp */
    int tmp_compress;          /* zstd level of the spill runs; 0: plain (pmp_groupby.h) */
} pmp_reddit_options;

void pmp_reddit_options_init(pmp_reddit_options *o);   /* the documented defaults */

/* ---------- one dump line ---------- */

enum {
    PMP_RI_BODY_EMPTY = 1 << 0,
    PMP_RI_BODY_DELETED = 1 << 1,   /* "[deleted]" or "[removed]" */
    PMP_RI_AUTHOR_DELETED = 1 << 2,
    PMP_RI_AUTOMOD = 1 << 3,
    PMP_RI_STICKIED = 1 << 4,
    PMP_RI_MODERATOR = 1 << 5,
    PMP_RI_HAS_SCORE = 1 << 6,
    PMP_RI_SUBMISSION = 1 << 7,
    PMP_RI_PARENT_T3 = 1 << 8,      /* comment: its parent is the submission */
    PMP_RI_NO_KIND = 1 << 9,        /* parse by content: neither or both kinds' fields */
    PMP_RI_SELF = 1 << 10,          /* submission: is_self (a text post, not a link) */
    PMP_RI_NSFW = 1 << 11,          /* submission: over_18 */
};

typedef struct pmp_reddit_item {
    unsigned flags;            /* PMP_RI_* */
    uint64_t id;               /* base36 id as a number */
    uint64_t link;             /* thread (submission) id; == id for a submission */
    uint64_t parent;           /* comment: parent id (see PMP_RI_PARENT_T3) */
    double score;              /* valid with PMP_RI_HAS_SCORE */
    double created_utc;        /* seconds; NAN when absent */
    uint64_t author_hash;      /* xxHash64 of the author name | 1; 0: none or [deleted] */
    const char *subreddit; size_t subreddit_len;
    const char *body; size_t body_len;     /* comment body or submission selftext */
    const char *title; size_t title_len;   /* submission only */
    int repaired;              /* some string had invalid UTF-8 or lone surrogates */
} pmp_reddit_item;

typedef struct pmp_reddit_parser pmp_reddit_parser;

pmp_reddit_parser *pmp_reddit_parser_new(void);
void pmp_reddit_parser_free(pmp_reddit_parser *p);
/* Parses one NDJSON line (a comment, or a submission when is_submission; with
 * is_submission < 0, whichever its fields say: PMP_RI_SUBMISSION is set for a
 * submission, and a line with neither or both kinds' fields returns 0 with
 * PMP_RI_NO_KIND set).
 * Returns 1 with *it filled (strings valid until the next call), 0 when a required
 * field (id; link_id and parent_id for comments) is missing or unreadable (reason in
 * err), -1 when the line is not a JSON object ("byte N: reason" in err). */
int pmp_reddit_parse(pmp_reddit_parser *p, const char *line, size_t len, int is_submission,
                     pmp_reddit_item *it, pmp_err *err);

/* "abc", "t1_abc", "t3_abc" -> number (case-insensitive base36, <= 12 digits).
 * *prefix gets 1 or 3 for t1_/t3_, 0 without prefix. Returns 0 or -1. */
int pmp_reddit_id_parse(const char *s, size_t len, uint64_t *out, int *prefix);
/* Writes the lowercase base36 form of v (NUL-terminated) into out[14]. */
void pmp_reddit_id_format(uint64_t v, char out[14]);

/* Item <-> compact binary value for the group-by (strings copied). */
void pmp_reddit_item_encode(pmp_buf *out, const pmp_reddit_item *it);
/* Returns 0, or -1 when the bytes are not a valid encoding. */
int pmp_reddit_item_decode(const void *p, size_t n, pmp_reddit_item *it);

/* ---------- the whole extraction ---------- */

typedef struct pmp_reddit_stats {
    uint64_t lines, comments, submissions;
    uint64_t bad_lines;            /* invalid JSON (only counted with skip_bad) */
    uint64_t missing_fields;       /* lines skipped: no usable id / link_id / parent_id */
    uint64_t other_subreddit;      /* dropped by the subreddit filter */
    uint64_t repaired;             /* lines with invalid UTF-8 or lone surrogates replaced */
    uint64_t duplicates;           /* repeated comment/submission ids (first kept) */
    uint64_t threads;
    uint64_t parents;              /* parents with >= 1 reply */
    uint64_t ineligible_replies;
    uint64_t too_few;              /* parents with < 2 eligible replies */
    uint64_t same_score;           /* >= 2 eligible replies, all with one score */
    uint64_t no_context;           /* would be a group, but the context is unknown */
    uint64_t low_submission_score; /* would be a group, submission filter */
    uint64_t shp_post;             /* would be a group, not an SHP post (--preset shp) */
    uint64_t groups, responses;
    uint64_t spill_runs;
    uint64_t spill_bytes, spill_peak_bytes;   /* written to run files; most held at once */
    uint64_t in_bytes;             /* decoded NDJSON bytes read */
} pmp_reddit_stats;

/* Called once per group, in the documented order; return 0 to continue or -1
 * (with err filled) to stop. */
typedef int (*pmp_reddit_emit_fn)(void *ctx, const pmp_group *g, pmp_err *err);

/* The source interface (pmp_extract.h): reads o->submissions, then the inputs (kind
 * detected), then o->comments, in order, as one input, then pushes the groups to
 * sink. Returns 0 or -1 ("file:line: reason" / "file: offset N: reason"). */
int pmp_reddit_extract(const pmp_reddit_options *o, const char *const *paths, size_t n_paths,
                       const pmp_extract_sink *sink, pmp_reddit_stats *st, pmp_err *err);

/* One thread's records (encoded items, any order) -> its groups. Exposed for tests. */
typedef struct pmp_reddit_thread pmp_reddit_thread;
pmp_reddit_thread *pmp_reddit_thread_new(const pmp_reddit_options *o);
void pmp_reddit_thread_free(pmp_reddit_thread *t);
void pmp_reddit_thread_add(pmp_reddit_thread *t, const void *rec, size_t n);
/* Builds the tree, emits the groups, and empties t for the next thread. */
int pmp_reddit_thread_flush(pmp_reddit_thread *t, pmp_reddit_emit_fn emit, void *ctx,
                            pmp_reddit_stats *stats, pmp_err *err);

#endif

/* pmp_wikipedia.h — vandalism-revert comparison groups from MediaWiki XML
 * exports with full revision history (export schemas 0.3 to 0.11), streamed.
 *
 * The rule (docs/wikipedia.md): revision R is an identity revert when its text
 * (the <sha1> when the dump has one, else a hash of the text) equals that of an
 * earlier revision G among the `radius` revisions before R, G is not the
 * revision B just before R, and B's text differs from R's. G is the most recent
 * such revision. A revert is kept when its comment matches the vandalism
 * pattern (or always, with any_revert) and is not a self-revert (R's user is
 * B's user; kept with keep_self_reverts); then G (score 1) and B (score 0) are
 * cleaned to plain text and diffed, and every changed region becomes a group.
 *
 * Memory per page: `radius` hashes and ids, plus the texts of B and R.
 */
#ifndef PMP_WIKIPEDIA_H
#define PMP_WIKIPEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"
#include "pmp_extract.h"
#include "pmp_group.h"

/* One identity revert, reported before any filtering by comment. Strings are
 * valid only during the callback. */
typedef struct pmp_wiki_revert {
    const char *page_id, *title;
    int ns;
    const char *revert_rev, *good_rev, *bad_rev;
    const char *comment;     /* "" when absent */
    int comment_matches;     /* the comment pattern matched */
} pmp_wiki_revert;

typedef struct pmp_wiki_options {
    int radius;                  /* revisions looked back (default 15) */
    const char *comment_pattern; /* NULL: pmp_wiki_default_comment_pattern */
    int any_revert;              /* keep reverts whatever their comment */
    int keep_self_reverts;       /* keep reverts whose user also wrote B */
    size_t context_chars;        /* code points of page text around a change (default 2000) */
    size_t max_change_chars;     /* larger regions are skipped (default 2000 code points) */
    int keep_blanking;           /* keep regions where one side is empty */
    int latest_text;             /* instead of reverts: each used page's last revision, as
                                  * plain text, one "group" with no responses (--text) */
    int list_reverts;            /* pmp_wiki_extract: instead of groups, every identity
                                  * revert as a line page_id TAB R TAB G TAB B TAB
                                  * comment_matched(0/1) (--list-reverts) */
    int all_ns;                  /* every namespace; else the list below */
    int ns[64];
    size_t n_ns;                 /* default: {0} */
    /* Called for every identity revert found (optional; pmp_wiki_extract uses it
     * for list_reverts). */
    void (*on_revert)(void *ud, const pmp_wiki_revert *r);
    void *ud;
} pmp_wiki_options;

void pmp_wiki_options_init(pmp_wiki_options *o);

typedef struct pmp_wiki_stats {
    uint64_t xml_bytes;          /* decompressed XML read */
    uint64_t pages, pages_used;  /* pages used: in a chosen namespace, not redirects */
    uint64_t redirects;          /* pages skipped as redirects */
    uint64_t revisions;          /* revisions of used pages */
    uint64_t reverts;            /* identity reverts */
    uint64_t self_reverts;       /* ... whose comment matched, by B's own user (dropped) */
    uint64_t reverts_kept;       /* ... whose comment matched (or all with any_revert),
                                  * self-reverts excluded unless keep_self_reverts */
    uint64_t reverts_no_change;  /* kept reverts whose texts are equal after cleaning */
    uint64_t regions;            /* changed regions found in kept reverts */
    uint64_t regions_same;       /* ... identical after whitespace normalisation */
    uint64_t regions_too_large;  /* ... over max_change_chars */
    uint64_t blanking;           /* ... with one side empty */
    uint64_t groups;             /* groups written (--text: documents) */
} pmp_wiki_stats;

/* The source interface (pmp_extract.h): reads the exports in order ("-" = stdin;
 * compression detected) and pushes their groups (or, with latest_text, the pages'
 * texts; with list_reverts, the revert lines) to sink. Errors name the file, line
 * and offset. */
int pmp_wiki_extract(const pmp_wiki_options *o, const char *const *paths, size_t n_paths,
                     const pmp_extract_sink *sink, pmp_wiki_stats *st, pmp_err *err);

/* ---- building blocks (exposed for tests and benchmarks) ---- */

/* The stream pmp_wiki_extract drives, one input: groups pulled one at a time.
 * path "-" is stdin; compression is detected (pmp_input). */
typedef struct pmp_wiki pmp_wiki;

int pmp_wiki_open(pmp_wiki **out, const char *path, const pmp_wiki_options *o, pmp_err *err);
/* 1: g holds the next group; 0: end; -1: error (file, line and offset in err). */
int pmp_wiki_next(pmp_wiki *w, pmp_group *g, pmp_err *err);
const pmp_wiki_stats *pmp_wiki_get_stats(const pmp_wiki *w);
void pmp_wiki_close(pmp_wiki *w);

/* Streaming export parser: libxml2 SAX2 push parser without network, DTD
 * loading or entity substitution. */
typedef struct pmp_wiki_page {
    const char *title, *id;
    int ns;                  /* from <ns>, or from the title prefix in old schemas */
    int redirect;            /* a <redirect> element was seen */
} pmp_wiki_page;

typedef struct pmp_wiki_rev {
    const char *id, *timestamp, *user, *comment;
    const char *sha1;        /* "" when absent */
    pmp_buf *text;           /* the callback may swap its contents out */
    int text_deleted;        /* <text deleted="deleted"/>: the text is unknown */
} pmp_wiki_rev;

typedef struct pmp_wiki_xml_cb {
    /* Called at the first <revision> of a page (title, ns, id are known then).
     * Return 0 to skip the page's revisions (texts are then not collected). */
    int (*page)(void *ud, const pmp_wiki_page *p);
    void (*revision)(void *ud, const pmp_wiki_page *p, const pmp_wiki_rev *r);
    void (*page_end)(void *ud, const pmp_wiki_page *p);
    void *ud;
} pmp_wiki_xml_cb;

typedef struct pmp_wiki_xml pmp_wiki_xml;

/* name: used in error messages. In schemas without <ns> (before 0.6) the
 * namespace comes from the title prefix and the <siteinfo> namespace names. */
pmp_wiki_xml *pmp_wiki_xml_new(const char *name, const pmp_wiki_xml_cb *cb);
/* Feeds a chunk (last=1 for the final call, len may be 0). Errors name the
 * file, line, column and XML byte offset. */
int pmp_wiki_xml_feed(pmp_wiki_xml *x, const char *chunk, size_t len, int last, pmp_err *err);
void pmp_wiki_xml_free(pmp_wiki_xml *x);

/* Changed regions between two plain texts: paragraphs are diffed first (LCS
 * over paragraph hashes), then sentences inside each changed run of
 * paragraphs. A region is a byte span in each text; a pure insertion or
 * deletion is widened by one unchanged neighbouring sentence so that both
 * sides have text. blank = 1 when one side is still empty (nothing unchanged
 * to anchor it: the page was blanked or written from scratch). */
typedef struct pmp_wiki_region {
    size_t g_start, g_end;   /* in good */
    size_t b_start, b_end;   /* in bad */
    int blank;
} pmp_wiki_region;

/* Returns the number of regions; *out is malloc'd (free it). */
size_t pmp_wiki_diff(const char *good, size_t glen, const char *bad, size_t blen,
                     pmp_wiki_region **out);

#endif

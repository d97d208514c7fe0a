/* pmp_group.h — comparison groups, the contract between pipeline stages
 * (docs/records.md): one JSON object per line,
 *   {"source":..., "id":..., "split_key":..., "context":..., "responses":[{"id":...,
 *    "text":..., "score":..., "created_utc":...}, ...], "meta":{...}}
 * with at least two responses, finite scores and valid UTF-8 everywhere.
 * Higher score is better; pairing is decided later (pmp-tokenize), never here.
 */
#ifndef PMP_GROUP_H
#define PMP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

typedef struct pmp_response {
    char *id;              /* optional: NULL when absent */
    char *text;            /* may contain NUL bytes: use text_len */
    size_t text_len;
    double score;
    double created_utc;    /* seconds since the epoch; NAN when absent */
} pmp_response;

typedef struct pmp_group {
    char *source;
    char *id;
    /* optional, NULL when absent: groups with the same key share text (one Reddit
     * submission, one Wikipedia page, ...) and must land on the same side of a
     * train/eval split (docs/records.md, "Split keys") */
    char *split_key;
    char *context;
    size_t context_len;
    pmp_response *responses;
    size_t n_responses;
    size_t cap_responses;
    char *meta_json;       /* the "meta" object as compact JSON text, or NULL */
} pmp_group;

void pmp_group_init(pmp_group *g);
/* Frees the contents and re-initialises, so a pmp_group can be reused. */
void pmp_group_clear(pmp_group *g);

/* Setters copy their arguments. */
void pmp_group_set(pmp_group *g, const char *source, const char *id,
                   const char *context, size_t context_len);
pmp_response *pmp_group_add_response(pmp_group *g, const char *id,
                                     const char *text, size_t text_len, double score);
/* Copies key (NULL: no key). */
void pmp_group_set_split_key(pmp_group *g, const char *key, size_t len);
/* The key to split g by: its split_key, else its id (groups written before keys). */
const char *pmp_group_split_key(const pmp_group *g);
/* Takes ownership of meta_json (malloc'd compact JSON object text). */
void pmp_group_set_meta(pmp_group *g, char *meta_json);

/* Checks the record rules: non-empty source and id, at least 2 responses, finite
 * scores, valid UTF-8 in every string, a split_key non-empty when present. Returns 0 or -1 with the reason in err. */
int pmp_group_validate(const pmp_group *g, pmp_err *err);

/* Appends the group as one JSON line (with the final '\n'). */
void pmp_group_to_json(pmp_buf *out, const pmp_group *g);

/* Parses one JSON line into g (cleared first) and validates it. Strict JSON as
 * json-c reads it (the reference; docs/records.md, "Reading"): invalid lines fail
 * with json-c's reasons. */
int pmp_group_parse(pmp_group *g, const char *line, size_t len, pmp_err *err);

/* The same two readings with their buffers kept from line to line, for readers of
 * many lines; one parser per thread (a parser is not shared). */
typedef struct pmp_group_parser pmp_group_parser;
pmp_group_parser *pmp_group_parser_new(void);
void pmp_group_parser_free(pmp_group_parser *p);
/* pmp_group_parse (allow_doc 0), or also a text document {"source", "id", "text"}
 * (allow_doc 1: what `pmp-extract wikipedia --text` and `pmp-shard cat` of a text
 * directory write; g then has the text as its context and no responses). */
int pmp_group_parser_parse(pmp_group_parser *p, pmp_group *g, const char *line, size_t len,
                           int allow_doc, pmp_err *err);

/* "meta" objects are written with pmp_jobj (pmp_common.h). */

/* ---- writing a group JSONL stream ---- */
/* The key of the one line a failed extractor ends its output with,
 * {"pmp_error": "message"}: not a group; readers refuse an input that has one. */
#define PMP_ERROR_RECORD_KEY "pmp_error"
/* Writes {"pmp_error": msg} and a newline to fd, best effort (fd itself may be what
 * failed): how a stage that fails after writing groups marks its output. */
void pmp_group_mark_failed(int fd, const char *msg);

typedef struct pmp_group_writer pmp_group_writer;

/* path "-" is stdout. Lines are buffered and written whole; every write error
 * (a full disk, a closed pipe) is reported, never dropped. */
int pmp_group_writer_open(pmp_group_writer **out, const char *path, pmp_err *err);
/* Validates the group, then appends it. A group that fails validation is an
 * error (nothing is written for it). */
int pmp_group_writer_write(pmp_group_writer *w, const pmp_group *g, pmp_err *err);
/* A text document (what `pmp-shard cat` prints for a pmp-tokenize --text directory):
 * {"source": ..., "id": ..., "split_key": ..., "text": ...}, one line, split_key only
 * when not NULL; the strings must be UTF-8. */
int pmp_group_writer_write_text(pmp_group_writer *w, const char *source, size_t source_len,
                                const char *id, size_t id_len, const char *split_key,
                                size_t split_key_len, const char *text, size_t text_len,
                                pmp_err *err);
/* A line that is not a group (pmp-extract wikipedia --list-reverts' TSV), through the
 * same buffer and error reporting; not counted. */
int pmp_group_writer_write_line(pmp_group_writer *w, const char *line, size_t len, pmp_err *err);
uint64_t pmp_group_writer_count(const pmp_group_writer *w);
/* Flushes and closes; returns -1 if anything could not be written. Always frees. */
int pmp_group_writer_close(pmp_group_writer *w, pmp_err *err);

/* ---- reading a group JSONL stream ---- */
typedef struct pmp_group_reader pmp_group_reader;

/* path "-" is stdin; any compression pmp_input understands. With skip_bad,
 * invalid lines are counted and skipped instead of failing. */
int pmp_group_reader_open(pmp_group_reader **out, const char *path, int skip_bad,
                          pmp_err *err);
/* 1 = got a group, 0 = end, -1 = error ("file:line: reason"). Blank lines are
 * ignored. */
int pmp_group_reader_next(pmp_group_reader *r, pmp_group *g, pmp_err *err);
uint64_t pmp_group_reader_skipped(const pmp_group_reader *r);
/* The last skip reason (for a warning), or "" */
const char *pmp_group_reader_last_skip(const pmp_group_reader *r);
uint64_t pmp_group_reader_line(const pmp_group_reader *r);
void pmp_group_reader_close(pmp_group_reader *r);

#endif

/* reddit.c — the whole extraction: dump lines -> items keyed by thread through
 * the external group-by -> one thread at a time -> groups. */
#include "pmp_reddit.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pmp_groupby.h"
#include "pmp_input.h"

typedef struct run {
    const pmp_reddit_options *o;
    pmp_reddit_stats *st;
    pmp_groupby *gb;
    pmp_reddit_parser *parser;
    pmp_buf rec;
    const pmp_extract_sink *sink;
    uint64_t base_bytes;   /* decoded bytes of the files already read */
} run;

static int wanted_subreddit(const pmp_reddit_options *o, const pmp_reddit_item *it)
{
    if (!o->subreddits) return 1;
    for (size_t i = 0; i < o->n_subreddits; i++) {
        const char *s = o->subreddits[i];
        if (strlen(s) == it->subreddit_len && !strncasecmp(s, it->subreddit, it->subreddit_len))
            return 1;
    }
    return 0;
}

/* Reads one dump file into the group-by: submissions (kind 1), comments (0), or
 * whichever the first line that says (-1), the other lines agreeing with it. */
static int add_file(run *r, const char *path, int kind, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err)) return -1;
    const char *line;
    size_t len;
    int rc;
    pmp_reddit_item it;
    pmp_err perr;
    int is_submission = kind;
    uint64_t kind_line = 0;   /* the line that decided a detected file's kind */
    while ((rc = pmp_input_line(in, &line, &len, err)) == 1) {
        r->st->lines++;
        if ((r->st->lines & 0xFFFF) == 0)
            pmp_extract_progress(r->sink, r->base_bytes + pmp_input_decoded(in), r->st->lines,
                                 "lines");
        if (len == 0 || (len == 1 && line[0] == '\r')) continue;   /* blank line */
        int pr = pmp_reddit_parse(r->parser, line, len, kind, &it, &perr);
        if (pr < 0) {
            if (r->o->skip_bad) {
                r->st->bad_lines++;
                continue;
            }
            pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: invalid JSON line: %s", pmp_input_name(in),
                        (unsigned long long)pmp_input_line_number(in), perr.msg);
            rc = -1;
            break;
        }
        if (pr == 0 && (it.flags & PMP_RI_NO_KIND)) {
            pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s; pass the file with --submissions or --comments "
                        "to say which", pmp_input_name(in),
                        (unsigned long long)pmp_input_line_number(in), perr.msg);
            rc = -1;
            break;
        }
        if (kind < 0 && pr == 1) {
            int sub = (it.flags & PMP_RI_SUBMISSION) != 0;
            if (!kind_line) {
                is_submission = sub;
                kind_line = pmp_input_line_number(in);
            } else if (sub != is_submission) {
                pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: a %s in a file of %s (line %llu); a file holds "
                            "one kind: split it, or force one with --submissions/--comments",
                            pmp_input_name(in), (unsigned long long)pmp_input_line_number(in),
                            sub ? "submission" : "comment", sub ? "comments" : "submissions",
                            (unsigned long long)kind_line);
                rc = -1;
                break;
            }
        }
        if (pr == 0) {
            r->st->missing_fields++;
            continue;
        }
        if (it.repaired) r->st->repaired++;
        if (!wanted_subreddit(r->o, &it)) {
            r->st->other_subreddit++;
            continue;
        }
        if (it.flags & PMP_RI_SUBMISSION) r->st->submissions++;
        else r->st->comments++;
        unsigned char key[8];
        pmp_groupby_key_u64(key, it.link);
        pmp_buf_clear(&r->rec);
        pmp_reddit_item_encode(&r->rec, &it);
        if (pmp_groupby_add(r->gb, key, sizeof key, r->rec.data, r->rec.len, err)) {
            rc = -1;
            break;
        }
    }
    r->base_bytes += pmp_input_decoded(in);
    pmp_input_close(in);
    return rc < 0 ? -1 : 0;
}

static int emit(void *ctx, const pmp_group *g, pmp_err *err)
{
    const pmp_extract_sink *sink = ctx;
    return pmp_group_writer_write(sink->writer, g, err);
}

int pmp_reddit_extract(const pmp_reddit_options *o, const char *const *paths, size_t n_paths,
                       const pmp_extract_sink *sink, pmp_reddit_stats *stats, pmp_err *err)
{
    void *ctx = (void *)sink;
    run r;
    memset(&r, 0, sizeof r);
    memset(stats, 0, sizeof *stats);
    r.o = o;
    r.st = stats;
    r.sink = sink;
    if (pmp_groupby_open(&r.gb, o->mem, o->tmpdir, err)) return -1;
    if (pmp_groupby_compress_runs(r.gb, o->tmp_compress, err)) {
        pmp_groupby_close(r.gb);
        return -1;
    }
    r.parser = pmp_reddit_parser_new();
    pmp_reddit_thread *t = pmp_reddit_thread_new(o);
    int rc = -1;
    /* Submissions first: within a thread the group-by keeps insertion order, and
     * the first copy of a duplicated id is the one kept. */
    for (size_t i = 0; i < o->n_submissions; i++)
        if (add_file(&r, o->submissions[i], 1, err)) goto done;
    for (size_t i = 0; i < n_paths; i++)
        if (add_file(&r, paths[i], -1, err)) goto done;
    for (size_t i = 0; i < o->n_comments; i++)
        if (add_file(&r, o->comments[i], 0, err)) goto done;
    if (pmp_groupby_finish(r.gb, err)) goto done;
    const void *key, *val;
    size_t klen, vlen;
    unsigned char cur[8];
    int have = 0, nr;
    while ((nr = pmp_groupby_next(r.gb, &key, &klen, &val, &vlen, err)) == 1) {
        if (klen != 8) {
            pmp_err_setc(err, PMP_E_INTERNAL, "reddit: unexpected group-by key length %zu", klen);
            goto done;
        }
        if (have && memcmp(cur, key, 8) != 0) {
            if (pmp_reddit_thread_flush(t, emit, ctx, stats, err)) goto done;
        }
        memcpy(cur, key, 8);
        have = 1;
        pmp_reddit_thread_add(t, val, vlen);
    }
    if (nr < 0) goto done;
    if (have && pmp_reddit_thread_flush(t, emit, ctx, stats, err)) goto done;
    rc = 0;
done:
    stats->in_bytes = r.base_bytes;
    stats->spill_runs = pmp_groupby_runs(r.gb);
    stats->spill_bytes = pmp_groupby_spill_bytes(r.gb);
    stats->spill_peak_bytes = pmp_groupby_spill_peak(r.gb);
    pmp_reddit_thread_free(t);
    pmp_reddit_parser_free(r.parser);
    pmp_buf_free(&r.rec);
    pmp_groupby_close(r.gb);
    return rc;
}

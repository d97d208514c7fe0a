/* extract.c — the one pmp-extract driver: flags, inputs, writer, progress, stats and
 * errors for every pmp_source (pmp_extract.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmp_extract.h"

/* extract_sources.c, generated from sources.list: {&pmp_source_NAME, ..., NULL} */
extern const pmp_source *const pmp_extract_table[];

const pmp_source *const *pmp_extract_sources(size_t *n)
{
    for (*n = 0; pmp_extract_table[*n];) ++*n;
    return pmp_extract_table;
}

const pmp_source *pmp_extract_find(const char *name)
{
    for (size_t i = 0; pmp_extract_table[i]; i++)
        if (!strcmp(pmp_extract_table[i]->name, name)) return pmp_extract_table[i];
    return NULL;
}

static pmp_extract_stat *report_slot(pmp_extract_report *r, const char *key)
{
    if (r->n == PMP_EXTRACT_MAX_STATS) return NULL;   /* a source with too many: dropped */
    pmp_extract_stat *s = &r->stat[r->n++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->num = 0;
    s->str = NULL;
    return s;
}

void pmp_extract_report_num(pmp_extract_report *r, const char *key, double v)
{
    pmp_extract_stat *s = report_slot(r, key);
    if (s) s->num = v;
}

void pmp_extract_report_str(pmp_extract_report *r, const char *key, const char *v)
{
    pmp_extract_stat *s = report_slot(r, key);
    if (s) s->str = v;
}

void pmp_extract_progress(const pmp_extract_sink *sink, uint64_t in_bytes, uint64_t items,
                          const char *unit)
{
    if (sink->progress) sink->progress(sink->ctx, in_bytes, items, unit);
}

static void on_progress(void *ctx, uint64_t in_bytes, uint64_t items, const char *unit)
{
    pmp_cli_progress(ctx, in_bytes, items, unit);
}

/* The common long options followed by the source's own. */
static struct option *merge_options(const struct option *own)
{
    static const struct option common[] = {PMP_CLI_LONGOPTS};
    size_t nc = sizeof common / sizeof common[0], no = 0;
    while (own && own[no].name) no++;
    struct option *all = pmp_xmalloc((nc + no + 1) * sizeof *all);
    memcpy(all, common, sizeof common);
    if (no) memcpy(all + nc, own, no * sizeof *own);
    memset(&all[nc + no], 0, sizeof all[0]);
    return all;
}

void pmp_extract_add_counts(void *total, const void *part, size_t size)
{
    uint64_t *t = total;
    const uint64_t *p = part;
    for (size_t i = 0; i < size / sizeof *t; i++) t[i] += p[i];
}

static int default_inputs(int n, char *const *args, const char *const **paths, size_t *n_paths)
{
    static const char *const stdin_only[] = {"-"};
    *paths = n ? (const char *const *)args : stdin_only;
    *n_paths = n ? (size_t)n : 1;
    return 0;
}

/* A failed extraction ends its output with one line that is not a group,
 * {"pmp_error": "..."} (docs/records.md): groups written before a corrupt stream
 * was noticed can be wrong, and in `pmp-extract ... | pmp-tokenize` without
 * pipefail nothing else tells the next stage. pmp-tokenize refuses such an input. */
static void mark_failed_output(const pmp_err *err)
{
    pmp_group_mark_failed(STDOUT_FILENO, err->msg);
}

int pmp_extract_main(const pmp_source *src, int argc, char **argv)
{
    char prog[64];
    snprintf(prog, sizeof prog, "pmp-extract %s", src->name);
    pmp_cli cli;
    pmp_cli_init(&cli, prog, src->usage);
    struct option *longopts = merge_options(src->options);
    void *state = pmp_xmalloc(src->state_size);
    memset(state, 0, src->state_size);
    src->init(state);

    pmp_err err = {0};
    int rc = PMP_EXIT_OK, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, PMP_CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int c_exit, r = pmp_cli_option(&cli, c, &c_exit);
        if (r == PMP_CLI_EXIT) { rc = c_exit; goto out; }
        if (r == PMP_CLI_HANDLED) continue;
        if (c < PMP_OPT_FIRST_FREE) {
            rc = pmp_cli_usage_error(&cli, "unexpected option");
            goto out;
        }
        if (src->set(state, c, optarg, &err) < 0) {
            rc = pmp_cli_fail_err(&cli, &err);
            goto out;
        }
    }
    const char *const *paths = NULL;
    size_t n_paths = 0, n_stdin = 0;
    int n_args = argc - optind;
    if ((src->inputs ? src->inputs(state, n_args, argv + optind, &paths, &n_paths, &err)
                     : default_inputs(n_args, argv + optind, &paths, &n_paths)) < 0) {
        rc = pmp_cli_usage_error(&cli, "%s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < n_paths; i++) n_stdin += strcmp(paths[i], "-") == 0;
    if (n_stdin > 1) {
        rc = pmp_cli_usage_error(&cli, "only one of the inputs can be standard input");
        goto out;
    }
    pmp_buf label = PMP_BUF_INIT;   /* the summary's "input" */
    for (size_t i = 0; i < n_paths; i++) pmp_buf_printf(&label, "%s%s", i ? " + " : "", paths[i]);

    pmp_group_writer *w;
    if (pmp_group_writer_open(&w, "-", &err) < 0) {
        rc = pmp_cli_fail_err(&cli, &err);
        pmp_buf_free(&label);
        goto out;
    }
    pmp_extract_sink sink = {w, on_progress, &cli};
    int run_rc = src->run(state, paths, n_paths, &sink, &err);
    pmp_err werr = {0};
    /* Close even after a failure: the groups already written stay whole lines. */
    int wrc = pmp_group_writer_close(w, &werr);
    pmp_cli_progress_done(&cli);

    if (run_rc < 0 && err.code == PMP_E_USAGE) {
        /* a bad --comment-pattern is only found when the source compiles it: it
         * ends like any usage error, without a summary */
        rc = pmp_cli_fail_err(&cli, &err);
        pmp_buf_free(&label);
        goto out;
    }
    if (run_rc < 0) {
        rc = pmp_cli_fail_err(&cli, &err);
        mark_failed_output(&err);
    }
    else if (wrc < 0) rc = pmp_cli_fail_err(&cli, &werr);
    /* The summary's keys point into rep, so it lives until pmp_cli_finish. */
    pmp_extract_report *rep = pmp_xmalloc(sizeof *rep);
    memset(rep, 0, sizeof *rep);
    src->report(state, label.data, pmp_now() - cli.t_start, rep);
    if (rep->warning[0]) pmp_cli_warn(&cli, "%s", rep->warning);
    for (size_t i = 0; i < rep->n; i++) {
        if (rep->stat[i].str) pmp_cli_stat_str(&cli, rep->stat[i].key, rep->stat[i].str);
        else pmp_cli_stat_num(&cli, rep->stat[i].key, rep->stat[i].num);
    }
    rc = pmp_cli_finish(&cli, rc);
    free(rep);
    pmp_buf_free(&label);
out:
    if (src->free) src->free(state);
    free(state);
    free(longopts);
    return rc;
}

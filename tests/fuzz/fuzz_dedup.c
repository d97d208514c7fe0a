/* libFuzzer target: the input parsers of pmp-dedup (pipeline/dedup/).
 *
 * The input is split at its first 0xFF byte (no 0xFF: all of it is both parts):
 * 1. the first part is an evaluation file (pmp_dedup_add_eval_mem: group JSONL,
 *    hh-rlhf rows or plain text, decided by its first line). Oracle: it succeeds or
 *    fails as bad input (PMP_E_INPUT), never anything else.
 * 2. the second part, behind an empty line (always read as plain text), is a group
 *    JSONL stream run through pmp_dedup_run against that evaluation set, strict and
 *    with skip_bad. Oracles: a strict run succeeds or fails as bad input; with
 *    skip_bad it fails only on a failed stage's record; every line written reads
 *    back as a valid group and their number is groups_out; every group read is kept
 *    or dropped by exactly one rule.
 * 3. normalisation: a valid UTF-8 part hashes the same with whitespace around it and,
 *    when it is ASCII, upper-cased; its folded text (NFC + case folding, done by
 *    segments with utf8proc only where the text is not ASCII) equals utf8proc_map's
 *    of the whole text. */
#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "fuzz_util.h"
#include "pmp_dedup.h"
#include "pmp_group.h"

static char in_path[320], out_path[320];

static void check_output(const pmp_dedup_stats *st)
{
    FILE *f = fopen(out_path, "rb");
    FUZZ_CHECK(f != NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t lines = 0;
    pmp_group g;
    pmp_group_init(&g);
    while ((n = getline(&line, &cap, f)) > 0) {
        pmp_err err;
        FUZZ_CHECK(line[n - 1] == '\n');
        FUZZ_CHECK(pmp_group_parse(&g, line, (size_t)n - 1, &err) == 0);
        lines++;
    }
    free(line);
    fclose(f);
    pmp_group_clear(&g);
    const pmp_dedup_counts *c = &st->total;
    FUZZ_CHECK(lines == c->groups_out);
    FUZZ_CHECK(c->groups_in == c->groups_out + c->groups_too_few + c->contaminated + c->exact_dups + c->near_dups);
}

static void run_groups(const char *eval, size_t eval_len, int skip_bad)
{
    pmp_dedup_opts o;
    pmp_dedup_opts_default(&o);
    o.threads = 1;
    o.skip_bad = skip_bad;
    o.batch_groups = 3;
    o.max_line_bytes = 1 << 16;
    pmp_dedup *d;
    pmp_err err;
    FUZZ_CHECK(pmp_dedup_new(&d, &o, &err) == 0);
    int erc = pmp_dedup_add_eval_mem(d, "fuzz-eval", eval, eval_len, &err);
    FUZZ_CHECK(erc == 0 || err.code == PMP_E_INPUT || strstr(err.msg, "--mem"));
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    const char *paths[1] = {in_path};
    int rc = pmp_dedup_run(d, paths, 1, fd, &err);
    close(fd);
    if (rc < 0) {
        FUZZ_CHECK(err.code == PMP_E_INPUT);
        FUZZ_CHECK(!skip_bad || strstr(err.msg, "the stage that wrote this input failed"));
    }
    pmp_dedup_stats st;
    pmp_dedup_get_stats(d, &st);
    check_output(&st);
    pmp_buf rep = PMP_BUF_INIT;
    pmp_dedup_report_json(d, &rep);
    FUZZ_CHECK(rep.len > 0);
    pmp_buf_free(&rep);
    pmp_dedup_free(d);
}

static void check_text(const char *s, size_t n)
{
    if (pmp_utf8_check(s, n) != n) return;
    pmp_dedup_text_scratch ts;
    memset(&ts, 0, sizeof ts);
    uint64_t h1[2], h2[2];
    pmp_dedup_u64vec w1 = {0}, w2 = {0};
    pmp_dedup_text_scan(&ts, s, n, h1, &w1);
    utf8proc_uint8_t *whole = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &whole,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    FUZZ_CHECK(m >= 0 && (size_t)m == ts.folded.len && memcmp(whole, ts.folded.data, (size_t)m) == 0);
    free(whole);
    char *t = malloc(n + 3);
    t[0] = ' ';
    memcpy(t + 1, s, n);
    t[n + 1] = '\n';
    t[n + 2] = '\t';
    int ascii = 1;
    for (size_t i = 0; i < n; i++) ascii &= (unsigned char)s[i] < 0x80;
    if (ascii)
        for (size_t i = 1; i <= n; i++) t[i] = (char)toupper((unsigned char)t[i]);
    pmp_dedup_text_scan(&ts, t, n + 3, h2, &w2);
    FUZZ_CHECK(h1[0] == h2[0] && h1[1] == h2[1]);
    FUZZ_CHECK(w1.n == w2.n && (w1.n == 0 || memcmp(w1.v, w2.v, w1.n * sizeof *w1.v) == 0));
    free(t);
    free(w1.v);
    free(w2.v);
    pmp_dedup_text_scratch_free(&ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!in_path[0]) {
        const char *dir = fuzz_dir("dedup");
        snprintf(in_path, sizeof in_path, "%s/in.jsonl", dir);
        snprintf(out_path, sizeof out_path, "%s/out.jsonl", dir);
    }
    const uint8_t *ff = memchr(data, 0xFF, size);
    size_t eval_len = ff ? (size_t)(ff - data) : size;
    const uint8_t *groups = ff ? ff + 1 : data;
    size_t groups_len = ff ? size - eval_len - 1 : size;
    char *eval = malloc(eval_len + 1);   /* exact-size heap copy: ASan sees overreads */
    if (eval_len) memcpy(eval, data, eval_len);
    char *buf = malloc(groups_len + 1);
    buf[0] = '\n';
    if (groups_len) memcpy(buf + 1, groups, groups_len);
    fuzz_write(in_path, buf, groups_len + 1);
    run_groups(eval, eval_len, 0);
    run_groups(eval, eval_len, 1);
    check_text(eval, eval_len);
    free(eval);
    free(buf);
    return 0;
}

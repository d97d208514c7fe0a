/* libFuzzer target: hh-rlhf JSONL (pmp_hh_extract and pmp_hh_group_from_pair, hh.c).
 *
 * 1. The input, behind one empty line (so that it is always read as plain text,
 *    not as a compressed stream), goes through pmp_hh_extract via a file in this
 *    process's scratch directory under /tmp (fuzz_dir, reused) with skip_bad,
 *    into a group file read back.
 *    Oracles: extraction succeeds; every line is counted once (a group, a skip
 *    or a bad line); every group written reads back as a valid "hh" group with
 *    a context ending in "\n\nAssistant:" and scores 1 then 0.
 * 2. The input split at its first 0xFF byte is a (chosen, rejected) pair for
 *    pmp_hh_group_from_pair. Oracle: a group's context + each response is that
 *    transcript again, and the group is valid when both halves are UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "pmp_hh.h"

static char in_path[320], out_path[320];

static void check_pair(const char *s, size_t n)
{
    const char *ff = memchr(s, 0xFF, n);
    size_t cl = ff ? (size_t)(ff - s) : n;
    const char *r = ff ? ff + 1 : s + n;
    size_t rl = ff ? n - cl - 1 : 0;
    pmp_group g;
    pmp_group_init(&g);
    if (pmp_hh_group_from_pair(&g, "hh/fuzz/1", s, cl, r, rl) == PMP_HH_OK) {
        if (g.n_responses != 2) abort();
        const char *t[2] = {s, r};
        size_t tl[2] = {cl, rl};
        for (int i = 0; i < 2; i++) {
            const pmp_response *x = &g.responses[i];
            if (g.context_len + x->text_len != tl[i] ||
                memcmp(t[i], g.context, g.context_len) != 0 ||
                memcmp(t[i] + g.context_len, x->text, x->text_len) != 0)
                abort();
        }
        if (g.responses[0].score != 1 || g.responses[1].score != 0) abort();
        pmp_err err;
        if (pmp_utf8_check(s, cl) == cl && pmp_utf8_check(r, rl) == rl &&
            pmp_group_validate(&g, &err) != 0)
            abort();
    }
    pmp_group_clear(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!in_path[0]) {
        const char *dir = fuzz_dir("hh");
        snprintf(in_path, sizeof in_path, "%s/in.jsonl", dir);
        snprintf(out_path, sizeof out_path, "%s/out.jsonl", dir);
    }
    /* "\n" + the input; the input alone is also an exact-size heap copy for
     * check_pair, so ASan sees any read past its end */
    char *buf = malloc(size + 1);
    buf[0] = '\n';
    if (size) memcpy(buf + 1, data, size);
    fuzz_write(in_path, buf, size + 1);

    pmp_err err;
    pmp_group_writer *w;
    if (pmp_group_writer_open(&w, out_path, &err) != 0) abort();
    pmp_hh_options opt;
    pmp_hh_options_init(&opt);
    opt.name = "fuzz";
    opt.skip_bad = 1;
    pmp_hh_stats st;
    const char *paths[] = {in_path};
    pmp_extract_sink sink = {w, NULL, NULL};
    int rc = pmp_hh_extract(&opt, paths, 1, &sink, &st, &err);
    if (pmp_group_writer_close(w, &err) != 0 || rc != 0) abort();
    uint64_t skipped = 0;
    for (int i = 0; i < PMP_HH_SKIP_REASONS; i++) skipped += st.skipped[i];
    if (st.groups + skipped + st.bad_lines > st.lines) abort();

    pmp_group_reader *rd;
    if (pmp_group_reader_open(&rd, out_path, 0, &err) != 0) abort();
    pmp_group g;
    pmp_group_init(&g);
    uint64_t n = 0;
    while ((rc = pmp_group_reader_next(rd, &g, &err)) == 1) {
        n++;
        static const char A[] = "\n\nAssistant:";
        if (strcmp(g.source, "hh") != 0 || g.n_responses != 2 ||
            g.context_len < sizeof A - 1 ||
            memcmp(g.context + g.context_len - (sizeof A - 1), A, sizeof A - 1) != 0 ||
            g.responses[0].score != 1 || g.responses[1].score != 0)
            abort();
    }
    if (rc != 0 || n != st.groups) abort();
    pmp_group_clear(&g);
    pmp_group_reader_close(rd);

    check_pair(buf + 1, size);
    free(buf);
    return 0;
}

/* libFuzzer target: StackExchange dumps (stackexchange_xml.c, stackexchange.c,
 * stackexchange_util.c, and through them html_text.c and groupby.c).
 *
 * The input, split at its first 0xFF byte (never in UTF-8 XML), is a Posts.xml
 * and, after the split, a Votes.xml; each goes to a file in this process's
 * scratch directory under /tmp (fuzz_dir, reused). Inputs that start like a
 * compressed stream are skipped: pmp_input would decompress them, and that is
 * not what this target is about.
 *  1. pmp_se_read_rows over the posts, with a callback that reads every row's
 *     attributes: pmp_se_row_text is never longer than the raw value; the tags
 *     JSON (pmp_se_tags_json) is an array of non-empty strings without <, >, |
 *     (checked with json-c); a row with a Stop attribute makes the callback fail,
 *     which must fail the read with the file named.
 *  2. pmp_se_extract (posts + votes, a tiny memory budget so that the group-by
 *     spills run files) into a group file read back: every group it wrote is a
 *     valid "stackexchange" group whose meta is a JSON object; on success the
 *     count read equals the groups counted.
 * For both: libxml2's external entity loader is replaced by one that aborts
 * (fuzz_xml.h), so any attempt to load a DTD or an external entity (XXE) is a
 * crash. */
#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "fuzz_xml.h"
#include "pmp_stackexchange.h"

static char posts_path[320], votes_path[320], out_path[320];

typedef struct row_ctx {
    pmp_buf scratch;
    uint64_t rows;
} row_ctx;

static void check_tags(const char *tags, size_t n)
{
    pmp_buf j = PMP_BUF_INIT;
    pmp_se_tags_json(&j, tags, n);
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, j.data, (int)j.len);
    FUZZ_CHECK(o && json_tokener_get_error(tok) == json_tokener_success &&
               (size_t)tok->char_offset == j.len && json_object_is_type(o, json_type_array));
    for (size_t i = 0; i < json_object_array_length(o); i++) {
        json_object *s = json_object_array_get_idx(o, i);
        FUZZ_CHECK(json_object_is_type(s, json_type_string));
        const char *t = json_object_get_string(s);
        size_t tl = (size_t)json_object_get_string_len(s);
        FUZZ_CHECK(tl > 0 && !memchr(t, '<', tl) && !memchr(t, '>', tl) && !memchr(t, '|', tl));
    }
    json_object_put(o);
    json_tokener_free(tok);
    pmp_buf_free(&j);
}

static int on_row(void *ud, const pmp_se_row *row, pmp_err *err)
{
    row_ctx *c = ud;
    c->rows++;
    static const char *const text_attrs[] = {"Body", "Title", "Tags"};
    for (int i = 0; i < 3; i++) {
        size_t raw, n;
        const char *r = pmp_se_row_attr(row, text_attrs[i], &raw);
        const char *t = pmp_se_row_text(row, text_attrs[i], &c->scratch, &n);
        FUZZ_CHECK((r == NULL) == (t == NULL));
        if (!t) continue;
        FUZZ_CHECK(n <= raw);
        FUZZ_CHECK(pmp_utf8_check(t, n) == n);
        if (i == 2) check_tags(t, n);
    }
    size_t n;
    const char *d = pmp_se_row_attr(row, "CreationDate", &n);
    double secs = pmp_se_parse_date(d, n);
    /* years 0000..9999 */
    FUZZ_CHECK(isnan(secs) || (secs >= -62167219200.0 && secs < 253402300800.0 + 86400.0 * 3));
    if (pmp_se_row_attr(row, "Stop", &n)) return pmp_err_set(err, "stop requested");
    return 0;
}

static void extract(int with_votes)
{
    pmp_err err;
    pmp_group_writer *w;
    FUZZ_CHECK(pmp_group_writer_open(&w, out_path, &err) == 0);
    pmp_se_options opt;
    pmp_se_options_init(&opt);
    opt.site = "fuzz.stackexchange.com";
    opt.votes_path = with_votes ? votes_path : NULL;
    opt.mem = 1024;
    opt.tmpdir = "/tmp";
    pmp_se_stats st;
    const char *paths[] = {posts_path};
    pmp_extract_sink sink = {w, NULL, NULL};
    int rc = pmp_se_extract(&opt, paths, 1, &sink, &st, &err);
    FUZZ_CHECK(rc == 0 || err.msg[0]);
    pmp_err werr;
    FUZZ_CHECK(pmp_group_writer_close(w, &werr) == 0);
    pmp_group_reader *rd;
    FUZZ_CHECK(pmp_group_reader_open(&rd, out_path, 0, &err) == 0);
    pmp_group g;
    pmp_group_init(&g);
    uint64_t n = 0;
    int r;
    while ((r = pmp_group_reader_next(rd, &g, &err)) == 1) {
        n++;
        FUZZ_CHECK(strcmp(g.source, "stackexchange") == 0 && g.n_responses >= 2 && g.meta_json);
        json_object *m = json_tokener_parse(g.meta_json);
        FUZZ_CHECK(m && json_object_is_type(m, json_type_object));
        json_object_put(m);
    }
    FUZZ_CHECK(r == 0);
    if (rc == 0) FUZZ_CHECK(n == st.groups);
    pmp_group_clear(&g);
    pmp_group_reader_close(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!posts_path[0]) {
        const char *dir = fuzz_dir("stackexchange_xml");
        snprintf(posts_path, sizeof posts_path, "%s/Posts.xml", dir);
        snprintf(votes_path, sizeof votes_path, "%s/Votes.xml", dir);
        snprintf(out_path, sizeof out_path, "%s/groups.jsonl", dir);
        fuzz_block_external_entities("fuzz_stackexchange_xml");
    }
    const uint8_t *ff = memchr(data, 0xFF, size);
    size_t plen = ff ? (size_t)(ff - data) : size;
    const uint8_t *votes = ff ? ff + 1 : NULL;
    size_t vlen = ff ? size - plen - 1 : 0;
    if (fuzz_is_compressed(data, plen) || (votes && fuzz_is_compressed(votes, vlen))) return 0;
    fuzz_write(posts_path, data, plen);
    if (votes) fuzz_write(votes_path, votes, vlen);

    row_ctx c = {PMP_BUF_INIT, 0};
    pmp_err err;
    if (pmp_se_read_rows(posts_path, on_row, &c, NULL, NULL, &err) != 0) {
        FUZZ_CHECK(err.msg[0]);
        if (strstr(err.msg, "stop requested")) FUZZ_CHECK(strstr(err.msg, posts_path));
    }
    pmp_buf_free(&c.scratch);
    extract(votes != NULL);
    return 0;
}

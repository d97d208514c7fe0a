/* libFuzzer target: StackExchange dumps (stackexchange_xml.c, stackexchange.c,
 * stackexchange_util.c, and through them html_text.c and groupby.c).
 *
 * The input, split at its first 0xFF byte (never in UTF-8 XML), is a Posts.xml
 * and, after the split, a Votes.xml; each goes to a temp file in /tmp (one set
 * per process, reused). Inputs that start like a compressed stream are skipped:
 * pmp_input would decompress them, and that is not what this target is about.
 *  1. pmp_se_read_rows over the posts, with a callback that reads every row's
 *     attributes: pmp_se_row_text is never longer than the raw value; the tags
 *     JSON (pmp_se_tags_json) is an array of non-empty strings without <, >, |
 *     (checked with json-c); a row with a Stop attribute makes the callback fail,
 *     which must fail the read with the file named.
 *  2. pmp_se_extract (posts + votes, a tiny memory budget so that the group-by
 *     spills run files) into a group file read back: every group it wrote is a
 *     valid "stackexchange" group whose meta is a JSON object; on success the
 *     count read equals the groups counted.
 * For both: libxml2's external entity loader is replaced by one that aborts, so
 * any attempt to load a DTD or an external entity (XXE) is a crash. */
#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stackexchange.h"

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_stackexchange_xml: check failed: %s\n", #c); \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* From <libxml/parser.h> (whose include path the fuzz targets do not have):
 * the loader's argument and result types are pointers. */
typedef void *(*ext_loader)(const char *url, const char *id, void *ctxt);
void xmlSetExternalEntityLoader(ext_loader f);

static void *no_external_entities(const char *url, const char *id, void *ctxt)
{
    (void)ctxt;
    fprintf(stderr, "fuzz_stackexchange_xml: libxml2 tried to load an external entity "
            "(url %s, id %s)\n", url ? url : "-", id ? id : "-");
    abort();
}

static char posts_path[80], votes_path[80], out_path[80];

static void cleanup(void)
{
    unlink(posts_path);
    unlink(votes_path);
    unlink(out_path);
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK((n == 0 || fwrite(p, 1, n, f) == n) && fclose(f) == 0);
}

static int compressed_magic(const uint8_t *b, size_t n)
{
    return (n >= 4 && ((b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) ||
                       ((b[0] & 0xF0) == 0x50 && b[1] == 0x2A && b[2] == 0x4D && b[3] == 0x18))) ||
           (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') ||
           (n >= 2 && b[0] == 0x1F && b[1] == 0x8B);
}

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
    CHECK(o && json_tokener_get_error(tok) == json_tokener_success &&
          (size_t)tok->char_offset == j.len && json_object_is_type(o, json_type_array));
    for (size_t i = 0; i < json_object_array_length(o); i++) {
        json_object *s = json_object_array_get_idx(o, i);
        CHECK(json_object_is_type(s, json_type_string));
        const char *t = json_object_get_string(s);
        size_t tl = (size_t)json_object_get_string_len(s);
        CHECK(tl > 0 && !memchr(t, '<', tl) && !memchr(t, '>', tl) && !memchr(t, '|', tl));
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
        CHECK((r == NULL) == (t == NULL));
        if (!t) continue;
        CHECK(n <= raw);
        CHECK(pmp_utf8_check(t, n) == n);
        if (i == 2) check_tags(t, n);
    }
    size_t n;
    const char *d = pmp_se_row_attr(row, "CreationDate", &n);
    double secs = pmp_se_parse_date(d, n);
    /* years 0000..9999 */
    CHECK(isnan(secs) || (secs >= -62167219200.0 && secs < 253402300800.0 + 86400.0 * 3));
    if (pmp_se_row_attr(row, "Stop", &n)) return pmp_err_set(err, "stop requested");
    return 0;
}

static void extract(int with_votes)
{
    pmp_err err;
    pmp_group_writer *w;
    CHECK(pmp_group_writer_open(&w, out_path, &err) == 0);
    pmp_se_options opt = {.site = "fuzz.stackexchange.com",
                          .votes_path = with_votes ? votes_path : NULL,
                          .mem = 1024, .tmpdir = "/tmp"};
    pmp_se_stats st;
    int rc = pmp_se_extract(posts_path, &opt, w, &st, &err);
    CHECK(rc == 0 || err.msg[0]);
    pmp_err werr;
    CHECK(pmp_group_writer_close(w, &werr) == 0);
    pmp_group_reader *rd;
    CHECK(pmp_group_reader_open(&rd, out_path, 0, &err) == 0);
    pmp_group g;
    pmp_group_init(&g);
    uint64_t n = 0;
    int r;
    while ((r = pmp_group_reader_next(rd, &g, &err)) == 1) {
        n++;
        CHECK(strcmp(g.source, "stackexchange") == 0 && g.n_responses >= 2 && g.meta_json);
        json_object *m = json_tokener_parse(g.meta_json);
        CHECK(m && json_object_is_type(m, json_type_object));
        json_object_put(m);
    }
    CHECK(r == 0);
    if (rc == 0) CHECK(n == st.groups);
    pmp_group_clear(&g);
    pmp_group_reader_close(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!posts_path[0]) {
        int pid = (int)getpid();
        snprintf(posts_path, sizeof posts_path, "/tmp/pmp_fuzz_se.%d.Posts.xml", pid);
        snprintf(votes_path, sizeof votes_path, "/tmp/pmp_fuzz_se.%d.Votes.xml", pid);
        snprintf(out_path, sizeof out_path, "/tmp/pmp_fuzz_se.%d.groups.jsonl", pid);
        atexit(cleanup);
        xmlSetExternalEntityLoader(no_external_entities);
    }
    const uint8_t *ff = memchr(data, 0xFF, size);
    size_t plen = ff ? (size_t)(ff - data) : size;
    const uint8_t *votes = ff ? ff + 1 : NULL;
    size_t vlen = ff ? size - plen - 1 : 0;
    if (compressed_magic(data, plen) || (votes && compressed_magic(votes, vlen))) return 0;
    write_file(posts_path, data, plen);
    if (votes) write_file(votes_path, votes, vlen);

    row_ctx c = {PMP_BUF_INIT, 0};
    pmp_err err;
    if (pmp_se_read_rows(posts_path, on_row, &c, NULL, NULL, &err) != 0) {
        CHECK(err.msg[0]);
        if (strstr(err.msg, "stop requested")) CHECK(strstr(err.msg, posts_path));
    }
    pmp_buf_free(&c.scratch);
    extract(votes != NULL);
    return 0;
}

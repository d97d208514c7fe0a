/* group.c — comparison-group records: build, validate, write and read
 * (pmp_group.h, docs/records.md). Parsing goes through json-c, measured ~8x
 * faster than jansson on the hh-rlhf file (bench/formats). */
#include "pmp_group.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_input.h"

void pmp_group_init(pmp_group *g)
{
    memset(g, 0, sizeof *g);
}

void pmp_group_clear(pmp_group *g)
{
    free(g->source);
    free(g->id);
    free(g->context);
    for (size_t i = 0; i < g->n_responses; i++) {
        free(g->responses[i].id);
        free(g->responses[i].text);
    }
    free(g->responses);
    free(g->meta_json);
    pmp_group_init(g);
}

void pmp_group_set(pmp_group *g, const char *source, const char *id, const char *context,
                   size_t context_len)
{
    free(g->source);
    free(g->id);
    free(g->context);
    g->source = pmp_xstrdup(source);
    g->id = pmp_xstrdup(id);
    g->context = pmp_xstrndup(context, context_len);
    g->context_len = context_len;
}

pmp_response *pmp_group_add_response(pmp_group *g, const char *id, const char *text,
                                     size_t text_len, double score)
{
    if (g->n_responses == g->cap_responses) {
        g->cap_responses = g->cap_responses ? g->cap_responses * 2 : 4;
        g->responses = pmp_xrealloc(g->responses, g->cap_responses * sizeof *g->responses);
    }
    pmp_response *r = &g->responses[g->n_responses++];
    r->id = id ? pmp_xstrdup(id) : NULL;
    r->text = pmp_xstrndup(text, text_len);
    r->text_len = text_len;
    r->score = score;
    r->created_utc = NAN;
    return r;
}

void pmp_group_set_meta(pmp_group *g, char *meta_json)
{
    free(g->meta_json);
    g->meta_json = meta_json;
}

static int check_utf8(const char *what, const char *s, size_t len, pmp_err *err)
{
    size_t bad = pmp_utf8_check(s, len);
    if (bad < len) return pmp_err_set(err, "invalid UTF-8 in %s at byte %zu", what, bad);
    return 0;
}

int pmp_group_validate(const pmp_group *g, pmp_err *err)
{
    if (!g->source || !*g->source) return pmp_err_set(err, "missing or empty \"source\"");
    if (!g->id || !*g->id) return pmp_err_set(err, "missing or empty \"id\"");
    if (!g->context) return pmp_err_set(err, "missing \"context\"");
    if (g->n_responses < 2)
        return pmp_err_set(err, "a group needs at least 2 responses, this one has %zu",
                           g->n_responses);
    if (check_utf8("\"source\"", g->source, strlen(g->source), err) < 0) return -1;
    if (check_utf8("\"id\"", g->id, strlen(g->id), err) < 0) return -1;
    if (check_utf8("\"context\"", g->context, g->context_len, err) < 0) return -1;
    for (size_t i = 0; i < g->n_responses; i++) {
        const pmp_response *r = &g->responses[i];
        char what[64];
        snprintf(what, sizeof what, "response %zu text", i + 1);
        if (check_utf8(what, r->text, r->text_len, err) < 0) return -1;
        if (r->id) {
            snprintf(what, sizeof what, "response %zu id", i + 1);
            if (check_utf8(what, r->id, strlen(r->id), err) < 0) return -1;
        }
        if (!isfinite(r->score))
            return pmp_err_set(err, "response %zu: score is not a finite number", i + 1);
    }
    return 0;
}

void pmp_group_to_json(pmp_buf *out, const pmp_group *g)
{
    pmp_buf_reserve(out, g->context_len + 64 * (g->n_responses + 2));
    pmp_jobj j;
    pmp_jobj_begin(&j, out);
    pmp_jobj_str(&j, "source", g->source);
    pmp_jobj_str(&j, "id", g->id);
    pmp_jobj_strn(&j, "context", g->context, g->context_len);
    pmp_jobj_array(&j, "responses");
    for (size_t i = 0; i < g->n_responses; i++) {
        const pmp_response *r = &g->responses[i];
        pmp_jobj_object(&j, NULL);
        if (r->id) pmp_jobj_str(&j, "id", r->id);
        pmp_jobj_strn(&j, "text", r->text, r->text_len);
        pmp_jobj_num(&j, "score", r->score);
        if (isfinite(r->created_utc)) pmp_jobj_num(&j, "created_utc", r->created_utc);
        pmp_jobj_close(&j);
    }
    pmp_jobj_close(&j);
    if (g->meta_json) pmp_jobj_raw(&j, "meta", g->meta_json);
    pmp_jobj_end(&j);
    pmp_buf_appendc(out, '\n');
}

/* ---------- parsing ---------- */

static int get_string(json_object *obj, const char *key, int required, char **out,
                      size_t *len, pmp_err *err)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required) return pmp_err_set(err, "missing field \"%s\"", key);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return pmp_err_set(err, "field \"%s\" must be a string", key);
    size_t n = (size_t)json_object_get_string_len(v);
    *out = pmp_xstrndup(json_object_get_string(v), n);
    if (len) *len = n;
    return 0;
}

static int is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int parse_response(pmp_group *g, json_object *r, size_t index, pmp_err *err)
{
    if (!json_object_is_type(r, json_type_object))
        return pmp_err_set(err, "response %zu is not an object", index + 1);
    json_object *v;
    if (!json_object_object_get_ex(r, "text", &v) || !json_object_is_type(v, json_type_string))
        return pmp_err_set(err, "response %zu: missing string field \"text\"", index + 1);
    const char *text = json_object_get_string(v);
    size_t text_len = (size_t)json_object_get_string_len(v);
    if (!json_object_object_get_ex(r, "score", &v) || !is_number(v))
        return pmp_err_set(err, "response %zu: missing numeric field \"score\"", index + 1);
    double score = json_object_get_double(v);
    char *id = NULL;
    if (get_string(r, "id", 0, &id, NULL, err) < 0)
        return pmp_err_prefix(err, "response %zu", index + 1);
    pmp_response *resp = pmp_group_add_response(g, id, text, text_len, score);
    free(id);
    if (json_object_object_get_ex(r, "created_utc", &v) && !json_object_is_type(v, json_type_null)) {
        if (!is_number(v))
            return pmp_err_set(err, "response %zu: \"created_utc\" must be a number", index + 1);
        resp->created_utc = json_object_get_double(v);
    }
    return 0;
}

static int parse_with(json_tokener *tok, pmp_group *g, const char *line, size_t len, int allow_doc,
                      pmp_err *err)
{
    pmp_group_clear(g);
    if (len > (size_t)INT32_MAX) return pmp_err_set(err, "line longer than 2 GiB");
    json_tokener_reset(tok);
    json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success) {
        if (obj) json_object_put(obj);
        if (jerr == json_tokener_continue) return pmp_err_set(err, "invalid JSON: truncated object");
        return pmp_err_set(err, "invalid JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
                           json_tokener_error_desc(jerr));
    }
    int rc = -1;
    if (json_tokener_get_parse_end(tok) < len) {
        size_t end = json_tokener_get_parse_end(tok);
        while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r')) end++;
        if (end < len) {
            pmp_err_set(err, "invalid JSON: extra text after the object at byte %zu", end);
            goto done;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        pmp_err_set(err, "a group must be a JSON object");
        goto done;
    }
    if (get_string(obj, "source", 1, &g->source, NULL, err) < 0) goto done;
    if (get_string(obj, "id", 1, &g->id, NULL, err) < 0) goto done;
    json_object *resp;
    if (allow_doc && !json_object_object_get_ex(obj, "responses", &resp) &&
        json_object_object_get_ex(obj, "text", &resp)) {
        /* a text document: its text is the context, and there are no responses */
        rc = get_string(obj, "text", 1, &g->context, &g->context_len, err);
        goto done;
    }
    if (get_string(obj, "context", 1, &g->context, &g->context_len, err) < 0) goto done;
    if (!json_object_object_get_ex(obj, "responses", &resp) ||
        !json_object_is_type(resp, json_type_array)) {
        pmp_err_set(err, "missing array field \"responses\"");
        goto done;
    }
    size_t n = json_object_array_length(resp);
    for (size_t i = 0; i < n; i++)
        if (parse_response(g, json_object_array_get_idx(resp, i), i, err) < 0) goto done;
    json_object *meta;
    if (json_object_object_get_ex(obj, "meta", &meta) && !json_object_is_type(meta, json_type_null)) {
        if (!json_object_is_type(meta, json_type_object)) {
            pmp_err_set(err, "field \"meta\" must be an object");
            goto done;
        }
        g->meta_json = pmp_xstrdup(json_object_to_json_string_ext(
            meta, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    rc = pmp_group_validate(g, err);
done:
    json_object_put(obj);
    return rc;
}

static json_tokener *new_tokener(void)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        fprintf(stderr, "pmp: out of memory creating a JSON tokener\n");
        abort();
    }
    /* Strict: no comments, single quotes, NaN or trailing commas; UTF-8 checked. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    return tok;
}

int pmp_group_parse(pmp_group *g, const char *line, size_t len, pmp_err *err)
{
    json_tokener *tok = new_tokener();
    int rc = parse_with(tok, g, line, len, 0, err);
    json_tokener_free(tok);
    return rc;
}

int pmp_group_parse_doc(pmp_group *g, const char *line, size_t len, pmp_err *err)
{
    json_tokener *tok = new_tokener();
    int rc = parse_with(tok, g, line, len, 1, err);
    json_tokener_free(tok);
    return rc;
}

/* ---------- reading a stream ---------- */

struct pmp_group_reader {
    pmp_input *in;
    json_tokener *tok;
    int skip_bad;
    uint64_t skipped;
    char last_skip[sizeof(((pmp_err *)0)->msg) + 512];
};

int pmp_group_reader_open(pmp_group_reader **out, const char *path, int skip_bad, pmp_err *err)
{
    *out = NULL;
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    pmp_group_reader *r = pmp_xcalloc(1, sizeof *r);
    r->in = in;
    r->tok = new_tokener();
    r->skip_bad = skip_bad;
    *out = r;
    return 0;
}

int pmp_group_reader_next(pmp_group_reader *r, pmp_group *g, pmp_err *err)
{
    for (;;) {
        const char *line;
        size_t len;
        int rc = pmp_input_line(r->in, &line, &len, err);
        if (rc <= 0) return rc;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        pmp_err perr;
        if (parse_with(r->tok, g, line, len, 0, &perr) == 0) return 1;
        if (!r->skip_bad)
            return pmp_err_set(err, "%s:%llu: %s", pmp_input_name(r->in),
                               (unsigned long long)pmp_input_line_number(r->in), perr.msg);
        r->skipped++;
        snprintf(r->last_skip, sizeof r->last_skip, "%s:%llu: %s", pmp_input_name(r->in),
                 (unsigned long long)pmp_input_line_number(r->in), perr.msg);
    }
}

uint64_t pmp_group_reader_skipped(const pmp_group_reader *r) { return r->skipped; }
const char *pmp_group_reader_last_skip(const pmp_group_reader *r) { return r->last_skip; }
uint64_t pmp_group_reader_line(const pmp_group_reader *r) { return pmp_input_line_number(r->in); }
uint64_t pmp_group_reader_offset(const pmp_group_reader *r) { return pmp_input_offset(r->in); }

void pmp_group_reader_close(pmp_group_reader *r)
{
    if (!r) return;
    pmp_input_close(r->in);
    json_tokener_free(r->tok);
    free(r);
}

/* group.c — comparison-group records: build, validate and write them as JSON
 * (pmp_group.h, docs/records.md). Reading them is group_parse.c. */
#include "pmp_group.h"

#include "group_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pmp_group_init(pmp_group *g)
{
    memset(g, 0, sizeof *g);
}

void pmp_group_clear(pmp_group *g)
{
    free(g->source);
    free(g->id);
    free(g->split_key);
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

void pmp_group_set_split_key(pmp_group *g, const char *key, size_t len)
{
    free(g->split_key);
    g->split_key = key ? pmp_xstrndup(key, len) : NULL;
}

const char *pmp_group_split_key(const pmp_group *g)
{
    return g->split_key ? g->split_key : g->id;
}

void pmp_group_set_meta(pmp_group *g, char *meta_json)
{
    free(g->meta_json);
    g->meta_json = meta_json;
}

static int check_utf8(const char *what, size_t index, const char *s, size_t len, pmp_err *err)
{
    size_t bad = pmp_utf8_check(s, len);
    if (bad >= len) return 0;
    if (index) return pmp_err_setc(err, PMP_E_INPUT, "invalid UTF-8 in response %zu %s at byte %zu", index, what, bad);
    return pmp_err_setc(err, PMP_E_INPUT, "invalid UTF-8 in %s at byte %zu", what, bad);
}

int pmp_group_validate_shape(const pmp_group *g, pmp_err *err)
{
    if (!g->source || !*g->source) return pmp_err_setc(err, PMP_E_INPUT, "missing or empty \"source\"");
    if (!g->id || !*g->id) return pmp_err_setc(err, PMP_E_INPUT, "missing or empty \"id\"");
    if (g->split_key && !*g->split_key) return pmp_err_setc(err, PMP_E_INPUT, "empty \"split_key\"");
    if (!g->context) return pmp_err_setc(err, PMP_E_INPUT, "missing \"context\"");
    if (g->n_responses < 2)
        return pmp_err_setc(err, PMP_E_INPUT, "a group needs at least 2 responses, this one has %zu",
                           g->n_responses);
    return 0;
}

int pmp_group_validate(const pmp_group *g, pmp_err *err)
{
    if (pmp_group_validate_shape(g, err) < 0) return -1;
    if (check_utf8("\"source\"", 0, g->source, strlen(g->source), err) < 0) return -1;
    if (check_utf8("\"id\"", 0, g->id, strlen(g->id), err) < 0) return -1;
    if (g->split_key && check_utf8("\"split_key\"", 0, g->split_key, strlen(g->split_key), err) < 0)
        return -1;
    if (check_utf8("\"context\"", 0, g->context, g->context_len, err) < 0) return -1;
    for (size_t i = 0; i < g->n_responses; i++) {
        const pmp_response *r = &g->responses[i];
        if (check_utf8("text", i + 1, r->text, r->text_len, err) < 0) return -1;
        if (r->id && check_utf8("id", i + 1, r->id, strlen(r->id), err) < 0) return -1;
        if (!isfinite(r->score))
            return pmp_err_setc(err, PMP_E_INPUT, "response %zu: score is not a finite number", i + 1);
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
    if (g->split_key) pmp_jobj_str(&j, "split_key", g->split_key);
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

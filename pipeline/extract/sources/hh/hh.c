/* hh.c — hh-rlhf pairs to comparison groups (pmp_hh.h). */
#include "pmp_hh.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "pmp_input.h"

static const char ASSISTANT[] = "\n\nAssistant:";
#define ASSISTANT_LEN (sizeof ASSISTANT - 1)

const char *pmp_hh_skip_name(pmp_hh_skip reason)
{
    switch (reason) {
    case PMP_HH_OK: return "ok";
    case PMP_HH_SKIP_IDENTICAL: return "identical";
    case PMP_HH_SKIP_NO_ASSISTANT: return "no_assistant_turn";
    case PMP_HH_SKIP_DIFFERENT_PREFIX: return "different_prefix";
    default: return "unknown";
    }
}

/* Length of the prefix up to and including the last "\n\nAssistant:", or 0. */
static size_t context_len(const char *s, size_t len)
{
    if (len < ASSISTANT_LEN) return 0;
    for (size_t i = len - ASSISTANT_LEN + 1; i-- > 0;)
        if (s[i] == '\n' && memcmp(s + i, ASSISTANT, ASSISTANT_LEN) == 0) return i + ASSISTANT_LEN;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void pmp_hh_split_key(const char *context, size_t len, char out[PMP_HH_SPLIT_KEY_SIZE])
{
    /* the first human turn: after the first "Human:", up to the first
     * "\n\nAssistant:" (the context ends with one) */
    const char *end = context + len, *s = context;
    for (const char *p = context; p + ASSISTANT_LEN <= end; p++)
        if (p[0] == '\n' && memcmp(p, ASSISTANT, ASSISTANT_LEN) == 0) {
            end = p;
            break;
        }
    for (const char *p = context; p + 6 <= end; p++)
        if (memcmp(p, "Human:", 6) == 0) {
            s = p + 6;
            break;
        }
    /* whitespace runs count as one space, none at either end: rows of the hh files
     * that differ only there (a trailing space, a doubled newline) are one opening */
    pmp_buf norm = PMP_BUF_INIT;
    int pending = 0;
    for (const char *p = s; p < end; p++) {
        if (is_space(*p)) {
            pending = norm.len > 0;
            continue;
        }
        if (pending) pmp_buf_appendc(&norm, ' ');
        pending = 0;
        pmp_buf_appendc(&norm, *p);
    }
    unsigned long long v = XXH64(norm.data ? norm.data : "", norm.len, 0);
    pmp_buf_free(&norm);
    snprintf(out, PMP_HH_SPLIT_KEY_SIZE, "hh/%016llx", v);
}

pmp_hh_skip pmp_hh_group_from_pair(pmp_group *g, const char *id, const char *chosen,
                                   size_t chosen_len, const char *rejected, size_t rejected_len)
{
    pmp_group_clear(g);
    if (chosen_len == rejected_len && memcmp(chosen, rejected, chosen_len) == 0)
        return PMP_HH_SKIP_IDENTICAL;
    size_t cc = context_len(chosen, chosen_len), rc = context_len(rejected, rejected_len);
    if (!cc || !rc) return PMP_HH_SKIP_NO_ASSISTANT;
    if (cc != rc || memcmp(chosen, rejected, cc) != 0) return PMP_HH_SKIP_DIFFERENT_PREFIX;
    pmp_group_set(g, "hh", id, chosen, cc);
    char key[PMP_HH_SPLIT_KEY_SIZE];
    pmp_hh_split_key(chosen, cc, key);
    pmp_group_set_split_key(g, key, strlen(key));
    pmp_group_add_response(g, "chosen", chosen + cc, chosen_len - cc, 1);
    pmp_group_add_response(g, "rejected", rejected + cc, rejected_len - cc, 0);
    return PMP_HH_OK;
}

static int get_text(json_object *obj, const char *key, const char **s, size_t *len, pmp_err *err)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return pmp_err_setc(err, PMP_E_INPUT, "missing string field \"%s\"", key);
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    /* json-c's UTF-8 validation lets overlong forms through (E0 80 9D); the group
     * writer does not, so refuse them here, as a bad line --skip-bad can skip */
    size_t ok = pmp_utf8_check(*s, *len);
    if (ok != *len) return pmp_err_setc(err, PMP_E_INPUT, "invalid UTF-8 in \"%s\" at byte %zu", key, ok);
    return 0;
}

/* Parses one line into the chosen/rejected strings (valid while obj lives). */
static int parse_line(json_tokener *tok, const char *line, size_t len, json_object **obj,
                      const char **ch, size_t *chl, const char **rj, size_t *rjl, pmp_err *err)
{
    json_tokener_reset(tok);
    *obj = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    if (!*obj || je != json_tokener_success)
        return pmp_err_setc(err, PMP_E_INPUT, "invalid JSON: %s", je == json_tokener_continue
                                                        ? "truncated object"
                                                        : json_tokener_error_desc(je));
    if (!json_object_is_type(*obj, json_type_object))
        return pmp_err_setc(err, PMP_E_INPUT, "expected a JSON object with \"chosen\" and \"rejected\"");
    if (get_text(*obj, "chosen", ch, chl, err) < 0) return -1;
    return get_text(*obj, "rejected", rj, rjl, err);
}

void pmp_hh_options_init(pmp_hh_options *o) { memset(o, 0, sizeof *o); }

/* One input; its stats in *stats. */
static int extract_one(const char *path, const pmp_hh_options *opt, const pmp_extract_sink *sink,
                       pmp_hh_stats *stats, pmp_err *err)
{
    memset(stats, 0, sizeof *stats);
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    const char *name = opt->name;
    if (!name) {
        const char *slash = strrchr(path, '/');
        name = !strcmp(path, "-") ? "stdin" : slash ? slash + 1 : path;
    }
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    pmp_group g;
    pmp_group_init(&g);
    pmp_buf id = PMP_BUF_INIT;
    int rc = 0;
    const char *line;
    size_t len;
    while ((rc = pmp_input_line(in, &line, &len, err)) == 1) {
        uint64_t lineno = pmp_input_line_number(in);
        stats->lines++;
        pmp_extract_progress(sink, pmp_input_offset(in), stats->lines, "lines");
        if (len == 0) continue;
        json_object *obj = NULL;
        const char *ch = NULL, *rj = NULL;
        size_t chl = 0, rjl = 0;
        pmp_err lerr;
        if (len > (size_t)INT32_MAX ||
            parse_line(tok, line, len, &obj, &ch, &chl, &rj, &rjl, &lerr) < 0) {
            if (obj) json_object_put(obj);
            if (len > (size_t)INT32_MAX) pmp_err_setc(&lerr, PMP_E_UNSUPPORTED, "line longer than 2 GiB");
            if (!opt->skip_bad) {
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: %s", pmp_input_name(in),
                                 (unsigned long long)lineno, lerr.msg);
                break;
            }
            stats->bad_lines++;
            continue;
        }
        pmp_buf_clear(&id);
        pmp_buf_printf(&id, "hh/%s/%llu", name, (unsigned long long)lineno);
        pmp_hh_skip why = pmp_hh_group_from_pair(&g, id.data, ch, chl, rj, rjl);
        json_object_put(obj);
        if (why != PMP_HH_OK) {
            stats->skipped[why]++;
            continue;
        }
        if (pmp_group_writer_write(sink->writer, &g, err) < 0) {
            rc = -1;
            break;
        }
        stats->groups++;
    }
    pmp_group_clear(&g);
    pmp_buf_free(&id);
    json_tokener_free(tok);
    pmp_input_close(in);
    return rc < 0 ? -1 : 0;
}

PMP_EXTRACT_COUNTS(pmp_hh_stats);

int pmp_hh_extract(const pmp_hh_options *o, const char *const *paths, size_t n_paths,
                   const pmp_extract_sink *sink, pmp_hh_stats *st, pmp_err *err)
{
    memset(st, 0, sizeof *st);
    int rc = 0;
    for (size_t i = 0; i < n_paths && rc == 0; i++) {
        pmp_hh_stats one;
        rc = extract_one(paths[i], o, sink, &one, err);
        pmp_extract_add_counts(st, &one, sizeof one);
    }
    return rc;
}

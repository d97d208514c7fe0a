/* bpe_testutil.h — helpers shared by the tokenizer tests. */
#ifndef BPE_TESTUTIL_H
#define BPE_TESTUTIL_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmp_bpe.h"
#include "pmp_input.h"

#define BPE_DATA PMP_SHARED_DATA "/bpe"

/* pmp_input lines are not NUL-terminated: parse with the length. */
static inline json_object *bpe_parse_line(const char *line, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    return o;
}

static inline int bpe_have_data(void)
{
    struct stat st;
    return stat(BPE_DATA "/cl100k_base.tiktoken", &st) == 0;
}

/* Appends a copy of the JSON string o to the growing arrays (*t, *lens). */
static inline void bpe_push_text(char ***t, size_t **lens, size_t *n, size_t *cap, json_object *o)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *t = realloc(*t, *cap * sizeof **t);
        *lens = realloc(*lens, *cap * sizeof **lens);
    }
    size_t l = (size_t)json_object_get_string_len(o);
    (*t)[*n] = malloc(l + 1);
    memcpy((*t)[*n], json_object_get_string(o), l + 1);
    (*lens)[*n] = l;
    (*n)++;
}

/* Texts from a file of one JSON string per line (count in *n). */
static inline char **bpe_read_jsonl_strings(const char *path, size_t **lens, size_t *n)
{
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, path, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    char **t = NULL;
    size_t cap = 0;
    *n = 0;
    *lens = NULL;
    const char *line;
    size_t len;
    while (pmp_input_line(in, &line, &len, &err) == 1) {
        if (!len) continue;
        json_object *o = bpe_parse_line(line, len);
        bpe_push_text(&t, lens, n, &cap, o);
        json_object_put(o);
    }
    pmp_input_close(in);
    return t;
}

/* The hh-rlhf chosen and rejected texts, in file order. */
static inline char **bpe_read_hh(size_t **lens, size_t *n)
{
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, PMP_SHARED_DATA "/hhh/hh-rlhf-harmless-base-test.jsonl.gz", &err) < 0)
        return NULL;
    char **t = NULL;
    size_t cap = 0;
    *n = 0;
    *lens = NULL;
    const char *line;
    size_t len;
    while (pmp_input_line(in, &line, &len, &err) == 1) {
        json_object *o = bpe_parse_line(line, len);
        if (!o) continue;
        const char *keys[2] = {"chosen", "rejected"};
        for (int k = 0; k < 2; k++) {
            json_object *v;
            json_object_object_get_ex(o, keys[k], &v);
            bpe_push_text(&t, lens, n, &cap, v);
        }
        json_object_put(o);
    }
    pmp_input_close(in);
    return t;
}

static inline void bpe_free_texts(char **t, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t);
    free(lens);
}

static inline uint64_t bpe_fnv64(const uint32_t *ids, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            h ^= (ids[i] >> (8 * k)) & 255;
            h *= 0x100000001b3ULL;
        }
    return h;
}

#endif

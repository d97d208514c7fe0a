/* load.c — reads the three vocabulary kinds into a pmp_bpe:
 *   *.tiktoken          base64(token bytes) SP rank, one per line, ranks increasing
 *   GPT-2 directory     encoder.json (spelling -> id) + vocab.bpe (merges in order)
 *   tokenizer.json      Hugging Face: model.vocab, model.merges, added_tokens,
 *                       pre_tokenizer (Split regex and/or ByteLevel)
 * Every error names the file and the line (or, for JSON, the byte offset or the
 * element) where it was found. */
#include "bpe_internal.h"
#include "pmp_input.h"

#include <json-c/json.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int read_all(const char *path, pmp_buf *out, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    for (;;) {
        pmp_buf_reserve(out, 1 << 16);
        ssize_t n = pmp_input_read(in, out->data + out->len, out->cap - out->len - 1, err);
        if (n < 0) {
            pmp_input_close(in);
            return -1;
        }
        if (n == 0) break;
        out->len += (size_t)n;
        out->data[out->len] = 0;
    }
    pmp_input_close(in);
    if (!out->data) pmp_buf_reserve(out, 1);
    return 0;
}

static json_object *parse_json(const char *path, pmp_err *err)
{
    pmp_buf text = PMP_BUF_INIT;
    if (read_all(path, &text, err) < 0) return NULL;
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *root = json_tokener_parse_ex(tok, text.data, (int)text.len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    if (!root || je != json_tokener_success) {
        size_t at = json_tokener_get_parse_end(tok), line = 1;
        for (size_t i = 0; i < at && i < text.len; i++) line += text.data[i] == '\n';
        if (je == json_tokener_continue) pmp_err_setc(err, PMP_E_INPUT, "%s:%zu: JSON ends early", path, line);
        else pmp_err_setc(err, PMP_E_INPUT, "%s:%zu: bad JSON (byte %zu): %s", path, line, at,
                         json_tokener_error_desc(je));
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    pmp_buf_free(&text);
    return root;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Encoding name from a known file name, or NULL. */
static const char *infer_encoding(const char *path)
{
    const char *b = base_name(path);
    if (strstr(b, "cl100k")) return "cl100k";
    if (strstr(b, "o200k")) return "o200k";
    if (strstr(b, "r50k") || strstr(b, "gpt2") || strstr(b, "gpt-2")) return "gpt2";
    return NULL;
}

static int add_known_specials(pmp_bpe *b, const char *enc, const char *path, pmp_err *err)
{
    const bpe_known_special *sp;
    size_t n = enc ? pmp_bpe_known_specials(enc, &sp) : 0;
    b->id_limit = 0;   /* these ids are the encoding's own constants, not the file's */
    for (size_t i = 0; i < n; i++) {
        if (pmp_bpe_special_id(b, sp[i].text) >= 0) continue;
        if (pmp_bpe_add_special(b, sp[i].id, sp[i].text, strlen(sp[i].text), err) < 0)
            return pmp_err_prefix(err, "%s", path);
    }
    return 0;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict base64 with padding. Returns the decoded length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4) return -1;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            v[k] = c == '=' && i + 4 == n && k >= 2 ? -2 : b64val(c);
            if (v[k] == -1) return -1;
        }
        if (v[2] == -2 && v[3] != -2) return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (v[2] != -2) out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] != -2) out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    return o;
}

static int load_tiktoken(pmp_bpe *b, const char *path, pmp_err *err)
{
    pmp_input *in;
    if (pmp_input_open(&in, path, err) < 0) return -1;
    const char *line;
    size_t len;
    int rc;
    int64_t last = -1;
    unsigned char *tok = NULL;
    size_t cap = 0;
    while ((rc = pmp_input_line(in, &line, &len, err)) == 1) {
        uint64_t ln = pmp_input_line_number(in);
        if (len && line[len - 1] == '\r') len--;
        if (len == 0) continue;
        const char *sp = memchr(line, ' ', len);
        if (!sp) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: expected \"base64 rank\"", path,
                             (unsigned long long)ln);
            break;
        }
        size_t blen = (size_t)(sp - line);
        if (blen / 4 * 3 + 3 > cap) {
            cap = blen / 4 * 3 + 3;
            tok = pmp_xrealloc(tok, cap);
        }
        long n = b64_decode(line, blen, tok);
        if (n <= 0) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: bad base64 token \"%.*s\"", path,
                             (unsigned long long)ln, (int)(blen > 60 ? 60 : blen), line);
            break;
        }
        const char *r = sp + 1, *end = line + len;
        uint64_t rank = 0;
        if (r == end) rank = UINT64_MAX;
        for (; r < end && rank <= UINT32_MAX; r++) {
            if (*r < '0' || *r > '9') { rank = UINT64_MAX; break; }
            rank = rank * 10 + (uint64_t)(*r - '0');
        }
        if (rank >= UINT32_MAX) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: bad rank \"%.*s\"", path, (unsigned long long)ln,
                             (int)(end - sp - 1), sp + 1);
            break;
        }
        if ((int64_t)rank <= last) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: rank %llu out of order (previous rank %lld)", path,
                             (unsigned long long)ln, (unsigned long long)rank, (long long)last);
            break;
        }
        last = (int64_t)rank;
        pmp_bpe_expect_tokens(b, (size_t)ln);   /* a rank file has one token a line */
        if (pmp_bpe_add_token(b, (uint32_t)rank, tok, (size_t)n, (uint32_t)rank, err) < 0) {
            rc = pmp_err_prefix(err, "%s:%llu", path, (unsigned long long)ln);
            break;
        }
    }
    free(tok);
    pmp_input_close(in);
    if (rc < 0) return -1;
    if (last < 0) return pmp_err_setc(err, PMP_E_INPUT, "%s: no tokens (empty rank file)", path);
    return 0;
}

/* Adds the single bytes, looking their ids up in a spelling -> id map. A byte
 * the map lacks is left out here; pmp_bpe_finish decides whether that is an error. */
static int add_bytes_from(pmp_bpe *b, json_object *vocab, const char *where, pmp_err *err)
{
    pmp_buf sp = PMP_BUF_INIT;
    int rc = 0;
    for (int c = 0; c < 256 && rc == 0; c++) {
        unsigned char byte = (unsigned char)c;
        pmp_buf_clear(&sp);
        pmp_bpe_bytes_to_unicode(&sp, &byte, 1);
        json_object *v;
        if (!json_object_object_get_ex(vocab, sp.data, &v)) continue;
        int64_t id = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || id < 0 || id >= UINT32_MAX)
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s: token \"%s\": id is not a valid integer", where, sp.data);
        else if (pmp_bpe_add_token(b, (uint32_t)id, &byte, 1, 0, err) < 0)
            rc = pmp_err_prefix(err, "%s", where);
    }
    pmp_buf_free(&sp);
    return rc;
}

/* One merge "A B" (spelled) of index k: the joined token gets rank 256 + k and
 * its id from vocab. A merge that joins a pair into a string an earlier merge
 * already made is legal (Hugging Face allows it) and changes nothing here. */
static int add_merge(pmp_bpe *b, json_object *vocab, const char *a, size_t alen, const char *c,
                     size_t clen, uint32_t k, pmp_buf *tmp, pmp_err *err)
{
    pmp_buf_clear(tmp);
    if (pmp_bpe_unicode_to_bytes(tmp, a, alen) < 0)
        return pmp_err_setc(err, PMP_E_INPUT, "a symbol is not in GPT-2's byte-level spelling");
    size_t la = tmp->len;
    if (pmp_bpe_unicode_to_bytes(tmp, c, clen) < 0)
        return pmp_err_setc(err, PMP_E_INPUT, "a symbol is not in GPT-2's byte-level spelling");
    if (!bpe_find(b, tmp->data, la) || !bpe_find(b, tmp->data + la, tmp->len - la))
        return pmp_err_setc(err, PMP_E_INPUT, "merge uses a token that no earlier merge made");
    if (bpe_find(b, tmp->data, tmp->len)) return 0;
    char *joined = pmp_xmalloc(alen + clen + 1);
    memcpy(joined, a, alen);
    memcpy(joined + alen, c, clen);
    joined[alen + clen] = 0;
    json_object *v;
    int ok = json_object_object_get_ex(vocab, joined, &v) && json_object_is_type(v, json_type_int);
    free(joined);
    if (!ok) return pmp_err_setc(err, PMP_E_INPUT, "merge makes a token that is not in the vocabulary");
    int64_t id = json_object_get_int64(v);
    if (id < 0 || id >= UINT32_MAX) return pmp_err_setc(err, PMP_E_INPUT, "id %lld out of range", (long long)id);
    return pmp_bpe_add_token(b, (uint32_t)id, tmp->data, tmp->len, 256 + k, err);
}

/* Vocabulary entries that neither bytes nor merges made: in GPT-2's encoder.json
 * that is <|endoftext|>, a special token. In tokenizer.json they are decode-only
 * ordinary tokens unless added_tokens lists them (handled before this). */
static int add_leftovers(pmp_bpe *b, json_object *vocab, int as_special, const char *where,
                         pmp_err *err)
{
    pmp_buf tmp = PMP_BUF_INIT;
    int rc = 0;
    json_object_object_foreach(vocab, key, val) {
        int64_t id = json_object_get_int64(val);
        if (!json_object_is_type(val, json_type_int) || id < 0 || id >= UINT32_MAX) {
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s: token \"%s\": id is not a valid integer", where, key);
            break;
        }
        if ((uint32_t)id < b->n_ids && b->tok_type[id] != TOK_UNUSED) {
            size_t l;
            const char *t = pmp_bpe_token(b, (uint32_t)id, &l);
            pmp_buf_clear(&tmp);
            pmp_bpe_unicode_to_bytes(&tmp, key, strlen(key));
            if (b->tok_type[id] == TOK_SPECIAL || (tmp.len == l && memcmp(tmp.data, t, l) == 0))
                continue;
            rc = pmp_err_setc(err, PMP_E_INPUT, "%s: token \"%s\": id %lld is used twice", where, key,
                             (long long)id);
            break;
        }
        if (as_special) {
            /* JSON text is UTF-8 (json-c does not check): other bytes would not
             * survive a save. */
            if (pmp_utf8_check(key, strlen(key)) != strlen(key)) {
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s: token \"%s\" is not valid UTF-8", where, key);
                break;
            }
            rc = pmp_bpe_add_special(b, (uint32_t)id, key, strlen(key), err);
        } else {
            pmp_buf_clear(&tmp);
            if (pmp_bpe_unicode_to_bytes(&tmp, key, strlen(key)) < 0) {
                rc = pmp_err_setc(err, PMP_E_INPUT, "%s: token \"%s\" is not in GPT-2's byte-level spelling",
                                 where, key);
                break;
            }
            rc = pmp_bpe_add_token(b, (uint32_t)id, tmp.data, tmp.len, BPE_NO_RANK, err);
        }
        if (rc < 0) {
            pmp_err_prefix(err, "%s", where);
            break;
        }
    }
    pmp_buf_free(&tmp);
    return rc;
}

static int load_gpt2_dir(pmp_bpe *b, const char *dir, pmp_err *err)
{
    pmp_buf enc_path = PMP_BUF_INIT, bpe_path = PMP_BUF_INIT, tmp = PMP_BUF_INIT;
    pmp_buf_printf(&enc_path, "%s/encoder.json", dir);
    pmp_buf_printf(&bpe_path, "%s/vocab.bpe", dir);
    json_object *vocab = NULL;
    pmp_input *in = NULL;
    int rc = -1;
    vocab = parse_json(enc_path.data, err);
    if (!vocab) goto out;
    if (!json_object_is_type(vocab, json_type_object)) {
        pmp_err_setc(err, PMP_E_INPUT, "%s: expected a JSON object (token -> id)", enc_path.data);
        goto out;
    }
    pmp_bpe_expect_tokens(b, (size_t)json_object_object_length(vocab));
    if (add_bytes_from(b, vocab, enc_path.data, err) < 0) goto out;
    if (pmp_input_open(&in, bpe_path.data, err) < 0) goto out;
    const char *line;
    size_t len;
    int r;
    uint32_t k = 0;
    while ((r = pmp_input_line(in, &line, &len, err)) == 1) {
        uint64_t ln = pmp_input_line_number(in);
        if (len && line[len - 1] == '\r') len--;
        if (len == 0 || (ln == 1 && len >= 8 && memcmp(line, "#version", 8) == 0)) continue;
        const char *sp = memchr(line, ' ', len);
        if (!sp || sp == line || sp + 1 == line + len || memchr(sp + 1, ' ', (size_t)(line + len - sp - 1))) {
            pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: expected two symbols separated by one space: \"%.*s\"",
                        bpe_path.data, (unsigned long long)ln, (int)(len > 80 ? 80 : len), line);
            goto out;
        }
        if (add_merge(b, vocab, line, (size_t)(sp - line), sp + 1, (size_t)(line + len - sp - 1),
                      k++, &tmp, err) < 0) {
            pmp_err_prefix(err, "%s:%llu: \"%.*s\"", bpe_path.data, (unsigned long long)ln,
                           (int)(len > 80 ? 80 : len), line);
            goto out;
        }
    }
    if (r < 0) goto out;
    if (add_leftovers(b, vocab, 1, enc_path.data, err) < 0) goto out;
    rc = 0;
out:
    if (in) pmp_input_close(in);
    json_object_put(vocab);
    pmp_buf_free(&enc_path);
    pmp_buf_free(&bpe_path);
    pmp_buf_free(&tmp);
    return rc;
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object)) json_object_object_get_ex(o, key, &v);
    return v;
}

/* The Split regex of a pre_tokenizer, or "gpt2" for a ByteLevel with use_regex,
 * or NULL. */
static const char *hf_pattern(json_object *pt)
{
    if (!pt) return NULL;
    const char *type = json_object_get_string(jget(pt, "type"));
    if (!type) return NULL;
    if (!strcmp(type, "Sequence")) {
        json_object *list = jget(pt, "pretokenizers");
        size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        const char *found = NULL;
        for (size_t i = 0; i < n; i++) {
            const char *p = hf_pattern(json_object_array_get_idx(list, i));
            if (p && (!found || strcmp(p, "gpt2") != 0)) found = p;
        }
        return found;
    }
    if (!strcmp(type, "Split")) return json_object_get_string(jget(jget(pt, "pattern"), "Regex"));
    if (!strcmp(type, "ByteLevel")) {
        json_object *ur = jget(pt, "use_regex");
        if (!ur || json_object_get_boolean(ur)) return "gpt2";
    }
    return NULL;
}

static int load_hf_json(pmp_bpe *b, const char *path, char **pattern_out, pmp_err *err)
{
    json_object *root = parse_json(path, err);
    if (!root) return -1;
    int rc = -1;
    pmp_buf tmp = PMP_BUF_INIT, where = PMP_BUF_INIT;
    json_object *model = jget(root, "model");
    const char *type = json_object_get_string(jget(model, "type"));
    json_object *vocab = jget(model, "vocab"), *merges = jget(model, "merges");
    if (!model || (type && strcmp(type, "BPE") != 0)) {
        pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: model.type is \"%s\", expected \"BPE\"", path, type ? type : "(none)");
        goto out;
    }
    if (!json_object_is_type(vocab, json_type_object) || !json_object_is_type(merges, json_type_array)) {
        pmp_err_setc(err, PMP_E_INPUT, "%s: model.vocab (object) or model.merges (array) is missing", path);
        goto out;
    }
    pmp_buf_printf(&where, "%s: model.vocab", path);
    json_object *added_list = jget(root, "added_tokens");
    pmp_bpe_expect_tokens(b, (size_t)json_object_object_length(vocab) +
                                 (json_object_is_type(added_list, json_type_array)
                                      ? json_object_array_length(added_list) : 0));
    if (add_bytes_from(b, vocab, where.data, err) < 0) goto out;
    size_t n = json_object_array_length(merges);
    for (size_t k = 0; k < n; k++) {
        json_object *m = json_object_array_get_idx(merges, k);
        const char *a = NULL, *c = NULL;
        size_t al = 0, cl = 0;
        if (json_object_is_type(m, json_type_string)) {
            const char *s = json_object_get_string(m);
            size_t len = (size_t)json_object_get_string_len(m);
            const char *sp = memchr(s, ' ', len);
            if (sp && sp != s && sp + 1 != s + len && !memchr(sp + 1, ' ', (size_t)(s + len - sp - 1))) {
                a = s; al = (size_t)(sp - s); c = sp + 1; cl = (size_t)(s + len - sp - 1);
            }
        } else if (json_object_is_type(m, json_type_array) && json_object_array_length(m) == 2) {
            json_object *x = json_object_array_get_idx(m, 0), *y = json_object_array_get_idx(m, 1);
            if (json_object_is_type(x, json_type_string) && json_object_is_type(y, json_type_string)) {
                a = json_object_get_string(x); al = (size_t)json_object_get_string_len(x);
                c = json_object_get_string(y); cl = (size_t)json_object_get_string_len(y);
            }
        }
        if (!a) {
            pmp_err_setc(err, PMP_E_INPUT, "%s: model.merges[%zu]: expected \"A B\" or [\"A\", \"B\"]", path, k);
            goto out;
        }
        if (add_merge(b, vocab, a, al, c, cl, (uint32_t)k, &tmp, err) < 0) {
            pmp_err_prefix(err, "%s: model.merges[%zu] (\"%.*s %.*s\")", path, k, (int)al, a,
                           (int)cl, c);
            goto out;
        }
    }
    json_object *added = jget(root, "added_tokens");
    size_t na = json_object_is_type(added, json_type_array) ? json_object_array_length(added) : 0;
    for (size_t i = 0; i < na; i++) {
        json_object *t = json_object_array_get_idx(added, i);
        json_object *idv = jget(t, "id"), *cv = jget(t, "content");
        if (!json_object_is_type(idv, json_type_int) || !json_object_is_type(cv, json_type_string)) {
            pmp_err_setc(err, PMP_E_INPUT, "%s: added_tokens[%zu]: needs an integer id and a content string", path, i);
            goto out;
        }
        int64_t id = json_object_get_int64(idv);
        const char *content = json_object_get_string(cv);
        size_t clen = (size_t)json_object_get_string_len(cv);
        if (id < 0 || id >= UINT32_MAX) {
            pmp_err_setc(err, PMP_E_INPUT, "%s: added_tokens[%zu]: id out of range", path, i);
            goto out;
        }
        /* JSON text is UTF-8 (json-c does not check): other bytes would not
         * survive a save. */
        if (pmp_utf8_check(content, clen) != clen) {
            pmp_err_setc(err, PMP_E_INPUT, "%s: added_tokens[%zu]: content is not valid UTF-8", path, i);
            goto out;
        }
        /* An added token that is also an ordinary token keeps its ordinary role. */
        if ((uint32_t)id < b->n_ids && b->tok_type[id] == TOK_ORDINARY) continue;
        if (pmp_bpe_add_special(b, (uint32_t)id, content, clen, err) < 0) {
            pmp_err_prefix(err, "%s: added_tokens[%zu]", path, i);
            goto out;
        }
    }
    if (add_leftovers(b, vocab, 0, where.data, err) < 0) goto out;
    const char *pat = hf_pattern(jget(root, "pre_tokenizer"));
    *pattern_out = pat ? pmp_xstrdup(pat) : NULL;
    rc = 0;
out:
    json_object_put(root);
    pmp_buf_free(&tmp);
    pmp_buf_free(&where);
    return rc;
}

int pmp_bpe_load(pmp_bpe **out, const char *path, const char *pattern, pmp_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) < 0) return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: cannot open: %m", path);
    pmp_bpe *b = pmp_bpe_new();
    const char *enc = infer_encoding(path);
    const char *kind;
    char *file_pattern = NULL;
    int rc;
    if (S_ISDIR(st.st_mode)) {
        kind = "gpt2-dir";
        if (!enc) enc = "gpt2";
        rc = load_gpt2_dir(b, path, err);
    } else {
        /* tokenizer.json starts with '{'; a rank file with base64. */
        FILE *f = fopen(path, "rb");
        int c = ' ';
        if (f) {
            while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\r' || c == '\t') {}
            fclose(f);
        }
        if (c == '{') {
            kind = "tokenizer.json";
            enc = NULL;
            rc = load_hf_json(b, path, &file_pattern, err);
        } else {
            kind = "tiktoken";
            rc = load_tiktoken(b, path, err);
            if (rc == 0) rc = add_known_specials(b, enc, path, err);
        }
    }
    if (rc == 0) {
        const char *spec = pattern ? pattern : file_pattern ? file_pattern : enc ? enc : "gpt2";
        rc = pmp_bpe_finish(b, spec, kind, path, err);
    }
    free(file_pattern);
    if (rc < 0) {
        pmp_bpe_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

/* safetensors.c — validated safetensors reading and deterministic writing
 * (pmp_safetensors.h). The host must be little-endian, as the format is. */
#include "pmp_safetensors.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

#define MAX_HEADER (100u << 20)

static const struct {
    const char *name;
    size_t size;
} dtypes[PMP_SAFETENSORS_N_DTYPES] = {
    [PMP_SAFETENSORS_F64] = {"F64", 8},   [PMP_SAFETENSORS_F32] = {"F32", 4},
    [PMP_SAFETENSORS_F16] = {"F16", 2},   [PMP_SAFETENSORS_BF16] = {"BF16", 2},
    [PMP_SAFETENSORS_I64] = {"I64", 8},   [PMP_SAFETENSORS_I32] = {"I32", 4},
    [PMP_SAFETENSORS_I16] = {"I16", 2},   [PMP_SAFETENSORS_I8] = {"I8", 1},
    [PMP_SAFETENSORS_U8] = {"U8", 1},     [PMP_SAFETENSORS_BOOL] = {"BOOL", 1},
};


struct pmp_safetensors {
    const unsigned char *file;
    size_t file_len;
    int mapped;             /* file/file_len are our mapping */
    const unsigned char *data;
    uint64_t data_len;
    pmp_safetensors_tensor *tensors;
    size_t n;
    char **meta;            /* key, value, key, value, ... */
    size_t n_meta;
};

static int parse_dtype(const char *s, pmp_safetensors_dtype *out)
{
    for (int i = 0; i < PMP_SAFETENSORS_N_DTYPES; i++)
        if (!strcmp(s, dtypes[i].name)) {
            *out = (pmp_safetensors_dtype)i;
            return 0;
        }
    return -1;
}

static int get_u64(json_object *v, uint64_t *out)
{
    if (!json_object_is_type(v, json_type_int)) return -1;
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (x < 0 || errno) return -1;
    *out = (uint64_t)x;
    return 0;
}

static int parse_tensor(pmp_safetensors *st, const char *name, json_object *o, pmp_err *err)
{
    pmp_safetensors_tensor t = {0};
    json_object *dt, *shape, *offs;
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "dtype", &dt) || !json_object_is_type(dt, json_type_string) ||
        !json_object_object_get_ex(o, "shape", &shape) || !json_object_is_type(shape, json_type_array) ||
        !json_object_object_get_ex(o, "data_offsets", &offs) ||
        !json_object_is_type(offs, json_type_array))
        return pmp_err_setc(err, PMP_E_CORRUPT, "tensor \"%s\": needs dtype, shape and data_offsets", name);
    if (parse_dtype(json_object_get_string(dt), &t.dtype) < 0)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "tensor \"%s\": unknown dtype \"%s\"", name,
                            json_object_get_string(dt));
    size_t nd = json_object_array_length(shape);
    if (nd > PMP_SAFETENSORS_MAX_DIMS)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "tensor \"%s\": %zu dimensions (at most %d)", name, nd,
                            PMP_SAFETENSORS_MAX_DIMS);
    t.ndim = (int)nd;
    t.numel = 1;
    for (size_t i = 0; i < nd; i++) {
        uint64_t d;
        if (get_u64(json_object_array_get_idx(shape, i), &d) < 0)
            return pmp_err_setc(err, PMP_E_CORRUPT,
                                "tensor \"%s\": dimension %zu is not a non-negative integer", name, i);
        t.shape[i] = (int64_t)d;
        if (__builtin_mul_overflow(t.numel, d, &t.numel))
            return pmp_err_setc(err, PMP_E_CORRUPT, "tensor \"%s\": element count overflows", name);
    }
    uint64_t bytes;
    if (__builtin_mul_overflow(t.numel, (uint64_t)dtypes[t.dtype].size, &bytes))
        return pmp_err_setc(err, PMP_E_CORRUPT, "tensor \"%s\": byte size overflows", name);
    if (json_object_array_length(offs) != 2 || get_u64(json_object_array_get_idx(offs, 0), &t.begin) < 0 ||
        get_u64(json_object_array_get_idx(offs, 1), &t.end) < 0 || t.begin > t.end)
        return pmp_err_setc(err, PMP_E_CORRUPT,
                            "tensor \"%s\": data_offsets must be [begin, end] with begin <= end", name);
    if (t.end - t.begin != bytes)
        return pmp_err_setc(err, PMP_E_CORRUPT, "tensor \"%s\": %llu bytes for %llu x %s", name,
                            (unsigned long long)(t.end - t.begin), (unsigned long long)t.numel,
                            dtypes[t.dtype].name);
    if (t.end > st->data_len)
        return pmp_err_setc(err, PMP_E_CORRUPT,
                            "tensor \"%s\": data_offsets end %llu is past the data (%llu bytes)", name,
                            (unsigned long long)t.end, (unsigned long long)st->data_len);
    t.name = pmp_xstrdup(name);
    st->tensors[st->n++] = t;
    return 0;
}

static int parse_metadata(pmp_safetensors *st, json_object *o, pmp_err *err)
{
    if (!json_object_is_type(o, json_type_object))
        return pmp_err_setc(err, PMP_E_CORRUPT, "\"__metadata__\" must be an object of strings");
    st->meta = pmp_xcalloc(2 * (size_t)json_object_object_length(o) + 1, sizeof *st->meta);
    json_object_object_foreach(o, key, val) {
        if (!json_object_is_type(val, json_type_string))
            return pmp_err_setc(err, PMP_E_CORRUPT, "\"__metadata__\".\"%s\" must be a string", key);
        st->meta[2 * st->n_meta] = pmp_xstrdup(key);
        st->meta[2 * st->n_meta + 1] = pmp_xstrdup(json_object_get_string(val));
        st->n_meta++;
    }
    return 0;
}

static int by_begin(const void *a, const void *b)
{
    const pmp_safetensors_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* The ranges must tile the data buffer exactly. Checked on a sorted copy, so
 * header order is kept for callers. */
static int check_coverage(const pmp_safetensors *st, pmp_err *err)
{
    pmp_safetensors_tensor *sorted = pmp_xmalloc((st->n ? st->n : 1) * sizeof *sorted);
    memcpy(sorted, st->tensors, st->n * sizeof *sorted);
    qsort(sorted, st->n, sizeof *sorted, by_begin);
    uint64_t at = 0;
    int rc = 0;
    for (size_t i = 0; i < st->n && rc == 0; i++) {
        if (sorted[i].begin != at)
            rc = pmp_err_setc(err, PMP_E_CORRUPT, "tensor \"%s\" starts at %llu, expected %llu (%s)",
                              sorted[i].name, (unsigned long long)sorted[i].begin, (unsigned long long)at,
                              sorted[i].begin < at ? "overlap" : "hole");
        at = sorted[i].end;
    }
    if (rc == 0 && at != st->data_len)
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "%llu bytes after the last tensor",
                          (unsigned long long)(st->data_len - at));
    free(sorted);
    return rc;
}

int pmp_safetensors_parse(pmp_safetensors **out, const void *data, size_t len, pmp_err *err)
{
    *out = NULL;
    if (len < 8)
        return pmp_err_setc(err, PMP_E_CORRUPT, "file too short for a safetensors header (%zu bytes)", len);
    uint64_t hlen;
    memcpy(&hlen, data, 8);
    if (hlen > MAX_HEADER)
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "header length %llu is over 100 MiB", (unsigned long long)hlen);
    if (hlen > len - 8)
        return pmp_err_setc(err, PMP_E_CORRUPT, "header length %llu is past the end of the file (%zu bytes)",
                            (unsigned long long)hlen, len);
    const char *header = (const char *)data + 8;
    if (hlen == 0 || header[0] != '{')
        return pmp_err_setc(err, PMP_E_CORRUPT, "the header is not a JSON object");
    pmp_safetensors *st = pmp_xcalloc(1, sizeof *st);
    st->file = data;
    st->file_len = len;
    st->data = (const unsigned char *)data + 8 + hlen;
    st->data_len = len - 8 - hlen;

    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, header, (int)hlen);
    size_t end = json_tokener_get_parse_end(tok);
    int rc = 0;
    if (!root || json_tokener_get_error(tok) != json_tokener_success) {
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "the header is not valid JSON (at byte %zu of %llu)", end + 8,
                          (unsigned long long)hlen);
    } else if (!json_object_is_type(root, json_type_object)) {
        rc = pmp_err_setc(err, PMP_E_CORRUPT, "the header is not a JSON object");
    } else {
        for (; end < hlen; end++)   /* writers pad with spaces */
            if (header[end] != ' ') {
                rc = pmp_err_setc(err, PMP_E_CORRUPT, "unexpected byte after the header JSON at offset %zu",
                                  end + 8);
                break;
            }
    }
    if (rc == 0) {
        st->tensors = pmp_xcalloc((size_t)json_object_object_length(root) + 1, sizeof *st->tensors);
        json_object_object_foreach(root, key, val) {
            rc = !strcmp(key, "__metadata__") ? parse_metadata(st, val, err)
                                              : parse_tensor(st, key, val, err);
            if (rc < 0) break;
        }
    }
    if (rc == 0) rc = check_coverage(st, err);
    if (root) json_object_put(root);
    json_tokener_free(tok);
    if (rc < 0) {
        pmp_safetensors_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

int pmp_safetensors_open(pmp_safetensors **out, const char *path, pmp_err *err)
{
    *out = NULL;
    const void *map;
    size_t len;
    if (pmp_map_file(path, &map, &len, err) < 0) return -1;
    if (pmp_safetensors_parse(out, map, len, err) < 0) {
        pmp_unmap_file(map, len);
        return pmp_err_prefix(err, "%s", path);
    }
    (*out)->mapped = 1;
    return 0;
}

void pmp_safetensors_close(pmp_safetensors *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->n; i++) free(st->tensors[i].name);
    free(st->tensors);
    for (size_t i = 0; i < 2 * st->n_meta; i++) free(st->meta[i]);
    free(st->meta);
    if (st->mapped) pmp_unmap_file(st->file, st->file_len);
    free(st);
}

size_t pmp_safetensors_count(const pmp_safetensors *st) { return st->n; }

const pmp_safetensors_tensor *pmp_safetensors_tensor_at(const pmp_safetensors *st, size_t i)
{
    return i < st->n ? &st->tensors[i] : NULL;
}

const pmp_safetensors_tensor *pmp_safetensors_find(const pmp_safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

const void *pmp_safetensors_data(const pmp_safetensors *st, const pmp_safetensors_tensor *t)
{
    return st->data + t->begin;
}

const char *pmp_safetensors_metadata(const pmp_safetensors *st, const char *key)
{
    for (size_t i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[2 * i], key)) return st->meta[2 * i + 1];
    return NULL;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, mant = h & 1023, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {   /* subnormal: normalise */
            exp = 113;
            while (!(mant & 1024)) { mant <<= 1; exp--; }
            bits = sign | (exp << 23) | ((mant & 1023) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int pmp_safetensors_read_f32(const pmp_safetensors *st, const char *name, float *dst,
                             uint64_t n, pmp_err *err)
{
    const pmp_safetensors_tensor *t = pmp_safetensors_find(st, name);
    if (!t) return pmp_err_setc(err, PMP_E_INPUT, "no tensor \"%s\"", name);
    if (t->numel != n)
        return pmp_err_setc(err, PMP_E_MISMATCH, "tensor \"%s\" has %llu elements, expected %llu", name,
                           (unsigned long long)t->numel, (unsigned long long)n);
    const unsigned char *p = st->data + t->begin;
    switch (t->dtype) {
    case PMP_SAFETENSORS_F32:
        memcpy(dst, p, n * 4);
        return 0;
    case PMP_SAFETENSORS_F16:
    case PMP_SAFETENSORS_BF16:
        for (uint64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            if (t->dtype == PMP_SAFETENSORS_F16) {
                dst[i] = half_to_float(h);
            } else {
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&dst[i], &bits, 4);
            }
        }
        return 0;
    default:
        return pmp_err_setc(err, PMP_E_UNSUPPORTED, "tensor \"%s\" is %s, not a float type", name, dtypes[t->dtype].name);
    }
}

/* ---------- writing ---------- */

typedef struct st_entry {
    char *name;
    int64_t shape[PMP_SAFETENSORS_MAX_DIMS];
    int ndim;
    uint64_t numel;
    const float *data;
} st_entry;

struct pmp_safetensors_writer {
    st_entry *e;
    size_t n, cap;
    char **meta;
    size_t n_meta;
};

pmp_safetensors_writer *pmp_safetensors_writer_new(void)
{
    return pmp_xcalloc(1, sizeof(pmp_safetensors_writer));
}

int pmp_safetensors_writer_add_f32(pmp_safetensors_writer *w, const char *name,
                                   const int64_t *shape, int ndim, const float *data,
                                   pmp_err *err)
{
    if (ndim < 0 || ndim > PMP_SAFETENSORS_MAX_DIMS)
        return pmp_err_setc(err, PMP_E_INTERNAL, "tensor \"%s\": bad rank %d", name, ndim);
    if (!strcmp(name, "__metadata__")) return pmp_err_setc(err, PMP_E_INTERNAL, "\"__metadata__\" is reserved");
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->e[i].name, name)) return pmp_err_setc(err, PMP_E_INTERNAL, "tensor \"%s\" added twice", name);
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->e = pmp_xrealloc(w->e, w->cap * sizeof *w->e);
    }
    st_entry *e = &w->e[w->n++];
    memset(e, 0, sizeof *e);
    e->name = pmp_xstrdup(name);
    e->ndim = ndim;
    e->numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return pmp_err_setc(err, PMP_E_INTERNAL, "tensor \"%s\": negative dimension", name);
        e->shape[i] = shape[i];
        e->numel *= (uint64_t)shape[i];
    }
    e->data = data;
    return 0;
}

void pmp_safetensors_writer_metadata(pmp_safetensors_writer *w, const char *key, const char *value)
{
    w->meta = pmp_xrealloc(w->meta, (2 * w->n_meta + 2) * sizeof *w->meta);
    w->meta[2 * w->n_meta] = pmp_xstrdup(key);
    w->meta[2 * w->n_meta + 1] = pmp_xstrdup(value);
    w->n_meta++;
}

static int entry_by_name(const void *a, const void *b)
{
    return strcmp(((const st_entry *)a)->name, ((const st_entry *)b)->name);
}

int pmp_safetensors_writer_write(pmp_safetensors_writer *w, const char *path, pmp_err *err)
{
    qsort(w->e, w->n, sizeof *w->e, entry_by_name);
    pmp_buf h = PMP_BUF_INIT;
    pmp_jobj j;
    pmp_jobj_begin(&j, &h);
    if (w->n_meta) {
        pmp_jobj_object(&j, "__metadata__");
        for (size_t i = 0; i < w->n_meta; i++) pmp_jobj_str(&j, w->meta[2 * i], w->meta[2 * i + 1]);
        pmp_jobj_close(&j);
    }
    uint64_t at = 0;
    for (size_t i = 0; i < w->n; i++) {
        const st_entry *e = &w->e[i];
        pmp_jobj_object(&j, e->name);
        pmp_jobj_str(&j, "dtype", "F32");
        pmp_jobj_array(&j, "shape");
        for (int d = 0; d < e->ndim; d++) pmp_jobj_int(&j, NULL, (long long)e->shape[d]);
        pmp_jobj_close(&j);
        pmp_jobj_array(&j, "data_offsets");
        pmp_jobj_u64(&j, NULL, at);
        pmp_jobj_u64(&j, NULL, at + 4 * e->numel);
        pmp_jobj_close(&j);
        pmp_jobj_close(&j);
        at += 4 * e->numel;
    }
    pmp_jobj_end(&j);
    while ((8 + h.len) % 8) pmp_buf_appendc(&h, ' ');
    uint64_t hlen = h.len;

    pmp_dfile f;
    int rc = pmp_dfile_open(&f, path, err);
    if (rc == 0) rc = pmp_dfile_write(&f, &hlen, 8, err);
    if (rc == 0) rc = pmp_dfile_write(&f, h.data, h.len, err);
    for (size_t i = 0; i < w->n && rc == 0; i++)
        rc = pmp_dfile_write(&f, w->e[i].data, 4 * w->e[i].numel, err);
    if (rc == 0) rc = pmp_dfile_commit(&f, NULL, err);
    else pmp_dfile_abort(&f);
    pmp_buf_free(&h);
    return rc;
}

void pmp_safetensors_writer_free(pmp_safetensors_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->e[i].name);
    free(w->e);
    for (size_t i = 0; i < 2 * w->n_meta; i++) free(w->meta[i]);
    free(w->meta);
    free(w);
}

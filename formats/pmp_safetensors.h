/* pmp_safetensors.h — reading and writing the safetensors format (Hugging Face
 * model.safetensors), validated so that a hostile file cannot make us read out of
 * bounds.
 *
 * Layout: u64 little-endian N, then N bytes of a JSON object (the header), then
 * the data buffer. Each header entry other than "__metadata__" is
 *   "name": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}
 * with offsets relative to the data buffer. The reader checks: N is at most
 * 100 MiB and fits in the file, the header is a JSON object, dtypes are known,
 * dimensions are non-negative and their product times the dtype size equals
 * end - begin (without overflow), every range lies inside the buffer, the ranges
 * do not overlap and cover the buffer exactly (no holes, nothing after).
 */
#ifndef PMP_SAFETENSORS_H
#define PMP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

#define PMP_SAFETENSORS_MAX_DIMS 8

typedef enum pmp_safetensors_dtype {
    PMP_SAFETENSORS_F64, PMP_SAFETENSORS_F32, PMP_SAFETENSORS_F16, PMP_SAFETENSORS_BF16,
    PMP_SAFETENSORS_I64, PMP_SAFETENSORS_I32, PMP_SAFETENSORS_I16, PMP_SAFETENSORS_I8,
    PMP_SAFETENSORS_U8, PMP_SAFETENSORS_BOOL,
    PMP_SAFETENSORS_N_DTYPES
} pmp_safetensors_dtype;

typedef struct pmp_safetensors_tensor {
    char *name;
    pmp_safetensors_dtype dtype;
    int ndim;
    int64_t shape[PMP_SAFETENSORS_MAX_DIMS];
    uint64_t numel;
    uint64_t begin, end;   /* byte range in the data buffer */
} pmp_safetensors_tensor;

typedef struct pmp_safetensors pmp_safetensors;

/* Maps the file and validates its header. */
int pmp_safetensors_open(pmp_safetensors **out, const char *path, pmp_err *err);
/* Validates an in-memory file (not copied: data must outlive the object). */
int pmp_safetensors_parse(pmp_safetensors **out, const void *data, size_t len, pmp_err *err);
void pmp_safetensors_close(pmp_safetensors *st);

size_t pmp_safetensors_count(const pmp_safetensors *st);
/* Tensors in header order. */
const pmp_safetensors_tensor *pmp_safetensors_tensor_at(const pmp_safetensors *st, size_t i);
const pmp_safetensors_tensor *pmp_safetensors_find(const pmp_safetensors *st, const char *name);
/* Raw bytes of a tensor (little-endian, as stored). */
const void *pmp_safetensors_data(const pmp_safetensors *st, const pmp_safetensors_tensor *t);
/* A "__metadata__" string value, or NULL. */
const char *pmp_safetensors_metadata(const pmp_safetensors *st, const char *key);

/* Copies tensor `name` into dst as float32, converting from F32, F16 or BF16.
 * The element count must equal n; the shape is the caller's to check. */
int pmp_safetensors_read_f32(const pmp_safetensors *st, const char *name, float *dst,
                             uint64_t n, pmp_err *err);

/* ---- writing ---- */
typedef struct pmp_safetensors_writer pmp_safetensors_writer;

pmp_safetensors_writer *pmp_safetensors_writer_new(void);
/* Adds an F32 tensor; data is referenced, not copied, until write. */
int pmp_safetensors_writer_add_f32(pmp_safetensors_writer *w, const char *name,
                                   const int64_t *shape, int ndim, const float *data,
                                   pmp_err *err);
void pmp_safetensors_writer_metadata(pmp_safetensors_writer *w, const char *key, const char *value);
/* Writes the file deterministically (tensors sorted by name, compact JSON
 * header padded with spaces to a multiple of 8 bytes) under a temporary name,
 * fsyncs and renames it, so that the same tensors always give the same bytes
 * and a failed write never leaves a file that looks whole. */
int pmp_safetensors_writer_write(pmp_safetensors_writer *w, const char *path, pmp_err *err);
void pmp_safetensors_writer_free(pmp_safetensors_writer *w);

#endif

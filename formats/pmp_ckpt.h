/* pmp_ckpt.h — checkpoint files: named sections (config JSON, parameters,
 * optimizer moments, run state) in one file, each with an xxHash64, written
 * under a temporary name, fsynced and renamed (docs/checkpoint.md).
 *
 * A run keeps its checkpoints as DIR/step-<N> (N zero-padded to 9 digits, so a
 * directory listing sorts them). pmp_ckpt_latest finds the newest one that
 * verifies, skipping (and reporting) corrupt or truncated ones.
 */
#ifndef PMP_CKPT_H
#define PMP_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

#define PMP_CKPT_NAME_MAX 31

typedef struct pmp_ckpt_writer pmp_ckpt_writer;
typedef struct pmp_ckpt pmp_ckpt;

pmp_ckpt_writer *pmp_ckpt_writer_new(void);
/* data is referenced, not copied, until write. Names are at most 31 bytes. */
int pmp_ckpt_writer_add(pmp_ckpt_writer *w, const char *name, const void *data, size_t len,
                        pmp_err *err);
int pmp_ckpt_writer_write(pmp_ckpt_writer *w, const char *path, pmp_err *err);
void pmp_ckpt_writer_free(pmp_ckpt_writer *w);

/* Opens and verifies every checksum; any damage is an error naming the file and
 * the section or offset. */
int pmp_ckpt_open(pmp_ckpt **out, const char *path, pmp_err *err);
/* The section's bytes (8-byte aligned), or NULL if absent. */
const void *pmp_ckpt_section(const pmp_ckpt *ck, const char *name, size_t *len);
void pmp_ckpt_close(pmp_ckpt *ck);

/* "DIR/step-000000123" into out. */
void pmp_ckpt_path(pmp_buf *out, const char *dir, uint64_t step);

/* Finds the newest checkpoint in dir that verifies. Returns 1 and sets *step
 * (and opens *out if out is not NULL), 0 if there is none, -1 on an I/O error.
 * Each damaged checkpoint passed over is reported through warn (may be NULL). */
int pmp_ckpt_latest(const char *dir, uint64_t *step, pmp_ckpt **out,
                    void (*warn)(void *ctx, const char *msg), void *ctx, pmp_err *err);
/* Deletes all but the newest `keep` step-N files (and stray *.tmp files). */
int pmp_ckpt_prune(const char *dir, unsigned keep, pmp_err *err);

#endif

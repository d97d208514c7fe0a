/* pmp_tfevents.h — TensorBoard event files (docs/train.md, "TensorBoard"), written
 * without TensorFlow.
 *
 * A file is a sequence of TFRecords:
 *     uint64 length (LE) | uint32 masked CRC-32C of those 8 bytes | data[length] |
 *     uint32 masked CRC-32C of data
 * (mask: ((crc >> 15) | (crc << 17)) + 0xa282ead8). Each record's data is a protobuf
 * `Event` (tensorflow/core/util/event.proto): wall_time (1, double), step (2, int64),
 * file_version (3, string, "brain.Event:2" in the first record), summary (5, Summary);
 * `Summary` holds repeated value (1, Value); `Value` has tag (1, string) and
 * simple_value (2, float) — the legacy scalar TensorBoard still reads.
 *
 * A writer owns one file DIR/events.out.tfevents.TIME.HOST (the name TensorBoard
 * discovers). Opened for a run that resumes at step S it first carries the scalar
 * events of the directory's older event files with step <= S into the new file and
 * removes those files, so the steps after S are never there twice.
 */
#ifndef PMP_TFEVENTS_H
#define PMP_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "pmp_common.h"

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), and TFRecord's mask of it. */
uint32_t pmp_crc32c(const void *p, size_t n);
uint32_t pmp_tfrecord_mask(uint32_t crc);

/* The next whole, checksummed record of buf[*pos..n): 1 (data, len set; *pos moves
 * past it), 0 at the end, -1 when what follows is truncated or fails its checksum
 * (err says which, at which offset). */
int pmp_tfrecord_next(const uint8_t *buf, size_t n, size_t *pos, const uint8_t **data, size_t *len,
                      pmp_err *err);

/* The step of an Event (0 when absent) and whether it carries a summary. Returns 0,
 * or -1 for bytes that are not a well-formed Event. */
int pmp_tfevent_step(const uint8_t *data, size_t len, int64_t *step, int *has_summary);

typedef struct pmp_tfevents pmp_tfevents;

/* Creates DIR (and parents) and the writer's file. keep_to_step >= 0: carry over
 * the older files' summary events with step <= keep_to_step (each file up to its first
 * damaged record: a process killed mid-write leaves half a record); < 0: older event
 * files are removed. The new file is complete (written and renamed) before any old
 * one is removed. */
int pmp_tfevents_open(pmp_tfevents **out, const char *dir, long keep_to_step, pmp_err *err);
/* One event: begin, scalars, end (end writes the record and flushes it to the OS). */
void pmp_tfevents_begin(pmp_tfevents *t, long step, double wall_time);
void pmp_tfevents_scalar(pmp_tfevents *t, const char *tag, double value);
int pmp_tfevents_end(pmp_tfevents *t, pmp_err *err);
const char *pmp_tfevents_path(const pmp_tfevents *t);
void pmp_tfevents_close(pmp_tfevents *t);

#endif

/* pmp_input.h — one streaming reader for every stage: a path or "-" (stdin),
 * with the compression detected from the magic bytes, never from the name.
 *
 *   zstd   (multi-frame, skippable frames, windows up to 2 GiB: pushshift dumps)
 *   bzip2  (multi-stream: Wikipedia's dumps)
 *   gzip   (multi-member)
 *   plain
 *
 * Memory is bounded by the decoder's window plus two fixed buffers, whatever the
 * input size. A truncated or corrupt stream is an error naming the file and the
 * compressed byte offset where decoding failed; it never looks like a clean end.
 */
#ifndef PMP_INPUT_H
#define PMP_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pmp_common.h"

typedef enum pmp_format {
    PMP_FORMAT_PLAIN = 0,
    PMP_FORMAT_ZSTD,
    PMP_FORMAT_BZIP2,
    PMP_FORMAT_GZIP,
} pmp_format;

typedef struct pmp_input pmp_input;

/* path "-" reads standard input. */
int pmp_input_open(pmp_input **out, const char *path, pmp_err *err);
void pmp_input_close(pmp_input *in);

/* Reads up to cap decoded bytes. Returns the count, 0 at the clean end, -1 on error. */
ssize_t pmp_input_read(pmp_input *in, void *buf, size_t cap, pmp_err *err);

/* Next line, without its '\n' (a final line without '\n' is returned too), and the
 * first line without a UTF-8 byte order mark (EF BB BF) if it starts with one.
 * *line points into an internal buffer valid until the next call; lines may
 * contain NUL bytes. Returns 1, 0 at the clean end, -1 on error, or
 * PMP_INPUT_LONG_LINE for a line over the pmp_input_set_max_line limit: that line
 * was read to its end and dropped (*len = 0; its number is the line number), so the
 * caller fails or counts it and goes on; the buffer never holds more than about the
 * limit. */
enum { PMP_INPUT_LONG_LINE = 2 };
int pmp_input_line(pmp_input *in, const char **line, size_t *len, pmp_err *err);
/* Lines longer than max_bytes (0 = no limit) come back as PMP_INPUT_LONG_LINE.
 * Without this call a line over PMP_INPUT_DEFAULT_MAX_LINE is an error (FILE:LINE), so
 * no reader's buffer grows without bound on input with no newline (a 2 KB bzip2
 * bomb decodes to gigabytes of one "line"). */
#define PMP_INPUT_DEFAULT_MAX_LINE ((size_t)256 << 20)
void pmp_input_set_max_line(pmp_input *in, size_t max_bytes);

/* 1-based number of the last line pmp_input_line returned. */
uint64_t pmp_input_line_number(const pmp_input *in);
/* Compressed bytes consumed so far (for progress and error offsets). */
uint64_t pmp_input_offset(const pmp_input *in);
/* Decoded bytes handed out so far. */
uint64_t pmp_input_decoded(const pmp_input *in);
/* The name used in messages: the path, or "<stdin>". */
const char *pmp_input_name(const pmp_input *in);
pmp_format pmp_input_format(const pmp_input *in);

#endif

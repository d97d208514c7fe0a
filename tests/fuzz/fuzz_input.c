/* libFuzzer target: the decompressing input reader (pmp_input.h) and its format
 * sniffing. The bytes are a file (a memfd opened by its /proc path), read twice:
 * in chunks of an odd size, then line by line with a line limit of none, 1, 80 or
 * 4096 bytes (pmp_input_set_max_line; by the input's size). Oracles: both reads
 * agree on success; the lines are the chunked bytes split at '\n', each either
 * itself or, when over the limit, PMP_INPUT_LONG_LINE, numbered in order; a plain
 * file decodes to itself; a zstd file decodes like ZSTD_decompress.
 *
 * The reader allows 2 GiB zstd windows by design (pushshift dumps): inputs whose
 * frames declare a window over WINDOW_MAX are skipped. An input decoding to more
 * than DECODED_MAX bytes is read that far in chunks only (a bomb, for the time). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define ZSTD_STATIC_LINKING_ONLY
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "pmp_input.h"

#define WINDOW_MAX (64ull << 20)
#define DECODED_MAX (2u << 20)

/* 1 if some zstd frame the reader would reach declares a window over WINDOW_MAX. */
static int zstd_window_too_big(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        ZSTD_frameHeader zfh;
        if (ZSTD_getFrameHeader(&zfh, data + off, size - off) != 0) return 0;
        if (zfh.frameType == ZSTD_frame) {
            unsigned long long need = zfh.windowSize;
            if (zfh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && zfh.frameContentSize < need)
                need = zfh.frameContentSize;
            if (need > WINDOW_MAX) return 1;
        }
        size_t c = ZSTD_findFrameCompressedSize(data + off, size - off);
        if (ZSTD_isError(c)) return 0;
        off += c;
    }
    return 0;
}

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memfd < 0) {
        memfd = memfd_create("fuzz_input", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) abort();
    int is_zstd = size >= 4 && ((data[0] == 0x28 && data[1] == 0xB5 && data[2] == 0x2F && data[3] == 0xFD) ||
                                ((data[0] & 0xF0) == 0x50 && data[1] == 0x2A && data[2] == 0x4D &&
                                 data[3] == 0x18));
    if (is_zstd && zstd_window_too_big(data, size)) return 0;

    /* Pass 1: chunks of an odd size. */
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, path, &err) < 0) abort();   /* a memfd always opens */
    pmp_format fmt = pmp_input_format(in);
    if ((fmt == PMP_FORMAT_ZSTD) != is_zstd) abort();
    size_t chunk = 1 + size % 4093;
    char *buf = malloc(chunk);
    pmp_buf all = PMP_BUF_INIT;
    ssize_t n;
    int capped = 0;
    while ((n = pmp_input_read(in, buf, chunk, &err)) > 0) {
        if ((size_t)n > chunk) abort();
        pmp_buf_append(&all, buf, (size_t)n);
        if (pmp_input_decoded(in) != all.len) abort();
        if (all.len > DECODED_MAX) {
            capped = 1;
            break;
        }
    }
    int rc1 = n < 0 ? -1 : 0;
    pmp_input_close(in);
    free(buf);
    if (capped) {
        pmp_buf_free(&all);
        return 0;
    }
    if (rc1 == 0 && fmt == PMP_FORMAT_PLAIN && (all.len != size || (size && memcmp(all.data, data, size) != 0)))
        abort();

    /* Pass 2: lines, against the chunked bytes split at '\n'. */
    static const size_t limits[4] = {0, 1, 80, 4096};
    size_t max_line = limits[size % 4];
    if (pmp_input_open(&in, path, &err) < 0) abort();
    if (pmp_input_format(in) != fmt) abort();
    pmp_input_set_max_line(in, max_line);
    const char *line;
    size_t len, at = 0;
    uint64_t n_lines = 0;
    int rc2;
    while ((rc2 = pmp_input_line(in, &line, &len, &err)) > 0) {
        if (rc2 != 1 && rc2 != PMP_INPUT_LONG_LINE) abort();
        if (pmp_input_line_number(in) != ++n_lines) abort();
        if (rc1 < 0) continue;   /* the chunked read failed: no reference */
        if (at >= all.len) abort();   /* a line after the end */
        const char *nl = memchr(all.data + at, '\n', all.len - at);
        size_t want = nl ? (size_t)(nl - (all.data + at)) : all.len - at;
        /* a UTF-8 byte order mark at the start of line 1 is not handed out */
        size_t bom = n_lines == 1 && want >= 3 && !memcmp(all.data + at, "\xEF\xBB\xBF", 3) ? 3 : 0;
        if (max_line && want > max_line) {
            if (rc2 != PMP_INPUT_LONG_LINE || len != 0) abort();
        } else if (rc2 != 1 || len != want - bom || (len && memcmp(line, all.data + at + bom, len) != 0)) {
            abort();
        }
        at += want + (nl != NULL);
    }
    pmp_input_close(in);
    if ((rc1 < 0) != (rc2 < 0)) abort();
    if (rc1 == 0 && at != all.len) abort();   /* every line was returned */

    if (fmt == PMP_FORMAT_ZSTD) {
        /* The one-shot decoder over the same bytes (multi-frame, skippable frames). */
        size_t cap = rc1 == 0 ? all.len + 1 : 2 * all.len + (1u << 20);
        char *ref = malloc(cap);
        size_t r = ZSTD_decompress(ref, cap, data, size);
        if (rc1 == 0 && (ZSTD_isError(r) || r != all.len || (r && memcmp(ref, all.data, r) != 0))) abort();
        if (rc1 < 0 && !ZSTD_isError(r)) abort();
        free(ref);
    }
    pmp_buf_free(&all);
    return 0;
}

/* input.c — the streaming, decompressing reader (pmp_input.h).
 *
 * Compressed bytes flow fd -> ibuf -> decoder -> (caller's buffer | dbuf).
 * pmp_input_read() decodes straight into the caller's buffer when no line-mode
 * data is pending, so the chunk path costs no extra copy.
 */
#include "pmp_input.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define INPUT_BUF_SIZE (256u << 10)
#define LINE_BUF_SIZE (1u << 20)

struct pmp_input {
    int fd;
    int own_fd;
    char *name;
    pmp_format format;

    unsigned char *ibuf;     /* compressed bytes */
    size_t ipos, ilen;
    uint64_t iread;          /* bytes read from fd so far */
    int ieof;

    ZSTD_DStream *zstd;
    size_t zstd_hint;        /* last ZSTD_decompressStream result; 0 = at a frame boundary */
    uint64_t zstd_frame;     /* compressed offset where the current zstd frame starts */
    bz_stream bz;
    int bz_active;
    z_stream gz;
    int gz_active;
    int finished;            /* the decoder reached the clean end */

    char *dbuf;              /* decoded bytes for line mode */
    size_t dcap, dpos, dlen, dscan;
    uint64_t decoded;
    uint64_t line_no;
    size_t max_line;         /* 0 = no limit */
    int report_long;         /* set_max_line was called: PMP_INPUT_LONG_LINE, else an error */
    int skipping;            /* discarding the rest of a line over max_line */
};

static const char *pmp_format_name(pmp_format f)
{
    switch (f) {
    case PMP_FORMAT_ZSTD: return "zstd";
    case PMP_FORMAT_BZIP2: return "bzip2";
    case PMP_FORMAT_GZIP: return "gzip";
    default: return "plain";
    }
}

uint64_t pmp_input_offset(const pmp_input *in) { return in->iread - (in->ilen - in->ipos); }
uint64_t pmp_input_decoded(const pmp_input *in) { return in->decoded; }
uint64_t pmp_input_line_number(const pmp_input *in) { return in->line_no; }
const char *pmp_input_name(const pmp_input *in) { return in->name; }
pmp_format pmp_input_format(const pmp_input *in) { return in->format; }

/* Reads more compressed bytes into ibuf (appending). Returns 0, or -1 on error. */
static int fill(pmp_input *in, pmp_err *err)
{
    if (in->ieof) return 0;
    if (in->ipos == in->ilen) in->ipos = in->ilen = 0;
    if (in->ilen == INPUT_BUF_SIZE) return 0;
    for (;;) {
        ssize_t n = read(in->fd, in->ibuf + in->ilen, INPUT_BUF_SIZE - in->ilen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return pmp_err_errno(err, errno, "%s: read error at byte %llu", in->name,
                                 (unsigned long long)in->iread);
        if (n == 0) in->ieof = 1;
        in->ilen += (size_t)n;
        in->iread += (uint64_t)n;
        return 0;
    }
}

static int corrupt(pmp_input *in, pmp_err *err, const char *what)
{
    return pmp_err_setc(err, PMP_E_INPUT, "%s: corrupt %s data at compressed byte offset %llu: %s",
                        in->name, pmp_format_name(in->format),
                        (unsigned long long)pmp_input_offset(in), what);
}

/* The decoder is given at most this much input a call (its own recommended size,
 * about one block), so an error is placed within one such window. */
#define ZSTD_FEED ((size_t)128 << 10)

/* A zstd error names the frame it is in and the window of compressed bytes given to
 * the call that failed: zstd checks a block when it has all of it (and a frame's
 * content checksum at the frame's end), so the damaged block ends in that window; the
 * decoder does not say where in its input it was. */
static int corrupt_zstd(pmp_input *in, size_t from, size_t to, pmp_err *err, size_t code)
{
    uint64_t base = in->iread - in->ilen;
    return pmp_err_setc(err, PMP_E_INPUT, "%s: corrupt zstd data in the frame at compressed byte "
                        "offset %llu, found at bytes %llu..%llu (where the damaged block ends; a "
                        "block spans at most 128 KiB): %s", in->name,
                        (unsigned long long)in->zstd_frame, (unsigned long long)(base + from),
                        (unsigned long long)(base + to), ZSTD_getErrorName(code));
}

static int truncated(pmp_input *in, pmp_err *err)
{
    return pmp_err_setc(err, PMP_E_INPUT,
                        "%s: truncated %s stream: input ends at compressed byte offset %llu "
                        "in the middle of a %s",
                        in->name, pmp_format_name(in->format),
                        (unsigned long long)pmp_input_offset(in),
                        in->format == PMP_FORMAT_ZSTD ? "frame" : "stream");
}

/* After a bzip2 stream or gzip member ends: is another one coming? Returns 1 if
 * more input follows, 0 at the clean end, -1 on error. */
static int more_input(pmp_input *in, pmp_err *err)
{
    while (in->ipos == in->ilen && !in->ieof)
        if (fill(in, err) < 0) return -1;
    return in->ipos < in->ilen;
}

static ssize_t decode_plain(pmp_input *in, unsigned char *out, size_t cap, pmp_err *err)
{
    if (in->ipos < in->ilen) {
        size_t n = in->ilen - in->ipos;
        if (n > cap) n = cap;
        memcpy(out, in->ibuf + in->ipos, n);
        in->ipos += n;
        return (ssize_t)n;
    }
    if (in->ieof) return 0;
    for (;;) {
        ssize_t n = read(in->fd, out, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return pmp_err_errno(err, errno, "%s: read error at byte %llu", in->name,
                                 (unsigned long long)in->iread);
        if (n == 0) in->ieof = 1;
        in->iread += (uint64_t)n;
        return n;
    }
}

static ssize_t decode_zstd(pmp_input *in, unsigned char *out, size_t cap, pmp_err *err)
{
    ZSTD_outBuffer ob = {out, cap, 0};
    while (ob.pos == 0) {
        if (in->ipos == in->ilen) {
            if (fill(in, err) < 0) return -1;
            if (in->ipos == in->ilen) {
                /* End of input: clean only at a frame boundary. A non-zero hint can
                 * also mean data is still buffered inside the decoder; one more call
                 * with no input flushes it. */
                if (in->zstd_hint == 0) return 0;
                ZSTD_inBuffer empty = {in->ibuf, 0, 0};
                size_t r = ZSTD_decompressStream(in->zstd, &ob, &empty);
                if (ZSTD_isError(r)) return corrupt_zstd(in, in->ipos, in->ipos, err, r);
                in->zstd_hint = r;
                if (ob.pos) break;
                return truncated(in, err);
            }
        }
        if (in->zstd_hint == 0) in->zstd_frame = pmp_input_offset(in);
        size_t feed_end = in->ilen - in->ipos > ZSTD_FEED ? in->ipos + ZSTD_FEED : in->ilen;
        ZSTD_inBuffer ib = {in->ibuf, feed_end, in->ipos};
        size_t r = ZSTD_decompressStream(in->zstd, &ob, &ib);
        if (ZSTD_isError(r)) return corrupt_zstd(in, in->ipos, feed_end, err, r);
        in->ipos = ib.pos;
        in->zstd_hint = r;
    }
    return (ssize_t)ob.pos;
}

static const char *bz_reason(int rc)
{
    switch (rc) {
    case BZ_DATA_ERROR: return "data integrity (CRC) error";
    case BZ_DATA_ERROR_MAGIC: return "bad stream header";
    case BZ_MEM_ERROR: return "out of memory";
    default: return "decoder error";
    }
}

static ssize_t decode_bzip2(pmp_input *in, unsigned char *out, size_t cap, pmp_err *err)
{
    if (in->finished) return 0;
    in->bz.next_out = (char *)out;
    in->bz.avail_out = (unsigned)(cap > 1u << 30 ? 1u << 30 : cap);
    size_t produced = 0;
    while (produced == 0) {
        if (!in->bz_active) {
            int more = more_input(in, err);
            if (more < 0) return -1;
            if (!more) { in->finished = 1; return 0; }
            memset(&in->bz, 0, sizeof in->bz);
            if (BZ2_bzDecompressInit(&in->bz, 0, 0) != BZ_OK)
                return pmp_err_setc(err, PMP_E_INTERNAL, "%s: cannot start the bzip2 decoder", in->name);
            in->bz_active = 1;
            in->bz.next_out = (char *)out;
            in->bz.avail_out = (unsigned)(cap > 1u << 30 ? 1u << 30 : cap);
        }
        if (in->ipos == in->ilen && fill(in, err) < 0) return -1;
        /* At the end of input the decoder may still hold output: one call with no
         * input drains it; only a call that makes no progress means truncation. */
        int at_eof = in->ipos == in->ilen;
        in->bz.next_in = (char *)in->ibuf + in->ipos;
        in->bz.avail_in = (unsigned)(in->ilen - in->ipos);
        unsigned before_out = in->bz.avail_out;
        int rc = BZ2_bzDecompress(&in->bz);
        in->ipos = in->ilen - in->bz.avail_in;
        size_t step = before_out - in->bz.avail_out;
        produced += step;
        if (rc == BZ_STREAM_END) {
            /* Multi-stream files (Wikipedia's) are concatenated streams. */
            BZ2_bzDecompressEnd(&in->bz);
            in->bz_active = 0;
            if (produced) break;
            continue;
        }
        if (rc != BZ_OK) {
            BZ2_bzDecompressEnd(&in->bz);
            in->bz_active = 0;
            return corrupt(in, err, bz_reason(rc));
        }
        if (at_eof && step == 0) return truncated(in, err);
    }
    return (ssize_t)produced;
}

/* After a gzip member: another member, all-zero padding (tolerated, as by
 * gzip), or garbage. Returns 1 for another member, 0 for the end, -1 on error. */
static int gzip_next_member(pmp_input *in, pmp_err *err)
{
    for (;;) {
        int more = more_input(in, err);
        if (more <= 0) return more;
        if (in->ibuf[in->ipos] != 0) break;
        while (in->ipos < in->ilen && in->ibuf[in->ipos] == 0) in->ipos++;
    }
    if (in->ibuf[in->ipos] == 0x1f) return 1;
    return pmp_err_setc(err, PMP_E_INPUT,
                        "%s: trailing garbage after the last gzip member at byte offset %llu",
                        in->name, (unsigned long long)pmp_input_offset(in));
}

static ssize_t decode_gzip(pmp_input *in, unsigned char *out, size_t cap, pmp_err *err)
{
    if (in->finished) return 0;
    in->gz.next_out = out;
    in->gz.avail_out = (uInt)(cap > 1u << 30 ? 1u << 30 : cap);
    size_t produced = 0;
    while (produced == 0) {
        if (!in->gz_active) {
            int more = gzip_next_member(in, err);
            if (more < 0) return -1;
            if (!more) { in->finished = 1; return 0; }
            if (inflateReset2(&in->gz, 16 + MAX_WBITS) != Z_OK)
                return pmp_err_setc(err, PMP_E_INTERNAL, "%s: cannot restart the gzip decoder", in->name);
            in->gz_active = 1;
        }
        if (in->ipos == in->ilen && fill(in, err) < 0) return -1;
        int at_eof = in->ipos == in->ilen;   /* see decode_bzip2 */
        in->gz.next_in = in->ibuf + in->ipos;
        in->gz.avail_in = (uInt)(in->ilen - in->ipos);
        uInt before_out = in->gz.avail_out;
        int rc = inflate(&in->gz, Z_NO_FLUSH);
        in->ipos = in->ilen - in->gz.avail_in;
        size_t step = before_out - in->gz.avail_out;
        produced += step;
        if (rc == Z_STREAM_END) {
            in->gz_active = 0;
            continue;
        }
        if (at_eof && step == 0) return truncated(in, err);
        if (rc == Z_BUF_ERROR && in->gz.avail_in == 0) continue;  /* needs more input */
        if (rc != Z_OK)
            return corrupt(in, err, in->gz.msg ? in->gz.msg : "inflate error");
    }
    return (ssize_t)produced;
}

static ssize_t decode(pmp_input *in, void *out, size_t cap, pmp_err *err)
{
    ssize_t n;
    switch (in->format) {
    case PMP_FORMAT_ZSTD: n = decode_zstd(in, out, cap, err); break;
    case PMP_FORMAT_BZIP2: n = decode_bzip2(in, out, cap, err); break;
    case PMP_FORMAT_GZIP: n = decode_gzip(in, out, cap, err); break;
    default: n = decode_plain(in, out, cap, err); break;
    }
    if (n > 0) in->decoded += (uint64_t)n;
    return n;
}

static pmp_format detect(const unsigned char *b, size_t n)
{
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD)
        return PMP_FORMAT_ZSTD;
    /* A skippable zstd frame (0x184D2A50..5F, little-endian) may lead the file. */
    if (n >= 4 && (b[0] & 0xF0) == 0x50 && b[1] == 0x2A && b[2] == 0x4D && b[3] == 0x18)
        return PMP_FORMAT_ZSTD;
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return PMP_FORMAT_BZIP2;
    if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B) return PMP_FORMAT_GZIP;
    return PMP_FORMAT_PLAIN;
}

int pmp_input_open(pmp_input **out, const char *path, pmp_err *err)
{
    *out = NULL;
    pmp_input *in = pmp_xcalloc(1, sizeof *in);
    in->max_line = PMP_INPUT_DEFAULT_MAX_LINE;
    if (!strcmp(path, "-")) {
        in->fd = STDIN_FILENO;
        in->name = pmp_xstrdup("<stdin>");
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        in->name = pmp_xstrdup(path);
        if (in->fd < 0) {
            pmp_err_errno(err, errno, "%s: cannot open", path);
            free(in->name);
            free(in);
            return -1;
        }
        in->own_fd = 1;
        posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    in->ibuf = pmp_xmalloc(INPUT_BUF_SIZE);
    /* Pipes deliver short reads: gather enough bytes to see the magic number. */
    while (in->ilen < 4 && !in->ieof)
        if (fill(in, err) < 0) goto fail;
    in->format = detect(in->ibuf, in->ilen);
    switch (in->format) {
    case PMP_FORMAT_ZSTD:
        in->zstd = ZSTD_createDStream();
        if (!in->zstd) { pmp_err_setc(err, PMP_E_INTERNAL, "%s: cannot create the zstd decoder", in->name); goto fail; }
        /* Pushshift dumps are compressed with --long=31: allow a 2 GiB window. */
        if (ZSTD_isError(ZSTD_DCtx_setParameter(in->zstd, ZSTD_d_windowLogMax, 31))) {
            pmp_err_setc(err, PMP_E_UNSUPPORTED, "%s: this zstd cannot allow a 2 GiB window", in->name);
            goto fail;
        }
        break;
    case PMP_FORMAT_GZIP:
        if (inflateInit2(&in->gz, 16 + MAX_WBITS) != Z_OK) {
            pmp_err_setc(err, PMP_E_INTERNAL, "%s: cannot create the gzip decoder", in->name);
            goto fail;
        }
        break;
    default:
        break;
    }
    *out = in;
    return 0;
fail:
    pmp_input_close(in);
    return -1;
}

void pmp_input_close(pmp_input *in)
{
    if (!in) return;
    if (in->zstd) ZSTD_freeDStream(in->zstd);
    if (in->bz_active) BZ2_bzDecompressEnd(&in->bz);
    if (in->format == PMP_FORMAT_GZIP) inflateEnd(&in->gz);
    if (in->own_fd) close(in->fd);
    free(in->ibuf);
    free(in->dbuf);
    free(in->name);
    free(in);
}

ssize_t pmp_input_read(pmp_input *in, void *buf, size_t cap, pmp_err *err)
{
    if (cap == 0) return 0;
    if (in->dpos < in->dlen) {
        size_t n = in->dlen - in->dpos;
        if (n > cap) n = cap;
        memcpy(buf, in->dbuf + in->dpos, n);
        in->dpos += n;
        if (in->dscan < in->dpos) in->dscan = in->dpos;
        return (ssize_t)n;
    }
    return decode(in, buf, cap, err);
}

void pmp_input_set_max_line(pmp_input *in, size_t max_bytes)
{
    in->max_line = max_bytes;
    in->report_long = 1;
}

static int line_too_long(pmp_input *in, pmp_err *err)
{
    return pmp_err_setc(err, PMP_E_INPUT, "%s:%llu: line longer than %zu bytes (not line-oriented "
                        "input, or a damaged file?)", in->name, (unsigned long long)in->line_no + 1,
                        in->max_line);
}

static int next_line(pmp_input *in, const char **line, size_t *len, pmp_err *err)
{
    for (;;) {
        if (in->dscan < in->dlen) {
            char *nl = memchr(in->dbuf + in->dscan, '\n', in->dlen - in->dscan);
            if (nl) {
                *line = in->dbuf + in->dpos;
                *len = (size_t)(nl - (in->dbuf + in->dpos));
                in->dpos = in->dscan = (size_t)(nl - in->dbuf) + 1;
                in->line_no++;
                if (in->skipping) {   /* the end of an over-long line */
                    in->skipping = 0;
                    *len = 0;
                    return PMP_INPUT_LONG_LINE;
                }
                if (in->max_line && *len > in->max_line) {
                    *len = 0;
                    if (!in->report_long) {
                        in->line_no--;
                        return line_too_long(in, err);
                    }
                    return PMP_INPUT_LONG_LINE;
                }
                return 1;
            }
            in->dscan = in->dlen;
        }
        /* An unfinished line over the limit: drop what there is of it, and keep
         * dropping until its newline, so memory stays at the limit. */
        if (in->max_line && in->dlen - in->dpos > in->max_line) {
            if (!in->report_long) return line_too_long(in, err);
            in->skipping = 1;
            in->dlen = in->dscan = in->dpos = 0;
        }
        /* No newline in the pending bytes: make room and decode more. */
        if (in->dpos > 0) {
            memmove(in->dbuf, in->dbuf + in->dpos, in->dlen - in->dpos);
            in->dlen -= in->dpos;
            in->dscan -= in->dpos;
            in->dpos = 0;
        }
        if (in->dcap - in->dlen < LINE_BUF_SIZE / 4) {
            in->dcap = in->dcap ? in->dcap * 2 : LINE_BUF_SIZE;
            in->dbuf = pmp_xrealloc(in->dbuf, in->dcap);
        }
        ssize_t n = decode(in, in->dbuf + in->dlen, in->dcap - in->dlen, err);
        if (n < 0) return -1;
        if (n == 0) {
            if (in->dlen == in->dpos && !in->skipping) return 0;
            *line = in->dbuf + in->dpos;   /* last line without '\n' */
            *len = in->dlen - in->dpos;
            in->dpos = in->dscan = in->dlen;
            in->line_no++;
            if (!in->report_long && in->max_line && *len > in->max_line) {
                in->line_no--;
                return line_too_long(in, err);
            }
            if (in->skipping || (in->max_line && *len > in->max_line)) {
                in->skipping = 0;
                *len = 0;
                return PMP_INPUT_LONG_LINE;
            }
            return 1;
        }
        in->dlen += (size_t)n;
    }
}

int pmp_input_line(pmp_input *in, const char **line, size_t *len, pmp_err *err)
{
    int rc = next_line(in, line, len, err);
    /* a UTF-8 byte order mark some tools write at the start of a file is not text */
    if (rc == 1 && in->line_no == 1 && *len >= 3 && !memcmp(*line, "\xEF\xBB\xBF", 3)) {
        *line += 3;
        *len -= 3;
    }
    return rc;
}

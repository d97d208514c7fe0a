/* libFuzzer target: the checkpoint reader (pmp_ckpt_open, pmp_ckpt_section).
 * Input: one mode byte, then the file (a memfd, mapped through its /proc path).
 * Mode bit 0 first recomputes the checksums the file's table allows (each section's
 * and the table's) and bit 1 puts the end marker, so that mutations reach the
 * checks behind them.
 *
 * Oracle: for every entry of an accepted file's table, pmp_ckpt_section(name) is
 * that entry's bytes of the file, 8-byte aligned (pmp_ckpt.h); and with mode bit 2
 * the sections written again by pmp_ckpt_writer (a file in this process's scratch
 * directory under /tmp, fuzz_dir) read back the same. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "pmp_ckpt.h"

#define ENTRY 56u
#define MAX_SECTIONS 1024u

static int memfd = -1;
static char path[64], out[320];

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void fixup(unsigned char *f, size_t n, unsigned mode)
{
    if (n < 32) return;
    if (mode & 2) memcpy(f + n - 8, "PMPCKEND", 8);
    if (!(mode & 1)) return;
    uint32_t k;
    memcpy(&k, f + 12, 4);
    if (k > MAX_SECTIONS || 16 + (uint64_t)k * ENTRY + 8 > n) return;
    for (uint32_t i = 0; i < k; i++) {
        unsigned char *e = f + 16 + (size_t)i * ENTRY;
        uint64_t off = rd64(e + 32), len = rd64(e + 40);
        if (off <= n && len <= n - off) wr64(e + 48, pmp_xxh64(f + off, len));
    }
    size_t table_end = 16 + (size_t)k * ENTRY;
    wr64(f + table_end, pmp_xxh64(f, table_end));
}

/* The sections of ck as the writer writes them, read back: the same bytes. */
static void rewrite(const pmp_ckpt *ck, const unsigned char *f, uint32_t k)
{
    if (!out[0]) snprintf(out, sizeof out, "%s/step-000000001", fuzz_dir("ckpt"));
    pmp_ckpt_writer *w = pmp_ckpt_writer_new();
    pmp_err err;
    for (uint32_t i = 0; i < k; i++) {
        char name[32];
        memcpy(name, f + 16 + (size_t)i * ENTRY, 32);
        name[31] = 0;
        size_t len;
        const void *p = pmp_ckpt_section(ck, name, &len);
        /* a name the reader accepted, the writer takes (once) */
        if (pmp_ckpt_writer_add(w, name, p, len, &err) < 0) abort();
    }
    if (pmp_ckpt_writer_write(w, out, &err) < 0) abort();
    pmp_ckpt *again;
    if (pmp_ckpt_open(&again, out, &err) < 0) abort();
    for (uint32_t i = 0; i < k; i++) {
        char name[32];
        memcpy(name, f + 16 + (size_t)i * ENTRY, 32);
        name[31] = 0;
        size_t l1, l2;
        const void *p1 = pmp_ckpt_section(ck, name, &l1), *p2 = pmp_ckpt_section(again, name, &l2);
        if (!p2 || l1 != l2 || (l1 && memcmp(p1, p2, l1) != 0)) abort();
    }
    pmp_ckpt_close(again);
    pmp_ckpt_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (memfd < 0) {
        memfd = memfd_create("fuzz_ckpt", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    unsigned mode = data[0];
    size_t n = size - 1;
    unsigned char *f = malloc(n ? n : 1);
    if (n) memcpy(f, data + 1, n);
    fixup(f, n, mode);
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, f, n, 0) != (ssize_t)n) abort();

    pmp_ckpt *ck;
    pmp_err err;
    if (pmp_ckpt_open(&ck, path, &err) == 0) {
        uint32_t k;
        memcpy(&k, f + 12, 4);
        for (uint32_t i = 0; i < k; i++) {
            const unsigned char *e = f + 16 + (size_t)i * ENTRY;
            char name[32];
            memcpy(name, e, 32);
            name[31] = 0;
            uint64_t off = rd64(e + 32), len = rd64(e + 40);
            size_t got;
            const unsigned char *p = pmp_ckpt_section(ck, name, &got);
            if (!p || off > n - 8 || len > n - 8 - off) abort();
            if ((uintptr_t)p % 8 != 0) abort();   /* pmp_ckpt.h: 8-byte aligned */
            /* the first entry of that name is the one found */
            if (got != len || (len && memcmp(p, f + off, len) != 0)) abort();
        }
        if (mode & 4) rewrite(ck, f, k);
        pmp_ckpt_close(ck);
    }
    free(f);
    return 0;
}

/* test_util.h — small helpers shared by the cmocka tests. */
#ifndef PMP_TEST_UTIL_H
#define PMP_TEST_UTIL_H

#include <stddef.h>

/* 1 if PMP_SHARED_DATA exists (tests that need it skip otherwise). */
int tu_have_shared(void);
/* Full path under PMP_SHARED_DATA (static buffer). */
const char *tu_shared(const char *rel);
/* A fresh empty directory for this test process (removed at exit). */
const char *tu_tmpdir(void);
/* Joins tu_tmpdir() and name (static rotating buffers). */
const char *tu_tmp(const char *name);
/* Writes / reads a whole file. Reading returns a malloc'd buffer (NUL-terminated). */
void tu_write_file(const char *path, const void *data, size_t len);
char *tu_read_file(const char *path, size_t *len);
/* Runs a shell command; returns its exit status (or -1). */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command and captures its stdout (malloc'd, NUL-terminated). */
char *tu_sh_output(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

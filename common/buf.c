/* buf.c — the growable byte buffer and checked allocation. */
#include "pmp_common.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void oom(size_t n)
{
    fprintf(stderr, "pmp: out of memory allocating %zu bytes\n", n);
    abort();
}

void *pmp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *pmp_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *pmp_xcalloc_huge(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < huge) return pmp_xcalloc(1, n);
    n = (n + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, n);
    if (!p) oom(n);
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);   /* advice only: without it the table still works */
#endif
    memset(p, 0, n);
    return p;
}

void *pmp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *pmp_xstrndup(const char *s, size_t n)
{
    char *d = pmp_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int pmp_str_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !memcmp(s + a - b, suffix, b);
}

char *pmp_xstrdup(const char *s)
{
    return pmp_xstrndup(s, strlen(s));
}

void pmp_buf_reserve(pmp_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = pmp_xrealloc(b->data, cap);
    b->cap = cap;
}

void pmp_buf_append(pmp_buf *b, const void *p, size_t n)
{
    pmp_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pmp_buf_appends(pmp_buf *b, const char *s)
{
    pmp_buf_append(b, s, strlen(s));
}

void pmp_buf_appendc(pmp_buf *b, char c)
{
    pmp_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void pmp_buf_vprintf(pmp_buf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) { va_end(ap2); return; }
    if ((size_t)n < sizeof small) {
        pmp_buf_append(b, small, (size_t)n);
    } else {
        pmp_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void pmp_buf_printf(pmp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pmp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void pmp_buf_clear(pmp_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void pmp_buf_free(pmp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *pmp_buf_detach(pmp_buf *b)
{
    char *d = b->data ? b->data : pmp_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}


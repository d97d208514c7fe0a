/* err.c — the error value: a code callers branch on and a message that names the
 * file and place (pmp_common.h, "errors"). */
#include "pmp_common.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int pmp_err_set(pmp_err *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = PMP_E_FAIL;
    return -1;
}

int pmp_err_prefix(pmp_err *err, const char *fmt, ...)
{
    if (!err) return -1;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation of an over-long message is acceptable; keep the prefix whole. */
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return -1;
}

int pmp_err_setc(pmp_err *err, pmp_errcode code, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return -1;
}

int pmp_err_errno(pmp_err *err, int errnum, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    err->code = pmp_errcode_from_errno(errnum);
    return -1;
}

pmp_errcode pmp_errcode_from_errno(int errnum)
{
    return (errnum == ENOSPC || errnum == EDQUOT) ? PMP_E_NOSPACE : PMP_E_IO;
}

int pmp_err_exit_code(const pmp_err *err)
{
    return err && err->code == PMP_E_USAGE ? PMP_EXIT_USAGE : PMP_EXIT_FAIL;
}

const char *pmp_errcode_name(pmp_errcode code)
{
    static const char *const names[] = {
        [PMP_E_FAIL] = "fail",       [PMP_E_USAGE] = "usage",
        [PMP_E_INPUT] = "input",     [PMP_E_IO] = "io",
        [PMP_E_NOSPACE] = "nospace", [PMP_E_CORRUPT] = "corrupt",
        [PMP_E_UNSUPPORTED] = "unsupported", [PMP_E_MISMATCH] = "mismatch",
        [PMP_E_INTERNAL] = "internal",
    };
    return (unsigned)code < sizeof names / sizeof names[0] ? names[code] : "fail";
}

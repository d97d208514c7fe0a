/* input_cat.c — decode FILE with pmp_input and write it to stdout, like
 * `zstd -dc` / `bzip2 -dc` / `gzip -dc`, for the reader benchmark. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pmp_input.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE|-\n", argv[0]);
        return 2;
    }
    pmp_input *in;
    pmp_err err;
    if (pmp_input_open(&in, argv[1], &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static char buf[1 << 17];
    ssize_t n;
    while ((n = pmp_input_read(in, buf, sizeof buf, &err)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                fprintf(stderr, "write: %s\n", strerror(errno));
                return 1;
            }
            off += w;
        }
    }
    if (n < 0) fprintf(stderr, "%s\n", err.msg);
    pmp_input_close(in);
    return n < 0 ? 1 : 0;
}

/* plot.c — pictures through gnuplot (an optional runtime tool, never a build
 * dependency): the one place that knows the terminals and how gnuplot is run.
 *
 * No shell ever sees a path or a name: gnuplot is started with posix_spawnp and an
 * argument vector of constants; its commands (terminal, output, `load` of the
 * script) come on its stdin from an unlinked temporary file, and every string in
 * them is quoted by pmp_gnuplot_quote. A picture is drawn into OUT.partial and
 * renamed to OUT only when gnuplot exited 0 and the file is not empty, so a failed
 * or empty drawing never leaves a picture that looks complete. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmp_experiments.h"

extern char **environ;

int pmp_gnuplot_present(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    pmp_buf f = PMP_BUF_INIT;
    int found = 0;
    for (const char *p = path; !found;) {
        size_t n = strcspn(p, ":");
        pmp_buf_clear(&f);
        pmp_buf_printf(&f, "%.*s/gnuplot", (int)n, n ? p : ".");
        found = access(f.data, X_OK) == 0;
        if (!p[n]) break;
        p += n + 1;
    }
    pmp_buf_free(&f);
    return found;
}

/* gnuplot substitutes `command` in backquotes anywhere on a line except inside
 * single quotes, expands @macros, and ends a command at a newline; inside double
 * quotes it decodes \ooo octal escapes. So every byte but a few plain ones is
 * written as an octal escape: no backquote, @, quote, backslash or line break
 * reaches gnuplot's line reader, and the string comes back byte for byte. */
void pmp_gnuplot_quote(pmp_buf *out, const char *s)
{
    pmp_buf_appends(out, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(" ./_-+,:=()%#", *p))
            pmp_buf_append(out, (const char *)p, 1);
        else
            pmp_buf_printf(out, "\\%03o", *p);
    }
    pmp_buf_appends(out, "\"");
}

/* A temporary file, already unlinked (gone with the last descriptor). */
static int temp_fd(pmp_err *err)
{
    const char *dir = getenv("TMPDIR");
    pmp_buf p = PMP_BUF_INIT;
    pmp_buf_printf(&p, "%s/pmp-gnuplot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(p.data);
    if (fd < 0) pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", p.data, strerror(errno));
    else unlink(p.data);
    pmp_buf_free(&p);
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The first line of what gnuplot said (its error), for the message. */
static void first_words(int fd, char *msg, size_t cap)
{
    msg[0] = 0;
    if (lseek(fd, 0, SEEK_SET) != 0) return;
    ssize_t n = read(fd, msg, cap - 1);
    if (n <= 0) return;
    msg[n] = 0;
    char *s = msg;
    while (*s == '\n' || *s == ' ') s++;
    memmove(msg, s, strlen(s) + 1);
    /* gnuplot echoes the bad line, then a caret line, then the reason: keep it short */
    for (char *c = msg; *c; c++)
        if (*c == '\n') *c = ' ';
    size_t len = strlen(msg);
    while (len && msg[len - 1] == ' ') msg[--len] = 0;
}

int pmp_gnuplot_render(const char *script, const char *out, pmp_err *err)
{
    size_t n = strlen(out);
    const char *term;
    if (n > 4 && !strcmp(out + n - 4, ".svg")) term = "svg size 800,600 dynamic background rgb 'white'";
    else if (n > 4 && !strcmp(out + n - 4, ".png")) term = "pngcairo size 800,600";
    else return pmp_err_setc(err, PMP_E_USAGE, "%s: the picture's name must end in .svg or .png", out);
    pmp_buf partial = PMP_BUF_INIT, cmds = PMP_BUF_INIT;
    pmp_buf_printf(&partial, "%s.partial", out);
    pmp_buf_printf(&cmds, "set terminal %s\nset output ", term);
    pmp_gnuplot_quote(&cmds, partial.data);
    pmp_buf_appends(&cmds, "\nload ");
    pmp_gnuplot_quote(&cmds, script);
    pmp_buf_appends(&cmds, "\nset output\n");
    int in = -1, errfd = -1, rc = 0;
    posix_spawn_file_actions_t fa;
    int have_fa = 0;
    unlink(partial.data);
    if ((in = temp_fd(err)) < 0 || (errfd = temp_fd(err)) < 0) rc = -1;
    if (rc == 0 && (write_all(in, cmds.data, cmds.len) < 0 || lseek(in, 0, SEEK_SET) != 0))
        rc = pmp_err_setc(err, PMP_E_IO, "gnuplot's commands for %s: %s", out, strerror(errno));
    pid_t pid = -1;
    if (rc == 0) {
        posix_spawn_file_actions_init(&fa);
        have_fa = 1;
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
        char *const argv[] = {(char *)"gnuplot", NULL};
        int e = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
        if (e != 0)
            rc = pmp_err_setc(err, e == ENOENT ? PMP_E_UNSUPPORTED : PMP_E_IO,
                              "cannot run gnuplot to draw %s: %s", out, strerror(e));
    }
    int status = 0;
    if (rc == 0) {
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) {
                rc = pmp_err_setc(err, PMP_E_INTERNAL, "waitpid (gnuplot): %s", strerror(errno));
                break;
            }
    }
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        char said[400];
        first_words(errfd, said, sizeof said);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            rc = pmp_err_setc(err, PMP_E_UNSUPPORTED, "cannot run gnuplot to draw %s", out);
        else
            rc = pmp_err_setc(err, PMP_E_FAIL, "gnuplot failed (%s %d) drawing %s from %s%s%s",
                              WIFEXITED(status) ? "exit" : "signal",
                              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out, script,
                              said[0] ? ": " : "", said);
    }
    struct stat st;
    if (rc == 0) {
        int there = stat(partial.data, &st) == 0;
        if (!there || st.st_size == 0)
            rc = pmp_err_setc(err, PMP_E_IO, "gnuplot exited 0 but drew %s (from %s) %s", out,
                              script, there ? "empty" : "nowhere");
    }
    if (rc == 0 && rename(partial.data, out) != 0)
        rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", out, strerror(errno));
    if (rc < 0) unlink(partial.data);
    if (have_fa) posix_spawn_file_actions_destroy(&fa);
    if (in >= 0) close(in);
    if (errfd >= 0) close(errfd);
    pmp_buf_free(&partial);
    pmp_buf_free(&cmds);
    return rc;
}

/* cli.c — the conventions every pmp program follows: --help, --version,
 * --quiet, progress on a terminal, a --json stats summary, exit codes. */
#include <getopt.h>

#include "pmp_common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double pmp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


uint64_t pmp_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024;   /* Linux reports KiB */
}

/* A program's output is only as good as its last write: a full disk or a closed pipe
 * shows up in fflush/fclose, after main's last fwrite (`pmp-shard info DIR > /dev/full`
 * used to exit 0). So every program closes stdout at exit and fails when that fails,
 * whichever path it took to exit (gnulib's close_stdout does the same). */
static char stdout_prog[64] = "pmp";   /* a copy: callers' names may be on their stack */

static void close_stdout_at_exit(void)
{
    int bad = ferror(stdout);
    errno = 0;
    if (fclose(stdout) != 0) bad = 1;
    if (!bad) return;
    if (errno != EPIPE)   /* a reader that went away (`| head`) is not news */
        fprintf(stderr, "%s: error: <stdout>: write error%s%s\n", stdout_prog, errno ? ": " : "",
                errno ? strerror(errno) : "");
    _exit(PMP_EXIT_FAIL);
}

static void check_stdout_at_exit(const char *prog)
{
    static int registered;
    snprintf(stdout_prog, sizeof stdout_prog, "%s", prog);
    if (!registered && atexit(close_stdout_at_exit) == 0) registered = 1;
}

void pmp_cli_init(pmp_cli *cli, const char *prog, const char *usage)
{
    check_stdout_at_exit(prog);
    memset(cli, 0, sizeof *cli);
    cli->prog = prog;
    cli->usage = usage;
    cli->progress = isatty(STDERR_FILENO);
    cli->t_start = pmp_now();
}

int pmp_cli_option(pmp_cli *cli, int opt, int *exit_code)
{
    switch (opt) {
    case 'h':
    case PMP_OPT_HELP:
        fputs(cli->usage, stdout);
        *exit_code = PMP_EXIT_OK;
        return PMP_CLI_EXIT;
    case PMP_OPT_VERSION:
        printf("%s %s\n", cli->prog, PMP_VERSION);
        *exit_code = PMP_EXIT_OK;
        return PMP_CLI_EXIT;
    case 'q':
    case PMP_OPT_QUIET:
        cli->quiet = 1;
        cli->progress = 0;
        return PMP_CLI_HANDLED;
    case PMP_OPT_JSON:
        cli->json = 1;
        return PMP_CLI_HANDLED;
    case '?':
    case ':':
        /* getopt already printed what was wrong. */
        fprintf(stderr, "Try '%s --help' for more information.\n", cli->prog);
        *exit_code = PMP_EXIT_USAGE;
        return PMP_CLI_EXIT;
    default:
        return PMP_CLI_NOT_OURS;
    }
}

int pmp_cli_fail_err(pmp_cli *cli, const pmp_err *err)
{
    cli->error = pmp_errcode_name(err->code);
    if (err->code == PMP_E_USAGE) pmp_cli_usage_error(cli, "%s", err->msg);
    else pmp_cli_fail(cli, "%s", err->msg);
    return pmp_err_exit_code(err);
}

int pmp_cli_usage_error(pmp_cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli->prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", cli->prog);
    va_end(ap);
    return PMP_EXIT_USAGE;
}

int pmp_cli_fail(pmp_cli *cli, const char *fmt, ...)
{
    pmp_cli_progress_done(cli);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", cli->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return PMP_EXIT_FAIL;
}

int pmp_cli_bad_value(pmp_cli *cli, const struct option *longopts, int opt, const char *arg)
{
    const char *name = "?";
    for (const struct option *lo = longopts; lo && lo->name; lo++)
        if (lo->val == opt) name = lo->name;
    return pmp_cli_usage_error(cli, "bad value '%s' for --%s", arg, name);
}

void pmp_cli_warn(pmp_cli *cli, const char *fmt, ...)
{
    if (cli->quiet) return;
    pmp_cli_progress_done(cli);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: warning: ", cli->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void pmp_cli_progress(pmp_cli *cli, uint64_t in_bytes, uint64_t records, const char *unit)
{
    if (!cli->progress) return;
    double t = pmp_now();
    if (t - cli->t_last_progress < 0.25) return;
    cli->t_last_progress = t;
    double dt = t - cli->t_start;
    if (dt <= 0) dt = 1e-9;
    fprintf(stderr, "\r%s: %.1f MB in, %.1f MB/s, %llu %s, %.0f %s/s   ", cli->prog,
            (double)in_bytes / 1e6, (double)in_bytes / 1e6 / dt,
            (unsigned long long)records, unit, (double)records / dt, unit);
    fflush(stderr);
}

void pmp_cli_progress_done(pmp_cli *cli)
{
    if (cli->progress && cli->t_last_progress > 0) {
        fputs("\r\033[K", stderr);
        cli->t_last_progress = 0;
    }
}

static pmp_stat *stat_slot(pmp_cli *cli, const char *key)
{
    for (size_t i = 0; i < cli->n_stats; i++)
        if (strcmp(cli->stats[i].key, key) == 0) {
            free(cli->stats[i].str);
            cli->stats[i].str = NULL;
            return &cli->stats[i];
        }
    if (cli->n_stats == cli->cap_stats) {
        cli->cap_stats = cli->cap_stats ? cli->cap_stats * 2 : 16;
        cli->stats = pmp_xrealloc(cli->stats, cli->cap_stats * sizeof *cli->stats);
    }
    pmp_stat *s = &cli->stats[cli->n_stats++];
    memset(s, 0, sizeof *s);
    s->key = key;
    return s;
}

void pmp_cli_stat_num(pmp_cli *cli, const char *key, double v)
{
    pmp_stat *s = stat_slot(cli, key);
    s->is_num = 1;
    s->num = v;
}

void pmp_cli_stat_str(pmp_cli *cli, const char *key, const char *v)
{
    pmp_stat *s = stat_slot(cli, key);
    s->is_num = 0;
    s->str = pmp_xstrdup(v ? v : "");
}

/* For people: counts exactly, other figures to 5 significant digits (--json keeps
 * every digit, for scripts). */
static void put_human_number(pmp_buf *out, double v)
{
    if (v == (double)(int64_t)v && fabs(v) < 9007199254740992.0)
        pmp_buf_printf(out, "%lld", (long long)v);
    else
        pmp_buf_printf(out, "%.5g", v);
}

int pmp_cli_finish(pmp_cli *cli, int rc)
{
    pmp_cli_progress_done(cli);
    double secs = pmp_now() - cli->t_start;
    pmp_cli_stat_num(cli, "seconds", (double)(int64_t)(secs * 1000) / 1000.0);
    pmp_cli_stat_num(cli, "peak_rss_mb", (double)(pmp_peak_rss() >> 20));
    pmp_buf out = PMP_BUF_INIT;
    if (cli->json) {
        /* a script reading only the JSON line still learns that the run failed */
        if (rc != PMP_EXIT_OK) pmp_cli_stat_num(cli, "exit_code", rc);
        if (rc != PMP_EXIT_OK && cli->error) pmp_cli_stat_str(cli, "error", cli->error);
        pmp_jobj j;
        pmp_jobj_begin(&j, &out);
        for (size_t i = 0; i < cli->n_stats; i++) {
            if (cli->stats[i].is_num) pmp_jobj_num(&j, cli->stats[i].key, cli->stats[i].num);
            else pmp_jobj_str(&j, cli->stats[i].key, cli->stats[i].str);
        }
        pmp_jobj_end(&j);
        pmp_buf_appendc(&out, '\n');
    } else if (!cli->quiet && rc == 0) {
        /* after a failure the error says what happened; partial counts would read
         * like a result (--json still gets them, for scripts that track progress) */
        pmp_buf_printf(&out, "%s:", cli->prog);
        for (size_t i = 0; i < cli->n_stats; i++) {
            pmp_buf_printf(&out, " %s=", cli->stats[i].key);
            if (cli->stats[i].is_num)
                put_human_number(&out, cli->stats[i].num);
            else
                pmp_buf_appends(&out, cli->stats[i].str);
        }
        pmp_buf_appendc(&out, '\n');
    }
    if (out.len) fwrite(out.data, 1, out.len, stderr);
    pmp_buf_free(&out);
    for (size_t i = 0; i < cli->n_stats; i++) free(cli->stats[i].str);
    free(cli->stats);
    cli->stats = NULL;
    cli->n_stats = cli->cap_stats = 0;
    return rc;
}

static void dispatch_usage(FILE *f, const char *synopsis, const char *intro, const char *heading,
                           const pmp_subcommand *cmds, size_t n, const char *outro)
{
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(cmds[i].name) > width) width = (int)strlen(cmds[i].name);
    fprintf(f, "Usage: %s\n%s\n\n%s:\n", synopsis, intro, heading);
    for (size_t i = 0; i < n; i++) fprintf(f, "  %-*s  %s\n", width, cmds[i].name, cmds[i].summary);
    fprintf(f, "\nEvery %s takes --help, --version, -q/--quiet, --json (stats on stderr).\n"
               "Exit codes: 0 ok, 1 bad input or failure, 2 usage error.\n\n%s",
            heading[0] == 'S' ? "source" : "command", outro);
}

int pmp_cli_dispatch(const char *prog, const char *synopsis, const char *intro,
                     const char *heading, const pmp_subcommand *cmds, size_t n,
                     const char *outro, int argc, char **argv)
{
    check_stdout_at_exit(prog);
    if (argc < 2) {
        dispatch_usage(stderr, synopsis, intro, heading, cmds, n, outro);
        return PMP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        dispatch_usage(stdout, synopsis, intro, heading, cmds, n, outro);
        return PMP_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("%s %s\n", prog, PMP_VERSION);
        return PMP_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown %s '%s'\nTry '%s --help'.\n", prog,
            heading[0] == 'S' ? "source" : "command", argv[1], prog);
    return PMP_EXIT_USAGE;
}

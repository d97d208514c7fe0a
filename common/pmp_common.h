/* pmp_common.h — the few things every pmp library and program shares:
 * an error value, a growable byte buffer, UTF-8 helpers, a JSON string writer,
 * and the command-line conventions (help, version, quiet, progress, --json stats,
 * exit codes).
 *
 * Error convention (used by every pmp library): functions return 0 on success and
 * -1 on failure, after filling a caller-provided pmp_err with a message that names
 * the file and the line or byte offset where the failure was found. Functions that
 * produce records return 1 (got one), 0 (clean end) or -1 (error). Library code never
 * prints and never exits.
 */
#ifndef PMP_COMMON_H
#define PMP_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PMP_VERSION "0.1.0"

/* ---------- errors ---------- */

/* What kind of failure an error is, so that callers branch on the code and never on
 * the text. Exit codes come from it in one place (pmp_err_exit_code). */
typedef enum pmp_errcode {
    PMP_E_FAIL = 0,      /* a failure not classified more precisely */
    PMP_E_USAGE,         /* a bad option value or argument given by the user (exit 2) */
    PMP_E_INPUT,         /* input that does not follow its format (file:line or offset) */
    PMP_E_IO,            /* a read, write, open or rename failed */
    PMP_E_NOSPACE,       /* the disk is full (ENOSPC, EDQUOT), or a stated --mem budget is */
    PMP_E_CORRUPT,       /* one of our own files fails its checksums or is truncated */
    PMP_E_UNSUPPORTED,   /* a format version or feature this build does not read */
    PMP_E_MISMATCH,      /* inputs that do not belong together (tokenizer vs shards, ...) */
    PMP_E_INTERNAL,      /* a broken invariant or a library that failed to start: a bug */
} pmp_errcode;

typedef struct pmp_err {
    pmp_errcode code;
    char msg[1024];
} pmp_err;

/* Formats into err->msg (if err is not NULL), sets code PMP_E_FAIL and returns -1,
 * so that `return pmp_err_set(err, "...")` reads naturally. */
int pmp_err_set(pmp_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same with a code. */
int pmp_err_setc(pmp_err *err, pmp_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* PMP_E_IO, or PMP_E_NOSPACE when errnum says the disk is full. */
pmp_errcode pmp_errcode_from_errno(int errnum);
/* A failed system call: "<fmt>: <strerror(errnum)>" with the code errnum maps to
 * (pass errno, read before anything can change it). Returns -1. */
int pmp_err_errno(pmp_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message: "context: old message"; the code is kept. Returns -1. */
int pmp_err_prefix(pmp_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The process exit code for an error: PMP_EXIT_USAGE for PMP_E_USAGE, else PMP_EXIT_FAIL. */
int pmp_err_exit_code(const pmp_err *err);
/* A short name for the code ("usage", "input", "io", ...), for --json. */
const char *pmp_errcode_name(pmp_errcode code);

/* ---------- growable byte buffer (the one string type) ---------- */

typedef struct pmp_buf {
    char *data;     /* always NUL-terminated when data != NULL */
    size_t len;
    size_t cap;
} pmp_buf;

#define PMP_BUF_INIT {NULL, 0, 0}

/* Allocation failure aborts: a toolchain that runs out of memory mid-record has
 * no useful way to continue, and checking every append would bury the logic. */
void pmp_buf_reserve(pmp_buf *b, size_t extra);
void pmp_buf_append(pmp_buf *b, const void *p, size_t n);
void pmp_buf_appends(pmp_buf *b, const char *s);
void pmp_buf_appendc(pmp_buf *b, char c);
void pmp_buf_printf(pmp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pmp_buf_vprintf(pmp_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void pmp_buf_clear(pmp_buf *b);   /* len = 0, keeps memory */
void pmp_buf_free(pmp_buf *b);
/* Takes ownership of the contents (NUL-terminated, never NULL) and resets b. */
char *pmp_buf_detach(pmp_buf *b);

void *pmp_xmalloc(size_t n);
void *pmp_xcalloc(size_t n, size_t size);
void *pmp_xrealloc(void *p, size_t n);
/* Zeroed memory for a large table read at random (free() releases it): from 2 MiB
 * up, aligned to 2 MiB and marked for transparent huge pages where the system has
 * them, so that lookups spread over many megabytes do not miss the TLB at every one. */
void *pmp_xcalloc_huge(size_t n);
char *pmp_xstrdup(const char *s);
char *pmp_xstrndup(const char *s, size_t n);
/* 1 when s ends with suffix. */
int pmp_str_ends_with(const char *s, const char *suffix);

/* ---------- UTF-8 ---------- */

/* Returns the byte offset of the first invalid UTF-8 sequence, or len if valid.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t pmp_utf8_check(const char *s, size_t len);
/* Appends s to out with every invalid sequence replaced by U+FFFD. Returns the
 * number of replacements. */
size_t pmp_utf8_sanitize(pmp_buf *out, const char *s, size_t len);
/* Appends code point cp (must be <= 0x10FFFF) as UTF-8. */
void pmp_utf8_put(pmp_buf *out, uint32_t cp);

/* ---------- JSON writing (json.c) ---------- */

/* Appends s as a JSON string literal (with quotes). s must be valid UTF-8;
 * control characters are escaped as \n, \t, ... or \u00XX. */
void pmp_json_put_string(pmp_buf *out, const char *s, size_t len);
/* Appends a finite double in the shortest form that reads back exactly
 * (integers without a fraction). Non-finite values are written as null. */
void pmp_json_put_number(pmp_buf *out, double v);

/* The one JSON writer: an object (and the objects and arrays inside it) appended to
 * a pmp_buf member by member; every JSON file and line pmp writes goes through it.
 *
 * Compact (pmp_jobj_begin): {"a":1,"b":[2,3]}, for JSONL records and machine files.
 * Pretty (pmp_jobj_begin_pretty), for files people read (manifest.json,
 * tokenizer.json): ", " and ": " between members; the root and every container
 * opened with a _lines function put each member on a line of its own, indented two
 * spaces past the line the container was opened on, and the closing bracket on a
 * line of its own unless the container is empty; other containers stay on one line.
 * pmp_jobj_break() starts the next member, or the closing bracket, on a new line in
 * any container (no effect when compact).
 *
 * key is NULL for array elements. Nothing fails; closing more than was opened or
 * nesting deeper than PMP_JOBJ_MAX_DEPTH is a bug and aborts. No trailing newline:
 * callers of line formats append their own '\n'. */
#define PMP_JOBJ_MAX_DEPTH 16
typedef struct pmp_jobj {
    pmp_buf *out;
    int pretty;
    int depth;           /* open containers, the root object included */
    int brk;             /* pmp_jobj_break() pending */
    int indent;          /* spaces at the start of the current output line */
    struct pmp_jobj_level {
        uint32_t n;      /* members written */
        int lines;       /* one member per line */
        int indent;      /* of the line the container was opened on */
        char close;
    } lv[PMP_JOBJ_MAX_DEPTH];
} pmp_jobj;
void pmp_jobj_begin(pmp_jobj *j, pmp_buf *out);
void pmp_jobj_begin_pretty(pmp_jobj *j, pmp_buf *out);
void pmp_jobj_str(pmp_jobj *j, const char *key, const char *s);   /* NULL s: null */
void pmp_jobj_strn(pmp_jobj *j, const char *key, const char *s, size_t len);
void pmp_jobj_num(pmp_jobj *j, const char *key, double v);         /* pmp_json_put_number */
void pmp_jobj_int(pmp_jobj *j, const char *key, long long v);
void pmp_jobj_u64(pmp_jobj *j, const char *key, uint64_t v);
void pmp_jobj_bool(pmp_jobj *j, const char *key, int v);
void pmp_jobj_null(pmp_jobj *j, const char *key);
/* raw: already-serialised JSON (a "meta" object kept as text, ...). */
void pmp_jobj_raw(pmp_jobj *j, const char *key, const char *raw);
/* A value formatted by printf, for numbers in a fixed notation ("%.6f"). */
void pmp_jobj_rawf(pmp_jobj *j, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pmp_jobj_object(pmp_jobj *j, const char *key);
void pmp_jobj_array(pmp_jobj *j, const char *key);
void pmp_jobj_object_lines(pmp_jobj *j, const char *key);
void pmp_jobj_array_lines(pmp_jobj *j, const char *key);
void pmp_jobj_break(pmp_jobj *j);
void pmp_jobj_close(pmp_jobj *j);   /* the innermost open container */
void pmp_jobj_end(pmp_jobj *j);     /* every open container, the root object last */

/* ---------- files that appear whole or not at all (durable.c) ---------- */

/* Writes go to "<path>.tmp"; commit fsyncs it, renames it to path and fsyncs the
 * directory, so after a crash path is either absent, the old file, or the whole
 * new one. Every failure names the file.
 *
 * Fault injection for tests: PMP_FAULT=kill@N or enospc@N (N >= 1) makes the
 * N-th durability-relevant call (write, fsync, rename, directory fsync, unlink)
 * SIGKILL the process or fail with ENOSPC. Read once, at the first call. */
typedef struct pmp_dfile {
    int fd;
    char *path;      /* final name */
    char *tmp;       /* path + ".tmp" */
    uint64_t bytes;
    void *xxh;       /* XXH64 state of every byte written */
} pmp_dfile;

/* Creates path.tmp (truncating a stale one). */
int pmp_dfile_open(pmp_dfile *f, const char *path, pmp_err *err);
int pmp_dfile_write(pmp_dfile *f, const void *p, size_t n, pmp_err *err);
/* fsync, close, rename to the final name, fsync the directory. On failure the
 * temporary file is removed. *xxh64 (may be NULL) = checksum of the whole file. */
int pmp_dfile_commit(pmp_dfile *f, uint64_t *xxh64, pmp_err *err);
/* Closes and removes the temporary file (after an error). */
void pmp_dfile_abort(pmp_dfile *f);
/* Writes a whole small file durably. */
int pmp_write_file_durable(const char *path, const void *p, size_t n, pmp_err *err);
int pmp_fsync_dir(const char *dir, pmp_err *err);
/* unlink counted as a durability-relevant call (a missing file is fine). */
int pmp_durable_unlink(const char *path, pmp_err *err);
/* The path of `target` relative to directory `from_dir` (both must exist; symlinks
 * resolved), e.g. "../tok.json"; returns a malloc'd string, or NULL when either path
 * cannot be resolved. */
char *pmp_relpath(const char *from_dir, const char *target);
/* mkdir -p: dir and every missing parent (0755); an existing directory is fine,
 * an existing non-directory is an error naming it. */
int pmp_mkdir_p(const char *dir, pmp_err *err);
/* Takes an exclusive flock(2) on DIR/NAME (created if absent) without waiting, so two
 * writers of one directory cannot interleave: pmp-train (RUN/lock) and pmp-tokenize
 * (OUT/.lock). *fd holds the lock until closed (or the process ends). A directory held
 * by another process: PMP_E_USAGE, "DIR is being <doing> right now"
 * (doing: "trained by another pmp-train"). */
int pmp_lock_dir(const char *dir, const char *name, const char *doing, int *fd, pmp_err *err);
/* Durability-relevant calls so far (to pick PMP_FAULT points in tests). */
uint64_t pmp_io_count(void);
/* XXH64 with seed 0. */
uint64_t pmp_xxh64(const void *p, size_t n);

/* ---------- reading whole files ---------- */

/* Maps path read-only. An empty file gives *data = "" and *len = 0 (nothing to
 * unmap). Errors name the file. */
int pmp_map_file(const char *path, const void **data, size_t *len, pmp_err *err);
void pmp_unmap_file(const void *data, size_t len);

/* ---------- misc ---------- */

double pmp_now(void);   /* monotonic seconds */
/* ---------- numbers from the command line and config files ----------
 * The one set of parsers: each takes the whole string (no trailing text, no empty
 * string, no overflow) and returns 0, or -1 leaving *out unchanged. Callers word
 * their own usage message, which names the flag and repeats the text as given. */
/* "64M", "1G", "512K", "1000" (binary multiples). */
int pmp_parse_size(const char *s, uint64_t *out);
/* A decimal integer in [lo, hi]. */
int pmp_parse_int(const char *s, long long lo, long long hi, long long *out);
/* A finite number (strtod syntax) in [lo, hi]. */
int pmp_parse_double(const char *s, double lo, double hi, double *out);

/* Peak resident set size of this process in bytes (0 if unknown). */
uint64_t pmp_peak_rss(void);

/* ---------- command-line conventions ---------- */

enum {
    PMP_EXIT_OK = 0,
    PMP_EXIT_FAIL = 1,   /* bad input, I/O error, failed check */
    PMP_EXIT_USAGE = 2,  /* wrong flags or arguments */
};

/* Long options every program accepts; put PMP_CLI_LONGOPTS inside the
 * program's `struct option[]` and pass every getopt result to pmp_cli_option(). */
enum {
    PMP_OPT_HELP = 0x1000,
    PMP_OPT_VERSION,
    PMP_OPT_QUIET,
    PMP_OPT_JSON,
    PMP_OPT_FIRST_FREE = 0x1100   /* programs number their own long-only options from here */
};
#define PMP_CLI_LONGOPTS                                   \
    {"help", no_argument, NULL, PMP_OPT_HELP},             \
    {"version", no_argument, NULL, PMP_OPT_VERSION},       \
    {"quiet", no_argument, NULL, PMP_OPT_QUIET},           \
    {"json", no_argument, NULL, PMP_OPT_JSON}
/* Short options every program accepts (concatenate into the optstring). */
#define PMP_CLI_SHORTOPTS "hq"

typedef struct pmp_stat {
    const char *key;   /* static string */
    int is_num;
    double num;
    char *str;
} pmp_stat;

typedef struct pmp_cli {
    const char *prog;        /* "pmp-extract hh" */
    const char *usage;       /* full --help text, with an example */
    int quiet;
    int json;
    int progress;            /* stderr is a terminal and not quiet */
    const char *error;       /* the code's name of the error pmp_cli_fail_err reported */
    double t_start;
    double t_last_progress;
    pmp_stat *stats;
    size_t n_stats, cap_stats;
} pmp_cli;

/* Also makes the program close stdout at exit and fail (exit 1, "<stdout>: write
 * error") when that or any earlier write to it failed (pmp_cli_dispatch does too). */
void pmp_cli_init(pmp_cli *cli, const char *prog, const char *usage);
/* Handles a getopt result that belongs to the common set. Returns
 *  PMP_CLI_HANDLED   it was one of ours (-q, --json), keep parsing;
 *  PMP_CLI_NOT_OURS  the program handles it;
 *  PMP_CLI_EXIT      stop now and exit with *exit_code (after --help or --version
 *                    printed, or after getopt reported a usage error). */
enum { PMP_CLI_NOT_OURS = 0, PMP_CLI_HANDLED = 1, PMP_CLI_EXIT = 2 };
int pmp_cli_option(pmp_cli *cli, int opt, int *exit_code);
/* Programs with subcommands (pmp-extract SOURCE, pmp-bpe COMMAND, ...). */
typedef struct pmp_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);   /* gets argv from the subcommand's name on */
    const char *summary;
} pmp_subcommand;

/* Runs the subcommand named by argv[1]; handles no argument, --help/-h,
 * --version and unknown names (exit 2). The help text is
 *   "Usage: <synopsis>\n<intro>\n\n<heading>:\n  name  summary ...\n\n" + the
 *   common conventions + "\n\n<outro>". */
int pmp_cli_dispatch(const char *prog, const char *synopsis, const char *intro,
                     const char *heading, const pmp_subcommand *cmds, size_t n,
                     const char *outro, int argc, char **argv);

/* Prints "prog: message" plus a hint to use --help, and returns PMP_EXIT_USAGE. */
int pmp_cli_usage_error(pmp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "bad value 'ARG' for --NAME", NAME looked up by the option's id in longopts (a
 * getopt_long table); returns PMP_EXIT_USAGE. */
struct option;
int pmp_cli_bad_value(pmp_cli *cli, const struct option *longopts, int opt, const char *arg);
/* Prints "prog: message" to stderr and returns PMP_EXIT_FAIL. */
int pmp_cli_fail(pmp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "prog: <err->msg>" to stderr (as a usage error for PMP_E_USAGE), records
 * the code's name for --json's "error" key (pmp_cli_finish), and returns pmp_err_exit_code(err):
 * the one place an error becomes an exit status. */
int pmp_cli_fail_err(pmp_cli *cli, const pmp_err *err);
/* Prints a warning line unless quiet. */
void pmp_cli_warn(pmp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress on stderr, only when cli->progress; rate-limited to ~4 per second, so
 * it is cheap to call per record. in_bytes: input consumed so far. */
void pmp_cli_progress(pmp_cli *cli, uint64_t in_bytes, uint64_t records, const char *unit);
void pmp_cli_progress_done(pmp_cli *cli);

/* Stats, in insertion order; setting an existing key overwrites it. */
void pmp_cli_stat_num(pmp_cli *cli, const char *key, double v);
void pmp_cli_stat_str(pmp_cli *cli, const char *key, const char *v);
/* Prints the stats: as one JSON object line on stderr with --json, else as a
 * one-line "prog: key=value ..." summary unless quiet or rc != 0. Adds "seconds" and
 * "peak_rss_mb". Frees the stats. Returns rc, for `return pmp_cli_finish(&cli, rc)`. */
int pmp_cli_finish(pmp_cli *cli, int rc);

#endif

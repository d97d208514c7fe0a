/* curve.c — sample-efficiency curves (pmp-curve, docs/experiments.md): for every
 * (init, size, seed) cell, finetune a copy of the init on the seeded, nested
 * subsample of `size` training pairs (pmp_loader_subsample: the same pairs for every
 * init) and evaluate it on the whole eval set.
 *
 * Each cell runs in a forked child (a crash or an OOM kill loses one cell, not the
 * sweep; threads are split between --jobs children). The parent alone writes
 * curve.csv, rewriting it durably after every finished cell, so it never holds a
 * partial row; a resumed sweep skips the cells already in it and redoes the rest.
 * A child prints nothing: a failed cell sends its pmp_err up a pipe, and the parent
 * returns it (or hands it to cell_error when the sweep is already stopping). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmp_experiments.h"

const char pmp_curve_csv_header[] =
    "target,init,replicate,size,seed,pairs,groups,steps,eval_pairs,accuracy,accuracy_se,"
    "margin,loss,longer_wins,longer_wins_visible,params,seconds,margins_xxh64,recipe\n";
/* curve.csv before replicates and margins (read by the summary, never resumed) */
const char pmp_curve_csv_header_v1[] =
    "target,init,size,seed,pairs,groups,steps,accuracy,accuracy_se,margin,loss,"
    "longer_wins,longer_wins_visible,seconds,recipe\n";

void pmp_curve_opts_default(pmp_curve_opts *o)
{
    memset(o, 0, sizeof *o);
    pmp_run_opts_default(&o->recipe);
    o->recipe.ckpt_every = 0;
    o->recipe.keep = 1;
    o->seeds = 3;
    o->jobs = 1;
    o->min_steps = 20;
    o->epochs = 2;
}

long pmp_curve_steps(const pmp_curve_opts *o, long size)
{
    if (size == 0) return 0;
    long b = o->recipe.batch_pairs > 0 ? o->recipe.batch_pairs : 1;
    long by_epochs = (long)ceil(o->epochs * (double)size / (double)b);
    return by_epochs > o->min_steps ? by_epochs : o->min_steps;
}

/* What makes two cells comparable, hashed into every row: a sweep resumed with a
 * different recipe is refused rather than mixed. */
uint64_t pmp_curve_recipe_hash(const pmp_curve_opts *o)
{
    const pmp_run_opts *r = &o->recipe;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "v1 obj=%s bin=%d lm=%g batch=%d micro=%d lr=%g min_lr=%g "
                     "wd=%g clip=%g warmup=%ld model=%s ctx=%d min_steps=%ld epochs=%g",
                     pmp_objective_name(r->objective), r->binarize, r->lm_coef, r->batch_pairs,
                     r->micro_batches, r->lr, r->min_lr, r->weight_decay, r->clip, r->warmup,
                     r->model ? r->model : "-", r->context, o->min_steps, o->epochs);
    return pmp_xxh64(buf, (size_t)n);
}

/* ---- curve.csv: read the finished cells, rewrite with one more ---- */

typedef struct cell {
    int init;
    int rep;
    long size;
    int seed;
    int done;
    pid_t pid;
    int errfd;   /* read end of the child's error pipe, while it runs */
} cell;

static int read_file_opt(const char *path, char **out, size_t *len, pmp_err *err)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (!f) {
        if (errno == ENOENT) return 0;
        return pmp_err_setc(err, pmp_errcode_from_errno(errno), "%s: %s", path, strerror(errno));
    }
    pmp_buf b = PMP_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) pmp_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        pmp_buf_free(&b);
        return pmp_err_setc(err, PMP_E_IO, "%s: read failed", path);
    }
    pmp_buf_append(&b, "", 1);
    *out = b.data;
    *len = b.len - 1;
    return 1;
}

/* Marks the cells curve.csv already holds; checks the header and the recipe. */
static int load_done(const pmp_curve_opts *o, const char *csv_path, pmp_buf *csv, cell *cells,
                     size_t n_cells, size_t *n_done, pmp_err *err)
{
    char *text;
    size_t len;
    int have = read_file_opt(csv_path, &text, &len, err);
    if (have < 0) return -1;
    *n_done = 0;
    if (!have || len == 0) {
        pmp_buf_appends(csv, pmp_curve_csv_header);
        free(text);
        return 0;
    }
    size_t hlen = strlen(pmp_curve_csv_header);
    if (len < hlen || memcmp(text, pmp_curve_csv_header, hlen) != 0) {
        int old = len >= strlen(pmp_curve_csv_header_v1) &&
                  !memcmp(text, pmp_curve_csv_header_v1, strlen(pmp_curve_csv_header_v1));
        free(text);
        if (old)
            return pmp_err_setc(err, PMP_E_MISMATCH,
                                "%s: made by an older pmp-curve (no replicates, no margins): "
                                "resume it with that version or use another -o", csv_path);
        return pmp_err_setc(err, PMP_E_MISMATCH, "%s: not a pmp-curve table (header differs)",
                            csv_path);
    }
    pmp_buf_appends(csv, pmp_curve_csv_header);
    char recipe[32];
    snprintf(recipe, sizeof recipe, "%016llx", (unsigned long long)pmp_curve_recipe_hash(o));
    long line_no = 1;
    for (char *p = text + hlen; *p; line_no++) {
        char *nl = strchr(p, '\n');
        if (!nl) break;   /* cannot happen: rows are only ever written whole */
        *nl = 0;
        char target[256], init[256], rec[64];
        long size;
        int seed, r;
        if (sscanf(p, "%255[^,],%255[^,],%d,%ld,%d,", target, init, &r, &size, &seed) != 5) {
            free(text);
            return pmp_err_setc(err, PMP_E_CORRUPT, "%s:%ld: not a curve row", csv_path, line_no + 1);
        }
        const char *last = strrchr(p, ',');
        snprintf(rec, sizeof rec, "%s", last ? last + 1 : "");
        if (strcmp(rec, recipe)) {
            free(text);
            return pmp_err_setc(err, PMP_E_MISMATCH,
                                "%s:%ld: made with another recipe (%s, now %s): use another -o",
                                csv_path, line_no + 1, rec, recipe);
        }
        for (size_t i = 0; i < n_cells; i++)
            if (!cells[i].done && cells[i].size == size && cells[i].seed == seed && cells[i].rep == r &&
                !strcmp(o->inits[cells[i].init].name, init) && !strcmp(o->target, target)) {
                cells[i].done = 1;
                (*n_done)++;
            }
        pmp_buf_appends(csv, p);
        pmp_buf_appends(csv, "\n");
        p = nl + 1;
    }
    free(text);
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void cell_name(const pmp_curve_opts *o, const cell *c, pmp_buf *out)
{
    pmp_buf_printf(out, "%s-r%d-n%ld-s%d", o->inits[c->init].name, c->rep, c->size, c->seed);
}

static void cell_dir(const pmp_curve_opts *o, const cell *c, pmp_buf *out)
{
    pmp_buf_clear(out);
    pmp_buf_printf(out, "%s/cells/", o->out_dir);
    cell_name(o, c, out);
}

/* The child's error, whole, up its pipe (sizeof(pmp_err) < PIPE_BUF: one atomic write
 * into an empty pipe, which cannot block). */
_Static_assert(sizeof(pmp_err) <= PIPE_BUF, "a cell's error must fit one atomic pipe write");
static void send_error(int fd, const pmp_err *err)
{
    ssize_t n = write(fd, err, sizeof *err);
    (void)n;   /* nothing to do about it in the child: the parent then says "failed" */
}

/* The parent: the error a finished child sent, if it sent one whole. */
static int receive_error(int fd, pmp_err *out)
{
    size_t got = 0;
    while (got < sizeof *out) {
        ssize_t n = read(fd, (char *)out + got, sizeof *out - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    out->msg[sizeof out->msg - 1] = '\0';
    return got == sizeof *out;
}

/* The child: one finetune; its row goes to CELL_DIR/row.csv (durably), then exit.
 * A failure goes up errfd. */
static int run_cell(const pmp_curve_opts *o, const cell *c, int threads, int errfd)
{
    pmp_buf dir = PMP_BUF_INIT, row = PMP_BUF_INIT, path = PMP_BUF_INIT;
    cell_dir(o, c, &dir);
    rm_tree(dir.data);   /* a cell killed half-way starts again */
    const pmp_curve_init *in = &o->inits[c->init];
    pmp_run_opts r = o->recipe;
    r.data_dir = o->train_dir;
    r.eval_dir = o->eval_dir;
    r.out_dir = dir.data;
    r.max_pairs = c->size;
    r.subsample_seed = (uint64_t)c->seed;
    r.seed = (uint64_t)c->seed;
    r.init = in->scratch ? NULL : in->srcs[c->rep];
    r.keep_margins = 1;
    if (!in->scratch) r.model = NULL;   /* the architecture comes from the init */
    r.reset_head = in->new_head;
    r.steps = pmp_curve_steps(o, c->size);
    r.threads = threads;
    r.resume = 0;
    r.progress = NULL;
    r.warn = NULL;
    /* size 0: no subsample (nothing is trained), the eval of the init as it is */
    if (c->size == 0) r.max_pairs = 0;
    pmp_run_result res;
    pmp_err err = {0};
    int rc = pmp_run_train(&r, &res, &err);
    if (rc == 0 && !res.evaluated) rc = pmp_err_setc(&err, PMP_E_INTERNAL, "no evaluation was made");
    if (rc < 0) {
        pmp_err_prefix(&err, "cell %s", dir.data);
        send_error(errfd, &err);
        return 1;
    }
    const pmp_eval_result *e = &res.eval;
    double se = e->pairs > 0 ? sqrt(e->accuracy * (1 - e->accuracy) / (double)e->pairs) : 0;
    /* the margins first: a row in curve.csv means its margins file is whole */
    size_t mbytes = (size_t)e->pairs * sizeof(float);
    unsigned char *le = pmp_xmalloc(mbytes ? mbytes : 1);
    for (long i = 0; i < e->pairs; i++) {
        uint32_t u;
        memcpy(&u, &e->margins[i], 4);
        for (int b = 0; b < 4; b++) le[4 * i + b] = (unsigned char)(u >> (8 * b));
    }
    pmp_buf_printf(&path, "%s/margins/", o->out_dir);
    cell_name(o, c, &path);
    pmp_buf_appends(&path, ".f32");
    rc = pmp_write_file_durable(path.data, le, mbytes, &err);
    uint64_t mhash = pmp_xxh64(le, mbytes);
    free(le);
    free(res.eval.margins);
    pmp_buf_printf(&row, "%s,%s,%d,%ld,%d,%llu,%llu,%ld,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%zu,%.2f,"
                   "%016llx,%016llx\n",
                   o->target, in->name, c->rep, c->size, c->seed,
                   (unsigned long long)(c->size ? res.train_pairs : 0),
                   (unsigned long long)(c->size ? res.train_groups : 0), r.steps, e->pairs,
                   e->accuracy, se, e->margin, e->loss, e->longer_wins, e->longer_wins_visible,
                   res.n_params, res.seconds, (unsigned long long)mhash,
                   (unsigned long long)pmp_curve_recipe_hash(o));
    pmp_buf_clear(&path);
    pmp_buf_printf(&path, "%s/row.csv", dir.data);
    if (rc == 0) rc = pmp_write_file_durable(path.data, row.data, row.len, &err);
    if (rc < 0) send_error(errfd, &err);
    pmp_buf_free(&dir);
    pmp_buf_free(&row);
    pmp_buf_free(&path);
    return rc < 0 ? 1 : 0;
}

/* The parent, when a child ends: its row joins curve.csv (rewritten durably); a failed
 * child's own error, when it sent one, is the error. */
static int collect(const pmp_curve_opts *o, cell *c, int status, const char *csv_path,
                   pmp_buf *csv, pmp_err *err)
{
    pmp_buf dir = PMP_BUF_INIT, path = PMP_BUF_INIT;
    cell_dir(o, c, &dir);
    pmp_buf_printf(&path, "%s/row.csv", dir.data);
    char *row = NULL;
    size_t len = 0;
    int rc = 0;
    pmp_err sent;
    int have_sent = receive_error(c->errfd, &sent);
    close(c->errfd);
    c->errfd = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (have_sent && !WIFSIGNALED(status)) {
            *err = sent;
            rc = -1;
        } else {
            rc = pmp_err_setc(err, PMP_E_FAIL, "cell %s %s", dir.data,
                              WIFSIGNALED(status) ? "was killed" : "failed");
        }
    } else if (read_file_opt(path.data, &row, &len, err) <= 0 || !len || row[len - 1] != '\n') {
        rc = pmp_err_setc(err, PMP_E_INTERNAL, "cell %s: no result row", dir.data);
    } else {
        pmp_buf_append(csv, row, len);
        rc = pmp_write_file_durable(csv_path, csv->data, csv->len, err);
        c->done = rc == 0;
        if (rc == 0 && !o->keep_models) rm_tree(dir.data);
    }
    free(row);
    pmp_buf_free(&dir);
    pmp_buf_free(&path);
    return rc;
}


int pmp_curve_run(const pmp_curve_opts *o, pmp_curve_result *res, pmp_err *err)
{
    memset(res, 0, sizeof *res);
    if (o->n_inits < 1 || o->n_sizes < 1 || o->seeds < 1 || o->jobs < 1)
        return pmp_err_setc(err, PMP_E_USAGE, "a curve needs at least one init, size and seed");
    size_t reps = 0;
    for (size_t i = 0; i < o->n_inits; i++) {
        if (o->inits[i].n_srcs < 1 || (o->inits[i].scratch && o->inits[i].n_srcs != 1))
            return pmp_err_setc(err, PMP_E_USAGE, "init %s: no source, or replicates of scratch",
                                o->inits[i].name);
        reps += o->inits[i].n_srcs;
    }
    size_t n_cells = reps * o->n_sizes * (size_t)o->seeds;
    cell *cells = pmp_xcalloc(n_cells, sizeof *cells);
    size_t k = 0;
    /* size-major: the small cells, the ones a reader looks at first, come first; every
     * replicate of an init with every seed (seed s: the same subsample for all) */
    for (size_t s = 0; s < o->n_sizes; s++)
        for (int seed = 0; seed < o->seeds; seed++)
            for (size_t rep = 0; rep < 64; rep++)
                for (size_t i = 0; i < o->n_inits; i++)
                    if (rep < o->inits[i].n_srcs)
                        cells[k++] = (cell){(int)i, (int)rep, o->sizes[s], seed, 0, 0, -1};
    if (k != n_cells) {
        free(cells);
        return pmp_err_setc(err, PMP_E_USAGE, "at most 64 replicates per init");
    }
    pmp_buf csv = PMP_BUF_INIT, path = PMP_BUF_INIT, cdir = PMP_BUF_INIT, mdir = PMP_BUF_INIT;
    pmp_buf_printf(&path, "%s/curve.csv", o->out_dir);
    pmp_buf_printf(&cdir, "%s/cells", o->out_dir);
    pmp_buf_printf(&mdir, "%s/margins", o->out_dir);
    size_t n_done = 0;
    int rc = pmp_mkdir_p(o->out_dir, err);
    if (rc == 0) rc = pmp_mkdir_p(cdir.data, err);
    if (rc == 0) rc = pmp_mkdir_p(mdir.data, err);
    if (rc == 0 && o->baseline) {
        pmp_buf b = PMP_BUF_INIT, bp = PMP_BUF_INIT;
        pmp_buf_printf(&b, "%s\n", o->baseline);
        pmp_buf_printf(&bp, "%s/baseline", o->out_dir);
        rc = pmp_write_file_durable(bp.data, b.data, b.len, err);
        pmp_buf_free(&b);
        pmp_buf_free(&bp);
    }
    if (rc == 0) rc = load_done(o, path.data, &csv, cells, n_cells, &n_done, err);
    res->cells = n_cells;
    res->skipped = n_done;
    int threads = o->recipe.threads > 0 ? o->recipe.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    int per_job = threads / o->jobs > 0 ? threads / o->jobs : 1;
    double t0 = pmp_now();
    size_t next = 0, running = 0, finished = 0, todo = n_cells - n_done;
    while (rc == 0 && (next < n_cells || running > 0)) {
        while (rc == 0 && running < (size_t)o->jobs && next < n_cells) {
            cell *c = &cells[next++];
            if (c->done) continue;
            int pfd[2];
            if (pipe2(pfd, O_CLOEXEC) < 0) {
                rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "pipe: %s", strerror(errno));
                break;
            }
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "fork: %s", strerror(errno));
                close(pfd[0]);
                close(pfd[1]);
                break;
            }
            if (pid == 0) {
                /* a killed sweep takes its cells with it: no orphan may write a
                 * cell directory the resumed sweep is redoing */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() == 1) _exit(1);
                close(pfd[0]);
                _exit(run_cell(o, c, per_job, pfd[1]));
            }
            close(pfd[1]);
            c->errfd = pfd[0];
            c->pid = pid;
            running++;
        }
        if (running == 0) break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            rc = pmp_err_setc(err, pmp_errcode_from_errno(errno), "waitpid: %s", strerror(errno));
            break;
        }
        for (size_t i = 0; i < n_cells; i++)
            if (cells[i].pid == pid) {
                cells[i].pid = 0;
                running--;
                rc = collect(o, &cells[i], status, path.data, &csv, err);
                finished++;
                res->ran++;
                if (o->progress) {
                    double el = pmp_now() - t0;
                    o->progress(o->ctx, n_done + finished, n_cells,
                                el / (double)finished * (double)(todo - finished));
                }
                break;
            }
    }
    /* after an error: let the running cells finish, their rows are kept */
    while (running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) break;
        for (size_t i = 0; i < n_cells; i++)
            if (cells[i].pid == pid) {
                cells[i].pid = 0;
                running--;
                pmp_err e2;
                if (collect(o, &cells[i], status, path.data, &csv, &e2) < 0 && o->cell_error)
                    o->cell_error(o->ctx, &e2);
            }
    }
    res->seconds = pmp_now() - t0;
    free(cells);
    pmp_buf_free(&csv);
    pmp_buf_free(&path);
    pmp_buf_free(&cdir);
    pmp_buf_free(&mdir);
    return rc < 0 ? -1 : 0;
}

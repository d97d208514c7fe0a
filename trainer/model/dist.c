/* dist.c — the ranks of an MPI job, or one rank (pmp_model.h). */
#include "pmp_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PMP_HAVE_MPI
#include <mpi.h>

static int started, rank_, size_ = 1, local_ = 1;
static MPI_Comm world;
/* The sums started by pmp_dist_sum_start, in the order they were started. */
static MPI_Request *pending;
static int n_pending, cap_pending;
/* MPI counts are ints: a larger buffer is summed in pieces of this many floats (the
 * same pieces every time, so the order stays fixed). */
static const size_t piece = (size_t)1 << 30;

/* Launched by mpirun (Open MPI, MPICH/Hydra) or srun (PMI/PMIx): otherwise MPI
 * is not started at all (a singleton MPI_Init is slow and may print warnings). */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

void pmp_dist_init(int *argc, char ***argv)
{
    if (started || !launched()) return;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return;
    started = 1;
    MPI_Comm_dup(MPI_COMM_WORLD, &world);
    MPI_Comm_rank(world, &rank_);
    MPI_Comm_size(world, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_);
    MPI_Comm_free(&local);
}

void pmp_dist_finalize(void)
{
    if (!started) return;
    free(pending);
    pending = NULL;
    n_pending = cap_pending = 0;
    MPI_Comm_free(&world);
    MPI_Finalize();
    started = 0;
}

int pmp_dist_rank(void) { return rank_; }
int pmp_dist_size(void) { return size_; }
int pmp_dist_local_size(void) { return local_; }

int pmp_dist_sum(float *x, size_t n, double *d, size_t nd, pmp_err *err)
{
    if (size_ == 1) return 0;
    for (size_t off = 0; off < n; off += piece) {
        int cnt = (int)(n - off < piece ? n - off : piece);
        if (MPI_Allreduce(MPI_IN_PLACE, x + off, cnt, MPI_FLOAT, MPI_SUM, world) != MPI_SUCCESS)
            return pmp_err_setc(err, PMP_E_IO, "MPI_Allreduce of the gradients failed");
    }
    if (nd && MPI_Allreduce(MPI_IN_PLACE, d, (int)nd, MPI_DOUBLE, MPI_SUM, world) != MPI_SUCCESS)
        return pmp_err_setc(err, PMP_E_IO, "MPI_Allreduce of the step's statistics failed");
    return 0;
}

int pmp_dist_max(double *d, size_t n, pmp_err *err)
{
    if (size_ == 1 || !n) return 0;
    if (MPI_Allreduce(MPI_IN_PLACE, d, (int)n, MPI_DOUBLE, MPI_MAX, world) != MPI_SUCCESS)
        return pmp_err_setc(err, PMP_E_IO, "MPI_Allreduce (max) of the step's statistics failed");
    return 0;
}

int pmp_dist_sum_start(float *x, size_t n, pmp_err *err)
{
    if (size_ == 1) return 0;
    for (size_t off = 0; off < n; off += piece) {
        if (n_pending == cap_pending) {
            int cap = cap_pending ? 2 * cap_pending : 64;
            MPI_Request *p = realloc(pending, sizeof *p * (size_t)cap);
            if (!p) return pmp_err_setc(err, PMP_E_INTERNAL, "out of memory for the gradient sums");
            pending = p, cap_pending = cap;
        }
        int cnt = (int)(n - off < piece ? n - off : piece);
        if (MPI_Iallreduce(MPI_IN_PLACE, x + off, cnt, MPI_FLOAT, MPI_SUM, world,
                           &pending[n_pending]) != MPI_SUCCESS)
            return pmp_err_setc(err, PMP_E_IO, "MPI_Iallreduce of the gradients failed");
        n_pending++;
    }
    /* Open MPI moves a non-blocking collective on only inside MPI calls: test the
     * sums in flight so the earlier blocks progress while the backward pass goes on. */
    int flag;
    MPI_Testall(n_pending, pending, &flag, MPI_STATUSES_IGNORE);
    return 0;
}

int pmp_dist_sum_wait(pmp_err *err)
{
    if (size_ == 1 || !n_pending) return 0;
    int rc = MPI_Waitall(n_pending, pending, MPI_STATUSES_IGNORE);
    n_pending = 0;
    return rc == MPI_SUCCESS ? 0 : pmp_err_setc(err, PMP_E_IO, "MPI_Iallreduce of the gradients failed");
}

/* Set once every rank has learnt, from pmp_dist_any_failed, that the job failed. */
static int failure_agreed;

int pmp_dist_any_failed(int rc)
{
    if (size_ == 1) return rc < 0;
    int bad = rc < 0, any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, world);
    if (any) failure_agreed = 1;
    return any;
}

int pmp_dist_same(unsigned long long v)
{
    if (size_ == 1) return 1;
    unsigned long long lo = 0, hi = 0;
    MPI_Allreduce(&v, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, world);
    MPI_Allreduce(&v, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, world);
    return lo == hi;
}

void pmp_dist_abort(int code)
{
    /* After an agreed failure every rank is on its way out and none waits for another:
     * MPI_Finalize ends the job in order. An abort there could kill the rank that had
     * the error before the launcher relayed its message (seen in tests/trainer/mpi.sh,
     * about once in eight runs: only "another MPI rank failed" reached stderr). */
    if (started && size_ > 1 && !failure_agreed) MPI_Abort(world, code);
}

#else   /* no MPI in this build: one rank */

void pmp_dist_init(int *argc, char ***argv) { (void)argc; (void)argv; }
void pmp_dist_finalize(void) {}
int pmp_dist_rank(void) { return 0; }
int pmp_dist_size(void) { return 1; }
int pmp_dist_local_size(void) { return 1; }
int pmp_dist_sum(float *x, size_t n, double *d, size_t nd, pmp_err *err)
{
    (void)x; (void)n; (void)d; (void)nd; (void)err;
    return 0;
}
int pmp_dist_sum_start(float *x, size_t n, pmp_err *err)
{
    (void)x; (void)n; (void)err;
    return 0;
}
int pmp_dist_sum_wait(pmp_err *err) { (void)err; return 0; }
int pmp_dist_max(double *d, size_t n, pmp_err *err)
{
    (void)d; (void)n; (void)err;
    return 0;
}
int pmp_dist_any_failed(int rc) { return rc < 0; }
int pmp_dist_same(unsigned long long v) { (void)v; return 1; }
void pmp_dist_abort(int code) { (void)code; }

#endif

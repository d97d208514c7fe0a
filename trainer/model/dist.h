/* dist.h — data parallelism over MPI (docs/scaling.md): the ranks of one
 * `mpirun -np N pmp-train …` job. Internal to trainer/.
 *
 * Without MPI in the build, or when the program was not started by mpirun/srun
 * (no launcher environment), there is one rank and every call is a no-op: the
 * non-MPI path is the program as it always was.
 *
 * Rules, stated once:
 *  - every rank runs the same steps on the same parameters; rank r computes the
 *    micro-batches [r*K, (r+1)*K) of the step's N*K (so the global batch is the
 *    same whatever N), and the gradients are summed with one MPI_Allreduce over the
 *    whole gradient buffer per step (fused), or (--allreduce overlap) block by block
 *    with MPI_Iallreduce as the last micro-batch's backward pass finishes each block,
 *    waited for before the update; then every rank clips and updates identically;
 *  - MPI's reduction order for a given N, message size and launch is fixed, so a
 *    run with N ranks is bit-identical to itself when resumed; against 1 rank it
 *    agrees to fp32 summation tolerance; resumed on another N it goes on with the same
 *    global batches and records the change (config.json rank_changes);
 *  - rank 0 alone writes config.json, args.json, log.jsonl, checkpoints and the
 *    summary; every rank reads the same checkpoint on resume;
 *  - an error on one rank aborts the job (MPI_Abort): no rank waits forever. */
#ifndef PMP_DIST_H
#define PMP_DIST_H

#include <stddef.h>

#include "pmp_trainer.h"   /* pmp_dist_init, _finalize, _rank, _size, _abort, _describe */

/* Ranks on this host (threads per rank default to cores / this). */
int pmp_dist_local_size(void);
/* Sums n floats (and nd doubles) over the ranks, in place. */
int pmp_dist_sum(float *x, size_t n, double *d, size_t nd, pmp_err *err);
/* The maximum of each of n doubles over the ranks, in place (a minimum: negate). */
int pmp_dist_max(double *d, size_t n, pmp_err *err);
/* Starts summing n floats over the ranks, in place (x must not change until
 * pmp_dist_sum_wait); every rank starts the same sums in the same order. */
int pmp_dist_sum_start(float *x, size_t n, pmp_err *err);
/* Waits for every sum started. */
int pmp_dist_sum_wait(pmp_err *err);
/* 1 when rc < 0 on any rank (all ranks must call it at the same point). */
int pmp_dist_any_failed(int rc);
/* 1 when v is the same on every rank. */
int pmp_dist_same(unsigned long long v);

#endif

/*
 * dist.h -- one run spread over the processes of an MPI job.
 *
 * Under `mpirun -n N capsim run|sweep|check ...` every process (rank)
 * runs the same program: it parses the same arguments, loads the same
 * files and plans the same units of work.  Each simulates only its share
 * of every window of units, then the ranks exchange what they computed
 * (run/slot.c) so that each holds every unit's result and carries on as
 * one process would.  Rank 0 alone prints and writes files (cli/main.c).
 *
 * This module is the only one that calls MPI.  It owns no global state:
 * the job is a run_dist, made once by main() and passed down (run_opts
 * .dist).  A process not started by mpirun gets no run_dist at all (NULL)
 * and never touches MPI, so a plain `capsim run` pays nothing for it and
 * Open MPI's singleton start-up (which starts a helper daemon) is never
 * reached.  Every function here takes NULL as "one process": rank 0 of
 * 1, every piece its own, exchanges that move nothing.  A build without
 * MPI (CAPSIM_MPI off or Open MPI not found) has the same functions, and
 * run_dist_new always gives NULL.
 *
 * Which process runs which piece is fixed by one rule, run_dist_count and
 * run_dist_piece, and both the simulating side and the receiving side use
 * it: piece k of a window belongs to rank k mod N.
 */
#ifndef RUN_DIST_H
#define RUN_DIST_H

#include <stddef.h>

typedef struct run_dist run_dist;      /* opaque */

/*
 * Joins the MPI job when this process was started by mpirun (the
 * launcher's OMPI_COMM_WORLD_SIZE or PMIX_RANK is in the environment);
 * else *out is NULL.  (`mpirun -n 1` makes a job of one: it works, and
 * pays for MPI's start for nothing.)  Call it before
 * any thread starts: only the calling thread may use the run_dist
 * afterwards (MPI_THREAD_FUNNELED).  SIM_OK, SIM_ENOMEM, or SIM_EIO when
 * MPI would not start.
 */
int run_dist_new(run_dist **out /* OUT */);

/*
 * Agrees on rank 0's exit code: every rank gets `code` of rank 0
 * (collective: every rank must call it, once, after its last exchange).
 * NULL returns `code`.
 */
int run_dist_agree(run_dist *d, int code);

/*
 * Ends the whole job now with `code`, from any rank, whatever the others
 * are doing: for a failure one rank meets alone (out of memory, a file
 * rank 0 could not write), which would otherwise leave the others
 * waiting for it in an exchange.  Returns only when `d` is NULL.
 */
void run_dist_abort(run_dist *d, int code);

/* Leaves MPI and frees `d`; NULL is a no-op. */
void run_dist_free(run_dist *d);

/* This process's rank (0 for NULL) and the job's size (1 for NULL). */
unsigned run_dist_rank(const run_dist *d);
unsigned run_dist_size(const run_dist *d);

/* How many of pieces 0..n-1 rank `rank` runs, and which is its i-th
 * (i < run_dist_count(d, rank, n)).  Pieces go round the ranks in turn:
 * rank r runs r, r + N, r + 2N, ... */
size_t run_dist_count(const run_dist *d, unsigned rank, size_t n);
size_t run_dist_piece(const run_dist *d, unsigned rank, size_t i);

/*
 * Every rank's bytes, in rank order (collective).  `mine` is this rank's
 * `len` bytes; `ok` 0 says this rank could not make them (it then sends
 * none).  On SIM_OK, *all (free with sim_free) holds rank r's bytes at
 * offs[r], lens[r] long; offs and lens have run_dist_size(d) entries.
 * When any rank passed ok 0 or could not take the others' bytes, every
 * rank returns the same failure (SIM_ENOMEM), so they stay in step; so
 * does a total past what one MPI call moves (SIM_ERANGE: 2 GiB).  A
 * failure of MPI itself ends the job (MPI's default handler; dist.c says
 * why).
 */
int run_dist_allgather(run_dist *d, const void *mine, size_t len, int ok,
                       unsigned char **all /* OUT */, size_t *offs /* OUT */,
                       size_t *lens /* OUT */);

/* 1 when every rank passed ok != 0, else 0 on every rank (collective). */
int run_dist_all_ok(run_dist *d, int ok);

#endif

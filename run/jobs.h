/*
 * jobs.h -- a fixed pool of threads that runs numbered pieces of work.
 *
 * run_jobs_run(j, n, fn, done, arg) calls fn(arg, i) once for every i in
 * [0, n) and returns when every call has returned.  The calling thread
 * works too: a pool of one thread starts no thread at all and runs i = 0,
 * 1, 2, ... in that order on the caller, which is exactly the program
 * without a pool.
 *
 * Pieces start in index order (a thread that is free takes the lowest
 * index nobody has taken) and finish in whatever order the machine gives.
 * The pool makes no promise about which thread runs a piece, so output
 * stays deterministic only when the caller keeps to two rules: a piece
 * writes nothing but its own slot (memory the caller set aside for index
 * i before the run), and the caller reads the slots in index order after
 * run_jobs_run returns.  Then nothing that depends on scheduling -- which
 * piece ended first, how many threads there were -- can reach a result.
 *
 * `done` (may be NULL) is called after each fn(arg, i), on the thread that
 * ran it, in the order the pieces finish, never two at once: the pool
 * holds its lock around the call.  It is for counting progress; it must
 * be quick (a piece finishing meanwhile waits for it) and must not call
 * into the pool.
 *
 * A pool has no global state and allocates nothing per run.  One run at
 * a time: run_jobs_run is not itself thread-safe, and fn must not call it.
 */
#ifndef RUN_JOBS_H
#define RUN_JOBS_H

#include <stddef.h>

typedef struct run_jobs run_jobs;      /* opaque */

typedef void (*run_job_fn)(void *arg, size_t i);

/*
 * A pool of `threads` threads, the caller's included (threads - 1 are
 * started).  0 is taken as 1.  If the system refuses a thread, the pool
 * keeps those it has: the results do not depend on how many threads
 * there are, only the time does.  SIM_OK or SIM_ENOMEM.
 */
int run_jobs_new(unsigned threads, run_jobs **out /* OUT */);

/* Stops and joins the threads and frees the pool.  No run may be in
 * progress.  NULL is a no-op. */
void run_jobs_free(run_jobs *j);

/* The threads that work on a run, the caller's included (>= 1). */
unsigned run_jobs_threads(const run_jobs *j);

/* Runs fn(arg, i) for every i in [0, n), as the header comment says. */
void run_jobs_run(run_jobs *j, size_t n, run_job_fn fn, run_job_fn done,
                  void *arg);

#endif

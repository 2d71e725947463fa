/*
 * jobs.c -- a fixed pool of threads (jobs.h).
 *
 * One mutex guards the batch: the function, its argument, the next index
 * to hand out and the count of pieces finished.  A thread takes an index
 * under the lock and runs the piece without it.  The pieces this pool is
 * built for are whole simulations, milliseconds to seconds each, so one
 * lock taken twice per piece costs nothing measurable.
 *
 * Rejected:
 *  - An atomic counter for the next index.  It saves the lock on taking
 *    a piece, which is not where the time goes, and the finish count
 *    still needs a lock and a condition variable for the caller to sleep
 *    on, so both would be needed.
 *  - A work queue with a task per piece (a node allocated per piece).  A
 *    run hands out 0..n-1 and nothing else, which a counter says in two
 *    words; a queue would allocate per piece and could fail half-way.
 *  - Threads started per run.  A sweep or a check runs one batch per
 *    scenario, hundreds in a grid; starting and joining threads for each
 *    costs more than a fluid scenario's whole run.  The threads start
 *    once, with the pool, and sleep on a condition variable in between.
 *  - Work stealing or per-thread chunks.  Handing out one index at a time
 *    balances pieces of very different lengths (a per-agent deployment
 *    of 100,000 instances beside a pool of one) at the price of the lock
 *    above.
 */
#include "run/jobs.h"

#include <pthread.h>

#include "base/alloc.h"
#include "base/fixed.h"

struct run_jobs {
    pthread_mutex_t mu;
    pthread_cond_t work;        /* a run started, or the pool is closing */
    pthread_cond_t idle;        /* the run's last piece finished */
    pthread_t *tid;
    unsigned started;           /* threads started (the caller not counted) */
    int closing;
    /* The run in progress; n == next when there is nothing to take. */
    run_job_fn fn, done;
    void *arg;
    size_t n, next, finished;
};

/* Takes and runs pieces until none is left to take.  Called with the
 * lock held, and returns with it held. */
static void take_pieces(run_jobs *j)
{
    while (j->next < j->n) {
        size_t i = j->next++;
        run_job_fn fn = j->fn, done = j->done;
        void *arg = j->arg;
        pthread_mutex_unlock(&j->mu);
        fn(arg, i);
        pthread_mutex_lock(&j->mu);
        if (done)
            done(arg, i);
        if (++j->finished == j->n)
            pthread_cond_signal(&j->idle);
    }
}

static void *worker(void *p)
{
    run_jobs *j = p;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->closing && j->next >= j->n)
            pthread_cond_wait(&j->work, &j->mu);
        if (j->closing)
            break;
        take_pieces(j);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int run_jobs_new(unsigned threads, run_jobs **out)
{
    *out = NULL;
    run_jobs *j = sim_calloc(1, sizeof *j);
    if (!j)
        return SIM_ENOMEM;
    if (threads > 1 && !(j->tid = sim_calloc(threads - 1, sizeof *j->tid))) {
        sim_free(j);
        return SIM_ENOMEM;
    }
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        sim_free(j->tid);
        sim_free(j);
        return SIM_ENOMEM;
    }
    if (pthread_cond_init(&j->work, NULL) != 0) {
        pthread_mutex_destroy(&j->mu);
        sim_free(j->tid);
        sim_free(j);
        return SIM_ENOMEM;
    }
    if (pthread_cond_init(&j->idle, NULL) != 0) {
        pthread_cond_destroy(&j->work);
        pthread_mutex_destroy(&j->mu);
        sim_free(j->tid);
        sim_free(j);
        return SIM_ENOMEM;
    }
    /* A thread the system refuses (EAGAIN: a process or memory limit) is
     * not an error: fewer threads give the same results, later. */
    for (unsigned t = 0; t + 1 < threads; t++) {
        if (pthread_create(&j->tid[t], NULL, worker, j) != 0)
            break;
        j->started++;
    }
    *out = j;
    return SIM_OK;
}

void run_jobs_free(run_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->closing = 1;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->mu);
    for (unsigned t = 0; t < j->started; t++)
        pthread_join(j->tid[t], NULL);
    pthread_cond_destroy(&j->idle);
    pthread_cond_destroy(&j->work);
    pthread_mutex_destroy(&j->mu);
    sim_free(j->tid);
    sim_free(j);
}

unsigned run_jobs_threads(const run_jobs *j)
{
    return j->started + 1;
}

void run_jobs_run(run_jobs *j, size_t n, run_job_fn fn, run_job_fn done,
                  void *arg)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&j->mu);
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    j->n = n;
    j->next = 0;
    j->finished = 0;
    if (j->started)
        pthread_cond_broadcast(&j->work);
    take_pieces(j);
    while (j->finished < j->n)
        pthread_cond_wait(&j->idle, &j->mu);
    pthread_mutex_unlock(&j->mu);
}

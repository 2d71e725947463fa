/*
 * test_jobs.c -- the thread pool (run/jobs.h): every piece runs exactly
 * once, the finish hook sees each one, one at a time, and a pool of one
 * thread runs the pieces in order on the caller.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "base/fixed.h"
#include "run/jobs.h"

#define N 1000

typedef struct tally {
    int ran[N];
    int seen[N];
    size_t order[N];
    size_t nordered;
    int in_done;            /* a finish hook is running */
    int overlapped;         /* two ran at once */
    pthread_t caller;
    int off_caller;         /* a piece ran on another thread */
} tally;

static void piece(void *arg, size_t i)
{
    tally *t = arg;
    /* Work enough that threads overlap. */
    volatile double x = 0;
    for (int k = 0; k < 20000; k++)
        x += (double)k * (double)i;
    t->ran[i]++;
    if (!pthread_equal(pthread_self(), t->caller))
        __atomic_store_n(&t->off_caller, 1, __ATOMIC_RELAXED);
}

static void finished(void *arg, size_t i)
{
    tally *t = arg;
    if (t->in_done)
        t->overlapped = 1;
    t->in_done = 1;
    t->seen[i]++;
    t->order[t->nordered++] = i;
    t->in_done = 0;
}

Test(run_jobs, every_piece_runs_once_and_is_seen_once)
{
    static tally t;
    run_jobs *j;
    cr_assert_eq(run_jobs_new(4, &j), SIM_OK);
    for (int round = 0; round < 3; round++) {
        memset(&t, 0, sizeof t);
        t.caller = pthread_self();
        run_jobs_run(j, N, piece, finished, &t);
        for (size_t i = 0; i < N; i++) {
            cr_assert_eq(t.ran[i], 1, "round %d: piece %zu ran %d times",
                         round, i, t.ran[i]);
            cr_assert_eq(t.seen[i], 1);
        }
        cr_assert_eq(t.nordered, N);
        cr_assert_not(t.overlapped);
    }
    run_jobs_free(j);
}

Test(run_jobs, one_thread_runs_in_order_on_the_caller)
{
    static tally t;
    run_jobs *j;
    memset(&t, 0, sizeof t);
    t.caller = pthread_self();
    cr_assert_eq(run_jobs_new(1, &j), SIM_OK);
    cr_assert_eq(run_jobs_threads(j), 1);
    run_jobs_run(j, N, piece, finished, &t);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(t.order[i], i);
    cr_assert_not(t.off_caller);
    run_jobs_free(j);
}

Test(run_jobs, other_threads_take_pieces)
{
    static tally t;
    run_jobs *j;
    memset(&t, 0, sizeof t);
    t.caller = pthread_self();
    cr_assert_eq(run_jobs_new(3, &j), SIM_OK);
    cr_assert_eq(run_jobs_threads(j), 3);
    run_jobs_run(j, N, piece, NULL, &t);
    cr_assert(t.off_caller, "every piece ran on the calling thread");
    run_jobs_free(j);
}

Test(run_jobs, nothing_to_run_and_zero_threads)
{
    run_jobs *j;
    cr_assert_eq(run_jobs_new(0, &j), SIM_OK);
    cr_assert_eq(run_jobs_threads(j), 1);
    run_jobs_run(j, 0, piece, finished, NULL);
    run_jobs_free(j);
    run_jobs_free(NULL);
}

/*
 * pool.c -- benchmarks of the event queue (sim/evq.c) and of the instance
 * pool (sim/pool.c) that runs on it.
 *
 * usage: poolbench [-n ops] [-r repeats] [-s seed] [-c instances]
 *                  [-l lambda] [-H seconds]
 *
 * (a) The hold model: n events pending (10^3, 10^5, 10^6), each step pops
 *     the least and pushes it back at its time plus an exponential
 *     increment of mean 1 s (10^6 ticks), priority 0.  After n warm-up
 *     steps, `ops` steps (default 2,000,000) are timed, `repeats` times
 *     (default 3) on the same queue, best of them.  Prints ns per hold
 *     (pop + push, about 9 ns of it drawing the increment) and events
 *     per second (one event executed per hold).
 * (b) An M/M/c pool through sim_pool_run: c instances of one slot
 *     (default 100), Poisson arrivals at lambda per second (default 80),
 *     exponential service of mean 1 s, unbounded queue, horizon H
 *     (default 10,000 s); the messages are drawn by the benchmark.
 *     Events are arrivals plus departures (as scheduled; the at most c
 *     still in service at H never run).  Prints events per second and ns
 *     per event, best of `repeats`.
 * Every parameter is printed first; seed default 42.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/evq.h"
#include "base/alloc.h"
#include "base/fixed.h"
#include "sim/pool.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int64_t increment(sim_rng *r)
{
    return llround(-log(sim_rng_uniform(r)) * 1e6);
}

/* Fills a queue with n events and runs n warm-up holds, then `repeats`
 * timed runs of `ops` holds on the same queue; returns the best seconds,
 * or a negative number when the queue ran out of memory. */
static double hold(long n, long ops, long repeats, uint64_t seed,
                   uint64_t *check)
{
    evq q;
    evq_event ev;
    sim_rng r;
    double best = -1;
    sim_rng_seed(&r, seed, 0, 0, SIM_STREAM_ARRIVALS);
    evq_init(&q);
    for (long i = 0; i < n; i++)
        if (evq_schedule(&q, increment(&r), 0, 0, (uint64_t)i, NULL) != SIM_OK)
            goto done;
    for (long k = -1; k < repeats; k++) {
        long steps = k < 0 ? n : ops;
        double t0 = now();
        for (long i = 0; i < steps; i++) {
            evq_pop(&q, &ev);
            *check += ev.payload;
            if (evq_schedule(&q, ev.time + increment(&r), 0, 0, ev.payload,
                             NULL) != SIM_OK) {
                best = -1;
                goto done;
            }
        }
        double dt = now() - t0;
        if (k >= 0 && (best < 0 || dt < best))
            best = dt;
    }
done:
    evq_fini(&q);
    return best;
}

typedef struct poisson_src {
    sim_rng arr, svc;
    double lambda, t;
} poisson_src;

static int poisson_next(void *ctx, sim_msg *m)
{
    poisson_src *s = ctx;
    s->t += -log(sim_rng_uniform(&s->arr)) / s->lambda;
    m->t = s->t;
    m->busy = -log(sim_rng_uniform(&s->svc));
    m->agent = 0;
    return 1;
}

int main(int argc, char **argv)
{
    long ops = 2000000, repeats = 3, c = 100;
    double lambda = 80, horizon = 10000;
    unsigned long long seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-n") == 0)
            ops = atol(argv[i + 1]);
        else if (strcmp(argv[i], "-r") == 0)
            repeats = atol(argv[i + 1]);
        else if (strcmp(argv[i], "-s") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-c") == 0)
            c = atol(argv[i + 1]);
        else if (strcmp(argv[i], "-l") == 0)
            lambda = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-H") == 0)
            horizon = atof(argv[i + 1]);
        else {
            fprintf(stderr, "usage: poolbench [-n ops] [-r repeats] "
                    "[-s seed] [-c instances] [-l lambda] [-H seconds]\n");
            return 2;
        }
    }
    if (ops < 1 || repeats < 1 || c < 0 || lambda <= 0 || horizon <= 0) {
        fprintf(stderr, "poolbench: counts and rates must be positive\n");
        return 2;
    }
    printf("seed %llu\nrepeats %ld\n", seed, repeats);

    printf("hold: ops %ld, increment Exp(mean 1e6 ticks), priority 0, "
           "arity 4, lazy cancel\n", ops);
    static const long sizes[] = {1000, 100000, 1000000};
    for (int k = 0; k < 3; k++) {
        uint64_t check = 0;
        double best = hold(sizes[k], ops, repeats, seed, &check);
        if (best < 0) {
            fprintf(stderr, "poolbench: out of memory\n");
            return 1;
        }
        printf("hold n %ld: ns_per_op %.1f events_per_s %.0f (check %llu)\n",
               sizes[k], best / ops * 1e9, ops / best,
               (unsigned long long)check);
    }

    sim_pool_params p;
    memset(&p, 0, sizeof p);
    p.horizon = horizon;
    p.slots = 1;
    p.instances = c;
    p.queue_limit = -1;
    printf("pool: M/M/c, c %ld, lambda %g /s, service Exp(mean 1 s), "
           "H %g s, rho %.3f\n", c, lambda, horizon, lambda / (double)c);
    sim_pool_stats *st = sim_alloc(sizeof *st);
    if (!st) {
        fprintf(stderr, "poolbench: out of memory\n");
        return 1;
    }
    double best = 1e30;
    for (long r = 0; r < repeats; r++) {
        poisson_src s;
        sim_rng_seed(&s.arr, seed, 0, 0, SIM_STREAM_ARRIVALS);
        sim_rng_seed(&s.svc, seed, 0, 0, SIM_STREAM_SERVICE);
        s.lambda = lambda;
        s.t = 0;
        double t0 = now();
        int rc = sim_pool_run(&p, poisson_next, &s, st);
        double dt = now() - t0;
        if (rc != SIM_OK) {
            fprintf(stderr, "poolbench: %s\n", sim_strerror(rc));
            sim_free(st);
            return 1;
        }
        if (dt < best)
            best = dt;
    }
    /* Departures are counted as scheduled: the few still in service at
     * H (at most c) never run, a negligible excess. */
    double events = (double)st->messages + (double)st->served;
    printf("messages %llu\nserved %llu\nqueued %llu\nmean_wait_s %.6f\n"
           "seconds %.3f\nevents %.0f\nevents_per_s %.0f\nns_per_event %.1f\n",
           (unsigned long long)st->messages,
           (unsigned long long)st->served, (unsigned long long)st->queued,
           st->served ? st->wait_s / (double)st->served : 0, best, events,
           events / best, best / events * 1e9);
    sim_free(st);
    return 0;
}

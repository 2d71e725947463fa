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
 * (b) An M/M/c pool: c instances of one slot (default 100), Poisson
 *     arrivals at lambda per second (default 80), exponential service of
 *     mean 1 s, unbounded queue, horizon H (default 10,000 s), through
 *     both engines a fixed pool can run on: sim_pool_run (the event
 *     queue) and sim_fifo_run (the FIFO recursion run_pools uses for
 *     fixed pools).  Each is timed twice, best of `repeats`: with the
 *     messages drawn by the benchmark as the engine pulls them (two
 *     exponential draws a message, as a workload source would make), and
 *     with the same messages drawn beforehand into an array, which times
 *     the engine alone; the draws alone are timed too.  For the event
 *     queue it prints events (arrivals plus departures, as scheduled;
 *     the at most c still in service at H never run) per second as
 *     well, and for both messages per second and ns per message.  The
 *     two engines' statistics must be identical, or it says so and
 *     fails.
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
#include "sim/fifo.h"
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

typedef int (*engine_fn)(const sim_pool_params *,
                         int (*)(void *, sim_msg *), void *,
                         sim_pool_stats *);

typedef struct list_src {
    const sim_msg *v;
    size_t n, i;
} list_src;

static int list_next(void *ctx, sim_msg *m)
{
    list_src *s = ctx;
    if (s->i == s->n)
        return 0;
    *m = s->v[s->i++];
    return 1;
}

static void poisson_start(poisson_src *s, uint64_t seed, double lambda)
{
    sim_rng_seed(&s->arr, seed, 0, 0, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&s->svc, seed, 0, 0, SIM_STREAM_SERVICE);
    s->lambda = lambda;
    s->t = 0;
}

/* Best seconds of `repeats` runs of `run`, drawing the messages as it
 * pulls them (v == NULL) or reading them from v[0..n); *rc as the engine
 * returns. */
static double time_engine(engine_fn run, const sim_pool_params *p,
                          double lambda, uint64_t seed, long repeats,
                          const sim_msg *v, size_t n, sim_pool_stats *st,
                          int *rc)
{
    double best = 1e30;
    for (long r = 0; r < repeats; r++) {
        poisson_src s;
        list_src l = {v, n, 0};
        poisson_start(&s, seed, lambda);
        double t0 = now();
        *rc = v ? run(p, list_next, &l, st) : run(p, poisson_next, &s, st);
        double dt = now() - t0;
        if (*rc != SIM_OK)
            return -1;
        if (dt < best)
            best = dt;
    }
    return best;
}

static void report(const char *what, double secs, double msgs)
{
    printf("%s: seconds %.4f messages_per_s %.0f ns_per_message %.1f\n",
           what, secs, msgs / secs, secs / msgs * 1e9);
}

/* Times the M/M/c pool through both engines; SIM_OK, or an error (out of
 * memory, or statistics that differ) already reported. */
static int run_pools(const sim_pool_params *p, double lambda, uint64_t seed,
                     long repeats)
{
    sim_pool_stats *a = sim_alloc(sizeof *a), *b = sim_alloc(sizeof *b);
    sim_msg *v = NULL;
    size_t n = 0, cap = 0;
    int rc = a && b ? SIM_OK : SIM_ENOMEM;

    /* The messages up to the horizon, and the one after it that ends
     * the run, drawn once for the engine-only timings. */
    double draw = 1e30;
    for (long r = 0; rc == SIM_OK && r < repeats; r++) {
        poisson_src s;
        poisson_start(&s, seed, lambda);
        n = 0;
        double t0 = now();
        for (;;) {
            if (n == cap) {
                size_t c2 = cap ? 2 * cap : 1 << 16;
                sim_msg *w = sim_reallocarray(v, c2, sizeof *w);
                if (!w) {
                    rc = SIM_ENOMEM;
                    break;
                }
                v = w;
                cap = c2;
            }
            poisson_next(&s, &v[n]);
            if (v[n++].t > p->horizon)
                break;
        }
        double dt = now() - t0;
        if (dt < draw)
            draw = dt;
    }
    double ev = 0, fv = 0, ea = 0, fa = 0;
    if (rc == SIM_OK)
        ev = time_engine(sim_pool_run, p, lambda, seed, repeats, NULL, 0, a,
                         &rc);
    if (rc == SIM_OK)
        fv = time_engine(sim_fifo_run, p, lambda, seed, repeats, NULL, 0, b,
                         &rc);
    if (rc == SIM_OK && memcmp(a, b, sizeof *a) != 0) {
        fprintf(stderr, "poolbench: the engines' statistics differ\n");
        rc = SIM_EINVAL;
    }
    if (rc == SIM_OK)
        ea = time_engine(sim_pool_run, p, lambda, seed, repeats, v, n, a,
                         &rc);
    if (rc == SIM_OK)
        fa = time_engine(sim_fifo_run, p, lambda, seed, repeats, v, n, b,
                         &rc);
    if (rc == SIM_OK && memcmp(a, b, sizeof *a) != 0) {
        fprintf(stderr, "poolbench: the engines' statistics differ\n");
        rc = SIM_EINVAL;
    }
    if (rc != SIM_OK) {
        if (rc == SIM_ENOMEM)
            fprintf(stderr, "poolbench: %s\n", sim_strerror(rc));
        sim_free(a);
        sim_free(b);
        sim_free(v);
        return rc;
    }
    double msgs = (double)b->messages, events = msgs + (double)a->served;
    printf("messages %llu\nserved %llu\nqueued %llu\nmean_wait_s %.6f\n"
           "identical_stats yes\n",
           (unsigned long long)b->messages, (unsigned long long)b->served,
           (unsigned long long)b->queued,
           b->served ? b->wait_s / (double)b->served : 0);
    report("draw only", draw, msgs);
    printf("event queue, drawn: events %.0f events_per_s %.0f "
           "ns_per_event %.1f\n", events, events / ev, ev / events * 1e9);
    report("event queue, drawn", ev, msgs);
    report("fifo, drawn", fv, msgs);
    report("event queue, pre-drawn", ea, msgs);
    report("fifo, pre-drawn", fa, msgs);
    sim_free(a);
    sim_free(b);
    sim_free(v);
    return SIM_OK;
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
    return run_pools(&p, lambda, seed, repeats) == SIM_OK ? 0 : 1;
}

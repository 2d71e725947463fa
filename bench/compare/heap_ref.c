/*
 * heap_ref.c -- the CSB-1 cold-start benchmark as a plain discrete-event
 * simulation: one global binary-heap pending-event set shared by all N
 * containers, with arrival, cold-start-end, departure and idle-timeout
 * events.  A cancelled idle timer stays in the heap and is skipped when
 * popped, because its generation number no longer matches the
 * container's (a tombstone).  This is the baseline a typical hand-written
 * C simulator would give; it does not depend on capsim.
 *
 * usage: heap_ref [-n N] [-H seconds] [-s seed] [-r repeats]
 *
 * The model and the random-number recipe are those of CSB-1: N containers,
 * Poisson messages at 1/600 per second, lognormal service times (median
 * 12 s, sigma 1) drawn at arrival, a 5 s cold start, a 300 s idle timeout,
 * a 30-day horizon, and one SplitMix64 stream per (container, purpose).
 * Events at times <= H are executed; ties are broken arrival first, then
 * timeout, then cold-start end, then departure.
 *
 * Output, one "name value" pair a line, with the same names as capsim's
 * csb1: messages, cold_starts, timeouts, awake_s (%.17g), awake_fraction,
 * cold_starts_per_container_hour, seconds (best of the repeats),
 * logical_events, events_per_s and ns_per_event.  Logical events are
 * counted as csb1 counts them: arrivals + departures + cold starts + fired
 * timeouts.  Two more lines follow: executed_events (events actually
 * popped and handled, where a cold start that would end after H is not
 * executed) and stale_pops (cancelled timers popped and skipped).
 *
 * Build: cc -O2 -Wall -Wextra -ffp-contract=off heap_ref.c -o heap_ref -lm
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/alloc.h"

/* The CSB-1 parameters. */
#define LAMBDA (1.0 / 600)      /* messages per second per container */
#define COLD 5.0                /* cold start, seconds */
#define IDLE 300.0              /* idle timeout, seconds */
#define TWO_PI 6.283185307179586
#define PHI 0x9E3779B97F4A7C15ULL

/* ---------------------------------------------------------------------
 * Random numbers: SplitMix64, one stream per (container, purpose).
 * ------------------------------------------------------------------ */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Stream k of container i: k = 0 for arrivals, k = 1 for service times. */
static uint64_t stream_seed(uint64_t seed, uint64_t i, uint64_t k)
{
    return mix(seed + PHI * (2 * i + k + 1));
}

/* A uniform draw on (0, 1), never 0 or 1. */
static double uniform(uint64_t *x)
{
    *x += PHI;
    return ((double)(mix(*x) >> 11) + 0.5) * 0x1.0p-53;
}

static double interarrival(uint64_t *x)
{
    return -log(uniform(x)) / LAMBDA;
}

/* Lognormal service time by Box-Muller; the second normal is discarded so
 * that every message costs exactly two draws. */
static double service(uint64_t *x, double mu, double sigma)
{
    double u1 = uniform(x), u2 = uniform(x);
    double z = sqrt(-2 * log(u1)) * cos(TWO_PI * u2);
    return exp(mu + sigma * z);
}

/* ---------------------------------------------------------------------
 * The pending-event set: an implicit binary min-heap of 16-byte records.
 * ------------------------------------------------------------------ */

/* Event kinds, in their tie-breaking order. */
enum { EV_ARRIVAL = 0, EV_TIMEOUT = 1, EV_COLD_END = 2, EV_DEPARTURE = 3 };

typedef struct event {
    double t;
    uint32_t c;         /* container index */
    uint32_t tag;       /* kind in the low 2 bits, timer generation above */
} event;

typedef struct heap {
    event *v;
    size_t n, cap;
} heap;

static int before(const event *a, const event *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    return (a->tag & 3) < (b->tag & 3);
}

static void heap_push(heap *h, event e)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        event *v = sim_realloc(h->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "heap_ref: out of memory\n");
            exit(1);
        }
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&e, &h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = e;
}

static event heap_pop(heap *h)
{
    event top = h->v[0];
    event last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t m = l + 1 < n && before(&h->v[l + 1], &h->v[l]) ? l + 1 : l;
        if (!before(&h->v[m], &last))
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (n > 0)
        h->v[i] = last;
    return top;
}

/* ---------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------ */

enum { ASLEEP, STARTING, AWAKE };

typedef struct container {
    uint64_t arr, svc;  /* random streams */
    double wake;        /* when the current awake period began */
    double ready;       /* when the current cold start ends */
    double awake_s;     /* awake seconds so far */
    uint32_t busy;      /* messages in service or held by the cold start */
    uint32_t gen;       /* generation of the armed idle timer */
    int state;
} container;

typedef struct counts {
    uint64_t messages, cold_starts, timeouts, departures;
    uint64_t executed, stale;
    double awake_s;
} counts;

static event ev(double t, uint32_t c, uint32_t kind, uint32_t gen)
{
    event e = {t, c, kind | (gen << 2)};
    return e;
}

static void run(long n, double H, uint64_t seed, counts *out)
{
    const double mu = log(12.0), sigma = 1.0;
    container *cs = sim_calloc((size_t)n, sizeof *cs);
    heap h = {NULL, 0, 0};
    counts k;
    memset(&k, 0, sizeof k);
    if (!cs) {
        fprintf(stderr, "heap_ref: out of memory\n");
        exit(1);
    }
    /* Every container starts asleep, with its first arrival pending. */
    for (long i = 0; i < n; i++) {
        container *c = &cs[i];
        c->arr = stream_seed(seed, (uint64_t)i, 0);
        c->svc = stream_seed(seed, (uint64_t)i, 1);
        c->state = ASLEEP;
        heap_push(&h, ev(0 + interarrival(&c->arr), (uint32_t)i,
                         EV_ARRIVAL, 0));
    }
    while (h.n > 0 && h.v[0].t <= H) {
        event e = heap_pop(&h);
        container *c = &cs[e.c];
        switch (e.tag & 3) {
        case EV_ARRIVAL: {
            k.messages++;
            double s = service(&c->svc, mu, sigma);
            double start;
            /* Any armed idle timer is now stale. */
            c->gen++;
            if (c->state == ASLEEP) {
                c->state = STARTING;
                c->wake = e.t;
                c->ready = e.t + COLD;
                k.cold_starts++;
                heap_push(&h, ev(c->ready, e.c, EV_COLD_END, 0));
                start = c->ready;
            } else if (c->state == STARTING)
                start = c->ready;   /* held until the cold start ends */
            else
                start = e.t;
            c->busy++;
            heap_push(&h, ev(start + s, e.c, EV_DEPARTURE, 0));
            heap_push(&h, ev(e.t + interarrival(&c->arr), e.c, EV_ARRIVAL,
                             0));
            break;
        }
        case EV_COLD_END:
            c->state = AWAKE;
            break;
        case EV_DEPARTURE:
            k.departures++;
            /* The last message left: arm the idle timer. */
            if (--c->busy == 0) {
                c->gen++;
                heap_push(&h, ev(e.t + IDLE, e.c, EV_TIMEOUT, c->gen));
            }
            break;
        case EV_TIMEOUT:
            if ((e.tag >> 2) != (c->gen & 0x3FFFFFFFu)) {
                k.stale++;
                continue;
            }
            k.timeouts++;
            c->awake_s += e.t - c->wake;
            c->state = ASLEEP;
            break;
        }
        k.executed++;
    }
    /* Containers awake at H count until H; totals are summed in index
     * order. */
    for (long i = 0; i < n; i++) {
        container *c = &cs[i];
        if (c->state != ASLEEP)
            c->awake_s += H - c->wake;
        k.awake_s += c->awake_s;
    }
    sim_free(h.v);
    sim_free(cs);
    *out = k;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = 1000, repeats = 1;
    double H = 2592000;
    uint64_t seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-n") == 0)
            n = atol(argv[i + 1]);
        else if (strcmp(argv[i], "-H") == 0)
            H = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-s") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-r") == 0)
            repeats = atol(argv[i + 1]);
    }
    if (n < 1 || n > 0xFFFFFFFFL || repeats < 1) {
        fprintf(stderr, "usage: heap_ref [-n N] [-H seconds] [-s seed] "
                        "[-r repeats]\n");
        return 2;
    }
    counts k;
    double best = 1e30;
    for (long r = 0; r < repeats; r++) {
        double t0 = now();
        run(n, H, seed, &k);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    double events = (double)k.messages + (double)k.departures +
                    (double)k.cold_starts + (double)k.timeouts;
    printf("messages %llu\ncold_starts %llu\ntimeouts %llu\nawake_s %.17g\n",
           (unsigned long long)k.messages,
           (unsigned long long)k.cold_starts,
           (unsigned long long)k.timeouts, k.awake_s);
    printf("awake_fraction %.6f\ncold_starts_per_container_hour %.5f\n",
           k.awake_s / (n * H), k.cold_starts / (n * H / 3600));
    printf("seconds %.3f\nlogical_events %.0f\nevents_per_s %.0f\n"
           "ns_per_event %.1f\n", best, events, events / best,
           best / events * 1e9);
    printf("executed_events %llu\nstale_pops %llu\n",
           (unsigned long long)k.executed, (unsigned long long)k.stale);
    return 0;
}

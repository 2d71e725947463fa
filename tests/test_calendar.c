/*
 * test_calendar.c -- the demand pass's calendar gives its times least
 * first, exactly: checked against the same times sorted, with pops
 * interleaved with pushes as the demand pass does them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "base/fixed.h"
#include "sim/calendar.h"
#include "sim/rng.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Arrivals at rate 1 with services of law `kind`; each arrival first
 * pops every time up to it.  Every pop must be the least of the times
 * pushed and not yet popped (the oracle: a sorted array, removed from by
 * a linear search), and the count must follow. */
static void run(int kind, double in_service, double mean, size_t n)
{
    sim_calendar *c;
    sim_rng ra, rs;
    double *held = malloc(n * sizeof *held);
    size_t nheld = 0, pops = 0;
    cr_assert(held);
    cr_assert_eq(sim_calendar_new(in_service, mean, &c), SIM_OK);
    sim_rng_seed(&ra, 5, 0, (uint64_t)kind, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&rs, 5, 0, (uint64_t)kind, SIM_STREAM_SERVICE);
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        double u = sim_rng_uniform(&rs), v = sim_rng_uniform(&rs), s;
        t += kind == 3 && i % 1000 == 0 ? 1e6 : -log(sim_rng_uniform(&ra));
        switch (kind) {
        case 0:     /* exponential, mean 20 */
            s = -log(u) * 20;
            break;
        case 1:     /* lognormal, sigma 3: seconds to years */
            s = 2 * exp(3 * sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
            break;
        case 2:     /* ties: whole seconds, many equal */
            s = floor(u * 4);
            break;
        default:    /* bursts 10^6 s apart, and a few enormous times */
            s = i % 997 == 0 ? 1e19 * u : -log(u) * 5;
            break;
        }
        for (;;) {
            size_t k = sim_calendar_count(c);
            cr_assert_eq(k, nheld, "count %zu, want %zu", k, nheld);
            if (k == 0)
                break;
            double d;
            cr_assert_eq(sim_calendar_least(c, &d), SIM_OK);
            qsort(held, nheld, sizeof *held, cmp_double);
            cr_assert(d == held[0], "kind %d: least %.17g, want %.17g",
                      kind, d, held[0]);
            if (d > t)
                break;
            sim_calendar_pop(c);
            held[0] = held[--nheld];
            pops++;
        }
        cr_assert_eq(sim_calendar_push(c, t + s), SIM_OK);
        held[nheld++] = t + s;
    }
    cr_assert_gt(pops, n / 2, "kind %d: too few pops to test", kind);
    sim_calendar_free(c);
    free(held);
}

Test(calendar, exponential_times_come_out_least_first)
{
    run(0, 20, 20, 20000);
}

Test(calendar, heavy_tails_past_the_buckets_come_back_in_order)
{
    run(1, 50, 180, 20000);
}

Test(calendar, equal_times_and_a_wrong_size_hint)
{
    run(2, 1, 1000, 20000);
}

Test(calendar, bursts_far_apart_and_enormous_times)
{
    run(3, 0, 0, 20000);
}

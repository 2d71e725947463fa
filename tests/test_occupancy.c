/*
 * test_occupancy.c -- the demand pass's time at each count in service:
 * a small case worked by hand, the sample-path identity (the time-weighted
 * count is the summed time in service), and a naive event loop over the
 * same streams that must give the same figures bit for bit -- across
 * batches, with ties, busy times of zero, enormous and infinite ones.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "sim/occupancy.h"
#include "sim/rng.h"

/* Runs the pass over (t[i], busy[i]) to H. */
static sim_occupancy *pass(const double *t, const double *busy, size_t n,
                           double H)
{
    sim_occupancy *o;
    cr_assert_eq(sim_occupancy_new(&o), SIM_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sim_occupancy_add(o, t[i], busy[i]), SIM_OK);
    cr_assert_eq(sim_occupancy_end(o, H), SIM_OK);
    return o;
}

/*
 * By hand, H = 6: A at 0 for 2 s; B at 1 with no busy time; C at 3 for
 * 1 s; D at 4 for 1 s.
 *   [0, 1) A: 1 s at 1.  At 1, B arrives (2 in service: the peak) and
 *   leaves at once.  [1, 2) A: 1 s at 1.  [2, 3) nothing: 1 s at 0.
 *   [3, 4) C: 1 s at 1; C leaves as D arrives.  [4, 5) D: 1 s at 1.
 *   [5, 6): 1 s at 0.
 * So tw = {2, 4, 0} and the peak is 2, which B alone makes.
 */
Test(occupancy, a_small_case_worked_by_hand)
{
    const double t[] = {0, 1, 3, 4}, busy[] = {2, 0, 1, 1};
    sim_occupancy *o = pass(t, busy, 4, 6);
    const double *tw = sim_occupancy_times(o);
    cr_assert_eq(sim_occupancy_peak(o), 2);
    cr_assert(tw[0] == 2 && tw[1] == 4 && tw[2] == 0,
              "tw = {%g, %g, %g}", tw[0], tw[1], tw[2]);
    sim_occupancy_free(o);
}

/* A message arriving as another leaves finds it gone: at 2, B arrives
 * as A leaves, so the peak is 1 and [0, 4) is spent at 1. */
Test(occupancy, a_departure_at_an_arrival_leaves_first)
{
    const double t[] = {0, 2}, busy[] = {2, 2};
    sim_occupancy *o = pass(t, busy, 2, 5);
    const double *tw = sim_occupancy_times(o);
    cr_assert_eq(sim_occupancy_peak(o), 1);
    cr_assert(tw[0] == 1 && tw[1] == 4, "tw = {%g, %g}", tw[0], tw[1]);
    sim_occupancy_free(o);
}

/*
 * Equal departures leave in the order their messages arrived, which only
 * shows where a message with no busy time arrives between them.  A at 0
 * for 5 s; B, C and D at 5: B for 10 s, C for none, D for `last`.  At B's
 * arrival A has left (1 in service); C is in service at its own arrival
 * (2); at D's, C has left (2 again).  [0, 5) at 1, [5, 15) at 2, [15,
 * 20) at 1; D is still in service at H = 20.  Were C's departure sorted
 * before A's (both at 5), it would stand in A's way, and C's arrival
 * would find 3.  With last = 10^300 the batch's sort key cannot tell 5
 * from 15, so the sort's last pass orders them; with 100, its radix
 * passes.
 */
Test(occupancy, equal_departures_leave_in_arrival_order)
{
    const double lasts[] = {1e300, 100};
    for (int v = 0; v < 2; v++) {
        const double t[] = {0, 5, 5, 5}, busy[] = {5, 10, 0, lasts[v]};
        sim_occupancy *o = pass(t, busy, 4, 20);
        const double *tw = sim_occupancy_times(o);
        cr_assert_eq(sim_occupancy_peak(o), 2, "last %g", lasts[v]);
        cr_assert(tw[0] == 0 && tw[1] == 10 && tw[2] == 10,
                  "last %g: tw = {%g, %g, %g}", lasts[v], tw[0], tw[1],
                  tw[2]);
        sim_occupancy_free(o);
    }
}

/*
 * Back to back: message i arrives at i as message i - 1 leaves, and
 * every other message (the even ones, then the odd ones) takes no time,
 * leaving as it arrives.  One in service at every arrival, never two:
 * the tie holds at every arrival, so also across the pass's batches,
 * wherever they fall -- a departure of the batch before, equal in time
 * to one of the batch's own, must leave first.
 */
Test(occupancy, back_to_back_messages_never_overlap_across_batches)
{
    size_t n = 100000;
    for (int odd = 0; odd <= 1; odd++) {
        sim_occupancy *o;
        cr_assert_eq(sim_occupancy_new(&o), SIM_OK);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(sim_occupancy_add(o, (double)i,
                                           (int)(i % 2) == odd ? 0 : 1),
                         SIM_OK);
        cr_assert_eq(sim_occupancy_end(o, (double)n + 1), SIM_OK);
        const double *tw = sim_occupancy_times(o);
        cr_assert_eq(sim_occupancy_peak(o), 1, "odd %d", odd);
        /* Busy over [i, i + 1) for every odd (even) i below n, plus the
         * last one's second when it takes one. */
        double busy = (double)(n / 2);
        cr_assert(tw[1] == busy && tw[0] == (double)n + 1 - busy,
                  "odd %d: tw = {%.17g, %.17g}", odd, tw[0], tw[1]);
        sim_occupancy_free(o);
    }
}

/* ---- against a naive loop ------------------------------------------- */

/*
 * The oracle: an unsorted list of pending departures; before each
 * arrival, repeatedly the least of them at or before it leaves (a linear
 * search); after it, its departure joins.  The rules in the plainest
 * form, adding the same differences in the same order up to equal times
 * (which add zero).
 */
static void naive(const double *t, const double *busy, size_t n, double H,
                  double **tw_out, size_t *peak_out)
{
    double *held = malloc((n + 1) * sizeof *held);
    size_t ntw = n + 2, count = 0, peak = 0, nheld = 0;
    double *tw = calloc(ntw, sizeof *tw), now = 0;
    cr_assert(held && tw);
    for (size_t i = 0; i <= n; i++) {
        double next = i < n ? t[i] : H;
        for (;;) {
            size_t best = nheld;
            for (size_t j = 0; j < nheld; j++)
                if (held[j] <= next && (best == nheld || held[j] < held[best]))
                    best = j;
            if (best == nheld)
                break;
            tw[count] += held[best] - now;
            now = held[best];
            count--;
            held[best] = held[--nheld];
        }
        tw[count] += next - now;
        now = next;
        if (i == n)
            break;
        count++;
        if (count > peak)
            peak = count;
        if (t[i] + busy[i] < INFINITY)
            held[nheld++] = t[i] + busy[i];
    }
    free(held);
    *tw_out = tw;
    *peak_out = peak;
}

/* Arrivals at rate 1; services of law `kind`. */
static void stream(int kind, size_t n, double *t, double *busy, double *H)
{
    sim_rng ra, rs;
    sim_rng_seed(&ra, 11, 0, (uint64_t)kind, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&rs, 11, 0, (uint64_t)kind, SIM_STREAM_SERVICE);
    double now = 0;
    for (size_t i = 0; i < n; i++) {
        double u = sim_rng_uniform(&rs), v = sim_rng_uniform(&rs);
        now += -log(sim_rng_uniform(&ra));
        switch (kind) {
        case 0:     /* exponential, mean 20 */
            busy[i] = -log(u) * 20;
            break;
        case 1:     /* lognormal, sigma 2.5: seconds to months */
            busy[i] = 2 * exp(2.5 * sqrt(-2 * log(u)) *
                              cos(6.283185307179586 * v));
            break;
        case 2:     /* whole seconds: arrivals and departures tie, and
                       a quarter of the messages take no time at all */
            now = floor(now);
            busy[i] = floor(u * 4);
            break;
        case 4:     /* whole seconds of exponential services, mean 20,
                       and now and then one that would end long after
                       the universe: a batch's sort key cannot tell the
                       others apart, and many of them tie */
            now = floor(now);
            busy[i] = i % 5000 == 17 ? 1e300 : floor(-log(u) * 20);
            break;
        default:    /* bursts 10^6 s apart; a few enormous or infinite
                       times (never leaving within the horizon) */
            if (i % 1000 == 0)
                now += 1e6;
            busy[i] = i % 997 == 0   ? 1e19 * u
                      : i % 1999 == 0 ? INFINITY
                                      : -log(u) * 5;
            break;
        }
        t[i] = now;
    }
    *H = now + 50;
}

static void against_naive(int kind, size_t n)
{
    double *t = malloc(n * sizeof *t), *busy = malloc(n * sizeof *busy);
    double H, *want;
    size_t want_peak;
    cr_assert(t && busy);
    stream(kind, n, t, busy, &H);
    naive(t, busy, n, H, &want, &want_peak);
    sim_occupancy *o = pass(t, busy, n, H);
    size_t peak = sim_occupancy_peak(o);
    const double *tw = sim_occupancy_times(o);
    cr_assert_eq(peak, want_peak, "kind %d: peak %zu, want %zu", kind, peak,
                 want_peak);
    for (size_t k = 0; k <= peak; k++)
        cr_assert(memcmp(&tw[k], &want[k], sizeof tw[k]) == 0,
                  "kind %d: tw[%zu] = %.17g, want %.17g", kind, k, tw[k],
                  want[k]);
    /* The sample path: the time-weighted count is the time the
     * messages spent in service within [0, H]. */
    double area = 0, in_service = 0;
    for (size_t k = 0; k <= peak; k++)
        area += (double)k * tw[k];
    for (size_t i = 0; i < n; i++)
        in_service += fmin(t[i] + busy[i], H) - t[i];
    cr_assert(fabs(area - in_service) <= 1e-9 * in_service,
              "kind %d: area %.17g, time in service %.17g", kind, area,
              in_service);
    sim_occupancy_free(o);
    free(want);
    free(t);
    free(busy);
}

/* 50,000 messages: three batches and part of a fourth. */
Test(occupancy, exponential_services_match_a_naive_loop)
{
    against_naive(0, 50000);
}

Test(occupancy, heavy_tails_match_a_naive_loop)
{
    against_naive(1, 50000);
}

Test(occupancy, ties_and_zero_services_match_a_naive_loop)
{
    against_naive(2, 50000);
}

Test(occupancy, bursts_and_enormous_times_match_a_naive_loop)
{
    against_naive(3, 50000);
}

Test(occupancy, a_time_beyond_any_key_range_still_sorts_exactly)
{
    against_naive(4, 50000);
}

/*
 * M/M/inf with load 20: the time at each count is Poisson(20) (the
 * closed form), within what a month of 10^6 arrivals can tell: the mean
 * within 1 % and the share of time at the mode within 5 %.
 */
Test(occupancy, an_mm_infinity_queue_spends_poisson_time_at_each_count)
{
    size_t n = 1000000;
    double *t = malloc(n * sizeof *t), *busy = malloc(n * sizeof *busy), H;
    cr_assert(t && busy);
    stream(0, n, t, busy, &H);
    sim_occupancy *o = pass(t, busy, n, H);
    const double *tw = sim_occupancy_times(o);
    double mean = 0;
    for (size_t k = 0; k <= sim_occupancy_peak(o); k++)
        mean += (double)k * tw[k] / H;
    double p20 = exp(-20 + 20 * log(20.0) - lgamma(21));
    cr_assert(fabs(mean - 20) < 0.2, "mean %g, want 20", mean);
    cr_assert(fabs(tw[20] / H - p20) < 0.05 * p20, "P(20) %g, want %g",
              tw[20] / H, p20);
    sim_occupancy_free(o);
    free(t);
    free(busy);
}

/* Out of memory: the pass says so, and keeps saying so. */
Test(occupancy, a_failed_allocation_is_reported_and_sticks)
{
    sim_occupancy *o = NULL;
    sim_alloc_fail_at(1);
    cr_assert_eq(sim_occupancy_new(&o), SIM_ENOMEM);
    cr_assert_null(o);
    cr_assert_eq(sim_occupancy_new(&o), SIM_OK);
    /* The first batch allocates the pending list: fail it. */
    size_t i = 0;
    sim_alloc_fail_at(1);
    for (; i < 16384; i++)
        if (sim_occupancy_add(o, (double)i, 1) != SIM_OK)
            break;
    cr_assert_lt(i, 16384, "no batch ran");
    cr_assert_eq(sim_occupancy_add(o, (double)i + 1, 1), SIM_ENOMEM);
    cr_assert_eq(sim_occupancy_end(o, 1e9), SIM_ENOMEM);
    sim_alloc_fail_at(0);
    sim_occupancy_free(o);
}

/* Nothing ever queued to leave: no arrivals at all (all the time at 0),
 * and arrivals that stay for ever (each count held until the next
 * arrival, the last to the horizon). */
Test(occupancy, a_pass_where_nothing_leaves)
{
    sim_occupancy *o = pass(NULL, NULL, 0, 5);
    cr_assert_eq(sim_occupancy_peak(o), 0);
    cr_assert_eq(sim_occupancy_times(o)[0], 5.0);
    sim_occupancy_free(o);

    const double t[3] = {1, 2, 4};
    const double busy[3] = {INFINITY, INFINITY, INFINITY};
    o = pass(t, busy, 3, 10);
    const double *tw = sim_occupancy_times(o);
    cr_assert_eq(sim_occupancy_peak(o), 3);
    cr_assert_eq(tw[0], 1.0);
    cr_assert_eq(tw[1], 1.0);
    cr_assert_eq(tw[2], 2.0);
    cr_assert_eq(tw[3], 6.0);
    sim_occupancy_free(o);
}

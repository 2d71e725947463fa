/*
 * test_radix.c -- radix.h's stable sort by a leading double: a case by
 * hand, and a plain stable insertion sort over the same records that
 * must give the same order -- uniform times, whole-second ties, near-ties
 * the 32-bit key cannot tell apart, a range so wide the key is useless,
 * negative values, and a width the key cannot scale to (where the key
 * works, with too small a budget for an insertion sort to hide a wrong
 * radix pass); then the budget,
 * which must stop a quadratic pass and leave the records a permutation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/radix.h"
#include "sim/rng.h"

typedef struct rec16 {
    double x;
    uint64_t tag;
} rec16;

typedef struct rec24 {
    double x;
    double other;
    uint64_t tag;
} rec24;

/*
 * x = 3, 1, 2, 1, 3, 0.5 with tags 0..5: by x, equal x in the order
 * they came, gives 0.5 (tag 5), 1 (1), 1 (3), 2 (2), 3 (0), 3 (4).
 */
Test(radix, a_small_case_by_hand_keeps_equal_times_in_order)
{
    rec16 v[6], tmp[6];
    const double x[6] = {3, 1, 2, 1, 3, 0.5};
    for (int i = 0; i < 6; i++)
        v[i] = (rec16){x[i], (uint64_t)i};
    cr_assert_eq(sim__radix_sort(v, tmp, 6, sizeof *v, SIZE_MAX), 0);
    const uint64_t want[6] = {5, 1, 3, 2, 0, 4};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(v[i].tag, want[i], "position %d: tag %llu", i,
                     (unsigned long long)v[i].tag);
}

/* The reference: insertion sort, stable by construction. */
static void reference(rec24 *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        rec24 m = v[i];
        size_t j = i;
        for (; j > 0 && m.x < v[j - 1].x; j--)
            v[j] = v[j - 1];
        v[j] = m;
    }
}

static double draw(sim_rng *r, int kind, size_t i)
{
    double u = sim_rng_uniform(r);
    switch (kind) {
    case 0:
        return u * 2592000.0;               /* a month, uniform */
    case 1:
        return floor(u * 50);               /* whole seconds: ties */
    case 2: {                               /* near-ties sharing a key */
        double base = 1000.0 + floor(u * 4);
        return (i % 3) ? nextafter(base, 2000.0) : base;
    }
    case 3:                                 /* one time 10^19 s away */
        return i == 7 ? 1e19 : u;
    case 4:
        return (u - 0.5) * 1e6;             /* negative values too */
    default:                                /* a width of 2^-1074 */
        return u < 0.5 ? 0.0 : 5e-324;
    }
}

Test(radix, matches_a_stable_insertion_sort)
{
    const size_t sizes[] = {2, 3, 17, 1000, 5000};
    for (int kind = 0; kind <= 5; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n = sizes[s];
            rec24 *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *v),
                  *ref = malloc(n * sizeof *v);
            cr_assert(v && tmp && ref);
            sim_rng r;
            sim_rng_seed(&r, 5, (uint64_t)kind, n, SIM_STREAM_ARRIVALS);
            for (size_t i = 0; i < n; i++)
                v[i] = (rec24){draw(&r, kind, i), (double)i * 0.5, i};
            memcpy(ref, v, n * sizeof *v);
            reference(ref, n);
            /* Where the key tells the times apart (or they are equal),
             * the radix passes must have sorted them: the insertion pass
             * gets only 2n moves, and a wrong pass would run it out. */
            int spread = kind == 0 || kind == 1 || kind == 4;
            size_t budget = spread ? 2 * n : SIZE_MAX;
            cr_assert_eq(sim__radix_sort(v, tmp, n, sizeof *v, budget), 0,
                         "kind %d, n %zu: out of budget", kind, n);
            for (size_t i = 0; i < n; i++) {
                cr_assert_eq(v[i].tag, ref[i].tag,
                             "kind %d, n %zu, position %zu: tag %llu, "
                             "want %llu", kind, n, i,
                             (unsigned long long)v[i].tag,
                             (unsigned long long)ref[i].tag);
                cr_assert(v[i].x == ref[i].x && v[i].other == ref[i].other);
            }
            free(v);
            free(tmp);
            free(ref);
        }
}

/*
 * 1,000 distinct times in descending order behind one at 10^300: every
 * other record gets key 0, the radix passes leave them as they came, and
 * sorting them by insertion takes n(n-1)/2 moves -- past a budget of 8n,
 * so the sort gives up and says so, the records still all there; with
 * room for those moves it finishes.
 */
Test(radix, the_budget_stops_a_quadratic_pass)
{
    enum { N = 1001 };
    static rec16 v[N], tmp[N];
    v[0] = (rec16){1e300, 0};
    for (size_t i = 1; i < N; i++)
        v[i] = (rec16){(double)(N - i), i};
    cr_assert_eq(sim__radix_sort(v, tmp, N, sizeof *v, 8 * N), 1);
    uint64_t seen[N] = {0};
    for (size_t i = 0; i < N; i++) {
        cr_assert_lt(v[i].tag, N);
        cr_assert_eq(v[i].x, v[i].tag ? (double)(N - v[i].tag) : 1e300);
        seen[v[i].tag]++;
    }
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(seen[i], 1, "tag %zu appears %llu times", i,
                     (unsigned long long)seen[i]);

    cr_assert_eq(sim__radix_sort(v, tmp, N, sizeof *v, SIZE_MAX), 0);
    for (size_t i = 0; i + 1 < N; i++)
        cr_assert_eq(v[i].x, (double)(i + 1));
    cr_assert_eq(v[N - 1].x, 1e300);
}

Test(radix, one_value_leaves_the_records_as_they_came)
{
    rec16 v[4] = {{7, 3}, {7, 1}, {7, 2}, {7, 0}}, tmp[4];
    cr_assert_eq(sim__radix_sort(v, tmp, 4, sizeof *v, 0), 0);
    const uint64_t want[4] = {3, 1, 2, 0};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(v[i].tag, want[i]);
}

/* By time, then by the order the records came in: the stable order. */
static int by_x_then_tag(const void *a, const void *b)
{
    const rec24 *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->tag > q->tag) - (p->tag < q->tag);
}

/*
 * The key is 22 bits up to SIM_RADIX_SHORT records and 32 past it: at
 * the edge on both sides -- two passes, then three and the copy back --
 * uniform times and whole-second ties give the stable order, the radix
 * passes doing the work (the insertion pass gets 2n moves; at 2^20
 * uniform times about 6 % of them share a 22-bit key).
 */
Test(radix, both_key_widths_at_their_edge)
{
    const size_t sizes[] = {SIM_RADIX_SHORT, SIM_RADIX_SHORT + 1};
    for (int kind = 0; kind <= 1; kind++)
        for (size_t s = 0; s < 2; s++) {
            size_t n = sizes[s];
            rec24 *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *v),
                  *ref = malloc(n * sizeof *v);
            cr_assert(v && tmp && ref);
            sim_rng r;
            sim_rng_seed(&r, 11, (uint64_t)kind, n, SIM_STREAM_ARRIVALS);
            for (size_t i = 0; i < n; i++)
                v[i] = (rec24){draw(&r, kind, i), (double)i * 0.5, i};
            memcpy(ref, v, n * sizeof *v);
            qsort(ref, n, sizeof *ref, by_x_then_tag);
            cr_assert_eq(sim__radix_sort(v, tmp, n, sizeof *v, 2 * n), 0,
                         "kind %d, n %zu: out of budget", kind, n);
            for (size_t i = 0; i < n; i++)
                if (v[i].tag != ref[i].tag || v[i].other != ref[i].other)
                    cr_assert_fail("kind %d, n %zu, position %zu: tag %llu, "
                                   "want %llu", kind, n, i,
                                   (unsigned long long)v[i].tag,
                                   (unsigned long long)ref[i].tag);
            free(v);
            free(tmp);
            free(ref);
        }
}

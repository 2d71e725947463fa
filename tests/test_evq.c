/*
 * test_evq.c -- the pending-event set: its total order, cancellation,
 * FIFO lanes, and agreement with a sort and with a naive reference.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/evq.h"
#include "base/fixed.h"
#include "sim/rng.h"

static int key_cmp(const void *a, const void *b)
{
    const evq_event *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void assert_same(const evq_event *got, const evq_event *want,
                        size_t i)
{
    cr_assert_eq(got->time, want->time, "event %zu: time", i);
    cr_assert_eq(got->prio, want->prio, "event %zu: prio", i);
    cr_assert_eq(got->seq, want->seq, "event %zu: seq", i);
    cr_assert_eq(got->kind, want->kind, "event %zu: kind", i);
    cr_assert_eq(got->payload, want->payload, "event %zu: payload", i);
}

Test(evq, empty_queue_pops_and_peeks_nothing)
{
    evq q;
    evq_event ev;
    evq_init(&q);
    cr_assert_eq(evq_size(&q), 0);
    cr_assert_eq(evq_pop(&q, &ev), 0);
    cr_assert_eq(evq_peek(&q, &ev), 0);
    evq_fini(&q);
    evq_fini(&q);   /* fini leaves an empty queue: twice is harmless */
}

/* Time first, then priority (lower first, negatives allowed), then the
 * order of scheduling. */
Test(evq, orders_by_time_then_priority_then_sequence)
{
    static const struct { int64_t t; int prio; } in[] = {
        {5, 0}, {3, 1}, {3, 0}, {5, 0}, {3, 1}, {-2, 9}, {3, -1}, {5, 0},
        {0, 0}, {3, 0},
    };
    /* Expected pops, as indices into in[]. */
    static const int want[] = {5, 8, 6, 2, 9, 1, 4, 0, 3, 7};
    evq q;
    evq_init(&q);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(evq_schedule(&q, in[i].t, in[i].prio, 100 + i,
                                  (uint64_t)i * 7, NULL), SIM_OK);
    cr_assert_eq(evq_size(&q), 10);
    for (int i = 0; i < 10; i++) {
        evq_event peek, ev;
        cr_assert_eq(evq_peek(&q, &peek), 1);
        cr_assert_eq(evq_pop(&q, &ev), 1);
        assert_same(&peek, &ev, (size_t)i);
        cr_assert_eq(ev.kind, 100 + want[i], "pop %d: kind %d", i, ev.kind);
        cr_assert_eq(ev.payload, (uint64_t)want[i] * 7);
        cr_assert_eq(ev.seq, (uint64_t)want[i] + 1);
        cr_assert_eq(ev.time, in[want[i]].t);
    }
    cr_assert_eq(evq_size(&q), 0);
    evq_fini(&q);
}

Test(evq, cancel_removes_exactly_the_named_event)
{
    evq q;
    evq_handle h[6], none;
    evq_event ev;
    memset(&none, 0, sizeof none);
    evq_init(&q);
    for (int i = 0; i < 6; i++)
        evq_schedule(&q, 10 * i, 0, i, 0, &h[i]);
    cr_assert_eq(evq_cancel(&q, none), 0);
    cr_assert_eq(evq_cancel(&q, h[0]), 1);      /* the front */
    cr_assert_eq(evq_cancel(&q, h[3]), 1);      /* the middle */
    cr_assert_eq(evq_cancel(&q, h[3]), 0);      /* twice */
    cr_assert_eq(evq_size(&q), 4);
    cr_assert_eq(evq_pop(&q, &ev), 1);
    cr_assert_eq(ev.kind, 1);
    cr_assert_eq(evq_cancel(&q, h[1]), 0);      /* already popped */
    /* The freed slots are reused; the old handles still name nothing. */
    evq_handle r1, r2;
    evq_schedule(&q, 15, 0, 7, 0, &r1);
    evq_schedule(&q, 35, 0, 8, 0, &r2);
    cr_assert_eq(evq_cancel(&q, h[0]), 0);
    cr_assert_eq(evq_cancel(&q, h[1]), 0);
    cr_assert_eq(evq_cancel(&q, h[3]), 0);
    cr_assert_eq(evq_cancel(&q, r2), 1);
    static const int want[] = {7, 2, 4, 5};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(evq_pop(&q, &ev), 1);
        cr_assert_eq(ev.kind, want[i], "pop %d: kind %d", i, ev.kind);
    }
    cr_assert_eq(evq_pop(&q, &ev), 0);
    cr_assert_eq(evq_cancel(&q, r1), 0);
    evq_fini(&q);
}

/* 100,000 events over few distinct times and priorities, so ties are
 * everywhere; a tenth cancelled.  Pops must match a sort by the key. */
Test(evq, matches_sorting_100k_random_events)
{
    enum { N = 100000 };
    evq q;
    sim_rng r;
    evq_event *want = malloc(N * sizeof *want);
    evq_handle *h = malloc(N * sizeof *h);
    char *dead = calloc(N, 1);
    cr_assert(want && h && dead);
    sim_rng_seed(&r, 7, 0, 0, SIM_STREAM_ARRIVALS);
    evq_init(&q);
    for (int i = 0; i < N; i++) {
        int64_t t = (int64_t)(sim_rng_next(&r) % 5000) - 100;
        int prio = (int)(sim_rng_next(&r) % 3);
        cr_assert_eq(evq_schedule(&q, t, prio, i % 11, (uint64_t)i, &h[i]),
                     SIM_OK);
        want[i] = (evq_event){t, prio, i % 11, (uint64_t)i + 1, (uint64_t)i};
    }
    size_t live = N;
    for (int i = 0; i < N; i++)
        if (sim_rng_next(&r) % 10 == 0) {
            cr_assert_eq(evq_cancel(&q, h[i]), 1);
            dead[i] = 1;
            live--;
        }
    cr_assert_eq(evq_size(&q), live);
    size_t j = 0;
    for (int i = 0; i < N; i++)
        if (!dead[i])
            want[j++] = want[i];
    qsort(want, live, sizeof *want, key_cmp);
    for (size_t i = 0; i < live; i++) {
        evq_event ev;
        cr_assert_eq(evq_pop(&q, &ev), 1);
        assert_same(&ev, &want[i], i);
    }
    cr_assert_eq(evq_size(&q), 0);
    evq_event ev;
    cr_assert_eq(evq_pop(&q, &ev), 0);
    evq_fini(&q);
    free(want);
    free(h);
    free(dead);
}

/* A naive pending set: an array scanned for its least key. */
typedef struct ref_set {
    evq_event *v;
    evq_handle *h;
    size_t n;
} ref_set;

static size_t ref_min(const ref_set *s)
{
    size_t m = 0;
    for (size_t i = 1; i < s->n; i++)
        if (key_cmp(&s->v[i], &s->v[m]) < 0)
            m = i;
    return m;
}

static void ref_remove(ref_set *s, size_t i)
{
    s->v[i] = s->v[--s->n];
    s->h[i] = s->h[s->n];
}

/*
 * A simulation-like mix: a clock that advances with each pop; heap
 * events at random delays; two lanes of constant-delay timers (each
 * scheduled at now + its delay, hence in order); random cancellations;
 * everything checked against the naive set after every pop.
 */
Test(evq, lanes_interleave_with_heap_events_and_cancels)
{
    enum { OPS = 40000, CAP = 64 + OPS * 2 };
    static const int64_t delay[2] = {250, 1000};
    evq q;
    sim_rng r;
    ref_set s = {malloc(CAP * sizeof *s.v), malloc(CAP * sizeof *s.h), 0};
    int lane[2];
    int64_t now = 0;
    cr_assert(s.v && s.h);
    sim_rng_seed(&r, 3, 0, 0, SIM_STREAM_SERVICE);
    evq_init(&q);
    cr_assert_eq(evq_lane_open(&q, &lane[0]), SIM_OK);
    cr_assert_eq(evq_lane_open(&q, &lane[1]), SIM_OK);
    for (int op = 0; op < OPS; op++) {
        uint64_t u = sim_rng_next(&r) % 16;
        evq_handle hh;
        int64_t t;
        int prio = (int)(sim_rng_next(&r) % 2), rc;
        if (u < 4) {
            t = now + (int64_t)(sim_rng_next(&r) % 2000);
            rc = evq_schedule(&q, t, prio, 0, (uint64_t)op, &hh);
        } else if (u < 10) {
            int k = (int)(u % 2);
            /* One priority per lane keeps its (time, prio) in order. */
            t = now + delay[k];
            prio = k;
            rc = evq_lane_schedule(&q, lane[k], t, prio, 1 + k,
                                   (uint64_t)op, &hh);
        } else if (u < 12 && s.n > 0) {
            size_t i = (size_t)(sim_rng_next(&r) % s.n);
            cr_assert_eq(evq_cancel(&q, s.h[i]), 1);
            ref_remove(&s, i);
            continue;
        } else {
            if (s.n == 0)
                continue;
            evq_event ev;
            size_t m = ref_min(&s);
            cr_assert_eq(evq_pop(&q, &ev), 1);
            assert_same(&ev, &s.v[m], (size_t)op);
            cr_assert_geq(ev.time, now);
            now = ev.time;
            ref_remove(&s, m);
            cr_assert_eq(evq_size(&q), s.n);
            continue;
        }
        cr_assert_eq(rc, SIM_OK);
        s.v[s.n] = (evq_event){t, prio, 0, hh.seq, (uint64_t)op};
        s.v[s.n].kind = u < 4 ? 0 : 1 + (int)(u % 2);
        s.h[s.n++] = hh;
    }
    while (s.n > 0) {
        evq_event ev;
        size_t m = ref_min(&s);
        cr_assert_eq(evq_pop(&q, &ev), 1);
        assert_same(&ev, &s.v[m], 0);
        ref_remove(&s, m);
    }
    evq_event ev;
    cr_assert_eq(evq_pop(&q, &ev), 0);
    evq_fini(&q);
    free(s.v);
    free(s.h);
}

Test(evq, lane_refuses_an_event_before_its_last)
{
    evq q;
    int l;
    evq_event ev;
    evq_init(&q);
    cr_assert_eq(evq_lane_open(&q, &l), SIM_OK);
    cr_assert_eq(evq_lane_schedule(&q, l, 10, 1, 0, 0, NULL), SIM_OK);
    cr_assert_eq(evq_lane_schedule(&q, l, 9, 1, 0, 0, NULL), SIM_EINVAL);
    cr_assert_eq(evq_lane_schedule(&q, l, 10, 0, 0, 0, NULL), SIM_EINVAL);
    cr_assert_eq(evq_lane_schedule(&q, l, 10, 1, 0, 0, NULL), SIM_OK);
    cr_assert_eq(evq_lane_schedule(&q, l + 1, 10, 1, 0, 0, NULL),
                 SIM_EINVAL);
    cr_assert_eq(evq_size(&q), 2);
    /* A heap event at the same time and priority was scheduled later. */
    cr_assert_eq(evq_schedule(&q, 10, 1, 5, 0, NULL), SIM_OK);
    cr_assert_eq(evq_pop(&q, &ev), 1);
    cr_assert_eq(ev.seq, 1);
    cr_assert_eq(evq_pop(&q, &ev), 1);
    cr_assert_eq(ev.seq, 2);
    cr_assert_eq(evq_pop(&q, &ev), 1);
    cr_assert_eq(ev.kind, 5);
    evq_fini(&q);
}

/* Lazy cancellation must not let dead entries pile up: after cancelling
 * almost everything, the containers hold at most about twice the live
 * events (read from the private fields: a white-box check). */
Test(evq, cancelled_entries_are_compacted)
{
    enum { N = 10000 };
    evq q;
    int l;
    evq_handle *h = malloc(2 * N * sizeof *h);
    cr_assert(h);
    evq_init(&q);
    cr_assert_eq(evq_lane_open(&q, &l), SIM_OK);
    for (int i = 0; i < N; i++) {
        evq_schedule(&q, N - i, 0, 0, 0, &h[i]);
        evq_lane_schedule(&q, l, i, 0, 1, 0, &h[N + i]);
    }
    for (int i = 0; i < 2 * N; i++)
        if (i % 100 != 0)
            cr_assert_eq(evq_cancel(&q, h[i]), 1);
    cr_assert_eq(evq_size(&q), 200);
    cr_assert_leq(q.nheap, 2 * 100 + 32);
    cr_assert_leq(q.lanes[l].len, 2 * 100 + 32);
    evq_event ev, prev;
    int n = 0;
    while (evq_pop(&q, &ev)) {
        if (n > 0)
            cr_assert_lt(key_cmp(&prev, &ev), 0);
        prev = ev;
        n++;
    }
    cr_assert_eq(n, 200);
    evq_fini(&q);
    free(h);
}

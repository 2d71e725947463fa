/*
 * test_workload.c -- arrival processes, merged sources, traces and
 * sample files.  Every expectation is computed here from the definition
 * (closed forms, the CSB-1 recipe redone by hand, a midpoint-rule
 * integral), never by calling back into the module.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_bessel.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fixed.h"
#include "sim/workload.h"

#define WEEK 604800.0
#define DAY 86400.0
#define TWO_PI 6.283185307179586

static sim_fx dec(const char *s)
{
    sim_fx v = 0;
    cr_assert_eq(sim_fx_parse(s, &v), SIM_OK, "bad literal %s", s);
    return v;
}

static scn_dist dist(enum scn_dist_kind kind, const char *mean)
{
    scn_dist d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.mean_s = dec(mean);
    return d;
}

static scn_dist lognormal(const char *median, const char *sigma)
{
    scn_dist d = dist(SCN_DIST_LOGNORMAL, "0");
    d.median_s = dec(median);
    d.sigma = dec(sigma);
    return d;
}

static sim_class klass(enum sim_arrival_kind kind, uint64_t first,
                       int64_t tenants, int64_t apt, const scn_dist *busy)
{
    sim_class c;
    memset(&c, 0, sizeof c);
    c.first_agent = first;
    c.tenants = tenants;
    c.agents_per_tenant = apt;
    c.kind = kind;
    c.busy = busy;
    c.peak_to_mean = 1;
    c.weekend_factor = 1;
    return c;
}

static sim_workload_model model(sim_class *cls, size_t n, double horizon,
                                uint64_t seed)
{
    sim_workload_model m;
    memset(&m, 0, sizeof m);
    m.classes = cls;
    m.nclasses = n;
    for (size_t i = 0; i < n; i++)
        m.agents += (uint64_t)(cls[i].tenants * cls[i].agents_per_tenant);
    m.horizon = horizon;
    m.seed = seed;
    return m;
}

typedef struct msgs {
    sim_msg *v;
    size_t n, cap;
} msgs;

static void msgs_push(msgs *l, const sim_msg *m)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        cr_assert(l->v);
    }
    l->v[l->n++] = *m;
}

/* Every message of agents [first, first + n), checking the order. */
static msgs collect(const sim_workload_model *m, uint64_t rep,
                    uint64_t first, uint64_t n)
{
    msgs l = {NULL, 0, 0};
    sim_source *s;
    sim_msg msg;
    cr_assert_eq(sim_source_open(m, rep, first, n, &s), SIM_OK);
    while (sim_source_next(s, &msg)) {
        if (l.n > 0) {
            const sim_msg *p = &l.v[l.n - 1];
            cr_assert(p->t < msg.t || (p->t == msg.t && p->agent <= msg.agent),
                      "out of order: %.9f/%lu then %.9f/%lu", p->t,
                      (unsigned long)p->agent, msg.t,
                      (unsigned long)msg.agent);
        }
        cr_assert(msg.t >= 0 && msg.t <= m->horizon);
        cr_assert(msg.agent >= first && msg.agent < first + n);
        msgs_push(&l, &msg);
    }
    sim_source_close(s);
    return l;
}

static uint64_t count(const sim_workload_model *m, uint64_t first,
                      uint64_t n)
{
    sim_source *s;
    sim_msg msg;
    uint64_t k = 0;
    cr_assert_eq(sim_source_open(m, 0, first, n, &s), SIM_OK);
    while (sim_source_next(s, &msg))
        k++;
    sim_source_close(s);
    return k;
}

static void assert_within(double got, double want, double sigma,
                          const char *what)
{
    cr_assert(fabs(got - want) <= 4 * sigma, "%s: %.6g, want %.6g +- 4 x %.3g",
              what, got, want, sigma);
}

/* ---------------------------------------------------------------------
 * Poisson and the CSB-1 recipe
 * ------------------------------------------------------------------ */

/* The CSB-1 table (seed 42, 100 agents, one message per 10 minutes, 30
 * days) counts 432953 messages; one single-agent source per agent must
 * reproduce it exactly. */
Test(workload, single_agent_sources_reproduce_csb1_counts)
{
    scn_dist busy = lognormal("12", "1");
    sim_class c = klass(SIM_ARR_POISSON, 0, 100, 1, &busy);
    c.rate = 1.0 / 600;
    sim_workload_model m = model(&c, 1, 2592000, 42);
    uint64_t total = 0;
    for (uint64_t a = 0; a < 100; a++)
        total += count(&m, a, 1);
    cr_assert_eq(total, 432953);
}

/* The recipe redone by hand: interarrival -log(u) / rate from the
 * arrivals stream, then Box-Muller busy from the service stream. */
Test(workload, poisson_draws_follow_the_recipe_exactly)
{
    scn_dist busy = lognormal("12", "1");
    sim_class c = klass(SIM_ARR_POISSON, 10, 4, 2, &busy);
    c.rate = 1.0 / 600;
    sim_workload_model m = model(&c, 1, 2592000, 7);
    uint64_t agent = 13;
    msgs l = collect(&m, 3, agent, 1);
    sim_rng arr, svc;
    sim_rng_seed(&arr, 7, 3, agent, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&svc, 7, 3, agent, SIM_STREAM_SERVICE);
    double t = 0;
    size_t i = 0;
    for (;;) {
        t += -log(sim_rng_uniform(&arr)) / (1.0 / 600);
        if (t > 2592000)
            break;
        double u1 = sim_rng_uniform(&svc), u2 = sim_rng_uniform(&svc);
        double z = sqrt(-2 * log(u1)) * cos(TWO_PI * u2);
        double b = exp(log(12.0) + 1.0 * z);
        cr_assert(i < l.n);
        cr_assert_eq(l.v[i].t, t, "message %zu", i);
        cr_assert_eq(l.v[i].busy, b, "message %zu", i);
        cr_assert_eq(l.v[i].agent, agent);
        i++;
    }
    cr_assert_eq(i, l.n);
    cr_assert(l.n > 3000);
    free(l.v);
}

/* Gamma draws come from a GSL generator whose state is the agent's
 * service stream, as des.c does it. */
Test(workload, gamma_draws_match_gsl_on_the_service_stream)
{
    scn_dist busy = dist(SCN_DIST_GAMMA, "8");
    busy.shape = dec("2.5");
    sim_class c = klass(SIM_ARR_POISSON, 0, 1, 1, &busy);
    c.rate = 0.01;
    sim_workload_model m = model(&c, 1, 1e5, 9);
    msgs l = collect(&m, 0, 0, 1);
    gsl_rng *g = gsl_rng_alloc(sim_rng_gsl_type);
    cr_assert(g);
    void *saved = g->state;
    sim_rng svc;
    sim_rng_seed(&svc, 9, 0, 0, SIM_STREAM_SERVICE);
    g->state = &svc;
    for (size_t i = 0; i < l.n; i++)
        cr_assert_eq(l.v[i].busy, gsl_ran_gamma(g, 2.5, 8 / 2.5));
    g->state = saved;
    gsl_rng_free(g);
    cr_assert(l.n > 900);
    free(l.v);
}

Test(workload, poisson_count_is_within_four_sigma)
{
    scn_dist busy = dist(SCN_DIST_EXPONENTIAL, "30");
    sim_class c = klass(SIM_ARR_POISSON, 0, 100, 10, &busy);
    c.rate = 1.0 / 60;
    sim_workload_model m = model(&c, 1, 86400, 1);
    double want = 1000 * 86400 / 60.0;
    uint64_t got = count(&m, 0, 1000);
    assert_within((double)got, want, sqrt(want), "messages");
}

static int by_time_agent(const void *pa, const void *pb)
{
    const sim_msg *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->agent > b->agent) - (a->agent < b->agent);
}

/* Agents first .. first + n - 1 each alone, their messages put in (time,
 * agent) order: what a group of them must yield. */
static msgs collect_apart(const sim_workload_model *m, uint64_t rep,
                          uint64_t first, uint64_t n)
{
    msgs all = {NULL, 0, 0};
    for (uint64_t a = first; a < first + n; a++) {
        msgs one = collect(m, rep, a, 1);
        for (size_t i = 0; i < one.n; i++)
            msgs_push(&all, &one.v[i]);
        free(one.v);
    }
    qsort(all.v, all.n, sizeof *all.v, by_time_agent);
    return all;
}

static void assert_same_msgs(const msgs *got, const msgs *want)
{
    cr_assert_eq(got->n, want->n);
    for (size_t i = 0; i < got->n; i++) {
        cr_assert_eq(got->v[i].t, want->v[i].t, "message %zu", i);
        cr_assert_eq(got->v[i].busy, want->v[i].busy, "message %zu", i);
        cr_assert_eq(got->v[i].agent, want->v[i].agent, "message %zu", i);
    }
}

/* Three classes of different kinds; a group spanning all three yields
 * exactly the union of its agents' single-agent streams. */
Test(workload, a_group_is_the_union_of_its_agents)
{
    scn_dist fixed = dist(SCN_DIST_FIXED, "2");
    scn_dist expo = dist(SCN_DIST_EXPONENTIAL, "5");
    sim_class c[3];
    c[0] = klass(SIM_ARR_POISSON, 0, 4, 5, &expo);
    c[0].rate = 1.0 / 300;
    c[1] = klass(SIM_ARR_DIURNAL, 20, 5, 4, &fixed);
    c[1].rate = 1.0 / 300;
    c[1].peak_to_mean = 2.5;
    c[1].peak_hour = 15;
    c[1].tz_spread_hours = 9;
    c[1].weekend_factor = 0.4;
    c[2] = klass(SIM_ARR_SESSIONS, 40, 2, 10, &expo);
    c[2].session_rate = 1.0 / 1800;
    c[2].messages_per_session = 3.4;
    c[2].think_s = 20;
    sim_workload_model m = model(c, 3, 3 * DAY, 123);

    msgs group = collect(&m, 2, 5, 50);
    msgs all = collect_apart(&m, 2, 5, 50);
    cr_assert(group.n > 1000);
    assert_same_msgs(&group, &all);
    /* Every class contributed. */
    int seen[3] = {0, 0, 0};
    for (size_t i = 0; i < group.n; i++)
        seen[group.v[i].agent < 20 ? 0 : group.v[i].agent < 40 ? 1 : 2] = 1;
    cr_assert(seen[0] && seen[1] && seen[2]);
    free(group.v);
    free(all.v);
}

/* A group large enough to merge in windows (hundreds of agents, many
 * windows) yields the union of its agents' streams in (time, agent)
 * order, ties included: a trace class whose 300 agents all send at the
 * same few instants, beside Poisson agents whose times never tie. */
Test(workload, a_large_group_merges_in_time_then_agent_order)
{
    enum { TA = 300, ROWS = 30 };
    sim_trace tr;
    memset(&tr, 0, sizeof tr);
    tr.tenants = 100;
    tr.agents_per_tenant = 3;
    tr.nrows = TA * ROWS;
    tr.rows = calloc(tr.nrows, sizeof *tr.rows);
    tr.agent_first = calloc(TA + 1, sizeof *tr.agent_first);
    cr_assert(tr.rows && tr.agent_first);
    for (size_t a = 0; a < TA; a++) {
        tr.agent_first[a] = a * ROWS;
        for (size_t j = 0; j < ROWS; j++) {
            sim_trace_row *r = &tr.rows[a * ROWS + j];
            r->agent = a;
            /* Sorted per agent; whole minutes, or a nanosecond or two
             * before one, later agents earlier (times closer than a
             * window's sort key tells apart). */
            r->t = 60.0 * (double)((a % 7) + 2 * j + 1) -
                   1e-9 * (double)(a % 3);
            r->busy = (double)(a * ROWS + j);           /* tells rows apart */
        }
    }
    tr.agent_first[TA] = tr.nrows;
    tr.span = 60.0 * (7 + 2 * (ROWS - 1));
    scn_dist fixed = dist(SCN_DIST_FIXED, "3");
    sim_class c[2];
    c[0] = klass(SIM_ARR_POISSON, 0, 40, 10, &fixed);
    c[0].rate = 1.0 / 2;
    c[1] = klass(SIM_ARR_TRACE, 400, tr.tenants, tr.agents_per_tenant,
                 &fixed);
    c[1].trace = &tr;
    sim_workload_model m = model(c, 2, 4000, 77);

    msgs group = collect(&m, 1, 0, 700);
    msgs all = collect_apart(&m, 1, 0, 700);
    cr_assert(group.n > 100000);
    assert_same_msgs(&group, &all);
    size_t ties = 0;
    for (size_t i = 1; i < group.n; i++)
        ties += group.v[i].t == group.v[i - 1].t;
    cr_assert(ties > 8000, "only %zu ties", ties);
    free(group.v);
    free(all.v);
    free(tr.rows);
    free(tr.agent_first);
}

Test(workload, same_seed_same_stream_and_replications_differ)
{
    scn_dist busy = dist(SCN_DIST_EXPONENTIAL, "5");
    sim_class c = klass(SIM_ARR_POISSON, 0, 3, 3, &busy);
    c.rate = 1.0 / 100;
    sim_workload_model m = model(&c, 1, DAY, 5);
    msgs a = collect(&m, 0, 0, 9), b = collect(&m, 0, 0, 9);
    msgs r = collect(&m, 1, 0, 9);
    cr_assert_eq(a.n, b.n);
    cr_assert(!memcmp(a.v, b.v, a.n * sizeof *a.v));
    cr_assert(a.n != r.n || memcmp(a.v, r.v, a.n * sizeof *a.v));
    free(a.v);
    free(b.v);
    free(r.v);
}

Test(workload, agents_outside_every_class_and_empty_groups_are_silent)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "1");
    sim_class c = klass(SIM_ARR_POISSON, 10, 1, 2, &busy);
    c.rate = 1;
    sim_workload_model m = model(&c, 1, 100, 5);
    cr_assert_eq(count(&m, 0, 10), 0);
    cr_assert_eq(count(&m, 3, 1), 0);
    cr_assert_eq(count(&m, 12, 5), 0);
    cr_assert_eq(count(&m, 5, 0), 0);
    /* Partly inside: only the class's agents speak. */
    msgs l = collect(&m, 0, 8, 5);
    cr_assert(l.n > 100);
    for (size_t i = 0; i < l.n; i++)
        cr_assert(l.v[i].agent == 10 || l.v[i].agent == 11);
    free(l.v);
}

/* ---------------------------------------------------------------------
 * Service times
 * ------------------------------------------------------------------ */

Test(workload, mean_busy_matches_each_closed_form)
{
    scn_dist f = dist(SCN_DIST_FIXED, "7");
    scn_dist e = dist(SCN_DIST_EXPONENTIAL, "5");
    scn_dist l = lognormal("12", "1");
    scn_dist g = dist(SCN_DIST_GAMMA, "8");
    g.shape = dec("2");
    scn_dist emp = dist(SCN_DIST_EMPIRICAL, "0");
    double v[] = {1, 2, 3, 10};
    sim_samples smp = {v, 4, 4.0};
    sim_class c = klass(SIM_ARR_POISSON, 0, 1, 1, &f);
    cr_assert_float_eq(sim_mean_busy(&c), 7, 1e-12);
    c.busy = &e;
    cr_assert_float_eq(sim_mean_busy(&c), 5, 1e-12);
    c.busy = &l;
    cr_assert_float_eq(sim_mean_busy(&c), 12 * exp(0.5), 1e-12);
    c.busy = &g;
    cr_assert_float_eq(sim_mean_busy(&c), 8, 1e-12);
    c.busy = &emp;
    c.samples = &smp;
    cr_assert_float_eq(sim_mean_busy(&c), 4, 1e-12);
}

/* Exponential is -log(u) x mean, fixed its value, empirical v[floor(u n)],
 * each from the next uniform of the service stream. */
Test(workload, exponential_fixed_and_empirical_draws_are_exact)
{
    scn_dist e = dist(SCN_DIST_EXPONENTIAL, "5");
    scn_dist f = dist(SCN_DIST_FIXED, "7.5");
    scn_dist emp = dist(SCN_DIST_EMPIRICAL, "0");
    double v[] = {1, 2, 3, 10, 20};
    sim_samples smp = {v, 5, 7.2};
    sim_class ce = klass(SIM_ARR_POISSON, 0, 1, 1, &e);
    sim_class cf = klass(SIM_ARR_POISSON, 0, 1, 1, &f);
    sim_class cm = klass(SIM_ARR_POISSON, 0, 1, 1, &emp);
    cm.samples = &smp;
    sim_rng a, b;
    sim_rng_seed(&a, 3, 0, 4, SIM_STREAM_SERVICE);
    b = a;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(sim_draw_busy(&ce, &a), -log(sim_rng_uniform(&b)) * 5);
        cr_assert_eq(sim_draw_busy(&cf, &a), 7.5);
        double u = sim_rng_uniform(&b);
        cr_assert_eq(sim_draw_busy(&cm, &a), v[(int)floor(u * 5)]);
    }
}

/* Sample means of 200,000 draws against the distributions' means and
 * variances: fixed 7; exponential 5 (sd 5); lognormal median 12, sigma 1
 * (mean 12 e^0.5, sd mean x sqrt(e - 1)); gamma k = 2, mean 8 (sd 8 /
 * sqrt 2); bootstrap from {1, 2, 3, 10} (mean 4, variance 12.5). */
Test(workload, drawn_busy_times_have_the_stated_means)
{
    scn_dist f = dist(SCN_DIST_FIXED, "7");
    scn_dist e = dist(SCN_DIST_EXPONENTIAL, "5");
    scn_dist l = lognormal("12", "1");
    scn_dist g = dist(SCN_DIST_GAMMA, "8");
    g.shape = dec("2");
    scn_dist emp = dist(SCN_DIST_EMPIRICAL, "0");
    double v[] = {1, 2, 3, 10};
    sim_samples smp = {v, 4, 4.0};
    const scn_dist *ds[] = {&f, &e, &l, &g, &emp};
    double mean[] = {7, 5, 12 * exp(0.5), 8, 4};
    double sd[] = {0, 5, 12 * exp(0.5) * sqrt(exp(1) - 1), 8 / sqrt(2),
                   sqrt(12.5)};
    const int N = 200000;
    for (int k = 0; k < 5; k++) {
        sim_class c = klass(SIM_ARR_POISSON, 0, 1, 1, ds[k]);
        c.samples = &smp;
        sim_rng svc;
        sim_rng_seed(&svc, 77, 0, (uint64_t)k, SIM_STREAM_SERVICE);
        double sum = 0;
        for (int i = 0; i < N; i++) {
            double b = sim_draw_busy(&c, &svc);
            cr_assert(b >= 0);
            if (k == 4)
                cr_assert(b == 1 || b == 2 || b == 3 || b == 10);
            sum += b;
        }
        double se = sd[k] / sqrt(N);
        cr_assert(fabs(sum / N - mean[k]) <= 4 * se + 1e-9,
                  "kind %d: mean %f, want %f", k, sum / N, mean[k]);
    }
}

/* ---------------------------------------------------------------------
 * Diurnal
 * ------------------------------------------------------------------ */

/* kappa with e^kappa / I0(kappa) = peak, by plain bisection. */
static double kappa_for(double peak)
{
    double lo = 0, hi = 50;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (exp(mid) / gsl_sf_bessel_I0(mid) < peak)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static double daily(double kappa, double h, double peak_hour)
{
    return exp(kappa * cos(TWO_PI * (h - peak_hour) / 24)) /
           gsl_sf_bessel_I0(kappa);
}

/* The week keeps the mean rate, whatever the shape and time zones. */
Test(workload, diurnal_count_over_whole_weeks_keeps_the_rate)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "1");
    sim_class c = klass(SIM_ARR_DIURNAL, 0, 10, 2, &busy);
    c.rate = 1.0 / 30;
    c.peak_to_mean = 3;
    c.peak_hour = 14;
    c.tz_spread_hours = 10;
    c.weekend_factor = 0.5;
    sim_workload_model m = model(&c, 1, 2 * WEEK, 3);
    double want = 20 * 2 * WEEK / 30;
    assert_within((double)count(&m, 0, 20), want, sqrt(want), "messages");
}

/* With no time-zone spread, the share of messages in the hour around the
 * peak, and in the hour twelve hours away, is the integral of the daily
 * shape over that hour divided by 24. */
Test(workload, diurnal_peak_and_trough_hours_follow_the_intensity)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "1");
    sim_class c = klass(SIM_ARR_DIURNAL, 0, 1, 20, &busy);
    c.rate = 1.0 / 30;
    c.peak_to_mean = 3;
    c.peak_hour = 14;
    sim_workload_model m = model(&c, 1, WEEK, 8);
    msgs l = collect(&m, 0, 0, 20);
    size_t peak = 0, trough = 0;
    for (size_t i = 0; i < l.n; i++) {
        double h = fmod(l.v[i].t, DAY) / 3600;
        if (h >= 13.5 && h < 14.5)
            peak++;
        if (h >= 1.5 && h < 2.5)
            trough++;
    }
    double kappa = kappa_for(3);
    cr_assert_float_eq(daily(kappa, 14, 14), 3, 1e-9);
    double ip = 0, it = 0;
    const int steps = 2000;
    for (int i = 0; i < steps; i++) {
        double dh = 1.0 / steps, x = (i + 0.5) * dh;
        ip += daily(kappa, 13.5 + x, 14) * dh / 24;
        it += daily(kappa, 1.5 + x, 14) * dh / 24;
    }
    double n = (double)l.n;
    assert_within(peak / n, ip, sqrt(ip * (1 - ip) / n), "peak share");
    assert_within(trough / n, it, sqrt(it * (1 - it) / n), "trough share");
    cr_assert(ip > 2.5 / 24 && it < 0.5 / 24);
    free(l.v);
}

/* Saturday and Sunday (days 5 and 6 from a Monday t = 0) carry half a
 * weekday's traffic with weekend_factor 0.5. */
Test(workload, diurnal_weekend_days_carry_the_weekend_factor)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "1");
    sim_class c = klass(SIM_ARR_DIURNAL, 0, 1, 20, &busy);
    c.rate = 1.0 / 30;
    c.peak_to_mean = 2;
    c.peak_hour = 10;
    c.weekend_factor = 0.5;
    sim_workload_model m = model(&c, 1, 2 * WEEK, 21);
    msgs l = collect(&m, 0, 0, 20);
    double wkend = 0, wkday = 0;
    for (size_t i = 0; i < l.n; i++) {
        int d = (int)floor(l.v[i].t / DAY) % 7;
        if (d >= 5)
            wkend++;
        else
            wkday++;
    }
    double ratio = (wkend / 4) / (wkday / 10);
    assert_within(ratio, 0.5, 0.5 * sqrt(1 / wkend + 1 / wkday), "ratio");
    /* And the fortnight still averages the rate. */
    double want = 20 * 2 * WEEK / 30;
    assert_within(wkend + wkday, want, sqrt(want), "messages");
    free(l.v);
}

/* A peak_to_mean of 1 and weekend_factor of 1 is plain Poisson. */
Test(workload, flat_diurnal_is_poisson)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "1");
    sim_class c = klass(SIM_ARR_DIURNAL, 0, 1, 50, &busy);
    c.rate = 1.0 / 60;
    sim_workload_model m = model(&c, 1, 3 * DAY, 4);
    msgs l = collect(&m, 0, 0, 50);
    double want = 50 * 3 * DAY / 60;
    assert_within((double)l.n, want, sqrt(want), "messages");
    size_t night = 0;
    for (size_t i = 0; i < l.n; i++)
        night += fmod(l.v[i].t, DAY) < DAY / 4;
    assert_within(night / (double)l.n, 0.25, sqrt(0.1875 / l.n), "night");
    free(l.v);
}

/* ---------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------ */

/* A compound Poisson count: sessions at rate r H, messages per session M
 * with E M = m and E M^2 = 0.5 x 4 + 0.5 x 9 for m = 2.5. */
Test(workload, session_messages_count_rate_times_length)
{
    scn_dist busy = dist(SCN_DIST_EXPONENTIAL, "10");
    sim_class c = klass(SIM_ARR_SESSIONS, 0, 50, 4, &busy);
    c.session_rate = 1.0 / 3600;
    c.messages_per_session = 2.5;
    c.think_s = 30;
    double H = 30 * DAY;
    sim_workload_model m = model(&c, 1, H, 17);
    double sessions = 200 * H / 3600;
    double want = sessions * 2.5;
    uint64_t got = count(&m, 0, 200);
    assert_within((double)got, want, sqrt(sessions * 6.5), "messages");
}

/* Two messages per session, busy exactly 10 s, think ~0: each session is
 * a pair (s, s + 10 + think).  Every message must pair with one that
 * follows it 10 s (plus a sliver) later. */
Test(workload, session_messages_are_spaced_by_busy_plus_think)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "10");
    sim_class c = klass(SIM_ARR_SESSIONS, 0, 1, 1, &busy);
    c.session_rate = 1.0 / 600;
    c.messages_per_session = 2;
    c.think_s = 1e-4;
    sim_workload_model m = model(&c, 1, 10 * DAY, 2);
    msgs l = collect(&m, 0, 0, 1);
    cr_assert(l.n > 2000);
    char *used = calloc(l.n, 1);
    cr_assert(used);
    size_t pairs = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (used[i])
            continue;
        used[i] = 1;
        for (size_t j = i + 1; j < l.n && l.v[j].t < l.v[i].t + 10.01; j++) {
            if (!used[j] && l.v[j].t >= l.v[i].t + 10) {
                used[j] = 1;
                pairs++;
                break;
            }
        }
    }
    /* A session that starts within 10 s of the horizon keeps only its
     * first message; allow a couple. */
    cr_assert(2 * pairs + 2 >= l.n, "%zu pairs for %zu messages", pairs, l.n);
    free(used);
    free(l.v);
}

/* Sessions that overlap heavily (a new one every 10 s, each ~160 s
 * long) still come out in time order and in number. */
Test(workload, overlapping_sessions_stay_in_order)
{
    scn_dist busy = dist(SCN_DIST_FIXED, "10");
    sim_class c = klass(SIM_ARR_SESSIONS, 0, 1, 3, &busy);
    c.session_rate = 1.0 / 10;
    c.messages_per_session = 5;
    c.think_s = 30;
    double H = DAY / 2;
    sim_workload_model m = model(&c, 1, H, 6);
    msgs l = collect(&m, 0, 0, 3);
    /* Sessions starting within ~160 s of H lose messages: at most 16 per
     * agent of 5 messages.  Poisson sd sqrt(3 H / 10 x 25). */
    double want = 3 * H / 10 * 5;
    cr_assert(fabs((double)l.n - want) < 4 * sqrt(3 * H / 10 * 25) + 250,
              "%zu messages, want %f", l.n, want);
    msgs one = collect(&m, 0, 1, 1);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++)
        k += l.v[i].agent == 1;
    cr_assert_eq(k, one.n);
    free(one.v);
    free(l.v);
}

/* ---------------------------------------------------------------------
 * Trace and sample files
 * ------------------------------------------------------------------ */

static char tmpdir[64];
static char files[16][128];
static int nfiles;

static void tmp_init(void)
{
    strcpy(tmpdir, "/tmp/capsim-wl-XXXXXX");
    cr_assert(mkdtemp(tmpdir));
    nfiles = 0;
}

static void tmp_fini(void)
{
    for (int i = 0; i < nfiles; i++)
        unlink(files[i]);
    rmdir(tmpdir);
}

static const char *write_tmp(const char *name, const char *text)
{
    cr_assert(nfiles < 16);
    char *path = files[nfiles++];
    snprintf(path, sizeof files[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads a file that must fail, and checks the first diagnostic. */
static void expect_error(int (*load)(const char *, sim_diag *, void *),
                         const char *text, int rc, int line, int col,
                         const char *needle)
{
    const char *path = write_tmp("bad.csv", text);
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(load(path, &d, NULL), rc, "for %s", text);
    cr_assert(d.n >= 1 && d.errors >= 1);
    cr_assert_eq(d.v[0].line, line, "line %d, want %d for %s", d.v[0].line,
                 line, text);
    cr_assert_eq(d.v[0].col, col, "col %d, want %d for %s", d.v[0].col, col,
                 text);
    cr_assert(strstr(d.v[0].message, needle), "message \"%s\" lacks \"%s\"",
              d.v[0].message, needle);
    cr_assert_str_eq(d.v[0].file, path);
    sim_diag_fini(&d);
    unlink(path);
    nfiles--;
}

static int load_trace(const char *path, sim_diag *d, void *unused)
{
    sim_trace t;
    (void)unused;
    int rc = sim_trace_load(path, d, &t);
    cr_assert(rc != SIM_OK || t.nrows > 0);
    sim_trace_fini(&t);
    return rc;
}

static int load_samples(const char *path, sim_diag *d, void *unused)
{
    sim_samples s;
    (void)unused;
    int rc = sim_samples_load(path, d, &s);
    sim_samples_fini(&s);
    return rc;
}

TestSuite(workload_files, .init = tmp_init, .fini = tmp_fini);

/* Tenants acme (agents bob, ann) and globex (agent x): two tenants of at
 * most two agents, so acme/bob = 0, acme/ann = 1, globex/x = 2. */
Test(workload_files, trace_maps_labels_and_sorts_by_agent_then_time)
{
    const char *path = write_tmp("t.csv", "time,tenant,agent,busy\n"
                                          "5,acme,bob,1.5\n"
                                          "3,globex,x,\n"
                                          "1,acme,ann,2\n"
                                          "2,acme,bob\n"
                                          "7.25,\"acme\",ann,0\n"
                                          "2,acme,bob,9\n");
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_OK);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(t.nrows, 6);
    cr_assert_eq(t.tenants, 2);
    cr_assert_eq(t.agents_per_tenant, 2);
    cr_assert_float_eq(t.span, 7.25, 1e-12);
    /* (agent, t, busy) in order; ties in time keep file order. */
    const double want[6][3] = {{0, 2, -1}, {0, 2, 9}, {0, 5, 1.5},
                               {1, 1, 2},  {1, 7.25, 0}, {2, 3, -1}};
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(t.rows[i].agent, (uint64_t)want[i][0], "row %d", i);
        cr_assert_float_eq(t.rows[i].t, want[i][1], 1e-12, "row %d", i);
        cr_assert_float_eq(t.rows[i].busy, want[i][2], 1e-12, "row %d", i);
    }
    const uint64_t first[5] = {0, 3, 5, 6, 6};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(t.agent_first[i], first[i], "agent_first[%d]", i);

    /* Through a source: agent 0 yields its rows, busy drawn (fixed 4 s)
     * where the row has none; the horizon drops the 5 s row. */
    scn_dist busy = dist(SCN_DIST_FIXED, "4");
    sim_class c = klass(SIM_ARR_TRACE, 100, t.tenants, t.agents_per_tenant,
                        &busy);
    c.trace = &t;
    sim_workload_model m = model(&c, 1, 4, 1);
    msgs l = collect(&m, 0, 100, 4);
    cr_assert_eq(l.n, 4);
    const double got[4][3] = {{1, 101, 2}, {2, 100, 4}, {2, 100, 9},
                              {3, 102, 4}};
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(l.v[i].t, got[i][0], 1e-12, "msg %d", i);
        cr_assert_eq(l.v[i].agent, (uint64_t)got[i][1], "msg %d", i);
        cr_assert_float_eq(l.v[i].busy, got[i][2], 1e-12, "msg %d", i);
    }
    free(l.v);
    /* With no busy law, the mean is the rows' average busy. */
    c.busy = NULL;
    cr_assert_float_eq(sim_mean_busy(&c), (1.5 + 2 + 0 + 9) / 4, 1e-12);
    sim_trace_fini(&t);
    sim_diag_fini(&d);
}

/* 300 rows for three agents in scrambled order with many equal times:
 * the rows must come out by (agent, time), equal times in file order
 * (told apart here by the busy column, which holds the row number). */
Test(workload_files, trace_sort_is_stable_within_each_agent)
{
    static char text[300 * 32];
    int agent[300], tm[300];
    size_t len = 0;
    unsigned x = 12345;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        agent[i] = (int)((x >> 16) % 3);
        x = x * 1103515245u + 12345u;
        tm[i] = (int)((x >> 16) % 40);
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,t,a%d,%d\n",
                                tm[i], agent[i], i);
    }
    const char *path = write_tmp("t.csv", text);
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_OK);
    cr_assert_eq(t.nrows, 300);
    /* Agents are numbered by first appearance. */
    int number[3] = {-1, -1, -1}, next = 0;
    for (int i = 0; i < 300; i++)
        if (number[agent[i]] < 0)
            number[agent[i]] = next++;
    size_t k = 0;
    for (int a = 0; a < 3; a++) {
        for (int when = 0; when < 40; when++) {
            for (int i = 0; i < 300; i++) {
                if (number[agent[i]] != a || tm[i] != when)
                    continue;
                cr_assert_eq(t.rows[k].agent, (uint64_t)a, "row %zu", k);
                cr_assert_eq(t.rows[k].t, (double)when, "row %zu", k);
                cr_assert_eq(t.rows[k].busy, (double)i, "row %zu", k);
                k++;
            }
        }
        cr_assert_eq(t.agent_first[a + 1], k);
    }
    cr_assert_eq(k, 300);
    sim_trace_fini(&t);
    sim_diag_fini(&d);
}

Test(workload_files, trace_without_header_uses_its_first_row)
{
    const char *path = write_tmp("t.csv", "0,a,b\r\n\r\n10,a,c\r\n4,z,b\r\n");
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_OK);
    cr_assert_eq(t.nrows, 3);
    cr_assert_eq(t.tenants, 2);
    cr_assert_eq(t.agents_per_tenant, 2);
    cr_assert_eq(t.rows[0].agent, 0);
    cr_assert_eq(t.rows[1].agent, 1);
    cr_assert_eq(t.rows[2].agent, 2);   /* z/b: tenant 1, agent 0 */
    cr_assert_float_eq(t.span, 10, 1e-12);
    sim_trace_fini(&t);
    sim_diag_fini(&d);
}

/* Timestamps count from the earliest row, which need not be first. */
Test(workload_files, trace_timestamps_are_relative_to_the_earliest)
{
    const char *path = write_tmp("t.csv",
                                 "ts,tenant,agent\n"
                                 "2025-11-03T14:05:09Z,t,a\n"
                                 "2025-11-03 14:05:08.75,t,a\n"
                                 "2025-11-04T00:00:00.5Z,t,b\n"
                                 "2025-11-03T15:05:09+01:00,t,c\n"
                                 "2024-02-29T00:00:00Z,u,a\n"
                                 "2025-11-03,u,b\n"
                                 "2025-11-03T13:05:09-0100,t,c\n");
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_OK, "%s",
                 d.n ? d.v[0].message : "");
    cr_assert_eq(t.nrows, 7);
    /* From 2024-02-29 (the earliest row): 307 days to 2025-01-01, then
     * 306 more to 2025-11-03. */
    double base = 613 * DAY;
    cr_assert_eq(t.agents_per_tenant, 3);
    /* Agents: t/a = 0, t/b = 1, t/c = 2, u/a = 3. */
    cr_assert_eq(t.rows[0].agent, 0);
    cr_assert_float_eq(t.rows[0].t, base + 14 * 3600 + 5 * 60 + 8.75, 1e-9);
    cr_assert_float_eq(t.rows[1].t, base + 14 * 3600 + 5 * 60 + 9, 1e-9);
    cr_assert_eq(t.rows[2].agent, 1);
    cr_assert_float_eq(t.rows[2].t, base + DAY + 0.5, 1e-9);
    for (int i = 3; i < 5; i++) {
        cr_assert_eq(t.rows[i].agent, 2);
        cr_assert_float_eq(t.rows[i].t, base + 14 * 3600 + 5 * 60 + 9, 1e-9);
    }
    cr_assert_eq(t.rows[5].agent, 3);
    cr_assert_float_eq(t.rows[5].t, 0, 1e-12);
    cr_assert_eq(t.rows[6].agent, 4);  /* u/b: tenant 1, agent 1 */
    cr_assert_float_eq(t.rows[6].t, base, 1e-9);
    cr_assert_float_eq(t.span, base + DAY + 0.5, 1e-9);
    sim_trace_fini(&t);
    sim_diag_fini(&d);
}

Test(workload_files, trace_errors_point_at_line_and_column)
{
    int (*L)(const char *, sim_diag *, void *) = load_trace;
    expect_error(L, "time,tenant,agent\n1,a,b\nsoon,a,b\n", SIM_EPARSE, 3, 1,
                 "expected a time in seconds or an ISO 8601 timestamp");
    expect_error(L, "1,a,b\n-4,a,b\n", SIM_EPARSE, 2, 1,
                 "expected a time in seconds or an ISO 8601 timestamp");
    expect_error(L, "-4,a,b\n", SIM_EPARSE, 1, 1, "times are >= 0");
    expect_error(L, "1,a,b\n\n  nan,a,b\n", SIM_EPARSE, 3, 3,
                 "expected a time in seconds or an ISO 8601 timestamp");
    expect_error(L, "1,a,b,0.5\n2,a,b,-1\n", SIM_EPARSE, 2, 7,
                 "expected busy seconds >= 0");
    expect_error(L, "1,a,b,0.5\n2,tenant,b,fast\n", SIM_EPARSE, 2, 12,
                 "expected busy seconds >= 0");
    expect_error(L, "1,a,b\n2,a\n", SIM_EPARSE, 2, 1,
                 "expected 3 or 4 columns");
    expect_error(L, "1,a,b\r\n2,a,b,3,4,5\r\n", SIM_EPARSE, 2, 9,
                 "expected 3 or 4 columns");
    expect_error(L, "", SIM_EPARSE, 0, 0, "the trace has no rows");
    expect_error(L, "time,tenant,agent\n", SIM_EPARSE, 0, 0,
                 "the trace has no rows");
    expect_error(L, "2025-02-30T00:00:00Z,a,b\n", SIM_EPARSE, 1, 1,
                 "no such date or time");
    expect_error(L, "t,a,b\n2025-01-01T00:00:00+01:,a,b\n", SIM_EPARSE, 2,
                 1, "ISO 8601");
    expect_error(L, "t,a,b\n0x10,a,b\n", SIM_EPARSE, 2, 1, "ISO 8601");
    expect_error(L, "2025-11-03T00:00:00Z,a,b\n12,a,b\n", SIM_EPARSE, 2, 1,
                 "the first row uses timestamps");
    expect_error(L, "1,a,b\n2,,b\n", SIM_EPARSE, 2, 3,
                 "expected a tenant label");
    expect_error(L, "1,a,b\n\"2\",a,\"b\nc\"\n3,a\"x,b\n", SIM_EPARSE, 4, 4,
                 "malformed CSV");
}

Test(workload_files, unreadable_files_are_io_errors_naming_the_file)
{
    char path[128];
    snprintf(path, sizeof path, "%s/missing.csv", tmpdir);
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_EIO);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.v[0].message, path));
    cr_assert(strstr(d.v[0].message, strerror(ENOENT)));
    sim_samples s;
    cr_assert_eq(sim_samples_load(path, &d, &s), SIM_EIO);
    cr_assert_eq(d.n, 2);
    sim_diag_fini(&d);
}

Test(workload_files, samples_load_with_header_and_mean)
{
    const char *path = write_tmp("s.csv", "seconds\n1\n2.5\n\n 8.5 \n0\n");
    sim_diag d;
    sim_diag_init(&d);
    sim_samples s;
    cr_assert_eq(sim_samples_load(path, &d, &s), SIM_OK);
    cr_assert_eq(s.n, 4);
    cr_assert_float_eq(s.v[0], 1, 1e-12);
    cr_assert_float_eq(s.v[1], 2.5, 1e-12);
    cr_assert_float_eq(s.v[2], 8.5, 1e-12);
    cr_assert_float_eq(s.v[3], 0, 1e-12);
    cr_assert_float_eq(s.mean, 3, 1e-12);
    sim_samples_fini(&s);
    sim_samples_fini(&s);   /* freeing twice is harmless */
    sim_diag_fini(&d);
}

Test(workload_files, samples_errors_point_at_line_and_column)
{
    int (*L)(const char *, sim_diag *, void *) = load_samples;
    expect_error(L, "s\n1\n2,3\n", SIM_EPARSE, 3, 3, "expected one column");
    expect_error(L, "1\n-2\n", SIM_EPARSE, 2, 1,
                 "expected service seconds >= 0");
    expect_error(L, "1\ninf\n", SIM_EPARSE, 2, 1,
                 "expected service seconds >= 0");
    expect_error(L, "x\ny\n", SIM_EPARSE, 2, 1,
                 "expected service seconds >= 0");
    expect_error(L, "seconds\n", SIM_EPARSE, 0, 0, "has no values");
}

/* 1,001 tenants with one agent each, then one of them with 999 more: the
 * model gives all 1,001 tenants 1,000 agents, 1,001,000 in all, from
 * 2,000 rows.  Refused where the grid passed a million (the last row's
 * agent field); the same trace with rows enough for its agents loads. */
static char *uneven_trace(size_t extra_rows)
{
    size_t cap = 64 * (2000 + extra_rows) + 64, at = 0;
    char *text = malloc(cap);
    cr_assert(text);
    for (int n = 0; n <= 1000; n++)
        at += (size_t)snprintf(text + at, cap - at, "0,t%d,a\n", n);
    for (size_t e = 0; e < extra_rows; e++)
        at += (size_t)snprintf(text + at, cap - at, "1,t1,a\n");
    for (int k = 1; k <= 999; k++)
        at += (size_t)snprintf(text + at, cap - at, "0,t0,a%d\n", k);
    return text;
}

Test(workload_files, trace_of_uneven_tenants_asking_for_millions_is_refused)
{
    char *text = uneven_trace(0);
    expect_error(load_trace, text, SIM_EPARSE, 2000, 6,
                 "1001 tenants and up to 1000 agents of one tenant");
    free(text);
    /* 16,000 rows carry 1,001,000 agents at fewer than 64 a row. */
    text = uneven_trace(14000);
    const char *path = write_tmp("ok.csv", text);
    sim_diag d;
    sim_diag_init(&d);
    sim_trace t;
    cr_assert_eq(sim_trace_load(path, &d, &t), SIM_OK);
    cr_assert_eq(t.tenants, 1001);
    cr_assert_eq(t.agents_per_tenant, 1000);
    sim_trace_fini(&t);
    sim_diag_fini(&d);
    free(text);
}

/* The least k with P(Poisson(l) <= k) >= q, exactly. */
static double poisson_quantile(double l, double q)
{
    unsigned k = 0;
    while (gsl_cdf_poisson_P(k, l) < q)
        k++;
    return k;
}

/* The least k whose share of a day at or below it reaches q, with
 * Poisson(load(h)) at each of 1,440 minutes, exactly. */
static double daily_quantile(double mean_load, double kappa, double q)
{
    for (unsigned k = 0;; k++) {
        double share = 0;
        for (int i = 0; i < 1440; i++)
            share += gsl_cdf_poisson_P(
                k, mean_load * daily(kappa, (i + 0.5) / 60, 14));
        if (share / 1440 >= q)
            return k;
    }
}

/*
 * The guess at demand quantiles that sizes the pools' follower, against
 * exact Poisson figures: a steady group (200 agents at 1/600 s, 60 s
 * services: 20 in service), half of it, a week with the weekends off
 * (weekdays at 7/5 the rate: the q-quantile is that of Poisson(28) at
 * (q - 2/7) / (5/7)), and a daily cycle peaking at 3x the mean.  The
 * guess uses a normal approximation on ten-minute steps, so it may be a
 * message off.
 */
Test(workload, load_quantile_follows_poisson_weekends_and_the_day)
{
    scn_dist b = dist(SCN_DIST_EXPONENTIAL, "60");
    sim_class c = klass(SIM_ARR_POISSON, 0, 200, 1, &b);
    c.rate = 1.0 / 600;
    sim_workload_model m = model(&c, 1, 30 * DAY, 1);
    static const double qs[] = {0.5, 0.9, 0.977, 0.999};
    for (int i = 0; i < 4; i++) {
        double got = sim_load_quantile(&m, 0, 200, qs[i]);
        double want = poisson_quantile(20, qs[i]);
        cr_assert(fabs(got - want) <= 1, "q %g: %g vs %g", qs[i], got, want);
        got = sim_load_quantile(&m, 100, 100, qs[i]);
        want = poisson_quantile(10, qs[i]);
        cr_assert(fabs(got - want) <= 1, "half, q %g: %g vs %g", qs[i], got,
                  want);
    }
    sim_class w = c;
    w.kind = SIM_ARR_DIURNAL;
    w.weekend_factor = 0;
    m = model(&w, 1, WEEK, 1);
    for (int i = 0; i < 4; i++) {
        double got = sim_load_quantile(&m, 0, 200, qs[i]);
        double want = poisson_quantile(28, (qs[i] - 2.0 / 7) / (5.0 / 7));
        cr_assert(fabs(got - want) <= 1, "weekdays, q %g: %g vs %g", qs[i],
                  got, want);
    }
    sim_class d = c;
    d.kind = SIM_ARR_DIURNAL;
    d.peak_to_mean = 3;
    d.peak_hour = 14;
    m = model(&d, 1, 30 * DAY, 1);
    double kappa = kappa_for(3);
    for (int i = 0; i < 4; i++) {
        double got = sim_load_quantile(&m, 0, 200, qs[i]);
        double want = daily_quantile(20, kappa, qs[i]);
        cr_assert(fabs(got - want) <= 1, "daily, q %g: %g vs %g", qs[i], got,
                  want);
    }
    /* Near the peak: far above the mean's Poisson quantile. */
    cr_assert_gt(sim_load_quantile(&m, 0, 200, 0.99),
                 poisson_quantile(20, 0.99) + 10);
    /* Tenants' clocks spread over a whole day flatten the cycle: the
     * group's demand is Poisson(20) again. */
    d.tz_spread_hours = 24;
    for (int i = 0; i < 4; i++) {
        double got = sim_load_quantile(&m, 0, 200, qs[i]);
        double want = poisson_quantile(20, qs[i]);
        cr_assert(fabs(got - want) <= 1, "spread, q %g: %g vs %g", qs[i],
                  got, want);
    }
}

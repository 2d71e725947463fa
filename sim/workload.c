/*
 * workload.c -- per-agent arrival processes and the merged stream of a
 * group of agents (the trace and sample files they replay are read by
 * scenario/trace.c).
 *
 * Every agent is a small generator that always holds its next message
 * (time and service time) drawn one step ahead.  A group of one agent
 * just steps that generator -- the scale-to-zero hot path, a few loads
 * beyond the random draws.  A small group keeps its agents' next
 * messages in a binary min-heap keyed by (time, agent); one of 256 agents
 * or more takes windows of about one message per agent and radix-sorts
 * each stably by time, which gives the same order at half the cost.  Superposing the
 * Poisson agents of a class into one stream of rate n x lambda would be
 * cheaper, but it cannot reproduce each agent's own draws, and those are
 * what make every grouping see the same messages, so it was rejected.
 */
#include "sim/workload.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fixed.h"
#include "sim/radix.h"

#define TWO_PI 6.283185307179586
#define DAY_S 86400.0

/* ---------------------------------------------------------------------
 * Service times
 * ------------------------------------------------------------------ */

/* A class's service law with its fixed-point parameters converted once,
 * so drawing costs no 128-bit divisions.  The conversions are the very
 * ones des.c makes per draw, so the draws are bit-identical. */
typedef struct busy_law {
    int kind;               /* enum scn_dist_kind, or -1: none given */
    double mean;            /* fixed value or mean */
    double mu, sigma;       /* lognormal: log(median), shape */
    double shape, scale;    /* gamma */
    const double *v;        /* empirical values */
    size_t n;
} busy_law;

static void law_init(busy_law *b, const sim_class *c)
{
    const scn_dist *d = c->busy;
    memset(b, 0, sizeof *b);
    b->kind = -1;
    if (!d)
        return;
    b->kind = (int)d->kind;
    b->mean = sim_fx_to_double(d->mean_s);
    switch (d->kind) {
    case SCN_DIST_FIXED:
    case SCN_DIST_EXPONENTIAL:
        break;
    case SCN_DIST_LOGNORMAL:
        b->mu = log(sim_fx_to_double(d->median_s));
        b->sigma = sim_fx_to_double(d->sigma);
        break;
    case SCN_DIST_GAMMA:
        b->shape = sim_fx_to_double(d->shape);
        b->scale = b->mean / b->shape;
        break;
    case SCN_DIST_EMPIRICAL:
        /* Without loaded samples the best stand-in is the stated mean. */
        if (c->samples && c->samples->n > 0) {
            b->v = c->samples->v;
            b->n = c->samples->n;
        } else
            b->kind = SCN_DIST_FIXED;
        break;
    }
}

static double law_draw(const busy_law *b, sim_rng *svc)
{
    switch (b->kind) {
    case SCN_DIST_FIXED:
        return b->mean;
    case SCN_DIST_EXPONENTIAL:
        return -log(sim_rng_uniform(svc)) * b->mean;
    case SCN_DIST_LOGNORMAL: {
        /* Box-Muller from two draws, as the CSB-1 recipe (and des.c)
         * does; the second normal is deliberately thrown away so each
         * message costs the same two draws. */
        double u1 = sim_rng_uniform(svc), u2 = sim_rng_uniform(svc);
        double z = sqrt(-2 * log(u1)) * cos(TWO_PI * u2);
        return exp(b->mu + b->sigma * z);
    }
    case SCN_DIST_GAMMA: {
        /* A gsl_rng is just (type, state): one on the stack whose state
         * is the agent's service stream draws from that stream, exactly
         * as des.c's swapped g->state does, without an allocation. */
        gsl_rng g;
        g.type = sim_rng_gsl_type;
        g.state = svc;
        return gsl_ran_gamma(&g, b->shape, b->scale);
    }
    case SCN_DIST_EMPIRICAL: {
        /* Bootstrap resampling; u < 1, but u * n may round up to n. */
        size_t i = (size_t)(sim_rng_uniform(svc) * (double)b->n);
        return b->v[i < b->n ? i : b->n - 1];
    }
    default:
        return 0;
    }
}

double sim_draw_busy(const sim_class *c, sim_rng *svc)
{
    busy_law b;
    law_init(&b, c);
    return law_draw(&b, svc);
}

uint64_t sim_class_span(const sim_class *c, uint64_t first, uint64_t n,
                        uint64_t *from)
{
    uint64_t lo = c->first_agent;
    uint64_t hi = lo + (uint64_t)(c->tenants * c->agents_per_tenant);
    uint64_t a = first > lo ? first : lo;
    uint64_t b = first + n < hi ? first + n : hi;
    *from = a;
    return a < b ? b - a : 0;
}

double sim_mean_busy(const sim_class *c)
{
    const scn_dist *d = c->busy;
    if (!d) {
        /* A trace whose rows all carry busy seconds: their average. */
        const sim_trace *tr = c->trace;
        double sum = 0;
        size_t n = 0;
        for (size_t i = 0; tr && i < tr->nrows; i++) {
            if (tr->rows[i].busy >= 0) {
                sum += tr->rows[i].busy;
                n++;
            }
        }
        return n ? sum / (double)n : 0;
    }
    switch (d->kind) {
    case SCN_DIST_LOGNORMAL: {
        double s = sim_fx_to_double(d->sigma);
        return sim_fx_to_double(d->median_s) * exp(s * s / 2);
    }
    case SCN_DIST_EMPIRICAL:
        if (c->samples && c->samples->n > 0)
            return c->samples->mean;
        break;
    case SCN_DIST_FIXED:
    case SCN_DIST_EXPONENTIAL:
    case SCN_DIST_GAMMA:
        break;
    }
    return sim_fx_to_double(d->mean_s);
}

/* ---------------------------------------------------------------------
 * Per-class constants
 * ------------------------------------------------------------------ */

/*
 * The von Mises concentration whose daily peak exp(k) / I0(k) equals
 * `peak`.  ln(e^k / I0(k)) = -ln I0_scaled(k) is increasing and concave
 * in k, so Newton from k = 0 climbs monotonically to the root without
 * overshooting; a dozen steps reach full precision where bisection would
 * need sixty Bessel evaluations -- this runs once per opened source, i.e.
 * once per agent in a per-agent deployment.  The scaled Bessel functions
 * never overflow, whatever the peak.
 */
static double solve_kappa(double peak)
{
    if (!(peak > 1))
        return 0;
    double target = log(peak), k = 0;
    for (int i = 0; i < 200; i++) {
        double i0 = gsl_sf_bessel_I0_scaled(k);
        double i1 = gsl_sf_bessel_I1_scaled(k);
        double g = -log(i0) - target;
        double dg = 1 - i1 / i0;
        if (g >= 0 || dg <= 0)
            break;
        double step = -g / dg;
        k += step;
        if (step <= 1e-15 * k)
            break;
    }
    return k;
}

/* What a generator needs of its class, worked out once per source. */
typedef struct gen_class {
    const sim_class *c;
    enum sim_arrival_kind kind;
    busy_law law;
    double rate;            /* Poisson: arrivals; diurnal: candidates;
                               sessions: session starts (per second) */
    double kappa;           /* diurnal: daily concentration */
    double wk[2];           /* weekday, weekend weight over the largest */
    double peak_s;          /* peak hour in seconds after local midnight */
    double mfloor, mfrac;   /* sessions: messages_per_session split */
    double think;           /* mean think time */
} gen_class;

static void class_init(gen_class *k, const sim_class *c)
{
    memset(k, 0, sizeof *k);
    k->c = c;
    k->kind = c->kind;
    law_init(&k->law, c);
    switch (c->kind) {
    case SIM_ARR_POISSON:
        k->rate = c->rate;
        break;
    case SIM_ARR_DIURNAL: {
        double peak = c->peak_to_mean > 1 ? c->peak_to_mean : 1;
        double w = c->weekend_factor > 0 ? c->weekend_factor : 0;
        double wd = 7 / (5 + 2 * w), we = 7 * w / (5 + 2 * w);
        double wmax = wd > we ? wd : we;
        k->kappa = solve_kappa(peak);
        k->rate = c->rate * peak * wmax;
        k->wk[0] = wd / wmax;
        k->wk[1] = we / wmax;
        k->peak_s = c->peak_hour * 3600;
        break;
    }
    case SIM_ARR_SESSIONS: {
        double m = c->messages_per_session > 0 ? c->messages_per_session : 0;
        k->rate = c->session_rate;
        k->mfloor = floor(m);
        k->mfrac = m - k->mfloor;
        k->think = c->think_s > 0 ? c->think_s : 0;
        break;
    }
    case SIM_ARR_TRACE:
        break;
    }
}

/* ---------------------------------------------------------------------
 * One agent's generator
 * ------------------------------------------------------------------ */

/* A session in progress: its next message's time and how many remain. */
typedef struct sess {
    double t;
    uint64_t left;
} sess;

typedef struct gen {
    sim_rng arr, svc;
    double t, busy;         /* the next message; t = INFINITY: no more */
    const gen_class *k;
    union {
        double offset;      /* diurnal: local time minus UTC, seconds */
        struct {
            uint64_t next, end;     /* trace rows still to yield */
        } tr;
        struct {
            double start;           /* the next session's start */
            uint32_t n, cap;        /* sessions in progress */
            /* Overlapping sessions of one agent are rare, so one lives
             * inline and more spill to the heap (cap > 1). */
            union {
                sess one;
                sess *v;
            } u;
        } ss;
    } u;
} gen;

static sess *sess_v(gen *g)
{
    return g->u.ss.cap > 1 ? g->u.ss.u.v : &g->u.ss.u.one;
}

static int sess_push(gen *g, double t, uint64_t left)
{
    if (g->u.ss.n == g->u.ss.cap) {
        uint32_t ncap = g->u.ss.cap * 2;
        sess *v = sim_alloc(ncap * sizeof *v);
        if (!v)
            return SIM_ENOMEM;
        memcpy(v, sess_v(g), g->u.ss.n * sizeof *v);
        if (g->u.ss.cap > 1)
            sim_free(g->u.ss.u.v);
        g->u.ss.u.v = v;
        g->u.ss.cap = ncap;
    }
    sess *v = sess_v(g);
    v[g->u.ss.n].t = t;
    v[g->u.ss.n].left = left;
    g->u.ss.n++;
    return SIM_OK;
}

static void gen_fini(gen *g)
{
    if (g->k && g->k->kind == SIM_ARR_SESSIONS && g->u.ss.cap > 1)
        sim_free(g->u.ss.u.v);
}

/* The thinning acceptance ratio lambda / lambda_max at a tenant's local
 * time `local` (seconds; t = 0 is Monday 00:00 UTC). */
static double diurnal_accept(const gen_class *k, double local)
{
    double day = floor(local / DAY_S);
    /* fmod keeps the sign of negative local times (tenants west of UTC
     * before their first midnight); shift into 0..6, Monday = 0. */
    double d = fmod(day, 7);
    if (d < 0)
        d += 7;
    double w = k->wk[d >= 5];
    if (k->kappa == 0)
        return w;
    /* exp(k cos) / I0(k) over its maximum exp(k) / I0(k). */
    double c = cos(TWO_PI * (local - k->peak_s) / DAY_S);
    return exp(k->kappa * (c - 1)) * w;
}

static int sessions_advance(gen *g, double H)
{
    const gen_class *k = g->k;
    for (;;) {
        sess *v = sess_v(g);
        uint32_t j = 0;
        double best = INFINITY;
        for (uint32_t i = 0; i < g->u.ss.n; i++) {
            if (v[i].t < best) {
                best = v[i].t;
                j = i;
            }
        }
        double s = g->u.ss.start;
        if (s <= best && s <= H) {
            /* A session starts: its length, then the next start. */
            double u = sim_rng_uniform(&g->arr);
            uint64_t msgs = (uint64_t)k->mfloor + (u < k->mfrac ? 1 : 0);
            g->u.ss.start = s + -log(sim_rng_uniform(&g->arr)) / k->rate;
            if (msgs > 0 && sess_push(g, s, msgs) != SIM_OK) {
                g->t = INFINITY;
                return SIM_ENOMEM;
            }
            continue;
        }
        if (best > H) {
            g->t = INFINITY;
            return SIM_OK;
        }
        g->t = best;
        g->busy = law_draw(&k->law, &g->svc);
        if (--v[j].left > 0) {
            /* The user reads the reply, thinks, and writes again. */
            double think = -log(sim_rng_uniform(&g->arr)) * k->think;
            v[j].t = best + g->busy + think;
        } else
            v[j] = v[--g->u.ss.n];
        return SIM_OK;
    }
}

/*
 * Draws the agent's next message into g->t, g->busy (t = INFINITY when
 * there is none at or before H).  Fails only when a sessions agent needs
 * room for one more overlapping session and none is left.
 */
static int gen_advance(gen *g, double H)
{
    const gen_class *k = g->k;
    switch (k->kind) {
    case SIM_ARR_POISSON: {
        /* The CSB-1 recipe: interarrival, then the busy time of the
         * accepted arrival.  Do not reorder. */
        if (!(k->rate > 0)) {
            g->t = INFINITY;
            return SIM_OK;
        }
        double t = g->t + -log(sim_rng_uniform(&g->arr)) / k->rate;
        if (t > H) {
            g->t = INFINITY;
            return SIM_OK;
        }
        g->t = t;
        g->busy = law_draw(&k->law, &g->svc);
        return SIM_OK;
    }
    case SIM_ARR_DIURNAL: {
        /* Thinning: candidates at the largest intensity, each kept with
         * probability lambda(t) / lambda_max. */
        if (!(k->rate > 0)) {
            g->t = INFINITY;
            return SIM_OK;
        }
        double t = g->t;
        for (;;) {
            t += -log(sim_rng_uniform(&g->arr)) / k->rate;
            if (t > H) {
                g->t = INFINITY;
                return SIM_OK;
            }
            double u = sim_rng_uniform(&g->arr);
            if (u < diurnal_accept(k, t + g->u.offset))
                break;
        }
        g->t = t;
        g->busy = law_draw(&k->law, &g->svc);
        return SIM_OK;
    }
    case SIM_ARR_SESSIONS:
        return sessions_advance(g, H);
    case SIM_ARR_TRACE: {
        const sim_trace *tr = k->c->trace;
        if (g->u.tr.next >= g->u.tr.end ||
            tr->rows[g->u.tr.next].t > H) {
            g->t = INFINITY;
            return SIM_OK;
        }
        const sim_trace_row *row = &tr->rows[g->u.tr.next++];
        g->t = row->t;
        g->busy = row->busy >= 0 ? row->busy : law_draw(&k->law, &g->svc);
        return SIM_OK;
    }
    }
    g->t = INFINITY;
    return SIM_OK;
}

/* ---------------------------------------------------------------------
 * A guess at the demand's quantiles
 * ------------------------------------------------------------------ */

#define WEEK_S (7 * DAY_S)
#define GUESS_STEPS 1008        /* ten-minute steps over a week */
#define GUESS_CLOCKS 48         /* tenants' clocks sampled per class */

/* P(Poisson(l) <= k), normal approximation with continuity. */
static double poisson_le(double k, double l)
{
    if (!(l > 0))
        return 1;
    return 0.5 * erfc(-(k + 0.5 - l) / sqrt(2 * l));
}

double sim_load_quantile(const sim_workload_model *m, uint64_t first,
                         uint64_t n, double q)
{
    double span = m->horizon < WEEK_S ? m->horizon : WEEK_S;
    double load[GUESS_STEPS], top = 0;
    int steps = GUESS_STEPS;
    if (!(span > 0))
        return 0;
    for (int i = 0; i < steps; i++)
        load[i] = 0;
    for (size_t ci = 0; ci < m->nclasses; ci++) {
        const sim_class *c = &m->classes[ci];
        uint64_t lo = c->first_agent, a;
        uint64_t in = sim_class_span(c, first, n, &a), b = a + in;
        if (in == 0)
            continue;
        double busy = sim_mean_busy(c), agents = (double)in;
        if (c->kind != SIM_ARR_DIURNAL) {
            for (int i = 0; i < steps; i++)
                load[i] += agents * c->rate * busy;
            continue;
        }
        /* The group's tenants' clocks, as gen_start spreads them,
         * sampled evenly. */
        gen_class k;
        class_init(&k, c);
        uint64_t apt = (uint64_t)c->agents_per_tenant;
        double j0 = (double)((a - lo) / apt), j1 = (double)((b - 1 - lo) / apt);
        int clocks = j1 - j0 + 1 < GUESS_CLOCKS ? (int)(j1 - j0 + 1)
                                                : GUESS_CLOCKS;
        for (int s = 0; s < clocks; s++) {
            double j = clocks > 1 ? j0 + (j1 - j0) * s / (clocks - 1) : j0;
            double frac = (j + 0.5) / (double)c->tenants - 0.5;
            double offset = c->tz_spread_hours * frac * 3600;
            double w = agents / clocks * k.rate * busy;
            for (int i = 0; i < steps; i++) {
                double t = span * (i + 0.5) / steps;
                load[i] += w * diurnal_accept(&k, t + offset);
            }
        }
    }
    for (int i = 0; i < steps; i++)
        if (load[i] > top)
            top = load[i];
    if (q >= 1)
        q = 1 - 1e-9;
    /* The least k whose share of the time at or below it reaches q. */
    double lo = 0, hi = ceil(top + 10 * sqrt(top) + 10);
    while (hi - lo > 0.5) {
        double mid = floor((lo + hi) / 2), share = 0;
        for (int i = 0; i < steps; i++)
            share += poisson_le(mid, load[i]);
        if (share / steps >= q)
            hi = mid;
        else
            lo = mid + 1;
    }
    return hi;
}

/* Seeds agent `agent` of class k and draws its first message. */
static int gen_start(gen *g, const gen_class *k, uint64_t agent,
                     uint64_t rep, const sim_workload_model *m)
{
    const sim_class *c = k->c;
    uint64_t local = agent - c->first_agent;
    memset(g, 0, sizeof *g);
    g->k = k;
    g->t = 0;
    sim_rng_seed(&g->arr, m->seed, rep, agent, SIM_STREAM_ARRIVALS);
    sim_rng_seed(&g->svc, m->seed, rep, agent, SIM_STREAM_SERVICE);
    switch (k->kind) {
    case SIM_ARR_POISSON:
        break;
    case SIM_ARR_DIURNAL: {
        /* Tenants' clocks spread evenly, centred on UTC. */
        double j = (double)(local / (uint64_t)c->agents_per_tenant);
        double frac = (j + 0.5) / (double)c->tenants - 0.5;
        g->u.offset = c->tz_spread_hours * frac * 3600;
        break;
    }
    case SIM_ARR_SESSIONS:
        g->u.ss.cap = 1;
        g->u.ss.start = k->rate > 0
                            ? -log(sim_rng_uniform(&g->arr)) / k->rate
                            : INFINITY;
        break;
    case SIM_ARR_TRACE: {
        const sim_trace *tr = c->trace;
        uint64_t agents = tr ? (uint64_t)tr->tenants *
                                   (uint64_t)tr->agents_per_tenant
                             : 0;
        if (tr && local < agents) {
            g->u.tr.next = tr->agent_first[local];
            g->u.tr.end = tr->agent_first[local + 1];
        }
        break;
    }
    }
    return gen_advance(g, m->horizon);
}

/* ---------------------------------------------------------------------
 * Sources
 * ------------------------------------------------------------------ */

typedef struct hent {
    double t;
    uint64_t i;             /* the agent's offset in the group */
} hent;

/* Groups at least this large merge in batches rather than by heap. */
#define BATCH_MIN 256

/* The most messages a tapped source's window aims at (sim_source_tap). */
#define TAP_WINDOW ((size_t)1 << 20)

struct sim_source {
    uint64_t first, n;
    double horizon;
    int rc;                 /* sticky: SIM_ENOMEM ends the stream */
    gen *g;                 /* n generators (&one when n == 1) */
    gen_class *k;           /* per model class (NULL when n == 1: onek) */
    hent *heap;
    uint64_t hn;
    /* Batched merge: the messages before `wend`, sorted. */
    sim_msg *buf, *tmp;
    size_t nbuf, pos, cap, target;
    double wend, dt;
    int done;
    gen one;
    gen_class onek;
    sim_source_tap_fn tap;  /* NULL: none */
    void *tap_ctx;
};

/* Orders the heap by time, ties to the lower agent number.  Written
 * without && and || so the compiler can use conditional moves: which
 * child is smaller is a coin flip the branch predictor cannot learn. */
static int hless(hent a, hent b)
{
    return (a.t < b.t) | ((a.t == b.t) & (a.i < b.i));
}

static void sift_down(hent *h, uint64_t n, uint64_t i)
{
    hent x = h[i];
    for (;;) {
        uint64_t c = 2 * i + 1;
        if (c + 1 < n)
            c += (uint64_t)hless(h[c + 1], h[c]);
        else if (c >= n)
            break;
        if (!hless(h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static uint64_t class_agents(const sim_class *c)
{
    if (c->tenants <= 0 || c->agents_per_tenant <= 0)
        return 0;
    return (uint64_t)c->tenants * (uint64_t)c->agents_per_tenant;
}

static int open_one(const sim_workload_model *m, uint64_t rep,
                    sim_source *s)
{
    s->g = &s->one;
    s->one.t = INFINITY;
    for (size_t ci = 0; ci < m->nclasses; ci++) {
        const sim_class *c = &m->classes[ci];
        if (s->first >= c->first_agent &&
            s->first - c->first_agent < class_agents(c)) {
            class_init(&s->onek, c);
            return gen_start(&s->one, &s->onek, s->first, rep, m);
        }
    }
    return SIM_OK;          /* in no class: an agent that never speaks */
}

static int open_many(const sim_workload_model *m, uint64_t rep,
                     sim_source *s)
{
    uint64_t n = s->n;
    if (n > SIZE_MAX / sizeof(gen) || n > SIZE_MAX / sizeof(hent))
        return SIM_ENOMEM;
    s->g = sim_calloc((size_t)n, sizeof *s->g);
    if (n < BATCH_MIN)
        s->heap = sim_alloc((size_t)n * sizeof *s->heap);
    s->k = sim_calloc(m->nclasses ? m->nclasses : 1, sizeof *s->k);
    if (!s->g || (n < BATCH_MIN && !s->heap) || !s->k)
        return SIM_ENOMEM;
    for (uint64_t i = 0; i < n; i++)
        s->g[i].t = INFINITY;
    for (size_t ci = 0; ci < m->nclasses; ci++) {
        const sim_class *c = &m->classes[ci];
        uint64_t lo = c->first_agent, hi = lo + class_agents(c);
        if (lo < s->first)
            lo = s->first;
        if (hi > s->first + n)
            hi = s->first + n;
        if (lo >= hi)
            continue;
        class_init(&s->k[ci], c);
        for (uint64_t a = lo; a < hi; a++) {
            int rc = gen_start(&s->g[a - s->first], &s->k[ci], a, rep, m);
            if (rc != SIM_OK)
                return rc;
        }
    }
    if (n >= BATCH_MIN) {
        /* A window that holds about one message per agent: every agent
         * is visited about once per message taken. */
        double rate = 0;
        for (size_t ci = 0; ci < m->nclasses; ci++) {
            const sim_class *c = &m->classes[ci];
            uint64_t lo = c->first_agent, hi = lo + class_agents(c);
            if (lo < s->first)
                lo = s->first;
            if (hi > s->first + n)
                hi = s->first + n;
            if (lo < hi && c->rate > 0)
                rate += (double)(hi - lo) * c->rate;
        }
        s->target = n < 4096 ? 4096 : (size_t)n;
        s->dt = rate > 0 ? (double)s->target / rate : m->horizon;
        return SIM_OK;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (s->g[i].t != INFINITY) {
            s->heap[s->hn].t = s->g[i].t;
            s->heap[s->hn].i = i;
            s->hn++;
        }
    }
    for (uint64_t i = s->hn / 2; i-- > 0;)
        sift_down(s->heap, s->hn, i);
    return SIM_OK;
}

/*
 * Sorts messages by time, stably (radix.h): the key's radix passes (two
 * for windows of up to 2^20 messages, three above) and an insertion pass
 * for messages sharing a key give the order a heap would, messages of
 * equal time in agent order.  A window's times lie within its width, so
 * the key tells nearly all of them apart -- at 2^20 messages spread
 * evenly about one in eight shares its key, and moves a place or two --
 * and the insertion pass needs no budget.  `tmp` holds n messages.
 */
_Static_assert(offsetof(sim_msg, t) == 0 && sizeof(sim_msg) <= SIM_RADIX_MAX,
               "radix.h sorts by the leading double");

static void sort_msgs(sim_msg *v, sim_msg *tmp, size_t n)
{
    sim__radix_sort(v, tmp, n, sizeof *v, SIZE_MAX);
}

/*
 * Fills the buffer with every message before the next window's end, in
 * time order.  Agents are visited in number order and each yields its
 * messages in time order, so the stable sort breaks ties by agent.  The
 * window adapts to keep about `target` messages (a daily cycle swings
 * the rate); the output does not depend on the window, only the speed.
 */
static int refill(sim_source *s)
{
    while (!s->done && s->rc == SIM_OK) {
        double end = s->wend + s->dt;
        if (end >= s->horizon)
            end = INFINITY;         /* the last window takes the rest */
        s->nbuf = s->pos = 0;
        for (uint64_t i = 0; i < s->n; i++) {
            gen *g = &s->g[i];
            while (g->t < end) {
                if (s->nbuf == s->cap) {
                    size_t cap = s->cap ? 2 * s->cap : s->target + 64;
                    sim_msg *b = sim_realloc(s->buf, cap * sizeof *b);
                    if (!b) {
                        s->rc = SIM_ENOMEM;
                        return 0;
                    }
                    s->buf = b;
                    s->cap = cap;
                }
                sim_msg *mm = &s->buf[s->nbuf++];
                mm->t = g->t;
                mm->busy = g->busy;
                mm->agent = s->first + i;
                int rc = gen_advance(g, s->horizon);
                if (rc != SIM_OK) {
                    s->rc = rc;
                    return 0;
                }
            }
        }
        s->wend = end;
        if (end == INFINITY)
            s->done = 1;
        else if (s->nbuf > 2 * s->target)
            s->dt /= 2;
        else if (s->nbuf < s->target / 2)
            s->dt *= 2;
        if (s->nbuf == 0)
            continue;
        if (s->tap)
            s->tap(s->tap_ctx, s->buf, s->nbuf);
        sim_msg *t = sim_realloc(s->tmp, s->cap * sizeof *t);
        if (!t) {
            s->rc = SIM_ENOMEM;
            return 0;
        }
        s->tmp = t;
        sort_msgs(s->buf, s->tmp, s->nbuf);
        return 1;
    }
    return 0;
}

int sim_source_open(const sim_workload_model *m, uint64_t rep,
                    uint64_t first, uint64_t n, sim_source **out /* OUT */)
{
    *out = NULL;
    sim_source *s = sim_calloc(1, sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    if (n > UINT64_MAX - first)
        n = UINT64_MAX - first;
    s->first = first;
    s->n = n;
    s->horizon = m->horizon;
    int rc = SIM_OK;
    if (n == 1)
        rc = open_one(m, rep, s);
    else if (n > 1)
        rc = open_many(m, rep, s);
    if (rc != SIM_OK) {
        sim_source_close(s);
        return rc;
    }
    *out = s;
    return SIM_OK;
}

int sim_source_next(sim_source *s, sim_msg *msg /* OUT */)
{
    if (s->n == 1) {
        /* The hot path: one agent, no heap. */
        gen *g = &s->one;
        if (g->t == INFINITY || s->rc != SIM_OK)
            return 0;
        msg->t = g->t;
        msg->busy = g->busy;
        msg->agent = s->first;
        s->rc = gen_advance(g, s->horizon);
        if (s->tap)
            s->tap(s->tap_ctx, msg, 1);
        return 1;
    }
    if (s->n >= BATCH_MIN) {
        if (s->pos == s->nbuf && !refill(s))
            return 0;
        *msg = s->buf[s->pos++];
        return 1;
    }
    if (s->hn == 0 || s->rc != SIM_OK)
        return 0;
    uint64_t i = s->heap[0].i;
    gen *g = &s->g[i];
    msg->t = g->t;
    msg->busy = g->busy;
    msg->agent = s->first + i;
    s->rc = gen_advance(g, s->horizon);
    if (g->t == INFINITY)
        s->heap[0] = s->heap[--s->hn];
    else
        s->heap[0].t = g->t;
    if (s->hn > 0)
        sift_down(s->heap, s->hn, 0);
    if (s->tap)
        s->tap(s->tap_ctx, msg, 1);
    return 1;
}

void sim_source_tap(sim_source *s, sim_source_tap_fn fn, void *ctx)
{
    s->tap = fn;
    s->tap_ctx = ctx;
    /* A tap that keeps state per agent fetches it once for each run of
     * an agent's messages in a window; at about one message per agent,
     * once a message.  Four times the window (up to TAP_WINDOW messages)
     * fetches it once for about four: 6.10 s to 5.14 s a replication of
     * the planning question (docs/performance.md), for 14 MB more. */
    if (fn && s->n >= BATCH_MIN && s->wend == 0 && s->nbuf == 0) {
        size_t t = s->target > TAP_WINDOW / 4 ? TAP_WINDOW : 4 * s->target;
        if (t > s->target) {
            s->dt *= (double)t / (double)s->target;
            s->target = t;
        }
    }
}

int sim_source_status(const sim_source *s)
{
    return s->rc;
}

void sim_source_close(sim_source *s)
{
    if (!s)
        return;
    if (s->n == 1)
        gen_fini(&s->one);
    else if (s->g) {
        for (uint64_t i = 0; i < s->n; i++)
            gen_fini(&s->g[i]);
    }
    if (s->g != &s->one)
        sim_free(s->g);
    sim_free(s->k);
    sim_free(s->heap);
    sim_free(s->buf);
    sim_free(s->tmp);
    sim_free(s);
}

/*
 * stochastic.c -- replications of stochastic workloads.
 */
#include "run/stochastic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "run/fluid.h"
#include "sim/fifo.h"
#include "sim/occupancy.h"
#include "sim/pool.h"

_Static_assert(SIM_POOL_TIMELINE == SIM_TIMELINE,
               "pool and instance timelines must share their slices");

static sim_fx fxd(double v)
{
    return sim_fx_from_double(v);
}

static int src_next(void *ctx, sim_msg *m)
{
    return sim_source_next(ctx, m);
}

/* ---- the workload model ------------------------------------------------- */

int sim_model_build(const scn_scenario *s, sim_workload_model *m)
{
    const scn_workload *w = &s->workload;
    uint64_t first = 0;

    memset(m, 0, sizeof *m);
    m->classes = sim_calloc(w->nclasses ? w->nclasses : 1, sizeof *m->classes);
    if (!m->classes)
        return SIM_ENOMEM;
    m->nclasses = w->nclasses;
    m->horizon = (double)s->horizon_us / 1e6;
    m->seed = s->seed;
    for (size_t i = 0; i < w->nclasses; i++) {
        const scn_class *c = &w->classes[i];
        sim_class *k = &m->classes[i];
        double msgs = sim_fx_to_double(c->messages_per_agent_month);
        k->first_agent = first;
        k->tenants = c->tenants;
        k->agents_per_tenant = c->agents_per_tenant;
        k->rate = msgs / SIM_MONTH_SECONDS;
        k->busy = c->has_busy ? &c->busy : NULL;
        k->samples = c->has_busy ? c->busy.samples : NULL;
        switch (c->arrivals) {
        case SCN_ARR_NONE:
        case SCN_ARR_POISSON:
            k->kind = SIM_ARR_POISSON;
            break;
        case SCN_ARR_DIURNAL:
            k->kind = SIM_ARR_DIURNAL;
            k->peak_hour = sim_fx_to_double(c->peak_hour);
            k->peak_to_mean = sim_fx_to_double(c->peak_to_mean);
            k->tz_spread_hours = sim_fx_to_double(c->tz_spread_hours);
            k->weekend_factor = sim_fx_to_double(c->weekend_factor);
            break;
        case SCN_ARR_SESSIONS: {
            double mps = sim_fx_to_double(c->messages_per_session);
            double sessions = c->sessions_per_agent_month >= 0
                                  ? sim_fx_to_double(c->sessions_per_agent_month)
                                  : msgs / mps;
            k->kind = SIM_ARR_SESSIONS;
            k->session_rate = sessions / SIM_MONTH_SECONDS;
            k->messages_per_session = mps;
            k->think_s = (double)c->think_time_us / 1e6;
            k->rate = k->session_rate * mps;
            break;
        }
        case SCN_ARR_TRACE: {
            size_t within = 0;
            k->kind = SIM_ARR_TRACE;
            k->trace = c->trace;
            for (size_t r = 0; c->trace && r < c->trace->nrows; r++)
                within += c->trace->rows[r].t <= m->horizon;
            k->rate = c->tenants * c->agents_per_tenant > 0
                          ? (double)within /
                                ((double)(c->tenants * c->agents_per_tenant) *
                                 m->horizon)
                          : 0;
            break;
        }
        }
        first += (uint64_t)(c->tenants * c->agents_per_tenant);
    }
    m->agents = first;
    return SIM_OK;
}

void sim_model_fini(sim_workload_model *m)
{
    sim_free(m->classes);
    m->classes = NULL;
    m->nclasses = 0;
}

/* ---- groups ------------------------------------------------------------- */

/*
 * Walks the agents in groups as the architecture places them on
 * instances: every group is a contiguous range of agents.  Pooled
 * deployments pack `k` consecutive tenants, per-tenant ones one, shared
 * ones all; per-agent (and per-session) one agent each.
 */
typedef struct grouper {
    const sim_workload_model *m;
    int per_agent;
    int64_t k;                  /* tenants per group */
    size_t cls;                 /* the tenant walk: class and tenant */
    int64_t tenant;
    uint64_t agent;             /* the agent walk */
} grouper;

static void grouper_init(grouper *g, const sim_workload_model *m,
                         const scn_deployment *d)
{
    memset(g, 0, sizeof *g);
    g->m = m;
    switch (d->arch) {
    case SCN_ARCH_SHARED:
        g->k = INT64_MAX;
        break;
    case SCN_ARCH_PER_TENANT:
        g->k = 1;
        break;
    case SCN_ARCH_POOLED:
        g->k = d->tenants_per_instance;
        break;
    default:
        g->per_agent = 1;
        break;
    }
}

static int next_group(grouper *g, uint64_t *first, uint64_t *n)
{
    const sim_workload_model *m = g->m;
    if (g->per_agent) {
        if (g->agent >= m->agents)
            return 0;
        *first = g->agent++;
        *n = 1;
        return 1;
    }
    /* Skip classes with nothing left. */
    while (g->cls < m->nclasses && g->tenant >= m->classes[g->cls].tenants) {
        g->cls++;
        g->tenant = 0;
    }
    if (g->cls >= m->nclasses)
        return 0;
    const sim_class *c = &m->classes[g->cls];
    *first = c->first_agent + (uint64_t)(g->tenant * c->agents_per_tenant);
    *n = 0;
    for (int64_t taken = 0; taken < g->k && g->cls < m->nclasses; taken++) {
        c = &m->classes[g->cls];
        *n += (uint64_t)c->agents_per_tenant;
        if (++g->tenant >= c->tenants) {
            g->cls++;
            g->tenant = 0;
            while (g->cls < m->nclasses && m->classes[g->cls].tenants == 0)
                g->cls++;
        }
    }
    return 1;
}

uint64_t sim_group_agents(const sim_workload_model *m,
                          const scn_deployment *d, uint64_t *group)
{
    grouper g;
    uint64_t first, n, k = 0;
    grouper_init(&g, m, d);
    while (next_group(&g, &first, &n)) {
        for (uint64_t a = first; a < first + n; a++)
            group[a] = k;
        k++;
    }
    return k;
}

/* For agents [first, first + n): their messages a second (*rate) and
 * the messages they keep in service on average (*load, Little's law). */
static void group_rates(const sim_workload_model *m, uint64_t first,
                        uint64_t n, double *rate, double *load)
{
    *rate = *load = 0;
    for (size_t i = 0; i < m->nclasses; i++) {
        const sim_class *c = &m->classes[i];
        uint64_t from, in = sim_class_span(c, first, n, &from);
        *rate += (double)in * c->rate;
        *load += (double)in * c->rate * sim_mean_busy(c);
    }
}

/* Mean messages in service for agents [first, first + n). */
static double group_load(const sim_workload_model *m, uint64_t first,
                         uint64_t n)
{
    double rate, load;
    group_rates(m, first, n, &rate, &load);
    return load;
}

/* ---- checks ------------------------------------------------------------- */

/* Whether an open client connection keeps this provider's instance awake:
 * Railway counts outbound packets (heartbeat replies), Fly counts open
 * connections as load, Heroku and Render count web traffic; a Durable
 * Object under the Hibernation API is not billed while sockets idle. */
static int connection_keeps_awake(const price_ctx *ctx, const price_deploy *pd)
{
    const scn_workload *w = &ctx->scn->workload;
    if (w->transport != SCN_WEBSOCKET || w->connected != SCN_CONN_ALWAYS)
        return 0;
    if (pd->objects)
        return !pd->dep->extras.hibernation;
    return 1;
}

static int check_supported(const price_ctx *ctx)
{
    const scn_workload *w = &ctx->scn->workload;
    for (size_t i = 0; i < w->nclasses; i++) {
        const scn_class *c = &w->classes[i];
        int rows_need_busy = 1;
        if (c->arrivals == SCN_ARR_TRACE && c->trace) {
            rows_need_busy = 0;
            for (size_t r = 0; r < c->trace->nrows; r++)
                if (c->trace->rows[r].busy < 0)
                    rows_need_busy = 1;
        }
        if (!c->has_busy && rows_need_busy)
            return price_reject(ctx, c->pos, "the stochastic form needs "
                                "busy_per_message (how long an agent is "
                                "busy with one message)%s",
                                c->arrivals == SCN_ARR_TRACE
                                    ? " for trace rows without busy seconds"
                                    : "");
    }
    return SIM_OK;
}

/* ---- sizing a pool from its demand -------------------------------------- */

/*
 * The time a group's messages spend with k in service, k = 0 .. peak,
 * with unlimited capacity: what any quantile of its demand is read from
 * (demand_at).  One pass over the group's messages serves every
 * deployment that sizes a pool for the same agents, whatever quantile
 * each asks for.
 */
typedef struct demand {
    double *tw;                 /* tw[k]: time spent with k in service */
    size_t ntw, peak;
} demand;

/* The demand pass, a message at a time. */
typedef struct demand_pass {
    sim_occupancy *o;
    double H;
} demand_pass;

static int demand_begin(const sim_workload_model *m, demand_pass *dp)
{
    dp->H = m->horizon;
    return sim_occupancy_new(&dp->o);
}

/* The next message, or NULL at the end of the stream. */
static int demand_step(demand_pass *dp, const sim_msg *msg)
{
    return msg ? sim_occupancy_add(dp->o, msg->t, msg->busy)
               : sim_occupancy_end(dp->o, dp->H);
}

/* Ends the pass: the demand into *out on success. */
static int demand_end(demand_pass *dp, int rc, demand *out)
{
    if (rc == SIM_OK) {
        out->peak = sim_occupancy_peak(dp->o);
        out->ntw = out->peak + 1;
        out->tw = sim_alloc(out->ntw * sizeof *out->tw);
        if (out->tw)
            memcpy(out->tw, sim_occupancy_times(dp->o),
                   out->ntw * sizeof *out->tw);
        else
            rc = SIM_ENOMEM;
    }
    sim_occupancy_free(dp->o);
    return rc;
}

/* The q-quantile of the messages in service, weighted by time (q = 1:
 * the peak): the least k with at least the share q of the horizon H
 * spent with k or fewer in service -- the demand a pool must carry at
 * that share of the month. */
static double demand_at(const demand *d, double q, double H)
{
    if (q >= 1)
        return (double)d->peak;
    double acc = 0;
    for (size_t k = 0; k < d->ntw; k++) {
        acc += d->tw[k];
        if (acc >= q * H)
            return (double)k;
    }
    return (double)d->peak;
}

/* ---- the hour pool ------------------------------------------------------ */

/*
 * An account's hour pool (Heroku Eco, Render free) runs dry at the moment
 * its instances' summed awake time reaches it; from then on every
 * instance sleeps to the month's end and users are refused.  `tl` holds
 * awake instance-seconds and `arr` arrivals per slice of the horizon;
 * within a slice both are taken as even.  `tl_cut` (instances per slice,
 * in any unit) is cut off at that moment.  Returns the share of awake time
 * kept.
 */
static double drain_pool(const price_deploy *pd, double H, double scale,
                         const double *tl, const double *arr,
                         double *tl_cut, sim_usage *u)
{
    double pool = sim_fx_to_double(pd->hour_pool) * 3600 / scale;
    double total = 0, cum = 0, w = H / SIM_TIMELINE;
    for (int i = 0; i < SIM_TIMELINE; i++)
        total += tl[i];
    if (total <= pool || total <= 0)
        return 1;
    int i = 0;
    while (i < SIM_TIMELINE && cum + tl[i] < pool)
        cum += tl[i++];
    double frac = i < SIM_TIMELINE && tl[i] > 0 ? (pool - cum) / tl[i] : 0;
    double dry = (i + frac) * w;
    double refused = i < SIM_TIMELINE ? arr[i] * (1 - frac) : 0;
    for (int j = i + 1; j < SIM_TIMELINE; j++)
        refused += arr[j];
    /* The timeline too: nothing runs after the pool is dry. */
    if (i < SIM_TIMELINE) {
        tl_cut[i] *= frac;
        for (int j = i + 1; j < SIM_TIMELINE; j++)
            tl_cut[j] = 0;
    }
    u->pool_dry_at = fxd(dry * scale);
    u->refused_seconds = fxd((H - dry) * scale);
    u->refused_messages = fxd(refused * scale);
    return pool / total;
}

/* ---- the run ------------------------------------------------------------ */

/* The instance price's metering: Fargate and EC2 bill a run per second
 * with a one-minute minimum, Railway per minute. */
static void metering(const price_deploy *pd, double *gran, double *min)
{
    const char *price_id = price_plan_attr(pd->plan, "price");
    if (!price_id)
        price_id = price_plan_attr(pd->plan, "vcpu_price");
    if (!price_id && !pd->objects)
        price_id = pd->run_meter;
    const price_item *meter = price_id ? price_need(pd, price_id) : NULL;
    *gran = *min = 0;
    if (meter) {
        *gran = (double)meter->granularity_us / 1e6;
        *min = (double)meter->minimum_us / 1e6;
    }
}

/* ---- deployments that share a pass -------------------------------------- */

/*
 * Deployments whose instances hold the same agents see the same messages
 * in the same groups; drawing them is most of a replication's time (the
 * log, cosine and exponential of each draw cost more than either engine
 * spends on the message).  So the deployments of a set (sim_share_key)
 * take each group's messages from one draw:
 *  - sleeping instances: the group's messages are drawn into a buffer and
 *    replayed to each deployment's instance in turn.  A group of more than
 *    REPLAY_MAX messages (a shared instance that sleeps) is drawn again for
 *    each deployment instead, so memory stays that of one group's messages
 *    up to the cap and never grows with the month;
 *  - fixed pools: one pass measures the group's demand for every sizing
 *    and follows the pools about to be sized from it (demand_follow,
 *    sim_fifo_follow), which settles each pool of at least the sentinel's
 *    servers; the others, and pools that need no demand, take one more
 *    pass together (sim_fifo_run_many).  An autoscaled pool's engine
 *    pulls its own messages, so it runs alone.
 * Each deployment's results are those it gets alone, to the bit: the
 * messages are the same doubles in the same order.
 */
#define REPLAY_MAX ((size_t)1 << 20)

typedef struct replay {
    sim_msg *v;
    size_t n, cap, pos;
} replay;

static int replay_next(void *ctx, sim_msg *m)
{
    replay *r = ctx;
    if (r->pos == r->n)
        return 0;
    *m = r->v[r->pos++];
    return 1;
}

/* Draws group [first, first + n) into r; 1 if it all fitted, 0 if it has
 * more than REPLAY_MAX messages (r then holds none). */
static int replay_fill(const sim_workload_model *m, uint64_t rep,
                       uint64_t first, uint64_t n, replay *r, int *fits)
{
    sim_source *src;
    sim_msg msg;
    int rc = sim_source_open(m, rep, first, n, &src);
    r->n = r->pos = 0;
    *fits = 1;
    while (rc == SIM_OK && sim_source_next(src, &msg)) {
        if (r->n == REPLAY_MAX) {
            *fits = 0;
            r->n = 0;
            break;
        }
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 1024;
            sim_msg *v = sim_reallocarray(r->v, cap, sizeof *v);
            if (!v) {
                rc = SIM_ENOMEM;
                break;
            }
            r->v = v;
            r->cap = cap;
        }
        r->v[r->n++] = msg;
    }
    if (rc == SIM_OK)
        rc = sim_source_status(src);
    sim_source_close(src);
    return rc;
}

/* ---- instances that sleep ------------------------------------------------ */

/* One sleeping deployment across its groups. */
typedef struct sleeper {
    sim_inst_params p;
    sim_inst_stats *st;
    double agent_awake;         /* agent-seconds on awake instances */
    double cap, over;           /* billing cap; time past it, summed */
} sleeper;

static int sleeper_init(const price_ctx *ctx, const price_deploy *pd,
                        double H, sleeper *z)
{
    const scn_workload *w = &ctx->scn->workload;
    sim_inst_params p = {H, (double)pd->cold_start_us / 1e6,
                         (double)pd->idle_timeout_us / 1e6, 0,
                         connection_keeps_awake(ctx, pd), 0, 0};
    memset(z, 0, sizeof *z);
    /* A lingering client keeps a container awake; a Durable Object only
     * while it holds the socket outside the Hibernation API. */
    if (w->connected == SCN_CONN_LINGER &&
        (!pd->objects || (w->transport == SCN_WEBSOCKET &&
                          !pd->dep->extras.hibernation)))
        p.linger = (double)w->linger_us / 1e6;
    metering(pd, &p.granularity, &p.minimum);
    z->p = p;
    z->cap = sim_fx_to_double(pd->bill_cap_s);
    z->st = sim_calloc(1, sizeof *z->st);
    return z->st ? SIM_OK : SIM_ENOMEM;
}

/* The ended instance of a group of n agents, into deployment z. */
static void sleeper_add(sleeper *z, const sim_inst *s, uint64_t n,
                        double scale)
{
    z->agent_awake += s->awake_s * (double)n;
    /* One instance per group: its month's time past the cap. */
    double billed = s->billed_s * scale;
    if (z->cap > 0 && billed > z->cap)
        z->over += billed - z->cap;
}

/* One group of n agents through deployment z's instance. */
static void sleeper_group(sleeper *z, int (*next)(void *, sim_msg *),
                          void *src, uint64_t n, double scale)
{
    sim_inst s;
    sim_instance_run(&z->p, next, src, z->st, &s);
    sleeper_add(z, &s, n, scale);
}

/* The month of a sleeping deployment from its instances' counters. */
static void sleeper_usage(const price_ctx *ctx, const price_deploy *pd,
                          sleeper *z, double H, uint64_t groups,
                          sim_usage *u, sim_waits *waits)
{
    const scn_profile *pr = &ctx->scn->profile;
    sim_inst_stats *st = z->st;
    double scale = SIM_MONTH_SECONDS / H;
    double keep = 1, tl[SIM_TIMELINE];
    sim_inst_timeline(st, tl);
    if (pd->hour_pool > 0)
        keep = drain_pool(pd, H, scale, tl, st->arrivals_tl, tl, u);
    double awake = st->billed_s * scale * keep;
    double busy = st->busy_s * scale * keep;
    sim_fx n_inst = sim_fx_from_int((int64_t)groups);
    u->groups = n_inst;
    u->provisioned = n_inst;
    u->instances_peak = n_inst;
    u->instance_seconds = fxd(awake);
    u->instances_mean = fxd(st->awake_s * keep / H);
    u->stopped_seconds = fxd((double)groups * SIM_MONTH_SECONDS - awake);
    u->capped_seconds = fxd(z->over * keep);
    u->alloc_vcpu_seconds = fxd(awake * sim_fx_to_double(pd->cap_vcpu));
    u->alloc_memory_gb_seconds =
        fxd(awake * sim_fx_to_double(pd->cap_memory_gb));
    u->vcpu_seconds = fxd(busy * sim_fx_to_double(pr->active_vcpu));
    u->memory_gb_seconds = fxd(
        busy * sim_fx_to_double(pr->active_memory_gb) +
        (z->agent_awake * scale * keep - busy) *
            sim_fx_to_double(pr->idle_memory_gb) +
        awake * sim_fx_to_double(pr->base_memory_gb));
    /* A Durable Object bills the time it is in use (a lingering
     * non-hibernatable socket included), or all the time a connected
     * non-hibernatable socket holds it; idle time it could hibernate
     * through is free even before it hibernates. */
    if (pd->objects)
        u->object_seconds = z->p.never_sleeps
                                ? u->instance_seconds
                                : fxd(st->used_s * scale * keep);
    u->cold_starts = fxd((double)st->cold_starts * scale * keep);
    u->awake_fraction = groups ? fxd(st->awake_s * keep /
                                     ((double)groups * H))
                               : 0;
    if (pd->hour_pool > 0)
        u->pool_hours_used = fxd(sim_fx_to_double(u->instance_seconds) /
                                 3600);
    u->messages = fxd((double)st->messages * scale);
    waits->p50 = sim_wait_quantile(st, z->p.cold_start, 0.50);
    waits->p95 = sim_wait_quantile(st, z->p.cold_start, 0.95);
    double slice = H / SIM_TIMELINE;
    for (int i = 0; i < SIM_TIMELINE; i++)
        waits->timeline[i] = tl[i] / slice;
}

/* The sleeping deployments of a set, and, when they ride on the pools'
 * pass (run_mixed), one instance per agent and deployment. */
typedef struct sleepers {
    sleeper *z;
    size_t n;
    sim_inst *inst;             /* agent a's instances at a * n; NULL:
                                   the sleepers take a pass of their own */
    uint64_t agents;
    int fed;                    /* the tapped pass was read to its end */
} sleepers;

static int sleepers_init(const price_ctx *ctx, const price_deploy *const *pd,
                         size_t n, double H, sleepers *sl)
{
    memset(sl, 0, sizeof *sl);
    sl->n = n;
    sl->z = sim_calloc(n, sizeof *sl->z);
    int rc = sl->z ? SIM_OK : SIM_ENOMEM;
    for (size_t k = 0; k < n && rc == SIM_OK; k++)
        rc = sleeper_init(&ctx[k], pd[k], H, &sl->z[k]);
    return rc;
}

static void sleepers_fini(sleepers *sl)
{
    for (size_t k = 0; sl->z && k < sl->n; k++)
        sim_free(sl->z[k].st);
    sim_free(sl->z);
    sim_free(sl->inst);
}

/* The sleepers' own pass: one per instance, its messages drawn once for
 * all of them.  *groups: the instances. */
static int sleepers_pass(sleepers *sl, const scn_deployment *d,
                         const sim_workload_model *m, uint64_t rep,
                         uint64_t *groups)
{
    double scale = SIM_MONTH_SECONDS / m->horizon;
    size_t n = sl->n;
    replay r = {0};
    int rc = SIM_OK;
    uint64_t first, na;
    grouper g;
    grouper_init(&g, m, d);
    *groups = 0;
    while (rc == SIM_OK && next_group(&g, &first, &na)) {
        int fits = 0;
        if (n > 1 && (rc = replay_fill(m, rep, first, na, &r, &fits)) !=
                         SIM_OK)
            break;
        for (size_t k = 0; k < n && rc == SIM_OK; k++) {
            if (fits) {
                r.pos = 0;
                sleeper_group(&sl->z[k], replay_next, &r, na, scale);
                continue;
            }
            sim_source *src;
            if ((rc = sim_source_open(m, rep, first, na, &src)) != SIM_OK)
                break;
            sleeper_group(&sl->z[k], src_next, src, na, scale);
            rc = sim_source_status(src);
            sim_source_close(src);
        }
        (*groups)++;
    }
    sim_free(r.v);
    return rc;
}

/* A window of the pools' pass, each agent's messages to its instances. */
static void sleepers_tap(void *ctx, const sim_msg *v, size_t cnt)
{
    sleepers *sl = ctx;
    size_t n = sl->n;
    for (size_t i = 0; i < cnt; i++) {
        if (v[i].agent >= sl->agents)
            continue;               /* never: the pass is of these agents */
        sim_inst *s = &sl->inst[v[i].agent * n];
        for (size_t k = 0; k < n; k++)
            sim_inst_step(&sl->z[k].p, &s[k], &v[i], sl->z[k].st);
    }
}

/* After a tapped pass: the instances end in agent order, as their own
 * pass would end them, so every sum is added as it would be there. */
static void sleepers_tapped_end(sleepers *sl, double H)
{
    double scale = SIM_MONTH_SECONDS / H;
    for (uint64_t a = 0; a < sl->agents; a++)
        for (size_t k = 0; k < sl->n; k++) {
            sim_inst *s = &sl->inst[a * sl->n + k];
            sim_inst_end(&sl->z[k].p, s, sl->z[k].st);
            sleeper_add(&sl->z[k], s, 1, scale);
        }
}

/* Instances that sleep, for n deployments that group agents alike: one
 * pass per instance, its messages drawn once for all of them. */
static int run_sleeping(const price_ctx *ctx, const price_deploy *const *pd,
                        size_t n, const sim_workload_model *m,
                        uint64_t rep, sim_usage *u, sim_waits *waits)
{
    sleepers sl;
    uint64_t groups = 0;
    int rc = sleepers_init(ctx, pd, n, m->horizon, &sl);
    if (rc == SIM_OK)
        rc = sleepers_pass(&sl, pd[0]->dep, m, rep, &groups);
    for (size_t k = 0; k < n && rc == SIM_OK; k++)
        sleeper_usage(&ctx[k], pd[k], &sl.z[k], m->horizon, groups, &u[k],
                      &waits[k]);
    sleepers_fini(&sl);
    return rc;
}

static void pool_add(sim_pool_stats *acc, const sim_pool_stats *st)
{
    acc->messages += st->messages;
    acc->served += st->served;
    acc->refused += st->refused;
    acc->queued += st->queued;
    acc->scale_outs += st->scale_outs;
    acc->scale_ins += st->scale_ins;
    acc->instance_s += st->instance_s;
    acc->billed_s += st->billed_s;
    acc->busy_s += st->busy_s;
    acc->wait_s += st->wait_s;
    acc->instances_peak += st->instances_peak;
    for (int i = 0; i < SIM_POOL_WAIT_BINS; i++)
        acc->wait_hist[i] += st->wait_hist[i];
    for (int i = 0; i < SIM_POOL_TIMELINE; i++)
        acc->timeline[i] += st->timeline[i];
}

/* ---- pools that stay up -------------------------------------------------- */

/* Whether the deployment sizes its pool from a quantile of demand. */
static int sized_by_demand(const scn_deployment *d)
{
    return d->instances < 0 && d->mode == SCN_MODE_ALWAYS_ON &&
           d->sizing != SCN_SIZE_MEAN;
}

/* The servers -- instances x slots -- of a pool of `inst` instances. */
static int64_t servers_at(const price_ctx *ctx, const price_deploy *pd,
                          int64_t n, int64_t inst)
{
    sim_capacity cap;
    sim_pool_capacity(ctx, pd, n, inst, &cap);
    return cap.slots > 0 && inst > INT64_MAX / cap.slots ? INT64_MAX
                                                         : inst * cap.slots;
}

/*
 * The instances of a pool capsim sizes for `k` messages in service,
 * raised until their whole slots carry them: instances x slots >= k /
 * target_utilization.  sim_pool_size divides summed vCPU and memory by
 * one instance's, as the fluid form does; a simulated pool serves whole
 * slots only, and where each instance's share of the residents, or a
 * vCPU that active_vcpu does not divide, leaves part of a slot unused,
 * the sum overstates what the instances carry -- 138 instances of 4 GB
 * holding 100,000 residents serve 3 messages each, 414 in all, and a
 * pool sized so for a demand of 600 queued half its messages.  Slots per
 * instance never fall as instances are added (the residents spread
 * thinner), so the count is found by doubling and then halving, within
 * `max`.  A fixed `instances` is the user's word and stays.
 */
static int64_t carrying(const price_ctx *ctx, const price_deploy *pd,
                        int64_t n, double k, int64_t inst)
{
    const scn_deployment *d = pd->dep;
    double want = ceil(k / sim_fx_to_double(d->target_utilization) - 1e-9);
    int64_t max = d->max_instances;
    if (d->instances >= 0 || inst >= max ||
        (double)servers_at(ctx, pd, n, inst) >= want)
        return inst;
    int64_t lo = inst, hi = inst;
    for (;;) {
        hi = hi > max / 2 ? max : 2 * hi;
        if ((double)servers_at(ctx, pd, n, hi) >= want)
            break;
        if (hi == max)
            return max;
        lo = hi;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if ((double)servers_at(ctx, pd, n, mid) >= want)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/*
 * Sizes the pool of one group of `n` agents whose demand is `k` messages
 * in service (the mean, or the quantile the deployment's `sizing` asks
 * for): instances for it, held at least at what keeps the agents
 * resident, the autoscaler's bounds, and one instance's slots.  Adds the
 * group's capacity to waits->cap (the first group starts it).  *inst is
 * the starting instance count.
 */
static int size_pool(const price_ctx *ctx, const price_deploy *pd,
                     uint64_t n, double k, int first_group,
                     sim_pool_params *p, sim_waits *waits, int64_t *inst_out)
{
    const scn_deployment *d = pd->dep;
    int64_t inst = sim_pool_size(ctx, pd, (int64_t)n, fxd(k));
    if (inst < 0)
        return SIM_EINVAL;
    inst = carrying(ctx, pd, (int64_t)n, k, inst);
    /* Idle agents stay resident whatever the message load: a pool
     * capsim sizes or scales never drops below what holds them (a
     * fixed `instances` is the user's word; feasibility reports it). */
    sim_capacity cap;
    /* sim_pool_size already holds a sized pool at cap.floor (within
     * max), so the capacity is that of the count it gave. */
    sim_pool_capacity(ctx, pd, (int64_t)n, inst, &cap);
    waits->pool = 1;
    if (first_group || cap.slots < waits->cap.slots) {
        waits->cap.slots = cap.slots;
        waits->cap.by_memory = cap.by_memory;
    }
    if (waits->cap.floor < INT64_MAX - cap.floor)
        waits->cap.floor += cap.floor;
    if (waits->cap.resident_floor < INT64_MAX - cap.resident_floor)
        waits->cap.resident_floor += cap.resident_floor;
    waits->cap.resident_gb += cap.resident_gb;
    /* Slots are fixed at the sized count: an autoscaled pool that
     * grows spreads its residents thinner and could take a little
     * more per instance, one that shrinks toward the floor a little
     * less.  Keeping them fixed keeps the engine's pools uniform. */
    p->slots = cap.slots;
    p->instances = inst;
    p->min = d->min_instances;
    if (p->autoscale) {
        if (p->min < cap.floor && cap.floor < INT64_MAX)
            p->min = cap.floor;
        /* The pool's tables are sized for `max`; without one, twice
         * what every agent busy at once would need is the bound. */
        double all = ceil(2.0 * (double)n /
                          ((double)p->slots * (p->target > 0 ? p->target
                                                             : 1)));
        int64_t bound = all < 1e8 ? (int64_t)all : 100000000;
        if (bound < inst)
            bound = inst;
        if (bound < p->min)
            bound = p->min;
        p->max = d->max_instances < bound ? d->max_instances : bound;
        if (p->max < p->min)
            p->min = p->max; /* feasibility reports the shortfall */
    }
    *inst_out = inst;
    return SIM_OK;
}

static void pool_params(const price_deploy *pd, double H, sim_pool_params *p)
{
    const scn_deployment *d = pd->dep;
    memset(p, 0, sizeof *p);
    p->horizon = H;
    p->autoscale = d->mode == SCN_MODE_AUTOSCALE;
    p->min = d->min_instances;
    p->max = d->max_instances;
    p->target = sim_fx_to_double(d->target_utilization);
    p->metric_period = (double)d->metric_period_us / 1e6;
    p->scale_out_after = (double)d->scale_out_after_us / 1e6;
    p->scale_in_after = (double)d->scale_in_after_us / 1e6;
    p->cooldown = (double)d->cooldown_us / 1e6;
    p->provision_s = (double)pd->cold_start_us / 1e6;
    p->queue_limit = d->queue_limit;
    metering(pd, &p->granularity, &p->minimum);
    /* A machine bills at most its month's price (Fly): the cap, on this
     * horizon. */
    if (pd->bill_cap_s > 0)
        p->bill_cap = sim_fx_to_double(pd->bill_cap_s) * H /
                      SIM_MONTH_SECONDS;
}

/* The month of a pool from its groups' statistics summed in `acc`. */
static void pool_usage(const price_ctx *ctx, const price_deploy *pd,
                       const sim_pool_params *p, sim_pool_stats *acc,
                       double provisioned, double agents, uint64_t groups,
                       double H, sim_usage *u, sim_waits *waits)
{
    const scn_profile *pr = &ctx->scn->profile;
    double scale = SIM_MONTH_SECONDS / H;
    double keep = 1;
    if (pd->hour_pool > 0) {
        double tl[SIM_TIMELINE], arr[SIM_TIMELINE];
        for (int i = 0; i < SIM_TIMELINE; i++) {
            tl[i] = acc->timeline[i] * H / SIM_TIMELINE;
            arr[i] = (double)acc->messages / SIM_TIMELINE;
        }
        keep = drain_pool(pd, H, scale, tl, arr, acc->timeline, u);
    }
    double inst_s = acc->billed_s * scale * keep;
    double busy = acc->busy_s * scale * keep;
    u->groups = sim_fx_from_int((int64_t)groups);
    u->provisioned = fxd(provisioned);
    u->instances_mean = fxd(acc->instance_s * keep / H);
    u->instances_peak = sim_fx_from_int(acc->instances_peak);
    u->instance_seconds = fxd(inst_s);
    if (!p->autoscale && keep == 1) {
        /* Instances that run all month bill exactly that, to the digit
         * the fluid form gives. */
        sim_fx n_inst = sim_fx_from_int((int64_t)provisioned);
        u->instances_mean = n_inst;
        sim_fx_mul(n_inst, sim_fx_from_int(SIM_MONTH_SECONDS),
                   &u->instance_seconds);
        inst_s = sim_fx_to_double(u->instance_seconds);
    }
    u->stopped_seconds = 0;
    sim_fx_mul(u->instance_seconds, pd->cap_vcpu, &u->alloc_vcpu_seconds);
    sim_fx_mul(u->instance_seconds, pd->cap_memory_gb,
               &u->alloc_memory_gb_seconds);
    u->vcpu_seconds = fxd(busy * sim_fx_to_double(pr->active_vcpu));
    u->memory_gb_seconds = fxd(
        busy * sim_fx_to_double(pr->active_memory_gb) +
        (agents * SIM_MONTH_SECONDS * keep - busy) *
            sim_fx_to_double(pr->idle_memory_gb) +
        acc->instance_s * scale * keep *
            sim_fx_to_double(pr->base_memory_gb));
    u->awake_fraction = acc->instance_s > 0 ? fxd(keep) : 0;
    if (pd->hour_pool > 0)
        u->pool_hours_used = fxd(inst_s / 3600);
    u->messages = fxd((double)acc->messages * scale);
    u->queued_messages = fxd((double)acc->queued * scale);
    u->refused_messages += fxd((double)acc->refused * scale);
    waits->queue_p50 = sim_pool_wait_quantile(acc, 0.50);
    waits->queue_p95 = sim_pool_wait_quantile(acc, 0.95);
    waits->queue_p99 = sim_pool_wait_quantile(acc, 0.99);
    memcpy(waits->timeline, acc->timeline, sizeof waits->timeline);
}

/* One pool deployment across its groups. */
typedef struct pooler {
    sim_pool_params p;
    sim_pool_stats acc;
    double provisioned;
    int rc;
} pooler;

/*
 * The follower's sentinel (fifo.h): a guess from below at the servers of
 * the smallest pool the set will size from demand.  Each such pool is
 * sized, as it will be, for a guess at its quantile of demand taken at a
 * lower level (the 90th percentile for p95 sizing, the 97.7th for p99,
 * the 99.9th for the peak of a month); its servers never fall as its
 * demand grows.  The guess is sim_load_quantile's, which follows daily
 * cycles -- whose 99th percentile is near the daily peak, far above the
 * mean -- for groups of at least GUESS_LOAD messages in service; below
 * that, Poisson about the mean load, whose normal approximation costs
 * nothing (groups of a tenant or two come by the thousand, and their
 * passes are short).  Demand burstier than either -- sessions -- has
 * higher quantiles still.  A pool the guess overshoots takes a pass of
 * its own: a wrong guess costs time, never a figure.
 */
#define GUESS_LOAD 16.0

static int64_t sentinel_servers(const price_ctx *ctx,
                                const price_deploy *const *pd, size_t n,
                                const pooler *pl, const sim_workload_model *m,
                                uint64_t first, uint64_t na)
{
    static const double ql[] = {0, 0.90, 0.977, 0.999};
    static const double z[] = {0, 1.282, 2.0, 3.0};
    double load = group_load(m, first, na), guess[4] = {-1, -1, -1, -1};
    int64_t c0 = INT64_MAX;
    for (size_t k = 0; k < n; k++) {
        if (pl[k].rc != SIM_OK || !sized_by_demand(pd[k]->dep))
            continue;
        int sz = (int)pd[k]->dep->sizing;
        if (guess[sz] < 0)
            guess[sz] = floor(load >= GUESS_LOAD
                                  ? sim_load_quantile(m, first, na, ql[sz])
                                  : load + z[sz] * sqrt(load));
        double kq = guess[sz];
        int64_t inst = sim_pool_size_guess(&ctx[k], pd[k], (int64_t)na,
                                           fxd(kq));
        if (inst < 0)
            continue;
        inst = carrying(&ctx[k], pd[k], (int64_t)na, kq, inst);
        int64_t c = servers_at(&ctx[k], pd[k], (int64_t)na, inst);
        if (c < c0)
            c0 = c;
    }
    return c0 == INT64_MAX ? 1 : c0;
}

/* Words (8 bytes) the follower of one group may keep: 32 MB, for each
 * replication running at once (--jobs). */
#define FOLLOW_WORDS ((size_t)1 << 22)

/*
 * One pass over a group's messages: its demand measured, the pools about
 * to be sized from it followed (sim_fifo_follow), so that most of them
 * need no pass of their own, and the `nk` pools already sized (kp) run
 * along.  *fw is NULL when the follower could not be made or failed
 * (memory), and then every pool takes a pass, with the same figures.
 * When the sentinel's waits outgrow the budget the follower keeps going
 * for the known pools alone, or is dropped if there are none.  (Starting
 * again with a guess from the demand seen so far was tried: with a daily
 * cycle the first days' demand overshot the month's, and the lost part
 * of a pass bought nothing.)
 */
static int demand_follow(const price_ctx *ctx, const price_deploy *const *pd,
                         size_t n, const pooler *pl,
                         const sim_workload_model *m, uint64_t rep,
                         uint64_t first, uint64_t na,
                         const sim_pool_params *kp, size_t nk, demand *dm,
                         sim_fifo_follow **fw, sleepers *tap)
{
    demand_pass dp;
    sim_source *src = NULL;
    sim_msg msg;
    int64_t c0 = sentinel_servers(ctx, pd, n, pl, m, first, na);
    *fw = NULL;
    int rc = demand_begin(m, &dp);
    if (rc == SIM_OK && sim_fifo_follow_new(m->horizon, c0, FOLLOW_WORDS, kp,
                                            nk, fw) != SIM_OK)
        *fw = NULL;
    if (rc == SIM_OK)
        rc = sim_source_open(m, rep, first, na, &src);
    if (rc == SIM_OK && tap)
        sim_source_tap(src, sleepers_tap, tap);
    while (rc == SIM_OK) {
        int more = sim_source_next(src, &msg);
        rc = demand_step(&dp, more ? &msg : NULL);
        if (!more || rc != SIM_OK)
            break;
        if (*fw && (sim_fifo_follow_step(*fw, &msg) != SIM_OK ||
                    (nk == 0 && sim_fifo_follow_kept(*fw) == SIZE_MAX))) {
            sim_fifo_follow_free(*fw);
            *fw = NULL;
        }
    }
    if (rc == SIM_OK)
        rc = sim_source_status(src);
    sim_source_close(src);
    if (rc == SIM_OK && tap)
        tap->fed = 1;
    rc = demand_end(&dp, rc, dm);
    if (rc != SIM_OK) {
        sim_fifo_follow_free(*fw);
        *fw = NULL;
    }
    return rc;
}

/* The pools pp[0 .. n) through one pass of the group's messages (a pool
 * alone may autoscale), into st; the sleepers `tap` (or NULL) along. */
static int pools_pass(const sim_workload_model *m, uint64_t rep,
                      uint64_t first, uint64_t na, const sim_pool_params *pp,
                      size_t n, sim_pool_stats *st, sleepers *tap)
{
    sim_source *src;
    sim_msg msg;
    int rc = sim_source_open(m, rep, first, na, &src);
    if (rc != SIM_OK)
        return rc;
    if (tap)
        sim_source_tap(src, sleepers_tap, tap);
    /* A fixed pool is a FIFO queue before identical servers: the
     * recursion of fifo.c gives the event queue's statistics at a
     * fraction of its cost (fifo.h says where they may differ). */
    if (pp[0].autoscale)
        rc = sim_pool_run(&pp[0], src_next, src, st);
    else
        rc = sim_fifo_run_many(pp, n, src_next, src, st);
    /* A pool stops at its horizon; the tap needs every message. */
    while (rc == SIM_OK && tap && sim_source_next(src, &msg))
        ;
    if (rc == SIM_OK)
        rc = sim_source_status(src);
    sim_source_close(src);
    if (rc == SIM_OK && tap)
        tap->fed = 1;
    return rc;
}

/* Sizes deployment k's pool for this group from `kq` messages in
 * service; the instances count toward its provisioned total. */
static void pool_sized(const price_ctx *ctx, const price_deploy *const *pd,
                       size_t k, uint64_t na, double kq, int first_group,
                       pooler *pl, sim_waits *waits)
{
    int64_t inst;
    pl[k].rc = size_pool(&ctx[k], pd[k], na, kq, first_group, &pl[k].p,
                         &waits[k], &inst);
    if (pl[k].rc == SIM_OK)
        pl[k].provisioned += pl[k].p.autoscale ? 0 : (double)inst;
}

/*
 * One group through every pool still running.  The pools that need no
 * demand are sized first; if any pool sizes from demand, one pass
 * measures it, follows those pools and runs the others along
 * (demand_follow); then they are sized and settled, and whatever could
 * not be settled takes one more pass together.  `pp` and `st` are
 * scratch for n pools.  A pool that cannot be sized drops out with its
 * status in pl[k].rc; a failed pass fails the set.
 */
static int pools_group(const price_ctx *ctx, const price_deploy *const *pd,
                       size_t n, const sim_workload_model *m, uint64_t rep,
                       uint64_t first, uint64_t na, int first_group,
                       pooler *pl, sim_waits *waits, sim_pool_params *pp,
                       sim_pool_stats *st, sleepers *tap)
{
    static const double q[] = {0, 0.95, 0.99, 1};
    demand dm = {0};
    sim_fifo_follow *fw = NULL;
    int rc = SIM_OK, need = 0;
    size_t live = 0, nk = 0, u = 0;
    /* Scratch: which deployment each live pool is, what the follower ran
     * or settled, the known pools it runs, and the pass's pools. */
    size_t m1 = n ? n : 1;
    size_t *dep = sim_calloc(m1, sizeof *dep);
    size_t *idx = sim_calloc(m1, sizeof *idx);
    int *done = sim_calloc(m1, sizeof *done);
    sim_pool_params *fp = sim_calloc(m1, sizeof *fp);
    sim_pool_stats *fs = sim_calloc(m1, sizeof *fs);
    if (!dep || !idx || !done || !fp || !fs) {
        rc = SIM_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        if (pl[k].rc != SIM_OK)
            continue;
        if (sized_by_demand(pd[k]->dep))
            need = 1;
        else
            pool_sized(ctx, pd, k, na, group_load(m, first, na), first_group,
                       pl, waits);
    }
    if (need) {
        for (size_t k = 0; k < n; k++)
            if (pl[k].rc == SIM_OK && !sized_by_demand(pd[k]->dep) &&
                !pl[k].p.autoscale)
                fp[nk++] = pl[k].p;
        if ((rc = demand_follow(ctx, pd, n, pl, m, rep, first, na, fp, nk,
                                &dm, &fw, tap)) != SIM_OK)
            goto out;
        for (size_t k = 0; k < n; k++)
            if (pl[k].rc == SIM_OK && sized_by_demand(pd[k]->dep))
                pool_sized(ctx, pd, k, na,
                           demand_at(&dm, q[pd[k]->dep->sizing], m->horizon),
                           first_group, pl, waits);
        sim_free(dm.tw);
    }
    for (size_t k = 0; k < n; k++)
        if (pl[k].rc == SIM_OK) {
            dep[live] = k;
            pp[live++] = pl[k].p;
        }
    if (fw) {
        /* The known pools ran along the pass, in the order given. */
        if (nk > 0 && sim_fifo_follow_known(fw, fs) == SIM_OK)
            for (size_t j = 0, i = 0; j < live; j++)
                if (!sized_by_demand(pd[dep[j]]->dep) && !pp[j].autoscale) {
                    st[j] = fs[i++];
                    done[j] = 1;
                }
        /* A pool the follower cannot settle, or whose replay fails,
         * takes the pass. */
        for (size_t j = 0; j < live; j++)
            if (sized_by_demand(pd[dep[j]]->dep) &&
                sim_fifo_follow_settle(fw, &pp[j], &st[j], &done[j]) !=
                    SIM_OK)
                done[j] = 0;
    }
    sim_fifo_follow_free(fw);
    for (size_t j = 0; j < live; j++)
        if (!done[j]) {
            idx[u] = j;
            fp[u++] = pp[j];
        }
    if (u > 0 && (rc = pools_pass(m, rep, first, na, fp, u, fs,
                                  tap && !tap->fed ? tap : NULL)) == SIM_OK)
        for (size_t i = 0; i < u; i++)
            st[idx[i]] = fs[i];
    for (size_t j = 0; j < live && rc == SIM_OK; j++) {
        size_t k = dep[j];
        pool_add(&pl[k].acc, &st[j]);
        if (pl[k].p.autoscale)
            pl[k].provisioned += st[j].instance_s / m->horizon;
    }
out:
    sim_free(dep);
    sim_free(idx);
    sim_free(done);
    sim_free(fp);
    sim_free(fs);
    return rc;
}

/* Pools that stay up -- fixed, sized from demand, or autoscaled -- for n
 * deployments that group agents alike (an autoscaled one alone).  rc[k]:
 * deployment k's status.  `tap` (or NULL) rides on the first group's
 * first pass, which it holds to have been read to its end (tap->fed). */
static int run_pools(const price_ctx *ctx, const price_deploy *const *pd,
                     size_t n, const sim_workload_model *m, uint64_t rep,
                     sim_usage *u, sim_waits *waits, int *rc, sleepers *tap)
{
    double H = m->horizon, agents = 0;
    pooler *pl = sim_calloc(n, sizeof *pl);
    sim_pool_params *pp = sim_calloc(n, sizeof *pp);
    sim_pool_stats *st = sim_calloc(n, sizeof *st);
    int all = pl && pp && st ? SIM_OK : SIM_ENOMEM;
    for (size_t k = 0; k < n && all == SIM_OK; k++)
        pool_params(pd[k], H, &pl[k].p);
    uint64_t groups = 0, first, na;
    grouper g;
    grouper_init(&g, m, pd[0]->dep);
    while (all == SIM_OK && next_group(&g, &first, &na)) {
        all = pools_group(ctx, pd, n, m, rep, first, na, groups == 0, pl,
                          waits, pp, st, groups == 0 ? tap : NULL);
        agents += (double)na;
        groups++;
    }
    for (size_t k = 0; k < n; k++) {
        rc[k] = all != SIM_OK ? all : pl[k].rc;
        if (rc[k] == SIM_OK)
            pool_usage(&ctx[k], pd[k], &pl[k].p, &pl[k].acc,
                       pl[k].provisioned, agents, groups, H, &u[k],
                       &waits[k]);
    }
    sim_free(pl);
    sim_free(pp);
    sim_free(st);
    return all;
}

/*
 * A pool's time past each instance's billing cap.  A fixed or always-on
 * pool runs its instances all month (run_pools bills them exactly that);
 * an autoscaled one keeps its `min` running all month, and the instances
 * it adds are taken as part-month runs billed in full: the pool does not
 * say how long each one ran, and one that ran nearly the whole month is
 * overstated by at most 730/720 of its price.
 */
static void pool_capped(const price_deploy *pd, sim_usage *u)
{
    sim_fx month = sim_fx_from_int(SIM_MONTH_SECONDS), all;
    if (pd->bill_cap_s <= 0 || pd->bill_cap_s >= month)
        return;
    /* An autoscaled pool's engine capped each machine's billed time
     * already; instances that run all month are capped here, exactly. */
    if (pd->dep->mode != SCN_MODE_AUTOSCALE &&
        sim_fx_mul(u->provisioned, month, &all) == SIM_OK &&
        all == u->instance_seconds)
        sim_fx_mul(u->provisioned, month - pd->bill_cap_s,
                   &u->capped_seconds);
}

/* Plain Workers (per-request): no instances, only the messages. */
static int count_messages(const sim_workload_model *m, uint64_t rep,
                          sim_usage *u)
{
    uint64_t count = 0;
    for (uint64_t a = 0; a < m->agents; a++) {
        sim_source *src;
        sim_msg msg;
        int rc = sim_source_open(m, rep, a, 1, &src);
        if (rc != SIM_OK)
            return rc;
        while (sim_source_next(src, &msg))
            count++;
        rc = sim_source_status(src);
        sim_source_close(src);
        if (rc != SIM_OK)
            return rc;
    }
    u->messages = fxd((double)count * SIM_MONTH_SECONDS / m->horizon);
    return SIM_OK;
}

static int sleeps(const price_deploy *pd)
{
    return pd->dep->mode == SCN_MODE_SCALE_TO_ZERO || pd->objects;
}

/* Bytes the instances of a tapped pass may take, for each replication
 * running at once: 64 MB, three deployments of 250,000 agents.  Past it
 * the sleepers take a pass of their own, with the same figures. */
#define TAP_BYTES ((size_t)64 << 20)

/*
 * A set of both kinds: instances of one agent each that sleep, and
 * shared pools (sim_share_key).  The pools' first pass reads every
 * agent's messages, a window of all of them at a time; each window goes
 * to the sleeping instances too (sleepers_tap) before it is sorted, and
 * the sleepers need no draw of their own -- a replication draws its
 * messages once.  The price is an instance's state for every agent and
 * sleeping deployment (sim_inst) for the length of the pass; past
 * TAP_BYTES of it, or with no pass to ride on (no pool could be sized),
 * the sleepers draw their own as before.  What each deployment gets is what it
 * gets alone, to the bit: each instance sees its messages in time order
 * and the instances end in agent order (sim_inst).
 */
static int run_mixed(const price_ctx *ctx, const price_deploy *const *pd,
                     size_t n, size_t ns, const sim_workload_model *m,
                     uint64_t rep, sim_usage *u, sim_waits *waits, int *rc)
{
    double H = m->horizon;
    size_t np = n - ns;
    size_t *idx = sim_calloc(n, sizeof *idx);       /* sleepers, pools */
    price_ctx *cx = sim_calloc(n, sizeof *cx);
    const price_deploy **px = sim_calloc(n, sizeof *px);
    sim_usage *ux = sim_calloc(n, sizeof *ux);
    sim_waits *wx = sim_calloc(n, sizeof *wx);
    int *rx = sim_calloc(n, sizeof *rx);
    sleepers sl;
    memset(&sl, 0, sizeof sl);
    int all = idx && cx && px && ux && wx && rx ? SIM_OK : SIM_ENOMEM;
    if (all == SIM_OK) {
        size_t a = 0, b = ns;
        for (size_t k = 0; k < n; k++)
            idx[sleeps(pd[k]) ? a++ : b++] = k;
        for (size_t j = 0; j < n; j++) {
            cx[j] = ctx[idx[j]];
            px[j] = pd[idx[j]];
        }
        all = sleepers_init(cx, px, ns, H, &sl);
    }
    int tap = all == SIM_OK && px[ns]->dep->arch == SCN_ARCH_SHARED &&
              m->agents <= TAP_BYTES / sizeof(sim_inst) / ns;
    if (tap && (sl.inst = sim_alloc((size_t)m->agents * ns *
                                    sizeof *sl.inst)) != NULL) {
        sl.agents = m->agents;
        for (size_t i = 0; i < (size_t)m->agents * ns; i++)
            sim_inst_begin(&sl.inst[i]);
    }
    if (all == SIM_OK) {
        all = run_pools(cx + ns, px + ns, np, m, rep, ux + ns, wx + ns,
                        rx + ns, sl.inst ? &sl : NULL);
        for (size_t j = ns; j < n; j++)
            if (rx[j] == SIM_OK)
                pool_capped(px[j], &ux[j]);
    }
    int srr = all;
    uint64_t groups = m->agents;
    if (srr == SIM_OK) {
        if (sl.fed)
            sleepers_tapped_end(&sl, H);
        else
            srr = sleepers_pass(&sl, px[0]->dep, m, rep, &groups);
    }
    for (size_t j = 0; j < ns && srr == SIM_OK; j++)
        sleeper_usage(&cx[j], px[j], &sl.z[j], H, groups, &ux[j], &wx[j]);
    if (all == SIM_OK && srr != SIM_OK)
        all = srr;
    for (size_t j = 0; idx && j < n; j++) {
        size_t k = idx[j];
        u[k] = ux ? ux[j] : u[k];
        waits[k] = wx ? wx[j] : waits[k];
        rc[k] = !rx ? SIM_ENOMEM : j < ns ? srr : rx[j];
    }
    if (!idx)
        for (size_t k = 0; k < n; k++)
            rc[k] = SIM_ENOMEM;
    sleepers_fini(&sl);
    sim_free(idx);
    sim_free(cx);
    sim_free(px);
    sim_free(ux);
    sim_free(wx);
    sim_free(rx);
    return all;
}

/* n deployments of one set (sim_share_key), or one alone. */
static int run_instances(const price_ctx *ctx, const price_deploy *const *pd,
                         size_t n, const sim_workload_model *m,
                         uint64_t rep, sim_usage *u, sim_waits *waits,
                         int *rc)
{
    int all;
    if (pd[0]->dep->arch == SCN_ARCH_PER_REQUEST) {
        all = count_messages(m, rep, u);    /* never in a set */
        rc[0] = all;
        return all;
    }
    size_t ns = 0;
    for (size_t k = 0; k < n; k++)
        ns += (size_t)sleeps(pd[k]);
    if (ns > 0 && ns < n)
        return run_mixed(ctx, pd, n, ns, m, rep, u, waits, rc);
    if (ns == n) {
        all = run_sleeping(ctx, pd, n, m, rep, u, waits);
        for (size_t k = 0; k < n; k++)
            rc[k] = all;
        return all;
    }
    all = run_pools(ctx, pd, n, m, rep, u, waits, rc, NULL);
    for (size_t k = 0; k < n; k++)
        if (rc[k] == SIM_OK)
            pool_capped(pd[k], &u[k]);
    return all;
}

/* One deployment alone. */
static int run_alone(const price_ctx *ctx, const price_deploy *pd,
                     const sim_workload_model *m, uint64_t rep,
                     sim_usage *u, sim_waits *waits)
{
    int rc;
    run_instances(ctx, &pd, 1, m, rep, u, waits, &rc);
    return rc;
}

/*
 * WebSocket upgrades when clients connect per message: an agent's client
 * connects for a message that finds it disconnected, i.e. one arriving
 * after the previous reply plus `linger` (0: while-active).  Replies are
 * taken at arrival + busy; a cold-start wait can only merge connections.
 */
static int count_connects(const sim_workload_model *m, uint64_t rep,
                          double linger, sim_usage *u)
{
    double connects = 0;
    for (uint64_t a = 0; a < m->agents; a++) {
        sim_source *src;
        sim_msg msg;
        double until = -INFINITY;
        int rc = sim_source_open(m, rep, a, 1, &src);
        if (rc != SIM_OK)
            return rc;
        while (sim_source_next(src, &msg) && msg.t <= m->horizon) {
            if (msg.t > until)
                connects++;
            if (msg.t + msg.busy + linger > until)
                until = msg.t + msg.busy + linger;
        }
        rc = sim_source_status(src);
        sim_source_close(src);
        if (rc != SIM_OK)
            return rc;
    }
    u->ws_connects = fxd(connects * SIM_MONTH_SECONDS / m->horizon);
    return SIM_OK;
}

uint64_t sim_share_key(const price_ctx *ctx, const price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    uint64_t kind, group;
    /* A usage credit runs the month twice (sim_stochastic_run) and a
     * plain Worker only counts; an autoscaled pool pulls its own
     * messages. */
    if (ctx->scn->workload.fluid || pd->credit_pool > 0 ||
        d->arch == SCN_ARCH_PER_REQUEST)
        return 0;
    if (d->mode == SCN_MODE_SCALE_TO_ZERO || pd->objects)
        kind = 1;
    else if (d->mode == SCN_MODE_AUTOSCALE)
        return 0;
    else
        kind = 2;
    switch (d->arch) {
    case SCN_ARCH_SHARED:
        group = 1;
        break;
    case SCN_ARCH_PER_TENANT:
        group = 2;
        break;
    case SCN_ARCH_POOLED:
        group = 3 + (uint64_t)d->tenants_per_instance;
        break;
    default:                    /* one agent an instance */
        group = 0;
        break;
    }
    /* Instances of one agent each that sleep ride on shared pools' pass
     * (run_mixed): one set, kind 3. */
    if ((kind == 1 && group == 0) || (kind == 2 && group == 1))
        return 3;
    return kind | group << 2;
}

int sim_stochastic_run(const price_ctx *ctx, const price_deploy *pd,
                       uint64_t rep, sim_usage *u, sim_waits *waits)
{
    int rc;
    sim_stochastic_run_set(ctx, &pd, 1, rep, u, waits, &rc);
    return rc;
}

int sim_stochastic_run_set(const price_ctx *ctx,
                           const price_deploy *const *pd, size_t n,
                           uint64_t rep, sim_usage *u, sim_waits *waits,
                           int *rc)
{
    const scn_workload *w = &ctx[0].scn->workload;
    sim_workload_model m;
    int all = SIM_OK;

    for (size_t k = 0; k < n; k++) {
        memset(&u[k], 0, sizeof u[k]);
        memset(&waits[k], 0, sizeof waits[k]);
        rc[k] = check_supported(&ctx[k]);
        if (rc[k] != SIM_OK)
            all = rc[k];
    }
    if (all == SIM_OK)
        all = sim_model_build(ctx[0].scn, &m);
    if (all != SIM_OK) {
        for (size_t k = 0; k < n; k++)
            if (rc[k] == SIM_OK)
                rc[k] = all;
        return all;
    }
    if (n == 1) {
        /* A usage credit (Railway Free) runs dry where its dollars do:
         * the month is metered without it, the credit becomes the awake
         * hours it buys at that draw, and the month is run again against
         * that pool -- the same messages, as every stream is replayed
         * from its seed. */
        price_deploy lp = *pd[0];
        if (lp.credit_pool > 0) {
            lp.hour_pool = 0;
            rc[0] = run_alone(&ctx[0], &lp, &m, rep, &u[0], &waits[0]);
            lp.hour_pool = sim_credit_hours(pd[0], &u[0]);
            memset(&u[0], 0, sizeof u[0]);
            memset(&waits[0], 0, sizeof waits[0]);
        }
        if (rc[0] == SIM_OK)
            rc[0] = run_alone(&ctx[0], &lp, &m, rep, &u[0], &waits[0]);
    } else {
        run_instances(ctx, pd, n, &m, rep, u, waits, rc);
    }
    /* Connections depend on the messages alone: counted once. */
    int any = 0;
    for (size_t k = 0; k < n; k++)
        any |= rc[k] == SIM_OK;
    if (any && w->transport == SCN_WEBSOCKET &&
        w->connected != SCN_CONN_ALWAYS) {
        sim_usage c;
        memset(&c, 0, sizeof c);
        int one = count_connects(&m, rep,
                                 w->connected == SCN_CONN_LINGER
                                     ? (double)w->linger_us / 1e6
                                     : 0,
                                 &c);
        for (size_t k = 0; k < n; k++) {
            if (rc[k] != SIM_OK)
                continue;
            if (one != SIM_OK)
                rc[k] = one;
            else
                u[k].ws_connects = c.ws_connects;
        }
    }
    sim_model_fini(&m);
    all = SIM_OK;
    for (size_t k = 0; k < n; k++) {
        if (rc[k] == SIM_OK && sim_traffic(&ctx[k], pd[k], &u[k]) != SIM_OK)
            rc[k] = SIM_ERANGE;
        if (all == SIM_OK)
            all = rc[k];
    }
    return all;
}

/*
 * stochastic.c -- replications of stochastic workloads.
 */
#include "sim/stochastic.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "sim/fluid.h"

static sim_fx fxd(double v)
{
    return sim_fx_from_double(v);
}

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

/* Agents per group and group count, as the fluid model groups them. */
static int grouping(const price_ctx *ctx, const price_deploy *pd,
                    int64_t *count, int64_t *size, int64_t *rem)
{
    const scn_workload *w = &ctx->scn->workload;
    const scn_deployment *d = pd->dep;
    *rem = 0;
    switch (d->arch) {
    case SCN_ARCH_SHARED:
        *count = 1;
        *size = w->tenants * w->agents_per_tenant;
        return SIM_OK;
    case SCN_ARCH_PER_TENANT:
        *count = w->tenants;
        *size = w->agents_per_tenant;
        return SIM_OK;
    case SCN_ARCH_PER_AGENT:
    case SCN_ARCH_PER_SESSION:
        *count = w->tenants * w->agents_per_tenant;
        *size = 1;
        return SIM_OK;
    case SCN_ARCH_POOLED:
        *count = w->tenants / d->tenants_per_instance;
        *size = d->tenants_per_instance * w->agents_per_tenant;
        *rem = (w->tenants % d->tenants_per_instance) * w->agents_per_tenant;
        return SIM_OK;
    case SCN_ARCH_PER_REQUEST:
        *count = 0;
        *size = 0;
        return SIM_OK;
    }
    return SIM_EINVAL;
}

static int check_supported(const price_ctx *ctx, const price_deploy *pd)
{
    const scn_workload *w = &ctx->scn->workload;
    if (w->arrivals != SCN_ARR_POISSON)
        return price_reject(ctx, w->pos, "this version simulates Poisson "
                            "arrivals only; diurnal, sessions and trace "
                            "arrivals are read but not yet simulated");
    if (!w->has_busy)
        return price_reject(ctx, w->pos, "the stochastic form needs "
                            "busy_per_message (how long an agent is busy "
                            "with one message)");
    if (w->busy.kind == SCN_DIST_EMPIRICAL)
        return price_reject(ctx, w->pos, "empirical busy_per_message is read "
                            "but not yet simulated");
    if (pd->dep->mode == SCN_MODE_AUTOSCALE)
        return price_reject(ctx, pd->dep->mode_pos, "autoscaled pools are "
                            "not yet simulated in the stochastic form; use "
                            "always-on with sizing, fixed or scale-to-zero");
    return SIM_OK;
}

/* Mean service time in seconds, for Little's law. */
static double mean_busy(const scn_dist *d)
{
    if (d->kind == SCN_DIST_LOGNORMAL) {
        double s = sim_fx_to_double(d->sigma);
        return sim_fx_to_double(d->median_s) * exp(s * s / 2);
    }
    return sim_fx_to_double(d->mean_s);
}

int sim_stochastic_run(const price_ctx *ctx, const price_deploy *pd,
                       uint64_t rep, sim_usage *u, sim_waits *waits)
{
    const scn_scenario *s = ctx->scn;
    const scn_workload *w = &s->workload;
    const scn_profile *pr = &s->profile;
    int64_t count, size, rem;
    int rc;

    memset(u, 0, sizeof *u);
    memset(waits, 0, sizeof *waits);
    if ((rc = check_supported(ctx, pd)) != SIM_OK ||
        (rc = grouping(ctx, pd, &count, &size, &rem)) != SIM_OK)
        return rc;

    double H = (double)s->horizon_us / 1e6;
    double scale = (double)SIM_MONTH_SECONDS / H;
    double lambda = sim_fx_to_double(w->messages_per_agent_month) /
                    SIM_MONTH_SECONDS;
    int sleeps = pd->dep->mode == SCN_MODE_SCALE_TO_ZERO || pd->objects;
    sim_inst_params p = {0, H, (double)pd->cold_start_us / 1e6,
                         (double)pd->idle_timeout_us / 1e6, 0,
                         connection_keeps_awake(ctx, pd), 0, 0, &w->busy,
                         NULL};
    if (w->connected == SCN_CONN_LINGER && !pd->objects)
        p.linger = (double)w->linger_us / 1e6;
    /* The instance price's metering: Fargate and EC2 bill a run per second
     * with a one-minute minimum, Railway per minute. */
    const char *price_id = price_plan_attr(pd->plan, "price");
    if (!price_id)
        price_id = price_plan_attr(pd->plan, "vcpu_price");
    if (!price_id && !pd->objects && !strcmp(pd->dep->provider, "railway"))
        price_id = "vcpu_second";
    const price_item *meter = price_id ? price_need(pd, price_id) : NULL;
    if (meter) {
        p.granularity = (double)meter->granularity_us / 1e6;
        p.minimum = (double)meter->minimum_us / 1e6;
    }
    gsl_rng *g = gsl_rng_alloc(sim_rng_gsl_type);
    if (!g)
        return SIM_ENOMEM;
    p.gsl = g;

    sim_inst_stats st;
    memset(&st, 0, sizeof st);
    double agent_awake = 0;     /* agent-seconds on awake instances */
    int64_t groups = count + (rem ? 1 : 0);
    for (int64_t gi = 0; gi < groups; gi++) {
        int64_t n = gi < count ? size : rem;
        sim_rng arr, svc;
        void *saved = g->state;
        sim_rng_seed(&arr, s->seed, rep, (uint64_t)gi, SIM_STREAM_ARRIVALS);
        sim_rng_seed(&svc, s->seed, rep, (uint64_t)gi, SIM_STREAM_SERVICE);
        p.rate = lambda * (double)n;
        if (!sleeps)
            p.never_sleeps = 1;
        double before = st.awake_s;
        sim_instance_run(&p, &arr, &svc, &st);
        g->state = saved;
        agent_awake += (st.awake_s - before) * (double)n;
    }
    gsl_rng_free(g);

    if (!sleeps) {
        /* Always-on pools: instances as the fluid model sizes them from
         * the mean concurrency (Little's law), traffic as simulated. */
        double a = lambda * mean_busy(&w->busy);
        rc = sim_fluid_run_at(ctx, pd, fxd(a > 1 ? 1 : a), u);
        if (rc != SIM_OK)
            return rc;
        /* Measured use from the simulated busy time. */
        double busy = st.busy_s * scale;
        double agents = (double)(count * size + rem);
        u->vcpu_seconds = fxd(busy * sim_fx_to_double(pr->active_vcpu));
        u->memory_gb_seconds = fxd(
            busy * sim_fx_to_double(pr->active_memory_gb) +
            (agents * SIM_MONTH_SECONDS - busy) *
                sim_fx_to_double(pr->idle_memory_gb) +
            sim_fx_to_double(u->provisioned) * SIM_MONTH_SECONDS *
                sim_fx_to_double(pr->base_memory_gb));
    } else {
        double awake = st.billed_s * scale;
        double busy = st.busy_s * scale;
        sim_fx n_inst = sim_fx_from_int(groups);
        u->groups = n_inst;
        u->provisioned = n_inst;
        u->instances_peak = n_inst;
        u->instance_seconds = fxd(awake);
        u->instances_mean = fxd(st.awake_s * scale / SIM_MONTH_SECONDS);
        u->stopped_seconds = fxd((double)groups * SIM_MONTH_SECONDS - awake);
        u->alloc_vcpu_seconds = fxd(awake * sim_fx_to_double(pd->cap_vcpu));
        u->alloc_memory_gb_seconds =
            fxd(awake * sim_fx_to_double(pd->cap_memory_gb));
        u->vcpu_seconds = fxd(busy * sim_fx_to_double(pr->active_vcpu));
        u->memory_gb_seconds = fxd(
            busy * sim_fx_to_double(pr->active_memory_gb) +
            (agent_awake * scale - busy) *
                sim_fx_to_double(pr->idle_memory_gb) +
            awake * sim_fx_to_double(pr->base_memory_gb));
        if (pd->objects)
            u->object_seconds = u->instance_seconds;
        u->cold_starts = fxd((double)st.cold_starts * scale);
        u->awake_fraction = groups ? fxd(st.awake_s / ((double)groups * H))
                                   : 0;
        if (pd->hour_pool > 0) {
            double hours = awake / 3600, pool = sim_fx_to_double(pd->hour_pool);
            if (hours > pool) {
                /* The pool runs dry part-way through the month; from then
                 * on every instance sleeps and users are refused. */
                double keep = pool / hours;
                u->instance_seconds = fxd(pool * 3600);
                u->instances_mean = fxd(pool * 3600 / SIM_MONTH_SECONDS);
                u->stopped_seconds = fxd((double)groups * SIM_MONTH_SECONDS -
                                         pool * 3600);
                u->refused_seconds = fxd(SIM_MONTH_SECONDS * (1 - keep));
                u->awake_fraction = fxd(sim_fx_to_double(u->awake_fraction) *
                                        keep);
            }
            u->pool_hours_used = fxd(sim_fx_to_double(u->instance_seconds) /
                                     3600);
        }
        waits->p50 = sim_wait_quantile(&st, p.cold_start, 0.50);
        waits->p95 = sim_wait_quantile(&st, p.cold_start, 0.95);
    }
    u->messages = fxd((double)st.messages * scale);
    return sim_traffic(ctx, pd, u) == SIM_OK ? SIM_OK : SIM_ERANGE;
}

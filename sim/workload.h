/*
 * workload.h -- the messages tenants send: arrival processes per agent
 * and the merged, time-ordered stream an instance or pool receives.
 *
 * Agents are numbered globally, class by class, tenant by tenant:
 * class c's tenant j, agent k is agent first_agent(c) + j * agents_per_tenant
 * + k.  Every agent draws from its own two streams (arrivals and service),
 * seeded by (seed, replication, agent), so any grouping of agents into
 * instances -- one shared pool, one per tenant, one per agent -- sees the
 * very same messages with the very same service times: common random
 * numbers across deployments and architectures.
 *
 * A group is a contiguous range of agents.  Its source yields the
 * messages of all its agents in time order, ties broken by agent number,
 * up to the horizon.  Service times are drawn by the workload, not by the
 * instance that serves them.
 */
#ifndef SIM_WORKLOAD_H
#define SIM_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "sim/rng.h"
#include "scenario/scenario.h"
#include "scenario/trace.h"

/* One message: arrival time and service time in seconds, and its agent. */
typedef struct sim_msg {
    double t;
    double busy;
    uint64_t agent;
} sim_msg;

enum sim_arrival_kind {
    SIM_ARR_POISSON, SIM_ARR_DIURNAL, SIM_ARR_SESSIONS, SIM_ARR_TRACE
};

/* One class of tenants that behave alike. */
typedef struct sim_class {
    uint64_t first_agent;
    int64_t tenants;
    int64_t agents_per_tenant;
    enum sim_arrival_kind kind;
    double rate;                /* mean messages per agent-second */
    /* diurnal: a daily cycle peaking at peak_hour (local time) whose
     * peak is peak_to_mean times the daily mean (<= 1: flat); tenants'
     * local clocks are
     * spread evenly over tz_spread_hours; Saturday and Sunday (t = 0 is a
     * Monday 00:00 UTC) carry weekend_factor times a weekday's traffic
     * (1: a flat week; 0: none at weekends), the week keeping the mean
     * `rate`. */
    double peak_hour, peak_to_mean, tz_spread_hours, weekend_factor;
    /* sessions: sessions start as a Poisson process at session_rate per
     * agent-second; a session has messages_per_session messages on
     * average; after each reply ends the user thinks for an exponential
     * time of mean think_s before the next message. */
    double session_rate, messages_per_session, think_s;
    const sim_trace *trace;     /* trace: the class's tenants and
                                   agents_per_tenant are the trace's;
                                   agent k replays the trace's agent k */
    const scn_dist *busy;       /* service times (may be NULL for traces
                                   whose every row has busy seconds) */
    const sim_samples *samples; /* busy->kind == SCN_DIST_EMPIRICAL */
} sim_class;

typedef struct sim_workload_model {
    sim_class *classes;
    size_t nclasses;
    uint64_t agents;            /* total over classes */
    double horizon;             /* seconds */
    uint64_t seed;
} sim_workload_model;

/* The message stream of one group of agents.  Opaque. */
typedef struct sim_source sim_source;

/*
 * Opens the stream of agents [first, first + n) for replication `rep`.
 * Returns SIM_OK or SIM_ENOMEM.
 */
int sim_source_open(const sim_workload_model *m, uint64_t rep,
                    uint64_t first, uint64_t n, sim_source **out /* OUT */);

/* The next message at or before the horizon: 1, or 0 when there is none. */
int sim_source_next(sim_source *s, sim_msg *msg /* OUT */);

/* SIM_OK, or SIM_ENOMEM when the stream ended early for want of memory
 * (overlapping sessions need room); check it once the stream ends. */
int sim_source_status(const sim_source *s);

void sim_source_close(sim_source *s);

/*
 * A tap on a source: `fn` is shown every message the source will yield,
 * before it yields it -- a large group's whole window at once, before the
 * window is sorted (agent by agent in number order, so a consumer that
 * keeps state per agent walks it in memory order), otherwise each message
 * as it is taken.  Each agent's messages reach the tap in time order, and
 * all of them once the stream has been read to its end, so a consumer
 * that needs only that -- instances of one agent each -- can ride on a
 * pass that needs the messages in time order (the pools) instead of
 * drawing them again.  Set it before the first sim_source_next; NULL
 * removes it.
 */
typedef void (*sim_source_tap_fn)(void *ctx, const sim_msg *v, size_t n);
void sim_source_tap(sim_source *s, sim_source_tap_fn fn, void *ctx);

/* Draws one service time in seconds for class `c` from stream `svc`. */
double sim_draw_busy(const sim_class *c, sim_rng *svc);

/*
 * A guess at the q-quantile, over time, of the messages in service for
 * agents [first, first + n) with unlimited capacity: at each ten-minute
 * step of a week (or of the horizon, if shorter) Poisson about the load
 * the agents' intensities give then -- daily cycles, weekends and the
 * tenants' clocks included, sessions and traces at their mean rate --
 * with services taken as short beside a day.  Burstier demand has higher
 * quantiles.  For guesses whose error costs time, never a figure.
 */
double sim_load_quantile(const sim_workload_model *m, uint64_t first,
                         uint64_t n, double q);

/* How many of agents [first, first + n) are class c's; *from: the first
 * of them. */
uint64_t sim_class_span(const sim_class *c, uint64_t first, uint64_t n,
                        uint64_t *from /* OUT */);

/* The mean service time of class `c`, in seconds. */
double sim_mean_busy(const sim_class *c);

#endif

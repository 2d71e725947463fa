/*
 * usage.h -- the meters: what a deployment used in one month.
 *
 * The fluid model and the discrete-event engine fill the same meters, and
 * billing reads only these, so the two can never disagree on a bill.  Every
 * quantity is per month of 730 hours, whatever horizon was simulated.
 */
#ifndef SIM_USAGE_H
#define SIM_USAGE_H

#include "base/fixed.h"

#define SIM_MONTH_SECONDS 2628000   /* 730 h */

typedef struct sim_usage {
    sim_fx groups;              /* apps or services (one per tenant, ...) */
    sim_fx instances_mean;      /* instances awake, time-averaged */
    sim_fx instances_peak;
    sim_fx provisioned;         /* instances that exist (awake or asleep) */
    sim_fx instance_seconds;    /* instance-time awake (starting or running) */
    sim_fx stopped_seconds;     /* instance-time asleep */
    sim_fx capped_seconds;      /* awake instance-time past each instance's
                                   monthly billing cap (price_deploy
                                   .bill_cap_s): part of instance_seconds
                                   that is not billed */
    sim_fx vcpu_seconds;        /* measured vCPU use */
    sim_fx memory_gb_seconds;   /* measured memory use, runtime included */
    sim_fx alloc_vcpu_seconds;  /* instance size x time awake */
    sim_fx alloc_memory_gb_seconds;
    sim_fx messages;
    sim_fx requests;            /* HTTP requests reaching the service */
    sim_fx cpu_ms;
    sim_fx egress_gb;
    sim_fx ws_connects;         /* WebSocket upgrades */
    sim_fx ws_messages_in;      /* incoming WebSocket messages, pings too */
    sim_fx object_seconds;      /* Durable Object billed wall-clock */
    /* Load-balancer dimensions for the busiest hour (LCU sizing). */
    sim_fx lb_new_conn_per_s;
    sim_fx lb_active_conns;
    sim_fx lb_gb_per_hour;
    sim_fx lb_hours;            /* hours with the balancer provisioned */
    sim_fx pool_hours_used;     /* Eco / free-tier hour pool drawn */
    sim_fx refused_seconds;     /* time users were refused (pool ran dry) */
    sim_fx pool_dry_at;         /* seconds into the month it ran dry; 0: never */
    sim_fx refused_messages;    /* messages turned away (dry pool, full queue) */
    sim_fx queued_messages;     /* messages that waited for a free slot */
    sim_fx cold_starts;
    sim_fx awake_fraction;
} sim_usage;

#endif

/*
 * scenario.h -- the scenario file (shared/spec.md, "Scenario file").
 *
 * scn_load reads and checks a scenario completely: every key is known,
 * every value has the right type and range, every duration has a unit.
 * Checks that depend on a provider's rules (does this plan exist, can this
 * provider scale to zero) happen later, in pricing/, against the catalog;
 * they report at the positions kept here.
 *
 * Ownership: a scn_scenario owns every string and array in it.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdint.h>

#include "base/diag.h"
#include "base/fixed.h"
#include "scenario/profile.h"

/* A position in the scenario file, for errors found after loading. */
typedef struct scn_pos {
    int line, col;
} scn_pos;

enum scn_arch {
    SCN_ARCH_SHARED, SCN_ARCH_PER_TENANT, SCN_ARCH_PER_AGENT,
    SCN_ARCH_PER_SESSION, SCN_ARCH_PER_REQUEST, SCN_ARCH_POOLED
};
enum scn_mode {
    SCN_MODE_FIXED, SCN_MODE_AUTOSCALE, SCN_MODE_SCALE_TO_ZERO,
    SCN_MODE_ALWAYS_ON
};
enum scn_sizing { SCN_SIZE_MEAN, SCN_SIZE_P95, SCN_SIZE_P99, SCN_SIZE_PEAK };
enum scn_basis { SCN_BASIS_DEFAULT, SCN_BASIS_MEASURED, SCN_BASIS_ALLOCATED };
enum scn_connected { SCN_CONN_ALWAYS, SCN_CONN_WHILE_ACTIVE, SCN_CONN_LINGER };
enum scn_arrivals {
    SCN_ARR_NONE, SCN_ARR_POISSON, SCN_ARR_DIURNAL, SCN_ARR_SESSIONS,
    SCN_ARR_TRACE
};
enum scn_dist_kind {
    SCN_DIST_FIXED, SCN_DIST_EXPONENTIAL, SCN_DIST_LOGNORMAL, SCN_DIST_GAMMA,
    SCN_DIST_EMPIRICAL
};
enum scn_metric {
    SCN_METRIC_TOTAL, SCN_METRIC_PER_TENANT, SCN_METRIC_PER_AGENT,
    SCN_METRIC_COLD_START_P95
};
enum scn_bound { SCN_BOUND_MEAN, SCN_BOUND_UPPER95 };

extern const char *const scn_arch_names[];
extern const char *const scn_mode_names[];
extern const char *const scn_sizing_names[];
extern const char *const scn_basis_names[];
extern const char *const scn_transport_names[];
extern const char *const scn_metric_names[];
extern const char *const scn_bound_names[];

/* A service-time distribution; times in seconds. */
typedef struct scn_dist {
    enum scn_dist_kind kind;
    sim_fx mean_s;      /* fixed value, or the mean */
    sim_fx median_s;    /* lognormal */
    sim_fx sigma;       /* lognormal shape */
    sim_fx shape;       /* gamma shape (k); mean_s gives the scale */
    char *path;         /* empirical CSV */
    struct sim_samples *samples;    /* its values, loaded with the scenario */
} scn_dist;



/*
 * One class of tenants that behave alike.  A scenario without `classes`
 * has one class made of the workload's own keys; with `classes`, each
 * class starts from those keys and overrides what it gives.
 */
typedef struct scn_class {
    char *name;
    int64_t tenants;
    int64_t agents_per_tenant;
    int has_messages;
    sim_fx messages_per_agent_month;
    enum scn_arrivals arrivals;
    /* diurnal */
    sim_fx peak_to_mean;
    sim_fx peak_hour;
    sim_fx tz_spread_hours;
    sim_fx weekend_factor;
    /* sessions */
    sim_fx sessions_per_agent_month, messages_per_session;
    int64_t think_time_us;
    char *trace_path;
    struct sim_trace *trace;        /* loaded with the scenario */
    int has_busy;
    scn_dist busy;
    scn_pos pos, tenants_pos;
} scn_class;

typedef struct scn_workload {
    int64_t tenants;                /* over all classes */
    int64_t agents_per_tenant;      /* the workload's own key (fluid form) */
    int64_t agents;                 /* over all classes */
    enum scn_transport transport;
    int fluid;                      /* active_fraction given */
    sim_fx active_fraction;
    int has_messages;               /* the workload's own keys */
    sim_fx messages_per_agent_month;
    scn_class *classes;             /* at least one once loaded */
    size_t nclasses;
    int explicit_classes;           /* `classes` was given */
    enum scn_connected connected;
    int64_t linger_us;
    scn_pos pos, fraction_pos, messages_pos;
} scn_workload;

typedef struct scn_extras {
    char *support;          /* provider support plan, per account */
    sim_fx storage_gb;      /* volume / disk / EBS per instance */
    sim_fx ipv4;            /* public or dedicated IPv4 addresses */
    char *load_balancer;    /* "alb" or NULL */
    char *postgres;         /* Heroku Postgres plan, per deployment */
    char *workspace;        /* Render workspace plan */
    int64_t seats;          /* Render workspace members (default 1) */
    int64_t scripts;        /* Workers for Platforms scripts (default 1) */
    sim_fx rootfs_gb;       /* Fly rootfs billed while stopped; < 0 when
                               not given (fly.c's default applies) */
    sim_fx extra_memory_gb; /* Fly RAM above the preset, per machine */
    sim_fx r2_storage_gb, r2_class_a_millions, r2_class_b_millions;
    int hibernation;        /* Durable Objects use the Hibernation API */
    scn_pos pos, support_pos, lb_pos, postgres_pos, workspace_pos;
} scn_extras;

typedef struct scn_deployment {
    char *name;
    char *provider;
    char *plan;             /* NULL when not given */
    char *region;           /* NULL: the provider's default */
    enum scn_arch arch;
    int has_instance;
    sim_fx inst_vcpu, inst_memory_gb;
    enum scn_basis basis;
    enum scn_mode mode;
    int64_t instances;      /* -1 when not given */
    int64_t min_instances, max_instances;
    enum scn_sizing sizing;
    int64_t idle_timeout_us;        /* -1: provider default */
    int64_t cold_start_us;          /* -1: provider default */
    sim_fx target_utilization;      /* share of capacity a pool may fill */
    int64_t tenants_per_instance;   /* pooled: tenants packed together */
    int64_t queue_limit;            /* pools: waiting messages; -1 unbounded */
    int64_t metric_period_us;       /* autoscale: metric averaging period */
    int64_t scale_out_after_us;     /* autoscale: sustained breach to grow */
    int64_t scale_in_after_us;      /* autoscale: sustained slack to shrink */
    int64_t cooldown_us;            /* autoscale: between two actions */
    int suspend;                    /* Fly: auto_stop suspend, not stop */
    scn_extras extras;
    scn_pos pos, provider_pos, plan_pos, arch_pos, basis_pos, mode_pos,
        instance_pos, region_pos, instances_pos, idle_pos, cold_pos,
        auto_stop_pos;
} scn_deployment;

typedef struct scn_budget {
    enum scn_metric metric;
    sim_fx max;
    char *deployment;       /* NULL: every deployment */
    enum scn_bound bound;
    scn_pos pos;
} scn_budget;

/*
 * What a deployment must achieve to be called feasible.  A limit that is
 * not set is -1.  Without an `slo` key the default applies (given = 0):
 * queue wait p95 <= 10 s and nothing refused, no cold-start limit.
 */
typedef struct scn_slo {
    int given;
    int64_t queue_wait_p95_us;
    int64_t cold_start_wait_p95_us;
    sim_fx refused_messages;        /* a month; -1: no limit */
    scn_pos pos;
} scn_slo;

typedef struct scn_rate {
    char *key;              /* PROVIDER.ITEM */
    sim_fx value;
    scn_pos pos;
} scn_rate;

typedef struct scn_scenario {
    char *file;             /* as given on the command line */
    char *text;             /* the file's text, for diagnostics */
    char *name;
    int64_t horizon_us;
    uint64_t seed;
    int64_t replications;
    char *pricing;          /* "default", a catalog name or a path */
    scn_pos pricing_pos;
    scn_rate *rates;
    size_t nrates;
    scn_profile profile;
    scn_workload workload;
    scn_deployment *deployments;
    size_t ndeployments;
    scn_budget *budgets;
    size_t nbudgets;
    sim_fx *markups;
    size_t nmarkups;
    sim_fx llm_usd_per_message;
    scn_slo slo;
} scn_scenario;

/*
 * Loads and checks `path`.  On success *out is a new scenario (free with
 * scn_free) and SIM_OK is returned; otherwise every problem found is in
 * `d` and SIM_EPARSE or SIM_EIO is returned.
 */
int scn_load(const char *path, sim_diag *d, scn_scenario **out /* OUT */);

/*
 * As scn_load, with each "PATH=VALUE" of `sets` applied to the file
 * first (yml_set: dotted keys; list items by index or name), as if the
 * file had said so.  For sweeps and what-ifs.
 */
int scn_load_with(const char *path, const char *const *sets, size_t nsets,
                  sim_diag *d, scn_scenario **out /* OUT */);

void scn_free(scn_scenario *s);

/* Agents in the scenario: tenants x agents_per_tenant. */
int64_t scn_agents(const scn_scenario *s);

/* Records an error at a stored position in the scenario file. */
void scn_error(const scn_scenario *s, sim_diag *d, scn_pos pos,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void scn_warn(const scn_scenario *s, sim_diag *d, scn_pos pos,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

/*
 * scenario.c -- loading and checking scenario files.
 *
 * The loader keeps going after an error so that one run reports every
 * problem in the file; it returns failure if any was recorded.
 */
#include "scenario/scenario.h"

#include "base/alloc.h"
#include "base/strset.h"
#include "scenario/profile.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/trace.h"
#include "base/yml.h"

const char *const scn_arch_names[] = {
    "shared", "per-tenant", "per-agent", "per-session", "per-request",
    "pooled", NULL
};
const char *const scn_mode_names[] = {
    "fixed", "autoscale", "scale-to-zero", "always-on", NULL
};
const char *const scn_sizing_names[] = {"mean", "p95", "p99", "peak", NULL};
const char *const scn_basis_names[] = {"default", "measured", "allocated",
                                       NULL};
const char *const scn_transport_names[] = {"websocket", "sse", NULL};
const char *const scn_metric_names[] = {
    "total_month_usd", "per_tenant_month_usd", "per_agent_month_usd",
    "cold_start_p95_s", NULL
};
const char *const scn_bound_names[] = {"mean", "upper95", NULL};

#define FX(n) sim_fx_from_int(n)
#define FX_HUGE (FX(1000000000000LL))

typedef struct loader {
    yml_doc *doc;
    scn_scenario *s;
    sim_diag *d;
    sim_strset *names;      /* the deployments' names, for budgets */
    int nomem;
} loader;

static scn_pos pos_of(const yml_node *n)
{
    scn_pos p = {0, 0};
    if (n) {
        p.line = (int)n->start_mark.line + 1;
        p.col = (int)n->start_mark.column + 1;
    }
    return p;
}

static char *dupstr(loader *L, const char *s)
{
    char *r = s ? sim_strdup(s) : NULL;
    if (s && !r)
        L->nomem = 1;
    return r;
}

/* Reads an optional string value under `key` into a fresh copy. */
static void opt_str(loader *L, const yml_node *map, const char *key,
                    const char *what, char **out)
{
    const char *v;
    yml_node *n = yml_get(L->doc, map, key);
    if (n && yml_get_str(L->doc, n, what, &v) == SIM_OK)
        *out = dupstr(L, v);
}

static void opt_fx(loader *L, const yml_node *map, const char *key,
                   const char *what, sim_fx min, sim_fx max, sim_fx *out)
{
    yml_node *n = yml_get(L->doc, map, key);
    if (n)
        yml_get_fx(L->doc, n, what, min, max, out);
}

static void opt_int(loader *L, const yml_node *map, const char *key,
                    const char *what, int64_t min, int64_t max, int64_t *out)
{
    yml_node *n = yml_get(L->doc, map, key);
    if (n)
        yml_get_int(L->doc, n, what, min, max, out);
}

static void opt_dur(loader *L, const yml_node *map, const char *key,
                    const char *what, int64_t *out)
{
    yml_node *n = yml_get(L->doc, map, key);
    if (n)
        yml_get_duration(L->doc, n, what, out);
}

static void opt_enum(loader *L, const yml_node *map, const char *key,
                     const char *what, const char *const *choices, int *out)
{
    yml_node *n = yml_get(L->doc, map, key);
    if (n)
        yml_get_enum(L->doc, n, what, choices, out);
}

/* A duration as seconds in fixed point (for distribution parameters). */
static int dur_seconds(loader *L, const yml_node *n, const char *what,
                       sim_fx *out)
{
    int64_t us;
    if (yml_get_duration(L->doc, n, what, &us) != SIM_OK)
        return SIM_EPARSE;
    *out = (sim_fx)us * (SIM_FX_ONE / 1000000);
    return SIM_OK;
}

/* ---- profile ------------------------------------------------------------ */

static const char *const profile_keys[] = {
    "active_vcpu", "active_memory_gb", "idle_memory_gb", "base_memory_gb",
    "egress_kb_per_message", "requests_per_message", "cpu_ms_per_request",
    "heartbeat_interval", "idle_kb_per_hour", "runtime_start", NULL
};

static void profile_defaults(scn_profile *p)
{
    memset(p, 0, sizeof *p);
    p->active_vcpu = SIM_FX_ONE / 4;
    p->active_memory_gb = SIM_FX_ONE / 2;
    p->requests_per_message = SIM_FX_ONE;
    p->cpu_ms_per_request = FX(5);
    p->heartbeat_us = 30000000;
}

static void load_profile_map(loader *L, const yml_node *m)
{
    scn_profile *p = &L->s->profile;
    if (yml_check_map(L->doc, m, "profile", profile_keys) != SIM_OK)
        return;
    opt_fx(L, m, "active_vcpu", "profile.active_vcpu", 0, FX(1024),
           &p->active_vcpu);
    opt_fx(L, m, "active_memory_gb", "profile.active_memory_gb", 0,
           FX(4096), &p->active_memory_gb);
    opt_fx(L, m, "idle_memory_gb", "profile.idle_memory_gb", 0, FX(4096),
           &p->idle_memory_gb);
    opt_fx(L, m, "base_memory_gb", "profile.base_memory_gb", 0, FX(4096),
           &p->base_memory_gb);
    opt_fx(L, m, "egress_kb_per_message", "profile.egress_kb_per_message",
           0, FX(1000000000), &p->egress_kb_per_message);
    opt_fx(L, m, "requests_per_message", "profile.requests_per_message", 0,
           FX(1000000), &p->requests_per_message);
    opt_fx(L, m, "cpu_ms_per_request", "profile.cpu_ms_per_request", 0,
           FX(3600000), &p->cpu_ms_per_request);
    opt_dur(L, m, "heartbeat_interval", "profile.heartbeat_interval",
            &p->heartbeat_us);
    opt_fx(L, m, "idle_kb_per_hour", "profile.idle_kb_per_hour", 0,
           FX(1000000000), &p->idle_kb_per_hour);
    opt_dur(L, m, "runtime_start", "profile.runtime_start",
            &p->runtime_start_us);
}

/* Directory part of `file`, with a trailing slash, or "". */
static char *dir_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    size_t n = slash ? (size_t)(slash - file + 1) : 0;
    char *r = sim_alloc(n + 1);
    if (r) {
        memcpy(r, file, n);
        r[n] = '\0';
    }
    return r;
}

static char *resolve_relative(loader *L, const char *rel)
{
    if (rel[0] == '/')
        return dupstr(L, rel);
    char *dir = dir_of(L->s->file);
    if (!dir) {
        L->nomem = 1;
        return NULL;
    }
    size_t n = strlen(dir) + strlen(rel) + 1;
    char *r = sim_alloc(n);
    if (r)
        snprintf(r, n, "%s%s", dir, rel);
    else
        L->nomem = 1;
    sim_free(dir);
    return r;
}

/* A profile written by `capsim calibrate` (docs/profiles.md), read for
 * the workload's transport; its own errors are positioned in its file. */
static void load_profile_json(loader *L, const yml_node *n, const char *rel)
{
    char *path = resolve_relative(L, rel);
    if (!path)
        return;
    int rc = scn_profile_read(path, L->s->workload.transport, 1, L->d,
                              &L->s->profile);
    if (rc == SIM_ENOMEM)
        L->nomem = 1;
    else if (rc == SIM_EIO)
        yml_error(L->doc, n, "cannot read profile '%s' (%s); expected a "
                  "JSON profile written by 'capsim calibrate'", rel,
                  strerror(errno));
    if (rc == SIM_OK)
        L->s->profile.source = path;
    else
        sim_free(path);
}

/* ---- workload ----------------------------------------------------------- */

static const char *const workload_keys[] = {
    "tenants", "agents_per_tenant", "transport", "active_fraction",
    "messages_per_agent_month", "arrivals", "busy_per_message", "connected",
    "classes", NULL
};
static const char *const class_keys[] = {
    "name", "tenants", "agents_per_tenant", "messages_per_agent_month",
    "arrivals", "busy_per_message", NULL
};

static void load_dist(loader *L, const yml_node *n, scn_dist *out)
{
    static const char *const keys[] = {"dist", "mean", "median", "p95",
                                       "sigma", "shape", "file", NULL};
    static const char *const kinds[] = {"fixed", "exponential", "lognormal",
                                        "gamma", "empirical", NULL};
    const char *what = "busy_per_message";
    int kind = SCN_DIST_FIXED;

    sim_free(out->path);
    memset(out, 0, sizeof *out);
    if (yml_is_scalar(n)) {
        dur_seconds(L, n, what, &out->mean_s);
        return;
    }
    if (yml_check_map(L->doc, n, what, keys) != SIM_OK)
        return;
    yml_node *dn = yml_get(L->doc, n, "dist");
    if (!dn) {
        yml_error(L->doc, n, "%s needs 'dist' (fixed, exponential, "
                  "lognormal, gamma or empirical)", what);
        return;
    }
    if (yml_get_enum(L->doc, dn, "distribution", kinds, &kind) != SIM_OK)
        return;
    out->kind = (enum scn_dist_kind)kind;
    yml_node *mean = yml_get(L->doc, n, "mean");
    yml_node *median = yml_get(L->doc, n, "median");
    yml_node *p95 = yml_get(L->doc, n, "p95");
    yml_node *sigma = yml_get(L->doc, n, "sigma");
    yml_node *shape = yml_get(L->doc, n, "shape");
    switch (out->kind) {
    case SCN_DIST_FIXED:
    case SCN_DIST_EXPONENTIAL:
        if (!mean)
            yml_error(L->doc, n, "%s: a %s distribution needs 'mean' (a "
                      "duration)", what, kinds[kind]);
        else
            dur_seconds(L, mean, "the mean", &out->mean_s);
        break;
    case SCN_DIST_GAMMA:
        if (!mean || !shape)
            yml_error(L->doc, n, "%s: a gamma distribution needs 'mean' (a "
                      "duration) and 'shape' (a number > 0)", what);
        else {
            dur_seconds(L, mean, "the mean", &out->mean_s);
            yml_get_fx(L->doc, shape, "shape", SIM_FX_ONE / 1000000,
                       FX(1000000), &out->shape);
        }
        break;
    case SCN_DIST_LOGNORMAL:
        if (!median || (!sigma == !p95)) {
            yml_error(L->doc, n, "%s: a lognormal distribution needs "
                      "'median' and one of 'sigma' or 'p95'", what);
            break;
        }
        dur_seconds(L, median, "the median", &out->median_s);
        if (sigma)
            yml_get_fx(L->doc, sigma, "sigma", 0, FX(20), &out->sigma);
        else {
            /* p95 = median * exp(1.6448536 sigma); kept exact enough for
             * a shape parameter, which is not money. */
            sim_fx p;
            if (dur_seconds(L, p95, "p95", &p) == SIM_OK) {
                if (p <= out->median_s || out->median_s <= 0)
                    yml_error(L->doc, p95, "p95 must be above the median");
                else
                    out->sigma = sim_fx_from_double(
                        log(sim_fx_to_double(p) /
                            sim_fx_to_double(out->median_s)) / 1.6448536269514722);
            }
        }
        break;
    case SCN_DIST_EMPIRICAL: {
        yml_node *fn = yml_get(L->doc, n, "file");
        const char *v;
        if (!fn)
            yml_error(L->doc, n, "%s: an empirical distribution needs "
                      "'file' (a CSV of busy seconds)", what);
        else if (yml_get_str(L->doc, fn, "file", &v) == SIM_OK)
            out->path = resolve_relative(L, v);
        break;
    }
    }
}

static void load_arrivals(loader *L, const yml_node *n, scn_class *c)
{
    static const char *const simple[] = {"poisson", NULL};
    static const char *const forms[] = {"diurnal", "sessions", "trace",
                                        NULL};
    int k;

    if (yml_is_scalar(n)) {
        if (yml_get_enum(L->doc, n, "arrivals", simple, &k) == SIM_OK)
            c->arrivals = SCN_ARR_POISSON;
        return;
    }
    if (yml_check_map(L->doc, n, "arrivals", forms) != SIM_OK)
        return;
    if (yml_map_len(n) != 1) {
        yml_error(L->doc, n, "arrivals takes exactly one of diurnal, "
                  "sessions or trace");
        return;
    }
    const char *key = yml_map_key(L->doc, n, 0);
    yml_node *v = yml_map_value(L->doc, n, 0);
    if (strcmp(key, "diurnal") == 0) {
        static const char *const dk[] = {"peak_hour", "peak_to_mean",
                                         "tz_spread_hours", "weekend_factor",
                                         NULL};
        c->arrivals = SCN_ARR_DIURNAL;
        c->peak_to_mean = FX(2);
        c->peak_hour = FX(14);
        c->tz_spread_hours = 0;
        c->weekend_factor = SIM_FX_ONE;
        if (yml_check_map(L->doc, v, "arrivals.diurnal", dk) != SIM_OK)
            return;
        opt_fx(L, v, "peak_hour", "diurnal.peak_hour (0 to 24)", 0, FX(24),
               &c->peak_hour);
        opt_fx(L, v, "peak_to_mean", "diurnal.peak_to_mean", SIM_FX_ONE,
               FX(20), &c->peak_to_mean);
        opt_fx(L, v, "tz_spread_hours", "diurnal.tz_spread_hours", 0, FX(24),
               &c->tz_spread_hours);
        opt_fx(L, v, "weekend_factor", "diurnal.weekend_factor", 0, FX(10),
               &c->weekend_factor);
    } else if (strcmp(key, "sessions") == 0) {
        static const char *const sk[] = {"per_agent_month",
                                         "messages_per_session",
                                         "think_time", NULL};
        c->arrivals = SCN_ARR_SESSIONS;
        c->messages_per_session = FX(1);
        c->sessions_per_agent_month = -1;
        c->think_time_us = 60000000;
        if (yml_check_map(L->doc, v, "arrivals.sessions", sk) != SIM_OK)
            return;
        opt_fx(L, v, "per_agent_month", "sessions.per_agent_month", 0,
               FX_HUGE, &c->sessions_per_agent_month);
        opt_fx(L, v, "messages_per_session", "sessions.messages_per_session",
               SIM_FX_ONE, FX(100000), &c->messages_per_session);
        opt_dur(L, v, "think_time", "sessions.think_time", &c->think_time_us);
    } else {
        const char *p;
        c->arrivals = SCN_ARR_TRACE;
        sim_free(c->trace_path);
        c->trace_path = NULL;
        if (yml_get_str(L->doc, v, "arrivals.trace (a CSV file)", &p) ==
            SIM_OK)
            c->trace_path = resolve_relative(L, p);
    }
}

/* The keys a class shares with the workload: how many messages, when they
 * arrive, how long each keeps its agent busy. */
static void load_class_keys(loader *L, const yml_node *m, scn_class *c,
                            const char *what)
{
    yml_node *n;
    char buf[96];
    if ((n = yml_get(L->doc, m, "messages_per_agent_month"))) {
        snprintf(buf, sizeof buf, "%s.messages_per_agent_month", what);
        c->has_messages = 1;
        yml_get_fx(L->doc, n, buf, 0, FX_HUGE, &c->messages_per_agent_month);
    }
    if ((n = yml_get(L->doc, m, "arrivals")))
        load_arrivals(L, n, c);
    if ((n = yml_get(L->doc, m, "busy_per_message"))) {
        c->has_busy = 1;
        load_dist(L, n, &c->busy);
    }
}

static int class_copy(loader *L, scn_class *dst, const scn_class *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->trace_path = dupstr(L, src->trace_path);
    dst->busy.path = dupstr(L, src->busy.path);
    dst->trace = NULL;
    dst->busy.samples = NULL;
    return L->nomem ? SIM_ENOMEM : SIM_OK;
}

static void class_free(scn_class *c)
{
    sim_free(c->name);
    sim_free(c->trace_path);
    sim_free(c->busy.path);
    if (c->trace) {
        sim_trace_fini(c->trace);
        sim_free(c->trace);
    }
    if (c->busy.samples) {
        sim_samples_fini(c->busy.samples);
        sim_free(c->busy.samples);
    }
}

/* Reads the CSV files a class refers to, so `validate` checks them too. */
static void load_class_files(loader *L, scn_class *c, const yml_node *at)
{
    if (c->arrivals == SCN_ARR_TRACE && c->trace_path) {
        c->trace = sim_calloc(1, sizeof *c->trace);
        if (!c->trace) {
            L->nomem = 1;
            return;
        }
        if (sim_trace_load(c->trace_path, L->d, c->trace) != SIM_OK) {
            sim_free(c->trace);
            c->trace = NULL;
            /* The trace's own error names its line; say who asked. */
            yml_error(L->doc, at, "cannot use trace '%s' (see above)",
                      c->trace_path);
            return;
        }
        /* Agents are numbered tenant x the largest tenant's agents, so a
         * tenant with fewer would gain silent agents that still bill. */
        uint64_t slots = (uint64_t)c->trace->tenants *
                         (uint64_t)c->trace->agents_per_tenant;
        for (uint64_t a = 0; a < slots; a++)
            if (c->trace->agent_first[a] == c->trace->agent_first[a + 1]) {
                yml_error(L->doc, at, "trace '%s': tenant %llu has fewer "
                          "agents than the largest tenant (%lld); this "
                          "version needs every tenant of a trace to have "
                          "the same number of agents", c->trace_path,
                          (unsigned long long)(a / (uint64_t)c->trace->
                                               agents_per_tenant + 1),
                          (long long)c->trace->agents_per_tenant);
                return;
            }
        c->tenants = c->trace->tenants;
        c->agents_per_tenant = c->trace->agents_per_tenant;
    }
    if (c->has_busy && c->busy.kind == SCN_DIST_EMPIRICAL && c->busy.path) {
        c->busy.samples = sim_calloc(1, sizeof *c->busy.samples);
        if (!c->busy.samples) {
            L->nomem = 1;
            return;
        }
        if (sim_samples_load(c->busy.path, L->d, c->busy.samples) !=
            SIM_OK) {
            sim_free(c->busy.samples);
            c->busy.samples = NULL;
            yml_error(L->doc, at, "cannot use busy times '%s' (see above)",
                      c->busy.path);
        }
    }
}

/* What every class of the stochastic form must have. */
static void check_class(loader *L, const scn_class *c, const yml_node *at)
{
    if (c->arrivals == SCN_ARR_TRACE)
        return;
    if (c->arrivals == SCN_ARR_SESSIONS) {
        if (c->sessions_per_agent_month < 0 && !c->has_messages)
            yml_error(L->doc, at, "sessions arrivals need "
                      "'sessions.per_agent_month' or "
                      "'messages_per_agent_month'");
        return;
    }
    if (!c->has_messages)
        yml_error(L->doc, at, "the stochastic form needs "
                  "'messages_per_agent_month'%s", c->name ? " in each class"
                  : "");
}

static void load_classes(loader *L, const yml_node *seq, const scn_class *base)
{
    scn_workload *w = &L->s->workload;
    size_t n = yml_seq_len(seq);
    if (!yml_is_seq(seq) || n == 0) {
        yml_error(L->doc, seq, "expected 'classes' as a non-empty list of "
                  "{name, tenants, ...}");
        return;
    }
    w->classes = sim_calloc(n, sizeof *w->classes);
    if (!w->classes) {
        L->nomem = 1;
        return;
    }
    w->explicit_classes = 1;
    sim_strset *names = sim_strset_new(n);
    if (!names) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n && !L->nomem; i++) {
        yml_node *m = yml_seq_item(L->doc, seq, i);
        scn_class *c = &w->classes[i];
        char what[64];
        if (class_copy(L, c, base) != SIM_OK) {
            w->nclasses = i + 1;    /* freed with the rest */
            break;
        }
        w->nclasses = i + 1;
        c->pos = pos_of(m);
        if (yml_check_map(L->doc, m, "class", class_keys) != SIM_OK)
            continue;
        yml_node *nn = yml_get(L->doc, m, "name");
        if (nn)
            opt_str(L, m, "name", "class name", &c->name);
        else {
            snprintf(what, sizeof what, "class-%zu", i + 1);
            c->name = dupstr(L, what);
        }
        snprintf(what, sizeof what, "classes[%zu]", i + 1);
        load_class_keys(L, m, c, what);
        yml_node *tn = yml_get(L->doc, m, "tenants");
        c->tenants_pos = pos_of(tn ? tn : m);
        if (c->arrivals == SCN_ARR_TRACE) {
            if (tn || yml_get(L->doc, m, "agents_per_tenant"))
                yml_error(L->doc, tn ? tn : m, "a class replaying a trace "
                          "takes its tenants and agents from the trace");
        } else {
            if (!tn)
                yml_error(L->doc, m, "each class needs 'tenants' (a whole "
                          "number >= 1)");
            else
                yml_get_int(L->doc, tn, "class tenants", 1, 100000000,
                            &c->tenants);
            opt_int(L, m, "agents_per_tenant", "class agents_per_tenant", 1,
                    1000000, &c->agents_per_tenant);
        }
        int added = c->name ? sim_strset_add(names, c->name, NULL) : 1;
        if (added < 0)
            L->nomem = 1;
        else if (added == 0)
            yml_error(L->doc, nn ? nn : m, "duplicate class name '%s'",
                      c->name);
        check_class(L, c, m);
        load_class_files(L, c, m);
    }
    sim_strset_free(names);
}

static void load_connected(loader *L, const yml_node *n)
{
    static const char *const names[] = {"always", "while-active", NULL};
    static const char *const lk[] = {"linger", NULL};
    scn_workload *w = &L->s->workload;
    int k;
    if (yml_is_scalar(n)) {
        if (yml_get_enum(L->doc, n, "connected policy", names, &k) == SIM_OK)
            w->connected = (enum scn_connected)k;
        return;
    }
    if (yml_check_map(L->doc, n, "connected", lk) != SIM_OK)
        return;
    yml_node *ln = yml_get(L->doc, n, "linger");
    if (!ln) {
        yml_error(L->doc, n, "connected takes always, while-active or "
                  "{linger: DURATION}");
        return;
    }
    w->connected = SCN_CONN_LINGER;
    yml_get_duration(L->doc, ln, "connected.linger", &w->linger_us);
}

static void load_workload(loader *L, const yml_node *m)
{
    scn_workload *w = &L->s->workload;
    scn_class base;
    int k;

    memset(&base, 0, sizeof base);
    w->pos = pos_of(m);
    if (yml_check_map(L->doc, m, "workload", workload_keys) != SIM_OK)
        return;
    yml_node *cls = yml_get(L->doc, m, "classes");
    yml_node *af = yml_get(L->doc, m, "active_fraction");
    yml_node *mm = yml_get(L->doc, m, "messages_per_agent_month");
    yml_node *arr = yml_get(L->doc, m, "arrivals");
    yml_node *tn = yml_get(L->doc, m, "tenants");

    base.agents_per_tenant = 1;
    opt_int(L, m, "agents_per_tenant", "workload.agents_per_tenant", 1,
            1000000, &base.agents_per_tenant);
    base.arrivals = af ? SCN_ARR_NONE : SCN_ARR_POISSON;
    load_class_keys(L, m, &base, "workload");
    if (base.arrivals == SCN_ARR_TRACE && !cls) {
        if (tn)
            yml_error(L->doc, tn, "a workload replaying a trace takes its "
                      "tenants and agents from the trace");
    } else if (!tn && !cls)
        yml_error(L->doc, m, "workload needs 'tenants' (a whole number >= "
                  "1)");
    else if (tn && cls)
        yml_error(L->doc, tn, "with 'classes', each class gives its own "
                  "'tenants'");
    else if (tn)
        yml_get_int(L->doc, tn, "workload.tenants", 1, 100000000,
                    &base.tenants);
    w->agents_per_tenant = base.agents_per_tenant;
    k = SCN_WEBSOCKET;
    opt_enum(L, m, "transport", "transport", scn_transport_names, &k);
    w->transport = (enum scn_transport)k;

    if (af) {
        w->fluid = 1;
        w->fraction_pos = pos_of(af);
        yml_get_fx(L->doc, af, "workload.active_fraction", 0, SIM_FX_ONE,
                   &w->active_fraction);
        if (arr)
            yml_error(L->doc, arr, "'arrivals' belongs to the stochastic "
                      "form; the fluid form (active_fraction) has no "
                      "arrivals");
        if (cls)
            yml_error(L->doc, cls, "'classes' belong to the stochastic "
                      "form; the fluid form (active_fraction) has one kind "
                      "of tenant");
        yml_node *bp = yml_get(L->doc, m, "busy_per_message");
        if (bp)
            yml_error(L->doc, bp, "'busy_per_message' belongs to the "
                      "stochastic form; the fluid form (active_fraction) "
                      "already says how busy agents are -- drop one of "
                      "the two");
    }
    if (mm) {
        w->has_messages = 1;
        w->messages_pos = pos_of(mm);
        w->messages_per_agent_month = base.messages_per_agent_month;
    }
    if (!af && !mm && !cls && base.arrivals != SCN_ARR_TRACE &&
        base.arrivals != SCN_ARR_SESSIONS)
        yml_error(L->doc, m, "workload needs 'active_fraction' (the fluid "
                  "form) or 'messages_per_agent_month' (the stochastic "
                  "form)");
    yml_node *conn = yml_get(L->doc, m, "connected");
    w->connected = SCN_CONN_ALWAYS;
    if (conn)
        load_connected(L, conn);

    if (cls && !af)
        load_classes(L, cls, &base);
    else {
        w->classes = sim_calloc(1, sizeof *w->classes);
        if (!w->classes) {
            L->nomem = 1;
            class_free(&base);
            return;
        }
        w->nclasses = 1;
        if (class_copy(L, &w->classes[0], &base) == SIM_OK) {
            w->classes[0].pos = w->pos;
            w->classes[0].tenants_pos = pos_of(tn ? tn : m);
            if (!af && (mm || arr))
                check_class(L, &w->classes[0], m);
            load_class_files(L, &w->classes[0], arr ? arr : m);
        }
    }
    class_free(&base);
    for (size_t i = 0; i < w->nclasses; i++) {
        w->tenants += w->classes[i].tenants;
        w->agents += w->classes[i].tenants * w->classes[i].agents_per_tenant;
    }
    if (w->agents > 1000000000LL)
        yml_error(L->doc, m, "workload has %lld agents; at most 10^9 are "
                  "supported", (long long)w->agents);
}

/* ---- deployments -------------------------------------------------------- */

static const char *const deployment_keys[] = {
    "name", "provider", "plan", "architecture", "instance", "billing_basis",
    "scaling", "region", "extras", NULL
};
static const char *const scaling_keys[] = {
    "mode", "instances", "min", "max", "sizing", "idle_timeout",
    "cold_start", "target_utilization", "tenants_per_instance",
    "queue_limit", "metric_period", "scale_out_after", "scale_in_after",
    "cooldown", "auto_stop", NULL
};
static const char *const extras_keys[] = {
    "support", "storage_gb", "ipv4", "load_balancer", "postgres",
    "workspace", "seats", "scripts", "rootfs_gb", "extra_memory_gb",
    "r2_storage_gb",
    "r2_class_a_millions", "r2_class_b_millions", "hibernation", NULL
};

static void load_extras(loader *L, const yml_node *m, scn_extras *e)
{
    static const char *const lbs[] = {"alb", "none", NULL};
    yml_node *n;
    e->pos = pos_of(m);
    if (yml_check_map(L->doc, m, "extras", extras_keys) != SIM_OK)
        return;
    if ((n = yml_get(L->doc, m, "support")))
        e->support_pos = pos_of(n);
    opt_str(L, m, "support", "extras.support", &e->support);
    opt_fx(L, m, "storage_gb", "extras.storage_gb", 0, FX(1000000),
           &e->storage_gb);
    opt_fx(L, m, "ipv4", "extras.ipv4", 0, FX(1000), &e->ipv4);
    if ((n = yml_get(L->doc, m, "load_balancer"))) {
        int k;
        e->lb_pos = pos_of(n);
        if (yml_get_enum(L->doc, n, "load balancer", lbs, &k) == SIM_OK &&
            k == 0)
            e->load_balancer = dupstr(L, "alb");
    }
    if ((n = yml_get(L->doc, m, "postgres")))
        e->postgres_pos = pos_of(n);
    opt_str(L, m, "postgres", "extras.postgres", &e->postgres);
    if ((n = yml_get(L->doc, m, "workspace")))
        e->workspace_pos = pos_of(n);
    opt_str(L, m, "workspace", "extras.workspace", &e->workspace);
    opt_int(L, m, "seats", "extras.seats", 1, 100000, &e->seats);
    opt_int(L, m, "scripts", "extras.scripts", 0, 100000000, &e->scripts);
    opt_fx(L, m, "rootfs_gb", "extras.rootfs_gb", 0, FX(1000),
           &e->rootfs_gb);
    opt_fx(L, m, "extra_memory_gb", "extras.extra_memory_gb", 0, FX(1024),
           &e->extra_memory_gb);
    opt_fx(L, m, "r2_storage_gb", "extras.r2_storage_gb", 0, FX(100000000),
           &e->r2_storage_gb);
    opt_fx(L, m, "r2_class_a_millions", "extras.r2_class_a_millions", 0,
           FX(100000000), &e->r2_class_a_millions);
    opt_fx(L, m, "r2_class_b_millions", "extras.r2_class_b_millions", 0,
           FX(100000000), &e->r2_class_b_millions);
    if ((n = yml_get(L->doc, m, "hibernation")))
        yml_get_bool(L->doc, n, "extras.hibernation", &e->hibernation);
}

static void load_scaling(loader *L, const yml_node *m, scn_deployment *dp)
{
    yml_node *n;
    int k;
    if (yml_check_map(L->doc, m, "scaling", scaling_keys) != SIM_OK)
        return;
    if ((n = yml_get(L->doc, m, "mode"))) {
        dp->mode_pos = pos_of(n);
        if (yml_get_enum(L->doc, n, "scaling mode", scn_mode_names, &k) ==
            SIM_OK)
            dp->mode = (enum scn_mode)k;
    }
    if ((n = yml_get(L->doc, m, "instances"))) {
        dp->instances_pos = pos_of(n);
        yml_get_int(L->doc, n, "scaling.instances", 0, 100000000,
                    &dp->instances);
    }
    opt_int(L, m, "min", "scaling.min", 0, 100000000, &dp->min_instances);
    opt_int(L, m, "max", "scaling.max", 1, 100000000, &dp->max_instances);
    k = SCN_SIZE_MEAN;
    opt_enum(L, m, "sizing", "sizing", scn_sizing_names, &k);
    dp->sizing = (enum scn_sizing)k;
    if ((n = yml_get(L->doc, m, "idle_timeout"))) {
        dp->idle_pos = pos_of(n);
        yml_get_duration(L->doc, n, "scaling.idle_timeout",
                         &dp->idle_timeout_us);
    }
    if ((n = yml_get(L->doc, m, "cold_start"))) {
        dp->cold_pos = pos_of(n);
        yml_get_duration(L->doc, n, "scaling.cold_start", &dp->cold_start_us);
    }
    opt_fx(L, m, "target_utilization", "scaling.target_utilization",
           SIM_FX_ONE / 100, SIM_FX_ONE, &dp->target_utilization);
    opt_int(L, m, "tenants_per_instance", "scaling.tenants_per_instance", 1,
            100000000, &dp->tenants_per_instance);
    if ((n = yml_get(L->doc, m, "queue_limit"))) {
        /* "unbounded" reads better than a sentinel number. */
        if (yml_is_scalar(n) && strcmp(yml_scalar(n), "unbounded") == 0)
            dp->queue_limit = -1;
        else
            yml_get_int(L->doc, n, "scaling.queue_limit (a whole number "
                        ">= 0 or 'unbounded')", 0, 1000000000,
                        &dp->queue_limit);
    }
    opt_dur(L, m, "metric_period", "scaling.metric_period",
            &dp->metric_period_us);
    opt_dur(L, m, "scale_out_after", "scaling.scale_out_after",
            &dp->scale_out_after_us);
    opt_dur(L, m, "scale_in_after", "scaling.scale_in_after",
            &dp->scale_in_after_us);
    opt_dur(L, m, "cooldown", "scaling.cooldown", &dp->cooldown_us);
    if ((n = yml_get(L->doc, m, "auto_stop"))) {
        static const char *const stops[] = {"stop", "suspend", NULL};
        dp->auto_stop_pos = pos_of(n);
        if (yml_get_enum(L->doc, n, "scaling.auto_stop", stops, &k) ==
            SIM_OK)
            dp->suspend = k == 1;
    }
    if ((n = yml_get(L->doc, m, "metric_period")) &&
        dp->metric_period_us < 1000000)
        yml_error(L->doc, n, "scaling.metric_period must be at least 1s");
}

static void load_deployment(loader *L, const yml_node *m, scn_deployment *dp,
                            size_t index)
{
    yml_node *n;
    int k;

    memset(dp, 0, sizeof *dp);
    dp->pos = pos_of(m);
    dp->instances = -1;
    dp->min_instances = 0;
    dp->max_instances = 100000000;
    dp->idle_timeout_us = -1;
    dp->cold_start_us = -1;
    dp->target_utilization = SIM_FX_ONE;
    /* The defaults of AWS target tracking: one-minute metrics, three
     * breaching minutes to scale out, fifteen to scale in, five-minute
     * cooldowns. */
    dp->queue_limit = -1;
    dp->metric_period_us = 60000000;
    dp->scale_out_after_us = 180000000;
    dp->scale_in_after_us = 900000000;
    dp->cooldown_us = 300000000;
    dp->mode = SCN_MODE_ALWAYS_ON;
    dp->extras.seats = 1;
    dp->extras.scripts = 1;
    dp->extras.hibernation = 1;
    dp->extras.rootfs_gb = -1;      /* not given: the provider's default */
    if (yml_check_map(L->doc, m, "deployment", deployment_keys) != SIM_OK)
        return;

    if ((n = yml_get(L->doc, m, "name")))
        opt_str(L, m, "name", "deployment name", &dp->name);
    else {
        char buf[32];
        snprintf(buf, sizeof buf, "deployment-%zu", index + 1);
        dp->name = dupstr(L, buf);
    }
    if (!(n = yml_get(L->doc, m, "provider")))
        yml_error(L->doc, m, "deployment needs 'provider' (railway, fly, "
                  "aws-fargate, aws-ec2, cloudflare, render or heroku)");
    else {
        dp->provider_pos = pos_of(n);
        opt_str(L, m, "provider", "provider", &dp->provider);
    }
    if ((n = yml_get(L->doc, m, "plan"))) {
        dp->plan_pos = pos_of(n);
        opt_str(L, m, "plan", "plan", &dp->plan);
    }
    if ((n = yml_get(L->doc, m, "region"))) {
        dp->region_pos = pos_of(n);
        opt_str(L, m, "region", "region", &dp->region);
    }
    k = SCN_ARCH_SHARED;
    if ((n = yml_get(L->doc, m, "architecture"))) {
        dp->arch_pos = pos_of(n);
        yml_get_enum(L->doc, n, "architecture", scn_arch_names, &k);
    } else
        dp->arch_pos = dp->pos;
    dp->arch = (enum scn_arch)k;
    if ((n = yml_get(L->doc, m, "instance"))) {
        static const char *const ik[] = {"vcpu", "memory_gb", NULL};
        dp->instance_pos = pos_of(n);
        if (yml_check_map(L->doc, n, "instance", ik) == SIM_OK) {
            yml_node *v = yml_get(L->doc, n, "vcpu");
            yml_node *g = yml_get(L->doc, n, "memory_gb");
            if (!v || !g)
                yml_error(L->doc, n, "instance needs both 'vcpu' and "
                          "'memory_gb'");
            else {
                dp->has_instance = 1;
                yml_get_fx(L->doc, v, "instance.vcpu", SIM_FX_ONE / 1000,
                           FX(1024), &dp->inst_vcpu);
                yml_get_fx(L->doc, g, "instance.memory_gb", SIM_FX_ONE / 1000,
                           FX(4096), &dp->inst_memory_gb);
            }
        }
    }
    k = SCN_BASIS_DEFAULT;
    if ((n = yml_get(L->doc, m, "billing_basis"))) {
        static const char *const bases[] = {"measured", "allocated", NULL};
        dp->basis_pos = pos_of(n);
        if (yml_get_enum(L->doc, n, "billing basis", bases, &k) == SIM_OK)
            k += 1;
    }
    dp->basis = (enum scn_basis)k;
    dp->mode_pos = dp->pos;
    if ((n = yml_get(L->doc, m, "scaling")))
        load_scaling(L, n, dp);
    if (dp->instances >= 0 && dp->mode == SCN_MODE_ALWAYS_ON &&
        !yml_get(L->doc, yml_get(L->doc, m, "scaling"), "mode"))
        dp->mode = SCN_MODE_FIXED;      /* "instances: 5" alone means fixed */
    /* Target tracking aims below full, or it would scale out only once
     * messages already queue; 70% is the usual starting point. */
    if (dp->mode == SCN_MODE_AUTOSCALE &&
        !yml_get(L->doc, yml_get(L->doc, m, "scaling"), "target_utilization"))
        dp->target_utilization = SIM_FX_ONE * 7 / 10;
    if ((n = yml_get(L->doc, m, "extras")))
        load_extras(L, n, &dp->extras);
}

static void load_deployments(loader *L, const yml_node *seq)
{
    size_t n = yml_seq_len(seq);
    if (!yml_is_seq(seq) || n == 0) {
        yml_error(L->doc, seq, "expected 'deployments' as a non-empty list");
        return;
    }
    L->s->deployments = sim_calloc(n, sizeof *L->s->deployments);
    if (!L->s->deployments) {
        L->nomem = 1;
        return;
    }
    L->s->ndeployments = n;
    if (!(L->names = sim_strset_new(n))) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n && !L->nomem; i++) {
        yml_node *m = yml_seq_item(L->doc, seq, i);
        load_deployment(L, m, &L->s->deployments[i], i);
        const char *name = L->s->deployments[i].name;
        int added = name ? sim_strset_add(L->names, name, NULL) : 1;
        if (added < 0)
            L->nomem = 1;
        else if (added == 0)
            yml_error(L->doc, m, "duplicate deployment name '%s'", name);
    }
}

/* ---- budgets, recommendation, rates -------------------------------------- */

static void load_budgets(loader *L, const yml_node *seq)
{
    static const char *const keys[] = {"metric", "max", "deployment",
                                       "bound", NULL};
    size_t n = yml_seq_len(seq);
    if (!yml_is_seq(seq)) {
        yml_error(L->doc, seq, "expected 'budgets' as a list");
        return;
    }
    L->s->budgets = sim_calloc(n ? n : 1, sizeof *L->s->budgets);
    if (!L->s->budgets) {
        L->nomem = 1;
        return;
    }
    L->s->nbudgets = n;
    for (size_t i = 0; i < n; i++) {
        yml_node *m = yml_seq_item(L->doc, seq, i);
        scn_budget *b = &L->s->budgets[i];
        int k;
        b->pos = pos_of(m);
        if (yml_check_map(L->doc, m, "budget", keys) != SIM_OK)
            continue;
        yml_node *mn = yml_get(L->doc, m, "metric");
        yml_node *xn = yml_get(L->doc, m, "max");
        if (!mn || !xn) {
            yml_error(L->doc, m, "a budget needs 'metric' and 'max'");
            continue;
        }
        if (yml_get_enum(L->doc, mn, "budget metric", scn_metric_names,
                         &k) == SIM_OK)
            b->metric = (enum scn_metric)k;
        yml_get_fx(L->doc, xn, "budget max", 0, FX_HUGE, &b->max);
        opt_str(L, m, "deployment", "budget deployment", &b->deployment);
        k = SCN_BOUND_MEAN;
        opt_enum(L, m, "bound", "budget bound", scn_bound_names, &k);
        b->bound = (enum scn_bound)k;
        yml_node *dn = yml_get(L->doc, m, "deployment");
        if (b->deployment) {
            int found = L->names && sim_strset_find(L->names, b->deployment,
                                                    NULL);
            if (!found)
                yml_error(L->doc, dn, "budget names deployment '%s', which "
                          "the scenario does not define", b->deployment);
        }
    }
}

static void load_recommendation(loader *L, const yml_node *m)
{
    static const char *const keys[] = {"markups", "llm_usd_per_message",
                                       NULL};
    if (yml_check_map(L->doc, m, "recommendation", keys) != SIM_OK)
        return;
    yml_node *mk = yml_get(L->doc, m, "markups");
    if (mk) {
        size_t n = yml_seq_len(mk);
        if (!yml_is_seq(mk) || n == 0) {
            yml_error(L->doc, mk, "expected 'markups' as a non-empty list of "
                      "numbers, e.g. [1.5, 2, 3]");
        } else {
            sim_free(L->s->markups);
            L->s->markups = sim_calloc(n, sizeof *L->s->markups);
            if (!L->s->markups) {
                L->nomem = 1;
                return;
            }
            L->s->nmarkups = n;
            for (size_t i = 0; i < n; i++)
                yml_get_fx(L->doc, yml_seq_item(L->doc, mk, i), "markup",
                           SIM_FX_ONE, FX(1000), &L->s->markups[i]);
        }
    }
    opt_fx(L, m, "llm_usd_per_message", "llm_usd_per_message", 0, FX(1000),
           &L->s->llm_usd_per_message);
}

static void load_rates(loader *L, const yml_node *m)
{
    size_t n = yml_map_len(m);
    if (!yml_is_map(m)) {
        yml_error(L->doc, m, "expected 'rates' as a mapping of "
                  "PROVIDER.ITEM to a rate in USD");
        return;
    }
    L->s->rates = sim_calloc(n ? n : 1, sizeof *L->s->rates);
    if (!L->s->rates) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        yml_node *kn = yml_map_key_node(L->doc, m, i);
        const char *key = yml_map_key(L->doc, m, i);
        scn_rate *r = &L->s->rates[L->s->nrates];
        if (!strchr(key, '.') || key[0] == '.' ||
            key[strlen(key) - 1] == '.') {
            yml_error(L->doc, kn, "rate override '%s' must be named "
                      "PROVIDER.ITEM (see 'capsim pricing show PROVIDER')",
                      key);
            continue;
        }
        if (yml_get_fx(L->doc, yml_map_value(L->doc, m, i), "a rate in USD",
                       0, FX_HUGE, &r->value) != SIM_OK)
            continue;
        r->key = dupstr(L, key);
        r->pos = pos_of(kn);
        L->s->nrates++;
    }
}

/* ---- top level ---------------------------------------------------------- */

static const char *const top_keys[] = {
    "capsim", "name", "horizon", "seed", "replications", "pricing", "rates",
    "profile", "workload", "deployments", "budgets", "recommendation", "slo",
    NULL
};

/* The service level every deployment is judged by (shared/spec.md): the
 * default is the one a planner would take without thinking about it --
 * nobody waits ten seconds for a free slot at the 95th percentile, and no
 * message is turned away. */
static void load_slo(loader *L, const yml_node *m)
{
    static const char *const keys[] = {"queue_wait_p95",
                                       "cold_start_wait_p95",
                                       "refused_messages", NULL};
    scn_slo *o = &L->s->slo;
    o->queue_wait_p95_us = -1;
    o->cold_start_wait_p95_us = -1;
    o->refused_messages = -1;
    o->given = 1;
    o->pos = pos_of(m);
    if (yml_check_map(L->doc, m, "slo", keys) != SIM_OK)
        return;
    opt_dur(L, m, "queue_wait_p95", "slo.queue_wait_p95",
            &o->queue_wait_p95_us);
    opt_dur(L, m, "cold_start_wait_p95", "slo.cold_start_wait_p95",
            &o->cold_start_wait_p95_us);
    opt_fx(L, m, "refused_messages", "slo.refused_messages", 0, FX_HUGE,
           &o->refused_messages);
}

static void load_top(loader *L, const yml_node *root)
{
    scn_scenario *s = L->s;
    yml_node *n;
    int64_t v;

    if (yml_check_map(L->doc, root, "the scenario", top_keys) != SIM_OK &&
        !yml_is_map(root))
        return;
    if (!(n = yml_get(L->doc, root, "capsim")))
        yml_error(L->doc, root, "missing 'capsim: 1' (the schema version) "
                  "at the top of the scenario");
    else
        yml_get_int(L->doc, n, "schema version 'capsim'", 1, 1, &v);
    if ((n = yml_get(L->doc, root, "name")))
        opt_str(L, root, "name", "scenario name", &s->name);
    if (!s->name) {
        const char *base = strrchr(s->file, '/');
        s->name = dupstr(L, base ? base + 1 : s->file);
    }
    s->horizon_us = 730LL * 3600 * 1000000;
    opt_dur(L, root, "horizon", "horizon", &s->horizon_us);
    if (s->horizon_us < 3600000000LL && yml_get(L->doc, root, "horizon"))
        yml_error(L->doc, yml_get(L->doc, root, "horizon"),
                  "horizon must be at least 1h");
    int64_t seed = 1;
    opt_int(L, root, "seed", "seed", 0, INT64_MAX, &seed);
    s->seed = (uint64_t)seed;
    s->replications = 1;
    opt_int(L, root, "replications", "replications", 1, 100000,
            &s->replications);
    s->pricing = NULL;
    if ((n = yml_get(L->doc, root, "pricing"))) {
        s->pricing_pos = pos_of(n);
        opt_str(L, root, "pricing", "pricing catalog", &s->pricing);
    }
    if (!s->pricing)
        s->pricing = dupstr(L, "default");
    if ((n = yml_get(L->doc, root, "rates")))
        load_rates(L, n);

    /* The workload first: a measured profile is read for its transport. */
    if (!(n = yml_get(L->doc, root, "workload")))
        yml_error(L->doc, root, "missing 'workload' (tenants, "
                  "agents_per_tenant and active_fraction or "
                  "messages_per_agent_month)");
    else
        load_workload(L, n);
    profile_defaults(&s->profile);
    if ((n = yml_get(L->doc, root, "profile"))) {
        if (yml_is_scalar(n))
            load_profile_json(L, n, yml_scalar(n));
        else
            load_profile_map(L, n);
    }
    if (!(n = yml_get(L->doc, root, "deployments")))
        yml_error(L->doc, root, "missing 'deployments' (a list of "
                  "provider/plan/architecture entries)");
    else
        load_deployments(L, n);
    if ((n = yml_get(L->doc, root, "budgets")))
        load_budgets(L, n);
    if (s->workload.fluid && s->replications > 1)
        yml_error(L->doc, yml_get(L->doc, root, "replications"),
                  "'replications' belongs to the stochastic form; the fluid "
                  "form (active_fraction) is deterministic and runs once -- "
                  "set replications: 1 or give messages_per_agent_month and "
                  "busy_per_message instead of active_fraction");

    s->markups = sim_calloc(3, sizeof *s->markups);
    if (!s->markups) {
        L->nomem = 1;
        return;
    }
    s->nmarkups = 3;
    s->markups[0] = SIM_FX_ONE * 3 / 2;
    s->markups[1] = FX(2);
    s->markups[2] = FX(3);
    if ((n = yml_get(L->doc, root, "recommendation")))
        load_recommendation(L, n);
    s->slo.queue_wait_p95_us = 10000000;
    s->slo.cold_start_wait_p95_us = -1;
    s->slo.refused_messages = 0;
    if ((n = yml_get(L->doc, root, "slo")))
        load_slo(L, n);
}

int scn_load(const char *path, sim_diag *d, scn_scenario **out)
{
    return scn_load_with(path, NULL, 0, d, out);
}

int scn_load_with(const char *path, const char *const *sets, size_t nsets,
                  sim_diag *d, scn_scenario **out)
{
    loader L = {0};
    size_t errors_before = d->errors;
    int rc = yml_load(path, d, &L.doc);
    if (rc != SIM_OK)
        return rc;
    for (size_t i = 0; i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        char key[512], err[600];
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
            sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "'%s' is not "
                         "PATH=VALUE", sets[i]);
            rc = SIM_EPARSE;
            continue;
        }
        memcpy(key, sets[i], (size_t)(eq - sets[i]));
        key[eq - sets[i]] = '\0';
        int src = yml_set(L.doc, key, eq + 1, err, sizeof err);
        if (src == SIM_ENOMEM) {
            yml_free(L.doc);
            return SIM_ENOMEM;
        }
        if (src != SIM_OK) {
            sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "cannot set "
                         "%s: %s", key, err);
            rc = SIM_EPARSE;
        }
    }
    if (rc != SIM_OK) {
        yml_free(L.doc);
        return rc;
    }
    L.d = d;
    L.s = sim_calloc(1, sizeof *L.s);
    if (!L.s) {
        yml_free(L.doc);
        return SIM_ENOMEM;
    }
    L.s->file = sim_strdup(path);
    /* Keep the text so later checks can quote the line. */
    L.s->text = sim_strdup(yml_text(L.doc));
    if (!L.s->text)
        L.nomem = 1;
    if (!L.s->file)
        L.nomem = 1;
    if (!L.nomem)
        load_top(&L, yml_root(L.doc));
    if (yml_nomem(L.doc))
        L.nomem = 1;
    sim_strset_free(L.names);
    yml_free(L.doc);
    if (L.nomem) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "out of memory");
        scn_free(L.s);
        return SIM_ENOMEM;
    }
    if (d->errors > errors_before) {
        scn_free(L.s);
        return SIM_EPARSE;
    }
    *out = L.s;
    return SIM_OK;
}

static void extras_free(scn_extras *e)
{
    sim_free(e->support);
    sim_free(e->load_balancer);
    sim_free(e->postgres);
    sim_free(e->workspace);
}

void scn_free(scn_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ndeployments; i++) {
        scn_deployment *dp = &s->deployments[i];
        sim_free(dp->name);
        sim_free(dp->provider);
        sim_free(dp->plan);
        sim_free(dp->region);
        extras_free(&dp->extras);
    }
    sim_free(s->deployments);
    for (size_t i = 0; i < s->nbudgets; i++)
        sim_free(s->budgets[i].deployment);
    sim_free(s->budgets);
    for (size_t i = 0; i < s->nrates; i++)
        sim_free(s->rates[i].key);
    sim_free(s->rates);
    sim_free(s->markups);
    for (size_t i = 0; i < s->workload.nclasses; i++)
        class_free(&s->workload.classes[i]);
    sim_free(s->workload.classes);
    sim_free(s->profile.source);
    sim_free(s->pricing);
    sim_free(s->name);
    sim_free(s->text);
    sim_free(s->file);
    sim_free(s);
}

int64_t scn_agents(const scn_scenario *s)
{
    return s->workload.agents;
}

static void vat(const scn_scenario *s, sim_diag *d, enum sim_diag_level lvl,
                scn_pos pos, const char *fmt, va_list ap)
{
    char buf[900];
    vsnprintf(buf, sizeof buf, fmt, ap);
    sim_diag_add(d, lvl, s->file, s->text, pos.line, pos.col, "%s", buf);
}

void scn_error(const scn_scenario *s, sim_diag *d, scn_pos pos,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vat(s, d, SIM_DIAG_ERROR, pos, fmt, ap);
    va_end(ap);
}

void scn_warn(const scn_scenario *s, sim_diag *d, scn_pos pos,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vat(s, d, SIM_DIAG_WARNING, pos, fmt, ap);
    va_end(ap);
}

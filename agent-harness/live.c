/*
 * live.c -- a scenario's messages through the real agent core (live.h).
 *
 * One thread per agent sends that agent's messages on its schedule and
 * waits for each reply; one more samples the server's resident size.
 * Threads share nothing but their own message records (and the memory
 * sampler's atomic stop flag, proc.h), so no lock is needed: each record
 * is written by one thread and read after every thread has been joined.
 */
#include "agent-harness/live.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "agent-harness/net.h"
#include "agent-harness/proc.h"
#include "sim/des.h"
#include "run/stochastic.h"
#include "sim/workload.h"

void harness_live_opts_init(harness_live_opts *o)
{
    memset(o, 0, sizeof *o);
    o->target_wall_s = 20;
    o->max_messages = 500;
    o->max_agents = 50;
    o->timeout_s = 30;
}



/* ---- the messages ------------------------------------------------------- */

/* Every message of replication 0 in time order, or SIM_EINVAL past the
 * caps. */
static int collect(const scn_scenario *s, const harness_live_opts *o,
                   harness_live *l, char *err, size_t errlen)
{
    sim_workload_model m;
    sim_source *src = NULL;
    int rc;
    if (s->workload.fluid)
        return ag_net_fail(err, errlen, SIM_EINVAL, "--live sends each message "
                    "through the agent core; the fluid form "
                    "(active_fraction) has no messages -- give "
                    "messages_per_agent_month and busy_per_message");
    if ((rc = sim_model_build(s, &m)) != SIM_OK)
        return rc;
    if (m.agents > o->max_agents) {
        sim_model_fini(&m);
        return ag_net_fail(err, errlen, SIM_EINVAL, "--live runs at most %llu "
                    "agents, one session each, and this scenario has %llu; "
                    "cut workload.tenants or agents_per_tenant",
                    (unsigned long long)o->max_agents,
                    (unsigned long long)m.agents);
    }
    size_t cap = 64;
    l->m = sim_alloc(cap * sizeof *l->m);
    rc = l->m ? sim_source_open(&m, 0, 0, m.agents, &src) : SIM_ENOMEM;
    sim_msg msg;
    while (rc == SIM_OK && sim_source_next(src, &msg)) {
        if (l->n == o->max_messages) {
            rc = ag_net_fail(err, errlen, SIM_EINVAL, "--live sends at most %zu "
                      "messages, and this scenario sends more in its "
                      "horizon; shorten horizon or cut "
                      "messages_per_agent_month", o->max_messages);
            break;
        }
        if (l->n == cap) {
            harness_live_msg *v = sim_realloc(l->m, 2 * cap * sizeof *v);
            if (!v) {
                rc = SIM_ENOMEM;
                break;
            }
            l->m = v;
            cap *= 2;
        }
        l->m[l->n++] = (harness_live_msg){msg.t, msg.busy, msg.agent, -1, 0};
    }
    if (rc == SIM_OK && src)
        rc = sim_source_status(src);
    sim_source_close(src);
    l->agents = m.agents;
    l->speedup = o->speedup > 0 ? o->speedup
                                : fmax(1, m.horizon / o->target_wall_s);
    sim_model_fini(&m);
    return rc;
}

/* The tenant (numbered over every class) agent `a` belongs to. */
static uint64_t tenant_of(const scn_scenario *s, uint64_t a)
{
    uint64_t base_t = 0, base_a = 0;
    for (size_t i = 0; i < s->workload.nclasses; i++) {
        const scn_class *c = &s->workload.classes[i];
        uint64_t n = (uint64_t)(c->tenants * c->agents_per_tenant);
        if (a < base_a + n)
            return base_t + (a - base_a) / (uint64_t)c->agents_per_tenant;
        base_a += n;
        base_t += (uint64_t)c->tenants;
    }
    return base_t;
}

/* ---- the run -------------------------------------------------------------- */

typedef struct worker {
    harness_live *l;
    const harness_live_opts *o;
    int port;
    uint64_t agent;
    char session[64];
    char tenant[32];
    double start_ms;
    char error[256];
} worker;


static void note(worker *w, const char *what, int rc, int status)
{
    if (!w->error[0])
        snprintf(w->error, sizeof w->error, "%s: %s%s%d", what,
                 rc == AG_NET_ETIMEOUT ? "timed out" : "failed",
                 status ? ", HTTP " : " ", status ? status : rc);
}

static void send_sse(worker *w, harness_live_msg *m)
{
    double t0 = ag_net_now_ms(), done = 0;
    uint64_t bytes = 0, data = 0;
    int status = 0;
    int rc = ag_net_sse_message(w->port, w->session, "hello", NULL,
                                 w->tenant, t0 + w->o->timeout_s * 1e3,
                                 &done, &bytes, &data, &status);
    m->bytes = bytes;
    if (rc == SIM_OK)
        m->reply_s = (done - t0) / 1e3;
    else
        note(w, "an SSE reply", rc, status);
}

/* A frame's JSON carries "type":"done" or "type":"error". */
static int frame_ends(const char *p, size_t n, int *ok)
{
    static const char *const done = "\"type\":\"done\"";
    static const char *const bad = "\"type\":\"error\"";
    for (size_t i = 0; i + 13 <= n; i++) {
        if (memcmp(p + i, done, 13) == 0) {
            *ok = 1;
            return 1;
        }
        if (i + 14 <= n && memcmp(p + i, bad, 14) == 0) {
            *ok = 0;
            return 1;
        }
    }
    return 0;
}

static void send_ws(worker *w, ag_net_conn *c, harness_live_msg *m)
{
    char frame[160];
    double t0 = ag_net_now_ms(), deadline = t0 + w->o->timeout_s * 1e3;
    snprintf(frame, sizeof frame, "{\"type\":\"message\",\"session\":\"%s\","
             "\"content\":\"hello\"}", w->session);
    int rc = ag_net_ws_send(c, frame, deadline);
    while (rc == SIM_OK) {
        int op = 0, ok = 0;
        const char *p = NULL;
        size_t n = 0, wire = 0;
        rc = ag_net_ws_read(c, deadline, &op, &p, &n, &wire);
        if (rc != SIM_OK)
            break;
        m->bytes += wire;
        if (op == 1 && frame_ends(p, n, &ok)) {
            if (ok)
                m->reply_s = (ag_net_now_ms() - t0) / 1e3;
            else
                note(w, "a WebSocket reply", SIM_EIO, 0);
            return;
        }
    }
    note(w, "a WebSocket reply", rc, 0);
}

static void *drive(void *arg)
{
    worker *w = arg;
    harness_live *l = w->l;
    ag_net_conn c;
    int ws = l->transport == SCN_WEBSOCKET;
    memset(&c, 0, sizeof c);
    c.fd = -1;
    if (ws) {
        int rc = ag_net_ws_open(&c, w->port, NULL, w->tenant,
                                 ag_net_now_ms() + w->o->timeout_s * 1e3);
        if (rc != SIM_OK) {
            note(w, "opening a WebSocket", rc, 0);
            ag_net_conn_fini(&c);
            return NULL;
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        harness_live_msg *m = &l->m[i];
        if (m->agent != w->agent)
            continue;
        ag_net_sleep_until(w->start_ms + m->t / l->speedup * 1e3);
        if (ws)
            send_ws(w, &c, m);
        else
            send_sse(w, m);
    }
    if (ws)
        ag_net_conn_fini(&c);
    return NULL;
}

/* POST /v1/sessions: the new session's id. */
static int open_session(int port, const char *tenant, double deadline,
                        char *id, size_t size)
{
    int status = 0;
    char *body = NULL;
    int rc = ag_net_request(port, "POST", "/v1/sessions", NULL, NULL,
                             tenant, deadline, &status, &body);
    const char *at = body ? strstr(body, "\"id\"") : NULL;
    const char *q = at ? strchr(at + 4, '"') : NULL;
    const char *e = q ? strchr(q + 1, '"') : NULL;
    if (rc == SIM_OK && (status != 201 || !e || (size_t)(e - q) >= size))
        rc = SIM_EIO;
    if (rc == SIM_OK) {
        memcpy(id, q + 1, (size_t)(e - q - 1));
        id[e - q - 1] = '\0';
    }
    sim_free(body);
    return rc;
}

static int drive_all(const scn_scenario *s, const harness_live_opts *o,
                     harness_live *l, const ag_proc *p, char *err,
                     size_t errlen)
{
    int port = ag_proc_port(p);
    worker *w = sim_calloc(l->agents, sizeof *w);
    pthread_t *th = sim_calloc(l->agents, sizeof *th);
    int rc = w && th ? SIM_OK : SIM_ENOMEM;
    for (uint64_t a = 0; rc == SIM_OK && a < l->agents; a++) {
        w[a] = (worker){.l = l, .o = o, .port = port, .agent = a};
        snprintf(w[a].tenant, sizeof w[a].tenant, "tenant-%llu",
                 (unsigned long long)tenant_of(s, a));
        rc = open_session(port, w[a].tenant,
                          ag_net_now_ms() + o->timeout_s * 1e3,
                          w[a].session, sizeof w[a].session);
        if (rc != SIM_OK)
            rc = ag_net_fail(err, errlen, SIM_EIO, "the agent core would not open "
                      "session %llu of %llu (does its maxSessions allow "
                      "one per agent?)", (unsigned long long)a + 1,
                      (unsigned long long)l->agents);
    }
    l->rss_base_gb = ag_proc_rss_gb(p);
    ag_rss_peak smp = {0};
    if (rc == SIM_OK)
        ag_proc_peak_start(&smp, ag_proc_pid(p));
    double start = ag_net_now_ms() + 50;
    uint64_t started = 0;
    for (uint64_t a = 0; rc == SIM_OK && a < l->agents; a++) {
        w[a].start_ms = start;
        if (pthread_create(&th[a], NULL, drive, &w[a]) != 0)
            rc = ag_net_fail(err, errlen, SIM_EIO, "cannot start a sender thread");
        else
            started++;
    }
    for (uint64_t a = 0; a < started; a++)
        pthread_join(th[a], NULL);
    l->wall_s = (ag_net_now_ms() - start) / 1e3;
    long peak = ag_proc_peak_stop(&smp);
    l->rss_peak_gb = peak > 0 ? (double)peak / (1024.0 * 1024.0)
                              : l->rss_base_gb;
    for (uint64_t a = 0; w && a < started; a++)
        if (w[a].error[0] && !l->first_error[0])
            snprintf(l->first_error, sizeof l->first_error, "%s",
                     w[a].error);
    sim_free(w);
    sim_free(th);
    return rc;
}

int harness_live_run(const scn_scenario *s, const harness_live_opts *o,
                     harness_live *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->transport = s->workload.transport;
    int rc = collect(s, o, out, err, errlen);
    ag_proc *p = NULL;
    double cold = 0;
    if (rc == SIM_OK)
        rc = ag_proc_start(o->exe, o->agent_path, o->timeout_s, o->child_err,
                           &p, &cold, err, errlen);
    if (rc == SIM_OK)
        rc = drive_all(s, o, out, p, err, errlen);
    ag_proc_stop(p);
    for (size_t i = 0; rc == SIM_OK && i < out->n; i++) {
        if (out->m[i].reply_s >= 0)
            out->completed++;
        else
            out->errors++;
    }
    if (rc != SIM_OK)
        harness_live_fini(out);
    return rc;
}

void harness_live_fini(harness_live *l)
{
    sim_free(l->m);
    l->m = NULL;
    l->n = 0;
}

/* ---- the comparison ----------------------------------------------------- */

typedef struct replay {
    const harness_live *l;
    const uint64_t *group;      /* group of each agent */
    uint64_t g;                 /* the group being replayed */
    size_t i;
    int measured;
} replay;

static int replay_next(void *ctx, sim_msg *out)
{
    replay *r = ctx;
    const harness_live *l = r->l;
    while (r->i < l->n) {
        const harness_live_msg *m = &l->m[r->i++];
        if (r->group[m->agent] != r->g)
            continue;
        out->t = m->t;
        out->agent = m->agent;
        /* A failed reply held its instance as long as the model says. */
        out->busy = r->measured && m->reply_s >= 0 ? m->reply_s : m->busy;
        return 1;
    }
    return 0;
}


static double awake(const harness_live *l, const scn_scenario *s,
                    const price_deploy *pd, const uint64_t *group,
                    uint64_t ngroups, int measured)
{
    const scn_workload *w = &s->workload;
    double H = (double)s->horizon_us / 1e6;
    sim_inst_params p = {H, (double)pd->cold_start_us / 1e6,
                         (double)pd->idle_timeout_us / 1e6, 0, 0, 0, 0};
    int connected = w->transport == SCN_WEBSOCKET &&
                    w->connected == SCN_CONN_ALWAYS;
    p.never_sleeps = pd->objects ? connected && !pd->dep->extras.hibernation
                                 : connected;
    if (w->connected == SCN_CONN_LINGER && !pd->objects)
        p.linger = (double)w->linger_us / 1e6;
    sim_inst_stats *st = sim_calloc(1, sizeof *st);
    if (!st)
        return -1;
    for (uint64_t g = 0; g < ngroups; g++) {
        replay r = {l, group, g, 0, measured};
        sim_instance_run(&p, replay_next, &r, st, NULL);
    }
    double f = ngroups ? st->awake_s / ((double)ngroups * H) : 0;
    sim_free(st);
    return f;
}

/* The most messages in service at once, on the modelled times. */
static size_t peak_concurrency(const harness_live *l)
{
    size_t peak = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;
        for (size_t j = 0; j <= i; j++)
            if (l->m[j].t + l->m[j].busy > l->m[i].t)
                k++;
        if (k > peak)
            peak = k;
    }
    return peak;
}

void harness_live_compare(const harness_live *l, const scn_scenario *s,
                          const price_deploy *pd, harness_live_view *v)
{
    const scn_profile *pr = &s->profile;
    const scn_deployment *d = pd->dep;
    memset(v, 0, sizeof *v);
    uint64_t bytes = 0;
    size_t done = 0;
    for (size_t i = 0; i < l->n; i++) {
        v->busy_s.modelled += l->m[i].busy;
        if (l->m[i].reply_s >= 0) {
            v->busy_s.measured += l->m[i].reply_s;
            bytes += l->m[i].bytes;
            done++;
        }
    }
    v->kib_per_message.measured = done ? (double)bytes / 1024 / (double)done
                                       : 0;
    v->kib_per_message.modelled = sim_fx_to_double(pr->egress_kb_per_message);
    v->memory_gb.measured = l->rss_peak_gb;
    v->memory_gb.modelled =
        sim_fx_to_double(pr->base_memory_gb) +
        (double)l->agents * sim_fx_to_double(pr->idle_memory_gb) +
        (double)peak_concurrency(l) *
            fmax(0, sim_fx_to_double(pr->active_memory_gb) -
                        sim_fx_to_double(pr->idle_memory_gb));
    v->sleeps = (d->mode == SCN_MODE_SCALE_TO_ZERO || pd->objects) &&
                d->arch != SCN_ARCH_PER_REQUEST;
    if (!v->sleeps) {
        /* Instances that stay up are awake all month either way. */
        int up = d->arch != SCN_ARCH_PER_REQUEST;
        v->awake_fraction.measured = v->awake_fraction.modelled = up;
        return;
    }
    sim_workload_model m;
    if (sim_model_build(s, &m) != SIM_OK)
        return;
    uint64_t *group = sim_calloc(l->agents ? l->agents : 1, sizeof *group);
    uint64_t ng = group ? sim_group_agents(&m, d, group) : 0;
    sim_model_fini(&m);
    if (!group)
        return;
    v->awake_fraction.modelled = awake(l, s, pd, group, ng, 0);
    v->awake_fraction.measured = awake(l, s, pd, group, ng, 1);
    sim_free(group);
}

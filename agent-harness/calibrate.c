/*
 * calibrate.c -- `capsim calibrate` (calibrate.h): one fresh agent
 * server per repeat, driven over loopback, measured from /proc.
 *
 * A repeat runs these phases against its own server:
 *
 *   start   fork + exec, the "listening on" line, /healthz polled every
 *           2 ms until 200: cold_start_s; RSS at rest: base_memory_gb.
 *   create  N sessions; the RSS they add / N: idle_memory_gb.
 *   idle    one more session followed over SSE (/events?follow=1) and a
 *           WebSocket that sends nothing, each read by its own thread for
 *           the idle span while the phases below run: their replies go
 *           to other sessions, so what these two read is heartbeats only.
 *   burst   every session sends one message at once; RSS sampled every
 *           millisecond until all are done: active_memory_gb.  Also the
 *           warm-up, and its mean reply time paces the load.
 *   load    per transport, `messages` messages at Poisson arrival times
 *           from sim/workload.c, in time compressed so that each session
 *           is busy `load` of the time; a session never has two replies
 *           in flight (the server would refuse the second with 409), so
 *           at most N are.  CPU ticks before and after: cpu_ms_per_message;
 *           every reply's latency: reply_s; bytes per reply: egress.
 *
 * One thread per session rather than an event loop: N is small (tens),
 * a thread per client is what the server itself does, and blocking code
 * with deadlines is easier to get right than a state machine per socket.
 */
#include "agent-harness/calibrate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "agent-harness/net.h"
#include "agent-harness/proc.h"
#include "agent-harness/serve.h"
#include "base/diag.h"
#include "base/file.h"
#include "base/fixed.h"
#include "base/json.h"
#include "sim/workload.h"

#define STOP_WAIT_MS (AG_SERVE_GRACE_MS + 3000)  /* SIGTERM, then SIGKILL */
#define MAX_SESSIONS 10000
#define MAX_MESSAGES 1000000

/* ---- figures --------------------------------------------------------- */

enum fig {
    F_ACTIVE_VCPU, F_ACTIVE_MEM, F_IDLE_MEM, F_BASE_MEM, F_CPU_MS, F_COLD,
    F_P50, F_P95, F_P99, F_EGRESS_SSE, F_EGRESS_WS, F_IDLE_SSE, F_IDLE_WS,
    NFIG
};

/* Names in the profile's spread; a dot is a nested key. */
static const char *const fig_names[NFIG] = {
    "active_vcpu", "active_memory_gb", "idle_memory_gb", "base_memory_gb",
    "cpu_ms_per_message", "cold_start_s", "reply_s.p50", "reply_s.p95",
    "reply_s.p99", "egress_kb_per_message.sse",
    "egress_kb_per_message.websocket", "idle_kb_per_hour.sse",
    "idle_kb_per_hour.websocket",
};

struct ag_cal_profile {
    double mean[NFIG], min[NFIG], max[NFIG], sd[NFIG];
    int have[NFIG];
    int transports, sessions, messages, repeats;
    double heartbeat_s[2];          /* sse, websocket */
    double idle_span_s;
    unsigned long seed;
    char machine[256], date[16], sha256[65];
    char *agent_config;
};

/* ---- errors ---------------------------------------------------------- */


static const char *net_error(int rc)
{
    switch (rc) {
    case AG_NET_ETIMEOUT: return "timed out";
    case AG_NET_EHTTP: return "refused";
    case SIM_EIO: return "connection failed or reply malformed";
    default: return sim_strerror(rc);
    }
}


/* ---- /proc ----------------------------------------------------------- */

static double gib(long kib)
{
    return (double)kib * 1024.0 / (1024.0 * 1024.0 * 1024.0);
}


/* ---- one repeat ------------------------------------------------------ */

typedef struct sess {
    char id[40];
    char tenant[24];
} sess;

/* One message of a phase: when it is due (ms after the phase starts)
 * and, once sent, how it went. */
typedef struct cal_msg {
    double at_ms;
    int session;
    double reply_ms;
    uint64_t bytes;
    uint64_t data_bytes;
    int rc, status;
} cal_msg;

typedef struct rep {
    const ag_cal_opts *o;
    ag_proc *proc;          /* the server being measured */
    sess *s;                /* o->sessions + 1: the last is the idle one */
    ag_net_conn *ws;        /* one WebSocket per session, websocket phases */
    atomic_int abort;       /* a message failed: the others stop early */
} rep;

static const char *api_key(const rep *r)
{
    return r->o->cfg->api_key;
}

/* Creates sessions [from, to), each its own tenant, so a configured
 * per-tenant concurrency limit does not refuse the load. */
static int create_sessions(rep *r, int from, int to, char *err,
                           size_t errlen)
{
    for (int i = from; i < to; i++) {
        char *body = NULL;
        int status = 0;
        snprintf(r->s[i].tenant, sizeof r->s[i].tenant, "calibrate-%d", i);
        int rc = ag_net_request(ag_proc_port(r->proc), "POST", "/v1/sessions", "{}",
                                 api_key(r), r->s[i].tenant,
                                 ag_net_now_ms() + r->o->timeout_s * 1e3,
                                 &status, &body);
        cJSON *j = rc == SIM_OK && status == 201 ? cJSON_Parse(body) : NULL;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
        if (id)
            snprintf(r->s[i].id, sizeof r->s[i].id, "%s", id);
        cJSON_Delete(j);
        if (!id) {
            if (rc != SIM_OK)
                ag_net_fail(err, errlen, SIM_EIO, "POST /v1/sessions: %s",
                     net_error(rc));
            else
                ag_net_fail(err, errlen, SIM_EIO, "POST /v1/sessions: HTTP %d "
                     "%.200s", status, body ? body : "");
            sim_free(body);
            return SIM_EIO;
        }
        sim_free(body);
    }
    return SIM_OK;
}

/*
 * The server sends a reply's `done` a moment before it lets the session
 * take the next message, so a message sent the instant its predecessor
 * is done may be refused with 409.  That is a wait for the session, not
 * part of the reply: the message is sent again 1 ms later, and its reply
 * time counts from the send that was taken.
 */
#define BUSY_RETRY_MS 1.0

/* Sends message m over SSE and waits for its `done`. */
static void send_sse(rep *r, cal_msg *m, double deadline)
{
    const sess *s = &r->s[m->session];
    for (;;) {
        double t = ag_net_now_ms(), done = 0;
        m->rc = ag_net_sse_message(ag_proc_port(r->proc), s->id, "calibrate",
                                    api_key(r), s->tenant, deadline, &done,
                                    &m->bytes, &m->data_bytes, &m->status);
        m->reply_ms = done - t;
        if (m->rc != AG_NET_EHTTP || m->status != 409 ||
            ag_net_now_ms() + BUSY_RETRY_MS >= deadline)
            return;
        ag_net_sleep_ms(BUSY_RETRY_MS);
    }
}

/* Whether a frame's JSON starts {"type":"TYPE" (the server writes type
 * first: serve.c, ws_forward, ws_error). */
static int frame_is(const char *p, size_t n, const char *type)
{
    char want[48];
    int k = snprintf(want, sizeof want, "{\"type\":\"%s\"", type);
    return k > 0 && n >= (size_t)k && memcmp(p, want, (size_t)k) == 0;
}

/* Whether p[0..n) holds `needle`. */
static int holds(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

/* Sends the message frame and reads frames until its `done`: SIM_OK,
 * AG_NET_EHTTP for a 409 (busy: send again), else a failure. */
static int ws_exchange(ag_net_conn *c, const char *frame, cal_msg *m,
                       double deadline)
{
    double t = ag_net_now_ms();
    int rc = ag_net_ws_send(c, frame, deadline);
    while (rc == SIM_OK) {
        int op = 0;
        const char *p;
        size_t n = 0, wire = 0;
        rc = ag_net_ws_read(c, deadline, &op, &p, &n, &wire);
        if (rc != SIM_OK)
            break;
        m->bytes += wire;
        if (op == 0x8)
            return SIM_EIO;         /* closed by the server */
        if (op == 0x1 && frame_is(p, n, "error"))
            return holds(p, n, "\"status\":409") ? AG_NET_EHTTP : SIM_EIO;
        if (op == 0x1 && frame_is(p, n, "done")) {
            m->reply_ms = ag_net_now_ms() - t;
            return SIM_OK;
        }
    }
    return rc;
}

/* Sends message m on its session's WebSocket; every byte read until its
 * `done` frame is the reply's. */
static void send_ws(rep *r, cal_msg *m, double deadline)
{
    const sess *s = &r->s[m->session];
    char frame[160];
    snprintf(frame, sizeof frame,
             "{\"type\":\"message\",\"session\":\"%s\",\"content\":"
             "\"calibrate\"}", s->id);
    for (;;) {
        m->bytes = 0;
        m->rc = ws_exchange(&r->ws[m->session], frame, m, deadline);
        if (m->rc != AG_NET_EHTTP ||
            ag_net_now_ms() + BUSY_RETRY_MS >= deadline)
            return;
        ag_net_sleep_ms(BUSY_RETRY_MS);
    }
}

typedef struct worker {
    rep *r;
    int websocket;
    cal_msg **msgs;         /* this session's messages, in time order */
    size_t n;
    double start_ms;        /* the phase's time zero */
    pthread_t th;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (size_t i = 0; i < w->n && !atomic_load(&w->r->abort); i++) {
        cal_msg *m = w->msgs[i];
        ag_net_sleep_ms(w->start_ms + m->at_ms - ag_net_now_ms());
        double deadline = ag_net_now_ms() + w->r->o->timeout_s * 1e3;
        if (w->websocket)
            send_ws(w->r, m, deadline);
        else
            send_sse(w->r, m, deadline);
        if (m->rc != SIM_OK)
            atomic_store(&w->r->abort, 1);
    }
    return NULL;
}


/*
 * Runs a phase: messages v[0..n) (every one already has at_ms and
 * session; not necessarily sorted by session) over one transport, one
 * thread per session.  With `peak`, samples the server's RSS meanwhile
 * and leaves the highest in *peak.
 */
static int run_phase(rep *r, cal_msg *v, size_t n, int websocket,
                     long *peak, char *err, size_t errlen)
{
    int ns = r->o->sessions;
    worker *w = sim_calloc((size_t)ns, sizeof *w);
    cal_msg **slots = sim_alloc((n ? n : 1) * sizeof *slots);
    size_t *count = sim_calloc((size_t)ns, sizeof *count);
    int rc = SIM_OK, started = 0;
    if (!w || !slots || !count) {
        rc = SIM_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        count[v[i].session]++;
    size_t at = 0;
    for (int k = 0; k < ns; k++) {
        w[k].msgs = slots + at;
        at += count[k];
    }
    for (size_t i = 0; i < n; i++) {
        worker *x = &w[v[i].session];
        x->msgs[x->n++] = &v[i];
    }
    ag_rss_peak smp = {0};
    if (peak && ag_proc_peak_start(&smp, ag_proc_pid(r->proc)) != SIM_OK) {
        rc = SIM_ENOMEM;
        goto done;
    }
    atomic_store(&r->abort, 0);
    double t0 = ag_net_now_ms() + 20;  /* all threads up before zero */
    for (; started < ns; started++) {
        w[started] = (worker){r, websocket, w[started].msgs, w[started].n,
                              t0, 0};
        if (pthread_create(&w[started].th, NULL, work, &w[started]) != 0) {
            atomic_store(&r->abort, 1);
            rc = SIM_ENOMEM;
            break;
        }
    }
    for (int k = 0; k < started; k++)
        pthread_join(w[k].th, NULL);
    if (peak) {
        *peak = ag_proc_peak_stop(&smp);
    }
    for (size_t i = 0; rc == SIM_OK && i < n; i++)
        if (v[i].rc != SIM_OK) {
            char status[32] = "";
            if (v[i].status > 0 && v[i].status != 200)
                snprintf(status, sizeof status, " (HTTP %d)", v[i].status);
            rc = ag_net_fail(err, errlen, SIM_EIO, "a %s reply failed: %s%s",
                      websocket ? "WebSocket" : "SSE", net_error(v[i].rc),
                      status);
        }
done:
    sim_free(count);
    sim_free(slots);
    sim_free(w);
    return rc;
}

/*
 * The arrival times of `count` messages over the sessions: capsim's own
 * Poisson workload (one agent per session, one message per second of
 * simulated time on average, streams seeded by (seed, rep, session)),
 * each simulated second lasting `ms_per_s` here.  Both transports of a
 * repeat see the same arrivals.
 */
static int schedule(const ag_cal_opts *o, uint64_t rep_no, double ms_per_s,
                    cal_msg *v, size_t count)
{
    scn_dist busy;
    memset(&busy, 0, sizeof busy);
    busy.kind = SCN_DIST_FIXED;
    busy.mean_s = SIM_FX_ONE / 10;      /* unused: the server decides */
    sim_class cls;
    memset(&cls, 0, sizeof cls);
    cls.tenants = o->sessions;
    cls.agents_per_tenant = 1;
    cls.kind = SIM_ARR_POISSON;
    cls.rate = 1.0;
    cls.busy = &busy;
    sim_workload_model m = {&cls, 1, (uint64_t)o->sessions, 0, o->seed};
    m.horizon = 4.0 * (double)count / o->sessions + 30;
    for (;;) {
        sim_source *src = NULL;
        if (sim_source_open(&m, rep_no, 0, (uint64_t)o->sessions, &src) !=
            SIM_OK)
            return SIM_ENOMEM;
        size_t got = 0;
        sim_msg msg;
        while (got < count && sim_source_next(src, &msg)) {
            memset(&v[got], 0, sizeof v[got]);
            v[got].at_ms = msg.t * ms_per_s;
            v[got].session = (int)msg.agent;
            got++;
        }
        int rc = sim_source_status(src);
        sim_source_close(src);
        if (rc != SIM_OK)
            return rc;
        if (got == count)
            return SIM_OK;
        m.horizon *= 2;     /* a rare short draw: a longer span */
    }
}

/* An idle connection read by its own thread until `until`. */
typedef struct idler {
    ag_net_conn c;
    uint64_t head;          /* bytes of the response head or handshake */
    double from, until;     /* when reading began and ends */
    double last;            /* when the last heartbeat came */
    int rc, started;
    pthread_t th;
} idler;

static void *idle_read(void *arg)
{
    idler *d = arg;
    d->rc = ag_net_drain_until(&d->c, d->until, &d->last);
    return NULL;
}

static int idler_start(rep *r, idler *d, int websocket, double span_s)
{
    double deadline = ag_net_now_ms() + r->o->timeout_s * 1e3;
    const sess *s = &r->s[r->o->sessions];
    int rc = websocket ? ag_net_ws_open(&d->c, ag_proc_port(r->proc), api_key(r),
                                         s->tenant, deadline)
                       : ag_net_sse_follow(&d->c, ag_proc_port(r->proc), s->id,
                                            api_key(r), deadline);
    if (rc != SIM_OK)
        return rc;
    /* What was read past the head already belongs to the idle stream. */
    d->head = d->c.bytes - (d->c.len - d->c.pos);
    d->from = d->last = ag_net_now_ms();
    d->until = d->from + span_s * 1e3;
    if (pthread_create(&d->th, NULL, idle_read, d) != 0)
        return SIM_ENOMEM;
    d->started = 1;
    return SIM_OK;
}

/*
 * Joins the reader; KiB an hour, or -1 when the stream broke.  The
 * heartbeats come at from + I, from + 2I, ..., so the bytes over the
 * time to the last one are bytes per heartbeat / I exactly, where the
 * bytes over the whole span would fall short by up to one heartbeat.
 */
static double idler_finish(idler *d)
{
    double kb = -1;
    if (d->started) {
        pthread_join(d->th, NULL);
        uint64_t bytes = d->c.bytes - d->head;
        if (d->rc == SIM_OK)
            kb = bytes > 0 && d->last > d->from
                     ? (double)bytes / 1024.0 * 3.6e6 / (d->last - d->from)
                     : 0;
    }
    ag_net_conn_fini(&d->c);
    d->started = 0;
    return kb;
}

static int open_websockets(rep *r, char *err, size_t errlen)
{
    int n = r->o->sessions;
    r->ws = sim_calloc((size_t)n, sizeof *r->ws);
    if (!r->ws)
        return SIM_ENOMEM;
    for (int i = 0; i < n; i++)
        r->ws[i].fd = -1;
    for (int i = 0; i < n; i++) {
        int rc = ag_net_ws_open(&r->ws[i], ag_proc_port(r->proc), api_key(r),
                                 r->s[i].tenant,
                                 ag_net_now_ms() + r->o->timeout_s * 1e3);
        if (rc != SIM_OK)
            return ag_net_fail(err, errlen, SIM_EIO, "WebSocket /v1/ws: %s",
                        net_error(rc));
    }
    return SIM_OK;
}

static void close_websockets(rep *r)
{
    if (!r->ws)
        return;
    for (int i = 0; i < r->o->sessions; i++)
        ag_net_conn_fini(&r->ws[i]);
    sim_free(r->ws);
    r->ws = NULL;
}

/* The slowest heartbeat interval of the measured transports, seconds
 * (0 when they are all off). */
static double slowest_heartbeat(const ag_cal_opts *o)
{
    double s = 0;
    if ((o->transports & AG_CAL_SSE) && o->cfg->keepalive_ms > s * 1e3)
        s = (double)o->cfg->keepalive_ms / 1e3;
    if ((o->transports & AG_CAL_WEBSOCKET) &&
        o->cfg->ping_interval_ms > s * 1e3)
        s = (double)o->cfg->ping_interval_ms / 1e3;
    return s;
}

static double idle_span(const ag_cal_opts *o)
{
    if (o->idle_span_s > 0)
        return o->idle_span_s;
    double s = 2 * slowest_heartbeat(o) + 0.5;
    return s < 2 ? 2 : s;
}

/* What the load phases gather, over both transports. */
typedef struct load_acc {
    double *reply_s;        /* every load reply */
    size_t n;
    long long ticks;
    double egress_kib[2];   /* per message: sse, websocket */
} load_acc;

/*
 * The burst: one message per session at once, RSS sampled meanwhile.
 * *mean_ms is the mean reply time, which paces the load.
 */
static int burst(rep *r, int websocket, double *fig, double *mean_ms,
                 char *err, size_t errlen)
{
    int n = r->o->sessions;
    cal_msg *v = sim_calloc((size_t)n, sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    for (int i = 0; i < n; i++)
        v[i].session = i;
    long before = ag_proc_rss_kib(ag_proc_pid(r->proc)), peak = 0;
    int rc = run_phase(r, v, (size_t)n, websocket, &peak, err, errlen);
    if (rc == SIM_OK) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += v[i].reply_ms;
        *mean_ms = sum / n;
        double d = gib(peak - before) / n;
        fig[F_ACTIVE_MEM] = d > 0 ? d : 0;
    }
    sim_free(v);
    return rc;
}

static int load(rep *r, uint64_t rep_no, int websocket, double ms_per_s,
                load_acc *acc, char *err, size_t errlen)
{
    size_t n = (size_t)r->o->messages;
    cal_msg *v = sim_alloc(n * sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    int rc = schedule(r->o, rep_no, ms_per_s, v, n);
    long long t0 = ag_proc_cpu_ticks(ag_proc_pid(r->proc));
    if (rc == SIM_OK)
        rc = run_phase(r, v, n, websocket, NULL, err, errlen);
    long long t1 = ag_proc_cpu_ticks(ag_proc_pid(r->proc));
    if (rc == SIM_OK && (t0 < 0 || t1 < 0))
        rc = ag_net_fail(err, errlen, SIM_EIO, "cannot read /proc/%d/stat",
                  (int)ag_proc_pid(r->proc));
    if (rc == SIM_OK) {
        uint64_t bytes = 0;
        for (size_t i = 0; i < n; i++) {
            acc->reply_s[acc->n++] = v[i].reply_ms / 1e3;
            bytes += v[i].bytes;
        }
        acc->ticks += t1 - t0;
        acc->egress_kib[websocket] = (double)bytes / 1024.0 / (double)n;
    }
    sim_free(v);
    return rc;
}

/* reply_s, cpu_ms_per_message and active_vcpu from the load replies. */
static void load_figures(const ag_cal_opts *o, load_acc *acc, double *fig)
{
    gsl_sort(acc->reply_s, 1, acc->n);
    fig[F_P50] = gsl_stats_quantile_from_sorted_data(acc->reply_s, 1,
                                                     acc->n, 0.50);
    fig[F_P95] = gsl_stats_quantile_from_sorted_data(acc->reply_s, 1,
                                                     acc->n, 0.95);
    fig[F_P99] = gsl_stats_quantile_from_sorted_data(acc->reply_s, 1,
                                                     acc->n, 0.99);
    double mean = gsl_stats_mean(acc->reply_s, 1, acc->n);
    long hz = sysconf(_SC_CLK_TCK);
    fig[F_CPU_MS] = (double)acc->ticks * 1e3 / (double)(hz > 0 ? hz : 100) /
                    (double)acc->n;
    fig[F_ACTIVE_VCPU] = mean > 0 ? fig[F_CPU_MS] / 1e3 / mean : 0;
    if (o->transports & AG_CAL_SSE)
        fig[F_EGRESS_SSE] = acc->egress_kib[0];
    if (o->transports & AG_CAL_WEBSOCKET)
        fig[F_EGRESS_WS] = acc->egress_kib[1];
}

/* Deletes the repeat's sessions, so a SQLite store is left as found. */
static void delete_sessions(rep *r)
{
    for (int i = 0; i <= r->o->sessions; i++) {
        if (!r->s[i].id[0])
            continue;
        char path[96];
        int status;
        snprintf(path, sizeof path, "/v1/sessions/%s", r->s[i].id);
        ag_net_request(ag_proc_port(r->proc), "DELETE", path, NULL, api_key(r),
                        r->s[i].tenant,
                        ag_net_now_ms() + r->o->timeout_s * 1e3, &status,
                        NULL);
    }
}

/* The phases after start-up (see the top of this file). */
static int measure(rep *r, uint64_t k, double *fig, idler *idle,
                   load_acc *acc, char *err, size_t errlen)
{
    const ag_cal_opts *o = r->o;
    int n = o->sessions, rc;
    ag_net_sleep_ms(100);          /* let start-up's last allocations settle */
    long base = ag_proc_rss_kib(ag_proc_pid(r->proc));
    if ((rc = create_sessions(r, 0, n, err, errlen)) != SIM_OK)
        return rc;
    ag_net_sleep_ms(20);
    long loaded = ag_proc_rss_kib(ag_proc_pid(r->proc));
    if (base < 0 || loaded < 0)
        return ag_net_fail(err, errlen, SIM_EIO, "cannot read /proc/%d/status",
                    (int)ag_proc_pid(r->proc));
    fig[F_BASE_MEM] = gib(base);
    fig[F_IDLE_MEM] = loaded > base ? gib(loaded - base) / n : 0;
    if ((rc = create_sessions(r, n, n + 1, err, errlen)) != SIM_OK)
        return rc;
    double span = idle_span(o);
    for (int t = 0; t < 2; t++)
        if ((o->transports & (t ? AG_CAL_WEBSOCKET : AG_CAL_SSE)) &&
            (rc = idler_start(r, &idle[t], t, span)) != SIM_OK)
            return ag_net_fail(err, errlen, SIM_EIO, "idle %s stream: %s",
                        t ? "WebSocket" : "SSE", net_error(rc));
    int ws_first = !(o->transports & AG_CAL_SSE);
    if (o->transports & AG_CAL_WEBSOCKET &&
        (rc = open_websockets(r, err, errlen)) != SIM_OK)
        return rc;
    double mean_ms = 0;
    if ((rc = burst(r, ws_first, fig, &mean_ms, err, errlen)) != SIM_OK)
        return rc;
    /* A session with one reply in flight at a time, busy `load` of the
     * time: one arrival per mean_ms / load on average. */
    double ms_per_s = mean_ms / o->load;
    for (int t = 0; t < 2 && rc == SIM_OK; t++)
        if (o->transports & (t ? AG_CAL_WEBSOCKET : AG_CAL_SSE))
            rc = load(r, k, t, ms_per_s, acc, err, errlen);
    if (rc == SIM_OK)
        load_figures(o, acc, fig);
    return rc;
}

/* One repeat on a fresh server: fills fig[]. */
static int run_repeat(const ag_cal_opts *o, uint64_t k, double *fig,
                      char *err, size_t errlen)
{
    rep r;
    memset(&r, 0, sizeof r);
    r.o = o;
    atomic_init(&r.abort, 0);
    idler idle[2];
    memset(idle, 0, sizeof idle);
    idle[0].c.fd = idle[1].c.fd = -1;
    load_acc acc = {NULL, 0, 0, {0, 0}};
    int nt = (o->transports & AG_CAL_SSE ? 1 : 0) +
             (o->transports & AG_CAL_WEBSOCKET ? 1 : 0);
    r.s = sim_calloc((size_t)o->sessions + 1, sizeof *r.s);
    acc.reply_s = sim_alloc((size_t)o->messages * (size_t)nt * sizeof(double));
    if (!r.s || !acc.reply_s) {
        sim_free(r.s);
        sim_free(acc.reply_s);
        return SIM_ENOMEM;
    }
    int rc = ag_proc_start(o->exe, o->agent_path, o->timeout_s,
                           o->child_err, &r.proc, &fig[F_COLD], err, errlen);
    if (rc == SIM_OK)
        rc = measure(&r, k, fig, idle, &acc, err, errlen);
    /* The idle streams end at their span; after a failure, at once. */
    for (int t = 0; t < 2; t++) {
        if (rc != SIM_OK && idle[t].started)
            shutdown(idle[t].c.fd, SHUT_RDWR);
        double kb = idler_finish(&idle[t]);
        if (rc == SIM_OK && (o->transports & (t ? AG_CAL_WEBSOCKET
                                                : AG_CAL_SSE))) {
            if (kb < 0)
                rc = ag_net_fail(err, errlen, SIM_EIO, "the idle %s stream "
                          "broke", t ? "WebSocket" : "SSE");
            fig[t ? F_IDLE_WS : F_IDLE_SSE] = kb;
        }
    }
    close_websockets(&r);
    if (r.proc) {
        if (rc == SIM_OK)
            delete_sessions(&r);
        int st = ag_proc_stop_keep(r.proc);
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            if (o->log)
                fprintf(o->log, "capsim calibrate: warning: the agent "
                        "server did not stop cleanly; its stderr:\n");
            ag_proc_copy_err(r.proc, o->child_err);
        }
    }
    ag_proc_stop(r.proc);
    sim_free(acc.reply_s);
    sim_free(r.s);
    return rc;
}

/* ---- the profile ----------------------------------------------------- */

static void machine(char *out, size_t size)
{
    struct utsname u;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (uname(&u) != 0) {
        snprintf(out, size, "unknown, %ld cores", cores);
        return;
    }
    snprintf(out, size, "%s, %ld core%s, %s %s", u.machine, cores,
             cores == 1 ? "" : "s", u.sysname, u.release);
}

static int sha256_file(const char *path, char *hex /* 65 */)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!text)
        return SIM_EIO;
    int ok = EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) && n == 32;
    sim_free(text);
    if (!ok)
        return SIM_EIO;
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return SIM_OK;
}

/* Mean, min, max and sample standard deviation over the repeats. */
static void summarise(ag_cal_profile *p, const double *v, int repeats)
{
    size_t n = (size_t)repeats;
    for (int f = 0; f < NFIG; f++) {
        /* Repeat k's figures are v[k * NFIG ...]: a column has stride
         * NFIG. */
        p->mean[f] = gsl_stats_mean(v + f, NFIG, n);
        gsl_stats_minmax(&p->min[f], &p->max[f], v + f, NFIG, n);
        p->sd[f] = n > 1 ? gsl_stats_sd(v + f, NFIG, n) : 0;
    }
}

static void log_repeat(const ag_cal_opts *o, int k, const double *fig)
{
    if (!o->log)
        return;
    fprintf(o->log, "capsim calibrate: repeat %d/%d: cold start %.3f s, "
            "base %.1f MiB, reply p50 %.3f s, %.3f ms CPU per message\n",
            k + 1, o->repeats, fig[F_COLD], fig[F_BASE_MEM] * 1024,
            fig[F_P50], fig[F_CPU_MS]);
}

int ag_cal_run(const ag_cal_opts *o, ag_cal_profile **out, char *err,
               size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (o->sessions + 1 > o->cfg->max_sessions)
        return ag_net_fail(err, errlen, SIM_EINVAL, "--sessions %d needs %d "
                    "sessions (one more for the idle streams), but the "
                    "config's sessions.maxSessions is %lld", o->sessions,
                    o->sessions + 1, (long long)o->cfg->max_sessions);
    ag_cal_profile *p = sim_calloc(1, sizeof *p);
    double *v = sim_calloc((size_t)o->repeats * NFIG, sizeof *v);
    if (!p || !v || !(p->agent_config = sim_strdup(o->agent_path))) {
        ag_cal_profile_free(p);
        sim_free(v);
        return SIM_ENOMEM;
    }
    int rc = sha256_file(o->agent_path, p->sha256);
    if (rc != SIM_OK)
        ag_net_fail(err, errlen, rc, "%s: cannot read: %s", o->agent_path,
             strerror(errno));
    if (rc == SIM_OK && o->log && o->idle_span_s > 0 &&
        o->idle_span_s < 2 * slowest_heartbeat(o))
        fprintf(o->log, "capsim calibrate: warning: an idle span of %g s "
                "sees fewer than two heartbeats %g s apart; idle_kb_per_hour"
                " is rough\n", o->idle_span_s, slowest_heartbeat(o));
    for (int k = 0; rc == SIM_OK && k < o->repeats; k++) {
        rc = run_repeat(o, (uint64_t)k, v + k * NFIG, err, errlen);
        if (rc == SIM_OK)
            log_repeat(o, k, v + k * NFIG);
    }
    if (rc != SIM_OK) {
        sim_free(v);
        ag_cal_profile_free(p);
        return rc;
    }
    summarise(p, v, o->repeats);
    sim_free(v);
    p->transports = o->transports;
    p->sessions = o->sessions;
    p->messages = o->messages;
    p->repeats = o->repeats;
    p->heartbeat_s[0] = (double)o->cfg->keepalive_ms / 1e3;
    p->heartbeat_s[1] = (double)o->cfg->ping_interval_ms / 1e3;
    p->idle_span_s = idle_span(o);
    p->seed = o->seed;
    machine(p->machine, sizeof p->machine);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(p->date, sizeof p->date, "%Y-%m-%d", &tm);
    *out = p;
    return SIM_OK;
}

void ag_cal_profile_free(ag_cal_profile *p)
{
    if (!p)
        return;
    sim_free(p->agent_config);
    sim_free(p);
}

/* Four significant digits: the repeats disagree well before the fifth,
 * and short numbers keep the file readable. */
static double sig4(double x)
{
    char b[32];
    snprintf(b, sizeof b, "%.4g", x);
    return strtod(b, NULL);
}

static void add_num(cJSON *o, const char *key, double x, int *bad)
{
    if (!cJSON_AddNumberToObject(o, key, sig4(x)))
        *bad = 1;
}

static cJSON *add_obj(cJSON *o, const char *key, int *bad)
{
    cJSON *c = cJSON_AddObjectToObject(o, key);
    if (!c)
        *bad = 1;
    return c;
}

/* {"sse": a, "websocket": b}, with only the measured transports. */
static void add_per_transport(cJSON *o, const char *key, int transports,
                              double sse, double ws, int *bad)
{
    cJSON *c = add_obj(o, key, bad);
    if (c && (transports & AG_CAL_SSE))
        add_num(c, "sse", sse, bad);
    if (c && (transports & AG_CAL_WEBSOCKET))
        add_num(c, "websocket", ws, bad);
}

static int fig_measured(const ag_cal_profile *p, int f)
{
    if (f == F_EGRESS_SSE || f == F_IDLE_SSE)
        return (p->transports & AG_CAL_SSE) != 0;
    if (f == F_EGRESS_WS || f == F_IDLE_WS)
        return (p->transports & AG_CAL_WEBSOCKET) != 0;
    return 1;
}

static void add_measured(cJSON *root, const ag_cal_profile *p, int *bad)
{
    cJSON *m = add_obj(root, "measured", bad);
    if (!m)
        return;
    if (!cJSON_AddStringToObject(m, "machine", p->machine) ||
        !cJSON_AddStringToObject(m, "date", p->date) ||
        !cJSON_AddStringToObject(m, "agent_config", p->agent_config) ||
        !cJSON_AddStringToObject(m, "agent_config_sha256", p->sha256))
        *bad = 1;
    cJSON *tr = cJSON_AddArrayToObject(m, "transports");
    if (!tr)
        *bad = 1;
    if (tr && (p->transports & AG_CAL_SSE))
        sim_json_push(tr, cJSON_CreateString("sse"));
    if (tr && (p->transports & AG_CAL_WEBSOCKET))
        sim_json_push(tr, cJSON_CreateString("websocket"));
    if (!cJSON_AddNumberToObject(m, "sessions", p->sessions) ||
        !cJSON_AddNumberToObject(m, "messages", p->messages) ||
        !cJSON_AddNumberToObject(m, "repeats", p->repeats) ||
        !cJSON_AddNumberToObject(m, "idle_span_s", sig4(p->idle_span_s)) ||
        !cJSON_AddNumberToObject(m, "seed", (double)p->seed))
        *bad = 1;
    cJSON *sp = add_obj(m, "spread", bad);
    for (int f = 0; sp && f < NFIG; f++) {
        if (!fig_measured(p, f))
            continue;
        cJSON *e = add_obj(sp, fig_names[f], bad);
        if (e) {
            add_num(e, "min", p->min[f], bad);
            add_num(e, "max", p->max[f], bad);
            add_num(e, "sd", p->sd[f], bad);
        }
    }
}

char *ag_cal_profile_json(const ag_cal_profile *p)
{
    int bad = 0;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "capsim_profile", 1))
        bad = 1;
    add_num(o, "active_vcpu", p->mean[F_ACTIVE_VCPU], &bad);
    add_num(o, "active_memory_gb", p->mean[F_ACTIVE_MEM], &bad);
    add_num(o, "idle_memory_gb", p->mean[F_IDLE_MEM], &bad);
    add_num(o, "base_memory_gb", p->mean[F_BASE_MEM], &bad);
    add_num(o, "cpu_ms_per_message", p->mean[F_CPU_MS], &bad);
    add_num(o, "cold_start_s", p->mean[F_COLD], &bad);
    cJSON *r = add_obj(o, "reply_s", &bad);
    if (r) {
        add_num(r, "p50", p->mean[F_P50], &bad);
        add_num(r, "p95", p->mean[F_P95], &bad);
        add_num(r, "p99", p->mean[F_P99], &bad);
    }
    add_per_transport(o, "egress_kb_per_message", p->transports,
                      p->mean[F_EGRESS_SSE], p->mean[F_EGRESS_WS], &bad);
    add_per_transport(o, "idle_kb_per_hour", p->transports,
                      p->mean[F_IDLE_SSE], p->mean[F_IDLE_WS], &bad);
    add_per_transport(o, "heartbeat_interval_s", p->transports,
                      p->heartbeat_s[0], p->heartbeat_s[1], &bad);
    add_measured(o, p, &bad);
    char *text = bad ? NULL : cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return NULL;
    /* cJSON_Print leaves off the final newline a text file ends with. */
    size_t n = strlen(text);
    char *t = sim_realloc(text, n + 2);
    if (!t) {
        sim_free(text);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

int ag_cal_write_atomic(const char *path, const char *text, char *err,
                        size_t errlen)
{
    int rc = sim_write_atomic(path, text, strlen(text));
    if (rc == SIM_ENOMEM)
        return ag_net_fail(err, errlen, rc, "out of memory");
    if (rc != SIM_OK)
        return ag_net_fail(err, errlen, rc, "%s: %s", path, strerror(errno));
    return SIM_OK;
}

/* ---- the command ----------------------------------------------------- */

void ag_cal_opts_init(ag_cal_opts *o)
{
    memset(o, 0, sizeof *o);
    o->transports = AG_CAL_BOTH;
    o->sessions = 20;
    o->messages = 200;
    o->repeats = 3;
    o->idle_span_s = 0;
    o->load = 0.5;
    o->timeout_s = 30;
    o->seed = 1;
}

static const char usage_text[] =
    "usage: capsim calibrate [--agent AGENT.yaml] [--transport "
    "sse|websocket|both]\n"
    "                        [--sessions N] [--messages N] [--repeats N]\n"
    "                        [--idle-span S] [--seed N] [--out "
    "PROFILE.json] [--quiet]\n\n"
    "Starts the agent core (capsim agent serve) once per repeat, drives it "
    "over\nloopback with Poisson arrivals from capsim's workload model, and "
    "writes the\nmeasured profile (docs/profiles.md) to PROFILE.json or "
    "stdout.\n"
    "  --agent FILE      agent config to measure (default: the shipped\n"
    "                    agent-harness/calibrate.yaml, a scripted model)\n"
    "  --transport T     sse, websocket or both (default both)\n"
    "  --sessions N      concurrent sessions (default 20)\n"
    "  --messages N      messages per transport per repeat (default 200)\n"
    "  --repeats N       fresh servers to average over (default 3)\n"
    "  --idle-span S     seconds to hold the idle streams (default: two\n"
    "                    heartbeat intervals of the slowest transport + "
    "0.5 s,\n                    at least 2 s)\n"
    "  --seed N          seed of the arrival streams (default 1)\n"
    "  --timeout S       per request and per server start (default 30)\n"
    "  --out FILE        write the profile here (atomically), not to "
    "stdout\n"
    "  --quiet           no progress on stderr\n"
    "exit codes: 0 ok, 2 usage, 3 invalid agent config, 4 run-time "
    "failure\n";

typedef struct cal_args {
    ag_cal_opts o;
    const char *out;
    int quiet, help;
} cal_args;

static int bad_arg(const char *fmt, const char *v)
{
    fputs("capsim calibrate: ", stderr);
    fprintf(stderr, fmt, v);
    fputs("\n(see 'capsim help calibrate')\n", stderr);
    return -1;
}


static int parse_int(const char *name, const char *v, long max, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < 1 || x > max) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "%s must be a whole number from 1 to "
                 "%ld, not \"%%s\"", name, max);
        return bad_arg(fmt, v);
    }
    *out = (int)x;
    return 0;
}

/* Seconds: a number with an optional s or ms unit. */
static int parse_secs(const char *name, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (strcmp(end, "ms") == 0)
        x /= 1e3;
    else if (*end && strcmp(end, "s") != 0)
        x = -1;
    if (!*v || end == v || errno || !(x > 0) || x > 86400) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "%s must be a positive number of "
                 "seconds, not \"%%s\"", name);
        return bad_arg(fmt, v);
    }
    *out = x;
    return 0;
}

static int parse_transport(const char *v, int *out)
{
    if (strcmp(v, "sse") == 0)
        *out = AG_CAL_SSE;
    else if (strcmp(v, "websocket") == 0)
        *out = AG_CAL_WEBSOCKET;
    else if (strcmp(v, "both") == 0)
        *out = AG_CAL_BOTH;
    else
        return bad_arg("--transport must be sse, websocket or both, not "
                       "\"%s\"", v);
    return 0;
}

static int parse_one(int argc, char **argv, int *i, cal_args *a)
{
    const char *v;
    int seed = 0;
    if ((v = ag__opt_value(argc, argv, i, "--agent")))
        return *v ? (a->o.agent_path = v, 0)
                  : bad_arg("--agent needs a file%s", "");
    if ((v = ag__opt_value(argc, argv, i, "--transport")))
        return parse_transport(v, &a->o.transports);
    if ((v = ag__opt_value(argc, argv, i, "--sessions")))
        return parse_int("--sessions", v, MAX_SESSIONS, &a->o.sessions);
    if ((v = ag__opt_value(argc, argv, i, "--messages")))
        return parse_int("--messages", v, MAX_MESSAGES, &a->o.messages);
    if ((v = ag__opt_value(argc, argv, i, "--repeats")))
        return parse_int("--repeats", v, 1000, &a->o.repeats);
    if ((v = ag__opt_value(argc, argv, i, "--idle-span")))
        return parse_secs("--idle-span", v, &a->o.idle_span_s);
    if ((v = ag__opt_value(argc, argv, i, "--timeout")))
        return parse_secs("--timeout", v, &a->o.timeout_s);
    if ((v = ag__opt_value(argc, argv, i, "--seed"))) {
        if (parse_int("--seed", v, 2147483647L, &seed))
            return -1;
        a->o.seed = (unsigned long)seed;
        return 0;
    }
    if ((v = ag__opt_value(argc, argv, i, "--out")))
        return *v ? (a->out = v, 0) : bad_arg("--out needs a file%s", "");
    return bad_arg("unknown argument \"%s\"", argv[*i]);
}

static int parse_args(int argc, char **argv, cal_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            a->help = 1;
        else if (strcmp(argv[i], "--quiet") == 0 ||
                 strcmp(argv[i], "-q") == 0)
            a->quiet = 1;
        else if (parse_one(argc, argv, &i, a) != 0)
            return -1;
    }
    return 0;
}

int ag_cal_main(int argc, char **argv, const char *exe,
                const char *default_agent)
{
    cal_args a;
    memset(&a, 0, sizeof a);
    ag_cal_opts_init(&a.o);
    a.o.exe = exe;
    a.o.agent_path = default_agent;
    if (parse_args(argc, argv, &a) != 0)
        return AG_EXIT_USAGE;
    if (a.help) {
        fputs(usage_text, stdout);
        return AG_EXIT_OK;
    }
    sim_diag d;
    sim_diag_init(&d);
    ag_config *cfg = NULL;
    int rc = ag_config_load(a.o.agent_path, &d, &cfg);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    if (rc != SIM_OK)
        return rc == SIM_ENOMEM ? AG_EXIT_RUNTIME : AG_EXIT_CONFIG;
    a.o.cfg = cfg;
    a.o.log = a.quiet ? NULL : stderr;
    a.o.child_err = stderr;
    ag_cal_profile *p = NULL;
    char err[512] = "";
    rc = ag_cal_run(&a.o, &p, err, sizeof err);
    char *text = rc == SIM_OK ? ag_cal_profile_json(p) : NULL;
    int code = AG_EXIT_OK;
    if (rc == SIM_OK && !text)
        rc = ag_net_fail(err, sizeof err, SIM_ENOMEM, "out of memory");
    if (rc == SIM_OK && a.out)
        rc = ag_cal_write_atomic(a.out, text, err, sizeof err);
    else if (rc == SIM_OK)
        fputs(text, stdout);
    if (rc != SIM_OK) {
        fprintf(stderr, "capsim calibrate: %s\n",
                err[0] ? err : sim_strerror(rc));
        code = rc == SIM_EINVAL ? AG_EXIT_USAGE : AG_EXIT_RUNTIME;
    } else if (a.out && !a.quiet) {
        fprintf(stderr, "capsim calibrate: wrote %s\n", a.out);
    }
    sim_free(text);
    ag_cal_profile_free(p);
    ag_config_free(cfg);
    return code;
}

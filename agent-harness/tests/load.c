/*
 * load.c -- a load client for the agent server, over loopback only.
 *
 *   ag_load --port N [--sessions N] [--ws N] [--seconds S] [--phases N]
 *           [--pid PID] [--key KEY] [--tokens N]
 *
 * Starts --sessions workers, each on a session of its own: the first
 * --ws of them send their messages over one WebSocket each, the others
 * POST them with Accept: text/event-stream.  A worker sends a message,
 * waits for its `done`, and sends the next, until the phase's --seconds
 * are up; --phases runs that again on the same sessions.  Afterwards it
 * reads every session's history and checks it is complete: one user
 * message and one assistant answer per reply sent, in that order, each
 * answer --tokens words long (0: unchecked).
 *
 * Prints one JSON object per phase and a last one with the totals:
 * replies, errors, lost (history entries missing or wrong), replies per
 * second, latency p50/p99/max in ms (message sent to `done` read) and,
 * with --pid, the server's VmRSS in KiB after the phase.  Exit 0 when
 * there were no errors and nothing was lost, 1 otherwise, 2 on usage.
 *
 * Every wait is bounded: each request has a 30 s deadline, and a phase
 * ends at its --seconds whatever the server does.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-harness/net.h"
#include "base/alloc.h"

#define REQ_MS 30000.0
#define MAX_SAMPLES 1000000

typedef struct worker {
    int index, ws;
    char session[40];
    double until;               /* this phase's end */
    int64_t seq;                /* messages sent over every phase */
    int64_t sent, done, errors, gaps;       /* this phase */
    int64_t tdone, terrors, tgaps;          /* every phase */
    double *lat;                /* ms, this phase */
    size_t lat0, nlat, cap;     /* this phase's start in lat */
    char err[160];
    ag_net_conn conn;           /* the WebSocket, when ws */
    int open;
} worker;

typedef struct opts {
    int port, sessions, ws, phases, pid, tokens;
    double seconds;
    const char *key;
} opts;

static opts O = {0, 8, 4, 1, 0, 0, 10.0, NULL};

static void note(worker *w, const char *fmt, const char *what)
{
    if (!w->err[0])
        snprintf(w->err, sizeof w->err, fmt, what);
}

static void record(worker *w, double ms)
{
    if (w->nlat == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        if (cap > MAX_SAMPLES)
            return;
        double *p = sim_realloc(w->lat, cap * sizeof *p);
        if (!p)
            return;
        w->lat = p;
        w->cap = cap;
    }
    w->lat[w->nlat++] = ms;
}

static int sse_one(worker *w)
{
    double t0 = ag_net_now_ms(), done_ms = 0;
    uint64_t bytes, data;
    int status = 0;
    char content[64];
    snprintf(content, sizeof content, "load %d.%" PRId64, w->index, w->seq);
    int rc = ag_net_sse_message(O.port, w->session, content, O.key, NULL,
                                t0 + REQ_MS, &done_ms, &bytes, &data,
                                &status);
    if (rc != SIM_OK) {
        char why[48];
        snprintf(why, sizeof why, "status %d rc %d", status, rc);
        note(w, "sse: %s", why);
        return -1;
    }
    record(w, done_ms - t0);
    return 0;
}

/* One message over the worker's WebSocket, frames read until its done. */
static int ws_one(worker *w)
{
    double t0 = ag_net_now_ms(), dl = t0 + REQ_MS;
    if (!w->open) {
        if (ag_net_ws_open(&w->conn, O.port, O.key, NULL, dl) != SIM_OK) {
            note(w, "ws: %s", "cannot open");
            return -1;
        }
        w->open = 1;
    }
    char frame[160];
    snprintf(frame, sizeof frame,
             "{\"type\":\"message\",\"session\":\"%s\","
             "\"content\":\"load %d.%" PRId64 "\"}",
             w->session, w->index, w->seq);
    if (ag_net_ws_send(&w->conn, frame, dl) != SIM_OK) {
        note(w, "ws: %s", "send failed");
        return -1;
    }
    for (;;) {
        int op;
        const char *p;
        size_t n, wire;
        if (ag_net_ws_read(&w->conn, dl, &op, &p, &n, &wire) != SIM_OK) {
            note(w, "ws: %s", "read failed");
            return -1;
        }
        if (op != 1)
            continue;           /* pings */
        if (n >= 13 && memcmp(p, "{\"type\":\"gap\"", 13) == 0)
            w->gaps++;
        if (n >= 14 && memcmp(p, "{\"type\":\"done\"", 14) == 0)
            break;
        if (n >= 15 && memcmp(p, "{\"type\":\"error\"", 15) == 0) {
            char text[120];
            snprintf(text, sizeof text, "%.*s", (int)(n < 100 ? n : 100), p);
            note(w, "ws: %s", text);
            return -1;
        }
    }
    record(w, ag_net_now_ms() - t0);
    return 0;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    while (ag_net_now_ms() < w->until) {
        int rc = w->ws ? ws_one(w) : sse_one(w);
        w->seq++;
        w->sent++;
        if (rc == 0)
            w->done++;
        else
            w->errors++;
        if (rc != 0 && w->ws && w->open) {
            ag_net_conn_fini(&w->conn);
            w->open = 0;
        }
    }
    return NULL;
}

static int create_session(char *id, size_t size)
{
    int status = 0;
    char *body = NULL;
    int rc = ag_net_request(O.port, "POST", "/v1/sessions", NULL, O.key,
                            NULL, ag_net_now_ms() + REQ_MS, &status, &body);
    cJSON *j = rc == SIM_OK && status == 201 && body ? cJSON_Parse(body)
                                                     : NULL;
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
    int ok = s && strlen(s) < size;
    if (ok)
        snprintf(id, size, "%s", s);
    cJSON_Delete(j);
    sim_free(body);
    return ok ? 0 : -1;
}

static int count_words(const char *s)
{
    int n = 0, in = 0;
    for (; *s; s++) {
        int sp = *s == ' ';
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

/* How many replies w sent that its history does not hold whole, or -1
 * when the history cannot be read. */
static int64_t lost(const worker *w)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/sessions/%s/messages", w->session);
    int status = 0;
    char *body = NULL;
    int rc = ag_net_request(O.port, "GET", path, NULL, O.key, NULL,
                            ag_net_now_ms() + REQ_MS, &status, &body);
    cJSON *j = rc == SIM_OK && status == 200 && body ? cJSON_Parse(body)
                                                     : NULL;
    sim_free(body);
    const cJSON *arr = cJSON_GetObjectItem(j, "messages");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(j);
        return -1;
    }
    int64_t whole = 0, i = 0;
    const cJSON *m;
    const char *want = "user";
    int user_ok = 0;
    cJSON_ArrayForEach(m, arr) {
        const char *role = cJSON_GetStringValue(cJSON_GetObjectItem(m,
                                                                    "role"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(m,
                                                                    "content"));
        if (!role || !text || strcmp(role, want) != 0)
            break;
        if (strcmp(want, "user") == 0) {
            char expect[64];
            snprintf(expect, sizeof expect, "load %d.%" PRId64, w->index, i);
            user_ok = strcmp(text, expect) == 0;
            want = "assistant";
        } else {
            if (user_ok && (O.tokens == 0 || count_words(text) == O.tokens))
                whole++;
            want = "user";
            i++;
        }
    }
    int64_t total = cJSON_GetArraySize(arr);
    cJSON_Delete(j);
    /* Every message sent is two entries; anything else is lost. */
    if (total != 2 * w->seq)
        return w->seq - whole > 0 ? w->seq - whole : 1;
    return w->seq - whole;
}

static long rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k];
}

/* Prints one phase's (or the totals') figures; returns its error count. */
static int64_t report(worker *ws, const char *label, double secs,
                      int64_t lost_n, long rss, int verbose)
{
    int64_t sent = 0, done = 0, errors = 0, gaps = 0;
    size_t n = 0;
    for (int i = 0; i < O.sessions; i++) {
        sent += ws[i].sent;
        done += ws[i].done;
        errors += ws[i].errors;
        gaps += ws[i].gaps;
        n += ws[i].nlat - ws[i].lat0;
    }
    double *all = sim_alloc((n ? n : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; all && i < O.sessions; i++)
        for (size_t j = ws[i].lat0; j < ws[i].nlat; j++)
            all[k++] = ws[i].lat[j];
    if (all)
        qsort(all, k, sizeof *all, cmp_double);
    printf("{\"phase\":\"%s\",\"sessions\":%d,\"ws\":%d,\"seconds\":%.1f,"
           "\"sent\":%" PRId64 ",\"replies\":%" PRId64 ",\"errors\":%" PRId64
           ",\"gaps\":%" PRId64 ",\"lost\":%" PRId64 ",\"replies_per_s\":%.1f,"
           "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"rss_kib\":%ld}\n",
           label, O.sessions, O.ws, secs, sent, done, errors, gaps, lost_n,
           secs > 0 ? (double)done / secs : 0, all ? pct(all, k, 0.5) : 0,
           all ? pct(all, k, 0.99) : 0, all && k ? all[k - 1] : 0, rss);
    fflush(stdout);
    sim_free(all);
    for (int i = 0; verbose && i < O.sessions; i++)
        if (ws[i].err[0])
            fprintf(stderr, "ag_load: worker %d: %s\n", i, ws[i].err);
    return errors;
}

static int usage(void)
{
    fputs("usage: ag_load --port N [--sessions N] [--ws N] [--seconds S] "
          "[--phases N] [--pid PID] [--key KEY] [--tokens N]\n", stderr);
    return 2;
}

static int parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--port") == 0)
            O.port = atoi(v);
        else if (strcmp(a, "--sessions") == 0)
            O.sessions = atoi(v);
        else if (strcmp(a, "--ws") == 0)
            O.ws = atoi(v);
        else if (strcmp(a, "--seconds") == 0)
            O.seconds = strtod(v, NULL);
        else if (strcmp(a, "--phases") == 0)
            O.phases = atoi(v);
        else if (strcmp(a, "--pid") == 0)
            O.pid = atoi(v);
        else if (strcmp(a, "--tokens") == 0)
            O.tokens = atoi(v);
        else if (strcmp(a, "--key") == 0)
            O.key = v;
        else
            return -1;
    }
    if (O.port <= 0 || O.sessions < 1 || O.sessions > 1000 || O.ws < 0 ||
        O.ws > O.sessions || O.seconds <= 0 || O.seconds > 600 ||
        O.phases < 1 || O.phases > 10)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    sim_alloc_init();
    if (parse(argc, argv) != 0)
        return usage();
    worker *ws = sim_calloc((size_t)O.sessions, sizeof *ws);
    pthread_t *th = sim_calloc((size_t)O.sessions, sizeof *th);
    if (!ws || !th)
        return 1;
    for (int i = 0; i < O.sessions; i++) {
        ws[i].index = i;
        ws[i].ws = i < O.ws;
        if (create_session(ws[i].session, sizeof ws[i].session) != 0) {
            fprintf(stderr, "ag_load: cannot create session %d\n", i);
            return 1;
        }
    }
    int64_t errors = 0;
    double total_s = 0;
    for (int ph = 1; ph <= O.phases; ph++) {
        double t0 = ag_net_now_ms();
        int started = 0;
        for (int i = 0; i < O.sessions; i++) {
            ws[i].until = t0 + O.seconds * 1000;
            ws[i].lat0 = ws[i].nlat;
            if (pthread_create(&th[i], NULL, run_worker, &ws[i]) != 0)
                break;
            started++;
        }
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        if (started < O.sessions) {
            fprintf(stderr, "ag_load: cannot start threads\n");
            return 1;
        }
        double secs = (ag_net_now_ms() - t0) / 1000;
        total_s += secs;
        char label[16];
        snprintf(label, sizeof label, "%d", ph);
        /* Phase figures count this phase's replies only. */
        errors += report(ws, label, secs, 0, O.pid ? rss_kib(O.pid) : -1,
                         1);
        for (int i = 0; i < O.sessions; i++) {
            ws[i].tdone += ws[i].done;
            ws[i].terrors += ws[i].errors;
            ws[i].tgaps += ws[i].gaps;
            ws[i].sent = ws[i].done = ws[i].errors = ws[i].gaps = 0;
            ws[i].err[0] = '\0';
        }
    }
    for (int i = 0; i < O.sessions; i++)
        if (ws[i].open)
            ag_net_conn_fini(&ws[i].conn);
    int64_t lost_n = 0;
    for (int i = 0; i < O.sessions; i++) {
        int64_t l = lost(&ws[i]);
        if (l != 0)
            fprintf(stderr, "ag_load: session %d (%s): %" PRId64
                    " of %" PRId64 " replies not whole in history\n", i,
                    ws[i].session, l, ws[i].seq);
        lost_n += l < 0 ? ws[i].seq : l;
    }
    for (int i = 0; i < O.sessions; i++) {
        ws[i].lat0 = 0;
        ws[i].sent = ws[i].seq;
        ws[i].done = ws[i].tdone;
        ws[i].errors = ws[i].terrors;
        ws[i].gaps = ws[i].tgaps;
    }
    report(ws, "total", total_s, lost_n, O.pid ? rss_kib(O.pid) : -1, 0);
    for (int i = 0; i < O.sessions; i++)
        sim_free(ws[i].lat);
    sim_free(ws);
    sim_free(th);
    return errors == 0 && lost_n == 0 ? 0 : 1;
}

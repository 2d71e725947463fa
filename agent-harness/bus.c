/*
 * bus.c -- synchronous publish/subscribe with scoped unsubscribe.
 *
 * Subscriptions sit in a singly linked list in subscription order.  An
 * emit walks it with the bus lock released around each callback, so the
 * list must not lose a node under a walker's feet: unsubscribing only
 * marks a node dead while any emit is walking, and the last walker out
 * unlinks and frees the dead nodes ("reaping").  Each node counts the
 * calls running in it (`refs`), which is what unsubscribe waits on.
 *
 * Rejected: copying the matching subscribers into an array per emit.
 * It is simpler to reason about but allocates on every token of every
 * reply, and a failed allocation would drop an event.
 */
#include "agent-harness/bus.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "base/json.h"

struct ag_bus_sub {
    ag_bus *bus;
    char *session;          /* owned; NULL: every session */
    ag_bus_fn fn;
    void *ud;
    unsigned refs;          /* callbacks running now */
    unsigned waiters;       /* unsubscribers waiting for refs to drop */
    int dead;               /* unsubscribed: never called again */
    struct ag_bus_sub *next;
};

struct ag_bus {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a dead node's refs dropped */
    ag_bus_sub *head, *tail;
    unsigned walkers;       /* emits walking the list */
    size_t live;
};

/*
 * The callbacks this thread is inside, innermost first.  Unsubscribing
 * from inside a callback must not wait for that very call to finish, and
 * only the thread itself knows which calls are its own; a thread-local
 * chain of stack frames answers that without allocating.  It holds no
 * state between calls, so the bus stays reentrant.
 */
struct frame {
    const ag_bus_sub *sub;
    struct frame *up;
};
static _Thread_local struct frame *tl_frames;

int ag_bus_new(ag_bus **out)
{
    ag_bus *b = sim_calloc(1, sizeof *b);
    if (!b)
        return SIM_ENOMEM;
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        sim_free(b);
        return SIM_ENOMEM;
    }
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        sim_free(b);
        return SIM_ENOMEM;
    }
    *out = b;
    return SIM_OK;
}

static void sub_free(ag_bus_sub *s)
{
    sim_free(s->session);
    sim_free(s);
}

void ag_bus_free(ag_bus *b)
{
    if (!b)
        return;
    ag_bus_sub *s = b->head;
    while (s) {
        ag_bus_sub *next = s->next;
        sub_free(s);
        s = next;
    }
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    sim_free(b);
}

int ag_bus_subscribe(ag_bus *b, const char *session, ag_bus_fn fn,
                     void *ud, ag_bus_sub **out)
{
    ag_bus_sub *s = sim_calloc(1, sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    if (session) {
        s->session = sim_strdup(session);
        if (!s->session) {
            sim_free(s);
            return SIM_ENOMEM;
        }
    }
    s->bus = b;
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = s;
    else
        b->head = s;
    b->tail = s;
    b->live++;
    pthread_mutex_unlock(&b->mu);
    *out = s;
    return SIM_OK;
}

/* Unlinks and frees dead nodes nobody uses.  Called with the lock held
 * and no walker, so no emit holds a pointer into the list. */
static void reap(ag_bus *b)
{
    ag_bus_sub *prev = NULL, *s = b->head;
    while (s) {
        ag_bus_sub *next = s->next;
        if (s->dead && s->refs == 0 && s->waiters == 0) {
            if (prev)
                prev->next = next;
            else
                b->head = next;
            if (b->tail == s)
                b->tail = prev;
            sub_free(s);
        } else {
            prev = s;
        }
        s = next;
    }
}

void ag_bus_unsubscribe(ag_bus_sub *s)
{
    if (!s)
        return;
    ag_bus *b = s->bus;
    unsigned own = 0;
    for (const struct frame *f = tl_frames; f; f = f->up)
        if (f->sub == s)
            own++;
    pthread_mutex_lock(&b->mu);
    if (!s->dead) {
        s->dead = 1;
        b->live--;
    }
    s->waiters++;
    while (s->refs > own)
        pthread_cond_wait(&b->cv, &b->mu);
    s->waiters--;
    if (b->walkers == 0)
        reap(b);
    pthread_mutex_unlock(&b->mu);
}

static int matches(const ag_bus_sub *s, const ag_event *ev)
{
    if (s->dead)
        return 0;
    if (!s->session)
        return 1;
    return ev->session && strcmp(s->session, ev->session) == 0;
}

void ag_bus_emit(ag_bus *b, const ag_event *ev)
{
    pthread_mutex_lock(&b->mu);
    b->walkers++;
    for (ag_bus_sub *s = b->head; s; s = s->next) {
        if (!matches(s, ev))
            continue;
        s->refs++;
        pthread_mutex_unlock(&b->mu);
        struct frame f = {s, tl_frames};
        tl_frames = &f;
        s->fn(ev, s->ud);
        tl_frames = f.up;
        pthread_mutex_lock(&b->mu);
        s->refs--;
        if (s->dead && s->refs == 0)
            pthread_cond_broadcast(&b->cv);
    }
    b->walkers--;
    if (b->walkers == 0)
        reap(b);
    pthread_mutex_unlock(&b->mu);
}

size_t ag_bus_count(ag_bus *b)
{
    pthread_mutex_lock(&b->mu);
    size_t n = b->live;
    pthread_mutex_unlock(&b->mu);
    return n;
}

/* ---- JSON helpers ---------------------------------------------------- */

static cJSON *checked(cJSON *item, int *bad)
{
    if (!item)
        *bad = 1;
    return item;
}

cJSON *ag__jobj(int *bad)
{
    return *bad ? NULL : checked(cJSON_CreateObject(), bad);
}

cJSON *ag__jarr(int *bad)
{
    return *bad ? NULL : checked(cJSON_CreateArray(), bad);
}

void ag__jitem(cJSON *o, const char *k, cJSON *item, int *bad)
{
    if (!item || !sim_json_add(*bad ? NULL : o, k, item))
        *bad = 1;
}

void ag__jpush(cJSON *arr, cJSON *item, int *bad)
{
    if (!item || !sim_json_push(*bad ? NULL : arr, item))
        *bad = 1;
}

void ag__jstr(cJSON *o, const char *k, const char *v, int *bad)
{
    if (*bad)
        return;
    ag__jitem(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull(), bad);
}

/* Raw text, not a double: ids reach 2^53 and beyond. */
void ag__jint(cJSON *o, const char *k, int64_t v, int *bad)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    ag__jraw(o, k, buf, bad);
}

void ag__jbool(cJSON *o, const char *k, int v, int *bad)
{
    if (*bad)
        return;
    ag__jitem(o, k, cJSON_CreateBool(v != 0), bad);
}

void ag__jraw(cJSON *o, const char *k, const char *json, int *bad)
{
    if (*bad)
        return;
    ag__jitem(o, k, cJSON_CreateRaw(json), bad);
}

void ag__jusd(cJSON *o, const char *k, sim_fx usd, int *bad)
{
    char buf[64];
    sim_fx_format_trim(usd, SIM_FX_PLACES, buf, sizeof buf);
    ag__jraw(o, k, buf, bad);
}

char *ag__jprint(cJSON *o, int *bad)
{
    char *text = *bad ? NULL : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        *bad = 1;
    return text;
}

int ag__json_depth_ok(const char *s, size_t n, int max_depth)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;            /* skip the escaped character */
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (++depth > max_depth)
                return 0;
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return 1;
}

/*
 * test_bus.c -- the event bus: session filtering, order, scoped
 * unsubscribe (inside callbacks and across threads), and the JSON
 * helpers that live beside it.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-harness/bus.h"
#include "base/fixed.h"

typedef struct rec {
    char log[256];
    int calls;
} rec;

static void record(const ag_event *ev, void *ud)
{
    rec *r = ud;
    r->calls++;
    strncat(r->log, ev->type, sizeof r->log - strlen(r->log) - 1);
    strncat(r->log, ";", sizeof r->log - strlen(r->log) - 1);
}

static void emit(ag_bus *b, const char *session, const char *type)
{
    ag_event ev = {session, 1, type, "{}"};
    ag_bus_emit(b, &ev);
}

Test(bus, delivers_only_the_sessions_a_subscriber_asked_for)
{
    ag_bus *b;
    cr_assert_eq(ag_bus_new(&b), SIM_OK);
    rec one = {0}, all = {0};
    ag_bus_sub *s1, *s2;
    cr_assert_eq(ag_bus_subscribe(b, "s1", record, &one, &s1), SIM_OK);
    cr_assert_eq(ag_bus_subscribe(b, NULL, record, &all, &s2), SIM_OK);
    emit(b, "s1", "a");
    emit(b, "s2", "b");
    emit(b, "s1", "c");
    cr_assert_str_eq(one.log, "a;c;");
    cr_assert_str_eq(all.log, "a;b;c;");
    cr_assert_eq(ag_bus_count(b), 2);
    ag_bus_unsubscribe(s1);
    ag_bus_unsubscribe(s2);
    cr_assert_eq(ag_bus_count(b), 0);
    ag_bus_free(b);
}

/* Order of subscription is order of delivery. */
typedef struct order {
    char me;
} order;

static char order_log[16];

static void note(const ag_event *ev, void *ud)
{
    (void)ev;
    size_t n = strlen(order_log);
    order_log[n] = ((order *)ud)->me;
    order_log[n + 1] = '\0';
}

Test(bus, calls_subscribers_in_subscription_order)
{
    ag_bus *b;
    ag_bus_new(&b);
    order o[3] = {{'x'}, {'y'}, {'z'}};
    ag_bus_sub *s[3];
    for (int i = 0; i < 3; i++)
        ag_bus_subscribe(b, NULL, note, &o[i], &s[i]);
    order_log[0] = '\0';
    emit(b, "s", "t");
    cr_assert_str_eq(order_log, "xyz");
    for (int i = 0; i < 3; i++)
        ag_bus_unsubscribe(s[i]);
    ag_bus_free(b);
}

/* A callback that unsubscribes itself, or another subscription. */
typedef struct selfish {
    ag_bus_sub *me, *victim;
    int calls;
} selfish;

static void drop_self(const ag_event *ev, void *ud)
{
    (void)ev;
    selfish *s = ud;
    s->calls++;
    ag_bus_unsubscribe(s->me);
}

static void drop_other(const ag_event *ev, void *ud)
{
    (void)ev;
    selfish *s = ud;
    s->calls++;
    if (s->victim) {
        ag_bus_unsubscribe(s->victim);
        s->victim = NULL;
    }
}

Test(bus, unsubscribing_inside_its_own_callback_is_safe_and_final)
{
    ag_bus *b;
    ag_bus_new(&b);
    selfish s = {0};
    rec after = {0};
    ag_bus_sub *other;
    ag_bus_subscribe(b, NULL, drop_self, &s, &s.me);
    ag_bus_subscribe(b, NULL, record, &after, &other);
    emit(b, "s", "a");
    emit(b, "s", "b");
    cr_assert_eq(s.calls, 1, "called once, then gone");
    cr_assert_str_eq(after.log, "a;b;", "the next subscriber still runs");
    cr_assert_eq(ag_bus_count(b), 1);
    ag_bus_unsubscribe(other);
    ag_bus_free(b);
}

Test(bus, a_subscription_removed_mid_emit_is_not_called_later_in_it)
{
    ag_bus *b;
    ag_bus_new(&b);
    selfish s = {0};
    rec victim = {0};
    ag_bus_sub *first;
    ag_bus_subscribe(b, NULL, drop_other, &s, &first);
    ag_bus_subscribe(b, NULL, record, &victim, &s.victim);
    emit(b, "s", "a");
    cr_assert_eq(victim.calls, 0);
    ag_bus_unsubscribe(first);
    ag_bus_free(b);
}

/* Unsubscribe on one thread waits for the callback running on another;
 * after it returns the callback never runs again. */
typedef struct slow {
    atomic_int inside, finished, calls;
} slow;

static void sleepy(const ag_event *ev, void *ud)
{
    (void)ev;
    slow *s = ud;
    atomic_fetch_add(&s->calls, 1);
    atomic_store(&s->inside, 1);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store(&s->finished, 1);
}

static ag_bus *g_bus;

static void *emitter(void *arg)
{
    (void)arg;
    emit(g_bus, "s", "slow");
    return NULL;
}

Test(bus, unsubscribe_waits_for_a_callback_running_on_another_thread)
{
    ag_bus_new(&g_bus);
    slow s;
    atomic_init(&s.inside, 0);
    atomic_init(&s.finished, 0);
    atomic_init(&s.calls, 0);
    ag_bus_sub *sub;
    ag_bus_subscribe(g_bus, NULL, sleepy, &s, &sub);
    pthread_t t;
    pthread_create(&t, NULL, emitter, NULL);
    while (!atomic_load(&s.inside)) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ag_bus_unsubscribe(sub);
    cr_assert_eq(atomic_load(&s.finished), 1,
                 "unsubscribe returned while the callback still ran");
    emit(g_bus, "s", "again");
    cr_assert_eq(atomic_load(&s.calls), 1);
    pthread_join(t, NULL);
    ag_bus_free(g_bus);
}

/* Many threads emitting while others come and go: no crash, no call
 * after unsubscribe (the sanitizers watch the memory). */
typedef struct churn_sub {
    atomic_int calls;
    atomic_int closed;
} churn_sub;

static void churn_cb(const ag_event *ev, void *ud)
{
    (void)ev;
    churn_sub *c = ud;
    cr_assert_eq(atomic_load(&c->closed), 0, "called after unsubscribe");
    atomic_fetch_add(&c->calls, 1);
}

static void *churn_emit(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++)
        emit(g_bus, i % 2 ? "a" : "b", "x");
    return NULL;
}

static void *churn_sub_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        churn_sub *c = calloc(1, sizeof *c);
        ag_bus_sub *s;
        ag_bus_subscribe(g_bus, i % 3 ? NULL : "a", churn_cb, c, &s);
        sched_yield();
        ag_bus_unsubscribe(s);
        atomic_store(&c->closed, 1);
        free(c);
    }
    return NULL;
}

Test(bus, concurrent_emit_subscribe_and_unsubscribe)
{
    ag_bus_new(&g_bus);
    pthread_t e[3], s[3];
    for (int i = 0; i < 3; i++) {
        pthread_create(&e[i], NULL, churn_emit, NULL);
        pthread_create(&s[i], NULL, churn_sub_thread, NULL);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(e[i], NULL);
        pthread_join(s[i], NULL);
    }
    cr_assert_eq(ag_bus_count(g_bus), 0);
    ag_bus_free(g_bus);
}

Test(bus, json_helpers_print_exact_integers_and_dollars)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jint(o, "id", (int64_t)((uint64_t)7 << 32) + 1, &bad);
    ag__jusd(o, "usd", SIM_FX_ONE / 1000000 * 24, &bad);
    ag__jusd(o, "zero", 0, &bad);
    ag__jstr(o, "s", "a\"b\n", &bad);
    ag__jstr(o, "n", NULL, &bad);
    char *s = ag__jprint(o, &bad);
    cr_assert_eq(bad, 0);
    cr_assert_str_eq(s, "{\"id\":30064771073,\"usd\":0.000024,\"zero\":0,"
                        "\"s\":\"a\\\"b\\n\",\"n\":null}");
    free(s);
}

Test(bus, json_helpers_make_failure_sticky)
{
    int bad = 1;
    cr_assert_null(ag__jobj(&bad));
    ag__jstr(NULL, "k", "v", &bad);
    cr_assert_null(ag__jprint(NULL, &bad));
    cr_assert_eq(bad, 1);
}

Test(bus, json_depth_check_counts_nesting_outside_strings)
{
    const char *ok = "{\"a\":[1,{\"b\":\"[[[[{{{{\\\"\"}]}";
    cr_assert(ag__json_depth_ok(ok, strlen(ok), 3));
    cr_assert_not(ag__json_depth_ok(ok, strlen(ok), 2));
    char deep[5001];
    memset(deep, '[', 5000);
    deep[5000] = '\0';
    cr_assert_not(ag__json_depth_ok(deep, 5000, 32));
}

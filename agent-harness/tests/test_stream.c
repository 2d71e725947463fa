/*
 * test_stream.c -- the per-session stream ring: ids, resuming after an
 * id, the event and byte caps, gap counts for slow readers, timeouts,
 * close, and a producer racing a reader.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent-harness/stream.h"
#include "base/fixed.h"

static void push_n(ag_stream *s, int n)
{
    for (int i = 0; i < n; i++) {
        char data[32];
        snprintf(data, sizeof data, "{\"n\":%d}", i);
        cr_assert_eq(ag_stream_push(s, "token", data, NULL), SIM_OK);
    }
}

static uint64_t read_ok(ag_stream *s, uint64_t after, uint64_t *missed,
                        char *data, size_t size)
{
    ag_stream_item it;
    cr_assert_eq(ag_stream_read(s, after, 0, &it, missed), SIM_OK);
    if (data)
        snprintf(data, size, "%s", it.data);
    uint64_t id = it.id;
    ag_stream_item_fini(&it);
    return id;
}

Test(stream, ids_start_at_the_first_id_and_increase)
{
    ag_stream *s;
    cr_assert_eq(ag_stream_new(8, 1 << 20, 100, &s), SIM_OK);
    cr_assert_eq(ag_stream_last_id(s), 99);
    uint64_t a, b;
    ag_stream_push(s, "token", "{}", &a);
    ag_stream_push(s, "done", "{}", &b);
    cr_assert_eq(a, 100);
    cr_assert_eq(b, 101);
    cr_assert_eq(ag_stream_last_id(s), 101);
    cr_assert_eq(ag_stream_first_id(s), 100);
    ag_stream_free(s);
}

Test(stream, a_reader_resumes_after_its_last_event_id)
{
    ag_stream *s;
    ag_stream_new(8, 1 << 20, 1, &s);
    push_n(s, 5);
    uint64_t missed;
    char data[32];
    cr_assert_eq(read_ok(s, 2, &missed, data, sizeof data), 3);
    cr_assert_eq(missed, 0);
    cr_assert_str_eq(data, "{\"n\":2}");
    cr_assert_eq(read_ok(s, 0, &missed, NULL, 0), 1, "0 means from the start");
    ag_stream_free(s);
}

Test(stream, a_reader_that_fell_behind_is_told_how_many_it_lost)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1, &s);
    push_n(s, 10);      /* ids 1..10; the ring keeps 7..10 */
    cr_assert_eq(ag_stream_count(s), 4);
    uint64_t missed;
    cr_assert_eq(read_ok(s, 2, &missed, NULL, 0), 7);
    cr_assert_eq(missed, 4, "ids 3, 4, 5 and 6 are gone");
    cr_assert_eq(read_ok(s, 7, &missed, NULL, 0), 8);
    cr_assert_eq(missed, 0);
    ag_stream_free(s);
}

Test(stream, ids_from_an_earlier_run_count_only_this_runs_losses)
{
    ag_stream *s;
    ag_stream_new(2, 1 << 20, 1000, &s);
    push_n(s, 5);       /* 1000..1004, keeps 1003, 1004 */
    uint64_t missed;
    cr_assert_eq(read_ok(s, 17, &missed, NULL, 0), 1003);
    cr_assert_eq(missed, 3, "1000..1002, not the ids before 1000");
    ag_stream_free(s);
}

Test(stream, the_byte_cap_drops_the_oldest_events)
{
    ag_stream *s;
    /* each event: "token\0" + 8 bytes of data + NUL = 15 bytes */
    ag_stream_new(100, 50, 1, &s);
    for (int i = 0; i < 10; i++)
        ag_stream_push(s, "token", "{\"n\":10}", NULL);
    cr_assert_eq(ag_stream_count(s), 3);
    cr_assert_leq(ag_stream_bytes(s), 50);
    /* An event bigger than the cap is still kept, alone. */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ag_stream_push(s, "token", big, NULL);
    cr_assert_eq(ag_stream_count(s), 1);
    ag_stream_free(s);
}

Test(stream, reading_with_nothing_new_times_out)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1, &s);
    push_n(s, 1);
    ag_stream_item it;
    uint64_t missed;
    cr_assert_eq(ag_stream_read(s, 1, 0, &it, &missed), AG_STREAM_TIMEOUT);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(ag_stream_read(s, 1, 50, &it, &missed), AG_STREAM_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_geq(ms, 45.0);
    ag_stream_free(s);
}

Test(stream, an_id_beyond_the_newest_reads_from_the_newest)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1, &s);
    push_n(s, 2);
    ag_stream_item it;
    uint64_t missed;
    cr_assert_eq(ag_stream_read(s, 99, 0, &it, &missed), AG_STREAM_TIMEOUT);
    push_n(s, 1);
    cr_assert_eq(ag_stream_read(s, 99, 0, &it, &missed), AG_STREAM_TIMEOUT,
                 "clamped at each call: a reader must clamp once itself");
    ag_stream_free(s);
}

Test(stream, an_empty_ring_has_nothing_for_an_old_reader)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1000, &s);
    ag_stream_item it;
    uint64_t missed;
    cr_assert_eq(ag_stream_read(s, 0, 0, &it, &missed), AG_STREAM_TIMEOUT);
    cr_assert_eq(ag_stream_read(s, 5, 0, &it, &missed), AG_STREAM_TIMEOUT);
    push_n(s, 1);
    cr_assert_eq(read_ok(s, 5, &missed, NULL, 0), 1000);
    cr_assert_eq(missed, 0);
    ag_stream_free(s);
}

static void *close_later(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ag_stream_close(arg);
    return NULL;
}

Test(stream, close_wakes_a_blocked_reader_after_it_drains)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1, &s);
    push_n(s, 1);
    pthread_t t;
    pthread_create(&t, NULL, close_later, s);
    ag_stream_item it;
    uint64_t missed;
    cr_assert_eq(read_ok(s, 0, &missed, NULL, 0), 1, "held events drain");
    cr_assert_eq(ag_stream_read(s, 1, -1, &it, &missed), AG_STREAM_CLOSED);
    pthread_join(t, NULL);
    cr_assert_eq(ag_stream_push(s, "token", "{}", NULL), AG_STREAM_CLOSED);
    ag_stream_free(s);
}

Test(stream, references_keep_the_ring_alive)
{
    ag_stream *s;
    ag_stream_new(4, 1 << 20, 1, &s);
    ag_stream *t = ag_stream_retain(s);
    ag_stream_free(s);
    cr_assert_eq(ag_stream_push(t, "token", "{}", NULL), SIM_OK);
    ag_stream_free(t);
    ag_stream_free(NULL);
}

Test(stream, bad_arguments_are_refused)
{
    ag_stream *s;
    cr_assert_eq(ag_stream_new(0, 10, 1, &s), SIM_EINVAL);
    cr_assert_eq(ag_stream_new(1, 10, 0, &s), SIM_EINVAL);
}

/* A producer far faster than the reader: every id is either received or
 * counted as missed, ids only increase, and memory stays at the cap. */
#define RACE_N 20000

static void *producer(void *arg)
{
    ag_stream *s = arg;
    for (int i = 0; i < RACE_N; i++)
        ag_stream_push(s, "token", "{\"text\":\"lorem \"}", NULL);
    ag_stream_close(s);
    return NULL;
}

Test(stream, a_slow_reader_accounts_for_every_event)
{
    ag_stream *s;
    ag_stream_new(16, 1 << 20, 1, &s);
    pthread_t t;
    pthread_create(&t, NULL, producer, s);
    uint64_t after = 0, got = 0, lost = 0;
    for (;;) {
        ag_stream_item it;
        uint64_t missed;
        int rc = ag_stream_read(s, after, -1, &it, &missed);
        if (rc == AG_STREAM_CLOSED)
            break;
        cr_assert_eq(rc, SIM_OK);
        cr_assert_gt(it.id, after);
        cr_assert_eq(it.id, after + missed + 1);
        cr_assert_leq(ag_stream_count(s), 16);
        got++;
        lost += missed;
        after = it.id;
        ag_stream_item_fini(&it);
    }
    pthread_join(t, NULL);
    cr_assert_eq(got + lost, RACE_N);
    ag_stream_free(s);
}

/*
 * stream.c -- the bounded event ring.
 *
 * Slots form a circular array of cap_events entries; entry i from the
 * head has id head_id + i, so finding an id is arithmetic, not a search.
 * Each entry owns one allocation holding type and data back to back.
 */
#include "agent-harness/stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/fixed.h"

typedef struct entry {
    char *type;             /* owned; data follows the type's NUL */
    const char *data;
    size_t bytes;
} entry;

struct ag_stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a push or a close */
    entry *slots;
    size_t cap, cap_bytes;
    size_t head, len;       /* entries slots[(head + i) % cap], i < len */
    size_t bytes;
    uint64_t first_id;      /* id of the first push ever */
    uint64_t head_id;       /* id of slots[head] (next id when empty) */
    int closed;
    unsigned refs;
};

int ag_stream_new(size_t cap_events, size_t cap_bytes, uint64_t first_id,
                  ag_stream **out)
{
    if (cap_events < 1 || cap_bytes < 1 || first_id < 1)
        return SIM_EINVAL;
    ag_stream *s = sim_calloc(1, sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    s->slots = sim_calloc(cap_events, sizeof *s->slots);
    if (!s->slots)
        goto fail;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    /* Timed waits measure a monotonic clock, so a wall-clock step does
     * not fire or delay SSE keep-alives. */
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mu;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto fail_mu;
    s->cap = cap_events;
    s->cap_bytes = cap_bytes;
    s->first_id = first_id;
    s->head_id = first_id;
    s->refs = 1;
    *out = s;
    return SIM_OK;
fail_mu:
    pthread_mutex_destroy(&s->mu);
fail:
    sim_free(s->slots);
    sim_free(s);
    return SIM_ENOMEM;
}

ag_stream *ag_stream_retain(ag_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->refs++;
    pthread_mutex_unlock(&s->mu);
    return s;
}

void ag_stream_free(ag_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    unsigned left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left > 0)
        return;
    for (size_t i = 0; i < s->len; i++)
        sim_free(s->slots[(s->head + i) % s->cap].type);
    sim_free(s->slots);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    sim_free(s);
}

/* Drops the oldest entry.  The lock is held and the ring is not empty. */
static void drop_oldest(ag_stream *s)
{
    entry *e = &s->slots[s->head];
    s->bytes -= e->bytes;
    sim_free(e->type);
    e->type = NULL;
    s->head = (s->head + 1) % s->cap;
    s->len--;
    s->head_id++;
}

int ag_stream_push(ag_stream *s, const char *type, const char *data,
                   uint64_t *id)
{
    size_t tl = strlen(type), dl = strlen(data);
    /* Allocate before locking: readers should not wait on malloc. */
    char *mem = sim_alloc(tl + dl + 2);
    if (!mem)
        return SIM_ENOMEM;
    memcpy(mem, type, tl + 1);
    memcpy(mem + tl + 1, data, dl + 1);
    size_t bytes = tl + dl + 2;

    pthread_mutex_lock(&s->mu);
    if (s->closed) {
        pthread_mutex_unlock(&s->mu);
        sim_free(mem);
        return AG_STREAM_CLOSED;
    }
    /* A single event larger than the byte cap is still kept, alone:
     * dropping the newest event would lose the one the readers wait on. */
    while (s->len > 0 && (s->len == s->cap || s->bytes + bytes > s->cap_bytes))
        drop_oldest(s);
    entry *e = &s->slots[(s->head + s->len) % s->cap];
    e->type = mem;
    e->data = mem + tl + 1;
    e->bytes = bytes;
    s->len++;
    s->bytes += bytes;
    uint64_t nid = s->head_id + s->len - 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (id)
        *id = nid;
    return SIM_OK;
}

static void deadline_after(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Copies the entry with id `id` (held) into *out.  Lock held. */
static int copy_out(ag_stream *s, uint64_t id, ag_stream_item *out)
{
    const entry *e = &s->slots[(s->head + (size_t)(id - s->head_id)) % s->cap];
    out->id = id;
    out->type = sim_strdup(e->type);
    out->data = sim_strdup(e->data);
    if (!out->type || !out->data) {
        ag_stream_item_fini(out);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

int ag_stream_read(ag_stream *s, uint64_t after, int64_t timeout_ms,
                   ag_stream_item *out, uint64_t *missed)
{
    struct timespec dl;
    if (timeout_ms > 0)
        deadline_after(&dl, timeout_ms);
    out->type = out->data = NULL;
    *missed = 0;
    pthread_mutex_lock(&s->mu);
    uint64_t next = s->head_id + s->len;        /* the id of the next push */
    if (after >= next)
        after = next - 1;
    for (;;) {
        next = s->head_id + s->len;
        if (s->len > 0 && after + 1 < next)
            break;      /* the newest event held is one the reader lacks */
        if (s->closed) {
            pthread_mutex_unlock(&s->mu);
            return AG_STREAM_CLOSED;
        }
        if (timeout_ms == 0) {
            pthread_mutex_unlock(&s->mu);
            return AG_STREAM_TIMEOUT;
        }
        int rc = timeout_ms < 0 ? pthread_cond_wait(&s->cv, &s->mu)
                                : pthread_cond_timedwait(&s->cv, &s->mu, &dl);
        if (rc == ETIMEDOUT &&
            !(s->len > 0 && after + 1 < s->head_id + s->len)) {
            pthread_mutex_unlock(&s->mu);
            return AG_STREAM_TIMEOUT;
        }
    }
    uint64_t want = after + 1;
    if (want < s->head_id) {
        uint64_t from = want > s->first_id ? want : s->first_id;
        *missed = s->head_id - from;
        want = s->head_id;
    }
    int rc = copy_out(s, want, out);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void ag_stream_item_fini(ag_stream_item *it)
{
    sim_free(it->type);
    sim_free(it->data);
    it->type = it->data = NULL;
}

uint64_t ag_stream_last_id(ag_stream *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t id = s->head_id + s->len - 1;
    pthread_mutex_unlock(&s->mu);
    return id;
}

uint64_t ag_stream_first_id(const ag_stream *s)
{
    return s->first_id;     /* set once at creation: no lock needed */
}

size_t ag_stream_count(ag_stream *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->len;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t ag_stream_bytes(ag_stream *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->bytes;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void ag_stream_close(ag_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

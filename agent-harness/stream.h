/*
 * stream.h -- a session's stream buffer: a bounded ring of its most
 * recent events with increasing ids, so a reader that reconnects with
 * Last-Event-ID gets what it missed.
 *
 * Ids.  Each push gets the next id, starting at the ring's first id; ids
 * are never reused.  The agent starts a ring at (boot << 32) + 1, where
 * boot counts the store's openings, so ids also keep increasing across a
 * restart and an id from an earlier run is recognisably old.
 *
 * Cap and backpressure.  The ring keeps at most `cap_events` events (the
 * config's stream_buffer, default 1024) and at most `cap_bytes` bytes of
 * type and data; a push that would exceed either drops the oldest events.
 * A push never blocks and never waits for readers: the producer is a
 * model streaming tokens, and a slow client must not slow every other
 * client's reply or grow memory without bound.  A reader that falls more
 * than the ring behind is told so: its next read returns the oldest event
 * still held together with the number of events it lost (`missed`), and
 * the server turns that into an explicit `event: gap`.
 *
 * Thread safety: every function may be called from any thread.  Readers
 * block in ag_stream_read until an event arrives, the timeout passes or
 * the ring is closed.
 *
 * Lifetime: a ring is reference counted.  ag_stream_new returns one
 * reference; ag_stream_retain adds one; ag_stream_free drops one and
 * frees the ring with the last.
 */
#ifndef AG_STREAM_H
#define AG_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Read results besides SIM_OK (base/fixed.h); never renumber. */
enum {
    AG_STREAM_TIMEOUT = 20,     /* nothing new within the timeout */
    AG_STREAM_CLOSED = 21       /* closed, and nothing new is left */
};

/* Default byte cap: 1024 events of a few KiB each. */
#define AG_STREAM_DEFAULT_BYTES ((size_t)4 << 20)

typedef struct ag_stream ag_stream;    /* opaque */

/* One event as a reader gets it; the strings are the reader's copies. */
typedef struct ag_stream_item {
    uint64_t id;
    char *type;                 /* owned */
    char *data;                 /* owned */
} ag_stream_item;

/*
 * Creates an empty ring holding at most cap_events (>= 1) events and
 * cap_bytes bytes, whose first push gets `first_id` (>= 1).  Returns
 * SIM_OK, SIM_EINVAL or SIM_ENOMEM.
 */
int ag_stream_new(size_t cap_events, size_t cap_bytes, uint64_t first_id,
                  ag_stream **out /* OUT */);

/* Adds a reference.  Returns s. */
ag_stream *ag_stream_retain(ag_stream *s);

/* Drops a reference; the last one frees the ring.  NULL is a no-op. */
void ag_stream_free(ag_stream *s);

/*
 * Appends an event (copies type and data) and wakes readers.  *id, when
 * not NULL, receives its id.  Returns SIM_OK, SIM_ENOMEM (nothing
 * appended) or AG_STREAM_CLOSED (ignored after ag_stream_close).
 */
int ag_stream_push(ag_stream *s, const char *type, const char *data,
                   uint64_t *id /* OUT, may be NULL */);

/*
 * Gets the first event after id `after` into *out (release it with
 * ag_stream_item_fini).  *missed is the number of events after `after`
 * that the ring no longer holds (0 when the reader kept up); ids from
 * before the first id count as nothing missed in this ring's run.  An
 * `after` beyond the newest id is treated as the newest id (at each call:
 * a reader given a bogus id should clamp it once with ag_stream_last_id).
 *
 * Waits up to timeout_ms (< 0: forever, 0: not at all).  Returns SIM_OK,
 * AG_STREAM_TIMEOUT, AG_STREAM_CLOSED (closed and drained) or
 * SIM_ENOMEM.
 */
int ag_stream_read(ag_stream *s, uint64_t after, int64_t timeout_ms,
                   ag_stream_item *out /* OUT */,
                   uint64_t *missed /* OUT */);

void ag_stream_item_fini(ag_stream_item *it);

/* The newest id pushed, or first id - 1 when none. */
uint64_t ag_stream_last_id(ag_stream *s);

/* The id the first push got (or will get). */
uint64_t ag_stream_first_id(const ag_stream *s);

/* Events and bytes held now (for tests and metrics). */
size_t ag_stream_count(ag_stream *s);
size_t ag_stream_bytes(ag_stream *s);

/* Ends the stream: pushes are ignored, and readers drain what is held
 * and then get AG_STREAM_CLOSED instead of waiting.  Idempotent. */
void ag_stream_close(ag_stream *s);

#endif

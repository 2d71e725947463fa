/*
 * evq.h -- the pending-event set of a discrete-event engine.
 *
 * Events carry a time in integer ticks (the caller picks the unit; the
 * pool uses microseconds), a priority, and an insertion sequence number
 * that the queue assigns, and they leave the queue in one total order:
 *
 *     earlier time first; at equal times, lower priority first; at equal
 *     time and priority, the event scheduled first (lower sequence) first.
 *
 * So two runs that schedule the same events in the same order pop them in
 * the same order, on any machine: ties never depend on memory layout or on
 * the heap's shape.
 *
 * Two containers hold the events, and pop takes the least of both:
 *
 *  - a 4-ary min-heap for events scheduled at arbitrary times;
 *  - FIFO lanes for timers whose times arrive already sorted -- a
 *    constant delay added to a clock that never goes back, such as
 *    provisioning or a periodic tick.  A lane is a ring buffer: push and
 *    pop are O(1), and pop compares the heap top with each lane's head,
 *    so a queue should have a handful of lanes, not thousands.
 *
 * Cancellation is lazy: cancel marks the event dead in O(1) and pop or
 * peek discards it when it reaches the front; when dead entries outnumber
 * live ones a container is compacted, so memory stays within twice the
 * live events.  evq.c records the measurements behind both choices.
 *
 * A queue has no global state; the struct is allocated by the caller and
 * its fields are private.  Nothing is allocated until the first event.
 * The queue holds no caller memory: kind and payload are plain integers
 * (an index, or a pointer cast through uintptr_t) handed back as given.
 */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

/* One event, as pop and peek return it. */
typedef struct evq_event {
    int64_t time;       /* ticks */
    int prio;           /* lower runs first at equal times */
    int kind;           /* the caller's, returned as given */
    uint64_t seq;       /* insertion order, from 1, unique in a queue */
    uint64_t payload;   /* the caller's, returned as given */
} evq_event;

/* Names one scheduled event for cancel.  A zeroed handle names nothing,
 * and a handle never names a later event: sequence numbers are not
 * reused. */
typedef struct evq_handle {
    uint64_t seq;
    uint32_t slot;
} evq_handle;

/* Private: a queued entry and a lane of them. */
typedef struct evq__entry {
    int64_t time;
    uint64_t seq;
    int32_t prio;
    uint32_t slot;      /* index of its node */
} evq__entry;

typedef struct evq__lane {
    evq__entry *v;
    size_t cap;         /* a power of two, or 0 */
    size_t head, len;   /* entries v[(head + i) & (cap - 1)], i < len */
    size_t dead;        /* cancelled entries still in v */
} evq__lane;

/* Private: what an event carries besides its key, one per slot. */
typedef struct evq__node {
    uint64_t seq;       /* of the event using the slot, 0 when none */
    uint64_t payload;
    int32_t kind;
    uint32_t aux;       /* unused slot: the next free one; pending: where
                           its entry is (AUX_HEAP, or a lane's tag) */
} evq__node;

typedef struct evq {
    evq__entry *heap;
    size_t nheap, capheap, heap_dead;
    evq__lane *lanes;
    int nlanes;
    evq__node *nodes;
    uint32_t nnodes, capnodes, free_head;
    uint64_t next_seq;
    size_t live;        /* scheduled, not popped, not cancelled */
} evq;

/* Initialises an empty queue.  Never fails (allocation is deferred). */
void evq_init(evq *q);

/* Frees everything the queue holds; the struct may be reused after
 * evq_init.  Pending events are dropped. */
void evq_fini(evq *q);

/*
 * Schedules an event in the heap.  Writes its handle to *h unless h is
 * NULL.  Returns SIM_OK, SIM_ENOMEM (the queue is unchanged), or
 * SIM_ERANGE when the queue already holds 2^31 events.
 */
int evq_schedule(evq *q, int64_t time, int prio, int kind, uint64_t payload,
                 evq_handle *h /* OUT, may be NULL */);

/* Opens a FIFO lane and writes its number to *lane.  SIM_OK,
 * SIM_ENOMEM, or SIM_ERANGE past EVQ_MAX_LANES lanes. */
#define EVQ_MAX_LANES 64

int evq_lane_open(evq *q, int *lane /* OUT */);

/*
 * Schedules an event in a lane.  A lane must receive events in their
 * order: (time, prio) not below the lane's last scheduled event, else
 * SIM_EINVAL and nothing is scheduled.  Otherwise as evq_schedule.
 */
int evq_lane_schedule(evq *q, int lane, int64_t time, int prio, int kind,
                      uint64_t payload, evq_handle *h /* OUT, may be NULL */);

/* Cancels a pending event: 1 when it was pending, 0 when it has already
 * been popped or cancelled (or h names nothing). */
int evq_cancel(evq *q, evq_handle h);

/* Removes the least pending event into *ev: 1, or 0 when none is
 * pending. */
int evq_pop(evq *q, evq_event *ev /* OUT */);

/* As evq_pop without removing it (it may discard cancelled entries). */
int evq_peek(evq *q, evq_event *ev /* OUT */);

/* The number of pending events (cancelled ones not counted). */
size_t evq_size(const evq *q);

#endif

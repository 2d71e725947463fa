/*
 * pool.h -- a shared pool of instances: fixed or autoscaled, queueing
 * when saturated.
 *
 * An instance serves up to `slots` messages at once.  An arriving message
 * starts on a ready instance with a free slot (the least loaded one, ties
 * to the lowest number); with none free it joins one FIFO queue, or is
 * refused when the queue holds `queue_limit` messages already.  A message
 * leaving frees its slot for the head of the queue.
 *
 * Autoscaling tracks a target: every `metric_period` the pool measures its
 * utilisation (busy slots over the ready instances' slots, averaged over
 * the period, queued messages counted as busy slots).  After the metric
 * has stayed above target for `scale_out_after` the pool asks for
 * ceil(ready x metric / target) instances (at most max); new instances
 * are ready `provision_s` later.  After it has stayed below target for
 * `scale_in_after` it shrinks to that figure (at least min), idle
 * instances first, busy ones finishing their messages before they stop.
 * No scaling action follows another within `cooldown`.
 *
 * Precisely (pool.c; tests/test_pool.c works examples by hand):
 *  - Placement: the ready instance with the fewest busy slots, ties to
 *    the lowest number; instance numbers are reused, a new instance
 *    taking the lowest free one.
 *  - The metric: slots busy (on every instance) plus messages queued,
 *    over the slots that can take a message -- a ready instance's slots,
 *    and only the busy ones of an instance that is draining -- each
 *    integrated over the period.  No such slots: any load is infinitely
 *    above target, none is 0.  "Above" and "below" are strict: a period
 *    exactly at target ends both runs.  A run starts at the beginning of
 *    its first period, so with a 60 s period and scale_out_after 180 s
 *    the third period above acts.
 *  - ready x metric / target is computed as the period's mean of busy
 *    plus queued slots over slots x target, which is the same when the
 *    ready count is steady and defined when it is 0.  The figure is
 *    clamped to [min, max]; a scale-out acts only if it exceeds the
 *    instances ready or starting, a scale-in only if it is below.
 *  - Scale-out first takes back draining instances (at once, lowest
 *    number first), then starts new ones.  Scale-in stops instances still
 *    starting (newest first), then idle ones (highest number first), then
 *    drains the least busy (ties: highest number first); a draining
 *    instance takes no message and stops when its last one leaves.
 *  - A decision the cooldown blocks is taken the moment it ends, with the
 *    last period's figures, not at the next metric.
 *  - Instance-seconds, busy time and the metric are integrated between
 *    events: there is no event per billing tick.
 *
 * Times are seconds, rounded to whole microseconds (llround(t * 1e6)) so
 * that events are ordered exactly; they run in the total order (time,
 * priority, insertion sequence) of the event queue (evq.h).  At equal
 * times a departure runs first, then an instance becoming ready, an
 * arrival, a metric, a deferred decision.  Events at the horizon H run;
 * later ones do not.  The pool starts with `instances` ready instances
 * (autoscale: max(min, instances)).  It draws no random numbers: the
 * same messages give bit-identical statistics.
 */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include <stdint.h>

#include "sim/workload.h"

typedef struct sim_pool_params {
    double horizon;
    int64_t slots;              /* concurrent messages per instance, >= 1 */
    int64_t instances;          /* initial (fixed: constant) */
    int autoscale;
    int64_t min, max;
    double target;              /* utilisation the autoscaler aims at, (0,1] */
    /* The scaling timers are always taken as given; the defaults are
     * the scenario layer's, applied before the pool is called. */
    double metric_period;       /* default 60 s */
    double scale_out_after;     /* default 180 s */
    double scale_in_after;      /* default 900 s */
    double cooldown;            /* default 300 s */
    double provision_s;         /* start-up of a new instance */
    int64_t queue_limit;        /* < 0: unbounded; 0: refuse when full */
    double granularity;         /* each instance run bills in whole units
                                   (0: none), from its start (provisioning
                                   included) to its stop or to H */
    double minimum;             /* and at least this long */
    double bill_cap;            /* each instance -- by number, one machine
                                   stopped and started again -- bills at
                                   most this much of the horizon (Fly: a
                                   month's price); 0: no cap */
} sim_pool_params;

#define SIM_POOL_WAIT_BINS 512
#define SIM_POOL_TIMELINE 1024

typedef struct sim_pool_stats {
    uint64_t messages;          /* arrivals at or before the horizon */
    uint64_t served;            /* started service */
    uint64_t refused;           /* turned away by a full queue */
    uint64_t queued;            /* joined the queue (served or not) */
    uint64_t scale_outs, scale_ins;
    double instance_s;          /* instance-seconds running (incl. starting) */
    double billed_s;            /* after granularity and minimum per run */
    double busy_s;              /* message-seconds in service before H */
    double wait_s;              /* total queueing wait of served messages
                                   (those still queued at H not counted) */
    int64_t instances_peak;     /* most running or starting at once */
    /* Queueing waits of served messages on a log scale: bin i holds waits
     * in [wait_bin_lo(i), wait_bin_lo(i+1)); bin 0 holds zero waits.
     * wait_bin_lo(i) = 1e-3 x 10^(9 (i - 1) / 510) s for i >= 1: 510 bins
     * of 4.1 % over nine decades from 1 ms; bin 1 also holds waits under
     * 1 ms and bin 511 all from 10^6 s. */
    uint64_t wait_hist[SIM_POOL_WAIT_BINS];
    /* Instances running or starting, averaged over SIM_POOL_TIMELINE
     * equal slices of the horizon (slice i: [i H / 1024, (i + 1) H / 1024)
     * to the microsecond), for charts. */
    double timeline[SIM_POOL_TIMELINE];
} sim_pool_stats;

/*
 * Runs the pool over the messages of `src` (any source of time-ordered
 * messages: `next` returns 1 and fills *m, or 0 at the end) and fills
 * `st`.  `next` is called lazily, once per arrival, and not again after
 * a message past the horizon, so an endless source is fine.  A message
 * earlier than the pool's clock is taken as arriving now.  Returns
 * SIM_OK or SIM_ENOMEM (st then holds partial counts).
 */
int sim_pool_run(const sim_pool_params *p,
                 int (*next)(void *ctx, sim_msg *m), void *ctx,
                 sim_pool_stats *st /* OUT */);

/* The p-quantile (0..1) of queueing waits over served messages, seconds:
 * 0 while p falls among the zero waits (or nobody was served), else
 * interpolated linearly within the bin that holds rank p x served. */
double sim_pool_wait_quantile(const sim_pool_stats *st, double p);

/* Internal to sim/: the wait_hist bin of a wait of `w` ticks
 * (microseconds), so that every engine filling a sim_pool_stats bins
 * alike (fifo.c). */
int sim__pool_wait_bin(int64_t w);

#endif

/*
 * fifo.h -- a fixed pool without an event queue: the fast path for pools
 * that never scale.
 *
 * A pool that does not autoscale (sim_pool_params.autoscale == 0) is
 * c = instances x slots interchangeable servers before one FIFO queue.
 * Placement (pool.h) decides which instance serves a message, but a
 * message starts the moment any slot is free, so no statistic the pool
 * reports depends on which: the pool is a G/G/c queue, and its messages
 * start in the order they arrive.  Message n, arriving at a_n with
 * service s_n, starts at
 *
 *     start_n = max(a_n, the earliest time a server is free after
 *                        messages 1 .. n-1 took theirs)
 *
 * and leaves that server free at start_n + s_n (the Kiefer-Wolfowitz
 * recursion).  It waited iff start_n > a_n; it is refused iff it would
 * wait and queue_limit >= 0 accepted messages have arrived before it and
 * start after a_n (those are the queue it finds).  Refused messages
 * take no server.  So one pass over the messages in arrival order, with
 * the busy servers' free times bucketed by time (fifo.c), replaces the
 * event queue and every departure event.
 *
 * The rules are sim_pool_run's, to the tick (pool.h):
 *  - times are llround(t x 10^6) microseconds; a message earlier than
 *    the one before it arrives with it; a message after the horizon H is
 *    neither counted nor is the source pulled again;
 *  - a server freed at tick t serves a message arriving at t (pool.c runs
 *    departures before arrivals at equal times), so "free" is free_time
 *    <= a_n;
 *  - a message whose start falls at or before H is served (its wait and
 *    its service up to H count); one that would start later was queued
 *    and never served;
 *  - the instances run [0, H]: instance-seconds instances x H, each
 *    billed as one run (granularity, minimum, cap), the timeline and the
 *    peak the instance count.
 *
 * Results against sim_pool_run on the same messages: messages, served,
 * refused, queued, wait_hist, billed_s and instances_peak are identical,
 * bit for bit, always.  wait_s, busy_s, instance_s and timeline are sums
 * of whole ticks: this engine keeps wait and busy in integers (exact
 * whatever the order they are added in, which sim_fifo_run_many needs)
 * and pool.c in doubles, exact while below 2^53 ticks (285 years: busy_s
 * past that needs ~3,400 slots busy on average for a month, instance_s
 * ~3,400 instances for a month), so the two are identical up to there.
 * Beyond that pool.c rounds per interval between events and this engine
 * once (instance_s, timeline, and the conversion of wait and busy), and
 * they may differ in the last bits: a relative 10^-16 per addition.
 *
 * Nothing here draws random numbers or keeps global state.
 */
#ifndef SIM_FIFO_H
#define SIM_FIFO_H

#include "sim/pool.h"
#include "sim/workload.h"

/*
 * Runs the fixed pool `p` over the messages of `src` (as sim_pool_run:
 * `next` returns 1 and fills *m, or 0 at the end, and is called once per
 * message, never again after one past the horizon) and fills `st` as
 * sim_pool_run would.  The caller keeps ownership of p and ctx.
 * Memory: the free times of at most min(c, the messages in service or
 * departed within about four mean services) servers, a wheel of about
 * eight slots each, and with a queue limit L the start times of at most
 * L waiting messages; nothing per message.
 * Returns SIM_OK, SIM_EINVAL when p->autoscale is set (that pool needs
 * sim_pool_run), or SIM_ENOMEM (st then holds the counts so far).
 */
int sim_fifo_run(const sim_pool_params *p,
                 int (*next)(void *ctx, sim_msg *m), void *ctx,
                 sim_pool_stats *st /* OUT */);

/*
 * Runs n fixed pools p[0..n) (one horizon) over one pass of `src`: each
 * message is drawn once, and st[k] is what sim_fifo_run(&p[k], ...) gives
 * on the same messages, to the bit.  For deployments that differ only in
 * their instances -- every provider's pool for the same agents --
 * drawing the messages costs more than the recursion, so one draw for
 * all of them is most of the saving; and the pools follow one pool of
 * unlimited servers, running on their own only while they queue (fifo.c
 * says why that is exact), so n pools sized near their peak cost about
 * one.  The source is pulled until a message is past the horizon.
 * Returns the first failure (every st[k] then holds its counts so far).
 */
int sim_fifo_run_many(const sim_pool_params *p, size_t n,
                      int (*next)(void *ctx, sim_msg *m), void *ctx,
                      sim_pool_stats *st /* OUT, n of them */);

#endif

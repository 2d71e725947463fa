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

/*
 * Pools sized after the pass that feeds them.  A pool sized from a
 * quantile of its own demand can only start once the demand pass ends;
 * rather than drawing every message again, the pass feeds a follower
 * too: a pool of unlimited servers and a sentinel pool of c0 servers,
 * keeping the messages that wait at the sentinel (fifo.c says why that
 * is all a larger pool needs).  Afterwards sim_fifo_follow_settle gives
 * any fixed pool of at least c0 servers with an unbounded queue exactly
 * what sim_fifo_run gives it on the same messages, to the bit.  c0 is a
 * guess from below (at least 1): the closer to the pools' sizes, the
 * fewer messages kept.  At most `budget_words` 8-byte words are kept;
 * past that the follower keeps nothing and settles no pool.
 *
 * Pools whose size is known before the pass -- `known`, fixed, any
 * queue -- run along it as sim_fifo_run_many runs them, budget or not;
 * sim_fifo_follow_known gives their figures.
 */
typedef struct sim_fifo_follow sim_fifo_follow;

/* Returns SIM_OK, or SIM_ENOMEM.  A known pool that autoscales fails
 * every step (SIM_EINVAL). */
int sim_fifo_follow_new(double horizon, int64_t c0, size_t budget_words,
                        const sim_pool_params *known, size_t nknown,
                        sim_fifo_follow **out /* OUT */);

/* The next message, in the order sim_fifo_run would take it; those past
 * the horizon are ignored.  Returns SIM_OK, or the failure that stopped
 * the follower (SIM_ENOMEM: a table could not grow); then no pool
 * settles and the known pools' figures are the counts so far. */
int sim_fifo_follow_step(sim_fifo_follow *f, const sim_msg *m);

/* After the pass, once: the known pools' figures into st[0 .. nknown),
 * each what sim_fifo_run(&known[k]) gives.  Returns SIM_OK or the first
 * failure. */
int sim_fifo_follow_known(sim_fifo_follow *f, sim_pool_stats *st /* OUT */);

/*
 * After the pass: *settled = 1 and st filled as sim_fifo_run(p) would
 * fill it, or *settled = 0 when p cannot be settled -- it autoscales,
 * bounds its queue, has fewer than c0 servers or another horizon, or the
 * budget ran out -- and needs a pass of its own.  Returns SIM_OK, or the
 * failure that stopped the replay (*settled is then 0).
 */
int sim_fifo_follow_settle(const sim_fifo_follow *f,
                           const sim_pool_params *p,
                           sim_pool_stats *st /* OUT */, int *settled);

/* Messages kept so far, SIZE_MAX once the budget ran out. */
size_t sim_fifo_follow_kept(const sim_fifo_follow *f);

/* Frees the follower (known pools not yet finished are dropped). */
void sim_fifo_follow_free(sim_fifo_follow *f);

#endif

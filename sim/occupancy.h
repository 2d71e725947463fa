/*
 * occupancy.h -- how long an unlimited-server queue holds k messages:
 * the demand pass that sizes pools.
 *
 * Messages arrive in time order, each in service for its own busy time
 * with no wait (as many servers as it takes).  The pass measures tw[k],
 * the time in [0, H) spent with exactly k in service, from which any
 * quantile of demand is read.  The rules, to the bit:
 *
 *  - a message leaving at the moment another arrives has left: it is
 *    not counted in service at that arrival (departures first);
 *  - a message with no busy time is in service at its own arrival and
 *    leaves at once after it, so it counts toward the peak;
 *  - each interval between consecutive events adds (later - earlier) to
 *    tw[k] for the k in service over it, in time order, so the sums are
 *    those of a pass over a priority queue of departures, whatever the
 *    order equal times leave in (they add zero).
 *
 * Departures are not kept in a priority queue: arrivals are taken in
 * batches, their departures sorted at once (radix.h: two passes on a
 * 22-bit key of the time for a batch) and merged with the ones still pending, and the events
 * then walked in time order.  In profiles of the planning question
 * (docs/performance.md) the calendar queue this replaced took about
 * 43 ns a message to push and pop, and the sort, the merge and the walk
 * take about 22, more than half of it the walk; the replication as a
 * whole ran only 1 to 3 % faster (step 8 there).  The price is latency:
 * the figures exist only after sim_occupancy_end.
 *
 * No global state; allocation through base/alloc.h.
 */
#ifndef SIM_OCCUPANCY_H
#define SIM_OCCUPANCY_H

#include <stddef.h>

typedef struct sim_occupancy sim_occupancy;     /* opaque */

/* SIM_OK or SIM_ENOMEM. */
int sim_occupancy_new(sim_occupancy **out /* OUT */);
void sim_occupancy_free(sim_occupancy *o);      /* NULL: no-op */

/* A message arriving at t (not before the one before it), in service
 * for busy >= 0 seconds (+infinity: it never leaves).  SIM_OK, or
 * SIM_ENOMEM (then, and after, the pass is lost: every later call
 * returns it). */
int sim_occupancy_add(sim_occupancy *o, double t, double busy);

/* Ends the pass at H (not before the last arrival): the departures up
 * to H leave, and the time from the last event to H is counted.  Once.
 * SIM_OK or SIM_ENOMEM. */
int sim_occupancy_end(sim_occupancy *o, double H);

/* After sim_occupancy_end: the most messages ever in service (the
 * peak), and tw[0 .. peak], the time spent with each count. */
size_t sim_occupancy_peak(const sim_occupancy *o);
const double *sim_occupancy_times(const sim_occupancy *o);

#endif

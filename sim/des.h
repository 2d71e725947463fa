/*
 * des.h -- the discrete-event model of instances that sleep.
 *
 * An instance serves its messages concurrently.  Asleep, an arriving
 * message starts a cold start of C seconds; messages that arrive meanwhile
 * wait and all start when it ends.  When the last message in service
 * leaves at time d (plus any time a client stays connected, `linger`), an
 * idle timer is armed for d + T; an arrival cancels it; if it fires the
 * instance sleeps.  Every instance starts asleep at t = 0; events at times
 * <= H are executed; an instance awake at H counts H - wake.
 *
 * Instances that share nothing (one per agent, tenant or session) are
 * independent, so each is simulated by one pass over its own messages in
 * time order: the pending-event set of one instance is its next arrival,
 * its busy horizon and its idle deadline, compared in the total order
 * (time, then arrival before timeout before departure -- a tie has
 * probability zero with continuous times, and the rule makes it
 * deterministic anyway).  Nothing is ever cancelled or re-queued, which is
 * what makes this the fast path: a message costs its two random draws
 * (made by the workload) and a few comparisons.  Coupled systems -- a
 * shared pool whose instances compete for one queue -- run on the general
 * event queue instead (pool.h).
 */
#ifndef SIM_DES_H
#define SIM_DES_H

#include <stdint.h>

#include "sim/workload.h"

/* Slices of the horizon over which awake instances and arrivals are
 * tallied: for charts, and to find when an hour pool runs dry. */
#define SIM_TIMELINE 1024

/* What one instance needs to know. */
typedef struct sim_inst_params {
    double horizon;         /* H, seconds */
    double cold_start;      /* C, seconds */
    double idle_timeout;    /* T, seconds */
    double linger;          /* connection kept open after the last reply */
    int never_sleeps;       /* a connected client keeps it awake */
    double granularity;     /* each awake run bills in whole units of it */
    double minimum;         /* and at least this long (0: none) */
} sim_inst_params;

#define SIM_WAIT_BINS 256

/* The awake timeline's unit, 2^-40 s (about a picosecond): far below
 * anything a chart or an hour pool can show, and a slice of up to 2^22 s
 * (a horizon of 136 years) still fits a 64-bit term. */
#define SIM_TL_BITS 40
__extension__ typedef unsigned __int128 sim_tl_sum;

/* Counters, summed over instances. */
typedef struct sim_inst_stats {
    uint64_t messages;      /* arrivals at or before H */
    uint64_t cold_starts;
    uint64_t timeouts;      /* idle timers that fired (sleeps) */
    uint64_t departures;    /* messages that finished by H */
    double awake_s;         /* starting or running */
    double billed_s;        /* awake runs after granularity and minimum */
    double busy_s;          /* message-seconds in service before H */
    double used_s;          /* time in use before H: from an arrival to its
                             * reply plus `linger`, overlaps counted once
                             * (what a Durable Object bills) */
    double wait_s;          /* total cold-start wait of messages */
    uint64_t waited;        /* messages that waited on a cold start */
    uint64_t wait_hist[SIM_WAIT_BINS];  /* waits over [0, C] */
    /* Awake instance-seconds per slice, in units of 2^-SIM_TL_BITS s:
     * whole units add up the same in any order, so a pass that meets
     * instances' awake runs interleaved fills it as one instance after
     * another would (sim_inst_timeline reads it). */
    sim_tl_sum awake_q[SIM_TIMELINE];
    double arrivals_tl[SIM_TIMELINE];   /* messages per slice (whole) */
} sim_inst_stats;

/*
 * One instance between two of its messages: where its awake run and its
 * span in use stand, and its own floating-point sums so far.  The sums
 * reach the deployment's counters only when the instance ends, so a pass
 * that meets many instances' messages interleaved -- a window of every
 * agent's messages at once (workload.h, sim_source_tap) -- and ends them
 * in the order they would run one after another adds the same doubles in
 * the same order, and gives each deployment the figures it gets from one
 * pass per instance, to the bit.  The price is these 88 bytes per live
 * instance; one pass at a time needs one.
 */
typedef struct sim_inst {
    double wake;            /* when the current awake period began */
    double ready;           /* end of the current cold start */
    double busy_end;        /* last departure of the awake period */
    double use_start, use_end;  /* the current span in use */
    double awake_s, billed_s, busy_s, used_s, wait_s;  /* its own sums */
    int awake, in_use;
} sim_inst;

/* An instance asleep at t = 0, with nothing summed. */
void sim_inst_begin(sim_inst *s);

/* The instance's next message in time order (every message of one
 * instance in time order; a message after H only lets the idle timer
 * fire).  Counters go to `st` at once, sums when it ends. */
void sim_inst_step(const sim_inst_params *p, sim_inst *s, const sim_msg *m,
                   sim_inst_stats *st);

/* No more messages: the idle timer may fire, the instance stops at H,
 * and its sums are added to `st` (they stay readable in *s). */
void sim_inst_end(const sim_inst_params *p, sim_inst *s, sim_inst_stats *st);

/*
 * Simulates one instance over the time-ordered messages `next` yields
 * (1 and *m filled, or 0 at the end; see workload.h) and adds its counts
 * to `st`: begin, a step per message, end.  `out`, when not NULL,
 * receives the ended instance (its own sums).  Never fails: the
 * parameters were checked when loaded.
 */
void sim_instance_run(const sim_inst_params *p,
                      int (*next)(void *ctx, sim_msg *m), void *ctx,
                      sim_inst_stats *st, sim_inst *out);

/* Adds the interval [a, b) of one instance's awake time to a timeline of
 * SIM_TIMELINE slices over [0, H). */
void sim_timeline_add(double *tl, double H, double a, double b);

/* The awake timeline of `st` in instance-seconds per slice. */
void sim_inst_timeline(const sim_inst_stats *st, double *tl);

/* The p-quantile (0..1) of cold-start waits, in seconds. */
double sim_wait_quantile(const sim_inst_stats *st, double cold_start,
                         double p);

#endif

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
 * independent, so each is simulated by one pass over its own arrivals in
 * time order: the pending-event set of one instance is its next arrival,
 * its busy horizon and its idle deadline, compared in the total order
 * (time, then arrival before timeout before departure -- a tie has
 * probability zero with continuous times, and the rule makes it
 * deterministic anyway).  Nothing is ever cancelled or re-queued, which is
 * what makes this the fast path: a message costs two random draws and a
 * few comparisons.
 */
#ifndef SIM_DES_H
#define SIM_DES_H

#include <stdint.h>

#include "sim/rng.h"
#include "sim/scenario.h"

/* What one instance needs to know. */
typedef struct sim_inst_params {
    double rate;            /* Poisson arrivals per second */
    double horizon;         /* H, seconds */
    double cold_start;      /* C, seconds */
    double idle_timeout;    /* T, seconds */
    double linger;          /* connection kept open after the last reply */
    int never_sleeps;       /* a connected client keeps it awake */
    double granularity;     /* each awake run bills in whole units of it */
    double minimum;         /* and at least this long (0: none) */
    const scn_dist *busy;   /* service time distribution */
    gsl_rng *gsl;           /* draws gamma; its state is the service stream */
} sim_inst_params;

#define SIM_WAIT_BINS 256

/* Counters, summed over instances. */
typedef struct sim_inst_stats {
    uint64_t messages;      /* arrivals at or before H */
    uint64_t cold_starts;
    uint64_t timeouts;      /* idle timers that fired (sleeps) */
    uint64_t departures;    /* messages that finished by H */
    double awake_s;         /* starting or running */
    double billed_s;        /* awake runs after granularity and minimum */
    double busy_s;          /* message-seconds in service before H */
    double wait_s;          /* total cold-start wait of messages */
    uint64_t waited;        /* messages that waited on a cold start */
    uint64_t wait_hist[SIM_WAIT_BINS];  /* waits over [0, C] */
} sim_inst_stats;

/*
 * Simulates one instance with streams `arr` and `svc` and adds its counts
 * to `st`.  Never fails: the parameters were checked when loaded.
 */
void sim_instance_run(const sim_inst_params *p, sim_rng *arr, sim_rng *svc,
                      sim_inst_stats *st);

/* Draws one service time in seconds. */
double sim_draw_busy(const scn_dist *d, sim_rng *svc, gsl_rng *g);

/* The p-quantile (0..1) of cold-start waits, in seconds. */
double sim_wait_quantile(const sim_inst_stats *st, double cold_start,
                         double p);

#endif

/*
 * live.h -- `capsim run --live`: a small scenario's messages sent through
 * the real agent core, so the model and the real thing can be compared.
 *
 * The messages are the scenario's own (replication 0, from the workload
 * module, the same ones every deployment is costed on).  The run starts
 * the agent server as a child process, opens one session per agent, and
 * sends each message at its simulated time divided by the speed-up, over
 * the scenario's transport (SSE: one POST per message; WebSocket: one
 * socket per agent for the whole run).  Replies take the time the core
 * takes -- that is what is measured -- so a reply that outlasts the gap to
 * the agent's next message delays that message (one reply in flight per
 * session, as the server allows).
 *
 * The comparison then replays the same messages through the engine's
 * sleeping-instance model twice, once with the modelled service times and
 * once with the measured ones, for each deployment's grouping, cold start
 * and idle timeout: the awake fractions differ by exactly what the
 * profile's service time gets wrong.
 *
 * Small scenarios only: at most `max_agents` agents and `max_messages`
 * messages in the horizon (a clear error above), since every message is
 * real work for the core.
 */
#ifndef HARNESS_LIVE_H
#define HARNESS_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pricing/price.h"
#include "scenario/scenario.h"

typedef struct harness_live_opts {
    const char *exe;            /* the capsim binary: `exe agent serve` */
    const char *agent_path;     /* the agent config the core runs */
    double speedup;             /* simulated seconds per second; <= 0:
                                   the horizon in target_wall_s */
    double target_wall_s;       /* default 20 */
    size_t max_messages;        /* default 500 */
    uint64_t max_agents;        /* default 50 */
    double timeout_s;           /* per reply and for start-up; default 30 */
    FILE *child_err;            /* a failed server's stderr, or NULL */
} harness_live_opts;

void harness_live_opts_init(harness_live_opts *o);

typedef struct harness_live_msg {
    double t;                   /* simulated arrival, seconds */
    double busy;                /* modelled service time, seconds */
    uint64_t agent;
    double reply_s;             /* measured, request to done; < 0: failed */
    uint64_t bytes;             /* what the client read for it */
} harness_live_msg;

typedef struct harness_live {
    harness_live_msg *m;        /* in time order */
    size_t n;
    size_t completed, errors;
    uint64_t agents;
    double speedup, wall_s;
    double rss_base_gb;         /* the core at rest, sessions open */
    double rss_peak_gb;         /* the most it held during the run */
    enum scn_transport transport;
    char first_error[256];      /* the first failed reply's reason */
} harness_live;

/*
 * Runs the scenario's messages through the core.  Returns SIM_OK (some
 * replies may still have failed: see errors), SIM_EINVAL (the scenario is
 * too big for a live run, or has no stochastic workload; the reason is in
 * err), SIM_EIO (the server would not start or answer) or SIM_ENOMEM.
 * *out is filled on SIM_OK and must then be released with
 * harness_live_fini.
 */
int harness_live_run(const scn_scenario *s, const harness_live_opts *o,
                     harness_live *out /* OUT */, char *err, size_t errlen);
void harness_live_fini(harness_live *l);

/* Measured against modelled: the same figure both ways. */
typedef struct harness_live_pair {
    double measured, modelled;
} harness_live_pair;

typedef struct harness_live_view {
    harness_live_pair busy_s;           /* summed over the messages */
    harness_live_pair awake_fraction;   /* the deployment's instances */
    harness_live_pair kib_per_message;  /* bytes to the client */
    harness_live_pair memory_gb;        /* the core's peak resident size */
    int sleeps;                         /* instances that sleep: the
                                           awake fraction says something */
} harness_live_view;

/* Compares the live run with the model for deployment `pd`. */
void harness_live_compare(const harness_live *l, const scn_scenario *s,
                          const price_deploy *pd,
                          harness_live_view *v /* OUT */);

#endif

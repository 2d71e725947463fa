/*
 * calibrate.h -- `capsim calibrate`: measures the real agent core and
 * writes a profile (docs/profiles.md).
 *
 * Each repeat starts a fresh server as a child process (the capsim
 * binary itself, `agent serve --config X --port 0`), drives it over
 * 127.0.0.1 with a synthetic workload whose arrivals come from capsim's
 * own workload module (sim/workload.h: Poisson arrivals per session,
 * compressed in time), reads its memory and CPU from /proc, and stops
 * it.  The child is killed and reaped on every path.
 *
 * Ownership: the caller owns opts and what it points to; a profile from
 * ag_cal_run is the caller's, freed with ag_cal_profile_free.
 */
#ifndef AG_CALIBRATE_H
#define AG_CALIBRATE_H

#include <stddef.h>
#include <stdio.h>

#include "agent-harness/config.h"

enum ag_cal_transports {
    AG_CAL_SSE = 1,
    AG_CAL_WEBSOCKET = 2,
    AG_CAL_BOTH = 3
};

typedef struct ag_cal_opts {
    const char *exe;            /* the server program: runs as `exe agent
                                   serve --config ... --port 0` */
    const char *agent_path;     /* the config as the user named it */
    const ag_config *cfg;       /* that config, loaded (borrowed) */
    int transports;             /* enum ag_cal_transports */
    int sessions;               /* sessions per repeat, >= 1 */
    int messages;               /* messages per transport per repeat */
    int repeats;                /* fresh servers, >= 1 */
    double idle_span_s;         /* idle hold; <= 0: two heartbeats of the
                                   slowest transport, at least 2 s */
    double load;                /* busy share of each session, (0, 1) */
    double timeout_s;           /* per request and per start-up */
    unsigned long seed;         /* the arrival streams' seed */
    FILE *log;                  /* progress lines, or NULL */
    FILE *child_err;            /* where to copy a failed child's stderr,
                                   or NULL */
} ag_cal_opts;

/* Fills in the defaults of `capsim calibrate`. */
void ag_cal_opts_init(ag_cal_opts *o);

typedef struct ag_cal_profile ag_cal_profile;   /* opaque */

/*
 * Runs the calibration.  On SIM_OK *out is the profile.  Otherwise a
 * message is in err: SIM_EINVAL (options the config cannot serve, e.g.
 * more sessions than maxSessions), SIM_EIO (the server did not start,
 * a request failed or timed out, /proc could not be read), SIM_ENOMEM.
 */
int ag_cal_run(const ag_cal_opts *o, ag_cal_profile **out /* OUT */,
               char *err, size_t errlen);

/* The profile as JSON text, keys in the order of docs/profiles.md;
 * the caller frees it.  NULL when out of memory. */
char *ag_cal_profile_json(const ag_cal_profile *p);

void ag_cal_profile_free(ag_cal_profile *p);

/*
 * Writes `text` to `path` through a temporary file in the same
 * directory and a rename, so a reader never sees half a profile.
 * SIM_OK or SIM_EIO with a message in err.
 */
int ag_cal_write_atomic(const char *path, const char *text, char *err,
                        size_t errlen);

/*
 * `capsim calibrate [--agent AGENT.yaml] [--transport sse|websocket|both]
 * [--sessions N] [--messages N] [--repeats N] [--idle-span S]
 * [--out PROFILE.json] [--quiet]`.  argv[0] is the command's name.
 * `default_agent` is the config used without --agent; `exe` the server
 * program.  Returns AG_EXIT_OK, AG_EXIT_USAGE, AG_EXIT_CONFIG or
 * AG_EXIT_RUNTIME (serve.h).
 */
int ag_cal_main(int argc, char **argv, const char *exe,
                const char *default_agent);

#endif

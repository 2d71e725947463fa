/*
 * profile.h -- measured profiles: the JSON file `capsim calibrate` writes
 * (docs/profiles.md) and scenarios name with `profile: FILE.json`.
 *
 * A profile gives each figure once, or once per transport ({"sse": x,
 * "websocket": y}); the reader takes the scenario's transport.  Every
 * problem is recorded in the diagnostics at the profile's own FILE:LINE:COL
 * (the value's position, or the key's for a missing or unknown one), so a
 * user sees which figure of which file is wrong.
 */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include <stdint.h>

#include "base/diag.h"
#include "base/fixed.h"

enum scn_transport { SCN_WEBSOCKET, SCN_SSE };

/* The resource envelope of the agent runtime (docs/scenarios.md,
 * "profile"): inline in a scenario or read from a measured profile. */
typedef struct scn_profile {
    sim_fx active_vcpu;
    sim_fx active_memory_gb;
    sim_fx idle_memory_gb;
    sim_fx base_memory_gb;
    sim_fx egress_kb_per_message;
    sim_fx requests_per_message;
    sim_fx cpu_ms_per_request;
    int64_t heartbeat_us;
    sim_fx idle_kb_per_hour;    /* to a connected, idle client */
    int64_t runtime_start_us;   /* the runtime's own start, after the
                                   platform's cold start */
    char *source;       /* the JSON profile's path when loaded from one */
} scn_profile;

/*
 * Reads the profile at `path` into `p`, whose other fields (the inline
 * defaults) stay as they are, for transport `tr` (or, with tr = -1, checks
 * every transport's figures without choosing: `capsim validate`).  Fills p->cpu_ms_per_request
 * from cpu_ms_per_message over p->requests_per_message.  Returns SIM_OK,
 * SIM_EPARSE (problems in `d`), SIM_EIO (cannot read; in `d` too, unless
 * `quiet_io`, for a caller that positions the error in its own file) or
 * SIM_ENOMEM.
 */
int scn_profile_read(const char *path, enum scn_transport tr, int quiet_io,
                     sim_diag *d, scn_profile *p /* IN/OUT */);

/* Whether `path` looks like a profile (a JSON object with
 * "capsim_profile"), for `capsim validate`. */
int scn_profile_sniff(const char *path);

#endif

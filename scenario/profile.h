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

#include "base/diag.h"
#include "scenario/scenario.h"

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

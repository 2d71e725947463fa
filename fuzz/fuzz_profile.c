/*
 * fuzz_profile.c -- measured profiles (scenario/profile.c,
 * docs/profiles.md).
 *
 * Feeds: the input as a profile JSON file, to scn_profile_read three
 * times -- for a websocket scenario, for an SSE one, and for `capsim
 * validate`, which checks every transport's figures (transport -1) --
 * and to scn_profile_sniff, which `validate` asks first.
 *
 * Asserts: no crash, no exit, no block left live through the seam; a
 * status that agrees with the diagnostics; the diagnostics print; and a
 * profile that validate accepts is accepted for either transport, unless
 * a figure given per transport lacks it (a profile calibrated for SSE
 * alone is valid, and a websocket scenario cannot use it) -- and then
 * every error says so.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "scenario/profile.h"

/* Reads the profile for transport tr (-1: validation).  *missing: every
 * error is a figure without tr. */
static int read_as(const char *path, int tr, int *missing)
{
    scn_profile p;
    sim_diag d;
    memset(&p, 0, sizeof p);
    sim_diag_init(&d);
    int rc = scn_profile_read(path, (enum scn_transport)tr, 0, &d, &p);
    if (rc == SIM_OK && d.errors)
        fuzz_fail("scn_profile_read: SIM_OK with an error");
    if (rc != SIM_OK && rc != SIM_ENOMEM && d.errors == 0)
        fuzz_fail("scn_profile_read: a failure without an error");
    *missing = d.errors > 0 && d.dropped == 0;
    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].level == SIM_DIAG_ERROR &&
            !strstr(d.v[i].message, "has no figure for"))
            *missing = 0;
    fuzz_print_diag(&d);
    sim_free(p.source);
    sim_diag_fini(&d);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("profile.json", data, size);
    long live = sim_alloc_live();
    (void)scn_profile_sniff(path);
    int ws_missing, sse_missing, unused;
    int all = read_as(path, -1, &unused);
    int ws = read_as(path, SCN_WEBSOCKET, &ws_missing);
    int sse = read_as(path, SCN_SSE, &sse_missing);
    if (all == SIM_OK && ((ws != SIM_OK && ws != SIM_ENOMEM && !ws_missing) ||
                          (sse != SIM_OK && sse != SIM_ENOMEM && !sse_missing)))
        fuzz_fail("a profile valid for every transport fails for one, "
                  "and not for a missing figure");
    fuzz_no_leak(live, "scn_profile_read");
    return 0;
}

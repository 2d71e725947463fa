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
 * profile that validate accepts is accepted for either transport.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "scenario/profile.h"

static int read_as(const char *path, int tr)
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
    int all = read_as(path, -1);
    int ws = read_as(path, SCN_WEBSOCKET);
    int sse = read_as(path, SCN_SSE);
    if (all == SIM_OK && (ws != SIM_OK || sse != SIM_OK))
        fuzz_fail("a profile valid for every transport fails for one");
    fuzz_no_leak(live, "scn_profile_read");
    return 0;
}

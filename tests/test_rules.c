/*
 * test_rules.c -- modelled rules, each with one hand-worked case.  Every
 * expected figure is worked in the comment above its test from the
 * catalog rates (data/pricing/2025-11.yaml) or a closed form; none was
 * read off a run.
 *
 * Each test below was checked against a one-line change of the rule it
 * guards (the change applied, the test seen to fail, the source restored):
 *
 *   railway_credit_covers_egress_and_volume
 *       pricing/railway.c: the credit taken from usage before the egress
 *       and volume lines are added (usage = b->total moved up).
 *   fly_rootfs_bills_stopped_time
 *       pricing/fly.c: rootfs billed on u->instance_seconds instead of
 *       u->stopped_seconds.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

#define HEAD "capsim: 1\n"

static char *write_file(const char *name, const char *text)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/capsim-rules-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
    }
    char *path = malloc(256);
    cr_assert_not_null(path);
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* ---- Railway: the credit covers the whole usage ------------------------ */

/*
 * Hobby includes $5 of usage, and the bill is max($5, usage) where usage
 * is every metered line: vCPU, memory, egress and volume.
 *
 * 2 agents, a = 0.1: 0.2 agents active.  One instance (the mean demand,
 * 0.05 vCPU, fits one 2 vCPU / 2 GB service).
 *   vCPU:    0.2 x 0.25 vCPU x 2,628,000 s = 131,400 vCPU-s x $0.00000772
 *            = $1.014408
 *   memory:  0.2 x 0.5 GB x 2,628,000 s = 262,800 GB-s x $0.00000386
 *            = $1.014408                       (compute alone: $2.028816)
 *   egress:  2 agents x 20,480 messages x 1,024 KiB = 41,943,040 KiB
 *            / 1,048,576 = 40 GB x $0.05 = $2
 *   volume:  10 GB x 2,628,000 s / 60 = 438,000 GB-min x $0.000003472222
 *            = $1.520833236
 *   usage = 2.028816 + 2 + 1.520833236 = $5.549649236 > $5
 *   credit = -min(5.549649236, 5) = -$5
 *   total = 5 + 5.549649236 - 5 = $5.549649236
 * Compute alone is under the $5 (2.028816), so a credit taken before
 * egress and volume would be -$2.028816 and the total $8.520833236.
 */
Test(rules, railway_credit_covers_egress_and_volume)
{
    test_run t;
    test_run_yaml(&t, HEAD
                  "profile: {active_vcpu: 0.25, active_memory_gb: 0.5, "
                  "egress_kb_per_message: 1024}\n"
                  "workload: {tenants: 2, agents_per_tenant: 1, "
                  "active_fraction: 0.1, messages_per_agent_month: 20480, "
                  "transport: sse}\n"
                  "deployments:\n"
                  "  - {name: r, provider: railway, plan: hobby, "
                  "architecture: shared, instance: {vcpu: 2, memory_gb: 2}, "
                  "extras: {storage_gb: 10}}\n");
    cr_assert_eq(t.rc, SIM_OK);
    const rpt_deploy *d = test_deploy(&t, "r");
    cr_assert(test_item_usd(d, "vcpu_second") == fx("1.014408"));
    cr_assert(test_item_usd(d, "memory_gb_second") == fx("1.014408"));
    cr_assert(test_item_usd(d, "egress_gb") == fx("2"));
    cr_assert(test_item_usd(d, "volume_gb_minute") == fx("1.520833236"),
              "volume %.12f",
              sim_fx_to_double(test_item_usd(d, "volume_gb_minute")));
    cr_assert(test_item_usd(d, "hobby_subscription") == fx("5"));
    cr_assert(test_item_usd(d, "hobby_credit") == fx("-5"), "credit %.12f",
              sim_fx_to_double(test_item_usd(d, "hobby_credit")));
    cr_assert(d->month_usd == fx("5.549649236"), "total %.12f",
              sim_fx_to_double(d->month_usd));
    test_run_free(&t);
}

/* ---- Fly: a stopped machine pays for its rootfs ------------------------ */

/*
 * shared-cpu-1x-512mb, scale-to-zero with Fly's own 5 min idle rule and
 * 2 s start, one machine (per-agent).  One traced message at t = 0, busy
 * 598 s: the machine starts at 0, serves [2, 600), idles to 900 and
 * stops: 900 s started, 2,700 s stopped of the 1 h horizon.  A month is
 * 730 horizons: 657,000 s started, 1,971,000 s stopped (of 2,628,000).
 * rootfs 10 GB, catalog stopped_rootfs_gb $0.15 per GB-30d (2,592,000 s):
 *   10 x 1,971,000 / 2,592,000 x 0.15 = 2,956,500 / 2,592,000 = $1.140625
 * (on started time it would be 10 x 657,000 / 2,592,000 x 0.15
 * = $0.380208...).
 */
Test(rules, fly_rootfs_bills_stopped_time)
{
    char *csv = write_file("fly.csv", "time,tenant,agent,busy\n0,t,a,598\n");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, HEAD "horizon: 1h\n"
             "workload: {transport: sse, arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: fly, provider: fly, plan: shared-cpu-1x-512mb, "
             "architecture: per-agent, scaling: {mode: scale-to-zero, "
             "idle_timeout: 5m, cold_start: 2s}, extras: {rootfs_gb: 10}}\n",
             csv);
    test_run t;
    test_run_yaml(&t, yaml);
    cr_assert_eq(t.rc, SIM_OK);
    const rpt_deploy *d = test_deploy(&t, "fly");
    cr_assert(d->usage.stopped_seconds == fx("1971000"), "stopped %.6f",
              sim_fx_to_double(d->usage.stopped_seconds));
    cr_assert(d->usage.instance_seconds == fx("657000"), "started %.6f",
              sim_fx_to_double(d->usage.instance_seconds));
    cr_assert(test_item_usd(d, "stopped_rootfs_gb") == fx("1.140625"),
              "rootfs %.12f",
              sim_fx_to_double(test_item_usd(d, "stopped_rootfs_gb")));
    test_run_free(&t);
    free(csv);
}

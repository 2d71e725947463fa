/*
 * test_catalog.c -- catalog checks: a granularity or minimum is applied
 * (to the item that prices an instance's runs) or refused with its
 * position, never ignored.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

static char cat_path[64];

static void write_catalog(const char *text)
{
    snprintf(cat_path, sizeof cat_path, "/tmp/capsim-catalog-XXXXXX");
    int fd = mkstemp(cat_path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

#define FLY_HEAD "capsim_catalog: 1\nname: gran\nas_of: \"2026-11-01\"\n" \
    "providers:\n  fly:\n    items:\n"

/* Line 8 column 55 is where `granularity` is written on the volume:
 * six spaces, "volume_gb: {rate: 0.15, unit: GB-30d, per: 30d, " is 48. */
Test(catalog, granularity_on_an_item_it_does_not_meter_is_refused)
{
    write_catalog(FLY_HEAD
                  "      m: {rate: 5.70, unit: machine-30d, per: 30d, "
                  "source: t}\n"
                  "      volume_gb: {rate: 0.15, unit: GB-30d, per: 30d, "
                  "granularity: 1h, source: t}\n"
                  "    plans:\n      one: {price: m, vcpu: 1, memory_gb: 1}\n");
    sim_diag d;
    sim_diag_init(&d);
    price_catalog *c = NULL;
    int rc = price_catalog_load(cat_path, &d, &c);
    unlink(cat_path);
    cr_assert_eq(rc, SIM_EPARSE);
    cr_assert_null(c);
    cr_assert_eq(d.errors, 1);
    cr_assert_eq(d.v[0].line, 8);
    cr_assert_eq(d.v[0].col, 55);
    cr_assert(strstr(d.v[0].message, "item 'volume_gb' of provider 'fly' "
                     "has a granularity or minimum"));
    sim_diag_fini(&d);
}

Test(catalog, a_memory_item_must_meter_like_its_vcpu_item)
{
    write_catalog("capsim_catalog: 1\nname: gran\nas_of: \"2026-11-01\"\n"
                  "providers:\n  aws-fargate:\n    items:\n"
                  "      c: {rate: 0.04048, unit: vCPU-h, per: 1h, "
                  "granularity: 1s, minimum: 1m, source: t}\n"
                  "      g: {rate: 0.004445, unit: GB-h, per: 1h, "
                  "granularity: 1h, source: t}\n"
                  "    plans:\n      x: {vcpu_price: c, memory_price: g}\n");
    sim_diag d;
    sim_diag_init(&d);
    price_catalog *c = NULL;
    int rc = price_catalog_load(cat_path, &d, &c);
    unlink(cat_path);
    cr_assert_eq(rc, SIM_EPARSE);
    cr_assert_eq(d.errors, 1);
    /* Reported where g writes its granularity: line 8, column 48. */
    cr_assert_eq(d.v[0].line, 8);
    cr_assert_eq(d.v[0].col, 48);
    cr_assert(strstr(d.v[0].message, "items 'c' and 'g' meter the same "
                     "runs"));
    sim_diag_fini(&d);
}

Test(catalog, shipped_catalogs_pass)
{
    const char *names[] = {"2025-11", "seed-docs"};
    for (size_t i = 0; i < 2; i++) {
        sim_diag d;
        sim_diag_init(&d);
        price_catalog *c = NULL;
        char *path = price_catalog_resolve(names[i], NULL);
        cr_assert_eq(price_catalog_load(path, &d, &c), SIM_OK, "%s",
                     names[i]);
        free(path);
        price_catalog_free(c);
        sim_diag_fini(&d);
    }
}

/* On the item pricing a machine it is applied: with `granularity: 1h`
 * each awake run is billed in whole hours.  One 730-hour month, Fly's 2 s
 * start and 5-minute auto-stop:
 *   agent a: one message at 0 busy 864,000 s, awake 864,302 s, billed
 *     ceil(864,302 / 3,600) = 241 h = 867,600 s: 867,600 x $5.70 /
 *     2,592,000 = $1.907917;
 *   agent b: busy past the horizon, awake 730 h, capped at 720 h: $5.70.
 * $7.607917 together (per second it would be $7.600664). */
Test(catalog, granularity_on_a_machine_price_is_applied)
{
    write_catalog(FLY_HEAD
                  "      m: {rate: 5.70, unit: machine-30d, per: 30d, "
                  "granularity: 1h, source: t}\n"
                  "      stopped_rootfs_gb: {rate: 0.15, unit: GB-30d, "
                  "per: 30d, source: t}\n"
                  "    plans:\n      one: {price: m, vcpu: 1, memory_gb: 1, "
                  "idle_timeout: 5m, cold_start: 2s}\n");
    char trace[64];
    snprintf(trace, sizeof trace, "/tmp/capsim-catalog-trace-XXXXXX");
    int fd = mkstemp(trace);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("time,tenant,agent,busy\n0,t,a,864000\n0,u,b,2700000\n", f);
    fclose(f);
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "capsim: 1\nhorizon: 730h\nreplications: 1\n"
             "pricing: %s\n"
             "workload: {transport: sse, arrivals: {trace: %s}}\n"
             "deployments:\n"
             "  - {name: f, provider: fly, plan: one, architecture: "
             "per-agent, scaling: {mode: scale-to-zero}, "
             "extras: {rootfs_gb: 0}}\n", cat_path, trace);
    test_run t;
    test_run_yaml(&t, yaml);
    unlink(trace);
    unlink(cat_path);
    cr_assert_eq(t.rc, SIM_OK);
    assert_usd(test_item_usd(test_deploy(&t, "f"), "m"), "7.607917",
               "hourly runs");
    test_run_free(&t);
}

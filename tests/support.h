/*
 * support.h -- helpers for the unit tests: run a scenario written inline.
 */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include "pricing/catalog.h"
#include "reports/results.h"
#include "base/diag.h"
#include "scenario/scenario.h"

typedef struct test_run {
    scn_scenario *scn;
    price_catalog *cat;
    run_results *res;
    sim_diag diag;
    int rc;             /* SIM_OK when the scenario ran */
} test_run;

/*
 * Writes `yaml` to a temporary file, loads it with its catalog (shipped
 * catalogs by name) and computes results.  Diagnostics stay in t->diag.
 */
void test_run_yaml(test_run *t, const char *yaml);
void test_run_free(test_run *t);

/* The deployment result named `name`; fails the test when absent. */
const run_deploy *test_deploy(const test_run *t, const char *name);

/* USD of line item `item` in a deployment's bill (0 when absent). */
sim_fx test_item_usd(const run_deploy *d, const char *item);

/* Parses "12.34" into sim_fx; aborts the test on a malformed literal. */
sim_fx fx(const char *decimal);

/* Fails the test unless `got` is within half a cent of `want` (USD). */
void assert_usd(sim_fx got, const char *want, const char *what);

/* Whether some diagnostic's message contains `needle`. */
int test_diag_has(const test_run *t, const char *needle);

#endif

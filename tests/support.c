/*
 * support.c -- helpers for the unit tests.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_run_yaml(test_run *t, const char *yaml)
{
    char path[] = "/tmp/capsim-test-XXXXXX";
    memset(t, 0, sizeof *t);
    sim_diag_init(&t->diag);
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(yaml, f);
    fclose(f);
    t->rc = scn_load(path, &t->diag, &t->scn);
    if (t->rc == SIM_OK) {
        char *cat = price_catalog_resolve(t->scn->pricing, NULL);
        t->rc = price_catalog_load(cat, &t->diag, &t->cat);
        free(cat);
    }
    for (size_t i = 0; t->rc == SIM_OK && i < t->scn->nrates; i++) {
        const char *hint;
        t->rc = price_catalog_override(t->cat, t->scn->rates[i].key,
                                       t->scn->rates[i].value, &hint);
    }
    if (t->rc == SIM_OK)
        t->rc = run_results_compute(t->scn, t->cat, &t->diag, &t->res);
    unlink(path);
}

void test_run_free(test_run *t)
{
    run_results_free(t->res);
    price_catalog_free(t->cat);
    scn_free(t->scn);
    sim_diag_fini(&t->diag);
}

const run_deploy *test_deploy(const test_run *t, const char *name)
{
    cr_assert(t->res, "scenario did not run");
    for (size_t i = 0; i < t->res->n; i++)
        if (strcmp(t->res->d[i].pd.dep->name, name) == 0)
            return &t->res->d[i];
    cr_assert_fail("no deployment named %s", name);
    return NULL;
}

sim_fx test_item_usd(const run_deploy *d, const char *item)
{
    sim_fx sum = 0;
    for (size_t i = 0; i < d->bill.n; i++)
        if (strcmp(d->bill.v[i].item, item) == 0)
            sum += d->bill.v[i].usd;
    return sum;
}

sim_fx fx(const char *decimal)
{
    sim_fx v = 0;
    cr_assert_eq(sim_fx_parse(decimal, &v), SIM_OK, "bad literal %s",
                 decimal);
    return v;
}

int test_diag_has(const test_run *t, const char *needle)
{
    for (size_t i = 0; i < t->diag.n; i++)
        if (strstr(t->diag.v[i].message, needle))
            return 1;
    return 0;
}

void assert_usd(sim_fx got, const char *want, const char *what)
{
    sim_fx diff = got - fx(want);
    if (diff < 0)
        diff = -diff;
    cr_assert(diff <= fx("0.005"), "%s: got %.6f USD, want %s USD", what,
              sim_fx_to_double(got), want);
}

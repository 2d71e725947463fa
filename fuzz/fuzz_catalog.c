/*
 * fuzz_catalog.c -- the price catalog loader (pricing/catalog.c).
 *
 * Feeds: the input as a catalog YAML file, to price_catalog_load, the
 * function `--pricing FILE`, a scenario's `pricing: FILE`, `capsim
 * pricing` and `validate` call.
 *
 * Asserts: no crash, no exit, no block left live through the seam; a
 * status that agrees with the diagnostics; the diagnostics print; and,
 * for a catalog that loads, that every provider, item and plan it lists
 * is found again by its id through the lookups the billing models use,
 * that a rate override on its first item applies, and that its age can
 * be taken from its date.
 */
#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "pricing/catalog.h"

#include <stdio.h>
#include <string.h>

static void check_lookups(price_catalog *c)
{
    for (size_t i = 0; i < c->nproviders; i++) {
        const price_provider *p = &c->providers[i];
        const price_provider *q = price_catalog_provider(c, p->id);
        if (!q)
            fuzz_fail("a listed provider is not found by its id");
        for (size_t k = 0; k < q->nitems; k++)
            if (!price_provider_item(q, q->items[k].id))
                fuzz_fail("a listed item is not found by its id");
        for (size_t k = 0; k < q->nplans; k++)
            if (!price_provider_plan(q, q->plans[k].id))
                fuzz_fail("a listed plan is not found by its id");
    }
    (void)price_catalog_age_days(c, "2025-12-01");
    for (size_t i = 0; i < c->nproviders; i++) {
        const price_provider *p = &c->providers[i];
        for (size_t k = 0; k < p->nitems; k++) {
            (void)price_item_rate_in(&p->items[k], p, p->default_region);
            for (size_t r = 0; r < p->nregions; r++)
                (void)price_item_rate_in(&p->items[k], p, p->regions[r].id);
        }
    }
    /* PROVIDER.ITEM splits at the first dot, so only a provider id
     * without one can be named. */
    if (c->nproviders && c->providers[0].nitems &&
        !strchr(c->providers[0].id, '.') && strlen(c->providers[0].id) < 100) {
        char key[512];
        const char *hint = NULL;
        snprintf(key, sizeof key, "%s.%s", c->providers[0].id,
                 c->providers[0].items[0].id);
        if (price_catalog_override(c, key, sim_fx_from_int(1), &hint) !=
            SIM_OK)
            fuzz_fail("an override of a listed item is refused");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("catalog.yaml", data, size);
    long live = sim_alloc_live();
    sim_diag d;
    price_catalog *c = NULL;
    sim_diag_init(&d);
    int rc = price_catalog_load(path, &d, &c);
    if (rc == SIM_OK && (!c || d.errors))
        fuzz_fail("price_catalog_load: SIM_OK with an error or no catalog");
    if (rc != SIM_OK && (c || (rc != SIM_ENOMEM && d.errors == 0)))
        fuzz_fail("price_catalog_load: a failure with a catalog or without "
                  "an error");
    fuzz_print_diag(&d);
    if (c)
        check_lookups(c);
    price_catalog_free(c);
    sim_diag_fini(&d);
    fuzz_no_leak(live, "price_catalog_load");
    return 0;
}

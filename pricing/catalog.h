/*
 * catalog.h -- price catalogs (data/pricing/NAME.yaml).
 *
 * A catalog lists, per provider, priced items and plans.  An item is one
 * rate: `rate` dollars buy `per` units (a count, or seconds of time when the
 * catalog wrote a duration), with `included` units free each month.  A plan
 * is a named bundle of attributes (its price item, vCPU, memory, sleep
 * rules) that the provider's billing module reads.
 *
 * Ownership: the catalog owns everything it hands out; pointers stay valid
 * until price_catalog_free.
 */
#ifndef PRICE_CATALOG_H
#define PRICE_CATALOG_H

#include <stdint.h>

#include "base/diag.h"
#include "base/fixed.h"

typedef struct price_item {
    char *id, *what, *unit, *source, *as_of, *note;
    sim_fx rate;        /* USD for `per` units */
    sim_fx per;         /* units (or seconds when per_time) the rate buys */
    int per_time;
    sim_fx included;    /* free units a month; 0 when none */
    sim_fx round_up;    /* bill in whole multiples of this; 0 when not */
    int64_t granularity_us, minimum_us;   /* per run of an instance */
    int meter_line, meter_col;  /* where granularity or minimum is written */
    size_t nregions;
    char **region_ids;
    sim_fx *region_rates;
    int overridden;     /* changed by a scenario's `rates:` */
    int line, col;
} price_item;

typedef struct price_attr {
    char *key, *value;
} price_attr;

typedef struct price_plan {
    char *id;
    price_attr *attrs;
    size_t nattrs;
    int line, col;
} price_plan;

typedef struct price_region {
    char *id;
    sim_fx markup;
    char *egress_item;
} price_region;

typedef struct price_provider {
    char *id, *title, *default_region;
    price_item *items;
    size_t nitems;
    price_plan *plans;
    size_t nplans;
    price_region *regions;
    size_t nregions;
    int line, col;
} price_provider;

typedef struct price_catalog {
    char *path, *name, *as_of, *description;
    price_provider *providers;
    size_t nproviders;
} price_catalog;

/*
 * Resolves a catalog reference the way scenario files and --pricing use
 * it: "default" (the newest shipped), a shipped name ("2025-11",
 * "seed-docs"), or a path to a YAML file.  `base_dir` is the directory
 * relative paths are taken from (NULL: the working directory).  Returns a
 * new string or NULL when out of memory.
 */
char *price_catalog_resolve(const char *ref, const char *base_dir);

/* Directory of the shipped data (CAPSIM_DATA in the environment wins). */
const char *price_data_dir(void);

/* Names of the shipped catalogs, NULL-terminated. */
extern const char *const price_shipped_catalogs[];

/* Loads and checks a catalog file.  Errors go to `d`. */
int price_catalog_load(const char *path, sim_diag *d,
                       price_catalog **out /* OUT */);
void price_catalog_free(price_catalog *c);

const price_provider *price_catalog_provider(const price_catalog *c,
                                             const char *id);
const price_item *price_provider_item(const price_provider *p,
                                      const char *id);
const price_plan *price_provider_plan(const price_provider *p,
                                      const char *id);
const price_region *price_provider_region(const price_provider *p,
                                          const char *id);

/* A plan attribute's text, or NULL. */
const char *price_plan_attr(const price_plan *pl, const char *key);

/* A numeric plan attribute; `dflt` when absent or not a number. */
sim_fx price_plan_num(const price_plan *pl, const char *key, sim_fx dflt);

/* A duration plan attribute in microseconds; `dflt` when absent. */
int64_t price_plan_dur(const price_plan *pl, const char *key, int64_t dflt);

/*
 * Applies an override "PROVIDER.ITEM" = value.  Returns SIM_ENOTFOUND when
 * the provider or item does not exist; *hint then names a close match
 * (borrowed) or is NULL.
 */
int price_catalog_override(price_catalog *c, const char *key, sim_fx value,
                           const char **hint /* OUT */);

/*
 * The item's rate in a region: its by_region price if it has one, else
 * rate x the region's markup (regions only apply to items a plan prices).
 */
sim_fx price_item_rate_in(const price_item *it, const price_provider *p,
                          const char *region);

/* Whole days between the catalog's as_of and `today` (YYYY-MM-DD). */
long price_catalog_age_days(const price_catalog *c, const char *today);

#endif

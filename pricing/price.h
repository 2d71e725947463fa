/*
 * price.h -- billing models, one per provider, behind one ops table.
 *
 * A deployment goes through two steps:
 *   resolve  checks it against the provider's rules and the catalog (the
 *            plan exists, the architecture and scaling mode are possible,
 *            the task size is allowed) and fills a price_deploy: instance
 *            capacity, billing basis, sleep rules;
 *   charge   turns a month of metered usage into line items.
 * Both report input errors through the context's diagnostics, positioned
 * in the scenario file, and return SIM_EINVAL; neither prints.
 */
#ifndef PRICE_PRICE_H
#define PRICE_PRICE_H

#include "pricing/catalog.h"
#include "base/diag.h"
#include "base/fixed.h"
#include "scenario/scenario.h"
#include "sim/usage.h"

typedef struct price_ctx {
    const scn_scenario *scn;
    const price_catalog *cat;
    sim_diag *diag;
} price_ctx;

/* A deployment checked against its provider. */
typedef struct price_deploy {
    const scn_deployment *dep;
    const price_provider *prov;
    const struct price_model_ops *ops;
    const price_plan *plan;     /* NULL for providers without plans */
    const char *region;         /* resolved (default applied) or NULL */
    sim_fx cap_vcpu;            /* one instance's capacity */
    sim_fx cap_memory_gb;
    int measured;               /* bills measured use, not the size */
    sim_fx hour_pool;           /* account hour pool (Eco, free); 0: none */
    sim_fx bill_cap_s;          /* an instance is billed for at most this
                                   much time a month (Fly: its preset's 30
                                   days); 0: no cap */
    /* A usage credit past which the provider suspends every instance to
     * the month's end instead of invoicing (Railway Free): its dollars,
     * and what it pays per vCPU-second and per GB-second (measured or
     * allocated, as `measured` says).  The engine turns it into the hours
     * of awake instance time it buys at the metered draw; hour_pool then
     * holds those hours at the instance's full size.  0: none. */
    sim_fx credit_pool;
    sim_fx credit_vcpu_s, credit_gb_s;
    int64_t idle_timeout_us;    /* sleep rule, with scenario override */
    int64_t cold_start_us;
    int objects;                /* Cloudflare: Durable Objects / Workers */
    const char *run_meter;      /* the item whose granularity and minimum
                                   bill each awake run, when the plan has
                                   no `price` (Railway: vcpu_second) */
    int idle_setting;           /* the provider lets the user set when
                                   an instance sleeps (AWS: one's own
                                   scale-in policy) */
    int auto_stop;              /* scaling.auto_stop is this provider's
                                   setting (Fly) */
    const char *noun;           /* "a Durable Object"; NULL: built from
                                   the plan or size ("a t3.small instance") */
} price_deploy;

/*
 * Why a deployment cannot do what its scenario asks: one plain sentence
 * each ("agents need 0.5 GB; a Durable Object has 128 MB").  Owned
 * strings; out of memory is sticky in `nomem`.
 */
typedef struct price_reasons {
    char **v;
    size_t n;
    int nomem;
} price_reasons;

void price_reason(price_reasons *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void price_reasons_fini(price_reasons *r);

typedef struct price_line {
    const char *item;           /* catalog item id (borrowed) */
    const char *what;
    const char *unit;
    sim_fx quantity;            /* in `unit` */
    sim_fx rate;                /* USD per one `unit` */
    sim_fx included;            /* in `unit` */
    sim_fx usd;
} price_line;

typedef struct price_bill {
    price_line *v;
    size_t n, cap;
    sim_fx total;
    int nomem;
} price_bill;

struct price_model_ops {
    const char *name;
    int (*resolve)(const price_ctx *ctx, price_deploy *pd);
    int (*charge)(const price_ctx *ctx, const price_deploy *pd,
                  const sim_usage *u, price_bill *bill);
    /* The provider's hard limits that a run can break (a plan's dyno
     * count, a per-request CPU cap), judged on the month's mean usage;
     * each breach adds a sentence to `why`.  NULL: none beyond the
     * instance size, which every deployment is checked against. */
    void (*limits)(const price_ctx *ctx, const price_deploy *pd,
                   const sim_usage *u, price_reasons *why);
};

/* The billing model for a provider id, or NULL. */
const struct price_model_ops *price_model_find(const char *provider);

/* Names of every provider with a billing model, NULL-terminated. */
extern const char *const price_provider_names[];

/*
 * Resolves deployment `dep` (generic checks, then the provider's own).
 * On failure the reasons are in ctx->diag.
 */
int price_resolve(const price_ctx *ctx, const scn_deployment *dep,
                  price_deploy *pd /* OUT */);

void price_bill_init(price_bill *b);
void price_bill_fini(price_bill *b);

/*
 * Adds a line for `qty` base units of `it` at `rate` (USD per `per` base
 * units): the included quantity is taken off, the rest rounded up to
 * `round_up` when the item says so, then priced.  `included_override` < 0
 * means "use the item's".  Returns SIM_OK or SIM_ERANGE/SIM_ENOMEM.
 */
int price_bill_item(price_bill *b, const price_item *it, sim_fx rate,
                    sim_fx qty, sim_fx included_override);

/* Adds a fixed charge (or a credit, when usd < 0) in one unit. */
int price_bill_fixed(price_bill *b, const price_item *it, sim_fx count,
                     sim_fx usd);

/* The item under `id`, which resolve has guaranteed to exist. */
/* A duration as a scenario would write it: "10m", "2s", "1.5s". */
char *price_dur_text(int64_t us, char *buf, size_t size);

const price_item *price_need(const price_deploy *pd, const char *id);

/* Shared helpers for provider modules. */
int price_require_plan(const price_ctx *ctx, price_deploy *pd,
                       const char *kind);
int price_reject(const price_ctx *ctx, scn_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int price_support(const price_ctx *ctx, const price_deploy *pd,
                  price_bill *b);

#endif

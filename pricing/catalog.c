/*
 * catalog.c -- loading price catalogs.
 */
#include "pricing/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strset.h"
#include "base/yml.h"

const char *const price_shipped_catalogs[] = {"2025-11", "seed-docs", NULL};

/* The catalog "default" means: the newest catalog of list prices. */
static const char *const default_catalog = "2025-11";

const char *price_data_dir(void)
{
    const char *env = getenv("CAPSIM_DATA");
    return env && *env ? env : CAPSIM_DATADIR;
}

char *price_catalog_resolve(const char *ref, const char *base_dir)
{
    char *r;
    size_t n;
    const char *name = strcmp(ref, "default") == 0 ? default_catalog : ref;
    for (size_t i = 0; price_shipped_catalogs[i]; i++)
        if (strcmp(name, price_shipped_catalogs[i]) == 0) {
            n = strlen(price_data_dir()) + strlen(name) + 32;
            r = sim_alloc(n);
            if (r)
                snprintf(r, n, "%s/pricing/%s.yaml", price_data_dir(), name);
            return r;
        }
    if (ref[0] == '/' || !base_dir || !*base_dir)
        return sim_strdup(ref);
    n = strlen(base_dir) + strlen(ref) + 2;
    r = sim_alloc(n);
    if (r)
        snprintf(r, n, "%s/%s", base_dir, ref);
    return r;
}

typedef struct cl {
    yml_doc *doc;
    int nomem;
} cl;

static char *dup(cl *L, const char *s)
{
    char *r = s ? sim_strdup(s) : NULL;
    if (s && !r)
        L->nomem = 1;
    return r;
}

static void node_pos(const yml_node *n, int *line, int *col)
{
    *line = (int)n->start_mark.line + 1;
    *col = (int)n->start_mark.column + 1;
}

/* The key node of `key` in mapping `m`, for errors about the key. */
static const yml_node *key_node(yml_doc *doc, const yml_node *m,
                                const char *key)
{
    for (size_t i = 0; i < yml_map_len(m); i++)
        if (strcmp(yml_map_key(doc, m, i), key) == 0)
            return yml_map_key_node(doc, m, i);
    return m;
}

static const char *const item_keys[] = {
    "what", "rate", "unit", "per", "included", "round_up", "granularity",
    "minimum", "by_region", "source", "as_of", "note", NULL
};

static void load_item(cl *L, const char *id, yml_node *m, price_item *it)
{
    yml_doc *doc = L->doc;
    yml_node *n;
    const char *s;
    char what[160];

    memset(it, 0, sizeof *it);
    it->id = dup(L, id);
    it->per = SIM_FX_ONE;
    node_pos(m, &it->line, &it->col);
    snprintf(what, sizeof what, "item '%s'", id);
    if (yml_check_map(doc, m, what, item_keys) != SIM_OK)
        return;
    if (!(n = yml_get(doc, m, "rate")))
        yml_error(doc, m, "item '%s' needs 'rate' (USD)", id);
    else
        yml_get_fx(doc, n, "rate", 0, sim_fx_from_int(1000000000), &it->rate);
    if (!(n = yml_get(doc, m, "unit")))
        yml_error(doc, m, "item '%s' needs 'unit' (what one unit is)", id);
    else if (yml_get_str(doc, n, "unit", &s) == SIM_OK)
        it->unit = dup(L, s);
    if (!(n = yml_get(doc, m, "source")))
        yml_error(doc, m, "item '%s' needs 'source' (where the rate comes "
                  "from)", id);
    else if (yml_get_str(doc, n, "source", &s) == SIM_OK)
        it->source = dup(L, s);
    if ((n = yml_get(doc, m, "what")) &&
        yml_get_str(doc, n, "what", &s) == SIM_OK)
        it->what = dup(L, s);
    if ((n = yml_get(doc, m, "as_of")) &&
        yml_get_str(doc, n, "as_of", &s) == SIM_OK)
        it->as_of = dup(L, s);
    if ((n = yml_get(doc, m, "note")) &&
        yml_get_str(doc, n, "note", &s) == SIM_OK)
        it->note = dup(L, s);
    if ((n = yml_get(doc, m, "per"))) {
        int64_t us;
        s = yml_scalar(n);
        if (s && sim_parse_duration(s, &us) == SIM_OK && us > 0) {
            it->per_time = 1;
            it->per = (sim_fx)us * (SIM_FX_ONE / 1000000);
        } else
            yml_get_fx(doc, n, "per (a quantity or a duration)",
                       SIM_FX_ONE / 1000000, sim_fx_from_int(1000000000000LL),
                       &it->per);
    }
    if ((n = yml_get(doc, m, "included")))
        yml_get_fx(doc, n, "included", 0, sim_fx_from_int(1000000000000LL),
                   &it->included);
    if ((n = yml_get(doc, m, "round_up")))
        yml_get_fx(doc, n, "round_up", SIM_FX_ONE / 1000000,
                   sim_fx_from_int(1000000000000LL), &it->round_up);
    if ((n = yml_get(doc, m, "granularity"))) {
        yml_get_duration(doc, n, "granularity", &it->granularity_us);
        node_pos(key_node(doc, m, "granularity"), &it->meter_line,
                 &it->meter_col);
    }
    if ((n = yml_get(doc, m, "minimum"))) {
        yml_get_duration(doc, n, "minimum", &it->minimum_us);
        if (!it->meter_line)
            node_pos(key_node(doc, m, "minimum"), &it->meter_line,
                     &it->meter_col);
    }
    if ((n = yml_get(doc, m, "by_region"))) {
        size_t k = yml_map_len(n);
        if (!yml_is_map(n)) {
            yml_error(doc, n, "by_region must map region ids to rates");
            return;
        }
        it->region_ids = sim_calloc(k ? k : 1, sizeof *it->region_ids);
        it->region_rates = sim_calloc(k ? k : 1, sizeof *it->region_rates);
        if (!it->region_ids || !it->region_rates) {
            L->nomem = 1;
            return;
        }
        for (size_t i = 0; i < k; i++) {
            it->region_ids[i] = dup(L, yml_map_key(doc, n, i));
            yml_get_fx(doc, yml_map_value(doc, n, i), "regional rate", 0,
                       sim_fx_from_int(1000000000), &it->region_rates[i]);
            it->nregions++;
        }
    }
}

static void load_plan(cl *L, const char *id, yml_node *m, price_plan *pl)
{
    size_t k = yml_map_len(m);
    memset(pl, 0, sizeof *pl);
    pl->id = dup(L, id);
    node_pos(m, &pl->line, &pl->col);
    if (!yml_is_map(m)) {
        yml_error(L->doc, m, "plan '%s' must be a mapping of attributes", id);
        return;
    }
    pl->attrs = sim_calloc(k ? k : 1, sizeof *pl->attrs);
    if (!pl->attrs) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < k; i++) {
        yml_node *v = yml_map_value(L->doc, m, i);
        if (!yml_is_scalar(v)) {
            yml_error(L->doc, v, "plan attribute '%s' must be a scalar",
                      yml_map_key(L->doc, m, i));
            continue;
        }
        pl->attrs[pl->nattrs].key = dup(L, yml_map_key(L->doc, m, i));
        pl->attrs[pl->nattrs].value = dup(L, yml_scalar(v));
        pl->nattrs++;
    }
}

static const char *const provider_keys[] = {
    "title", "default_region", "regions", "items", "plans", NULL
};

static void load_provider(cl *L, const char *id, yml_node *m,
                          price_provider *p)
{
    yml_doc *doc = L->doc;
    yml_node *n;
    const char *s;
    char what[128];

    memset(p, 0, sizeof *p);
    p->id = dup(L, id);
    node_pos(m, &p->line, &p->col);
    snprintf(what, sizeof what, "provider '%s'", id);
    if (yml_check_map(doc, m, what, provider_keys) != SIM_OK)
        return;
    if ((n = yml_get(doc, m, "title")) &&
        yml_get_str(doc, n, "title", &s) == SIM_OK)
        p->title = dup(L, s);
    if ((n = yml_get(doc, m, "default_region")) &&
        yml_get_str(doc, n, "default_region", &s) == SIM_OK)
        p->default_region = dup(L, s);
    n = yml_get(doc, m, "items");
    if (!yml_is_map(n)) {
        yml_error(doc, n ? n : m, "provider '%s' needs 'items', a mapping of "
                  "item ids to rates", id);
        return;
    }
    size_t k = yml_map_len(n);
    p->items = sim_calloc(k ? k : 1, sizeof *p->items);
    if (!p->items) {
        L->nomem = 1;
        return;
    }
    sim_strset *ids = sim_strset_new(k);
    for (size_t i = 0; i < k && ids && !L->nomem; i++) {
        const char *iid = yml_map_key(doc, n, i);
        int added = sim_strset_add(ids, iid, NULL);
        if (added < 0)
            break;
        if (added == 0)
            yml_error(doc, yml_map_key_node(doc, n, i),
                      "duplicate item '%s'", iid);
        load_item(L, iid, yml_map_value(doc, n, i), &p->items[p->nitems++]);
    }
    if (!ids || p->nitems < k)
        L->nomem = 1;    /* the loop stops early only out of memory */
    sim_strset_free(ids);
    if ((n = yml_get(doc, m, "plans"))) {
        k = yml_map_len(n);
        if (!yml_is_map(n)) {
            yml_error(doc, n, "'plans' must map plan ids to attributes");
            return;
        }
        p->plans = sim_calloc(k ? k : 1, sizeof *p->plans);
        if (!p->plans) {
            L->nomem = 1;
            return;
        }
        for (size_t i = 0; i < k; i++)
            load_plan(L, yml_map_key(doc, n, i), yml_map_value(doc, n, i),
                      &p->plans[p->nplans++]);
    }
    if ((n = yml_get(doc, m, "regions"))) {
        static const char *const rk[] = {"markup", "egress", NULL};
        k = yml_map_len(n);
        p->regions = sim_calloc(k ? k : 1, sizeof *p->regions);
        if (!p->regions) {
            L->nomem = 1;
            return;
        }
        for (size_t i = 0; i < k; i++) {
            yml_node *r = yml_map_value(doc, n, i);
            price_region *rg = &p->regions[p->nregions++];
            rg->id = dup(L, yml_map_key(doc, n, i));
            rg->markup = SIM_FX_ONE;
            if (yml_check_map(doc, r, "region", rk) != SIM_OK)
                continue;
            yml_node *mk = yml_get(doc, r, "markup");
            yml_node *eg = yml_get(doc, r, "egress");
            if (mk)
                yml_get_fx(doc, mk, "markup", SIM_FX_ONE / 10,
                           sim_fx_from_int(10), &rg->markup);
            if (eg && yml_get_str(doc, eg, "egress item", &s) == SIM_OK)
                rg->egress_item = dup(L, s);
        }
    }
}

/*
 * What a provider's billing model reads from a plan without checking,
 * and the plan it takes when a deployment names none (railway.c,
 * cloudflare.c).  A named plan without `subscription` is refused when a
 * scenario uses it, but the default plan is taken as it is, so a catalog
 * whose default lacks it would only fail when billed.  Plans with a
 * subscription need the rest.
 */
static const struct plan_rule {
    const char *provider, *default_plan;
    const char *needs[4];
    const char *why;
} plan_rules[] = {
    {"railway", "hobby", {"subscription", NULL},
     "the item of the plan's monthly minimum"},
    {"cloudflare", "workers-paid", {"subscription", "requests", "cpu", NULL},
     "the items of the plan's subscription, requests and CPU time"},
};

static void check_needs(cl *L, const price_provider *p)
{
    for (size_t r = 0; r < sizeof plan_rules / sizeof plan_rules[0]; r++) {
        const struct plan_rule *pr = &plan_rules[r];
        if (strcmp(p->id, pr->provider) != 0)
            continue;
        for (size_t i = 0; i < p->nplans; i++) {
            const price_plan *pl = &p->plans[i];
            int dflt = pl->id && strcmp(pl->id, pr->default_plan) == 0;
            if (!dflt && !price_plan_attr(pl, "subscription"))
                continue;
            for (size_t k = 0; pr->needs[k]; k++)
                if (!price_plan_attr(pl, pr->needs[k]))
                    sim_diag_add(yml_diag(L->doc), SIM_DIAG_ERROR,
                                 yml_file(L->doc), yml_text(L->doc),
                                 pl->line, pl->col, "plan '%s' of provider "
                                 "'%s' needs '%s' (%s)%s", pl->id, p->id,
                                 pr->needs[k], pr->why,
                                 dflt ? "; deployments that name no plan "
                                        "use it" : "");
        }
    }
}

/*
 * `granularity` and `minimum` shape each awake run of an instance
 * (run/stochastic.c metering): they apply to the item that prices the
 * instance -- a plan's `price`, or `vcpu_price` with `memory_price`
 * (Fargate), or Railway's vcpu_second with memory_gb_second -- and to
 * nothing else, which capsim meters continuously.  Written elsewhere they
 * would be ignored, so they are refused; and the memory item of a pair
 * must say what the vCPU item says, since a run is rounded once.
 */
static int metered(const price_provider *p, const char *id)
{
    static const char *const attrs[] = {"price", "vcpu_price",
                                        "memory_price", NULL};
    if (!strcmp(p->id, "railway") && (!strcmp(id, "vcpu_second") ||
                                      !strcmp(id, "memory_gb_second")))
        return 1;
    for (size_t i = 0; i < p->nplans; i++)
        for (size_t k = 0; attrs[k]; k++) {
            const char *ref = price_plan_attr(&p->plans[i], attrs[k]);
            if (ref && !strcmp(ref, id))
                return 1;
        }
    return 0;
}

static void meter_error(cl *L, const price_item *it, const char *fmt,
                        const char *a, const char *b)
{
    sim_diag_add(yml_diag(L->doc), SIM_DIAG_ERROR, yml_file(L->doc),
                 yml_text(L->doc), it->meter_line, it->meter_col, fmt, a, b);
}

static void check_metering(cl *L, const price_provider *p)
{
    for (size_t i = 0; i < p->nitems; i++) {
        const price_item *it = &p->items[i];
        if ((it->granularity_us || it->minimum_us) && !metered(p, it->id))
            meter_error(L, it, "item '%s' of provider '%s' has a granularity "
                        "or minimum, which capsim applies only to the item "
                        "pricing an instance's runs (a plan's price, "
                        "vcpu_price or memory_price); remove it, or say how "
                        "it is billed in 'note'", it->id, p->id);
    }
    /* Railway's pair, then each plan's (Fargate). */
    for (size_t i = 0; i <= p->nplans; i++) {
        const char *c = "vcpu_second", *m = "memory_gb_second";
        if (i < p->nplans) {
            c = price_plan_attr(&p->plans[i], "vcpu_price");
            m = price_plan_attr(&p->plans[i], "memory_price");
        } else if (strcmp(p->id, "railway") != 0)
            break;
        const price_item *cpu = c ? price_provider_item(p, c) : NULL;
        const price_item *mem = m ? price_provider_item(p, m) : NULL;
        if (cpu && mem && (cpu->granularity_us != mem->granularity_us ||
                           cpu->minimum_us != mem->minimum_us))
            meter_error(L, mem->meter_line ? mem : cpu, "items '%s' and '%s' "
                        "meter the same runs and need the same granularity "
                        "and minimum", cpu->id, mem->id);
    }
}

/* Cross-checks: every item a plan or region names exists. */
static void check_refs(cl *L, price_provider *p)
{
    static const char *const ref_keys[] = {
        "price", "subscription", "credit", "requests", "cpu", "scripts",
        "vcpu_price", "memory_price", "seat", "addon", NULL
    };
    for (size_t i = 0; i < p->nplans; i++) {
        price_plan *pl = &p->plans[i];
        for (size_t k = 0; ref_keys[k]; k++) {
            const char *ref = price_plan_attr(pl, ref_keys[k]);
            if (ref && !price_provider_item(p, ref))
                sim_diag_add(yml_diag(L->doc), SIM_DIAG_ERROR,
                             yml_file(L->doc), yml_text(L->doc), pl->line,
                             pl->col, "plan '%s' of provider '%s' names "
                             "item '%s', which the provider does not list",
                             pl->id, p->id, ref);
        }
    }
    check_needs(L, p);
    check_metering(L, p);
    for (size_t i = 0; i < p->nregions; i++)
        if (p->regions[i].egress_item &&
            !price_provider_item(p, p->regions[i].egress_item))
            sim_diag_add(yml_diag(L->doc), SIM_DIAG_ERROR, yml_file(L->doc),
                         yml_text(L->doc), p->line, p->col,
                         "region '%s' names egress item '%s', which provider "
                         "'%s' does not list", p->regions[i].id,
                         p->regions[i].egress_item, p->id);
}

static const char *const top_keys[] = {
    "capsim_catalog", "name", "as_of", "description", "providers", NULL
};

int price_catalog_load(const char *path, sim_diag *d, price_catalog **out)
{
    cl L = {0};
    size_t before = d->errors;
    int64_t v;
    const char *s;
    yml_node *n;
    int rc = yml_load(path, d, &L.doc);
    if (rc != SIM_OK)
        return rc;
    price_catalog *c = sim_calloc(1, sizeof *c);
    if (!c) {
        yml_free(L.doc);
        return SIM_ENOMEM;
    }
    c->path = dup(&L, path);
    yml_node *root = yml_root(L.doc);
    if (yml_check_map(L.doc, root, "the price catalog", top_keys) != SIM_OK &&
        !yml_is_map(root))
        goto done;
    if (!(n = yml_get(L.doc, root, "capsim_catalog")))
        yml_error(L.doc, root, "missing 'capsim_catalog: 1' (the catalog "
                  "schema version)");
    else
        yml_get_int(L.doc, n, "catalog schema version", 1, 1, &v);
    if (!(n = yml_get(L.doc, root, "name")))
        yml_error(L.doc, root, "catalog needs 'name'");
    else if (yml_get_str(L.doc, n, "catalog name", &s) == SIM_OK)
        c->name = dup(&L, s);
    if (!(n = yml_get(L.doc, root, "as_of")))
        yml_error(L.doc, root, "catalog needs 'as_of' (YYYY-MM-DD)");
    else if (yml_get_str(L.doc, n, "as_of", &s) == SIM_OK) {
        int y, mo, dd;
        char tail;
        if (sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &dd, &tail) != 3 ||
            mo < 1 || mo > 12 || dd < 1 || dd > 31)
            yml_error(L.doc, n, "expected as_of as a date YYYY-MM-DD, found "
                      "'%s'", s);
        c->as_of = dup(&L, s);
    }
    if ((n = yml_get(L.doc, root, "description")) &&
        yml_get_str(L.doc, n, "description", &s) == SIM_OK)
        c->description = dup(&L, s);
    n = yml_get(L.doc, root, "providers");
    if (!yml_is_map(n)) {
        yml_error(L.doc, n ? n : root, "catalog needs 'providers', a mapping "
                  "of provider ids to their items and plans");
        goto done;
    }
    size_t k = yml_map_len(n);
    c->providers = sim_calloc(k ? k : 1, sizeof *c->providers);
    if (!c->providers) {
        L.nomem = 1;
        goto done;
    }
    /* A provider half loaded for want of memory has NULL where its names
     * should be: stop there rather than check references through it. */
    for (size_t i = 0; i < k && !L.nomem; i++) {
        load_provider(&L, yml_map_key(L.doc, n, i), yml_map_value(L.doc, n, i),
                      &c->providers[c->nproviders]);
        c->nproviders++;
        if (!L.nomem)
            check_refs(&L, &c->providers[c->nproviders - 1]);
    }
done:
    if (yml_nomem(L.doc))
        L.nomem = 1;
    yml_free(L.doc);
    if (L.nomem) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "out of memory");
        price_catalog_free(c);
        return SIM_ENOMEM;
    }
    if (d->errors > before) {
        price_catalog_free(c);
        return SIM_EPARSE;
    }
    *out = c;
    return SIM_OK;
}

static void item_free(price_item *it)
{
    sim_free(it->id);
    sim_free(it->what);
    sim_free(it->unit);
    sim_free(it->source);
    sim_free(it->as_of);
    sim_free(it->note);
    for (size_t i = 0; i < it->nregions; i++)
        sim_free(it->region_ids[i]);
    sim_free(it->region_ids);
    sim_free(it->region_rates);
}

void price_catalog_free(price_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nproviders; i++) {
        price_provider *p = &c->providers[i];
        for (size_t j = 0; j < p->nitems; j++)
            item_free(&p->items[j]);
        sim_free(p->items);
        for (size_t j = 0; j < p->nplans; j++) {
            for (size_t a = 0; a < p->plans[j].nattrs; a++) {
                sim_free(p->plans[j].attrs[a].key);
                sim_free(p->plans[j].attrs[a].value);
            }
            sim_free(p->plans[j].attrs);
            sim_free(p->plans[j].id);
        }
        sim_free(p->plans);
        for (size_t j = 0; j < p->nregions; j++) {
            sim_free(p->regions[j].id);
            sim_free(p->regions[j].egress_item);
        }
        sim_free(p->regions);
        sim_free(p->id);
        sim_free(p->title);
        sim_free(p->default_region);
    }
    sim_free(c->providers);
    sim_free(c->path);
    sim_free(c->name);
    sim_free(c->as_of);
    sim_free(c->description);
    sim_free(c);
}

const price_provider *price_catalog_provider(const price_catalog *c,
                                             const char *id)
{
    for (size_t i = 0; i < c->nproviders; i++)
        if (strcmp(c->providers[i].id, id) == 0)
            return &c->providers[i];
    return NULL;
}

const price_item *price_provider_item(const price_provider *p,
                                      const char *id)
{
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i].id && strcmp(p->items[i].id, id) == 0)
            return &p->items[i];
    return NULL;
}

const price_plan *price_provider_plan(const price_provider *p,
                                      const char *id)
{
    for (size_t i = 0; i < p->nplans; i++)
        if (p->plans[i].id && strcmp(p->plans[i].id, id) == 0)
            return &p->plans[i];
    return NULL;
}

const price_region *price_provider_region(const price_provider *p,
                                          const char *id)
{
    for (size_t i = 0; i < p->nregions; i++)
        if (strcmp(p->regions[i].id, id) == 0)
            return &p->regions[i];
    return NULL;
}

const char *price_plan_attr(const price_plan *pl, const char *key)
{
    for (size_t i = 0; pl && i < pl->nattrs; i++)
        if (pl->attrs[i].key && strcmp(pl->attrs[i].key, key) == 0)
            return pl->attrs[i].value;
    return NULL;
}

sim_fx price_plan_num(const price_plan *pl, const char *key, sim_fx dflt)
{
    const char *s = price_plan_attr(pl, key);
    sim_fx v;
    if (!s || sim_fx_parse(s, &v) != SIM_OK)
        return dflt;
    return v;
}

int64_t price_plan_dur(const price_plan *pl, const char *key, int64_t dflt)
{
    const char *s = price_plan_attr(pl, key);
    int64_t us;
    if (!s || sim_parse_duration(s, &us) != SIM_OK)
        return dflt;
    return us;
}

int price_catalog_override(price_catalog *c, const char *key, sim_fx value,
                           const char **hint)
{
    char prov[128];
    const char *dot = strchr(key, '.');
    size_t n = dot ? (size_t)(dot - key) : 0;
    *hint = NULL;
    if (!dot || n >= sizeof prov)
        return SIM_ENOTFOUND;
    memcpy(prov, key, n);
    prov[n] = '\0';
    price_provider *p = (price_provider *)price_catalog_provider(c, prov);
    if (!p) {
        const char *names[32];
        size_t k = 0;
        for (size_t i = 0; i < c->nproviders && k < 31; i++)
            names[k++] = c->providers[i].id;
        names[k] = NULL;
        *hint = sim_suggest(prov, names);
        return SIM_ENOTFOUND;
    }
    for (size_t i = 0; i < p->nitems; i++)
        if (strcmp(p->items[i].id, dot + 1) == 0) {
            p->items[i].rate = value;
            p->items[i].overridden = 1;
            return SIM_OK;
        }
    {
        const char **names = sim_calloc(p->nitems + 1, sizeof *names);
        if (names) {
            for (size_t i = 0; i < p->nitems; i++)
                names[i] = p->items[i].id;
            *hint = sim_suggest(dot + 1, names);
            sim_free(names);
        }
    }
    return SIM_ENOTFOUND;
}

sim_fx price_item_rate_in(const price_item *it, const price_provider *p,
                          const char *region)
{
    /* A negotiated (overridden) rate is the rate everywhere. */
    if (!region || it->overridden)
        return it->rate;
    for (size_t i = 0; i < it->nregions; i++)
        if (strcmp(it->region_ids[i], region) == 0)
            return it->region_rates[i];
    const price_region *rg = price_provider_region(p, region);
    sim_fx r = it->rate;
    if (rg && rg->markup != SIM_FX_ONE &&
        sim_fx_mul(it->rate, rg->markup, &r) != SIM_OK)
        return it->rate;
    return r;
}

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

long price_catalog_age_days(const price_catalog *c, const char *today)
{
    int y1, m1, d1, y2, m2, d2;
    if (!c->as_of || sscanf(c->as_of, "%d-%d-%d", &y1, &m1, &d1) != 3 ||
        sscanf(today, "%d-%d-%d", &y2, &m2, &d2) != 3)
        return 0;
    return days_from_civil(y2, m2, d2) - days_from_civil(y1, m1, d1);
}

/*
 * report.c -- `capsim report`: re-render saved results, or publish the
 * per-agent pricing table.
 *
 *   capsim report RESULTS.json --out DIR [--charts]
 *   capsim report --pricing-table [--pricing CATALOG] [--scales N,N,...]
 *                 [--scenario FILE] [--out DIR]
 *
 * The pricing table costs one scenario (by default data/pricing-table.yaml:
 * every provider in its usual shapes) at each scale of tenants and divides
 * by the agents, with the catalog's date and the source of every rate the
 * bills used.
 */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsim_version.h"
#include "base/alloc.h"
#include "cli/commands.h"
#include "base/file.h"
#include "pricing/catalog.h"
#include "reports/report.h"
#include "reports/results.h"
#include "reports/table.h"



static int rerender(const char *path, const char *dir, int charts)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "%s: error: cannot read file: %s\n", path,
                strerror(errno));
        return errno == ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    }
    cJSON *res = NULL;
    size_t at = 0;
    int rc = rpt_json_parse(text, len, &res, &at);
    if (rc == SIM_EPARSE) {
        cli__json_error(path, text, at, "not valid JSON; expected a results "
                        "document written by 'capsim run --format json' or "
                        "--out");
        sim_free(text);
        return CLI_BAD_INPUT;
    }
    sim_free(text);
    if (rc != SIM_OK)
        return CLI_RUNTIME;
    if (cli__mkdir_p(dir) != 0) {
        fprintf(stderr, "capsim report: cannot create %s: %s\n", dir,
                strerror(errno));
        cJSON_Delete(res);
        return CLI_RUNTIME;
    }
    sim_diag d;
    sim_diag_init(&d);
    rc = rpt_report_write(res, dir, charts, &d);
    if (rc == SIM_EINVAL && d.n == 0)
        fprintf(stderr, "%s:1:1: error: not a results document (it has no "
                "'deployments' list)\n", path);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    if (rc == SIM_EINVAL)
        return CLI_BAD_INPUT;
    return rc == SIM_OK ? CLI_OK : CLI_RUNTIME;
}

/* ---- the pricing table -------------------------------------------------- */

typedef struct source_ref {
    const char *provider, *item, *what, *source, *as_of;
} source_ref;

static void add_source(source_ref **v, size_t *n, size_t *cap,
                       const price_catalog *c, const char *provider,
                       const char *item)
{
    const price_provider *p = price_catalog_provider(c, provider);
    const price_item *it = p ? price_provider_item(p, item) : NULL;
    if (!it)
        return;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].provider, provider) && !strcmp((*v)[i].item,
                                                           item))
            return;
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 32;
        source_ref *nv = sim_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = (source_ref){p->id, it->id, it->what, it->source,
                                it->as_of};
}

/* A text field of the table's CSV, quoted and defused as costs.csv's. */
static void csv_text(sim_buf *b, const char *s, const char *sep)
{
    char *q = rpt_csv_field(s, 1);
    if (!q) {
        b->nomem = 1;
        return;
    }
    sim_buf_printf(b, "%s%s", q, sep);
    sim_free(q);
}

/* The pricing table's scales, rows and the sources its bills used. */
typedef struct ptable {
    long long scales[32];
    size_t ns;
    const char *shown;          /* the scenario, as the table names it */
    size_t ndep;
    char **names, **prov, **arch, **plan;
    sim_fx *cost;               /* ndep x ns per-agent means */
    unsigned char *ok;          /* ndep x ns: feasible there */
    char **why;                 /* per deployment: its first reason */
    long long *why_at;          /* ... and the scale it was found at */
    source_ref *src;
    size_t nsrc, capsrc;
    char catalog[128], as_of[32];
    price_catalog *keep;        /* the sources point into it */
    int age_warned;             /* one stale-catalog warning */
} ptable;

/* --scales N,N,...: up to 32 tenant counts. */
static int ptable_scales(ptable *t, const char *scales_arg)
{
    char *list = sim_strdup(scales_arg);
    char *save = NULL;
    if (!list)
        return CLI_RUNTIME;
    for (char *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        long long v;
        if (t->ns == 32 || cli__parse_count(tok, &v) != 0 || v < 1) {
            sim_free(list);
            return cli__usage_error("report", "--scales takes up to 32 "
                                    "tenant counts >= 1, not '%s'",
                                    scales_arg);
        }
        t->scales[t->ns++] = v;
    }
    sim_free(list);
    if (t->ns == 0)
        return cli__usage_error("report", "--scales needs a value: '%s'",
                                scales_arg);
    return CLI_OK;
}

/* Costs the scenario at every scale. */
static int ptable_run(ptable *t, const char *pricing, const char *scenario,
                      int quiet)
{
    char path[4096];
    t->shown = scenario;
    if (!scenario) {
        snprintf(path, sizeof path, "%s/pricing-table.yaml",
                 price_data_dir());
        scenario = path;
        t->shown = "the shipped scenario data/pricing-table.yaml";
    }
    int code = CLI_OK;
    for (size_t k = 0; k < t->ns && code == CLI_OK; k++) {
        char set[64];
        const char *sets[1] = {set};
        snprintf(set, sizeof set, "workload.tenants=%lld", t->scales[k]);
        cli_run_opts ro = {.scenario = scenario, .format = RPT_JSON,
                           .pricing = pricing, .seed = -1,
                           .replications = -1, .quiet = quiet, .sets = sets,
                           .nsets = 1, .age_warned = &t->age_warned};
        scn_scenario *s;
        price_catalog *c;
        run_results *r = cli__run_scenario(&ro, &s, &c, &code);
        if (!r)
            break;
        if (k == 0) {
            t->ndep = r->n;
            t->names = sim_calloc(t->ndep, sizeof *t->names);
            t->prov = sim_calloc(t->ndep, sizeof *t->prov);
            t->arch = sim_calloc(t->ndep, sizeof *t->arch);
            t->plan = sim_calloc(t->ndep, sizeof *t->plan);
            t->cost = sim_calloc(t->ndep * t->ns, sizeof *t->cost);
            t->ok = sim_calloc(t->ndep * t->ns, 1);
            t->why = sim_calloc(t->ndep, sizeof *t->why);
            t->why_at = sim_calloc(t->ndep, sizeof *t->why_at);
            if (!t->names || !t->prov || !t->arch || !t->plan ||
                !t->cost || !t->ok || !t->why || !t->why_at)
                code = CLI_RUNTIME;
            for (size_t i = 0; code == CLI_OK && i < t->ndep; i++) {
                t->names[i] = sim_strdup(r->d[i].pd.dep->name);
                t->prov[i] = sim_strdup(r->d[i].pd.dep->provider);
                t->arch[i] = sim_strdup(scn_arch_names[r->d[i].pd.dep->arch]);
                t->plan[i] = sim_strdup(r->d[i].pd.plan ? r->d[i].pd.plan->id : "");
            }
            snprintf(t->catalog, sizeof t->catalog, "%s", c->name);
            snprintf(t->as_of, sizeof t->as_of, "%s", c->as_of);
        }
        for (size_t i = 0; code == CLI_OK && i < t->ndep && i < r->n; i++) {
            t->cost[i * t->ns + k] = r->d[i].per_agent_usd;
            t->ok[i * t->ns + k] = (unsigned char)r->d[i].feasible;
            if (!r->d[i].feasible && !t->why[i] && r->d[i].why.n) {
                t->why[i] = sim_strdup(r->d[i].why.v[0]);
                t->why_at[i] = t->scales[k];
            }
            for (size_t l = 0; l < r->d[i].bill.n; l++)
                add_source(&t->src, &t->nsrc, &t->capsrc, t->keep ? t->keep : c,
                           r->d[i].pd.dep->provider, r->d[i].bill.v[l].item);
        }
        run_results_free(r);
        if (!t->keep)
            t->keep = c;
        else
            price_catalog_free(c);
        scn_free(s);
    }
    return code;
}

/* pricing-table.md (printed too) and pricing-table.csv. */
static int ptable_write(const ptable *t, const char *out)
{
    sim_buf md = {0}, csv = {0};
    int code = CLI_OK;
    {
        char b[64];
        sim_buf_printf(&md, "# Per-agent monthly cost by provider, "
                   "architecture and scale\n\nUSD per agent per month of "
                   "730 hours. Prices: catalog %s, as of %s. capsim %s, from %s.\n\n",
                   t->catalog, t->as_of, CAPSIM_VERSION, t->shown);
        sim_buf_printf(&md, "| deployment | provider | architecture | plan |");
        for (size_t k = 0; k < t->ns; k++)
            sim_buf_printf(&md, " %lld tenants |", t->scales[k]);
        sim_buf_printf(&md, "\n| --- | --- | --- | --- |");
        for (size_t k = 0; k < t->ns; k++)
            sim_buf_printf(&md, " ---: |");
        sim_buf_printf(&md, "\n");
        sim_buf_printf(&csv, "deployment,provider,architecture,plan,tenants,"
                   "per_agent_month_usd,catalog,as_of,feasible\n");
        for (size_t i = 0; i < t->ndep; i++) {
            sim_buf_printf(&md, "| %s | %s | %s | %s |", t->names[i],
                           t->prov[i], t->arch[i], t->plan[i]);
            for (size_t k = 0; k < t->ns; k++) {
                /* An infeasible figure is shown, marked: it is what the
                 * work would cost if the provider could carry it. */
                size_t at = i * t->ns + k;
                sim_buf_printf(&md, " %s%s |",
                               rpt_fx_round(t->cost[at], 4, 0, b, sizeof b),
                               t->ok[at] ? "" : " (infeasible)");
                csv_text(&csv, t->names[i], ",");
                csv_text(&csv, t->prov[i], ",");
                csv_text(&csv, t->arch[i], ",");
                csv_text(&csv, t->plan[i], ",");
                sim_buf_printf(&csv, "%lld,%s,", t->scales[k],
                           rpt_num(t->cost[at], b, sizeof b));
                csv_text(&csv, t->catalog, ",");
                csv_text(&csv, t->as_of, ",");
                sim_buf_printf(&csv, "%s\n", t->ok[at] ? "yes" : "no");
            }
            sim_buf_printf(&md, "\n");
        }
        int any = 0;
        for (size_t i = 0; i < t->ndep; i++)
            if (t->why[i]) {
                if (!any++)
                    sim_buf_printf(&md, "\n## Infeasible\n\nA figure marked "
                               "(infeasible) is what the work would cost, "
                               "but the deployment cannot carry it "
                               "(see slo in docs/scenarios.md):"
                               "\n\n");
                sim_buf_printf(&md, "- %s, from %lld tenants: %s.\n",
                               t->names[i], t->why_at[i], t->why[i]);
            }
        sim_buf_printf(&md, "\n## Sources\n\nEvery rate the table uses, as the "
                   "catalog records it:\n\n| provider | item | what | source "
                   "| as of |\n| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < t->nsrc; i++)
            sim_buf_printf(&md, "| %s | %s | %s | %s | %s |\n",
                       t->src[i].provider, t->src[i].item,
                       t->src[i].what ? t->src[i].what : "",
                       t->src[i].source ? t->src[i].source : "",
                       t->src[i].as_of ? t->src[i].as_of : "undated");
        if (md.nomem || csv.nomem)
            code = CLI_RUNTIME;
        else if (out) {
            if (cli__mkdir_p(out) != 0 ||
                cli__write_atomic(out, "pricing-table.md", md.s) != 0 ||
                cli__write_atomic(out, "pricing-table.csv", csv.s) != 0)
                code = CLI_RUNTIME;
        }
        if (code == CLI_OK)
            fputs(md.s, stdout);
    }
    sim_free(md.s);
    sim_free(csv.s);
    return code;
}

static void ptable_free(ptable *t)
{
    for (size_t i = 0; i < t->ndep; i++) {
        sim_free(t->names ? t->names[i] : NULL);
        sim_free(t->prov ? t->prov[i] : NULL);
        sim_free(t->arch ? t->arch[i] : NULL);
        sim_free(t->plan ? t->plan[i] : NULL);
    }
    sim_free(t->names);
    sim_free(t->prov);
    sim_free(t->arch);
    sim_free(t->plan);
    sim_free(t->cost);
    sim_free(t->ok);
    for (size_t i = 0; t->why && i < t->ndep; i++)
        sim_free(t->why[i]);
    sim_free(t->why);
    sim_free(t->why_at);
    sim_free(t->src);
    price_catalog_free(t->keep);
}

static int pricing_table(const char *pricing, const char *scales_arg,
                         const char *scenario, const char *out, int quiet)
{
    ptable *t = sim_calloc(1, sizeof *t);
    if (!t)
        return CLI_RUNTIME;
    int code = ptable_scales(t, scales_arg);
    if (code == CLI_OK)
        code = ptable_run(t, pricing, scenario, quiet);
    if (code == CLI_OK)
        code = ptable_write(t, out);
    ptable_free(t);
    sim_free(t);
    return code;
}

static int report_command(int argc, char **argv)
{
    const char *results = NULL, *out = NULL, *pricing = NULL;
    const char *scales = "10,100,1000,10000", *scenario = NULL;
    int table = 0, charts = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return cli_help("report");
        if (strcmp(a, "--out") == 0 && has_val)
            out = argv[++i];
        else if (strcmp(a, "--pricing-table") == 0)
            table = 1;
        else if (strcmp(a, "--charts") == 0)
            charts = 1;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            quiet = 1;
        else if (strcmp(a, "--pricing") == 0 && has_val)
            pricing = argv[++i];
        else if (strcmp(a, "--scales") == 0 && has_val)
            scales = argv[++i];
        else if (strcmp(a, "--scenario") == 0 && has_val)
            scenario = argv[++i];
        else if (a[0] == '-' && a[1])
            return cli__usage_error("report", "unknown option or missing "
                                    "value: %s", a);
        else if (!results)
            results = a;
        else
            return cli__usage_error("report", "takes one results file; "
                                    "extra argument '%s'", a);
    }
    if (table) {
        if (results)
            return cli__usage_error("report", "--pricing-table takes no "
                                    "results file ('%s')", results);
        return pricing_table(pricing, scales, scenario, out, quiet);
    }
    if (!results)
        return cli__usage_error("report", "%s", "needs a results file (or "
                                "--pricing-table)");
    if (!out)
        return cli__usage_error("report", "%s", "needs --out DIR");
    return rerender(results, out, charts);
}

int cli_report(int argc, char **argv)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("report", failures, report_command(argc, argv));
}

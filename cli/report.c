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
        free(text);
        return CLI_BAD_INPUT;
    }
    free(text);
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
        source_ref *nv = realloc(*v, nc * sizeof *nv);
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
    free(q);
}

static int pricing_table(const char *pricing, const char *scales_arg,
                         const char *scenario, const char *out, int quiet)
{
    long long scales[32];
    size_t ns = 0;
    char *list = strdup(scales_arg);
    char *save = NULL;
    if (!list)
        return CLI_RUNTIME;
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        long long v;
        if (ns == 32 || cli__parse_count(t, &v) != 0 || v < 1) {
            free(list);
            return cli__usage_error("report", "--scales takes up to 32 "
                                    "tenant counts >= 1, not '%s'",
                                    scales_arg);
        }
        scales[ns++] = v;
    }
    free(list);
    if (ns == 0)
        return cli__usage_error("report", "--scales needs a value: '%s'",
                                scales_arg);

    char path[4096];
    const char *shown = scenario;
    if (!scenario) {
        snprintf(path, sizeof path, "%s/pricing-table.yaml",
                 price_data_dir());
        scenario = path;
        shown = "the shipped scenario data/pricing-table.yaml";
    }
    size_t ndep = 0;
    char **names = NULL, **prov = NULL, **arch = NULL, **plan = NULL;
    sim_fx *cost = NULL;        /* ndep x ns per-agent means */
    unsigned char *ok = NULL;   /* ndep x ns: feasible there */
    char **why = NULL;          /* per deployment: its first reason */
    long long *why_at = NULL;   /* ... and the scale it was found at */
    source_ref *src = NULL;
    size_t nsrc = 0, capsrc = 0;
    char catalog[128] = "", as_of[32] = "";
    price_catalog *keep = NULL;     /* the sources point into it */
    int code = CLI_OK, age_warned = 0;
    for (size_t k = 0; k < ns && code == CLI_OK; k++) {
        char set[64];
        const char *sets[1] = {set};
        snprintf(set, sizeof set, "workload.tenants=%lld", scales[k]);
        cli_run_opts ro = {.scenario = scenario, .format = RPT_JSON,
                           .pricing = pricing, .seed = -1,
                           .replications = -1, .quiet = quiet, .sets = sets,
                           .nsets = 1, .age_warned = &age_warned};
        scn_scenario *s;
        price_catalog *c;
        rpt_results *r = cli__run_scenario(&ro, &s, &c, &code);
        if (!r)
            break;
        if (k == 0) {
            ndep = r->n;
            names = calloc(ndep, sizeof *names);
            prov = calloc(ndep, sizeof *prov);
            arch = calloc(ndep, sizeof *arch);
            plan = calloc(ndep, sizeof *plan);
            cost = calloc(ndep * ns, sizeof *cost);
            ok = calloc(ndep * ns, 1);
            why = calloc(ndep, sizeof *why);
            why_at = calloc(ndep, sizeof *why_at);
            if (!names || !prov || !arch || !plan || !cost || !ok || !why ||
                !why_at)
                code = CLI_RUNTIME;
            for (size_t i = 0; code == CLI_OK && i < ndep; i++) {
                names[i] = strdup(r->d[i].pd.dep->name);
                prov[i] = strdup(r->d[i].pd.dep->provider);
                arch[i] = strdup(scn_arch_names[r->d[i].pd.dep->arch]);
                plan[i] = strdup(r->d[i].pd.plan ? r->d[i].pd.plan->id : "");
            }
            snprintf(catalog, sizeof catalog, "%s", c->name);
            snprintf(as_of, sizeof as_of, "%s", c->as_of);
        }
        for (size_t i = 0; code == CLI_OK && i < ndep && i < r->n; i++) {
            cost[i * ns + k] = r->d[i].per_agent_usd;
            ok[i * ns + k] = (unsigned char)r->d[i].feasible;
            if (!r->d[i].feasible && !why[i] && r->d[i].why.n) {
                why[i] = strdup(r->d[i].why.v[0]);
                why_at[i] = scales[k];
            }
            for (size_t l = 0; l < r->d[i].bill.n; l++)
                add_source(&src, &nsrc, &capsrc, keep ? keep : c,
                           r->d[i].pd.dep->provider, r->d[i].bill.v[l].item);
        }
        rpt_results_free(r);
        if (!keep)
            keep = c;
        else
            price_catalog_free(c);
        scn_free(s);
    }

    sim_buf md = {0}, csv = {0};
    if (code == CLI_OK) {
        char b[64];
        sim_buf_printf(&md, "# Per-agent monthly cost by provider, architecture "
                   "and scale\n\nUSD per agent per month of 730 hours. "
                   "Prices: catalog %s, as of %s. capsim %s, from %s.\n\n",
                   catalog, as_of, CAPSIM_VERSION, shown);
        sim_buf_printf(&md, "| deployment | provider | architecture | plan |");
        for (size_t k = 0; k < ns; k++)
            sim_buf_printf(&md, " %lld tenants |", scales[k]);
        sim_buf_printf(&md, "\n| --- | --- | --- | --- |");
        for (size_t k = 0; k < ns; k++)
            sim_buf_printf(&md, " ---: |");
        sim_buf_printf(&md, "\n");
        sim_buf_printf(&csv, "deployment,provider,architecture,plan,tenants,"
                   "per_agent_month_usd,catalog,as_of,feasible\n");
        for (size_t i = 0; i < ndep; i++) {
            sim_buf_printf(&md, "| %s | %s | %s | %s |", names[i], prov[i],
                       arch[i], plan[i]);
            for (size_t k = 0; k < ns; k++) {
                /* An infeasible figure is shown, marked: it is what the
                 * work would cost if the provider could carry it. */
                sim_buf_printf(&md, " %s%s |", rpt_fx_round(cost[i * ns + k], 4, 0,
                                                        b, sizeof b),
                           ok[i * ns + k] ? "" : " (infeasible)");
                csv_text(&csv, names[i], ",");
                csv_text(&csv, prov[i], ",");
                csv_text(&csv, arch[i], ",");
                csv_text(&csv, plan[i], ",");
                sim_buf_printf(&csv, "%lld,%s,", scales[k],
                           rpt_num(cost[i * ns + k], b, sizeof b));
                csv_text(&csv, catalog, ",");
                csv_text(&csv, as_of, ",");
                sim_buf_printf(&csv, "%s\n", ok[i * ns + k] ? "yes" : "no");
            }
            sim_buf_printf(&md, "\n");
        }
        int any = 0;
        for (size_t i = 0; i < ndep; i++)
            if (why[i]) {
                if (!any++)
                    sim_buf_printf(&md, "\n## Infeasible\n\nA figure marked "
                               "(infeasible) is what the work would cost, "
                               "but the deployment cannot carry it "
                               "(see slo in docs/scenarios.md):"
                               "\n\n");
                sim_buf_printf(&md, "- %s, from %lld tenants: %s.\n", names[i],
                           why_at[i], why[i]);
            }
        sim_buf_printf(&md, "\n## Sources\n\nEvery rate the table uses, as the "
                   "catalog records it:\n\n| provider | item | what | source "
                   "| as of |\n| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < nsrc; i++)
            sim_buf_printf(&md, "| %s | %s | %s | %s | %s |\n", src[i].provider,
                       src[i].item, src[i].what ? src[i].what : "",
                       src[i].source ? src[i].source : "",
                       src[i].as_of ? src[i].as_of : "undated");
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
    for (size_t i = 0; i < ndep; i++) {
        free(names ? names[i] : NULL);
        free(prov ? prov[i] : NULL);
        free(arch ? arch[i] : NULL);
        free(plan ? plan[i] : NULL);
    }
    free(names);
    free(prov);
    free(arch);
    free(plan);
    free(cost);
    free(ok);
    for (size_t i = 0; why && i < ndep; i++)
        free(why[i]);
    free(why);
    free(why_at);
    free(src);
    price_catalog_free(keep);
    free(md.s);
    free(csv.s);
    return code;
}

int cli_report(int argc, char **argv)
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

/*
 * test_report.c -- report.md, costs.csv, report.html and writing them.
 *
 * The fixtures are results documents written by capsim (scenarios/
 * default.yaml, and a 100-tenant stochastic run with four deployments)
 * with the pricing keys of advice.c added by hand: tests/fixtures/
 * results-fluid.json and results-stochastic.json.  Expected lines are
 * hand-checked against the document's exact decimals, e.g. 202.8816 ->
 * 202.88 and 0.125 -> 0.13 (half away from zero, not half to even).
 */
#include <criterion/criterion.h>
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/charts.h"
#include "reports/report.h"

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n + 1 < cap)
            break;
        buf = realloc(buf, cap *= 2);
        cr_assert(buf);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* A fixture parsed the way `capsim report` parses results.json. */
static cJSON *fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/%s", TEST_DIR, name);
    char *text = slurp(path);
    cJSON *res = NULL;
    cr_assert_eq(rpt_json_parse(text, strlen(text), &res, NULL), SIM_OK);
    free(text);
    return res;
}

/* Whether `line` is a whole line of `text`. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
            return 1;
    return 0;
}

#define assert_line(text, line) \
    cr_assert(has_line(text, line), "no line\n  %s\nin\n%s", line, text)

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static const cJSON *deployment(const cJSON *res, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(res, "deployments")) {
        const cJSON *n = cJSON_GetObjectItem(d, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return d;
    }
    cr_assert_fail("no deployment %s", name);
    return NULL;
}

static void rename_deployment(cJSON *res, const char *from, const char *to)
{
    cJSON *d = (cJSON *)deployment(res, from);
    cr_assert(cJSON_SetValuestring(cJSON_GetObjectItem(d, "name"), to));
}

static char *temp_dir(void)
{
    char *dir = strdup("/tmp/capsim-report-XXXXXX");
    cr_assert(dir && mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    return dir;
}

/* Names in `dir` (one level), sorted, joined by spaces. */
static char *listing(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[64];
    size_t n = 0, len = 1;
    struct dirent *e;
    cr_assert(d);
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            names[n] = strdup(e->d_name);
            len += strlen(e->d_name) + 1;
            n++;
        }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    char *out = calloc(1, len);
    for (size_t i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, names[i]);
        free(names[i]);
    }
    return out;
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char sub[1024];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* PATH without gnuplot: an empty directory. */
static char *hide_gnuplot(void)
{
    char *empty = temp_dir();
    cr_assert_eq(setenv("PATH", empty, 1), 0);
    return empty;
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* ---- numbers ------------------------------------------------------------ */

static const char *round2(const char *decimal, int group)
{
    static char buf[64];
    sim_fx v;
    cr_assert_eq(sim_fx_parse(decimal, &v), SIM_OK);
    return rpt_fx_round(v, 2, group, buf, sizeof buf);
}

Test(report, money_rounds_half_away_from_zero)
{
    cr_assert_str_eq(round2("202.8816", 0), "202.88");
    cr_assert_str_eq(round2("0.125", 0), "0.13");     /* half to even: .12 */
    cr_assert_str_eq(round2("-0.125", 0), "-0.13");
    cr_assert_str_eq(round2("0.135", 0), "0.14");
    cr_assert_str_eq(round2("2028.816", 0), "2028.82");
    cr_assert_str_eq(round2("0.004999999999", 0), "0.00");
    cr_assert_str_eq(round2("-0.004", 0), "0.00");    /* no "-0.00" */
    cr_assert_str_eq(round2("-5", 0), "-5.00");
    cr_assert_str_eq(round2("999.995", 1), "1,000.00");
    cr_assert_str_eq(round2("-1234567.891", 1), "-1,234,567.89");
    cr_assert_str_eq(round2("123.4", 1), "123.40");
}

Test(report, parse_keeps_the_exact_decimal_text)
{
    const char *text = "{\"a\": [0.1, 12345678901.123456, 1e-6, -3],"
                       " \"s\": \"1.5 and 2\", \"b\": 0.000000000001}";
    cJSON *res = NULL;
    sim_fx v;
    cr_assert_eq(rpt_json_parse(text, strlen(text), &res, NULL), SIM_OK);
    const cJSON *a = cJSON_GetObjectItem(res, "a");
    cr_assert(cJSON_IsRaw(cJSON_GetArrayItem(a, 1)));
    cr_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring,
                     "12345678901.123456");
    cr_assert_eq(rpt_json_fx(cJSON_GetArrayItem(a, 1), &v), SIM_OK);
    cr_assert(v == (sim_fx)12345678901123456LL * 1000000);
    cr_assert_eq(rpt_json_fx(cJSON_GetArrayItem(a, 2), &v), SIM_OK);
    cr_assert(v == 1000000);
    cr_assert_eq(rpt_json_fx(cJSON_GetArrayItem(a, 3), &v), SIM_OK);
    cr_assert(v == -3 * SIM_FX_ONE);
    cr_assert_eq(rpt_json_fx(cJSON_GetObjectItem(res, "b"), &v), SIM_OK);
    cr_assert(v == 1);
    cr_assert_str_eq(cJSON_GetObjectItem(res, "s")->valuestring,
                     "1.5 and 2");
    cr_assert_eq(rpt_json_fx(cJSON_GetObjectItem(res, "s"), &v), SIM_EINVAL);
    cJSON_Delete(res);

    size_t at = 0;
    cr_assert_eq(rpt_json_parse("{\"a\": [1,]}", 11, &res, &at), SIM_EPARSE);
    cr_assert(res == NULL);
    cr_assert_eq(at, 9);
}

/* ---- Markdown ----------------------------------------------------------- */

Test(report, md_cost_table_is_rounded_to_the_cent)
{
    cJSON *res = fixture("results-fluid.json");
    char *md = rpt_md_from_json(res);
    cr_assert(md);
    cr_assert(strncmp(md, "# doc000 S1: 100 users x 2 agents\n\n", 35) == 0);
    assert_line(md, "| deployment | provider | architecture | plan | "
                    "USD/month | USD/tenant | USD/agent | SLO |");
    assert_line(md, "|---|---|---|---|---:|---:|---:|---|");
    /* 202.8816 / 2.028816 / 1.014408: the month to the cent, per tenant
     * and per agent to four places */
    assert_line(md, "| railway-shared | railway | shared | hobby | 202.88 | "
                    "2.0288 | 1.0144 | ok |");
    /* 2028.816 rounds up; 20.28816 and 10.14408 to four places */
    assert_line(md, "| railway-per-agent | railway | per-agent | hobby | "
                    "2028.82 | 20.2882 | 10.1441 | ok |");
    assert_line(md, "| cloudflare-wfp | cloudflare | per-request | "
                    "workers-for-platforms | 25.00 | 0.2500 | 0.1250 | ok |");
    /* Fluid: no interval column. */
    cr_assert(!strstr(md, "95% interval"));
    free(md);
    cJSON_Delete(res);
}

Test(report, md_summary_names_catalog_seed_and_replications)
{
    cJSON *res = fixture("results-fluid.json");
    char *md = rpt_md_from_json(res);
    assert_line(md, "100 tenants with 200 agents, fluid workload over 730 "
                    "simulated hours. Prices: catalog 2025-11, as of "
                    "2025-11-30. Costs are per month of 730 hours. capsim "
                    "0.1.0, seed 1, 1 replication. Cheapest feasible per "
                    "agent: "
                    "cloudflare-wfp at $0.13 per agent-month ($25.00 per "
                    "month).");
    free(md);
    cJSON_Delete(res);
}

Test(report, md_line_items_show_exact_quantities_and_a_total)
{
    cJSON *res = fixture("results-fluid.json");
    char *md = rpt_md_from_json(res);
    assert_line(md, "## railway-shared");
    assert_line(md, "railway, shared, plan hobby, always-on, measured "
                    "billing.");
    assert_line(md, "| vcpu_second | vCPU (measured use) | 13140000 | "
                    "vCPU-s | 0.000008 | 0 | 101.44 |");
    assert_line(md, "| hobby_credit | Usage included in the Hobby "
                    "subscription | 1 | account-month | 5 | 0 | -5.00 |");
    assert_line(md, "| **total** | | | | | | **202.88** |");
    assert_line(md, "| instances (mean / peak) | 2 / 2 |");
    assert_line(md, "| awake (share of instance time) | 100% |");
    /* A fluid document has no queue or refusal keys: no such rows. */
    cr_assert(!strstr(md, "queue wait"));
    cr_assert(!strstr(md, "refused"));
    free(md);
    cJSON_Delete(res);
}

Test(report, md_stochastic_has_interval_and_capacity_facts)
{
    cJSON *res = fixture("results-stochastic.json");
    char *md = rpt_md_from_json(res);
    assert_line(md, "| deployment | provider | architecture | plan | "
                    "USD/month | 95% interval | USD/tenant | USD/agent | SLO |");
    /* 37.544925 in [37.281811, 37.808039]; 0.375449; 0.037545 */
    assert_line(md, "| fargate-per-agent | aws-fargate | per-agent | "
                    "linux-x86 | 37.54 | 37.28 - 37.81 | 0.3754 | 0.0375 | ok |");
    assert_line(md, "| awake (share of instance time) | 0.42% |");
    assert_line(md, "| cold starts per month | 29937.4 |");
    assert_line(md, "| cold-start wait (p50 / p95) | 45 s / 45 s |");
    assert_line(md, "| queue wait (p50 / p95 / p99) | 0 s / 0 s / 0 s |");
    assert_line(md, "| queued messages per month | 0 |");
    assert_line(md, "| refused messages per month | 27877.83 |");
    assert_line(md, "| hour pool used | 1000 h |");
    assert_line(md, "| hour pool ran dry at | 52.97 h |");
    assert_line(md, "| hours refused (pool dry) | 677.03 h |");
    free(md);
    cJSON_Delete(res);
}

Test(report, md_budgets_show_exact_figures)
{
    cJSON *res = fixture("results-stochastic.json");
    char *md = rpt_md_from_json(res);
    assert_line(md, "## Budgets");
    assert_line(md, "| metric | deployment | bound | max | actual | ok |");
    assert_line(md, "| per_agent_month_usd | fargate-per-agent | mean | "
                    "0.05 | 0.037545 | ok |");
    assert_line(md, "| **per_agent_month_usd** | **railway-shared** | "
                    "**mean** | **0.05** | **0.103707** | **over budget** |");
    assert_line(md, "| **total_month_usd** | **railway-shared** | "
                    "**upper95** | **100** | **103.724857** | "
                    "**over budget** |");
    free(md);
    cJSON_Delete(res);
}

Test(report, md_pricing_renders_advice_bands_and_prices)
{
    cJSON *res = fixture("results-stochastic.json");
    char *md = rpt_md_from_json(res);
    assert_line(md, "## Pricing");
    assert_line(md, "- At 100 tenants (1000 agents) the cheapest deployment "
                    "is heroku-eco: $5.00 a month.");
    assert_line(md, "| tenants | cheapest deployment |");
    assert_line(md, "| 1 - 42 | fly-per-tenant |");
    assert_line(md, "| 43 and above | heroku-eco |");
    assert_line(md, "### heroku-eco");
    assert_line(md, "LLM spend $0.06 per agent-month. Cost: $5.00 per month "
                    "fixed plus $0.00 per tenant.");
    assert_line(md, "| markup | USD/agent-month | USD/tenant-month | gross "
                    "margin | break-even tenants |");
    /* A null break-even is "never"; 33.333333% shows as 33.3%. */
    assert_line(md, "| 1x | 0.07 | 0.65 | 0.0% | never |");
    assert_line(md, "| 1.5x | 0.10 | 0.98 | 33.3% | 14 |");
    assert_line(md, "| 3x | 0.20 | 1.95 | 66.7% | 4 |");
    free(md);
    cJSON_Delete(res);
}

Test(report, md_pricing_falls_back_to_the_suggested_price)
{
    cJSON *res = fixture("results-fluid.json");
    const cJSON *d;
    cJSON_DeleteItemFromObject(res, "advice");
    cJSON_DeleteItemFromObject(res, "cheapest");
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(res, "deployments"))
        cJSON_DeleteItemFromObject((cJSON *)d, "recommendation");
    char *md = rpt_md_from_json(res);
    assert_line(md, "## Pricing");
    assert_line(md, "### railway-shared");
    /* 1.521612, 2.028816, 3.043224 */
    assert_line(md, "Suggested price per agent-month: $1.52 at 1.5x, $2.03 "
                    "at 2x, $3.04 at 3x.");
    cr_assert(!strstr(md, "| tenants | cheapest deployment |"));
    free(md);
    cJSON_Delete(res);
}

Test(report, md_tolerates_a_sparse_document)
{
    const char *text = "{\"deployments\": [{\"name\": \"x|y\"}]}";
    cJSON *res = NULL;
    cr_assert_eq(rpt_json_parse(text, strlen(text), &res, NULL), SIM_OK);
    char *md = rpt_md_from_json(res);
    cr_assert(md);
    assert_line(md, "# -");
    /* `|` would split the cell. */
    assert_line(md, "| x\\|y | - | - | - | - | - | - | ok |");
    assert_line(md, "| **total** | | | | | | **-** |");
    cr_assert(!strstr(md, "## Budgets"));
    cr_assert(!strstr(md, "## Pricing"));
    free(md);
    char *csv = rpt_csv_from_json(res);
    char *html = rpt_html_from_json(res, NULL);
    cr_assert(csv && html);
    free(csv);
    free(html);
    cJSON_Delete(res);
}

Test(report, double_and_raw_numbers_render_the_same)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/results-stochastic.json",
             TEST_DIR);
    char *text = slurp(path);
    cJSON *raw = fixture("results-stochastic.json");
    cJSON *dbl = cJSON_Parse(text);
    cr_assert(dbl);
    char *a[3] = {rpt_md_from_json(raw), rpt_csv_from_json(raw),
                  rpt_html_from_json(raw, NULL)};
    char *b[3] = {rpt_md_from_json(dbl), rpt_csv_from_json(dbl),
                  rpt_html_from_json(dbl, NULL)};
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(a[i], b[i]);
        free(a[i]);
        free(b[i]);
    }
    free(text);
    cJSON_Delete(raw);
    cJSON_Delete(dbl);
}

/* ---- CSV ---------------------------------------------------------------- */

typedef struct rows {
    char *cell[64][24];
    int nrow, ncol, width[64];
} rows;

static void on_field(void *s, size_t len, void *data)
{
    rows *r = data;
    cr_assert(r->nrow < 64 && r->ncol < 24);
    char *c = malloc(len + 1);
    memcpy(c, s ? s : "", len);
    c[len] = '\0';
    r->cell[r->nrow][r->ncol++] = c;
}

static void on_row(int ch, void *data)
{
    rows *r = data;
    (void)ch;
    r->width[r->nrow++] = r->ncol;
    r->ncol = 0;
}

static void parse_csv(const char *text, rows *r)
{
    struct csv_parser p;
    memset(r, 0, sizeof *r);
    cr_assert_eq(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    cr_assert_eq(csv_parse(&p, text, strlen(text), on_field, on_row, r),
                 strlen(text), "csv: %s", csv_strerror(csv_error(&p)));
    cr_assert_eq(csv_fini(&p, on_field, on_row, r), 0);
    csv_free(&p);
}

static void free_rows(rows *r)
{
    for (int i = 0; i < r->nrow; i++)
        for (int c = 0; c < r->width[i]; c++)
            free(r->cell[i][c]);
}

/* The row for (deployment, item). */
static char **row_of(rows *r, const char *dep, const char *item)
{
    for (int i = 1; i < r->nrow; i++)
        if (!strcmp(r->cell[i][1], dep) && !strcmp(r->cell[i][5], item))
            return r->cell[i];
    cr_assert_fail("no row %s/%s", dep, item);
    return NULL;
}

static void assert_cells(char **row, const char *const *want)
{
    for (int c = 0; c < 16; c++)
        cr_assert_str_eq(row[c], want[c], "column %d", c);
}

Test(report, csv_rows_parse_back_with_exact_decimals)
{
    cJSON *res = fixture("results-stochastic.json");
    char *csv = rpt_csv_from_json(res);
    rows r;
    parse_csv(csv, &r);
    /* Header, 2 + 4 + 1 + 1 line items, one total per deployment. */
    cr_assert_eq(r.nrow, 1 + 8 + 4);
    /* The 17th column, feasible, is empty where the document (written
     * before feasibility was judged) does not say. */
    for (int i = 0; i < r.nrow; i++) {
        cr_assert_eq(r.width[i], 17, "row %d", i);
        cr_assert_str_eq(r.cell[i][16], i ? "" : "feasible", "row %d", i);
    }
    static const char *const head[] = {
        "scenario", "deployment", "provider", "architecture", "plan", "item",
        "what", "unit", "quantity", "rate_usd", "included", "usd",
        "usd_ci95_lo", "usd_ci95_hi", "per_tenant_usd", "per_agent_usd"
    };
    assert_cells(r.cell[0], head);
    static const char *const vcpu[] = {
        "100 users x 10 agents, stochastic", "fargate-per-agent",
        "aws-fargate", "per-agent", "linux-x86", "x86_vcpu_hour",
        "Fargate vCPU, Linux/x86 (requested)", "vCPU-h", "760.480556",
        "0.04048", "0", "30.784253", "", "", "", ""
    };
    assert_cells(row_of(&r, "fargate-per-agent", "x86_vcpu_hour"), vcpu);
    static const char *const total[] = {
        "100 users x 10 agents, stochastic", "fargate-per-agent",
        "aws-fargate", "per-agent", "linux-x86", "total", "Month total",
        "month", "", "", "", "37.544925", "37.281811", "37.808039",
        "0.375449", "0.037545"
    };
    assert_cells(row_of(&r, "fargate-per-agent", "total"), total);
    cr_assert_str_eq(row_of(&r, "railway-shared", "pro_credit")[11], "-20");
    /* The scenario name holds a comma, so it is quoted; plain ones not. */
    cr_assert(strncmp(strchr(csv, '\n') + 1,
                      "\"100 users x 10 agents, stochastic\","
                      "fargate-per-agent,", 54) == 0);
    free_rows(&r);
    free(csv);
    cJSON_Delete(res);
}

Test(report, csv_quotes_awkward_names)
{
    cJSON *res = fixture("results-fluid.json");
    rename_deployment(res, "fly-shared", " a,\"b\"\nc ");
    char *csv = rpt_csv_from_json(res);
    rows r;
    parse_csv(csv, &r);
    char **row = row_of(&r, " a,\"b\"\nc ", "total");
    cr_assert_str_eq(row[11], "54.243056");
    cr_assert_str_eq(row_of(&r, "railway-shared", "total")[11], "202.8816");
    free_rows(&r);
    free(csv);
    cJSON_Delete(res);
}

/* ---- HTML --------------------------------------------------------------- */

static void assert_balanced(const char *html, const char *tag)
{
    char open[32], close[32], open_attr[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(open_attr, sizeof open_attr, "<%s ", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    size_t o = count(html, open) + count(html, open_attr);
    cr_assert(o > 0, "no <%s>", tag);
    cr_assert_eq(o, count(html, close), "<%s> %zu opened, %zu closed", tag,
                 o, count(html, close));
}

Test(report, html_is_one_self_contained_page)
{
    cJSON *res = fixture("results-stochastic.json");
    char *html = rpt_html_from_json(res, NULL);
    cr_assert(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
    cr_assert(strstr(html, "<style>"));
    cr_assert(!strstr(html, "<script"));
    cr_assert(!strstr(html, "http:"));
    cr_assert(!strstr(html, "https:"));
    cr_assert(!strstr(html, " src="));
    cr_assert(!strstr(html, "<link"));
    const char *tags[] = {"html", "head", "body", "main", "table", "thead",
                          "tbody", "tr", "section", "h2", "h3", "ul", "li",
                          "p"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        assert_balanced(html, tags[i]);
    /* The cost table comes first, before any deployment's details. */
    const char *costs = strstr(html, "<table class=\"costs\">");
    cr_assert(costs && costs < strstr(html, "<table class=\"items\">"));
    cr_assert(strstr(html, "<td>fargate-per-agent</td><td>aws-fargate</td>"
                           "<td>per-agent</td><td>linux-x86</td>"
                           "<td class=\"n\">37.54</td>"
                           "<td class=\"n\">37.28 - 37.81</td>"));
    /* Large numbers are grouped for reading. */
    cr_assert(strstr(html, "<td class=\"n\">26,570,534.250983</td>"));
    free(html);
    cJSON_Delete(res);
}

Test(report, html_escapes_every_text)
{
    cJSON *res = fixture("results-fluid.json");
    rename_deployment(res, "fly-shared", "<b>fly & 'co' \"x\"</b>");
    cJSON_SetValuestring(cJSON_GetObjectItem(res, "scenario"), "a<script>");
    char *html = rpt_html_from_json(res, NULL);
    cr_assert(!strstr(html, "<b>"));
    cr_assert(!strstr(html, "<script"));
    cr_assert(strstr(html, "<td>&lt;b&gt;fly &amp; &#39;co&#39; "
                           "&quot;x&quot;&lt;/b&gt;</td>"));
    cr_assert(strstr(html, "<title>capsim report: a&lt;script&gt;</title>"));
    assert_balanced(html, "table");
    assert_balanced(html, "td");
    free(html);
    char *md = rpt_md_from_json(res);
    assert_line(md, "## \\<b\\>fly & 'co' \"x\"\\</b\\>");
    free(md);
    cJSON_Delete(res);
}

Test(report, html_inlines_charts_or_says_why_not)
{
    cJSON *res = fixture("results-fluid.json");
    rpt_chart v[2] = {
        {"per_agent_cost", "Per-agent cost", NULL,
         "<svg role=\"img\"><g id=\"per_agent_cost-gpPt0\"/></svg>"},
        {"line_items", "Line items", NULL, NULL}
    };
    rpt_charts ch = {v, 2, 0, NULL, NULL, 0, NULL, 0};
    char *html = rpt_html_from_json(res, &ch);
    cr_assert(strstr(html, "<figure class=\"chart\" id=\"chart-per_agent_cost"
                           "\">\n<svg role=\"img\"><g id=\"per_agent_cost-"
                           "gpPt0\"/></svg></figure>"));
    cr_assert(strstr(html, "Chart not drawn: Line items. Its data and "
                           "gnuplot script are charts/line_items.dat and "
                           "charts/line_items.gp."));
    /* Charts come after the cost table and before the details. */
    cr_assert(strstr(html, "<table class=\"costs\">") <
              strstr(html, "<figure"));
    cr_assert(strstr(html, "<figure") <
              strstr(html, "<table class=\"items\">"));
    free(html);

    ch.problem = "gnuplot is not installed (not found on PATH)";
    v[0].svg = NULL;
    html = rpt_html_from_json(res, &ch);
    cr_assert(strstr(html, "<p class=\"note\">Charts were not drawn: gnuplot "
                           "is not installed (not found on PATH)."));
    cr_assert(!strstr(html, "<figure"));
    free(html);
    cJSON_Delete(res);
}

/* ---- writing ------------------------------------------------------------ */

static int warnings(const sim_diag *d, const char *needle)
{
    int n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].level == SIM_DIAG_WARNING &&
            strstr(d->v[i].message, needle))
            n++;
    return n;
}

Test(report, write_without_gnuplot_keeps_the_documents_and_warns)
{
    char *empty = hide_gnuplot(), *dir = temp_dir();
    cJSON *res = fixture("results-stochastic.json");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, dir, 0, &d), SIM_OK);
    cr_assert_eq(d.errors, 0);
    cr_assert_eq(warnings(&d, "gnuplot is not installed"), 1);
    char *top = listing(dir);
    cr_assert_str_eq(top, "charts costs.csv report.html report.md");
    char cdir[1024];
    snprintf(cdir, sizeof cdir, "%s/charts", dir);
    char *charts = listing(cdir);
    cr_assert_str_eq(charts, "awake_cold.dat awake_cold.gp instances.dat "
                             "instances.gp line_items.dat line_items.gp "
                             "per_agent_cost.dat per_agent_cost.gp");
    char path[1024];
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = slurp(path);
    cr_assert(strstr(html, "Charts were not drawn: gnuplot is not "
                           "installed"));
    /* What is on disk is what the renderers return. */
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path), *want = rpt_md_from_json(res);
    cr_assert_str_eq(md, want);
    free(md);
    free(want);
    free(html);
    free(top);
    free(charts);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(empty);
    free(dir);
    free(empty);
}

Test(report, write_without_gnuplot_fails_when_charts_are_required)
{
    char *empty = hide_gnuplot(), *dir = temp_dir();
    cJSON *res = fixture("results-fluid.json");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, dir, 1, &d), SIM_EIO);
    cr_assert_eq(d.errors, 1);
    cr_assert(strstr(d.v[0].message, "gnuplot is not installed"));
    /* Nothing is left behind, not even the charts directory. */
    char *top = listing(dir);
    cr_assert_str_eq(top, "");
    free(top);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(empty);
    free(dir);
    free(empty);
}

/* A PATH whose only gnuplot is a shell script with `body`. */
static char *fake_gnuplot(const char *body)
{
    char *bin = temp_dir(), path[1024];
    snprintf(path, sizeof path, "%s/gnuplot", bin);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    cr_assert_eq(chmod(path, 0755), 0);
    cr_assert_eq(setenv("PATH", bin, 1), 0);
    return bin;
}

Test(report, a_failing_gnuplot_is_a_warning_with_its_message)
{
    char *bin = fake_gnuplot("echo '\"x.gp\" line 3: undefined variable' "
                             ">&2; exit 1");
    char *dir = temp_dir();
    cJSON *res = fixture("results-fluid.json");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, dir, 0, &d), SIM_OK);
    cr_assert_eq(warnings(&d, "gnuplot failed on charts/per_agent_cost.gp "
                              "(exit status 1): \"x.gp\" line 3: undefined "
                              "variable"), 1, "%s", d.n ? d.v[0].message : "");
    char *top = listing(dir);
    cr_assert_str_eq(top, "charts costs.csv report.html report.md");
    free(top);
    sim_diag_fini(&d);

    /* Required charts: an error, and nothing left behind. */
    rm_rf(dir);
    cr_assert_eq(mkdir(dir, 0777), 0);
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, dir, 1, &d), SIM_EIO);
    cr_assert_eq(d.errors, 1);
    top = listing(dir);
    cr_assert_str_eq(top, "");
    free(top);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(bin);
    free(dir);
    free(bin);
}

Test(report, a_gnuplot_that_draws_nothing_is_noticed)
{
    char *bin = fake_gnuplot("exit 0"), *dir = temp_dir();
    cJSON *res = fixture("results-fluid.json");
    rpt_charts ch;
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_charts_make(res, dir, &ch, &d), SIM_OK);
    cr_assert(!ch.missing_gnuplot);
    cr_assert_str_eq(ch.problem, "gnuplot wrote no charts/per_agent_cost.svg");
    cr_assert(ch.v[0].svg == NULL && ch.v[1].svg == NULL);
    rpt_charts_fini(&ch);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(bin);
    free(dir);
    free(bin);
}

Test(report, a_failed_write_removes_what_it_wrote)
{
    char *dir = temp_dir(), path[1024];
    cJSON *res = fixture("results-fluid.json");
    sim_diag d;
    sim_diag_init(&d);
    /* report.html cannot replace a directory, so the third file fails
     * after the first two were written. */
    snprintf(path, sizeof path, "%s/report.html", dir);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/report.html/keep", dir);
    fclose(fopen(path, "w"));
    cr_assert_eq(rpt_report_write(res, dir, 0, &d), SIM_EIO);
    cr_assert(d.errors >= 1);
    const sim_diag_entry *e = &d.v[d.n - 1];
    cr_assert(strstr(e->file, "/report.html"), "%s", e->file);
    cr_assert(strstr(e->message, "cannot write: "), "%s", e->message);
    char *top = listing(dir);
    cr_assert_str_eq(top, "report.html");
    free(top);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    free(dir);
}

Test(report, write_into_a_missing_directory_names_it)
{
    cJSON *res = fixture("results-fluid.json");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, "/nonexistent/capsim-out", 0, &d),
                 SIM_EIO);
    cr_assert_eq(d.errors, 1);
    cr_assert_str_eq(d.v[0].file, "/nonexistent/capsim-out/charts");
    cr_assert(strstr(d.v[0].message, strerror(ENOENT)), "%s",
              d.v[0].message);
    sim_diag_fini(&d);
    cJSON_Delete(res);
}

Test(report, write_rejects_what_is_not_a_results_document)
{
    cJSON *res = cJSON_Parse("{\"capsim\": 1}");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, "/tmp", 0, &d), SIM_EINVAL);
    cr_assert(strstr(d.v[0].message, "deployments"));
    sim_diag_fini(&d);
    cJSON_Delete(res);
}

/* Every file under dir/charts and the three documents, compared. */
static void assert_same_tree(const char *a, const char *b)
{
    static const char *const files[] = {
        "report.md", "costs.csv", "report.html",
        "charts/per_agent_cost.svg", "charts/per_agent_cost.gp",
        "charts/per_agent_cost.dat", "charts/line_items.svg",
        "charts/instances.svg", "charts/awake_cold.svg"
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char pa[1024], pb[1024];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        char *x = slurp(pa), *y = slurp(pb);
        cr_assert_str_eq(x, y, "%s differs", files[i]);
        free(x);
        free(y);
    }
}

Test(report, write_with_gnuplot_draws_every_chart_deterministically)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed");
    char *a = temp_dir(), *b = temp_dir(), path[1024];
    cJSON *res = fixture("results-stochastic.json");
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_report_write(res, a, 1, &d), SIM_OK);
    cr_assert_eq(d.n, 0, "%s", d.n ? d.v[0].message : "");
    cr_assert_eq(rpt_report_write(res, b, 1, &d), SIM_OK);
    assert_same_tree(a, b);
    char cdir[1024];
    snprintf(cdir, sizeof cdir, "%s/charts", a);
    char *charts = listing(cdir);
    cr_assert_str_eq(charts, "awake_cold.dat awake_cold.gp awake_cold.svg "
                             "instances.dat instances.gp instances.svg "
                             "line_items.dat line_items.gp line_items.svg "
                             "per_agent_cost.dat per_agent_cost.gp "
                             "per_agent_cost.svg");
    snprintf(path, sizeof path, "%s/charts/line_items.svg", a);
    char *svg = slurp(path);
    cr_assert(strncmp(svg, "<?xml", 5) == 0);
    /* Credits below zero: Railway's -20 Pro credit is in the data. */
    snprintf(path, sizeof path, "%s/charts/line_items.dat", a);
    char *dat = slurp(path);
    cr_assert(strstr(dat, "\n1 -20 0\n"), "%s", dat);
    snprintf(path, sizeof path, "%s/report.html", a);
    char *html = slurp(path);
    cr_assert_eq(count(html, "<svg "), 4);
    assert_balanced(html, "svg");
    assert_balanced(html, "figure");
    cr_assert(!strstr(html, "<?xml"));
    cr_assert(!strstr(html, "<!DOCTYPE svg"));
    cr_assert(!strstr(html, "id='gpPt0'"));       /* prefixed per chart */
    cr_assert(strstr(html, "id='line_items-gpPt0'"));
    cr_assert(strstr(html, "href='#awake_cold-gpPt"));
    cr_assert(!strstr(html, "Charts were not drawn"));
    free(svg);
    free(dat);
    free(html);
    free(charts);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(a);
    rm_rf(b);
    free(a);
    free(b);
}

Test(report, fluid_results_have_no_time_or_awake_charts)
{
    char *empty = hide_gnuplot(), *dir = temp_dir();
    cJSON *res = fixture("results-fluid.json");
    rpt_charts ch;
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_charts_make(res, dir, &ch, &d), SIM_OK);
    cr_assert_eq(ch.n, 2);
    cr_assert_str_eq(ch.v[0].name, "per_agent_cost");
    cr_assert_str_eq(ch.v[1].name, "line_items");
    cr_assert(ch.missing_gnuplot);
    cr_assert(ch.v[0].svg == NULL && ch.v[0].svg_path == NULL);
    /* 13 deployments from 0.125 to 10.14408 per agent: under 100x, so a
     * linear axis, and no whiskers for a fluid run. */
    char path[1024];
    snprintf(path, sizeof path, "%s/charts/per_agent_cost.gp", dir);
    char *gp = slurp(path);
    cr_assert(!strstr(gp, "logscale"));
    cr_assert(!strstr(gp, "errorbars"));
    cr_assert(strstr(gp, "set terminal svg size 900,480 dynamic enhanced "
                         "font 'sans,11'"));
    cr_assert(strstr(gp, "'railway-shared' 0, 'railway-per-agent' 1"));
    snprintf(path, sizeof path, "%s/charts/per_agent_cost.dat", dir);
    char *dat = slurp(path);
    cr_assert(strstr(dat, "\n12 0.125 0.125 0.125  # cloudflare-wfp\n"),
              "%s", dat);
    free(gp);
    free(dat);
    rpt_charts_unlink(&ch);
    char *top = listing(dir);
    cr_assert_str_eq(top, "");
    free(top);
    rpt_charts_fini(&ch);
    rpt_charts_fini(NULL);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(empty);
    free(dir);
    free(empty);
}

Test(report, chart_scripts_quote_names_for_gnuplot)
{
    char *empty = hide_gnuplot(), *dir = temp_dir(), path[1024];
    cJSON *res = fixture("results-stochastic.json");
    rename_deployment(res, "fly-per-tenant", "it's_a \"fly\"\nmachine");
    rpt_charts ch;
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_charts_make(res, dir, &ch, &d), SIM_OK);
    snprintf(path, sizeof path, "%s/charts/instances.gp", dir);
    char *gp = slurp(path);
    cr_assert(strstr(gp, "title 'it''s_a \"fly\" machine'"), "%s", gp);
    cr_assert(strstr(gp, "set key noenhanced"));
    free(gp);
    rpt_charts_fini(&ch);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(empty);
    free(dir);
    free(empty);
}

Test(report, per_agent_chart_uses_a_log_axis_past_100x)
{
    char *empty = hide_gnuplot(), *dir = temp_dir(), path[1024];
    cJSON *res = fixture("results-stochastic.json");
    /* heroku-eco 0.005 against railway-shared at 0.6: 120x. */
    cJSON *pa = cJSON_GetObjectItem((cJSON *)deployment(res,
                                    "railway-shared"), "per_agent_month_usd");
    cJSON_ReplaceItemInObject(pa, "mean", cJSON_CreateRaw("0.6"));
    rpt_charts ch;
    sim_diag d;
    sim_diag_init(&d);
    cr_assert_eq(rpt_charts_make(res, dir, &ch, &d), SIM_OK);
    snprintf(path, sizeof path, "%s/charts/per_agent_cost.gp", dir);
    char *gp = slurp(path);
    cr_assert(strstr(gp, "set logscale y"));
    cr_assert(strstr(gp, "boxerrorbars"));
    cr_assert(strstr(ch.v[0].title, "log scale"));
    free(gp);
    rpt_charts_fini(&ch);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    rm_rf(dir);
    rm_rf(empty);
    free(dir);
    free(empty);
}

/* A name a spreadsheet would run as a formula is defused. */
Test(report, csv_defuses_formula_names)
{
    cJSON *res = cJSON_Parse("{\"scenario\": \"=HYPERLINK(1)\", "
                             "\"deployments\": [{\"name\": \"-2+3\", "
                             "\"provider\": \"fly\", \"line_items\": [], "
                             "\"month_usd\": {\"mean\": -1}}]}");
    char *csv = rpt_csv_from_json(res);
    cr_assert(csv);
    cr_assert(strstr(csv, "\n'=HYPERLINK(1),'-2+3,fly,"), "%s", csv);
    cr_assert(strstr(csv, ",-1,"), "negative money stays a number: %s", csv);
    free(csv);
    cJSON_Delete(res);
}

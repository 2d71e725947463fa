/*
 * report.c -- report.md, costs.csv and report.html from the results
 * document, and writing them (with the charts) into a directory.
 *
 * The Markdown and HTML reports say the same things in the same order, so
 * both are produced by one set of section writers talking to a tiny
 * "document" emitter (headings, paragraphs, tables, lists) that escapes
 * for its format.  The alternative, two renderers kept in step by hand,
 * is how table.c's Markdown and text tables drifted apart.
 */
#include "reports/report.h"
#include "base/alloc.h"
#include "reports/fmt.h"


#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void sb_puts(sim_buf *b, const char *s)
{
    sim_buf_put(b, s, strlen(s));
}

static int num(const cJSON *o, const char *key, sim_fx *v)
{
    *v = 0;
    return rpt_json_fx(rpt__get(o, key), v) == SIM_OK;
}

/* Offsets of the number tokens of a JSON text, in document order. */
/* ---- numbers ------------------------------------------------------------ */

static char *fx_exact(sim_fx v, char *buf, size_t size)
{
    return rpt_fx_trim(v, SIM_FX_PLACES, 0, buf, size);
}

/* ---- document emitter --------------------------------------------------- */

typedef struct doc {
    sim_buf b;
    int html;
    int ncol;        /* columns of the open table */
    const char *align;
} doc;

static void esc_html(sim_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sim_buf_put(b, s, 1);
        }
    }
}

/* Markdown: backslash-escape what could open markup or split a table
 * cell; a newline would end the cell, so it becomes a space.  `_` is left
 * alone: names like fly_shared would read badly with it escaped, and
 * GFM does not emphasise inside words. */
static void esc_md(sim_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t')
            sb_puts(b, " ");
        else if (strchr("\\|<>*`[]", *s))
            sim_buf_printf(b, "\\%c", *s);
        else
            sim_buf_put(b, s, 1);
    }
}

static void esc(doc *d, const char *s)
{
    if (d->html)
        esc_html(&d->b, s);
    else
        esc_md(&d->b, s);
}

static void d_heading(doc *d, int level, const char *id, const char *text)
{
    if (d->html) {
        sim_buf_printf(&d->b, "<h%d", level);
        if (id) {
            sb_puts(&d->b, " id=\"");
            esc_html(&d->b, id);
            sb_puts(&d->b, "\"");
        }
        sb_puts(&d->b, ">");
        esc_html(&d->b, text);
        sim_buf_printf(&d->b, "</h%d>\n", level);
    } else {
        for (int i = 0; i < level; i++)
            sb_puts(&d->b, "#");
        sb_puts(&d->b, " ");
        esc_md(&d->b, text);
        sb_puts(&d->b, "\n\n");
    }
}

static void d_para(doc *d, const char *cls, const char *text)
{
    if (d->html) {
        if (cls)
            sim_buf_printf(&d->b, "<p class=\"%s\">", cls);
        else
            sb_puts(&d->b, "<p>");
        esc_html(&d->b, text);
        sb_puts(&d->b, "</p>\n");
    } else {
        esc_md(&d->b, text);
        sb_puts(&d->b, "\n\n");
    }
}

/* `align` has one letter per column: l(eft) or r(ight, for numbers). */
static void d_table(doc *d, const char *cls, const char *const *head,
                    const char *align)
{
    int n = (int)strlen(align);
    d->ncol = n;
    d->align = align;
    if (d->html) {
        sim_buf_printf(&d->b, "<table class=\"%s\">\n<thead><tr>", cls);
        for (int c = 0; c < n; c++) {
            sb_puts(&d->b, align[c] == 'r' ? "<th class=\"n\">" : "<th>");
            esc_html(&d->b, head[c]);
            sb_puts(&d->b, "</th>");
        }
        sb_puts(&d->b, "</tr></thead>\n<tbody>\n");
        return;
    }
    sb_puts(&d->b, "|");
    for (int c = 0; c < n; c++) {
        sb_puts(&d->b, " ");
        esc_md(&d->b, head[c]);
        sb_puts(&d->b, " |");
    }
    sb_puts(&d->b, "\n|");
    for (int c = 0; c < n; c++)
        sb_puts(&d->b, align[c] == 'r' ? "---:|" : "---|");
    sb_puts(&d->b, "\n");
}

/* One row; `strong` marks a total or a failure. */
static void d_row(doc *d, const char *const *cell, int strong)
{
    if (d->html) {
        sb_puts(&d->b, strong ? "<tr class=\"strong\">" : "<tr>");
        for (int c = 0; c < d->ncol; c++) {
            sb_puts(&d->b, d->align[c] == 'r' ? "<td class=\"n\">" : "<td>");
            esc_html(&d->b, cell[c]);
            sb_puts(&d->b, "</td>");
        }
        sb_puts(&d->b, "</tr>\n");
        return;
    }
    sb_puts(&d->b, "|");
    for (int c = 0; c < d->ncol; c++) {
        int bold = strong && cell[c][0];
        sb_puts(&d->b, cell[c][0] ? " " : "");
        sb_puts(&d->b, bold ? "**" : "");
        esc_md(&d->b, cell[c]);
        sb_puts(&d->b, bold ? "**" : "");
        sb_puts(&d->b, cell[c][0] ? " |" : " |");
    }
    sb_puts(&d->b, "\n");
}

static void d_table_end(doc *d)
{
    sb_puts(&d->b, d->html ? "</tbody>\n</table>\n" : "\n");
}

static void d_list(doc *d, int open)
{
    if (d->html)
        sb_puts(&d->b, open ? "<ul>\n" : "</ul>\n");
    else if (!open)
        sb_puts(&d->b, "\n");
}

static void d_item(doc *d, const char *text)
{
    sb_puts(&d->b, d->html ? "<li>" : "- ");
    esc(d, text);
    sb_puts(&d->b, d->html ? "</li>\n" : "\n");
}

/* ---- shared facts ------------------------------------------------------- */

enum { CELL = 96 };

/* snprintf into a CELL-sized buffer.  Cells hold a few numbers of at most
 * 50 characters; a longer one is cut, never overrun. */
static char *cellf(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *cellf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, CELL, fmt, ap);
    va_end(ap);
    return buf;
}

static const cJSON *deployments(const cJSON *res)
{
    const cJSON *a = rpt__get(res, "deployments");
    return cJSON_IsArray(a) ? a : NULL;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Stochastic when the document says so; otherwise when any interval is
 * wider than a point (older documents have no "workload" key). */
static int is_stochastic(const cJSON *res)
{
    const char *w = rpt__str(res, "workload");
    if (w)
        return strcmp(w, "stochastic") == 0;
    const cJSON *dep;
    cJSON_ArrayForEach(dep, deployments(res)) {
        const cJSON *ci = rpt__get(rpt__get(dep, "month_usd"), "ci95");
        sim_fx lo, hi;
        if (rpt_json_fx(cJSON_GetArrayItem(ci, 0), &lo) == SIM_OK &&
            rpt_json_fx(cJSON_GetArrayItem(ci, 1), &hi) == SIM_OK && lo != hi)
            return 1;
    }
    return 0;
}

/* Money to the cent (grouped in HTML), or "-" when absent. */
static const char *money(const doc *d, const cJSON *item, char *buf)
{
    sim_fx v;
    if (rpt_json_fx(item, &v) != SIM_OK)
        return "-";
    return rpt_fx_round(v, 2, d->html, buf, CELL);
}

/* Per-tenant and per-agent figures: four decimals, as the terminal table
 * shows them, since a cheap architecture costs cents per agent. */
static const char *money4(const doc *d, const cJSON *item, char *buf)
{
    sim_fx v;
    if (rpt_json_fx(item, &v) != SIM_OK)
        return "-";
    return rpt_fx_round(v, 4, d->html, buf, CELL);
}

/* A quantity as the document wrote it (grouped in HTML). */
static const char *exact(const doc *d, const cJSON *item, char *buf)
{
    sim_fx v;
    if (rpt_json_fx(item, &v) != SIM_OK)
        return "-";
    fx_exact(v, buf, CELL);
    if (d->html)
        rpt_group_thousands(buf, CELL);
    return buf;
}

static const char *stat_mean(const doc *d, const cJSON *dep, const char *key,
                             char *buf)
{
    return money(d, rpt__get(rpt__get(dep, key), "mean"), buf);
}

/* The 95% interval of month_usd as "lo - hi". */
static const char *interval(const doc *d, const cJSON *dep, char *buf)
{
    const cJSON *ci = rpt__get(rpt__get(dep, "month_usd"), "ci95");
    sim_fx lo, hi;
    char a[CELL], b[CELL];
    if (rpt_json_fx(cJSON_GetArrayItem(ci, 0), &lo) != SIM_OK ||
        rpt_json_fx(cJSON_GetArrayItem(ci, 1), &hi) != SIM_OK)
        return "-";
    return cellf(buf, "%s - %s", rpt_fx_round(lo, 2, d->html, a, CELL),
                 rpt_fx_round(hi, 2, d->html, b, CELL));
}

/* The feasible deployment with the lowest mean per-agent cost (first on
 * ties). */
static const cJSON *cheapest(const cJSON *res)
{
    const cJSON *best = NULL, *dep;
    sim_fx bv = 0;
    cJSON_ArrayForEach(dep, deployments(res)) {
        sim_fx v;
        if (!rpt__feasible(dep))
            continue;
        if (rpt_json_fx(rpt__get(rpt__get(dep, "per_agent_month_usd"),
                                 "mean"), &v) != SIM_OK)
            continue;
        if (!best || v < bv) {
            best = dep;
            bv = v;
        }
    }
    return best;
}

/* Every deployment judged, and none feasible. */
static int all_infeasible(const cJSON *res)
{
    const cJSON *dep;
    int n = 0;
    cJSON_ArrayForEach(dep, deployments(res)) {
        if (!cJSON_IsFalse(rpt__get(dep, "feasible")))
            return 0;
        n++;
    }
    return n > 0;
}

static void summary(doc *d, const cJSON *res)
{
    sim_buf s = {0};
    char a[CELL], b[CELL], c[CELL];
    const cJSON *pr = rpt__get(res, "pricing");
    sim_fx v;
    if (num(res, "tenants", &v))
        sim_buf_printf(&s, "%s %s", rpt_fx_trim(v, 2, 0, a, CELL),
                       v == SIM_FX_ONE ? "tenant" : "tenants");
    if (num(res, "agents", &v))
        sim_buf_printf(&s, "%s%s %s", s.n ? " with " : "",
                       rpt_fx_trim(v, 2, 0, a, CELL),
                       v == SIM_FX_ONE ? "agent" : "agents");
    sim_buf_printf(&s, "%s%s workload", s.n ? ", " : "",
                   is_stochastic(res) ? "stochastic" : "fluid");
    if (num(res, "horizon_hours", &v))
        sim_buf_printf(&s, " over %s simulated hours",
                       rpt_fx_trim(v, 2, 0, a, CELL));
    sim_buf_printf(&s, ". Prices: catalog %s, as of %s. Costs are per "
                   "month of 730 hours. capsim %s", or_dash(rpt__str(pr,
                   "catalog")), or_dash(rpt__str(pr, "as_of")),
                   or_dash(rpt__str(res, "capsim_version")));
    if (num(res, "seed", &v))
        sim_buf_printf(&s, ", seed %s", rpt_fx_trim(v, 0, 0, a, CELL));
    if (num(res, "replications", &v))
        sim_buf_printf(&s, ", %s replication%s", rpt_fx_trim(v, 0, 0, a, CELL),
                       v == SIM_FX_ONE ? "" : "s");
    sim_buf_printf(&s, ".");
    const cJSON *best = cheapest(res);
    if (best && cJSON_GetArraySize(deployments(res)) > 1)
        sim_buf_printf(&s, " Cheapest feasible per agent: %s at $%s per "
                       "agent-month ($%s per month).",
                       or_dash(rpt__str(best, "name")),
                       stat_mean(d, best, "per_agent_month_usd", b),
                       stat_mean(d, best, "month_usd", c));
    else if (!best && all_infeasible(res))
        sim_buf_printf(&s, " No deployment is feasible: none meets the "
                       "service level within its provider's limits.");
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    d_para(d, "summary", text);
    sim_free(text);
}

static void cost_table(doc *d, const cJSON *res)
{
    static const char *const head[] = {
        "deployment", "provider", "architecture", "plan", "USD/month",
        "USD/tenant", "USD/agent", "SLO"
    };
    static const char *const head_ci[] = {
        "deployment", "provider", "architecture", "plan", "USD/month",
        "95% interval", "USD/tenant", "USD/agent", "SLO"
    };
    int ci = is_stochastic(res);
    char m[CELL], i[CELL], t[CELL], a[CELL];
    const cJSON *dep;
    d_table(d, "costs", ci ? head_ci : head, ci ? "llllrrrrl" : "llllrrrl");
    cJSON_ArrayForEach(dep, deployments(res)) {
        const char *cell[9] = {
            or_dash(rpt__str(dep, "name")),
            or_dash(rpt__str(dep, "provider")),
            or_dash(rpt__str(dep, "architecture")),
            or_dash(rpt__str(dep, "plan")),
            stat_mean(d, dep, "month_usd", m), NULL, NULL, NULL
        };
        int k = 5;
        if (ci)
            cell[k++] = interval(d, dep, i);
        cell[k++] = money4(d, rpt__get(rpt__get(dep, "per_tenant_month_usd"),
                                       "mean"), t);
        cell[k++] = money4(d, rpt__get(rpt__get(dep, "per_agent_month_usd"),
                                       "mean"), a);
        cell[k] = rpt__feasible(dep) ? "ok" : "infeasible";
        d_row(d, cell, 0);
    }
    d_table_end(d);
}

/* `run --live`: the real agent core beside the model, per deployment. */
static void live(doc *d, const cJSON *res)
{
    static const char *const head[] = {
        "deployment", "figure", "measured", "modelled", "difference"
    };
    static const char *const keys[][2] = {
        {"busy_s", "busy seconds, all messages"},
        {"awake_fraction", "awake fraction"},
        {"kib_per_message", "KiB to the client per message"},
        {"memory_gb", "peak memory of the core (GB)"},
    };
    const cJSON *dep, *first = NULL;
    cJSON_ArrayForEach(dep, deployments(res))
        if (!first && rpt__get(dep, "live"))
            first = rpt__get(dep, "live");
    if (!first)
        return;
    char a[CELL], b[CELL], c[CELL];
    sim_fx v;
    sim_buf s = {0};
    sim_buf_printf(&s, "Live run: the scenario's messages were sent through "
                   "the agent core over %s",
                   or_dash(rpt__str(first, "transport")));
    if (num(first, "speedup", &v))
        sim_buf_printf(&s, ", %s times faster than simulated time",
                       rpt_fx_trim(v, 1, 0, a, CELL));
    if (num(first, "messages_sent", &v))
        sim_buf_printf(&s, ": %s sent", rpt_fx_trim(v, 0, 0, a, CELL));
    if (num(first, "replies_completed", &v))
        sim_buf_printf(&s, ", %s replies completed", rpt_fx_trim(v, 0, 0, a,
                                                             CELL));
    if (num(first, "errors", &v))
        sim_buf_printf(&s, ", %s errors", rpt_fx_trim(v, 0, 0, a, CELL));
    if (rpt__str(first, "first_error"))
        sim_buf_printf(&s, " (first: %s)", rpt__str(first, "first_error"));
    sim_buf_printf(&s, ". Awake fractions replay the same messages through "
                   "each deployment's instances with the measured and with "
                   "the modelled reply times.");
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    d_heading(d, 2, "live", "Live run against the model");
    d_para(d, "live", text);
    sim_free(text);
    d_table(d, "live", head, "llrrr");
    cJSON_ArrayForEach(dep, deployments(res)) {
        const cJSON *l = rpt__get(dep, "live");
        for (size_t k = 0; l && k < sizeof keys / sizeof keys[0]; k++) {
            const cJSON *p = rpt__get(l, keys[k][0]);
            sim_fx m, o, r;
            if (!p || !num(p, "measured", &m) || !num(p, "modelled", &o))
                continue;
            if (num(p, "relative_difference", &r))
                snprintf(c, CELL, "%s%%", rpt_fx_trim(r * 100, 1, 0, a, CELL));
            else
                snprintf(c, CELL, "-");
            char mm[CELL];
            const char *cell[] = {or_dash(rpt__str(dep, "name")), keys[k][1],
                                  rpt_fx_trim(m, 4, d->html, mm, CELL),
                                  rpt_fx_trim(o, 4, d->html, b, CELL), c};
            d_row(d, cell, 0);
        }
    }
    d_table_end(d);
}

/* The service level, and why each deployment that misses it does. */
static void feasibility(doc *d, const cJSON *res)
{
    const cJSON *slo = rpt__get(res, "slo"), *dep;
    sim_buf s = {0};
    char a[CELL];
    sim_fx v;
    if (!slo)
        return;
    sim_buf_printf(&s, "Service level%s:",
                   cJSON_IsTrue(rpt__get(slo, "default"))
                       ? " (the default; a scenario's slo: sets its own)"
                       : "");
    int n = 0;
    if (num(slo, "queue_wait_p95_s", &v))
        sim_buf_printf(&s, "%s queue wait p95 <= %s s", n++ ? "," : "",
                       rpt_fx_trim(v, 3, 0, a, CELL));
    if (num(slo, "cold_start_wait_p95_s", &v))
        sim_buf_printf(&s, "%s cold-start wait p95 <= %s s", n++ ? "," : "",
                       rpt_fx_trim(v, 3, 0, a, CELL));
    if (num(slo, "refused_messages", &v)) {
        if (v == 0)
            sim_buf_printf(&s, "%s nothing refused", n++ ? "," : "");
        else
            sim_buf_printf(&s, "%s at most %s messages a month refused",
                           n++ ? "," : "", rpt_fx_trim(v, 2, 0, a, CELL));
    }
    sim_buf_printf(&s, "%s. Infeasible deployments are never named "
                   "cheapest nor used for the price advice.",
                   n ? "" : " none");
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    d_para(d, "slo", text);
    sim_free(text);
    int open = 0;
    cJSON_ArrayForEach(dep, deployments(res)) {
        const cJSON *why;
        cJSON_ArrayForEach(why, rpt__get(dep, "infeasible_reasons")) {
            sim_buf w = {0};
            if (!cJSON_IsString(why))
                continue;
            if (!open)
                d_list(d, 1);
            open = 1;
            sim_buf_printf(&w, "%s is infeasible: %s.",
                           or_dash(rpt__str(dep, "name")), why->valuestring);
            text = sim_buf_take(&w);
            if (!text) {
                d->b.nomem = 1;
                return;
            }
            d_item(d, text);
            sim_free(text);
        }
    }
    if (open)
        d_list(d, 0);
}

/* "railway, shared, plan hobby, always-on, measured billing, region x" */
static void deploy_line(doc *d, const cJSON *dep)
{
    static const char *const keys[][2] = {
        {"provider", ""}, {"architecture", ""}, {"plan", "plan "},
        {"scaling", ""}, {"billing_basis", " billing"}, {"region", "region "}
    };
    sim_buf s = {0};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = rpt__str(dep, keys[k][0]);
        if (!v)
            continue;
        int suffix = strcmp(keys[k][0], "billing_basis") == 0;
        sim_buf_printf(&s, "%s%s%s%s", s.n ? ", " : "",
                       suffix ? "" : keys[k][1], v, suffix ? keys[k][1] : "");
    }
    sim_buf_printf(&s, ".");
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    d_para(d, "what", text);
    sim_free(text);
}

static void line_items(doc *d, const cJSON *dep)
{
    static const char *const head[] = {
        "item", "what", "quantity", "unit", "rate (USD)", "included", "USD"
    };
    char q[CELL], r[CELL], in[CELL], u[CELL];
    const cJSON *li;
    d_table(d, "items", head, "llrlrrr");
    cJSON_ArrayForEach(li, rpt__get(dep, "line_items")) {
        const char *cell[] = {
            or_dash(rpt__str(li, "item")), or_dash(rpt__str(li, "what")),
            exact(d, rpt__get(li, "quantity"), q),
            rpt__str(li, "unit") ? rpt__str(li, "unit") : "",
            exact(d, rpt__get(li, "rate_usd"), r),
            exact(d, rpt__get(li, "included"), in),
            money(d, rpt__get(li, "usd"), u)
        };
        d_row(d, cell, 0);
    }
    const char *total[] = {
        "total", "", "", "", "", "", stat_mean(d, dep, "month_usd", u)
    };
    d_row(d, total, 1);
    d_table_end(d);
}

/* Adds a capacity row when every key it needs is present. */
static void fact(doc *d, int *open, const char *label, const char *value)
{
    static const char *const head[] = {"capacity", "value"};
    if (!*open) {
        d_table(d, "facts", head, "lr");
        *open = 1;
    }
    const char *cell[] = {label, value};
    d_row(d, cell, 0);
}

/* `v` with up to 2 decimals and `unit` appended. */
static const char *qty(const doc *d, sim_fx v, const char *unit, char *buf)
{
    char n[CELL];
    return cellf(buf, "%s%s", rpt_fx_trim(v, 2, d->html, n, CELL), unit);
}

static void facts(doc *d, const cJSON *dep)
{
    int open = 0;
    char b[CELL], x[CELL], y[CELL], z[CELL];
    sim_fx v1, v2, v3;
    const cJSON *inst = rpt__get(dep, "instances");
    const cJSON *cs = rpt__get(dep, "cold_start_wait_s");
    const cJSON *qw = rpt__get(dep, "queue_wait_s");

    if (num(inst, "mean", &v1) && num(inst, "peak", &v2)) {
        cellf(b, "%s / %s", qty(d, v1, "", x), qty(d, v2, "", y));
        fact(d, &open, "instances (mean / peak)", b);
    }
    if (num(dep, "awake_fraction", &v1))
        fact(d, &open, "awake (share of instance time)",
             qty(d, v1 * 100, "%", b));
    if (num(dep, "messages_per_month", &v1))
        fact(d, &open, "messages per month", qty(d, v1, "", b));
    if (num(dep, "cold_starts_per_month", &v1))
        fact(d, &open, "cold starts per month", qty(d, v1, "", b));
    if (num(cs, "p50", &v1) && num(cs, "p95", &v2)) {
        cellf(b, "%s / %s", qty(d, v1, " s", x), qty(d, v2, " s", y));
        fact(d, &open, "cold-start wait (p50 / p95)", b);
    }
    if (num(qw, "p50", &v1) && num(qw, "p95", &v2) && num(qw, "p99", &v3)) {
        cellf(b, "%s / %s / %s", qty(d, v1, " s", x), qty(d, v2, " s", y),
              qty(d, v3, " s", z));
        fact(d, &open, "queue wait (p50 / p95 / p99)", b);
    }
    if (num(dep, "queued_messages_per_month", &v1))
        fact(d, &open, "queued messages per month", qty(d, v1, "", b));
    if (num(dep, "refused_messages_per_month", &v1))
        fact(d, &open, "refused messages per month", qty(d, v1, "", b));
    if (num(dep, "hour_pool_used", &v1))
        fact(d, &open, "hour pool used", qty(d, v1, " h", b));
    if (num(dep, "hour_pool_dry_at_hours", &v1))
        fact(d, &open, "hour pool ran dry at", qty(d, v1, " h", b));
    if (num(dep, "refused_hours", &v1))
        fact(d, &open, "hours refused (pool dry)", qty(d, v1, " h", b));
    if (open)
        d_table_end(d);
}

static void details(doc *d, const cJSON *res)
{
    const cJSON *dep;
    int i = 0;
    cJSON_ArrayForEach(dep, deployments(res)) {
        char id[32];
        snprintf(id, sizeof id, "dep-%d", i++);
        if (d->html)
            sb_puts(&d->b, "<section class=\"deployment\">\n");
        d_heading(d, d->html ? 3 : 2, id, or_dash(rpt__str(dep, "name")));
        deploy_line(d, dep);
        line_items(d, dep);
        facts(d, dep);
        if (d->html)
            sb_puts(&d->b, "</section>\n");
    }
}

static void budgets(doc *d, const cJSON *res)
{
    static const char *const head[] = {
        "metric", "deployment", "bound", "max", "actual", "ok"
    };
    const cJSON *arr = rpt__get(res, "budgets"), *b;
    char mx[CELL], ac[CELL];
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return;
    d_heading(d, 2, "budgets", "Budgets");
    d_table(d, "budgets", head, "lllrrl");
    cJSON_ArrayForEach(b, arr) {
        const cJSON *ok = rpt__get(b, "ok");
        int pass = cJSON_IsTrue(ok);
        /* Budgets show the exact figures the check compares. */
        const char *cell[] = {
            or_dash(rpt__str(b, "metric")),
            or_dash(rpt__str(b, "deployment")),
            or_dash(rpt__str(b, "bound")),
            exact(d, rpt__get(b, "max"), mx),
            exact(d, rpt__get(b, "actual"), ac),
            pass ? "ok" : cJSON_IsBool(ok) ? "over budget" : "-"
        };
        d_row(d, cell, cJSON_IsBool(ok) && !pass);
    }
    d_table_end(d);
}

/* ---- pricing ------------------------------------------------------------ */

static void advice(doc *d, const cJSON *res)
{
    const cJSON *arr = rpt__get(res, "advice"), *a;
    int open = 0;
    if (!cJSON_IsArray(arr))
        return;
    cJSON_ArrayForEach(a, arr) {
        if (!cJSON_IsString(a))
            continue;
        if (!open)
            d_list(d, 1);
        open = 1;
        d_item(d, a->valuestring);
    }
    if (open)
        d_list(d, 0);
}

static void cheapest_ranges(doc *d, const cJSON *res)
{
    static const char *const head[] = {"tenants", "cheapest deployment"};
    const cJSON *arr = rpt__get(res, "cheapest"), *c;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return;
    d_table(d, "cheapest", head, "ll");
    cJSON_ArrayForEach(c, arr) {
        char range[2 * CELL + 16], a[CELL], b[CELL];
        sim_fx from = 0, to;
        num(c, "from_tenants", &from);
        rpt_fx_trim(from, 2, d->html, a, CELL);
        if (num(c, "to_tenants", &to))
            snprintf(range, sizeof range, "%s - %s", a,
                     rpt_fx_trim(to, 2, d->html, b, CELL));
        else
            snprintf(range, sizeof range, "%s and above", a);
        const char *cell[] = {range, or_dash(rpt__str(c, "deployment"))};
        d_row(d, cell, 0);
    }
    d_table_end(d);
}

/* The break-even tenant count recorded for `markup`, as text. */
static const char *break_even(const doc *d, const cJSON *rec, sim_fx markup,
                              char *buf)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, rpt__get(rec, "break_even_tenants")) {
        sim_fx m, t;
        if (!num(b, "markup", &m) || m != markup)
            continue;
        if (cJSON_IsNull(rpt__get(b, "tenants")))
            return "never";
        return num(b, "tenants", &t) ? rpt_fx_trim(t, 2, d->html, buf, CELL)
                                     : "-";
    }
    return "-";
}

static void recommendation(doc *d, const cJSON *dep, const cJSON *rec)
{
    static const char *const head[] = {
        "markup", "USD/agent-month", "USD/tenant-month", "gross margin",
        "break-even tenants"
    };
    char a[CELL], b[CELL], c[CELL];
    sim_buf s = {0};
    d_heading(d, 3, NULL, or_dash(rpt__str(dep, "name")));
    if (rpt__get(rec, "llm_usd_per_agent_month"))
        sim_buf_printf(&s, "LLM spend $%s per agent-month.",
                       money(d, rpt__get(rec, "llm_usd_per_agent_month"), a));
    if (rpt__get(rec, "fixed_month_usd") ||
        rpt__get(rec, "variable_per_tenant_usd"))
        sim_buf_printf(&s, "%sCost: $%s per month fixed plus $%s per "
                       "tenant.", s.n ? " " : "",
                       money(d, rpt__get(rec, "fixed_month_usd"), b),
                       money(d, rpt__get(rec, "variable_per_tenant_usd"), c));
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    if (*text)
        d_para(d, NULL, text);
    sim_free(text);
    const cJSON *p;
    int open = 0;
    cJSON_ArrayForEach(p, rpt__get(rec, "prices")) {
        char mk[CELL], pa[CELL], pt[CELL], gm[CELL], be[CELL];
        sim_fx m = 0, g;
        if (!open)
            d_table(d, "prices", head, "rrrrr");
        open = 1;
        int has_m = num(p, "markup", &m);
        cellf(mk, "%sx", has_m ? rpt_fx_trim(m, 2, 0, a, CELL) : "-");
        if (num(p, "gross_margin_pct", &g))
            cellf(gm, "%s%%", rpt_fx_round(g, 1, 0, b, CELL));
        else
            cellf(gm, "-");
        const char *cell[] = {
            mk, money(d, rpt__get(p, "per_agent_usd"), pa),
            money(d, rpt__get(p, "per_tenant_usd"), pt), gm,
            has_m ? break_even(d, rec, m, be) : "-"
        };
        d_row(d, cell, 0);
    }
    if (open)
        d_table_end(d);
}

/* Today's documents: one suggested price per markup, as a sentence. */
static void suggested(doc *d, const cJSON *dep)
{
    const cJSON *arr = rpt__get(dep, "recommended_price_per_agent_month_usd");
    const cJSON *p;
    sim_buf s = {0};
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return;
    d_heading(d, 3, NULL, or_dash(rpt__str(dep, "name")));
    sim_buf_printf(&s, "Suggested price per agent-month:");
    int i = 0;
    cJSON_ArrayForEach(p, arr) {
        char a[CELL], m[CELL];
        sim_fx mk;
        sim_buf_printf(&s, "%s $%s at %sx", i++ ? "," : "",
                       money(d, rpt__get(p, "usd"), a),
                       num(p, "markup", &mk) ? rpt_fx_trim(mk, 2, 0, m, CELL)
                                             : "-");
    }
    sim_buf_printf(&s, ".");
    char *text = sim_buf_take(&s);
    if (!text) {
        d->b.nomem = 1;
        return;
    }
    d_para(d, NULL, text);
    sim_free(text);
}

static void pricing(doc *d, const cJSON *res)
{
    const cJSON *dep;
    int any = cJSON_IsArray(rpt__get(res, "advice")) ||
              cJSON_IsArray(rpt__get(res, "cheapest"));
    cJSON_ArrayForEach(dep, deployments(res))
        if (cJSON_IsObject(rpt__get(dep, "recommendation")) ||
            cJSON_GetArraySize(rpt__get(dep,
                "recommended_price_per_agent_month_usd")) > 0)
            any = 1;
    if (!any)
        return;
    d_heading(d, 2, "pricing", "Pricing");
    advice(d, res);
    cheapest_ranges(d, res);
    cJSON_ArrayForEach(dep, deployments(res)) {
        const cJSON *rec = rpt__get(dep, "recommendation");
        if (cJSON_IsObject(rec))
            recommendation(d, dep, rec);
        else
            suggested(d, dep);
    }
}

/* ---- Markdown ----------------------------------------------------------- */

char *rpt_md_from_json(const cJSON *res)
{
    doc d = {{0}, 0, 0, NULL};
    d_heading(&d, 1, NULL, or_dash(rpt__str(res, "scenario")));
    summary(&d, res);
    cost_table(&d, res);
    feasibility(&d, res);
    live(&d, res);
    details(&d, res);
    budgets(&d, res);
    pricing(&d, res);
    /* Exactly one newline at the end, as text files have. */
    while (!d.b.nomem && d.b.n > 1 && d.b.s[d.b.n - 1] == '\n' &&
           d.b.s[d.b.n - 2] == '\n')
        d.b.s[--d.b.n] = '\0';
    return sim_buf_take(&d.b);
}

/* ---- HTML --------------------------------------------------------------- */

/* Printable and plain: system fonts, tabular figures, no colour that
 * carries meaning alone (failed budgets are also bold and worded). */
static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Helvetica Neue',Arial,sans-serif;color:#1a1a1a;"
    "background:#fff}"
    "header{background:#1f3a5f;color:#fff;padding:20px 32px}"
    "header h1{margin:0 0 4px;font-size:24px}"
    "header p{margin:0;color:#dfe7f1;font-size:14px}"
    "main{max-width:1100px;margin:0 auto;padding:8px 32px 32px}"
    "h2{font-size:19px;margin:28px 0 10px;padding-bottom:4px;"
    "border-bottom:2px solid #1f3a5f}"
    "h3{font-size:16px;margin:22px 0 6px}"
    "p.summary{font-size:16px;margin:16px 0}"
    "p.what{margin:2px 0 8px;color:#444}"
    "p.note{color:#6b4e00;background:#fff6dc;border:1px solid #e8d28a;"
    "padding:8px 12px}"
    "table{border-collapse:collapse;margin:8px 0 14px;"
    "font-variant-numeric:tabular-nums}"
    "th,td{padding:4px 10px;border-bottom:1px solid #d8dde3;"
    "text-align:left;vertical-align:top}"
    "th{background:#eef2f6;font-weight:600;white-space:nowrap}"
    "td.n,th.n{text-align:right;white-space:nowrap}"
    "table.costs td:first-child{font-weight:600;white-space:nowrap}"
    "tr.strong td{font-weight:700;border-top:2px solid #1a1a1a}"
    "table.budgets tr.strong td{color:#a40000}"
    "figure{margin:12px 0 20px}"
    "figure svg{width:100%;max-width:900px;height:auto;display:block}"
    "footer{max-width:1100px;margin:0 auto;padding:0 32px 24px;"
    "color:#666;font-size:13px}"
    "@media print{header{background:none;color:#000;padding:0 0 8px;"
    "border-bottom:2px solid #000}header p{color:#333}"
    "main,footer{padding:0;max-width:none}"
    "table,figure,section.deployment{break-inside:avoid}"
    "h2,h3{break-after:avoid}}";

static void html_chart(doc *d, const rpt_chart *c)
{
    sb_puts(&d->b, "<figure class=\"chart\" id=\"chart-");
    esc_html(&d->b, c->name);
    sb_puts(&d->b, "\">\n");
    if (c->svg) {
        sb_puts(&d->b, c->svg);
    } else {
        sb_puts(&d->b, "<p class=\"note\">Chart not drawn: ");
        esc_html(&d->b, c->title);
        sb_puts(&d->b, ". Its data and gnuplot script are charts/");
        esc_html(&d->b, c->name);
        sb_puts(&d->b, ".dat and charts/");
        esc_html(&d->b, c->name);
        sb_puts(&d->b, ".gp.</p>\n");
    }
    sb_puts(&d->b, "</figure>\n");
}

static void html_charts(doc *d, const rpt_charts *ch)
{
    if (!ch)
        return;
    d_heading(d, 2, "charts", "Charts");
    if (ch->problem) {
        sim_buf s = {0};
        sim_buf_printf(&s, "Charts were not drawn: %s. Each chart's data "
                       "and gnuplot script are in the charts/ directory; "
                       "run gnuplot NAME.gp there to draw it.",
                       ch->problem);
        char *text = sim_buf_take(&s);
        if (!text) {
            d->b.nomem = 1;
            return;
        }
        d_para(d, "note", text);
        sim_free(text);
    }
    for (size_t i = 0; i < ch->n; i++)
        if (ch->v[i].svg || !ch->problem)
            html_chart(d, &ch->v[i]);
}

char *rpt_html_from_json(const cJSON *res, const rpt_charts *charts)
{
    doc d = {{0}, 1, 0, NULL};
    const char *name = or_dash(rpt__str(res, "scenario"));
    const cJSON *pr = rpt__get(res, "pricing");
    sb_puts(&d.b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
            "<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\">\n<title>capsim report: ");
    esc_html(&d.b, name);
    sb_puts(&d.b, "</title>\n<style>");
    sb_puts(&d.b, css);
    sb_puts(&d.b, "</style>\n</head>\n<body>\n<header>\n<h1>");
    esc_html(&d.b, name);
    sb_puts(&d.b, "</h1>\n<p>Hosting cost report &middot; catalog ");
    esc_html(&d.b, or_dash(rpt__str(pr, "catalog")));
    sb_puts(&d.b, ", prices as of ");
    esc_html(&d.b, or_dash(rpt__str(pr, "as_of")));
    sb_puts(&d.b, " &middot; capsim ");
    esc_html(&d.b, or_dash(rpt__str(res, "capsim_version")));
    sb_puts(&d.b, "</p>\n</header>\n<main>\n");
    summary(&d, res);
    d_heading(&d, 2, "costs", "Monthly cost by deployment (USD)");
    cost_table(&d, res);
    feasibility(&d, res);
    live(&d, res);
    html_charts(&d, charts);
    d_heading(&d, 2, "deployments", "Deployments");
    details(&d, res);
    budgets(&d, res);
    pricing(&d, res);
    sb_puts(&d.b, "</main>\n<footer>Written by capsim from the results "
            "document. Amounts are rounded to the cent; costs.csv and "
            "results.json hold the exact figures.</footer>\n"
            "</body>\n</html>\n");
    return sim_buf_take(&d.b);
}

/* ---- CSV ---------------------------------------------------------------- */

/* A field, quoted by libcsv only when it has to be (a separator, quote,
 * line break, or edge space that a reader would trim). */
static void csv_field(sim_buf *b, const char *s, int last)
{
    size_t n = strlen(s);
    int edge = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
                     s[n - 1] == '\t');
    if (edge || strpbrk(s, ",\"\r\n")) {
        size_t need = csv_write(NULL, 0, s, n);
        char *q = sim_alloc(need);
        if (!q) {
            b->nomem = 1;
            return;
        }
        csv_write(q, need, s, n);
        sim_buf_put(b, q, need);
        sim_free(q);
    } else {
        sim_buf_put(b, s, n);
    }
    sim_buf_put(b, last ? "\n" : ",", 1);
}

enum { NCSV = 17 };

/* Columns 0-7 are text a user chose (scenario and deployment names).  A
 * spreadsheet would run one starting with = + - or @ as a formula, so
 * such a cell gets a leading apostrophe, which spreadsheets hide. */
#define NCSV_TEXT 8

static void csv_cell(sim_buf *b, const char *s, int text, int last)
{
    char *guarded = NULL;
    if (text && strchr("=+-@", s[0]) && s[0]) {
        size_t n = strlen(s);
        guarded = sim_alloc(n + 2);
        if (!guarded) {
            b->nomem = 1;
            return;
        }
        guarded[0] = '\'';
        memcpy(guarded + 1, s, n + 1);
        s = guarded;
    }
    csv_field(b, s, last);
    sim_free(guarded);
}

static void csv_row(sim_buf *b, const char *const *cell)
{
    for (int c = 0; c < NCSV; c++)
        csv_cell(b, cell[c] ? cell[c] : "", c < NCSV_TEXT, c == NCSV - 1);
}

char *rpt_csv_field(const char *s, int text)
{
    sim_buf b = {0};
    csv_cell(&b, s, text, 0);
    char *r = sim_buf_take(&b);
    if (r)
        r[strlen(r) - 1] = '\0';       /* the separator */
    return r;
}

/* Exact decimal of item, or "" when absent. */
static const char *csv_num(const cJSON *item, char *buf)
{
    sim_fx v;
    if (rpt_json_fx(item, &v) != SIM_OK)
        return "";
    return fx_exact(v, buf, CELL);
}

static void csv_deploy(sim_buf *b, const char *scn, const cJSON *dep)
{
    const char *base[5] = {
        scn, rpt__str(dep, "name"), rpt__str(dep, "provider"),
        rpt__str(dep, "architecture"), rpt__str(dep, "plan")
    };
    char q[CELL], r[CELL], in[CELL], u[CELL], lo[CELL], hi[CELL], t[CELL],
        a[CELL];
    const cJSON *li;
    cJSON_ArrayForEach(li, rpt__get(dep, "line_items")) {
        const char *cell[NCSV] = {
            base[0], base[1], base[2], base[3], base[4],
            rpt__str(li, "item"), rpt__str(li, "what"), rpt__str(li, "unit"),
            csv_num(rpt__get(li, "quantity"), q),
            csv_num(rpt__get(li, "rate_usd"), r),
            csv_num(rpt__get(li, "included"), in),
            csv_num(rpt__get(li, "usd"), u), NULL, NULL, NULL, NULL, NULL
        };
        csv_row(b, cell);
    }
    const cJSON *m = rpt__get(dep, "month_usd");
    const cJSON *ci = rpt__get(m, "ci95");
    const char *cell[NCSV] = {
        base[0], base[1], base[2], base[3], base[4], "total", "Month total",
        "month", NULL, NULL, NULL, csv_num(rpt__get(m, "mean"), u),
        csv_num(cJSON_GetArrayItem(ci, 0), lo),
        csv_num(cJSON_GetArrayItem(ci, 1), hi),
        csv_num(rpt__get(rpt__get(dep, "per_tenant_month_usd"), "mean"), t),
        csv_num(rpt__get(rpt__get(dep, "per_agent_month_usd"), "mean"), a),
        rpt__get(dep, "feasible") ? (rpt__feasible(dep) ? "yes" : "no")
                                  : NULL
    };
    csv_row(b, cell);
}

char *rpt_csv_from_json(const cJSON *res)
{
    static const char *const head[NCSV] = {
        "scenario", "deployment", "provider", "architecture", "plan", "item",
        "what", "unit", "quantity", "rate_usd", "included", "usd",
        "usd_ci95_lo", "usd_ci95_hi", "per_tenant_usd", "per_agent_usd",
        "feasible"
    };
    sim_buf b = {0};
    const cJSON *dep;
    csv_row(&b, head);
    cJSON_ArrayForEach(dep, deployments(res))
        csv_deploy(&b, rpt__str(res, "scenario"), dep);
    return sim_buf_take(&b);
}

/* ---- writing ------------------------------------------------------------ */


/* Writes dir/name through dir/name.tmp.  On failure nothing is left. */
static int write_file(const char *dir, const char *name, const char *text,
                      sim_diag *d)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = sim_alloc(n);
    if (!path)
        return SIM_ENOMEM;
    snprintf(path, n, "%s/%s", dir, name);
    int rc = rpt__write_file(path, text, strlen(text), d);
    sim_free(path);
    return rc;
}

static void remove_in(const char *dir, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) <
        sizeof path)
        remove(path);
}

int rpt_report_write(const cJSON *res, const char *dir, int charts_required,
                     sim_diag *d)
{
    static const char *const names[3] = {
        "report.md", "costs.csv", "report.html"
    };
    char *text[3] = {NULL, NULL, NULL};
    rpt_charts ch;
    int rc = SIM_OK, written = 0;

    memset(&ch, 0, sizeof ch);
    if (!cJSON_IsObject(res) || !deployments(res)) {
        sim_diag_add(d, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "not a capsim "
                     "results document: it has no \"deployments\" array");
        return SIM_EINVAL;
    }
    text[0] = rpt_md_from_json(res);
    text[1] = rpt_csv_from_json(res);
    if (!text[0] || !text[1]) {
        rc = SIM_ENOMEM;
        goto fail;
    }
    rc = rpt_charts_make(res, dir, &ch, d);
    if (rc != SIM_OK)
        goto fail;
    if (ch.problem) {
        if (charts_required) {
            sim_diag_add(d, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "charts were "
                         "asked for but not drawn: %s", ch.problem);
            rc = SIM_EIO;
            goto fail;
        }
        sim_diag_add(d, SIM_DIAG_WARNING, NULL, NULL, 0, 0, "charts not "
                     "drawn: %s; report.html says where they would be",
                     ch.problem);
    }
    text[2] = rpt_html_from_json(res, &ch);
    if (!text[2]) {
        rc = SIM_ENOMEM;
        goto fail;
    }
    for (written = 0; written < 3; written++) {
        rc = write_file(dir, names[written], text[written], d);
        if (rc != SIM_OK)
            goto fail;
    }
    goto done;
fail:
    /* Undo this call's writes: the documents, then the charts. */
    for (int i = 0; i < written; i++)
        remove_in(dir, names[i]);
    rpt_charts_unlink(&ch);
done:
    rpt_charts_fini(&ch);
    for (int i = 0; i < 3; i++)
        sim_free(text[i]);
    return rc;
}

/*
 * sweep.c -- `capsim sweep`: one scenario over a grid of values.
 *
 * Every point of the cartesian product of the --vary lists runs the
 * scenario with those values set (scn_load_with), with the scenario's seed
 * and replications, so all points share their random numbers: the same
 * agents send the same messages at every point where the workload is the
 * same, and differences between points are the change, not noise.
 *
 * Along the first varied path, for each combination of the others, the
 * cheapest deployment is found at every value; where it changes between
 * two numeric values, the crossing is placed by linear interpolation of
 * the two deployments' costs and stated in words.
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capsim_version.h"
#include "base/alloc.h"
#include "cli/commands.h"
#include "reports/report.h"
#include "reports/results.h"
#include "reports/table.h"
#include "base/yml.h"
#include "base/json.h"

typedef struct vary {
    char *path;
    char **values;
    size_t n;
    int numeric;            /* every value is a number or a duration */
    double *x;              /* the values as numbers, for interpolation */
} vary;

typedef struct point {
    size_t *idx;            /* value index per vary */
    double *cost;           /* month mean per deployment */
    double *lo, *hi, *per_agent, *per_tenant;
    sim_fx *fx;             /* exact: cost, lo, hi, per tenant, per agent */
    unsigned char *ok;      /* feasible, per deployment */
    size_t cheapest;        /* among the feasible; NONE when none is */
} point;

#define NONE SIZE_MAX

static const char *cheapest_name(const point *pt, char **names)
{
    return pt->cheapest == NONE ? "none feasible" : names[pt->cheapest];
}

/* A value as a number: plain, or a duration in seconds. */
static int as_number(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (*v && !*end && !errno && isfinite(d)) {
        *out = d;
        return 1;
    }
    int64_t us;
    if (sim_parse_duration(v, &us) == SIM_OK) {
        *out = (double)us / 1e6;
        return 1;
    }
    return 0;
}

static int parse_vary(const char *arg, vary *v)
{
    const char *eq = strchr(arg, '=');
    memset(v, 0, sizeof *v);
    if (!eq || eq == arg || !eq[1])
        return -1;
    v->path = sim_strndup(arg, (size_t)(eq - arg));
    char *list = sim_strdup(eq + 1);
    if (!v->path || !list) {
        sim_free(list);
        return -2;
    }
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    v->values = sim_calloc(cap, sizeof *v->values);
    v->x = sim_calloc(cap, sizeof *v->x);
    if (!v->values || !v->x) {
        sim_free(list);
        return -2;
    }
    v->numeric = 1;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!(v->values[v->n] = sim_strdup(tok))) {
            sim_free(list);
            return -2;
        }
        if (!as_number(tok, &v->x[v->n]))
            v->numeric = 0;
        v->n++;
    }
    sim_free(list);
    return v->n ? 0 : -1;
}

static void vary_free(vary *v)
{
    sim_free(v->path);
    for (size_t i = 0; i < v->n; i++)
        sim_free(v->values[i]);
    sim_free(v->values);
    sim_free(v->x);
}

/* The crossing of two deployments' costs between points a and b. */
static double crossing(const vary *v, const point *a, const point *b,
                       size_t from, size_t to)
{
    double da = a->cost[from] - a->cost[to];
    double db = b->cost[from] - b->cost[to];
    double xa = v->x[a->idx[0]], xb = v->x[b->idx[0]];
    if (db == da)
        return xb;
    double t = -da / (db - da);
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    return xa + t * (xb - xa);
}


static void csv_field(sim_buf *b, const char *s, int last)
{
    int quote = strpbrk(s, ",\"\n") != NULL;
    if (quote) {
        sim_buf_printf(b, "\"");
        for (const char *p = s; *p; p++)
            sim_buf_printf(b, *p == '"' ? "\"\"" : "%c", *p);
        sim_buf_printf(b, "\"");
    } else
        sim_buf_printf(b, "%s", s);
    sim_buf_printf(b, last ? "\n" : ",");
}

static const char *fmt_num(double v, char *buf, size_t size)
{
    /* Every digit a value needs, small ones too (a rate of 1e-7). */
    snprintf(buf, size, "%.15g", v);
    return buf;
}

/* Everything a sweep holds between its steps. */
typedef struct sweep {
    int age_warned;             /* one stale-catalog warning per sweep */
    cli_run_opts ro;
    const char *out;
    vary *vs;                   /* the --vary lists */
    size_t nv, npoints;
    point *pts;
    char **sets;                /* the current point's PATH=VALUE */
    char **names;               /* the deployments' names */
    size_t ndep;
    cJSON *root, *jpoints, *jcross;
    char *scenario_name;
    sim_buf table, csv, said;
} sweep;

/* Reads the options; -1 after printing help, else an exit code. */
static int sweep_args(sweep *w, int argc, char **argv)
{
    int code = CLI_OK;
    w->ro = (cli_run_opts){.format = RPT_JSON, .seed = -1,
                           .replications = -1, .age_warned = &w->age_warned};
    if (!(w->vs = sim_calloc((size_t)argc, sizeof *w->vs)))
        return CLI_RUNTIME;
    for (int i = 1; i < argc && code == CLI_OK; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_help("sweep");
            code = -1;
        } else if (strcmp(a, "--vary") == 0 && has_val) {
            int rc = parse_vary(argv[++i], &w->vs[w->nv]);
            w->nv++;
            if (rc == -2)
                code = CLI_RUNTIME;
            else if (rc != 0)
                code = cli__usage_error("sweep", "--vary takes "
                                        "PATH=V1,V2,..., not '%s'", argv[i]);
        } else if (strcmp(a, "--out") == 0 && has_val)
            w->out = argv[++i];
        else if (strcmp(a, "--pricing") == 0 && has_val)
            w->ro.pricing = argv[++i];
        else if (strcmp(a, "--jobs") == 0 && has_val)
            code = cli__parse_jobs("sweep", argv[++i], &w->ro.jobs);
        else if (strcmp(a, "--seed") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &w->ro.seed) != 0)
                code = cli__usage_error("sweep", "--seed takes a whole "
                                        "number >= 0, not '%s'", argv[i]);
        } else if (strcmp(a, "--replications") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &w->ro.replications) != 0 ||
                w->ro.replications < 1)
                code = cli__usage_error("sweep", "--replications takes a "
                                        "whole number >= 1, not '%s'",
                                        argv[i]);
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            w->ro.quiet = 1;
        else if (a[0] == '-' && a[1])
            code = cli__usage_error("sweep", "unknown option or missing "
                                    "value: %s", a);
        else if (!w->ro.scenario)
            w->ro.scenario = a;
        else
            code = cli__usage_error("sweep", "takes one scenario file; "
                                    "extra argument '%s'", a);
    }
    if (code == CLI_OK && !w->ro.scenario)
        code = cli__usage_error("sweep", "%s", "needs a scenario file");
    if (code == CLI_OK && w->nv == 0)
        code = cli__usage_error("sweep", "%s", "needs at least one --vary "
                                "PATH=V1,V2,...");
    w->npoints = 1;
    for (size_t k = 0; k < w->nv && code == CLI_OK; k++) {
        w->npoints *= w->vs[k].n;
        if (w->npoints > 100000)
            code = cli__usage_error("sweep", "%s", "more than 100,000 "
                                    "points; narrow the --vary lists");
    }
    return code;

}

/* Runs every point of the grid: its results, in w->pts. */
static int sweep_points(sweep *w)
{
    int code = CLI_OK;
    w->pts = sim_calloc(w->npoints, sizeof *w->pts);
    w->sets = sim_calloc(w->nv, sizeof *w->sets);
    w->root = cJSON_CreateObject();
    if (!w->pts || !w->sets || !w->root)
        code = CLI_RUNTIME;
    for (size_t p = 0; p < w->npoints && code == CLI_OK; p++) {
        /* Point p in mixed radix: the first --vary changes fastest. */
        size_t rest = p;
        w->pts[p].idx = sim_calloc(w->nv, sizeof *w->pts[p].idx);
        if (!w->pts[p].idx) {
            code = CLI_RUNTIME;
            break;
        }
        for (size_t k = 0; k < w->nv; k++) {
            w->pts[p].idx[k] = rest % w->vs[k].n;
            rest /= w->vs[k].n;
            size_t len = strlen(w->vs[k].path) +
                         strlen(w->vs[k].values[w->pts[p].idx[k]]) + 2;
            sim_free(w->sets[k]);
            if (!(w->sets[k] = sim_alloc(len))) {
                code = CLI_RUNTIME;
                break;
            }
            snprintf(w->sets[k], len, "%s=%s", w->vs[k].path,
                     w->vs[k].values[w->pts[p].idx[k]]);
        }
        if (code != CLI_OK)
            break;
        w->ro.sets = (const char *const *)w->sets;
        w->ro.nsets = w->nv;
        scn_scenario *s;
        price_catalog *c;
        run_results *r = cli__run_scenario(&w->ro, &s, &c, &code);
        if (r) {
            if (p == 0) {
                w->ndep = r->n;
                w->names = sim_calloc(w->ndep ? w->ndep : 1, sizeof *w->names);
                w->scenario_name = sim_strdup(s->name);
                for (size_t i = 0; w->names && i < w->ndep; i++)
                    w->names[i] = sim_strdup(r->d[i].pd.dep->name);
                w->jpoints = cJSON_CreateArray();
            }
            point *pt = &w->pts[p];
            pt->cost = sim_calloc(w->ndep ? w->ndep : 1, sizeof(double));
            pt->lo = sim_calloc(w->ndep ? w->ndep : 1, sizeof(double));
            pt->hi = sim_calloc(w->ndep ? w->ndep : 1, sizeof(double));
            pt->per_agent = sim_calloc(w->ndep ? w->ndep : 1, sizeof(double));
            pt->per_tenant = sim_calloc(w->ndep ? w->ndep : 1, sizeof(double));
            pt->fx = sim_calloc(5 * (w->ndep ? w->ndep : 1), sizeof(sim_fx));
            pt->ok = sim_calloc(w->ndep ? w->ndep : 1, 1);
            pt->cheapest = NONE;
            if (!w->names || !w->scenario_name || !w->jpoints || !pt->cost ||
                !pt->lo || !pt->hi || !pt->per_agent || !pt->per_tenant ||
                !pt->fx || !pt->ok)
                code = CLI_RUNTIME;
            for (size_t i = 0; code == CLI_OK && i < w->ndep && i < r->n; i++) {
                pt->cost[i] = sim_fx_to_double(r->d[i].month_usd);
                pt->lo[i] = sim_fx_to_double(r->d[i].month.lo);
                pt->hi[i] = sim_fx_to_double(r->d[i].month.hi);
                pt->per_agent[i] = sim_fx_to_double(r->d[i].per_agent_usd);
                pt->per_tenant[i] = sim_fx_to_double(r->d[i].per_tenant_usd);
                pt->fx[5 * i] = r->d[i].month_usd;
                pt->fx[5 * i + 1] = r->d[i].month.lo;
                pt->fx[5 * i + 2] = r->d[i].month.hi;
                pt->fx[5 * i + 3] = r->d[i].per_tenant_usd;
                pt->fx[5 * i + 4] = r->d[i].per_agent_usd;
                /* An infeasible deployment is never the cheapest. */
                pt->ok[i] = (unsigned char)r->d[i].feasible;
                if (pt->ok[i] && (pt->cheapest == NONE ||
                                  pt->cost[i] < pt->cost[pt->cheapest]))
                    pt->cheapest = i;
            }
            if (r->n != w->ndep) {
                cli_progress_clear(w->ro.progress);
                fprintf(stderr, "capsim sweep: the point %s changes the "
                        "deployments; vary values, not the list\n", w->sets[0]);
                code = CLI_BAD_INPUT;
            }
        } else if (code == CLI_BAD_INPUT) {
            cli_progress_clear(w->ro.progress);
            fprintf(stderr, "capsim sweep: at the point where %s\n",
                    w->sets[0]);
        }
        run_results_free(r);
        price_catalog_free(c);
        scn_free(s);
    }
    return code;
}

/* The table, the CSV and the JSON document's points. */
static int sweep_render(sweep *w)
{
    int code = CLI_OK;
    if (!(w->jcross = cJSON_CreateArray()))
        return CLI_RUNTIME;
    {
        char b1[64], b2[64];
        size_t *width = sim_calloc(w->nv, sizeof *width);
        if (!width) {
            return CLI_RUNTIME;
        }
        for (size_t k = 0; k < w->nv; k++) {
            width[k] = strlen(w->vs[k].path);
            for (size_t j = 0; j < w->vs[k].n; j++)
                if (strlen(w->vs[k].values[j]) > width[k])
                    width[k] = strlen(w->vs[k].values[j]);
        }
        /* The table: one row per point, a cost column per deployment. */
        for (size_t k = 0; k < w->nv; k++)
            sim_buf_printf(&w->table, "%-*s  ", (int)width[k], w->vs[k].path);
        for (size_t i = 0; i < w->ndep; i++)
            sim_buf_printf(&w->table, "%14s  ", w->names[i]);
        sim_buf_printf(&w->table, "cheapest\n");
        for (size_t k = 0; k < w->nv; k++)
            csv_field(&w->csv, w->vs[k].path, 0);
        csv_field(&w->csv, "deployment", 0);
        csv_field(&w->csv, "month_usd", 0);
        csv_field(&w->csv, "ci95_lo", 0);
        csv_field(&w->csv, "ci95_hi", 0);
        csv_field(&w->csv, "per_tenant_month_usd", 0);
        csv_field(&w->csv, "per_agent_month_usd", 0);
        csv_field(&w->csv, "cheapest", 1);
        for (size_t p = 0; p < w->npoints; p++) {
            const point *pt = &w->pts[p];
            cJSON *jp = cJSON_CreateObject();
            cJSON *jv = cJSON_AddObjectToObject(jp, "values");
            for (size_t k = 0; k < w->nv; k++) {
                const char *val = w->vs[k].values[pt->idx[k]];
                sim_buf_printf(&w->table, "%-*s  ", (int)width[k], val);
                if (w->vs[k].numeric)
                    sim_json_add(jv, w->vs[k].path, cJSON_CreateRaw(
                        fmt_num(w->vs[k].x[pt->idx[k]], b1, sizeof b1)));
                else
                    cJSON_AddStringToObject(jv, w->vs[k].path, val);
            }
            cJSON *jd = cJSON_AddArrayToObject(jp, "deployments");
            for (size_t i = 0; i < w->ndep; i++) {
                sim_buf_printf(&w->table, "%14s  ",
                           rpt_usd(pt->fx[5 * i], b1, sizeof b1));
                for (size_t k = 0; k < w->nv; k++)
                    csv_field(&w->csv, w->vs[k].values[pt->idx[k]], 0);
                csv_field(&w->csv, w->names[i], 0);
                for (int f = 0; f < 5; f++)
                    csv_field(&w->csv,
                              rpt_num(pt->fx[5 * i + f], b1, sizeof b1),
                              0);
                csv_field(&w->csv, i == pt->cheapest ? "yes" : "no", 1);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", w->names[i]);
                cJSON_AddBoolToObject(o, "feasible", pt->ok[i]);
                cJSON *m = cJSON_AddObjectToObject(o, "month_usd");
                sim_json_add(m, "mean", cJSON_CreateRaw(
                    rpt_num(pt->fx[5 * i], b1, sizeof b1)));
                cJSON *ci = cJSON_AddArrayToObject(m, "ci95");
                sim_json_push(ci, cJSON_CreateRaw(
                    rpt_num(pt->fx[5 * i + 1], b1, sizeof b1)));
                sim_json_push(ci, cJSON_CreateRaw(
                    rpt_num(pt->fx[5 * i + 2], b2, sizeof b2)));
                sim_json_add(o, "per_tenant_month_usd",
                    cJSON_CreateRaw(rpt_num(pt->fx[5 * i + 3], b1,
                                            sizeof b1)));
                sim_json_add(o, "per_agent_month_usd",
                    cJSON_CreateRaw(rpt_num(pt->fx[5 * i + 4], b1,
                                            sizeof b1)));
                sim_json_push(jd, o);
            }
            if (pt->cheapest == NONE)
                cJSON_AddNullToObject(jp, "cheapest");
            else
                cJSON_AddStringToObject(jp, "cheapest", w->names[pt->cheapest]);
            sim_json_push(w->jpoints, jp);
            sim_buf_printf(&w->table, "%s\n", cheapest_name(pt, w->names));
        }
        sim_free(width);
    }
    return code;
}

/* Where the cheapest deployment changes along the first --vary, in the
 * JSON and in words; then the table and the words go to stdout. */
static int sweep_crossovers(sweep *w)
{
    int code = CLI_OK;
    {
        char b1[64], b2[64];
        /* Crossovers along the first path, per combination of the rest:
         * points p and p + 1 differ only in the first index when that
         * index is not the last value. */
        const vary *v0 = &w->vs[0];
        for (size_t p = 0; p + 1 < w->npoints; p++) {
            const point *a = &w->pts[p], *b = &w->pts[p + 1];
            if (a->idx[0] + 1 != b->idx[0] || a->cheapest == b->cheapest ||
                a->cheapest == NONE || b->cheapest == NONE)
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "path", v0->path);
            /* Which combination of the other values: 0 is their first. */
            cJSON_AddNumberToObject(x, "group", (double)(p / v0->n));
            cJSON_AddStringToObject(x, "from", w->names[a->cheapest]);
            cJSON_AddStringToObject(x, "to", w->names[b->cheapest]);
            cJSON *btw = cJSON_AddArrayToObject(x, "between");
            sim_json_push(btw, cJSON_CreateString(
                v0->values[a->idx[0]]));
            sim_json_push(btw, cJSON_CreateString(
                v0->values[b->idx[0]]));
            sim_buf others = {0};
            for (size_t k = 1; k < w->nv; k++)
                sim_buf_printf(&others, "%s%s=%s", k > 1 ? ", " : ", with ",
                           w->vs[k].path, w->vs[k].values[a->idx[k]]);
            if (v0->numeric) {
                double at = crossing(v0, a, b, a->cheapest, b->cheapest);
                sim_json_add(x, "at", cJSON_CreateRaw(
                    fmt_num(at, b1, sizeof b1)));
                snprintf(b2, sizeof b2, "%.7g", at);
                sim_buf_printf(&w->said, "%s is cheapest below %s = %s and %s "
                           "above it (the costs cross between %s and %s%s)."
                           "\n", w->names[a->cheapest], v0->path, b2,
                           w->names[b->cheapest],
                           v0->values[a->idx[0]], v0->values[b->idx[0]],
                           others.s ? others.s : "");
            } else
                sim_buf_printf(&w->said, "%s is cheapest at %s = %s and %s at "
                           "%s%s.\n", w->names[a->cheapest], v0->path,
                           v0->values[a->idx[0]], w->names[b->cheapest],
                           v0->values[b->idx[0]], others.s ? others.s : "");
            sim_free(others.s);
            sim_json_push(w->jcross, x);
        }
        int any = 0;
        for (size_t p = 0; p < w->npoints; p++)
            any |= w->pts[p].cheapest != NONE;
        if (!w->said.s && any && w->pts[0].cheapest != NONE)
            sim_buf_printf(&w->said, "%s is cheapest at every feasible "
                           "point.\n",
                       cheapest_name(&w->pts[0], w->names));
        else if (!w->said.s && !any)
            sim_buf_printf(&w->said, "No deployment is feasible at any "
                           "point.\n");
        int same = 1;
        for (size_t p = 1; p < w->npoints; p++)
            same &= w->pts[p].cheapest == w->pts[0].cheapest;
        if (!same && !cJSON_GetArraySize(w->jcross))
            sim_buf_printf(&w->said, "The cheapest deployment changes with the "
                       "other varied values, not along %s.\n", v0->path);

        cJSON_AddStringToObject(w->root, "capsim_version", CAPSIM_VERSION);
        cJSON_AddStringToObject(w->root, "scenario", w->scenario_name);
        cJSON *jv = cJSON_AddArrayToObject(w->root, "vary");
        for (size_t k = 0; k < w->nv; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "path", w->vs[k].path);
            cJSON *vals = cJSON_AddArrayToObject(o, "values");
            for (size_t j = 0; j < w->vs[k].n; j++)
                sim_json_push(vals,
                                     cJSON_CreateString(w->vs[k].values[j]));
            sim_json_push(jv, o);
        }
        sim_json_add(w->root, "points", w->jpoints);
        w->jpoints = NULL;
        sim_json_add(w->root, "crossovers", w->jcross);
        w->jcross = NULL;
        cJSON *st = cJSON_AddArrayToObject(w->root, "statements");
        char *line, *save = NULL;
        char *copy = w->said.s ? sim_strdup(w->said.s) : NULL;
        for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
            sim_json_push(st, cJSON_CreateString(line));
        sim_free(copy);

        if (w->table.nomem || w->csv.nomem || w->said.nomem)
            code = CLI_RUNTIME;
        else {
            fputs(w->table.s, stdout);
            printf("\n%s", w->said.s);
        }
    }
    return code;
}

/* sweep.csv, sweep.json and the chart into --out. */
static int sweep_write(sweep *w)
{
    int code = CLI_OK;
        if (w->out) {
            char *json = cJSON_Print(w->root);
            size_t n = json ? strlen(json) : 0;
            char *jnl = json ? sim_alloc(n + 2) : NULL;
            if (jnl) {
                memcpy(jnl, json, n);
                memcpy(jnl + n, "\n", 2);
            }
            if (!jnl || cli__mkdir_p(w->out) != 0 ||
                cli__write_atomic(w->out, "sweep.csv", w->csv.s) != 0 ||
                cli__write_atomic(w->out, "sweep.json", jnl) != 0) {
                fprintf(stderr, "capsim sweep: cannot write into %s: %s\n",
                        w->out, strerror(errno));
                code = CLI_RUNTIME;
            }
            if (code == CLI_OK) {
                /* The chart: cost against the first value, crossovers
                 * marked.  Without gnuplot the data files are still
                 * written, with a warning. */
                rpt_charts charts;
                sim_diag d;
                memset(&charts, 0, sizeof charts);
                sim_diag_init(&d);
                if (rpt_charts_make(w->root, w->out, &charts, &d) != SIM_OK)
                    code = CLI_RUNTIME;
                else if (charts.problem && !w->ro.quiet)
                    fprintf(stderr, "capsim sweep: warning: no chart: %s\n",
                            charts.problem);
                sim_diag_print(&d, stderr);
                sim_diag_fini(&d);
                rpt_charts_fini(&charts);
            }
            sim_free(jnl);
            cJSON_free(json);
        }
    return code;
}

static void sweep_free(sweep *w)
{
    cJSON_Delete(w->jcross);
    cJSON_Delete(w->jpoints);
    cJSON_Delete(w->root);
    sim_free(w->table.s);
    sim_free(w->csv.s);
    sim_free(w->said.s);
    for (size_t p = 0; w->pts && p < w->npoints; p++) {
        sim_free(w->pts[p].idx);
        sim_free(w->pts[p].cost);
        sim_free(w->pts[p].lo);
        sim_free(w->pts[p].hi);
        sim_free(w->pts[p].per_agent);
        sim_free(w->pts[p].per_tenant);
        sim_free(w->pts[p].fx);
        sim_free(w->pts[p].ok);
    }
    sim_free(w->pts);
    for (size_t k = 0; w->sets && k < w->nv; k++)
        sim_free(w->sets[k]);
    sim_free(w->sets);
    for (size_t i = 0; w->names && i < w->ndep; i++)
        sim_free(w->names[i]);
    sim_free(w->names);
    sim_free(w->scenario_name);
    for (size_t k = 0; k < w->nv; k++)
        vary_free(&w->vs[k]);
    sim_free(w->vs);
}

static int sweep_command(int argc, char **argv, run_dist *dist)
{
    sweep w;
    memset(&w, 0, sizeof w);
    /* A stage that lost an allocation on the way (a name, a JSON node)
     * stops the sweep before anything is printed or written. */
    unsigned long failures = sim_alloc_failures();
    int code = sweep_args(&w, argc, argv);
    w.ro.dist = dist;
    if (code == CLI_OK)
        code = cli__jobs_start(&w.ro, "sweep", "point", w.npoints);
    if (code == CLI_OK) {
        /* The points run one after another, each one's simulations
         * spread over the pool: a point's diagnostics and its place in
         * the grid stay where a single thread would put them. */
        code = cli__intact(failures, sweep_points(&w));
        cli__jobs_stop(&w.ro);
    }
    if (code == CLI_OK)
        code = cli__intact(failures, sweep_render(&w));
    if (code == CLI_OK)
        code = cli__intact(failures, sweep_crossovers(&w));
    if (code == CLI_OK && cli__writes(&w.ro))
        code = sweep_write(&w);
    sweep_free(&w);
    return code < 0 ? CLI_OK : code;
}

int cli_sweep(int argc, char **argv, run_dist *dist)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("sweep", failures, sweep_command(argc, argv, dist));
}

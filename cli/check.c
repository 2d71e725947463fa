/*
 * check.c -- `capsim check`: budgets and cost regressions, for CI.
 *
 * Each scenario runs as `capsim run` would; its budgets are judged, and
 * with --baseline each deployment's monthly cost is compared with the
 * baseline's.  A deployment has regressed when its mean cost is more than
 * the tolerance above the baseline AND its 95% interval lies wholly above
 * the baseline: a rise the replications cannot explain as noise.  (A fluid
 * run has no noise: its interval is its value.)  The summary is Markdown,
 * fit to paste into a pull-request comment.
 *
 * Exit codes: 3 if any input is invalid (scenario or baseline), else 4 on
 * a run-time failure, else 1 if any budget or regression check failed,
 * else 0.
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsim_version.h"
#include "base/alloc.h"
#include "cli/commands.h"
#include "base/file.h"
#include "base/json.h"
#include "reports/table.h"
#include "scenario/scenario.h"

typedef struct check_opts {
    cli_run_opts run;
    const char *baseline;
    const char *write_baseline;
    double tolerance;           /* percent */
    int both_ways;              /* a fall beyond tolerance fails too */
} check_opts;

typedef struct check_tally {
    int budgets_failed, regressions, improvements, checked;
    sim_buf why;                /* infeasible deployments, one line each */
    int bad_input, runtime;
} check_tally;


/*
 * Loads a baseline: one results document, or a bundle
 * {"capsim_baseline": 1, "results": [documents]} as --write-baseline
 * writes.  Errors read FILE:LINE:COL like every input error.
 */
static cJSON *load_baseline(const char *path)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "%s: error: cannot read the baseline: %s\n", path,
                strerror(errno));
        return NULL;
    }
    const char *end = NULL;
    unsigned long failures = sim_alloc_failures();
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root && sim_alloc_failures() != failures) {
        sim_free(text);
        return NULL;    /* the command says "out of memory" */
    }
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        cli__json_error(path, text, at && at >= text ? (size_t)(at - text)
                                                     : 0,
                        "the baseline is not valid JSON; expected a results "
                        "document written by 'capsim run --format json' or "
                        "'capsim check --write-baseline'");
        sim_free(text);
        return NULL;
    }
    sim_free(text);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "results");
    if (cJSON_GetObjectItemCaseSensitive(root, "capsim_baseline") &&
        cJSON_IsArray(list))
        return root;
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "deployments")) &&
        cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "scenario"))) {
        /* One document: wrap it as a bundle of one. */
        cJSON *b = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(b, "results");
        sim_json_push(arr, root);
        return b;
    }
    fprintf(stderr, "%s:1:1: error: the baseline has neither 'deployments' "
            "(a results document) nor 'results' (a baseline bundle)\n",
            path);
    cJSON_Delete(root);
    return NULL;
}

static const cJSON *find_named(const cJSON *arr, const char *key,
                               const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, key);
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return it;
    }
    return NULL;
}

/* A decimal as the results document writes it, as a double: both sides
 * of a comparison go through the same text, so equal costs compare
 * equal. */
static double as_double(sim_fx v)
{
    char buf[64];
    return strtod(rpt_num(v, buf, sizeof buf), NULL);
}

static const char *money(double v, char *buf, size_t size)
{
    sim_fx x = sim_fx_from_double(v);
    return rpt_usd(x, buf, size);
}

/* Appends one scenario's rows to the summary tables. */
static void judge(const check_opts *o, const run_results *r,
                  const cJSON *base, sim_buf *rows, sim_buf *brows,
                  check_tally *t)
{
    const scn_scenario *s = r->scn;
    const cJSON *bdoc = base ? find_named(cJSON_GetObjectItemCaseSensitive(
                                              base, "results"),
                                          "scenario", s->name)
                             : NULL;
    const cJSON *bdeps = bdoc ? cJSON_GetObjectItemCaseSensitive(
                                    bdoc, "deployments")
                              : NULL;
    char a[64], lo[64], hi[64];

    for (size_t i = 0; i < r->n; i++) {
        const run_deploy *d = &r->d[i];
        const char *name = d->pd.dep->name;
        double m = as_double(d->month.mean);
        const char *verdict = "no baseline";
        char change[32] = "";
        char base_txt[64] = "";
        if (o->baseline && !bdoc)
            verdict = "scenario not in baseline";
        const cJSON *bd = bdeps ? find_named(bdeps, "name", name) : NULL;
        if (bdoc && !bd)
            verdict = "new deployment";
        if (bd) {
            const cJSON *mu = cJSON_GetObjectItemCaseSensitive(bd,
                                                               "month_usd");
            const cJSON *mean = cJSON_GetObjectItemCaseSensitive(mu, "mean");
            if (!cJSON_IsNumber(mean)) {
                verdict = "baseline has no month_usd.mean";
            } else {
                double bm = mean->valuedouble;
                double l = as_double(d->month.lo);
                double h = as_double(d->month.hi);
                double tol = o->tolerance / 100;
                money(bm, base_txt, sizeof base_txt);
                if (bm != 0)
                    snprintf(change, sizeof change, "%+.2f%%",
                             (m - bm) / fabs(bm) * 100);
                else
                    snprintf(change, sizeof change, "%s",
                             m == 0 ? "0.00%" : "new cost");
                t->checked++;
                if (m > bm + fabs(bm) * tol && l > bm) {
                    verdict = "**regressed**";
                    t->regressions++;
                } else if (m < bm - fabs(bm) * tol && h < bm) {
                    verdict = o->both_ways ? "**moved down**" : "cheaper";
                    if (o->both_ways)
                        t->regressions++;
                    else
                        t->improvements++;
                } else
                    verdict = "ok";
            }
        }
        sim_buf_printf(rows, "| %s | %s | %s | %s | %s | [%s, %s] | %s | %s "
                   "|\n", s->name, name, rpt_usd(d->month.mean, a, sizeof a),
                   base_txt[0] ? base_txt : "-", change[0] ? change : "-",
                   rpt_usd(d->month.lo, lo, sizeof lo),
                   rpt_usd(d->month.hi, hi, sizeof hi), verdict,
                   d->feasible ? "ok" : "infeasible");
        /* Feasibility is reported, not gated: a budget or a baseline is
         * what a CI job chose to fail on. */
        for (size_t k = 0; k < d->why.n; k++)
            sim_buf_printf(&t->why, "- %s / %s: %s\n", s->name, name,
                       d->why.v[k]);
    }
    for (size_t i = 0; i < r->nbudgets; i++) {
        const run_budget *rb = &r->budgets[i];
        int secs = rb->b->metric == SCN_METRIC_COLD_START_P95;
        char mx[64], act[64];
        if (secs) {
            rpt_num(rb->b->max, mx, sizeof mx);
            rpt_num(rb->actual, act, sizeof act);
        } else {
            rpt_usd(rb->b->max, mx, sizeof mx);
            rpt_usd(rb->actual, act, sizeof act);
        }
        sim_buf_printf(brows, "| %s | %s | %s | %s | %s | %s | %s |\n", s->name,
                   rb->d->pd.dep->name, scn_metric_names[rb->b->metric],
                   scn_bound_names[rb->b->bound], mx, act,
                   rb->ok ? "ok" : "**over budget**");
        if (!rb->ok)
            t->budgets_failed++;
    }
}

static int parse_check_args(int argc, char **argv, check_opts *o,
                            const char ***scenarios, int *nscen)
{
    *nscen = 0;
    *scenarios = sim_calloc((size_t)argc, sizeof **scenarios);
    if (!*scenarios)
        return CLI_RUNTIME;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return cli_help("check") == CLI_OK ? -1 : CLI_USAGE;
        if (strcmp(a, "--baseline") == 0 && has_val)
            o->baseline = argv[++i];
        else if (strcmp(a, "--write-baseline") == 0 && has_val)
            o->write_baseline = argv[++i];
        else if (strcmp(a, "--tolerance") == 0 && has_val) {
            char *end;
            const char *v = argv[++i];
            errno = 0;
            o->tolerance = strtod(v, &end);
            if (end > v && *end == '%')
                end++;
            if (*v == '\0' || *end || errno || !(o->tolerance >= 0) ||
                o->tolerance > 1e6)
                return cli__usage_error("check", "--tolerance takes a "
                                        "percentage >= 0, not '%s'", v);
        } else if (strcmp(a, "--both-directions") == 0)
            o->both_ways = 1;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            o->run.quiet = 1;
        else if (strcmp(a, "--pricing") == 0 && has_val)
            o->run.pricing = argv[++i];
        else if (strcmp(a, "--jobs") == 0 && has_val) {
            if (cli__parse_jobs("check", argv[++i], &o->run.jobs) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(a, "--seed") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &o->run.seed) != 0)
                return cli__usage_error("check", "--seed takes a whole "
                                        "number >= 0, not '%s'", argv[i]);
        } else if (strcmp(a, "--replications") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &o->run.replications) != 0 ||
                o->run.replications < 1)
                return cli__usage_error("check", "--replications takes a "
                                        "whole number >= 1, not '%s'",
                                        argv[i]);
        } else if (a[0] == '-' && a[1])
            return cli__usage_error("check", "unknown option or missing "
                                    "value: %s", a);
        else
            (*scenarios)[(*nscen)++] = a;
    }
    if (*nscen == 0)
        return cli__usage_error("check", "%s", "needs at least one scenario "
                                "file");
    return CLI_OK;
}

/* Writes the bundle of every scenario's results document. */
static int write_bundle(const char *path, cJSON *bundle)
{
    char *text = cJSON_Print(bundle);
    if (!text)
        return CLI_RUNTIME;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
             slash ? path : ".");
    size_t n = strlen(text);
    char *withnl = sim_alloc(n + 2);
    int rc = CLI_RUNTIME;
    if (withnl) {
        memcpy(withnl, text, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        rc = cli__write_atomic(dir, name, withnl) == 0 ? CLI_OK
                                                         : CLI_RUNTIME;
    }
    sim_free(withnl);
    sim_free(text);
    return rc;
}

/*
 * One pass, top to bottom: options, each scenario run and judged, the
 * summary, the baseline bundle.  Past 100 lines because the summary's
 * three tables are written inline, where their columns can be read
 * against the verdicts above them; each step is a helper already.
 */
static int check_command(int argc, char **argv, run_dist *dist)
{
    check_opts o;
    unsigned long failures = sim_alloc_failures();
    memset(&o, 0, sizeof o);
    o.run.dist = dist;
    o.run.format = RPT_JSON;
    o.run.seed = -1;
    o.run.replications = -1;
    int age_warned = 0;         /* one stale-catalog warning for them all */
    o.run.age_warned = &age_warned;
    o.tolerance = 1;
    const char **scen = NULL;
    int nscen = 0;
    int code = parse_check_args(argc, argv, &o, &scen, &nscen);
    if (code != CLI_OK) {
        sim_free(scen);
        return code < 0 ? CLI_OK : code;
    }

    cJSON *base = NULL;
    check_tally t;
    memset(&t, 0, sizeof t);
    if (o.baseline && !(base = load_baseline(o.baseline))) {
        sim_free(scen);
        return errno == ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    }
    cJSON *bundle = o.write_baseline ? cJSON_CreateObject() : NULL;
    cJSON *bundle_list = NULL;
    if (bundle) {
        cJSON_AddNumberToObject(bundle, "capsim_baseline", 1);
        bundle_list = cJSON_AddArrayToObject(bundle, "results");
    }
    sim_buf rows = {0}, brows = {0};
    if ((code = cli__jobs_start(&o.run, "check", "scenario",
                                (size_t)nscen)) != CLI_OK) {
        cJSON_Delete(base);
        cJSON_Delete(bundle);
        sim_free(scen);
        return code;
    }
    for (int i = 0; i < nscen; i++) {
        cli_run_opts ro = o.run;
        scn_scenario *s;
        price_catalog *c;
        int rcode = CLI_OK;
        ro.scenario = scen[i];
        run_results *r = cli__run_scenario(&ro, &s, &c, &rcode);
        if (!r) {
            if (rcode == CLI_RUNTIME)
                t.runtime++;
            else
                t.bad_input++;
            sim_buf_printf(&rows, "| %s | - | - | - | - | - | **could not run** |\n",
                       scen[i]);
        } else {
            judge(&o, r, base, &rows, &brows, &t);
            if (bundle_list) {
                char *json = rpt_render(r, RPT_JSON, CAPSIM_VERSION);
                cJSON *doc = json ? cJSON_Parse(json) : NULL;
                if (doc)
                    sim_json_push(bundle_list, doc);
                else
                    t.runtime++;
                sim_free(json);
            }
        }
        run_results_free(r);
        price_catalog_free(c);
        scn_free(s);
    }
    cli__jobs_stop(&o.run);

    int failed = t.budgets_failed + t.regressions;
    sim_buf out = {0};
    if (t.bad_input || t.runtime)
        sim_buf_printf(&out, "## capsim check: ERROR (%d scenario%s could not "
                   "run)\n\n", t.bad_input + t.runtime,
                   t.bad_input + t.runtime == 1 ? "" : "s");
    else if (failed)
        sim_buf_printf(&out, "## capsim check: FAILED (%d budget%s over, %d "
                   "regression%s)\n\n", t.budgets_failed,
                   t.budgets_failed == 1 ? "" : "s", t.regressions,
                   t.regressions == 1 ? "" : "s");
    else
        sim_buf_printf(&out, "## capsim check: passed\n\n");
    if (o.baseline)
        sim_buf_printf(&out, "Baseline `%s`, tolerance %g%%: a deployment "
                   "fails when its mean monthly cost %s by more than the "
                   "tolerance and its 95%% interval %s the baseline.\n\n",
                   o.baseline, o.tolerance,
                   o.both_ways ? "moves" : "rises",
                   o.both_ways ? "excludes" : "lies above");
    sim_buf_printf(&out, "| scenario | deployment | USD/month | baseline | "
               "change | 95%% interval | result | SLO |\n"
               "| --- | --- | ---: | ---: | ---: | --- | --- | --- |\n%s\n",
               rows.s ? rows.s : "");
    if (t.why.s)
        sim_buf_printf(&out, "Infeasible (reported, not failed on):\n\n%s\n",
                   t.why.s);
    if (brows.s)
        sim_buf_printf(&out, "### Budgets\n\n| scenario | deployment | metric "
                   "| bound | max | actual | result |\n"
                   "| --- | --- | --- | --- | ---: | ---: | --- |\n%s\n",
                   brows.s);
    else
        sim_buf_printf(&out, "No budgets are set in these scenarios.\n");
    if (t.improvements)
        sim_buf_printf(&out, "%d deployment%s cheaper than the baseline; "
                   "update it to lock the saving in.\n", t.improvements,
                   t.improvements == 1 ? " is" : "s are");

    if (out.nomem || rows.nomem || brows.nomem || t.why.nomem ||
        cli__intact(failures, CLI_OK) != CLI_OK) {
        sim_free(out.s);
        sim_free(rows.s);
        sim_free(brows.s);
        sim_free(t.why.s);
        cJSON_Delete(base);
        cJSON_Delete(bundle);
        sim_free(scen);
        return CLI_RUNTIME;
    }
    if (out.s)
        fputs(out.s, stdout);
    if (bundle && !t.bad_input && !t.runtime && cli__writes(&o.run) &&
        write_bundle(o.write_baseline, bundle) != CLI_OK) {
        fprintf(stderr, "capsim check: cannot write the baseline %s\n",
                o.write_baseline);
        t.runtime++;
    }
    sim_free(out.s);
    sim_free(rows.s);
    sim_free(brows.s);
    sim_free(t.why.s);
    cJSON_Delete(bundle);
    cJSON_Delete(base);
    sim_free(scen);
    if (t.bad_input)
        return CLI_BAD_INPUT;
    if (t.runtime || out.nomem || rows.nomem || brows.nomem)
        return CLI_RUNTIME;
    return failed ? CLI_CHECK_FAILED : CLI_OK;
}

int cli_check(int argc, char **argv, run_dist *dist)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("check", failures,
                        check_command(argc, argv, dist));
}

/*
 * commands.c -- run, validate, pricing, check and help.
 */
#include "cli/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsim_version.h"
#include "base/file.h"
#include "pricing/catalog.h"
#include "reports/report.h"
#include "reports/results.h"
#include "scenario/profile.h"
#include "scenario/scenario.h"
#include "base/yml.h"

static const char *const help_text[][2] = {
    {"run",
     "usage: capsim run SCENARIO.yaml [--format table|json|csv|md] "
     "[--out DIR]\n"
     "                  [--seed N] [--replications N] [--pricing CATALOG] "
     "[--quiet]\n\n"
     "Simulates the scenario's deployments and prints the cost table.\n"
     "  --format F        table (default), json (the results document), csv "
     "or md\n"
     "  --out DIR         also write results.json, costs.csv, report.md, "
     "report.html\n"
     "                    and charts/ (gnuplot) into DIR\n"
     "  --charts          fail (exit 4) when the charts cannot be drawn\n"
     "  --seed N          override the scenario's seed\n"
     "  --replications N  override the scenario's replications\n"
     "  --pricing C       price catalog: default, 2025-11, seed-docs or a "
     "path\n"
     "  --set PATH=VALUE  change one scenario value for this run, e.g.\n"
     "                    workload.tenants=500 or "
     "deployments.fly-shared.plan=shared-cpu-1x-1gb\n"
     "  --quiet           no warnings on stderr\n"
     "  --profile FILE    a profile from 'capsim calibrate' in place of the "
     "scenario's\n"
     "  --live            also send the scenario's messages (replication "
     "0) through\n"
     "                    the real agent core and compare it with the model "
     "per\n"
     "                    deployment (small scenarios: <= 50 agents, 500 "
     "messages)\n"
     "  --agent FILE      the agent config --live runs (default: the "
     "scripted one)\n"
     "  --speedup X       simulated seconds per real second (default: the "
     "horizon\n"
     "                    in about 20 s)\n"
     "Exits 1 when a budget fails (the outputs are still written).\n"},
    {"validate",
     "usage: capsim validate FILE...\n\n"
     "Checks scenario, price catalog, profile and agent config files "
     "without "
     "simulating.\nPrints\n"
     "FILE: ok for each good file; exits 3 if any file is invalid.\n"},
    {"pricing",
     "usage: capsim pricing [list | show PROVIDER] [--pricing CATALOG]\n\n"
     "Lists the providers of a price catalog, or every rate of one provider\n"
     "with its unit, included quantity, metering, source and date. Warns "
     "when\nthe catalog is more than a year old.\n"},
    {"check",
     "usage: capsim check SCENARIO.yaml... [--baseline RESULTS.json] "
     "[--tolerance PCT]\n"
     "                    [--both-directions] [--write-baseline FILE] "
     "[--seed N]\n"
     "                    [--replications N] [--pricing CATALOG] [--quiet]"
     "\n\n"
     "Runs each scenario, judges its budgets and, with --baseline, compares "
     "each\ndeployment's monthly cost with the baseline's. A deployment "
     "regresses when\nits mean rises by more than PCT percent (default 1) "
     "and its 95% interval\nlies above the baseline. Prints a Markdown "
     "summary for a pull request.\n"
     "  --baseline F         a results.json, or a bundle from "
     "--write-baseline\n"
     "  --tolerance PCT      allowed rise in percent (default 1)\n"
     "  --both-directions    a fall beyond the tolerance fails too\n"
     "  --write-baseline F   write every scenario's results as a baseline "
     "bundle\n"
     "exit codes: 0 passed, 1 a budget or regression check failed, 2 usage,"
     "\n            3 invalid scenario or baseline, 4 run-time failure\n"},
    {"agent",
     "usage: capsim agent serve --config AGENT.yaml [--port N]\n\n"
     "Serves the agent runtime over HTTP: REST and SSE under /v1/sessions, "
     "a\nWebSocket at /v1/ws, /healthz. See agent-harness/README.md.\n"},
    {"report",
     "usage: capsim report RESULTS.json --out DIR [--charts]\n"
     "       capsim report --pricing-table [--pricing CATALOG] "
     "[--scales N,N,...]\n"
     "                     [--scenario FILE] [--out DIR]\n\n"
     "Re-renders saved results into report.md, costs.csv, report.html and "
     "charts/,\nor prints the per-agent cost of every provider and "
     "architecture at each\nscale (default 10,100,1000,10000 tenants) with "
     "the catalog's date and the\nsource of every rate; --out also writes "
     "pricing-table.md and .csv.\n"},
    {"sweep",
     "usage: capsim sweep SCENARIO.yaml --vary PATH=V1,V2,... [--vary ...] "
     "[--out DIR]\n"
     "                    [--seed N] [--replications N] [--pricing CATALOG] "
     "[--quiet]\n\n"
     "Runs the scenario at every point of the grid the --vary lists make, "
     "all\npoints with the same random numbers, prints the monthly cost of "
     "each\ndeployment at each point and says where the cheapest one "
     "changes along\nthe first PATH. PATH is dotted: workload.tenants, "
     "horizon,\ndeployments.NAME.scaling.idle_timeout, deployments.0.plan.\n"
     "  --out DIR   also write sweep.csv and sweep.json into DIR\n"},
    {NULL, NULL}
};

static const char *const overview =
    "capsim " CAPSIM_VERSION " -- cost and capacity planning for hosting AI "
    "agents\n\n"
    "usage: capsim COMMAND [ARGS]\n\n"
    "commands:\n"
    "  run SCENARIO.yaml      simulate and print the cost table\n"
    "  check SCENARIO.yaml... check budgets and cost regressions (for CI)\n"
    "  sweep SCENARIO.yaml    costs over a grid of values (--vary PATH=...)\n"
    "  report RESULTS.json    re-render reports; --pricing-table publishes "
    "prices\n"
    "  validate FILE...       check scenario, catalog and agent config files\n"
    "  agent serve --config F serve the agent runtime over HTTP\n"
    "  calibrate              measure the agent core, write a profile "
    "(JSON)\n"
    "  pricing [list|show P]  show a price catalog\n"
    "  help [COMMAND]         this text, or a command's\n\n"
    "options: --help on every command, --version\n"
    "exit codes: 0 ok, 1 a check failed, 2 usage error, 3 invalid input "
    "file,\n            4 run-time failure\n";

int cli_help(const char *command)
{
    if (!command) {
        fputs(overview, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; help_text[i][0]; i++)
        if (strcmp(help_text[i][0], command) == 0) {
            fputs(help_text[i][1], stdout);
            return CLI_OK;
        }
    fprintf(stderr, "capsim: no help for unknown command '%s'\n", command);
    return CLI_USAGE;
}

int cli__usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "capsim %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'capsim help %s')\n", cmd);
    return CLI_USAGE;
}

static void print_diag(sim_diag *d, int quiet)
{
    if (quiet) {
        /* Keep errors, drop warnings. */
        sim_diag only = *d;
        size_t k = 0;
        sim_diag_entry *v = malloc((d->n ? d->n : 1) * sizeof *v);
        if (!v) {
            sim_diag_print(d, stderr);
            return;
        }
        for (size_t i = 0; i < d->n; i++)
            if (d->v[i].level == SIM_DIAG_ERROR)
                v[k++] = d->v[i];
        only.v = v;
        only.n = k;
        sim_diag_print(&only, stderr);
        free(v);
        return;
    }
    sim_diag_print(d, stderr);
}

/* Directory of a path ("" when none), for catalogs named in scenarios. */
static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, path, n);
        r[n] = '\0';
    }
    return r;
}

static void today(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

static void warn_age(const price_catalog *c, int quiet, int *warned)
{
    char now[16];
    if (quiet || (warned && *warned))
        return;
    today(now, sizeof now);
    long age = price_catalog_age_days(c, now);
    if (age > 365) {
        fprintf(stderr, "capsim: warning: price catalog '%s' is from %s, "
                "%ld days ago; prices may have changed\n", c->name,
                c->as_of, age);
        if (warned)
            *warned = 1;
    }
}

/* Loads the catalog a scenario (or --pricing) names, with overrides. */
static int load_catalog(const scn_scenario *s, const char *cli_ref,
                        sim_diag *d, price_catalog **out)
{
    char *base = cli_ref ? NULL : dirname_of(s->file);
    char *path = price_catalog_resolve(cli_ref ? cli_ref : s->pricing, base);
    free(base);
    if (!path)
        return SIM_ENOMEM;
    int rc = price_catalog_load(path, d, out);
    if (rc == SIM_EIO && !cli_ref)
        scn_error(s, d, s->pricing_pos, "no price catalog '%s'; expected "
                  "default, 2025-11, seed-docs or the path of a catalog "
                  "file", s->pricing);
    free(path);
    if (rc != SIM_OK)
        return rc;
    for (size_t i = 0; i < s->nrates; i++) {
        const char *hint = NULL;
        if (price_catalog_override(*out, s->rates[i].key, s->rates[i].value,
                                   &hint) != SIM_OK) {
            if (hint) {
                /* Suggest the whole key: the hint is the provider when
                 * that part is unknown, else the item. */
                const char *key = s->rates[i].key;
                const char *dot = strchr(key, '.');
                char prov[128], full[256];
                snprintf(prov, sizeof prov, "%.*s",
                         (int)(dot ? dot - key : 0), key);
                if (price_catalog_provider(*out, prov))
                    snprintf(full, sizeof full, "%s.%s", prov, hint);
                else
                    snprintf(full, sizeof full, "%s.%s", hint,
                             dot ? dot + 1 : "");
                scn_error(s, d, s->rates[i].pos, "unknown rate '%s' in "
                          "catalog '%s'; did you mean '%s'?", key,
                          (*out)->name, full);
            }
            else
                scn_error(s, d, s->rates[i].pos, "unknown rate '%s' in "
                          "catalog '%s' (see 'capsim pricing show "
                          "PROVIDER')", s->rates[i].key, (*out)->name);
            rc = SIM_EPARSE;
        }
    }
    if (rc != SIM_OK) {
        price_catalog_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Writes `text` to DIR/NAME through a temporary file and a rename, so a
 * failed run never leaves a half-written file behind. */
int cli__write_atomic(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (sim_write_atomic(path, text, strlen(text)) != SIM_OK) {
        fprintf(stderr, "capsim: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}


/* Loads, runs and returns results; *code gets an exit code on failure. */
/* --profile: a measured profile's figures replace the scenario's own,
 * read for its transport; errors are positioned in the profile. */
static int use_profile(scn_scenario *s, const char *path, sim_diag *d)
{
    char *copy = strdup(path);
    if (!copy)
        return SIM_ENOMEM;
    int rc = scn_profile_read(path, s->workload.transport, 0, d,
                              &s->profile);
    if (rc != SIM_OK) {
        free(copy);
        return rc == SIM_EIO ? SIM_EPARSE : rc;
    }
    free(s->profile.source);
    s->profile.source = copy;
    return SIM_OK;
}

rpt_results *cli__run_scenario(const cli_run_opts *o, scn_scenario **sp,
                                 price_catalog **cp, int *code)
{
    sim_diag d;
    rpt_results *r = NULL;
    sim_diag_init(&d);
    *sp = NULL;
    *cp = NULL;
    int rc = scn_load_with(o->scenario, o->sets, o->nsets, &d, sp);
    if (rc == SIM_OK) {
        if (o->seed >= 0)
            (*sp)->seed = (uint64_t)o->seed;
        if (o->replications > 0)
            (*sp)->replications = o->replications;
        if (o->profile)
            rc = use_profile(*sp, o->profile, &d);
        if (rc == SIM_OK)
            rc = load_catalog(*sp, o->pricing, &d, cp);
    }
    if (rc == SIM_OK)
        rc = rpt_results_compute(*sp, *cp, &d, &r);
    print_diag(&d, o->quiet);
    sim_diag_fini(&d);
    if (rc == SIM_OK) {
        warn_age(*cp, o->quiet, o->age_warned);
        return r;
    }
    *code = rc == SIM_ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    if (rc == SIM_EIO && *sp == NULL)
        *code = CLI_BAD_INPUT;
    return NULL;
}

void cli__json_error(const char *path, const char *text, size_t at,
                     const char *message)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < at && text[i]; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else
            col++;
    }
    sim_diag d;
    sim_diag_init(&d);
    sim_diag_add(&d, SIM_DIAG_ERROR, path, text, line, col, "%s", message);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
}

int cli__mkdir_p(const char *dir)
{
    return sim_mkdir_p(dir);
}

int cli__parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end || errno || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Reads run's arguments into `o` (sets has room for argc entries); -1
 * after printing help, else an exit code. */
static int parse_run_args(int argc, char **argv, cli_run_opts *o,
                          const char **sets)
{
    static const char *const formats[] = {"table", "json", "csv", "md",
                                          NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_help("run");
            return -1;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--format") == 0 && has_val) {
            int k = -1;
            for (int f = 0; formats[f]; f++)
                if (strcmp(argv[i + 1], formats[f]) == 0)
                    k = f;
            if (k < 0)
                return cli__usage_error("run", "unknown format '%s'; "
                                        "expected table, json, csv or md",
                                        argv[i + 1]);
            o->format = (enum rpt_format)k;
            i++;
        } else if (strcmp(a, "--set") == 0 && has_val) {
            if (!strchr(argv[i + 1], '='))
                return cli__usage_error("run", "--set takes PATH=VALUE, not "
                                        "'%s'", argv[i + 1]);
            sets[o->nsets++] = argv[++i];
        } else if (strcmp(a, "--out") == 0 && has_val) {
            o->out = argv[++i];
        } else if (strcmp(a, "--charts") == 0) {
            o->charts = 1;
        } else if (strcmp(a, "--profile") == 0 && has_val) {
            o->profile = argv[++i];
        } else if (strcmp(a, "--live") == 0) {
            o->live = 1;
        } else if (strcmp(a, "--agent") == 0 && has_val) {
            o->agent = argv[++i];
        } else if (strcmp(a, "--speedup") == 0 && has_val) {
            char *end;
            o->speedup = strtod(argv[++i], &end);
            if (*end || !(o->speedup >= 1))
                return cli__usage_error("run", "--speedup takes a number "
                                        ">= 1 (simulated seconds a second), "
                                        "not '%s'", argv[i]);
        } else if (strcmp(a, "--pricing") == 0 && has_val) {
            o->pricing = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &o->seed) != 0)
                return cli__usage_error("run", "--seed takes a whole number "
                                        ">= 0, not '%s'", argv[i]);
        } else if (strcmp(a, "--replications") == 0 && has_val) {
            if (cli__parse_count(argv[++i], &o->replications) != 0 ||
                o->replications < 1)
                return cli__usage_error("run", "--replications takes a "
                                        "whole number >= 1, not '%s'",
                                        argv[i]);
        } else if (a[0] == '-' && a[1]) {
            return cli__usage_error("run", "unknown option or missing "
                                    "value: %s", a);
        } else if (!o->scenario) {
            o->scenario = a;
        } else
            return cli__usage_error("run", "takes one scenario file; extra "
                                    "argument '%s'", a);
    }
    if (!o->scenario)
        return cli__usage_error("run", "%s", "needs a scenario file");
    return CLI_OK;
}

int cli_run(int argc, char **argv, const cli_live *live)
{
    cli_run_opts o = {.format = RPT_TABLE, .seed = -1, .replications = -1};
    const char **sets = calloc((size_t)argc, sizeof *sets);
    if (!sets)
        return CLI_RUNTIME;
    o.sets = sets;
    int code = parse_run_args(argc, argv, &o, sets);
    if (code != CLI_OK) {
        free(sets);
        return code < 0 ? CLI_OK : code;
    }

    if ((o.agent || o.speedup > 0) && !o.live) {
        free(sets);
        return cli__usage_error("run", "%s", "--agent and --speedup go "
                                "with --live");
    }
    if (o.live && !(live && live->run)) {
        free(sets);
        return cli__usage_error("run", "%s", "--live needs the agent "
                                "runtime, which this build leaves out");
    }
    scn_scenario *s;
    price_catalog *c;
    rpt_results *r = cli__run_scenario(&o, &s, &c, &code);
    if (r && o.live) {
        char err[512] = "";
        int rc = live->run(r, o.agent, o.speedup, err, sizeof err);
        if (rc != SIM_OK) {
            fprintf(stderr, "capsim run --live: %s\n", err[0] ? err
                                                         : sim_strerror(rc));
            code = rc == SIM_EINVAL ? CLI_BAD_INPUT : CLI_RUNTIME;
            rpt_results_free(r);
            r = NULL;
        }
    }
    if (r) {
        /* Markdown, CSV and the files of --out all render the results
         * document, so `capsim report` reproduces them from results.json. */
        char *json = rpt_render(r, RPT_JSON, CAPSIM_VERSION);
        char *text = o.format == RPT_JSON
                         ? (json ? strdup(json) : NULL)
                         : rpt_render(r, o.format, CAPSIM_VERSION);
        if (json && o.out)
            code = cli__render_outputs(json, o.out, o.charts, o.quiet);
        if (!json || !text)
            code = CLI_RUNTIME;
        else if (code == CLI_OK && fputs(text, stdout) == EOF)
            code = CLI_RUNTIME;
        /* A budget the run breaks fails it, as `check` does, so a script
         * can gate on `run` alone; the outputs are written all the same. */
        if (code == CLI_OK && !r->budgets_ok) {
            if (!o.quiet)
                fprintf(stderr, "capsim run: a budget failed (see "
                        "budgets); exit 1\n");
            code = CLI_CHECK_FAILED;
        }
        free(text);
        free(json);
    }
    rpt_results_free(r);
    price_catalog_free(c);
    scn_free(s);
    free(sets);
    return code;
}

/* A file is a catalog when its top level says capsim_catalog. */
static int is_catalog(const char *path)
{
    FILE *f = fopen(path, "rb");
    char line[512];
    int found = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "capsim_catalog:", 15) == 0) {
            found = 1;
            break;
        }
    fclose(f);
    return found;
}

int cli_validate(int argc, char **argv, const cli_validator *extra)
{
    int code = CLI_OK, files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return cli_help("validate");
        if (argv[i][0] == '-' && argv[i][1])
            return cli__usage_error("validate", "unknown option '%s'", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        sim_diag d;
        int rc;
        files++;
        sim_diag_init(&d);
        if (extra && extra->claims(argv[i])) {
            rc = extra->check(argv[i], &d);
        } else if (scn_profile_sniff(argv[i])) {
            scn_profile p;
            memset(&p, 0, sizeof p);
            rc = scn_profile_read(argv[i], (enum scn_transport)-1, 0, &d, &p);
        } else if (is_catalog(argv[i])) {
            price_catalog *c = NULL;
            rc = price_catalog_load(argv[i], &d, &c);
            price_catalog_free(c);
        } else {
            scn_scenario *s = NULL;
            price_catalog *c = NULL;
            rpt_results *r = NULL;
            rc = scn_load(argv[i], &d, &s);
            /* A scenario is valid when its provider rules hold too. */
            if (rc == SIM_OK)
                rc = load_catalog(s, NULL, &d, &c);
            if (rc == SIM_OK)
                rc = rpt_results_compute(s, c, &d, &r);
            rpt_results_free(r);
            price_catalog_free(c);
            scn_free(s);
        }
        sim_diag_print(&d, stderr);
        sim_diag_fini(&d);
        if (rc == SIM_OK)
            printf("%s: ok\n", argv[i]);
        else
            code = rc == SIM_ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    }
    if (!files)
        return cli__usage_error("validate", "%s", "needs at least one file");
    return code;
}

static void show_provider(const price_catalog *c, const price_provider *p)
{
    char r[64], per[160], inc[64];
    printf("%s (%s) -- catalog %s, as of %s\n\n", p->title ? p->title : p->id,
           p->id, c->name, c->as_of);
    printf("%-24s %16s  %-14s %-12s %s\n", "item", "rate (USD)", "per",
           "included", "metering / source");
    for (size_t i = 0; i < p->nitems; i++) {
        const price_item *it = &p->items[i];
        sim_fx_format_trim(it->rate, 12, r, sizeof r);
        if (it->per_time) {
            /* Show the period the way the catalog would write it. */
            int64_t s = (int64_t)(it->per / SIM_FX_ONE);
            if (s % 86400 == 0)
                snprintf(per, sizeof per, "%s (%lldd)", it->unit,
                         (long long)(s / 86400));
            else if (s % 3600 == 0)
                snprintf(per, sizeof per, "%s (%lldh)", it->unit,
                         (long long)(s / 3600));
            else
                snprintf(per, sizeof per, "%s (%llds)", it->unit,
                         (long long)s);
        } else {
            char n[64];
            sim_fx_format_trim(it->per, 6, n, sizeof n);
            if (it->per == SIM_FX_ONE)
                snprintf(per, sizeof per, "%s", it->unit);
            else
                snprintf(per, sizeof per, "%s %s", n, it->unit);
        }
        sim_fx_format_trim(it->included, 6, inc, sizeof inc);
        printf("%-24s %16s  %-14s %-12s", it->id, r, per,
               it->included ? inc : "-");
        if (it->granularity_us)
            printf(" per %llds;", (long long)(it->granularity_us / 1000000));
        if (it->minimum_us)
            printf(" min %llds;", (long long)(it->minimum_us / 1000000));
        if (it->round_up) {
            sim_fx_format_trim(it->round_up, 6, inc, sizeof inc);
            printf(" rounded up to %s;", inc);
        }
        printf(" %s (%s)\n", it->source ? it->source : "",
               it->as_of ? it->as_of : "undated");
        if (it->what)
            printf("%-24s   %s%s%s\n", "", it->what, it->note ? " -- " : "",
                   it->note ? it->note : "");
    }
    if (p->nplans) {
        printf("\nplans:\n");
        for (size_t i = 0; i < p->nplans; i++) {
            printf("  %-24s", p->plans[i].id);
            for (size_t a = 0; a < p->plans[i].nattrs; a++)
                printf(" %s=%s", p->plans[i].attrs[a].key,
                       p->plans[i].attrs[a].value);
            printf("\n");
        }
    }
    if (p->nregions) {
        printf("\nregions (price markup):");
        for (size_t i = 0; i < p->nregions; i++)
            printf(" %s=%s", p->regions[i].id,
                   sim_fx_format_trim(p->regions[i].markup, 3, r, sizeof r));
        printf("\n");
    }
}

int cli_pricing(int argc, char **argv)
{
    const char *ref = "default", *provider = NULL;
    int show = 0, list = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return cli_help("pricing");
        if (strcmp(argv[i], "--pricing") == 0 && i + 1 < argc)
            ref = argv[++i];
        else if (strcmp(argv[i], "list") == 0 && !show && !list)
            list = 1;
        else if (strcmp(argv[i], "show") == 0 && !show && !list)
            show = 1;
        else if (show && !provider && argv[i][0] != '-')
            provider = argv[i];
        else
            return cli__usage_error("pricing", "unexpected argument '%s'",
                               argv[i]);
    }
    if (show && !provider)
        return cli__usage_error("pricing", "%s", "show needs a provider");
    char *path = price_catalog_resolve(ref, NULL);
    sim_diag d;
    price_catalog *c = NULL;
    sim_diag_init(&d);
    int rc = path ? price_catalog_load(path, &d, &c) : SIM_ENOMEM;
    free(path);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    if (rc != SIM_OK)
        return rc == SIM_ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    warn_age(c, 0, NULL);
    int code = CLI_OK;
    if (provider) {
        const price_provider *p = price_catalog_provider(c, provider);
        if (!p) {
            fprintf(stderr, "capsim pricing: catalog '%s' has no provider "
                    "'%s'; see 'capsim pricing list'\n", c->name, provider);
            code = CLI_USAGE;
        } else
            show_provider(c, p);
    } else {
        printf("catalog %s, as of %s (%s)\n", c->name, c->as_of, c->path);
        if (c->description)
            printf("%s\n", c->description);
        printf("\n");
        for (size_t i = 0; i < c->nproviders; i++)
            printf("  %-12s %-44s %zu items, %zu plans\n",
                   c->providers[i].id,
                   c->providers[i].title ? c->providers[i].title : "",
                   c->providers[i].nitems, c->providers[i].nplans);
    }
    price_catalog_free(c);
    return code;
}

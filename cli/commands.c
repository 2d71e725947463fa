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

#include "base/alloc.h"
#include "capsim_version.h"
#include "base/file.h"
#include "pricing/catalog.h"
#include "reports/report.h"
#include "reports/results.h"
#include "scenario/profile.h"
#include "scenario/scenario.h"
#include "base/yml.h"

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
        } else if (strcmp(a, "--jobs") == 0 && has_val) {
            if (cli__parse_jobs("run", argv[++i], &o->jobs) != CLI_OK)
                return CLI_USAGE;
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

static int run_command(int argc, char **argv, const cli_live *live,
                       run_dist *dist)
{
    cli_run_opts o = {.format = RPT_TABLE, .seed = -1, .replications = -1,
                      .dist = dist};
    unsigned long failures = sim_alloc_failures();
    const char **sets = sim_calloc((size_t)argc, sizeof *sets);
    if (!sets)
        return CLI_RUNTIME;
    o.sets = sets;
    int code = parse_run_args(argc, argv, &o, sets);
    if (code != CLI_OK) {
        sim_free(sets);
        return code < 0 ? CLI_OK : code;
    }

    if (o.live && run_dist_size(dist) > 1) {
        sim_free(sets);
        return cli__usage_error("run", "%s", "--live runs the agent core "
                                "on this machine; run it without mpirun");
    }
    if ((o.agent || o.speedup > 0) && !o.live) {
        sim_free(sets);
        return cli__usage_error("run", "%s", "--agent and --speedup go "
                                "with --live");
    }
    if (o.live && !(live && live->run)) {
        sim_free(sets);
        return cli__usage_error("run", "%s", "--live needs the agent "
                                "runtime, which this build leaves out");
    }
    if ((code = cli__jobs_start(&o, "run", NULL, 1)) != CLI_OK) {
        sim_free(sets);
        return code;
    }
    scn_scenario *s;
    price_catalog *c;
    run_results *r = cli__run_scenario(&o, &s, &c, &code);
    cli__jobs_stop(&o);
    if (r && o.live) {
        char err[512] = "";
        int rc = live->run(r, o.agent, o.speedup, err, sizeof err);
        if (rc != SIM_OK) {
            fprintf(stderr, "capsim run --live: %s\n", err[0] ? err
                                                         : sim_strerror(rc));
            code = rc == SIM_EINVAL ? CLI_BAD_INPUT : CLI_RUNTIME;
            run_results_free(r);
            r = NULL;
        }
    }
    if (r) {
        /* Markdown, CSV and the files of --out all render the results
         * document, so `capsim report` reproduces them from results.json. */
        char *json = rpt_render(r, RPT_JSON, CAPSIM_VERSION);
        char *text = o.format == RPT_JSON
                         ? (json ? sim_strdup(json) : NULL)
                         : rpt_render(r, o.format, CAPSIM_VERSION);
        code = cli__intact(failures, code);
        if (json && text && o.out && code == CLI_OK && cli__writes(&o))
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
        sim_free(text);
        sim_free(json);
    }
    run_results_free(r);
    price_catalog_free(c);
    scn_free(s);
    sim_free(sets);
    return code;
}

int cli_run(int argc, char **argv, const cli_live *live, run_dist *dist)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("run", failures,
                        run_command(argc, argv, live, dist));
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

static int validate_command(int argc, char **argv,
                            const cli_validator *extra)
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
            run_results *r = NULL;
            rc = scn_load(argv[i], &d, &s);
            /* A scenario is valid when its provider rules hold too. */
            if (rc == SIM_OK)
                rc = cli__load_catalog(s, NULL, &d, &c);
            if (rc == SIM_OK)
                rc = run_results_compute(s, c, &d, &r);
            run_results_free(r);
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

int cli_validate(int argc, char **argv, const cli_validator *extra)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("validate", failures, validate_command(argc, argv, extra));
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
        rpt_fx_trim(it->rate, 12, 0, r, sizeof r);
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
            rpt_fx_trim(it->per, 6, 0, n, sizeof n);
            if (it->per == SIM_FX_ONE)
                snprintf(per, sizeof per, "%s", it->unit);
            else
                snprintf(per, sizeof per, "%s %s", n, it->unit);
        }
        rpt_fx_trim(it->included, 6, 0, inc, sizeof inc);
        printf("%-24s %16s  %-14s %-12s", it->id, r, per,
               it->included ? inc : "-");
        if (it->granularity_us)
            printf(" per %llds;", (long long)(it->granularity_us / 1000000));
        if (it->minimum_us)
            printf(" min %llds;", (long long)(it->minimum_us / 1000000));
        if (it->round_up) {
            rpt_fx_trim(it->round_up, 6, 0, inc, sizeof inc);
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
                   rpt_fx_trim(p->regions[i].markup, 3, 0, r, sizeof r));
        printf("\n");
    }
}

static int pricing_command(int argc, char **argv)
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
    sim_free(path);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    if (rc != SIM_OK)
        return rc == SIM_ENOMEM ? CLI_RUNTIME : CLI_BAD_INPUT;
    cli__warn_age(c, 0, NULL);
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

int cli_pricing(int argc, char **argv)
{
    unsigned long failures = sim_alloc_failures();
    return cli__gave_up("pricing", failures, pricing_command(argc, argv));
}

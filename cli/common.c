/*
 * common.c -- what the commands share: loading and running a scenario,
 * its catalog and profile, writing outputs, usage errors (common.h).
 */
#include "cli/common.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "reports/report.h"
#include "scenario/profile.h"

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
        sim_diag_entry *v = sim_alloc((d->n ? d->n : 1) * sizeof *v);
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
        sim_free(v);
        return;
    }
    sim_diag_print(d, stderr);
}

/* Directory of a path ("" when none), for catalogs named in scenarios. */
static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *r = sim_alloc(n + 1);
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

/* The catalog's age in days when the stale-catalog warning is due, else
 * 0. */
static long age_due(const price_catalog *c, int quiet, const int *warned)
{
    char now[16];
    if (quiet || (warned && *warned))
        return 0;
    today(now, sizeof now);
    long age = price_catalog_age_days(c, now);
    return age > 365 ? age : 0;
}

void cli__warn_age(const price_catalog *c, int quiet, int *warned)
{
    long age = age_due(c, quiet, warned);
    if (age) {
        fprintf(stderr, "capsim: warning: price catalog '%s' is from %s, "
                "%ld days ago; prices may have changed\n", c->name,
                c->as_of, age);
        if (warned)
            *warned = 1;
    }
}

/* Loads the catalog a scenario (or --pricing) names, with overrides. */
int cli__load_catalog(const scn_scenario *s, const char *cli_ref,
                        sim_diag *d, price_catalog **out)
{
    char *base = cli_ref ? NULL : dirname_of(s->file);
    char *path = price_catalog_resolve(cli_ref ? cli_ref : s->pricing, base);
    sim_free(base);
    if (!path)
        return SIM_ENOMEM;
    int rc = price_catalog_load(path, d, out);
    if (rc == SIM_EIO && !cli_ref)
        scn_error(s, d, s->pricing_pos, "no price catalog '%s'; expected "
                  "default, 2025-11, seed-docs or the path of a catalog "
                  "file", s->pricing);
    sim_free(path);
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
    char *copy = sim_strdup(path);
    if (!copy)
        return SIM_ENOMEM;
    int rc = scn_profile_read(path, s->workload.transport, 0, d,
                              &s->profile);
    if (rc != SIM_OK) {
        sim_free(copy);
        return rc == SIM_EIO ? SIM_EPARSE : rc;
    }
    sim_free(s->profile.source);
    s->profile.source = copy;
    return SIM_OK;
}

run_results *cli__run_scenario(const cli_run_opts *o, scn_scenario **sp,
                                 price_catalog **cp, int *code)
{
    sim_diag d;
    run_results *r = NULL;
    sim_diag_init(&d);
    *sp = NULL;
    *cp = NULL;
    cli_progress_next(o->progress);
    int rc = scn_load_with(o->scenario, o->sets, o->nsets, &d, sp);
    if (rc == SIM_OK) {
        if (o->seed >= 0)
            (*sp)->seed = (uint64_t)o->seed;
        if (o->replications > 0)
            (*sp)->replications = o->replications;
        if (o->profile)
            rc = use_profile(*sp, o->profile, &d);
        if (rc == SIM_OK)
            rc = cli__load_catalog(*sp, o->pricing, &d, cp);
    }
    if (rc == SIM_OK) {
        run_opts ro = {o->pool, o->progress ? cli_progress_tick : NULL,
                       o->progress, o->dist};
        rc = run_results_compute_with(*sp, *cp, &ro, &d, &r);
    }
    /* The progress line stays up between scenarios unless something is
     * written under it. */
    if (d.n || (rc == SIM_OK && age_due(*cp, o->quiet, o->age_warned)))
        cli_progress_clear(o->progress);
    print_diag(&d, o->quiet);
    sim_diag_fini(&d);
    if (rc == SIM_OK) {
        cli__warn_age(*cp, o->quiet, o->age_warned);
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

int cli__render_outputs(const char *json, const char *dir, int charts,
                        int quiet)
{
    cJSON *res = NULL;
    sim_diag d;
    int code = CLI_OK;
    if (cli__mkdir_p(dir) != 0) {
        fprintf(stderr, "capsim: cannot create %s: %s\n", dir,
                strerror(errno));
        return CLI_RUNTIME;
    }
    if (rpt_json_parse(json, strlen(json), &res, NULL) != SIM_OK) {
        fprintf(stderr, "capsim: out of memory reading back the results\n");
        return CLI_RUNTIME;
    }
    /* results.json first: if the reports then fail, it is removed again,
     * so the directory never holds half a run. */
    if (cli__write_atomic(dir, "results.json", json) != 0) {
        cJSON_Delete(res);
        return CLI_RUNTIME;
    }
    sim_diag_init(&d);
    int rc = rpt_report_write(res, dir, charts, &d);
    if (rc != SIM_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/results.json", dir);
        unlink(path);
    }
    if (!quiet || rc != SIM_OK)
        sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    cJSON_Delete(res);
    if (rc != SIM_OK)
        code = CLI_RUNTIME;
    return code;
}


int cli__writes(const cli_run_opts *o)
{
    return run_dist_rank(o->dist) == 0;
}

int cli__gave_up(const char *cmd, unsigned long failures, int code)
{
    if (code == CLI_RUNTIME && sim_alloc_failures() != failures)
        fprintf(stderr, "capsim %s: out of memory\n", cmd);
    return code;
}

int cli__intact(unsigned long failures, int code)
{
    return sim_alloc_failures() != failures && code != CLI_USAGE &&
                   code != CLI_BAD_INPUT
               ? CLI_RUNTIME
               : code;
}

int cli__parse_jobs(const char *cmd, const char *arg, unsigned *out)
{
    long long n;
    if (cli__parse_count(arg, &n) != 0 || n < 1 || n > CLI_MAX_JOBS)
        return cli__usage_error(cmd, "--jobs takes a whole number of "
                                "threads from 1 to " CLI_MAX_JOBS_TEXT
                                ", not '%s'", arg);
    *out = (unsigned)n;
    return CLI_OK;
}

/* One thread per online core, by default: the simulations are CPU-bound
 * and share nothing, so more threads than cores only add switching. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > CLI_MAX_JOBS ? CLI_MAX_JOBS : (unsigned)n;
}

int cli__jobs_start(cli_run_opts *o, const char *cmd, const char *part,
                    size_t parts)
{
    unsigned n = o->jobs ? o->jobs : default_jobs();
    /* One thread needs no pool: the simulations run on this one. */
    if (n > 1 && run_jobs_new(n, &o->pool) != SIM_OK)
        return CLI_RUNTIME;
    if (o->pool)
        n = run_jobs_threads(o->pool);
    if (cli_progress_new(cmd, part, parts, n, o->quiet, &o->progress) !=
        SIM_OK) {
        cli__jobs_stop(o);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

void cli__jobs_stop(cli_run_opts *o)
{
    cli_progress_free(o->progress);
    o->progress = NULL;
    run_jobs_free(o->pool);
    o->pool = NULL;
}

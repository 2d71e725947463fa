/*
 * torture.c -- every allocation fails once: a clean error, no leak,
 * nothing half-written.
 *
 * For each case (a command as a user runs it, or the agent config loader)
 * the test first runs it with no failure to learn its outputs and how
 * many allocations it makes.  Then, for N = 1, 2, ... up to that count,
 * it runs the case again with the Nth allocation failing
 * (sim_alloc_fail_at, base/alloc.h) and requires:
 *
 *  - no crash (a crash ends the test with the case and N on stderr);
 *  - either the exit code of the clean run with byte-identical outputs
 *    (a failure the code legitimately tolerates, such as a warning it
 *    could not format) or the runtime error exit (4) with a message on
 *    stderr -- never a success with different output;
 *  - every file in the output directory either absent or identical to
 *    the clean run's (files are written whole or not at all);
 *  - as many blocks live through the seam afterwards as before (no leak;
 *    the ASan build checks the same with LeakSanitizer at exit).
 *
 * Every allocation is reached: the seam covers capsim's own, cJSON's
 * (hooks), libyaml's (interposed yaml_malloc, base/yml.c) and libcsv's.
 * gnuplot is kept off PATH so the report's charts are skipped with a
 * warning rather than spawned a thousand times.
 *
 * TORTURE_STRIDE=K in the environment fails every Kth allocation only
 * (1, 1+K, 1+2K, ...): the sanitizer build, ten times slower per run,
 * uses it to add LeakSanitizer's and AddressSanitizer's eyes on a sample
 * of the failure points the plain build walks in full.
 *
 * usage: torture SOURCE_DIR WORK_DIR [CASE [N]]
 * With N, only the Nth allocation of CASE fails (for a debugger: break in
 * base/alloc.c where `failed` is set).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/diag.h"
#include "base/file.h"
#include "cli/commands.h"
#ifdef TORTURE_AGENT
#include "agent-harness/config.h"
#endif

/* What the crash handler names. */
static const char *cur_case = "";
static unsigned long cur_n;
static int crash_fd = 2;    /* the real stderr while a case runs */

typedef struct torture_case {
    const char *name;
    /* argv after "capsim", with %S for the source dir and %O for the
     * output dir; NULL argv means the agent config loader. */
    const char *argv[12];
    int (*cmd)(int argc, char **argv);
} torture_case;

static int cmd_run(int argc, char **argv)
{
    return cli_run(argc, argv, NULL, NULL);
}

static int cmd_sweep(int argc, char **argv)
{
    return cli_sweep(argc, argv, NULL);
}

static int cmd_check(int argc, char **argv)
{
    return cli_check(argc, argv, NULL);
}

#ifdef TORTURE_AGENT
static const char *agent_config;
static int cmd_agent_config(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sim_diag d;
    ag_config *c = NULL;
    sim_diag_init(&d);
    int rc = ag_config_load(agent_config, &d, &c);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    ag_config_free(c);
    return rc == 0 ? CLI_OK : rc == SIM_ENOMEM ? CLI_RUNTIME : CLI_USAGE;
}
#endif

/* Every command runs on one thread (--jobs 1), where "the Nth
 * allocation" is one allocation every time, so a failure can be replayed
 * with CASE N; run-jobs runs on three, where the Nth is whichever thread
 * gets there first, to walk the failure paths of the pool's workers and
 * of combining their slots. */
static const torture_case cases[] = {
    {"run", {"run", "%S/tests/torture/run.yaml", "--out", "%O", "--quiet",
             "--jobs", "1"}, cmd_run},
    {"run-stochastic",
     {"run", "%S/tests/torture/stochastic.yaml", "--format", "json",
      "--jobs", "1"}, cmd_run},
    {"run-jobs",
     {"run", "%S/tests/torture/stochastic.yaml", "--format", "json",
      "--jobs", "3"}, cmd_run},
    {"report", {"report", "%S/tests/fixtures/results-stochastic.json",
                "--out", "%O"}, cli_report},
    {"sweep", {"sweep", "%S/tests/torture/run.yaml", "--vary",
               "workload.tenants=10,40", "--out", "%O", "--jobs", "1"},
     cmd_sweep},
    {"check", {"check", "%S/tests/torture/run.yaml", "--quiet", "--jobs",
               "1"}, cmd_check},
    {"validate", {"validate", "%S/tests/torture/run.yaml",
                  "%S/data/pricing/2025-11.yaml"}, NULL},
    {"pricing", {"pricing", "--pricing", "2025-11"}, cli_pricing},
#ifdef TORTURE_AGENT
    {"agent-config", {NULL}, cmd_agent_config},
#endif
};

static int cmd_validate(int argc, char **argv)
{
    return cli_validate(argc, argv, NULL);
}

static void on_crash(int sig)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "torture: case %s crashed (signal %d) "
                     "with allocation %lu failing\n", cur_case, sig, cur_n);
    if (n > 0)
        (void)!write(crash_fd, msg, (size_t)n);
    signal(sig, SIG_DFL);
    raise(sig);
}

static char *subst(const char *arg, const char *src, const char *out)
{
    char buf[4096];
    size_t k = 0;
    for (const char *p = arg; *p && k + 1 < sizeof buf; p++) {
        const char *with = NULL;
        if (p[0] == '%' && p[1] == 'S')
            with = src;
        else if (p[0] == '%' && p[1] == 'O')
            with = out;
        if (with) {
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", with);
            p++;
        } else
            buf[k++] = *p;
    }
    buf[k < sizeof buf ? k : sizeof buf - 1] = '\0';
    return strdup(buf);
}

static int rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        if (!d)
            return -1;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

/* Reads a whole file with plain malloc (the test's own memory stays out
 * of the seam's counts). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t got;
    while (s && (got = fread(s + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    *len = n;
    return s;
}

/* Every file under `got` must exist under `want` with the same bytes;
 * with `all`, every file under `want` must exist under `got` too. */
static int same_tree(const char *want, const char *got, int all, char *why,
                     size_t whylen)
{
    DIR *d = opendir(got);
    struct dirent *e;
    int ok = 1;
    if (!d)
        return !all;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char a[4096], b[4096];
        struct stat st;
        snprintf(a, sizeof a, "%s/%s", want, e->d_name);
        snprintf(b, sizeof b, "%s/%s", got, e->d_name);
        if (stat(b, &st) == 0 && S_ISDIR(st.st_mode)) {
            ok = same_tree(a, b, all, why, whylen);
            continue;
        }
        size_t la = 0, lb = 0;
        char *ta = slurp(a, &la), *tb = slurp(b, &lb);
        if (!ta || !tb || la != lb || memcmp(ta, tb, la) != 0) {
            snprintf(why, whylen, "%s differs from the clean run's", b);
            ok = 0;
        }
        free(ta);
        free(tb);
    }
    closedir(d);
    if (ok && all) {
        /* And nothing the clean run wrote is missing. */
        d = opendir(want);
        while (ok && d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char b[4096];
            struct stat st;
            snprintf(b, sizeof b, "%s/%s", got, e->d_name);
            if (stat(b, &st) != 0) {
                snprintf(why, whylen, "%s is missing", b);
                ok = 0;
            }
        }
        if (d)
            closedir(d);
    }
    return ok;
}

typedef struct outcome {
    int code;
    char *out, *err;    /* stdout and stderr, plain malloc */
    size_t outlen, errlen;
} outcome;

/* Runs one case with stdout and stderr captured into files. */
static void run_case(const torture_case *c, const char *src, const char *dir,
                     const char *outdir, outcome *o)
{
    char *argv[12] = {0};
    int argc = 0;
    for (; argc < 11 && c->argv[argc]; argc++)
        argv[argc] = subst(c->argv[argc], src, outdir);
    char so[4096], se[4096];
    snprintf(so, sizeof so, "%s/stdout", dir);
    snprintf(se, sizeof se, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    int keep1 = dup(1), keep2 = dup(2);
    int f1 = open(so, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int f2 = open(se, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    crash_fd = keep2;
    dup2(f1, 1);
    dup2(f2, 2);
    close(f1);
    close(f2);
    int (*cmd)(int, char **) = c->cmd ? c->cmd : cmd_validate;
    o->code = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(keep1, 1);
    dup2(keep2, 2);
    crash_fd = 2;
    close(keep1);
    close(keep2);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    o->out = slurp(so, &o->outlen);
    o->err = slurp(se, &o->errlen);
}

static void outcome_fini(outcome *o)
{
    free(o->out);
    free(o->err);
}

static int torture(const torture_case *c, const char *src, const char *work,
                   unsigned long only)
{
    char ref[4096], out[4096];
    snprintf(ref, sizeof ref, "%s/%s.ref", work, c->name);
    snprintf(out, sizeof out, "%s/%s.out", work, c->name);
    rm_rf(ref);
    rm_rf(out);
    cur_case = c->name;
    cur_n = 0;

    outcome clean;
    long live0 = sim_alloc_live();
    sim_alloc_fail_at(0);
    run_case(c, src, work, ref, &clean);
    unsigned long total = sim_alloc_count();
    if (sim_alloc_live() != live0) {
        fprintf(stderr, "torture: %s: the clean run leaks %ld blocks\n",
                c->name, sim_alloc_live() - live0);
        return 1;
    }
    if (clean.code != CLI_OK && clean.code != 1) {
        fprintf(stderr, "torture: %s: the clean run exits %d:\n%.*s\n",
                c->name, clean.code, (int)clean.errlen,
                clean.err ? clean.err : "");
        return 1;
    }

    int bad = 0;
    unsigned long failed = 0, tolerated = 0;
    const char *k = getenv("TORTURE_STRIDE");
    unsigned long stride = k && strtoul(k, NULL, 10) > 0
                               ? strtoul(k, NULL, 10) : 1;
    for (unsigned long n = only ? only : 1; n <= total && bad < 5;
         n += stride) {
        if (only && n != only)
            break;
        cur_n = n;
        rm_rf(out);
        outcome o;
        long before = sim_alloc_live();
        sim_alloc_fail_at(n);
        run_case(c, src, work, out, &o);
        int hit = sim_alloc_failed();
        sim_alloc_fail_at(0);
        char why[8192] = "";
        if (!hit)
            snprintf(why, sizeof why, "allocation %lu was never reached (the "
                     "clean run made %lu)", n, total);
        else if (sim_alloc_live() != before)
            snprintf(why, sizeof why, "%ld blocks leaked",
                     sim_alloc_live() - before);
        else if (o.code == clean.code) {
            if (o.outlen != clean.outlen ||
                memcmp(o.out, clean.out, o.outlen) != 0)
                snprintf(why, sizeof why, "exit %d as the clean run, but "
                         "stdout differs", o.code);
            else
                same_tree(ref, out, 1, why, sizeof why);
            tolerated++;
        } else if (o.code == CLI_RUNTIME) {
            if (o.errlen == 0)
                snprintf(why, sizeof why, "exit 4 with nothing on stderr");
            else
                same_tree(ref, out, 0, why, sizeof why);
            failed++;
        } else
            snprintf(why, sizeof why, "exit %d (expected %d or 4); stderr: "
                     "%.*s", o.code, clean.code, (int)o.errlen,
                     o.err ? o.err : "");
        if (why[0]) {
            fprintf(stderr, "torture: %s: allocation %lu failing: %s\n",
                    c->name, n, why);
            bad++;
        }
        outcome_fini(&o);
    }
    printf("torture: %-14s %6lu allocations, %lu failures reported, %lu "
           "tolerated%s\n", c->name, total, failed, tolerated,
           bad ? " -- FAILED" : "");
    outcome_fini(&clean);
    rm_rf(ref);
    rm_rf(out);
    return bad != 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: torture SOURCE_DIR WORK_DIR [CASE [N]]\n");
        return 2;
    }
    const char *src = argv[1], *work = argv[2];
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    sim_alloc_init();
    /* No gnuplot: charts are skipped with a warning (see the head). */
    setenv("PATH", "/nonexistent", 1);
    /* What the agent config fixture expands. */
    setenv("AG_TEST_USER", "torture", 1);
    setenv("AG_TEST_CDN_TOKEN", "torture-token", 1);
    if (sim_mkdir_p(work) != 0) {
        fprintf(stderr, "torture: cannot create %s\n", work);
        return 2;
    }
#ifdef TORTURE_AGENT
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "%s/agent-harness/tests/fixtures/full.yaml",
             src);
    agent_config = cfg;
#endif
    int failed = 0, ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (argc < 4 || strcmp(argv[3], cases[i].name) == 0) {
            failed += torture(&cases[i], src, work,
                              argc > 4 ? strtoul(argv[4], NULL, 10) : 0);
            ran++;
        }
    if (!ran) {
        fprintf(stderr, "torture: no case '%s'\n", argv[3]);
        return 2;
    }
    return failed ? 1 : 0;
}

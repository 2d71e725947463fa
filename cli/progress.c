/*
 * progress.c -- the progress line (progress.h).
 *
 * The estimate line ("about 3 min for 200 simulations on 2 threads")
 * comes from timing the first simulation of each scenario to finish:
 * that time, times the simulations still to run, over the threads.  A
 * model of the work from the scenario (messages x deployments x
 * replications) was rejected: what a message costs differs by two orders
 * of magnitude between a per-agent deployment of 100,000 instances and
 * a pool of one, and by machine, so it would need constants that go
 * stale; one real simulation measures both.  The first to finish is the
 * quickest of the ones that started together, so the estimate errs
 * short; it is printed once, when it passes a minute.
 */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/diag.h"
#include "base/fixed.h"

#define REDRAW_S 0.1            /* at most ten redraws a second */
#define ESTIMATE_S 60.0         /* say how long when it is longer */
#define BAR 12

struct cli_progress {
    const char *cmd, *part;
    size_t parts, k;            /* scenarios, and how many have started */
    unsigned threads;
    size_t width;               /* the terminal's columns */
    size_t base;                /* simulations of the scenarios before */
    size_t done, total;         /* the current scenario's */
    double part_t0, t0;         /* first tick of the scenario, of all */
    double last_draw;           /* < 0: never drawn */
    int first_seen;             /* the scenario's first has finished */
    int estimated;              /* the estimate line is out */
    size_t shown;               /* columns the line takes now (0: none) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "45 s", "3 min 05 s", "1 h 20 min". */
static const char *span(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, size, "%ld s", t);
    else if (t < 3600)
        snprintf(buf, size, "%ld min %02ld s", t / 60, t % 60);
    else
        snprintf(buf, size, "%ld h %02ld min", t / 3600, t / 60 % 60);
    return buf;
}

/* All the simulations of the command: exact for the scenarios started,
 * the mean of those for the rest. */
static double est_total(const cli_progress *p)
{
    double known = (double)(p->base + p->total);
    size_t k = p->k ? p->k : 1;
    return known + (double)(p->parts > k ? p->parts - k : 0) * known /
                       (double)k;
}

int cli_progress_new(const char *cmd, const char *part, size_t parts,
                     unsigned threads, int quiet, cli_progress **out)
{
    *out = NULL;
    if (quiet || !isatty(STDERR_FILENO))
        return SIM_OK;
    cli_progress *p = sim_calloc(1, sizeof *p);
    if (!p)
        return SIM_ENOMEM;
    p->cmd = cmd;
    p->part = part;
    p->parts = parts ? parts : 1;
    p->threads = threads ? threads : 1;
    p->last_draw = -1;
    p->t0 = -1;
    p->width = 80;
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        p->width = ws.ws_col;
    *out = p;
    return SIM_OK;
}

void cli_progress_clear(cli_progress *p)
{
    if (!p || !p->shown)
        return;
    fprintf(stderr, "\r%*s\r", (int)p->shown, "");
    fflush(stderr);
    p->shown = 0;
}

void cli_progress_free(cli_progress *p)
{
    cli_progress_clear(p);
    sim_free(p);
}

void cli_progress_next(cli_progress *p)
{
    if (!p)
        return;
    p->base += p->total;
    p->done = p->total = 0;
    p->first_seen = 0;
    p->k++;
}

/* The line, with the bar or without it; its length. */
static size_t compose(const cli_progress *p, double now, int bar,
                      char *line, size_t size)
{
    char a[32];
    size_t n = 0, all = p->base + p->done;
    double total = est_total(p);
    double elapsed = now - p->t0;
    int fill = total > 0 ? (int)((double)all * BAR / total) : 0;
    if (fill > BAR)
        fill = BAR;
    n = sim_appendf(line, size, n, "capsim %s: ", p->cmd);
    if (p->part && p->parts > 1)
        n = sim_appendf(line, size, n, "%s %zu/%zu, ", p->part, p->k,
                        p->parts);
    if (bar)
        n = sim_appendf(line, size, n, "[%.*s%.*s] ", fill, "############",
                        BAR - fill, "............");
    n = sim_appendf(line, size, n, "%zu/%.0f simulations", all, total);
    if (all > 0 && elapsed > 0) {
        double rate = (double)all / elapsed;
        n = sim_appendf(line, size, n, ", %.3g/s", rate);
        if (total > (double)all)
            n = sim_appendf(line, size, n, ", about %s left",
                            span((total - (double)all) / rate, a,
                                 sizeof a));
    }
    return n;
}

static void draw(cli_progress *p, double now)
{
    char line[512];
    /* One row: a line that wraps cannot be redrawn with \r.  The bar
     * goes first when the terminal is narrow, then the end of the line. */
    size_t n = compose(p, now, 1, line, sizeof line);
    if (n > p->width - 1)
        n = compose(p, now, 0, line, sizeof line);
    if (n > p->width - 1)
        n = p->width - 1;
    line[n] = '\0';
    fprintf(stderr, "\r%s%*s", line, p->shown > n ? (int)(p->shown - n) : 0,
            "");
    fflush(stderr);
    p->shown = n;
    p->last_draw = now;
}

/* At the scenario's first finished simulation: how long the rest will
 * take, said once if it is more than a minute (see the head). */
static void estimate(cli_progress *p, double now)
{
    char a[32];
    double rest = est_total(p) - (double)p->base;
    double secs = (now - p->part_t0) * rest / (double)p->threads;
    if (p->estimated || secs <= ESTIMATE_S)
        return;
    p->estimated = 1;
    cli_progress_clear(p);
    fprintf(stderr, "capsim %s: about %s for %.0f simulations on %u "
            "thread%s (timed from the first)\n", p->cmd,
            span(secs, a, sizeof a), rest, p->threads,
            p->threads == 1 ? "" : "s");
}

void cli_progress_tick(void *ud, size_t done, size_t total)
{
    cli_progress *p = ud;
    double now = now_s();
    if (!p)
        return;
    if (done == 0) {
        p->total = total;
        p->part_t0 = now;
        if (p->t0 < 0)
            p->t0 = now;
    }
    p->done = done;
    if (done > 0 && !p->first_seen) {
        p->first_seen = 1;
        estimate(p, now);
    }
    if (p->last_draw >= 0 && now - p->last_draw < REDRAW_S)
        return;
    draw(p, now);
}

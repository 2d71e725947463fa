/*
 * charts.h -- gnuplot charts of the results document.
 *
 * Each chart is three files in DIR/charts/: NAME.dat (the numbers),
 * NAME.gp (the gnuplot script; `gnuplot NAME.gp` run in that directory
 * redraws it) and NAME.svg, which gnuplot draws.  gnuplot is a run-time
 * tool, not a library: it is found on PATH and run as a child process
 * (fork and exec, no shell, stdin from /dev/null, init files skipped with
 * -d), one process per chart.  Its SVG carries no timestamp, so the same
 * document gives the same bytes.
 *
 * The charts, in order (a chart without data is left out):
 *   per_agent_cost  per-agent monthly cost by deployment, with the 95%
 *                   interval as whiskers when the workload is stochastic;
 *                   log y axis when the largest is over 100x the smallest;
 *   line_items      monthly cost by line item, stacked per deployment;
 *                   credits are drawn below zero and a dot marks the net;
 *   instances       instances over simulated time, a line per deployment
 *                   that has `instances_over_time`;
 *   awake_cold      awake share (bars, left axis) and cold starts per
 *                   month (points, right axis); stochastic results only.
 */
#ifndef RPT_CHARTS_H
#define RPT_CHARTS_H

#include <cJSON.h>
#include <stddef.h>

#include "base/diag.h"

typedef struct rpt_chart {
    char *name;       /* file stem in DIR/charts, e.g. "line_items" */
    char *title;      /* what the chart shows, in words */
    char *svg_path;   /* DIR/charts/NAME.svg, or NULL when not drawn */
    char *svg;        /* that SVG ready to inline in HTML (no XML prolog,
                       * ids prefixed with NAME- so charts on one page do
                       * not collide), or NULL when not drawn */
} rpt_chart;

typedef struct rpt_charts {
    rpt_chart *v;
    size_t n;
    int missing_gnuplot;  /* gnuplot is not on PATH */
    char *problem;        /* why some chart was not drawn, or NULL */
    char **written;       /* files this call created (for rpt_charts_unlink) */
    size_t nwritten;
    char *dir;            /* DIR/charts */
    int made_dir;         /* ... and this call created it */
} rpt_charts;

/*
 * Writes the charts of `res` into DIR/charts (created when missing; DIR
 * must exist) and draws them with gnuplot.  `*out` is initialised here and
 * must be released with rpt_charts_fini whatever the result.
 *
 * gnuplot missing or failing is not an error of this function: the .dat
 * and .gp files are still written, the affected charts have no SVG, and
 * out->problem says why (with gnuplot's own message when it failed); the
 * caller decides whether that is a warning or an error.  Returns SIM_OK,
 * SIM_ENOMEM, or SIM_EIO when a file or the directory cannot be written
 * (recorded in `d` with the path and strerror); on those errors every file
 * this call wrote has been removed again.
 */
int rpt_charts_make(const cJSON *res, const char *dir, rpt_charts *out,
                    sim_diag *d);

/* Removes every file rpt_charts_make wrote (and DIR/charts if it created
 * it), for a caller whose later step failed.  `c` stays valid to free. */
void rpt_charts_unlink(rpt_charts *c);

/* Frees what `c` holds (files stay); then `c` is empty.  NULL is a no-op. */
void rpt_charts_fini(rpt_charts *c);

#endif

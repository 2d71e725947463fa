/*
 * charts.c -- the charts' data and gnuplot scripts, and running gnuplot.
 *
 * All text that comes from the user (deployment and line-item names) goes
 * into the .gp file as single-quoted gnuplot strings, where only '' is
 * special, and is drawn `noenhanced` so `_` or `^` in a name is not read
 * as markup.  The .dat files hold numbers only (names appear in comments
 * for a human reader), so no name can break the data parser.
 */
#include "reports/charts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "reports/doc.h"
#include "reports/fmt.h"
#include "base/fixed.h"

/* Distinct, print-safe colours (Tableau 10 and more, greys left out);
 * series past the end reuse them in order. */
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#1f77b4", "#ff7f0e", "#2ca02c",
    "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"
};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* gnuplot's SVG is a few hundred KiB at most; refuse anything absurd. */
#define SVG_MAX (32u << 20)
/* How long one chart may take before gnuplot is stopped. */
#define GNUPLOT_TIMEOUT_MS 60000
/* Enough of gnuplot's stderr to say what went wrong. */
#define ERR_MAX 4096

/* ---- small helpers ------------------------------------------------------ */

static const cJSON *deps_of(const cJSON *res)
{
    const cJSON *a = rpt__get(res, "deployments");
    return cJSON_IsArray(a) ? a : NULL;
}

static int fx_at(const cJSON *o, const char *key, sim_fx *v)
{
    return rpt_json_fx(rpt__get(o, key), v) == SIM_OK;
}

/* A number for a .dat file: the exact decimal, never an exponent. */
static void dat_num(sim_buf *b, sim_fx v)
{
    char buf[64];
    sim_buf_printf(b, " %s", rpt_fx_trim(v, SIM_FX_PLACES, 0, buf,
                                                 sizeof buf));
}

/* A single-quoted gnuplot string: '' is the only escape; line breaks
 * would end the command, so they become spaces. */
static void gp_str(sim_buf *b, const char *s)
{
    sim_buf_put(b, "'", 1);
    for (; s && *s; s++) {
        if (*s == '\'')
            sim_buf_put(b, "''", 2);
        else if (*s == '\n' || *s == '\r')
            sim_buf_put(b, " ", 1);
        else
            sim_buf_put(b, s, 1);
    }
    sim_buf_put(b, "'", 1);
}

/* A name in a .dat comment: one line, nothing else. */
static void dat_comment(sim_buf *b, const char *s)
{
    sim_buf_put(b, "  # ", 4);
    for (; s && *s; s++)
        sim_buf_put(b, *s == '\n' || *s == '\r' ? " " : s, 1);
}

/* A deployment's label; an infeasible one says so on every chart. */
static const char *name_of(const cJSON *dep, char *buf, size_t size)
{
    const char *n = rpt__str(dep, "name");
    if (!n)
        n = "-";
    if (rpt__feasible(dep))
        return n;
    snprintf(buf, size, "%s (infeasible)", n);
    return buf;
}

static void gp_head(sim_buf *gp, const char *name, const char *title)
{
    sim_buf_printf(gp, "# %s.gp -- %s.\n# Written by capsim from the "
                   "results document.  Run `gnuplot %s.gp` in this\n"
                   "# directory to redraw %s.svg from %s.dat.\n",
                   name, title, name, name, name);
    sim_buf_printf(gp, "if (!exists(\"out\")) out = '%s.svg'\n", name);
    sim_buf_printf(gp, "set terminal svg size 900,480 dynamic enhanced "
                   "font 'sans,11' background rgb 'white'\n"
                   "set output out\nset encoding utf8\nset title ");
    gp_str(gp, title);
    sim_buf_printf(gp, " noenhanced\nset key noenhanced\n"
                   "set grid ytics lc rgb '#dddddd'\n");
}

/* Deployment names as x tics at 0, 1, 2, ... */
static void gp_xtics(sim_buf *gp, const cJSON *res, size_t n)
{
    char nb[300];    /* a label: a name and " (infeasible)" */
    const cJSON *dep;
    int i = 0;
    sim_buf_printf(gp, "set xtics nomirror rotate by 30 right noenhanced (");
    cJSON_ArrayForEach(dep, deps_of(res)) {
        sim_buf_printf(gp, "%s", i ? ", " : "");
        gp_str(gp, name_of(dep, nb, sizeof nb));
        sim_buf_printf(gp, " %d", i++);
    }
    sim_buf_printf(gp, ")\nset xrange [-0.6:%zu.4]\n", n ? n - 1 : 0);
}

static int stochastic(const cJSON *res)
{
    const char *w = rpt__str(res, "workload");
    return w && strcmp(w, "stochastic") == 0;
}

/* ---- the charts --------------------------------------------------------- */

typedef struct spec {
    const char *name;
    /* Fills dat and gp; sets *title (static text).  Returns 0 when the
     * document has nothing to draw. */
    int (*build)(const cJSON *res, sim_buf *dat, sim_buf *gp,
                 const char **title);
} spec;

static int per_agent_cost(const cJSON *res, sim_buf *dat, sim_buf *gp,
                          const char **title)
{
    char nb[300];    /* a label: a name and " (infeasible)" */
    const cJSON *dep;
    size_t n = 0;
    sim_fx lo_all = 0, hi_all = 0;
    int ci = stochastic(res), positive = 1;
    sim_buf_printf(dat, "# x mean ci95_lo ci95_hi  (USD per agent-month)\n");
    cJSON_ArrayForEach(dep, deps_of(res)) {
        const cJSON *pa = rpt__get(dep, "per_agent_month_usd");
        const cJSON *ciarr = rpt__get(pa, "ci95");
        sim_fx m = 0, lo, hi;
        fx_at(pa, "mean", &m);
        if (rpt_json_fx(cJSON_GetArrayItem(ciarr, 0), &lo) != SIM_OK)
            lo = m;
        if (rpt_json_fx(cJSON_GetArrayItem(ciarr, 1), &hi) != SIM_OK)
            hi = m;
        sim_buf_printf(dat, "%zu", n);
        dat_num(dat, m);
        dat_num(dat, lo);
        dat_num(dat, hi);
        dat_comment(dat, name_of(dep, nb, sizeof nb));
        sim_buf_printf(dat, "\n");
        if (m <= 0)
            positive = 0;
        if (!n || m < lo_all)
            lo_all = m;
        if (!n || m > hi_all)
            hi_all = m;
        n++;
    }
    if (!n)
        return 0;
    int logy = positive && hi_all > lo_all * 100;
    *title = ci ? (logy ? "Per-agent monthly cost by deployment, USD (bars: "
                          "mean, whiskers: 95% interval; log scale)"
                        : "Per-agent monthly cost by deployment, USD (bars: "
                          "mean, whiskers: 95% interval)")
                : (logy ? "Per-agent monthly cost by deployment, USD (log "
                          "scale)"
                        : "Per-agent monthly cost by deployment, USD");
    gp_head(gp, "per_agent_cost", *title);
    gp_xtics(gp, res, n);
    sim_buf_printf(gp, "set ylabel 'USD per agent-month'\n"
                   "set style fill solid 0.85 border rgb '#333333'\n"
                   "set boxwidth 0.6\nset key top left\n%s",
                   logy ? "set logscale y\n" : "set yrange [0:*]\n");
    /* boxerrorbars rather than boxes plus yerrorbars: the latter blanks
     * a white disc behind each mean. */
    if (ci)
        sim_buf_printf(gp, "set errorbars lc rgb '#222222' lw 1.5\n"
                       "plot 'per_agent_cost.dat' using 1:2:3:4:(0.6) with "
                       "boxerrorbars lc rgb '%s' title 'mean and 95%% "
                       "interval'\n", palette[0]);
    else
        sim_buf_printf(gp, "plot 'per_agent_cost.dat' using 1:2 with boxes "
                       "lc rgb '%s' title 'mean'\n", palette[0]);
    return 1;
}

/* The distinct line items of all deployments, in first-seen order. */
typedef struct items {
    const char **id;
    size_t n;
} items;

static int collect_items(const cJSON *res, items *it)
{
    const cJSON *dep, *li;
    size_t cap = 0;
    it->id = NULL;
    it->n = 0;
    cJSON_ArrayForEach(dep, deps_of(res)) {
        cJSON_ArrayForEach(li, rpt__get(dep, "line_items")) {
            const char *id = rpt__str(li, "item");
            size_t k;
            if (!id)
                continue;
            for (k = 0; k < it->n && strcmp(it->id[k], id); k++)
                ;
            if (k < it->n)
                continue;
            if (it->n == cap) {
                cap = cap ? cap * 2 : 16;
                const char **v = sim_realloc(it->id, cap * sizeof *v);
                if (!v) {
                    sim_free(it->id);
                    it->id = NULL;
                    return SIM_ENOMEM;
                }
                it->id = v;
            }
            it->id[it->n++] = id;
        }
    }
    return SIM_OK;
}

/* USD of item `id` in one deployment (summed if it repeats). */
static sim_fx item_usd(const cJSON *dep, const char *id)
{
    const cJSON *li;
    sim_fx sum = 0, v;
    cJSON_ArrayForEach(li, rpt__get(dep, "line_items")) {
        const char *x = rpt__str(li, "item");
        if (x && strcmp(x, id) == 0 && fx_at(li, "usd", &v))
            sum += v;
    }
    return sum;
}

/*
 * Each item is a block of boxes, one per deployment, [x-0.3, x+0.3] by
 * [ylo, yhi]: charges stack up from zero and credits down from zero, in
 * the same item order for every deployment so colours line up.  Netting
 * credits against charges instead would hide the plan's minimum.
 */
static int line_items(const cJSON *res, sim_buf *dat, sim_buf *gp,
                      const char **title)
{
    items it;
    size_t ndep = (size_t)cJSON_GetArraySize(deps_of(res));
    if (collect_items(res, &it) != SIM_OK) {
        dat->nomem = 1;
        return 0;
    }
    sim_fx *up = sim_calloc(ndep ? ndep : 1, sizeof *up);
    sim_fx *down = sim_calloc(ndep ? ndep : 1, sizeof *down);
    if (!up || !down) {
        sim_free(up);
        sim_free(down);
        sim_free(it.id);
        dat->nomem = 1;
        return 0;
    }
    *title = "Monthly cost by line item, USD (credits drawn below zero; "
             "dots: net month total)";
    gp_head(gp, "line_items", *title);
    gp_xtics(gp, res, ndep);
    sim_buf_printf(gp, "set ylabel 'USD per month'\n"
                   "set style fill solid 0.9 noborder\n"
                   "set xzeroaxis lt -1\n"
                   "set key outside right top vertical font ',9'\n"
                   "plot");
    size_t block = 0;
    for (size_t k = 0; k < it.n; k++) {
        const cJSON *dep;
        size_t x = 0;
        int rows = 0;
        cJSON_ArrayForEach(dep, deps_of(res)) {
            sim_fx v = item_usd(dep, it.id[k]), lo, hi;
            if (v == 0) {
                x++;
                continue;
            }
            if (!rows)
                sim_buf_printf(dat, "%s# item %zu: %s\n# x ylo yhi\n",
                               block ? "\n\n" : "", block, it.id[k]);
            rows = 1;
            if (v > 0) {
                lo = up[x];
                hi = up[x] += v;
            } else {
                hi = down[x];
                lo = down[x] += v;
            }
            sim_buf_printf(dat, "%zu", x++);
            dat_num(dat, lo);
            dat_num(dat, hi);
            sim_buf_printf(dat, "\n");
        }
        if (!rows)
            continue;
        sim_buf_printf(gp, "%s 'line_items.dat' index %zu using "
                       "1:(($2+$3)/2):($1-0.3):($1+0.3):2:3 with boxxyerror "
                       "lc rgb '%s' title ", block ? ", \\\n    " : "",
                       block, palette[block % NPALETTE]);
        gp_str(gp, it.id[k]);
        block++;
    }
    sim_buf_printf(dat, "%s# net month total\n# x usd\n",
                   block ? "\n\n" : "");
    for (size_t x = 0; x < ndep; x++) {
        sim_buf_printf(dat, "%zu", x);
        dat_num(dat, up[x] + down[x]);
        sim_buf_printf(dat, "\n");
    }
    sim_buf_printf(gp, "%s 'line_items.dat' index %zu using 1:2 with points "
                   "pt 7 ps 0.7 lc rgb '#000000' title 'net total'\n",
                   block ? ", \\\n    " : "", block);
    sim_free(up);
    sim_free(down);
    sim_free(it.id);
    return ndep > 0;
}

static int instances(const cJSON *res, sim_buf *dat, sim_buf *gp,
                     const char **title)
{
    char nb[300];    /* a label: a name and " (infeasible)" */
    const cJSON *dep;
    size_t block = 0;
    sim_fx horizon = 0;
    *title = "Instances running over simulated time (mean over "
             "replications)";
    fx_at(res, "horizon_hours", &horizon);
    cJSON_ArrayForEach(dep, deps_of(res)) {
        const cJSON *tl = rpt__get(dep, "instances_over_time");
        const cJSON *pts = rpt__get(tl, "mean"), *p;
        sim_fx slice;
        if (!fx_at(tl, "slice_hours", &slice) || !cJSON_IsArray(pts) ||
            cJSON_GetArraySize(pts) == 0)
            continue;
        if (!block) {
            gp_head(gp, "instances", *title);
            sim_buf_printf(gp, "set xlabel 'simulated hours'\n"
                           "set ylabel 'instances running'\n"
                           "set yrange [0:*]\nset xtics nomirror\n"
                           "set key outside right top vertical\n");
            if (horizon > 0) {
                char h[64];
                sim_buf_printf(gp, "set xrange [0:%s]\n",
                               rpt_fx_trim(horizon, 6, 0, h, sizeof h));
            }
            sim_buf_printf(gp, "plot");
        }
        sim_buf_printf(dat, "%s# deployment %zu:", block ? "\n\n" : "",
                       block);
        dat_comment(dat, name_of(dep, nb, sizeof nb));
        sim_buf_printf(dat, "\n# hours instances\n");
        size_t i = 0;
        cJSON_ArrayForEach(p, pts) {
            sim_fx v;
            if (rpt_json_fx(p, &v) != SIM_OK)
                v = 0;
            /* Each point is the mean over its slice: plot it mid-slice. */
            dat_num(dat, slice * (sim_fx)i + slice / 2);
            dat_num(dat, v);
            sim_buf_printf(dat, "\n");
            i++;
        }
        sim_buf_printf(gp, "%s 'instances.dat' index %zu using 1:2 with "
                       "lines lw 2 lc rgb '%s' title ",
                       block ? ", \\\n    " : "", block,
                       palette[block % NPALETTE]);
        gp_str(gp, name_of(dep, nb, sizeof nb));
        block++;
    }
    if (block)
        sim_buf_printf(gp, "\n");
    return block > 0;
}

static int awake_cold(const cJSON *res, sim_buf *dat, sim_buf *gp,
                      const char **title)
{
    char nb[300];    /* a label: a name and " (infeasible)" */
    const cJSON *dep;
    size_t n = 0;
    if (!stochastic(res))
        return 0;
    *title = "Awake share of instance time (bars, left axis) and cold "
             "starts per month (dots, right axis)";
    sim_buf_printf(dat, "# x awake_pct cold_starts_per_month\n");
    cJSON_ArrayForEach(dep, deps_of(res)) {
        sim_fx aw = 0, cold = 0;
        fx_at(dep, "awake_fraction", &aw);
        fx_at(dep, "cold_starts_per_month", &cold);
        sim_buf_printf(dat, "%zu", n++);
        dat_num(dat, aw * 100);
        dat_num(dat, cold);
        dat_comment(dat, name_of(dep, nb, sizeof nb));
        sim_buf_printf(dat, "\n");
    }
    if (!n)
        return 0;
    gp_head(gp, "awake_cold", *title);
    gp_xtics(gp, res, n);
    sim_buf_printf(gp, "set ylabel 'awake, %% of instance time'\n"
                   "set y2label 'cold starts per month'\n"
                   "set ytics 0,20,100 nomirror\nset y2tics\n"
                   "set yrange [0:112]\nset y2range [0:*]\n"
                   "set style fill solid 0.85 border rgb '#333333'\n"
                   "set boxwidth 0.6\nset key below horizontal\n"
                   "plot 'awake_cold.dat' using 1:2 with boxes lc rgb '%s' "
                   "title 'awake %%', \\\n"
                   "     '' using 1:2:(sprintf('%%.2f%%%%', $2)) with labels "
                   "offset 0,0.7 notitle, \\\n"
                   "     '' using 1:3 axes x1y2 with points pt 7 ps 1.2 "
                   "lc rgb '%s' title 'cold starts per month'\n",
                   palette[4], palette[2]);
    return 1;
}

/*
 * A sweep document (capsim sweep): monthly cost against the first varied
 * value, a line per deployment, with the other values at their first; log
 * axes when a range spans 10x or more; each crossover a dashed line with
 * the two names.  Values that are not numbers are spaced evenly.  Kept
 * whole (past 100 lines): the .dat columns and the gnuplot lines that plot
 * them must agree column for column, and they are easiest to check side
 * by side.
 */
static int sweep(const cJSON *res, sim_buf *dat, sim_buf *gp,
                 const char **title)
{
    char nb[300];    /* a label: a name and " (infeasible)" */
    const cJSON *vary = rpt__get(res, "vary");
    const cJSON *points = rpt__get(res, "points");
    const cJSON *v0 = cJSON_GetArrayItem(vary, 0);
    const char *path = rpt__str(v0, "path");
    int n0 = cJSON_GetArraySize(rpt__get(v0, "values"));
    if (!path || n0 < 2 || !cJSON_IsArray(points))
        return 0;
    const cJSON *first = cJSON_GetArrayItem(points, 0);
    const cJSON *deps = rpt__get(first, "deployments");
    int nd = cJSON_GetArraySize(deps);
    if (nd == 0)
        return 0;
    int numeric = 1;
    double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
    for (int i = 0; i < n0; i++) {
        const cJSON *pt = cJSON_GetArrayItem(points, i);
        const cJSON *x = rpt__get(rpt__get(pt, "values"), path);
        sim_fx xv;
        if (rpt_json_fx(x, &xv) != SIM_OK)
            numeric = 0;
        else {
            double d = sim_fx_to_double(xv);
            xmin = i == 0 || d < xmin ? d : xmin;
            xmax = i == 0 || d > xmax ? d : xmax;
        }
    }
    *title = "Monthly cost against the swept value, USD (dashed: where the "
             "cheapest changes)";
    sim_buf_printf(dat, "# x");
    const cJSON *dep;
    cJSON_ArrayForEach(dep, deps) dat_comment(dat, name_of(dep, nb, sizeof nb));
    sim_buf_printf(dat, "\n");
    for (int i = 0; i < n0; i++) {
        const cJSON *pt = cJSON_GetArrayItem(points, i);
        sim_fx xv = sim_fx_from_int(i);
        if (numeric)
            rpt_json_fx(rpt__get(rpt__get(pt, "values"), path), &xv);
        dat_num(dat, xv);
        int k = 0;
        cJSON_ArrayForEach(dep, rpt__get(pt, "deployments")) {
            sim_fx c = 0;
            fx_at(rpt__get(dep, "month_usd"), "mean", &c);
            double d = sim_fx_to_double(c);
            ymin = (i == 0 && k == 0) || d < ymin ? d : ymin;
            ymax = (i == 0 && k == 0) || d > ymax ? d : ymax;
            dat_num(dat, c);
            k++;
        }
        sim_buf_printf(dat, "\n");
    }
    gp_head(gp, "sweep", *title);
    sim_buf_printf(gp, "set xlabel ");
    gp_str(gp, path);
    sim_buf_printf(gp, " noenhanced\nset ylabel 'USD per month'\n"
                   "set key outside right top noenhanced\n");
    if (numeric && xmin > 0 && xmax >= 10 * xmin)
        sim_buf_printf(gp, "set logscale x\n");
    if (ymin > 0 && ymax >= 10 * ymin)
        sim_buf_printf(gp, "set logscale y\n");
    if (!numeric) {
        sim_buf_printf(gp, "set xtics (");
        for (int i = 0; i < n0; i++) {
            const cJSON *pt = cJSON_GetArrayItem(points, i);
            sim_buf_printf(gp, "%s", i ? ", " : "");
            gp_str(gp, rpt__str(rpt__get(pt, "values"), path));
            sim_buf_printf(gp, " %d", i);
        }
        sim_buf_printf(gp, ")\nset xrange [-0.5:%d.5]\n", n0 - 1);
    }
    /* Crossovers of the first combination of the other values. */
    const cJSON *x;
    int arrow = 1;
    cJSON_ArrayForEach(x, rpt__get(res, "crossovers")) {
        const cJSON *g = rpt__get(x, "group");
        if (cJSON_IsNumber(g) && g->valuedouble != 0)
            continue;
        char at[64];
        sim_fx a;
        if (numeric && rpt_json_fx(rpt__get(x, "at"), &a) == SIM_OK)
            rpt_fx_trim(a, 6, 0, at, sizeof at);
        else {
            /* Between two category positions. */
            const cJSON *btw = rpt__get(x, "between");
            const char *lo = cJSON_GetArrayItem(btw, 0)
                                 ? cJSON_GetArrayItem(btw, 0)->valuestring
                                 : NULL;
            int li = 0;
            for (int i = 0; lo && i < n0; i++) {
                const char *v = rpt__str(rpt__get(cJSON_GetArrayItem(
                                                      points, i), "values"),
                                         path);
                if (v && strcmp(v, lo) == 0)
                    li = i;
            }
            snprintf(at, sizeof at, "%d.5", li);
        }
        sim_buf_printf(gp, "set arrow %d from %s, graph 0 to %s, graph 1 "
                       "nohead dt 2 lc rgb '#555555'\nset label %d ",
                       arrow, at, at, arrow);
        char text[256];
        snprintf(text, sizeof text, "%s -> %s", rpt__str(x, "from"),
                 rpt__str(x, "to"));
        gp_str(gp, text);
        sim_buf_printf(gp, " at %s, graph %.2f left offset 0.5,0 "
                       "noenhanced font 'sans,9'\n", at,
                       0.95 - 0.06 * ((arrow - 1) % 8));
        arrow++;
    }
    sim_buf_printf(gp, "plot ");
    int k = 0;
    cJSON_ArrayForEach(dep, deps) {
        sim_buf_printf(gp, "%s'sweep.dat' using 1:%d with linespoints lw 2 "
                       "pt 7 ps 0.8 lc rgb '%s' title ", k ? ", \\\n     "
                       : "", k + 2, palette[k % NPALETTE]);
        gp_str(gp, name_of(dep, nb, sizeof nb));
        k++;
    }
    sim_buf_printf(gp, "\n");
    return 1;
}

static const spec charts[] = {
    {"per_agent_cost", per_agent_cost},
    {"line_items", line_items},
    {"instances", instances},
    {"awake_cold", awake_cold},
    {"sweep", sweep},
};
#define NCHARTS (sizeof charts / sizeof charts[0])

/* ---- files -------------------------------------------------------------- */

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = sim_alloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* Remembers a file this call created; SIM_ENOMEM if it cannot. */
static int note_written(rpt_charts *c, const char *path)
{
    char **v = sim_realloc(c->written, (c->nwritten + 1) * sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    c->written = v;
    v[c->nwritten] = sim_strdup(path);
    if (!v[c->nwritten])
        return SIM_ENOMEM;
    c->nwritten++;
    return SIM_OK;
}

static int put(rpt_charts *c, const char *name, const char *ext,
               sim_buf *text, sim_diag *d)
{
    char *path = NULL;
    int rc = SIM_ENOMEM;
    char *s = sim_buf_take(text);
    text->s = NULL;
    if (s) {
        char *file = join(name, ext, "");
        path = file ? join(c->dir, "/", file) : NULL;
        sim_free(file);
    }
    if (s && path) {
        rc = rpt__write_file(path, s, strlen(s), d);
        if (rc == SIM_OK)
            rc = note_written(c, path);
    }
    sim_free(path);
    sim_free(s);
    return rc;
}

static int read_all(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 65536, n = 0;
    char *buf = NULL;
    *out = NULL;
    if (!f)
        return SIM_EIO;
    buf = sim_alloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *b = cap >= SVG_MAX ? NULL : sim_realloc(buf, cap * 2);
            if (!b) {
                sim_free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        sim_free(buf);
        return buf ? SIM_EIO : SIM_ENOMEM;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SIM_OK;
}

/* ---- SVG for inlining --------------------------------------------------- */

/*
 * gnuplot's SVG is a standalone document: an XML prolog, a <title> of
 * "Gnuplot", and the same ids (gpPt0, gnuplot_canvas, ...) in every file.
 * Inline, the prolog is invalid HTML and repeated ids make a page whose
 * `url(#...)` and `href="#..."` may resolve into another chart, so ids and
 * references are prefixed with the chart's name, inside tags only (text
 * is left as drawn).
 */
static char *inline_svg(const char *svg, const char *name, const char *title)
{
    static const char *const refs[] = {
        " id='", " id=\"", "\tid='", "\tid=\"", "\nid='", "\nid=\"",
        "href='#", "href=\"#", "url(#"
    };
    const char *p = strstr(svg, "<svg");
    sim_buf b = {0};
    int in_tag = 0, titled = 0;
    if (!p)
        return NULL;
    sim_buf_printf(&b, "<svg role=\"img\" aria-label=\"");
    for (const char *t = title; *t; t++) {
        if (*t == '"' || *t == '&' || *t == '<' || *t == '>')
            sim_buf_printf(&b, "&#%d;", *t);
        else
            sim_buf_put(&b, t, 1);
    }
    sim_buf_put(&b, "\"", 1);
    p += 4;
    in_tag = 1;
    while (*p) {
        if (!titled && strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
            /* The tooltip a browser shows: the chart's own title. */
            sim_buf_put(&b, "<title>", 7);
            for (const char *t = title; *t; t++) {
                if (*t == '&' || *t == '<' || *t == '>')
                    sim_buf_printf(&b, "&#%d;", *t);
                else
                    sim_buf_put(&b, t, 1);
            }
            sim_buf_put(&b, "</title>", 8);
            p += 22;
            titled = 1;
            continue;
        }
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        size_t hit = 0;
        for (size_t r = 0; in_tag && !hit && r < sizeof refs / sizeof *refs;
             r++)
            if (strncmp(p, refs[r], strlen(refs[r])) == 0)
                hit = strlen(refs[r]);
        if (hit) {
            sim_buf_put(&b, p, hit);
            sim_buf_printf(&b, "%s-", name);
            p += hit;
        } else {
            sim_buf_put(&b, p++, 1);
        }
    }
    return sim_buf_take(&b);
}

/* ---- running gnuplot ---------------------------------------------------- */

/* The first executable `prog` on PATH (execvp's default when unset). */
static char *find_on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (1) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        size_t len = n + strlen(prog) + 3;
        char *cand = sim_alloc(len);
        struct stat st;
        if (!cand)
            return NULL;
        /* An empty entry means the current directory (POSIX). */
        snprintf(cand, len, "%.*s/%s", n ? (int)n : 1, n ? path : ".",
                 prog);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
            access(cand, X_OK) == 0)
            return cand;
        sim_free(cand);
        if (!end)
            return NULL;
        path = end + 1;
    }
}

/* One line of gnuplot's complaint, whitespace collapsed, capped. */
static void tidy_stderr(char *s)
{
    char *w = s;
    int space = 1;
    for (char *r = s; *r; r++) {
        int ws = *r == '\n' || *r == '\r' || *r == '\t' || *r == ' ';
        if (ws && space)
            continue;
        *w++ = ws ? ' ' : *r;
        space = ws;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
    if (w - s > 300)
        strcpy(s + 296, " ...");
}

/*
 * Runs `gnuplot -d -e "out='NAME.svg.tmp'" NAME.gp` in `cdir`.  Returns 0
 * when it exited 0; otherwise a message (caller frees) in *why.
 */
static int run_gnuplot(const char *gnuplot, const char *cdir,
                       const char *name, char **why)
{
    char outarg[96], script[96], err[ERR_MAX + 1];
    char *argv[] = {(char *)gnuplot, "-d", "-e", outarg, script, NULL};
    int fd[2], status = 0;
    size_t n = 0;
    *why = NULL;
    snprintf(outarg, sizeof outarg, "out='%s.svg.tmp'", name);
    snprintf(script, sizeof script, "%s.gp", name);
    if (pipe(fd) != 0) {
        *why = join("cannot start gnuplot: ", strerror(errno), "");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd[0]);
        close(fd[1]);
        *why = join("cannot start gnuplot: ", strerror(e), "");
        return -1;
    }
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. */
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(fd[1], 2) < 0 || chdir(cdir) != 0)
            _exit(126);
        close(fd[0]);
        close(fd[1]);
        if (null > 2)
            close(null);
        execv(gnuplot, argv);
        _exit(127);
    }
    close(fd[1]);
    /* A chart takes gnuplot well under a second; one that has not
     * finished in a minute is stuck, and capsim must not hang on it. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int killed = 0;
    for (;;) {
        char chunk[512];
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = GNUPLOT_TIMEOUT_MS -
                    ((now.tv_sec - t0.tv_sec) * 1000 +
                     (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd pf = {fd[0], POLLIN, 0};
        int pr = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        ssize_t got = read(fd[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        /* Keep the start, where gnuplot names the line; drain the rest. */
        size_t keep = (size_t)got < ERR_MAX - n ? (size_t)got : ERR_MAX - n;
        memcpy(err + n, chunk, keep);
        n += keep;
    }
    close(fd[0]);
    err[n] = '\0';
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            *why = join("cannot wait for gnuplot: ", strerror(errno), "");
            return -1;
        }
    if (killed) {
        char msg[160];
        snprintf(msg, sizeof msg, "gnuplot did not finish charts/%s.gp in "
                 "%d s and was stopped", name, GNUPLOT_TIMEOUT_MS / 1000);
        *why = join(msg, "", "");
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char head[160];
    if (WIFEXITED(status))
        snprintf(head, sizeof head, "gnuplot failed on charts/%s.gp (exit "
                 "status %d)", name, WEXITSTATUS(status));
    else
        snprintf(head, sizeof head, "gnuplot was killed by signal %d on "
                 "charts/%s.gp", WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                 name);
    tidy_stderr(err);
    *why = join(head, *err ? ": " : "", err);
    return -1;
}

/* Draws one chart whose .dat and .gp are written.  A gnuplot problem goes
 * to c->problem (the first one is kept) and is not an error here. */
static int draw(rpt_charts *c, rpt_chart *ch, const char *gnuplot,
                sim_diag *d)
{
    char *why = NULL, *svg = NULL, *stem = join(c->dir, "/", ch->name);
    char *tmpsvg = stem ? join(stem, ".svg.tmp", "") : NULL;
    char *path = stem ? join(stem, ".svg", "") : NULL;
    size_t len = 0;
    int rc = SIM_OK;
    sim_free(stem);
    if (!tmpsvg || !path) {
        rc = SIM_ENOMEM;
        goto out;
    }
    if (run_gnuplot(gnuplot, c->dir, ch->name, &why) != 0) {
        remove(tmpsvg);
        if (!why)
            rc = SIM_ENOMEM;
        goto out;
    }
    rc = read_all(tmpsvg, &svg, &len);
    if (rc != SIM_OK || len == 0) {
        remove(tmpsvg);
        if (rc != SIM_ENOMEM) {
            rc = SIM_OK;
            why = join("gnuplot wrote no charts/", ch->name, ".svg");
            if (!why)
                rc = SIM_ENOMEM;
        }
        goto out;
    }
    if (rename(tmpsvg, path) != 0) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "cannot write: %s",
                     strerror(errno));
        remove(tmpsvg);
        rc = SIM_EIO;
        goto out;
    }
    rc = note_written(c, path);
    if (rc == SIM_OK) {
        ch->svg = inline_svg(svg, ch->name, ch->title);
        if (!ch->svg)
            rc = SIM_ENOMEM;
    }
    if (rc == SIM_OK) {
        ch->svg_path = path;
        path = NULL;
    }
out:
    if (why && !c->problem) {
        c->problem = why;
        why = NULL;
    }
    sim_free(why);
    sim_free(svg);
    sim_free(tmpsvg);
    sim_free(path);
    return rc;
}

static int make_dir(rpt_charts *c, sim_diag *d)
{
    const char *cdir = c->dir;
    if (mkdir(cdir, 0777) == 0) {
        c->made_dir = 1;
        return SIM_OK;
    }
    struct stat st;
    if (errno == EEXIST && stat(cdir, &st) == 0 && S_ISDIR(st.st_mode))
        return SIM_OK;
    sim_diag_add(d, SIM_DIAG_ERROR, cdir, NULL, 0, 0, "cannot create "
                 "directory: %s", strerror(errno == EEXIST ? ENOTDIR : errno));
    return SIM_EIO;
}

/* Writes chart `s` (if it has data) and appends it to c->v. */
static int write_chart(rpt_charts *c, const spec *s, const cJSON *res,
                       sim_diag *d)
{
    sim_buf dat = {0}, gp = {0};
    const char *title = "";
    int has = s->build(res, &dat, &gp, &title);
    if (!has && !dat.nomem && !gp.nomem) {
        /* A chart this document has no data for: drop what an earlier
         * run into the same directory left, so charts/ matches. */
        static const char *const ext[] = {".dat", ".gp", ".svg"};
        for (size_t e = 0; e < 3; e++) {
            char *f = join(c->dir, "/", s->name);
            char *path = f ? join(f, ext[e], "") : NULL;
            if (path)
                unlink(path);
            sim_free(f);
            sim_free(path);
        }
    }
    if (dat.nomem || gp.nomem || !has) {
        sim_free(dat.s);
        sim_free(gp.s);
        return dat.nomem || gp.nomem ? SIM_ENOMEM : SIM_OK;
    }
    rpt_chart *ch = &c->v[c->n];
    ch->name = sim_strdup(s->name);
    ch->title = sim_strdup(title);
    if (!ch->name || !ch->title) {
        sim_free(ch->name);
        sim_free(ch->title);
        sim_free(dat.s);
        sim_free(gp.s);
        return SIM_ENOMEM;
    }
    c->n++;
    int rc = put(c, s->name, ".dat", &dat, d);
    if (rc == SIM_OK)
        rc = put(c, s->name, ".gp", &gp, d);
    sim_free(dat.s);
    sim_free(gp.s);
    return rc;
}

int rpt_charts_make(const cJSON *res, const char *dir, rpt_charts *out,
                    sim_diag *d)
{
    char *gnuplot = NULL;
    int rc = SIM_ENOMEM;
    memset(out, 0, sizeof *out);
    out->dir = join(dir, "/charts", "");
    out->v = sim_calloc(NCHARTS, sizeof *out->v);
    if (!out->dir || !out->v)
        goto fail;
    rc = make_dir(out, d);
    for (size_t i = 0; i < NCHARTS && rc == SIM_OK; i++)
        rc = write_chart(out, &charts[i], res, d);
    if (rc != SIM_OK)
        goto fail;
    gnuplot = find_on_path("gnuplot");
    if (!gnuplot) {
        out->missing_gnuplot = 1;
        out->problem = sim_strdup("gnuplot is not installed (not found on "
                              "PATH)");
        rc = out->problem ? SIM_OK : SIM_ENOMEM;
    }
    for (size_t i = 0; gnuplot && i < out->n && rc == SIM_OK; i++)
        rc = draw(out, &out->v[i], gnuplot, d);
    if (rc != SIM_OK)
        goto fail;
    sim_free(gnuplot);
    return SIM_OK;
fail:
    rpt_charts_unlink(out);
    sim_free(gnuplot);
    return rc;
}

void rpt_charts_unlink(rpt_charts *c)
{
    if (!c)
        return;
    for (size_t i = c->nwritten; i-- > 0;) {
        remove(c->written[i]);
        sim_free(c->written[i]);
    }
    sim_free(c->written);
    c->written = NULL;
    c->nwritten = 0;
    /* Only a directory this call made, and only if nothing else is in it
     * (rmdir refuses a non-empty one). */
    if (c->made_dir && c->dir)
        rmdir(c->dir);
    c->made_dir = 0;
}

void rpt_charts_fini(rpt_charts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        sim_free(c->v[i].name);
        sim_free(c->v[i].title);
        sim_free(c->v[i].svg_path);
        sim_free(c->v[i].svg);
    }
    sim_free(c->v);
    for (size_t i = 0; i < c->nwritten; i++)
        sim_free(c->written[i]);
    sim_free(c->written);
    sim_free(c->problem);
    sim_free(c->dir);
    memset(c, 0, sizeof *c);
}

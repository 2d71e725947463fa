/*
 * report.h -- report.md, costs.csv and report.html from the results
 * document.
 *
 * Every renderer here reads the results document (shared/spec.md) as a
 * cJSON tree and nothing else, so `capsim run --out DIR` (which renders
 * the document it has just built) and `capsim report RESULTS.json --out
 * DIR` (which renders one read back from disk) write the same bytes.
 *
 * Numbers: results.c writes every number as raw decimal text
 * (cJSON_CreateRaw), and rpt_json_parse reads a file back the same way, so
 * money stays exact from the simulator to the page.  Plain cJSON numbers
 * (a document parsed with cJSON_Parse) are accepted too, at the precision
 * of a double.  Money is shown to the cent, rounded half away from zero;
 * costs.csv carries the exact decimals.
 *
 * Output is deterministic: no clock, no locale, fixed order (the order of
 * the document).  Keys the renderers do not know are ignored; keys they
 * know may be absent, and then the line or section that shows them is
 * left out.
 *
 * Ownership: the renderers borrow `res` and return a new NUL-terminated
 * string the caller frees with sim_free(), or NULL when memory runs out.
 */
#ifndef RPT_REPORT_H
#define RPT_REPORT_H

#include <cJSON.h>
#include <stddef.h>

#include "reports/charts.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/fixed.h"

/* Markdown: summary, cost table, per-deployment details, budgets,
 * pricing. */
char *rpt_md_from_json(const cJSON *res);

/*
 * CSV (RFC 4180 quoting by libcsv, "\n" line ends): a header, then for
 * each deployment one row per line item and one `total` row carrying the
 * month's mean, its 95% interval and the per-tenant and per-agent means.
 */
char *rpt_csv_from_json(const cJSON *res);

/*
 * One CSV field as costs.csv writes it, for other CSV writers: a `text`
 * field (a name a user chose) starting with = + - or @ gets a leading
 * apostrophe so a spreadsheet shows it rather than running it as a
 * formula; then RFC 4180 quoting when the field has a separator, quote,
 * line break or edge space.  Returns a new string (caller frees), or NULL
 * when out of memory.
 */
char *rpt_csv_field(const char *s, int text);

/*
 * One self-contained HTML page: inline CSS, charts as inline <svg>, no
 * script, no external URL.  `charts` may be NULL (no charts section); a
 * chart without SVG, or charts->problem, shows a note in its place.
 */
char *rpt_html_from_json(const cJSON *res, const rpt_charts *charts);

/*
 * Writes report.md, costs.csv, report.html and charts/ (the .gp, .dat and
 * .svg of each chart) into the existing directory `dir`.  Each file is
 * written to NAME.tmp and renamed into place.
 *
 * Returns SIM_OK, or:
 *   SIM_EINVAL  `res` is not a results document (no deployments array);
 *   SIM_ENOMEM  out of memory;
 *   SIM_EIO     a file could not be written (the diag names it and gives
 *               strerror), or gnuplot is missing or failed and
 *               `charts_required` is set.
 * On failure every file this call wrote is removed again.  When gnuplot is
 * missing or fails and charts are not required, the three documents are
 * still written (the HTML says where the charts would be), a warning goes
 * to `d`, and the result is SIM_OK.
 */
int rpt_report_write(const cJSON *res, const char *dir, int charts_required,
                     sim_diag *d);





#include "reports/doc.h"
#include "reports/fmt.h"

/* ---- internal to reports/ (report.c, charts.c) -------------------------- */







#endif

/*
 * results.h -- rendering a run's results: the results document (JSON) of
 * shared/spec.md, an aligned table, CSV or Markdown.  Writers are
 * deterministic: fixed key order, fixed number formats, no clock.
 */
#ifndef RPT_RESULTS_H
#define RPT_RESULTS_H

#include "reports/fmt.h"
#include "run/results.h"

enum rpt_format { RPT_TABLE, RPT_JSON, RPT_CSV, RPT_MD };

/* Renders the results into a new NUL-terminated string (sim_free()). */
char *rpt_render(const run_results *r, enum rpt_format fmt,
                 const char *version);


#endif

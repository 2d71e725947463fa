/*
 * fmt.h -- numbers as the reports show them: one rule for every table,
 * page and data file.
 *
 * Money is exact (sim_fx) until it is shown; showing it rounds half away
 * from zero (0.125 -> "0.13", -0.125 -> "-0.13"), as a person and a
 * spreadsheet expect, and a value that rounds to zero prints without a
 * sign.  Every buffer should hold 64 bytes; each function returns it.
 */
#ifndef RPT_FMT_H
#define RPT_FMT_H

#include <stddef.h>

#include "base/fixed.h"

/* `places` decimals (0..12); `group` puts a comma between thousands. */
char *rpt_fx_round(sim_fx v, int places, int group, char *buf, size_t size);

/* As rpt_fx_round, then without trailing zeros (and a bare point). */
char *rpt_fx_trim(sim_fx v, int places, int group, char *buf, size_t size);

/* Puts commas between the thousands of a formatted number, in place. */
void rpt_group_thousands(char *buf, size_t size);

/* Dollars to the cent, for tables. */
char *rpt_usd(sim_fx v, char *buf, size_t size);

/* Exact to the micro-dollar, trimmed, for data (results.json, CSV). */
char *rpt_num(sim_fx v, char *buf, size_t size);

#endif

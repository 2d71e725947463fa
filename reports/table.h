/*
 * table.h -- the cost table as aligned text.
 */
#ifndef RPT_TABLE_H
#define RPT_TABLE_H

#include <stddef.h>

#include "base/buf.h"

struct run_results;

/* Each returns a new string (sim_free()) or NULL when out of memory. */
char *rpt_render_table(const struct run_results *r);

/* The scenario's service level in words: "queue wait p95 <= 10 s,
 * nothing refused".  buf should hold 256 bytes. */
struct scn_scenario;
void rpt_slo_text(const struct scn_scenario *s, char *buf, size_t size);

#endif

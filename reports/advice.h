/*
 * advice.h -- pricing recommendations from a run's results.
 *
 * For every deployment: the price per agent and per tenant at each of the
 * scenario's markups, funding the LLM spend per message; the gross margin
 * at each price; the fixed fees (per-account plans, seats, support,
 * add-ons, less the credits they include) and the tenants needed to cover
 * them at each price.  Across deployments: which is cheapest at which
 * scale, extrapolating each one's fixed and per-tenant costs linearly from
 * this run (`capsim sweep` simulates each scale instead), and plain
 * sentences saying all of it.  Money stays exact; counts are rounded up.
 */
#ifndef RPT_ADVICE_H
#define RPT_ADVICE_H

#include <cJSON.h>

#include "run/results.h"

/* Adds "recommendation" to each deployment object of `root` (in order),
 * and "cheapest" and "advice" to `root`.  Returns SIM_OK or SIM_ENOMEM. */
int rpt_advice_json(const run_results *r, cJSON *root);

#endif

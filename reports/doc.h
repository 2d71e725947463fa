/*
 * doc.h -- the results document as the renderers read it: parsed with
 * every number's exact text kept, looked up without crashing on a key
 * that is missing or of the wrong type, and written whole or not at all.
 * report.c and charts.c both read documents through this, so neither
 * needs the other's header.
 */
#ifndef RPT_DOC_H
#define RPT_DOC_H

#include <cJSON.h>
#include <stddef.h>

#include "base/diag.h"
#include "base/fixed.h"

/*
 * Parses a results document keeping every number's exact source text: each
 * number becomes a cJSON_Raw item holding its digits, as results.c builds
 * them.  Returns SIM_OK, SIM_EPARSE (with *errpos set to the byte offset
 * cJSON stopped at, when errpos is not NULL) or SIM_ENOMEM.  *out is freed
 * with cJSON_Delete.
 */
int rpt_json_parse(const char *text, size_t len, cJSON **out /* OUT */,
                   size_t *errpos /* OUT, may be NULL */);

/*
 * The exact value of a number item (raw decimal text or cJSON number).
 * Returns SIM_OK, or SIM_EINVAL when `item` is NULL or not a number.
 */
int rpt_json_fx(const cJSON *item, sim_fx *out /* OUT */);

/* Borrowed lookups that tolerate a NULL or wrongly typed parent. */
const cJSON *rpt__get(const cJSON *o, const char *key);
const char *rpt__str(const cJSON *o, const char *key);
/* Whether a deployment object was judged feasible (true when the key is
 * absent). */
int rpt__feasible(const cJSON *dep);

/*
 * Writes `len` bytes to `path` through a temporary file and a rename.  On failure
 * the temporary file is removed, the error (path and strerror) goes to
 * `d`, and SIM_EIO (or SIM_ENOMEM) is returned.
 */
int rpt__write_file(const char *path, const char *text, size_t len,
                    sim_diag *d);

#endif

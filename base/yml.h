/*
 * yml.h -- a YAML document with positions, and typed, checked getters.
 *
 * Scenario files, price catalogs and agent configs are all read through
 * this module, so every one of them reports errors the same way: at the
 * node's line and column, naming what was expected.  A getter that fails
 * records a diagnostic and returns non-zero; callers keep going to report
 * as many errors as they can, and look at sim_diag.errors at the end.
 */
#ifndef SIM_YML_H
#define SIM_YML_H

#include <stdint.h>
#include <yaml.h>

#include "base/diag.h"
#include "base/fixed.h"

typedef struct yml_doc yml_doc;
typedef yaml_node_t yml_node;

/*
 * Reads and parses `path`.  On success *out is a new document (free with
 * yml_free).  A missing file or a YAML syntax error is recorded in `d`
 * and SIM_EIO or SIM_EPARSE is returned.
 */
int yml_load(const char *path, sim_diag *d, yml_doc **out /* OUT */);

/* Parses text already in memory; `name` is used in diagnostics. */
int yml_load_text(const char *name, const char *text, size_t len,
                  sim_diag *d, yml_doc **out /* OUT */);

void yml_free(yml_doc *doc);

/*
 * Sets the scalar at `path` to `value`, as if the file had said so: keys
 * separated by dots; a list item by its 0-based index or by the value of
 * its `name` key (deployments.fly-shared.plan).  A missing last key is
 * added to its mapping; a node it creates takes its parent's position
 * for diagnostics.  Returns SIM_OK, SIM_ENOTFOUND (with `err` saying which
 * part did not match), SIM_EINVAL (the path names a list or mapping, not
 * a scalar) or SIM_ENOMEM.
 */
int yml_set(yml_doc *doc, const char *path, const char *value, char *err,
            size_t errlen);

yml_node *yml_root(yml_doc *doc);
const char *yml_file(const yml_doc *doc);
/* Whether a check on this document ran out of memory (sticky): a loader
 * that sees it returns SIM_ENOMEM rather than "invalid input". */
int yml_nomem(const yml_doc *doc);
const char *yml_text(const yml_doc *doc);   /* the whole file */
sim_diag *yml_diag(yml_doc *doc);

/* Records an error or warning at the node's position. */
void yml_error(yml_doc *doc, const yml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void yml_warn(yml_doc *doc, const yml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int yml_is_map(const yml_node *n);
int yml_is_seq(const yml_node *n);
int yml_is_scalar(const yml_node *n);

/* The scalar's text, or NULL for non-scalars.  Borrowed from the doc. */
const char *yml_scalar(const yml_node *n);

/* Mapping access: number of pairs, i-th key text, key node, value node. */
size_t yml_map_len(const yml_node *map);
const char *yml_map_key(yml_doc *doc, const yml_node *map, size_t i);
yml_node *yml_map_key_node(yml_doc *doc, const yml_node *map, size_t i);
yml_node *yml_map_value(yml_doc *doc, const yml_node *map, size_t i);

/* The value under `key`, or NULL. */
yml_node *yml_get(yml_doc *doc, const yml_node *map, const char *key);

/* Sequence access. */
size_t yml_seq_len(const yml_node *seq);
yml_node *yml_seq_item(yml_doc *doc, const yml_node *seq, size_t i);

/*
 * Checks that `map` is a mapping whose keys are all in `allowed`
 * (NULL-terminated) and appear once; unknown keys get a "did you mean".
 * `what` names the mapping in messages ("deployment", "profile").
 * Duplicates are found by hashing, in time linear in the keys.  SIM_OK,
 * SIM_EPARSE, or SIM_ENOMEM (and yml_nomem then says so).
 */
int yml_check_map(yml_doc *doc, const yml_node *map, const char *what,
                  const char *const *allowed);

/* Typed getters.  Each records an error naming what was expected. */
int yml_get_str(yml_doc *doc, const yml_node *n, const char *what,
                const char **out /* OUT */);
int yml_get_fx(yml_doc *doc, const yml_node *n, const char *what,
               sim_fx min, sim_fx max, sim_fx *out /* OUT */);
int yml_get_int(yml_doc *doc, const yml_node *n, const char *what,
                int64_t min, int64_t max, int64_t *out /* OUT */);
int yml_get_bool(yml_doc *doc, const yml_node *n, const char *what,
                 int *out /* OUT */);
/* Durations take ms, s, m, h, d; the result is in microseconds. */
int yml_get_duration(yml_doc *doc, const yml_node *n, const char *what,
                     int64_t *usec /* OUT */);
/* One of `choices` (NULL-terminated); *out is its index. */
int yml_get_enum(yml_doc *doc, const yml_node *n, const char *what,
                 const char *const *choices, int *out /* OUT */);

/* Parses "730h", "10m", "1.5s", "250ms", "2d" into microseconds. */
int sim_parse_duration(const char *text, int64_t *usec /* OUT */);

#endif

/*
 * tools.h -- the tools an agent's model may call: a registry of named
 * functions with JSON-Schema parameters, and the built-ins
 *
 *   currentTime    {} -> {"iso": "2025-01-02T03:04:05.678Z", "unix_ms": N}
 *   readResource   {"uri": "...", "source": "name"?} -> the resource's text,
 *                  read through the resource loader (resource.h), so the
 *                  same data-source rules apply as to prompts.
 *
 * A tool's output is capped at AG_TOOL_MAX_OUTPUT bytes (Dexto truncates
 * at 120,000 characters too) and marked when cut.  A tool failure is not
 * an agent failure: the model receives {"error": "..."} and carries on.
 *
 * The registry is read-only once built, so calls may run on any thread.
 *
 * Ownership: the registry copies names, descriptions and schemas; `ud`
 * pointers are borrowed.
 */
#ifndef AG_TOOLS_H
#define AG_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "agent-harness/config.h"
#include "agent-harness/model.h"

#define AG_TOOL_MAX_OUTPUT ((size_t)120000)

/* Wall-clock milliseconds since the Unix epoch; injectable for tests. */
typedef int64_t (*ag_clock_fn)(void *ud);

/* The system clock (CLOCK_REALTIME), an ag_clock_fn. */
int64_t ag_clock_real(void *ud);

/*
 * A tool's body.  On success it returns SIM_OK and *out is its result
 * (text or JSON, malloc'd, the registry's to free).  On failure it
 * returns a status and *out, if not NULL, is a malloc'd message.
 */
typedef int (*ag_tool_fn)(void *ud, const char *args_json, char **out);

typedef struct ag_tool_def {
    const char *name;
    const char *description;
    const char *parameters;     /* JSON Schema text */
    ag_tool_fn fn;
    void *ud;
} ag_tool_def;

/*
 * How readResource reads: `uri` through data source `source` (NULL: the
 * loader picks).  Returns SIM_OK with *data (malloc'd, NUL-terminated)
 * and *len, or a status with a message in err.  serve.c plugs in
 * ag_res_load; tests plug in fakes.
 */
typedef int (*ag_resource_fn)(void *ud, const char *uri, const char *source,
                              char **data, size_t *len, char *err,
                              size_t errlen);

typedef struct ag_builtin_env {
    ag_clock_fn clock;          /* NULL: ag_clock_real */
    void *clock_ud;
    ag_resource_fn read;        /* NULL: readResource is unavailable */
    void *read_ud;
} ag_builtin_env;

typedef struct ag_tools ag_tools;   /* opaque */

int ag_tools_new(ag_tools **out /* OUT */);
void ag_tools_free(ag_tools *t);

/* Registers a tool.  SIM_OK, SIM_EINVAL (no name or fn, or a duplicate
 * name) or SIM_ENOMEM. */
int ag_tools_add(ag_tools *t, const ag_tool_def *def);

/*
 * Registers the built-ins named in names[0..n) (the config's `tools`).
 * `env` is copied.  SIM_OK, SIM_ENOTFOUND (an unknown name, or
 * readResource without env->read; the name is in err) or SIM_ENOMEM.
 */
int ag_tools_add_builtins(ag_tools *t, char *const *names, size_t n,
                          const ag_builtin_env *env, char *err,
                          size_t errlen);

/* The names of the built-ins, NULL-terminated. */
extern const char *const ag_tools_builtin_names[];

/* The registered tools as the model sees them; borrowed, valid until the
 * registry changes. */
const ag_tool_spec *ag_tools_specs(const ag_tools *t, size_t *n /* OUT */);

/*
 * Calls tool `name`.  Always produces *out (malloc'd): the tool's result,
 * capped, or a JSON {"error": "..."} when the tool is unknown, the
 * arguments are not a JSON object, or the tool failed; *is_error says
 * which.  Returns SIM_OK, or SIM_ENOMEM when not even that fits.
 */
int ag_tools_call(const ag_tools *t, const char *name, const char *args,
                  char **out /* OUT */, int *is_error /* OUT */);

#endif

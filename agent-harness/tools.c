/*
 * tools.c -- the tool registry and the built-in tools.
 */
#include "agent-harness/tools.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "agent-harness/bus.h"
#include "base/fixed.h"

typedef struct entry {
    char *name, *description, *parameters;
    ag_tool_fn fn;
    void *ud;
} entry;

struct ag_tools {
    entry *v;
    ag_tool_spec *specs;    /* parallel to v, pointing into it */
    size_t n, cap;
    ag_builtin_env env;     /* the built-ins' ud points here */
};

const char *const ag_tools_builtin_names[] = {"currentTime", "readResource",
                                              NULL};

int64_t ag_clock_real(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ag_tools_new(ag_tools **out)
{
    ag_tools *t = sim_calloc(1, sizeof *t);
    if (!t)
        return SIM_ENOMEM;
    *out = t;
    return SIM_OK;
}

void ag_tools_free(ag_tools *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        sim_free(t->v[i].name);
        sim_free(t->v[i].description);
        sim_free(t->v[i].parameters);
    }
    sim_free(t->v);
    sim_free(t->specs);
    sim_free(t);
}

static const entry *lookup(const ag_tools *t, const char *name)
{
    for (size_t i = 0; name && i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return &t->v[i];
    return NULL;
}

static int grow(ag_tools *t)
{
    if (t->n < t->cap)
        return SIM_OK;
    size_t cap = t->cap ? t->cap * 2 : 4;
    entry *v = sim_realloc(t->v, cap * sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    t->v = v;
    ag_tool_spec *s = sim_realloc(t->specs, cap * sizeof *s);
    if (!s)
        return SIM_ENOMEM;
    t->specs = s;
    t->cap = cap;
    return SIM_OK;
}

int ag_tools_add(ag_tools *t, const ag_tool_def *def)
{
    if (!def->name || !*def->name || !def->fn || lookup(t, def->name))
        return SIM_EINVAL;
    if (grow(t) != SIM_OK)
        return SIM_ENOMEM;
    entry e = {sim_strdup(def->name),
               sim_strdup(def->description ? def->description : ""),
               sim_strdup(def->parameters ? def->parameters
                                      : "{\"type\":\"object\"}"),
               def->fn, def->ud};
    if (!e.name || !e.description || !e.parameters) {
        sim_free(e.name);
        sim_free(e.description);
        sim_free(e.parameters);
        return SIM_ENOMEM;
    }
    t->v[t->n++] = e;
    for (size_t i = 0; i < t->n; i++)
        t->specs[i] = (ag_tool_spec){t->v[i].name, t->v[i].description,
                                     t->v[i].parameters};
    return SIM_OK;
}

const ag_tool_spec *ag_tools_specs(const ag_tools *t, size_t *n)
{
    *n = t->n;
    return t->specs;
}

static char *error_json(const char *msg)
{
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "error", msg, &bad);
    return ag__jprint(o, &bad);
}

/* Cuts a result at the cap, on a UTF-8 character boundary, and says so.
 * Takes ownership of s; NULL when out of memory. */
static char *cap_output(char *s)
{
    size_t n = strlen(s);
    if (n <= AG_TOOL_MAX_OUTPUT)
        return s;
    size_t cut = AG_TOOL_MAX_OUTPUT;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char note[96];
    int k = snprintf(note, sizeof note, "\n[truncated: %zu of %zu bytes]",
                     cut, n);
    char *r = sim_realloc(s, cut + (size_t)k + 1);
    if (!r) {
        sim_free(s);
        return NULL;
    }
    memcpy(r + cut, note, (size_t)k + 1);
    return r;
}

int ag_tools_call(const ag_tools *t, const char *name, const char *args,
                  char **out, int *is_error)
{
    *out = NULL;
    *is_error = 1;
    const entry *e = lookup(t, name);
    char msg[160];
    if (!e) {
        snprintf(msg, sizeof msg, "unknown tool \"%.64s\"", name ? name : "");
        *out = error_json(msg);
        return *out ? SIM_OK : SIM_ENOMEM;
    }
    cJSON *parsed = cJSON_Parse(args && *args ? args : "{}");
    int ok = cJSON_IsObject(parsed);
    cJSON_Delete(parsed);
    if (!ok) {
        *out = error_json("arguments must be a JSON object");
        return *out ? SIM_OK : SIM_ENOMEM;
    }
    char *res = NULL;
    int rc = e->fn(e->ud, args && *args ? args : "{}", &res);
    if (rc == SIM_OK && res) {
        *out = cap_output(res);
        *is_error = 0;
        return *out ? SIM_OK : SIM_ENOMEM;
    }
    snprintf(msg, sizeof msg, "%s", res ? res : sim_strerror(rc));
    sim_free(res);
    *out = error_json(msg);
    return *out ? SIM_OK : SIM_ENOMEM;
}

/* ---- built-ins ------------------------------------------------------ */

static int current_time(void *ud, const char *args, char **out)
{
    (void)args;
    const ag_builtin_env *env = ud;
    int64_t ms = env->clock ? env->clock(env->clock_ud) : ag_clock_real(NULL);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return SIM_ERANGE;
    char iso[40], stamp[24];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(iso, sizeof iso, "%s.%03dZ", stamp, (int)(ms % 1000));
    int bad = 0;
    cJSON *o = ag__jobj(&bad);
    ag__jstr(o, "iso", iso, &bad);
    ag__jint(o, "unix_ms", ms, &bad);
    *out = ag__jprint(o, &bad);
    return *out ? SIM_OK : SIM_ENOMEM;
}

static int read_resource(void *ud, const char *args, char **out)
{
    const ag_builtin_env *env = ud;
    cJSON *a = cJSON_Parse(args);
    const char *uri = cJSON_GetStringValue(cJSON_GetObjectItem(a, "uri"));
    const char *source =
        cJSON_GetStringValue(cJSON_GetObjectItem(a, "source"));
    int rc;
    if (!uri || !*uri) {
        *out = sim_strdup("readResource needs a \"uri\" string");
        rc = SIM_EINVAL;
    } else {
        char err[256] = "";
        size_t len = 0;
        rc = env->read(env->read_ud, uri, source, out, &len, err, sizeof err);
        if (rc != SIM_OK)
            *out = sim_strdup(err[0] ? err : sim_strerror(rc));
    }
    cJSON_Delete(a);
    return rc;
}

static const char time_params[] =
    "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}";
static const char read_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"uri\":{\"type\":\"string\",\"description\":"
    "\"Absolute URI: file://, http(s):// or s3://\"},"
    "\"source\":{\"type\":\"string\",\"description\":"
    "\"Name of the data source to read through (optional)\"}},"
    "\"required\":[\"uri\"]}";

int ag_tools_add_builtins(ag_tools *t, char *const *names, size_t n,
                          const ag_builtin_env *env, char *err,
                          size_t errlen)
{
    t->env = *env;
    for (size_t i = 0; i < n; i++) {
        ag_tool_def d = {names[i], NULL, NULL, NULL, &t->env};
        if (strcmp(names[i], "currentTime") == 0) {
            d.description = "The current date and time in UTC.";
            d.parameters = time_params;
            d.fn = current_time;
        } else if (strcmp(names[i], "readResource") == 0 && env->read) {
            d.description = "Read a resource (file, web page or S3 object) "
                            "through the agent's data sources.";
            d.parameters = read_params;
            d.fn = read_resource;
        } else {
            if (err && errlen)
                snprintf(err, errlen, "unknown tool \"%s\"", names[i]);
            return SIM_ENOTFOUND;
        }
        if (lookup(t, names[i]))
            continue;       /* listed twice: once is enough */
        int rc = ag_tools_add(t, &d);
        if (rc != SIM_OK)
            return rc;
    }
    return SIM_OK;
}

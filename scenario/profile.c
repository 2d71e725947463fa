/*
 * profile.c -- reading a measured profile.
 *
 * cJSON gives the structure but no positions, so positions come from the
 * text: a syntax error from the offset cJSON stopped at, a bad value from
 * where its key is written.  Key lookups walk the text with a small
 * scanner that skips strings and tracks nesting, so a key is found only
 * in the object it belongs to -- "sse" under egress_kb_per_message is
 * not the one under idle_kb_per_hour.  Profiles are small (a few hundred
 * bytes), and each lookup is linear in the text.
 */
#include "scenario/profile.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"

typedef struct reader {
    const char *path, *text;
    size_t len;
    sim_diag *d;
    int errors;
} reader;

static void at_offset(const reader *r, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else
            (*col)++;
    }
}

static void error_at(reader *r, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(reader *r, size_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int line, col;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    at_offset(r, off, &line, &col);
    sim_diag_add(r->d, SIM_DIAG_ERROR, r->path, r->text, line, col, "%s",
                 msg);
    r->errors++;
}

/* Skips a JSON string starting at text[i] == '"'; returns the index after
 * its closing quote. */
static size_t skip_string(const reader *r, size_t i)
{
    for (i++; i < r->len && r->text[i] != '"'; i++)
        if (r->text[i] == '\\')
            i++;
    return i < r->len ? i + 1 : r->len;
}

/*
 * The offset of `key` (its opening quote) among the members of the object
 * that opens at `from` (text[from] == '{'), or `from` when absent.  With
 * `value`, the offset of the member's value instead.
 */
static size_t find_key(const reader *r, size_t from, const char *key,
                       int value)
{
    size_t klen = strlen(key);
    int depth = 0;
    for (size_t i = from; i < r->len; i++) {
        char c = r->text[i];
        if (c == '"') {
            size_t end = skip_string(r, i);
            if (depth == 1 && end - i == klen + 2 &&
                memcmp(r->text + i + 1, key, klen) == 0) {
                size_t j = end;
                while (j < r->len && strchr(" \t\r\n", r->text[j]))
                    j++;
                if (j < r->len && r->text[j] == ':') {
                    if (!value)
                        return i;
                    for (j++; j < r->len && strchr(" \t\r\n", r->text[j]);
                         j++)
                        ;
                    return j;
                }
            }
            i = end - 1;
        } else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (--depth == 0)
                break;
        }
    }
    return from;
}

static size_t root_at(const reader *r)
{
    size_t i = 0;
    while (i < r->len && r->text[i] != '{')
        i++;
    return i;
}

/* A number >= 0 and at most `max`, or an error at its value. */
static int number(reader *r, const cJSON *v, size_t off, const char *what,
                  double max, double *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble < 0 || v->valuedouble > max) {
        char lim[32];
        snprintf(lim, sizeof lim, "%g", max);
        error_at(r, off, "expected %s as a number from 0 to %s", what, lim);
        return 0;
    }
    *out = v->valuedouble;
    return 1;
}

static const char *const transports[] = {"websocket", "sse"};

/*
 * A figure given once or per transport: {"sse": x, "websocket": y}.  The
 * scenario's transport must be there when it is a mapping.
 */
static int figure(reader *r, const cJSON *root, size_t root_off,
                  const char *key, enum scn_transport tr, double max,
                  double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    size_t off = find_key(r, root_off, key, 1);
    char what[96];
    if (!v)
        return 0;
    if (!cJSON_IsObject(v)) {
        snprintf(what, sizeof what, "'%s'", key);
        return number(r, v, off, what, max, out);
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, v) {
        if (strcmp(m->string, "sse") && strcmp(m->string, "websocket"))
            error_at(r, find_key(r, off, m->string, 0), "unknown transport "
                     "'%s' in '%s'; expected sse or websocket", m->string,
                     key);
    }
    if ((int)tr < 0) {
        /* Validation alone: every transport given must be right. */
        for (int k = 0; k < 2; k++) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(v,
                                                              transports[k]);
            snprintf(what, sizeof what, "'%s.%s'", key, transports[k]);
            if (t)
                number(r, t, find_key(r, off, transports[k], 1), what, max,
                       out);
        }
        return 0;
    }
    const char *name = transports[tr];
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, name);
    snprintf(what, sizeof what, "'%s.%s'", key, name);
    if (!t) {
        error_at(r, off, "'%s' has no figure for %s, the scenario's "
                 "transport; run 'capsim calibrate --transport both'",
                 key, name);
        return 0;
    }
    return number(r, t, find_key(r, off, name, 1), what, max, out);
}

static const char *const keys[] = {
    "capsim_profile", "active_vcpu", "active_memory_gb", "idle_memory_gb",
    "base_memory_gb", "cpu_ms_per_message", "cpu_ms_per_request",
    "requests_per_message", "cold_start_s", "reply_s",
    "egress_kb_per_message", "idle_kb_per_hour", "heartbeat_interval_s",
    "measured", NULL
};

static void check_keys(reader *r, const cJSON *root, size_t root_off)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, root) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], m->string))
            i++;
        if (keys[i])
            continue;
        const char *near = sim_suggest(m->string, keys);
        char hint[96] = "";
        if (near)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        error_at(r, find_key(r, root_off, m->string, 0),
                 "unknown profile key '%s'%s", m->string, hint);
    }
}

static sim_fx fx(double v)
{
    return sim_fx_from_double(v);
}

static void read_figures(reader *r, const cJSON *root, size_t at,
                         enum scn_transport tr, scn_profile *p)
{
    static const struct {
        const char *key;
        size_t off;
        double max;
    } plain[] = {
        {"active_vcpu", offsetof(scn_profile, active_vcpu), 1024},
        {"active_memory_gb", offsetof(scn_profile, active_memory_gb), 4096},
        {"idle_memory_gb", offsetof(scn_profile, idle_memory_gb), 4096},
        {"base_memory_gb", offsetof(scn_profile, base_memory_gb), 4096},
        {"requests_per_message", offsetof(scn_profile, requests_per_message),
         1e6},
        {"cpu_ms_per_request", offsetof(scn_profile, cpu_ms_per_request),
         3.6e6},
    };
    double v;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root,
                                                             plain[i].key);
        char what[64];
        snprintf(what, sizeof what, "'%s'", plain[i].key);
        if (item && number(r, item, find_key(r, at, plain[i].key, 1), what,
                           plain[i].max, &v))
            *(sim_fx *)((char *)p + plain[i].off) = fx(v);
    }
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(root,
                                                       "cpu_ms_per_message");
    if (cm && number(r, cm, find_key(r, at, "cpu_ms_per_message", 1),
                     "'cpu_ms_per_message'", 3.6e6, &v)) {
        /* CPU is billed per request where it is billed at all. */
        double per = sim_fx_to_double(p->requests_per_message);
        p->cpu_ms_per_request = fx(per > 0 ? v / per : v);
    }
    if (figure(r, root, at, "egress_kb_per_message", tr, 1e9, &v))
        p->egress_kb_per_message = fx(v);
    if (figure(r, root, at, "idle_kb_per_hour", tr, 1e9, &v))
        p->idle_kb_per_hour = fx(v);
    if (figure(r, root, at, "heartbeat_interval_s", tr, 86400, &v))
        p->heartbeat_us = (int64_t)llround(v * 1e6);
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(root, "cold_start_s");
    if (cs && number(r, cs, find_key(r, at, "cold_start_s", 1),
                     "'cold_start_s'", 3600, &v))
        p->runtime_start_us = (int64_t)llround(v * 1e6);
    static const char *const objects[] = {"reply_s", "measured"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, objects[i]);
        if (o && !cJSON_IsObject(o))
            error_at(r, find_key(r, at, objects[i], 1), "expected '%s' as "
                     "an object", objects[i]);
    }
}

int scn_profile_read(const char *path, enum scn_transport tr, int quiet_io,
                     sim_diag *d, scn_profile *p)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    if (!text) {
        if (errno == ENOMEM)
            return SIM_ENOMEM;
        if (!quiet_io)
            sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "cannot read "
                         "profile: %s", strerror(errno));
        return SIM_EIO;
    }
    reader r = {path, text, len, d, 0};
    /* A NUL would end the text early for cJSON; name where it is. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        error_at(&r, (size_t)(nul - text), "unexpected NUL byte; expected "
                 "a JSON profile written by 'capsim calibrate'");
        sim_free(text);
        return SIM_EPARSE;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end ? (size_t)(end - text) : 0;
        /* cJSON stops just past a bad token at the end of a line: point
         * at the token itself. */
        while (off > 0 && off <= len && (off == len ||
                                         strchr(" \t\r\n", text[off])))
            off--;
        error_at(&r, off, "expected a JSON profile written by 'capsim "
                 "calibrate'; the JSON is malformed here");
        sim_free(text);
        return SIM_EPARSE;
    }
    size_t at = root_at(&r);
    if (!cJSON_IsObject(root)) {
        error_at(&r, 0, "expected a JSON object with \"capsim_profile\": 1");
    } else {
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root,
                                                            "capsim_profile");
        if (!ver)
            error_at(&r, at, "missing \"capsim_profile\": 1 (a profile "
                     "written by 'capsim calibrate')");
        else if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
            error_at(&r, find_key(&r, at, "capsim_profile", 1),
                     "expected \"capsim_profile\": 1, the only version "
                     "there is");
        check_keys(&r, root, at);
        read_figures(&r, root, at, tr, p);
    }
    cJSON_Delete(root);
    sim_free(text);
    return r.errors ? SIM_EPARSE : SIM_OK;
}

int scn_profile_sniff(const char *path)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    int is = text && strstr(text, "\"capsim_profile\"") != NULL;
    sim_free(text);
    return is;
}

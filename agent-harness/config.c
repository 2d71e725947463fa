/*
 * config.c -- reading and checking an agent config (agent YAML).
 *
 * The file is read in one pass over the YAML tree, in an order that lets
 * later sections refer to earlier ones: tools before llm (toolCall names
 * a tool), dataSources before systemPrompt (contributors name sources).
 * Like the scenario loader, it keeps going after an error so one run of
 * `capsim validate` shows every problem, each at its line and column.
 *
 * String values go through one expander: ${NAME} is the environment
 * variable, ${{dexto.agent_dir}} is file:// plus the agent directory, and
 * $${ is a literal ${.  An unset variable is an error naming it, except in
 * the secret fields (the two apiKeys and the s3 credentials): there it
 * means "not configured", so one config serves machines that have the
 * secret and machines that get it another way (the credential chain, a
 * server without auth).
 */
/* realpath is an X/Open extension beyond the build's POSIX 2008. */
#define _XOPEN_SOURCE 700

#include "agent-harness/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/alloc.h"
#include "base/strset.h"
#include "agent-harness/resource.h"
#include "base/fixed.h"
#include "base/yml.h"

typedef struct loader {
    yml_doc *doc;
    ag_config *c;
    int nomem;                      /* sticky: an allocation failed */
} loader;

enum { TEXT_PLAIN = 0, TEXT_SECRET = 1 };

static const char *const tool_names[] = {"readResource", "currentTime", NULL};

static char *xdup(loader *L, const char *s)
{
    char *d = s ? sim_strdup(s) : NULL;
    if (s && !d)
        L->nomem = 1;
    return d;
}

static void *xcalloc(loader *L, size_t n, size_t size)
{
    void *p = sim_calloc(n ? n : 1, size);
    if (!p)
        L->nomem = 1;
    return p;
}

/* ---- strings with ${...} ---- */

typedef struct str {
    char *s;
    size_t n, cap;
} str;

static int str_addn(str *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = sim_realloc(b->s, cap);
        if (!ns)
            return SIM_ENOMEM;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return SIM_OK;
}

/*
 * Records an error at the `off`-th byte of scalar n's value when the
 * source spells the value on one line as it is (plain or simply quoted),
 * so the caret lands on the ${...} at fault; otherwise at the node.
 */
static void error_in_scalar(loader *L, const yml_node *n, size_t off,
                            const char *msg)
{
    const char *text = yml_text(L->doc), *v = yml_scalar(n);
    size_t start = n->start_mark.index, end = n->end_mark.index;
    int line = (int)n->start_mark.line + 1;
    int col = (int)n->start_mark.column + 1;
    size_t q = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1;
    if (n->start_mark.line == n->end_mark.line && end >= start + q &&
        end - start - q >= strlen(v) &&
        strncmp(text + start + q, v, strlen(v)) == 0)
        col += (int)(q + off);
    sim_diag_add(yml_diag(L->doc), SIM_DIAG_ERROR, yml_file(L->doc), text,
                 line, col, "%s", msg);
}

static int valid_env_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* Expands one ${...} at p (value v); appends to b, advances *used. */
static int expand_one(loader *L, const yml_node *n, const char *what,
                      const char *v, const char *p, str *b, size_t *used,
                      int *unset, int secret)
{
    char msg[600];
    int tmpl = p[2] == '{';
    const char *body = p + (tmpl ? 3 : 2);
    const char *end = strstr(body, tmpl ? "}}" : "}");
    if (!end) {
        snprintf(msg, sizeof msg, "unterminated '%s' in %s; write ${NAME} "
                 "for an environment variable or $${ for a literal ${",
                 tmpl ? "${{" : "${", what);
        error_in_scalar(L, n, (size_t)(p - v), msg);
        return SIM_EPARSE;
    }
    *used = (size_t)(end - p) + (tmpl ? 2 : 1);
    size_t len = (size_t)(end - body);
    if (tmpl) {
        while (len && body[len - 1] == ' ')
            len--;
        while (len && *body == ' ')
            body++, len--;
        if (len != 15 || strncmp(body, "dexto.agent_dir", 15) != 0) {
            snprintf(msg, sizeof msg, "unknown template variable "
                     "'${{%.*s}}' in %s; the only one is "
                     "${{dexto.agent_dir}}", (int)len, body, what);
            error_in_scalar(L, n, (size_t)(p - v), msg);
            return SIM_EPARSE;
        }
        /* The directory goes into a URI that is percent-decoded later,
         * so the characters that would change its meaning are escaped. */
        if (str_addn(b, "file://", 7) != SIM_OK)
            return SIM_ENOMEM;
        for (const char *d = L->c->agent_dir; *d; d++) {
            const char *e = *d == '%' ? "%25" : *d == '?' ? "%3F"
                          : *d == '#' ? "%23" : NULL;
            if (str_addn(b, e ? e : d, e ? 3 : 1) != SIM_OK)
                return SIM_ENOMEM;
        }
        return SIM_OK;
    }
    if (!valid_env_name(body, len)) {
        snprintf(msg, sizeof msg, "invalid environment variable name '%.*s' "
                 "in %s", (int)len, body, what);
        error_in_scalar(L, n, (size_t)(p - v), msg);
        return SIM_EPARSE;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)len, body);
    const char *val = getenv(name);
    if (val)
        return str_addn(b, val, strlen(val));
    if (secret) {
        *unset = 1;
        return SIM_OK;
    }
    snprintf(msg, sizeof msg, "%s uses environment variable '%s', which is "
             "not set", what, name);
    error_in_scalar(L, n, (size_t)(p - v), msg);
    return SIM_EPARSE;
}

/*
 * Expands scalar n into a new string in *out.  For a secret, an unset
 * variable or an empty result gives *out = NULL and no error.
 */
static int expand(loader *L, const yml_node *n, const char *what, int secret,
                  char **out)
{
    const char *v = yml_scalar(n), *p = v;
    str b = {0};
    int rc = SIM_OK, unset = 0;
    *out = NULL;
    while (*p && rc == SIM_OK) {
        size_t used = 1;
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            rc = str_addn(&b, "${", 2);
            used = 3;
        } else if (p[0] == '$' && p[1] == '{') {
            rc = expand_one(L, n, what, v, p, &b, &used, &unset, secret);
        } else {
            rc = str_addn(&b, p, 1);
        }
        p += used;
    }
    if (rc == SIM_OK && !b.s)
        rc = str_addn(&b, "", 0);
    if (rc == SIM_ENOMEM)
        L->nomem = 1;
    if (rc != SIM_OK || (secret && (unset || b.n == 0))) {
        sim_free(b.s);
        return rc;
    }
    *out = b.s;
    return SIM_OK;
}

/*
 * Reads the optional string `key` of map m, expanded, into *out (which
 * keeps its default when the key is absent).  Returns the node or NULL.
 */
static yml_node *get_text(loader *L, const yml_node *m, const char *key,
                          const char *what, int secret, char **out)
{
    yml_node *n = yml_get(L->doc, m, key);
    const char *raw;
    char *v;
    if (!n)
        return NULL;
    if (yml_get_str(L->doc, n, what, &raw) != SIM_OK)
        return n;
    if (expand(L, n, what, secret, &v) == SIM_OK) {
        sim_free(*out);
        *out = v;
    }
    return n;
}

/* ---- numbers and durations ---- */

static void get_int(loader *L, const yml_node *m, const char *key,
                    const char *what, int64_t min, int64_t max, int64_t *out)
{
    yml_node *n = yml_get(L->doc, m, key);
    if (n)
        yml_get_int(L->doc, n, what, min, max, out);
}

static void get_real(loader *L, const yml_node *n, const char *what,
                     int64_t min, int64_t max, double *out)
{
    sim_fx v;
    if (n && yml_get_fx(L->doc, n, what, sim_fx_from_int(min),
                        sim_fx_from_int(max), &v) == SIM_OK)
        *out = sim_fx_to_double(v);
}

/*
 * A time in milliseconds: a plain number is milliseconds, as in Dexto's
 * configs (sessionTTL: 3600000); otherwise a duration with a unit.
 */
static void get_ms(loader *L, const yml_node *m, const char *key,
                   const char *what, int64_t min_ms, int64_t max_ms,
                   int64_t *out)
{
    yml_node *n = yml_get(L->doc, m, key);
    const char *s = yml_scalar(n);
    char *end;
    int64_t ms = -1, us;
    if (!n)
        return;
    if (s && *s) {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*end && !errno)
            ms = v;
        else if (sim_parse_duration(s, &us) == SIM_OK)
            ms = us / 1000;
    }
    if (ms < 0) {
        yml_error(L->doc, n, "expected %s as milliseconds or a duration with "
                  "a unit (ms, s, m, h or d, e.g. 30s), found %s%s%s", what,
                  s ? "'" : "", s ? s : "a non-scalar", s ? "'" : "");
        return;
    }
    if (ms < min_ms || ms > max_ms) {
        yml_error(L->doc, n, "%s must be between %lld ms and %lld ms, found "
                  "%s", what, (long long)min_ms, (long long)max_ms, s);
        return;
    }
    *out = ms;
}

/* ---- paths ---- */

/*
 * An absolute, normalised filesystem path from a config value: a file://
 * URI (as ${{dexto.agent_dir}} gives), an absolute path, or a path
 * relative to the agent directory.  NULL after recording an error.
 */
static char *local_path(loader *L, const yml_node *n, const char *v,
                        const char *what)
{
    char err[300];
    int rc = SIM_OK;
    char *p;
    if (strncmp(v, "file:", 5) == 0) {
        if (ag_res_check_uri(v, what, err, sizeof err) != SIM_OK) {
            yml_error(L->doc, n, "%s", err);
            return NULL;
        }
        p = ag_res__file_path(v, &rc);
        if (!p && rc == SIM_EINVAL)
            yml_error(L->doc, n, "%s: a file:// URI takes no query, "
                      "fragment or %%00", what);
    } else if (v[0] == '/') {
        p = sim_strdup(v);
        rc = p ? SIM_OK : SIM_ENOMEM;
    } else {
        size_t n1 = strlen(L->c->agent_dir), n2 = strlen(v);
        p = sim_alloc(n1 + n2 + 2);
        if (p) {
            memcpy(p, L->c->agent_dir, n1);
            p[n1] = '/';
            memcpy(p + n1 + 1, v, n2 + 1);
        }
        rc = p ? SIM_OK : SIM_ENOMEM;
    }
    if (rc == SIM_ENOMEM)
        L->nomem = 1;
    if (p)
        ag_res__normalize(p);
    return p;
}

/* Whether s is an http:// or https:// URL with a host, by libcurl's
 * parser (the one that will fetch it). */
static int is_http_url(const char *s)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = u && !curl_url_set(u, CURLUPART_URL, s, 0) &&
             !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
             !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
             (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
             host[0];
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static void get_url(loader *L, const yml_node *m, const char *key,
                    const char *what, char **out)
{
    yml_node *n = get_text(L, m, key, what, TEXT_PLAIN, out);
    if (n && *out && !is_http_url(*out)) {
        yml_error(L->doc, n, "%s must be an http:// or https:// URL, found "
                  "'%s'", what, *out);
        sim_free(*out);
        *out = NULL;
    }
}

/* ---- dataSources ---- */

static const char *const fs_keys[] = {"type", "description", "roots",
                                      "maxBytes", NULL};
static const char *const http_keys[] = {"type", "description", "baseUrl",
                                        "headers", "timeout", "maxBytes",
                                        NULL};
static const char *const s3_keys[] = {"type", "description", "bucket",
                                      "region", "endpoint", "credentials",
                                      "timeout", "maxBytes", NULL};
static const char *const cred_keys[] = {"accessKeyId", "secretAccessKey",
                                        "sessionToken", "profile", NULL};

static void parse_roots(loader *L, const yml_node *m, ag_source *s)
{
    yml_node *n = yml_get(L->doc, m, "roots");
    size_t k = yml_seq_len(n);
    if (!n) {
        s->roots = xcalloc(L, 1, sizeof *s->roots);
        if (s->roots && (s->roots[0] = xdup(L, L->c->agent_dir)))
            s->nroots = 1;
        return;
    }
    if (!yml_is_seq(n) || k == 0) {
        yml_error(L->doc, n, "expected roots as a non-empty list of "
                  "directories (paths, file:// URIs or "
                  "${{dexto.agent_dir}})");
        return;
    }
    s->roots = xcalloc(L, k, sizeof *s->roots);
    for (size_t i = 0; i < k && s->roots; i++) {
        yml_node *it = yml_seq_item(L->doc, n, i);
        const char *raw;
        char *v;
        if (yml_get_str(L->doc, it, "a root", &raw) != SIM_OK ||
            expand(L, it, "root", TEXT_PLAIN, &v) != SIM_OK)
            continue;
        char *p = local_path(L, it, v, "root");
        sim_free(v);
        if (p)
            s->roots[s->nroots++] = p;
    }
}

static void parse_headers(loader *L, const yml_node *m, ag_source *s,
                          const char *what)
{
    yml_node *n = yml_get(L->doc, m, "headers");
    size_t k = yml_map_len(n);
    char label[300];
    if (!n)
        return;
    if (!yml_is_map(n)) {
        yml_error(L->doc, n, "expected headers of %s as a mapping of header "
                  "names to values", what);
        return;
    }
    s->headers = xcalloc(L, k, sizeof *s->headers);
    for (size_t i = 0; i < k && s->headers; i++) {
        yml_node *kn = yml_map_key_node(L->doc, n, i);
        yml_node *vn = yml_map_value(L->doc, n, i);
        const char *name = yml_map_key(L->doc, n, i), *raw;
        char *v;
        /* A name or value that could end the header line would let a
         * config smuggle in headers of its own. */
        if (!*name || strpbrk(name, ": \t\r\n")) {
            yml_error(L->doc, kn, "invalid header name '%s'", name);
            continue;
        }
        snprintf(label, sizeof label, "header '%s'", name);
        if (yml_get_str(L->doc, vn, label, &raw) != SIM_OK ||
            expand(L, vn, label, TEXT_PLAIN, &v) != SIM_OK)
            continue;
        if (strpbrk(v, "\r\n")) {
            yml_error(L->doc, vn, "%s must not contain a line break", label);
            sim_free(v);
            continue;
        }
        s->headers[s->nheaders].name = xdup(L, name);
        s->headers[s->nheaders++].value = v;
    }
}

static void parse_credentials(loader *L, const yml_node *m, ag_source *s)
{
    yml_node *n = yml_get(L->doc, m, "credentials");
    if (!n || yml_check_map(L->doc, n, "credentials", cred_keys) != SIM_OK)
        return;
    get_text(L, n, "accessKeyId", "accessKeyId", TEXT_SECRET,
             &s->access_key_id);
    get_text(L, n, "secretAccessKey", "secretAccessKey", TEXT_SECRET,
             &s->secret_access_key);
    get_text(L, n, "sessionToken", "sessionToken", TEXT_SECRET,
             &s->session_token);
    get_text(L, n, "profile", "profile", TEXT_SECRET, &s->profile);
    if (!s->access_key_id != !s->secret_access_key)
        yml_error(L->doc, n, "credentials need both accessKeyId and "
                  "secretAccessKey (%s is %s)",
                  s->access_key_id ? "secretAccessKey" : "accessKeyId",
                  yml_get(L->doc, n, s->access_key_id ? "secretAccessKey"
                                                      : "accessKeyId")
                      ? "empty or names an unset variable" : "missing");
    else if (s->access_key_id && s->profile)
        yml_error(L->doc, n, "credentials take either accessKeyId and "
                  "secretAccessKey or a profile, not both");
    else if (s->session_token && !s->access_key_id)
        yml_error(L->doc, n, "sessionToken goes with accessKeyId and "
                  "secretAccessKey");
}

static void parse_s3(loader *L, const yml_node *m, ag_source *s,
                     const char *what)
{
    static const char *const need[] = {"bucket", "region"};
    static const char *const hint[] = {"the S3 bucket name",
                                       "the AWS region, e.g. us-east-1"};
    for (int i = 0; i < 2; i++)
        if (!yml_get(L->doc, m, need[i]))
            yml_error(L->doc, m, "%s needs '%s' (%s)", what, need[i],
                      hint[i]);
    yml_node *b = get_text(L, m, "bucket", "bucket", TEXT_PLAIN, &s->bucket);
    if (b && s->bucket && strchr(s->bucket, '/'))
        yml_error(L->doc, b, "bucket must be a bucket name, not a path; "
                  "found '%s'", s->bucket);
    get_text(L, m, "region", "region", TEXT_PLAIN, &s->region);
    get_url(L, m, "endpoint", "endpoint", &s->endpoint);
    parse_credentials(L, m, s);
}

static void free_source(ag_source *s);

static void parse_source(loader *L, const char *name, const yml_node *m,
                         ag_source *s)
{
    static const char *const types[] = {"fs", "http", "s3", NULL};
    static const char *const *const keys[] = {fs_keys, http_keys, s3_keys};
    char what[300];
    int type = 0;
    snprintf(what, sizeof what, "dataSource '%s'", name);
    s->name = xdup(L, name);
    s->timeout_ms = 30000;
    s->max_bytes = 10 * 1024 * 1024;
    if (!yml_is_map(m)) {
        yml_check_map(L->doc, m, what, fs_keys);
        return;
    }
    yml_node *tn = yml_get(L->doc, m, "type");
    if (!tn) {
        yml_error(L->doc, m, "%s needs 'type' (fs, http or s3)", what);
        return;
    }
    if (yml_get_enum(L->doc, tn, "dataSource type", types, &type) != SIM_OK)
        return;
    s->type = (enum ag_source_type)type;
    snprintf(what, sizeof what, "dataSource '%s' (type %s)", name,
             types[type]);
    yml_check_map(L->doc, m, what, keys[type]);
    get_text(L, m, "description", "description", TEXT_PLAIN,
             &s->description);
    get_int(L, m, "maxBytes", "maxBytes", 1, 1LL << 30, &s->max_bytes);
    get_ms(L, m, "timeout", "timeout", 1, 3600000, &s->timeout_ms);
    if (s->type == AG_SOURCE_FS) {
        parse_roots(L, m, s);
    } else if (s->type == AG_SOURCE_HTTP) {
        if (!yml_get(L->doc, m, "baseUrl"))
            yml_error(L->doc, m, "%s needs 'baseUrl' (e.g. "
                      "https://cdn.example.com)", what);
        get_url(L, m, "baseUrl", "baseUrl", &s->base_url);
        parse_headers(L, m, s, what);
    } else {
        parse_s3(L, m, s, what);
    }
}

/*
 * The agent directory is always a data source, "fs", unless the config
 * names one so: a local agent reads its own prompt files without having to
 * declare anything (seeds/001 defaults a contributor's dataSource to fs).
 */
static void add_implicit_fs(loader *L, ag_config *c)
{
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].name, "fs") == 0)
            return;
    ag_source *s = &c->sources[c->nsources];
    memset(s, 0, sizeof *s);
    s->name = xdup(L, "fs");
    s->type = AG_SOURCE_FS;
    s->timeout_ms = 30000;
    s->max_bytes = 10 * 1024 * 1024;
    s->roots = xcalloc(L, 1, sizeof *s->roots);
    if (s->roots && (s->roots[0] = xdup(L, c->agent_dir)))
        s->nroots = 1;
    if (s->name)
        c->nsources++;
    else {
        free_source(s);
        memset(s, 0, sizeof *s);
    }
}

static void parse_sources(loader *L, const yml_node *m)
{
    ag_config *c = L->c;
    size_t k = yml_map_len(m);
    if (m && !yml_is_map(m)) {
        yml_error(L->doc, m, "expected dataSources as a mapping of names to "
                  "data sources");
        k = 0;
    }
    c->sources = xcalloc(L, k + 1, sizeof *c->sources);
    if (!c->sources)
        return;
    sim_strset *names = sim_strset_new(k);
    if (!names) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < k; i++) {
        yml_node *kn = yml_map_key_node(L->doc, m, i);
        const char *name = yml_map_key(L->doc, m, i);
        int added = sim_strset_add(names, name, NULL);
        if (added < 0) {
            L->nomem = 1;
            break;
        }
        int dup = added == 0;
        if (!yml_is_scalar(kn) || !*name || dup) {
            yml_error(L->doc, kn, dup ? "duplicate dataSource '%s'"
                      : "expected a dataSource name%s", dup ? name : "");
            continue;
        }
        parse_source(L, name, yml_map_value(L->doc, m, i),
                     &c->sources[c->nsources]);
        /* Without its name (out of memory) the source is dropped whole. */
        if (c->sources[c->nsources].name)
            c->nsources++;
        else {
            free_source(&c->sources[c->nsources]);
            memset(&c->sources[c->nsources], 0, sizeof *c->sources);
        }
    }
    sim_strset_free(names);
    add_implicit_fs(L, c);
}

/* ---- systemPrompt ---- */

static const char *const part_keys[] = {"name", "type", "priority",
                                        "content", "file", "uri", "files",
                                        "dataSource", NULL};

/*
 * Checks a file contributor's URI and resolves its data source.  `path`
 * (or NULL) prefixes the errors about the URI: a `files` entry's seeds/001
 * path, since one flow list can put several entries on a line.  An
 * unknown dataSource is the dataSource's fault and is reported there, once
 * per contributor (*named_bad remembers it), not once per file.
 */
static void link_part(loader *L, ag_prompt_part *p, const yml_node *un,
                      const yml_node *dn, const char *path, int *named_bad)
{
    char err[700];
    const ag_source *s;
    const char *sep = path ? ": " : "";
    int rc;
    path = path ? path : "";
    if (ag_res_check_uri(p->uri, "System prompt file", err, sizeof err)) {
        yml_error(L->doc, un, "%s%s%s", path, sep, err);
        return;
    }
    rc = ag_res_pick(L->c, p->uri, p->source, &s, err, sizeof err);
    if (rc == SIM_ENOMEM) {
        L->nomem = 1;
    } else if (rc != SIM_OK) {
        int at_name = dn && strncmp(err, "Unknown dataSource", 18) == 0;
        if (at_name && !*named_bad)
            yml_error(L->doc, dn, "%s", err);
        else if (!at_name)
            yml_error(L->doc, un, "%s%s%s", path, sep, err);
        *named_bad |= at_name;
    } else if (!p->source) {
        p->source = xdup(L, s->name);
    }
}

/* Where seeds/001 reports a `files` entry's errors:
 * systemPrompt.contributors[i].files[j] (the list itself when j < 0). */
static void files_path(char *buf, size_t size, size_t i, long j)
{
    if (j < 0)
        snprintf(buf, size, "systemPrompt.contributors[%zu].files", i);
    else
        snprintf(buf, size, "systemPrompt.contributors[%zu].files[%ld]", i,
                 j);
}

/*
 * seeds/001's `files:` list: one part per entry, in list order, from p
 * on (the caller made room for every entry).  p already has the name and
 * priority; the others get copies, so each part stands alone.  Each entry
 * is expanded and checked as `file:` is.  Returns the parts used.
 */
static size_t parse_files(loader *L, const yml_node *m, size_t ci,
                          const yml_node *sn, ag_prompt_part *p)
{
    char path[96], *given = NULL;
    size_t k = yml_is_seq(sn) ? yml_seq_len(sn) : 0;
    int named_bad = 0;
    if (k == 0) {
        files_path(path, sizeof path, ci, -1);
        yml_error(L->doc, sn, "%s: expected files as a list of at least one "
                  "absolute URI (e.g. [${{dexto.agent_dir}}/prompts/base.md"
                  "]), found %s", path, yml_is_seq(sn) ? "an empty list"
                  : yml_is_map(sn) ? "a mapping" : "a single value");
        return 1;
    }
    yml_node *dn = get_text(L, m, "dataSource", "dataSource", TEXT_PLAIN,
                            &given);
    for (size_t j = 0; j < k; j++) {
        ag_prompt_part *q = &p[j];
        yml_node *en = yml_seq_item(L->doc, sn, j);
        files_path(path, sizeof path, ci, (long)j);
        if (j > 0) {
            q->name = xdup(L, p->name);
            q->priority = p->priority;
        }
        q->source = xdup(L, given);
        if (!yml_is_scalar(en)) {
            yml_error(L->doc, en, "%s: expected an absolute URI as a string, "
                      "found %s", path, yml_is_map(en) ? "a mapping"
                      : "a list");
            continue;
        }
        if (expand(L, en, path, TEXT_PLAIN, &q->uri) != SIM_OK || !q->uri ||
            (dn && !given))
            continue;
        link_part(L, q, en, dn, path, &named_bad);
    }
    sim_free(given);
    return k;
}

/* Reads a file contributor into p (and, for `files:`, the parts after
 * it); returns the parts used. */
static size_t parse_file_part(loader *L, const yml_node *m, size_t ci,
                              ag_prompt_part *p)
{
    yml_node *fn = yml_get(L->doc, m, "file"), *un = yml_get(L->doc, m, "uri");
    yml_node *sn = yml_get(L->doc, m, "files");
    yml_node *dn;
    int named_bad = 0, keys = !!fn + !!un + !!sn;
    if (yml_get(L->doc, m, "content"))
        yml_error(L->doc, yml_get(L->doc, m, "content"), "a file "
                  "contributor takes 'file', 'uri' or 'files', not "
                  "'content'");
    /* seeds/001 has only `files`; `file` is the single form most configs
     * use.  Taking both would leave their order a guess, so it is an
     * error like `file` with `uri`. */
    if (keys != 1) {
        yml_error(L->doc, keys == 0 ? m : sn ? sn : un, "a file contributor "
                  "needs exactly one of 'file', 'uri' and 'files' (an "
                  "absolute URI, e.g. ${{dexto.agent_dir}}/prompts/base.md, "
                  "or a list of them)");
        return 1;
    }
    if (sn)
        return parse_files(L, m, ci, sn, p);
    un = fn ? fn : un;
    if (!get_text(L, m, fn ? "file" : "uri", fn ? "file" : "uri", TEXT_PLAIN,
                  &p->uri) || !p->uri)
        return 1;
    dn = get_text(L, m, "dataSource", "dataSource", TEXT_PLAIN, &p->source);
    if (dn && !p->source)
        return 1;
    link_part(L, p, un, dn, NULL, &named_bad);
    return 1;
}

/* Reads contributor ci into p (and the parts after it for a `files:`
 * list); returns the parts used, at least 1. */
static size_t parse_part(loader *L, const yml_node *m, size_t ci,
                         ag_prompt_part *p)
{
    static const char *const types[] = {"static", "file", NULL};
    int64_t prio = 0;
    int type = 0;
    if (yml_check_map(L->doc, m, "contributor", part_keys) != SIM_OK &&
        !yml_is_map(m))
        return 1;
    if (!get_text(L, m, "name", "name", TEXT_PLAIN, &p->name))
        yml_error(L->doc, m, "contributor needs 'name'");
    get_int(L, m, "priority", "priority", -1000000, 1000000, &prio);
    p->priority = (int)prio;
    yml_node *tn = yml_get(L->doc, m, "type");
    if (!tn) {
        yml_error(L->doc, m, "contributor needs 'type' (static or file)");
        return 1;
    }
    if (yml_get_enum(L->doc, tn, "contributor type", types, &type) != SIM_OK)
        return 1;
    if (type == 1)
        return parse_file_part(L, m, ci, p);
    static const char *const not_static[] = {"file", "uri", "files",
                                             "dataSource"};
    for (int i = 0; i < 4; i++) {
        yml_node *x = yml_get(L->doc, m, not_static[i]);
        if (x)
            yml_error(L->doc, x, "a static contributor takes 'content', not "
                      "'%s'", not_static[i]);
    }
    if (!get_text(L, m, "content", "content", TEXT_PLAIN, &p->text))
        yml_error(L->doc, m, "a static contributor needs 'content'");
    return 1;
}

/* Stable: parts of equal priority keep their order in the file. */
static void sort_parts(ag_prompt_part *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1].priority > v[j].priority; j--) {
            ag_prompt_part t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void parse_prompt(loader *L, const yml_node *n)
{
    static const char *const keys[] = {"contributors", NULL};
    ag_config *c = L->c;
    if (!n)
        return;
    if (yml_is_scalar(n)) {
        c->prompt = xcalloc(L, 1, sizeof *c->prompt);
        if (!c->prompt)
            return;
        c->prompt[0].name = xdup(L, "system");
        if (expand(L, n, "systemPrompt", TEXT_PLAIN, &c->prompt[0].text) ==
            SIM_OK)
            c->nprompt = 1;
        return;
    }
    if (yml_check_map(L->doc, n, "systemPrompt", keys) != SIM_OK)
        return;
    yml_node *seq = yml_get(L->doc, n, "contributors");
    size_t k = yml_seq_len(seq);
    if (!seq || !yml_is_seq(seq)) {
        yml_error(L->doc, seq ? seq : n, "expected contributors as a list "
                  "of {name, type: static|file, priority, "
                  "content | file | files}");
        return;
    }
    /* A `files:` list becomes one part per entry. */
    size_t nparts = 0;
    for (size_t i = 0; i < k; i++) {
        yml_node *m = yml_seq_item(L->doc, seq, i);
        yml_node *sn = yml_is_map(m) ? yml_get(L->doc, m, "files") : NULL;
        size_t nf = yml_is_seq(sn) ? yml_seq_len(sn) : 0;
        nparts += nf ? nf : 1;
    }
    c->prompt = xcalloc(L, nparts, sizeof *c->prompt);
    for (size_t i = 0; i < k && c->prompt; i++) {
        yml_node *m = yml_seq_item(L->doc, seq, i);
        size_t first = c->nprompt;
        c->nprompt += parse_part(L, m, i, &c->prompt[first]);
        /* Earlier contributors may have several parts of one name, so
         * stop at the first match to report a duplicate once. */
        for (size_t j = 0; j < first && c->prompt[first].name; j++)
            if (c->prompt[j].name &&
                strcmp(c->prompt[j].name, c->prompt[first].name) == 0) {
                yml_error(L->doc, yml_get(L->doc, m, "name"), "duplicate "
                          "contributor name '%s'", c->prompt[first].name);
                break;
            }
    }
    sort_parts(c->prompt, c->nprompt);
}

/* ---- llm ---- */

static const char *const llm_keys[] = {"provider", "model", "baseURL",
                                       "apiKey", "maxIterations",
                                       "maxOutputTokens", "tokens",
                                       "tokens_per_second", "tokensPerSecond",
                                       "toolCall", "price", NULL};
static const char *const price_keys[] = {"inputPerMTok", "outputPerMTok",
                                         NULL};

static void parse_scripted(loader *L, const yml_node *m, ag_llm *l)
{
    yml_node *a = yml_get(L->doc, m, "tokens_per_second");
    yml_node *b = yml_get(L->doc, m, "tokensPerSecond");
    get_int(L, m, "tokens", "tokens", 1, 10000000, &l->tokens);
    if (a && b)
        yml_error(L->doc, b, "give the pace once: tokens_per_second and "
                  "tokensPerSecond are the same setting");
    get_real(L, a ? a : b, "tokens_per_second", 0, 1000000000,
             &l->tokens_per_second);
    if ((a || b) && l->tokens_per_second == 0)
        yml_error(L->doc, a ? a : b, "tokens_per_second must be above 0");
    yml_node *tc = get_text(L, m, "toolCall", "toolCall", TEXT_PLAIN,
                            &l->tool_call);
    int idx;
    if (!tc || !l->tool_call)
        return;
    if (yml_get_enum(L->doc, tc, "tool", tool_names, &idx) != SIM_OK)
        return;
    for (size_t i = 0; i < L->c->ntools; i++)
        if (strcmp(L->c->tools[i], l->tool_call) == 0)
            return;
    yml_error(L->doc, tc, "toolCall '%s' is not enabled; add it to 'tools'",
              l->tool_call);
}

/* Keys that only one provider uses are warned about, not rejected, so a
 * config can switch provider without deleting the other's settings. */
static void warn_unused(loader *L, const yml_node *m, int provider)
{
    static const char *const scripted_only[] = {"tokens", "tokens_per_second",
                                                "tokensPerSecond", "toolCall",
                                                NULL};
    static const char *const openai_only[] = {"baseURL", "apiKey", NULL};
    const char *const *v = provider == AG_LLM_OPENAI ? scripted_only
                                                     : openai_only;
    for (size_t i = 0; v[i]; i++) {
        yml_node *k = NULL;
        for (size_t j = 0; j < yml_map_len(m); j++)
            if (strcmp(yml_map_key(L->doc, m, j), v[i]) == 0)
                k = yml_map_key_node(L->doc, m, j);
        if (k)
            yml_warn(L->doc, k, "'%s' applies only to provider %s; ignored",
                     v[i], provider == AG_LLM_OPENAI ? "scripted" : "openai");
    }
}

static void parse_llm(loader *L, const yml_node *m)
{
    static const char *const providers[] = {"openai", "scripted", NULL};
    ag_llm *l = &L->c->llm;
    int prov = -1;
    if (yml_check_map(L->doc, m, "llm", llm_keys) != SIM_OK && !yml_is_map(m))
        return;
    yml_node *pn = yml_get(L->doc, m, "provider");
    if (!pn)
        yml_error(L->doc, m, "llm needs 'provider' (openai or scripted)");
    else if (yml_get_enum(L->doc, pn, "llm provider", providers, &prov) !=
             SIM_OK)
        prov = -1;
    else
        l->provider = (enum ag_llm_provider)prov;
    get_text(L, m, "model", "model", TEXT_PLAIN, &l->model);
    if (prov == AG_LLM_OPENAI && !yml_get(L->doc, m, "model"))
        yml_error(L->doc, m, "llm needs 'model' for provider openai (e.g. "
                  "gpt-4o-mini)");
    get_url(L, m, "baseURL", "baseURL", &l->base_url);
    get_text(L, m, "apiKey", "apiKey", TEXT_SECRET, &l->api_key);
    get_int(L, m, "maxIterations", "maxIterations", 1, 1000,
            &l->max_iterations);
    get_int(L, m, "maxOutputTokens", "maxOutputTokens", 1, 10000000,
            &l->max_output_tokens);
    parse_scripted(L, m, l);
    yml_node *price = yml_get(L->doc, m, "price");
    if (price && yml_check_map(L->doc, price, "price", price_keys) ==
        SIM_OK) {
        get_real(L, yml_get(L->doc, price, "inputPerMTok"), "inputPerMTok",
                 0, 1000000, &l->input_usd_per_mtok);
        get_real(L, yml_get(L->doc, price, "outputPerMTok"), "outputPerMTok",
                 0, 1000000, &l->output_usd_per_mtok);
    }
    if (prov >= 0)
        warn_unused(L, m, prov);
}

/* ---- storage, sessions, tools, server ---- */

static void parse_storage(loader *L, const yml_node *m)
{
    static const char *const keys[] = {"database", "path", NULL};
    static const char *const kinds[] = {"sqlite", "memory", NULL};
    ag_config *c = L->c;
    char *raw = NULL;
    int kind = 0;
    if (!m || yml_check_map(L->doc, m, "storage", keys) != SIM_OK)
        return;
    yml_node *dn = yml_get(L->doc, m, "database");
    if (dn && yml_get_enum(L->doc, dn, "storage database", kinds, &kind) ==
        SIM_OK)
        c->storage = (enum ag_storage_kind)kind;
    yml_node *pn = get_text(L, m, "path", "storage path", TEXT_PLAIN, &raw);
    if (pn && c->storage == AG_STORE_MEMORY) {
        yml_error(L->doc, pn, "'path' applies only to database sqlite");
    } else if (pn && raw) {
        char *p = local_path(L, pn, raw, "storage path");
        if (p) {
            sim_free(c->db_path);
            c->db_path = p;
        }
    }
    sim_free(raw);
    if (c->storage == AG_STORE_MEMORY) {
        sim_free(c->db_path);
        c->db_path = NULL;
    }
}

static void parse_sessions(loader *L, const yml_node *m)
{
    static const char *const keys[] = {"maxSessions", "sessionTTL", NULL};
    if (!m || yml_check_map(L->doc, m, "sessions", keys) != SIM_OK)
        return;
    get_int(L, m, "maxSessions", "maxSessions", 1, 1000000,
            &L->c->max_sessions);
    get_ms(L, m, "sessionTTL", "sessionTTL", 1000, 366LL * 86400000,
           &L->c->session_ttl_ms);
}

static void parse_tools(loader *L, const yml_node *n)
{
    size_t k = yml_seq_len(n);
    if (!n)
        return;
    if (!yml_is_seq(n)) {
        yml_error(L->doc, n, "expected tools as a list of tool names "
                  "(readResource, currentTime)");
        return;
    }
    L->c->tools = xcalloc(L, k, sizeof *L->c->tools);
    for (size_t i = 0; i < k && L->c->tools; i++) {
        yml_node *it = yml_seq_item(L->doc, n, i);
        int idx, dup = 0;
        if (yml_get_enum(L->doc, it, "tool", tool_names, &idx) != SIM_OK)
            continue;
        for (size_t j = 0; j < L->c->ntools; j++)
            dup |= strcmp(L->c->tools[j], tool_names[idx]) == 0;
        if (dup) {
            yml_error(L->doc, it, "tool '%s' is listed twice",
                      tool_names[idx]);
            continue;
        }
        L->c->tools[L->c->ntools] = xdup(L, tool_names[idx]);
        if (L->c->tools[L->c->ntools])
            L->c->ntools++;
    }
}

static void parse_server(loader *L, const yml_node *m)
{
    static const char *const keys[] = {"apiKey", "pingInterval", "keepAlive",
                                       "streamBuffer", "tenantConcurrency",
                                       "tenantTokenBudget", "requestTimeout",
                                       NULL};
    ag_config *c = L->c;
    if (!m || yml_check_map(L->doc, m, "server", keys) != SIM_OK)
        return;
    get_text(L, m, "apiKey", "server apiKey", TEXT_SECRET, &c->api_key);
    get_ms(L, m, "pingInterval", "pingInterval", 0, 86400000,
           &c->ping_interval_ms);
    get_ms(L, m, "keepAlive", "keepAlive", 0, 86400000, &c->keepalive_ms);
    get_int(L, m, "streamBuffer", "streamBuffer", 1, 1000000,
            &c->stream_buffer);
    get_int(L, m, "tenantConcurrency", "tenantConcurrency", 0, 1000000,
            &c->tenant_concurrency);
    get_int(L, m, "tenantTokenBudget", "tenantTokenBudget", 0, INT64_MAX,
            &c->tenant_token_budget);
    get_ms(L, m, "requestTimeout", "requestTimeout", 100, 86400000,
           &c->request_timeout_ms);
}

/* ---- the whole file ---- */

static const char *const top_keys[] = {"llm", "systemPrompt", "dataSources",
                                       "storage", "sessions", "tools",
                                       "server", NULL};

/* A top-level section, or NULL when absent or left empty (`tools:`). */
static yml_node *section(loader *L, const yml_node *root, const char *key)
{
    yml_node *n = yml_get(L->doc, root, key);
    if (yml_is_scalar(n) && n->data.scalar.length == 0 &&
        n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return NULL;
    return n;
}

static void parse_root(loader *L, const yml_node *root)
{
    if (yml_check_map(L->doc, root, "agent config", top_keys) != SIM_OK &&
        !yml_is_map(root))
        return;
    yml_node *llm = section(L, root, "llm");
    parse_tools(L, section(L, root, "tools"));
    if (!llm)
        yml_error(L->doc, root, "agent config needs 'llm' (provider: openai "
                  "or scripted, and its settings)");
    else
        parse_llm(L, llm);
    parse_sources(L, section(L, root, "dataSources"));
    parse_prompt(L, section(L, root, "systemPrompt"));
    parse_storage(L, section(L, root, "storage"));
    parse_sessions(L, section(L, root, "sessions"));
    parse_server(L, section(L, root, "server"));
}

static int set_defaults(ag_config *c, const char *path, const char *dir)
{
    c->llm.provider = AG_LLM_SCRIPTED;
    c->llm.max_iterations = 10;
    c->llm.tokens = 40;
    c->llm.tokens_per_second = 400;
    c->storage = AG_STORE_SQLITE;
    c->max_sessions = 100;
    c->session_ttl_ms = 3600000;
    c->ping_interval_ms = 30000;
    c->keepalive_ms = 15000;
    c->stream_buffer = 1024;
    c->request_timeout_ms = 30000;
    c->file = sim_strdup(path);
    c->agent_dir = sim_strdup(dir);
    c->db_path = sim_alloc(strlen(dir) + sizeof "/agent.db");
    if (!c->file || !c->agent_dir || !c->db_path)
        return SIM_ENOMEM;
    strcpy(c->db_path, dir);
    strcat(c->db_path, strcmp(dir, "/") ? "/agent.db" : "agent.db");
    return SIM_OK;
}

/* Fills what the file left out and the provider implies. */
static int finish(ag_config *c)
{
    if (!c->llm.model)
        c->llm.model = sim_strdup(c->llm.provider == AG_LLM_OPENAI ? ""
                                                               : "scripted");
    if (c->llm.provider == AG_LLM_OPENAI && !c->llm.base_url)
        c->llm.base_url = sim_strdup("https://api.openai.com/v1");
    if (!c->llm.model ||
        (c->llm.provider == AG_LLM_OPENAI && !c->llm.base_url))
        return SIM_ENOMEM;
    return SIM_OK;
}

/* The absolute, resolved directory holding `path`, into dir. */
static int dir_of(const char *path, char dir[PATH_MAX])
{
    char *copy = sim_strdup(path), *slash;
    int ok;
    if (!copy)
        return SIM_ENOMEM;
    slash = strrchr(copy, '/');
    if (!slash)
        strcpy(copy, ".");
    else if (slash == copy)
        slash[1] = '\0';
    else
        *slash = '\0';
    ok = realpath(copy, dir) != NULL;
    sim_free(copy);
    return ok ? SIM_OK : SIM_EIO;
}

int ag_config_load(const char *path, sim_diag *d, ag_config **out)
{
    char dir[PATH_MAX];
    size_t before = d->errors;
    yml_doc *doc = NULL;
    int rc = yml_load(path, d, &doc);
    *out = NULL;
    if (rc != SIM_OK)
        return rc;
    rc = dir_of(path, dir);
    if (rc == SIM_EIO)
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "cannot resolve "
                     "the directory of the file: %s", strerror(errno));
    ag_config *c = rc == SIM_OK ? sim_calloc(1, sizeof *c) : NULL;
    if (rc == SIM_OK && (!c || set_defaults(c, path, dir) != SIM_OK))
        rc = SIM_ENOMEM;
    if (rc == SIM_OK) {
        loader L = {doc, c, 0};
        parse_root(&L, yml_root(doc));
        if (L.nomem || yml_nomem(doc) || finish(c) != SIM_OK)
            rc = SIM_ENOMEM;
    }
    yml_free(doc);
    if (rc == SIM_ENOMEM)
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "out of memory");
    if (rc == SIM_OK && d->errors > before)
        rc = SIM_EPARSE;
    if (rc != SIM_OK) {
        ag_config_free(c);
        return rc;
    }
    *out = c;
    return SIM_OK;
}

static void free_source(ag_source *s)
{
    sim_free(s->name);
    sim_free(s->description);
    for (size_t i = 0; i < s->nroots; i++)
        sim_free(s->roots[i]);
    sim_free(s->roots);
    sim_free(s->base_url);
    for (size_t i = 0; i < s->nheaders; i++) {
        sim_free(s->headers[i].name);
        sim_free(s->headers[i].value);
    }
    sim_free(s->headers);
    sim_free(s->bucket);
    sim_free(s->region);
    sim_free(s->endpoint);
    sim_free(s->access_key_id);
    sim_free(s->secret_access_key);
    sim_free(s->session_token);
    sim_free(s->profile);
}

void ag_config_free(ag_config *c)
{
    if (!c)
        return;
    sim_free(c->file);
    sim_free(c->agent_dir);
    sim_free(c->llm.model);
    sim_free(c->llm.base_url);
    sim_free(c->llm.api_key);
    sim_free(c->llm.tool_call);
    for (size_t i = 0; i < c->nprompt; i++) {
        sim_free(c->prompt[i].name);
        sim_free(c->prompt[i].text);
        sim_free(c->prompt[i].uri);
        sim_free(c->prompt[i].source);
    }
    sim_free(c->prompt);
    for (size_t i = 0; i < c->nsources; i++)
        free_source(&c->sources[i]);
    sim_free(c->sources);
    sim_free(c->db_path);
    for (size_t i = 0; i < c->ntools; i++)
        sim_free(c->tools[i]);
    sim_free(c->tools);
    sim_free(c->api_key);
    sim_free(c);
}

int ag_config_sniff(const char *path)
{
    sim_diag d;
    yml_doc *doc = NULL;
    int yes = 0;
    sim_diag_init(&d);
    if (yml_load(path, &d, &doc) == SIM_OK) {
        yml_node *root = yml_root(doc);
        yes = yml_is_map(root) && yml_get(doc, root, "llm") != NULL;
        yml_free(doc);
    }
    sim_diag_fini(&d);
    return yes;
}

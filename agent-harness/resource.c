/*
 * resource.c -- loading resources from fs, http and s3 data sources.
 *
 * Everything here runs on behalf of input the agent does not control: a
 * URI in a config, or one a model asked for through the readResource tool.
 * So each loader checks where the URI leads before it reads anything, and
 * every read is capped.
 */
/* realpath is an X/Open extension beyond the build's POSIX 2008. */
#define _XOPEN_SOURCE 700

#include "agent-harness/resource.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/alloc.h"
#include "base/fixed.h"

const char *const ag_res_schemes[] = {"file", "s3", "http", "https", NULL};

/* ---- buffers and strings ---- */

void ag_buf_init(ag_buf *b)
{
    b->data = NULL;
    b->len = 0;
}

void ag_buf_fini(ag_buf *b)
{
    sim_free(b->data);
    ag_buf_init(b);
}

/*
 * Appends to b, keeping a NUL after the data.  Fails with SIM_ERANGE when
 * the result would pass `cap` bytes, before allocating anything, so an
 * oversized body never costs more memory than the cap.
 */
static int buf_add(ag_buf *b, size_t *bcap, size_t cap, const void *p,
                   size_t n)
{
    if (n > cap || b->len > cap - n)
        return SIM_ERANGE;
    if (!b->data || b->len + n + 1 > *bcap) {
        size_t want = *bcap ? *bcap : 4096;
        while (want < b->len + n + 1)
            want *= 2;
        if (want > cap + 1)
            want = cap + 1;
        char *nd = sim_realloc(b->data, want);
        if (!nd)
            return SIM_ENOMEM;
        b->data = nd;
        *bcap = want;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SIM_OK;
}

/* A growing string for canonical requests and URLs; `oom` is sticky so
 * callers check once at the end. */
typedef struct sb {
    char *s;
    size_t n, cap;
    int oom;
} sb;

static void sb_addn(sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = sim_realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_add(sb *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

/* Appends s percent-encoded as SigV4 and S3 want: unreserved characters
 * as they are, '/' kept when keep_slash, everything else %XX. */
static void sb_add_enc(sb *b, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
            ch == '~' || (keep_slash && ch == '/')) {
            sb_addn(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            sb_addn(b, e, 3);
        }
    }
}

static char *dupn(const char *s, size_t n)
{
    char *d = sim_alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* seeds/001's ResourceError.loadFailed wording. */
static int load_failed(char *err, size_t errlen, int rc, const char *uri,
                       const char *source, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int load_failed(char *err, size_t errlen, int rc, const char *uri,
                       const char *source, const char *fmt, ...)
{
    char cause[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cause, sizeof cause, fmt, ap);
    va_end(ap);
    say(err, errlen, "Failed to load resource from \"%s\" using dataSource "
        "\"%s\": %s", uri, source, cause);
    return rc;
}

/* ---- URIs ---- */

/* Length of the RFC 3986 scheme `uri` starts with (before a ':'), or 0. */
static size_t scheme_len(const char *uri)
{
    size_t i = 0;
    if (!isalpha((unsigned char)uri[0]))
        return 0;
    while (isalnum((unsigned char)uri[i]) || uri[i] == '+' ||
           uri[i] == '-' || uri[i] == '.')
        i++;
    return uri[i] == ':' ? i : 0;
}

/* The scheme lowercased into buf (truncated to fit), or "" for none. */
static const char *scheme_of(const char *uri, char *buf, size_t size)
{
    size_t n = scheme_len(uri), i;
    for (i = 0; i < n && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)uri[i]);
    buf[i] = '\0';
    return buf;
}

static int known_scheme(const char *scheme)
{
    for (size_t i = 0; ag_res_schemes[i]; i++)
        if (strcmp(scheme, ag_res_schemes[i]) == 0)
            return 1;
    return 0;
}

/* After "scheme://": the authority's length (up to '/', '?' or '#'). */
static size_t authority_len(const char *a)
{
    return strcspn(a, "/?#");
}

int ag_res_check_uri(const char *uri, const char *field, char *err,
                     size_t errlen)
{
    char scheme[32];
    size_t sl = scheme_len(uri);
    scheme_of(uri, scheme, sizeof scheme);
    if (sl == 0) {
        say(err, errlen, "%s must be an absolute URI (file://, s3://, "
            "http://, https://). Use ${{dexto.agent_dir}} template for "
            "local files.", field);
        return SIM_EINVAL;
    }
    if (!known_scheme(scheme)) {
        say(err, errlen, "Invalid %s scheme \"%s\". Must be one of: file, "
            "s3, http, https", field, scheme);
        return SIM_EINVAL;
    }
    if (strncmp(uri + sl, "://", 3) != 0) {
        say(err, errlen, "%s must be an absolute URI (file://, s3://, "
            "http://, https://). Use ${{dexto.agent_dir}} template for "
            "local files.", field);
        return SIM_EINVAL;
    }
    const char *a = uri + sl + 3;
    size_t al = authority_len(a);
    if (strcmp(scheme, "file") == 0) {
        /* file://host/x names another machine's file; only the local
         * forms file:///x and file://localhost/x are absolute paths. */
        if ((al != 0 && !(al == 9 && strncasecmp(a, "localhost", 9) == 0))
            || a[al] != '/') {
            say(err, errlen, "Invalid file:// URI. Must use absolute path: "
                "file:///absolute/path");
            return SIM_EINVAL;
        }
    } else if (strcmp(scheme, "s3") == 0) {
        if (al == 0 || a[al] != '/' || a[al + 1] == '\0') {
            say(err, errlen, "Invalid s3:// URI. Must name a bucket and "
                "key: s3://bucket/key");
            return SIM_EINVAL;
        }
    } else if (al == 0) {
        say(err, errlen, "Invalid %s:// URI. Must name a host: "
            "%s://host/path", scheme, scheme);
        return SIM_EINVAL;
    }
    return SIM_OK;
}

/*
 * The local path a file:// URI names, percent-decoded, or NULL with
 * *rc set (SIM_EINVAL for a query, fragment or encoded NUL).
 */
char *ag_res__file_path(const char *uri, int *rc)
{
    const char *a = uri + scheme_len(uri) + 3;
    const char *p = a + authority_len(a);
    size_t n = strlen(p);
    char *out;
    if (strpbrk(p, "?#")) {
        *rc = SIM_EINVAL;
        return NULL;
    }
    out = sim_alloc(n + 1);
    if (!out) {
        *rc = SIM_ENOMEM;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned hi, lo;
        if (p[i] == '%' && isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            hi = (unsigned)(isdigit((unsigned char)p[i + 1]) ? p[i + 1] - '0'
                            : (tolower((unsigned char)p[i + 1]) - 'a' + 10));
            lo = (unsigned)(isdigit((unsigned char)p[i + 2]) ? p[i + 2] - '0'
                            : (tolower((unsigned char)p[i + 2]) - 'a' + 10));
            out[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    out[k] = '\0';
    if (strlen(out) != k) {
        sim_free(out);
        *rc = SIM_EINVAL;
        return NULL;
    }
    return out;
}

/*
 * Normalises an absolute path lexically in place: no ".", "..", empty
 * components or trailing slash ("/" stays "/").  ".." at the top stays at
 * the top, as the kernel does.
 */
void ag_res__normalize(char *p)
{
    char *w = p;
    const char *r = p;
    while (*r) {
        while (*r == '/')
            r++;
        const char *seg = r;
        while (*r && *r != '/')
            r++;
        size_t len = (size_t)(r - seg);
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (w > p && *--w != '/')
                ;
            continue;
        }
        *w++ = '/';
        memmove(w, seg, len);
        w += len;
    }
    if (w == p)
        *w++ = '/';
    *w = '\0';
}

/* Whether `path` is `root` or lies below it; both normalised. */
static int path_under(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return path[0] == '/';
    return strncmp(path, root, n) == 0 && (path[n] == '/' || !path[n]);
}

/* Whether an http source's baseUrl is a prefix of uri at a boundary. */
static int under_base(const char *base, const char *uri)
{
    size_t n = strlen(base);
    if (n && base[n - 1] == '/')
        n--;
    return strncmp(uri, base, n) == 0 &&
           (uri[n] == '\0' || uri[n] == '/' || uri[n] == '?' ||
            uri[n] == '#');
}

/* The bucket of an s3:// URI as a new string, and where its key starts. */
static char *s3_bucket(const char *uri, const char **key)
{
    const char *a = uri + scheme_len(uri) + 3;
    size_t al = authority_len(a);
    if (key)
        *key = a[al] == '/' ? a + al + 1 : a + al;
    return dupn(a, al);
}

static enum ag_source_type type_for(const char *scheme)
{
    if (strcmp(scheme, "file") == 0)
        return AG_SOURCE_FS;
    if (strcmp(scheme, "s3") == 0)
        return AG_SOURCE_S3;
    return AG_SOURCE_HTTP;
}

static const char *type_name(enum ag_source_type t)
{
    return t == AG_SOURCE_FS ? "fs" : t == AG_SOURCE_HTTP ? "http" : "s3";
}

static const char *expected_schemes(enum ag_source_type t)
{
    return t == AG_SOURCE_FS ? "file" : t == AG_SOURCE_HTTP ? "http, https"
                                                            : "s3";
}

/* A URL as libcurl will request it, dot segments removed; NULL when it
 * does not parse (or on allocation failure).  Free with curl_free. */
static char *http_canonical(const char *url)
{
    CURLU *u = curl_url();
    char *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
        out = NULL;
    curl_url_cleanup(u);
    return out;
}

/* Compared as libcurl resolves them, so ".." cannot climb out of a
 * baseUrl's path. */
static int http_covers(const char *base, const char *uri)
{
    char *cb = base ? http_canonical(base) : NULL;
    char *cu = http_canonical(uri);
    int ok = cb && cu && under_base(cb, cu);
    curl_free(cb);
    curl_free(cu);
    return ok;
}

/*
 * Whether source s covers uri (of a scheme that fits its type), compared
 * lexically.  Returns 1, 0, or -1 when out of memory.
 */
static int covers(const ag_source *s, const char *uri)
{
    if (s->type == AG_SOURCE_HTTP)
        return http_covers(s->base_url, uri);
    if (s->type == AG_SOURCE_S3) {
        char *b = s3_bucket(uri, NULL);
        int ok;
        if (!b)
            return -1;
        ok = s->bucket && strcmp(b, s->bucket) == 0;
        sim_free(b);
        return ok;
    }
    int rc = SIM_OK, ok = 0;
    char *p = ag_res__file_path(uri, &rc);
    if (!p)
        return rc == SIM_ENOMEM ? -1 : 0;
    ag_res__normalize(p);
    for (size_t i = 0; i < s->nroots && !ok; i++)
        ok = path_under(s->roots[i], p);
    sim_free(p);
    return ok;
}

static void list_sources(const ag_config *c, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nsources && k + 1 < size; i++) {
        int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "",
                         c->sources[i].name);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/* The message for a source that fits the scheme but not the URI. */
static void say_not_covered(const ag_source *s, const char *uri, char *err,
                            size_t errlen)
{
    if (s->type == AG_SOURCE_HTTP) {
        say(err, errlen, "\"%s\" is not under baseUrl \"%s\" of dataSource "
            "\"%s\"", uri, s->base_url ? s->base_url : "", s->name);
    } else if (s->type == AG_SOURCE_S3) {
        say(err, errlen, "\"%s\" is not in bucket \"%s\" of dataSource "
            "\"%s\"", uri, s->bucket ? s->bucket : "", s->name);
    } else {
        char roots[300] = "";
        size_t k = 0;
        for (size_t i = 0; i < s->nroots && k + 1 < sizeof roots; i++) {
            int w = snprintf(roots + k, sizeof roots - k, "%s%s",
                             i ? ", " : "", s->roots[i]);
            if (w < 0)
                break;
            k += (size_t)w;
        }
        say(err, errlen, "\"%s\" is outside the roots of dataSource \"%s\" "
            "(%s)", uri, s->name, roots);
    }
}

static int pick_named(const ag_config *c, const char *uri, const char *name,
                      enum ag_source_type want, const char *scheme,
                      const ag_source **out, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->nsources; i++) {
        const ag_source *s = &c->sources[i];
        if (strcmp(s->name, name) != 0)
            continue;
        if (s->type != want) {
            say(err, errlen, "URI scheme \"%s://\" doesn't match dataSource "
                "type \"%s\". Expected: %s", scheme, type_name(s->type),
                expected_schemes(s->type));
            return SIM_EINVAL;
        }
        int ok = covers(s, uri);
        if (ok < 0)
            return SIM_ENOMEM;
        if (!ok) {
            say_not_covered(s, uri, err, errlen);
            return SIM_EINVAL;
        }
        *out = s;
        return SIM_OK;
    }
    char avail[400];
    list_sources(c, avail, sizeof avail);
    say(err, errlen, "Unknown dataSource \"%s\". Available: %s", name, avail);
    return SIM_ENOTFOUND;
}

/* The first source of type `want` (named `name`, if given) covering uri. */
static int first_covering(const ag_config *c, const char *uri,
                          enum ag_source_type want, const char *name,
                          const ag_source **out)
{
    for (size_t i = 0; i < c->nsources; i++) {
        const ag_source *s = &c->sources[i];
        if (s->type != want || (name && strcmp(s->name, name) != 0))
            continue;
        int ok = covers(s, uri);
        if (ok < 0)
            return SIM_ENOMEM;
        if (ok) {
            *out = s;
            return SIM_OK;
        }
    }
    return SIM_ENOTFOUND;
}

int ag_res_pick(const ag_config *c, const char *uri, const char *source_name,
                const ag_source **out, char *err, size_t errlen)
{
    char scheme[32];
    scheme_of(uri, scheme, sizeof scheme);
    enum ag_source_type want = type_for(scheme);
    *out = NULL;
    if (source_name)
        return pick_named(c, uri, source_name, want, scheme, out, err,
                          errlen);
    /* seeds/001 defaults a resource's dataSource to "fs", so for files
     * that source wins when it covers the path; then the others in order. */
    int rc = first_covering(c, uri, want, want == AG_SOURCE_FS ? "fs" : NULL,
                            out);
    if (rc == SIM_ENOTFOUND && want == AG_SOURCE_FS)
        rc = first_covering(c, uri, want, NULL, out);
    if (rc != SIM_ENOTFOUND)
        return rc;
    say(err, errlen, "No dataSource covers \"%s\": it needs one of type %s "
        "%s", uri, type_name(want),
        want == AG_SOURCE_FS ? "with a root that contains the file"
        : want == AG_SOURCE_HTTP ? "whose baseUrl the URI lies under"
                                 : "for the URI's bucket");
    return SIM_ENOTFOUND;
}

/* ---- fs ---- */

/* Whether `real` (a resolved path) is `path` resolved, when that exists. */
static int same_file(const char *real, const char *path, const char *suffix)
{
    char buf[PATH_MAX + 16], res[PATH_MAX];
    if (!path)
        return 0;
    snprintf(buf, sizeof buf, "%s%s", path, suffix);
    return realpath(buf, res) && strcmp(res, real) == 0;
}

/*
 * Serving the config would hand out whatever secrets it holds, and the
 * database holds every tenant's history; a root that contains the agent
 * directory (the default) would otherwise expose both to readResource.
 */
static int own_file(const ag_config *c, const char *real)
{
    static const char *const db_suffixes[] = {"", "-wal", "-shm", "-journal",
                                              NULL};
    if (same_file(real, c->file, ""))
        return 1;
    for (size_t i = 0; db_suffixes[i]; i++)
        if (same_file(real, c->db_path, db_suffixes[i]))
            return 1;
    return 0;
}

static int inside_roots(const ag_source *s, const char *real)
{
    char root[PATH_MAX];
    for (size_t i = 0; i < s->nroots; i++)
        if (realpath(s->roots[i], root) && path_under(root, real))
            return 1;
    return 0;
}

/* Reads the open regular file fd (at most `cap` bytes) into out. */
static int read_capped(int fd, size_t cap, ag_buf *out)
{
    char chunk[16384];
    size_t bcap = 0;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return SIM_EIO;
        if (got == 0)
            break;
        int rc = buf_add(out, &bcap, cap, chunk, (size_t)got);
        if (rc != SIM_OK)
            return rc;
    }
    if (!out->data)
        return buf_add(out, &bcap, cap, "", 0);
    return SIM_OK;
}

static int load_fs(const ag_config *c, const ag_source *s, const char *uri,
                   size_t cap, ag_buf *out, char *err, size_t errlen)
{
    char real[PATH_MAX];
    int rc = SIM_OK, fd;
    struct stat st;
    char *path = ag_res__file_path(uri, &rc);
    if (!path)
        return rc == SIM_ENOMEM ? rc : load_failed(err, errlen, rc, uri,
            s->name, "a file:// URI takes no query, fragment or %%00");
    if (!realpath(path, real)) {
        int e = errno;
        sim_free(path);
        return load_failed(err, errlen, e == ENOENT ? SIM_ENOTFOUND : SIM_EIO,
                           uri, s->name, "%s", strerror(e));
    }
    sim_free(path);
    if (!inside_roots(s, real))
        return load_failed(err, errlen, SIM_EINVAL, uri, s->name,
                           "the path leads outside the dataSource's roots");
    if (own_file(c, real))
        return load_failed(err, errlen, SIM_EINVAL, uri, s->name,
                           "the agent's own config and database are not "
                           "served");
    /* O_NOFOLLOW: the last component was resolved above; refuse a symlink
     * swapped in since. */
    fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return load_failed(err, errlen, SIM_EIO, uri, s->name, "%s",
                           strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return load_failed(err, errlen, SIM_EINVAL, uri, s->name,
                           "not a regular file");
    }
    rc = (uintmax_t)st.st_size > cap ? SIM_ERANGE : read_capped(fd, cap, out);
    close(fd);
    if (rc == SIM_ERANGE)
        return load_failed(err, errlen, rc, uri, s->name, "larger than "
                           "maxBytes (%zu bytes)", cap);
    if (rc == SIM_EIO)
        return load_failed(err, errlen, rc, uri, s->name, "read failed");
    return rc;
}

/* ---- http and s3 transfers ---- */

typedef struct sink {
    ag_buf *b;
    size_t bcap, cap;
    int rc;                         /* why the write callback stopped */
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    int rc = buf_add(s->b, &s->bcap, s->cap, p, size * n);
    if (rc != SIM_OK) {
        s->rc = rc;
        return 0;                   /* makes curl abort the transfer */
    }
    return size * n;
}

typedef struct fetch {
    const char *url;
    struct curl_slist *headers;
    int64_t timeout_ms;
    size_t cap;
    long status;                    /* OUT */
    char cause[CURL_ERROR_SIZE + 64]; /* OUT, on failure */
} fetch;

static int curl_setup(CURL *h, fetch *f, sink *sk)
{
    CURLcode e = CURLE_OK;
    e |= curl_easy_setopt(h, CURLOPT_URL, f->url);
    e |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->headers);
    e |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    e |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    e |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)f->timeout_ms);
    /* No redirects: a Location elsewhere would carry the source's headers
     * or signature to a server the config never named. */
    e |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    e |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    e |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->cap);
    e |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    e |= curl_easy_setopt(h, CURLOPT_WRITEDATA, sk);
    e |= curl_easy_setopt(h, CURLOPT_USERAGENT, "capsim-agent");
    return e == CURLE_OK ? SIM_OK : SIM_EIO;
}

/*
 * GETs f->url into out (capped at f->cap).  Returns 0 with f->status set
 * for any HTTP answer, or a status with f->cause for transfer failures.
 */
static int do_fetch(fetch *f, ag_buf *out)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    sink sk = {out, 0, f->cap, SIM_OK};
    CURL *h = curl_easy_init();
    if (!h)
        return SIM_ENOMEM;
    int rc = curl_setup(h, f, &sk);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    if (rc != SIM_OK) {
        snprintf(f->cause, sizeof f->cause, "libcurl rejected an option");
        curl_easy_cleanup(h);
        return rc;
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
    curl_easy_cleanup(h);
    if (cc == CURLE_OK)
        return SIM_OK;
    if (sk.rc == SIM_ENOMEM)
        return SIM_ENOMEM;
    if (sk.rc == SIM_ERANGE || cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(f->cause, sizeof f->cause, "larger than maxBytes (%zu "
                 "bytes)", f->cap);
        return SIM_ERANGE;
    }
    if (cc == CURLE_OPERATION_TIMEDOUT)
        snprintf(f->cause, sizeof f->cause, "timed out after %lld ms",
                 (long long)f->timeout_ms);
    else
        snprintf(f->cause, sizeof f->cause, "%s",
                 ebuf[0] ? ebuf : curl_easy_strerror(cc));
    return SIM_EIO;
}

static size_t source_cap(const ag_source *s)
{
    int64_t m = s->max_bytes > 0 ? s->max_bytes : 10 * 1024 * 1024;
    return (uint64_t)m > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)m;
}

static int64_t source_timeout(const ag_source *s)
{
    return s->timeout_ms > 0 ? s->timeout_ms : 30000;
}

static int load_http(const ag_source *s, const char *uri, ag_buf *out,
                     char *err, size_t errlen)
{
    fetch f = {uri, NULL, source_timeout(s), source_cap(s), 0, ""};
    sb line = {0};
    int rc = SIM_OK;
    for (size_t i = 0; i < s->nheaders && rc == SIM_OK; i++) {
        struct curl_slist *n;
        line.n = 0;
        sb_add(&line, s->headers[i].name);
        sb_add(&line, ": ");
        sb_add(&line, s->headers[i].value);
        n = line.oom ? NULL : curl_slist_append(f.headers, line.s);
        if (!n)
            rc = SIM_ENOMEM;
        else
            f.headers = n;
    }
    sim_free(line.s);
    if (rc == SIM_OK)
        rc = do_fetch(&f, out);
    curl_slist_free_all(f.headers);
    if (rc == SIM_OK && (f.status < 200 || f.status > 299)) {
        rc = f.status == 404 || f.status == 410 ? SIM_ENOTFOUND : SIM_EIO;
        snprintf(f.cause, sizeof f.cause, "HTTP %ld", f.status);
    }
    if (rc != SIM_OK) {
        ag_buf_fini(out);
        if (rc != SIM_ENOMEM)
            load_failed(err, errlen, rc, uri, s->name, "%s", f.cause);
    }
    return rc;
}

/* ---- AWS credentials ---- */

void ag_res_aws_creds_fini(ag_aws_creds *c)
{
    sim_free(c->access_key_id);
    sim_free(c->secret_access_key);
    sim_free(c->session_token);
    memset(c, 0, sizeof *c);
}

static int creds_set(ag_aws_creds *c, const char *id, const char *secret,
                     const char *token, const char *from)
{
    c->access_key_id = sim_strdup(id);
    c->secret_access_key = sim_strdup(secret);
    c->session_token = token && *token ? sim_strdup(token) : NULL;
    c->from = from;
    if (!c->access_key_id || !c->secret_access_key ||
        (token && *token && !c->session_token)) {
        ag_res_aws_creds_fini(c);
        return SIM_ENOMEM;
    }
    return SIM_OK;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Where the shared credentials file is, into buf; 0 when unknown. */
static int creds_file(char *buf, size_t size)
{
    const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    if (f && *f)
        return snprintf(buf, size, "%s", f) < (int)size;
    if (home && *home)
        return snprintf(buf, size, "%s/.aws/credentials", home) < (int)size;
    return 0;
}

typedef struct profile_keys {
    char id[256], secret[256], token[4096];
    int found;                      /* the section exists */
} profile_keys;

static void profile_line(char *l, const char *profile, int *in,
                         profile_keys *k)
{
    char *eq;
    l = trim(l);
    if (!*l || *l == '#' || *l == ';')
        return;
    if (*l == '[') {
        char *end = strchr(l, ']');
        if (end)
            *end = '\0';
        *in = strcmp(trim(l + 1), profile) == 0;
        k->found |= *in;
        return;
    }
    eq = strchr(l, '=');
    if (!*in || !eq)
        return;
    *eq = '\0';
    const char *key = trim(l), *val = trim(eq + 1);
    if (strcmp(key, "aws_access_key_id") == 0)
        snprintf(k->id, sizeof k->id, "%s", val);
    else if (strcmp(key, "aws_secret_access_key") == 0)
        snprintf(k->secret, sizeof k->secret, "%s", val);
    else if (strcmp(key, "aws_session_token") == 0)
        snprintf(k->token, sizeof k->token, "%s", val);
}

/* Reads `profile` from the INI file at path.  0 when the file is absent. */
static int read_profile(const char *path, const char *profile,
                        profile_keys *k)
{
    char line[8192];
    int in = 0;
    FILE *f = fopen(path, "r");
    memset(k, 0, sizeof *k);
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        profile_line(line, profile, &in, k);
    fclose(f);
    return k->found;
}

static int creds_from_profile(const char *profile, int required,
                              ag_aws_creds *out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    profile_keys *k;
    int rc;
    if (!creds_file(path, sizeof path)) {
        if (required)
            say(err, errlen, "AWS profile \"%s\" not found: no shared "
                "credentials file (set HOME or AWS_SHARED_CREDENTIALS_FILE)",
                profile);
        return SIM_ENOTFOUND;
    }
    k = sim_alloc(sizeof *k);
    if (!k)
        return SIM_ENOMEM;
    if (!read_profile(path, profile, k)) {
        if (required)
            say(err, errlen, "AWS profile \"%s\" not found in %s", profile,
                path);
        rc = SIM_ENOTFOUND;
    } else if (!k->id[0] || !k->secret[0]) {
        say(err, errlen, "AWS profile \"%s\" in %s needs aws_access_key_id "
            "and aws_secret_access_key", profile, path);
        rc = SIM_ENOTFOUND;
    } else {
        rc = creds_set(out, k->id, k->secret, k->token,
                       "shared credentials file");
    }
    sim_free(k);
    return rc;
}

int ag_res_aws_creds(const ag_source *s, ag_aws_creds *out, char *err,
                     size_t errlen)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID");
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *profile = getenv("AWS_PROFILE");
    int rc;
    memset(out, 0, sizeof *out);
    if (s->access_key_id && s->secret_access_key)
        return creds_set(out, s->access_key_id, s->secret_access_key,
                         s->session_token, "dataSource credentials");
    if (s->profile)
        return creds_from_profile(s->profile, 1, out, err, errlen);
    if (id && *id && secret && *secret)
        return creds_set(out, id, secret, getenv("AWS_SESSION_TOKEN"),
                         "environment");
    rc = creds_from_profile(profile && *profile ? profile : "default",
                            profile && *profile, out, err, errlen);
    if (rc == SIM_ENOTFOUND && !(profile && *profile))
        say(err, errlen, "no AWS credentials: give credentials in the "
            "dataSource, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or add a default profile to ~/.aws/credentials");
    return rc;
}

/* ---- Signature Version 4 ---- */

static void to_hex(const unsigned char *p, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[p[i] >> 4];
        hex[2 * i + 1] = digits[p[i] & 15];
    }
    hex[2 * n] = '\0';
}

void ag_res_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32) {
        hex[0] = '\0';
        return;
    }
    to_hex(md, 32, hex);
}

static int hmac(const void *key, size_t klen, const char *msg,
                unsigned char out[32])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
              strlen(msg), out, &n) || n != 32)
        return SIM_ENOMEM;          /* OpenSSL fails only on allocation */
    return SIM_OK;
}

/* Canonical header lines in name order; `idx` gets the sorted order. */
#define SIGV4_MAX_HEADERS 32

static void lower_copy(char *dst, size_t size, const char *src)
{
    size_t i;
    for (i = 0; src[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Appends a header value trimmed, with inner runs of spaces folded. */
static void sb_add_folded(sb *b, const char *v)
{
    int space = 0;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = 1;
            continue;
        }
        if (space)
            sb_addn(b, " ", 1);
        space = 0;
        sb_addn(b, v, 1);
    }
}

static void sort_headers(const ag_sigv4 *r, char names[][64], size_t *idx)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        lower_copy(names[i], 64, r->headers[i].name);
        idx[i] = i;
    }
    for (size_t i = 1; i < r->nheaders; i++)
        for (size_t j = i; j > 0 && strcmp(names[idx[j - 1]],
                                           names[idx[j]]) > 0; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

/* Builds the canonical request into creq and the signed-header list. */
static void canonical_request(const ag_sigv4 *r, sb *creq, sb *signed_h)
{
    char names[SIGV4_MAX_HEADERS][64];
    size_t idx[SIGV4_MAX_HEADERS];
    sort_headers(r, names, idx);
    sb_add(creq, r->method);
    sb_add(creq, "\n");
    sb_add(creq, r->canonical_uri);
    sb_add(creq, "\n");
    sb_add(creq, r->canonical_query ? r->canonical_query : "");
    sb_add(creq, "\n");
    for (size_t i = 0; i < r->nheaders; i++) {
        sb_add(creq, names[idx[i]]);
        sb_add(creq, ":");
        sb_add_folded(creq, r->headers[idx[i]].value);
        sb_add(creq, "\n");
        sb_add(signed_h, i ? ";" : "");
        sb_add(signed_h, names[idx[i]]);
    }
    sb_add(creq, "\n");
    sb_add(creq, signed_h->s ? signed_h->s : "");
    sb_add(creq, "\n");
    sb_add(creq, r->payload_hash);
}

/* The signing key: HMAC chain over date, region, service. */
static int signing_key(const ag_sigv4 *r, const char *date,
                       unsigned char key[32])
{
    unsigned char k1[32], k2[32], k3[32];
    sb secret = {0};
    int rc;
    sb_add(&secret, "AWS4");
    sb_add(&secret, r->secret_access_key);
    if (secret.oom)
        return SIM_ENOMEM;
    rc = hmac(secret.s, secret.n, date, k1);
    if (rc == SIM_OK)
        rc = hmac(k1, 32, r->region, k2);
    if (rc == SIM_OK)
        rc = hmac(k2, 32, r->service, k3);
    if (rc == SIM_OK)
        rc = hmac(k3, 32, "aws4_request", key);
    /* The secret does not outlive the call in freed heap memory. */
    memset(secret.s, 0, secret.n);
    sim_free(secret.s);
    return rc;
}

int ag_res_sigv4(const ag_sigv4 *r, char *auth, size_t authlen, char *sig)
{
    char date[9], chash[65], sighex[65], scope[256];
    unsigned char key[32], mac[32];
    sb creq = {0}, signed_h = {0}, sts = {0};
    int rc = SIM_OK;
    if (strlen(r->amz_date) != 16 || r->amz_date[8] != 'T' ||
        r->nheaders > SIGV4_MAX_HEADERS)
        return SIM_EINVAL;
    memcpy(date, r->amz_date, 8);
    date[8] = '\0';
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, r->region,
             r->service);
    canonical_request(r, &creq, &signed_h);
    if (!creq.oom)
        ag_res_sha256_hex(creq.s, creq.n, chash);
    sb_add(&sts, "AWS4-HMAC-SHA256\n");
    sb_add(&sts, r->amz_date);
    sb_add(&sts, "\n");
    sb_add(&sts, scope);
    sb_add(&sts, "\n");
    sb_add(&sts, creq.oom ? "" : chash);
    if (creq.oom || signed_h.oom || sts.oom)
        rc = SIM_ENOMEM;
    if (rc == SIM_OK)
        rc = signing_key(r, date, key);
    if (rc == SIM_OK)
        rc = hmac(key, 32, sts.s, mac);
    if (rc == SIM_OK) {
        to_hex(mac, 32, sighex);
        int w = snprintf(auth, authlen, "AWS4-HMAC-SHA256 Credential=%s/%s, "
                         "SignedHeaders=%s, Signature=%s", r->access_key_id,
                         scope, signed_h.s, sighex);
        if (w < 0 || (size_t)w >= authlen)
            rc = SIM_ERANGE;
        if (sig)
            memcpy(sig, sighex, 65);
    }
    sim_free(creq.s);
    sim_free(signed_h.s);
    sim_free(sts.s);
    return rc;
}

/* ---- s3 ---- */

/* Where an s3 GET goes: the URL, the Host header and the signed path. */
typedef struct s3_target {
    sb url, host, path;
} s3_target;

static void s3_target_fini(s3_target *t)
{
    sim_free(t->url.s);
    sim_free(t->host.s);
    sim_free(t->path.s);
}

/*
 * Path-style ENDPOINT/BUCKET/KEY when the source names an endpoint (MinIO,
 * R2, local servers), else AWS's virtual-host style.  The Host header is
 * spelled as curl would send it, with the port only when it is not the
 * scheme's default, because the signature covers it.
 */
static int s3_locate(const ag_source *s, const char *bucket, const char *key,
                     s3_target *t)
{
    if (!s->endpoint) {
        sb_add(&t->host, bucket);
        sb_add(&t->host, ".s3.");
        sb_add(&t->host, s->region);
        sb_add(&t->host, ".amazonaws.com");
        sb_add(&t->url, "https://");
    } else {
        char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
        CURLU *u = curl_url();
        int bad = !u || curl_url_set(u, CURLUPART_URL, s->endpoint, 0) ||
                  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
                  curl_url_get(u, CURLUPART_HOST, &host, 0) ||
                  curl_url_get(u, CURLUPART_PATH, &path, 0);
        if (!bad && !curl_url_get(u, CURLUPART_PORT, &port, 0)) {
            int dflt = (strcmp(scheme, "http") == 0 && !strcmp(port, "80")) ||
                       (strcmp(scheme, "https") == 0 && !strcmp(port, "443"));
            if (dflt) {
                curl_free(port);
                port = NULL;
            }
        }
        if (!bad) {
            sb_add(&t->url, scheme);
            sb_add(&t->url, "://");
            sb_add(&t->host, host);
            if (port) {
                sb_add(&t->host, ":");
                sb_add(&t->host, port);
            }
            /* An endpoint may carry a path prefix; keep it, minus the
             * trailing slash. */
            size_t pl = strlen(path);
            sb_addn(&t->path, path, pl && path[pl - 1] == '/' ? pl - 1 : pl);
            sb_add(&t->path, "/");
            sb_add_enc(&t->path, bucket, 0);
        }
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_free(path);
        curl_url_cleanup(u);
        if (bad)
            return u ? SIM_EINVAL : SIM_ENOMEM;
    }
    sb_add(&t->path, "/");
    sb_add_enc(&t->path, key, 1);
    sb_add(&t->url, t->host.s ? t->host.s : "");
    sb_add(&t->url, t->path.s ? t->path.s : "");
    return t->url.oom || t->host.oom || t->path.oom ? SIM_ENOMEM : SIM_OK;
}

int ag_res__s3_target(const ag_source *s, const char *uri, char **url,
                      char **host, char **path)
{
    const char *key;
    s3_target t = {{0}, {0}, {0}};
    char *bucket = s3_bucket(uri, &key);
    int rc = bucket ? s3_locate(s, bucket, key, &t) : SIM_ENOMEM;
    sim_free(bucket);
    *url = *host = *path = NULL;
    if (rc != SIM_OK) {
        s3_target_fini(&t);
        return rc;
    }
    *url = t.url.s;
    *host = t.host.s;
    *path = t.path.s;
    return SIM_OK;
}

/* The signed headers of an S3 GET, as curl header lines. */
static int s3_headers(const ag_source *s, const ag_aws_creds *cr,
                      const s3_target *t, struct curl_slist **out)
{
    char amz_date[17], hash[65], auth[1024], line[4200];
    time_t now = time(NULL);
    struct tm tm;
    ag_header h[4];
    size_t nh = 0;
    int rc;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    ag_res_sha256_hex("", 0, hash);
    h[nh++] = (ag_header){"host", t->host.s};
    h[nh++] = (ag_header){"x-amz-content-sha256", hash};
    h[nh++] = (ag_header){"x-amz-date", amz_date};
    if (cr->session_token)
        h[nh++] = (ag_header){"x-amz-security-token", cr->session_token};
    ag_sigv4 r = {"GET", t->path.s, "", h, nh, hash, amz_date, s->region,
                  "s3", cr->access_key_id, cr->secret_access_key};
    rc = ag_res_sigv4(&r, auth, sizeof auth, NULL);
    for (size_t i = 0; i < nh + 1 && rc == SIM_OK; i++) {
        struct curl_slist *n;
        if (i < nh)
            snprintf(line, sizeof line, "%s: %s", h[i].name, h[i].value);
        else
            snprintf(line, sizeof line, "Authorization: %s", auth);
        n = curl_slist_append(*out, line);
        if (!n)
            rc = SIM_ENOMEM;
        else
            *out = n;
    }
    return rc;
}

/* S3 errors carry a <Code> (NoSuchKey, SignatureDoesNotMatch...). */
static void s3_error_code(const ag_buf *b, char *code, size_t size)
{
    const char *p = b->data ? strstr(b->data, "<Code>") : NULL;
    const char *e = p ? strstr(p, "</Code>") : NULL;
    code[0] = '\0';
    if (p && e && (size_t)(e - p - 6) < size) {
        memcpy(code, p + 6, (size_t)(e - p - 6));
        code[e - p - 6] = '\0';
    }
}

static int s3_get(const ag_source *s, const ag_aws_creds *cr,
                  const char *bucket, const char *key, const char *uri,
                  ag_buf *out, char *err, size_t errlen)
{
    s3_target t = {{0}, {0}, {0}};
    fetch f = {NULL, NULL, source_timeout(s), source_cap(s), 0, ""};
    char code[128];
    int rc = s3_locate(s, bucket, key, &t);
    if (rc == SIM_EINVAL)
        snprintf(f.cause, sizeof f.cause, "endpoint \"%s\" is not a URL",
                 s->endpoint);
    if (rc == SIM_OK)
        rc = s3_headers(s, cr, &t, &f.headers);
    f.url = t.url.s;
    if (rc == SIM_OK)
        rc = do_fetch(&f, out);
    curl_slist_free_all(f.headers);
    s3_target_fini(&t);
    if (rc == SIM_OK && (f.status < 200 || f.status > 299)) {
        s3_error_code(out, code, sizeof code);
        rc = f.status == 404 ? SIM_ENOTFOUND : SIM_EIO;
        snprintf(f.cause, sizeof f.cause, "HTTP %ld%s%s", f.status,
                 code[0] ? " " : "", code);
    }
    if (rc != SIM_OK) {
        ag_buf_fini(out);
        if (rc != SIM_ENOMEM)
            load_failed(err, errlen, rc, uri, s->name, "%s", f.cause);
    }
    return rc;
}

static int load_s3(const ag_source *s, const char *uri, ag_buf *out,
                   char *err, size_t errlen)
{
    const char *key;
    ag_aws_creds cr;
    char why[512] = "";
    char *bucket = s3_bucket(uri, &key);
    int rc;
    if (!bucket)
        return SIM_ENOMEM;
    rc = ag_res_aws_creds(s, &cr, why, sizeof why);
    if (rc == SIM_OK) {
        rc = s3_get(s, &cr, bucket, key, uri, out, err, errlen);
        ag_res_aws_creds_fini(&cr);
    } else if (rc != SIM_ENOMEM) {
        load_failed(err, errlen, rc, uri, s->name, "%s", why);
    }
    sim_free(bucket);
    return rc;
}

/* ---- the entry point ---- */

int ag_res_load(const ag_config *c, const char *uri, const char *source_name,
                ag_buf *out, char *err, size_t errlen)
{
    char scheme[32];
    const ag_source *s;
    int rc;
    ag_buf_init(out);
    if (scheme_len(uri) && !known_scheme(scheme_of(uri, scheme,
                                                   sizeof scheme))) {
        say(err, errlen, "Unsupported URI scheme: %s. Supported: file, s3, "
            "http, https", uri);
        return SIM_EINVAL;
    }
    rc = ag_res_check_uri(uri, "Resource URI", err, errlen);
    if (rc == SIM_OK)
        rc = ag_res_pick(c, uri, source_name, &s, err, errlen);
    if (rc != SIM_OK) {
        if (rc == SIM_ENOMEM)
            say(err, errlen, "out of memory");
        return rc;
    }
    if (s->type == AG_SOURCE_FS)
        rc = load_fs(c, s, uri, source_cap(s), out, err, errlen);
    else if (s->type == AG_SOURCE_HTTP)
        rc = load_http(s, uri, out, err, errlen);
    else
        rc = load_s3(s, uri, out, err, errlen);
    if (rc == SIM_OK && !out->data) {
        /* An empty body still reads as the empty string. */
        out->data = sim_calloc(1, 1);
        if (!out->data)
            rc = SIM_ENOMEM;
    }
    if (rc != SIM_OK)
        ag_buf_fini(out);
    if (rc == SIM_ENOMEM)
        say(err, errlen, "out of memory");
    return rc;
}

/* Kept here rather than in serve.c so the assembled prompt can be tested
 * without a server; resources go through the same rules as the
 * readResource tool. */
int ag_res_system_prompt(const ag_config *c, char **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    char *text = sim_strdup("");
    int rc = text ? SIM_OK : SIM_ENOMEM;
    for (size_t i = 0; rc == SIM_OK && i < c->nprompt; i++) {
        const ag_prompt_part *p = &c->prompt[i];
        ag_buf b;
        ag_buf_init(&b);
        const char *piece = p->text;
        if (!piece && p->uri) {
            rc = ag_res_load(c, p->uri, p->source, &b, err, errlen);
            piece = b.data;
        }
        if (rc == SIM_OK && piece && *piece) {
            size_t n = strlen(text), k = strlen(piece);
            char *grown = sim_realloc(text, n + k + 3);
            if (!grown) {
                rc = SIM_ENOMEM;
            } else {
                text = grown;
                snprintf(text + n, k + 3, "%s%s", n ? "\n\n" : "", piece);
            }
        }
        ag_buf_fini(&b);
    }
    if (rc != SIM_OK) {
        sim_free(text);
        if (rc == SIM_ENOMEM)
            say(err, errlen, "out of memory");
        return rc;
    }
    *out = text;
    return SIM_OK;
}

/*
 * resource.h -- the resource loader: reads a resource named by an
 * absolute URI through one of the config's data sources (seeds/001's
 * ResourceLoader.load(uri, dataSource)).  Prompt building and the
 * readResource tool both go through ag_res_load, so both get the same
 * checks:
 *
 *   file://      an fs source; the file's real path (symlinks resolved)
 *                must lie under one of the source's roots, also resolved,
 *                so neither `..` nor a symlink leads out of them.  The
 *                agent's own config file and database are never served.
 *   http(s)://   an http source; the URI must lie under its baseUrl, so
 *                the source's headers (tokens) go to no other server.
 *                Redirects are not followed for the same reason.
 *   s3://        an s3 source for that bucket; a GET signed with AWS
 *                Signature Version 4, path-style against `endpoint` when
 *                one is given, virtual-host style against AWS otherwise.
 *
 * Every load is bounded by the source's maxBytes, and network loads by its
 * timeout.  Errors come back as a status and a message in the caller's
 * buffer; this module never prints.
 *
 * Ownership: functions borrow their arguments; what they return through an
 * OUT parameter belongs to the caller, who releases it with the matching
 * _fini.
 *
 * libcurl: ag_res_load calls curl_easy_init, which initialises libcurl on
 * first use.  A program that loads resources from several threads should
 * call curl_global_init(CURL_GLOBAL_DEFAULT) once in main() first.
 */
#ifndef AG_RESOURCE_H
#define AG_RESOURCE_H

#include <stddef.h>

#include "agent-harness/settings.h"

/* A loaded resource: `len` bytes at `data`, plus a NUL after them so text
 * can be used as a string (the content may itself contain NULs). */
typedef struct ag_buf {
    char *data;                     /* owned; NULL until something is read */
    size_t len;
} ag_buf;

void ag_buf_init(ag_buf *b);
/* Frees the contents and empties b; a no-op on an empty buffer. */
void ag_buf_fini(ag_buf *b);

/* The URI schemes resources may use, in the order messages list them. */
extern const char *const ag_res_schemes[]; /* file, s3, http, https, NULL */

/*
 * Checks that `uri` is an absolute URI with an allowed scheme (seeds/001's
 * validateAbsoluteURI).  `field` names the URI in messages, e.g. "System
 * prompt file".  Returns 0 or SIM_EINVAL with the seed's message in err:
 *
 *   <field> must be an absolute URI (file://, s3://, http://, https://).
 *       Use ${{dexto.agent_dir}} template for local files.
 *   Invalid <field> scheme "ftp". Must be one of: file, s3, http, https
 *   Invalid file:// URI. Must use absolute path: file:///absolute/path
 *
 * and, beyond the seed, for URIs that name nothing:
 *
 *   Invalid s3:// URI. Must name a bucket and key: s3://bucket/key
 *   Invalid http:// URI. Must name a host: http://host/path
 */
int ag_res_check_uri(const char *uri, const char *field, char *err,
                     size_t errlen);

/*
 * Finds the data source for `uri`.  With `source_name`, that source must
 * exist and its type must fit the scheme (file: fs, http/https: http, s3:
 * s3), the URI must lie under an http source's baseUrl and name an s3
 * source's bucket.  Without one, the first source that fits and covers the
 * URI is chosen: an fs source with a root that contains the path (compared
 * lexically here; ag_res_load compares real paths), an http source whose
 * baseUrl is a prefix, an s3 source for the bucket.  `uri` must already
 * pass ag_res_check_uri.
 *
 * *out is borrowed from `c`.  Returns 0, SIM_ENOTFOUND (no such source,
 * none covers the URI) or SIM_EINVAL (type or bucket or baseUrl mismatch),
 * with seeds/001's messages where it gives them:
 *
 *   Unknown dataSource "x". Available: fs, cdn
 *   URI scheme "https://" doesn't match dataSource type "fs". Expected: file
 */
int ag_res_pick(const ag_config *c, const char *uri, const char *source_name,
                const ag_source **out /* OUT */, char *err, size_t errlen);

/*
 * Loads `uri` through `source_name` (NULL: chosen as ag_res_pick does)
 * into *out, which must be empty (ag_buf_init) and is left empty on
 * failure.  Returns 0 or:
 *
 *   SIM_EINVAL     the URI is not allowed: bad URI or scheme, wrong source,
 *                  a path outside the roots, the agent's own files
 *   SIM_ENOTFOUND  no such source, file, object (404)
 *   SIM_ERANGE     larger than the source's maxBytes
 *   SIM_EIO        I/O or network failure, timeout, any other HTTP status
 *   SIM_ENOMEM
 *
 * Load failures read, as seeds/001's ResourceError.loadFailed does,
 *   Failed to load resource from "URI" using dataSource "NAME": CAUSE
 * and an unsupported scheme reads
 *   Unsupported URI scheme: URI. Supported: file, s3, http, https
 */
int ag_res_load(const ag_config *c, const char *uri, const char *source_name,
                ag_buf *out /* OUT */, char *err, size_t errlen);

/*
 * The system prompt `c` describes, as a new string in *out (free with
 * free): the parts in the config's order (already by priority, lowest
 * first), static text as it is and resources read through ag_res_load,
 * joined by blank lines; empty parts add nothing.  Returns 0 or
 * ag_res_load's status with its message in err (or SIM_ENOMEM), leaving
 * *out NULL.
 */
int ag_res_system_prompt(const ag_config *c, char **out /* OUT */, char *err,
                         size_t errlen);

/* ---- AWS credentials and Signature Version 4 (exposed for tests) ---- */

typedef struct ag_aws_creds {
    char *access_key_id, *secret_access_key;
    char *session_token;            /* NULL when none */
    const char *from;               /* static: where they were found */
} ag_aws_creds;

/*
 * Resolves an s3 source's credentials, first match wins:
 *   1. the source's accessKeyId and secretAccessKey (and sessionToken);
 *   2. the source's profile, from the shared credentials file;
 *   3. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *      AWS_SESSION_TOKEN;
 *   4. the profile AWS_PROFILE names, or "default", if the file has it.
 * The shared credentials file is AWS_SHARED_CREDENTIALS_FILE, else
 * $HOME/.aws/credentials.  Instance roles (IMDS) and SSO are not
 * supported.  Returns 0, SIM_ENOTFOUND (nothing found, or the named
 * profile is missing) or SIM_ENOMEM, with a message in err.
 */
int ag_res_aws_creds(const ag_source *s, ag_aws_creds *out /* OUT */,
                     char *err, size_t errlen);
void ag_res_aws_creds_fini(ag_aws_creds *c);

/* One request to sign.  Header names may be in any case; values are
 * trimmed and inner runs of spaces folded as SigV4 requires. */
typedef struct ag_sigv4 {
    const char *method;             /* "GET" */
    const char *canonical_uri;      /* the path, already URI-encoded */
    const char *canonical_query;    /* sorted, encoded; "" for none */
    const ag_header *headers;       /* every header to sign; host included */
    size_t nheaders;
    const char *payload_hash;       /* hex SHA-256 of the body */
    const char *amz_date;           /* YYYYMMDDTHHMMSSZ, also in headers */
    const char *region, *service;
    const char *access_key_id, *secret_access_key;
} ag_sigv4;

/*
 * Computes the Authorization header value for `r` into auth:
 *   AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 *   SignedHeaders=a;b, Signature=HEX
 * and, when sig is not NULL, the bare signature (65 bytes with the NUL).
 * Returns 0, SIM_EINVAL (malformed date, too many headers), SIM_ERANGE
 * (auth too small) or SIM_ENOMEM.
 */
int ag_res_sigv4(const ag_sigv4 *r, char *auth, size_t authlen,
                 char *sig /* OUT, may be NULL */);

/* Hex SHA-256 of `len` bytes (65 bytes out, with the NUL). */
void ag_res_sha256_hex(const void *data, size_t len, char hex[65]);

/* ---- internals shared with config.c and the tests ---- */

/*
 * The local path a file:// URI (one that passed ag_res_check_uri) names,
 * percent-decoded, as a new string; NULL with *rc SIM_EINVAL for a query,
 * fragment or encoded NUL, or SIM_ENOMEM.
 */
char *ag_res__file_path(const char *uri, int *rc /* OUT */);

/* Normalises an absolute path lexically, in place: no ".", "..", empty
 * components or trailing slash. */
void ag_res__normalize(char *path);

/*
 * Where an S3 GET for `uri` goes through source s: the URL, the Host
 * header and the path that is signed, each a new string (for tests).
 * Returns 0, SIM_EINVAL (endpoint is not a URL) or SIM_ENOMEM.
 */
int ag_res__s3_target(const ag_source *s, const char *uri,
                      char **url /* OUT */, char **host /* OUT */,
                      char **path /* OUT */);

#endif

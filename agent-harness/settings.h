/*
 * settings.h -- what an agent's configuration holds (the ag_config tree),
 * apart from the loader that fills it (config.h).  The resource loader and
 * the runtime read these types; the config loader also checks URIs with
 * the resource module, so the types live here, where both can use them
 * without the two modules using each other.
 *
 * Ownership: an ag_config owns every string and array in it.  Optional
 * strings are NULL when absent unless a default is given below.
 */
#ifndef AG_SETTINGS_H
#define AG_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

enum ag_source_type { AG_SOURCE_FS, AG_SOURCE_HTTP, AG_SOURCE_S3 };

typedef struct ag_header {
    char *name, *value;             /* value after ${ENV} expansion */
} ag_header;

/*
 * A named data source (seeds/001's dataSources).  Unless the file names a
 * source "fs", the loader appends one, type fs with the agent directory as
 * its only root, so local prompt files need no declaration.
 */
typedef struct ag_source {
    char *name;
    enum ag_source_type type;
    char *description;
    /* fs: absolute, normalised directories files may be read under
     * (default: the agent dir; relative roots are taken from it) */
    char **roots;
    size_t nroots;
    /* http: URIs must lie under base_url; headers go with every request */
    char *base_url;
    ag_header *headers;
    size_t nheaders;
    int64_t timeout_ms;             /* http and s3; default 30000 */
    int64_t max_bytes;              /* size cap, every type; default 10 MiB */
    /* s3 (also R2, MinIO and other S3-compatible services) */
    char *bucket, *region;
    char *endpoint;                 /* NULL: AWS, BUCKET.s3.REGION.amazon-
                                       aws.com; else path-style */
    /* credentials; NULL ones fall back to the chain (resource.h) */
    char *access_key_id, *secret_access_key, *session_token, *profile;
} ag_source;

/*
 * A piece of the system prompt: static text or a resource.  A contributor
 * gives one part, except that a file contributor's `files:` list (seeds/
 * 001's form; `file:` or `uri:` give one URI) gives one part per entry, in
 * list order, each with the contributor's name and priority and its own
 * resolved source.  ag_config.prompt is sorted by priority, lowest first;
 * equal priorities keep file order, so a list's parts stay together and
 * in order.  A plain-string systemPrompt becomes one static part named
 * "system".
 */
typedef struct ag_prompt_part {
    char *name;
    int priority;                   /* default 0 */
    char *text;                     /* static contributor, else NULL */
    char *uri;                      /* file contributor: file://, http(s)://,
                                       s3://, already checked; else NULL */
    char *source;                   /* the uri's dataSource, always set for
                                       a uri (given, or chosen by scheme) */
} ag_prompt_part;

enum ag_llm_provider { AG_LLM_OPENAI, AG_LLM_SCRIPTED };

typedef struct ag_llm {
    enum ag_llm_provider provider;  /* required in the file */
    char *model;                    /* required for openai; "scripted" */
    char *base_url;                 /* OpenAI-compatible endpoint; openai
                                       default https://api.openai.com/v1 */
    char *api_key;                  /* secret: NULL when not configured */
    int64_t max_iterations;         /* tool-call loop bound, default 10 */
    int64_t max_output_tokens;      /* 0: not sent (provider default) */
    /* scripted model */
    int64_t tokens;                 /* tokens per reply, default 40 */
    double tokens_per_second;       /* > 0, default 400 */
    char *tool_call;                /* an enabled tool the script calls
                                       first, or NULL */
    /* prices for cost per message, USD per million tokens */
    double input_usd_per_mtok, output_usd_per_mtok;
} ag_llm;

enum ag_storage_kind { AG_STORE_SQLITE, AG_STORE_MEMORY };

typedef struct ag_config {
    char *file;                     /* as given */
    char *agent_dir;                /* absolute directory of the file */
    ag_llm llm;
    ag_prompt_part *prompt;
    size_t nprompt;
    ag_source *sources;
    size_t nsources;
    enum ag_storage_kind storage;   /* default sqlite */
    char *db_path;                  /* sqlite: absolute (a relative path in
                                       the file is taken from agent_dir;
                                       default agent_dir/agent.db); NULL
                                       for memory */
    int64_t max_sessions;           /* default 100 */
    int64_t session_ttl_ms;         /* default 1h */
    char **tools;                   /* enabled built-in tools, default none:
                                       "readResource", "currentTime" */
    size_t ntools;
    /* server */
    char *api_key;                  /* required on requests when set;
                                       secret: NULL when not configured */
    int64_t ping_interval_ms;       /* WebSocket ping, default 30s; 0: off */
    int64_t keepalive_ms;           /* SSE comment keep-alive, default 15s;
                                       0: off */
    int64_t stream_buffer;          /* events kept per session, default 1024 */
    int64_t tenant_concurrency;     /* replies in flight per tenant,
                                       0: no limit */
    int64_t tenant_token_budget;    /* output tokens per tenant, 0: no limit */
    int64_t request_timeout_ms;     /* longest a client may take to send a
                                       request (or to take a write), and
                                       a WebSocket to stay silent;
                                       default 30s */
} ag_config;

#endif

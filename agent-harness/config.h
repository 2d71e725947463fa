/*
 * config.h -- an agent's configuration (agent YAML), as the runtime uses
 * it.  ag_config_load (config.c) reads and checks a file completely:
 * `${ENV}` and `${{dexto.agent_dir}}` expansion, absolute-URI rules and
 * cross-references between resources and data sources, with errors at
 * FILE:LINE:COL through sim_diag.  Everything else in agent-harness reads
 * only this structure.
 *
 * Ownership: an ag_config owns every string and array in it.
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"

enum ag_source_type { AG_SOURCE_FS, AG_SOURCE_HTTP, AG_SOURCE_S3 };

typedef struct ag_header {
    char *name, *value;             /* value after ${ENV} expansion */
} ag_header;

/* A named data source (seeds/001's dataSources). */
typedef struct ag_source {
    char *name;
    enum ag_source_type type;
    char *description;
    /* fs: the roots files may be read under (default: the agent dir) */
    char **roots;
    size_t nroots;
    /* http */
    char *base_url;
    ag_header *headers;
    size_t nheaders;
    int64_t timeout_ms;             /* default 30000 */
    int64_t max_bytes;              /* size cap, default 10 MiB */
    /* s3 (also R2, MinIO and other S3-compatible services) */
    char *bucket, *region;
    char *endpoint;                 /* NULL: https://s3.REGION.amazonaws.com */
    char *access_key_id, *secret_access_key, *session_token, *profile;
} ag_source;

/* A system-prompt contributor: static text or a resource. */
typedef struct ag_prompt_part {
    char *name;
    int priority;
    char *text;                     /* static contributor */
    char *uri;                      /* file://, http(s)://, s3:// */
    char *source;                   /* dataSource name for the uri */
} ag_prompt_part;

enum ag_llm_provider { AG_LLM_OPENAI, AG_LLM_SCRIPTED };

typedef struct ag_llm {
    enum ag_llm_provider provider;
    char *model;
    char *base_url;                 /* OpenAI-compatible endpoint */
    char *api_key;                  /* expanded from ${ENV} */
    int64_t max_iterations;         /* tool-call loop bound, default 10 */
    int64_t max_output_tokens;
    /* scripted model */
    int64_t tokens;                 /* tokens per reply */
    double tokens_per_second;
    char *tool_call;                /* a tool the script calls first, or NULL */
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
    enum ag_storage_kind storage;
    char *db_path;                  /* sqlite; relative to agent_dir */
    int64_t max_sessions;           /* default 100 */
    int64_t session_ttl_ms;         /* default 1h */
    char **tools;                   /* enabled built-in tools */
    size_t ntools;
    /* server */
    char *api_key;                  /* required on requests when set */
    int64_t ping_interval_ms;       /* WebSocket ping, default 30s */
    int64_t keepalive_ms;           /* SSE comment keep-alive, default 15s */
    int64_t stream_buffer;          /* events kept per session, default 1024 */
    int64_t tenant_concurrency;     /* replies in flight per tenant, 0: no limit */
    int64_t tenant_token_budget;    /* output tokens per tenant, 0: no limit */
} ag_config;

/*
 * Loads and checks `path`.  On success *out is a new config (free with
 * ag_config_free) and 0 is returned; otherwise every problem is in `d`
 * and SIM_EPARSE, SIM_EIO or SIM_ENOMEM (sim/fixed.h) is returned.
 */
int ag_config_load(const char *path, sim_diag *d, ag_config **out);
void ag_config_free(ag_config *c);

/* Whether a YAML file looks like an agent config (has `llm:` at the top). */
int ag_config_sniff(const char *path);

#endif

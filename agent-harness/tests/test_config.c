/*
 * test_config.c -- agent configs: the fixtures that must load, with their
 * values and defaults, and every error a config can contain, each with its
 * exact text and position.
 */
/* realpath and mkdtemp are X/Open extensions beyond POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-harness/config.h"
#include "agent-harness/resource.h"
#include "base/fixed.h"

#define FIXTURES AGENT_TEST_DIR "/fixtures"

/* A config loaded from a file, with its diagnostics. */
typedef struct loaded {
    ag_config *c;
    sim_diag d;
    int rc;
    char dir[64];                   /* temporary agent dir, or "" */
    char path[128];
} loaded;

static void load_file(loaded *t, const char *path)
{
    sim_diag_init(&t->d);
    t->c = NULL;
    t->rc = ag_config_load(path, &t->d, &t->c);
}

/* Writes `yaml` to DIR/agent.yaml in a fresh temporary dir and loads it. */
static void load_yaml(loaded *t, const char *yaml)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/ag-config-XXXXXX");
    cr_assert_not_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/agent.yaml", t->dir);
    FILE *f = fopen(t->path, "w");
    cr_assert_not_null(f);
    fputs(yaml, f);
    fclose(f);
    load_file(t, t->path);
}

static void unload(loaded *t)
{
    ag_config_free(t->c);
    sim_diag_fini(&t->d);
    if (t->dir[0]) {
        remove(t->path);
        rmdir(t->dir);
    }
}

static const ag_source *source(const ag_config *c, const char *name)
{
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return &c->sources[i];
    cr_assert_fail("no dataSource '%s'", name);
    return NULL;
}

static void fixtures_dir(char out[PATH_MAX])
{
    cr_assert_not_null(realpath(FIXTURES, out));
}

/* ---- configs that load ---- */

Test(config, minimal_config_gets_the_documented_defaults)
{
    loaded t = {0};
    char dir[PATH_MAX], db[PATH_MAX + 16];
    fixtures_dir(dir);
    load_file(&t, FIXTURES "/minimal.yaml");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    const ag_config *c = t.c;
    cr_assert_str_eq(c->agent_dir, dir);
    cr_assert_eq(c->llm.provider, AG_LLM_SCRIPTED);
    cr_assert_str_eq(c->llm.model, "scripted");
    cr_assert_eq(c->llm.tokens, 40);
    cr_assert(c->llm.tokens_per_second == 400.0);
    cr_assert_eq(c->llm.max_iterations, 10);
    cr_assert_eq(c->llm.max_output_tokens, 0);
    cr_assert_null(c->llm.api_key);
    cr_assert_null(c->llm.tool_call);
    cr_assert_eq(c->storage, AG_STORE_SQLITE);
    snprintf(db, sizeof db, "%s/agent.db", dir);
    cr_assert_str_eq(c->db_path, db);
    cr_assert_eq(c->max_sessions, 100);
    cr_assert_eq(c->session_ttl_ms, 3600000);
    cr_assert_eq(c->ntools, 0);
    cr_assert_eq(c->nprompt, 0);
    cr_assert_null(c->api_key);
    cr_assert_eq(c->ping_interval_ms, 30000);
    cr_assert_eq(c->keepalive_ms, 15000);
    cr_assert_eq(c->stream_buffer, 1024);
    cr_assert_eq(c->tenant_concurrency, 0);
    cr_assert_eq(c->tenant_token_budget, 0);
    /* The agent directory is always readable as dataSource "fs". */
    cr_assert_eq(c->nsources, 1);
    cr_assert_str_eq(c->sources[0].name, "fs");
    cr_assert_eq(c->sources[0].type, AG_SOURCE_FS);
    cr_assert_eq(c->sources[0].nroots, 1);
    cr_assert_str_eq(c->sources[0].roots[0], dir);
    cr_assert_eq(c->sources[0].max_bytes, 10 * 1024 * 1024);
    unload(&t);
}

static void set_full_env(void)
{
    setenv("AG_TEST_API_KEY", "sk-test", 1);
    setenv("AG_TEST_USER", "Ada", 1);
    setenv("AG_TEST_CDN_TOKEN", "tok123", 1);
    setenv("AG_TEST_AWS_KEY", "AKIDTEST", 1);
    setenv("AG_TEST_AWS_SECRET", "secret/key", 1);
    unsetenv("AG_TEST_SERVER_KEY");
}

Test(config, full_config_reads_every_section)
{
    loaded t = {0};
    char dir[PATH_MAX], want[PATH_MAX + 64];
    fixtures_dir(dir);
    set_full_env();
    load_file(&t, FIXTURES "/full.yaml");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    const ag_config *c = t.c;
    cr_assert_eq(c->llm.provider, AG_LLM_OPENAI);
    cr_assert_str_eq(c->llm.model, "gpt-4o-mini");
    cr_assert_str_eq(c->llm.base_url, "http://127.0.0.1:8080/v1");
    cr_assert_str_eq(c->llm.api_key, "sk-test");
    cr_assert_eq(c->llm.max_iterations, 4);
    cr_assert_eq(c->llm.max_output_tokens, 512);
    cr_assert(c->llm.input_usd_per_mtok == 0.15);
    cr_assert(c->llm.output_usd_per_mtok == 0.6);

    const ag_source *cdn = source(c, "cdn");
    cr_assert_eq(cdn->type, AG_SOURCE_HTTP);
    cr_assert_str_eq(cdn->description, "the prompt CDN");
    cr_assert_str_eq(cdn->base_url, "https://cdn.example.com");
    cr_assert_eq(cdn->nheaders, 2);
    cr_assert_str_eq(cdn->headers[0].name, "Authorization");
    cr_assert_str_eq(cdn->headers[0].value, "Bearer tok123");
    cr_assert_str_eq(cdn->headers[1].name, "X-Team");
    cr_assert_str_eq(cdn->headers[1].value, "agents");
    cr_assert_eq(cdn->timeout_ms, 5000);
    cr_assert_eq(cdn->max_bytes, 65536);

    const ag_source *s3 = source(c, "company-s3");
    cr_assert_eq(s3->type, AG_SOURCE_S3);
    cr_assert_str_eq(s3->bucket, "acme-prompts");
    cr_assert_str_eq(s3->region, "eu-west-1");
    cr_assert_str_eq(s3->endpoint, "http://127.0.0.1:9000");
    cr_assert_str_eq(s3->access_key_id, "AKIDTEST");
    cr_assert_str_eq(s3->secret_access_key, "secret/key");
    cr_assert_null(s3->session_token);
    cr_assert_eq(s3->timeout_ms, 30000);

    const ag_source *team = source(c, "team-s3");
    cr_assert_null(team->endpoint);
    cr_assert_str_eq(team->profile, "team-aws");
    cr_assert_null(team->access_key_id);
    cr_assert_eq(team->timeout_ms, 2500);

    const ag_source *shared = source(c, "shared");
    cr_assert_eq(shared->nroots, 3);
    cr_assert_str_eq(shared->roots[0], "/srv/shared");
    snprintf(want, sizeof want, "%s/data", dir);
    cr_assert_str_eq(shared->roots[1], want);
    snprintf(want, sizeof want, "%s/prompts", dir);
    cr_assert_str_eq(shared->roots[2], want);
    cr_assert_str_eq(source(c, "fs")->roots[0], dir);

    cr_assert_eq(c->storage, AG_STORE_MEMORY);
    cr_assert_null(c->db_path);
    cr_assert_eq(c->max_sessions, 7);
    cr_assert_eq(c->session_ttl_ms, 90000);
    cr_assert_eq(c->ntools, 2);
    cr_assert_str_eq(c->tools[0], "currentTime");
    cr_assert_str_eq(c->tools[1], "readResource");
    cr_assert_null(c->api_key, "an unset secret means not configured");
    cr_assert_eq(c->ping_interval_ms, 0);
    cr_assert_eq(c->keepalive_ms, 20000);
    cr_assert_eq(c->stream_buffer, 64);
    cr_assert_eq(c->tenant_concurrency, 2);
    cr_assert_eq(c->tenant_token_budget, 100000);
    unload(&t);
}

Test(config, contributors_come_in_priority_order_with_their_sources)
{
    loaded t = {0};
    char dir[PATH_MAX], uri[PATH_MAX + 64];
    fixtures_dir(dir);
    set_full_env();
    load_file(&t, FIXTURES "/full.yaml");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    const ag_config *c = t.c;
    cr_assert_eq(c->nprompt, 4);
    /* 0, 10, 10 (file order kept), 20 */
    cr_assert_str_eq(c->prompt[0].name, "persona");
    cr_assert_str_eq(c->prompt[0].text,
                     "You help Ada; cost is ${not expanded}.");
    cr_assert_null(c->prompt[0].uri);
    cr_assert_str_eq(c->prompt[1].name, "base");
    snprintf(uri, sizeof uri, "file://%s/prompts/base.md", dir);
    cr_assert_str_eq(c->prompt[1].uri, uri);
    cr_assert_str_eq(c->prompt[1].source, "fs",
                     "a file URI without dataSource goes to fs first");
    cr_assert_eq(c->prompt[1].priority, 10);
    cr_assert_str_eq(c->prompt[2].name, "guidelines");
    cr_assert_str_eq(c->prompt[2].source, "cdn",
                     "an https URI is matched to the source by baseUrl");
    cr_assert_str_eq(c->prompt[3].name, "rules");
    cr_assert_str_eq(c->prompt[3].uri, "s3://acme-prompts/shared/rules.md");
    cr_assert_str_eq(c->prompt[3].source, "company-s3");
    cr_assert_eq(c->prompt[3].priority, 20);
    unload(&t);
}

Test(config, scripted_model_with_tool_call_and_string_prompt)
{
    loaded t = {0};
    load_file(&t, FIXTURES "/scripted_tool.yaml");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_eq(t.c->llm.tokens, 12);
    cr_assert(t.c->llm.tokens_per_second == 50.5);
    cr_assert_str_eq(t.c->llm.tool_call, "readResource");
    cr_assert_eq(t.c->nprompt, 1);
    cr_assert_str_eq(t.c->prompt[0].name, "system");
    cr_assert_str_eq(t.c->prompt[0].text, "Be brief.");
    unload(&t);
}

Test(config, agent_dir_template_becomes_a_file_uri)
{
    loaded t = {0};
    char want[PATH_MAX + 64];
    load_yaml(&t, "llm: {provider: scripted}\n"
              "systemPrompt:\n"
              "  contributors:\n"
              "    - {name: a, type: file, "
              "file: \"${{ dexto.agent_dir }}/p/../x y.md\"}\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    char real[PATH_MAX];
    cr_assert_not_null(realpath(t.dir, real));
    snprintf(want, sizeof want, "file://%s/p/../x y.md", real);
    cr_assert_str_eq(t.c->prompt[0].uri, want);
    cr_assert_str_eq(t.c->agent_dir, real);
    cr_assert_str_eq(t.c->prompt[0].source, "fs");
    unload(&t);
}

Test(config, files_list_gives_one_part_per_file_in_list_order)
{
    loaded t = {0};
    char dir[PATH_MAX], uri[PATH_MAX + 64], err[512] = "", *prompt = NULL;
    static const char *const files[] = {"base.md", "tone.md", "limits.md"};
    fixtures_dir(dir);
    load_file(&t, FIXTURES "/files_list.yaml");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    const ag_config *c = t.c;
    cr_assert_eq(c->nprompt, 5);
    cr_assert_str_eq(c->prompt[0].name, "persona");
    for (size_t i = 0; i < 3; i++) {
        const ag_prompt_part *p = &c->prompt[1 + i];
        snprintf(uri, sizeof uri, "file://%s/prompts/%s", dir, files[i]);
        cr_assert_str_eq(p->name, "house-rules");
        cr_assert_eq(p->priority, 10);
        cr_assert_null(p->text);
        cr_assert_str_eq(p->uri, uri);
        cr_assert_str_eq(p->source, "fs");
    }
    cr_assert_str_eq(c->prompt[4].name, "closing");
    /* Each file is a piece of its own, joined as a single `file:` is. */
    cr_assert_eq(ag_res_system_prompt(c, &prompt, err, sizeof err), SIM_OK,
                 "%s", err);
    cr_assert_str_eq(prompt, "You price agent hosting.\n\n"
                     "You are a careful assistant.\n\n\n"
                     "Keep answers short.\n\n\n"
                     "Never quote prices older than a month.\n\n\n"
                     "End of instructions.");
    free(prompt);
    unload(&t);
}

Test(config, files_entries_resolve_their_own_data_sources)
{
    loaded t = {0};
    char real[PATH_MAX], want[PATH_MAX + 64];
    load_yaml(&t, "llm: {provider: scripted}\n"
              "dataSources:\n"
              "  cdn: {type: http, baseUrl: https://cdn.example.com}\n"
              "systemPrompt:\n"
              "  contributors:\n"
              "    - name: mixed\n"
              "      type: file\n"
              "      files:\n"
              "        - https://cdn.example.com/a.md\n"
              "        - ${{dexto.agent_dir}}/b.md\n"
              "    - name: pinned\n"
              "      type: file\n"
              "      dataSource: cdn\n"
              "      files: [https://cdn.example.com/c.md, "
              "\"https://cdn.example.com/d.md\"]\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_not_null(realpath(t.dir, real));
    cr_assert_eq(t.c->nprompt, 4);
    cr_assert_str_eq(t.c->prompt[0].uri, "https://cdn.example.com/a.md");
    cr_assert_str_eq(t.c->prompt[0].source, "cdn");
    snprintf(want, sizeof want, "file://%s/b.md", real);
    cr_assert_str_eq(t.c->prompt[1].uri, want);
    cr_assert_str_eq(t.c->prompt[1].source, "fs");
    cr_assert_str_eq(t.c->prompt[2].name, "pinned");
    cr_assert_str_eq(t.c->prompt[2].source, "cdn");
    cr_assert_str_eq(t.c->prompt[3].uri, "https://cdn.example.com/d.md");
    cr_assert_str_eq(t.c->prompt[3].source, "cdn");
    unload(&t);
}

Test(config, a_missing_files_entry_fails_the_prompt_naming_it)
{
    loaded t = {0};
    char err[512] = "", *prompt = NULL, want[PATH_MAX + 200], real[PATH_MAX];
    char here[PATH_MAX + 16];
    load_yaml(&t, "llm: {provider: scripted}\n"
              "systemPrompt:\n  contributors:\n"
              "    - {name: a, type: file, files: "
              "[\"${{dexto.agent_dir}}/here.md\", "
              "\"${{dexto.agent_dir}}/gone.md\"]}\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_not_null(realpath(t.dir, real));
    snprintf(here, sizeof here, "%s/here.md", t.dir);
    FILE *f = fopen(here, "w");
    cr_assert_not_null(f);
    fputs("here", f);
    fclose(f);
    /* The loader only resolves sources, as for `file:`; files are read
     * when the prompt is built, and the error names the one missing. */
    cr_assert_eq(ag_res_system_prompt(t.c, &prompt, err, sizeof err),
                 SIM_ENOTFOUND);
    cr_assert_null(prompt);
    snprintf(want, sizeof want, "Failed to load resource from "
             "\"file://%s/gone.md\" using dataSource \"fs\"", real);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
    remove(here);
    unload(&t);
}

Test(config, env_expansion_in_values)
{
    loaded t = {0};
    setenv("AG_T_MODEL", "gpt-x", 1);
    setenv("AG_T_KEY", "k1", 1);
    unsetenv("AG_T_UNSET");
    load_yaml(&t, "llm:\n"
              "  provider: openai\n"
              "  model: ${AG_T_MODEL}-${AG_T_MODEL}\n"
              "  apiKey: sk-${AG_T_KEY}\n"
              "server: {apiKey: \"${AG_T_UNSET}\"}\n"
              "systemPrompt: \"literal $${AG_T_KEY} and $ alone\"\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_str_eq(t.c->llm.model, "gpt-x-gpt-x");
    cr_assert_str_eq(t.c->llm.api_key, "sk-k1");
    cr_assert_null(t.c->api_key);
    cr_assert_str_eq(t.c->prompt[0].text, "literal ${AG_T_KEY} and $ alone");
    unload(&t);
}

Test(config, unset_s3_credentials_fall_back_to_the_chain)
{
    loaded t = {0};
    unsetenv("AG_T_ID");
    unsetenv("AG_T_SECRET");
    load_yaml(&t, "llm: {provider: scripted}\n"
              "dataSources:\n"
              "  s:\n"
              "    type: s3\n"
              "    bucket: b\n"
              "    region: us-east-1\n"
              "    credentials:\n"
              "      accessKeyId: ${AG_T_ID}\n"
              "      secretAccessKey: ${AG_T_SECRET}\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_null(source(t.c, "s")->access_key_id);
    cr_assert_null(source(t.c, "s")->secret_access_key);
    unload(&t);
}

Test(config, provider_specific_keys_warn_when_unused)
{
    loaded t = {0};
    load_yaml(&t, "llm: {provider: openai, model: m, tokens: 5}\n");
    cr_assert_eq(t.rc, SIM_OK);
    cr_assert_eq(t.d.n, 1);
    cr_assert_eq(t.d.v[0].level, SIM_DIAG_WARNING);
    cr_assert_str_eq(t.d.v[0].message,
                     "'tokens' applies only to provider scripted; ignored");
    cr_assert_eq(t.d.v[0].line, 1);
    cr_assert_eq(t.d.v[0].col, 35);
    unload(&t);
}

Test(config, empty_sections_count_as_absent)
{
    loaded t = {0};
    load_yaml(&t, "llm: {provider: scripted}\ntools:\ndataSources:\n"
              "systemPrompt:\nserver:\n");
    cr_assert_eq(t.rc, SIM_OK, "%s", t.d.n ? t.d.v[0].message : "");
    cr_assert_eq(t.c->ntools, 0);
    cr_assert_eq(t.c->nsources, 1);
    cr_assert_eq(t.c->nprompt, 0);
    unload(&t);
}

Test(config, sniff_tells_agent_configs_from_other_yaml)
{
    loaded t = {0};
    cr_assert(ag_config_sniff(FIXTURES "/minimal.yaml"));
    cr_assert(ag_config_sniff(FIXTURES "/full.yaml"));
    load_yaml(&t, "capsim: 1\nname: a scenario\n");
    cr_assert_not(ag_config_sniff(t.path));
    cr_assert_not(ag_config_sniff(FIXTURES "/no-such-file.yaml"));
    cr_assert_not(ag_config_sniff(FIXTURES "/prompts/base.md"));
    unload(&t);
}

Test(config, missing_file_is_an_io_error)
{
    loaded t = {0};
    load_file(&t, FIXTURES "/no-such-file.yaml");
    cr_assert_eq(t.rc, SIM_EIO);
    cr_assert_null(t.c);
    cr_assert_eq(t.d.errors, 1);
    unload(&t);
}

/* ---- every error, with its exact text and position ---- */

typedef struct bad_case {
    const char *name;
    const char *yaml;
    int line, col;
    const char *message;
    size_t errors;                  /* how many errors, this one first */
} bad_case;

#define BAD(name, yaml, line, col, msg) {name, yaml, line, col, msg, 1}
#define BADN(name, yaml, line, col, msg, n) {name, yaml, line, col, msg, n}
#define LLM "llm: {provider: scripted}\n"
#define CONTRIB(x) LLM "systemPrompt:\n  contributors:\n    - " x "\n"
#define CDN LLM "dataSources:\n  cdn: {type: http, baseUrl: " \
    "https://cdn.example.com}\n"
#define SP "systemPrompt:\n  contributors:\n    - "

static const bad_case bad_cases[] = {
    BAD("unknown top-level key", LLM "storge: {}\n", 2, 1,
     "unknown key 'storge' in agent config; did you mean 'storage'?"),
    BAD("llm missing", "storage: {database: memory}\n", 1, 1,
     "agent config needs 'llm' (provider: openai or scripted, and its "
     "settings)"),
    BAD("provider misspelt", "llm: {provider: opnai}\n", 1, 17,
     "unknown llm provider 'opnai'; did you mean 'openai'? (expected openai "
     "or scripted)"),
    BAD("provider missing", "llm: {model: m}\n", 1, 6,
     "llm needs 'provider' (openai or scripted)"),
    BAD("openai without model", "llm: {provider: openai}\n", 1, 6,
     "llm needs 'model' for provider openai (e.g. gpt-4o-mini)"),
    BAD("unknown llm key", "llm: {provider: scripted, maxIteration: 3}\n", 1,
     27, "unknown key 'maxIteration' in llm; did you mean 'maxIterations'?"),
    BAD("baseURL not a URL", "llm: {provider: openai, model: m, baseURL: "
     "localhost:8080}\n", 1, 44, "baseURL must be an http:// or https:// "
     "URL, found 'localhost:8080'"),
    BAD("maxIterations out of range", "llm: {provider: scripted, "
     "maxIterations: 0}\n", 1, 42,
     "maxIterations must be between 1 and 1000, found 0"),
    BAD("pace given twice", "llm: {provider: scripted, tokens_per_second: 5, "
     "tokensPerSecond: 6}\n", 1, 66, "give the pace once: tokens_per_second "
     "and tokensPerSecond are the same setting"),
    BAD("price not a number", "llm: {provider: scripted, price: "
     "{inputPerMTok: cheap}}\n", 1, 49,
     "expected inputPerMTok as a number (a decimal with at most 12 places), "
     "found 'cheap'"),
    BAD("toolCall not enabled", "llm: {provider: scripted, toolCall: "
     "currentTime}\n", 1, 37,
     "toolCall 'currentTime' is not enabled; add it to 'tools'"),
    BAD("unknown tool", LLM "tools: [readResorce]\n", 2, 9,
     "unknown tool 'readResorce'; did you mean 'readResource'? (expected "
     "readResource or currentTime)"),
    BAD("tool twice", LLM "tools: [currentTime, currentTime]\n", 2, 22,
     "tool 'currentTime' is listed twice"),
    BAD("relative prompt file", CONTRIB("{name: a, type: file, file: "
     "prompts/base.md}"), 4, 35, "System prompt file must be an absolute URI "
     "(file://, s3://, http://, https://). Use ${{dexto.agent_dir}} template "
     "for local files."),
    BAD("absolute path without scheme", CONTRIB("{name: a, type: file, file: "
     "/opt/agents/p.md}"), 4, 35, "System prompt file must be an absolute "
     "URI (file://, s3://, http://, https://). Use ${{dexto.agent_dir}} "
     "template for local files."),
    BAD("unsupported scheme", CONTRIB("{name: a, type: file, uri: "
     "ftp://host/p.md}"), 4, 34, "Invalid System prompt file scheme \"ftp\". "
     "Must be one of: file, s3, http, https"),
    BAD("file URI with a host", CONTRIB("{name: a, type: file, file: "
     "\"file://prompts/base.md\"}"), 4, 35, "Invalid file:// URI. Must use "
     "absolute path: file:///absolute/path"),
    BAD("s3 URI without key", CONTRIB("{name: a, type: file, file: "
     "\"s3://bucket\"}"), 4, 35, "Invalid s3:// URI. Must name a bucket and "
     "key: s3://bucket/key"),
    BAD("unknown dataSource", CDN SP "{name: a, "
     "type: file, file: \"https://cdn.example.com/a.md\", dataSource: "
     "cdnn}\n", 6, 79, "Unknown dataSource \"cdnn\". Available: cdn, fs"),
    BAD("scheme does not match type", CDN SP
     "{name: a, type: file, file: \"https://cdn.example.com/a.md\", "
     "dataSource: fs}\n", 6, 35, "URI scheme \"https://\" doesn't match "
     "dataSource type \"fs\". Expected: file"),
    BAD("file URI on an http source", CDN SP
     "{name: a, type: file, file: \"file:///etc/motd\", dataSource: cdn}\n",
     6, 35, "URI scheme \"file://\" doesn't match dataSource type \"http\". "
     "Expected: http, https"),
    BAD("s3 URI on an fs source", CONTRIB("{name: a, type: file, file: "
     "\"s3://b/k\", dataSource: fs}"), 4, 35, "URI scheme \"s3://\" doesn't "
     "match dataSource type \"fs\". Expected: file"),
    BAD("URI outside baseUrl", CDN SP
     "{name: a, type: file, file: \"https://cdn.example.com.evil.io/a.md\", "
     "dataSource: cdn}\n", 6, 35, "\"https://cdn.example.com.evil.io/a.md\" "
     "is not under baseUrl \"https://cdn.example.com\" of dataSource \"cdn\""),
    BAD("dot segments out of the baseUrl path",
     LLM "dataSources: {cdn: {type: http, baseUrl: "
     "\"https://cdn.example.com/prompts\"}}\n" SP "{name: a, type: file, "
     "file: \"https://cdn.example.com/prompts/../admin.md\", dataSource: "
     "cdn}\n", 5, 35, "\"https://cdn.example.com/prompts/../admin.md\" is "
     "not under baseUrl \"https://cdn.example.com/prompts\" of dataSource "
     "\"cdn\""),
    BAD("no source covers an https URI", CONTRIB("{name: a, type: file, file: "
     "\"https://elsewhere.example/a.md\"}"), 4, 35, "No dataSource covers "
     "\"https://elsewhere.example/a.md\": it needs one of type http whose "
     "baseUrl the URI lies under"),
    BAD("file outside every root", CONTRIB("{name: a, type: file, file: "
     "\"file:///etc/passwd\"}"), 4, 35, "No dataSource covers "
     "\"file:///etc/passwd\": it needs one of type fs with a root that "
     "contains the file"),
    BAD("dot-dot out of the roots", "llm: {provider: scripted}\n"
     "dataSources: {fs: {type: fs, roots: [/srv/a]}}\n"
     "systemPrompt:\n  contributors:\n    - {name: a, type: file, file: "
     "\"file:///srv/a/../b/x.md\", dataSource: fs}\n", 5, 35,
     "\"file:///srv/a/../b/x.md\" is outside the roots of dataSource \"fs\" "
     "(/srv/a)"),
    BAD("s3 bucket mismatch", "llm: {provider: scripted}\n"
     "dataSources: {s: {type: s3, bucket: one, region: r}}\n"
     "systemPrompt:\n  contributors:\n    - {name: a, type: file, file: "
     "\"s3://two/k.md\", dataSource: s}\n", 5, 35, "\"s3://two/k.md\" is not "
     "in bucket \"one\" of dataSource \"s\""),
    BAD("contributor without type", CONTRIB("{name: a, content: hi}"), 4, 7,
     "contributor needs 'type' (static or file)"),
    BAD("contributor without name", CONTRIB("{type: static, content: hi}"), 4,
     7, "contributor needs 'name'"),
    BAD("contributor type misspelt",
     CONTRIB("{name: a, type: statik, content: hi}"), 4, 23,
     "unknown contributor type 'statik'; did you mean "
     "'static'? (expected static or file)"),
    BAD("static contributor with a file", CONTRIB("{name: a, type: static, "
     "content: hi, file: \"file:///x\"}"), 4, 50,
     "a static contributor takes 'content', not 'file'"),
    BAD("static contributor without content", CONTRIB("{name: a, type: "
     "static}"), 4, 7, "a static contributor needs 'content'"),
    BAD("file contributor with both", CONTRIB("{name: a, type: file, file: "
     "\"file:///x\", uri: \"file:///y\"}"), 4, 53, "a file contributor "
     "needs exactly one of 'file', 'uri' and 'files' (an absolute URI, e.g. "
     "${{dexto.agent_dir}}/prompts/base.md, or a list of them)"),
    BAD("file and files together", CONTRIB("{name: a, type: file, file: "
     "\"file:///x\", files: [\"file:///y\"]}"), 4, 55, "a file contributor "
     "needs exactly one of 'file', 'uri' and 'files' (an absolute URI, e.g. "
     "${{dexto.agent_dir}}/prompts/base.md, or a list of them)"),
    BAD("files entry outside every root", CONTRIB("{name: a, type: file, "
     "files: [\"file:///x\"]}"), 4, 37, "systemPrompt.contributors[0]."
     "files[0]: No dataSource covers \"file:///x\": it needs one of type fs "
     "with a root that contains the file"),
    BAD("relative files entry", CONTRIB("{name: a, type: file, files: "
     "[\"${{dexto.agent_dir}}/a.md\", prompts/b.md]}"), 4, 66,
     "systemPrompt.contributors[0].files[1]: System prompt file must be an "
     "absolute URI (file://, s3://, http://, https://). Use "
     "${{dexto.agent_dir}} template for local files."),
    BAD("empty files entry", CONTRIB("{name: a, type: file, files: "
     "[\"${{dexto.agent_dir}}/a.md\", \"\"]}"), 4, 66,
     "systemPrompt.contributors[0].files[1]: System prompt file must be an "
     "absolute URI (file://, s3://, http://, https://). Use "
     "${{dexto.agent_dir}} template for local files."),
    BAD("files entry not a string", CONTRIB("{name: a, type: file, files: "
     "[{uri: \"file:///x\"}]}"), 4, 37, "systemPrompt.contributors[0]."
     "files[0]: expected an absolute URI as a string, found a mapping"),
    BAD("files entry a list", LLM SP "{name: s, type: static, content: x}\n"
     "    - name: a\n      type: file\n      files:\n        - "
     "${{dexto.agent_dir}}/a.md\n        - [\"file:///x\"]\n", 9, 11,
     "systemPrompt.contributors[1].files[1]: expected an absolute URI as a "
     "string, found a list"),
    BAD("empty files list", CONTRIB("{name: a, type: file, files: []}"), 4,
     36, "systemPrompt.contributors[0].files: expected files as a list of "
     "at least one absolute URI (e.g. [${{dexto.agent_dir}}/prompts/base.md"
     "]), found an empty list"),
    BAD("files as one string", CONTRIB("{name: a, type: file, files: "
     "\"file:///x\"}"), 4, 36, "systemPrompt.contributors[0].files: "
     "expected files as a list of at least one absolute URI (e.g. "
     "[${{dexto.agent_dir}}/prompts/base.md]), found a single value"),
    BAD("files entry scheme against its dataSource", CDN SP "{name: a, type: "
     "file, dataSource: fs, files: [\"${{dexto.agent_dir}}/a.md\", "
     "\"https://cdn.example.com/b.md\"]}\n", 6, 82,
     "systemPrompt.contributors[0].files[1]: URI scheme \"https://\" "
     "doesn't match dataSource type \"fs\". Expected: file"),
    BAD("unknown dataSource once for all files", CDN SP "{name: a, type: "
     "file, dataSource: cdnn, files: [\"https://cdn.example.com/a.md\", "
     "\"https://cdn.example.com/b.md\"]}\n", 6, 41, "Unknown dataSource "
     "\"cdnn\". Available: cdn, fs"),
    BAD("unknown template variable in a files entry", CONTRIB("{name: a, "
     "type: file, files: [\"${{dexto.agent_path}}/a.md\"]}"), 4, 38,
     "unknown template variable '${{dexto.agent_path}}' in "
     "systemPrompt.contributors[0].files[0]; the only one is "
     "${{dexto.agent_dir}}"),
    BAD("static contributor with files", CONTRIB("{name: a, type: static, "
     "content: hi, files: [\"file:///x\"]}"), 4, 51,
     "a static contributor takes 'content', not 'files'"),
    BAD("duplicate of a files contributor", LLM SP "{name: a, type: file, "
     "files: [\"${{dexto.agent_dir}}/a.md\", \"${{dexto.agent_dir}}/b.md\"]}"
     "\n    - {name: a, type: static, content: y}\n", 5, 14,
     "duplicate contributor name 'a'"),
    BAD("duplicate contributor", LLM "systemPrompt:\n  contributors:\n"
     "    - {name: a, type: static, content: x}\n"
     "    - {name: a, type: static, content: y}\n", 5, 14,
     "duplicate contributor name 'a'"),
    BAD("dataSource without type", LLM "dataSources: {x: {roots: [/a]}}\n", 2,
     18, "dataSource 'x' needs 'type' (fs, http or s3)"),
    BAD("dataSource type misspelt", LLM "dataSources: {x: {type: s4}}\n", 2,
     25, "unknown dataSource type 's4'; did you mean 's3'? (expected fs, http "
     "or s3)"),
    BADN("dataSource key misspelt", LLM "dataSources:\n  cdn: {type: http, "
     "baseURL: https://x.io}\n", 3, 21, "unknown key 'baseURL' in dataSource "
     "'cdn' (type http); did you mean 'baseUrl'?", 2),
    BAD("fs key on an s3 source", LLM "dataSources:\n  s: {type: s3, bucket: "
     "b, region: r, roots: [/a]}\n", 3, 39, "unknown key 'roots' in "
     "dataSource 's' (type s3); expected one of type, description, bucket, "
     "region, endpoint, credentials, timeout or maxBytes"),
    BAD("http source without baseUrl", LLM "dataSources: {cdn: {type: "
     "http}}\n", 2, 20, "dataSource 'cdn' (type http) needs 'baseUrl' (e.g. "
     "https://cdn.example.com)"),
    BAD("baseUrl not a URL", LLM "dataSources: {cdn: {type: http, baseUrl: "
     "cdn.example.com}}\n", 2, 42, "baseUrl must be an http:// or https:// "
     "URL, found 'cdn.example.com'"),
    BAD("baseUrl of another scheme", LLM "dataSources: {cdn: {type: http, "
     "baseUrl: \"ftp://cdn.example.com\"}}\n", 2, 42, "baseUrl must be an "
     "http:// or https:// URL, found 'ftp://cdn.example.com'"),
    BAD("s3 without region", LLM "dataSources: {s: {type: s3, bucket: b}}\n",
     2, 18, "dataSource 's' (type s3) needs 'region' (the AWS region, e.g. "
     "us-east-1)"),
    BAD("s3 endpoint not a URL", LLM "dataSources: {s: {type: s3, bucket: b, "
     "region: r, endpoint: minio:9000}}\n", 2, 61, "endpoint must be an "
     "http:// or https:// URL, found 'minio:9000'"),
    BAD("half the s3 keys",
     LLM "dataSources:\n  s:\n    type: s3\n    bucket: b\n"
     "    region: r\n    credentials: {accessKeyId: AKID}\n", 7, 18,
     "credentials need both accessKeyId and secretAccessKey (secretAccessKey "
     "is missing)"),
    BAD("keys and a profile", LLM "dataSources:\n  s:\n    type: s3\n    "
     "bucket: b\n    region: r\n    credentials: {accessKeyId: A, "
     "secretAccessKey: S, profile: p}\n", 7, 18, "credentials take either "
     "accessKeyId and secretAccessKey or a profile, not both"),
    BAD("unknown credentials key", LLM "dataSources:\n  s:\n    type: s3\n    "
     "bucket: b\n    region: r\n    credentials: {secretKey: S}\n", 7, 19,
     "unknown key 'secretKey' in credentials; expected one of accessKeyId, "
     "secretAccessKey, sessionToken or profile"),
    BAD("timeout not a time", LLM "dataSources: {cdn: {type: http, baseUrl: "
     "\"https://x.io\", timeout: soon}}\n", 2, 67, "expected timeout as "
     "milliseconds or a duration with a unit (ms, s, m, h or d, e.g. 30s), "
     "found 'soon'"),
    BAD("maxBytes zero", LLM "dataSources: {cdn: {type: http, baseUrl: "
     "\"https://x.io\", maxBytes: 0}}\n", 2, 68, "maxBytes must be between 1 "
     "and 1073741824, found 0"),
    BAD("header with a line break",
     LLM "dataSources:\n  cdn:\n    type: http\n"
     "    baseUrl: https://x.io\n    headers: {X-A: \"a\\r\\nX-B: b\"}\n", 6,
     20, "header 'X-A' must not contain a line break"),
    BAD("unset variable in a header", LLM "dataSources:\n  cdn:\n    type: "
     "http\n    baseUrl: https://cdn.example.com\n    headers:\n      "
     "Authorization: \"Bearer ${AG_UNSET_TOKEN}\"\n", 7, 30,
     "header 'Authorization' uses environment variable 'AG_UNSET_TOKEN', "
     "which is not set"),
    BAD("unset variable in a plain value",
     "llm:\n  provider: openai\n  model: gpt-${AG_UNSET_MODEL}\n", 3, 14,
     "model uses environment variable "
     "'AG_UNSET_MODEL', which is not set"),
    BAD("unterminated variable", "llm: {provider: openai, model: \"gpt-${X\"}"
     "\n", 1, 37, "unterminated '${' in model; write ${NAME} for an "
     "environment variable or $${ for a literal ${"),
    BAD("bad variable name", "llm: {provider: openai, model: \"${1X}\"}\n", 1,
     33, "invalid environment variable name '1X' in model"),
    BAD("unknown template variable", CONTRIB("{name: a, type: file, file: "
     "\"${{dexto.agent_path}}/a.md\"}"), 4, 36, "unknown template variable "
     "'${{dexto.agent_path}}' in file; the only one is ${{dexto.agent_dir}}"),
    BAD("storage kind misspelt", LLM "storage: {database: sqllite}\n", 2, 21,
     "unknown storage database 'sqllite'; did you mean 'sqlite'? (expected "
     "sqlite or memory)"),
    BAD("Dexto's nested database", LLM "storage: {database: {type: sqlite}}\n",
     2, 21, "expected storage database as one of sqlite or memory, found a "
     "mapping"),
    BAD("path with memory storage", LLM "storage: {database: memory, path: "
     "a.db}\n", 2, 35, "'path' applies only to database sqlite"),
    BAD("sessionTTL without unit",
     LLM "sessions: {sessionTTL: 1 hour}\n", 2, 24,
     "expected sessionTTL as milliseconds or a duration with a unit (ms, s, "
     "m, h or d, e.g. 30s), found '1 hour'"),
    BAD("sessionTTL too short", LLM "sessions: {sessionTTL: 10ms}\n", 2, 24,
     "sessionTTL must be between 1000 ms and 31622400000 ms, found 10ms"),
    BAD("unknown server key", LLM "server: {pingIntervall: 5s}\n", 2, 10,
     "unknown key 'pingIntervall' in server; did you mean 'pingInterval'?"),
    BAD("streamBuffer zero", LLM "server: {streamBuffer: 0}\n", 2, 24,
     "streamBuffer must be between 1 and 1000000, found 0"),
    BAD("pace of zero", "llm: {provider: scripted, tokensPerSecond: 0}\n",
     1, 44, "tokens_per_second must be above 0"),
    BAD("tools not a list", LLM "tools: readResource\n", 2, 8,
     "expected tools as a list of tool names (readResource, currentTime)"),
    BAD("dataSources not a map", LLM "dataSources: [fs]\n", 2, 14,
     "expected dataSources as a mapping of names to data sources"),
};

Test(config, every_error_has_its_exact_text_and_position)
{
    unsetenv("AG_UNSET_TOKEN");
    unsetenv("AG_UNSET_MODEL");
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        loaded t = {0};
        load_yaml(&t, b->yaml);
        cr_expect_eq(t.rc, SIM_EPARSE, "%s: rc %d", b->name, t.rc);
        cr_expect_null(t.c, "%s: no config on error", b->name);
        cr_expect_eq(t.d.errors, b->errors,
                     "%s: %zu errors, first: %s", b->name,
                     t.d.errors, t.d.n ? t.d.v[0].message : "");
        if (t.d.n > 0) {
            const sim_diag_entry *e = &t.d.v[0];
            /* On a mismatch, show what was reported, caret and all. */
            if (t.d.n != b->errors || e->line != b->line ||
                e->col != b->col || strcmp(e->message, b->message) != 0) {
                fprintf(stderr, "--- %s\n", b->name);
                sim_diag_print(&t.d, stderr);
            }
            cr_expect_str_eq(e->message, b->message, "%s", b->name);
            cr_expect_eq(e->line, b->line, "%s: line %d", b->name, e->line);
            cr_expect_eq(e->col, b->col, "%s: col %d", b->name, e->col);
            cr_expect_str_eq(e->file, t.path, "%s", b->name);
            cr_expect_not_null(e->source, "%s: the source line", b->name);
        }
        unload(&t);
    }
}

Test(config, s3_source_missing_both_bucket_and_region_reports_both)
{
    loaded t = {0};
    load_yaml(&t, LLM "dataSources:\n  s: {type: s3}\n");
    cr_assert_eq(t.rc, SIM_EPARSE);
    cr_assert_eq(t.d.errors, 2);
    cr_assert_str_eq(t.d.v[0].message, "dataSource 's' (type s3) needs "
                     "'bucket' (the S3 bucket name)");
    cr_assert_str_eq(t.d.v[1].message, "dataSource 's' (type s3) needs "
                     "'region' (the AWS region, e.g. us-east-1)");
    cr_assert_eq(t.d.v[0].line, 3);
    cr_assert_eq(t.d.v[0].col, 6);
    unload(&t);
}

Test(config, several_errors_are_all_reported)
{
    loaded t = {0};
    load_yaml(&t, "llm: {provider: scripted, tokens: 0}\n"
              "tools: [nope]\n"
              "sessions: {maxSessions: -1}\n");
    cr_assert_eq(t.rc, SIM_EPARSE);
    cr_assert_eq(t.d.errors, 3);
    unload(&t);
}

Test(config, each_bad_files_entry_is_reported_at_its_own_path)
{
    loaded t = {0};
    load_yaml(&t, LLM SP "{name: a, type: file, files: [a.md, "
              "\"${{dexto.agent_dir}}/ok.md\", {x: 1}, \"ftp://h/p\"]}\n");
    cr_assert_eq(t.rc, SIM_EPARSE);
    cr_assert_eq(t.d.errors, 3);
    cr_assert_str_eq(t.d.v[0].message, "systemPrompt.contributors[0]."
                     "files[0]: System prompt file must be an absolute URI "
                     "(file://, s3://, http://, https://). Use "
                     "${{dexto.agent_dir}} template for local files.");
    cr_assert_eq(t.d.v[0].line, 4);
    cr_assert_eq(t.d.v[0].col, 37);
    cr_assert_str_eq(t.d.v[1].message, "systemPrompt.contributors[0]."
                     "files[2]: expected an absolute URI as a string, found "
                     "a mapping");
    cr_assert_eq(t.d.v[1].col, 73);
    cr_assert_str_eq(t.d.v[2].message, "systemPrompt.contributors[0]."
                     "files[3]: Invalid System prompt file scheme \"ftp\". "
                     "Must be one of: file, s3, http, https");
    cr_assert_eq(t.d.v[2].col, 81);
    unload(&t);
}

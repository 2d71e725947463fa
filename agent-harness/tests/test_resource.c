/*
 * test_resource.c -- the resource loader against real servers: files under
 * a temporary agent dir, an HTTP server in this process (civetweb, so the
 * test sees the headers that arrived), and an S3-compatible server started
 * by s3_server.sh before the tests run (moto, which checks signatures).
 * AWS's own published examples pin the SigV4 signer.
 *
 * Set AG_SKIP_S3=1 to skip the S3 tests on a machine without moto or npm;
 * otherwise a server that cannot start fails them.
 */
/* realpath, mkdtemp and symlink are X/Open extensions beyond POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "agent-harness/config.h"
#include "agent-harness/resource.h"
#include "base/fixed.h"

#define S3_SCRIPT AGENT_TEST_DIR "/s3_server.sh"
#define S3_SEED AGENT_TEST_DIR "/fixtures/s3"

/* ---- an agent dir with a config ---- */

typedef struct agent {
    char dir[256];                  /* resolved temporary directory */
    ag_config *c;
    ag_buf out;
    char err[1024];
} agent;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void make_agent_dir(agent *a)
{
    char tmp[64] = "/tmp/ag-res-XXXXXX", real[PATH_MAX];
    cr_assert_not_null(mkdtemp(tmp));
    cr_assert_not_null(realpath(tmp, real));
    cr_assert_lt(strlen(real), sizeof a->dir);
    memcpy(a->dir, real, strlen(real) + 1);
    ag_buf_init(&a->out);
    a->c = NULL;
}

/* Writes agent.yaml (yaml is a printf format; %1$s is the agent dir). */
static void load_config(agent *a, const char *yaml)
{
    char path[512];
    sim_diag d;
    sim_diag_init(&d);
    write_file(a->dir, "agent.yaml", yaml);
    snprintf(path, sizeof path, "%s/agent.yaml", a->dir);
    int rc = ag_config_load(path, &d, &a->c);
    if (rc != SIM_OK)
        sim_diag_print(&d, stderr);
    cr_assert_eq(rc, SIM_OK, "the test's config did not load");
    sim_diag_fini(&d);
}

static void agent_fini(agent *a)
{
    char cmd[512];
    ag_buf_fini(&a->out);
    ag_config_free(a->c);
    if (a->dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", a->dir);
        cr_assert_eq(system(cmd), 0);
    }
}

static int load(agent *a, const char *uri, const char *source)
{
    ag_buf_fini(&a->out);
    a->err[0] = '\0';
    return ag_res_load(a->c, uri, source, &a->out, a->err, sizeof a->err);
}

/* ---- fs ---- */

static void fs_tree(agent *a)
{
    char p[512];
    make_agent_dir(a);
    snprintf(p, sizeof p, "%s/root", a->dir);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/outside", a->dir);
    cr_assert_eq(mkdir(p, 0700), 0);
    write_file(a->dir, "secret.txt", "do not serve\n");
    write_file(a->dir, "root/prompt.md", "hello from fs\n");
    write_file(a->dir, "root/a b.md", "spaced\n");
    write_file(a->dir, "root/ten.txt", "0123456789");
    write_file(a->dir, "root/eleven.txt", "0123456789A");
    write_file(a->dir, "root/empty.txt", "");
    write_file(a->dir, "prompt.md", "in the agent dir\n");
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/secret.txt", a->dir);
    snprintf(link, sizeof link, "%s/root/evil.md", a->dir);
    cr_assert_eq(symlink(target, link), 0);
    snprintf(target, sizeof target, "%s/outside", a->dir);
    snprintf(link, sizeof link, "%s/root/door", a->dir);
    cr_assert_eq(symlink(target, link), 0);
    load_config(a, "llm: {provider: scripted}\n"
                "dataSources:\n"
                "  local: {type: fs, roots: [root], maxBytes: 10}\n");
}

static void uri_of(char *buf, size_t size, const agent *a, const char *rel)
{
    snprintf(buf, size, "file://%s/%s", a->dir, rel);
}

Test(resource_fs, reads_a_file_under_a_root)
{
    agent a;
    char uri[600];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/ten.txt");
    cr_assert_eq(load(&a, uri, "local"), SIM_OK, "%s", a.err);
    cr_assert_eq(a.out.len, 10);
    cr_assert_str_eq(a.out.data, "0123456789");
    /* Chosen by scheme and root when no source is named. */
    cr_assert_eq(load(&a, uri, NULL), SIM_OK, "%s", a.err);
    uri_of(uri, sizeof uri, &a, "root/a%20b.md");
    cr_assert_eq(load(&a, uri, "local"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "spaced\n");
    uri_of(uri, sizeof uri, &a, "root/empty.txt");
    cr_assert_eq(load(&a, uri, "local"), SIM_OK, "%s", a.err);
    cr_assert_eq(a.out.len, 0);
    cr_assert_str_eq(a.out.data, "");
    agent_fini(&a);
}

Test(resource_fs, the_agent_dir_is_the_implicit_fs_source)
{
    agent a;
    char uri[600];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "prompt.md");
    cr_assert_eq(load(&a, uri, NULL), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "in the agent dir\n");
    cr_assert_eq(load(&a, uri, "fs"), SIM_OK, "%s", a.err);
    agent_fini(&a);
}

Test(resource_fs, dot_dot_out_of_the_root_is_refused)
{
    agent a;
    char uri[600], want[1200];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/../secret.txt");
    cr_assert_eq(load(&a, uri, "local"), SIM_EINVAL);
    snprintf(want, sizeof want, "\"%s\" is outside the roots of dataSource "
             "\"local\" (%s/root)", uri, a.dir);
    cr_assert_str_eq(a.err, want);
    cr_assert_null(a.out.data);
    agent_fini(&a);
}

Test(resource_fs, dot_dot_through_a_symlinked_dir_is_refused)
{
    agent a;
    char uri[600], want[1200];
    fs_tree(&a);
    /* Lexically root/secret.txt; really outside/../secret.txt. */
    uri_of(uri, sizeof uri, &a, "root/door/../secret.txt");
    cr_assert_eq(load(&a, uri, "local"), SIM_EINVAL);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"local\": the path leads outside the dataSource's "
             "roots", uri);
    cr_assert_str_eq(a.err, want);
    agent_fini(&a);
}

Test(resource_fs, symlink_out_of_the_root_is_refused)
{
    agent a;
    char uri[600], want[1200];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/evil.md");
    cr_assert_eq(load(&a, uri, "local"), SIM_EINVAL);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"local\": the path leads outside the dataSource's "
             "roots", uri);
    cr_assert_str_eq(a.err, want);
    cr_assert_null(a.out.data);
    agent_fini(&a);
}

Test(resource_fs, size_cap_applies)
{
    agent a;
    char uri[600], want[1200];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/eleven.txt");
    cr_assert_eq(load(&a, uri, "local"), SIM_ERANGE);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"local\": larger than maxBytes (10 bytes)", uri);
    cr_assert_str_eq(a.err, want);
    cr_assert_null(a.out.data);
    agent_fini(&a);
}

Test(resource_fs, missing_file_is_not_found)
{
    agent a;
    char uri[600], want[1200];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/nope.md");
    cr_assert_eq(load(&a, uri, "local"), SIM_ENOTFOUND);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"local\": No such file or directory", uri);
    cr_assert_str_eq(a.err, want);
    agent_fini(&a);
}

Test(resource_fs, the_agents_own_config_and_database_are_not_served)
{
    agent a;
    char uri[600];
    fs_tree(&a);
    write_file(a.dir, "agent.db", "every tenant's history");
    uri_of(uri, sizeof uri, &a, "agent.yaml");
    cr_assert_eq(load(&a, uri, "fs"), SIM_EINVAL);
    cr_assert(strstr(a.err, "the agent's own config and database are not "
                     "served"), "%s", a.err);
    uri_of(uri, sizeof uri, &a, "agent.db");
    cr_assert_eq(load(&a, uri, "fs"), SIM_EINVAL);
    agent_fini(&a);
}

Test(resource_fs, directories_are_not_files)
{
    agent a;
    char uri[600];
    fs_tree(&a);
    uri_of(uri, sizeof uri, &a, "root/door");
    cr_assert_eq(load(&a, uri, "fs"), SIM_EINVAL);
    cr_assert(strstr(a.err, "not a regular file"), "%s", a.err);
    agent_fini(&a);
}

Test(resource_fs, agent_dir_template_survives_uri_characters_in_the_path)
{
    agent a;
    char odd[512], path[600];
    sim_diag d;
    ag_config *c = NULL;
    ag_buf out;
    make_agent_dir(&a);
    snprintf(odd, sizeof odd, "%s/50%% #1 ?", a.dir);
    cr_assert_eq(mkdir(odd, 0700), 0);
    write_file(odd, "p.md", "odd\n");
    write_file(odd, "agent.yaml", "llm: {provider: scripted}\n"
               "systemPrompt:\n  contributors:\n"
               "    - {name: p, type: file, "
               "file: \"${{dexto.agent_dir}}/p.md\"}\n");
    snprintf(path, sizeof path, "%s/agent.yaml", odd);
    sim_diag_init(&d);
    cr_assert_eq(ag_config_load(path, &d, &c), SIM_OK);
    snprintf(path, sizeof path, "file://%s/50%%25 %%231 %%3F/p.md", a.dir);
    cr_assert_str_eq(c->prompt[0].uri, path);
    ag_buf_init(&out);
    cr_assert_eq(ag_res_load(c, c->prompt[0].uri, c->prompt[0].source, &out,
                             a.err, sizeof a.err), SIM_OK, "%s", a.err);
    cr_assert_str_eq(out.data, "odd\n");
    ag_buf_fini(&out);
    ag_config_free(c);
    sim_diag_fini(&d);
    agent_fini(&a);
}

Test(resource_fs, bad_uris_and_sources_are_refused)
{
    agent a;
    char uri[600];
    fs_tree(&a);
    cr_assert_eq(load(&a, "ftp://host/x", NULL), SIM_EINVAL);
    cr_assert_str_eq(a.err, "Unsupported URI scheme: ftp://host/x. "
                     "Supported: file, s3, http, https");
    cr_assert_eq(load(&a, "prompts/x.md", NULL), SIM_EINVAL);
    cr_assert_str_eq(a.err, "Resource URI must be an absolute URI (file://, "
                     "s3://, http://, https://). Use ${{dexto.agent_dir}} "
                     "template for local files.");
    cr_assert_eq(load(&a, "file://host/etc/passwd", NULL), SIM_EINVAL);
    cr_assert_str_eq(a.err, "Invalid file:// URI. Must use absolute path: "
                     "file:///absolute/path");
    cr_assert_eq(load(&a, "file:///etc/passwd", NULL), SIM_ENOTFOUND);
    cr_assert_str_eq(a.err, "No dataSource covers \"file:///etc/passwd\": it "
                     "needs one of type fs with a root that contains the "
                     "file");
    uri_of(uri, sizeof uri, &a, "root/ten.txt");
    cr_assert_eq(load(&a, uri, "nope"), SIM_ENOTFOUND);
    cr_assert_str_eq(a.err, "Unknown dataSource \"nope\". Available: local, "
                     "fs");
    cr_assert_eq(load(&a, "https://example.com/x", "local"), SIM_EINVAL);
    cr_assert_str_eq(a.err, "URI scheme \"https://\" doesn't match "
                     "dataSource type \"fs\". Expected: file");
    agent_fini(&a);
}

/* ---- http, against civetweb in this process ---- */

typedef struct seen {
    pthread_mutex_t lock;
    char auth[256], team[256], agent[256];
    int requests;
} seen;

static seen http_seen = {PTHREAD_MUTEX_INITIALIZER, "", "", "", 0};

static void copy_header(struct mg_connection *conn, const char *name,
                        char *dst, size_t size)
{
    const char *v = mg_get_header(conn, name);
    snprintf(dst, size, "%s", v ? v : "");
}

static int on_ok(struct mg_connection *conn, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&http_seen.lock);
    copy_header(conn, "Authorization", http_seen.auth, sizeof http_seen.auth);
    copy_header(conn, "X-Team", http_seen.team, sizeof http_seen.team);
    copy_header(conn, "User-Agent", http_seen.agent, sizeof http_seen.agent);
    http_seen.requests++;
    pthread_mutex_unlock(&http_seen.lock);
    mg_send_http_ok(conn, "text/markdown", 11);
    mg_write(conn, "hello http\n", 11);
    return 200;
}

static int on_slow(struct mg_connection *conn, void *ud)
{
    (void)ud;
    struct timespec ts = {1, 200000000};
    nanosleep(&ts, NULL);
    mg_send_http_ok(conn, "text/plain", 4);
    mg_write(conn, "late", 4);
    return 200;
}

/* 100 KB, announced by Content-Length (curl stops before the body). */
static int on_big(struct mg_connection *conn, void *ud)
{
    static char block[1024];
    (void)ud;
    memset(block, 'x', sizeof block);
    mg_send_http_ok(conn, "text/plain", 100 * 1024);
    for (int i = 0; i < 100; i++)
        mg_write(conn, block, sizeof block);
    return 200;
}

/* 100 KB chunked, with no length: the cap stops it mid-transfer. */
static int on_chunked(struct mg_connection *conn, void *ud)
{
    static char block[1024];
    (void)ud;
    memset(block, 'y', sizeof block);
    mg_send_http_ok(conn, "text/plain", -1);
    for (int i = 0; i < 100; i++)
        if (mg_send_chunk(conn, block, sizeof block) < 0)
            break;
    mg_send_chunk(conn, "", 0);
    return 200;
}

static int on_status(struct mg_connection *conn, void *ud)
{
    int code = (int)(intptr_t)ud;
    if (code == 302)
        return mg_send_http_redirect(conn, "/ok/elsewhere", 302) < 0 ? 0
                                                                     : 302;
    mg_send_http_error(conn, code, "status %d", code);
    return code;
}

typedef struct http_server {
    struct mg_context *ctx;
    int port;
} http_server;

static void http_start(http_server *h)
{
    const char *options[] = {"listening_ports", "127.0.0.1:0",
                             "num_threads", "4", NULL};
    struct mg_callbacks cb;
    struct mg_server_port ports[2];
    memset(&cb, 0, sizeof cb);
    h->ctx = mg_start(&cb, NULL, options);
    cr_assert_not_null(h->ctx, "civetweb did not start");
    cr_assert_geq(mg_get_server_ports(h->ctx, 2, ports), 1);
    h->port = ports[0].port;
    cr_assert_gt(h->port, 0);
    mg_set_request_handler(h->ctx, "/ok", on_ok, NULL);
    mg_set_request_handler(h->ctx, "/slow", on_slow, NULL);
    mg_set_request_handler(h->ctx, "/big", on_big, NULL);
    mg_set_request_handler(h->ctx, "/chunked", on_chunked, NULL);
    mg_set_request_handler(h->ctx, "/missing", on_status, (void *)404);
    mg_set_request_handler(h->ctx, "/broken", on_status, (void *)500);
    mg_set_request_handler(h->ctx, "/moved", on_status, (void *)302);
}

static void http_agent(agent *a, http_server *h)
{
    char yaml[1024];
    http_start(h);
    make_agent_dir(a);
    setenv("AG_TEST_HTTP_TOKEN", "s3cr3t", 1);
    snprintf(yaml, sizeof yaml,
             "llm: {provider: scripted}\n"
             "dataSources:\n"
             "  cdn:\n"
             "    type: http\n"
             "    baseUrl: http://127.0.0.1:%d/ok\n"
             "    headers:\n"
             "      Authorization: \"Bearer ${AG_TEST_HTTP_TOKEN}\"\n"
             "      X-Team: agents\n"
             "  site:\n"
             "    type: http\n"
             "    baseUrl: http://127.0.0.1:%d\n"
             "    timeout: 300ms\n"
             "    maxBytes: 1000\n", h->port, h->port);
    load_config(a, yaml);
}

static void http_fini(agent *a, http_server *h)
{
    agent_fini(a);
    mg_stop(h->ctx);
}

Test(resource_http, fetches_with_the_sources_headers)
{
    agent a;
    http_server h;
    char uri[200];
    http_agent(&a, &h);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/ok/prompt.md", h.port);
    cr_assert_eq(load(&a, uri, "cdn"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "hello http\n");
    cr_assert_eq(a.out.len, 11);
    pthread_mutex_lock(&http_seen.lock);
    cr_assert_str_eq(http_seen.auth, "Bearer s3cr3t");
    cr_assert_str_eq(http_seen.team, "agents");
    cr_assert_str_eq(http_seen.agent, "capsim-agent");
    pthread_mutex_unlock(&http_seen.lock);
    /* Without a name, the source whose baseUrl covers the URI. */
    cr_assert_eq(load(&a, uri, NULL), SIM_OK, "%s", a.err);
    http_fini(&a, &h);
}

Test(resource_http, other_sources_do_not_send_the_headers)
{
    agent a;
    http_server h;
    char uri[200];
    http_agent(&a, &h);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/ok/x", h.port);
    cr_assert_eq(load(&a, uri, "site"), SIM_OK, "%s", a.err);
    pthread_mutex_lock(&http_seen.lock);
    cr_assert_str_eq(http_seen.auth, "");
    pthread_mutex_unlock(&http_seen.lock);
    http_fini(&a, &h);
}

Test(resource_http, uri_outside_the_base_url_is_refused_before_sending)
{
    agent a;
    http_server h;
    char uri[200], want[600];
    http_agent(&a, &h);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/okay/x", h.port);
    cr_assert_eq(load(&a, uri, "cdn"), SIM_EINVAL);
    snprintf(want, sizeof want, "\"%s\" is not under baseUrl "
             "\"http://127.0.0.1:%d/ok\" of dataSource \"cdn\"", uri, h.port);
    cr_assert_str_eq(a.err, want);
    /* Dot segments are resolved before the check, as curl would. */
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/ok/../slow", h.port);
    cr_assert_eq(load(&a, uri, "cdn"), SIM_EINVAL);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/ok/./a/../x", h.port);
    cr_assert_eq(load(&a, uri, "cdn"), SIM_OK, "%s", a.err);
    pthread_mutex_lock(&http_seen.lock);
    cr_assert_eq(http_seen.requests, 1);
    pthread_mutex_unlock(&http_seen.lock);
    http_fini(&a, &h);
}

Test(resource_http, timeout_applies)
{
    agent a;
    http_server h;
    char uri[200], want[600];
    http_agent(&a, &h);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/slow", h.port);
    cr_assert_eq(load(&a, uri, "site"), SIM_EIO);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"site\": timed out after 300 ms", uri);
    cr_assert_str_eq(a.err, want);
    cr_assert_null(a.out.data);
    http_fini(&a, &h);
}

Test(resource_http, size_cap_stops_the_transfer)
{
    agent a;
    http_server h;
    char uri[200], want[600];
    http_agent(&a, &h);
    static const char *const paths[] = {"big", "chunked"};
    for (int i = 0; i < 2; i++) {
        snprintf(uri, sizeof uri, "http://127.0.0.1:%d/%s", h.port,
                 paths[i]);
        cr_assert_eq(load(&a, uri, "site"), SIM_ERANGE, "%s", paths[i]);
        snprintf(want, sizeof want, "Failed to load resource from \"%s\" "
                 "using dataSource \"site\": larger than maxBytes (1000 "
                 "bytes)", uri);
        cr_assert_str_eq(a.err, want);
        cr_assert_null(a.out.data);
    }
    http_fini(&a, &h);
}

Test(resource_http, non_2xx_is_an_error_with_the_status)
{
    agent a;
    http_server h;
    char uri[200], want[600];
    http_agent(&a, &h);
    static const struct { const char *path; int rc, status; } cases[] = {
        {"missing", SIM_ENOTFOUND, 404},
        {"broken", SIM_EIO, 500},
        {"moved", SIM_EIO, 302},    /* redirects are not followed */
    };
    for (int i = 0; i < 3; i++) {
        snprintf(uri, sizeof uri, "http://127.0.0.1:%d/%s", h.port,
                 cases[i].path);
        cr_assert_eq(load(&a, uri, "site"), cases[i].rc, "%s: %s",
                     cases[i].path, a.err);
        snprintf(want, sizeof want, "Failed to load resource from \"%s\" "
                 "using dataSource \"site\": HTTP %d", uri, cases[i].status);
        cr_assert_str_eq(a.err, want);
    }
    http_fini(&a, &h);
}

Test(resource_http, connection_refused_is_an_io_error)
{
    agent a;
    make_agent_dir(&a);
    load_config(&a, "llm: {provider: scripted}\n"
                "dataSources: {dead: {type: http, baseUrl: "
                "\"http://127.0.0.1:1\"}}\n");
    cr_assert_eq(load(&a, "http://127.0.0.1:1/x", NULL), SIM_EIO);
    cr_assert(strncmp(a.err, "Failed to load resource from "
                      "\"http://127.0.0.1:1/x\" using dataSource \"dead\": ",
                      73) == 0, "%s", a.err);
    agent_fini(&a);
}

/* ---- SigV4: AWS's published examples ---- */

Test(sigv4, get_vanilla_from_the_aws_test_suite)
{
    /* Header names in mixed case and out of order on purpose. */
    ag_header h[] = {{"X-Amz-Date", "20150830T123600Z"},
                     {"Host", "example.amazonaws.com"}};
    char empty[65], auth[512], sig[65];
    ag_res_sha256_hex("", 0, empty);
    cr_assert_str_eq(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934"
                     "ca495991b7852b855");
    ag_sigv4 r = {"GET", "/", "", h, 2, empty, "20150830T123600Z",
                  "us-east-1", "service", "AKIDEXAMPLE",
                  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    cr_assert_eq(ag_res_sigv4(&r, auth, sizeof auth, sig), SIM_OK);
    cr_assert_str_eq(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9"
                     "b8aae1d763fbf31");
    cr_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
                     "us-east-1/service/aws4_request, SignedHeaders=host;"
                     "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e"
                     "8372ff2a2260956d9b8aae1d763fbf31");
}

Test(sigv4, s3_get_object_example_from_the_aws_docs)
{
    /* "Example: GET Object" in the S3 API reference's SigV4 header
     * authentication page. */
    char empty[65], auth[512], sig[65];
    ag_res_sha256_hex("", 0, empty);
    ag_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Range", "bytes=0-9"},
                     {"x-amz-content-sha256", empty},
                     {"x-amz-date", "20130524T000000Z"}};
    ag_sigv4 r = {"GET", "/test.txt", "", h, 4, empty, "20130524T000000Z",
                  "us-east-1", "s3", "AKIAIOSFODNN7EXAMPLE",
                  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    cr_assert_eq(ag_res_sigv4(&r, auth, sizeof auth, sig), SIM_OK);
    cr_assert_str_eq(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd"
                     "91039c6036bdb41");
    cr_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
                     "20130524/us-east-1/s3/aws4_request, SignedHeaders=host;"
                     "range;x-amz-content-sha256;x-amz-date, Signature="
                     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039"
                     "c6036bdb41");
}

Test(sigv4, values_are_trimmed_and_folded)
{
    char empty[65], a1[512], a2[512];
    ag_res_sha256_hex("", 0, empty);
    ag_header tidy[] = {{"host", "example.amazonaws.com"},
                        {"x-amz-date", "20150830T123600Z"},
                        {"my-header1", "value1 value2"}};
    ag_header messy[] = {{"my-header1", "  value1    value2  "},
                         {"HOST", "example.amazonaws.com"},
                         {"X-AMZ-DATE", "20150830T123600Z"}};
    ag_sigv4 r = {"GET", "/", "", tidy, 3, empty, "20150830T123600Z",
                  "us-east-1", "service", "AKIDEXAMPLE", "secret"};
    cr_assert_eq(ag_res_sigv4(&r, a1, sizeof a1, NULL), SIM_OK);
    r.headers = messy;
    cr_assert_eq(ag_res_sigv4(&r, a2, sizeof a2, NULL), SIM_OK);
    cr_assert_str_eq(a1, a2);
    r.amz_date = "2015-08-30";
    cr_assert_eq(ag_res_sigv4(&r, a2, sizeof a2, NULL), SIM_EINVAL);
    r.amz_date = "20150830T123600Z";
    cr_assert_eq(ag_res_sigv4(&r, a2, 20, NULL), SIM_ERANGE);
}

static void expect_target(const char *endpoint, const char *uri,
                          const char *url, const char *host,
                          const char *path)
{
    ag_source s = {0};
    char *u, *h, *p;
    s.bucket = "my-bucket";
    s.region = "eu-west-1";
    s.endpoint = (char *)endpoint;
    cr_assert_eq(ag_res__s3_target(&s, uri, &u, &h, &p), SIM_OK);
    cr_expect_str_eq(u, url);
    cr_expect_str_eq(h, host);
    cr_expect_str_eq(p, path);
    free(u);
    free(h);
    free(p);
}

Test(sigv4, s3_urls_are_path_style_with_an_endpoint_else_virtual_host)
{
    expect_target(NULL, "s3://my-bucket/a/b c+d.md",
                  "https://my-bucket.s3.eu-west-1.amazonaws.com"
                  "/a/b%20c%2Bd.md",
                  "my-bucket.s3.eu-west-1.amazonaws.com", "/a/b%20c%2Bd.md");
    expect_target("http://127.0.0.1:9000", "s3://my-bucket/k.md",
                  "http://127.0.0.1:9000/my-bucket/k.md", "127.0.0.1:9000",
                  "/my-bucket/k.md");
    /* The Host header carries no port curl would leave out. */
    expect_target("https://r2.example.com:443/", "s3://my-bucket/k.md",
                  "https://r2.example.com/my-bucket/k.md", "r2.example.com",
                  "/my-bucket/k.md");
    expect_target("http://minio.local/s3/", "s3://my-bucket/~x/y_z-1.md",
                  "http://minio.local/s3/my-bucket/~x/y_z-1.md",
                  "minio.local", "/s3/my-bucket/~x/y_z-1.md");
}

/* ---- AWS credential chain ---- */

static void clear_aws_env(void)
{
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}

/* A credentials file with profiles "default" and "team". */
static void creds_file(agent *a)
{
    char path[512];
    write_file(a->dir, "credentials",
               "# comment\n"
               "[default]\n"
               "aws_access_key_id = DEFAULTID\n"
               "aws_secret_access_key = default/secret\n"
               "\n"
               "[ team ]\n"
               "aws_access_key_id=TEAMID\n"
               "aws_secret_access_key=teamsecret\n"
               "aws_session_token = teamtoken\n"
               "[broken]\n"
               "aws_access_key_id=ONLYID\n");
    snprintf(path, sizeof path, "%s/credentials", a->dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
}

Test(aws_creds, explicit_keys_beat_everything)
{
    ag_source s = {0};
    ag_aws_creds c;
    char err[512];
    clear_aws_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    s.access_key_id = "CFGID";
    s.secret_access_key = "cfgsecret";
    s.session_token = "cfgtoken";
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_OK);
    cr_assert_str_eq(c.access_key_id, "CFGID");
    cr_assert_str_eq(c.secret_access_key, "cfgsecret");
    cr_assert_str_eq(c.session_token, "cfgtoken");
    cr_assert_str_eq(c.from, "dataSource credentials");
    ag_res_aws_creds_fini(&c);
}

Test(aws_creds, a_configured_profile_beats_the_environment)
{
    agent a;
    ag_source s = {0};
    ag_aws_creds c;
    char err[512];
    clear_aws_env();
    make_agent_dir(&a);
    creds_file(&a);
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    s.profile = "team";
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_OK, "%s",
                 err);
    cr_assert_str_eq(c.access_key_id, "TEAMID");
    cr_assert_str_eq(c.secret_access_key, "teamsecret");
    cr_assert_str_eq(c.session_token, "teamtoken");
    cr_assert_str_eq(c.from, "shared credentials file");
    ag_res_aws_creds_fini(&c);
    agent_fini(&a);
}

Test(aws_creds, environment_beats_the_default_profile)
{
    agent a;
    ag_source s = {0};
    ag_aws_creds c;
    char err[512];
    clear_aws_env();
    make_agent_dir(&a);
    creds_file(&a);
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_OK);
    cr_assert_str_eq(c.access_key_id, "ENVID");
    cr_assert_str_eq(c.session_token, "envtoken");
    cr_assert_str_eq(c.from, "environment");
    ag_res_aws_creds_fini(&c);
    unsetenv("AWS_ACCESS_KEY_ID");
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_OK);
    cr_assert_str_eq(c.access_key_id, "DEFAULTID");
    cr_assert_str_eq(c.secret_access_key, "default/secret");
    cr_assert_null(c.session_token);
    ag_res_aws_creds_fini(&c);
    setenv("AWS_PROFILE", "team", 1);
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_OK);
    cr_assert_str_eq(c.access_key_id, "TEAMID");
    ag_res_aws_creds_fini(&c);
    agent_fini(&a);
}

Test(aws_creds, missing_credentials_say_where_they_were_looked_for)
{
    agent a;
    ag_source s = {0};
    ag_aws_creds c;
    char err[512], want[700];
    clear_aws_env();
    make_agent_dir(&a);
    creds_file(&a);
    s.profile = "nope";
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_ENOTFOUND);
    snprintf(want, sizeof want, "AWS profile \"nope\" not found in %s/"
             "credentials", a.dir);
    cr_assert_str_eq(err, want);
    s.profile = "broken";
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_ENOTFOUND);
    snprintf(want, sizeof want, "AWS profile \"broken\" in %s/credentials "
             "needs aws_access_key_id and aws_secret_access_key", a.dir);
    cr_assert_str_eq(err, want);
    s.profile = NULL;
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    cr_assert_eq(ag_res_aws_creds(&s, &c, err, sizeof err), SIM_ENOTFOUND);
    cr_assert_str_eq(err, "no AWS credentials: give credentials in the "
                     "dataSource, set AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY, or add a default profile to "
                     "~/.aws/credentials");
    agent_fini(&a);
}

/* ---- s3, against the server s3_server.sh starts ---- */

static char s3_dir[64];

static int run_script(const char *verb)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh '%s' %s '%s' '%s' >'%s/setup.log' 2>&1",
             S3_SCRIPT, verb, s3_dir, S3_SEED, s3_dir);
    return system(cmd);
}

/* One server for the whole run: moto takes seconds to start.  The tests
 * run in child processes, so the directory reaches them in the
 * environment. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    const char *skip = getenv("AG_SKIP_S3");
    (void)set;
    if (skip && strcmp(skip, "1") == 0)
        return;
    snprintf(s3_dir, sizeof s3_dir, "/tmp/ag-s3-XXXXXX");
    if (!mkdtemp(s3_dir))
        return;
    setenv("AG_S3_DIR", s3_dir, 1);
    if (run_script("start") != 0) {
        /* The directory goes when the run ends: show why now. */
        char path[128], line[512];
        setenv("AG_S3_FAILED", "1", 1);
        snprintf(path, sizeof path, "%s/setup.log", s3_dir);
        FILE *f = fopen(path, "r");
        fprintf(stderr, "S3 server set-up failed:\n");
        while (f && fgets(line, sizeof line, f))
            fputs(line, stderr);
        if (f)
            fclose(f);
    }
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    char cmd[512];
    (void)stats;
    if (!s3_dir[0])
        return;
    run_script("stop");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s3_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s3_dir);
}

typedef struct s3env {
    const char *dir;
    char port[16], bucket[64], region[32], kind[16];
    char key[128], secret[128];
    char skey[128], ssecret[128], token[2048];
    int strict;
} s3env;

static void read_line(const char *dir, const char *name, char *buf,
                      size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (!f)
        return;
    if (fgets(buf, (int)size, f))
        buf[strcspn(buf, "\r\n")] = '\0';
    fclose(f);
}

static void s3_env(s3env *e)
{
    const char *skip = getenv("AG_SKIP_S3");
    char strict[8];
    if (skip && strcmp(skip, "1") == 0)
        cr_skip_test("AG_SKIP_S3=1: no S3 server for this run");
    e->dir = getenv("AG_S3_DIR");
    cr_assert_not_null(e->dir, "the S3 server set-up did not run");
    read_line(e->dir, "port", e->port, sizeof e->port);
    cr_assert(!getenv("AG_S3_FAILED") && e->port[0], "the S3 server did not "
              "start (agent-harness/tests/s3_server.sh; its output is above "
              "the test results); set AG_SKIP_S3=1 to skip the S3 tests");
    read_line(e->dir, "bucket", e->bucket, sizeof e->bucket);
    read_line(e->dir, "region", e->region, sizeof e->region);
    read_line(e->dir, "kind", e->kind, sizeof e->kind);
    read_line(e->dir, "access_key_id", e->key, sizeof e->key);
    read_line(e->dir, "secret_access_key", e->secret, sizeof e->secret);
    read_line(e->dir, "session_access_key_id", e->skey, sizeof e->skey);
    read_line(e->dir, "session_secret_access_key", e->ssecret,
              sizeof e->ssecret);
    read_line(e->dir, "session_token", e->token, sizeof e->token);
    read_line(e->dir, "strict", strict, sizeof strict);
    e->strict = strcmp(strict, "1") == 0;
    clear_aws_env();
}

/* An agent with one s3 source "store"; `creds` is YAML for credentials
 * (or ""), `extra` more keys for the source. */
static void s3_agent(agent *a, const s3env *e, const char *creds,
                     const char *extra)
{
    char yaml[8192];
    make_agent_dir(a);
    int n = snprintf(yaml, sizeof yaml,
             "llm: {provider: scripted}\n"
             "dataSources:\n"
             "  store:\n"
             "    type: s3\n"
             "    bucket: %s\n"
             "    region: %s\n"
             "    endpoint: http://127.0.0.1:%s\n"
             "%s%s", e->bucket, e->region, e->port, creds, extra);
    cr_assert_lt((size_t)n, sizeof yaml);
    load_config(a, yaml);
}

static void s3_uri(char *buf, size_t size, const s3env *e, const char *key)
{
    snprintf(buf, size, "s3://%s/%s", e->bucket, key);
}

Test(resource_s3, gets_an_object_with_explicit_credentials)
{
    s3env e;
    agent a;
    char uri[256];
    s3_env(&e);
    setenv("AG_TEST_S3_KEY", e.key, 1);
    setenv("AG_TEST_S3_SECRET", e.secret, 1);
    s3_agent(&a, &e, "    credentials:\n"
             "      accessKeyId: ${AG_TEST_S3_KEY}\n"
             "      secretAccessKey: ${AG_TEST_S3_SECRET}\n", "");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "Rules from S3.\n");
    /* Chosen by bucket when no source is named. */
    cr_assert_eq(load(&a, uri, NULL), SIM_OK, "%s", a.err);
    /* A key that needs percent-encoding in the signed path. */
    s3_uri(uri, sizeof uri, &e, "notes/a b.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "a key that needs encoding\n");
    agent_fini(&a);
}

Test(resource_s3, a_wrong_secret_is_rejected_by_the_server)
{
    s3env e;
    agent a;
    char uri[256], yaml[512], want[700];
    s3_env(&e);
    if (!e.strict)
        cr_skip_test("the S3 server (%s) does not verify signatures", e.kind);
    snprintf(yaml, sizeof yaml, "    credentials: {accessKeyId: %s, "
             "secretAccessKey: not-the-secret}\n", e.key);
    s3_agent(&a, &e, yaml, "");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_EIO);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"store\": HTTP 403 SignatureDoesNotMatch", uri);
    cr_assert_str_eq(a.err, want);
    cr_assert_null(a.out.data);
    agent_fini(&a);
}

Test(resource_s3, temporary_credentials_send_the_session_token)
{
    s3env e;
    agent a;
    char uri[256], yaml[4096];
    s3_env(&e);
    if (!e.skey[0])
        cr_skip_test("the S3 server (%s) has no STS", e.kind);
    snprintf(yaml, sizeof yaml, "    credentials:\n"
             "      accessKeyId: %s\n      secretAccessKey: \"%s\"\n"
             "      sessionToken: \"%s\"\n", e.skey, e.ssecret, e.token);
    s3_agent(&a, &e, yaml, "");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "Rules from S3.\n");
    agent_fini(&a);
}

Test(resource_s3, credentials_from_the_environment_and_a_profile)
{
    s3env e;
    agent a;
    char uri[256], text[512], path[512];
    s3_env(&e);
    s3_agent(&a, &e, "", "");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    setenv("AWS_ACCESS_KEY_ID", e.key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", e.secret, 1);
    cr_assert_eq(load(&a, uri, "store"), SIM_OK, "%s", a.err);
    clear_aws_env();
    snprintf(text, sizeof text, "[ci]\naws_access_key_id = %s\n"
             "aws_secret_access_key = %s\n", e.key, e.secret);
    write_file(a.dir, "credentials", text);
    snprintf(path, sizeof path, "%s/credentials", a.dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "ci", 1);
    cr_assert_eq(load(&a, uri, "store"), SIM_OK, "%s", a.err);
    cr_assert_str_eq(a.out.data, "Rules from S3.\n");
    agent_fini(&a);
}

Test(resource_s3, missing_key_is_not_found)
{
    s3env e;
    agent a;
    char uri[256], yaml[512], want[700];
    s3_env(&e);
    snprintf(yaml, sizeof yaml, "    credentials: {accessKeyId: %s, "
             "secretAccessKey: \"%s\"}\n", e.key, e.secret);
    s3_agent(&a, &e, yaml, "");
    s3_uri(uri, sizeof uri, &e, "prompts/none.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_ENOTFOUND, "%s", a.err);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"store\": HTTP 404 NoSuchKey", uri);
    cr_assert_str_eq(a.err, want);
    agent_fini(&a);
}

Test(resource_s3, size_cap_and_bucket_checks)
{
    s3env e;
    agent a;
    char uri[256], yaml[512], want[700];
    s3_env(&e);
    snprintf(yaml, sizeof yaml, "    credentials: {accessKeyId: %s, "
             "secretAccessKey: \"%s\"}\n", e.key, e.secret);
    s3_agent(&a, &e, yaml, "    maxBytes: 5\n");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_ERANGE, "%s", a.err);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"store\": larger than maxBytes (5 bytes)", uri);
    cr_assert_str_eq(a.err, want);
    cr_assert_eq(load(&a, "s3://another-bucket/x.md", "store"), SIM_EINVAL);
    snprintf(want, sizeof want, "\"s3://another-bucket/x.md\" is not in "
             "bucket \"%s\" of dataSource \"store\"", e.bucket);
    cr_assert_str_eq(a.err, want);
    agent_fini(&a);
}

Test(resource_s3, no_credentials_is_an_error_before_any_request)
{
    s3env e;
    agent a;
    char uri[256], want[700];
    s3_env(&e);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    s3_agent(&a, &e, "", "");
    s3_uri(uri, sizeof uri, &e, "prompts/rules.md");
    cr_assert_eq(load(&a, uri, "store"), SIM_ENOTFOUND);
    snprintf(want, sizeof want, "Failed to load resource from \"%s\" using "
             "dataSource \"store\": no AWS credentials: give credentials in "
             "the dataSource, set AWS_ACCESS_KEY_ID and "
             "AWS_SECRET_ACCESS_KEY, or add a default profile to "
             "~/.aws/credentials", uri);
    cr_assert_str_eq(a.err, want);
    agent_fini(&a);
}

/*
 * proc.c -- the agent server as a child process (proc.h).
 */
#include "agent-harness/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "agent-harness/net.h"
#include "base/diag.h"

/* How long a stopping server has to finish its replies and checkpoint:
 * civetweb's own shutdown takes 1.5-3 s. */
#define STOP_GRACE_MS 8000

struct ag_proc {
    pid_t pid;
    int out;            /* its stdout: the "listening on" line */
    FILE *err;          /* its stderr */
    int port;
    int reaped;
};



static void exec_server(const char *exe, const char *config, int out,
                        int errfd)
{
    /* Should the harness die, the server goes with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
        _exit(127);
    char *argv[] = {"capsim", "agent", "serve", "--config", (char *)config,
                    "--port", "0", NULL};
    execv(exe, argv);
    _exit(127);
}

/* Reads the child's stdout until "listening on http://HOST:PORT". */
static int read_port(ag_proc *p, double deadline)
{
    char line[512];
    size_t len = 0;
    for (;;) {
        line[len] = '\0';
        const char *at = strstr(line, "listening on http://");
        const char *colon = at ? strchr(at + 20, ':') : NULL;
        if (colon && strchr(colon, '\n')) {
            p->port = atoi(colon + 1);
            return p->port > 0 ? SIM_OK : SIM_EIO;
        }
        if (len + 1 >= sizeof line)
            return SIM_EIO;
        double left = deadline - ag_net_now_ms();
        if (left <= 0)
            return AG_NET_ETIMEOUT;
        struct pollfd pf = {p->out, POLLIN, 0};
        int r = poll(&pf, 1, (int)left + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? AG_NET_ETIMEOUT : SIM_EIO;
        ssize_t k = read(p->out, line + len, sizeof line - 1 - len);
        if (k <= 0)
            return SIM_EIO;     /* it exited before listening */
        len += (size_t)k;
    }
}

static int wait_healthy(const ag_proc *p, double deadline)
{
    for (;;) {
        int status = 0;
        int rc = ag_net_request(p->port, "GET", "/healthz", NULL, NULL,
                                 NULL, deadline, &status, NULL);
        if (rc == SIM_OK && status == 200)
            return SIM_OK;
        if (rc == SIM_ENOMEM || ag_net_now_ms() >= deadline)
            return rc == SIM_OK ? AG_NET_ETIMEOUT : rc;
        ag_net_sleep_ms(2);
    }
}

void ag_proc_copy_err(const ag_proc *p, FILE *to)
{
    char buf[4096];
    size_t n;
    if (!to || !p->err)
        return;
    fflush(p->err);
    rewind(p->err);
    while ((n = fread(buf, 1, sizeof buf, p->err)) > 0)
        fwrite(buf, 1, n, to);
}

int ag_proc_start(const char *exe, const char *config, double timeout_s,
                  FILE *child_err, ag_proc **out, double *cold_s, char *err,
                  size_t errlen)
{
    int fds[2];
    ag_proc *p = sim_calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return SIM_ENOMEM;
    p->out = -1;
    p->err = tmpfile();
    if (!p->err || pipe(fds) != 0) {
        ag_proc_stop(p);
        return ag_net_fail(err, errlen, SIM_EIO, "cannot make the agent server's "
                    "pipes: %s", strerror(errno));
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    double t0 = ag_net_now_ms();
    p->pid = fork();
    if (p->pid == 0)
        exec_server(exe, config, fds[1], fileno(p->err));
    close(fds[1]);
    p->out = fds[0];
    if (p->pid < 0) {
        p->reaped = 1;
        ag_proc_stop(p);
        return ag_net_fail(err, errlen, SIM_EIO, "cannot start the agent server: "
                    "%s", strerror(errno));
    }
    double deadline = t0 + timeout_s * 1e3;
    int rc = read_port(p, deadline);
    if (rc == SIM_OK)
        rc = wait_healthy(p, deadline);
    if (rc != SIM_OK) {
        int st = ag_proc_stop_keep(p);
        ag_proc_copy_err(p, child_err);
        ag_proc_stop(p);
        if (st >= 0 && WIFEXITED(st))
            return ag_net_fail(err, errlen, SIM_EIO, "the agent server did not "
                        "start (exit %d)", WEXITSTATUS(st));
        return ag_net_fail(err, errlen, SIM_EIO, "the agent server did not become "
                    "healthy within %g s", timeout_s);
    }
    *cold_s = (ag_net_now_ms() - t0) / 1e3;
    *out = p;
    return SIM_OK;
}

int ag_proc_port(const ag_proc *p)
{
    return p->port;
}

pid_t ag_proc_pid(const ag_proc *p)
{
    return p->pid;
}

long ag_proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

double ag_proc_rss_gb(const ag_proc *p)
{
    long kb = ag_proc_rss_kib(p->pid);
    return kb < 0 ? -1 : (double)kb / (1024.0 * 1024.0);
}

long long ag_proc_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields count
     * from the last ')'.  After it, utime and stime are the 12th and
     * 13th tokens (fields 14 and 15 of proc(5)). */
    char *s = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!s)
        return -1;
    s++;
    for (int tok = 0; tok <= 12; tok++) {
        while (*s == ' ')
            s++;
        if (!*s)
            return -1;
        if (tok == 11)
            ut = strtoull(s, NULL, 10);
        if (tok == 12)
            st = strtoull(s, NULL, 10);
        while (*s && *s != ' ')
            s++;
    }
    return (long long)(ut + st);
}

int ag_proc_stop_keep(ag_proc *p)
{
    int st = -1;
    if (p->pid > 0 && !p->reaped) {
        kill(p->pid, SIGTERM);
        double until = ag_net_now_ms() + STOP_GRACE_MS;
        pid_t w = 0;
        while ((w = waitpid(p->pid, &st, WNOHANG)) == 0 &&
               ag_net_now_ms() < until)
            ag_net_sleep_ms(5);
        if (w == 0) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
        p->reaped = 1;
    }
    if (p->out >= 0)
        close(p->out);
    p->out = -1;
    return st;
}

int ag_proc_stop(ag_proc *p)
{
    if (!p)
        return -1;
    int st = ag_proc_stop_keep(p);
    if (p->err)
        fclose(p->err);
    sim_free(p);
    return st;
}

static void *peak_thread(void *arg)
{
    ag_rss_peak *s = arg;
    while (!atomic_load(&s->stop)) {
        long kb = ag_proc_rss_kib(s->pid);
        if (kb > s->peak_kib)
            s->peak_kib = kb;
        ag_net_sleep_ms(1);
    }
    return NULL;
}

int ag_proc_peak_start(ag_rss_peak *s, pid_t pid)
{
    s->pid = pid;
    s->peak_kib = ag_proc_rss_kib(pid);
    atomic_init(&s->stop, 0);
    s->running = pthread_create(&s->th, NULL, peak_thread, s) == 0;
    return s->running ? SIM_OK : SIM_EIO;
}

long ag_proc_peak_stop(ag_rss_peak *s)
{
    if (s->running) {
        atomic_store(&s->stop, 1);
        pthread_join(s->th, NULL);
        s->running = 0;
    }
    return s->peak_kib;
}

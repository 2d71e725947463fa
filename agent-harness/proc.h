/*
 * proc.h -- the agent server as a child process, for the harness that
 * measures it (calibrate, live runs): start it, find its port, read its
 * memory and CPU from /proc, stop it.
 *
 * A child is the capsim binary itself running `agent serve --config X
 * --port 0`; its "listening on http://HOST:PORT" line names the port, and
 * it is ready at its first 200 from /healthz.  It dies with its parent
 * (PR_SET_PDEATHSIG), and ag_proc_stop always reaps it: SIGTERM, a grace,
 * then SIGKILL.  Its stderr goes to an unlinked temporary file, copied to
 * the caller's stream when it fails to start.
 */
#ifndef AG_PROC_H
#define AG_PROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct ag_proc ag_proc;     /* opaque */

/*
 * Starts the server and waits (at most timeout_s) until it is healthy;
 * *cold_s is the time from fork to that first 200.  On failure the reason
 * is in err, the child is reaped, and its stderr copied to `child_err`
 * (may be NULL).  Returns SIM_OK, SIM_EIO or SIM_ENOMEM; *out is freed by
 * ag_proc_stop.
 */
int ag_proc_start(const char *exe, const char *config, double timeout_s,
                  FILE *child_err, ag_proc **out /* OUT */, double *cold_s,
                  char *err, size_t errlen);

int ag_proc_port(const ag_proc *p);
pid_t ag_proc_pid(const ag_proc *p);

/* Its resident size in GiB (VmRSS), or -1 when /proc cannot say. */
double ag_proc_rss_gb(const ag_proc *p);

/* VmRSS of any process in KiB, or -1; its utime + stime in clock ticks
 * (sysconf(_SC_CLK_TCK) a second), or -1. */
long ag_proc_rss_kib(pid_t pid);
long long ag_proc_cpu_ticks(pid_t pid);

/*
 * The most resident memory a process reaches while something runs:
 * VmRSS sampled every millisecond on a thread of its own.  Caller-owned:
 * ag_proc_peak_start, then ag_proc_peak_stop, which joins the thread and
 * returns the peak in KiB (at least the value at start).
 */
typedef struct ag_rss_peak {
    pid_t pid;
    atomic_int stop;        /* set by the caller, read by the sampler */
    long peak_kib;          /* the sampler's until it is joined */
    pthread_t th;
    int running;
} ag_rss_peak;

int ag_proc_peak_start(ag_rss_peak *s, pid_t pid);  /* SIM_OK, SIM_EIO */
long ag_proc_peak_stop(ag_rss_peak *s);

/* Copies what the child wrote on stderr to `to` (NULL: nothing). */
void ag_proc_copy_err(const ag_proc *p, FILE *to);

/* Stops and reaps it, and frees p; returns its wait status, or -1.  NULL
 * is a no-op. */
int ag_proc_stop(ag_proc *p);

/* Stops and reaps it but keeps p (its stderr stays readable); returns its
 * wait status, or -1. */
int ag_proc_stop_keep(ag_proc *p);

#endif

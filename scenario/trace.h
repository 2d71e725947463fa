/*
 * trace.h -- the files a scenario's workload replays: traces of messages
 * and empirical service times.  Both are CSV, read with libcsv; every
 * error names the file, line and column.  They are input, so they live
 * with the scenario; the engine (sim/workload.h) replays what they hold.
 */
#ifndef SCN_TRACE_H
#define SCN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

/* A loaded trace: rows sorted by (agent, time). */
typedef struct sim_trace_row {
    double t;           /* seconds from the trace's start */
    double busy;        /* < 0: draw from busy_per_message */
    uint64_t agent;     /* global agent number within the trace's class */
} sim_trace_row;

typedef struct sim_trace {
    sim_trace_row *rows;
    size_t nrows;
    int64_t tenants;            /* distinct tenants */
    int64_t agents_per_tenant;  /* the most agents any tenant has */
    uint64_t *agent_first;      /* rows of agent a: [agent_first[a], agent_first[a+1]) */
    double span;                /* last time in the trace */
} sim_trace;

/* Empirical service times: the values of a one-column CSV. */
typedef struct sim_samples {
    double *v;
    size_t n;
    double mean;
} sim_samples;

/*
 * Loads a trace CSV (columns: time, tenant, agent[, busy seconds]; a
 * header row is allowed; time in seconds from the start or an ISO 8601
 * UTC timestamp; tenant and agent are any labels).  Errors name the
 * file, line and column.  Returns SIM_OK, SIM_EPARSE, SIM_EIO or
 * SIM_ENOMEM.
 */
int sim_trace_load(const char *path, sim_diag *d, sim_trace *out /* OUT */);
void sim_trace_fini(sim_trace *t);

/* Loads a one-column CSV of service times in seconds (header allowed). */
int sim_samples_load(const char *path, sim_diag *d, sim_samples *out /* OUT */);
void sim_samples_fini(sim_samples *s);

#endif

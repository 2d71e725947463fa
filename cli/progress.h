/*
 * progress.h -- the progress line of run, sweep and check on stderr.
 *
 *     capsim sweep: point 3/12, [##..........] 45/240 simulations,
 *                   2.1/s, about 1 min 35 s left
 *
 * (one line on the terminal), redrawn in place with a carriage return at
 * most ten times a second and erased when the work is done, or before
 * anything else is written to stderr.  Only when stderr is a terminal
 * and the command is not --quiet: a pipe, a file or a CI log sees
 * nothing, and stdout and output files never see anything.
 *
 * A command that runs several scenarios (sweep's points, check's
 * scenarios) counts them as parts; the total of simulations is then
 * estimated from the parts run so far (exact when every part has as many
 * simulations, as in a sweep that does not vary the replications).
 *
 * The line is fed by the run layer's progress callback (run/results.h):
 * cli_progress_tick is a run_progress_fn.  It is called from the pool's
 * threads, one call at a time, and every other function here from the
 * command's thread while no run is in progress, so the object needs no
 * lock of its own.
 */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include <stddef.h>

typedef struct cli_progress cli_progress;      /* opaque */

/*
 * A progress line for `cmd` ("run", "sweep", "check") over `parts`
 * scenarios (`part` names one: "point", "scenario"; NULL when there is
 * one) run on `threads` threads.  *out is NULL, and every function here
 * does nothing with it, when stderr is not a terminal or `quiet`.  SIM_OK
 * or SIM_ENOMEM.
 */
int cli_progress_new(const char *cmd, const char *part, size_t parts,
                     unsigned threads, int quiet,
                     cli_progress **out /* OUT */);

/* Erases the line and frees the object.  NULL is a no-op. */
void cli_progress_free(cli_progress *p);

/* The next scenario starts (the first call starts the first). */
void cli_progress_next(cli_progress *p);

/* Erases the line, so a diagnostic can be written; the next tick draws
 * it again. */
void cli_progress_clear(cli_progress *p);

/* The run layer's progress callback (`ud` is the cli_progress). */
void cli_progress_tick(void *ud, size_t done, size_t total);

#endif

/*
 * alloc.h -- the one allocation seam.
 *
 * Every allocation capsim makes goes through these functions, and so do
 * cJSON's (sim_alloc_init installs them as its hooks), libyaml's (base/
 * yml.c defines the yaml_malloc family libyaml calls through its own
 * exported symbols) and libcsv's (scenario/trace.c sets its realloc and
 * free).  They behave as malloc, calloc, realloc, strdup and free, with
 * two differences:
 *
 *  - sim_calloc and sim_reallocarray check n * size for overflow, and
 *    sim_realloc(p, 0) frees p and returns NULL, never a zero-sized block
 *    a caller could mistake for a failure or write into.
 *  - They count.  sim_alloc_fail_at(N) makes the Nth allocation from then
 *    on fail (return NULL) and every later one succeed again, which is
 *    how tests/torture.c walks every failure path of a command in turn,
 *    in the manner of SQLite's faultsim and curl's -t.  sim_alloc_live()
 *    is the number of blocks allocated and not yet freed, so the same
 *    test can see a leak at the allocation that caused it.
 *
 * The counters are the process's one piece of mutable global state
 * outside main(): allocation is process-wide in C, and a seam that every
 * caller would have to hand a context to would reach into every function
 * signature and into libraries that cannot take one.  They are atomic, so
 * the agent core's threads may allocate while they count; fault injection
 * itself is meant for single-threaded tests, where "the Nth allocation" is
 * well defined.  Counting costs one relaxed atomic add per call, far
 * below the allocator's own cost.
 *
 * Blocks from the seam may be freed only by sim_free, and sim_free takes
 * only blocks from the seam (or NULL): memory from libc (getline, a
 * library's own malloc) goes back to free(), or the live count drifts.
 */
#ifndef BASE_ALLOC_H
#define BASE_ALLOC_H

#include <stddef.h>

void *sim_alloc(size_t size);
void *sim_calloc(size_t n, size_t size);
void *sim_realloc(void *p, size_t size);
void *sim_reallocarray(void *p, size_t n, size_t size);
char *sim_strdup(const char *s);
char *sim_strndup(const char *s, size_t n);
void sim_free(void *p);

/* Routes cJSON's allocations through the seam.  main() calls it first;
 * without it cJSON allocates straight from malloc and is left out of the
 * counts.  Idempotent. */
void sim_alloc_init(void);

/* Fault injection: the `n`th allocation after this call fails (1 is the
 * next one); 0 turns it off.  Returns nothing: the test reads
 * sim_alloc_count() afterwards to learn whether the failure was reached. */
void sim_alloc_fail_at(unsigned long n);
/* Allocations attempted since the last sim_alloc_fail_at (or start). */
unsigned long sim_alloc_count(void);
/* Whether the armed failure has happened. */
int sim_alloc_failed(void);
/* Blocks allocated through the seam and not yet freed. */
long sim_alloc_live(void);
/* Allocations that have failed since the process started, for whatever
 * reason (injected, an overflowing size, the system out of memory).  A
 * caller whose library reports only "failed" (cJSON's parser) compares it
 * before and after to tell running out of memory from bad input; the
 * commands compare it to say "out of memory" when they give up. */
unsigned long sim_alloc_failures(void);

#endif

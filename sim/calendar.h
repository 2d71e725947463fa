/*
 * calendar.h -- departure times, least first: the pending set of an
 * unlimited-server queue (the demand pass that sizes pools).
 *
 * A calendar queue (calendar.c says how and why, against a heap): push a
 * time, look at the least, pop it.  Times come out in nondecreasing
 * order -- exactly the order a heap gives, up to the order of equal
 * times -- whatever they are, so a pass over them adds the same numbers
 * in the same order as with a heap.  The sizing hints (the mean number
 * held, the mean distance of a time ahead of the least) only set the
 * speed.  No global state; allocation through base/alloc.h.
 */
#ifndef SIM_CALENDAR_H
#define SIM_CALENDAR_H

#include <stddef.h>

typedef struct sim_calendar sim_calendar;      /* opaque */

/* A calendar sized for about `in_service` times held at once, each
 * about `mean` seconds after the least.  SIM_OK or SIM_ENOMEM. */
int sim_calendar_new(double in_service, double mean,
                     sim_calendar **out /* OUT */);
void sim_calendar_free(sim_calendar *c);        /* NULL: no-op */

/* The times held. */
size_t sim_calendar_count(const sim_calendar *c);

/* Adds time t (finite, >= 0).  SIM_OK or SIM_ENOMEM. */
int sim_calendar_push(sim_calendar *c, double t);

/* The least time held, into *t; the calendar must hold one.  SIM_OK or
 * SIM_ENOMEM (times moved in from far ahead need room). */
int sim_calendar_least(sim_calendar *c, double *t);

/* Removes the time the last sim_calendar_least gave; no push may come
 * between the two. */
void sim_calendar_pop(sim_calendar *c);

#endif

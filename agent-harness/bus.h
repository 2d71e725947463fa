/*
 * bus.h -- the agent's event bus: synchronous publish/subscribe of reply
 * events (token, tool_call, tool_result, done, error), filtered by
 * session.
 *
 * ag_bus_emit calls every matching subscriber on the emitting thread, in
 * subscription order, before it returns.  No lock is held while a
 * callback runs, so a callback may emit, subscribe or unsubscribe
 * (itself included) without deadlock.
 *
 * Scoped unsubscribe: a subscription is a handle.  When
 * ag_bus_unsubscribe(sub) returns, `fn` is not running on any other
 * thread and will never be called again, so the caller may free `ud`
 * at once.  Called from inside its own callback it cannot wait for
 * that call to end; it returns at once, no later call starts, and the
 * running one finishes normally.  The price of the guarantee: a thread
 * that unsubscribes must not hold a lock that a callback of the same
 * subscription takes, or both wait forever.
 *
 * Ownership: the bus borrows `ud` and copies the session filter.  An
 * event and its strings are borrowed for the duration of the callback.
 */
#ifndef AG_BUS_H
#define AG_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/fixed.h"

/* One event.  `data` is a JSON object as text: what SSE sends after
 * `data:` and what a WebSocket frame merges with type, session and id. */
typedef struct ag_event {
    const char *session;    /* the session's id */
    uint64_t id;            /* its id in the session's stream, 0: none */
    const char *type;       /* "token", "tool_call", "tool_result", ... */
    const char *data;       /* a JSON object, never NULL */
} ag_event;

typedef void (*ag_bus_fn)(const ag_event *ev, void *ud);

typedef struct ag_bus ag_bus;          /* opaque */
typedef struct ag_bus_sub ag_bus_sub;  /* opaque */

/* Creates an empty bus.  Returns SIM_OK or SIM_ENOMEM. */
int ag_bus_new(ag_bus **out /* OUT */);

/* Frees the bus and any subscription still on it.  No thread may be
 * emitting or unsubscribing.  NULL is a no-op. */
void ag_bus_free(ag_bus *b);

/*
 * Calls fn(ev, ud) for every event whose session equals `session`, or
 * for every event when `session` is NULL.  Returns SIM_OK or SIM_ENOMEM;
 * *out is the handle to give to ag_bus_unsubscribe.
 */
int ag_bus_subscribe(ag_bus *b, const char *session, ag_bus_fn fn,
                     void *ud, ag_bus_sub **out /* OUT */);

/* Ends a subscription as the header comment describes.  The handle is
 * invalid afterwards.  NULL is a no-op. */
void ag_bus_unsubscribe(ag_bus_sub *sub);

/* Delivers `ev` to the matching subscribers; allocates nothing. */
void ag_bus_emit(ag_bus *b, const ag_event *ev);

/* Live subscriptions (for tests and metrics). */
size_t ag_bus_count(ag_bus *b);

/*
 * ---- internal: JSON building shared by the agent-harness modules ----
 *
 * Event data and HTTP bodies are built with cJSON, whose adders fail
 * silently by returning NULL.  These wrappers make a failure sticky
 * instead (*bad becomes nonzero, later calls do nothing), in the manner
 * of SQLite's mallocFailed, so a builder checks once at the end.
 */
struct cJSON;
struct cJSON *ag__jobj(int *bad);
struct cJSON *ag__jarr(int *bad);
/* Adds o[k] = v: a string (NULL adds null), an exact integer, a bool,
 * literal JSON text, or an item (which the object then owns; it is
 * freed if adding fails). */
void ag__jstr(struct cJSON *o, const char *k, const char *v, int *bad);
void ag__jint(struct cJSON *o, const char *k, int64_t v, int *bad);
void ag__jbool(struct cJSON *o, const char *k, int v, int *bad);
void ag__jraw(struct cJSON *o, const char *k, const char *json, int *bad);
void ag__jitem(struct cJSON *o, const char *k, struct cJSON *item,
               int *bad);
/* Appends an item to an array (the array owns it, or it is freed). */
void ag__jpush(struct cJSON *arr, struct cJSON *item, int *bad);
/* Adds dollars (sim_fx, 10^-12 USD) as an exact decimal number. */
void ag__jusd(struct cJSON *o, const char *k, sim_fx usd, int *bad);
/* Whether the JSON text s[0..n) nests arrays and objects at most
 * max_depth deep.  cJSON parses recursively (up to 1000 levels), which
 * overflows a small thread stack such as civetweb's workers'; untrusted
 * input is checked with this first. */
int ag__json_depth_ok(const char *s, size_t n, int max_depth);
/* Prints compactly and deletes o.  NULL when *bad was set or printing
 * failed; the text is the caller's to sim_free(). */
char *ag__jprint(struct cJSON *o, int *bad);

#endif

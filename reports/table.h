/*
 * table.h -- the cost table as aligned text, and a growable string.
 */
#ifndef RPT_TABLE_H
#define RPT_TABLE_H

#include <stddef.h>

struct rpt_results;

/* Each returns a new string (free()) or NULL when out of memory. */
char *rpt_render_table(const struct rpt_results *r);

/* A growable string; every append checks for memory. */
typedef struct rpt_buf {
    char *s;
    size_t n, cap;
    int nomem;
} rpt_buf;

void rpt_printf(rpt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns the string (caller frees) or NULL if any append failed. */
char *rpt_buf_take(rpt_buf *b);

/* The scenario's service level in words: "queue wait p95 <= 10 s,
 * nothing refused".  buf should hold 256 bytes. */
struct scn_scenario;
void rpt_slo_text(const struct scn_scenario *s, char *buf, size_t size);

#endif

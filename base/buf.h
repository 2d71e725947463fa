/*
 * buf.h -- a growable string.
 *
 * Every append checks for memory; a failed one sets `nomem`, which sticks
 * (later appends do nothing), so a writer can append a whole document and
 * check once at the end, as SQLite's mallocFailed does.  The string is
 * always NUL-terminated once anything was appended.  Caller-owned: zero
 * it (`sim_buf b = {0}`), append, then sim_buf_take.
 */
#ifndef BASE_BUF_H
#define BASE_BUF_H

#include <stddef.h>

typedef struct sim_buf {
    char *s;
    size_t n, cap;
    int nomem;
} sim_buf;

void sim_buf_put(sim_buf *b, const char *s, size_t n);
void sim_buf_printf(sim_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The string (the caller frees it; "" when nothing was appended), or NULL
 * when an append ran out of memory (the buffer is freed then). */
char *sim_buf_take(sim_buf *b);

#endif

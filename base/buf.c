/*
 * buf.c -- a growable string (buf.h).
 */
#include "base/buf.h"
#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_buf_put(sim_buf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->cap - b->n <= n) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->n <= n) {
            if (cap > (size_t)-1 / 2) {
                b->nomem = 1;
                return;
            }
            cap *= 2;
        }
        char *p = sim_realloc(b->s, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void sim_buf_printf(sim_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    if (b->nomem)
        return;
    va_start(ap, fmt);
    int w = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (w < 0) {
        b->nomem = 1;
        return;
    }
    if ((size_t)w < sizeof small) {
        sim_buf_put(b, small, (size_t)w);
        return;
    }
    char *big = sim_alloc((size_t)w + 1);
    if (!big) {
        b->nomem = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)w + 1, fmt, ap);
    va_end(ap);
    sim_buf_put(b, big, (size_t)w);
    sim_free(big);
}

char *sim_buf_take(sim_buf *b)
{
    if (b->nomem) {
        sim_free(b->s);
        b->s = NULL;
        return NULL;
    }
    if (!b->s)
        return sim_strdup("");
    return b->s;
}


/*
 * diag.c -- collecting and printing input diagnostics.
 */
#include "base/diag.h"
#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_diag_init(sim_diag *d)
{
    memset(d, 0, sizeof *d);
}

void sim_diag_fini(sim_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        sim_free(d->v[i].file);
        sim_free(d->v[i].message);
        sim_free(d->v[i].source);
    }
    sim_free(d->v);
    memset(d, 0, sizeof *d);
}

static char *dup_or_null(const char *s)
{
    return s ? sim_strdup(s) : NULL;
}

static char *copy_line(const char *text, int line)
{
    if (!text || line < 1)
        return NULL;
    const char *p = text;
    for (int i = 1; i < line && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return NULL;
    size_t n = strcspn(p, "\r\n");
    char *s = sim_alloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

void sim_diag_add(sim_diag *d, enum sim_diag_level level, const char *file,
                  const char *text, int line, int col, const char *fmt, ...)
{
    static const sim_diag_entry oom = {SIM_DIAG_ERROR, NULL, 0, 0, NULL, NULL};
    char buf[1024];
    va_list ap;

    if (level == SIM_DIAG_ERROR)
        d->errors++;
    if (d->n >= SIM_DIAG_MAX) {
        d->dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        sim_diag_entry *v = sim_realloc(d->v, cap * sizeof *v);
        if (!v)
            return;            /* the error count still says it failed */
        d->v = v;
        d->cap = cap;
    }
    sim_diag_entry *e = &d->v[d->n];
    *e = oom;
    e->level = level;
    e->file = dup_or_null(file);
    e->line = line;
    e->col = col;
    e->message = sim_strdup(buf);
    e->source = copy_line(text, line);
    if (!e->message)
        return;
    d->n++;
}

/* Frees one entry's strings. */
static void entry_fini(sim_diag_entry *e)
{
    sim_free(e->file);
    sim_free(e->message);
    sim_free(e->source);
}

void sim_diag_move(sim_diag *to, sim_diag *from)
{
    to->errors += from->errors;
    to->dropped += from->dropped;
    from->errors = 0;
    from->dropped = 0;
    if (from->n == 0)
        return;
    /* The cap holds for the sum: what does not fit is counted, as if it
     * had been added to `to` directly. */
    size_t room = to->n < SIM_DIAG_MAX ? SIM_DIAG_MAX - to->n : 0;
    size_t take = from->n < room ? from->n : room;
    for (size_t i = take; i < from->n; i++)
        entry_fini(&from->v[i]);
    to->dropped += from->n - take;
    from->n = take;
    if (take && to->cap - to->n < take) {
        sim_diag_entry *v = sim_reallocarray(to->v, to->n + take,
                                             sizeof *v);
        if (!v) {
            sim_diag_fini(from);
            return;
        }
        to->v = v;
        to->cap = to->n + take;
    }
    if (take)
        memcpy(to->v + to->n, from->v, take * sizeof *from->v);
    to->n += take;
    from->n = 0;
}

void sim_diag_print(const sim_diag *d, void *stream)
{
    FILE *f = stream;
    for (size_t i = 0; i < d->n; i++) {
        const sim_diag_entry *e = &d->v[i];
        const char *lvl = e->level == SIM_DIAG_ERROR ? "error" : "warning";
        if (e->file && e->line > 0)
            fprintf(f, "%s:%d:%d: %s: %s\n", e->file, e->line,
                    e->col > 0 ? e->col : 1, lvl, e->message);
        else if (e->file)
            fprintf(f, "%s: %s: %s\n", e->file, lvl, e->message);
        else
            fprintf(f, "capsim: %s: %s\n", lvl, e->message);
        if (e->source) {
            fprintf(f, "  %s\n  ", e->source);
            /* Keep tabs so the caret lines up under tabbed sources. */
            for (int c = 1; c < e->col && e->source[c - 1]; c++)
                fputc(e->source[c - 1] == '\t' ? '\t' : ' ', f);
            fputs("^\n", f);
        }
    }
    if (d->dropped)
        fprintf(f, "capsim: note: %zu more problem%s not shown (the first "
                "%d are)\n", d->dropped, d->dropped == 1 ? "" : "s",
                SIM_DIAG_MAX);
}

size_t sim_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (lb >= 63 || la >= 63)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *sim_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t limit = strlen(word) / 3 + 1;
    if (limit > 3)
        limit = 3;
    for (size_t i = 0; candidates[i]; i++) {
        size_t dist = sim_edit_distance(word, candidates[i]);
        if (dist < best_d) {
            best_d = dist;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

size_t sim_appendf(char *buf, size_t size, size_t at, const char *fmt, ...)
{
    va_list ap;
    if (size == 0)
        return 0;
    if (at >= size - 1)
        return size - 1;
    va_start(ap, fmt);
    int w = vsnprintf(buf + at, size - at, fmt, ap);
    va_end(ap);
    if (w < 0) {
        buf[at] = '\0';
        return at;
    }
    /* vsnprintf says how long the text would have been; the buffer holds
     * only what fitted. */
    return (size_t)w < size - at ? at + (size_t)w : size - 1;
}

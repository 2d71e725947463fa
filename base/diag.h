/*
 * diag.h -- diagnostics about input files.
 *
 * Library code never prints.  It records what went wrong, where, and what
 * was expected in a sim_diag; the command line prints it as
 *
 *     FILE:LINE:COL: error: MESSAGE
 *       <the source line>
 *       <a caret under the column>
 *
 * Lines and columns are 1-based.  Warnings are collected the same way and
 * never stop a run.
 */
#ifndef SIM_DIAG_H
#define SIM_DIAG_H

#include <stddef.h>

enum sim_diag_level { SIM_DIAG_ERROR, SIM_DIAG_WARNING };

typedef struct sim_diag_entry {
    enum sim_diag_level level;
    char *file;       /* owned; may be NULL for errors not tied to a file */
    int line, col;    /* 1-based; 0 when unknown */
    char *message;    /* owned */
    char *source;     /* owned copy of the offending line, or NULL */
} sim_diag_entry;

/*
 * At most SIM_DIAG_MAX entries are kept; later ones are counted in
 * `dropped` (and errors still in `errors`) and sim_diag_print says how
 * many were left out.  A file with 15,000 copies of one mistake gets the
 * first hundred, in time linear in the file, rather than minutes of
 * repeated lines.
 */
#define SIM_DIAG_MAX 100

typedef struct sim_diag {
    sim_diag_entry *v;
    size_t n, cap;
    size_t errors;
    size_t dropped;   /* entries past SIM_DIAG_MAX, not kept */
} sim_diag;

void sim_diag_init(sim_diag *d);
void sim_diag_fini(sim_diag *d);

/*
 * Records an entry.  `text` is the whole file the position refers to (may
 * be NULL); the offending line is copied from it.  Allocation failure is
 * recorded as a bare "out of memory" entry so an error is never lost.
 */
void sim_diag_add(sim_diag *d, enum sim_diag_level level, const char *file,
                  const char *text, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/*
 * Moves every entry of `from` to the end of `to`, in order, and leaves
 * `from` empty (still initialised).  For work done apart and reported
 * together: each piece records into a diag of its own, and the pieces are
 * moved into one in a fixed order.  If `to` cannot grow, the entries are
 * dropped, but their errors are still counted in `to`.
 */
void sim_diag_move(sim_diag *to, sim_diag *from);

/* Writes every entry to `f` in the format above. */
void sim_diag_print(const sim_diag *d, void *stream /* FILE * */);

/* Distance between two strings, for "did you mean" suggestions. */
size_t sim_edit_distance(const char *a, const char *b);

/*
 * Picks the candidate closest to `word` (NULL-terminated list), or NULL if
 * none is close enough to be a plausible typo.
 */
const char *sim_suggest(const char *word, const char *const *candidates);

/*
 * Appends printf-style text to `buf` (`size` bytes, size > 0) at offset
 * `at` and returns the new length, which never exceeds size - 1: text that
 * does not fit is cut, and an `at` already at the end writes nothing.  For
 * lists in messages ("expected one of a, b, c"), where a cut list is
 * better than an overflow; the result can be passed back as `at` however
 * many appends follow.
 */
size_t sim_appendf(char *buf, size_t size, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

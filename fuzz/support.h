/*
 * support.h -- what the fuzz targets share (fuzz/README in docs/fuzzing.md).
 *
 * Each fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput and nothing else
 * global.  It is built twice: with libFuzzer by clang (make fuzz, the
 * fuzz_short test), and with fuzz/replay.c's main() by the normal build,
 * which feeds it every file of tests/fuzz/corpus/NAME (the
 * fuzz_replay_NAME tests, plain and under ASan+UBSan).
 *
 * The loaders take paths, as the command line hands them over, so a
 * target writes the input to a file of its own first (fuzz_file) and
 * calls the very function the command calls.
 *
 * This is test code: it may abort(), and does, to tell the fuzzer that a
 * property broke.  The library code it drives never may.
 */
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Once per process: routes cJSON through the allocation seam (as main()
 * does), turns GSL's aborting error handler off, and makes the process's
 * own temporary directory, removed at exit.
 */
void fuzz_setup(void);

/* The process's temporary directory (fuzz_setup made it). */
const char *fuzz_dir(void);

/*
 * Writes `size` bytes to fuzz_dir()/name, replacing what was there, and
 * returns its path in a static buffer that the next call overwrites.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* Sends stdout to /dev/null: for commands that print a table or summary
 * on every input. */
void fuzz_quiet_stdout(void);

/*
 * Prints `d` as the command line would, to /dev/null: the source line
 * and caret are computed from the reported column, so a column past the
 * line's end is caught here.
 */
void fuzz_print_diag(const sim_diag *d);

/*
 * The seam's live block count must be back to `before` (a leak that
 * LeakSanitizer would find only at exit, and the plain build not at all,
 * is found at the input that caused it).  Aborts naming `what` if not.
 */
void fuzz_no_leak(long before, const char *what);

/* Aborts with `what` on stderr: a broken property. */
void fuzz_fail(const char *what) __attribute__((noreturn));

#endif

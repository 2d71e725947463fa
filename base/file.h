/*
 * file.h -- reading a whole file, writing one whole or not at all, and
 * making a directory with its parents.
 */
#ifndef SIM_FILE_H
#define SIM_FILE_H

#include <stddef.h>

/*
 * Reads `path` into a new NUL-terminated buffer (sim_free()) and sets *len to
 * its length.  Returns NULL with errno set (ENOMEM when out of memory) when
 * the file cannot be opened or read.
 */
char *sim_read_file(const char *path, size_t *len /* OUT */);

/*
 * Writes `len` bytes of `text` to `path` through a temporary file in the
 * same directory (a unique name, mode 0644), flushed to disk and renamed
 * into place, so a reader sees the old file or the whole new one, never
 * half.  Returns SIM_OK, SIM_ENOMEM, or SIM_EIO with errno set (the
 * temporary file is removed).
 */
int sim_write_atomic(const char *path, const char *text, size_t len);

/* mkdir -p: 0, or -1 with errno set. */
int sim_mkdir_p(const char *dir);

#endif

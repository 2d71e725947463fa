/*
 * file.h -- reading a whole file.
 */
#ifndef SIM_FILE_H
#define SIM_FILE_H

#include <stddef.h>

/*
 * Reads `path` into a new NUL-terminated buffer (free()) and sets *len to
 * its length.  Returns NULL with errno set (ENOMEM when out of memory) when
 * the file cannot be opened or read.
 */
char *sim_read_file(const char *path, size_t *len /* OUT */);

#endif

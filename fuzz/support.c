/*
 * support.c -- what the fuzz targets share (support.h).
 */
#define _XOPEN_SOURCE 700     /* nftw */
#include "fuzz/support.h"

#include <cJSON.h>
#include <fcntl.h>
#include <ftw.h>
#include <gsl/gsl_errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

static char dir[PATH_MAX];
static char path[PATH_MAX + 256];
static FILE *devnull;

static int remove_one(const char *p, const struct stat *st, int type,
                      struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(p);     /* what cannot go, stays: nothing to do about it */
    return 0;
}

/* Everything under the process's own directory, which only the targets
 * and the commands they run write into. */
static void remove_dir(void)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fuzz_setup(void)
{
    if (dir[0])
        return;
    sim_alloc_init();
    gsl_set_error_handler_off();
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/capsim-fuzz.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(remove_dir);
    devnull = fopen("/dev/null", "w");
    if (!devnull) {
        perror("fuzz: /dev/null");
        abort();
    }
}

const char *fuzz_dir(void)
{
    return dir;
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror(path);
        abort();
    }
    return path;
}

void fuzz_quiet_stdout(void)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
        perror("fuzz: /dev/null");
        abort();
    }
    close(fd);
}

void fuzz_print_diag(const sim_diag *d)
{
    sim_diag_print(d, devnull);
}

void fuzz_no_leak(long before, const char *what)
{
    long after = sim_alloc_live();
    if (after != before) {
        fprintf(stderr, "fuzz: %s leaked %ld block(s) through the seam\n",
                what, after - before);
        abort();
    }
}

void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: property broken: %s\n", what);
    abort();
}

/*
 * file.c -- whole files in and out (file.h).
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fixed.h"

char *sim_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb = sim_realloc(buf, ncap + 1);
            if (!nb) {
                sim_free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        sim_free(buf);
        fclose(f);
        errno = e ? e : EIO;
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int sim_write_atomic(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path);
    char *tmp = sim_alloc(n + 16);
    if (!tmp)
        return SIM_ENOMEM;
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sim_free(tmp);
        return SIM_EIO;
    }
    /* mkstemp makes the file 0600; what capsim writes is an ordinary
     * file. */
    fchmod(fd, 0644);
    size_t off = 0;
    int ok = 1, e = 0;
    while (ok && off < len) {
        ssize_t k = write(fd, text + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        ok = k > 0;
        off += ok ? (size_t)k : 0;
    }
    ok = ok && fsync(fd) == 0;
    if (!ok)
        e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok)
        unlink(tmp);
    sim_free(tmp);
    errno = e ? e : errno;
    return ok ? SIM_OK : SIM_EIO;
}

int sim_mkdir_p(const char *dir)
{
    size_t n = strlen(dir);
    char *buf = sim_alloc(n + 1);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                sim_free(buf);
                errno = e;
                return -1;
            }
            buf[i] = c;
        }
    sim_free(buf);
    return n ? 0 : -1;
}

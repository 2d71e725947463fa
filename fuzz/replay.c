/*
 * replay.c -- the fuzz targets without libFuzzer: feeds each file named
 * on the command line (or every file of each directory named, in name
 * order) to LLVMFuzzerTestOneInput, once.  The normal build links each
 * fuzz/fuzz_NAME.c with this into fuzz_replay_NAME and ctest runs it on
 * tests/fuzz/corpus/NAME, so the saved corpus -- the crashes found and
 * fixed among it -- is replayed by `make test` and, under ASan+UBSan, by
 * `make test-sanitize`.
 *
 *   fuzz_replay_NAME FILE|DIR...
 *
 * Exit 0 when every input ran (a broken property aborts), 2 on a file
 * that cannot be read or an empty list.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/support.h"

/* Reads with plain malloc, outside the seam the target counts. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            unsigned char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int replay_dir(const char *path, size_t *n)
{
    struct dirent **names = NULL;
    int count = scandir(path, &names, NULL, alphasort);
    int rc = 0;
    if (count < 0) {
        perror(path);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && !is_dir(p)) {
            fprintf(stderr, "replay: %s\n", p);
            if (replay_file(p) != 0)
                rc = -1;
            else
                (*n)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (is_dir(argv[i])) {
            rc |= replay_dir(argv[i], &n);
        } else {
            fprintf(stderr, "replay: %s\n", argv[i]);
            if (replay_file(argv[i]) != 0)
                rc = -1;
            else
                n++;
        }
    }
    printf("replayed %zu input(s)\n", n);
    return rc != 0 || n == 0 ? 2 : 0;
}

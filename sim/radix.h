/*
 * radix.h -- a stable sort of fixed-size records by the double each one
 * starts with, for the two loops that order times by the million: a
 * window of the merged message stream (workload.c) and a batch of
 * departures (occupancy.c).
 *
 * Least significant digit first, 11 bits at a time, on a key of 22 bits
 * for up to SIM_RADIX_SHORT records and of 32 above:
 * floor((x - lo) x (2^b - 256) / (hi - lo)) over the records' range
 * [lo, hi].  The key never decreases as x grows (subtraction,
 * multiplication and truncation are monotone), so records of different
 * keys come out in order of x and only records sharing a key -- among n
 * spread evenly, about n^2 / 2^(b+1) pairs -- may be out of order; an
 * insertion pass, which moves only those, puts them right.  Two or three
 * passes where the 64 bits of a double took five (its mantissa varies
 * across a window), and stability keeps records of equal x in the order
 * they came in.  The short key is the trade: at 2^20 records about one
 * in eight shares its key and half of those move a place or two, which
 * costs less than a third pass over every record and the copy back that
 * an odd number of passes needs: streambench's merged stream of 10^5
 * agents, windows of 10^5 to 4 x 10^5 messages, merges about a tenth
 * faster so (docs/performance.md).  Past 2^20 the shared keys would grow
 * with n while a pass stays one pass.

 * The insertion pass is quadratic when most records share a key: a
 * range so wide that the key cannot tell them apart (one departure
 * 10^19 s away among thousands within a second), or one the key cannot
 * scale to at all (an infinite or subnormal width: the radix passes are
 * skipped).  It stops after `budget` moves and returns 1, the records a
 * permutation of what they were, for the caller to finish by a total
 * order of its own; SIZE_MAX never stops.  0: sorted.
 *
 * A static inline function taking the record's size rather than a
 * comparator: each caller's copy is compiled for its own record, moves
 * of a constant size and the key a plain load, where a call per record
 * would cost more than the sort.  Records of up to SIM_RADIX_MAX bytes;
 * NaN keys are the caller's to keep out.
 */
#ifndef SIM_RADIX_H
#define SIM_RADIX_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SIM_RADIX_MAX 64

/* Up to this many records the key has 22 bits (two passes), past it 32
 * (three). */
#define SIM_RADIX_SHORT ((size_t)1 << 20)

static inline double sim__radix_key(const unsigned char *rec)
{
    double x;
    memcpy(&x, rec, sizeof x);
    return x;
}

/* Each caller's copy must be its own: left to itself the compiler may
 * keep one copy for both callers, the record size a variable, and the
 * sort took 60 % longer so. */
#if defined(__GNUC__)
#define SIM__RADIX_INLINE static inline __attribute__((always_inline))
#else
#define SIM__RADIX_INLINE static inline
#endif

/* Sorts v[0 .. n) of `size`-byte records by their leading double,
 * stably; tmp holds n records. */
SIM__RADIX_INLINE int sim__radix_sort(void *v, void *tmp, size_t n, size_t size,
                                  size_t budget)
{
    enum { BITS = 11, RADIX = 1 << BITS, DIGITS = 3 };
    unsigned char *p = v;
    if (n < 2)
        return 0;
    double lo = sim__radix_key(p), hi = lo;
    for (size_t i = 1; i < n; i++) {
        double x = sim__radix_key(p + i * size);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (!(hi > lo))
        return 0;               /* one value: already in order */
    /* A key under 2^22 has no third digit: its pass is skipped below. */
    const double scale =
        (n <= SIM_RADIX_SHORT ? 4194048.0 : 4294967040.0) / (hi - lo);
    if (isfinite(scale) && scale > 0) {
#define SIM__RADIX_KEY(rec) ((uint32_t)((sim__radix_key(rec) - lo) * scale))
        size_t count[DIGITS][RADIX];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) {
            uint32_t k = SIM__RADIX_KEY(p + i * size);
            count[0][k & (RADIX - 1)]++;
            count[1][(k >> BITS) & (RADIX - 1)]++;
            count[2][k >> 2 * BITS]++;
        }
        unsigned char *src = p, *dst = tmp;
        for (int g = 0; g < DIGITS; g++) {
            int shift = g * BITS;
            size_t *c = count[g];
            if (c[(SIM__RADIX_KEY(src) >> shift) & (RADIX - 1)] == n)
                continue;       /* every record has this digit */
            size_t sum = 0;
            for (size_t j = 0; j < RADIX; j++) {
                size_t x = c[j];
                c[j] = sum;
                sum += x;
            }
            for (size_t i = 0; i < n; i++) {
                const unsigned char *r = src + i * size;
                size_t at = c[(SIM__RADIX_KEY(r) >> shift) & (RADIX - 1)]++;
                memcpy(dst + at * size, r, size);
            }
            unsigned char *x = src;
            src = dst;
            dst = x;
        }
#undef SIM__RADIX_KEY
        if (src != p)
            memcpy(p, src, n * size);
    }
    unsigned char m[SIM_RADIX_MAX];
    for (size_t i = 1; i < n; i++) {
        double x = sim__radix_key(p + i * size);
        if (!(x < sim__radix_key(p + (i - 1) * size)))
            continue;
        memcpy(m, p + i * size, size);
        size_t j = i;
        for (; j > 0 && x < sim__radix_key(p + (j - 1) * size); j--) {
            memcpy(p + j * size, p + (j - 1) * size, size);
            if (--budget == 0) {
                memcpy(p + (j - 1) * size, m, size);
                return 1;
            }
        }
        memcpy(p + j * size, m, size);
    }
    return 0;
}

#endif

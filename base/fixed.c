/*
 * fixed.c -- exact decimal arithmetic on 128-bit integers.
 */
#include "base/fixed.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX_MAX ((sim_fx)(((unsigned __int128)1 << 127) - 1))

const char *sim_strerror(int status)
{
    switch (status) {
    case SIM_OK: return "success";
    case SIM_ENOMEM: return "out of memory";
    case SIM_EINVAL: return "invalid value";
    case SIM_EPARSE: return "malformed input";
    case SIM_EIO: return "input/output error";
    case SIM_ERANGE: return "number out of range";
    case SIM_ENOTFOUND: return "not found";
    }
    return "unknown error";
}

sim_fx sim_fx_from_int(int64_t n)
{
    return (sim_fx)n * SIM_FX_ONE;
}

sim_fx sim_fx_min(sim_fx a, sim_fx b) { return a < b ? a : b; }
sim_fx sim_fx_max(sim_fx a, sim_fx b) { return a > b ? a : b; }

/*
 * Divides n by d (d > 0) rounding half to even.  Kept separate because
 * every rounding in the project goes through it, so there is exactly one
 * rounding rule to audit.
 */
static sim_fx div_round(sim_fx n, sim_fx d)
{
    int neg = 0;
    if (d < 0) {
        d = -d;
        n = -n;
    }
    if (n < 0) {
        neg = 1;
        n = -n;
    }
    sim_fx q = n / d;
    sim_fx r = n % d;
    if (2 * r > d || (2 * r == d && (q & 1)))
        q++;
    return neg ? -q : q;
}

int sim_fx_parse(const char *text, sim_fx *out)
{
    const char *p = text;
    int neg = 0;
    sim_fx mant = 0;
    int frac_digits = 0, any = 0, seen_point = 0;
    long exp10 = 0;

    if (!p)
        return SIM_EINVAL;
    if (*p == '+' || *p == '-')
        neg = (*p++ == '-');
    for (; *p; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (*p == '_' && any)          /* YAML 1.1 allows 1_000_000 */
            continue;
        if (!isdigit((unsigned char)*p))
            break;
        any = 1;
        if (mant > FX_MAX / 100)
            return SIM_ERANGE;
        mant = mant * 10 + (*p - '0');
        if (seen_point)
            frac_digits++;
    }
    if (!any)
        return SIM_EINVAL;
    if (*p == 'e' || *p == 'E') {
        char *end;
        p++;
        if (!*p)
            return SIM_EINVAL;
        exp10 = strtol(p, &end, 10);
        if (end == p || exp10 > 40 || exp10 < -40)
            return SIM_EINVAL;
        p = end;
    }
    if (*p)
        return SIM_EINVAL;

    /* value = mant * 10^(exp10 - frac_digits); scale to 10^12. */
    long shift = exp10 - frac_digits + SIM_FX_PLACES;
    for (; shift > 0; shift--) {
        if (mant > FX_MAX / 10)
            return SIM_ERANGE;
        mant *= 10;
    }
    for (; shift < 0; shift++) {
        if (mant % 10 != 0)
            return SIM_EINVAL;          /* more than 12 decimal places */
        mant /= 10;
    }
    *out = neg ? -mant : mant;
    return SIM_OK;
}

int sim_fx_muldiv(sim_fx a, sim_fx b, sim_fx c, sim_fx *out)
{
    sim_fx prod;
    if (c == 0)
        return SIM_EINVAL;
    /* No silent fallback: a bill that overflows 10^26 dollars is a
     * broken input, and a wrong figure would be worse than an error. */
    if (__builtin_mul_overflow(a, b, &prod))
        return SIM_ERANGE;
    *out = div_round(prod, c);
    return SIM_OK;
}

int sim_fx_mul(sim_fx a, sim_fx b, sim_fx *out)
{
    return sim_fx_muldiv(a, b, SIM_FX_ONE, out);
}

int sim_fx_div(sim_fx a, sim_fx b, sim_fx *out)
{
    return sim_fx_muldiv(a, SIM_FX_ONE, b, out);
}

sim_fx sim_fx_ceil_to(sim_fx a, sim_fx unit)
{
    sim_fx q = a / unit;
    if (q * unit < a)
        q++;
    return q * unit;
}

char *sim_fx_format(sim_fx a, int places, char *buf, size_t size)
{
    static const int64_t pow10[] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
        1000000000, 10000000000LL, 100000000000LL, 1000000000000LL
    };
    char digits[64];
    int n = 0;

    if (places < 0)
        places = 0;
    if (places > SIM_FX_PLACES)
        places = SIM_FX_PLACES;
    /* Display rounds half away from zero, as invoices do; billing never
     * goes through here. */
    sim_fx unit = pow10[SIM_FX_PLACES - places];
    sim_fx v = (a < 0 ? a - unit / 2 : a + unit / 2) / unit;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u || n <= places);

    size_t k = 0;
    if (neg && k + 1 < size)
        buf[k++] = '-';
    for (int i = n - 1; i >= 0 && k + 2 < size; i--) {
        buf[k++] = digits[i];
        if (i == places && places > 0)
            buf[k++] = '.';
    }
    buf[k] = '\0';
    return buf;
}

char *sim_fx_format_trim(sim_fx a, int places, char *buf, size_t size)
{
    sim_fx_format(a, places, buf, size);
    if (strchr(buf, '.')) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    return buf;
}

double sim_fx_to_double(sim_fx a)
{
    return (double)a / 1e12;
}

sim_fx sim_fx_from_double(double d)
{
    /* Every digit a double carries: |d| < 1.7e26 fits the 128 bits. */
    double r = d * 1e12;
    if (!(r < 1.7e38 && r > -1.7e38))
        return 0;
    return (sim_fx)(r + (r >= 0 ? 0.5 : -0.5));
}

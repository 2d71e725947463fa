/*
 * fixed.h -- exact decimal fixed-point numbers for money and quantities.
 *
 * A sim_fx holds a value times 10^12 in a 128-bit integer: dollars to the
 * pico-dollar, quantities (GB-seconds, requests, hours) to 10^-12 of a unit.
 * Every rate in a price catalog is a decimal with at most 12 places, so it
 * is held exactly; products are rounded once, half to even, at 10^-12, far
 * below a cent.  Binary floating point is never used for money: two runs on
 * any machine give the same digits.
 *
 * Functions that can overflow return SIM_ERANGE and leave *out untouched.
 */
#ifndef SIM_FIXED_H
#define SIM_FIXED_H

#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 sim_fx;

#define SIM_FX_ONE ((sim_fx)1000000000000LL)
#define SIM_FX_PLACES 12

/* Status codes shared by every module.  Never renumber. */
enum sim_status {
    SIM_OK = 0,
    SIM_ENOMEM = 1,   /* an allocation failed */
    SIM_EINVAL = 2,   /* invalid argument or input value */
    SIM_EPARSE = 3,   /* malformed input file */
    SIM_EIO = 4,      /* a file could not be read or written */
    SIM_ERANGE = 5,   /* a number does not fit */
    SIM_ENOTFOUND = 6 /* a named thing does not exist */
};

const char *sim_strerror(int status);

/* Exact conversion from a whole number. */
sim_fx sim_fx_from_int(int64_t n);

/*
 * Parses a plain decimal ("12", "-0.25", "1e-6", "3.5E2") into *out.  The
 * whole string must be consumed.  Returns SIM_EINVAL when it is not a number
 * or has significant digits beyond 12 decimal places, SIM_ERANGE when it is
 * too large.
 */
int sim_fx_parse(const char *text, sim_fx *out /* OUT */);

/* a * b, rounded half to even at 10^-12.  SIM_ERANGE on overflow. */
int sim_fx_mul(sim_fx a, sim_fx b, sim_fx *out /* OUT */);

/* a / b, rounded half to even.  SIM_EINVAL when b is 0. */
int sim_fx_div(sim_fx a, sim_fx b, sim_fx *out /* OUT */);

/* a * b / c with a single rounding; the workhorse of billing rules. */
int sim_fx_muldiv(sim_fx a, sim_fx b, sim_fx c, sim_fx *out /* OUT */);

/* Rounds up to a multiple of `unit` (> 0). */
sim_fx sim_fx_ceil_to(sim_fx a, sim_fx unit);

sim_fx sim_fx_min(sim_fx a, sim_fx b);
sim_fx sim_fx_max(sim_fx a, sim_fx b);

/*
 * Formats with `places` decimals (0..12), rounding half to even, trailing
 * zeros kept.  buf should hold 64 bytes.  Returns buf.
 */
char *sim_fx_format(sim_fx a, int places, char *buf, size_t size);

/* As sim_fx_format, then drops trailing zeros (and a bare point). */
char *sim_fx_format_trim(sim_fx a, int places, char *buf, size_t size);

/* Nearest double, for statistics and charts only -- never for money. */
double sim_fx_to_double(sim_fx a);

/* Nearest sim_fx to a double (for values that come out of statistics). */
sim_fx sim_fx_from_double(double d);

#endif

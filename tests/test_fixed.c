/*
 * test_fixed.c -- exact decimal arithmetic.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/fixed.h"
#include "support.h"

Test(fixed, parses_decimals_exactly)
{
    sim_fx v;
    cr_assert_eq(sim_fx_parse("0.00000772", &v), SIM_OK);
    cr_assert(v == (sim_fx)7720000);            /* 7.72e-6 * 1e12 */
    cr_assert_eq(sim_fx_parse("-12.5", &v), SIM_OK);
    cr_assert(v == -(sim_fx)12500000000000LL);
    cr_assert_eq(sim_fx_parse("1e-6", &v), SIM_OK);
    cr_assert(v == (sim_fx)1000000);
    cr_assert_eq(sim_fx_parse("3.5E2", &v), SIM_OK);
    cr_assert(v == sim_fx_from_int(350));
    cr_assert_eq(sim_fx_parse("1_000", &v), SIM_OK);
    cr_assert(v == sim_fx_from_int(1000));
}

Test(fixed, rejects_what_is_not_an_exact_number)
{
    sim_fx v;
    cr_assert_eq(sim_fx_parse("", &v), SIM_EINVAL);
    cr_assert_eq(sim_fx_parse("abc", &v), SIM_EINVAL);
    cr_assert_eq(sim_fx_parse("1.2.3", &v), SIM_EINVAL);
    cr_assert_eq(sim_fx_parse("12x", &v), SIM_EINVAL);
    /* 13 significant decimal places cannot be held exactly. */
    cr_assert_eq(sim_fx_parse("0.0000000000001", &v), SIM_EINVAL);
    /* Trailing zeros beyond 12 places are fine: the value is exact. */
    cr_assert_eq(sim_fx_parse("0.50000000000000", &v), SIM_OK);
    cr_assert_eq(sim_fx_parse("1e40", &v), SIM_ERANGE);
}

Test(fixed, multiplication_rounds_half_to_even_once)
{
    sim_fx r;
    /* 0.000000000001 * 0.5 = 5e-13: exactly half a unit, rounds to 0. */
    cr_assert_eq(sim_fx_mul(1, SIM_FX_ONE / 2, &r), SIM_OK);
    cr_assert(r == 0);
    /* 3e-12 * 0.5 = 1.5e-12 rounds to the even 2e-12. */
    cr_assert_eq(sim_fx_mul(3, SIM_FX_ONE / 2, &r), SIM_OK);
    cr_assert(r == 2);
    /* $10.70 per 30 days for 730 h: 10.70 * 2628000 / 2592000 =
     * 10.848611111111... */
    cr_assert_eq(sim_fx_muldiv(fx("10.70"), fx("2628000"), fx("2592000"),
                               &r), SIM_OK);
    cr_assert(r == fx("10.848611111111"));
}

Test(fixed, overflow_is_reported_not_wrapped)
{
    sim_fx r = 42;
    sim_fx big = sim_fx_from_int(1000000000000000000LL);
    cr_assert_eq(sim_fx_mul(big, big, &r), SIM_ERANGE);
    cr_assert(r == 42);
    cr_assert_eq(sim_fx_div(SIM_FX_ONE, 0, &r), SIM_EINVAL);
}

Test(fixed, formats_with_fixed_places_and_trimmed)
{
    char b[64];
    cr_assert_str_eq(sim_fx_format(fx("202.875"), 2, b, sizeof b), "202.88");
    /* Half a cent rounds away from zero for display, as on an invoice:
     * 200 Fargate tasks at $9.010025 are $1,802.005, shown $1,802.01. */
    cr_assert_str_eq(sim_fx_format(fx("1802.005"), 2, b, sizeof b),
                     "1802.01");
    cr_assert_str_eq(sim_fx_format(fx("202.865"), 2, b, sizeof b), "202.87");
    cr_assert_str_eq(sim_fx_format(fx("-1.5"), 0, b, sizeof b), "-2");
    cr_assert_str_eq(sim_fx_format(fx("0.4999"), 0, b, sizeof b), "0");
    cr_assert_str_eq(sim_fx_format(fx("0.05"), 4, b, sizeof b), "0.0500");
    cr_assert_str_eq(sim_fx_format_trim(fx("3.140000"), 6, b, sizeof b),
                     "3.14");
    cr_assert_str_eq(sim_fx_format_trim(fx("7"), 6, b, sizeof b), "7");
    cr_assert_str_eq(sim_fx_format_trim(fx("-0.0000001"), 6, b, sizeof b),
                     "0");
}

Test(fixed, rounding_to_billing_units)
{
    /* R2: 10.2 GB-months bill as 11; exact multiples stay. */
    cr_assert(sim_fx_ceil_to(fx("10.2"), SIM_FX_ONE) == fx("11"));
    cr_assert(sim_fx_ceil_to(fx("11"), SIM_FX_ONE) == fx("11"));
    cr_assert(sim_fx_ceil_to(fx("1000001"), fx("1000000")) == fx("2000000"));
}

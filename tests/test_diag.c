/*
 * test_diag.c -- sim_appendf: appends that fill a buffer stop at its end,
 * however many follow.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/diag.h"

Test(sim_appendf, appends_while_there_is_room)
{
    char buf[16];
    size_t k = 0;
    buf[0] = '\0';
    k = sim_appendf(buf, sizeof buf, k, "%s", "ab");
    k = sim_appendf(buf, sizeof buf, k, ", %s", "cd");
    /* "ab" then ", cd": 6 characters */
    cr_assert_eq(k, 6);
    cr_assert_str_eq(buf, "ab, cd");
}

Test(sim_appendf, cuts_at_the_end_and_stays_there)
{
    /* A guard byte after the 8-byte buffer must survive every append. */
    char mem[9];
    memset(mem, '#', sizeof mem);
    char *buf = mem;
    size_t k = 0;
    buf[0] = '\0';
    k = sim_appendf(buf, 8, k, "%s", "abcde");
    /* "abcde" + ", fghij" would be 12: 7 characters fit, then the NUL */
    k = sim_appendf(buf, 8, k, ", %s", "fghij");
    cr_assert_eq(k, 7);
    cr_assert_str_eq(buf, "abcde, ");
    for (int i = 0; i < 100; i++)
        k = sim_appendf(buf, 8, k, ", %s", "more");
    cr_assert_eq(k, 7);
    cr_assert_str_eq(buf, "abcde, ");
    cr_assert_eq(mem[8], '#');
}

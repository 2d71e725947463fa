/*
 * test_diag.c -- sim_appendf: appends that fill a buffer stop at its end,
 * however many follow; sim_diag_move keeps the order of what it moves.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The list keeps SIM_DIAG_MAX entries and counts the rest, so a file
 * with thousands of copies of one mistake costs linear time and says how
 * many it did not show. */
Test(sim_diag, keeps_the_first_hundred_and_counts_the_rest)
{
    sim_diag d;
    sim_diag_init(&d);
    const char *text = "a: 1\nb: 2\n";
    for (int i = 0; i < 150; i++)
        sim_diag_add(&d, SIM_DIAG_ERROR, "f.yaml", text, 2, 1, "error %d", i);
    sim_diag_add(&d, SIM_DIAG_WARNING, "f.yaml", NULL, 0, 0, "late warning");
    cr_assert_eq(d.n, 100);
    cr_assert_eq(d.errors, 150);
    cr_assert_eq(d.dropped, 51);
    cr_assert_str_eq(d.v[99].message, "error 99");
    cr_assert_str_eq(d.v[0].source, "b: 2");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    sim_diag_print(&d, f);
    fclose(f);
    cr_assert(strstr(out, "capsim: note: 51 more problems not shown (the "
                          "first 100 are)\n") != NULL);
    cr_assert(strstr(out, "error 100") == NULL);
    free(out);
    sim_diag_fini(&d);
}

Test(sim_diag, move_appends_in_order_and_empties_the_source)
{
    sim_diag to, from;
    sim_diag_init(&to);
    sim_diag_init(&from);
    sim_diag_add(&to, SIM_DIAG_WARNING, "a.yaml", NULL, 1, 1, "first");
    sim_diag_add(&from, SIM_DIAG_ERROR, "b.yaml", NULL, 2, 3, "second");
    sim_diag_add(&from, SIM_DIAG_WARNING, "b.yaml", NULL, 4, 5, "third");
    sim_diag_move(&to, &from);
    cr_assert_eq(to.n, 3);
    cr_assert_eq(to.errors, 1);
    cr_assert_str_eq(to.v[0].message, "first");
    cr_assert_str_eq(to.v[1].message, "second");
    cr_assert_str_eq(to.v[2].message, "third");
    cr_assert_eq(to.v[1].line, 2);
    cr_assert_eq(from.n, 0);
    cr_assert_eq(from.errors, 0);
    /* The source stays usable and owns nothing it moved. */
    sim_diag_add(&from, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "fourth");
    sim_diag_move(&to, &from);
    cr_assert_eq(to.n, 4);
    cr_assert_eq(to.errors, 2);
    cr_assert_str_eq(to.v[3].message, "fourth");
    sim_diag_fini(&from);
    sim_diag_fini(&to);
}

/* Diagnostics recorded apart and moved together say what one diag given
 * every entry directly would: the same hundred kept, the same count
 * dropped -- so a run on several threads reports as one thread does. */
Test(sim_diag, move_matches_adding_directly)
{
    sim_diag to, from, all;
    sim_diag_init(&to);
    sim_diag_init(&from);
    sim_diag_init(&all);
    for (int i = 0; i < 80; i++) {
        sim_diag_add(&to, SIM_DIAG_WARNING, NULL, NULL, 0, 0, "w %d", i);
        sim_diag_add(&all, SIM_DIAG_WARNING, NULL, NULL, 0, 0, "w %d", i);
    }
    for (int i = 0; i < 130; i++) {
        sim_diag_add(&from, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "e %d", i);
        sim_diag_add(&all, SIM_DIAG_ERROR, NULL, NULL, 0, 0, "e %d", i);
    }
    sim_diag_move(&to, &from);
    cr_assert_eq(to.n, 100);
    cr_assert_eq(to.n, all.n);
    cr_assert_eq(to.errors, all.errors);
    cr_assert_eq(to.dropped, all.dropped);
    cr_assert_eq(to.dropped, 110);
    for (size_t i = 0; i < to.n; i++)
        cr_assert_str_eq(to.v[i].message, all.v[i].message);
    cr_assert_eq(from.n, 0);
    cr_assert_eq(from.dropped, 0);
    sim_diag_fini(&from);
    sim_diag_fini(&to);
    sim_diag_fini(&all);
}

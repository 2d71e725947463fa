/*
 * test_strset.c -- the string set loaders find duplicates with: every key
 * found again, the first of two duplicates named, nothing lost when the
 * table grows, and a probe that does not stop at a hash match alone.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/strset.h"

Test(sim_strset, adds_finds_and_names_the_first_duplicate)
{
    sim_strset *s = sim_strset_new(0);
    cr_assert_not_null(s);
    size_t first = 99;
    cr_assert_eq(sim_strset_add(s, "alpha", NULL), 1);
    cr_assert_eq(sim_strset_add(s, "beta", NULL), 1);
    cr_assert_eq(sim_strset_add(s, "alpha", &first), 0);
    cr_assert_eq(first, 0);
    cr_assert_eq(sim_strset_add(s, "beta", &first), 0);
    cr_assert_eq(first, 1);
    cr_assert_eq(sim_strset_find(s, "gamma", NULL), 0);
    cr_assert_eq(sim_strset_find(s, "", NULL), 0);
    cr_assert_eq(sim_strset_add(s, "", NULL), 1);
    cr_assert_eq(sim_strset_find(s, "", &first), 1);
    cr_assert_eq(first, 2);
    sim_strset_free(s);
}

/* 20,000 keys from a table sized for 16: each is found at its own order
 * after every growth, and each is a duplicate the second time. */
Test(sim_strset, keeps_every_key_through_growth)
{
    enum { N = 20000 };
    static char keys[N][16];
    sim_strset *s = sim_strset_new(1);
    cr_assert_not_null(s);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        cr_assert_eq(sim_strset_add(s, keys[i], NULL), 1, "key %d", i);
    }
    for (int i = 0; i < N; i++) {
        size_t at = 0;
        char probe[16];
        snprintf(probe, sizeof probe, "k%d", i);   /* another pointer */
        cr_assert_eq(sim_strset_find(s, probe, &at), 1, "key %d", i);
        cr_assert_eq(at, (size_t)i);
        cr_assert_eq(sim_strset_add(s, probe, &at), 0);
        cr_assert_eq(at, (size_t)i);
    }
    cr_assert_eq(sim_strset_find(s, "k20000", NULL), 0);
    sim_strset_free(s);
}

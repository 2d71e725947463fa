/*
 * strset.h -- a set of borrowed strings, for loaders that must find
 * duplicates and names in time linear in their input.
 *
 * Checking each new key against every earlier one is quadratic: a 1 MB
 * scenario with 15,000 deployments took minutes.  The set hashes instead
 * (FNV-1a, open addressing with linear probing, at most half full), so
 * adding n keys costs O(n) expected.  Keys are borrowed, not copied: they
 * must outlive the set, which suits a loader whose keys live in the
 * parsed document.  Each key remembers the order it was added in, so a
 * caller can name the first of two duplicates.
 */
#ifndef BASE_STRSET_H
#define BASE_STRSET_H

#include <stddef.h>

typedef struct sim_strset sim_strset;   /* opaque */

/* An empty set sized for about `hint` keys, or NULL out of memory. */
sim_strset *sim_strset_new(size_t hint);
void sim_strset_free(sim_strset *s);

/*
 * Adds `key`.  1 when it was new; 0 when it was there already, with *first
 * (if not NULL) set to the order of the copy added first (0-based); -1
 * when memory ran out (the set is unchanged).
 */
int sim_strset_add(sim_strset *s, const char *key, size_t *first);

/* 1 and *order set when `key` is in the set, else 0. */
int sim_strset_find(const sim_strset *s, const char *key, size_t *order);

#endif

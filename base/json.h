/*
 * json.h -- adding to a cJSON tree without leaking.
 *
 * cJSON_AddItemToObject and cJSON_AddItemToArray leave the item with the
 * caller when they fail (no memory for the key, or a NULL parent because
 * creating it failed), and a builder that ignores that leaks the item
 * and everything under it.  These take the item in every case: attached
 * on success, deleted otherwise.  A builder can then chain adds without a
 * check at each step and test once at the end (rpt_render compares
 * sim_alloc_failures(), base/alloc.h; the agent core keeps a sticky flag).
 * cJSON's own Add<Type>ToObject helpers already delete on failure.
 */
#ifndef BASE_JSON_H
#define BASE_JSON_H

#include <cJSON.h>

/* Attaches `item` to `obj` under `key`; 1, or 0 with `item` deleted. */
int sim_json_add(cJSON *obj, const char *key, cJSON *item);
/* Appends `item` to `arr`; 1, or 0 with `item` deleted. */
int sim_json_push(cJSON *arr, cJSON *item);

#endif

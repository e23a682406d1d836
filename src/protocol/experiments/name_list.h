/* Internal: comma-separated name lists of experiment keys such as cl.conditions ("all" or
 * "a,b,c"), so each experiment selects and checks its named conditions the same way. */
#ifndef SOMNUS_EXP_NAME_LIST_H
#define SOMNUS_EXP_NAME_LIST_H

#include <stddef.h>

#include "somnus/core/error.h"

/* 1 if `name` is an item of the comma-separated `list`, or `list` is "all"; else 0. */
int sm_exp_list_has(const char *list, const char *name);

/* The first item of `list` that is none of names[0..n) (its length in *len), or NULL if
 * every item is known ("all" is always known). */
const char *sm_exp_list_unknown(const char *list, const char *const *names, int n, size_t *len);

/* SM_OK if every item of `list` (the value of config key `key`) is one of names[0..n) or
 * list is "all"; else SM_EINVAL naming the key, the first unknown item and the names. */
sm_status sm_exp_list_check(const char *key, const char *list, const char *const *names, int n,
                            sm_error *err);

#endif

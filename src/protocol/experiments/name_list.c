/* Comma-separated name lists ("all" or "a,b,c") of the experiments' condition keys. */
#include "protocol/experiments/name_list.h"

#include <stdio.h>
#include <string.h>

/* Is the item p[0..len) equal to `name`? */
static int item_is(const char *p, size_t len, const char *name)
{
    return strlen(name) == len && !strncmp(p, name, len);
}

int sm_exp_list_has(const char *list, const char *name)
{
    if (!strcmp(list, "all")) return 1;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        if (item_is(p, e ? (size_t)(e - p) : strlen(p), name)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

const char *sm_exp_list_unknown(const char *list, const char *const *names, int n, size_t *len)
{
    if (!strcmp(list, "all")) return NULL;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        const size_t l = e ? (size_t)(e - p) : strlen(p);
        int ok = 0;
        for (int k = 0; k < n && !ok; k++)
            ok = item_is(p, l, names[k]);
        if (!ok) {
            *len = l;
            return p;
        }
        if (!e) break;
        p = e + 1;
    }
    return NULL;
}

sm_status sm_exp_list_check(const char *key, const char *list, const char *const *names, int n,
                            sm_error *err)
{
    size_t len = 0;
    const char *p = sm_exp_list_unknown(list, names, n, &len);
    if (!p) return SM_OK;
    char known[1024] = "";
    size_t at = 0;
    for (int k = 0; k < n && at < sizeof known; k++)
        at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", k ? ", " : "", names[k]);
    return sm_error_set(err, SM_EINVAL, "%s: '%.*s' is not one of %s (or all)", key, (int)len, p,
                        known);
}

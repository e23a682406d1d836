#include "somnus/io/results.h"

#include <math.h>
#include <string.h>

#include "somnus/core/fileio.h"
#include "somnus_version.h"

const char *sm_version(void)
{
    return SOMNUS_VERSION;
}

static json_t *param_value(const sm_config *cfg, const sm_param_def *d)
{
    double v = sm_config_get(cfg, d);
    char text[SM_CONFIG_STR_MAX];
    switch (d->type) {
    case SM_PT_STRING: sm_config_format(cfg, d, text, sizeof text); return json_string(text);
    case SM_PT_BOOL: return json_boolean(v != 0);
    case SM_PT_ENUM: sm_config_format(cfg, d, text, sizeof text); return json_string(text);
    case SM_PT_REAL: return json_real(v);
    case SM_PT_INT64: /* exact, not through the double: seeds above 2^53 stay distinct */
        return json_integer((json_int_t) * (const int64_t *)((const char *)cfg + d->offset));
    default: return json_integer((json_int_t)v);
    }
}

json_t *sm_config_to_json(const sm_config *cfg)
{
    size_t n;
    const sm_param_def *table = sm_param_table(&n);
    json_t *root = json_object();
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(table[i].name, '.');
        char group[64];
        snprintf(group, sizeof group, "%.*s", (int)(dot - table[i].name), table[i].name);
        json_t *g = json_object_get(root, group);
        if (!g) {
            g = json_object();
            json_object_set_new(root, group, g);
        }
        json_object_set_new(g, dot + 1, param_value(cfg, &table[i]));
    }
    return root;
}

sm_status sm_json_write(const char *path, json_t *doc, sm_error *err)
{
    sm_atomic_file f;
    sm_status st = sm_atomic_open(&f, path, err);
    if (st != SM_OK) return st;
    if (json_dumpf(doc, f.fp, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0 ||
        fputc('\n', f.fp) == EOF) {
        sm_atomic_abort(&f);
        return sm_error_set(err, SM_EIO, "%s: cannot write JSON", path);
    }
    return sm_atomic_commit(&f, err);
}

double sm_json_number(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

double sm_json_get_number(const json_t *obj, const char *key)
{
    return obj ? sm_json_number(json_object_get(obj, key)) : NAN;
}

const char *sm_json_get_string(const json_t *obj, const char *key)
{
    const char *s = obj ? json_string_value(json_object_get(obj, key)) : NULL;
    return s ? s : "";
}

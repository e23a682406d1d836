/* The spec's E1/E2 targets marked on a Diehl & Cook grid (dc_targets.h). */
#include "protocol/experiments/dc_targets.h"
#include "somnus/io/results.h"

#include <math.h>
#include <string.h>

double sm_exp_dc_target_accuracy(const char *dataset, int n_exc, int passes)
{
    if (!strcmp(dataset, "mnist"))
        return n_exc == 100    ? 0.80
               : n_exc == 400  ? (passes >= 20 ? 0.86 : 0.85)
               : n_exc == 1600 ? 0.88
                               : NAN;
    if (!strcmp(dataset, "fashion") || !strcmp(dataset, "fashion-mnist"))
        return n_exc == 100    ? 0.68
               : n_exc == 400  ? 0.72
               : n_exc == 1600 ? 0.75
               : n_exc == 6400 ? 0.77
                               : NAN;
    return NAN;
}

int sm_exp_dc_is_frozen(const char *variant)
{
    return strncmp(variant, "frozen", 6) == 0;
}

static json_t *tri(int known, int yes)
{
    return known ? json_boolean(yes) : json_null();
}

/* The mean all-activity accuracy of (variant, n_exc), NaN when absent. */
static double mean_of(const json_t *cells, const char *variant, json_int_t n_exc)
{
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (!strcmp(sm_json_get_string(c, "variant"), variant) &&
            json_integer_value(json_object_get(c, "n_exc")) == n_exc)
            return sm_json_get_number(c, "mean_accuracy_all");
    }
    return NAN;
}

/* Rising (over sizes in increasing order), proportion and frozen-control checks of one
 * learning variant. */
static json_t *variant_row(const json_t *cells, const char *variant)
{
    const char *control = !strcmp(variant, "code_clamp") ? "frozen_clamp" : "frozen";
    json_int_t n[16];
    double a[16];
    int m = 0, prop_ok = 1, controls = 0, beats = 1;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (strcmp(sm_json_get_string(c, "variant"), variant) != 0 || m == 16) continue;
        int k = m++; /* insertion by n_exc */
        const json_int_t nk = json_integer_value(json_object_get(c, "n_exc"));
        for (; k > 0 && n[k - 1] > nk; k--) {
            n[k] = n[k - 1];
            a[k] = a[k - 1];
        }
        n[k] = nk;
        a[k] = sm_json_get_number(c, "mean_accuracy_all");
        prop_ok &= sm_json_get_number(c, "mean_accuracy_prop") >= a[k] - 0.01;
        const double f = mean_of(cells, control, nk);
        if (isfinite(f)) {
            controls++;
            beats &= a[k] > f;
        }
    }
    int rising = 1;
    for (int k = 1; k < m; k++)
        rising &= a[k] > a[k - 1];
    return json_pack("{s:s, s:o, s:b, s:o}", "variant", variant, "rising_with_n_exc",
                     tri(m > 1, rising), "proportion_within_1pt", prop_ok, "beats_frozen",
                     tri(controls > 0, beats));
}

/* BindsNET below the code variant at every size both ran; null when none. */
static json_t *bindsnet_below(const json_t *cells)
{
    int shared = 0, below = 1;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        if (strcmp(sm_json_get_string(c, "variant"), "bindsnet") != 0) continue;
        const double code = mean_of(cells, "code", json_integer_value(json_object_get(c, "n_exc")));
        if (!isfinite(code)) continue;
        shared++;
        below &= sm_json_get_number(c, "mean_accuracy_all") < code;
    }
    return json_pack("{s:s, s:o}", "check", "bindsnet_below_code", "met", tri(shared > 0, below));
}

json_t *sm_exp_dc_targets(const json_t *cells)
{
    json_t *out = json_array();
    const char *seen[16];
    int n_seen = 0, mnist = 0;
    size_t i;
    const json_t *c;
    json_array_foreach((json_t *)cells, i, c)
    {
        const char *v = sm_json_get_string(c, "variant"), *ds = sm_json_get_string(c, "dataset");
        mnist |= !strcmp(ds, "mnist");
        if (sm_exp_dc_is_frozen(v)) continue;
        const int n_exc = (int)json_integer_value(json_object_get(c, "n_exc"));
        const int passes = (int)json_integer_value(json_object_get(c, "passes"));
        const double t = sm_exp_dc_target_accuracy(ds, n_exc, passes);
        const double a = sm_json_get_number(c, "mean_accuracy_all");
        if (isfinite(t))
            json_array_append_new(out, json_pack("{s:s, s:i, s:i, s:f, s:f, s:b}", "variant", v,
                                                 "n_exc", n_exc, "passes", passes, "target", t,
                                                 "mean_accuracy_all", a, "met", a >= t));
        int known = 0;
        for (int k = 0; k < n_seen && !known; k++)
            known = !strcmp(seen[k], v);
        if (!known && n_seen < 16) seen[n_seen++] = v;
    }
    for (int k = 0; k < n_seen; k++)
        json_array_append_new(out, variant_row(cells, seen[k]));
    if (mnist) json_array_append_new(out, bindsnet_below(cells));
    return out;
}

#include "somnus/analysis/rf_drift.h"

#include <math.h>

double sm_rf_drift(const sm_net *net, const float *w_initial)
{
    double total = 0;
    int used = 0;
    const double n = net->n_in;
    for (int j = 0; j < net->n_exc; j++) {
        /* The pixels without a synapse are zeros of both vectors: only the sums see them. */
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (int64_t k = net->in_row[j]; k < net->in_row[j + 1]; k++) {
            const uint32_t s = net->in_syn[k];
            if (net->pathway[s] != SM_PATH_SE) continue;
            const double x = net->w[s], y = w_initial[s];
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        const double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
        if (!(vx > 0) || !(vy > 0)) continue;
        total += 1.0 - (sxy - sx * sy / n) / sqrt(vx * vy);
        used++;
    }
    return used ? total / used : NAN;
}

double sm_dead_fraction(const float *rows, int n_rows, int d, int n_exc)
{
    if (n_exc <= 0) return NAN;
    int dead = 0;
    for (int j = 0; j < n_exc; j++) {
        int fired = 0;
        for (int i = 0; i < n_rows && !fired; i++)
            fired = rows[(int64_t)i * d + j] != 0.0f;
        dead += !fired;
    }
    return (double)dead / n_exc;
}

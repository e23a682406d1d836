/* The single E-I pair of Figure 3 (spec section 5a): the sign of the rule as a function
 * of the input, with and without a target, and the isolated neuron's threshold. */
#include <math.h>

#include "somnus/models/disinh.h"

/* Both populations: soft ReLU s = 1, k = 1, h = 3 (the notebook's). */
static const sm_disinh_act ACT = {1.0, 1.0, 3.0};

void sm_disinh_neuron_steady(double x, double r_tar, double alpha, sm_disinh_neuron *out)
{
    /* tau du_E/dt = -u_E + x - phi(u_I); tau du_I/dt = -u_I + phi(u_E) - alpha (r_tar - r_E);
     * dt = tau / 50, so each step moves u by (rhs) / 50. */
    double ue = 0, ui = 0;
    int step = 0;
    for (; step < 100000; step++) {
        const double re = sm_disinh_phi(&ACT, ue), ri = sm_disinh_phi(&ACT, ui);
        const double due = (-ue + x - ri) / 50.0;
        double dui = -ui + re;
        if (!isnan(r_tar)) dui -= alpha * (r_tar - re);
        dui /= 50.0;
        ue += due;
        ui += dui;
        if (fabs(due) < 1e-12 && fabs(dui) < 1e-12) break;
    }
    out->u_e = ue;
    out->u_i = ui;
    out->r_e = sm_disinh_phi(&ACT, ue);
    out->r_i = sm_disinh_phi(&ACT, ui);
    out->steps = step + 1;
}

double sm_disinh_neuron_dw(double x, const sm_disinh_neuron *s, int lin, double theta, double delta)
{
    const double inv = lin ? theta + delta * s->r_i : sm_disinh_phi_inv(&ACT, s->r_i);
    return x * (s->r_e - inv) * sm_disinh_dphi(&ACT, s->u_e);
}

static double dw_at(double x, double r_tar, double alpha, int lin, double theta, double delta,
                    double *r_e)
{
    sm_disinh_neuron s;
    sm_disinh_neuron_steady(x, r_tar, alpha, &s);
    if (r_e) *r_e = s.r_e;
    return sm_disinh_neuron_dw(x, &s, lin, theta, delta);
}

int sm_disinh_neuron_crossings(double r_tar, double alpha, int lin, double theta, double delta,
                               double x_max, int n_grid, double *r_e_out, int max)
{
    int found = 0;
    double x0 = x_max / n_grid, d0 = dw_at(x0, r_tar, alpha, lin, theta, delta, NULL);
    for (int g = 2; g <= n_grid && found < max; g++) {
        const double x1 = x_max * g / n_grid;
        const double d1 = dw_at(x1, r_tar, alpha, lin, theta, delta, NULL);
        if (fabs(d0) > 1e-9 && fabs(d1) > 1e-9 && (d0 > 0) != (d1 > 0)) {
            double lo = x0, hi = x1, dlo = d0;
            while (hi - lo > 1e-12) {
                const double mid = 0.5 * (lo + hi);
                const double dm = dw_at(mid, r_tar, alpha, lin, theta, delta, NULL);
                if ((dm > 0) == (dlo > 0)) {
                    lo = mid;
                    dlo = dm;
                } else {
                    hi = mid;
                }
            }
            double r_e;
            dw_at(0.5 * (lo + hi), r_tar, alpha, lin, theta, delta, &r_e);
            r_e_out[found++] = r_e;
        }
        x0 = x1;
        d0 = d1;
    }
    return found;
}

/* Gaussian E->E and ring I->E on the E sheet (sheet_fields.h). */
#include "somnus/network/sheet_fields.h"

#include <math.h>

#include "somnus/core/threads.h"
#include "somnus/network/receptive_fields.h"

static void e_position(int n_exc, int j, double *row, double *col)
{
    int he, we;
    sm_rf_sheet(n_exc, &he, &we);
    const int r = j / we, c = j % we; /* the sheet position is integral */
    *row = r;
    *col = c;
}

void sm_sheet_i_position(int n_exc, int n_inh, int k, double *row, double *col)
{
    int he, we, hi, wi;
    sm_rf_sheet(n_exc, &he, &we);
    sm_rf_sheet(n_inh, &hi, &wi);
    const int r = k / wi, c = k % wi; /* the integral position on the inhibitory sheet */
    *row = (double)r * he / hi;
    *col = (double)c * we / wi;
}

/* Squared toroidal distance on the E sheet between (r0, c0) and E neuron j. */
static double d2_to_e(int n_exc, double r0, double c0, int j)
{
    int he, we;
    double r, c;
    sm_rf_sheet(n_exc, &he, &we);
    e_position(n_exc, j, &r, &c);
    return sm_rf_torus_d2(r0, c0, r, c, he, we);
}

double sm_sheet_ee_kernel(const sm_config *cfg, int i, int j)
{
    if (i == j) return 0.0;
    double r, c;
    e_position(cfg->net.n_exc, i, &r, &c);
    const double s = cfg->net.ee_sigma;
    const double k = exp(-d2_to_e(cfg->net.n_exc, r, c, j) / (2 * s * s));
    return k >= SM_RF_K_MIN ? k : 0.0;
}

double sm_sheet_ie_kernel(const sm_config *cfg, int k, int j)
{
    double r, c;
    sm_sheet_i_position(cfg->net.n_exc, cfg->net.n_inh, k, &r, &c);
    const double x =
        (sqrt(d2_to_e(cfg->net.n_exc, r, c, j)) - cfg->net.ie_radius) / cfg->net.ie_width;
    const double v = exp(-0.5 * x * x);
    return v >= SM_RF_K_MIN ? v : 0.0;
}

void sm_sheet_scales(const sm_config *cfg, int ie, double *scale)
{
    const int n = cfg->net.n_exc, n_pre = ie ? cfg->net.n_inh : n;
    const int path = ie ? SM_PATH_IE : SM_PATH_EE;
    const double target = cfg->net.p[path] * (ie ? n_pre : n_pre - 1) * cfg->net.w0[path];
    /* one column per iteration, its sum in pre order: the same on any thread count */
#pragma omp parallel for schedule(static)                                                          \
    num_threads(sm_threads(cfg->run.threads)) if (n > cfg->run.parallel_min)
    for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int i = 0; i < n_pre; i++)
            sum += ie ? sm_sheet_ie_kernel(cfg, i, j) : sm_sheet_ee_kernel(cfg, i, j);
        scale[j] = sum > 0 ? target / sum : 0.0;
    }
}

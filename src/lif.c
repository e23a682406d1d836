#include "somnus/lif.h"

static float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

sm_lif_coeffs sm_lif_coeffs_make(const sm_lif_params *p, double dt)
{
    sm_lif_coeffs c = {
        .k_syn = (float)(dt / p->tau_syn),
        .k_m = (float)(dt / p->tau_m),
        .k_a = (float)(dt / p->tau_a),
        .r_m = (float)p->r_m,
        .v_rest = (float)p->v_rest,
        .v_reset = (float)p->v_reset,
        .theta0 = (float)p->theta0,
        .v_min = (float)p->v_min,
        .v_max = (float)p->v_max,
        .theta_min = (float)p->theta_min,
        .theta_max = (float)p->theta_max,
        .delta_a = (float)p->delta_a,
    };
    return c;
}

void sm_lif_init(const sm_lif_params *p, int n, float *v, float *i_syn, float *a, float *theta)
{
    float th = clampf((float)p->theta0, (float)p->theta_min, (float)p->theta_max);
    for (int k = 0; k < n; k++) {
        v[k] = (float)p->v_init;
        i_syn[k] = 0.0f;
        a[k] = 0.0f;
        theta[k] = th;
    }
}

int sm_lif_step(const sm_lif_coeffs *c, int n, float *restrict v, float *restrict i_syn,
                float *restrict a, float *restrict theta, float *restrict drive,
                const float *restrict noise, uint8_t *restrict spiked)
{
    int count = 0;
    /* Branch-free body so the compiler vectorizes it; the spike test uses the threshold
     * of the previous step, as in the spec's order. */
#pragma omp simd reduction(+ : count)
    for (int k = 0; k < n; k++) {
        float cur = i_syn[k] + c->k_syn * (-i_syn[k] + drive[k]);
        float vm = v[k] + c->k_m * (-(v[k] - c->v_rest) + c->r_m * cur);
        if (noise) vm += noise[k];
        vm = clampf(vm, c->v_min, c->v_max);
        int s = vm > theta[k];
        vm = s ? c->v_reset : vm;
        float ad = a[k] - c->k_a * a[k];
        ad = s ? ad + c->delta_a : ad;
        i_syn[k] = cur;
        v[k] = vm;
        a[k] = ad;
        theta[k] = clampf(c->theta0 + ad, c->theta_min, c->theta_max);
        drive[k] = 0.0f;
        spiked[k] = (uint8_t)s;
        count += s;
    }
    return count;
}

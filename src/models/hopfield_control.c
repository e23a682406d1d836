/* Federated Hopfield: the clients' plasticity controllers (spec section 5). */
#include <math.h>

#include "somnus/core/config.h"
#include "somnus/models/hopfield.h"

double sm_hf_sign_agreement(const double *A, const double *B, int N)
{
    size_t same = 0, total = 0;
    for (int i = 0; i < N; i++) {
        const double *a = A + (size_t)i * (size_t)N, *b = B + (size_t)i * (size_t)N;
        for (int j = i + 1; j < N; j++) {
            /* numpy's sign, as the reference: 0 matches only 0 (an attacker's even-M
             * correlator is exactly 0 in ~3% of entries, which pulls p below 1/2) */
            same += ((a[j] > 0) - (a[j] < 0)) == ((b[j] > 0) - (b[j] < 0));
            total++;
        }
    }
    return total ? (double)same / (double)total : NAN;
}

double sm_hf_binary_entropy(double p)
{
    if (p <= 0 || p >= 1) return 0;
    return -p * log2(p) - (1 - p) * log2(1 - p);
}

static double clip01(double x)
{
    return x < 0 ? 0 : (x > 1 ? 1 : x);
}

double sm_hf_controller_raw(int controller, double p, double r_ref)
{
    const double p0 = 0.5 * (1.0 + r_ref * r_ref);
    switch (controller) {
    case SM_HF_ENTROPY: {
        const double hmin = sm_hf_binary_entropy(p0);
        if (1 - hmin < 1e-12) return 0;
        return clip01((sm_hf_binary_entropy(p) - hmin) / (1 - hmin));
    }
    case SM_HF_AGREEMENT:
        if (p0 - 0.5 < 1e-12) return 0;
        return clip01((p - 0.5) / (p0 - 0.5));
    default: return NAN;
    }
}

/* Fixed random projection with a ReLU (random_projection.h). */
#include "somnus/analysis/random_projection.h"

#include <cblas.h>
#include <stdlib.h>

#include "somnus/core/rng.h"

double *sm_rp_draw(int d, int M, uint64_t seed, uint32_t stream, uint32_t index, sm_error *err)
{
    if (d < 1 || M < 1) {
        sm_error_set(err, SM_EINVAL, "random projection: need d >= 1 and M >= 1 (got %d, %d)", d,
                     M);
        return NULL;
    }
    double *R = malloc((size_t)d * (size_t)M * sizeof *R);
    if (!R) {
        sm_error_set(err, SM_ENOMEM, "random projection: out of memory for %d x %d", d, M);
        return NULL;
    }
    sm_rng rng;
    sm_rng_init(&rng, seed, stream, index);
    for (size_t i = 0; i < (size_t)d * (size_t)M; i++)
        R[i] = sm_rng_normal(&rng);
    return R;
}

sm_status sm_rp_apply(const double *R, int d, int M, const float *x, int n, double scale, double *H,
                      sm_error *err)
{
    if (n <= 0) return SM_OK;
    double *X = malloc((size_t)n * (size_t)d * sizeof *X);
    if (!X) return sm_error_set(err, SM_ENOMEM, "random projection: out of memory");
    for (size_t i = 0; i < (size_t)n * (size_t)d; i++)
        X[i] = scale * x[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, M, d, 1.0, X, d, R, M, 0.0, H, M);
    for (size_t i = 0; i < (size_t)n * (size_t)M; i++)
        if (!(H[i] > 0)) H[i] = 0; /* relu; -0 becomes +0 */
    free(X);
    return SM_OK;
}

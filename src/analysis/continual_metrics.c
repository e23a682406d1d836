/* The accuracy matrix's metrics and the linear CKA (continual_metrics.h). */
#include "somnus/analysis/continual_metrics.h"

#include <math.h>
#include <stdlib.h>

sm_status sm_cl_metrics_compute(const double *R, int T, const double *w, sm_cl_metrics *out,
                                sm_error *err)
{
    if (T < 1) return sm_error_set(err, SM_EINVAL, "continual metrics: need at least 1 task");
    for (int j = 0; w && j < T; j++)
        if (!(w[j] > 0))
            return sm_error_set(err, SM_EINVAL, "continual metrics: task %d has weight %g", j + 1,
                                w[j]);
#define AT(i, j) R[(size_t)(i) * (size_t)T + (size_t)(j)]
    double s = 0;
    for (int j = 0; j < T; j++)
        s += AT(T, j);
    out->acc = s / T;
    s = 0;
    for (int i = 1; i <= T; i++) {
        double num = 0, den = 0;
        for (int j = 0; j < i; j++) {
            const double wj = w ? w[j] : 1.0;
            num += wj * AT(i, j);
            den += wj;
        }
        s += num / den;
    }
    out->aia = s / T;
    s = 0;
    for (int j = 0; j < T; j++)
        s += AT(j + 1, j);
    out->plasticity = s / T;
    if (T < 2) {
        out->bwt = out->forgetting = out->fwt = NAN;
        return SM_OK;
    }
    double b = 0, f = 0, fw = 0;
    for (int j = 0; j < T - 1; j++) {
        b += AT(T, j) - AT(j + 1, j);
        /* max over rows l = j+1 .. T-1 (tasks j..T-1, 1-based); NaN propagates */
        double m = -INFINITY;
        for (int l = j + 1; l <= T - 1; l++) {
            const double v = AT(l, j) - AT(T, j);
            m = isnan(v) || isnan(m) ? NAN : (v > m ? v : m);
        }
        f += m;
    }
    for (int j = 1; j < T; j++)
        fw += AT(j, j) - AT(0, j);
#undef AT
    out->bwt = b / (T - 1);
    out->forgetting = f / (T - 1);
    out->fwt = fw / (T - 1);
    return SM_OK;
}

/* Column-centred copy of X (n x d) in double; NULL on out of memory. */
static double *centred(const float *X, int d, int n)
{
    double *c = malloc((size_t)n * (size_t)d * sizeof *c);
    if (!c) return NULL;
    for (int k = 0; k < d; k++) {
        double m = 0;
        for (int i = 0; i < n; i++)
            m += X[(size_t)i * d + k];
        m /= n;
        for (int i = 0; i < n; i++)
            c[(size_t)i * d + k] = X[(size_t)i * d + k] - m;
    }
    return c;
}

/* ||A^T B||_F^2 for A (n x da), B (n x db). */
static double cross_norm2(const double *A, int da, const double *B, int db, int n)
{
    double s = 0;
    for (int a = 0; a < da; a++)
        for (int b = 0; b < db; b++) {
            double v = 0;
            for (int i = 0; i < n; i++)
                v += A[(size_t)i * da + a] * B[(size_t)i * db + b];
            s += v * v;
        }
    return s;
}

double sm_cl_linear_cka(const float *X, int dx, const float *Y, int dy, int n)
{
    double *xc = centred(X, dx, n), *yc = centred(Y, dy, n);
    double r = NAN;
    if (xc && yc) {
        const double xy = cross_norm2(yc, dy, xc, dx, n);
        const double xx = cross_norm2(xc, dx, xc, dx, n);
        const double yy = cross_norm2(yc, dy, yc, dy, n);
        /* sqrt(fl(xx * xx)) is exactly xx in IEEE arithmetic, so X == Y gives exactly 1 */
        if (xx > 0 && yy > 0) r = xy / sqrt(xx * yy);
    }
    free(xc);
    free(yc);
    return r;
}

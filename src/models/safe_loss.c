/* The losses and the aggregation of SAFE (safe_loss.h; spec continual.md 5.2-5.4). */
#include "somnus/models/safe_loss.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Floor of a column's sd in the batch normalisation (spec 5.2). */
#define SD_FLOOR 1e-6

static double dot(const double *a, const double *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += a[i] * b[i];
    return s;
}

static double norm_floor(const double *a, int d)
{
    const double n = sqrt(dot(a, a, d));
    return n > SM_SAFE_EPS ? n : SM_SAFE_EPS;
}

/* Adds g * d cos(a, b) / d a to da, with na, nb the floored norms and c = cos(a, b). The
 * second term exists only where |a| is above the floor (below it the norm is constant;
 * na > SM_SAFE_EPS exactly when |a| is above it). */
static void cos_grad_add(const double *a, const double *b, int d, double na, double nb, double c,
                         double g, double *da)
{
    const double u = g / (na * nb), v = na > SM_SAFE_EPS ? g * c / (na * na) : 0.0;
    for (int i = 0; i < d; i++)
        da[i] += u * b[i] - v * a[i];
}

/* Floored norms of the n rows of x into out (malloc'ed; NULL when out of memory). */
static double *row_norms(const double *x, int n, int d)
{
    double *out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    for (int r = 0; out && r < n; r++)
        out[r] = norm_floor(x + (size_t)r * d, d);
    return out;
}

void sm_safe_cos_logits(const double *x, int n, int d, const double *W, int k, double s,
                        double *logits)
{
    double *nw = row_norms(W, k, d);
    for (int b = 0; b < n; b++) {
        const double *xb = x + (size_t)b * d;
        const double nx = norm_floor(xb, d);
        for (int c = 0; c < k; c++) {
            const double *w = W + (size_t)c * d;
            logits[(size_t)b * k + c] = s * dot(xb, w, d) / (nx * (nw ? nw[c] : norm_floor(w, d)));
        }
    }
    free(nw);
}

void sm_safe_cos_backward(const double *x, int n, int d, const double *W, int k, double s,
                          const double *dlogits, double *dx, double *dW, double *ds)
{
    double *nws = row_norms(W, k, d);
    for (int b = 0; b < n; b++) {
        const double *xb = x + (size_t)b * d;
        const double nx = norm_floor(xb, d);
        for (int c = 0; c < k; c++) {
            const double g = dlogits[(size_t)b * k + c];
            if (g == 0.0) continue;
            const double *w = W + (size_t)c * d;
            const double nw = nws ? nws[c] : norm_floor(w, d);
            const double cs = dot(xb, w, d) / (nx * nw);
            if (ds) *ds += g * cs;
            if (dx) cos_grad_add(xb, w, d, nx, nw, cs, g * s, dx + (size_t)b * d);
            if (dW) cos_grad_add(w, xb, d, nw, nx, cs, g * s, dW + (size_t)c * d);
        }
    }
    free(nws);
}

double sm_safe_ce(const double *logits, int n, int k, const int *y, const unsigned char *active,
                  double scale, double *dlogits)
{
    if (n <= 0) return NAN;
    double total = 0;
    for (int b = 0; b < n; b++) {
        const double *z = logits + (size_t)b * k;
        if (y[b] < 0 || y[b] >= k || (active && !active[y[b]])) return NAN;
        double mx = -INFINITY;
        for (int c = 0; c < k; c++)
            if ((!active || active[c]) && z[c] > mx) mx = z[c];
        double sum = 0;
        for (int c = 0; c < k; c++)
            if (!active || active[c]) sum += exp(z[c] - mx);
        if (!(sum > 0)) return NAN; /* cannot happen: the label's own term is 1 */
        total += -(z[y[b]] - mx - log(sum));
        if (!dlogits) continue;
        for (int c = 0; c < k; c++) {
            if (active && !active[c]) continue;
            const double p = exp(z[c] - mx) / sum;
            dlogits[(size_t)b * k + c] += scale * (p - (c == y[b])) / n;
        }
    }
    return total / n;
}

/* Column standardisation over n rows (batch norm of spec 5.2); sd[j] receives the sd used
 * (floored), so that the backward can run from z alone. */
static void standardise(const double *x, int n, int d, double *z, double *sd)
{
    for (int j = 0; j < d; j++) {
        double m = 0, v = 0;
        for (int b = 0; b < n; b++)
            m += x[(size_t)b * d + j];
        m /= n;
        for (int b = 0; b < n; b++) {
            const double e = x[(size_t)b * d + j] - m;
            v += e * e;
        }
        const double s = sqrt(v / n);
        sd[j] = s > SD_FLOOR ? s : -SD_FLOOR; /* negative marks a floored (constant) sd */
        for (int b = 0; b < n; b++)
            z[(size_t)b * d + j] = (x[(size_t)b * d + j] - m) / fabs(sd[j]);
    }
}

static void standardise_backward(const double *z, const double *dz, int n, int d, const double *sd,
                                 double *dx)
{
    for (int j = 0; j < d; j++) {
        double mg = 0, mgz = 0;
        for (int b = 0; b < n; b++) {
            mg += dz[(size_t)b * d + j];
            mgz += dz[(size_t)b * d + j] * z[(size_t)b * d + j];
        }
        mg /= n;
        mgz = sd[j] > 0 ? mgz / n : 0.0;
        for (int b = 0; b < n; b++) {
            const size_t i = (size_t)b * d + j;
            dx[i] += (dz[i] - mg - z[i] * mgz) / fabs(sd[j]);
        }
    }
}

/* Row normalisation (sample norm); nr[b] receives the floored norm. */
static void row_normalise(const double *x, int n, int d, double *z, double *nr)
{
    for (int b = 0; b < n; b++) {
        nr[b] = norm_floor(x + (size_t)b * d, d);
        for (int j = 0; j < d; j++)
            z[(size_t)b * d + j] = x[(size_t)b * d + j] / nr[b];
    }
}

static void row_normalise_backward(const double *x, const double *z, const double *dz, int n, int d,
                                   const double *nr, double *dx)
{
    for (int b = 0; b < n; b++) {
        const double *zb = z + (size_t)b * d, *gb = dz + (size_t)b * d;
        const int above = sqrt(dot(x + (size_t)b * d, x + (size_t)b * d, d)) > SM_SAFE_EPS;
        const double p = above ? dot(zb, gb, d) : 0.0;
        for (int j = 0; j < d; j++)
            dx[(size_t)b * d + j] += (gb[j] - zb[j] * p) / nr[b];
    }
}

sm_status sm_safe_corr_loss(const double *x0, const double *xs, int n, int d,
                            sm_safe_corr_norm norm, double lambda_diag, double lambda_rdn,
                            double *loss, double *dxs, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int batch = norm == SM_SAFE_NORM_BATCH;
    if (d < 1 || n < (batch ? 2 : 1))
        return sm_error_set(err, SM_EINVAL, "safe: correlation loss needs d >= 1 and n >= %d",
                            batch ? 2 : 1);
    const size_t nd = (size_t)n * d;
    double *z0 = calloc(nd, sizeof *z0), *zs = calloc(nd, sizeof *zs);
    double *M = malloc(2 * (size_t)n * n * sizeof *M),
           *s0 = malloc((size_t)(n > d ? n : d) * sizeof *s0);
    double *ss = malloc((size_t)(n > d ? n : d) * sizeof *ss);
    if (!z0 || !zs || !M || !s0 || !ss) {
        free(z0), free(zs), free(M), free(s0), free(ss);
        return sm_error_set(err, SM_ENOMEM, "safe: out of memory (correlation loss, d = %d)", d);
    }
    if (batch) {
        standardise(x0, n, d, z0, s0);
        standardise(xs, n, d, zs, ss);
    } else {
        row_normalise(x0, n, d, z0, s0);
        row_normalise(xs, n, d, zs, ss);
    }
    /* M = (1/n) Z0^T ZS is d x d but of rank <= n: work with the n x n Gram matrices
     * K0 = Z0 Z0^T and KS = ZS ZS^T instead (O(n^2 d), not O(n d^2)):
     *   sum_ij M_ij^2 = (1/n^2) sum_ab K0_ab KS_ab,   M_ii = (1/n) sum_b Z0_bi ZS_bi,
     *   L_rdn = sum_ij M_ij^2 - sum_i M_ii^2, and d(sum_ij M_ij^2)/dZS = (2/n^2) K0 ZS. */
    const size_t nn = (size_t)n * n;
    double *K0 = M, *KS = M + nn;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1.0, z0, d, z0, d, 0.0, K0, n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1.0, zs, d, zs, d, 0.0, KS, n);
    double fro = 0;
    for (size_t i = 0; i < nn; i++)
        fro += K0[i] * KS[i];
    fro /= (double)n * n;
    const double ld = batch ? lambda_diag / d : lambda_diag;
    const double lr = batch ? (d > 1 ? lambda_rdn / ((double)d * (d - 1)) : 0.0) : lambda_rdn;
    double *mii = s0; /* s0 is no longer needed after normalising x0; it has >= d entries */
    double l = 0, diag2 = 0;
    for (int i = 0; i < d; i++) {
        double m = 0;
        for (int b = 0; b < n; b++)
            m += z0[(size_t)b * d + i] * zs[(size_t)b * d + i];
        m /= n;
        mii[i] = m;
        l += ld * (1 - m) * (1 - m);
        diag2 += m * m;
    }
    l += lr * (fro - diag2);
    *loss = l;
    if (dxs) {
        double *dz = malloc(nd * sizeof *dz);
        if (!dz) {
            free(z0), free(zs), free(M), free(s0), free(ss);
            return sm_error_set(err, SM_ENOMEM, "safe: out of memory (correlation loss)");
        }
        /* dL/dZS = lr (2/n^2) K0 ZS + sum_i Z0_bi (-2 ld (1 - M_ii) - 2 lr M_ii) / n */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 2 * lr / ((double)n * n),
                    K0, n, zs, d, 0.0, dz, d);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < d; i++)
                dz[(size_t)b * d + i] +=
                    z0[(size_t)b * d + i] * (-2 * ld * (1 - mii[i]) - 2 * lr * mii[i]) / n;
        if (batch)
            standardise_backward(zs, dz, n, d, ss, dxs);
        else
            row_normalise_backward(xs, zs, dz, n, d, ss, dxs);
        free(dz);
    }
    free(z0), free(zs), free(M), free(s0), free(ss);
    return SM_OK;
}

double sm_safe_cos_align(const double *a, const double *b, int n, int d, double scale, double *da)
{
    double total = 0;
    for (int r = 0; r < n; r++) {
        const double *ar = a + (size_t)r * d, *br = b + (size_t)r * d;
        const double na = norm_floor(ar, d), nb = norm_floor(br, d);
        const double c = dot(ar, br, d) / (na * nb);
        total += 1.0 - c;
        if (da) cos_grad_add(ar, br, d, na, nb, c, -scale, da + (size_t)r * d);
    }
    return total;
}

double sm_safe_entropy(const double *z, int k)
{
    double mx = -INFINITY;
    for (int c = 0; c < k; c++)
        if (z[c] > mx) mx = z[c];
    double sum = 0, ez = 0;
    for (int c = 0; c < k; c++) {
        const double e = exp(z[c] - mx);
        sum += e;
        ez += e * (z[c] - mx);
    }
    /* H = log(sum) - E[z - mx] */
    if (!(sum > 0)) return NAN; /* k < 1 */
    return log(sum) - ez / sum;
}

void sm_safe_aggregate(const double *zs, const double *zf, int n, int k, double gamma, double *z,
                       double *ws)
{
    for (int b = 0; b < n; b++) {
        const double *a = zs + (size_t)b * k, *f = zf + (size_t)b * k;
        const double hs = sm_safe_entropy(a, k), hf = sm_safe_entropy(f, k);
        /* softmax of two: w_S = 1 / (1 + exp(-gamma (H_F - H_S))) */
        const double w = 1.0 / (1.0 + exp(-gamma * (hf - hs)));
        for (int c = 0; c < k; c++)
            z[(size_t)b * k + c] = w * a[c] + (1 - w) * f[c];
        if (ws) ws[b] = w;
    }
}

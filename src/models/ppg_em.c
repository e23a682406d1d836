/* Batch EM for the Poisson-Gamma mixture (spec intrinsic.md A4): the reference the online
 * rules are tested against (moments M-step, same fixed points) and the maximum-likelihood
 * M-step of P1's log-likelihood comparison. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/ppg.h"

double sm_ppg_digamma(double x)
{
    double r = 0;
    while (x < 6) {
        r -= 1 / x;
        x += 1;
    }
    const double f = 1 / (x * x);
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double sm_ppg_trigamma(double x)
{
    double r = 0;
    while (x < 6) {
        r += 1 / (x * x);
        x += 1;
    }
    const double f = 1 / (x * x);
    return r + 1 / x + f / 2 +
           f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * 5.0 / 66))));
}

/* Solves log a - digamma(a) = r > 0 (Minka 2002: initial guess, then Newton on a). */
static double gamma_shape_ml(double r)
{
    if (!(r > 0)) return 1e4;
    double a = (3 - r + sqrt((r - 3) * (r - 3) + 24 * r)) / (12 * r);
    for (int it = 0; it < 50; it++) {
        const double f = log(a) - sm_ppg_digamma(a) - r, df = 1 / a - sm_ppg_trigamma(a);
        double next = a - f / df;
        if (!(next > 0)) next = a / 2;
        if (fabs(next - a) < 1e-13 * a) {
            a = next;
            break;
        }
        a = next;
    }
    return a;
}

int sm_ppg_em(sm_ppg *m, const double *y, int n, int iters, double tol, int mstep, double *loglik,
              sm_error *err)
{
    const int C = m->C, D = m->D;
    double *s = malloc((size_t)n * C * sizeof *s), *Yn = malloc((size_t)n * sizeof *Yn);
    double *lf = malloc((size_t)n * sizeof *lf);
    double *num = malloc((size_t)C * D * sizeof *num), *acc = malloc((size_t)C * 6 * sizeof *acc);
    if (!s || !Yn || !num || !acc || !lf) {
        free(lf);
        free(s);
        free(Yn);
        free(num);
        free(acc);
        sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) { /* sum_d lgamma(y_d + 1), once */
        lf[i] = 0;
        for (int d = 0; d < D; d++)
            if (y[(size_t)i * D + d] != 0) lf[i] += lgamma(y[(size_t)i * D + d] + 1);
    }
    double ll = NAN, prev = NAN;
    int it;
    for (it = 0; it < iters; it++) {
        /* E-step */
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double *si = s + (size_t)i * C;
            Yn[i] = sm_ppg_inputs(m, y + (size_t)i * D, si);
            sum += sm_ppg_softmax(si, C, si) - lf[i];
        }
        ll = sum / n;
        if (it > 0 && fabs(ll - prev) < tol) break;
        prev = ll;
        /* M-step */
        memset(num, 0, (size_t)C * D * sizeof *num);
        memset(acc, 0, (size_t)C * 6 * sizeof *acc);
        for (int i = 0; i < n; i++) {
            const double *yi = y + (size_t)i * D;
            for (int c = 0; c < C; c++) {
                const double sc = s[(size_t)i * C + c];
                if (sc == 0) continue;
                double *nc = num + (size_t)c * D;
                for (int d = 0; d < D; d++)
                    nc[d] += sc * yi[d];
                acc[c * 6 + 0] += sc;
                acc[c * 6 + 1] += sc * Yn[i];
                if (mstep == SM_PPG_MSTEP_ML) {
                    const double bA = m->beta[c] + m->A;
                    acc[c * 6 + 2] += sc * (m->alpha[c] + Yn[i]) / bA;
                    acc[c * 6 + 3] += sc * (sm_ppg_digamma(m->alpha[c] + Yn[i]) - log(bA));
                }
            }
        }
        for (int c = 0; c < C; c++) {
            const double sw = acc[c * 6 + 0];
            if (!(sw > 0)) continue; /* a unit nobody chose keeps its parameters */
            const double lam = acc[c * 6 + 1] / sw;
            double var = 0;
            for (int i = 0; i < n; i++) {
                const double dv = Yn[i] - lam;
                var += s[(size_t)i * C + c] * dv * dv;
            }
            var /= sw;
            if (mstep == SM_PPG_MSTEP_ML && m->shape == SM_PPG_MOMENTS) {
                const double mz = acc[c * 6 + 2] / sw, mlz = acc[c * 6 + 3] / sw;
                double a = gamma_shape_ml(log(mz) - mlz);
                if (a < 0.1) a = 0.1;
                if (a > 1e4) a = 1e4;
                const double l = m->A * mz; /* lambda = A alpha / beta with beta = a / mz */
                sm_ppg_set_unit(m, c, num + (size_t)c * D, l, l + l * l / a);
            } else {
                sm_ppg_set_unit(m, c, num + (size_t)c * D, lam, var);
            }
        }
    }
    if (loglik) *loglik = ll;
    free(lf);
    free(s);
    free(Yn);
    free(num);
    free(acc);
    return it;
}

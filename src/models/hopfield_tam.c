/* Federated Hopfield: initial mixtures and the TAM/LAM retrieval dynamics (spec 4c-4d). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

int sm_hf_init_count(int Kh, int P)
{
    if (Kh <= 0) return 0;
    const double v = floor(((double)Kh / (P > 0 ? P : 1)) * log(Kh / 0.01));
    long s = 10 * (long)v;
    if (s < 1) s = 1;
    if (s > 500) s = 500;
    return (int)s;
}

void sm_hf_init_states(sm_rng *rng, const double *V, int N, int Kh, int s, double *x)
{
    double c[4096];
    for (int a = 0; a < s; a++) {
        for (int d = 0; d < Kh && d < 4096; d++)
            c[d] = sm_rng_normal(rng);
        double *row = x + (size_t)a * (size_t)N;
        for (int i = 0; i < N; i++) {
            const double *v = V + (size_t)i * (size_t)N;
            double z = 0;
            for (int d = 0; d < Kh && d < 4096; d++)
                z += c[d] * v[d];
            row[i] = z >= 0 ? 1.0 : -1.0;
        }
    }
}

sm_status sm_hf_tam(const double *J, int N, int P, int s, const sm_hf_tam_params *p, sm_rng *rng,
                    double *S, double *min_field, sm_error *err)
{
    const int n = s * P;
    if (n <= 0 || p->updates <= 0) return SM_OK;
    const size_t sz = (size_t)n * (size_t)N;
    double *H = malloc(sizeof(double) * sz);
    double *S0 = p->clamp ? malloc(sizeof(double) * sz) : NULL;
    double *G = malloc(sizeof(double) * (size_t)P * (size_t)P);
    double *h = malloc(sizeof(double) * (size_t)N);
    double *next = malloc(sizeof(double) * sz);
    if (!H || (p->clamp && !S0) || !G || !h || !next) {
        free(H);
        free(S0);
        free(G);
        free(h);
        free(next);
        return sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (TAM, %d states)", n);
    }
    if (S0) memcpy(S0, S, sizeof(double) * sz);
    double fmin = INFINITY;
    for (int t = 0; t < p->updates; t++) {
        double scale = p->noise_scale;
        if (p->updates > 1)
            scale =
                p->noise_scale - (p->noise_scale - p->min_scale) * ((double)t / (p->updates - 1));
        const double eff = scale / (p->beta > 1e-6 ? p->beta : 1e-6);
        /* H = S J (J symmetric): h1 of every layer of every group */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, N, N, 1.0, S, N, J, N, 0.0, H, N);
        for (int a = 0; a < s; a++) {
            const double *Sa = S + (size_t)a * (size_t)P * (size_t)N;
            const double *Ha = H + (size_t)a * (size_t)P * (size_t)N;
            /* G[b*P + l] = s_b . J s_l */
            for (int b = 0; b < P; b++)
                for (int l = 0; l < P; l++)
                    G[b * P + l] = cblas_ddot(N, Sa + (size_t)b * N, 1, Ha + (size_t)l * N, 1);
            for (int l = 0; l < P; l++) {
                const double *hl = Ha + (size_t)l * N;
                for (int i = 0; i < N; i++)
                    h[i] = 0;
                for (int b = 0; b < P; b++)
                    if (b != l) cblas_daxpy(N, G[b * P + l], Ha + (size_t)b * N, 1, h, 1);
                const double *x = (S0 ? S0 : S) + ((size_t)a * P + l) * (size_t)N;
                double *out = next + ((size_t)a * P + l) * (size_t)N;
                for (int i = 0; i < N; i++) {
                    const double f = hl[i] - p->lambda * h[i] / N + p->h_in * x[i];
                    if (fabs(f) < fmin) fmin = fabs(f);
                    double u = 0;
                    if (eff > 0) u = eff * (2.0 * sm_rng_uniform(rng) - 1.0);
                    out[i] = tanh(p->beta * f) + u >= 0 ? 1.0 : -1.0;
                }
            }
        }
        memcpy(S, next, sizeof(double) * sz);
    }
    if (min_field) *min_field = fmin;
    free(H);
    free(S0);
    free(G);
    free(h);
    free(next);
    return SM_OK;
}

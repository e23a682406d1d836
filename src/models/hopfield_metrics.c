/* Federated Hopfield: overlaps, Hungarian retrieval, the recall test, correlations
 * (spec section 6). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

void sm_hf_overlaps(const double *xi_hat, int Kh, const double *xi, int K, int N, double *Q)
{
    for (int a = 0; a < Kh; a++)
        for (int mu = 0; mu < K; mu++)
            Q[(size_t)a * K + mu] =
                fabs(cblas_ddot(N, xi_hat + (size_t)a * N, 1, xi + (size_t)mu * N, 1)) / N;
}

/* Kuhn-Munkres with potentials for n <= m rows (the e-maxx formulation, 1-based). */
static void hungarian_rows(const double *c, int n, int m, int *assign)
{
    double *u = calloc((size_t)n + 1, sizeof(double));
    double *v = calloc((size_t)m + 1, sizeof(double));
    double *minv = malloc(sizeof(double) * ((size_t)m + 1));
    int *p = calloc((size_t)m + 1, sizeof(int));
    int *way = calloc((size_t)m + 1, sizeof(int));
    char *used = malloc((size_t)m + 1);
    for (int i = 0; i < n; i++) /* unassigned, also when the scratch cannot be allocated */
        assign[i] = -1;
    if (!u || !v || !minv || !p || !way || !used) goto done;
    for (int i = 1; i <= n; i++) {
        p[0] = i;
        int j0 = 0;
        for (int j = 0; j <= m; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            const int i0 = p[j0];
            double delta = INFINITY;
            int j1 = 0;
            for (int j = 1; j <= m; j++)
                if (!used[j]) {
                    const double cur = c[(size_t)(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            const int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= m; j++)
        if (p[j]) assign[p[j] - 1] = j - 1;
done:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
}

void sm_hf_hungarian(const double *cost, int n, int m, int *assign)
{
    if (n <= 0) return;
    if (n <= m) {
        hungarian_rows(cost, n, m, assign);
        return;
    }
    for (int i = 0; i < n; i++)
        assign[i] = -1;
    if (m <= 0) return; /* no column: every row stays unassigned */
    double *t = calloc((size_t)n * (size_t)m, sizeof(double));
    int *ac = calloc((size_t)m, sizeof(int));
    if (t && ac) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                t[(size_t)j * n + i] = cost[(size_t)i * m + j];
        hungarian_rows(t, m, n, ac);
        for (int j = 0; j < m; j++)
            if (ac[j] >= 0) assign[ac[j]] = j;
    }
    free(t);
    free(ac);
}

double sm_hf_retrieval(const double *Q, int Kh, int K, double *m)
{
    if (m)
        for (int mu = 0; mu < K; mu++) {
            double best = 0;
            for (int a = 0; a < Kh; a++)
                if (Q[(size_t)a * K + mu] > best) best = Q[(size_t)a * K + mu];
            m[mu] = best;
        }
    if (Kh <= 0 || K <= 0) return 0;
    double *cost = malloc(sizeof(double) * (size_t)Kh * (size_t)K);
    int *as = malloc(sizeof(int) * (size_t)Kh);
    double sum = 0;
    int matched = 0;
    if (cost && as) {
        for (int a = 0; a < Kh; a++)
            for (int mu = 0; mu < K; mu++)
                cost[(size_t)a * K + mu] = 1.0 - Q[(size_t)a * K + mu];
        sm_hf_hungarian(cost, Kh, K, as);
        for (int a = 0; a < Kh; a++)
            if (as[a] >= 0) {
                sum += Q[(size_t)a * K + as[a]];
                matched++;
            }
    }
    free(cost);
    free(as);
    if (Kh < K) return sum / K;
    return matched ? sum / matched : 0;
}

sm_status sm_hf_recall(const double *J, const double *xi, int K, int N, double m0, double beta,
                       int updates, int reps, uint64_t seed, double *score, sm_error *err)
{
    if (reps <= 0) {
        for (int mu = 0; mu < K; mu++)
            score[mu] = NAN;
        return SM_OK;
    }
    const size_t sz = (size_t)reps * (size_t)N;
    double *S = malloc(sizeof(double) * sz), *H = malloc(sizeof(double) * sz);
    if (!S || !H) {
        free(S);
        free(H);
        return sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (recall test)");
    }
    for (int mu = 0; mu < K; mu++) {
        sm_rng rng;
        sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_RECALL, 0, mu));
        const double *x = xi + (size_t)mu * N;
        const double keep = 0.5 * (1.0 + m0);
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < N; i++)
                S[(size_t)r * N + i] = sm_rng_uniform(&rng) < keep ? x[i] : -x[i];
        for (int t = 0; t < updates; t++) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, reps, N, N, 1.0, S, N, J, N, 0.0,
                        H, N);
            for (size_t k = 0; k < sz; k++)
                S[k] = sm_rng_uniform(&rng) < 0.5 * (1.0 + tanh(beta * H[k])) ? 1.0 : -1.0;
        }
        double sum = 0;
        for (int r = 0; r < reps; r++)
            sum += fabs(cblas_ddot(N, S + (size_t)r * N, 1, x, 1)) / N;
        score[mu] = sum / reps;
    }
    free(S);
    free(H);
    return SM_OK;
}

double sm_hf_pearson(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

static void ranks(const double *x, int n, double *r)
{
    for (int i = 0; i < n; i++) {
        int less = 0, eq = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            eq += x[j] == x[i];
        }
        r[i] = less + 0.5 * (eq + 1);
    }
}

double sm_hf_spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = malloc(sizeof(double) * (size_t)n), *ry = malloc(sizeof(double) * (size_t)n);
    double out = NAN;
    if (rx && ry) {
        ranks(x, n, rx);
        ranks(y, n, ry);
        out = sm_hf_pearson(rx, ry, n);
    }
    free(rx);
    free(ry);
    return out;
}

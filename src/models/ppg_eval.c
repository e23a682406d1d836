/* Scores of the Poisson-Gamma mixture (spec intrinsic.md A5, A6): majority labelling,
 * clustering accuracy with a one-to-one Hungarian matching, correlations. */
#include <math.h>
#include <stdlib.h>

#include "somnus/models/hopfield.h"
#include "somnus/models/ppg.h"

void sm_ppg_label_units(const int *winner, const int *label, int n, int C, int n_labels,
                        int *unit_label)
{
    int *count = calloc((size_t)C * n_labels, sizeof *count);
    for (int c = 0; c < C; c++)
        unit_label[c] = -1;
    if (!count) return;
    for (int i = 0; i < n; i++)
        if (winner[i] >= 0 && winner[i] < C && label[i] >= 0 && label[i] < n_labels)
            count[(size_t)winner[i] * n_labels + label[i]]++;
    for (int c = 0; c < C; c++) {
        int best = 0;
        for (int l = 0; l < n_labels; l++)
            if (count[(size_t)c * n_labels + l] > best) {
                best = count[(size_t)c * n_labels + l];
                unit_label[c] = l;
            }
    }
    free(count);
}

double sm_ppg_cluster_accuracy(const int *winner, const int *label, int n, int C, int n_labels,
                               int *match)
{
    double *cost = calloc((size_t)C * n_labels, sizeof *cost);
    int *as = malloc((size_t)C * sizeof *as);
    if (!cost || !as || n < 1) {
        free(cost);
        free(as);
        return NAN;
    }
    for (int i = 0; i < n; i++)
        if (winner[i] >= 0 && winner[i] < C && label[i] >= 0 && label[i] < n_labels)
            cost[(size_t)winner[i] * n_labels + label[i]] -= 1;
    sm_hf_hungarian(cost, C, n_labels, as);
    int hit = 0;
    for (int c = 0; c < C; c++) {
        if (as[c] >= 0) hit += (int)-cost[(size_t)c * n_labels + as[c]];
        if (match) match[c] = as[c];
    }
    free(cost);
    free(as);
    return (double)hit / n;
}

double sm_ppg_corr(const double *a, const double *b, int n)
{
    if (n < 2) return NAN;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (!(saa > 0) || !(sbb > 0)) return NAN;
    return sab / sqrt(saa * sbb);
}

typedef struct ranked {
    double v;
    int i;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    return a->v < b->v ? -1 : a->v > b->v ? 1 : a->i - b->i;
}

/* Average ranks (1-based) of v into r. */
static int ranks(const double *v, int n, double *r)
{
    ranked *t = malloc((size_t)n * sizeof *t);
    if (!t) return 0;
    for (int i = 0; i < n; i++)
        t[i] = (ranked){v[i], i};
    qsort(t, (size_t)n, sizeof *t, cmp_ranked);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v)
            j++;
        for (int k = i; k <= j; k++)
            r[t[k].i] = 0.5 * (i + j) + 1;
        i = j + 1;
    }
    free(t);
    return 1;
}

double sm_ppg_spearman(const double *a, const double *b, int n)
{
    if (n < 2) return NAN;
    double *ra = malloc((size_t)n * sizeof *ra), *rb = malloc((size_t)n * sizeof *rb);
    double out = NAN;
    if (ra && rb && ranks(a, n, ra) && ranks(b, n, rb)) out = sm_ppg_corr(ra, rb, n);
    free(ra);
    free(rb);
    return out;
}

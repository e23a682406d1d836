/* somnus: sparse-training arithmetic (GraNet schedule, ERK, exact top-K selections).
 * See sparse_schedule.h and spec structural.md sections 2-3. */
#include "somnus/plasticity/sparse_schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

void sm_sparse_params_default(sm_sparse_params *p, int epochs)
{
    memset(p, 0, sizeof *p);
    p->method = SM_SPARSE_DENSE;
    p->scope = SM_SPARSE_GLOBAL;
    p->init = SM_SPARSE_ERK;
    p->regrow = SM_SPARSE_REGROW_GRADIENT;
    p->init_density = 1.0;
    p->final_density = 0.05;
    p->start_epoch = 0;
    p->end_epoch = epochs / 2;
    p->interval = 100;
    p->regrow_rate = 0.5;
    p->regrow_rate_min = 0.005;
    p->last_layer_density = 0.0;
}

/* Written as !(inside) so that NaN is rejected too. */
static sm_status check_real(const char *key, double v, double lo, double hi, int open_lo,
                            sm_error *err)
{
    int ok = open_lo ? (v > lo && v <= hi) : (v >= lo && v <= hi);
    if (!ok)
        return sm_error_set(err, SM_EINVAL, "%s: value %g is outside %c%g, %g]", key, v,
                            open_lo ? '(' : '[', lo, hi);
    return SM_OK;
}

sm_status sm_sparse_params_check(const sm_sparse_params *p, int epochs, sm_error *err)
{
    if (p->method < SM_SPARSE_DENSE || p->method > SM_SPARSE_RIGL)
        return sm_error_set(err, SM_EINVAL, "sparse.method: value %d is not a method", p->method);
    if (p->method == SM_SPARSE_DENSE) return SM_OK; /* nothing else is read */
    if (p->scope < 0 || p->scope > 1 || p->init < 0 || p->init > 1 || p->regrow < 0 ||
        p->regrow > 2)
        return sm_error_set(err, SM_EINVAL, "sparse.scope/init/regrow: value out of range");
    sm_status st = check_real("sparse.init_density", p->init_density, 0, 1, 1, err);
    if (st == SM_OK) st = check_real("sparse.final_density", p->final_density, 0, 1, 1, err);
    if (st == SM_OK) st = check_real("sparse.regrow_rate", p->regrow_rate, 0, 1, 0, err);
    if (st == SM_OK) st = check_real("sparse.regrow_rate_min", p->regrow_rate_min, 0, 1, 0, err);
    if (st == SM_OK)
        st = check_real("sparse.last_layer_density", p->last_layer_density, 0, 1, 0, err);
    if (st != SM_OK) return st;
    if (p->interval < 1)
        return sm_error_set(err, SM_EINVAL, "sparse.interval: value %d must be >= 1", p->interval);
    if (p->start_epoch < 0 || p->end_epoch < p->start_epoch || p->end_epoch > epochs)
        return sm_error_set(err, SM_EINVAL,
                            "sparse.start_epoch, sparse.end_epoch: %d, %d must satisfy 0 <= start "
                            "<= end <= epochs (%d)",
                            p->start_epoch, p->end_epoch, epochs);
    if (p->method != SM_SPARSE_DENSE && p->final_density > p->init_density &&
        p->method != SM_SPARSE_STATIC && p->method != SM_SPARSE_RIGL)
        return sm_error_set(err, SM_EINVAL,
                            "sparse.final_density: %g is above sparse.init_density %g "
                            "(pruning only removes weights)",
                            p->final_density, p->init_density);
    return SM_OK;
}

double sm_sparse_target_density(double d_i, double d_f, long t, long t0, long t_end, long dt)
{
    long k = t / dt, k0 = t0 / dt, k1 = t_end / dt;
    double p = k1 > k0 ? (double)(k - k0) / (double)(k1 - k0) : 1.0;
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    double q = 1.0 - p;
    return d_i + (d_f - d_i) * (1.0 - q * q * q);
}

int sm_sparse_prune_due(long t, long t0, long t_end, long dt)
{
    if (t < t0 || t % dt != 0) return 0;
    long k = t / dt;
    return k >= t0 / dt && k <= t_end / dt;
}

double sm_sparse_regrow_rate(double r0, double r_min, long t, long T)
{
    double x = T > 0 ? (double)t / (double)T : 1.0;
    return r_min + (r0 - r_min) * (1.0 + cos(3.141592653589793 * x)) / 2.0;
}

void sm_sparse_erk_densities(int n, const int *rows, const int *cols, double d, double *out)
{
    double total = 0;
    for (int l = 0; l < n; l++) {
        total += (double)rows[l] * cols[l];
        out[l] = -1; /* not yet fixed at 1 */
    }
    for (;;) {
        /* eps * sum_free raw_l N_l = d * total - sum_dense N_l */
        double budget = d * total, denom = 0;
        for (int l = 0; l < n; l++) {
            double N = (double)rows[l] * cols[l];
            if (out[l] == 1.0)
                budget -= N;
            else
                denom += (double)(rows[l] + cols[l]); /* raw_l * N_l */
        }
        double eps = denom > 0 ? budget / denom : 0;
        int changed = 0;
        for (int l = 0; l < n; l++) {
            if (out[l] == 1.0) continue;
            double raw = (double)(rows[l] + cols[l]) / ((double)rows[l] * cols[l]);
            if (eps * raw > 1.0) {
                out[l] = 1.0;
                changed = 1;
            }
        }
        if (!changed) {
            for (int l = 0; l < n; l++)
                if (out[l] != 1.0)
                    out[l] = eps * (double)(rows[l] + cols[l]) / ((double)rows[l] * cols[l]);
            return;
        }
    }
}

/* Sort key: |w| bits (monotone for non-negative floats) high, inverted index low, so that
 * a larger key = larger |w|, and at equal |w| the lower index. Keys are distinct. */
static inline uint64_t key_of(float w, uint64_t flat)
{
    float a = fabsf(w);
    uint32_t bits;
    memcpy(&bits, &a, sizeof bits);
    return ((uint64_t)bits << 32) | (uint64_t)(0xffffffffu - (uint32_t)flat);
}

/* The k-th largest (1-based) of n distinct keys, by quickselect (Lomuto partition,
 * middle pivot); reorders a. */
static uint64_t kth_largest(uint64_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n, want = k - 1; /* a[lo, hi) holds the answer at rank want */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2, store = lo;
        uint64_t pivot = a[mid], t;
        a[mid] = a[hi - 1];
        a[hi - 1] = pivot;
        for (size_t i = lo; i < hi - 1; i++)
            if (a[i] > pivot) {
                t = a[i];
                a[i] = a[store];
                a[store++] = t;
            }
        a[hi - 1] = a[store];
        a[store] = pivot;
        if (want == store) return pivot;
        if (want < store)
            hi = store;
        else
            lo = store + 1;
    }
    return a[lo];
}

/* Active zeros are candidates too (ranked below every nonzero |w|): an entry regrown at
 * w = 0 whose gradient stayed 0 is still active, and leaving it out would prune below K
 * (the 0.90005-for-0.9 sparsity seen before this was fixed). */
long sm_sparse_keep_topk(int n, float *const *w, uint8_t *const *mask, const size_t *len, long K)
{
    size_t total = 0, cand = 0;
    for (int l = 0; l < n; l++)
        total += len[l];
    uint64_t *keys = malloc((total ? total : 1) * sizeof *keys);
    if (!keys) return -1;
    size_t base = 0;
    for (int l = 0; l < n; l++) {
        for (size_t i = 0; i < len[l]; i++)
            if (mask[l][i]) keys[cand++] = key_of(w[l][i], base + i);
        base += len[l];
    }
    uint64_t thr = 0; /* keep keys >= thr */
    if (K <= 0)
        thr = UINT64_MAX;
    else if ((size_t)K < cand)
        thr = kth_largest(keys, cand, (size_t)K);
    free(keys);
    long kept = 0;
    base = 0;
    for (int l = 0; l < n; l++) {
        for (size_t i = 0; i < len[l]; i++) {
            int keep = mask[l][i] && K > 0 && key_of(w[l][i], base + i) >= thr;
            mask[l][i] = (uint8_t)keep;
            kept += keep;
        }
        base += len[l];
    }
    return kept;
}

long sm_sparse_drop_smallest(const float *w, uint8_t *mask, uint8_t *dropped, size_t len, long k)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += mask[i];
    if (k <= 0 || n == 0) return 0;
    if ((size_t)k > n) k = (long)n;
    /* smallest |w|, ties the higher index first = the largest of the inverted keys */
    uint64_t *keys = calloc(n, sizeof *keys); /* calloc: as for count_inactive's callers */
    if (!keys) return -1;
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        if (mask[i]) keys[c++] = ~key_of(w[i], i);
    uint64_t thr = kth_largest(keys, n, (size_t)k);
    free(keys);
    long d = 0;
    for (size_t i = 0; i < len; i++)
        if (mask[i] && ~key_of(w[i], i) >= thr) {
            mask[i] = 0;
            dropped[i] = 1;
            d++;
        }
    return d;
}

/* Entries with mask 0: the candidates of a regrowth step. Callers fill exactly this many
 * slots in a second loop; they calloc them because clang-analyzer cannot see that the two
 * loops agree (it reports the slots as possibly uninitialized). */
static size_t count_inactive(const uint8_t *mask, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !mask[i];
    return n;
}

long sm_sparse_grow_topk(const float *score, uint8_t *mask, uint8_t *grown, size_t len, long k)
{
    const size_t n = count_inactive(mask, len);
    if (k <= 0 || n == 0) return 0;
    if ((size_t)k > n) k = (long)n;
    uint64_t *keys = calloc(n, sizeof *keys); /* calloc: see count_inactive */
    if (!keys) return -1;
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        if (!mask[i]) keys[c++] = key_of(score[i], i);
    uint64_t thr = kth_largest(keys, n, (size_t)k);
    free(keys);
    long g = 0;
    for (size_t i = 0; i < len; i++)
        if (!mask[i] && key_of(score[i], i) >= thr) {
            mask[i] = 1;
            grown[i] = 1;
            g++;
        }
    return g;
}

long sm_sparse_grow_random(uint64_t seed, uint32_t stream, uint32_t index, uint8_t *mask,
                           uint8_t *grown, size_t len, long k)
{
    const size_t n = count_inactive(mask, len);
    if (k <= 0 || n == 0) return 0;
    if ((size_t)k > n) k = (long)n;
    size_t *idx = calloc(n, sizeof *idx); /* calloc: see count_inactive */
    if (!idx) return -1;
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        if (!mask[i]) idx[c++] = i;
    /* partial Fisher-Yates: the first k positions are a uniform k-subset */
    sm_rng r;
    sm_rng_init(&r, seed, stream, index);
    for (long j = 0; j < k; j++) {
        size_t pick = (size_t)j + (size_t)(sm_rng_uniform(&r) * (double)(n - (size_t)j));
        if (pick >= n) pick = n - 1;
        size_t t = idx[j];
        idx[j] = idx[pick];
        idx[pick] = t;
        mask[idx[j]] = 1;
        grown[idx[j]] = 1;
    }
    free(idx);
    return k;
}

int sm_sparse_random_mask(uint64_t seed, uint32_t stream, uint32_t index, uint8_t *mask, size_t len,
                          long nnz)
{
    memset(mask, 0, len);
    uint8_t *tmp = calloc(len ? len : 1, 1);
    if (!tmp) return -1;
    sm_sparse_grow_random(seed, stream, index, mask, tmp, len, nnz);
    free(tmp);
    return 0;
}

const char *sm_sparse_method_name(int method)
{
    static const char *names[] = {"dense", "static", "gmp", "granet", "set", "rigl"};
    return method >= 0 && method <= SM_SPARSE_RIGL ? names[method] : "?";
}

const char *sm_sparse_scope_name(int scope)
{
    return scope == SM_SPARSE_LAYER ? "layer" : "global";
}

/* Federated Hopfield: archetypes, client subsets and noisy examples (spec section 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

uint32_t sm_hf_rng_index(int purpose, int round, int sub)
{
    return ((uint32_t)purpose << 24) | (((uint32_t)round & 0xfffu) << 12) |
           ((uint32_t)sub & 0xfffu);
}

void sm_hf_archetypes(sm_rng *rng, int K, int N, double *xi)
{
    for (size_t i = 0; i < (size_t)K * (size_t)N; i++)
        xi[i] = (sm_rng_u32(rng) >> 31) ? 1.0 : -1.0;
}

void sm_hf_client_subsets(sm_rng *rng, int K, int L, int kpc, int *sets)
{
    int perm[4096];
    for (int k = 0; k < K; k++)
        perm[k] = k;
    sm_rng_shuffle(rng, perm, K);
    for (int c = 0; c < L; c++) {
        int *set = sets + (size_t)c * (size_t)kpc;
        int n = 0;
        /* candidates: the round-robin deal perm[c], perm[c + L], ..., then the cyclic
         * continuation perm[c + 1], perm[c + 2], ... to top the client up */
        for (int j = 0; n < kpc && j < 2 * K; j++) {
            int idx = c + j * L;
            const int mu = idx < K ? perm[idx] : perm[(c + j) % K];
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= set[i] == mu;
            if (!dup) set[n++] = mu;
        }
        for (int j = 0; n < kpc && j < K; j++) { /* anything not yet held */
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= set[i] == perm[j];
            if (!dup) set[n++] = perm[j];
        }
    }
}

void sm_hf_example_labels(sm_rng *rng, const int *set, int k, int M, int random, int *mu)
{
    for (int a = 0; a < M; a++)
        mu[a] = random ? set[sm_rng_below(rng, (uint32_t)k)] : set[a % k];
}

void sm_hf_examples(sm_rng *rng, const double *xi, int N, const int *mu, int M, double r, int mask,
                    double *eta)
{
    /* keep an entry when its word is below p 2^32 (p = (1+r)/2, or r for the mask) */
    const double p = mask ? r : 0.5 * (1.0 + r);
    const uint64_t thr = p >= 1.0 ? UINT64_MAX : (uint64_t)(p * 4294967296.0);
    for (int a = 0; a < M; a++) {
        const double *x = xi + (size_t)mu[a] * (size_t)N;
        double *e = eta + (size_t)a * (size_t)N;
        for (int i = 0; i < N; i++) {
            const int keep = (uint64_t)sm_rng_u32(rng) < thr;
            e[i] = keep ? x[i] : (mask ? 0.0 : -x[i]);
        }
    }
}

sm_status sm_hf_schedule_parse(const char *text, int K, sm_hf_schedule *s, sm_error *err)
{
    memset(s, 0, sizeof *s);
    if (!strcmp(text, "uniform")) return SM_OK;
    if (!strncmp(text, "sequential", 10) && (text[10] == 0 || text[10] == ':')) {
        s->sequential = 1;
        if (text[10] == 0) return SM_OK;
        char *end;
        const double b = strtod(text + 11, &end);
        if (end == text + 11 || *end || !(b >= 1 && b <= 1e6) || b != floor(b))
            return sm_error_set(err, SM_EINVAL,
                                "hopfield.schedule: '%s': expected sequential[:B] with an "
                                "integer B >= 1 (rounds per archetype)",
                                text);
        s->block = (int)b;
        return SM_OK;
    }
    if (strncmp(text, "novelty:", 8) != 0)
        return sm_error_set(err, SM_EINVAL,
                            "hopfield.schedule: '%s' is not uniform, sequential[:B] or "
                            "novelty:T0,RAMP,KNEW[,AMAX]",
                            text);
    double v[4] = {0, 0, 0, 0.5};
    const char *p = text + 8;
    int n = 0;
    for (; n < 4; n++) {
        char *end;
        v[n] = strtod(p, &end);
        if (end == p) break;
        p = end;
        if (*p != ',') {
            n++;
            break;
        }
        p++;
    }
    if (*p || n < 3 || v[0] < 0 || v[0] != floor(v[0]) || v[1] < 1 || v[1] != floor(v[1]) ||
        v[2] < 1 || v[2] != floor(v[2]) || v[2] >= K || !(v[3] >= 0 && v[3] <= 1) || v[0] > 1e6 ||
        v[1] > 1e6)
        return sm_error_set(err, SM_EINVAL,
                            "hopfield.schedule: '%s': expected novelty:T0,RAMP,KNEW[,AMAX] with "
                            "integers T0 >= 0, RAMP >= 1, 1 <= KNEW < hopfield.K = %d and AMAX in "
                            "[0, 1]",
                            text, K);
    s->novelty = 1;
    s->t0 = (int)v[0];
    s->ramp = (int)v[1];
    s->k_new = (int)v[2];
    s->a_max = v[3];
    return SM_OK;
}

double sm_hf_novel_fraction(const sm_hf_schedule *s, int t)
{
    if (!s->novelty || t < s->t0) return 0.0;
    const double ramp = (double)(t - s->t0 + 1) / s->ramp;
    return s->a_max * (ramp < 1 ? ramp : 1);
}

int sm_hf_sequential_focus(const sm_hf_schedule *s, int K, int T, int t)
{
    if (!s->sequential || K < 1) return -1;
    int b = s->block;
    if (b < 1) b = T / K > 1 ? T / K : 1;
    return (t / b) % K;
}

int sm_hf_example_labels_focus(sm_rng *rng, const int *set, int k, int M, int random, int focus,
                               int *mu)
{
    for (int i = 0; i < k; i++)
        if (set[i] == focus) {
            for (int a = 0; a < M; a++)
                mu[a] = focus;
            return 1;
        }
    sm_hf_example_labels(rng, set, k, M, random, mu);
    return 0;
}

void sm_hf_example_labels_split(sm_rng *rng, const int *set, int k, int M, int random, int k_old,
                                double frac, int *mu)
{
    int old[4096], nw[4096], ko = 0, kn = 0;
    for (int i = 0; i < k && i < 4096; i++) {
        if (set[i] < k_old)
            old[ko++] = set[i];
        else
            nw[kn++] = set[i];
    }
    if (kn == 0 && ko == 0) return; /* an empty set: no example to label */
    if (kn == 0) frac = 0;
    if (ko == 0) frac = 1;
    if (random) {
        for (int a = 0; a < M; a++) {
            const int is_new = kn > 0 && (ko == 0 || sm_rng_uniform(rng) < frac);
            mu[a] =
                is_new ? nw[sm_rng_below(rng, (uint32_t)kn)] : old[sm_rng_below(rng, (uint32_t)ko)];
        }
        return;
    }
    /* round(frac M); spelled out for a missing group (0 or M), so no modulo by 0 follows */
    const int n_new = kn == 0 ? 0 : ko == 0 ? M : (int)floor(frac * M + 0.5);
    for (int a = 0; a < M; a++)
        mu[a] = a < n_new ? nw[a % kn] : old[(a - n_new) % ko];
}

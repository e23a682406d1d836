/* Federated Hopfield: the round loop (spec section 3) and its per-round metrics. */
#include "somnus/models/hopfield_run.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "somnus/models/hopfield.h"

void sm_hf_result_destroy(sm_hf_result *r)
{
    if (!r) return;
    free(r->r);
    free(r->Kh);
    free(r->n_hat);
    free(r->n_survivors);
    free(r->sharpen_steps);
    free(r->retrieval);
    free(r->fro);
    free(r->gap);
    free(r->mp_edge);
    free(r->cut_threshold);
    free(r->bytes_up);
    free(r->bytes_down);
    free(r->m);
    free(r->w);
    free(r->w_raw);
    free(r->p);
    free(r->H);
    free(r->top_js);
    free(r->top_ks);
    free(r->eigs);
    free(r->xi_true);
    free(r->xi_hat);
    free(r->J_server);
    free(r->recall);
    free(r->exposure);
    free(r);
}

sm_status sm_hf_client_quality(const sm_config *cfg, double *r, sm_error *err)
{
    const int L = cfg->hopfield.L;
    const char *s = cfg->hopfield.r;
    int n = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v >= 0 && v <= 1))
            return sm_error_set(err, SM_EINVAL,
                                "hopfield.r: '%s' is not a list of qualities in [0, 1]",
                                cfg->hopfield.r);
        if (n >= L)
            return sm_error_set(err, SM_EINVAL,
                                "hopfield.r: %d or more values for hopfield.L = %d clients", n + 1,
                                L);
        r[n++] = v;
        s = end;
        while (*s == ' ')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            return sm_error_set(err, SM_EINVAL, "hopfield.r: unexpected '%c' in '%s'", *s,
                                cfg->hopfield.r);
    }
    if (n == 0) return sm_error_set(err, SM_EINVAL, "hopfield.r: empty");
    if (n == 1)
        for (int c = 1; c < L; c++)
            r[c] = r[0];
    else if (n != L)
        return sm_error_set(err, SM_EINVAL,
                            "hopfield.r: %d values for hopfield.L = %d clients (give 1 or %d)", n,
                            L, L);
    s = cfg->hopfield.attackers;
    while (*s) {
        char *end;
        long c = strtol(s, &end, 10);
        if (end == s || c < 0 || c >= L)
            return sm_error_set(err, SM_EINVAL,
                                "hopfield.attackers: '%s' is not a list of client indices 0..%d",
                                cfg->hopfield.attackers, L - 1);
        r[c] = 0;
        s = end;
        while (*s == ' ')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            return sm_error_set(err, SM_EINVAL, "hopfield.attackers: unexpected '%c'", *s);
    }
    return SM_OK;
}

static int upload_rank(const char *u, int N, sm_error *err, sm_status *st)
{
    *st = SM_OK;
    if (!strcmp(u, "full")) return 0;
    if (!strncmp(u, "eig:", 4)) {
        char *end;
        long R = strtol(u + 4, &end, 10);
        if (end != u + 4 && !*end && R >= 1 && R <= N) return (int)R;
    }
    *st =
        sm_error_set(err, SM_EINVAL, "hopfield.upload: '%s' is not full or eig:R (1 <= R <= N)", u);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define ALLOC(p, n)                                                                                \
    do {                                                                                           \
        (p) = calloc((size_t)(n) > 0 ? (size_t)(n) : 1, sizeof *(p));                              \
        if (!(p)) goto nomem;                                                                      \
    } while (0)

/* Grows a states buffer to hold `rows` rows of N. */
static int reserve(double **buf, size_t *cap, size_t rows, int N)
{
    if (rows <= *cap) return 1;
    size_t nc = rows * 2;
    double *nb = realloc(*buf, sizeof(double) * nc * (size_t)N);
    if (!nb) return 0;
    *buf = nb;
    *cap = nc;
    return 1;
}

sm_status sm_hf_run(const sm_config *cfg, uint64_t seed, sm_hf_result **out, sm_error *err)
{
    return sm_hf_run_observed(cfg, seed, NULL, out, err);
}

sm_status sm_hf_run_observed(const sm_config *cfg, uint64_t seed, const sm_hf_observer *obs,
                             sm_hf_result **out, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const double t_start = now_s();
    const int N = cfg->hopfield.N, K = cfg->hopfield.K, L = cfg->hopfield.L;
    const int T = cfg->hopfield.T, M = cfg->hopfield.M;
    const int P = cfg->hopfield.layers > 0 ? cfg->hopfield.layers : L;
    const int kpc = cfg->hopfield.k_per_client > 0
                        ? (cfg->hopfield.k_per_client < K ? cfg->hopfield.k_per_client : K)
                        : (K + L - 1) / L;
    const int n_top = K + 3 < N ? K + 3 : N;
    const size_t n2 = (size_t)N * (size_t)N;
    sm_status st;
    const int R = upload_rank(cfg->hopfield.upload, N, err, &st);
    if (st != SM_OK) return st;
    if (K > 4096 || N > 65536)
        return sm_error_set(err, SM_EINVAL, "hopfield: K must be <= 4096 and N <= 65536");
    sm_hf_schedule sched;
    if ((st = sm_hf_schedule_parse(cfg->hopfield.schedule, K, &sched, err)) != SM_OK) return st;

    sm_hf_result *res = calloc(1, sizeof *res);
    double *eta = NULL, *B = NULL, *Jc = NULL, *A = NULL, *lam = NULL, *lam2 = NULL, *V = NULL;
    double *tmp = NULL, *pool = NULL, *surv = NULL, *score = NULL, *Q = NULL, *XV = NULL;
    double *wprev = NULL, *recall_cnt = NULL;
    int *sets = NULL, *mu = NULL, *keep = NULL;
    size_t pool_cap = 0, surv_cap = 0;
    if (!res) goto nomem;
    res->N = N;
    res->K = K;
    res->L = L;
    res->T = T;
    res->P = P;
    res->n_top = n_top;
    res->seed = seed;
    ALLOC(res->r, L);
    ALLOC(res->Kh, T);
    ALLOC(res->n_hat, T);
    ALLOC(res->n_survivors, T);
    ALLOC(res->sharpen_steps, T);
    ALLOC(res->retrieval, T);
    ALLOC(res->fro, T);
    ALLOC(res->gap, T);
    ALLOC(res->mp_edge, T);
    ALLOC(res->cut_threshold, T);
    ALLOC(res->bytes_up, T);
    ALLOC(res->bytes_down, T);
    ALLOC(res->m, (size_t)T * K);
    ALLOC(res->w, (size_t)T * L);
    ALLOC(res->w_raw, (size_t)T * L);
    ALLOC(res->p, (size_t)T * L);
    ALLOC(res->H, (size_t)T * L);
    ALLOC(res->top_js, (size_t)T * n_top);
    ALLOC(res->top_ks, (size_t)T * n_top);
    ALLOC(res->eigs, (size_t)T * N);
    ALLOC(res->xi_true, (size_t)K * N);
    ALLOC(res->J_server, n2);
    ALLOC(res->recall, K);
    ALLOC(res->exposure, K);
    ALLOC(eta, (size_t)M * N);
    ALLOC(B, n2);
    ALLOC(Jc, n2);
    ALLOC(A, n2);
    ALLOC(lam, N);
    ALLOC(lam2, N);
    ALLOC(V, n2);
    ALLOC(Q, (size_t)K * 4096);
    ALLOC(XV, (size_t)K * N);
    ALLOC(wprev, L);
    ALLOC(recall_cnt, K);
    ALLOC(sets, (size_t)L * kpc);
    ALLOC(mu, M);
    double *Js = res->J_server;

    if ((st = sm_hf_client_quality(cfg, res->r, err)) != SM_OK) goto fail;
    double r_ref = cfg->hopfield.r_ref;
    if (r_ref <= 0)
        for (int c = 0; c < L; c++)
            if (res->r[c] > r_ref) r_ref = res->r[c];
    double s2 = 0;
    for (int c = 0; c < L; c++)
        s2 += (1.0 - res->r[c] * res->r[c]) / L;

    sm_rng rng;
    sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_ARCHETYPES, 0, 0));
    sm_hf_archetypes(&rng, K, N, res->xi_true);
    sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_SUBSETS, 0, 0));
    sm_hf_client_subsets(&rng, K, L, kpc, sets);
    /* ||J*||_F^2 of J* = Xi^T Xi / N */
    double jstar2 = 0;
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) {
            double d =
                cblas_ddot(N, res->xi_true + (size_t)a * N, 1, res->xi_true + (size_t)b * N, 1) / N;
            jstar2 += d * d;
        }
    const sm_hf_tam_params tp = {cfg->hopfield.tam_beta,
                                 cfg->hopfield.tam_lambda,
                                 cfg->hopfield.tam_h,
                                 cfg->hopfield.tam_updates,
                                 cfg->hopfield.tam_noise_scale,
                                 cfg->hopfield.tam_min_scale,
                                 cfg->hopfield.tam_field == SM_HF_FIELD_CLAMP};
    int n_hat = 0;
    for (int c = 0; c < L; c++)
        wprev[c] = 1.0;

    for (int t = 0; t < T; t++) {
        /* clients: new batch, controller, blend, upload; server: aggregate */
        memset(Js, 0, sizeof(double) * n2);
        for (int c = 0; c < L; c++) {
            sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_EXAMPLES, t, c));
            if (sched.sequential)
                sm_hf_example_labels_focus(&rng, sets + (size_t)c * kpc, kpc, M,
                                           cfg->hopfield.mixture == SM_HF_RANDOM,
                                           sm_hf_sequential_focus(&sched, K, T, t), mu);
            else if (sched.novelty)
                sm_hf_example_labels_split(&rng, sets + (size_t)c * kpc, kpc, M,
                                           cfg->hopfield.mixture == SM_HF_RANDOM, K - sched.k_new,
                                           sm_hf_novel_fraction(&sched, t), mu);
            else
                sm_hf_example_labels(&rng, sets + (size_t)c * kpc, kpc, M,
                                     cfg->hopfield.mixture == SM_HF_RANDOM, mu);
            sm_hf_examples(&rng, res->xi_true, N, mu, M, res->r[c],
                           cfg->hopfield.channel == SM_HF_MASK, eta);
            for (int a = 0; a < M; a++)
                recall_cnt[mu[a]] += 1.0 / ((double)M * L * T);
            sm_hf_hebb(eta, M, N, B);
            const size_t ci = (size_t)t * L + c;
            double w = 1.0;
            if (t == 0) {
                res->p[ci] = res->H[ci] = res->w_raw[ci] = NAN;
                memcpy(Jc, B, sizeof(double) * n2);
            } else {
                const double p = sm_hf_sign_agreement(A, B, N);
                res->p[ci] = p;
                res->H[ci] = sm_hf_binary_entropy(p);
                res->w_raw[ci] = sm_hf_controller_raw(cfg->hopfield.controller, p, r_ref);
                if (cfg->hopfield.controller == SM_HF_FIXED)
                    w = cfg->hopfield.w;
                else
                    w = cfg->hopfield.ema_alpha * res->w_raw[ci] +
                        (1 - cfg->hopfield.ema_alpha) * wprev[c];
                sm_hf_blend(w, B, A, n2, Jc);
            }
            res->w[ci] = w;
            wprev[c] = w;
            if (R > 0 && (st = sm_hf_truncate(Jc, N, R, err)) != SM_OK) goto fail;
            if (obs && obs->client && (st = obs->client(obs->ctx, t, c, Jc, N, err)) != SM_OK)
                goto fail;
            cblas_daxpy((int)n2, 1.0 / L, Jc, 1, Js, 1); /* all clients hold M examples */
        }
        res->bytes_up[t] = (double)L * 8.0 * (R > 0 ? (double)R * (N + 1) : (double)n2);

        /* server: eigendecomposition, sharpening, cut */
        if ((st = sm_hf_eig(Js, N, lam, V, err)) != SM_OK) goto fail;
        memcpy(res->eigs + (size_t)t * N, lam, sizeof(double) * N);
        if (obs && obs->round &&
            (st = obs->round(obs->ctx, t, Js, lam, res->xi_true, K, N, err)) != SM_OK)
            goto fail;
        memcpy(lam2, lam, sizeof(double) * N);
        res->sharpen_steps[t] =
            sm_hf_sharpen_values(lam2, N, cfg->hopfield.sharpen_eps, cfg->hopfield.sharpen_iters);
        memcpy(res->top_js + (size_t)t * n_top, lam, sizeof(double) * n_top);
        memcpy(res->top_ks + (size_t)t * n_top, lam2, sizeof(double) * n_top);
        const double q = (double)N / ((double)M * L);
        res->mp_edge[t] = sm_hf_mp_edge(s2, N, q, cfg->hopfield.mp_delta);
        int Kh;
        double thr;
        switch (cfg->hopfield.cut) {
        case SM_HF_CUT_MP:
            thr = res->mp_edge[t];
            Kh = sm_hf_count_above(lam, N, thr);
            break;
        case SM_HF_CUT_SHUFFLE:
            if (!tmp) ALLOC(tmp, n2);
            {
                double *JKS = malloc(sizeof(double) * n2);
                if (!JKS) goto nomem;
                sm_hf_rebuild(V, lam2, N, tmp, JKS);
                sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD,
                            sm_hf_rng_index(SM_HF_RNG_SHUFFLE, t, 0));
                st = sm_hf_shuffle_threshold(JKS, N, cfg->hopfield.shuffle_n,
                                             cfg->hopfield.shuffle_alpha, &rng, &thr, err);
                free(JKS);
                if (st != SM_OK) goto fail;
            }
            Kh = sm_hf_count_above(lam2, N, thr);
            break;
        default: thr = cfg->hopfield.tau; Kh = sm_hf_count_above(lam2, N, thr);
        }
        if (Kh > 4096) Kh = 4096;
        res->Kh[t] = Kh;
        res->cut_threshold[t] = thr;
        res->gap[t] = K < N && lam2[K - 1] != 0 ? (lam2[K - 1] - lam2[K]) / lam2[K - 1] : NAN;

        /* TAM retrieval and acceptance, retried while fewer states than wanted survive */
        const int want = cfg->hopfield.oracle_k ? K : Kh;
        int n_surv = 0;
        if (Kh > 0) {
            const int s = sm_hf_init_count(Kh, P), n = s * P;
            for (int attempt = 0; attempt <= cfg->hopfield.max_attempts; attempt++) {
                if (attempt > 0 && n_surv >= want) break;
                const size_t n_pool = (size_t)n + (size_t)n_surv;
                if (!reserve(&pool, &pool_cap, n_pool, N)) goto nomem;
                free(score);
                free(keep);
                score = malloc(sizeof(double) * n_pool);
                keep = malloc(sizeof(int) * n_pool);
                if (!score || !keep) goto nomem;
                /* initial mixtures, copied into the P layers of each group */
                sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD,
                            sm_hf_rng_index(SM_HF_RNG_TAM_INIT, t, attempt));
                if (!reserve(&surv, &surv_cap, n_pool, N)) goto nomem;
                double *x = surv + (size_t)n_surv * N; /* scratch after the survivors */
                sm_hf_init_states(&rng, V, N, Kh, s, x);
                for (int a = 0; a < s; a++)
                    for (int l = 0; l < P; l++)
                        memcpy(pool + ((size_t)a * P + l) * N, x + (size_t)a * N,
                               sizeof(double) * N);
                sm_rng_init(&rng, seed, SM_STREAM_HOPFIELD,
                            sm_hf_rng_index(SM_HF_RNG_TAM_NOISE, t, attempt));
                if ((st = sm_hf_tam(Js, N, P, s, &tp, &rng, pool, NULL, err)) != SM_OK) goto fail;
                memcpy(pool + (size_t)n * N, surv, sizeof(double) * (size_t)n_surv * N);
                if ((st = sm_hf_scores(pool, (int)n_pool, N, V, lam2, score, err)) != SM_OK)
                    goto fail;
                int k = sm_hf_accept(pool, (int)n_pool, N, score, cfg->hopfield.rho,
                                     cfg->hopfield.qthr, cfg->hopfield.accept_order, keep);
                if (k == 0) { /* the reference's fallback: filter the first few once more */
                    int nf = want < (int)n_pool ? want : (int)n_pool;
                    if (nf < 1) nf = 1;
                    k = sm_hf_accept(pool, nf, N, score, cfg->hopfield.rho, cfg->hopfield.qthr,
                                     cfg->hopfield.accept_order, keep);
                }
                for (int i = 0; i < k; i++)
                    memcpy(surv + (size_t)i * N, pool + (size_t)keep[i] * N, sizeof(double) * N);
                n_surv = k;
            }
        }
        if (n_surv > 4096) n_surv = 4096;
        res->n_survivors[t] = n_surv;
        n_hat = n_surv >= want ? want : n_surv;
        res->n_hat[t] = n_hat;
        sm_hf_overlaps(surv, n_hat, res->xi_true, K, N, Q);
        res->retrieval[t] = sm_hf_retrieval(Q, n_hat, K, res->m + (size_t)t * K);
        sm_hf_reencode(surv, n_hat, N, A);
        res->bytes_down[t] = (double)L * ceil((double)n_hat * N / 8.0);

        /* relative Frobenius error of J_KS against J*, in the eigenbasis */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, N, N, 1.0, res->xi_true, N, V, N,
                    0.0, XV, N);
        double jks2 = 0, cross = 0;
        for (int d = 0; d < N; d++)
            jks2 += lam2[d] * lam2[d];
        for (int a = 0; a < K; a++)
            for (int d = 0; d < N; d++)
                cross += lam2[d] * XV[(size_t)a * N + d] * XV[(size_t)a * N + d];
        cross /= N;
        const double diff2 = jks2 - 2 * cross + jstar2;
        res->fro[t] = sqrt(diff2 > 0 ? diff2 : 0) / sqrt(jstar2);
    }

    ALLOC(res->xi_hat, (size_t)(n_hat > 0 ? n_hat : 1) * N);
    memcpy(res->xi_hat, surv ? surv : res->xi_hat, sizeof(double) * (size_t)n_hat * N);
    memcpy(res->exposure, recall_cnt, sizeof(double) * K);
    if ((st = sm_hf_recall(Js, res->xi_true, K, N, cfg->hopfield.recall_m0,
                           cfg->hopfield.recall_beta, cfg->hopfield.recall_updates,
                           cfg->hopfield.recall_reps, seed, res->recall, err)) != SM_OK)
        goto fail;
    res->recall_pearson = sm_hf_pearson(res->exposure, res->recall, K);
    res->recall_spearman = sm_hf_spearman(res->exposure, res->recall, K);
    res->seconds = now_s() - t_start;
    *out = res;
    res = NULL;
    st = SM_OK;
    goto done;
nomem:
    st = sm_error_set(err, SM_ENOMEM, "hopfield: out of memory (N = %d, M = %d)", N, M);
fail:
    sm_hf_result_destroy(res);
    res = NULL;
done:
    free(eta);
    free(B);
    free(Jc);
    free(A);
    free(lam);
    free(lam2);
    free(V);
    free(tmp);
    free(pool);
    free(surv);
    free(score);
    free(Q);
    free(XV);
    free(wprev);
    free(recall_cnt);
    free(sets);
    free(mu);
    free(keep);
    return st;
}

/* diag.iid for the federated Hopfield memory (diag_hopfield.h). */
#include "protocol/diag_hopfield.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/hopfield.h"

sm_status sm_diag_hopfield_init(sm_diag_hopfield *g, const sm_config *cfg, uint64_t seed, int every,
                                sm_error *err)
{
    memset(g, 0, sizeof *g);
    if (!cfg->diag.iid) return SM_OK;
    const int K = cfg->hopfield.K, N = cfg->hopfield.N, reps = cfg->hopfield.recall_reps;
    if (reps < 1)
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid: the hopfield probe is hopfield.recall_reps cues per "
                            "archetype; hopfield.recall_reps = 0 leaves none");
    const long long want = (long long)K * reps;
    g->n = want < cfg->diag.n_probe ? (int)want : cfg->diag.n_probe;
    g->N = N;
    g->K = K;
    g->L = cfg->hopfield.L;
    g->T = cfg->hopfield.T;
    g->every = every > 0 ? every : 1;
    g->updates = cfg->hopfield.recall_updates;
    g->seed = seed;
    g->m0 = cfg->hopfield.recall_m0;
    g->saturation = cfg->diag.saturation;
    g->delta = cfg->diag.srank_delta;
    const size_t sz = (size_t)g->n * N;
    g->cue = malloc(sz * sizeof *g->cue);
    g->S = malloc(sz * sizeof *g->S);
    g->H = malloc(sz * sizeof *g->H);
    g->counts = malloc(sz * sizeof *g->counts);
    g->sv = malloc((size_t)N * sizeof *g->sv);
    g->clients = calloc((size_t)g->L, sizeof *g->clients);
    g->tab = json_object();
    sm_status st = g->cue && g->S && g->H && g->counts && g->sv && g->clients && g->tab
                       ? sm_diag_tensor_init(&g->server, (size_t)N * N, err)
                       : sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    for (int c = 0; c < g->L && st == SM_OK; c++)
        st = sm_diag_tensor_init(&g->clients[c], (size_t)N * N, err);
    if (st != SM_OK) sm_diag_hopfield_free(g);
    return st;
}

static int due(const sm_diag_hopfield *g, int t)
{
    return t == g->T - 1 || t % g->every == 0;
}

/* The cues, round robin over the archetypes (cue a shows archetype a mod K), each
 * archetype's flips from its own stream. */
static void draw_cues(sm_diag_hopfield *g, const double *xi)
{
    const int N = g->N;
    const double keep = 0.5 * (1.0 + g->m0);
    for (int mu = 0; mu < g->K; mu++) {
        sm_rng rng;
        sm_rng_init(&rng, g->seed, SM_STREAM_HOPFIELD,
                    sm_hf_rng_index(SM_HF_RNG_DIAG_PROBE, 0, mu));
        const double *x = xi + (size_t)mu * N;
        for (int a = mu; a < g->n; a += g->K)
            for (int i = 0; i < N; i++)
                g->cue[(size_t)a * N + i] = sm_rng_uniform(&rng) < keep ? x[i] : -x[i];
    }
}

/* Zero-temperature parallel relaxation of every cue on J (symmetric, so S J = (J S^T)^T). */
static void relax(sm_diag_hopfield *g, const double *J)
{
    const int n = g->n, N = g->N;
    const size_t sz = (size_t)n * N;
    memcpy(g->S, g->cue, sz * sizeof *g->S);
    for (int step = 0; step < g->updates; step++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, N, N, 1.0, g->S, N, J, N, 0.0,
                    g->H, N);
        size_t changed = 0;
        for (size_t k = 0; k < sz; k++) {
            const double s = g->H[k] >= 0 ? 1.0 : -1.0;
            changed += s != g->S[k];
            g->S[k] = s;
        }
        if (!changed) break;
    }
    for (size_t k = 0; k < sz; k++)
        g->counts[k] = (float)(0.5 * (1.0 + g->S[k]));
}

static int desc(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void spectrum_cols(sm_diag_hopfield *g, const double *lam, int on)
{
    const int N = g->N;
    int sr = 0;
    double er = 0;
    if (on) {
        for (int k = 0; k < N; k++)
            g->sv[k] = fabs(lam[k]);
        qsort(g->sv, (size_t)N, sizeof *g->sv, desc);
        sr = sm_diag_srank(g->sv, N, g->delta);
        er = sm_diag_erank(g->sv, N);
    }
    sm_train_col_add(g->tab, "diag_server_srank", on ? json_integer(sr) : json_null());
    sm_train_col_add(g->tab, "diag_server_srank_frac",
                     on ? sm_train_real((double)sr / N) : json_null());
    sm_train_col_add(g->tab, "diag_server_erank", on ? sm_train_real(er) : json_null());
    sm_train_col_add(g->tab, "diag_server_erank_frac", on ? sm_train_real(er / N) : json_null());
}

static sm_status on_client(void *ctx, int t, int c, const double *Jc, int N, sm_error *err)
{
    (void)N;
    (void)err;
    sm_diag_hopfield *g = ctx;
    const double t0 = sm_train_now(), c0 = sm_train_cpu_now();
    char name[32];
    snprintf(name, sizeof name, "client%d", c);
    sm_diag_tensor_cols(g->tab, name, &g->clients[c], due(g, t) ? Jc : NULL, NAN, NAN);
    g->seconds += sm_train_now() - t0;
    g->cpu_seconds += sm_train_cpu_now() - c0;
    return SM_OK;
}

static sm_status on_round(void *ctx, int t, const double *Js, const double *lam, const double *xi,
                          int K, int N, sm_error *err)
{
    (void)K;
    (void)N;
    sm_diag_hopfield *g = ctx;
    const double t0 = sm_train_now(), c0 = sm_train_cpu_now();
    if (t == 0) draw_cues(g, xi);
    const int on = due(g, t);
    sm_diag_layer d;
    sm_status st = SM_OK;
    if (on) {
        relax(g, Js);
        st =
            sm_diag_layer_compute(g->counts, g->n, g->N, 1, g->saturation, g->delta, &d, NULL, err);
    }
    if (st == SM_OK) {
        sm_train_col_add(g->tab, "round", json_integer(t));
        sm_diag_cols(g->tab, "units", on ? &d : NULL);
        spectrum_cols(g, lam, on);
        sm_diag_tensor_cols(g->tab, "server", &g->server, on ? Js : NULL, NAN, NAN);
        g->have |= on;
    }
    g->seconds += sm_train_now() - t0;
    g->cpu_seconds += sm_train_cpu_now() - c0;
    return st;
}

sm_hf_observer sm_diag_hopfield_observer(sm_diag_hopfield *g)
{
    return (sm_hf_observer){g, on_client, on_round};
}

/* The mean of the seeds' non-null values of column `key` at row t (null if none). */
static json_t *mean_cell(sm_diag_hopfield *const *g, int S, const char *key, size_t t)
{
    double sum = 0;
    int k = 0;
    for (int s = 0; s < S; s++) {
        json_t *v = json_array_get(json_object_get(g[s]->tab, key), t);
        if (json_is_number(v)) {
            sum += json_number_value(v);
            k++;
        }
    }
    return k ? sm_train_real(sum / k) : json_null();
}

json_t *sm_diag_hopfield_mean_table(sm_diag_hopfield *const *g, int S)
{
    json_t *out = json_object();
    if (!out || S < 1) return out;
    const char *key;
    json_t *col;
    json_object_foreach(g[0]->tab, key, col)
    {
        json_t *m = json_array();
        if (!m) {
            json_decref(out);
            return NULL;
        }
        for (size_t t = 0; t < json_array_size(col); t++)
            json_array_append_new(m, strcmp(key, "round") ? mean_cell(g, S, key, t)
                                                          : json_integer((json_int_t)t));
        json_object_set_new(out, key, m);
    }
    return out;
}

void sm_diag_hopfield_export(const sm_diag_hopfield *g, sm_train_array_fn fn, void *ctx)
{
    if (fn && g->have) fn(ctx, "probe_counts_units", 0, (size_t)g->n, (size_t)g->N, g->counts);
}

void sm_diag_hopfield_free(sm_diag_hopfield *g)
{
    free(g->cue);
    free(g->S);
    free(g->H);
    free(g->counts);
    free(g->sv);
    sm_diag_tensor_free(&g->server);
    for (int c = 0; g->clients && c < g->L; c++)
        sm_diag_tensor_free(&g->clients[c]);
    free(g->clients);
    json_decref(g->tab);
    memset(g, 0, sizeof *g);
}

/* somnus: masks of the SG-SNN's weight matrices and their updates (spec structural.md
 * sections 2-3): the initial mask, GraNet's cubic pruning schedule with exact top-K
 * magnitude pruning (global or per layer), prune-and-regrow with cosine decay, and the
 * event log that results' structure_events come from. The arithmetic of the schedule
 * and of the selections lives in plasticity/sparse_schedule.c.
 *
 * Invariant kept here: a weight whose mask is 0 is exactly 0 and so are its Adam
 * moments. The forward pass therefore needs no mask (W = W * M already), Adam skips
 * masked entries (sm_sgsnn_adam_update_masked), and only writers of all weights (sleep)
 * call sgsnn_sparse_apply.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "sgsnn_internal.h"

static int method_prunes(int m)
{
    return m == SM_SPARSE_GMP || m == SM_SPARSE_GRANET || m == SM_SPARSE_SET;
}

static int method_regrows(int m)
{
    return m == SM_SPARSE_GRANET || m == SM_SPARSE_SET || m == SM_SPARSE_RIGL;
}

void sgsnn_sparse_destroy(sgsnn_sparse *sp)
{
    if (!sp) return;
    for (int l = 0; l < SM_SGSNN_MAX_LAYERS; l++) {
        free(sp->mask[l]);
        free(sp->ever[l]);
        free(sp->prev_drop[l]);
    }
    free(sp->ev);
    free(sp);
}

void sgsnn_sparse_apply(sm_sgsnn *net)
{
    for (int l = 0; l < net->L; l++) {
        const uint8_t *m = net->sp->mask[l];
        float *w = net->par[(size_t)2 * l], *am = net->adam_m[(size_t)2 * l],
              *av = net->adam_v[(size_t)2 * l];
        for (size_t i = 0; i < net->len[(size_t)2 * l]; i++)
            if (!m[i]) w[i] = am[i] = av[i] = 0.0f;
    }
}

/* Initial layer densities at overall density d (ERK or uniform), as nnz counts. */
static void initial_counts(const sm_sgsnn *net, double d, long *nnz)
{
    int rows[SM_SGSNN_MAX_LAYERS], cols[SM_SGSNN_MAX_LAYERS];
    double dl[SM_SGSNN_MAX_LAYERS];
    for (int l = 0; l < net->L; l++) {
        rows[l] = net->size[l + 1];
        cols[l] = net->size[l];
        dl[l] = d;
    }
    if (net->p.sparse.init == SM_SPARSE_ERK && d < 1.0)
        sm_sparse_erk_densities(net->L, rows, cols, d, dl);
    for (int l = 0; l < net->L; l++)
        nnz[l] = (long)floor(dl[l] * (double)net->len[(size_t)2 * l] + 1e-9);
}

sm_status sgsnn_sparse_create(sm_sgsnn *net, sm_error *err)
{
    const sm_sparse_params *q = &net->p.sparse;
    if (q->method == SM_SPARSE_DENSE) return SM_OK;
    sgsnn_sparse *sp = calloc(1, sizeof *sp);
    if (!sp) return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for the masks");
    net->sp = sp;
    int ok = 1;
    for (int l = 0; l < net->L && ok; l++) {
        size_t n = net->len[(size_t)2 * l];
        sp->mask[l] = calloc(n, 1);
        sp->ever[l] = calloc(n, 1);
        sp->prev_drop[l] = calloc(n, 1);
        ok = sp->mask[l] && sp->ever[l] && sp->prev_drop[l];
    }
    if (!ok) return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for the masks");
    /* static and rigl start at D_f, the pruning methods at D_i */
    const double d = method_prunes(q->method) ? q->init_density : q->final_density;
    long nnz[SM_SGSNN_MAX_LAYERS];
    initial_counts(net, d, nnz);
    for (int l = 0; l < net->L; l++) {
        size_t n = net->len[(size_t)2 * l];
        if ((size_t)nnz[l] >= n)
            memset(sp->mask[l], 1, n);
        else if (sm_sparse_random_mask(net->p.seed, SM_STREAM_SGSNN,
                                       SGSNN_PURPOSE_MASK | (uint32_t)l, sp->mask[l], n,
                                       nnz[l]) != 0)
            return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for the masks");
        memcpy(sp->ever[l], sp->mask[l], n);
    }
    sgsnn_sparse_apply(net);
    sp->last_target = 1.0 - d;
    return SM_OK;
}

const uint8_t *sm_sgsnn_get_mask(const sm_sgsnn *net, int layer)
{
    if (!net || !net->sp || layer < 0 || layer >= net->L) return NULL;
    return net->sp->mask[layer];
}

const sm_sgsnn_struct_event *sm_sgsnn_struct_events(const sm_sgsnn *net, int *n)
{
    *n = net && net->sp ? net->sp->n_ev : 0;
    return net && net->sp ? net->sp->ev : NULL;
}

static sm_status ensure_events(sgsnn_sparse *sp, int n, sm_error *err)
{
    if (n <= sp->cap_ev) return SM_OK;
    int cap = sp->cap_ev ? sp->cap_ev : 64;
    while (cap < n)
        cap *= 2;
    sm_sgsnn_struct_event *e = realloc(sp->ev, (size_t)cap * sizeof *e);
    if (!e) return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for the event log");
    sp->ev = e;
    sp->cap_ev = cap;
    return SM_OK;
}

sm_status sm_sgsnn_struct_events_restore(sm_sgsnn *net, const sm_sgsnn_struct_event *ev, int n,
                                         sm_error *err)
{
    if (!net || !net->sp) return SM_OK;
    sm_status st = ensure_events(net->sp, n, err);
    if (st != SM_OK) return st;
    if (n > 0) memcpy(net->sp->ev, ev, (size_t)n * sizeof *ev);
    net->sp->n_ev = n;
    return SM_OK;
}

static long count_ones(const uint8_t *a, size_t n)
{
    long c = 0;
    for (size_t i = 0; i < n; i++)
        c += a[i];
    return c;
}

/* Pruning step 2.2 to density dens: global top-K over all layers, or per layer (with the
 * optional output-layer floor). */
static sm_status prune_to(sm_sgsnn *net, double dens, sm_error *err)
{
    const sm_sparse_params *q = &net->p.sparse;
    const int L = net->L;
    float *w[SM_SGSNN_MAX_LAYERS];
    size_t len[SM_SGSNN_MAX_LAYERS], total = 0;
    for (int l = 0; l < L; l++) {
        w[l] = net->par[(size_t)2 * l];
        len[l] = net->len[(size_t)2 * l];
        total += len[l];
    }
    if (q->scope == SM_SPARSE_GLOBAL) {
        long K = (long)floor((double)total * dens + 1e-9);
        if (sm_sparse_keep_topk(L, w, net->sp->mask, len, K) < 0)
            return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory while pruning");
        return SM_OK;
    }
    double dl[SM_SGSNN_MAX_LAYERS];
    for (int l = 0; l < L; l++)
        dl[l] = dens;
    if (q->last_layer_density > 0 && 1.0 - dens >= 0.8 && L > 1) {
        /* GraNet's uniform path: the classifier keeps its floor, the others pay for it */
        const double N_last = (double)len[L - 1];
        dl[L - 1] = q->last_layer_density;
        double rest = ((double)total * dens - N_last * dl[L - 1]) / ((double)total - N_last);
        for (int l = 0; l < L - 1; l++)
            dl[l] = rest < 0 ? 0 : rest;
    }
    for (int l = 0; l < L; l++) {
        long K = (long)floor((double)len[l] * dl[l] + 1e-9);
        if (sm_sparse_keep_topk(1, &w[l], &net->sp->mask[l], &len[l], K) < 0)
            return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory while pruning");
    }
    return SM_OK;
}

/* Regrowth score of one layer: |gradient| or |Adam momentum|, into out. */
static void regrow_score(const sm_sgsnn *net, int l, int how, float *out)
{
    const size_t n = net->len[(size_t)2 * l];
    const float *g = net->grad[(size_t)2 * l], *m = net->adam_m[(size_t)2 * l],
                *v = net->adam_v[(size_t)2 * l];
    if (how == SM_SPARSE_REGROW_MOMENTUM)
        for (size_t i = 0; i < n; i++)
            out[i] = fabsf(m[i] / (sqrtf(v[i]) + 1e-8f));
    else
        for (size_t i = 0; i < n; i++)
            out[i] = fabsf(g[i]);
}

/* Step 2.3 on every layer: drop k_l = ceil(r nnz_l) smallest, grow k_l by score. */
static sm_status prune_and_regrow(sm_sgsnn *net, double r, uint8_t **drop, uint8_t **grow,
                                  float *score, sm_error *err)
{
    const sm_sparse_params *q = &net->p.sparse;
    const int how = q->method == SM_SPARSE_SET ? SM_SPARSE_REGROW_RANDOM : q->regrow;
    for (int l = 0; l < net->L; l++) {
        const size_t n = net->len[(size_t)2 * l];
        uint8_t *mask = net->sp->mask[l];
        long k = (long)ceil(r * (double)count_ones(mask, n) - 1e-9);
        if (sm_sparse_drop_smallest(net->par[(size_t)2 * l], mask, drop[l], n, k) < 0)
            return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory while regrowing");
        long g;
        if (how == SM_SPARSE_REGROW_RANDOM) {
            uint32_t idx = SGSNN_PURPOSE_REGROW | (((uint32_t)net->sp->updates & 0x1ffffffu) << 3) |
                           (uint32_t)l;
            g = sm_sparse_grow_random(net->p.seed, SM_STREAM_SGSNN, idx, mask, grow[l], n, k);
        } else {
            regrow_score(net, l, how, score);
            g = sm_sparse_grow_topk(score, mask, grow[l], n, k);
        }
        if (g < 0) return sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory while regrowing");
    }
    return SM_OK;
}

/* Fills the event row from the masks before (old) and after the update, zeroes what the
 * update removed and updates ever-active and the previous-drop flags. */
static void finish_event(sm_sgsnn *net, sm_sgsnn_struct_event *e, uint8_t **old)
{
    sgsnn_sparse *sp = net->sp;
    long removed = 0, added = 0, added_prev = 0, ever = 0, nnz = 0;
    size_t total = 0;
    double sum_removed = 0;
    for (int l = 0; l < net->L; l++) {
        const size_t n = net->len[(size_t)2 * l];
        const uint8_t *m = sp->mask[l];
        uint8_t *pd = sp->prev_drop[l];
        const float *w = net->par[(size_t)2 * l];
        for (size_t i = 0; i < n; i++) {
            int was = old[l][i], is = m[i];
            if (was && !is) {
                removed++;
                sum_removed += fabs((double)w[i]);
            }
            if (!was && is) {
                added++;
                added_prev += pd[i];
            }
            pd[i] = (uint8_t)(was && !is);
            sp->ever[l][i] |= (uint8_t)is;
            ever += sp->ever[l][i];
        }
        e->nnz[l] = count_ones(m, n);
        e->density[l] = (double)e->nnz[l] / (double)n;
        nnz += e->nnz[l];
        total += n;
    }
    sgsnn_sparse_apply(net);
    e->pruned = removed;
    e->regrown = added;
    e->mean_abs_pruned = removed > 0 ? sum_removed / (double)removed : NAN;
    e->regrown_was_pruned = added > 0 ? (double)added_prev / (double)added : NAN;
    e->ever_active = (double)ever / (double)total;
    e->sparsity = 1.0 - (double)nnz / (double)total;
}

sm_status sgsnn_sparse_after_step(sm_sgsnn *net, int *did, sm_error *err)
{
    sgsnn_sparse *sp = net->sp;
    const sm_sparse_params *q = &net->p.sparse;
    *did = 0;
    const long ipe = sp->iters_per_epoch, t = net->adam_t, dT = q->interval;
    const long t0 = (long)q->start_epoch * ipe, t_end = (long)q->end_epoch * ipe;
    const long T = (long)net->p.epochs * ipe;
    const int prune = method_prunes(q->method) && sm_sparse_prune_due(t, t0, t_end, dT);
    const int regrow = method_regrows(q->method) && t >= t0 && t % dT == 0 && t < T;
    if (!prune && !regrow) return SM_OK;

    const int L = net->L;
    size_t maxn = 0, minn = SIZE_MAX;
    for (int l = 0; l < L; l++) {
        if (net->len[(size_t)2 * l] > maxn) maxn = net->len[(size_t)2 * l];
        if (net->len[(size_t)2 * l] < minn) minn = net->len[(size_t)2 * l];
    }
    if (L < 1 || minn == 0)
        return sm_error_set(err, SM_EINVAL, "sgsnn: a mask update needs weights in every layer");
    uint8_t *old[SM_SGSNN_MAX_LAYERS] = {0}, *drop[SM_SGSNN_MAX_LAYERS] = {0},
            *grow[SM_SGSNN_MAX_LAYERS] = {0};
    float *score = malloc(maxn * sizeof *score);
    int ok = score != NULL;
    for (int l = 0; l < L && ok; l++) {
        old[l] = malloc(net->len[(size_t)2 * l]);
        drop[l] = calloc(net->len[(size_t)2 * l], 1);
        grow[l] = calloc(net->len[(size_t)2 * l], 1);
        ok = old[l] && drop[l] && grow[l];
        if (ok) memcpy(old[l], sp->mask[l], net->len[(size_t)2 * l]);
    }
    sm_status st = ok ? ensure_events(sp, sp->n_ev + 1, err)
                      : sm_error_set(err, SM_ENOMEM, "sgsnn: out of memory for a mask update");
    sm_sgsnn_struct_event e;
    memset(&e, 0, sizeof e);
    double dens =
        method_prunes(q->method)
            ? sm_sparse_target_density(q->init_density, q->final_density, t, t0, t_end, dT)
            : q->final_density;
    if (st == SM_OK && prune) st = prune_to(net, dens, err);
    for (int l = 0; l < L && st == SM_OK; l++)
        e.nnz_pruned[l] = count_ones(sp->mask[l], net->len[(size_t)2 * l]);
    double r = regrow ? sm_sparse_regrow_rate(q->regrow_rate, q->regrow_rate_min, t, T) : 0.0;
    if (st == SM_OK && regrow) st = prune_and_regrow(net, r, drop, grow, score, err);
    if (st == SM_OK) {
        e.iteration = t;
        e.epoch = net->epoch + 1;
        e.target_sparsity = 1.0 - dens;
        e.regrow_rate = r;
        finish_event(net, &e, old);
        sp->ev[sp->n_ev++] = e;
        sp->updates++;
        sp->last_target = e.target_sparsity;
        sp->last_rate = r;
        *did = 1;
    }
    for (int l = 0; l < L; l++) {
        free(old[l]);
        free(drop[l]);
        free(grow[l]);
    }
    free(score);
    return st;
}

void sgsnn_sparse_stats(const sm_sgsnn *net, sm_sgsnn_epoch_stats *s)
{
    long nnz = 0;
    size_t total = 0;
    for (int l = 0; l < net->L; l++) {
        const size_t n = net->len[(size_t)2 * l];
        long c = net->sp ? count_ones(net->sp->mask[l], n) : (long)n;
        s->density[l] = (double)c / (double)n;
        nnz += c;
        total += n;
    }
    s->sparsity = 1.0 - (double)nnz / (double)total;
    s->regrow_rate = net->sp ? net->sp->last_rate : 0.0;
}

/* Checkpoint part: per layer mask, ever, prev_drop (bytes), then the counters. */
typedef struct sparse_counters {
    long updates;
    double last_target, last_rate;
} sparse_counters;

size_t sgsnn_sparse_state_size(const sm_sgsnn *net)
{
    if (!net->sp) return 0;
    size_t n = 0;
    for (int l = 0; l < net->L; l++)
        n += 3 * net->len[(size_t)2 * l];
    return n + sizeof(sparse_counters);
}

void sgsnn_sparse_state_save(const sm_sgsnn *net, char *b)
{
    const sgsnn_sparse *sp = net->sp;
    if (!sp) return;
    for (int l = 0; l < net->L; l++) {
        const size_t n = net->len[(size_t)2 * l];
        memcpy(b, sp->mask[l], n);
        memcpy(b + n, sp->ever[l], n);
        memcpy(b + 2 * n, sp->prev_drop[l], n);
        b += 3 * n;
    }
    sparse_counters c;
    memset(&c, 0, sizeof c);
    c.updates = sp->updates;
    c.last_target = sp->last_target;
    c.last_rate = sp->last_rate;
    memcpy(b, &c, sizeof c);
}

void sgsnn_sparse_state_load(sm_sgsnn *net, const char *b)
{
    sgsnn_sparse *sp = net->sp;
    if (!sp) return;
    for (int l = 0; l < net->L; l++) {
        const size_t n = net->len[(size_t)2 * l];
        memcpy(sp->mask[l], b, n);
        memcpy(sp->ever[l], b + n, n);
        memcpy(sp->prev_drop[l], b + 2 * n, n);
        b += 3 * n;
    }
    sparse_counters c;
    memcpy(&c, b, sizeof c);
    sp->updates = c.updates;
    sp->last_target = c.last_target;
    sp->last_rate = c.last_rate;
}

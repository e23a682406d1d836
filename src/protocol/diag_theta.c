/* diag.iid for the theta-gated Helmholtz machine (diag_theta.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/diagnostics.h"
#include "protocol/diag_theta.h"
#include "protocol/experiments/theta_common.h"

static const char *const POPS[2] = {"hidden", "sensory_apical"};

/* The sensory (p) and hidden (g) layers of either task model. */
static void layers_of(const void *m, int pathint, const sm_theta_layer **p,
                      const sm_theta_layer **gl)
{
    if (pathint) {
        const sm_theta_pathint *b = m;
        *p = &b->p, *gl = &b->g;
    } else {
        const sm_theta_latents *a = m;
        *p = &a->p, *gl = &a->g;
    }
}

static const char *source_name(const sm_theta_block *b, const sm_theta_layer *p,
                               const sm_theta_layer *gl)
{
    return b->src == p->r ? "sensory" : b->src == gl->r ? "hidden" : "velocity";
}

static size_t block_size(const sm_theta_layer *l, const sm_theta_block *b)
{
    return (size_t)l->n * (size_t)(b->n_src + b->bias);
}

/* Calls fn on every plastic block (not identity, eta != 0), in a fixed order: p basal,
 * p apical, g basal, g apical, blocks in the order the model added them. */
typedef void (*block_fn)(void *ctx, int k, const sm_theta_layer *l, int layer, int comp,
                         const sm_theta_block *b);

static int for_blocks(const sm_theta_layer *const l[2], block_fn fn, void *ctx)
{
    int k = 0;
    for (int q = 0; q < 2; q++)
        for (int c = 0; c < 2; c++) {
            const sm_theta_comp *comp = c ? &l[q]->apical : &l[q]->basal;
            for (int j = 0; j < comp->n_blocks; j++) {
                const sm_theta_block *b = &comp->blocks[j];
                if (b->identity || b->eta == 0) continue;
                if (fn) fn(ctx, k, l[q], q, c, b);
                k++;
            }
        }
    return k;
}

typedef struct init_ctx {
    sm_diag_theta *g;
    const sm_theta_layer *const *l;
    sm_status st;
    sm_error *err;
    size_t widest;
} init_ctx;

static void name_block(void *ctx, int k, const sm_theta_layer *l, int layer, int comp,
                       const sm_theta_block *b)
{
    init_ctx *c = ctx;
    snprintf(c->g->names[k], sizeof c->g->names[k], "%s_%s_from_%s", layer ? "hidden" : "sensory",
             comp ? "apical" : "basal", source_name(b, c->l[0], c->l[1]));
    const size_t n = block_size(l, b);
    if (n > c->widest) c->widest = n;
    if (c->st == SM_OK) c->st = sm_diag_tensor_init(&c->g->w_prev[k], n, c->err);
}

sm_status sm_diag_theta_init(sm_diag_theta *g, const sm_config *cfg, const void *m, int pathint,
                             sm_error *err)
{
    memset(g, 0, sizeof *g);
    if (!cfg->diag.iid) return SM_OK;
    const sm_theta_layer *l[2];
    layers_of(m, pathint, &l[0], &l[1]);
    const double dt =
        pathint ? ((const sm_theta_pathint *)m)->par.dt : ((const sm_theta_latents *)m)->par.dt;
    g->pathint = pathint;
    g->delta = cfg->diag.srank_delta;
    g->steps = (int)fmax(1, llround(cfg->diag.probe_s / dt));
    /* the training's whole-minute rows, as train_theta.c counts them */
    g->rows = (int)(llround(cfg->theta.train_min * 60.0 / dt) / llround(60.0 / dt));
    g->every = sm_diag_every(cfg, 0);
    g->n_units[0] = l[1]->n;
    g->n_units[1] = l[0]->n;
    g->n_blocks = for_blocks(l, NULL, NULL);
    if (g->n_blocks > SM_DIAG_THETA_MAX_BLOCKS)
        return sm_error_set(err, SM_EINTERNAL, "diag.iid: more plastic blocks than expected");
    init_ctx c = {g, l, SM_OK, err, 1};
    for_blocks(l, name_block, &c);
    const size_t wide = (size_t)(l[0]->n > l[1]->n ? l[0]->n : l[1]->n);
    g->phi[0] = malloc((size_t)g->steps * g->n_units[0] * sizeof(float));
    g->phi[1] = malloc((size_t)g->steps * g->n_units[1] * sizeof(float));
    g->abs_phi = malloc((size_t)g->steps * wide * sizeof(float));
    g->w = malloc(c.widest * sizeof *g->w);
    if (c.st != SM_OK || !g->phi[0] || !g->phi[1] || !g->abs_phi || !g->w) {
        sm_diag_theta_free(g);
        return c.st != SM_OK ? c.st : sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    }
    return SM_OK;
}

/* Gives every plastic block of `dst` (built like `src`) the weights of src's. */
static void copy_weights(sm_theta_layer *const dst[2], const sm_theta_layer *const src[2])
{
    for (int q = 0; q < 2; q++)
        for (int c = 0; c < 2; c++) {
            sm_theta_comp *d = c ? &dst[q]->apical : &dst[q]->basal;
            const sm_theta_comp *s = c ? &src[q]->apical : &src[q]->basal;
            for (int j = 0; j < s->n_blocks; j++)
                if (!s->blocks[j].identity)
                    memcpy(d->blocks[j].w, s->blocks[j].w,
                           block_size(src[q], &s->blocks[j]) * sizeof(float));
        }
}

/* Row t of the populations' rates after a probe step. */
static void record(sm_diag_theta *g, int t, const sm_theta_layer *p, const sm_theta_layer *gl)
{
    memcpy(g->phi[0] + (size_t)t * g->n_units[0], gl->r, (size_t)g->n_units[0] * sizeof(float));
    memcpy(g->phi[1] + (size_t)t * g->n_units[1], p->apical.r,
           (size_t)g->n_units[1] * sizeof(float));
}

/* A probe model of either task: its layers, gate, noise and one step without learning. */
typedef struct probe_model {
    sm_theta_layer *p, *g;
    sm_theta_gate *gate;
    sm_theta_noise *noise;
    void (*step)(void *model);
    void *model;
} probe_model;

static void step_latents(void *q)
{
    sm_theta_latents_step(q, 0);
}

static void step_pathint(void *q)
{
    sm_theta_pathint_step(q, 0);
}

/* The probe copy: built from m's parameters (so its generated stream starts where every
 * run starts), m's weights, inference mode, no noise, no learning, g->steps steps. */
static sm_status run_probe(sm_diag_theta *g, const void *m, sm_error *err)
{
    sm_theta_latents qa;
    sm_theta_pathint qb;
    probe_model v;
    sm_status st;
    if (g->pathint) {
        st = sm_theta_pathint_init(&qb, &((const sm_theta_pathint *)m)->par, err);
        v = (probe_model){&qb.p, &qb.g, &qb.gate, &qb.noise, step_pathint, &qb};
    } else {
        st = sm_theta_latents_init(&qa, &((const sm_theta_latents *)m)->par, err);
        v = (probe_model){&qa.p, &qa.g, &qa.gate, &qa.noise, step_latents, &qa};
    }
    if (st != SM_OK) return st;
    const sm_theta_layer *src[2];
    layers_of(m, g->pathint, &src[0], &src[1]);
    sm_theta_layer *dst[2] = {v.p, v.g};
    copy_weights(dst, src);
    v.gate->force = 0;
    v.noise->on = 0;
    for (int t = 0; t < g->steps; t++) {
        v.step(v.model);
        record(g, t, v.p, v.g);
    }
    if (g->pathint)
        sm_theta_pathint_free(&qb);
    else
        sm_theta_latents_free(&qa);
    return SM_OK;
}

/* One population's diagnostics: silent, dormant and the feature norm from |phi| (mean
 * absolute rate), srank/erank from the signed rates; saturated undefined. */
static sm_status population(sm_diag_theta *g, int q, sm_diag_layer *d, sm_error *err)
{
    const int n = g->steps, H = g->n_units[q];
    const float *phi = g->phi[q];
    for (size_t k = 0; k < (size_t)n * H; k++)
        g->abs_phi[k] = fabsf(phi[k]);
    d->H = H;
    d->silent = sm_diag_dormant_fraction(g->abs_phi, n, H, 0);
    d->dormant_025 = sm_diag_dormant_fraction(g->abs_phi, n, H, 0.025);
    d->dormant_1 = sm_diag_dormant_fraction(g->abs_phi, n, H, 0.1);
    d->saturated = NAN;
    d->feature_norm = sm_diag_feature_norm(g->abs_phi, n, H, 1);
    const int r = n < H ? n : H;
    double *sv = malloc((size_t)r * sizeof *sv);
    if (!sv) return sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    const sm_status st = sm_diag_singular_values(phi, n, H, 1, sv, err);
    d->srank = st == SM_OK ? sm_diag_srank(sv, r, g->delta) : NAN;
    d->erank = st == SM_OK ? sm_diag_erank(sv, r) : NAN;
    free(sv);
    return st;
}

typedef struct row_ctx {
    sm_diag_theta *g;
    json_t *tab;
    int due; /* 0: null values */
} row_ctx;

static void block_cols(void *ctx, int k, const sm_theta_layer *l, int layer, int comp,
                       const sm_theta_block *b)
{
    (void)layer, (void)comp;
    row_ctx *c = ctx;
    const size_t n = block_size(l, b);
    for (size_t i = 0; i < n && c->due; i++)
        c->g->w[i] = b->w[i];
    sm_diag_tensor_cols(c->tab, c->g->names[k], &c->g->w_prev[k], c->due ? c->g->w : NULL, NAN,
                        NAN);
}

sm_status sm_diag_theta_row(sm_diag_theta *g, const void *m, json_t *tab, sm_error *err)
{
    if (g->steps == 0) return SM_OK;
    const double t0 = sm_theta_now(), c0 = sm_theta_cpu_now();
    g->row++;
    const int due = g->row == g->rows || g->row % g->every == 0;
    sm_status st = due ? run_probe(g, m, err) : SM_OK;
    for (int q = 0; q < 2 && st == SM_OK; q++) {
        sm_diag_layer d;
        if (due) st = population(g, q, &d, err);
        if (st == SM_OK) sm_diag_cols(tab, POPS[q], due ? &d : NULL);
    }
    if (st == SM_OK) {
        const sm_theta_layer *l[2];
        layers_of(m, g->pathint, &l[0], &l[1]);
        row_ctx c = {g, tab, due};
        for_blocks(l, block_cols, &c);
    }
    g->seconds += sm_theta_now() - t0;
    g->cpu_seconds += sm_theta_cpu_now() - c0;
    return st;
}

void sm_diag_theta_free(sm_diag_theta *g)
{
    free(g->phi[0]);
    free(g->phi[1]);
    free(g->abs_phi);
    free(g->w);
    for (int k = 0; k < SM_DIAG_THETA_MAX_BLOCKS; k++)
        sm_diag_tensor_free(&g->w_prev[k]);
    memset(g, 0, sizeof *g);
}

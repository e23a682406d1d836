/* The STDP network on the input-plasticity stream (spec plasticity-loss.md 3.5): chunk k
 * presents the k-th slice of N images of the seed-shuffled training set (wrapping) under
 * the chunk's pixel permutation, with the configured sleep; then, on a snapshot with frozen
 * weights, the readout (train.eval_fit of the chunk's images) is scored on the chunk's
 * test images, and the diagnostics of E and I (probe set) and of the pathways are taken.
 * The fresh reference is a new network (seed keyed by seed and chunk) given chunk k alone.
 *
 * As in continual_stdp.c, every frozen presentation starts from the network's initial
 * neuron state with an input clock keyed by the image, so a representation depends on
 * the weights and the image alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/analysis/diagnostics.h"
#include "somnus/analysis/readout.h"
#include "somnus/core/rng.h"
#include "somnus/io/encode.h"
#include "somnus/models/sim.h"
#include "somnus/models/sim_guard.h"
#include "somnus/models/sim_state.h"
#include "protocol/diag_columns.h"
#include "protocol/plasticity_protocol.h"
#include "protocol/plasticity_stream.h"

#define CLOCK_BASE (UINT64_C(1) << 62)
enum { PART_TRAIN = 0, PART_TEST = 1, PART_PROBE = 2 };

typedef struct net_run {
    const sm_config *cfg;
    sm_train_run_ctx *run;
    sm_sim *sim;
    sm_encoder *enc;
    sm_sim_state *s0;
    int evaluating;
    uint64_t eval_clock;
    int n_all; /* E + I */
} net_run;

static int input_fn(void *ctx, uint64_t step, int32_t *out)
{
    net_run *c = ctx;
    if (c->evaluating) return sm_encoder_spikes(c->enc, c->eval_clock++, out);
    return sm_encoder_spikes(c->enc, step, out);
}

static void net_free(net_run *c)
{
    sm_sim_state_free(c->s0);
    sm_encoder_destroy(c->enc);
    sm_sim_destroy(c->sim);
    memset(c, 0, sizeof *c);
}

static sm_status net_init(net_run *c, const sm_config *cfg, sm_train_run_ctx *r, sm_error *err)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->run = r;
    c->n_all = cfg->net.n_exc + cfg->net.n_inh;
    c->sim = sm_sim_create(cfg, err);
    if (!c->sim) return err->code;
    c->enc = sm_encoder_create(cfg, cfg->net.n_input, err);
    if (!c->enc) return err->code;
    sm_sim_set_input(c->sim, input_fn, c);
    c->s0 = sm_sim_state_save(c->sim, err);
    return c->s0 ? SM_OK : err->code;
}

/* Trains on images idx[0..n) of set (wake steps with the configured sleep). */
static sm_status train_images(net_run *c, const sm_pl_set *set, const int *idx, int n,
                              sm_error *err)
{
    for (int a = 0; a < n; a++) {
        sm_status st = sm_encoder_set_image(c->enc, set->x + (size_t)idx[a] * set->d, err);
        if (st == SM_OK) st = sm_sim_wake(c->sim, c->cfg->input.steps_per_image, err);
        if (st == SM_OK && ((a + 1) % c->cfg->data.batch == 0 || a + 1 == n))
            st = sm_sim_check_finite(c->sim, err);
        if (st != SM_OK) return st;
        c->run->prog.done++;
        if (sm_train_report(c->run))
            return sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    return SM_OK;
}

/* Frozen counts (n x n_all, E then I) of images idx[0..n) (NULL: 0..n-1) of set. */
static sm_status represent(net_run *c, const sm_pl_set *set, int part, const int *idx, int n,
                           float *rows, sm_error *err)
{
    for (int a = 0; a < n; a++) {
        const int i = idx ? idx[a] : a;
        sm_sim_state_restore(c->sim, c->s0);
        c->eval_clock = CLOCK_BASE + ((uint64_t)part << 56) + ((uint64_t)i << 24);
        sm_status st = sm_encoder_set_image(c->enc, set->x + (size_t)i * set->d, err);
        if (st != SM_OK) return st;
        sm_monitor_reset_counts(c->sim->mon);
        st = sm_sim_test(c->sim, c->cfg->input.steps_per_image, err);
        if (st != SM_OK) return st;
        for (int j = 0; j < c->n_all; j++)
            rows[(size_t)a * c->n_all + j] = (float)c->sim->mon->counts[j];
    }
    return SM_OK;
}

static void readout_params(const sm_config *cfg, sm_readout_params *p)
{
    sm_readout_params_default(p, (sm_readout_method)cfg->readout.method);
    p->variance = cfg->readout.variance;
    p->C = cfg->readout.c;
    p->standardize = cfg->readout.standardize;
    p->logreg_whiten = cfg->readout.whiten;
    p->qda_reg = cfg->readout.qda_reg;
    if (cfg->readout.fit_fraction > 0) p->fit_fraction = cfg->readout.fit_fraction;
    p->seed = (uint64_t)cfg->run.seed;
}

/* Columns 0..d of rows (n x n_all) as an n x d matrix. */
static float *features(const float *rows, int n, int n_all, int d)
{
    float *f = malloc((size_t)(n > 0 ? n : 1) * d * sizeof *f);
    for (int a = 0; f && a < n; a++)
        memcpy(f + (size_t)a * d, rows + (size_t)a * n_all, (size_t)d * sizeof *f);
    return f;
}

typedef struct eval_out {
    double acc, train_acc;
    sm_diag_layer pop[2]; /* E, I */
    int have_diag;
} eval_out;

/* Readout accuracy on the chunk's test set (fit on `fit` images of `train`), and the
 * probe diagnostics when diag_due; on a snapshot, so training continues untouched. */
static sm_status evaluate(net_run *c, const sm_pl_set *train, const int *fit, int n_fit,
                          const sm_pl_set *test, const sm_pl_set *probe, int diag_due, eval_out *o,
                          sm_error *err)
{
    const sm_config *cfg = c->cfg;
    const int nA = c->n_all, nE = cfg->net.n_exc;
    const int d = cfg->readout.features == SM_FEAT_ALL ? nA : nE;
    sm_sim_state *snap = sm_sim_state_save(c->sim, err);
    if (!snap) return err->code;
    float *fr = malloc((size_t)n_fit * nA * sizeof *fr);
    float *tr = malloc((size_t)test->n * nA * sizeof *tr);
    float *pr = malloc((size_t)(probe->n > 0 ? probe->n : 1) * nA * sizeof *pr);
    int *fy = malloc((size_t)n_fit * sizeof *fy);
    sm_status st =
        fr && tr && pr && fy ? SM_OK : sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    c->evaluating = 1;
    if (st == SM_OK) st = represent(c, train, PART_TRAIN, fit, n_fit, fr, err);
    if (st == SM_OK) st = represent(c, test, PART_TEST, NULL, test->n, tr, err);
    if (st == SM_OK && diag_due) st = represent(c, probe, PART_PROBE, NULL, probe->n, pr, err);
    c->evaluating = 0;
    sm_sim_state_restore(c->sim, snap);
    sm_sim_state_free(snap);
    for (int a = 0; st == SM_OK && a < n_fit; a++)
        fy[a] = train->y[fit[a]];
    float *ff = st == SM_OK ? features(fr, n_fit, nA, d) : NULL;
    float *tf = st == SM_OK ? features(tr, test->n, nA, d) : NULL;
    if (st == SM_OK && (!ff || !tf)) st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    sm_readout_params p;
    readout_params(cfg, &p);
    sm_readout_result res;
    if (st == SM_OK)
        st = sm_readout_score(&p, ff, fy, n_fit, tf, test->y, test->n, d, NULL, &res, err);
    if (st == SM_OK) o->acc = res.accuracy;
    if (st == SM_OK) st = sm_readout_score(&p, ff, fy, n_fit, ff, fy, n_fit, d, NULL, &res, err);
    if (st == SM_OK) o->train_acc = res.accuracy;
    o->have_diag = 0;
    if (st == SM_OK && diag_due) {
        st = sm_diag_stdp_pops(pr, probe->n, nA, nE, cfg->input.steps_per_image,
                               cfg->diag.saturation, cfg->diag.srank_delta, o->pop, err);
        o->have_diag = st == SM_OK;
    }
    free(fr);
    free(tr);
    free(pr);
    free(fy);
    free(ff);
    free(tf);
    return st;
}

/* Chunk k's slice of N images of its training set (listed in the seed's cut order),
 * wrapping around. */
static void slice(int k, int N, int n_train, int *idx)
{
    for (int a = 0; a < N; a++)
        idx[a] = (int)(((int64_t)(k - 1) * N + a) % n_train);
}

/* Lists `set` in `order` (a permutation of its images): a dataset shift's chunk then is
 * walked, and its images keyed, exactly as a permuted chunk of the same images would be. */
static sm_status reorder(sm_pl_set *set, const int *order, sm_error *err)
{
    float *x = malloc((size_t)set->n * set->d * sizeof *x);
    int *y = malloc((size_t)set->n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    }
    for (int a = 0; a < set->n; a++) {
        memcpy(x + (size_t)a * set->d, set->x + (size_t)order[a] * set->d,
               (size_t)set->d * sizeof *x);
        y[a] = set->y[order[a]];
    }
    free(set->x);
    free(set->y);
    set->x = x;
    set->y = y;
    return SM_OK;
}

/* The fresh reference: a new network (seed from (seed, chunk)) trained on chunk k only. */
static sm_status fresh_accuracy(const sm_config *cfg, sm_train_run_ctx *r, int k,
                                const sm_pl_set *train, const int *idx, int N, int n_fit,
                                const sm_pl_set *test, const sm_pl_set *probe, double *acc,
                                sm_error *err)
{
    sm_config fc = *cfg;
    sm_rng_words w =
        sm_rng_block((uint64_t)cfg->run.seed, SM_STREAM_PLASTICITY, 0, sm_pl_key(SM_PL_FRESH, k));
    fc.run.seed = (int64_t)(w.w[0] & 0x7fffffff);
    net_run c;
    eval_out o;
    sm_status st = net_init(&c, &fc, r, err);
    if (st == SM_OK) st = train_images(&c, train, idx, N, err);
    if (st == SM_OK) st = evaluate(&c, train, idx, n_fit, test, probe, 0, &o, err);
    if (st == SM_OK) *acc = o.acc;
    net_free(&c);
    return st;
}

sm_status sm_pl_run_stdp(const sm_config *cfg_in, const sm_pl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *tab, json_t *fin, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    (void)data; /* the stream holds it */
    if (s->kind != SM_PROTOCOL_INPUT || (!s->permute && !s->n_ds))
        return sm_error_set(err, SM_EINVAL,
                            "protocol.input_shift: the STDP network runs the input protocol with "
                            "the permute or dataset:NAME,... shift (labels never reach STDP, and "
                            "grow is the SG-SNN's replay protocol; spec plasticity-loss.md 3.5)");
    if (s->D != cfg_in->net.n_input)
        return sm_error_set(err, SM_EINVAL,
                            "train: images have %d pixels but net.n_input is %d; set "
                            "input.width/input.height or net.n_input to match",
                            s->D, cfg_in->net.n_input);
    sm_config cfg = *cfg_in;
    if (cfg.sleep.schedule == SM_SCHED_BATCH)
        cfg.sleep.period = (int64_t)cfg.data.batch * cfg.input.steps_per_image;
    const int K = cfg.protocol.chunks, N = cfg.protocol.images_per_chunk;
    const int n_fit = cfg.train.eval_fit < N ? cfg.train.eval_fit : N;
    net_run c;
    sm_status st = net_init(&c, &cfg, r, err);
    int *idx = malloc((size_t)N * sizeof *idx);
    double *acc = calloc((size_t)K + 1, sizeof *acc), *pr = calloc((size_t)K + 1, sizeof *pr);
    double sum0[SM_N_PATHS];
    if (st == SM_OK && (!idx || !acc || !pr))
        st = sm_error_set(err, SM_ENOMEM, "plasticity: out of memory");
    if (st == SM_OK) sm_diag_stdp_pathway_sums(c.sim, sum0);
    r->prog = (sm_train_progress){"train", 0, (int64_t)K * N * 2, 0, K, NAN};
    const double t0 = sm_train_now();
    int64_t episodes0 = 0;
    for (int k = 0; k <= K && st == SM_OK; k++) {
        const int kk = k < 1 ? 1 : k;
        sm_pl_set train = {0}, test = {0}, probe = {0};
        st = sm_pl_chunk_train(s, kk, &train, err);
        if (st == SM_OK) st = sm_pl_chunk_test(s, kk, &test, err);
        if (st == SM_OK) st = sm_pl_chunk_probe(s, kk, &probe, err);
        /* the slice in the cut's order (permuted chunks are listed that way already) */
        const int *order = sm_pl_chunk_order(s, kk);
        if (st == SM_OK && order) st = reorder(&train, order, err);
        if (st == SM_OK) slice(kk, N, train.n, idx);
        if (st == SM_OK && k >= 1) st = train_images(&c, &train, idx, N, err);
        const int due = cfg.diag.every > 0 && (k % cfg.diag.every == 0 || k == K);
        eval_out o = {0};
        if (st == SM_OK) st = evaluate(&c, &train, idx, n_fit, &test, &probe, due, &o, err);
        double acc_fresh = NAN;
        const int fresh = k >= 1 && (cfg.protocol.fresh == SM_FRESH_EVERY ||
                                     (cfg.protocol.fresh == SM_FRESH_ENDS && (k == 1 || k == K)));
        if (st == SM_OK && fresh)
            st = fresh_accuracy(&cfg, r, k, &train, idx, N, n_fit, &test, &probe, &acc_fresh, err);
        sm_pl_set_free(&train);
        sm_pl_set_free(&test);
        sm_pl_set_free(&probe);
        if (st != SM_OK) break;
        acc[k] = o.acc;
        pr[k] = o.acc / acc_fresh;
        sm_train_col_add(tab, "chunk", json_integer(k));
        sm_train_col_add(tab, "transform", json_integer(kk));
        sm_train_col_add(tab, "acc", sm_train_real(o.acc));
        sm_train_col_add(tab, "train_acc", sm_train_real(o.train_acc));
        sm_train_col_add(tab, "loss", json_null());
        sm_train_col_add(tab, "acc_fresh", sm_train_real(acc_fresh));
        sm_train_col_add(tab, "pr", sm_train_real(pr[k]));
        sm_train_col_add(tab, "wall_s", json_real(sm_train_now() - t0));
        sm_train_col_add(tab, "sleep_episodes", json_integer(c.sim->count.episodes - episodes0));
        episodes0 = c.sim->count.episodes;
        sm_diag_stdp_pop_cols(tab, o.have_diag ? o.pop : NULL, cfg.net.n_inh > 0);
        sm_diag_stdp_bound_cols(tab, c.sim, sum0);
        r->prog.batch = k;
        r->prog.last_accuracy = o.acc;
    }
    if (st == SM_OK) sm_pl_final_json(fin, acc, pr, K);
    free(idx);
    free(acc);
    free(pr);
    net_free(&c);
    return st;
}

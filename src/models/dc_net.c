/* The Diehl & Cook network's construction, parameters, normalization and input
 * (spec diehl-cook.md sections 1-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/core/rng.h"
#include "somnus/core/threads.h"
#include "somnus/io/encode.h"
#include "models/dc_internal.h"

void sm_dc_params_default(sm_dc_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_in = 784;
    p->n_exc = 100;
    p->fidelity = SM_DC_CODE;
    p->rule = SM_DC_TRIPLET;
    p->input_delay = 10;
    p->normalize = 1;
    p->dt = 0.5;
    p->e = (sm_dc_neuron){-65, -65, -52, 100, 5, 0, -100, 1, 2};
    p->i = (sm_dc_neuron){-60, -45, -40, 10, 2, 0, -85, 1, 2};
    p->v_init_offset = -40;
    p->theta0 = 20;
    p->theta_plus = 0.05;
    p->tau_theta = 1e7;
    p->theta_offset = 20;
    p->w_ei = 10.4;
    p->w_ie = 17.0;
    p->w_init_scale = 0.3;
    p->w_max = 1.0;
    p->norm_sum = 78.0;
    p->nu_pre = 1e-4;
    p->nu_post = 1e-2;
    p->tau_pre = 20;
    p->tau_post1 = 20;
    p->tau_post2 = 40;
    p->r_max = 63.75;
    p->t_present = 350;
    p->t_rest = 150;
    p->min_spikes = 5;
    p->max_retries = 20;
    p->reset_state = 0;
    p->par_min = 1600;
    p->seed = 1;
}

void sm_dc_params_bindsnet(sm_dc_params *p)
{
    p->fidelity = SM_DC_BINDSNET;
    p->rule = SM_DC_POSTPRE;
    p->dt = 1.0;
    p->e = (sm_dc_neuron){-65, -60, -52, 100, 5, 0, 0, 1, 1};
    p->i = (sm_dc_neuron){-60, -45, -40, 10, 2, 0, 0, 1, 1};
    p->v_init_offset = 0;
    p->theta0 = 0;
    p->theta_offset = 0;
    p->w_ei = 22.5;
    p->w_ie = 17.5;
    p->norm_sum = 0.1 * p->n_in;
    p->tau_pre = p->tau_post1 = p->tau_post2 = 20;
    p->r_max = 64; /* x * 128 Hz at intensity 2 (eth_mnist.py's intensity 128) */
    p->t_present = 250;
    p->t_rest = 0;
    p->min_spikes = 0;
    p->reset_state = 1;
    p->input_delay = 0;
}

static void *zalloc(size_t n)
{
    size_t bytes = (n + 63) / 64 * 64;
    void *q = aligned_alloc(64, bytes ? bytes : 64);
    if (q) memset(q, 0, bytes ? bytes : 64);
    return q;
}

void sm_dc_destroy(sm_dc *net)
{
    if (!net) return;
    void *arrs[] = {net->w,          net->ve,     net->gee,       net->gie,       net->theta,
                    net->xpost1,     net->xpost2, net->vi,        net->gei,       net->gii,
                    net->refe,       net->refi,   net->pre_last,  net->pre_tab,   net->pre_list,
                    net->pre_listed, net->counts, net->active,    net->in_active, net->in_spk,
                    net->e_spk,      net->i_spk,  net->i_mark,    net->colsum,    net->pbuf,
                    net->e_mark,     net->noise,  net->map_stamp, net->i_counts};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(arrs[k]);
    sm_dc_delays_free(net);
    sm_dc_split_free(net);
    sm_encoder_destroy(net->enc);
    free(net);
}

/* Neuron state as at construction (theta kept unless `theta_too`). */
static void reset_state(sm_dc *net, int theta_too)
{
    const sm_dc_params *p = &net->p;
    for (int j = 0; j < net->n_pad; j++) {
        const int live = j < p->n_exc;
        net->ve[j] = live ? (float)(p->e.v_rest + p->v_init_offset) : -1e9f;
        net->vi[j] = live ? (float)(p->i.v_rest + p->v_init_offset) : -1e9f;
        net->gee[j] = net->gie[j] = net->gei[j] = net->gii[j] = 0;
        net->xpost1[j] = net->xpost2[j] = 0;
        net->refe[j] = net->refi[j] = 0;
        if (theta_too) net->theta[j] = live ? (float)p->theta0 : 0;
    }
    for (int i = 0; i < p->n_in; i++) {
        net->pre_last[i] = INT64_MIN / 2; /* never: x_pre = 0 */
        net->pre_listed[i] = 0;
    }
    net->n_pre_list = 0;
    if (net->gbuf) memset(net->gbuf, 0, (size_t)net->n_delay * (size_t)net->n_pad * sizeof(float));
    sm_dc_delays_clear_history(net);
    for (int k = 0; k < net->n_active; k++)
        net->in_active[net->active[k]] = 0;
    net->n_active = 0;
}

void sm_dc_reset_state(sm_dc *net)
{
    reset_state(net, 0);
}

void sm_dc_copy_learned(sm_dc *dst, const sm_dc *src)
{
    memcpy(dst->w, src->w, (size_t)src->p.n_in * (size_t)src->n_pad * sizeof *dst->w);
    memcpy(dst->theta, src->theta, (size_t)src->n_pad * sizeof *dst->theta);
    dst->theta_scale = src->theta_scale;
    sm_dc_set_learning(dst, 0);
    reset_state(dst, 0);
    memset(dst->counts, 0, (size_t)dst->n_pad * sizeof *dst->counts);
    memset(dst->i_counts, 0, (size_t)dst->n_pad * sizeof *dst->i_counts);
    dst->step = 0; /* the input draws are keyed by step: the same for every copy */
}

sm_dc *sm_dc_create(const sm_dc_params *p, sm_error *err)
{
    if (p->n_in < 1 || p->n_exc < 1 || p->n_exc > (1 << 20) || !(p->dt > 0) ||
        !(p->t_present >= p->dt) || p->t_rest < 0 || !(p->w_max > 0) || !(p->norm_sum > 0) ||
        !(p->input_delay >= 0 && p->input_delay / p->dt <= 255)) {
        sm_error_set(err, SM_EINVAL,
                     "dc: bad parameters (n_in %d, n_exc %d, dt %g, t_present %g, t_rest %g, "
                     "w_max %g, norm_sum %g, input_delay %g: at most 255 steps)",
                     p->n_in, p->n_exc, p->dt, p->t_present, p->t_rest, p->w_max, p->norm_sum,
                     p->input_delay);
        return NULL;
    }
    sm_dc *net = calloc(1, sizeof *net);
    if (!net) {
        sm_error_set(err, SM_ENOMEM, "dc: out of memory");
        return NULL;
    }
    net->p = *p;
    const int np = (p->n_exc + 15) / 16 * 16;
    net->n_pad = np;
    const size_t fb = sizeof(float), ib = sizeof(int32_t);
    net->w = zalloc((size_t)p->n_in * (size_t)np * fb);
    float **fs[] = {&net->ve,     &net->gee, &net->gie, &net->xpost1, &net->theta,
                    &net->xpost2, &net->vi,  &net->gei, &net->gii};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++)
        *fs[k] = zalloc((size_t)np * fb);
    int32_t **is[] = {&net->refe,  &net->refi,  &net->counts,  &net->active,
                      &net->e_spk, &net->i_spk, &net->i_counts};
    for (size_t k = 0; k < sizeof is / sizeof is[0]; k++)
        *is[k] = zalloc((size_t)np * ib);
    net->pre_last = zalloc((size_t)p->n_in * sizeof(int64_t));
    net->pre_list = zalloc((size_t)p->n_in * ib);
    net->pre_listed = zalloc((size_t)p->n_in);
    /* x_pre = exp(-age dt / tau_pre) until it falls below 1e-12 */
    net->pre_tab_n = (int)ceil(p->tau_pre / p->dt * 27.7) + 1;
    net->pre_tab = zalloc((size_t)net->pre_tab_n * fb);
    for (int a = 0; net->pre_tab && a < net->pre_tab_n; a++)
        net->pre_tab[a] = (float)exp(-a * p->dt / p->tau_pre);
    net->in_spk = zalloc((size_t)p->n_in * ib);
    net->in_active = zalloc((size_t)np);
    net->i_mark = zalloc((size_t)np);
    net->colsum = zalloc((size_t)np * sizeof(double));
    net->theta_scale = 1.0;
    net->e_mark = zalloc((size_t)np);
    net->pbuf = zalloc((size_t)p->n_in * sizeof(double));
    sm_config c;
    sm_config_default(&c);
    c.input.encoder = SM_ENC_RATE;
    c.run.dt = p->dt;
    c.run.seed = (int64_t)p->seed;
    net->enc = sm_encoder_create(&c, p->n_in, err);
    int ok = net->enc && net->w && net->pre_last && net->pre_tab && net->pre_list &&
             net->pre_listed && net->in_spk && net->in_active && net->i_mark && net->colsum;
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++)
        ok = ok && *fs[k];
    for (size_t k = 0; k < sizeof is / sizeof is[0]; k++)
        ok = ok && *is[k];
    ok = ok && sm_dc_delays_init(net) && sm_dc_split_init(net);
    if (!ok) {
        if (net->enc) sm_error_set(err, SM_ENOMEM, "dc: out of memory");
        sm_dc_destroy(net);
        return NULL;
    }
    /* Initial weights: scale (u + 0.01) (code; BindsNET: scale u), one keyed block per
     * four synapses in (input, neuron) order, so the draw does not depend on padding. */
    const double add = p->fidelity == SM_DC_CODE ? 0.01 : 0.0;
    for (int i = 0; i < p->n_in; i++)
        for (int j = 0; j < p->n_exc; j += 4) {
            sm_rng_words b = sm_rng_block(p->seed, SM_STREAM_CONNECT, (uint64_t)i, (uint32_t)j / 4);
            for (int t = 0; t < 4 && j + t < p->n_exc; t++)
                net->w[(size_t)i * np + j + t] = (float)(p->w_init_scale * (sm_u01(b.w[t]) + add));
        }
    net->theta_scale = 1.0;
    reset_state(net, 1);
    net->learning = 1;
    net->silent = 1;
    return net;
}

/* Normalization of columns [j0, j1): each column sums over inputs in ascending order. */
static void normalize_cols(sm_dc *net, int j0, int j1)
{
    const int np = net->n_pad, n_in = net->p.n_in;
    double *s = net->colsum;
    for (int j = j0; j < j1; j++)
        s[j] = 0;
    for (int i = 0; i < n_in; i++) {
        const float *row = net->w + (size_t)i * np;
        for (int j = j0; j < j1; j++)
            s[j] += row[j];
    }
    for (int j = j0; j < j1; j++)
        s[j] = s[j] > 0 ? net->p.norm_sum / s[j] : 1.0;
    for (int i = 0; i < n_in; i++) {
        float *row = net->w + (size_t)i * np;
        for (int j = j0; j < j1; j++)
            row[j] = (float)(row[j] * s[j]);
    }
}

/* Columns are independent: threads split them in blocks of 256, each sum keeps its
 * order, so the result does not depend on the thread count. */
void sm_dc_normalize(sm_dc *net)
{
    const int np = net->n_pad, nb = (np + 255) / 256;
    const int par = net->p.n_exc >= net->p.par_min;
    if (!par) {
        normalize_cols(net, 0, np);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
    for (int b = 0; b < nb; b++)
        normalize_cols(net, 256 * b, 256 * b + 256 < np ? 256 * b + 256 : np);
}

void sm_dc_set_learning(sm_dc *net, int on)
{
    if ((on != 0) != net->learning) sm_dc_delays_clear_history(net);
    net->learning = on != 0;
}

void sm_dc_set_input(sm_dc *net, const float *x, double intensity)
{
    /* spike probability per step = x r_max (intensity / 2) dt / 1000 */
    const double scale = net->p.r_max * intensity / 2.0 * net->p.dt / 1000.0;
    int any = 0;
    for (int i = 0; i < net->p.n_in; i++) {
        const double v = x && x[i] > 0 ? x[i] * scale : 0.0;
        net->pbuf[i] = v > 1 ? 1 : v;
        any |= v > 0;
    }
    sm_encoder_set_probabilities(net->enc, net->pbuf, NULL);
    net->silent = !any;
}

float sm_dc_xpre(const sm_dc *net, int i)
{
    const int64_t age = (int64_t)net->step - net->pre_last[i];
    return age >= 0 && age < net->pre_tab_n ? net->pre_tab[age] : 0.0f;
}

double sm_dc_theta(const sm_dc *net, int j)
{
    return net->theta[j] * net->theta_scale;
}

double sm_dc_theta_mean(const sm_dc *net)
{
    double s = 0;
    for (int j = 0; j < net->p.n_exc; j++)
        s += sm_dc_theta(net, j);
    return s / net->p.n_exc;
}

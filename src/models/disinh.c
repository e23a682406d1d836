/* The dis-inhibitory rate E/I network: transfer functions, steady-state solvers
 * (fixed point and reference Euler), feedback weights Q, the local rules and the BP
 * baseline on the same code path (spec/disinhibition.md sections 1-4). */
#include "somnus/models/disinh.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

/* ------------------------------------------------------------------ transfer */

static double softplus(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double sm_disinh_phi(const sm_disinh_act *a, double u)
{
    return a->s * softplus(a->k * (u - a->h));
}

double sm_disinh_dphi(const sm_disinh_act *a, double u)
{
    return a->s * a->k / (1.0 + exp(-a->k * (u - a->h)));
}

double sm_disinh_phi_inv(const sm_disinh_act *a, double r)
{
    const double z = r / a->s;
    if (z > 50) return a->h + z / a->k;
    if (!(z > 0)) return a->h - 745.0 / a->k; /* log of the smallest double */
    return a->h + log(expm1(z)) / a->k;
}

void sm_disinh_lin_inv(const sm_disinh_act *a, double r0, double *theta, double *delta)
{
    const double u0 = sm_disinh_phi_inv(a, r0);
    *delta = 1.0 / sm_disinh_dphi(a, u0);
    *theta = u0 - r0 * *delta;
}

/* ------------------------------------------------------------------ network */

#define MAXL SM_DISINH_MAX_LAYERS
#define CL_TOL 1e-7    /* closed loop: stop when the control changes less than this */
#define CL_MAX_IT 2000 /* closed loop: most iterations */
#define NEWTON_MAX 60  /* scalar solve: most iterations (bisection steps included) */

struct sm_disinh {
    sm_disinh_params p;
    int L;              /* hidden layers */
    int size[MAXL + 2]; /* size[0] = n_in, size[1..L] hidden, size[L+1] = n_out */
    /* parameters, one block (W[0], b[0], ..., W[L-1], b[L-1], W[L]) */
    double *params, *grads, *adam_m, *adam_v;
    size_t n_params;
    int64_t adam_t;
    double *W[MAXL + 1], *b[MAXL];
    /* per-sample state, [batch x size] */
    double *a[MAXL], *ue[MAXL], *ui[MAXL], *re[MAXL], *ri[MAXL], *f[MAXL], *err[MAXL];
    double *q[MAXL]; /* [batch x n_out x n_l] */
    double *y, *c, *cint, *eout, *ystar;
    /* linear threshold: running mean of open-loop r_I and the expansion per unit */
    double *r0[MAXL], *theta[MAXL], *delta[MAXL];
    double *tmp;      /* n_out x max layer */
    double *rc[MAXL]; /* closed-loop Newton: dr_l/dc, [n_l x n_out] */
    int n_state;      /* samples the state holds */
};

sm_status sm_disinh_params_from_config(const sm_config *cfg, int n_in, int n_out,
                                       sm_disinh_params *p, sm_error *err)
{
    memset(p, 0, sizeof *p);
    p->n_layers = sm_config_parse_sizes(cfg->disinh.n_hidden, p->n_hidden, MAXL);
    if (!p->n_layers)
        return sm_error_set(err, SM_EINVAL, "disinh.n_hidden: '%s' is not a list of layer sizes",
                            cfg->disinh.n_hidden);
    p->n_in = n_in;
    p->n_out = n_out;
    p->tau_e = cfg->disinh.tau_e;
    p->tau_i = cfg->disinh.tau_i;
    p->act_e = (sm_disinh_act){cfg->disinh.act_e_scale, cfg->disinh.act_e_sharpness,
                               cfg->disinh.act_e_shift};
    p->act_i = (sm_disinh_act){cfg->disinh.act_i_scale, cfg->disinh.act_i_sharpness,
                               cfg->disinh.act_i_shift};
    p->rule = cfg->disinh.rule;
    p->lin_theta = cfg->disinh.lin_theta;
    p->lin_delta = cfg->disinh.lin_delta;
    p->avg_inh_mix = cfg->disinh.avg_inh_mix;
    p->avg_inh_init = cfg->disinh.avg_inh_init;
    p->q_mode = cfg->disinh.q;
    p->q_norm = cfg->disinh.q_norm;
    p->q_clip = cfg->disinh.q_clip;
    p->solver = cfg->disinh.solver;
    p->dt = cfg->disinh.dt;
    p->t_max = cfg->disinh.t_max;
    p->tol = cfg->disinh.tol;
    p->loss = cfg->disinh.loss;
    p->soft_target = cfg->disinh.soft_target;
    p->lr = cfg->disinh.lr;
    p->optimizer = cfg->disinh.optimizer;
    p->batch = cfg->disinh.batch;
    p->k_p = cfg->ctrl.k_p;
    p->k_i = cfg->ctrl.k_i;
    p->leak = cfg->ctrl.leak;
    p->tau_c = cfg->ctrl.tau;
    p->to_readout = cfg->ctrl.to_readout;
    p->freeze_hidden = cfg->disinh.freeze_hidden;
    p->seed = (uint64_t)cfg->run.seed;
    return SM_OK;
}

void sm_disinh_destroy(sm_disinh *net)
{
    if (!net) return;
    free(net->params);
    free(net->grads);
    free(net->adam_m);
    free(net->adam_v);
    for (int l = 0; l < MAXL; l++) {
        free(net->a[l]);
        free(net->ue[l]);
        free(net->ui[l]);
        free(net->re[l]);
        free(net->ri[l]);
        free(net->f[l]);
        free(net->err[l]);
        free(net->q[l]);
        free(net->r0[l]);
        free(net->theta[l]);
        free(net->delta[l]);
        free(net->rc[l]);
    }
    free(net->y);
    free(net->c);
    free(net->cint);
    free(net->eout);
    free(net->ystar);
    free(net->tmp);
    free(net);
}

static double *zalloc(size_t n, int *ok)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) *ok = 0;
    return p;
}

sm_disinh *sm_disinh_create(const sm_disinh_params *p, sm_error *err)
{
    if (p->n_layers < 1 || p->n_layers > MAXL || p->n_in < 1 || p->n_out < 1 || p->batch < 1) {
        sm_error_set(err, SM_EINVAL,
                     "disinh: need 1..%d hidden layers, n_in, n_out and batch >= 1 (got %d, %d, "
                     "%d, %d)",
                     MAXL, p->n_layers, p->n_in, p->n_out, p->batch);
        return NULL;
    }
    if (p->rule == SM_DISINH_AS_PUBLISHED) {
        sm_error_set(err, SM_EINVAL,
                     "disinh.rule: as_published is the teacher notebook's variant and applies to "
                     "`somnus experiment disinh-teacher` only");
        return NULL;
    }
    if (p->q_mode == SM_DISINH_Q_LEARNED) {
        /* spec section 5b defines learned Q (tau_Q dQ/dt = -Q + J) for the online teacher
         * task only; section 4's minibatch protocol takes Q from each open-loop state */
        sm_error_set(err, SM_EINVAL,
                     "disinh.q: learned feedback weights are defined only for the online "
                     "teacher task (`somnus experiment disinh-teacher`, teacher.tau_q); the "
                     "minibatch network takes Q from the Jacobian (jacobian | jacobian_mean)");
        return NULL;
    }
    for (int l = 0; l < p->n_layers; l++)
        if (p->n_hidden[l] < 1) {
            sm_error_set(err, SM_EINVAL, "disinh.n_hidden: layer %d has size %d", l + 1,
                         p->n_hidden[l]);
            return NULL;
        }
    sm_disinh *net = calloc(1, sizeof *net);
    if (!net) {
        sm_error_set(err, SM_ENOMEM, "disinh: out of memory");
        return NULL;
    }
    net->p = *p;
    const int L = net->L = p->n_layers;
    net->size[0] = p->n_in;
    int maxl = p->n_out;
    for (int l = 0; l < L; l++) {
        net->size[l + 1] = p->n_hidden[l];
        if (p->n_hidden[l] > maxl) maxl = p->n_hidden[l];
    }
    net->size[L + 1] = p->n_out;
    size_t np = 0;
    for (int l = 0; l <= L; l++)
        np += (size_t)net->size[l + 1] * (size_t)net->size[l] +
              (l < L ? (size_t)net->size[l + 1] : 0);
    net->n_params = np;
    int ok = 1;
    net->params = zalloc(np, &ok);
    net->grads = zalloc(np, &ok);
    net->adam_m = zalloc(np, &ok);
    net->adam_v = zalloc(np, &ok);
    const size_t B = (size_t)p->batch;
    for (int l = 0; l < L; l++) {
        const size_t n = (size_t)net->size[l + 1];
        net->a[l] = zalloc(B * n, &ok);
        net->ue[l] = zalloc(B * n, &ok);
        net->ui[l] = zalloc(B * n, &ok);
        net->re[l] = zalloc(B * n, &ok);
        net->ri[l] = zalloc(B * n, &ok);
        net->f[l] = zalloc(B * n, &ok);
        net->err[l] = zalloc(B * n, &ok);
        net->q[l] = zalloc(B * n * (size_t)p->n_out, &ok);
        net->r0[l] = zalloc(n, &ok);
        net->theta[l] = zalloc(n, &ok);
        net->delta[l] = zalloc(n, &ok);
        net->rc[l] = zalloc(n * (size_t)p->n_out, &ok);
    }
    const size_t no = (size_t)p->n_out;
    net->y = zalloc(B * no, &ok);
    net->c = zalloc(B * no, &ok);
    net->cint = zalloc(B * no, &ok);
    net->eout = zalloc(B * no, &ok);
    net->ystar = zalloc(B * no, &ok);
    net->tmp = zalloc(no * (size_t)maxl * 2, &ok);
    if (!ok) {
        sm_disinh_destroy(net);
        sm_error_set(err, SM_ENOMEM, "disinh: out of memory for a %d-layer network", L);
        return NULL;
    }
    /* Weights N(0, 1/fan_in), biases 0: one RNG stream per layer. */
    double *w = net->params;
    for (int l = 0; l <= L; l++) {
        const int rows = net->size[l + 1], cols = net->size[l];
        net->W[l] = w;
        sm_rng rng;
        sm_rng_init(&rng, p->seed, 0x64690000u + (uint32_t)l, 0);
        const double sd = 1.0 / sqrt((double)cols);
        for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
            w[i] = sd * sm_rng_normal(&rng);
        w += (size_t)rows * (size_t)cols;
        if (l < L) {
            net->b[l] = w;
            w += rows;
        }
        if (l < L)
            for (int i = 0; i < rows; i++) {
                net->r0[l][i] = p->avg_inh_init;
                sm_disinh_lin_inv(&p->act_i, p->avg_inh_init, &net->theta[l][i], &net->delta[l][i]);
            }
    }
    if (p->rule == SM_DISINH_LIN_FIXED)
        for (int l = 0; l < L; l++)
            for (int i = 0; i < net->size[l + 1]; i++) {
                net->theta[l][i] = p->lin_theta;
                net->delta[l][i] = p->lin_delta;
            }
    return net;
}

const sm_disinh_params *sm_disinh_get_params(const sm_disinh *net)
{
    return &net->p;
}

double *sm_disinh_weights(sm_disinh *net, int l, int *rows, int *cols, double **bias)
{
    if (l < 0 || l > net->L) return NULL;
    if (rows) *rows = net->size[l + 1];
    if (cols) *cols = net->size[l];
    if (bias) *bias = l < net->L ? net->b[l] : NULL;
    return net->W[l];
}

void sm_disinh_layer_state(const sm_disinh *net, int l, sm_disinh_state *s)
{
    *s = (sm_disinh_state){net->ue[l], net->ui[l], net->re[l], net->f[l], net->err[l]};
}

const double *sm_disinh_output(const sm_disinh *net)
{
    return net->y;
}

const double *sm_disinh_control(const sm_disinh *net)
{
    return net->c;
}

const double *sm_disinh_q(const sm_disinh *net, int l)
{
    return net->q[l];
}

size_t sm_disinh_n_params(const sm_disinh *net)
{
    return net->n_params;
}

double sm_disinh_weight_norm(const sm_disinh *net, int l)
{
    const size_t n = (size_t)net->size[l + 1] * (size_t)net->size[l];
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(net->W[l][i]);
    return s;
}

/* ------------------------------------------------------------------ solvers */

/* phi and phi' from one exp: z = k (u - h); phi = s softplus(z), phi' = s k sigmoid(z). */
static inline void phi_both(const sm_disinh_act *a, double u, double *phi, double *dphi)
{
    const double z = a->k * (u - a->h);
    if (z > 0) {
        const double ez = exp(-z);
        *phi = a->s * (z + log1p(ez));
        *dphi = a->s * a->k / (1.0 + ez);
    } else {
        const double ez = exp(z);
        *phi = a->s * log1p(ez);
        *dphi = a->s * a->k * ez / (1.0 + ez);
    }
}

/* The E unit's steady state for drive a and top-down f: the root of
 * g(u) = u + phi_I(phi_E(u) - f) - a. g is increasing and convex (phi_E, phi_I convex and
 * increasing), and the root lies in [a - phi_I(phi_E(a) - f), a] (phi_I >= 0, increasing), so
 * Newton from any point right of the root (such as a, or any point after one step) converges
 * monotonically; a step leaving the bracket is replaced by bisection. u0 = NAN starts at a.
 * Returns the iterations. */
static int solve_unit(const sm_disinh_params *p, double a, double f, double *u)
{
    double lo = a - sm_disinh_phi(&p->act_i, sm_disinh_phi(&p->act_e, a) - f), hi = a;
    double x = *u;
    if (!(x <= hi)) x = hi;
    int it = 0;
    for (; it < NEWTON_MAX; it++) {
        double re, pe, ri, pi;
        phi_both(&p->act_e, x, &re, &pe);
        phi_both(&p->act_i, re - f, &ri, &pi);
        const double g = x + ri - a;
        if (g > 0)
            hi = x;
        else
            lo = x;
        if (g == 0) break;
        double xn = x - g / (1.0 + pi * pe);
        if (!(xn >= lo && xn <= hi)) xn = 0.5 * (lo + hi);
        const double step = fabs(xn - x);
        x = xn;
        if (step <= 1e-13 * (1.0 + fabs(x))) break;
    }
    *u = x;
    return it + 1;
}

/* Layer l of sample s at its steady state for its current a and f (u_E warm-started). */
static int solve_layer(sm_disinh *net, int l, int s, int no_inh)
{
    const int n = net->size[l + 1];
    const sm_disinh_params *p = &net->p;
    double *a = net->a[l] + (size_t)s * n, *ue = net->ue[l] + (size_t)s * n;
    double *ui = net->ui[l] + (size_t)s * n, *re = net->re[l] + (size_t)s * n;
    double *ri = net->ri[l] + (size_t)s * n;
    const double *f = net->f[l] + (size_t)s * n;
    int iters = 0;
    for (int i = 0; i < n; i++) {
        if (no_inh)
            ue[i] = a[i];
        else
            iters += solve_unit(p, a[i], f[i], &ue[i]);
        re[i] = sm_disinh_phi(&p->act_e, ue[i]);
        ui[i] = re[i] - f[i];
        ri[i] = sm_disinh_phi(&p->act_i, ui[i]);
    }
    return iters;
}

/* a_l of sample s from the rates below (l >= 1; layer 0's is computed batched). */
static void drive(sm_disinh *net, int l, int s)
{
    const int n = net->size[l + 1], m = net->size[l];
    double *a = net->a[l] + (size_t)s * n;
    memcpy(a, net->b[l], (size_t)n * sizeof *a);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, m, 1.0, net->W[l], m,
                net->re[l - 1] + (size_t)s * m, 1, 1.0, a, 1);
}

/* y of sample s: W_out r_L (+ c). */
static void readout(sm_disinh *net, int s, int with_c)
{
    const int no = net->p.n_out, nl = net->size[net->L];
    double *y = net->y + (size_t)s * no;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, no, nl, 1.0, net->W[net->L], nl,
                net->re[net->L - 1] + (size_t)s * nl, 1, 0.0, y, 1);
    if (with_c)
        for (int k = 0; k < no; k++)
            y[k] += net->c[(size_t)s * no + k];
}

/* e = y* - softmax(y) (cross entropy) or y* - y (mse), for one sample. */
static void output_error(const sm_disinh_params *p, const double *y, const double *ystar, double *e)
{
    const int no = p->n_out;
    if (p->loss == SM_DISINH_MSE) {
        for (int k = 0; k < no; k++)
            e[k] = ystar[k] - y[k];
        return;
    }
    double mx = y[0], z = 0;
    for (int k = 1; k < no; k++)
        if (y[k] > mx) mx = y[k];
    for (int k = 0; k < no; k++)
        z += exp(y[k] - mx);
    for (int k = 0; k < no; k++)
        e[k] = ystar[k] - exp(y[k] - mx) / z;
}

static double sample_loss(const sm_disinh_params *p, const double *y, const double *ystar)
{
    const int no = p->n_out;
    double l = 0;
    if (p->loss == SM_DISINH_MSE) {
        for (int k = 0; k < no; k++)
            l += (ystar[k] - y[k]) * (ystar[k] - y[k]);
        return l;
    }
    double mx = y[0], z = 0;
    for (int k = 1; k < no; k++)
        if (y[k] > mx) mx = y[k];
    for (int k = 0; k < no; k++)
        z += exp(y[k] - mx);
    for (int k = 0; k < no; k++)
        l -= ystar[k] * (y[k] - mx - log(z));
    return l;
}

/* f_l = Q_l^T c for sample s and every layer. */
static void topdown(sm_disinh *net, int s, const double *c)
{
    const int no = net->p.n_out;
    for (int l = 0; l < net->L; l++) {
        const int n = net->size[l + 1];
        const double *q = net->q[l] + (size_t)s * no * n;
        double *f = net->f[l] + (size_t)s * n;
        for (int i = 0; i < n; i++)
            f[i] = 0;
        for (int k = 0; k < no; k++)
            for (int i = 0; i < n; i++)
                f[i] += q[(size_t)k * n + i] * c[k];
    }
}

/* The reference integrator for sample s from its current state: explicit Euler until
 * max |du/dt| * tau < tol or t_max. Controller on when ystar != NULL (gains x gain).
 * Returns the steps taken. Layer 0's drive a[0] must be set. */
static int euler_sample(sm_disinh *net, int s, const double *ystar, double gain, int no_inh)
{
    const sm_disinh_params *p = &net->p;
    const int L = net->L, no = p->n_out;
    const double dt = p->dt;
    double *y = net->y + (size_t)s * no, *c = net->c + (size_t)s * no;
    double *ci = net->cint + (size_t)s * no;
    double e[64], dy[64], dci[64];
    const long max_steps = (long)ceil(p->t_max / dt);
    long step = 0;
    for (; step < max_steps; step++) {
        double res = 0;
        /* rates and control from the current state */
        for (int l = 0; l < L; l++) {
            const int n = net->size[l + 1];
            for (int i = 0; i < n; i++) {
                const size_t j = (size_t)s * n + i;
                net->re[l][j] = sm_disinh_phi(&p->act_e, net->ue[l][j]);
                net->ri[l][j] = no_inh ? 0 : sm_disinh_phi(&p->act_i, net->ui[l][j]);
            }
        }
        if (ystar) {
            output_error(p, y, ystar, e);
            for (int k = 0; k < no; k++)
                c[k] = gain * (p->k_p * e[k] + p->k_i * ci[k]);
            topdown(net, s, c);
        } else {
            for (int k = 0; k < no; k++)
                c[k] = 0;
        }
        for (int l = 0; l < L; l++) {
            const int n = net->size[l + 1];
            if (l > 0) drive(net, l, s);
            for (int i = 0; i < n; i++) {
                const size_t j = (size_t)s * n + i;
                const double du = -net->ue[l][j] + net->a[l][j] - net->ri[l][j];
                const double f = ystar ? net->f[l][j] : 0;
                const double dui = no_inh ? 0 : -net->ui[l][j] + net->re[l][j] - f;
                if (fabs(du) > res) res = fabs(du);
                if (fabs(dui) > res) res = fabs(dui);
                net->ue[l][j] += dt / p->tau_e * du;
                net->ui[l][j] += dt / p->tau_i * dui;
            }
        }
        /* readout: tau_E dy/dt = -y + W_out r_L + c */
        const int nl = net->size[L];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, no, nl, 1.0, net->W[L], nl,
                    net->re[L - 1] + (size_t)s * nl, 1, 0.0, dy, 1);
        for (int k = 0; k < no; k++) {
            dy[k] += -y[k] + (p->to_readout ? c[k] : 0);
            if (fabs(dy[k]) > res) res = fabs(dy[k]);
            dci[k] = ystar ? e[k] - p->leak * ci[k] : 0;
            if (fabs(dci[k]) > res) res = fabs(dci[k]);
        }
        if (res < p->tol) break;
        for (int k = 0; k < no; k++) {
            y[k] += dt / p->tau_e * dy[k];
            ci[k] += dt / p->tau_c * dci[k];
        }
    }
    /* leave the state consistent: rates of the final potentials */
    for (int l = 0; l < L; l++) {
        const int n = net->size[l + 1];
        for (int i = 0; i < n; i++) {
            const size_t j = (size_t)s * n + i;
            net->re[l][j] = sm_disinh_phi(&p->act_e, net->ue[l][j]);
            net->ri[l][j] = sm_disinh_phi(&p->act_i, net->ui[l][j]);
        }
    }
    return (int)step;
}

sm_status sm_disinh_open_loop(sm_disinh *net, const double *x, int n, int no_inh, double *iters,
                              sm_error *err)
{
    const sm_disinh_params *p = &net->p;
    if (n < 1 || n > p->batch)
        return sm_error_set(err, SM_EINVAL, "disinh: %d samples (the network holds 1..%d)", n,
                            p->batch);
    if (p->n_out > 64)
        return sm_error_set(err, SM_EINVAL, "disinh: at most 64 outputs (got %d)", p->n_out);
    net->n_state = n;
    const int L = net->L, no = p->n_out, n1 = net->size[1];
    /* a_0 = x W_0^T + b_0, batched */
    for (int s = 0; s < n; s++)
        memcpy(net->a[0] + (size_t)s * n1, net->b[0], (size_t)n1 * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n1, p->n_in, 1.0, x, p->n_in, net->W[0],
                p->n_in, 1.0, net->a[0], n1);
    for (int l = 0; l < L; l++) {
        memset(net->f[l], 0, (size_t)n * net->size[l + 1] * sizeof(double));
        memset(net->err[l], 0, (size_t)n * net->size[l + 1] * sizeof(double));
    }
    memset(net->c, 0, (size_t)n * no * sizeof(double));
    memset(net->cint, 0, (size_t)n * no * sizeof(double));
    double total = 0;
    if (p->solver == SM_DISINH_EULER) {
        for (int l = 0; l < L; l++) {
            const size_t m = (size_t)n * net->size[l + 1];
            memset(net->ue[l], 0, m * sizeof(double));
            memset(net->ui[l], 0, m * sizeof(double));
        }
        memset(net->y, 0, (size_t)n * no * sizeof(double));
        for (int s = 0; s < n; s++)
            total += euler_sample(net, s, NULL, 0, no_inh);
        if (no_inh) /* no I units: report u_I as the balance value r_E (f = 0) */
            for (int l = 0; l < L; l++)
                for (size_t j = 0; j < (size_t)n * net->size[l + 1]; j++)
                    net->ui[l][j] = net->re[l][j];
    } else {
        /* Feed-forward: layer by layer, the next layer's drive batched too. */
        for (int l = 0; l < L; l++) {
            const int nl = net->size[l + 1];
            if (l > 0) {
                for (int s = 0; s < n; s++)
                    memcpy(net->a[l] + (size_t)s * nl, net->b[l], (size_t)nl * sizeof(double));
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, nl, net->size[l], 1.0,
                            net->re[l - 1], net->size[l], net->W[l], net->size[l], 1.0, net->a[l],
                            nl);
            }
            for (int s = 0; s < n; s++) {
                double *ue = net->ue[l] + (size_t)s * nl;
                for (int i = 0; i < nl; i++)
                    ue[i] = NAN; /* from zero state: no warm start */
                total += solve_layer(net, l, s, no_inh);
            }
        }
        const int nl = net->size[L];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, no, nl, 1.0, net->re[L - 1], nl,
                    net->W[L], nl, 0.0, net->y, no);
    }
    if (iters) *iters = total / n;
    return SM_OK;
}

void sm_disinh_compute_q(sm_disinh *net, int n)
{
    const sm_disinh_params *p = &net->p;
    const int L = net->L, no = p->n_out;
    double *j_next = net->tmp; /* J_{l+1}: no x n_{l+1} */
    for (int s = 0; s < n; s++) {
        /* J_L = W_out D_L */
        for (int l = L - 1; l >= 0; l--) {
            const int nl = net->size[l + 1];
            double *q = net->q[l] + (size_t)s * no * nl;
            const double *ue = net->ue[l] + (size_t)s * nl, *ui = net->ui[l] + (size_t)s * nl;
            if (l == L - 1)
                memcpy(q, net->W[L], (size_t)no * nl * sizeof(double));
            else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, no, nl, net->size[l + 2],
                            1.0, j_next, net->size[l + 2], net->W[l + 1], nl, 0.0, q, nl);
            for (int k = 0; k < no; k++)
                for (int i = 0; i < nl; i++)
                    q[(size_t)k * nl + i] *= sm_disinh_dphi(&p->act_e, ue[i]);
            memcpy(j_next, q, (size_t)no * nl * sizeof(double)); /* J_l for the layer below */
            for (int k = 0; k < no; k++)
                for (int i = 0; i < nl; i++)
                    q[(size_t)k * nl + i] *= sm_disinh_dphi(&p->act_i, ui[i]);
        }
    }
    for (int l = 0; l < L; l++) {
        const size_t m = (size_t)no * net->size[l + 1];
        if (p->q_mode == SM_DISINH_Q_JACOBIAN_MEAN && n > 1) {
            double *q0 = net->q[l];
            for (int s = 1; s < n; s++)
                for (size_t j = 0; j < m; j++)
                    q0[j] += net->q[l][(size_t)s * m + j];
            for (size_t j = 0; j < m; j++)
                q0[j] /= n;
        }
        const int n_norm = p->q_mode == SM_DISINH_Q_JACOBIAN_MEAN ? 1 : n;
        for (int s = 0; s < n_norm; s++) {
            double *q = net->q[l] + (size_t)s * m;
            if (p->q_norm > 0) {
                double ss = 0;
                for (size_t j = 0; j < m; j++)
                    ss += q[j] * q[j];
                const double sc = ss > 0 ? p->q_norm / sqrt(ss) : 0;
                for (size_t j = 0; j < m; j++)
                    q[j] *= sc;
            }
            if (p->q_clip > 0)
                for (size_t j = 0; j < m; j++)
                    q[j] = q[j] > p->q_clip ? p->q_clip : q[j] < -p->q_clip ? -p->q_clip : q[j];
        }
        if (p->q_mode == SM_DISINH_Q_JACOBIAN_MEAN)
            for (int s = 1; s < n; s++)
                memcpy(net->q[l] + (size_t)s * m, net->q[l], m * sizeof(double));
    }
}

/* The hidden error terms of the rule at the current (closed-loop) state. */
static void rule_errors(sm_disinh *net, int n)
{
    const sm_disinh_params *p = &net->p;
    for (int l = 0; l < net->L; l++) {
        const int nl = net->size[l + 1];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < nl; i++) {
                const size_t j = (size_t)s * nl + i;
                const double re = net->re[l][j], ri = net->ri[l][j];
                const double inv = p->rule == SM_DISINH_EXACT
                                       ? sm_disinh_phi_inv(&p->act_i, ri)
                                       : net->theta[l][i] + net->delta[l][i] * ri;
                net->err[l][j] = (re - inv) * sm_disinh_dphi(&p->act_e, net->ue[l][j]);
            }
    }
}

/* Solves the n x n system A x = b (A row-major, overwritten; b becomes x) by Gaussian
 * elimination with partial pivoting; returns 0 if A is singular. */
static int small_solve(double *A, double *b, int n)
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        if (A[piv * n + k] == 0) return 0;
        if (piv != k) {
            for (int j = 0; j < n; j++) {
                const double t = A[k * n + j];
                A[k * n + j] = A[piv * n + j];
                A[piv * n + j] = t;
            }
            const double t = b[k];
            b[k] = b[piv];
            b[piv] = t;
        }
        for (int i = k + 1; i < n; i++) {
            const double m = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++)
                A[i * n + j] -= m * A[k * n + j];
            b[i] -= m * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++)
            b[k] -= A[k * n + j] * b[j];
        b[k] /= A[k * n + k];
    }
    return 1;
}

/* All layers and the readout of sample s at control c (u_E warm-started); e into e. */
static void forward_at(sm_disinh *net, int s, const double *c, const double *ystar, double *e)
{
    const sm_disinh_params *p = &net->p;
    topdown(net, s, c);
    for (int l = 0; l < net->L; l++) {
        if (l > 0) drive(net, l, s);
        solve_layer(net, l, s, 0);
    }
    readout(net, s, p->to_readout);
    output_error(p, net->y + (size_t)s * p->n_out, ystar, e);
}

/* The closed loop of sample s: the root of G(c) = c - K e(c) (the controller's
 * equilibrium, c_int = e / lambda), by Newton's method on c with the Jacobian of the
 * steady state, dG/dc = I + K S dy/dc (S: the loss's output Jacobian), falling back to
 * the damped iteration c <- c + (K e - c) / 2 if Newton has not converged after 30 steps.
 * Stops when max |K e - c| < CL_TOL. Returns the iterations. */
static int closed_loop_sample(sm_disinh *net, int s, const double *ystar, double K)
{
    const sm_disinh_params *p = &net->p;
    const int L = net->L, no = p->n_out;
    double *c = net->c + (size_t)s * no;
    double e[64], G[64], A[64 * 64], pr[64];
    for (int k = 0; k < no; k++)
        c[k] = 0;
    int it = 0;
    for (; it < CL_MAX_IT; it++) {
        forward_at(net, s, c, ystar, e);
        double d = 0;
        for (int k = 0; k < no; k++) {
            G[k] = c[k] - K * e[k];
            if (fabs(G[k]) > d) d = fabs(G[k]);
        }
        if (d < CL_TOL || K == 0) break;
        int newton = it < 30;
        if (newton) {
            /* dr_l/dc, layer by layer: dr/da (W_l dr_{l-1}/dc) + dr/df Q_l^T */
            for (int l = 0; l < L; l++) {
                const int nl = net->size[l + 1], m = net->size[l];
                double *R = net->rc[l];
                if (l > 0)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nl, no, m, 1.0,
                                net->W[l], m, net->rc[l - 1], no, 0.0, R, no);
                const double *q = net->q[l] + (size_t)s * no * nl;
                const double *ue = net->ue[l] + (size_t)s * nl, *ui = net->ui[l] + (size_t)s * nl;
                for (int i = 0; i < nl; i++) {
                    const double pe = sm_disinh_dphi(&p->act_e, ue[i]);
                    const double pi = sm_disinh_dphi(&p->act_i, ui[i]);
                    const double dra = pe / (1.0 + pi * pe), drf = pi * dra;
                    for (int k = 0; k < no; k++)
                        R[(size_t)i * no + k] =
                            (l > 0 ? dra * R[(size_t)i * no + k] : 0) + drf * q[(size_t)k * nl + i];
                }
            }
            /* M = dy/dc = W_out R_L (+ I) into A, then A = I + K S M */
            const int nl = net->size[L];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, no, no, nl, 1.0, net->W[L], nl,
                        net->rc[L - 1], no, 0.0, A, no);
            if (p->to_readout)
                for (int k = 0; k < no; k++)
                    A[k * no + k] += 1.0;
            if (p->loss == SM_DISINH_CE) {
                /* S = diag(pr) - pr pr^T with pr = softmax(y) = ystar - e */
                double col[64];
                for (int k = 0; k < no; k++)
                    pr[k] = ystar[k] - e[k];
                for (int j = 0; j < no; j++) {
                    double dot = 0;
                    for (int k = 0; k < no; k++)
                        dot += pr[k] * A[k * no + j];
                    for (int k = 0; k < no; k++)
                        col[k] = pr[k] * (A[k * no + j] - dot);
                    for (int k = 0; k < no; k++)
                        A[k * no + j] = col[k];
                }
            }
            for (int k = 0; k < no * no; k++)
                A[k] *= K;
            for (int k = 0; k < no; k++)
                A[k * no + k] += 1.0;
            newton = small_solve(A, G, no);
            if (newton)
                for (int k = 0; k < no; k++)
                    c[k] -= G[k];
        }
        if (!newton)
            for (int k = 0; k < no; k++)
                c[k] += 0.5 * (K * e[k] - c[k]);
    }
    for (int k = 0; k < no; k++)
        net->cint[(size_t)s * no + k] = e[k] / p->leak;
    return it + 1;
}

sm_status sm_disinh_closed_loop(sm_disinh *net, const double *x, const double *ystar, int n,
                                double gain, double *iters, sm_error *err)
{
    (void)x;
    const sm_disinh_params *p = &net->p;
    if (n < 1 || n > net->n_state)
        return sm_error_set(err, SM_EINVAL,
                            "disinh: closed loop on %d samples after an open loop "
                            "of %d",
                            n, net->n_state);
    const int no = p->n_out;
    const double K = gain * (p->k_p + p->k_i / p->leak);
    double total = 0;
    memcpy(net->ystar, ystar, (size_t)n * no * sizeof(double));
    for (int s = 0; s < n; s++) {
        const double *ys = ystar + (size_t)s * no;
        if (p->solver == SM_DISINH_EULER) {
            memset(net->cint + (size_t)s * no, 0, (size_t)no * sizeof(double));
            total += euler_sample(net, s, ys, gain, 0);
        } else {
            total += closed_loop_sample(net, s, ys, K);
        }
    }
    rule_errors(net, n);
    if (iters) *iters = total / n;
    return SM_OK;
}

void sm_disinh_weight_changes(sm_disinh *net, const double *x, int n, double *g)
{
    const int L = net->L, no = net->p.n_out;
    double *gp = g;
    /* readout error: the control signal (dis-inhibitory rules) or e (BP, set in eout) */
    const double *eout = net->p.rule == SM_DISINH_BP ? net->eout : net->c;
    for (int l = 0; l <= L; l++) {
        const int rows = net->size[l + 1], cols = net->size[l];
        const double *pre = l == 0 ? x : net->re[l - 1];
        const double *e = l < L ? net->err[l] : eout;
        (void)no;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cols, n, 1.0 / n, e, rows, pre,
                    cols, 0.0, gp, cols);
        gp += (size_t)rows * cols;
        if (l < L) {
            for (int i = 0; i < rows; i++) {
                double sum = 0;
                for (int s = 0; s < n; s++)
                    sum += e[(size_t)s * rows + i];
                gp[i] = sum / n;
            }
            gp += rows;
        }
    }
}

/* BP baseline: e at the output, back through the layers without I units. */
static void backprop(sm_disinh *net, int n)
{
    const sm_disinh_params *p = &net->p;
    const int L = net->L, no = p->n_out;
    for (int s = 0; s < n; s++)
        output_error(p, net->y + (size_t)s * no, net->ystar + (size_t)s * no,
                     net->eout + (size_t)s * no);
    const double *above = net->eout;
    for (int l = L - 1; l >= 0; l--) {
        const int nl = net->size[l + 1], na = net->size[l + 2];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, nl, na, 1.0, above, na,
                    net->W[l + 1], nl, 0.0, net->err[l], nl);
        for (size_t j = 0; j < (size_t)n * nl; j++)
            net->err[l][j] *= sm_disinh_dphi(&p->act_e, net->ue[l][j]);
        above = net->err[l];
    }
}

static void apply_update(sm_disinh *net)
{
    const sm_disinh_params *p = &net->p;
    const size_t np = net->n_params;
    /* the frozen-network control: the block before W_out (hidden W, b) is left alone */
    const size_t first = p->freeze_hidden ? (size_t)(net->W[net->L] - net->params) : 0;
    if (p->optimizer == SM_DISINH_SGD) {
        for (size_t i = first; i < np; i++)
            net->params[i] += p->lr * net->grads[i];
        return;
    }
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    net->adam_t++;
    const double c1 = 1.0 - pow(b1, (double)net->adam_t), c2 = 1.0 - pow(b2, (double)net->adam_t);
    for (size_t i = first; i < np; i++) {
        const double g = net->grads[i];
        net->adam_m[i] = b1 * net->adam_m[i] + (1 - b1) * g;
        net->adam_v[i] = b2 * net->adam_v[i] + (1 - b2) * g * g;
        net->params[i] += p->lr * (net->adam_m[i] / c1) / (sqrt(net->adam_v[i] / c2) + eps);
    }
}

static void targets(const sm_disinh_params *p, const int *labels, int n, double *ystar)
{
    const int no = p->n_out;
    const double off = no > 1 ? (1.0 - p->soft_target) / (no - 1) : 0;
    for (int s = 0; s < n; s++)
        for (int k = 0; k < no; k++)
            ystar[(size_t)s * no + k] = k == labels[s] ? p->soft_target : off;
}

static int argmax(const double *y, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (y[k] > y[best]) best = k;
    return best;
}

sm_status sm_disinh_train_batch(sm_disinh *net, const double *x, const int *labels, int n,
                                sm_disinh_step_stats *st, sm_error *err)
{
    const sm_disinh_params *p = &net->p;
    const int L = net->L, no = p->n_out;
    sm_disinh_step_stats z = {0};
    for (int s = 0; s < n; s++)
        if (labels[s] < 0 || labels[s] >= no)
            return sm_error_set(err, SM_EINVAL, "disinh: label %d outside 0..%d", labels[s],
                                no - 1);
    const int bp = p->rule == SM_DISINH_BP;
    sm_status s_ = sm_disinh_open_loop(net, x, n, bp, &z.ol_iters, err);
    if (s_ != SM_OK) return s_;
    double *ystar = malloc((size_t)n * no * sizeof *ystar);
    if (!ystar) return sm_error_set(err, SM_ENOMEM, "disinh: out of memory");
    targets(p, labels, n, ystar);
    for (int s = 0; s < n; s++) {
        z.ol_loss += sample_loss(p, net->y + (size_t)s * no, ystar + (size_t)s * no) / n;
        z.n_correct += argmax(net->y + (size_t)s * no, no) == labels[s];
    }
    if (bp) {
        memcpy(net->ystar, ystar, (size_t)n * no * sizeof(double));
        backprop(net, n);
        z.cl_loss = z.ol_loss;
    } else {
        sm_disinh_compute_q(net, n);
        if (p->rule == SM_DISINH_LIN_THRESH)
            for (int l = 0; l < L; l++) {
                const int nl = net->size[l + 1];
                for (int i = 0; i < nl; i++) {
                    double m = 0;
                    for (int s = 0; s < n; s++)
                        m += net->ri[l][(size_t)s * nl + i];
                    m /= n;
                    double r0 = (1 - p->avg_inh_mix) * net->r0[l][i] + p->avg_inh_mix * m;
                    if (r0 < 1e-9) r0 = 1e-9;
                    net->r0[l][i] = r0;
                    sm_disinh_lin_inv(&p->act_i, r0, &net->theta[l][i], &net->delta[l][i]);
                }
            }
        s_ = sm_disinh_closed_loop(net, x, ystar, n, 1.0, &z.cl_iters, err);
        if (s_ != SM_OK) {
            free(ystar);
            return s_;
        }
        for (int s = 0; s < n; s++)
            z.cl_loss += sample_loss(p, net->y + (size_t)s * no, ystar + (size_t)s * no) / n;
        double sf = 0;
        size_t cnt = 0;
        for (int l = 0; l < L; l++)
            for (size_t j = 0; j < (size_t)n * net->size[l + 1]; j++) {
                sf += fabs(net->f[l][j]);
                cnt++;
            }
        z.mean_abs_f = cnt ? sf / cnt : 0;
    }
    size_t pos = 0, nz = 0;
    for (int l = 0; l < L; l++)
        for (size_t j = 0; j < (size_t)n * net->size[l + 1]; j++) {
            pos += net->err[l][j] > 0;
            nz += net->err[l][j] != 0;
        }
    z.frac_ltp = nz ? (double)pos / nz : 0;
    sm_disinh_weight_changes(net, x, n, net->grads);
    apply_update(net);
    free(ystar);
    if (st) *st = z;
    return SM_OK;
}

sm_status sm_disinh_evaluate(sm_disinh *net, const double *x, const int *labels, int n, int *pred,
                             double *acc, double *loss, sm_error *err)
{
    const sm_disinh_params *p = &net->p;
    const int no = p->n_out, B = p->batch;
    double *ystar = malloc((size_t)B * no * sizeof *ystar);
    if (!ystar) return sm_error_set(err, SM_ENOMEM, "disinh: out of memory");
    double sl = 0;
    int correct = 0;
    sm_status st = SM_OK;
    for (int s0 = 0; s0 < n && st == SM_OK; s0 += B) {
        const int m = n - s0 < B ? n - s0 : B;
        st = sm_disinh_open_loop(net, x + (size_t)s0 * p->n_in, m, p->rule == SM_DISINH_BP, NULL,
                                 err);
        if (st != SM_OK) break;
        if (labels) targets(p, labels + s0, m, ystar);
        for (int s = 0; s < m; s++) {
            const int k = argmax(net->y + (size_t)s * no, no);
            if (pred) pred[s0 + s] = k;
            if (labels) {
                correct += k == labels[s0 + s];
                sl += sample_loss(p, net->y + (size_t)s * no, ystar + (size_t)s * no);
            }
        }
    }
    free(ystar);
    if (acc) *acc = labels && n > 0 ? (double)correct / n : NAN;
    if (loss) *loss = labels && n > 0 ? sl / n : NAN;
    return st;
}

/* ------------------------------------------------------------------ checkpoint state */

/* Walks the state's pieces in one fixed order: save (dir 0) or load (dir 1) through buf;
 * returns the bytes walked (buf may be NULL to count). */
static size_t state_walk(sm_disinh *net, unsigned char *buf, int dir)
{
    size_t off = 0;
#define PIECE(ptr, bytes)                                                                          \
    do {                                                                                           \
        if (buf) {                                                                                 \
            if (dir)                                                                               \
                memcpy((ptr), buf + off, (bytes));                                                 \
            else                                                                                   \
                memcpy(buf + off, (ptr), (bytes));                                                 \
        }                                                                                          \
        off += (bytes);                                                                            \
    } while (0)
    const size_t np = net->n_params * sizeof(double);
    PIECE(net->params, np);
    PIECE(net->adam_m, np);
    PIECE(net->adam_v, np);
    PIECE(&net->adam_t, sizeof net->adam_t);
    for (int l = 0; l < net->L; l++) {
        const size_t n = (size_t)net->size[l + 1] * sizeof(double);
        PIECE(net->r0[l], n);
        PIECE(net->theta[l], n);
        PIECE(net->delta[l], n);
    }
#undef PIECE
    return off;
}

size_t sm_disinh_state_size(const sm_disinh *net)
{
    return state_walk((sm_disinh *)net, NULL, 0);
}

void sm_disinh_state_save(const sm_disinh *net, void *buf)
{
    state_walk((sm_disinh *)net, buf, 0);
}

void sm_disinh_state_load(sm_disinh *net, const void *buf)
{
    state_walk(net, (unsigned char *)buf, 1);
}

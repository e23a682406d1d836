/* The online student-teacher task (spec section 5b): two-layer E-I networks in
 * continuous time, the PI controller, Q learned by low-pass filtering the Jacobian, and
 * the local rules acting continuously. */
#include "somnus/models/disinh_teacher.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

void sm_disinh_teacher_params_from_config(const sm_config *cfg, uint64_t seed,
                                          sm_disinh_teacher_params *p)
{
    p->n_in = cfg->teacher.n_in;
    p->n_hidden = cfg->teacher.n_hidden;
    p->n_out = cfg->teacher.n_out;
    p->burn_in = cfg->teacher.burn_in;
    p->epochs = cfg->teacher.epochs;
    p->epoch_s = cfg->teacher.epoch_s;
    p->dt = cfg->teacher.dt;
    p->tau_e = cfg->disinh.tau_e;
    p->tau_i = cfg->disinh.tau_i;
    p->tau_c = cfg->ctrl.tau;
    p->tau_w = cfg->teacher.tau_w;
    p->tau_q = cfg->teacher.tau_q;
    p->w_scale = cfg->teacher.w_scale;
    p->r0 = cfg->teacher.r0;
    p->q_norm = cfg->teacher.q_norm;
    p->k_p = cfg->ctrl.k_p;
    p->k_i = cfg->ctrl.k_i;
    p->leak = cfg->ctrl.leak;
    p->act_e = (sm_disinh_act){cfg->disinh.act_e_scale, cfg->disinh.act_e_sharpness,
                               cfg->disinh.act_e_shift};
    p->act_i = (sm_disinh_act){cfg->disinh.act_i_scale, cfg->disinh.act_i_sharpness,
                               cfg->disinh.act_i_shift};
    p->seed = seed;
    p->draw = cfg->teacher.draw;
}

/* One two-layer E-I network: layer 0 hidden, layer 1 output. */
typedef struct net2 {
    int size[3];           /* n_in, n_hidden, n_out */
    double *w[2], *b[2];   /* w[l]: size[l+1] x size[l] */
    double *ue[2], *ui[2]; /* potentials */
    double *q[2];          /* n_out x size[l+1] */
    double *cint;          /* controller integrator (n_out) */
} net2;

enum { MODE_OPEN = 0, MODE_BURN = 1, MODE_TRAIN = 2 };

static void net2_free(net2 *n)
{
    for (int l = 0; l < 2; l++) {
        free(n->w[l]);
        free(n->b[l]);
        free(n->ue[l]);
        free(n->ui[l]);
        free(n->q[l]);
    }
    free(n->cint);
}

static int net2_alloc(net2 *n, int n_in, int nh, int no)
{
    memset(n, 0, sizeof *n);
    n->size[0] = n_in;
    n->size[1] = nh;
    n->size[2] = no;
    int ok = 1;
    for (int l = 0; l < 2; l++) {
        const size_t r = (size_t)n->size[l + 1], c = (size_t)n->size[l];
        ok &= (n->w[l] = calloc(r * c, sizeof(double))) != NULL;
        ok &= (n->b[l] = calloc(r, sizeof(double))) != NULL;
        ok &= (n->ue[l] = calloc(r, sizeof(double))) != NULL;
        ok &= (n->ui[l] = calloc(r, sizeof(double))) != NULL;
        ok &= (n->q[l] = calloc((size_t)no * r, sizeof(double))) != NULL;
    }
    ok &= (n->cint = calloc((size_t)no, sizeof(double))) != NULL;
    if (!ok) net2_free(n);
    return ok;
}

static void net2_copy(net2 *dst, const net2 *src)
{
    for (int l = 0; l < 2; l++) {
        const size_t r = (size_t)src->size[l + 1], c = (size_t)src->size[l];
        memcpy(dst->w[l], src->w[l], r * c * sizeof(double));
        memcpy(dst->b[l], src->b[l], r * sizeof(double));
        memcpy(dst->ue[l], src->ue[l], r * sizeof(double));
        memcpy(dst->ui[l], src->ui[l], r * sizeof(double));
        memcpy(dst->q[l], src->q[l], (size_t)src->size[2] * r * sizeof(double));
    }
    memcpy(dst->cint, src->cint, (size_t)src->size[2] * sizeof(double));
}

/* Weights N(0, (scale / sqrt(fan_in))^2), biases N(0, (scale / sqrt(layer size))^2). */
static void net2_init(net2 *n, double scale, uint64_t seed, uint32_t stream)
{
    sm_rng rng;
    sm_rng_init(&rng, seed, stream, 0);
    for (int l = 0; l < 2; l++) {
        const int r = n->size[l + 1], c = n->size[l];
        for (size_t i = 0; i < (size_t)r * c; i++)
            n->w[l][i] = scale / sqrt((double)c) * sm_rng_normal(&rng);
        for (int i = 0; i < r; i++)
            n->b[l][i] = scale / sqrt((double)r) * sm_rng_normal(&rng);
    }
}

/* Reads the next number of `fp`, skipping lines that start with '#'. */
static int next_number(FILE *fp, double *v)
{
    for (;;) {
        int ch;
        while ((ch = fgetc(fp)) == ' ' || ch == '\n' || ch == '\t' || ch == '\r')
            ;
        if (ch == EOF) return 0;
        if (ch == '#') {
            while ((ch = fgetc(fp)) != '\n' && ch != EOF)
                ;
            continue;
        }
        ungetc(ch, fp);
        return fscanf(fp, "%lf", v) == 1;
    }
}

/* Fills amp/freq/phase (3 n_in) and both networks from p->draw (layout in the header). */
static sm_status load_draw(const sm_disinh_teacher_params *p, double *amp, net2 *teacher,
                           net2 *student, sm_error *err)
{
    FILE *fp = fopen(p->draw, "r");
    if (!fp) return sm_error_set(err, SM_EINVAL, "teacher.draw: cannot open '%s'", p->draw);
    double sz[3];
    int ok = next_number(fp, &sz[0]) && next_number(fp, &sz[1]) && next_number(fp, &sz[2]);
    if (ok && (sz[0] != p->n_in || sz[1] != p->n_hidden || sz[2] != p->n_out)) {
        fclose(fp);
        return sm_error_set(err, SM_EINVAL,
                            "teacher.draw: '%s' holds a %g-%g-%g network, the task is %d-%d-%d "
                            "(teacher.n_in, n_hidden, n_out)",
                            p->draw, sz[0], sz[1], sz[2], p->n_in, p->n_hidden, p->n_out);
    }
    for (int j = 0; ok && j < 3 * p->n_in; j++)
        ok = next_number(fp, &amp[j]);
    net2 *nets[2] = {teacher, student};
    for (int t = 0; t < 2; t++)
        for (int l = 0; ok && l < 2; l++) {
            const size_t r = (size_t)nets[t]->size[l + 1], c = (size_t)nets[t]->size[l];
            for (size_t i = 0; ok && i < r * c; i++)
                ok = next_number(fp, &nets[t]->w[l][i]);
            for (size_t i = 0; ok && i < r; i++)
                ok = next_number(fp, &nets[t]->b[l][i]);
        }
    double extra;
    if (ok && next_number(fp, &extra)) ok = 0;
    fclose(fp);
    if (!ok)
        return sm_error_set(err, SM_EINVAL,
                            "teacher.draw: '%s' is not n_in n_hidden n_out, 3 n_in input "
                            "numbers and two networks' weights and biases (too few, too many "
                            "or not numbers)",
                            p->draw);
    return SM_OK;
}

/* The Q targets from the current state: Q_out = diag(phi_E'(u_E,out) phi_I'(u_I,out)),
 * Q_hid = (diag(phi_E'(u_E,out)) W_out) * phi_E'(u_E,hid) * phi_I'(u_I,hid), each scaled to
 * Frobenius norm q_norm. into[l]: n_out x size[l+1]. */
static void jacobian(const sm_disinh_teacher_params *p, const net2 *n, double *into[2])
{
    const int nh = n->size[1], no = n->size[2];
    double *q1 = into[0], *q2 = into[1];
    for (int k = 0; k < no; k++) {
        const double dy = sm_disinh_dphi(&p->act_e, n->ue[1][k]);
        for (int j = 0; j < no; j++)
            q2[k * no + j] = j == k ? dy * sm_disinh_dphi(&p->act_i, n->ui[1][k]) : 0;
        for (int i = 0; i < nh; i++)
            q1[k * nh + i] = dy * n->w[1][k * nh + i] * sm_disinh_dphi(&p->act_e, n->ue[0][i]) *
                             sm_disinh_dphi(&p->act_i, n->ui[0][i]);
    }
    for (int l = 0; l < 2; l++) {
        const size_t m = (size_t)no * n->size[l + 1];
        double ss = 0;
        for (size_t j = 0; j < m; j++)
            ss += into[l][j] * into[l][j];
        const double sc = ss > 0 ? p->q_norm / sqrt(ss) : 0;
        for (size_t j = 0; j < m; j++)
            into[l][j] *= sc;
    }
}

typedef struct scratch {
    double *re[2], *ri[2], *du_e[2], *du_i[2], *f[2], *err[2], *jq[2];
    double *c, *e;
} scratch;

static void scratch_free(scratch *s)
{
    for (int l = 0; l < 2; l++) {
        free(s->re[l]);
        free(s->ri[l]);
        free(s->du_e[l]);
        free(s->du_i[l]);
        free(s->f[l]);
        free(s->err[l]);
        free(s->jq[l]);
    }
    free(s->c);
    free(s->e);
}

static int scratch_alloc(scratch *s, int nh, int no)
{
    memset(s, 0, sizeof *s);
    int ok = 1;
    const int sz[2] = {nh, no};
    for (int l = 0; l < 2; l++) {
        ok &= (s->re[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->ri[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->du_e[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->du_i[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->f[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->err[l] = calloc((size_t)sz[l], sizeof(double))) != NULL;
        ok &= (s->jq[l] = calloc((size_t)no * sz[l], sizeof(double))) != NULL;
    }
    ok &= (s->c = calloc((size_t)no, sizeof(double))) != NULL;
    ok &= (s->e = calloc((size_t)no, sizeof(double))) != NULL;
    if (!ok) scratch_free(s);
    return ok;
}

/* The rule's linear model: theta, delta (lin rules) for the expansion point. */
typedef struct rule_ctx {
    int rule;
    double theta, delta;
} rule_ctx;

/* One Euler step of `n` with input x; target ystar (MODE_TRAIN). Adds the squared error of
 * the output (before the step) to *sq when ystar is given, and sum_l ||Q_l^T c||^2 to *lc. */
static void step(const sm_disinh_teacher_params *p, net2 *n, scratch *s, const double *x,
                 const double *ystar, int mode, const rule_ctx *rc, double *sq, double *lc)
{
    const int no = n->size[2];
    const double dt = p->dt;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < n->size[l + 1]; i++) {
            s->re[l][i] = sm_disinh_phi(&p->act_e, n->ue[l][i]);
            s->ri[l][i] = sm_disinh_phi(&p->act_i, n->ui[l][i]);
        }
    if (ystar) {
        double e2 = 0;
        for (int k = 0; k < no; k++) {
            s->e[k] = ystar[k] - s->re[1][k];
            e2 += s->e[k] * s->e[k];
        }
        if (sq) *sq += e2;
    }
    const int control = mode == MODE_TRAIN;
    for (int k = 0; k < no; k++)
        s->c[k] = control ? p->k_p * s->e[k] + p->k_i * n->cint[k] : 0;
    double lcl = 0;
    for (int l = 0; l < 2; l++) {
        const int nl = n->size[l + 1];
        for (int i = 0; i < nl; i++) {
            double f = 0;
            for (int k = 0; k < no; k++)
                f += n->q[l][k * nl + i] * s->c[k];
            s->f[l][i] = f;
            lcl += f * f;
        }
    }
    if (lc) *lc += lcl;
    /* potentials */
    for (int l = 0; l < 2; l++) {
        const int nl = n->size[l + 1], m = n->size[l];
        const double *pre = l == 0 ? x : s->re[0];
        for (int i = 0; i < nl; i++) {
            double a = n->b[l][i];
            const double *w = n->w[l] + (size_t)i * m;
            for (int j = 0; j < m; j++)
                a += w[j] * pre[j];
            s->du_e[l][i] = -n->ue[l][i] + a - s->ri[l][i];
            s->du_i[l][i] = -n->ui[l][i] + s->re[l][i] - s->f[l][i];
        }
    }
    if (mode != MODE_OPEN) jacobian(p, n, s->jq);
    if (mode == MODE_TRAIN) {
        /* the rule at the current state, then the weights */
        for (int l = 0; l < 2; l++) {
            const int nl = n->size[l + 1], m = n->size[l];
            const double *pre = l == 0 ? x : s->re[0];
            for (int i = 0; i < nl; i++) {
                const double re = s->re[l][i], ui = n->ui[l][i], ri = s->ri[l][i];
                double e;
                switch (rc->rule) {
                case SM_TEACHER_EXACT:
                    e = (re - ui) * sm_disinh_dphi(&p->act_e, n->ue[l][i]);
                    break;
                case SM_TEACHER_LIN:
                    e = (re - rc->theta - rc->delta * ri) * sm_disinh_dphi(&p->act_e, n->ue[l][i]);
                    break;
                case SM_TEACHER_EXACT_PUB: e = (re - ui) * sm_disinh_dphi(&p->act_e, re); break;
                default:
                    e = (re - (rc->theta + rc->delta * ui)) * sm_disinh_dphi(&p->act_e, re);
                    break;
                }
                const double g = dt / p->tau_w * e;
                double *w = n->w[l] + (size_t)i * m;
                for (int j = 0; j < m; j++)
                    w[j] += g * pre[j];
                n->b[l][i] += g;
            }
        }
        for (int k = 0; k < no; k++)
            n->cint[k] += dt / p->tau_c * (s->e[k] - p->leak * n->cint[k]);
    }
    if (mode != MODE_OPEN)
        for (int l = 0; l < 2; l++) {
            const size_t m = (size_t)no * n->size[l + 1];
            for (size_t j = 0; j < m; j++)
                n->q[l][j] += dt / p->tau_q * (-n->q[l][j] + s->jq[l][j]);
        }
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < n->size[l + 1]; i++) {
            n->ue[l][i] += dt / p->tau_e * s->du_e[l][i];
            n->ui[l][i] += dt / p->tau_i * s->du_i[l][i];
        }
}

sm_status sm_disinh_teacher_run(const sm_disinh_teacher_params *p, sm_disinh_teacher_rule rule,
                                double *ol_mse, double *cl_mse, double *lcl, sm_error *err)
{
    if (p->n_in < 1 || p->n_hidden < 1 || p->n_out < 1 || p->epochs < 1 || p->dt <= 0 ||
        p->epoch_s < p->dt)
        return sm_error_set(err, SM_EINVAL, "teacher: bad task sizes or time step");
    const int ni = p->n_in, nh = p->n_hidden, no = p->n_out;
    net2 teacher, student, frozen;
    scratch s_t, s_s, s_f;
    double *amp = malloc((size_t)ni * 3 * sizeof(double)), *x = malloc((size_t)ni * sizeof(double));
    double *yt = malloc((size_t)no * sizeof(double));
    int ok_t = net2_alloc(&teacher, ni, nh, no), ok_s = net2_alloc(&student, ni, nh, no);
    int ok_f = net2_alloc(&frozen, ni, nh, no);
    int ok_a = scratch_alloc(&s_t, nh, no), ok_b = scratch_alloc(&s_s, nh, no);
    int ok_c = scratch_alloc(&s_f, nh, no);
    sm_status st = SM_OK;
    if (!amp || !x || !yt || !ok_t || !ok_s || !ok_f || !ok_a || !ok_b || !ok_c) {
        st = sm_error_set(err, SM_ENOMEM, "teacher: out of memory");
        goto done;
    }
    double *freq = amp + ni, *phase = amp + (size_t)2 * ni;
    if (p->draw && p->draw[0]) {
        st = load_draw(p, amp, &teacher, &student, err);
        if (st != SM_OK) goto done;
    } else {
        /* input: 30 sinusoids drawn once (stream 1); teacher (2) and student (3) weights */
        sm_rng rng;
        sm_rng_init(&rng, p->seed, 0x74650001u, 0);
        for (int j = 0; j < ni; j++) {
            amp[j] = 0.1 + 0.9 * sm_rng_uniform(&rng);
            freq[j] = 0.1 + 1.9 * sm_rng_uniform(&rng);
            phase[j] = M_PI * sm_rng_uniform(&rng);
        }
        net2_init(&teacher, p->w_scale, p->seed, 0x74650002u);
        net2_init(&student, p->w_scale, p->seed, 0x74650003u);
    }
    /* Q starts at the Jacobian of the zero state (as the notebook) */
    jacobian(p, &student, student.q);
    rule_ctx rc = {rule, 0, 0};
    if (rule == SM_TEACHER_LIN) sm_disinh_lin_inv(&p->act_i, p->r0, &rc.theta, &rc.delta);
    if (rule == SM_TEACHER_LIN_PUB) sm_disinh_lin_inv(&p->act_e, p->r0, &rc.theta, &rc.delta);
    const long steps = (long)llround(p->epoch_s / p->dt);
    long t_step = 0;
    for (int ep = -p->burn_in; ep < p->epochs && st == SM_OK; ep++) {
        const int train = ep >= 0;
        if (train) net2_copy(&frozen, &student);
        double sq_ol = 0, sq_cl = 0, lc = 0;
        for (long k = 0; k < steps; k++, t_step++) {
            const double t = (double)t_step * p->dt;
            for (int j = 0; j < ni; j++)
                x[j] = amp[j] * sin(2 * M_PI * freq[j] * t + phase[j]);
            /* the teacher's output at the current state is the target of this step */
            for (int i = 0; i < no; i++)
                yt[i] = sm_disinh_phi(&p->act_e, teacher.ue[1][i]);
            step(p, &teacher, &s_t, x, NULL, MODE_OPEN, &rc, NULL, NULL);
            if (train) {
                step(p, &frozen, &s_f, x, yt, MODE_OPEN, &rc, &sq_ol, NULL);
                step(p, &student, &s_s, x, yt, MODE_TRAIN, &rc, &sq_cl, &lc);
            } else {
                step(p, &student, &s_s, x, NULL, MODE_BURN, &rc, NULL, NULL);
            }
        }
        if (train) {
            ol_mse[ep] = sq_ol / steps;
            cl_mse[ep] = sq_cl / steps;
            lcl[ep] = lc / steps;
            if (!isfinite(ol_mse[ep]) || !isfinite(cl_mse[ep]))
                st = sm_error_set(err, SM_ENUMERIC,
                                  "teacher: the state diverged in epoch %d (try a smaller "
                                  "teacher.dt)",
                                  ep);
        }
    }
done:
    free(amp);
    free(x);
    free(yt);
    if (ok_t) net2_free(&teacher);
    if (ok_s) net2_free(&student);
    if (ok_f) net2_free(&frozen);
    if (ok_a) scratch_free(&s_t);
    if (ok_b) scratch_free(&s_s);
    if (ok_c) scratch_free(&s_f);
    return st;
}

/* somnus: the dis-inhibitory rate E/I network (Rossbroich & Zenke 2023;
 * spec/disinhibition.md sections 1-4).
 *
 * Every hidden unit is an excitatory (E) rate neuron paired with its own inhibitory (I)
 * interneuron; a leaky PI controller on the output error reaches the hidden layers only
 * through the interneurons (f_l = Q_l^T c), and a local rule whose sign is the balance
 * r_E - phi_I^-1(r_I) (dis-inhibition: LTP; inhibition above the E rate: LTD) trains the
 * weights. Equations, in the spec's names (time in s, rates dimensionless):
 *
 *   tau_E du_E/dt = -u_E + W_l r_{l-1} + b_l - phi_I(u_I)
 *   tau_I du_I/dt = -u_I + phi_E(u_E) - f_l,        f_l = Q_l^T c,   r_l = phi_E(u_E)
 *   tau_E dy/dt   = -y + W_out r_L + c             (c only if ctrl.to_readout)
 *   c = k_p e + k_i c_int,  tau_C dc_int/dt = e - lambda c_int,  e = y* - softmax(y) | y* - y
 *
 * Steady states come from a fixed-point solver (per unit, the scalar monotone equation
 * u_E + phi_I(phi_E(u_E) - f) = a by safeguarded Newton; the closed loop iterates c to
 * the controller's equilibrium c = (k_p + k_i / lambda) e with damping 0.5) or from the
 * reference Euler integrator; both are available and tested to agree.
 *
 * State and weights are double: the closed-loop tolerance (1e-7) and the gain-0 check
 * (|dw| < 1e-6) sit below float's resolution at rates of order 1. Dense products go
 * through cblas (dgemm); results depend only on the seed.
 */
#ifndef SOMNUS_DISINH_H
#define SOMNUS_DISINH_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Soft ReLU phi(u) = s log(1 + exp(k (u - h))). */
typedef struct sm_disinh_act {
    double s, k, h; /* scale, sharpness, shift */
} sm_disinh_act;

/* phi(u), phi'(u) and phi^-1(r) (r > 0; h + log(expm1(r/s)) / k, r/s for r/s > 50). */
double sm_disinh_phi(const sm_disinh_act *a, double u);
double sm_disinh_dphi(const sm_disinh_act *a, double u);
double sm_disinh_phi_inv(const sm_disinh_act *a, double r);

/* First-order expansion of phi^-1 around r0 > 0: phi^-1(r) ~= theta + delta r with
 * delta = 1 / phi'(phi^-1(r0)), theta = phi^-1(r0) - r0 delta. */
void sm_disinh_lin_inv(const sm_disinh_act *a, double r0, double *theta, double *delta);

/* Values of disinh.rule, disinh.q, disinh.solver, disinh.loss, disinh.optimizer. */
typedef enum sm_disinh_rule {
    SM_DISINH_EXACT = 0,
    SM_DISINH_LIN_THRESH = 1,
    SM_DISINH_LIN_FIXED = 2,
    SM_DISINH_BP = 3,
    SM_DISINH_AS_PUBLISHED = 4
} sm_disinh_rule;
enum sm_disinh_q {
    SM_DISINH_Q_JACOBIAN = 0,
    SM_DISINH_Q_JACOBIAN_MEAN = 1,
    SM_DISINH_Q_LEARNED = 2 /* teacher task only: refused by sm_disinh_create */
};
enum sm_disinh_solver { SM_DISINH_FIXED_POINT = 0, SM_DISINH_EULER = 1 };
enum sm_disinh_loss { SM_DISINH_CE = 0, SM_DISINH_MSE = 1 };
enum sm_disinh_optimizer { SM_DISINH_ADAM = 0, SM_DISINH_SGD = 1 };

/* Everything that defines a network (see the disinh.* and ctrl.* rows of the config). */
typedef struct sm_disinh_params {
    int n_in, n_out, n_layers;
    int n_hidden[SM_DISINH_MAX_LAYERS];
    double tau_e, tau_i; /* s */
    sm_disinh_act act_e, act_i;
    int rule; /* sm_disinh_rule; AS_PUBLISHED is refused (teacher task only) */
    double lin_theta, lin_delta, avg_inh_mix, avg_inh_init;
    int q_mode;
    double q_norm, q_clip;
    int solver;
    double dt, t_max, tol; /* Euler: step (s), longest run (s), stop at max|du/dt| tau < tol */
    int loss;
    double soft_target;
    double lr;
    int optimizer;
    int batch; /* largest number of samples one call handles */
    double k_p, k_i, leak, tau_c;
    int to_readout;
    int freeze_hidden; /* only the readout W_out learns (the frozen-network control) */
    uint64_t seed;
} sm_disinh_params;

/* The parameters of `cfg` for n_in inputs and n_out outputs (errors name the key). */
sm_status sm_disinh_params_from_config(const sm_config *cfg, int n_in, int n_out,
                                       sm_disinh_params *p, sm_error *err);

typedef struct sm_disinh sm_disinh;

/* A network with weights N(0, 1/fan_in) and zero biases drawn from p->seed. NULL (err
 * set) on bad parameters or out of memory. Destroy with sm_disinh_destroy. */
sm_disinh *sm_disinh_create(const sm_disinh_params *p, sm_error *err);
void sm_disinh_destroy(sm_disinh *net);

/* The parameters the network was built with (owned by the network). */
const sm_disinh_params *sm_disinh_get_params(const sm_disinh *net);

/* Weights of hidden layer l (0-based; l = n_layers is the readout): W (rows = units of
 * layer l, columns = units of layer l-1, row-major) and bias b (NULL for the readout).
 * Pointers into the network (writable, e.g. for tests); valid until destroy. */
double *sm_disinh_weights(sm_disinh *net, int l, int *rows, int *cols, double **bias);

/* Per-sample state after the last solve, row-major [n x size] (owned by the network):
 * layer l in 0..n_layers-1: u_E, u_I, r_E, the top-down drive f and the rule's error
 * term (bracket * phi_E'(u_E)); the readout y and control c [n x n_out]. */
typedef struct sm_disinh_state {
    const double *u_e, *u_i, *r_e, *f, *err;
} sm_disinh_state;
void sm_disinh_layer_state(const sm_disinh *net, int l, sm_disinh_state *s);
const double *sm_disinh_output(const sm_disinh *net);
const double *sm_disinh_control(const sm_disinh *net);

/* Feedback weights Q_l [n x n_out x n_l] of the last sm_disinh_compute_q (with
 * jacobian_mean, all n copies are equal). */
const double *sm_disinh_q(const sm_disinh *net, int l);

/* Open loop (controller off, from zero state) for n <= p->batch samples x [n x n_in]: the
 * steady state by p->solver. `no_inhibition` drops the I units (the BP baseline's
 * forward pass). Returns the mean solver iterations per sample in *iters (may be NULL). */
sm_status sm_disinh_open_loop(sm_disinh *net, const double *x, int n, int no_inhibition,
                              double *iters, sm_error *err);

/* Q from the current (open-loop) state, per spec section 2. */
void sm_disinh_compute_q(sm_disinh *net, int n);

/* Closed loop from the current state with targets ystar [n x n_out] and controller gains
 * scaled by `gain` (1 = as configured; 0 = controller off), to the controller's
 * equilibrium; then the rule's error terms per p->rule (exact, lin_thresh, lin_fixed) are
 * stored in the state. Q must have been computed. *iters: mean iterations (may be NULL). */
sm_status sm_disinh_closed_loop(sm_disinh *net, const double *x, const double *ystar, int n,
                                double gain, double *iters, sm_error *err);

/* The weight changes dW (ascent direction, averaged over the n samples) of the last
 * closed loop, into grads laid out like the weights: per layer l (0..n_layers) the
 * matrix then the bias (none for the readout). Length sm_disinh_n_params. */
size_t sm_disinh_n_params(const sm_disinh *net);
void sm_disinh_weight_changes(sm_disinh *net, const double *x, int n, double *grads);

/* Statistics of one training step. */
typedef struct sm_disinh_step_stats {
    double cl_loss;            /* loss of the closed-loop (BP: the forward) output vs the target */
    double ol_loss;            /* loss of the open-loop output */
    double mean_abs_f;         /* mean |Q^T c| over hidden units and samples (0 for BP) */
    double frac_ltp;           /* fraction of hidden error terms > 0 among the nonzero ones */
    double ol_iters, cl_iters; /* mean solver iterations per sample */
    int n_correct;             /* open-loop argmax == label */
} sm_disinh_step_stats;

/* One minibatch step (spec section 4): open loop, Q, closed loop with the targets of
 * `labels` (soft or one-hot), the running inhibition update (lin_thresh), then the weight
 * update by the optimizer. BP: the forward pass without I units and backpropagation. */
sm_status sm_disinh_train_batch(sm_disinh *net, const double *x, const int *labels, int n,
                                sm_disinh_step_stats *stats, sm_error *err);

/* Open-loop predictions (argmax y) of n samples (any n; processed in minibatches), the
 * mean loss against labels (NULL: not computed) into *loss, predictions into pred (may be
 * NULL) and accuracy into *acc (needs labels). */
sm_status sm_disinh_evaluate(sm_disinh *net, const double *x, const int *labels, int n, int *pred,
                             double *acc, double *loss, sm_error *err);

/* Sum of |W| of layer l (0..n_layers). */
double sm_disinh_weight_norm(const sm_disinh *net, int l);

/* Bytes of the state that carries over between minibatches: weights and biases, the
 * optimizer's moments and step count, and the linear threshold's running r0, theta and
 * delta (the per-sample potentials start from zero every minibatch and are not part of
 * it). For checkpoints: save, then load into a network made with the same parameters,
 * continues bit for bit. */
size_t sm_disinh_state_size(const sm_disinh *net);
/* Copies that state into buf (sm_disinh_state_size bytes). */
void sm_disinh_state_save(const sm_disinh *net, void *buf);
/* Restores it from buf (written by sm_disinh_state_save for a network of the same
 * parameters). */
void sm_disinh_state_load(sm_disinh *net, const void *buf);

/* ---------------------------------------------------------------- single neuron (5a) */

/* The single E-I pair of Figure 3: input x into E only, w_IE = w_EI = 1, soft ReLU
 * (1, 1, 3) for both, a proportional controller on I, tau du_I/dt += -alpha (r_tar - r_E)
 * (r_tar NAN = no target), Euler with dt = tau / 50 from zero until max |du| per step
 * < 1e-12 (or 100,000 steps). Outputs the steady state. */
typedef struct sm_disinh_neuron {
    double u_e, u_i, r_e, r_i;
    int steps;
} sm_disinh_neuron;
void sm_disinh_neuron_steady(double x, double r_tar, double alpha, sm_disinh_neuron *out);

/* The weight change of Figure 3 at that state: dw = x * (r_E - phi_I^-1(r_I)) phi_E'(u_E)
 * (lin = 0, exact) or x * (r_E - theta - delta r_I) phi_E'(u_E) (lin = 1). */
double sm_disinh_neuron_dw(double x, const sm_disinh_neuron *s, int lin, double theta,
                           double delta);

/* Zero crossings of dw(x) over x in (0, x_max] (a grid of n_grid points, each sign change
 * refined by bisection on x to 1e-12), where |dw| exceeds 1e-9 on both sides; writes the
 * r_E at each crossing (ascending x) into r_e_out (up to max) and returns how many. */
int sm_disinh_neuron_crossings(double r_tar, double alpha, int lin, double theta, double delta,
                               double x_max, int n_grid, double *r_e_out, int max);

#ifdef __cplusplus
}
#endif
#endif

/* somnus: the online student-teacher task of the dis-inhibitory network (Rossbroich &
 * Zenke 2023, Figure 4; spec/disinhibition.md section 5b).
 *
 * A 30-20-2 network whose hidden and output layers are both E-I pairs learns, online and
 * in continuous time, to reproduce an untrained teacher of the same architecture driven
 * by 30 fixed sinusoids. A leaky PI controller on the output E rates
 * (e = y_teacher - r_E,out) reaches every layer through its interneurons (f_l = Q_l^T c);
 * Q relaxes to the normalized Jacobian (tau_Q dQ/dt = -Q + J), and every weight follows
 * the local rule tau_W dW/dt = r_pre e_l^T (bias: e_l), with
 *   exact      e_l = (r_E - phi_I^-1(r_I)) phi_E'(u_E)        (phi_I^-1(r_I) = u_I)
 *   lin_thresh e_l = (r_E - theta - delta r_I) phi_E'(u_E)    (phi_I^-1 expanded at r0)
 * and the notebook's as-published variants (phi_E' evaluated at r_E; the linear model of
 * phi_E^-1 around r0 applied to u_I). Explicit Euler at dt throughout.
 */
#ifndef SOMNUS_DISINH_TEACHER_H
#define SOMNUS_DISINH_TEACHER_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/models/disinh.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The rules of the teacher task. */
typedef enum sm_disinh_teacher_rule {
    SM_TEACHER_EXACT = 0,
    SM_TEACHER_LIN = 1,
    SM_TEACHER_EXACT_PUB = 2, /* notebook: phi_E'(r_E) */
    SM_TEACHER_LIN_PUB = 3    /* notebook: phi_E' (r_E), phi_E^-1 expanded, applied to u_I */
} sm_disinh_teacher_rule;

/* Task parameters (teacher.*, the disinh.tau_* and act_* rows, ctrl.k_p/k_i/leak/tau). */
typedef struct sm_disinh_teacher_params {
    int n_in, n_hidden, n_out, burn_in, epochs;
    double epoch_s, dt, tau_e, tau_i, tau_c, tau_w, tau_q, w_scale, r0, q_norm;
    double k_p, k_i, leak;
    sm_disinh_act act_e, act_i;
    uint64_t seed;
    /* NULL or "": inputs, teacher and student drawn from `seed`. Otherwise a text file of
     * numbers ('#' starts a comment line): n_in n_hidden n_out, amp, freq, phase (n_in
     * each), then the teacher's W1 (n_hidden x n_in, row = hidden unit), b1, W2 (n_out x
     * n_hidden), b2, then the student's in the same order (teacher.draw). */
    const char *draw;
} sm_disinh_teacher_params;

/* The task's parameters from `cfg` with seed `seed`. */
void sm_disinh_teacher_params_from_config(const sm_config *cfg, uint64_t seed,
                                          sm_disinh_teacher_params *p);

/* Per training epoch e (0..p->epochs-1): the open-loop MSE of a frozen copy of the student
 * (weights and state as at the epoch's start, controller off), the closed-loop MSE of the
 * learning student, both as the time mean of the sum over outputs of squared error
 * against the teacher, and the least-control loss (time mean of sum_l ||Q_l^T c||^2).
 * Arrays of p->epochs entries, owned by the caller. Teacher, student and input are
 * drawn from p->seed (separate streams), so both rules of a seed start from the same
 * student. Errors: bad sizes, out of memory, a diverging state (SM_ENUMERIC), a
 * p->draw file that cannot be opened or does not match the task (SM_EINVAL, naming it). */
sm_status sm_disinh_teacher_run(const sm_disinh_teacher_params *p, sm_disinh_teacher_rule rule,
                                double *ol_mse, double *cl_mse, double *lcl, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif

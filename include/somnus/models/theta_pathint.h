/* somnus: task B of the theta-gated Helmholtz machine -- path integration on a ring
 * (George et al. 2023, Figs. 3 and 4; spec theta-helmholtz.md section 7).
 *
 * An agent runs on a periodic track (velocity: Ornstein-Uhlenbeck). Place cells (Gaussian
 * fields) drive the sensory layer p's basal compartment (identity); p's apical compartment
 * reads g (with bias); the hidden layer g's basal compartment reads p (with bias), its
 * apical compartment reads g itself and 2n conjunctive velocity cells
 *     cvc_i = relu(g_i + (v_+ - v_-) - c),  cvc_{n+i} = relu(g_i + (v_- - v_+) - c)
 * built from 2 velocity cells v_+- = max(0, +-v) / speed_sd. g's dendrites are retanh, p's
 * linear. Update order per step (RatInABox 1.6.3's): agent moves (x += v dt with last
 * step's v, then v updated) -> place cells -> p (learn) -> g (learn) -> conjunctive cells
 * (g this step, velocity cells last step, i.e. the v of this step's move) -> velocity cells.
 */
#ifndef SOMNUS_THETA_PATHINT_H
#define SOMNUS_THETA_PATHINT_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/models/theta.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_theta_pathint_params {
    uint64_t seed;
    double dt, freq, duty, phase_offset, block_s; /* gate (s, Hz, 1, cycles, s) */
    int gate, schedule;
    double tau_pi, loss_tau, eta, w_init_rec;
    int n;                                  /* place cells = p units = g units */
    double place_width, track_len;          /* m */
    double speed_mean, speed_sd, speed_tau; /* m/s, m/s, s */
    double cvc_threshold;
    double noise_sd, noise_tau;
} sm_theta_pathint_params;

/* The parameters of group theta.* and run.seed (n = theta.n_place). */
void sm_theta_pathint_params_from_config(sm_theta_pathint_params *p, const sm_config *cfg);

/* The model; fields readable. A protocol may set gate.force, noise.on, par.speed_mean
 * and the blocks' eta between steps. */
typedef struct sm_theta_pathint {
    sm_theta_pathint_params par;
    int64_t k; /* steps done */
    sm_theta_gate gate;
    sm_theta_noise noise;
    int64_t err_start;
    double x, v;      /* agent position (m, in [0, track_len)) and velocity (m/s) */
    float *centres;   /* n place-field centres (m) */
    float *pc;        /* n place-cell rates */
    float *cvc;       /* 2n conjunctive velocity cells */
    float vc[2];      /* velocity cells v_+, v_- */
    sm_theta_layer p; /* sensory (HPC) */
    sm_theta_layer g; /* hidden (MEC) */
    sm_theta_block *p_from_g, *g_from_p, *g_rec, *g_cvc; /* the plastic blocks */
    uint32_t remaps; /* remappings so far (each draws a new permutation) */
} sm_theta_pathint;

/* Builds the model: centres evenly spaced with jitter U(+-0.45 spacing) (RatInABox's
 * "uniform_jitter"), agent at a uniform
 * random position with velocity speed_mean. */
sm_status sm_theta_pathint_init(sm_theta_pathint *m, const sm_theta_pathint_params *p,
                                sm_error *err);

/* Frees what init allocated (safe on a zeroed struct). */
void sm_theta_pathint_free(sm_theta_pathint *m);

/* Copies the whole state of src into dst (both from init with the same parameters). */
sm_status sm_theta_pathint_copy(sm_theta_pathint *dst, const sm_theta_pathint *src, sm_error *err);

/* One step; learning if `learn`. */
void sm_theta_pathint_step(sm_theta_pathint *m, int learn);

/* Shuffles the place-cell centres (a random permutation from the CENTRES stream, a new one
 * per call): the environment remaps, the network does not know. */
void sm_theta_pathint_remap(sm_theta_pathint *m);

/* Sets every compartment's rate, V and noise to 0 (the reference's reset before
 * retraining after a remap). Somata keep their rates. */
void sm_theta_pathint_reset_compartments(sm_theta_pathint *m);

/* Rate maps of the basal route (theta = 0, no noise) at n_bins positions (bin centres):
 * p_map[b * n + i] = place cell i at bin b (p's basal = identity), g_map[b * n + i] =
 * retanh(W_gp [p_map[b]; 1])_i. Either may be NULL. */
void sm_theta_pathint_ratemaps(const sm_theta_pathint *m, int n_bins, float *p_map, float *g_map);

/* Periodic distance between two positions on the track (m, in [0, track_len / 2]). */
double sm_theta_pathint_distance(const sm_theta_pathint *m, double a, double b);

#ifdef __cplusplus
}
#endif
#endif

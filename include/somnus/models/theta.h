/* somnus: theta-gated two-compartment rate layers (George et al. 2023; spec
 * ../shared/spec/theta-helmholtz.md, sections 2-5).
 *
 * A pyramidal layer has n somata and, per soma, a basal and an apical dendritic
 * compartment. Each compartment sums weighted input blocks (instantaneous, no membrane
 * filter), applies its activation f_C and adds Ornstein-Uhlenbeck noise:
 *     V_C = sum_k W_C,k I_k,   r_C = f_C(V_C) + xi_C
 * and the soma mixes the two by the theta gate:
 *     r = (1 - theta) r_B + theta r_A          (theta = 1: apical drives, "generative")
 * Each plastic block learns so that its compartment predicts the soma:
 *     delta = (r - r_C) f_C'(V_C)
 *     P <- (1 - dt/tau_P) P + (dt/tau_P) delta I^T
 *     W <- W + eta (P - L2 W - L1 sign W)          (then the optional Dale clip)
 * Inputs are read through pointers to the source layers' rate vectors, so the caller's
 * update order decides which inputs are this step's and which last step's (section 5).
 *
 * Units: time in s, rates dimensionless. State in float (structs of arrays), error
 * averages in double. Random numbers are keyed draws (rng.h) of stream SM_STREAM_THETA:
 * the same seed gives the same bytes on any machine and thread count.
 */
#ifndef SOMNUS_THETA_H
#define SOMNUS_THETA_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Purposes of SM_STREAM_THETA draws (the index's top byte); never renumber. */
enum sm_theta_purpose {
    SM_THETA_RNG_WEIGHTS =
        1, /* initial weights (sequential stream, index = purpose << 24 | block) */
    SM_THETA_RNG_LATENTS = 2, /* white noise of task A's latents (keyed by step) */
    SM_THETA_RNG_NOISE = 3,   /* compartment noise (keyed by step; index = layer base + unit) */
    SM_THETA_RNG_AGENT = 4,   /* task B's agent: start and velocity noise */
    SM_THETA_RNG_CENTRES = 5  /* task B's place-cell centres and remapping */
};

/* Dendritic activation f_C. */
enum sm_theta_act {
    SM_THETA_LINEAR = 0, /* f(V) = V, f' = 1 */
    SM_THETA_RETANH = 1  /* f(V) = max(0, tanh V), f' = (1 - tanh^2 V) [V > 0] */
};

/* Gate shape (theta.gate) and schedule (theta.schedule). */
enum sm_theta_gate_kind { SM_THETA_SQUARE = 0, SM_THETA_SINE = 1 };
enum sm_theta_schedule { SM_THETA_CYCLES = 0, SM_THETA_BLOCKS = 1 };

/* The theta gate: what drives the soma at each step. */
typedef struct sm_theta_gate {
    int kind;            /* enum sm_theta_gate_kind */
    int schedule;        /* enum sm_theta_schedule */
    double dt;           /* s per step */
    double freq;         /* Hz */
    double duty;         /* fraction of each cycle with theta = 1 (apical), in (0, 1) */
    double phase_offset; /* cycles, added to the phase (square) or to phase^n (sine) */
    double block_s;      /* SM_THETA_BLOCKS: s of inference, then s of generation, repeated */
    int force;           /* -1: the gate; 0: inference only; 1: generative only */
} sm_theta_gate;

/* theta at step k (1-based: step k sees t = k dt, as the reference's clock advances
 * before the layers update), in [0, 1]. Square: 1 iff the phase frac(k dt freq + offset)
 * is below duty, the phase computed from the integer k (no accumulated time) and rounded
 * to 1e-9 cycles so that steps landing on a boundary fall on a fixed side (at dt 25 ms,
 * 5 Hz, duty 0.5: apical iff k mod 8 < 4). Sine: 0.5 (1 + sin(2 pi ((phase^n + offset)
 * mod 1))), n = ln 0.5 / ln duty. Blocks: 0 for block_s, then 1 for block_s, repeated
 * (the sleep paper's wake/offline schedule with the same time in each mode). */
double sm_theta_gate_value(const sm_theta_gate *g, int64_t k);

/* Largest number of input blocks of one compartment. */
#define SM_THETA_MAX_BLOCKS 4

/* One input block of a compartment: W is n x (n_src + bias) row-major (bias column last,
 * fed a constant 1), or the identity (n_src == n, never plastic) when `identity`. */
typedef struct sm_theta_block {
    const float *src; /* source rates (not owned): read at every step */
    int n_src;
    int bias;     /* 1: a constant-1 input column */
    int identity; /* 1: W = I, fixed (no w, pi or x arrays) */
    float *w;     /* n x cols weights (owned) */
    float *pi;    /* n x cols plasticity induction P (owned) */
    float *x;     /* cols: the input this step's V was computed from (owned) */
    float eta, l2, l1;
    int dale; /* 0: free; 1: clip to >= 0; -1: clip to <= 0 */
} sm_theta_block;

/* One dendritic compartment of n units. */
typedef struct sm_theta_comp {
    int act; /* enum sm_theta_act */
    int n_blocks;
    sm_theta_block blocks[SM_THETA_MAX_BLOCKS];
    float *v;       /* V_C (owned, n) */
    float *r;       /* r_C = f(V_C) + xi (owned, n) */
    float *fprime;  /* f'(V_C) (owned, n) */
    float *xi;      /* OU noise state (owned, n) */
    float *delta;   /* scratch: (r - r_C) f'(V_C) of the last learn call (owned, n) */
    float noise_sd; /* stationary sd of xi */
} sm_theta_comp;

/* Exponential average of a layer's prediction error e(t) = mean_i |r_B,i - r_A,i| with
 * time constant tau (s), starting from the first value at 2 / freq s into a phase. */
typedef struct sm_theta_err {
    double value;  /* current average; NaN before it starts */
    double last;   /* e of the last step */
    int64_t steps; /* steps since the restart */
} sm_theta_err;

/* A pyramidal layer. */
typedef struct sm_theta_layer {
    int n;
    float *r; /* somatic rates (owned, n) */
    sm_theta_comp basal, apical;
    uint32_t noise_index; /* first rng index of this layer's noise draws */
    sm_theta_err err;
} sm_theta_layer;

/* Which compartment (sm_theta_layer_add_*). */
enum sm_theta_which { SM_THETA_BASAL = 0, SM_THETA_APICAL = 1 };

/* Allocates a layer of n units with the two dendritic activations; rates, noise and
 * weights start at 0. noise_index separates the layers' noise draws (use disjoint ranges
 * of 2n at least). Free with sm_theta_layer_free. */
sm_status sm_theta_layer_init(sm_theta_layer *l, int n, int act_basal, int act_apical,
                              uint32_t noise_index, sm_error *err);

/* Frees what sm_theta_layer_init and the add functions allocated (safe on a zeroed layer). */
void sm_theta_layer_free(sm_theta_layer *l);

/* Adds a plastic block reading `src` (n_src rates, not owned, must outlive the layer) to
 * compartment `which`. Weights ~ N(0, (scale / sqrt(n_src))^2), bias column 0, drawn from
 * the sequential stream (seed, SM_STREAM_THETA, SM_THETA_RNG_WEIGHTS << 24 | stream_k).
 * Returns the block (owned by the layer) or NULL (err set) when the compartment is full. */
sm_theta_block *sm_theta_layer_add_input(sm_theta_layer *l, int which, const float *src, int n_src,
                                         int bias, double scale, double eta, uint64_t seed,
                                         uint32_t stream_k, sm_error *err);

/* Adds a fixed identity block (n_src must equal n). */
sm_status sm_theta_layer_add_identity(sm_theta_layer *l, int which, const float *src, int n_src,
                                      sm_error *err);

/* Compartment noise parameters, per step of dt (s): xi <- xi - xi dt/tau
 * + sd sqrt(2 dt/tau) N(0,1). */
typedef struct sm_theta_noise {
    double dt, tau;
    int on; /* 0: xi is still advanced but not added to r_C */
    uint64_t seed;
} sm_theta_noise;

/* What every task model sets up from its gate parameters: the gate (`shape`, not
 * forced), the noise (on, correlation time noise_tau s, keyed by seed) and the step from
 * which an error average starts after a restart (two theta cycles, at least 1). */
void sm_theta_clock_init(sm_theta_gate *gate, sm_theta_noise *noise, int64_t *err_start,
                         const sm_theta_gate *shape, double noise_tau, uint64_t seed);

/* One step of the layer at global step `k` (the noise key): both compartments from the
 * current rates of their sources, noise advanced (and added if noise->on; noise must not be
 * NULL), soma from theta; then the instantaneous error e and its average with time
 * constant tau_err s, whose first value is e at the start_steps-th step since the restart
 * (the reference: t >= 2 / freq). */
void sm_theta_layer_step(sm_theta_layer *l, double theta, const sm_theta_noise *noise, int64_t k,
                         double tau_err, int64_t start_steps);

/* The learning rule for every plastic block (eta != 0) of both compartments, with the
 * soma rates of this step as the target. dt and tau_pi in s. */
void sm_theta_layer_learn(sm_theta_layer *l, double dt, double tau_pi);

/* Restarts the error average (the next value is the first after start_steps steps). */
void sm_theta_err_restart(sm_theta_err *e);

/* Copies all state (rates, noise, weights, P, error) of `src` into `dst`, which must have
 * been built the same way (same sizes and blocks). */
sm_status sm_theta_layer_copy_state(sm_theta_layer *dst, const sm_theta_layer *src, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif

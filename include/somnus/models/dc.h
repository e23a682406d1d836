/* somnus: the Diehl & Cook (2015) unsupervised STDP network (spec diehl-cook.md 1-5).
 *
 * n_in Poisson inputs drive n_exc E neurons through a dense, plastic input->E matrix;
 * E_k excites its partner I_k (one-to-one), which inhibits every E neuron but E_k. The
 * E->I and I->E pathways are two scalars (w_ei, w_ie): this step, E_j receives
 * g_i += w_ie (n_I_spikes - [I_j spiked]), which equals the all-but-self matrix product
 * (tested). Two variants (sm_dc_fidelity):
 *
 *  - SM_DC_CODE (the authors' Brian 1 code, dt 0.5 ms): conductance LIF
 *        v += dt/tau_m ((v_rest - v) + g_e (E_exc - v) + g_i (E_inh - v))
 *        g_e *= 1 - dt/tau_ge,  g_i *= 1 - dt/tau_gi        (forward Euler, as coded)
 *    adaptive threshold: E_j spikes when v > v_thresh + theta_j - theta_offset, theta
 *    decays with tau_theta (Euler) and gains theta_plus per spike; after a spike a
 *    neuron cannot spike for refrac - dt (as Brian 1 blocks it); I neurons are also held
 *    at v_reset through step t0 + refrac/dt, E neurons are not (Brian 1 installs no clamp
 *    for the code's string reset: v integrates freely from v_reset). Per step: integrate,
 * threshold, propagate (targets see the jump next step), STDP (pre then post), reset. Triplet STDP:
 * x_pre (per input), x_post1, x_post2 (per E neuron) are set to 1 on a spike and decay exactly; a
 * pre spike does w -= nu_pre x_post1 over the E neurons whose x_post1 > 1e-12 (active list); an E
 *    spike does w += nu_post x_pre x_post2(before) over its n_in weights; w in [0, w_max].
 *  - SM_DC_BINDSNET (BindsNET's DiehlAndCook2015, dt 1 ms): current LIF,
 *        v = v_rest + (v - v_rest) exp(-dt/tau_m); v += summed input weights (not
 *    refractory); spike when v > v_thresh + theta; at most one E spike per step (the
 *    lowest index among the spikers, BindsNET picks one at random); PostPre STDP
 *    (pre: w -= nu_pre x_post, post: w += nu_post x_pre); inhibition in mV; state but
 *    theta reset before each image.
 *
 * Presentation (sm_dc_present): t_present ms of Poisson input (rate x * r_max *
 * intensity / 2 Hz, x in [0, 1]), then t_rest ms of silence. If fewer than min_spikes E
 * spikes were counted since the last successful check (code: the preceding rest is in
 * the window), the intensity rises by 1 and the image is shown again (max_retries at
 * most); the counts returned are the last presentation's. Before every presentation in
 * training, each E neuron's incoming weights are scaled to sum to norm_sum.
 *
 * Everything is single-threaded except the per-neuron loops above n_exc >= par_min,
 * which split E neurons between OpenMP threads (one region a step, units of 64 neurons
 * balanced between threads of unequal speed: src/models/dc_split.c), and the large
 * plasticity loops; no sum crosses neurons, so results do not depend on the thread
 * count or on which thread ran which neurons. Draws: weights from SM_STREAM_CONNECT,
 * input spikes from SM_STREAM_INPUT keyed by (seed, global step, input), so a repeat
 * sees fresh spikes. Units: ms, mV, Hz.
 */
#ifndef SOMNUS_DC_H
#define SOMNUS_DC_H

#include <stdint.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sm_dc_fidelity { SM_DC_CODE = 0, SM_DC_BINDSNET = 1 } sm_dc_fidelity;
/* SM_DC_TRIPLET: the code's rule (potentiation nu_post x_pre x_post2 just before the spike),
 * which is what Brian 1.4's C STDP runs: it splits the code's ';'-separated statements into
 * per-neuron lines (post2before = post2, post1 = 1, post2 = 1, run first) and per-synapse
 * lines (the w update). SM_DC_POSTPRE: BindsNET's PostPre. SM_DC_PAIR: the triplet rule
 * without x_post2 (w += nu_post x_pre): not the code's rule, kept for comparison. */
typedef enum sm_dc_rule { SM_DC_TRIPLET = 0, SM_DC_POSTPRE = 1, SM_DC_PAIR = 2 } sm_dc_rule;

/* One population's neuron constants. */
typedef struct sm_dc_neuron {
    double v_rest, v_reset, v_thresh, tau_m, refrac;
    double e_exc, e_inh, tau_ge, tau_gi; /* conductance variant only */
} sm_dc_neuron;

/* Every constant of the network (defaults: sm_dc_params_default = the authors' code). */
typedef struct sm_dc_params {
    int n_in, n_exc;
    sm_dc_fidelity fidelity;
    sm_dc_rule rule;
    double dt;
    sm_dc_neuron e, i;
    double v_init_offset; /* initial v = v_rest + this (code: -40) */
    double theta0, theta_plus, tau_theta, theta_offset;
    double w_ei, w_ie;      /* E->I and I->E magnitudes (conductance or mV) */
    double w_init_scale;    /* initial w = scale (u + 0.01), u ~ U[0,1) */
    double w_max, norm_sum; /* weight bound; column sum after normalization */
    double nu_pre, nu_post; /* learning rates */
    double tau_pre, tau_post1, tau_post2;
    double r_max;             /* Hz at x = 1 and intensity 2 */
    double t_present, t_rest; /* ms */
    int min_spikes, max_retries;
    int reset_state;    /* 1: v, g, traces reset before each image (BindsNET) */
    int par_min;        /* n_exc from which loops use OpenMP threads */
    int threads;        /* how many (run.threads; 0: the OpenMP default) */
    int v_clamp;        /* 1: conductance v kept in [E_inh, E_exc] after each Euler step
                           (the code does not; off by default) */
    double input_delay; /* ms: input->E delay of each synapse uniform in [0, this), floored
                           to steps (code: 10; 0 = every input spike lands at once). See
                           sm_dc_step for the STDP timing it implies. */
    int normalize;      /* 1 (code): columns scaled to norm_sum before each learning
                           presentation; 0: never (sleep, if any, is the only regulariser) */
    uint64_t seed;
} sm_dc_params;

/* The network. Public struct of arrays, stable to read; write through the functions. */
typedef struct sm_dc {
    sm_dc_params p;
    int n_pad; /* n_exc rounded up to 16 */
    float *w;  /* n_in x n_pad, row-major by input (row i: input i's weights) */
    float *ve, *gee, *gie, *xpost1, *xpost2; /* E state (n_pad); gee/gie: drive (BindsNET) */
    float *theta; /* adaptive threshold part / theta_scale (n_pad): the decay per
                     step is below a float's ulp, so all of theta decays through
                     one double factor (read through sm_dc_theta) */
    double theta_scale;
    uint8_t *e_mark;       /* E crossed threshold this step (n_pad) */
    float *vi, *gei, *gii; /* I state (n_pad) */
    int32_t *refe, *refi;  /* refractory steps left */
    int64_t *pre_last;     /* n_in: step of each input's last spike (x_pre = 1 then); x_pre
                              decays exactly: pre_tab[age], 0 from age pre_tab_n on */
    float *pre_tab;
    int pre_tab_n;
    int32_t *pre_list; /* inputs that spiked within pre_tab_n steps (some older ones too) */
    uint8_t *pre_listed;
    int n_pre_list;
    int32_t *counts;   /* E spikes this window */
    int32_t *i_counts; /* I spikes this window (reset with counts; sleep does not restore them) */
    int32_t *active;   /* E with x_post1 > 1e-12 */
    int n_active;
    uint8_t *in_active;
    int32_t *in_spk, *e_spk, *i_spk;    /* this step's spikers */
    struct sm_encoder *enc;             /* the rate encoder of io/encode.h */
    int silent;                         /* 1: all rates 0 (no draws) */
    uint8_t *i_mark;                    /* I spiked this step (n_pad) */
    double *colsum;                     /* normalization scratch (n_pad) */
    double *pbuf;                       /* input probabilities scratch (n_in) */
    uint64_t step;                      /* global step counter (input draws) */
    int learning;                       /* 1: STDP and theta dynamics on */
    int64_t n_input_spikes, n_e_spikes; /* totals (events = input spikes x n_exc) */
    int64_t repeats;                    /* failed presentations so far */
    /* input delays (p.input_delay > 0; all NULL / 0 otherwise) */
    uint8_t *delay;    /* n_in x n_pad: delay of each input->E synapse, in steps */
    int n_delay;       /* K: delays are 0..K-1 steps */
    int lag;           /* L: a pre spike's depression runs L steps later (Brian: int(D/dt)+1) */
    int hist_n;        /* H = L + 1: slots of the rings below, indexed by step mod H */
    float *gbuf;       /* K x n_pad (+ zero rows to a multiple of 10): drive due per step */
    float **ring_row;  /* its rows by delay this step (sm_dc_ring_prepare), padding rows last */
    char *ring_val;    /* the delay of each of those rows (255: padding) */
    float *xpre_hist;  /* H x n_in: x_pre at the end of each recent step */
    float *post1_hist; /* H x n_pad: x_post1 at the end of each recent step */
    int32_t *ring_spk; /* H x n_in: input spikes of each recent learning step */
    int32_t *ring_n;   /* H: their counts */
    int32_t *post_nz;  /* E neurons whose x_post1 was nonzero at the end of one of the
                          last H steps (the only ones a delayed depression can change) */
    int n_post_nz;
    uint8_t *post_nz_in;   /* n_pad: listed in post_nz */
    int64_t *post_nz_last; /* n_pad: last step that ended with x_post1 != 0 */
    int32_t *pot_j;        /* n_pad scratch: this step's potentiating E spikers ... */
    float *pot_f;          /* ... and their factors nu_post x_post2 */
    int32_t *post_nz_part; /* n_pad scratch: post_nz sorted by unit of 64 neurons ... */
    int32_t *post_nz_off;  /* ... unit u's entries from post_nz_off[u] (units + 1) */
    /* which E neurons (units of 64) each thread handles in the per-step region
     * (dc_split.c): home runs moved toward the threads' measured speeds, plus stealing;
     * results never depend on it */
    int n_split;                /* threads the home runs are for */
    int32_t *split;             /* n_split + 1 home-run boundaries, in units */
    int64_t *split_done;        /* units each thread did since the last rebalance ... */
    double *busy;               /* ... and the seconds it worked (both stride 8) */
    struct sm_dc_claim *claims; /* n_split: each run's unclaimed units this step */
    int split_steps;            /* steps since the last rebalance */
    /* sleep (dc_sleep.h; all 0 / NULL outside a sleep window) */
    int theta_frozen;   /* 1: theta neither decays nor grows (STDP unaffected) */
    float noise_sigma;  /* mV: Gaussian noise added to every E and I v each step */
    float *noise;       /* 2 n_pad: this step's noise (E, then I), allocated by sleep */
    int map_on;         /* 1: the power-law decay map is owed lazily (dc_sleep.c) */
    int32_t map_k;      /* sleep steps completed in this window */
    int32_t *map_stamp; /* n_in x n_pad: maps already applied to each weight this window */
    double map_lambda, map_target;
} sm_dc;

/* The authors' code (fidelity code, triplet, n_in 784, n_exc 100). */
void sm_dc_params_default(sm_dc_params *p);

/* BindsNET's DiehlAndCook2015 defaults on top of p (keeps n_in, n_exc, seed). */
void sm_dc_params_bindsnet(sm_dc_params *p);

/* Builds the network: weights drawn from (seed, SM_STREAM_CONNECT), state as coded.
 * NULL (err set) on bad parameters or out of memory. */
sm_dc *sm_dc_create(const sm_dc_params *p, sm_error *err);

/* Frees the network (NULL is fine). */
void sm_dc_destroy(sm_dc *net);

/* Scales each E neuron's incoming weights to sum to p.norm_sum (sum over inputs in
 * ascending order, in double). Columns that sum to 0 are left alone. */
void sm_dc_normalize(sm_dc *net);

/* Resets v, conductances, refractory counters and traces to their initial values
 * (theta and weights kept): BindsNET's reset between images. */
void sm_dc_reset_state(sm_dc *net);

/* Sets learning on (STDP, theta increments and decay) or off (frozen, test time). */
void sm_dc_set_learning(sm_dc *net, int on);

/* Sets the input rates: x (n_in values in [0, 1]) at `intensity` (code: starts at 2). */
void sm_dc_set_input(sm_dc *net, const float *x, double intensity);

/* One time step dt with the current input (zero rates: silence).
 * With input delays (p.input_delay > 0) the timing follows Brian 1.4's DelayConnection and
 * its C STDP: input i's spike at step t adds w_ij (the weight at t) to E_j's drive at step
 * t + d_ij; x_pre = 1 at once; the depression w_ij -= nu_pre x_post1_j, with x_post1 as it
 * stood at the end of step t + d_ij, is applied at step t + L; an E spike at step s
 * potentiates w_ij by nu_post x_pre_i(end of step s - 1 - d_ij) x_post2. */
void sm_dc_step(sm_dc *net);

/* Presents one image as described above (normalizing first while learning, if
 * p.normalize); writes the
 * E spike counts of the successful presentation into counts_out (n_exc) and returns the
 * number of failed presentations before it. */
int sm_dc_present(sm_dc *net, const float *x, int32_t *counts_out);

/* sm_dc_present that also writes the I spike counts of the same (successful) presentation
 * window into i_out (n_exc; NULL: not wanted). */
int sm_dc_present_ei(sm_dc *net, const float *x, int32_t *counts_out, int32_t *i_out);

/* Makes dst (built with the same parameters) a frozen copy of src for probing: src's
 * weights and adaptive thresholds, neuron state as at construction, step 0, learning
 * off. Presentations on dst then depend only on src's learned state and the image, not on
 * when the copy was made, and leave src (and its input draws) untouched. */
void sm_dc_copy_learned(sm_dc *dst, const sm_dc *src);

/* The pre-synaptic trace x_pre of input i at the current step. */
float sm_dc_xpre(const sm_dc *net, int i);

/* The adaptive threshold part of E neuron j (mV). */
double sm_dc_theta(const sm_dc *net, int j);

/* Sum of the E thresholds' adaptive parts / n_exc. */
double sm_dc_theta_mean(const sm_dc *net);

#ifdef __cplusplus
}
#endif
#endif

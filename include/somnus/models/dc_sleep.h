/* somnus: sleep for the Diehl & Cook network (spec diehl-cook.md section 7 item 7, E3).
 *
 * A sleep window of S steps: the input layer is silent (no X spike), Gaussian membrane
 * noise (sd sigma mV per step, the kind of the sleep-STDP network: SM_STREAM_NOISE keyed
 * by (global step, neuron), four neighbours per Philox block, Box-Muller) is added to every
 * E and I membrane potential at the start of each step, theta is frozen, STDP stays on,
 * and after each step every X->E weight takes the power-law map of spec sleep-stdp.md 5a
 * toward w_t: |w| <- w_t (|w| / w_t)^lambda (plasticity/sleep.h, sm_sleep_powerlaw_map).
 * The window has a fixed length (the sum-based stop test is meaningless while
 * normalization pins every column to norm_sum); with p.normalize on, the columns are
 * normalized after the window.
 *
 * The map is applied lazily and exactly: k maps in a row equal one map with exponent
 * lambda^k, so each weight keeps the count of maps already applied to it in this window
 * and is brought up to date (in double, rounded to float once) just before STDP changes
 * it, and every weight at the end of the window. With the input silent, X->E STDP acts
 * only through the x_pre traces left from the last image (potentiation by an E spike
 * within ~550 ms of the last input spike), so almost every weight is touched once per
 * window. Weight values differ from a per-step float map in the last bits only.
 *
 * Schedule (sm_dc_sleeper), as the sleep-STDP network's period schedule: after every
 * `period` wake steps (sleep.period, steps of training presentations, rest included) a
 * window of sm_sim_sleep_window steps (round(period x sleep.rate), at most
 * sleep.max_steps) runs, at the end of the presentation in which the count was reached
 * (an image is never cut).
 */
#ifndef SOMNUS_DC_SLEEP_H
#define SOMNUS_DC_SLEEP_H

#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/models/dc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One sleep window's settings. */
typedef struct sm_dc_sleep_params {
    double lambda; /* power-law exponent per step (sleep.lambda, 0.99997) */
    double target; /* w_t > 0 (dc: norm_sum / n_in = 78/784) */
    double sigma;  /* noise sd, mV per step (dc.sleep_sigma) */
    int normalize; /* 1: sm_dc_normalize after the window */
} sm_dc_sleep_params;

/* Runs one sleep window of `steps` steps on a learning network (see above); adds the E
 * spikes fired asleep to *e_spikes (may be NULL). The E spike counts of the image window
 * (net->counts) are kept as they were. SM_ENOMEM (err set) if the scratch cannot be
 * allocated (first call only), SM_EINVAL for a target <= 0 or lambda outside (0, 1]. */
sm_status sm_dc_sleep(sm_dc *net, const sm_dc_sleep_params *sp, int64_t steps, int64_t *e_spikes,
                      sm_error *err);

/* The sleep schedule of one training run. */
typedef struct sm_dc_sleeper {
    sm_dc_sleep_params sp;
    int64_t period, window; /* wake steps between windows; steps per window (0: no sleep) */
    int64_t wake, next;     /* wake steps so far; count at which the next window is due */
    int64_t windows, steps; /* windows and sleep steps run so far */
    int64_t e_spikes;       /* E spikes fired asleep so far */
} sm_dc_sleeper;

/* Starts a schedule: a window of `window` steps after every `period` wake steps
 * (window 0: never). */
void sm_dc_sleeper_init(sm_dc_sleeper *s, const sm_dc_sleep_params *sp, int64_t period,
                        int64_t window);

/* Counts `wake_steps` more wake steps (one training presentation, rest and retries
 * included) and runs every window that became due. Errors as sm_dc_sleep. */
sm_status sm_dc_sleeper_wake(sm_dc_sleeper *s, sm_dc *net, int64_t wake_steps, sm_error *err);

/* Mean E rate while asleep over all windows so far, Hz (NaN before the first window). */
double sm_dc_sleeper_rate_hz(const sm_dc_sleeper *s, const sm_dc *net);

#ifdef __cplusplus
}
#endif
#endif

/* Sleep for the Diehl & Cook network (dc_sleep.h): silent input, membrane noise, frozen
 * theta, STDP on, the lazy power-law map toward w_t, fixed-length windows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/dc_sleep.h"
#include "models/dc_internal.h"

sm_status sm_dc_sleep(sm_dc *net, const sm_dc_sleep_params *sp, int64_t steps, int64_t *e_spikes,
                      sm_error *err)
{
    SM_ERROR_LOCAL(err);
    if (!(sp->target > 0) || !(sp->lambda > 0 && sp->lambda <= 1))
        return sm_error_set(err, SM_EINVAL, "dc sleep: needs target > 0 and lambda in (0, 1]");
    if (steps > INT32_MAX) return sm_error_set(err, SM_EINVAL, "dc sleep: window too long");
    if (steps <= 0) return SM_OK;
    const int np = net->n_pad, n = net->p.n_exc;
    const size_t nw = (size_t)net->p.n_in * np;
    if (!net->noise) net->noise = calloc((size_t)2 * np, sizeof *net->noise);
    if (!net->map_stamp) net->map_stamp = calloc(nw, sizeof *net->map_stamp);
    int32_t *saved = malloc((size_t)n * sizeof *saved);
    if (!net->noise || !net->map_stamp || !saved) {
        free(saved);
        return sm_error_set(err, SM_ENOMEM, "dc sleep: out of memory");
    }
    memcpy(saved, net->counts, (size_t)n * sizeof *saved); /* the image window's counts */
    memset(net->map_stamp, 0, nw * sizeof *net->map_stamp);
    sm_dc_set_input(net, NULL, 0);
    /* v clamped to [E_inh, E_exc] while asleep: unclamped, the Euler overshoot of a large
     * inhibitory volley under noise turns into a runaway (measured: E at 67 Hz asleep and
     * theta_mean 470 mV after 300 training images, sigma 0.5 or 1.5) */
    const int clamp = net->p.v_clamp;
    net->p.v_clamp = 1;
    net->theta_frozen = 1;
    net->noise_sigma = (float)sp->sigma;
    net->map_lambda = sp->lambda;
    net->map_target = sp->target;
    net->map_k = 0;
    net->map_on = 1;
    const int64_t e0 = net->n_e_spikes;
    for (int64_t t = 0; t < steps; t++) {
        sm_dc_step(net); /* STDP of this step sees the weights after t maps */
        net->map_k++;
    }
    sm_dc_map_flush(net);
    net->map_on = 0;
    net->map_k = 0;
    net->theta_frozen = 0;
    net->noise_sigma = 0;
    net->p.v_clamp = clamp;
    if (e_spikes) *e_spikes += net->n_e_spikes - e0;
    memcpy(net->counts, saved, (size_t)n * sizeof *saved);
    free(saved);
    if (sp->normalize) sm_dc_normalize(net);
    return SM_OK;
}

void sm_dc_sleeper_init(sm_dc_sleeper *s, const sm_dc_sleep_params *sp, int64_t period,
                        int64_t window)
{
    memset(s, 0, sizeof *s);
    s->sp = *sp;
    s->period = period > 0 ? period : 1;
    s->window = window > 0 ? window : 0;
    s->next = s->period;
}

sm_status sm_dc_sleeper_wake(sm_dc_sleeper *s, sm_dc *net, int64_t wake_steps, sm_error *err)
{
    s->wake += wake_steps;
    sm_status st = SM_OK;
    while (s->window > 0 && s->wake >= s->next && st == SM_OK) {
        st = sm_dc_sleep(net, &s->sp, s->window, &s->e_spikes, err);
        s->windows++;
        s->steps += s->window;
        s->next += s->period;
    }
    return st;
}

double sm_dc_sleeper_rate_hz(const sm_dc_sleeper *s, const sm_dc *net)
{
    if (s->steps == 0) return NAN;
    return (double)s->e_spikes / ((double)net->p.n_exc * (double)s->steps * net->p.dt / 1000.0);
}

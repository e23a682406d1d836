/* somnus: what is recorded while the network runs.
 *
 *  - spike counts of every E and I neuron since the last reset (one presentation);
 *  - population rates (S, E, I) over each recording interval;
 *  - per-pathway weight statistics (sum of |w|, mean, sd, min, max, fraction at a bound)
 *    at each record;
 *  - with intrinsic plasticity attached (sm_monitor_attach_ip), the mean and sd of the
 *    threshold offset h and the mean gain g of E and I at each record.
 * Records accumulate in memory; the caller reads or writes them at the end.
 */
#ifndef SOMNUS_MONITOR_H
#define SOMNUS_MONITOR_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/network/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statistics of one pathway's weights (signed values; sum_abs is of |w|). */
typedef struct sm_weight_stats {
    int64_t n;
    double sum_abs, mean, sd, min, max;
    double frac_at_bound; /* fraction exactly at the lower or upper bound */
} sm_weight_stats;

enum sm_phase { SM_PHASE_WAKE = 0, SM_PHASE_SLEEP = 1, SM_PHASE_TEST = 2 };

/* One record: the interval (step - steps, step]. */
typedef struct sm_monitor_sample {
    uint64_t step;       /* total steps simulated at the record */
    int64_t wake_steps;  /* wake steps at the record */
    int phase;           /* phase of the last step of the interval */
    int64_t steps;       /* length of the interval */
    int64_t sleep_steps; /* of which asleep */
    double rate_hz[3];   /* mean rate of S, E, I over the interval */
    sm_weight_stats w[SM_N_PATHS];
    /* intrinsic plasticity at the record, [0] E and [1] I (sm_ip_stats); NaN if no rule
     * is attached */
    double ip_h_mean[2], ip_h_sd[2], ip_g_mean[2];
} sm_monitor_sample;

struct sm_ip;

/* A monitor. Stable to read: counts (spikes per E/I neuron since the last reset),
 * records / n_records (the samples), total_spikes, window_steps. Write through the
 * functions below only. */
typedef struct sm_monitor {
    int n_in, n_exc, n_inh;
    double dt;
    float bound_lo[2], bound_hi[2]; /* weight bounds of the exc [0] and inh [1] blocks */
    uint32_t *counts;               /* n_exc + n_inh: spikes since sm_monitor_reset_counts */
    uint64_t window_spikes[3];
    int64_t window_steps, window_sleep_steps;
    sm_monitor_sample *records;
    int64_t n_records, cap_records;
    uint64_t total_spikes[3];
    const struct sm_ip *ip; /* not owned; NULL: no intrinsic plasticity recorded */
} sm_monitor;

/* Creates a monitor for `net` (bounds from stdp.*). Caller destroys. */
sm_monitor *sm_monitor_create(const sm_config *cfg, const sm_net *net, sm_error *err);

/* Frees it (NULL is fine). */
void sm_monitor_destroy(sm_monitor *m);

/* Counts one step's spikes (global ids, ascending). `phase` is enum sm_phase. */
void sm_monitor_step(sm_monitor *m, const int32_t *ids, int n, int phase);

/* Zeroes the per-neuron spike counts (start of a presentation). */
void sm_monitor_reset_counts(sm_monitor *m);

/* Records the h and g statistics of `ip` (not owned: it must outlive the monitor's
 * records) with every later record, and makes sm_monitor_to_json write the columns
 * h_mean_E, h_sd_E, g_mean_E, h_mean_I, h_sd_I, g_mean_I. NULL detaches (no columns). */
void sm_monitor_attach_ip(sm_monitor *m, const struct sm_ip *ip);

/* Computes the weight statistics of every pathway. */
void sm_monitor_weight_stats(const sm_monitor *m, const sm_net *net,
                             sm_weight_stats out[SM_N_PATHS]);

/* Appends a record for the interval since the previous one and starts a new interval.
 * Returns SM_ENUMERIC, naming the pathway and step, if a weight is NaN or infinite. */
sm_status sm_monitor_record(sm_monitor *m, const sm_net *net, uint64_t step, int64_t wake_steps,
                            int phase, sm_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* somnus: the recurrent network's state as JSON for results files. Monitor series are
 * stored column-wise (one array per column), so `pandas.DataFrame(doc["monitor"])` reads
 * them as a table. */
#ifndef SOMNUS_SIM_JSON_H
#define SOMNUS_SIM_JSON_H

#include <jansson.h>

#include "somnus/models/monitor.h"
#include "somnus/models/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight statistics of one pathway as an object. New reference. */
json_t *sm_weight_stats_to_json(const sm_weight_stats *s);

/* The statistics of all four pathways as {"SE": {...}, "EE": ..., "EI": ..., "IE": ...}.
 * New reference. */
json_t *sm_pathway_stats_to_json(const sm_weight_stats s[SM_N_PATHS]);

/* Population sizes and synapse counts (in all and per pathway). New reference. */
json_t *sm_net_to_json(const sm_net *net);

/* The simulation's step counters (steps, wake/sleep/test steps, episodes, converged
 * episodes, normalizations). New reference. */
json_t *sm_sim_counters_to_json(const sm_sim_counters *c);

/* The monitor's records as columns: step, wake_steps, phase, steps, sleep_steps,
 * rate_S_hz, rate_E_hz, rate_I_hz, and <pathway>_<stat> for every pathway (SE, EE, EI,
 * IE) and statistic (sum_abs, mean, sd, min, max, frac_at_bound); with intrinsic
 * plasticity attached (sm_monitor_attach_ip) also h_mean_E, h_sd_E, g_mean_E, h_mean_I,
 * h_sd_I, g_mean_I (null for an empty population). New reference. */
json_t *sm_monitor_to_json(const sm_monitor *m);

#ifdef __cplusplus
}
#endif
#endif

/* Internal: what the stdp training protocol reports about structural plasticity
 * (spec structural.md section 6; train_stdp_struct.c). All of it only when struct.mode is
 * not none, so results without structural plasticity are unchanged. */
#ifndef SOMNUS_TRAIN_STDP_STRUCT_H
#define SOMNUS_TRAIN_STDP_STRUCT_H

#include <jansson.h>
#include <stdint.h>

#include "somnus/io/dataset.h"
#include "somnus/models/sim.h"

/* Events the protocol will run over `wake_steps` wake steps (K of the cosine decay and of
 * the gmp schedule): sleep episodes of the schedule (struct.when = sleep) or multiples of
 * struct.period (when = period). At least 1. */
int64_t sm_struct_predicted_events(const sm_config *cfg, int64_t wake_steps);

/* On-pixels (spec 4.2 R2): pixels whose mean over `ds` exceeds 10% of the largest pixel
 * mean. Writes n_pixels flags to on. */
void sm_struct_on_pixels(const sm_dataset *ds, uint8_t *on);

/* f_on: fraction of S->E synapses whose pre neuron is an on-pixel (NaN without S->E). */
double sm_struct_f_on(const sm_net *net, const uint8_t *on);

/* Appends the evaluation columns sparsity, density_<P>, n_syn_<P>, pruned_<P>, regrown_<P>,
 * turnover_<P> (cumulative regrown / initial count), f_on, regrow_rate (r of the last
 * event; NaN before the first) to the evaluations table. */
void sm_struct_add_columns(const sm_sim *sim, const uint8_t *on, json_t *tab);

/* The structure_events table: one row per event (column arrays). New reference. */
json_t *sm_struct_events_json(const sm_rewire *rw);

#endif

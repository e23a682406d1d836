/* somnus: the complete mutable state of a Diehl & Cook network (dc.h) as one byte block,
 * for checkpoints: weights, neuron and trace state, the input-spike bookkeeping, the delay
 * rings, counters and the global step (which keys the input draws). Constants (the
 * parameters, the delays drawn at creation, x_pre's table) and scratch are not in it: they
 * are rebuilt by sm_dc_create from the same parameters.
 *
 * Save and load between presentations, outside a sleep window (the lazy sleep map must
 * have been settled: sm_dc_state_save refuses otherwise).
 */
#ifndef SOMNUS_DC_STATE_H
#define SOMNUS_DC_STATE_H

#include <stddef.h>

#include "somnus/core/error.h"
#include "somnus/models/dc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of the state block of net (depends on n_in, n_exc and the input delays only). */
size_t sm_dc_state_size(const sm_dc *net);

/* Copies the state into buf (sm_dc_state_size bytes). SM_EINVAL (naming the reason) inside
 * a sleep window, when the state is not complete between steps. */
sm_status sm_dc_state_save(const sm_dc *net, void *buf, sm_error *err);

/* Restores it from buf, written by sm_dc_state_save for a network made with the same
 * parameters. */
void sm_dc_state_load(sm_dc *net, const void *buf);

#ifdef __cplusplus
}
#endif
#endif

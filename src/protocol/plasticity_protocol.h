/* Internal: the input- and label-plasticity protocols (protocol.kind = input | label, spec
 * plasticity-loss.md sections 3-6): a stream of chunks, the accuracy and diagnostics
 * after each, fresh-network references, and the summary auc, pr_final, drop. */
#ifndef SOMNUS_PLASTICITY_PROTOCOL_H
#define SOMNUS_PLASTICITY_PROTOCOL_H

#include <jansson.h>

#include "protocol/train_common.h"

/* The protocol function of protocols.c's table: runs train.model on the stream. */
sm_status sm_protocol_plasticity(const sm_config *cfg, const sm_train_data *data,
                                 sm_train_run_ctx *r, json_t **results, sm_error *err);

/* The SG-SNN on the stream (plasticity_sgsnn.c). Fills the column table `chunks` (one row
 * per chunk and a row 0) and `fin` (auc, pr_final, drop, test_accuracy). */
struct sm_pl_stream;
sm_status sm_pl_run_sgsnn(const sm_config *cfg, const struct sm_pl_stream *s,
                          const sm_train_data *data, sm_train_run_ctx *r, json_t *chunks,
                          json_t *fin, sm_error *err);

/* The STDP network on an input:permute or input:dataset stream (plasticity_stdp.c, spec
 * 3.5); same outputs. */
sm_status sm_pl_run_stdp(const sm_config *cfg, const struct sm_pl_stream *s,
                         const sm_train_data *data, sm_train_run_ctx *r, json_t *chunks,
                         json_t *fin, sm_error *err);

#endif

/* Internal: the table of training protocols `somnus train` can run (protocol.kind). A
 * protocol decides what the model sees and when it is scored (the paper's stationary
 * batches; later non-stationary and continual streams); the model's own training
 * function (train_models.h) does the learning. Adding a protocol is one file and one
 * row here. */
#ifndef SOMNUS_PROTOCOLS_H
#define SOMNUS_PROTOCOLS_H

#include <jansson.h>

#include "protocol/train_common.h"

/* Runs a protocol on prepared data: on success *results is the results document. */
typedef sm_status (*sm_protocol_fn)(const sm_config *cfg, const sm_train_data *data,
                                    sm_train_run_ctx *r, json_t **results, sm_error *err);

/* One row of the protocol table. */
typedef struct sm_protocol {
    int id;                  /* value of protocol.kind */
    const char *name;        /* its name there */
    const char *description; /* one line */
    sm_protocol_fn run;
} sm_protocol;

/* The table and its length. */
const sm_protocol *sm_protocol_table(size_t *count);

/* The row of protocol.kind = id; NULL (err set, naming protocol.kind and the allowed
 * names) if none has that id. */
const sm_protocol *sm_protocol_find(int id, sm_error *err);

#endif

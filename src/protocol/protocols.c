/* The table of training protocols (protocols.h), and the paper's protocol itself. */
#include "protocol/protocols.h"

#include "protocol/continual.h"
#include "protocol/plasticity_protocol.h"
#include "protocol/train_models.h"

/* iid: the model's own training loop on one stationary stream of training images
 * (batches or epochs, evaluations, the final test), spec sleep-stdp.md section 7. */
static sm_status run_iid(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                         json_t **results, sm_error *err)
{
    const sm_train_model *model = sm_train_model_find(cfg->train.model, err);
    if (!model) return SM_EINVAL;
    return model->train(cfg, data, r, results, err);
}

static const sm_protocol PROTOCOLS[] = {
    {SM_PROTOCOL_IID, "iid", "the paper's protocol: stationary training batches, then the test",
     run_iid},
    {SM_PROTOCOL_CONTINUAL, "continual",
     "a stream of tasks (cl.stream) learnt in order, the accuracy matrix R after each task and "
     "its metrics (spec continual.md)",
     sm_protocol_continual},
    {SM_PROTOCOL_INPUT, "input",
     "input plasticity: chunks with a growing or permuted input distribution, accuracy and "
     "diagnostics per chunk (spec plasticity-loss.md)",
     sm_protocol_plasticity},
    {SM_PROTOCOL_LABEL, "label",
     "label plasticity: chunks with a shifting labelling (cyclic, permute, random), accuracy "
     "and diagnostics per chunk (spec plasticity-loss.md)",
     sm_protocol_plasticity},
};

#define N_PROTOCOLS (sizeof PROTOCOLS / sizeof PROTOCOLS[0])

const sm_protocol *sm_protocol_table(size_t *count)
{
    *count = N_PROTOCOLS;
    return PROTOCOLS;
}

const sm_protocol *sm_protocol_find(int id, sm_error *err)
{
    for (size_t i = 0; i < N_PROTOCOLS; i++)
        if (PROTOCOLS[i].id == id) return &PROTOCOLS[i];
    sm_config_bad_choice("protocol.kind", id, err);
    return NULL;
}

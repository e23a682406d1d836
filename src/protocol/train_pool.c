/* sm_train_run with a hook on the trained simulation: what `somnus sweep` needs to save
 * each cell's weights. (Its other need, sm_train_data_from_pool, lives in train.c with
 * the rest of the data preparation.) */
#include "somnus/protocol/train.h"

sm_status sm_train_run_final(const sm_config *cfg, const sm_train_data *data,
                             sm_train_progress_fn progress, void *ctx, sm_train_final_fn final_fn,
                             void *final_ctx, json_t **results, sm_error *err)
{
    const sm_train_options o = {
        .progress = progress, .progress_ctx = ctx, .final_fn = final_fn, .final_ctx = final_ctx};
    return sm_train_run_opts(cfg, data, &o, results, err);
}

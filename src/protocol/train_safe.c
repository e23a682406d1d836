/* The safe model under the iid protocol (train_safe.h): refused with a clear message. */
#include "protocol/train_safe.h"

sm_status sm_train_safe(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                        json_t **results, sm_error *err)
{
    (void)cfg, (void)data, (void)r, (void)results;
    return sm_error_set(err, SM_EINVAL,
                        "train.model=safe: SAFE learns a stream of tasks; set "
                        "protocol.kind=continual");
}

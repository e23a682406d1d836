/* `somnus train --model hopfield`: one configured federation of spec
 * federated-hopfield.md (section 9), hopfield.seeds seeds, for sweeps over hopfield.*. */
#include "protocol/train_hopfield.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/io/results.h"
#include "somnus/models/hopfield_run.h"
#include "protocol/experiments/hopfield_common.h"

sm_status sm_train_hopfield(const sm_config *cfg, const sm_train_data *data, sm_train_run_ctx *r,
                            json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    (void)data;
    if (r->ckpt_path || r->resume_path)
        return sm_error_set(err, SM_EINVAL,
                            "train: the hopfield model has no checkpoints (drop --checkpoint / "
                            "--resume)");
    if (cfg->diag.iid)
        return sm_error_set(err, SM_EINVAL,
                            "diag.iid: not available for train.model=hopfield (a run is "
                            "hopfield.seeds whole federations with no evaluations table to add "
                            "columns to, and no image data for a probe set)");
    const double t0 = sm_train_now();
    const int S = cfg->hopfield.seeds;
    sm_hf_result **res = calloc((size_t)S, sizeof *res);
    if (!res) return sm_error_set(err, SM_ENOMEM, "train: out of memory");
    r->prog = (sm_train_progress){"train", 0, S, 0, S, NAN};
    sm_status st = SM_OK;
    for (int s = 0; s < S && st == SM_OK; s++) {
        st = sm_hf_run(cfg, (uint64_t)cfg->run.seed + (uint64_t)s, &res[s], err);
        if (st != SM_OK) break;
        r->prog.done = s + 1;
        r->prog.batch = s + 1;
        r->prog.last_accuracy = res[s]->retrieval[res[s]->T - 1];
        if (sm_train_report(r)) st = sm_error_set(err, SM_ECANCELED, "train: stopped");
    }
    if (st == SM_OK) {
        json_t *sum = hf_summary(res, S);
        json_t *fin = json_object();
        json_object_set(fin, "final_retrieval", json_object_get(sum, "final_retrieval"));
        json_object_set(fin, "final_retrieval_sd", json_object_get(sum, "final_retrieval_sd"));
        json_object_set(fin, "recall", json_object_get(json_object_get(sum, "final"), "recall"));
        const double wall = sm_train_now() - t0;
        json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:i, s:o, s:o, s:o, s:{s:f, s:f}}",
                                "somnus_version", sm_version(), "command", "train", "model",
                                "hopfield", "seed", (json_int_t)cfg->run.seed, "seeds", S, "config",
                                sm_config_to_json(cfg), "results", sum, "final", fin, "timing",
                                "wall_s", wall, "seconds_per_run", wall / S);
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    for (int s = 0; s < S; s++)
        sm_hf_result_destroy(res[s]);
    free(res);
    return st;
}

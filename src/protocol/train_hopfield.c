/* `somnus train --model hopfield`: one configured federation of spec
 * federated-hopfield.md (section 9), hopfield.seeds seeds, for sweeps over hopfield.*. */
#include "protocol/train_hopfield.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/io/results.h"
#include "somnus/models/hopfield_run.h"
#include "protocol/diag_hopfield.h"
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
    const double t0 = sm_train_now(), c0 = sm_train_cpu_now();
    const int S = cfg->hopfield.seeds;
    sm_hf_result **res = calloc((size_t)S, sizeof(sm_hf_result *));
    sm_diag_hopfield **dg = calloc((size_t)S, sizeof(sm_diag_hopfield *)); /* diag.iid, per seed */
    if (!res || !dg) {
        free(res);
        free(dg);
        return sm_error_set(err, SM_ENOMEM, "train: out of memory");
    }
    r->prog = (sm_train_progress){"train", 0, S, 0, S, NAN};
    sm_status st = SM_OK;
    double diag_s = 0, diag_cpu_s = 0;
    for (int s = 0; s < S && st == SM_OK; s++) {
        const uint64_t seed = (uint64_t)cfg->run.seed + (uint64_t)s;
        if (!(dg[s] = calloc(1, sizeof *dg[s]))) {
            st = sm_error_set(err, SM_ENOMEM, "train: out of memory");
            break;
        }
        st = sm_diag_hopfield_init(dg[s], cfg, seed, sm_diag_every(cfg, 0), err);
        if (st != SM_OK) break;
        const sm_hf_observer obs = sm_diag_hopfield_observer(dg[s]);
        st = sm_hf_run_observed(cfg, seed, dg[s]->n ? &obs : NULL, &res[s], err);
        if (st != SM_OK) break;
        diag_s += dg[s]->seconds;
        diag_cpu_s += dg[s]->cpu_seconds;
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
        if (doc && dg[0]->n) { /* diag.iid: the per-round table, timing without it */
            json_t *ev = sm_diag_hopfield_mean_table(dg, S);
            json_t *tm = json_object_get(doc, "timing");
            json_object_set_new(doc, "evaluations", ev ? ev : json_null());
            json_object_set_new(tm, "diag_s", json_real(diag_s));
            json_object_set_new(tm, "diag_cpu_s", json_real(diag_cpu_s));
            json_object_set_new(tm, "train_s", json_real(wall - diag_s));
            json_object_set_new(tm, "train_cpu_s", json_real(sm_train_cpu_now() - c0 - diag_cpu_s));
            sm_diag_hopfield_export(dg[0], r->array_fn, r->array_ctx);
        }
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "train: cannot build the results document");
        *results = doc;
    }
    for (int s = 0; s < S; s++) {
        sm_hf_result_destroy(res[s]);
        if (dg[s]) sm_diag_hopfield_free(dg[s]);
        free(dg[s]);
    }
    free(res);
    free(dg);
    return st;
}

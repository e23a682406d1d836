/* The input- and label-plasticity protocols (plasticity_protocol.h). */
#include "protocol/plasticity_protocol.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/io/results.h"
#include "protocol/plasticity_stream.h"

sm_status sm_protocol_plasticity(const sm_config *cfg, const sm_train_data *data,
                                 sm_train_run_ctx *r, json_t **results, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int stdp = cfg->train.model == SM_MODEL_STDP;
    if (cfg->train.model != SM_MODEL_SGSNN && !stdp)
        return sm_error_set(err, SM_EINVAL, "protocol.kind=%s: train.model must be sgsnn or stdp",
                            cfg->protocol.kind == SM_PROTOCOL_INPUT ? "input" : "label");
    if (stdp && cfg->protocol.kind == SM_PROTOCOL_LABEL)
        return sm_error_set(err, SM_EINVAL,
                            "protocol.kind=label: train.model=stdp has no label plasticity to "
                            "measure (labels never reach STDP, spec plasticity-loss.md 3.5); use "
                            "protocol.kind=input with protocol.input_shift=permute or "
                            "dataset:NAME,NAME,...");
    if (cfg->diag.grad_starved && stdp)
        return sm_error_set(err, SM_EINVAL,
                            "diag.grad_starved: the STDP network has no gradient (SG-SNN only)");
    sm_pl_stream s;
    sm_status st = sm_pl_stream_init(&s, cfg, data, err);
    json_t *chunks = json_object(), *fin = json_object();
    const double t0 = sm_train_now();
    if (st == SM_OK)
        st = (stdp ? sm_pl_run_stdp : sm_pl_run_sgsnn)(cfg, &s, data, r, chunks, fin, err);
    if (st == SM_OK) {
        json_t *doc =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:O, s:O, s:{s:f}}", "somnus_version",
                      sm_version(), "command", "train", "model", stdp ? "stdp" : "sgsnn",
                      "protocol", sm_pl_stream_name(&s), "seed", (json_int_t)cfg->run.seed,
                      "config", sm_config_to_json(cfg), "data", sm_train_data_json(data), "chunks",
                      chunks, "final", fin, "timing", "wall_s", sm_train_now() - t0);
        if (!doc) st = sm_error_set(err, SM_EINTERNAL, "plasticity: cannot build the results");
        *results = doc;
        if (s.perm && r->array_fn) /* --export: the pixel permutations, K x n_in */
            r->array_fn(r->array_ctx, "permutations", 2, (size_t)s.K, (size_t)s.D, s.perm);
    }
    json_decref(chunks);
    json_decref(fin);
    sm_pl_stream_free(&s);
    return st;
}

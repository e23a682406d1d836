/* The table of trainable models: one row per model family (train_models.h). */
#include "protocol/train_models.h"

#include "protocol/train_dc.h"
#include "protocol/train_disinh.h"
#include "protocol/train_hopfield.h"
#include "protocol/train_ppg.h"
#include "protocol/train_safe.h"
#include "protocol/train_sgsnn.h"
#include "protocol/train_stdp.h"
#include "protocol/train_theta.h"

static const sm_train_model MODELS[] = {
    {SM_MODEL_STDP, "stdp", "recurrent E/I LIF network with STDP and sleep (Massey et al. 2026)", 1,
     1, sm_train_stdp, 0},
    {SM_MODEL_SGSNN, "sgsnn", "surrogate-gradient SNN baseline trained by BPTT (spec 8)", 0, 1,
     sm_train_sgsnn, 0},
    {SM_MODEL_DISINH, "disinh",
     "rate E/I network trained by dis-inhibitory control of the plasticity sign (Rossbroich & "
     "Zenke 2023), or BP on the same code path (disinh.rule)",
     0, 1, sm_train_disinh, 0},
    {SM_MODEL_HOPFIELD, "hopfield",
     "federated many-to-one Hopfield memory: Hebbian client operators, server sharpening, "
     "spectral cut and TAM retrieval (Alessandrelli et al. 2026; hopfield.*)",
     0, 0, sm_train_hopfield, 0},
    {SM_MODEL_PPG, "ppg",
     "Poisson-Gamma mixture with soft WTA and intrinsic plasticity (Monk, Savin & Luecke 2016), "
     "or the Poisson mixture on the same code path (ppg.shape = off/poisson)",
     0, 1, sm_train_ppg, 0},
    {SM_MODEL_THETA, "theta",
     "theta-gated two-compartment rate network learning by dendritic prediction (George et al. "
     "2023): one seed of theta.task (latents | pathint) on inputs it generates",
     0, 0, sm_train_theta, 0},
    {SM_MODEL_DC, "dc",
     "Diehl & Cook 2015: Poisson inputs, conductance LIF with adaptive threshold, soft "
     "winner-take-all, triplet STDP, label assignment (spec diehl-cook.md)",
     0, 1, sm_train_dc, 1},
    {SM_MODEL_SAFE, "safe",
     "SAFE: slow and fast SSF learners with ridge heads on a frozen pretrained SG-SNN layer "
     "(Zhao et al. 2024; protocol.kind=continual only, spec continual.md 5)",
     0, 1, sm_train_safe, 0},
};

const sm_train_model *sm_train_model_table(size_t *count)
{
    *count = sizeof MODELS / sizeof MODELS[0];
    return MODELS;
}

const sm_train_model *sm_train_model_find(int id, sm_error *err)
{
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0]; i++)
        if (MODELS[i].id == id) return &MODELS[i];
    sm_config_bad_choice("train.model", id, err);
    return NULL;
}

/* Shared parts of a continual run's results (continual_results.h). */
#include "protocol/continual_results.h"

#include <math.h>

#include "somnus/analysis/continual_metrics.h"
#include "somnus/core/config.h"
#include "protocol/train_common.h"

const char *sm_cl_scenario_name(int scenario)
{
    return scenario == SM_CL_TASK ? "task" : scenario == SM_CL_DOMAIN ? "domain" : "class";
}

json_t *sm_cl_matrix_json(const double *m, int rows, int cols)
{
    json_t *a = json_array();
    for (int i = 0; a && i < rows; i++) {
        json_t *row = json_array();
        for (int j = 0; j < cols; j++)
            json_array_append_new(row, sm_train_real(m[(size_t)i * (size_t)cols + (size_t)j]));
        json_array_append_new(a, row);
    }
    return a;
}

json_t *sm_cl_readout_json(const double *R, int T, const double *w)
{
    sm_cl_metrics m;
    if (sm_cl_metrics_compute(R, T, w, &m, NULL) != SM_OK)
        m = (sm_cl_metrics){NAN, NAN, NAN, NAN, NAN, NAN};
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "R", sm_cl_matrix_json(R, T + 1, T),
                     "acc", sm_train_real(m.acc), "aia", sm_train_real(m.aia), "bwt",
                     sm_train_real(m.bwt), "forgetting", sm_train_real(m.forgetting), "fwt",
                     sm_train_real(m.fwt), "plasticity", sm_train_real(m.plasticity));
}

/* Coincidence scores of structural regrowth (spec structural.md section 4, "Regrowth
 * score"): dense vector adds, G by post spikes (a column of pre traces), H by pre spikes
 * (a row of post traces). Serial: a step has a few spikes and the adds are contiguous. */
#include <string.h>

#include "somnus/plasticity/rewire.h"

/* Global index of the first post neuron of pathway p's post population. */
static int post_global0(const sm_rewire *rw, const sm_rewire_path *pp)
{
    return rw->n_in + pp->post0;
}

static void add_vec(float *restrict dst, const float *restrict src, int n)
{
    for (int k = 0; k < n; k++)
        dst[k] += src[k];
}

void sm_rewire_observe(sm_rewire *rw, const int32_t *ids, int n, int score)
{
    float *restrict x = rw->x;
    const float d = rw->decay_x;
    for (int g = 0; g < rw->n_total; g++)
        x[g] *= d;
    for (int k = 0; k < n; k++)
        x[ids[k]] += 1.0f;
    if (!score) return;
    for (int p = 0; p < SM_N_PATHS; p++) {
        sm_rewire_path *pp = &rw->path[p];
        if (!pp->on) continue;
        const int q0 = post_global0(rw, pp);
        for (int k = 0; k < n; k++) {
            const int g = ids[k];
            if (g >= pp->pre0 && g < pp->pre0 + pp->n_pre) /* pre spike: H row += x_post */
                add_vec(pp->h + (size_t)(g - pp->pre0) * (size_t)pp->n_post, x + q0, pp->n_post);
            if (g >= q0 && g < q0 + pp->n_post) /* post spike: G column += x_pre */
                add_vec(pp->g + (size_t)(g - q0) * (size_t)pp->n_pre, x + pp->pre0, pp->n_pre);
        }
    }
}

void sm_rewire_reset_scores(sm_rewire *rw)
{
    for (int p = 0; p < SM_N_PATHS; p++) {
        sm_rewire_path *pp = &rw->path[p];
        if (!pp->on) continue;
        const size_t n = (size_t)pp->n_pre * (size_t)pp->n_post;
        memset(pp->g, 0, n * sizeof *pp->g);
        memset(pp->h, 0, n * sizeof *pp->h);
    }
}

float sm_rewire_score(const sm_rewire *rw, int p, int j, int i)
{
    const sm_rewire_path *pp = &rw->path[p];
    const float g = pp->g[(size_t)i * (size_t)pp->n_pre + (size_t)j];
    const float h = pp->h[(size_t)j * (size_t)pp->n_post + (size_t)i];
    switch (rw->regrow) {
    case SM_REGROW_COINCIDENCE: return g + h;
    case SM_REGROW_STDP: return rw->published_sign ? h - g : g - h;
    default: return 0.0f;
    }
}

/* Resets, shrink-and-perturb and ReDo for the SG-SNN (sgsnn_remedy.h, spec
 * plasticity-loss.md 2.4; Nikishin et al. 2022, Ash and Adams 2020, Sokar et al. 2023). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"
#include "somnus/models/sgsnn_remedy.h"

/* Uniform in [-bound, bound] from the generator. */
static float draw(sm_rng *r, float bound)
{
    return (float)((2 * sm_rng_uniform(r) - 1) * bound);
}

void sm_sgsnn_reinit_layer(sm_sgsnn *net, int layer, double alpha, uint64_t seed, uint32_t key)
{
    if (alpha >= 1) return;
    sm_sgsnn_layer v = sm_sgsnn_get_layer(net, layer);
    if (!v.w) return;
    const float bound = 1.0f / sqrtf((float)v.cols), a = (float)alpha;
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_PLASTICITY, key);
    const size_t nw = (size_t)v.rows * v.cols;
    for (size_t i = 0; i < nw; i++)
        v.w[i] = a * v.w[i] + (1 - a) * draw(&r, bound);
    for (int i = 0; i < v.rows; i++)
        v.b[i] = a * v.b[i] + (1 - a) * draw(&r, bound);
    if (alpha > 0) return; /* shrink and perturb keeps the optimiser's state */
    for (int which = 0; which < 2; which++) {
        sm_sgsnn_layer m = sm_sgsnn_get_moment(net, layer, which);
        memset(m.w, 0, nw * sizeof(float));
        memset(m.b, 0, (size_t)v.rows * sizeof(float));
    }
}

int sm_sgsnn_redo(sm_sgsnn *net, const float *hidden_counts, int n, double tau, uint64_t seed,
                  uint32_t key)
{
    sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 0), l2 = sm_sgsnn_get_layer(net, 1);
    const int H = l1.rows, D = l1.cols, O = l2.rows;
    double *mean = calloc((size_t)H, sizeof *mean);
    if (!mean || n < 1) {
        free(mean);
        return 0;
    }
    double layer = 0;
    for (int x = 0; x < n; x++)
        for (int h = 0; h < H; h++)
            mean[h] += hidden_counts[(size_t)x * H + h];
    for (int h = 0; h < H; h++)
        layer += mean[h];
    layer /= H;
    const float bound = 1.0f / sqrtf((float)D);
    sm_sgsnn_layer m1[2] = {sm_sgsnn_get_moment(net, 0, 0), sm_sgsnn_get_moment(net, 0, 1)};
    sm_sgsnn_layer m2[2] = {sm_sgsnn_get_moment(net, 1, 0), sm_sgsnn_get_moment(net, 1, 1)};
    int count = 0;
    for (int h = 0; h < H; h++) {
        if (!(layer <= 0 || mean[h] / layer <= tau)) continue;
        sm_rng r; /* one generator per neuron: the draw does not depend on the others */
        sm_rng_init(&r, seed ^ ((uint64_t)h << 40), SM_STREAM_PLASTICITY, key);
        for (int j = 0; j < D; j++)
            l1.w[(size_t)h * D + j] = draw(&r, bound);
        l1.b[h] = draw(&r, bound);
        for (int which = 0; which < 2; which++) {
            memset(m1[which].w + (size_t)h * D, 0, (size_t)D * sizeof(float));
            m1[which].b[h] = 0;
            for (int o = 0; o < O; o++)
                m2[which].w[(size_t)o * H + h] = 0;
        }
        for (int o = 0; o < O; o++)
            l2.w[(size_t)o * H + h] = 0;
        count++;
    }
    free(mean);
    return count;
}

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
    /* LayerNorm belongs to the first layer: gain back toward 1, shift toward 0 */
    sm_sgsnn_layer ln = layer == 0 ? sm_sgsnn_get_norm(net, 0) : (sm_sgsnn_layer){0};
    for (int i = 0; ln.w && i < ln.rows; i++) {
        ln.w[i] = a * ln.w[i] + (1 - a);
        ln.b[i] = a * ln.b[i];
    }
    if (alpha > 0) return; /* shrink and perturb keeps the optimiser's state */
    for (int which = 0; which < 2; which++) {
        sm_sgsnn_layer m = sm_sgsnn_get_moment(net, layer, which);
        memset(m.w, 0, nw * sizeof(float));
        memset(m.b, 0, (size_t)v.rows * sizeof(float));
        sm_sgsnn_layer lm = layer == 0 ? sm_sgsnn_get_norm(net, 2 + which) : (sm_sgsnn_layer){0};
        if (lm.w) {
            memset(lm.w, 0, (size_t)lm.rows * sizeof(float));
            memset(lm.b, 0, (size_t)lm.rows * sizeof(float));
        }
    }
}

/* Zeroes column h of layer 1's weights and of their Adam moments. */
static void zero_column(sm_sgsnn *net, int h)
{
    for (int which = -1; which < 2; which++) {
        sm_sgsnn_layer v =
            which < 0 ? sm_sgsnn_get_layer(net, 1) : sm_sgsnn_get_moment(net, 1, which);
        for (int o = 0; o < v.rows; o++)
            v.w[(size_t)o * v.cols + h] = 0;
    }
}

int sm_sgsnn_redo(sm_sgsnn *net, const float *hidden_counts, int n, double tau, uint64_t seed,
                  uint32_t key)
{
    /* layer 0 has U rows; the first hidden layer has H = U neurons, or 2U with ON/OFF
     * (neurons j and U + j share row j) */
    sm_sgsnn_layer l1 = sm_sgsnn_get_layer(net, 0);
    const int U = l1.rows, D = l1.cols, H = sm_sgsnn_get_params(net)->n_hidden;
    const int pair = H != U;
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
    int count = 0;
    for (int j = 0; j < U; j++) {
        int dormant = layer <= 0 || mean[j] / layer <= tau;
        if (pair) dormant = dormant && (layer <= 0 || mean[U + j] / layer <= tau);
        if (!dormant) continue;
        sm_rng r; /* one generator per row: the draw does not depend on the others */
        sm_rng_init(&r, seed ^ ((uint64_t)j << 40), SM_STREAM_PLASTICITY, key);
        for (int i = 0; i < D; i++)
            l1.w[(size_t)j * D + i] = draw(&r, bound);
        l1.b[j] = draw(&r, bound);
        for (int which = 0; which < 2; which++) {
            memset(m1[which].w + (size_t)j * D, 0, (size_t)D * sizeof(float));
            m1[which].b[j] = 0;
        }
        zero_column(net, j);
        if (pair) zero_column(net, U + j);
        count += 1 + pair;
    }
    free(mean);
    return count;
}

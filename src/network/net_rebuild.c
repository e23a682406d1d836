/* CSR rebuild after a structural event (spec structural.md 4.1, layout = rebuild): the
 * new network is built from the edge list by the same counting sort as a loaded network,
 * then its arrays replace the old ones, so every pointer to `net` stays valid. */
#include <stdlib.h>

#include "somnus/network/net.h"

/* Exchange one array pointer between two networks (a function per element type; written
 * out, since a type cannot be a parenthesized macro argument). */
static void swap_i64(int64_t **a, int64_t **b)
{
    int64_t *t = *a;
    *a = *b;
    *b = t;
}

static void swap_i32(int32_t **a, int32_t **b)
{
    int32_t *t = *a;
    *a = *b;
    *b = t;
}

static void swap_u32(uint32_t **a, uint32_t **b)
{
    uint32_t *t = *a;
    *a = *b;
    *b = t;
}

static void swap_f32(float **a, float **b)
{
    float *t = *a;
    *a = *b;
    *b = t;
}

static void swap_u8(uint8_t **a, uint8_t **b)
{
    uint8_t *t = *a;
    *a = *b;
    *b = t;
}

sm_status sm_net_rebuild(sm_net *net, int64_t n_edges, const int32_t *pre, const int32_t *post,
                         const float *w, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_net *fresh = sm_net_from_edges(net->n_in, net->n_exc, net->n_inh, n_edges, pre, post, w,
                                      net->plastic, err);
    if (!fresh) return err->code;
    swap_i64(&net->row, &fresh->row);
    swap_i32(&net->post, &fresh->post);
    swap_f32(&net->w, &fresh->w);
    swap_u8(&net->pathway, &fresh->pathway);
    swap_i64(&net->in_row, &fresh->in_row);
    swap_u32(&net->in_syn, &fresh->in_syn);
    swap_i32(&net->in_pre, &fresh->in_pre);
    net->n_syn = fresh->n_syn;
    net->exc_end = fresh->exc_end;
    for (int p = 0; p < SM_N_PATHS; p++)
        net->path_count[p] = fresh->path_count[p];
    sm_net_destroy(fresh); /* now holds the old arrays */
    return SM_OK;
}

/* The Diehl & Cook network's state block (dc_state.h): one table of its parts, read by the
 * size, save and load functions alike, so the three cannot disagree. */
#include "somnus/models/dc_state.h"

#include <string.h>

/* One part of the state: where it lives and how many bytes. */
typedef struct part {
    void *p;
    size_t bytes;
} part;

#define MAX_PARTS 64

/* The parts of net's state, in block order; returns how many. */
static int parts(const sm_dc *cnet, part *t)
{
    sm_dc *net = (sm_dc *)(uintptr_t)cnet; /* the table serves load as well as save */
    const size_t np = (size_t)net->n_pad, ni = (size_t)net->p.n_in, f = sizeof(float);
    const size_t i32 = sizeof(int32_t), i64 = sizeof(int64_t);
    int n = 0;
#define PART(ptr, b) (t[n++] = (part){(void *)(ptr), (b)})
    PART(net->w, ni * np * f);
    float *fs[] = {net->ve,    net->gee, net->gie, net->xpost1, net->xpost2,
                   net->theta, net->vi,  net->gei, net->gii};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++)
        PART(fs[k], np * f);
    int32_t *is[] = {net->refe, net->refi, net->counts, net->active, net->e_spk, net->i_spk};
    for (size_t k = 0; k < sizeof is / sizeof is[0]; k++)
        PART(is[k], np * i32);
    PART(net->e_mark, np);
    PART(net->in_active, np);
    PART(net->i_mark, np);
    PART(net->pre_last, ni * i64);
    PART(net->pre_list, ni * i32);
    PART(net->pre_listed, ni);
    PART(net->in_spk, ni * i32);
    if (net->delay) { /* the rings of in-flight drive and recent history */
        const size_t h = (size_t)net->hist_n;
        PART(net->gbuf, (size_t)net->n_delay * np * f);
        PART(net->xpre_hist, h * ni * f);
        PART(net->post1_hist, h * np * f);
        PART(net->ring_spk, h * ni * i32);
        PART(net->ring_n, h * i32);
        PART(net->post_nz, np * i32);
        PART(net->post_nz_in, np);
        PART(net->post_nz_last, np * i64);
    }
    PART(&net->theta_scale, sizeof net->theta_scale);
    PART(&net->n_pre_list, sizeof net->n_pre_list);
    PART(&net->n_active, sizeof net->n_active);
    PART(&net->n_post_nz, sizeof net->n_post_nz);
    PART(&net->silent, sizeof net->silent);
    PART(&net->learning, sizeof net->learning);
    PART(&net->step, sizeof net->step);
    PART(&net->n_input_spikes, sizeof net->n_input_spikes);
    PART(&net->n_e_spikes, sizeof net->n_e_spikes);
    PART(&net->repeats, sizeof net->repeats);
    PART(&net->theta_frozen, sizeof net->theta_frozen);
#undef PART
    return n;
}

size_t sm_dc_state_size(const sm_dc *net)
{
    part t[MAX_PARTS];
    const int n = parts(net, t);
    size_t s = 0;
    for (int k = 0; k < n; k++)
        s += t[k].bytes;
    return s;
}

sm_status sm_dc_state_save(const sm_dc *net, void *buf, sm_error *err)
{
    if (net->map_on || net->noise_sigma > 0)
        return sm_error_set(err, SM_EINVAL,
                            "dc: the state cannot be saved inside a sleep window (a checkpoint "
                            "is taken between presentations)");
    part t[MAX_PARTS];
    const int n = parts(net, t);
    unsigned char *b = buf;
    for (int k = 0; k < n; k++) {
        memcpy(b, t[k].p, t[k].bytes);
        b += t[k].bytes;
    }
    return SM_OK;
}

void sm_dc_state_load(sm_dc *net, const void *buf)
{
    part t[MAX_PARTS];
    const int n = parts(net, t);
    const unsigned char *b = buf;
    for (int k = 0; k < n; k++) {
        memcpy(t[k].p, b, t[k].bytes);
        b += t[k].bytes;
    }
}

/* Input->E delays of the Diehl & Cook network, as the authors' code runs them: a Brian 1.4
 * DelayConnection (delays uniform in [0, 10 ms), floored to steps) with the C STDP class,
 * which reads the traces of the other side at the moment a spike reaches the synapse
 * (brian/experimental/c_stdp.py, DelayConnection branch). Timing in dc.h, sm_dc_step. */
#include <math.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "somnus/core/threads.h"
#include "somnus/core/rng.h"
#include "models/dc_internal.h"

/* Key of the delay draws in SM_STREAM_CONNECT: above every weight key (input index). */
#define DC_DELAY_KEY (UINT64_C(1) << 40)

/* Slot of step `s` in a ring of n (s may be negative at the start: earlier steps read the
 * zeroed slots, i.e. no spikes before step 0). */
static inline int slot_of(int64_t s, int n)
{
    const int64_t m = s % n;
    return (int)(m < 0 ? m + n : m);
}

/* Rows of gbuf past the K ring slots: deliver_group reads and writes 10 slots at a time,
 * and these rows (no synapse's delay) stay 0. Delays are < K <= 255 (uint8), so 255 is
 * free to mark them. */
#define DC_RING_GROUP 10
static int ring_rows(int k)
{
    return (k + DC_RING_GROUP - 1) / DC_RING_GROUP * DC_RING_GROUP;
}

static void *zalloc(size_t bytes)
{
    return calloc(bytes ? bytes : 1, 1);
}

void sm_dc_delays_free(sm_dc *net)
{
    void *arrs[] = {net->delay,        net->gbuf,     net->xpre_hist, net->post1_hist,
                    net->ring_spk,     net->ring_n,   net->post_nz,   net->post_nz_in,
                    net->post_nz_last, net->pot_j,    net->pot_f,     net->post_nz_part,
                    net->post_nz_off,  net->ring_row, net->ring_val};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(arrs[k]);
}

/* Delay of one synapse: floor(u * D/dt), u uniform in [0, 1), as Brian's rand() * max /
 * dt truncated (D/dt = 20 gives 0..19). */
static void draw_delays(sm_dc *net, double span)
{
    const sm_dc_params *p = &net->p;
    const int np = net->n_pad;
    for (int i = 0; i < p->n_in; i++)
        for (int j = 0; j < p->n_exc; j += 4) {
            sm_rng_words b = sm_rng_block(p->seed, SM_STREAM_CONNECT, DC_DELAY_KEY + (uint64_t)i,
                                          (uint32_t)j / 4);
            for (int t = 0; t < 4 && j + t < p->n_exc; t++) {
                int d = (int)floor(sm_u01(b.w[t]) * span);
                net->delay[(size_t)i * np + j + t] =
                    (uint8_t)(d < net->n_delay ? d : net->n_delay - 1);
            }
        }
}

int sm_dc_delays_init(sm_dc *net)
{
    const sm_dc_params *p = &net->p;
    if (!(p->input_delay > 0)) return 1;
    const double span = p->input_delay / p->dt;
    net->n_delay = (int)ceil(span - 1e-9);
    if (net->n_delay < 1) net->n_delay = 1;
    if (net->n_delay > 255) return 0; /* config caps the delay; uint8 per synapse */
    net->lag = (int)floor(span + 1e-9) + 1;
    net->hist_n = net->lag + 1;
    const size_t np = (size_t)net->n_pad, nin = (size_t)p->n_in, h = (size_t)net->hist_n;
    net->delay = zalloc(nin * np);
    net->gbuf = zalloc((size_t)ring_rows(net->n_delay) * np * sizeof(float));
    net->xpre_hist = zalloc(h * nin * sizeof(float));
    net->post1_hist = zalloc(h * np * sizeof(float));
    net->ring_spk = zalloc(h * nin * sizeof(int32_t));
    net->ring_n = zalloc(h * sizeof(int32_t));
    net->post_nz = zalloc(np * sizeof(int32_t));
    net->post_nz_in = zalloc(np);
    net->post_nz_last = zalloc(np * sizeof(int64_t));
    net->pot_j = zalloc(np * sizeof(int32_t));
    net->pot_f = zalloc(np * sizeof(float));
    net->post_nz_part = zalloc(np * sizeof(int32_t));
    net->post_nz_off = zalloc(((size_t)sm_dc_split_units(net) + 1) * sizeof(int32_t));
    const int rr = ring_rows(net->n_delay);
    net->ring_row = zalloc((size_t)rr * sizeof(float *));
    net->ring_val = zalloc((size_t)rr);
    if (!net->delay || !net->gbuf || !net->xpre_hist || !net->post1_hist || !net->ring_spk ||
        !net->ring_n || !net->post_nz || !net->post_nz_in || !net->post_nz_last || !net->pot_j ||
        !net->pot_f || !net->post_nz_part || !net->post_nz_off || !net->ring_row || !net->ring_val)
        return 0;
    for (int d = 0; d < rr; d++)
        net->ring_val[d] = (char)(d < net->n_delay ? d : 255);
    draw_delays(net, span);
    return 1;
}

/* The lists (post_nz, pre_list) are kept: they may then hold more than needed, which is
 * exact (a listed entry whose history reads 0 changes nothing). */
void sm_dc_delays_clear_history(sm_dc *net)
{
    if (!net->delay) return;
    const size_t h = (size_t)net->hist_n;
    memset(net->xpre_hist, 0, h * (size_t)net->p.n_in * sizeof(float));
    memset(net->post1_hist, 0, h * (size_t)net->n_pad * sizeof(float));
    memset(net->ring_n, 0, h * sizeof(int32_t));
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* Adds the step's spikes to the ring slots of relative delays d0..d0+9 for 16 E neurons
 * at j: the 10 slots stay in registers while every spike's row adds to the lanes whose
 * delay matches (a masked add; other lanes keep their value exactly). Each ring float
 * gets the same adds in the same spike order as one add per synapse, so the result is
 * bitwise the scalar loop's, without a gather or scatter (a scatter per 16 synapses was
 * 55% of a 6,400-E step and scaled badly across cores). Groups of 10: the default 20
 * slots in two groups, with registers to spare (measured: 8 and 20 were slower). */
#define DC_LOAD(q) __m512 a##q = _mm512_loadu_ps(r[q] + j);
#define DC_ADD(q)                                                                                  \
    a##q = _mm512_mask_add_ps(a##q, _mm_cmpeq_epi8_mask(dl, _mm_set1_epi8(v[q])), a##q, x);
#define DC_STORE(q) _mm512_storeu_ps(r[q] + j, a##q);
#define DC_GROUP(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9)
static void deliver_group(const sm_dc *net, int n_spk, float *const *r, const char *v, int j)
{
    const int np = net->n_pad;
    DC_GROUP(DC_LOAD)
    for (int s = 0; s < n_spk; s++) {
        const size_t off = (size_t)net->in_spk[s] * np + (size_t)j;
        const __m512 x = _mm512_loadu_ps(net->w + off);
        const __m128i dl = _mm_loadu_si128((const __m128i *)(const void *)(net->delay + off));
        DC_GROUP(DC_ADD)
    }
    DC_GROUP(DC_STORE)
}
#undef DC_LOAD
#undef DC_ADD
#undef DC_STORE
#undef DC_GROUP

/* The step's spikes into the ring, E neurons [j0, j1) (multiples of 16: n_pad is). */
static void deliver_spikes(const sm_dc *net, int n_spk, int j0, int j1)
{
    const int R = ring_rows(net->n_delay);
    for (int j = j0; j < j1; j += 16)
        for (int g = 0; g < R; g += DC_RING_GROUP)
            deliver_group(net, n_spk, net->ring_row + g, net->ring_val + g, j);
}
#else
/* Portable: one add per synapse into the slot of its delay, spike by spike. */
static void deliver_spikes(const sm_dc *net, int n_spk, int j0, int j1)
{
    const int np = net->n_pad;
    float *const *rows = net->ring_row;
    for (int k = 0; k < n_spk; k++) {
        const size_t off = (size_t)net->in_spk[k] * np;
        const float *restrict row = net->w + off;
        const uint8_t *restrict d = net->delay + off;
        for (int j = j0; j < j1; j++)
            rows[d[j]][j] += row[j];
    }
}
#endif

/* Moves the drive due now into gee, E neurons [j0, j1). */
static void release_due(sm_dc *net, int base, int j0, int j1)
{
    float *due = net->gbuf + (size_t)base * net->n_pad;
    for (int j = j0; j < j1; j++) {
        net->gee[j] += due[j];
        due[j] = 0;
    }
}

void sm_dc_deliver_delayed_range(sm_dc *net, int n_spk, int j0, int j1)
{
    const int base = slot_of((int64_t)net->step, net->n_delay);
    if (n_spk > 0) deliver_spikes(net, n_spk, j0, j1);
    release_due(net, base, j0, j1);
}

void sm_dc_ring_prepare(sm_dc *net)
{
    const int K = net->n_delay, R = ring_rows(K), np = net->n_pad;
    int q = slot_of((int64_t)net->step, K); /* the slot due d steps from now: base + d mod K */
    for (int d = 0; d < R; d++) {
        net->ring_row[d] = net->gbuf + (size_t)(d < K ? q : d) * np;
        if (d < K && ++q == K) q = 0;
    }
}

void sm_dc_deliver_delayed(sm_dc *net, int n_spk)
{
    const int np = net->n_pad;
    sm_dc_ring_prepare(net);
    if (net->p.n_exc >= net->p.par_min) {
        const int nb = (np + 255) / 256;
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
        for (int b = 0; b < nb; b++) {
            const int j0 = 256 * b, j1 = j0 + 256 < np ? j0 + 256 : np;
            sm_dc_deliver_delayed_range(net, n_spk, j0, j1);
        }
        return;
    }
    sm_dc_deliver_delayed_range(net, n_spk, 0, np);
}

/* Depression of input i's spike of step t = now - L (ring slot sl), each synapse with
 * x_post1 at the end of step (t + d_ij). Only the m E neurons nz (post_nz or a part of
 * it): every other one read 0 in each of those records, and w - nu 0 = w exactly (w >= 0),
 * so skipping them is bitwise the full loop. Touches row i only. */
static void depress_row(sm_dc *net, int i, int sl, const int32_t *nz, int m)
{
    const int H = net->hist_n, np = net->n_pad;
    const float nu = (float)net->p.nu_pre;
    const float *hist = net->post1_hist;
    float *row = net->w + (size_t)i * np;
    const uint8_t *d = net->delay + (size_t)i * np;
    if (net->map_on) /* asleep: the decay maps owed come first */
        for (int a = 0; a < m; a++)
            sm_dc_map_catch_up(net, (size_t)i * np + nz[a]);
    for (int a = 0; a < m; a++) {
        const int j = nz[a];
        int q = sl + d[j]; /* slot of step t + d_ij: d_ij < K < H, one wrap at most */
        q -= q >= H ? H : 0;
        const float w = row[j] - nu * hist[(size_t)q * np + j];
        row[j] = w < 0 ? 0 : w;
    }
}

/* The depression due now (spikes of step now - L). A step's inputs are distinct, so each
 * spike owns its row: threads split the spikes, every weight still gets its one update in
 * the same order, and the result does not depend on the thread count. */
static void depress_due(sm_dc *net)
{
    const int64_t t = (int64_t)net->step - net->lag;
    if (t < 0) return;
    const int sl = slot_of(t, net->hist_n), ns = net->ring_n[sl];
    const int32_t *spk = net->ring_spk + (size_t)sl * net->p.n_in;
    const int par = sm_dc_par_work(net, (int64_t)ns * net->n_post_nz);
    const int32_t *nz = net->post_nz;
    const int m = net->n_post_nz;
    if (!par) { /* no region at all: even an if(0) region costs a call per step */
        for (int s = 0; s < ns; s++)
            depress_row(net, spk[s], sl, nz, m);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
    for (int s = 0; s < ns; s++)
        depress_row(net, spk[s], sl, nz, m);
}

int sm_dc_depress_prepare(sm_dc *net)
{
    const int64_t t = (int64_t)net->step - net->lag;
    const int m = net->n_post_nz;
    if (t < 0 || m == 0 || net->ring_n[slot_of(t, net->hist_n)] == 0) return 0;
    const int nu = sm_dc_split_units(net);
    int32_t *off = net->post_nz_off;
    for (int u = 0; u <= nu; u++)
        off[u] = 0;
    for (int a = 0; a < m; a++) /* a counting sort by unit, stable */
        off[net->post_nz[a] / SM_DC_UNIT + 1]++;
    for (int u = 0; u < nu; u++)
        off[u + 1] += off[u];
    for (int a = 0; a < m; a++) {
        const int j = net->post_nz[a];
        net->post_nz_part[off[j / SM_DC_UNIT]++] = j;
    }
    for (int u = nu; u > 0; u--) /* the fill moved each start to the next unit's */
        off[u] = off[u - 1];
    off[0] = 0;
    return 1;
}

void sm_dc_depress_units(sm_dc *net, int u0, int u1)
{
    const int32_t *part = net->post_nz_part + net->post_nz_off[u0];
    const int m = net->post_nz_off[u1] - net->post_nz_off[u0];
    if (m == 0) return;
    const int sl = slot_of((int64_t)net->step - net->lag, net->hist_n), ns = net->ring_n[sl];
    const int32_t *spk = net->ring_spk + (size_t)sl * net->p.n_in;
    for (int s = 0; s < ns; s++)
        depress_row(net, spk[s], sl, part, m);
}

/* Drops inputs whose x_pre has been 0 over the whole delay window. */
static void prune_pre_list(sm_dc *net)
{
    const int64_t now = (int64_t)net->step, keep = net->pre_tab_n + net->hist_n;
    int m = 0;
    for (int a = 0; a < net->n_pre_list; a++) {
        const int i = net->pre_list[a];
        if (now - net->pre_last[i] < keep)
            net->pre_list[m++] = i;
        else
            net->pre_listed[i] = 0;
    }
    net->n_pre_list = m;
}

/* Potentiation of the step's m E spikers js (factors fs) on row i, each synapse with
 * x_pre at the end of step (now - 1 - d_ij), the slot of now - 1 being `base`. */
static void potentiate_row(sm_dc *net, int i, const int32_t *js, const float *fs, int m, int base)
{
    const int np = net->n_pad, H = net->hist_n, n_in = net->p.n_in;
    const float wmax = (float)net->p.w_max;
    const float *xh = net->xpre_hist;
    float *row = net->w + (size_t)i * np;
    const uint8_t *d = net->delay + (size_t)i * np;
    if (net->map_on) /* asleep: the decay maps owed come first */
        for (int b = 0; b < m; b++)
            sm_dc_map_catch_up(net, (size_t)i * np + js[b]);
    for (int b = 0; b < m; b++) {
        const int j = js[b];
        int q = base - d[j]; /* slot of step now - 1 - d_ij */
        q += q < 0 ? H : 0;
        const float w = row[j] + fs[b] * xh[(size_t)q * n_in + i];
        row[j] = w > wmax ? wmax : w;
    }
}

/* Potentiation of the step's m E spikers, input by input (row by row) rather than spiker
 * by spiker (a column is strided by n_pad floats: a cache and TLB miss per synapse). Each
 * synapse gets exactly its one update whatever the order, and listed inputs are distinct,
 * so threads split the rows and the result does not depend on the thread count. */
static void potentiate(sm_dc *net, const int32_t *js, const float *fs, int m)
{
    const int base = slot_of((int64_t)net->step - 1, net->hist_n), n = net->n_pre_list;
    const int32_t *list = net->pre_list;
    const int par = sm_dc_par_work(net, (int64_t)n * m);
    if (!par) {
        for (int a = 0; a < n; a++)
            potentiate_row(net, list[a], js, fs, m, base);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
    for (int a = 0; a < n; a++)
        potentiate_row(net, list[a], js, fs, m, base);
}

/* The end-of-step records: this step's input spikes, x_pre and x_post1. Only listed
 * entries are written: an input leaves pre_list (prune_pre_list) and an E neuron leaves
 * post_nz (below) only once its last H records are 0, and nothing unlisted is nonzero,
 * so every unwritten record already holds the 0 the full copy would write. */
static void record_step(sm_dc *net, int n_spk)
{
    const int H = net->hist_n, n_in = net->p.n_in, np = net->n_pad;
    const int64_t now = (int64_t)net->step;
    const int sl = slot_of(now, H);
    memcpy(net->ring_spk + (size_t)sl * n_in, net->in_spk, (size_t)n_spk * sizeof(int32_t));
    net->ring_n[sl] = n_spk;
    /* locals: the stores through xp could alias net's fields, which the compiler would
     * then reload every iteration */
    float *xp = net->xpre_hist + (size_t)sl * n_in;
    const int32_t *list = net->pre_list;
    const int64_t *last = net->pre_last, tab_n = net->pre_tab_n;
    const float *tab = net->pre_tab;
    for (int a = 0, na = net->n_pre_list; a < na; a++) { /* as sm_dc_xpre (dc_net.c) */
        const int i = list[a];
        const int64_t age = now - last[i];
        xp[i] = age >= 0 && age < tab_n ? tab[age] : 0.0f;
    }
    float *x1 = net->post1_hist + (size_t)sl * np;
    int m = 0;
    for (int a = 0; a < net->n_post_nz; a++) {
        const int j = net->post_nz[a];
        x1[j] = net->xpost1[j];
        if (x1[j] != 0.0f) net->post_nz_last[j] = now;
        if (now - net->post_nz_last[j] < H)
            net->post_nz[m++] = j;
        else
            net->post_nz_in[j] = 0;
    }
    net->n_post_nz = m;
}

void sm_dc_stdp_delayed(sm_dc *net, int n_spk, int n_e, int depressed)
{
    const sm_dc_params *p = &net->p;
    for (int s = 0; s < n_spk; s++) /* x_pre = 1 at the spike (Brian's immediate pre code) */
        sm_dc_pre_spike(net, net->in_spk[s]);
    if (!depressed) depress_due(net);
    if (n_e > 0) prune_pre_list(net);
    int m = 0; /* each factor reads only its own neuron's x_post2 before the reset below */
    for (int k = 0; k < n_e; k++) {
        const int j = net->e_spk[k];
        const float f = (float)p->nu_post * (p->rule == SM_DC_TRIPLET ? net->xpost2[j] : 1.0f);
        if (f > 0) {
            net->pot_j[m] = j;
            net->pot_f[m++] = f;
        }
    }
    if (m > 0) potentiate(net, net->pot_j, net->pot_f, m);
    for (int k = 0; k < n_e; k++) {
        const int j = net->e_spk[k];
        net->xpost1[j] = net->xpost2[j] = 1.0f;
        if (!net->in_active[j]) {
            net->in_active[j] = 1;
            net->active[net->n_active++] = j;
        }
        if (!net->post_nz_in[j]) {
            net->post_nz_in[j] = 1;
            net->post_nz[net->n_post_nz++] = j;
        }
    }
    record_step(net, n_spk);
}

#include "somnus/network/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "somnus/core/threads.h"
#include "somnus/core/rng.h"
#include "somnus/network/receptive_fields.h"
#include "somnus/network/sheet_fields.h"

/* Synapse arrays of 4 MiB and more are aligned to 2 MiB and backed by transparent huge
 * pages where the kernel offers them on request (madvise mode, Debian's default): the
 * STDP post pass writes one weight per incoming synapse at random places in the array,
 * and with 4 KiB pages nearly every such write also missed the TLB. Freed with free(). */
static void *alloc_synapses(size_t n, size_t size)
{
    const size_t bytes = (n ? n : 1) * size, huge = (size_t)2 << 20;
    if (bytes < 2 * huge) return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE); /* advice only */
#endif
    return p;
}

int sm_net_population(const sm_net *net, int g)
{
    if (g < net->n_in) return 0;
    return g < net->n_in + net->n_exc ? 1 : 2;
}

int sm_net_pathway_of(const sm_net *net, int pre, int post)
{
    int a = sm_net_population(net, pre), b = sm_net_population(net, post);
    if (a == 0 && b == 1) return SM_PATH_SE;
    if (a == 1 && b == 1) return SM_PATH_EE;
    if (a == 1 && b == 2) return SM_PATH_EI;
    if (a == 2 && b == 1) return SM_PATH_IE;
    return -1;
}

void sm_net_destroy(sm_net *net)
{
    if (!net) return;
    free(net->row);
    free(net->post);
    free(net->w);
    free(net->pathway);
    free(net->in_row);
    free(net->in_syn);
    free(net->in_pre);
    free(net);
}

/* A growable list of (post index) targets for one row. */
typedef struct targets {
    int32_t *v;
    int64_t n, cap;
} targets;

static int push(targets *t, int32_t x);

/* The nonzero entries of row g of the structured S->E matrix, in target order. */
static int structured_targets(const double *se_w, int g, int n_exc, targets *t)
{
    for (int j = 0; j < n_exc; j++)
        if (se_w[(int64_t)g * n_exc + j] > 0 && push(t, j)) return -1;
    return 0;
}

/* Structured S->E weights and the E-sheet pathways' scales (NULL: Bernoulli). */
typedef struct structure {
    double *se_w;     /* n_in x n_exc (receptive_fields.h) */
    double *ee_scale; /* n_exc (sheet_fields.h) */
    double *ie_scale; /* n_exc */
} structure;

/* Weight of a sheet synapse from E neuron (ie = 0) or I neuron (ie = 1) `pre` onto E
 * neuron j: kernel x the post neuron's scale (0: no synapse). */
static double sheet_weight(const sm_config *cfg, const structure *s, int ie, int pre, int j)
{
    return ie ? sm_sheet_ie_kernel(cfg, pre, j) * s->ie_scale[j]
              : sm_sheet_ee_kernel(cfg, pre, j) * s->ee_scale[j];
}

/* The E targets of a sheet pathway's row `pre`, in target order. */
static int sheet_targets(const sm_config *cfg, const structure *s, int ie, int pre, targets *t)
{
    for (int j = 0; j < cfg->net.n_exc; j++)
        if (sheet_weight(cfg, s, ie, pre, j) != 0 && push(t, j)) return -1;
    return 0;
}

static int push(targets *t, int32_t x)
{
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 64;
        int32_t *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = x;
    return 0;
}

/* Appends the Bernoulli(p) subset of candidates [0, n) (minus `skip`, -1 for none),
 * offset by `base`, drawn by geometric skips: the same distribution as one coin per
 * pair, at a cost proportional to the synapses made. */
static int bernoulli_targets(sm_rng *r, double p, int n, int skip, int32_t base, targets *t)
{
    if (p <= 0) return 0;
    int m = skip >= 0 ? n - 1 : n;
    if (p >= 1) {
        for (int k = 0; k < m; k++) {
            int j = (skip >= 0 && k >= skip) ? k + 1 : k;
            if (push(t, base + j)) return -1;
        }
        return 0;
    }
    const double log_q = log1p(-p);
    for (int64_t k = -1;;) {
        /* The skip is compared in double first: for tiny p it exceeds the int64 range
         * (p = 1e-19 gives ~1e19), and the cast would wrap k to a negative index. */
        double skip_len = floor(log(sm_rng_uniform(r)) / log_q);
        if ((double)k + 1.0 + skip_len >= (double)m) break;
        k += 1 + (int64_t)skip_len;
        int j = (skip >= 0 && k >= skip) ? (int)k + 1 : (int)k;
        if (push(t, base + j)) return -1;
    }
    return 0;
}

/* Builds the postsynaptic index from the CSR arrays. */
static sm_status build_post_index(sm_net *net, sm_error *err)
{
    if (net->n_syn > SM_NET_MAX_SYN)
        return sm_error_set(err, SM_EINVAL,
                            "network: %lld synapses, more than the %lld a network may have",
                            (long long)net->n_syn, (long long)SM_NET_MAX_SYN);
    net->in_row = calloc((size_t)net->n_post + 1, sizeof *net->in_row);
    net->in_syn = alloc_synapses((size_t)net->n_syn, sizeof *net->in_syn);
    net->in_pre = alloc_synapses((size_t)net->n_syn, sizeof *net->in_pre);
    if (!net->in_row || !net->in_syn || !net->in_pre)
        return sm_error_set(err, SM_ENOMEM, "network: out of memory for the postsynaptic index");
    for (int64_t s = 0; s < net->n_syn; s++)
        net->in_row[net->post[s] + 1]++;
    for (int i = 0; i < net->n_post; i++)
        net->in_row[i + 1] += net->in_row[i];
    int64_t *fill = malloc((size_t)(net->n_post ? net->n_post : 1) * sizeof *fill);
    if (!fill) return sm_error_set(err, SM_ENOMEM, "network: out of memory");
    memcpy(fill, net->in_row, (size_t)net->n_post * sizeof *fill);
    for (int g = 0; g < net->n_total; g++) {
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            int64_t k = fill[net->post[s]]++;
            net->in_syn[k] = (uint32_t)s;
            net->in_pre[k] = g;
        }
    }
    free(fill);
    return SM_OK;
}

static void count_pathways(sm_net *net)
{
    memset(net->path_count, 0, sizeof net->path_count);
    for (int64_t s = 0; s < net->n_syn; s++)
        net->path_count[net->pathway[s]]++;
    net->exc_end = net->row[net->n_in + net->n_exc];
}

static sm_net *alloc_net(int n_in, int n_exc, int n_inh, int64_t n_syn, sm_error *err)
{
    sm_net *net = calloc(1, sizeof *net);
    if (!net) {
        sm_error_set(err, SM_ENOMEM, "network: out of memory");
        return NULL;
    }
    net->n_in = n_in;
    net->n_exc = n_exc;
    net->n_inh = n_inh;
    net->n_post = n_exc + n_inh;
    net->n_total = n_in + net->n_post;
    net->n_syn = n_syn;
    size_t m = n_syn > 0 ? (size_t)n_syn : 1;
    net->row = calloc((size_t)net->n_total + 1, sizeof *net->row);
    net->post = alloc_synapses(m, sizeof *net->post);
    net->w = alloc_synapses(m, sizeof *net->w);
    net->pathway = alloc_synapses(m, sizeof *net->pathway);
    if (!net->row || !net->post || !net->w || !net->pathway) {
        sm_net_destroy(net);
        sm_error_set(err, SM_ENOMEM, "network: out of memory for %lld synapses", (long long)n_syn);
        return NULL;
    }
    return net;
}

int64_t sm_net_find(const sm_net *net, int pre, int post_global)
{
    int32_t target = post_global - net->n_in;
    int64_t lo = net->row[pre], hi = net->row[pre + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (net->post[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < net->row[pre + 1] && net->post[lo] == target) ? lo : -1;
}

/* Drops I_k -> E_j wherever E_j -> I_k exists (rows are sorted, so a binary search). */
static void drop_reciprocal(sm_net *net, targets *rows)
{
    const int first_i = net->n_in + net->n_exc;
    for (int k = 0; k < net->n_inh; k++) {
        targets *t = &rows[first_i + k];
        int64_t kept = 0;
        for (int64_t m = 0; m < t->n; m++) {
            int e_global = net->n_in + t->v[m];
            if (sm_net_find(net, e_global, first_i + k) < 0) t->v[kept++] = t->v[m];
        }
        t->n = kept;
    }
}

/* Initial weight of synapse g -> target on pathway `path`: structured where st says so,
 * else the pathway's w0. */
static float initial_weight(const sm_config *cfg, const structure *st, const sm_net *net, int g,
                            int target, int path)
{
    if (path == SM_PATH_SE && st->se_w) return (float)st->se_w[(int64_t)g * net->n_exc + target];
    if (path == SM_PATH_EE && st->ee_scale)
        return (float)sheet_weight(cfg, st, 0, g - net->n_in, target);
    if (path == SM_PATH_IE && st->ie_scale)
        return (float)sheet_weight(cfg, st, 1, g - net->n_in - net->n_exc, target);
    return (float)cfg->net.w0[path];
}

static sm_status fill_rows(sm_net *net, targets *rows, int first_row, int last_row,
                           const sm_config *cfg, const structure *st)
{
    for (int g = first_row; g < last_row; g++) {
        net->row[g + 1] = net->row[g] + rows[g].n;
        for (int64_t m = 0; m < rows[g].n; m++) {
            int64_t s = net->row[g] + m;
            int32_t target = rows[g].v[m];
            net->post[s] = target;
            int path = sm_net_pathway_of(net, g, net->n_in + target);
            net->pathway[s] = (uint8_t)path;
            net->w[s] = initial_weight(cfg, st, net, g, target, path);
        }
    }
    return SM_OK;
}

static void structure_free(structure *st)
{
    free(st->se_w);
    free(st->ee_scale);
    free(st->ie_scale);
}

/* The structured parts of cfg's network (all NULL for an all-Bernoulli one). */
static sm_status structure_make(const sm_config *cfg, structure *st, sm_error *err)
{
    const int n_in = cfg->net.n_input, n_exc = cfg->net.n_exc;
    *st = (structure){0};
    if (cfg->net.se_connectivity != SM_SE_BERNOULLI) {
        if (sm_rf_validate(cfg, err) != SM_OK) return SM_EINVAL;
        st->se_w = malloc((size_t)n_in * (size_t)n_exc * sizeof *st->se_w);
        if (st->se_w) {
            const sm_status rs = sm_rf_weights(cfg, st->se_w, err);
            if (rs != SM_OK) return rs;
        }
    }
    if (cfg->net.ee_connectivity == SM_EE_GAUSSIAN) {
        st->ee_scale = malloc((size_t)n_exc * sizeof *st->ee_scale);
        if (st->ee_scale) sm_sheet_scales(cfg, 0, st->ee_scale);
    }
    if (cfg->net.ie_connectivity == SM_IE_RING) {
        st->ie_scale = malloc((size_t)n_exc * sizeof *st->ie_scale);
        if (st->ie_scale) sm_sheet_scales(cfg, 1, st->ie_scale);
    }
    if ((cfg->net.se_connectivity != SM_SE_BERNOULLI && !st->se_w) ||
        (cfg->net.ee_connectivity == SM_EE_GAUSSIAN && !st->ee_scale) ||
        (cfg->net.ie_connectivity == SM_IE_RING && !st->ie_scale))
        return sm_error_set(err, SM_ENOMEM, "network: out of memory for the structured pathways");
    return SM_OK;
}

/* Draws or builds the targets of row g (presynaptic neuron g), from its own stream. */
static int row_targets(const sm_config *cfg, const structure *st, int g, targets *t)
{
    const int n_in = cfg->net.n_input, n_exc = cfg->net.n_exc, n_inh = cfg->net.n_inh;
    sm_rng r;
    sm_rng_init(&r, (uint64_t)cfg->run.seed, SM_STREAM_CONNECT, (uint32_t)g);
    if (g < n_in)
        return st->se_w ? structured_targets(st->se_w, g, n_exc, t)
                        : bernoulli_targets(&r, cfg->net.p[SM_PATH_SE], n_exc, -1, 0, t);
    if (g < n_in + n_exc) {
        int failed = st->ee_scale
                         ? sheet_targets(cfg, st, 0, g - n_in, t)
                         : bernoulli_targets(&r, cfg->net.p[SM_PATH_EE], n_exc, g - n_in, 0, t);
        return failed | bernoulli_targets(&r, cfg->net.p[SM_PATH_EI], n_inh, -1, n_exc, t);
    }
    return st->ie_scale ? sheet_targets(cfg, st, 1, g - n_in - n_exc, t)
                        : bernoulli_targets(&r, cfg->net.p[SM_PATH_IE], n_exc, -1, 0, t);
}

sm_net *sm_net_create(const sm_config *cfg, sm_error *err)
{
    const int n_in = cfg->net.n_input, n_exc = cfg->net.n_exc, n_inh = cfg->net.n_inh;
    const int n_total = n_in + n_exc + n_inh;
    targets *rows = calloc((size_t)n_total, sizeof *rows);
    if (!rows) {
        sm_error_set(err, SM_ENOMEM, "network: out of memory");
        return NULL;
    }
    structure st;
    if (structure_make(cfg, &st, err) != SM_OK) {
        structure_free(&st);
        free(rows);
        return NULL;
    }
    int failed = 0;
    /* Rows are independent streams (index = presynaptic neuron): parallel-safe and
     * identical for any thread count. */
#pragma omp parallel for schedule(dynamic, 64) num_threads(sm_threads(cfg->run.threads))           \
    reduction(|                                                                                    \
              : failed) if (n_total > cfg->run.parallel_min)
    for (int g = 0; g < n_total; g++)
        failed |= row_targets(cfg, &st, g, &rows[g]);
    sm_net *net = NULL;
    if (failed) {
        sm_error_set(err, SM_ENOMEM, "network: out of memory while drawing synapses");
        goto done;
    }
    int64_t n_syn = 0;
    for (int g = 0; g < n_total; g++)
        n_syn += rows[g].n;
    net = alloc_net(n_in, n_exc, n_inh, n_syn, err);
    if (!net) goto done;
    /* Excitatory rows first, so drop_reciprocal can look up E->I synapses. */
    fill_rows(net, rows, 0, n_in + n_exc, cfg, &st);
    if (cfg->net.no_reciprocal) drop_reciprocal(net, rows);
    fill_rows(net, rows, n_in + n_exc, n_total, cfg, &st);
    net->n_syn = net->row[n_total];
    memcpy(net->plastic, cfg->net.plastic, sizeof net->plastic);
    count_pathways(net);
    if (build_post_index(net, err) != SM_OK) {
        sm_net_destroy(net);
        net = NULL;
    }
done:
    for (int g = 0; g < n_total; g++)
        free(rows[g].v);
    free(rows);
    structure_free(&st);
    return net;
}

sm_net *sm_net_from_edges(int n_in, int n_exc, int n_inh, int64_t n_edges, const int32_t *pre,
                          const int32_t *post, const float *w, const int plastic[SM_N_PATHS],
                          sm_error *err)
{
    const int n_total = n_in + n_exc + n_inh;
    sm_net probe = {.n_in = n_in, .n_exc = n_exc, .n_inh = n_inh};
    for (int64_t e = 0; e < n_edges; e++) {
        if (pre[e] < 0 || pre[e] >= n_total || post[e] < 0 || post[e] >= n_total) {
            sm_error_set(err, SM_EINVAL, "edge %lld: neuron index out of range [0, %d)",
                         (long long)e, n_total);
            return NULL;
        }
        int path = sm_net_pathway_of(&probe, pre[e], post[e]);
        if (path < 0) {
            sm_error_set(err, SM_EINVAL, "edge %lld: no pathway connects neuron %d to %d",
                         (long long)e, pre[e], post[e]);
            return NULL;
        }
        if (!isfinite(w[e]) || (path == SM_PATH_IE ? w[e] > 0 : w[e] < 0)) {
            sm_error_set(err, SM_EINVAL, "edge %lld: weight %g has the wrong sign for its pathway",
                         (long long)e, (double)w[e]);
            return NULL;
        }
    }
    sm_net *net = alloc_net(n_in, n_exc, n_inh, n_edges, err);
    if (!net) return NULL;
    /* Counting sort by (pre, post) keeps rows sorted as sm_net_find requires. */
    int64_t *order = calloc(n_edges > 0 ? (size_t)n_edges : 1, sizeof *order);
    if (!order) {
        sm_net_destroy(net);
        sm_error_set(err, SM_ENOMEM, "network: out of memory");
        return NULL;
    }
    for (int64_t e = 0; e < n_edges; e++)
        net->row[pre[e] + 1]++;
    for (int g = 0; g < n_total; g++)
        net->row[g + 1] += net->row[g];
    int64_t *fill = calloc(n_total > 0 ? (size_t)n_total : 1, sizeof *fill);
    if (!fill) {
        free(order);
        sm_net_destroy(net);
        sm_error_set(err, SM_ENOMEM, "network: out of memory");
        return NULL;
    }
    for (int64_t e = 0; e < n_edges; e++)
        order[net->row[pre[e]] + fill[pre[e]]++] = e;
    free(fill);
    for (int g = 0; g < n_total; g++) {
        int64_t a = net->row[g], b = net->row[g + 1];
        /* Insertion sort by target: rows are short. */
        for (int64_t i = a + 1; i < b; i++) {
            int64_t e = order[i], j = i;
            while (j > a && post[order[j - 1]] > post[e]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = e;
        }
    }
    for (int64_t s = 0; s < n_edges; s++) {
        int64_t e = order[s];
        net->post[s] = post[e] - n_in;
        net->w[s] = w[e];
        net->pathway[s] = (uint8_t)sm_net_pathway_of(net, pre[e], post[e]);
    }
    free(order);
    for (int p = 0; p < SM_N_PATHS; p++)
        net->plastic[p] = plastic ? plastic[p] : 1;
    count_pathways(net);
    if (build_post_index(net, err) != SM_OK) {
        sm_net_destroy(net);
        return NULL;
    }
    return net;
}

sm_status sm_net_adopt(sm_net *net, int64_t *row, int32_t *post, float *w, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int64_t n = row[net->n_total];
    uint8_t *pathway = calloc((size_t)(n ? n : 1), 1); /* every entry is set below */
    if (!pathway) {
        free(row);
        free(post);
        free(w);
        return sm_error_set(err, SM_ENOMEM, "network: out of memory");
    }
    free(net->row);
    free(net->post);
    free(net->w);
    free(net->pathway);
    free(net->in_row);
    free(net->in_syn);
    free(net->in_pre);
    net->in_row = NULL;
    net->in_syn = NULL;
    net->in_pre = NULL;
    net->row = row;
    net->post = post;
    net->w = w;
    net->pathway = pathway;
    net->n_syn = n;
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = row[g]; s < row[g + 1]; s++)
            pathway[s] = (uint8_t)sm_net_pathway_of(net, g, net->n_in + post[s]);
    count_pathways(net);
    return build_post_index(net, err);
}

double sm_net_pathway_abs_sum(const sm_net *net, int pathway)
{
    double sum = 0;
    for (int64_t s = 0; s < net->n_syn; s++)
        if (net->pathway[s] == pathway) sum += fabs((double)net->w[s]);
    return sum;
}

static const char *const PATHS[SM_N_PATHS] = {"SE", "EE", "EI", "IE"};

const char *sm_pathway_name(int pathway)
{
    return pathway >= 0 && pathway < SM_N_PATHS ? PATHS[pathway] : "?";
}

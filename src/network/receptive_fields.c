#include "somnus/network/receptive_fields.h"

#include <math.h>
#include <stdlib.h>

#include "somnus/core/threads.h"
#include "somnus/core/rng.h"

void sm_rf_sheet(int n_exc, int *h, int *w)
{
    int r = (int)floor(sqrt((double)n_exc));
    while ((int64_t)(r + 1) * (r + 1) <= n_exc) /* floor(sqrt) exactly, whatever the rounding */
        r++;
    while (r > 1 && (int64_t)r * r > n_exc)
        r--;
    *h = r < 1 ? 1 : r;
    *w = (n_exc + *h - 1) / *h;
}

double sm_rf_torus_d2(double r0, double c0, double r1, double c1, int h, int w)
{
    double dr = fabs(r0 - r1), dc = fabs(c0 - c1);
    dr = fmin(dr, h - dr);
    dc = fmin(dc, w - dc);
    return dr * dr + dc * dc;
}

/* k-th of n points spread evenly over [0, size - 1] (numpy's linspace; 0 for n = 1). */
static double linspace(int k, int n, int size)
{
    return n > 1 ? (double)k * (size - 1) / (n - 1) : 0.0;
}

static int side_of(int n_or)
{
    int p = (int)lround(sqrt((double)n_or));
    return p * p == n_or ? p : -1;
}

void sm_rf_centre(const sm_config *cfg, int j, double *row, double *col)
{
    int he, we;
    sm_rf_sheet(cfg->net.n_exc, &he, &we);
    const int r = j / we, c = j % we, H = cfg->input.height, W = cfg->input.width;
    if (cfg->net.se_connectivity == SM_SE_ORIENTED && cfg->net.rf_layout == SM_RF_BLOCK) {
        const int p = side_of(cfg->net.rf_n_or), qh = he / p, qw = we / p;
        *row = linspace(r % qh, qh, H);
        *col = linspace(c % qw, qw, W);
        return;
    }
    *row = linspace(r, he, H);
    *col = linspace(c, we, W);
}

int sm_rf_orientation(const sm_config *cfg, int j)
{
    int he, we;
    sm_rf_sheet(cfg->net.n_exc, &he, &we);
    const int r = j / we, c = j % we, p = side_of(cfg->net.rf_n_or);
    if (cfg->net.rf_layout == SM_RF_BLOCK) return (r / (he / p)) * p + c / (we / p);
    return (r % p) * p + c % p;
}

sm_status sm_rf_validate(const sm_config *cfg, sm_error *err)
{
    const int mode = cfg->net.se_connectivity;
    if (mode == SM_SE_BERNOULLI) return SM_OK;
    const char *name = mode == SM_SE_GAUSSIAN ? "gaussian" : "oriented";
    if ((int64_t)cfg->input.width * cfg->input.height != cfg->net.n_input)
        return sm_error_set(err, SM_EINVAL,
                            "config: net.se_connectivity=%s needs net.n_input (%d) = input.width "
                            "x input.height (%d x %d): fields live on the image grid",
                            name, cfg->net.n_input, cfg->input.width, cfg->input.height);
    if (mode == SM_SE_GAUSSIAN) return SM_OK;
    const int p = side_of(cfg->net.rf_n_or);
    if (p < 0)
        return sm_error_set(err, SM_EINVAL,
                            "config: net.rf_n_or (%d) must be a perfect square (the sheet is cut "
                            "into sqrt x sqrt quadrants or patches)",
                            cfg->net.rf_n_or);
    int he, we;
    sm_rf_sheet(cfg->net.n_exc, &he, &we);
    if (cfg->net.rf_layout == SM_RF_BLOCK &&
        (he * we != cfg->net.n_exc || he % p != 0 || we % p != 0))
        return sm_error_set(err, SM_EINVAL,
                            "config: net.rf_layout=block needs net.n_exc (%d) to fill a sheet "
                            "whose sides divide by sqrt(net.rf_n_or) = %d (e.g. 196 = 14 x 14)",
                            cfg->net.n_exc, p);
    return SM_OK;
}

/* Gaussian kernel of E neuron j into column j of w (stride n_exc). */
static void gaussian_column(const sm_config *cfg, int j, double *w)
{
    const int H = cfg->input.height, W = cfg->input.width, n = cfg->net.n_exc;
    sm_rng r;
    sm_rng_init(&r, (uint64_t)cfg->run.seed, SM_STREAM_PLACE, (uint32_t)j);
    double cr, cc;
    sm_rf_centre(cfg, j, &cr, &cc);
    cr = fmin(fmax(cr + 0.5 * sm_rng_uniform(&r) - 0.25, 0.0), H - 1.0);
    cc = fmin(fmax(cc + 0.5 * sm_rng_uniform(&r) - 0.25, 0.0), W - 1.0);
    const double sigma = fmax(cfg->net.rf_sigma + cfg->net.rf_sigma_sd * sm_rng_normal(&r), 1.0);
    for (int i = 0; i < H * W; i++) {
        const int pr = i / W, pc = i % W; /* the pixel's row and column */
        double k = exp(-sm_rf_torus_d2(cr, cc, pr, pc, H, W) / (2 * sigma * sigma));
        w[(int64_t)i * n + j] = k >= SM_RF_K_MIN ? k : 0.0;
    }
}

/* Oriented kernel of E neuron j into column j of w, normalized to the incoming sum. */
static void oriented_column(const sm_config *cfg, int j, double *w)
{
    const int H = cfg->input.height, W = cfg->input.width, n = cfg->net.n_exc;
    const double sx = cfg->net.rf_sx, sy = cfg->net.rf_gamma * sx, rc = cfg->net.rf_r_cut;
    const double theta = M_PI * sm_rf_orientation(cfg, j) / cfg->net.rf_n_or;
    const double ct = cos(theta), st = sin(theta);
    double cr, cc, sum = 0;
    sm_rf_centre(cfg, j, &cr, &cc);
    for (int i = 0; i < H * W; i++) {
        const int pr = i / W, pc = i % W;
        const double dx = pc - cc, dy = pr - cr;
        const double xp = (dx * ct + dy * st) / sx, yp = (-dx * st + dy * ct) / sy;
        const double q = xp * xp + yp * yp;
        const double k = q > rc * rc ? 0.0 : exp(-0.5 * q);
        w[(int64_t)i * n + j] = k;
        sum += k;
    }
    const double in_sum = cfg->net.p[SM_PATH_SE] * cfg->net.n_input * cfg->net.w0[SM_PATH_SE];
    for (int i = 0; i < H * W; i++)
        w[(int64_t)i * n + j] *= sum > 0 ? in_sum / sum : 0.0;
}

sm_status sm_rf_weights(const sm_config *cfg, double *w, sm_error *err)
{
    if (sm_rf_validate(cfg, err) != SM_OK) return SM_EINVAL;
    const int n = cfg->net.n_exc, n_in = cfg->net.n_input;
    const int gauss = cfg->net.se_connectivity == SM_SE_GAUSSIAN;
    if (!gauss && cfg->net.se_connectivity != SM_SE_ORIENTED)
        return sm_error_set(err, SM_EINVAL, "receptive fields: net.se_connectivity is bernoulli");
        /* Columns are independent (stream index = E neuron): any thread count gives the same. */
#pragma omp parallel for schedule(static)                                                          \
    num_threads(sm_threads(cfg->run.threads)) if (n > cfg->run.parallel_min)
    for (int j = 0; j < n; j++)
        gauss ? gaussian_column(cfg, j, w) : oriented_column(cfg, j, w);
    if (!gauss) return SM_OK;
    /* Each pixel's outgoing sum = a Bernoulli draw's expected outgoing sum. */
    const double out_sum = cfg->net.p[SM_PATH_SE] * n * cfg->net.w0[SM_PATH_SE];
    for (int i = 0; i < n_in; i++) {
        double *row = w + (int64_t)i * n, sum = 0;
        for (int j = 0; j < n; j++)
            sum += row[j];
        for (int j = 0; j < n; j++)
            row[j] *= sum > 0 ? out_sum / sum : 0.0;
    }
    return SM_OK;
}

/* Helpers of the theta-gated Helmholtz machine experiments (theta_common.h). */
#include "protocol/experiments/theta_common.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *sm_theta_jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *sm_theta_jarray(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, sm_theta_jreal(v[i]));
    return a;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sm_theta_median(const double *v, int n)
{
    if (n < 1) return NAN;
    double *c = malloc(sizeof(double) * (size_t)n);
    if (!c) return NAN;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            free(c);
            return NAN;
        }
        c[i] = v[i];
    }
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    const double m = (n % 2) ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

void sm_theta_mean_sd(const double *v, int n, double *mean, double *sd)
{
    double s = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++)
        s += v[i];
    const double m = n > 0 ? s / n : NAN;
    for (int i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

double sm_theta_pearson(const float *x, const float *y, int n, int stride)
{
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < n; i++) {
        mx += x[(size_t)i * stride];
        my += y[(size_t)i * stride];
    }
    mx /= n;
    my /= n;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (int i = 0; i < n; i++) {
        const double a = x[(size_t)i * stride] - mx, b = y[(size_t)i * stride] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : NAN;
}

void sm_theta_acf(const float *data, int steps, int stride, int col0, int units, int n_lag,
                  double *acf)
{
    for (int L = 0; L < n_lag; L++) {
        double s = 0.0;
        int used = 0;
        for (int u = 0; u < units && L < steps - 1; u++) {
            const float *col = data + col0 + u;
            const double r = sm_theta_pearson(col + (size_t)L * stride, col, steps - L, stride);
            if (!isnan(r)) {
                s += r;
                used++;
            }
        }
        acf[L] = used ? s / used : NAN;
    }
}

double sm_theta_acf_cross(const double *acf, int n_lag, double level)
{
    for (int L = 1; L < n_lag; L++)
        if (acf[L] <= level && acf[L - 1] > level)
            return (L - 1) + (acf[L - 1] - level) / (acf[L - 1] - acf[L]);
    return NAN;
}

double sm_theta_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sm_theta_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- task B helpers ---- */

sm_status sm_theta_rec_init(sm_theta_rec *r, int n, int cap, sm_error *err)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->cap = cap < 1 ? 1 : cap;
    r->x = malloc(sizeof(float) * (size_t)r->cap * n);
    r->pos = malloc(sizeof(double) * (size_t)r->cap);
    if (!r->x || !r->pos) {
        sm_theta_rec_free(r);
        return sm_error_set(err, SM_ENOMEM, "theta: out of memory for %d samples", cap);
    }
    return SM_OK;
}

void sm_theta_rec_free(sm_theta_rec *r)
{
    free(r->x);
    free(r->pos);
    memset(r, 0, sizeof *r);
}

void sm_theta_pi_run(sm_theta_pathint *m, int64_t steps, int learn, sm_theta_rec *rec,
                     int sample_every, int err_every, double *err_p, double *err_g, int max_err,
                     int *n_err)
{
    for (int64_t s = 1; s <= steps; s++) {
        sm_theta_pathint_step(m, learn);
        if (rec && s % sample_every == 0) {
            const int slot = (int)(rec->count % rec->cap);
            memcpy(rec->x + (size_t)slot * rec->n, m->p.r, sizeof(float) * (size_t)rec->n);
            rec->pos[slot] = m->x;
            rec->count++;
        }
        if (err_p && err_every > 0 && s % err_every == 0 && *n_err < max_err) {
            err_p[*n_err] = m->p.err.value;
            err_g[*n_err] = m->g.err.value;
            (*n_err)++;
        }
    }
}

const char *sm_theta_decoder_name(int kind)
{
    return kind == SM_THETA_DECODER_ARGMAX ? "argmax" : "ridge";
}

/* argmax: each unit's mean rate per bin of the track; its preferred position is the centre
 * of the bin where that mean is highest. */
static sm_status argmax_fit(sm_theta_decoder *d, const sm_theta_rec *rec, int m, sm_error *err)
{
    const int n = rec->n, nb = SM_THETA_ARGMAX_BINS;
    d->pref = malloc(sizeof(double) * (size_t)n);
    double *sum = calloc((size_t)nb * n, sizeof(double));
    int *cnt = calloc((size_t)nb, sizeof(int));
    if (!d->pref || !sum || !cnt) {
        free(sum);
        free(cnt);
        sm_theta_decoder_free(d);
        return sm_error_set(err, SM_ENOMEM, "theta decoder: out of memory");
    }
    for (int s = 0; s < m; s++) {
        double u = rec->pos[s] / d->track_len;
        u -= floor(u);
        int b = (int)(u * nb);
        if (b >= nb) b = nb - 1;
        cnt[b]++;
        for (int j = 0; j < n; j++)
            sum[(size_t)b * n + j] += rec->x[(size_t)s * n + j];
    }
    for (int j = 0; j < n; j++) {
        double best = -INFINITY;
        int bb = 0;
        for (int b = 0; b < nb; b++) {
            if (!cnt[b]) continue;
            const double mean = sum[(size_t)b * n + j] / cnt[b];
            if (mean > best) {
                best = mean;
                bb = b;
            }
        }
        d->pref[j] = (bb + 0.5) * d->track_len / nb;
    }
    free(sum);
    free(cnt);
    return SM_OK;
}

sm_status sm_theta_decoder_fit(sm_theta_decoder *d, const sm_theta_rec *rec, int kind, double alpha,
                               double track_len, sm_error *err)
{
    memset(d, 0, sizeof *d);
    const int n = rec->n;
    const int m = (int)(rec->count < rec->cap ? rec->count : rec->cap);
    if (m < 2) return sm_error_set(err, SM_EINVAL, "theta decoder: fewer than 2 samples");
    if (kind != SM_THETA_DECODER_RIDGE && kind != SM_THETA_DECODER_ARGMAX) {
        sm_config_bad_choice("theta.decoder", kind, err);
        return SM_EINVAL;
    }
    d->kind = kind;
    d->n = n;
    d->track_len = track_len;
    if (kind == SM_THETA_DECODER_ARGMAX) return argmax_fit(d, rec, m, err);
    d->b = calloc((size_t)n * 2, sizeof(double));
    double *mx = calloc((size_t)n, sizeof(double));
    double *a = calloc((size_t)n * n, sizeof(double));
    double *xc = malloc(sizeof(double) * (size_t)n);
    if (!d->b || !mx || !a || !xc) {
        free(mx);
        free(a);
        free(xc);
        sm_theta_decoder_free(d);
        return sm_error_set(err, SM_ENOMEM, "theta decoder: out of memory");
    }
    double my[2] = {0, 0};
    for (int s = 0; s < m; s++) {
        for (int j = 0; j < n; j++)
            mx[j] += rec->x[(size_t)s * n + j];
        const double ang = 2.0 * M_PI * rec->pos[s] / track_len;
        my[0] += cos(ang);
        my[1] += sin(ang);
    }
    for (int j = 0; j < n; j++)
        mx[j] /= m;
    my[0] /= m;
    my[1] /= m;
    for (int s = 0; s < m; s++) {
        for (int j = 0; j < n; j++)
            xc[j] = rec->x[(size_t)s * n + j] - mx[j];
        const double ang = 2.0 * M_PI * rec->pos[s] / track_len;
        const double y0 = cos(ang) - my[0], y1 = sin(ang) - my[1];
        for (int i = 0; i < n; i++) {
            const double xi = xc[i];
            for (int j = 0; j <= i; j++)
                a[(size_t)i * n + j] += xi * xc[j];
            d->b[(size_t)i * 2] += xi * y0;
            d->b[(size_t)i * 2 + 1] += xi * y1;
        }
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            a[(size_t)j * n + i] = a[(size_t)i * n + j];
        a[(size_t)i * n + i] += alpha;
    }
    const lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', n, 2, a, n, d->b, 2);
    free(a);
    free(xc);
    if (info != 0) {
        free(mx);
        sm_theta_decoder_free(d);
        return sm_error_set(err, SM_ENUMERIC, "theta decoder: ridge system not positive (%d)",
                            (int)info);
    }
    d->b0[0] = my[0];
    d->b0[1] = my[1];
    for (int j = 0; j < n; j++) {
        d->b0[0] -= mx[j] * d->b[(size_t)j * 2];
        d->b0[1] -= mx[j] * d->b[(size_t)j * 2 + 1];
    }
    free(mx);
    return SM_OK;
}

void sm_theta_decoder_free(sm_theta_decoder *d)
{
    free(d->b);
    free(d->pref);
    memset(d, 0, sizeof *d);
}

double sm_theta_decode(const sm_theta_decoder *d, const float *rates)
{
    if (d->kind == SM_THETA_DECODER_ARGMAX) {
        int best = 0;
        for (int j = 1; j < d->n; j++)
            if (rates[j] > rates[best]) best = j;
        return d->pref[best];
    }
    double c = d->b0[0], s = d->b0[1];
    for (int j = 0; j < d->n; j++) {
        c += rates[j] * d->b[(size_t)j * 2];
        s += rates[j] * d->b[(size_t)j * 2 + 1];
    }
    double x = atan2(s, c) / (2.0 * M_PI) * d->track_len;
    if (x < 0) x += d->track_len;
    return x;
}

void sm_theta_pi_test(sm_theta_pathint *m, const sm_theta_decoder *d, int64_t spin_steps,
                      int64_t test_steps, int repeats, double *err)
{
    const int noise_on = m->noise.on, force = m->gate.force;
    const int64_t per = spin_steps + test_steps;
    m->noise.on = 0;
    for (int r = 0; r < repeats; r++) {
        for (int64_t s = 0; s < per; s++) {
            m->gate.force = s < spin_steps ? -1 : 1;
            sm_theta_pathint_step(m, 0);
            err[(size_t)r * per + s] =
                sm_theta_pathint_distance(m, sm_theta_decode(d, m->p.r), m->x);
        }
    }
    m->noise.on = noise_on;
    m->gate.force = force;
}

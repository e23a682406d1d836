/* Tests of the LIF update against values computed by hand from the spec's equations. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/network/lif.h"

/* One neuron's state. */
typedef struct cell {
    float v, i, a, theta, drive;
    uint8_t spiked;
} cell;

static int step1(const sm_lif_coeffs *c, cell *x, const float *noise)
{
    return sm_lif_step(c, 1, &x->v, &x->i, &x->a, &x->theta, &x->drive, noise, &x->spiked);
}

static sm_lif_coeffs default_coeffs(int pop)
{
    sm_config cfg;
    sm_config_default(&cfg);
    return sm_lif_coeffs_make(&cfg.lif[pop], cfg.run.dt);
}

static cell rest_cell(void)
{
    cell x = {-70.0f, 0.0f, 0.0f, -55.0f, 0.0f, 0};
    return x;
}

/* tau_syn = tau_m = 30, R = 30, V_rest = -70, dt = 1, drives 1.0, 0.5, 0.0:
 *   I1 = 0 + (1/30)(1)                      = 0.033333333
 *   V1 = -70 + (1/30)(0 + 30 * I1)          = -69.966666667
 *   I2 = I1 + (1/30)(-I1 + 0.5)             = 0.048888889
 *   V2 = V1 + (1/30)(-(V1 + 70) + 30 * I2)  = -69.918888889
 *   I3 = I2 + (1/30)(-I2)                   = 0.047259259
 *   V3 = V2 + (1/30)(-(V2 + 70) + 30 * I3)  = -69.874333333 */
static void three_steps_by_hand(void **state)
{
    (void)state;
    sm_lif_coeffs c = default_coeffs(0);
    assert_float_near(c.k_syn, 1.0 / 30, 1e-8);
    assert_float_near(c.k_m, 1.0 / 30, 1e-8);
    assert_float_near(c.k_a, 1.0 / 100, 1e-8);
    const float drive[3] = {1.0f, 0.5f, 0.0f};
    const double want_i[3] = {0.033333333, 0.048888889, 0.047259259};
    const double want_v[3] = {-69.966666667, -69.918888889, -69.874333333};
    cell x = rest_cell();
    for (int t = 0; t < 3; t++) {
        x.drive = drive[t];
        assert_int_equal(step1(&c, &x, NULL), 0);
        assert_float_near(x.i, want_i[t], 1e-5);
        assert_float_near(x.v, want_v[t], 1e-5);
        assert_int_equal(x.spiked, 0);
        assert_true(x.drive == 0.0f); /* consumed */
        assert_true(x.a == 0.0f);
        assert_true(x.theta == -55.0f);
    }
}

/* The I population with its own constants: tau_m = 20, tau_syn = 10, R = 10.
 *   I1 = 0.1,   V1 = -70 + 0.05 (0 + 10 * 0.1)              = -69.95
 *   I2 = 0.14,  V2 = V1 + 0.05 (-0.05 + 1.4)                 = -69.8825
 *   I3 = 0.126, V3 = V2 + 0.05 (-0.1175 + 1.26)              = -69.825375 */
static void populations_use_their_own_constants(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lif[1].tau_m = 20;
    cfg.lif[1].tau_syn = 10;
    cfg.lif[1].r_m = 10;
    sm_lif_coeffs ce = sm_lif_coeffs_make(&cfg.lif[0], cfg.run.dt);
    sm_lif_coeffs ci = sm_lif_coeffs_make(&cfg.lif[1], cfg.run.dt);
    assert_float_near(ce.k_m, 1.0 / 30, 1e-8);
    assert_float_near(ci.k_m, 0.05, 1e-8);
    assert_float_near(ci.k_syn, 0.1, 1e-8);
    assert_true(ci.r_m == 10.0f && ce.r_m == 30.0f);
    const float drive[3] = {1.0f, 0.5f, 0.0f};
    const double want_i[3] = {0.1, 0.14, 0.126};
    const double want_v[3] = {-69.95, -69.8825, -69.825375};
    cell x = rest_cell();
    for (int t = 0; t < 3; t++) {
        x.drive = drive[t];
        step1(&ci, &x, NULL);
        assert_float_near(x.i, want_i[t], 1e-5);
        assert_float_near(x.v, want_v[t], 1e-5);
    }
    /* dt enters every coefficient. */
    sm_lif_coeffs half = sm_lif_coeffs_make(&cfg.lif[0], 0.5);
    assert_float_near(half.k_m, 0.5 / 30, 1e-8);
    assert_float_near(half.k_syn, 0.5 / 30, 1e-8);
    assert_float_near(half.k_a, 0.5 / 100, 1e-8);
}

static void adaptation_decays_and_jumps(void **state)
{
    (void)state;
    sm_lif_coeffs c = default_coeffs(0);
    /* No spike: a <- a (1 - dt/tau_a) = 3 * 0.99 = 2.97; theta = -55 + 2.97. */
    cell x = rest_cell();
    x.a = 3.0f;
    x.theta = -52.0f;
    step1(&c, &x, NULL);
    assert_int_equal(x.spiked, 0);
    assert_float_near(x.a, 2.97, 1e-6);
    assert_float_near(x.theta, -52.03, 1e-5);
    /* Spike (V starts far above threshold): a <- 2.97 * 0.99 + delta_a = 5.9403. */
    x.v = -20.0f;
    assert_int_equal(step1(&c, &x, NULL), 1);
    assert_int_equal(x.spiked, 1);
    assert_float_near(x.a, 5.9403, 1e-5);
    assert_float_near(x.theta, -55 + 5.9403, 1e-5);
    assert_true(x.v == -80.0f); /* reset */
    /* delta_a comes from the parameters. */
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lif[0].delta_a = 1.0;
    sm_lif_coeffs c1 = sm_lif_coeffs_make(&cfg.lif[0], 1.0);
    cell y = rest_cell();
    y.v = 0.0f;
    step1(&c1, &y, NULL);
    assert_float_near(y.a, 1.0, 1e-7);
    assert_float_near(y.theta, -54.0, 1e-6);
}

static void spike_test_uses_previous_threshold(void **state)
{
    (void)state;
    sm_lif_coeffs c = default_coeffs(0);
    /* V(-53.5) -> -53.5 - 16.5/30 = -54.05. Threshold carried in: -50 (adapted), though
     * theta0 + a_new = -55 would let it fire. */
    cell x = rest_cell();
    x.v = -53.5f;
    x.theta = -50.0f;
    assert_int_equal(step1(&c, &x, NULL), 0);
    assert_float_near(x.v, -54.05, 1e-5);
    assert_float_near(x.theta, -55.0, 1e-6); /* recomputed from a = 0 */
    /* V(-56) -> -56.4667; threshold carried in -58 fires, though theta0 + a_new = -55
     * would not. */
    cell y = rest_cell();
    y.v = -56.0f;
    y.theta = -58.0f;
    assert_int_equal(step1(&c, &y, NULL), 1);
    assert_true(y.v == -80.0f);
    /* Strictly greater: V exactly at theta does not fire. With k_m = 1 and R = 0 the
     * update lands exactly on V_rest = -70, which is set as the threshold. */
    sm_lif_coeffs e = c;
    e.k_m = 1.0f;
    e.r_m = 0.0f;
    cell z = rest_cell();
    z.theta = -70.0f; /* V_new = -70 exactly */
    assert_int_equal(step1(&e, &z, NULL), 0);
    assert_true(z.v == -70.0f);
}

static void clamps(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_lif_params p = cfg.lif[0];
    p.theta0 = 100;
    p.theta_max = 100; /* threshold out of reach so the clamped V is visible */
    sm_lif_coeffs c = sm_lif_coeffs_make(&p, 1.0);
    cell x = rest_cell();
    x.theta = 100.0f;
    x.drive = 1e4f; /* V -> -70 + 333.3 */
    step1(&c, &x, NULL);
    assert_true(x.v == 40.0f);
    assert_int_equal(x.spiked, 0);
    cell y = rest_cell();
    y.theta = 100.0f;
    y.drive = -1e4f;
    step1(&c, &y, NULL);
    assert_true(y.v == -100.0f);
    /* Noise is added before the clamp. */
    cell z = rest_cell();
    z.theta = 100.0f;
    float big = 1000.0f;
    step1(&c, &z, &big);
    assert_true(z.v == 40.0f);

    /* Threshold clamp to [theta_min, theta_max] = [-90, 0]. */
    sm_lif_coeffs d = default_coeffs(0);
    cell hi = rest_cell();
    hi.a = 1000.0f;
    step1(&d, &hi, NULL);
    assert_float_near(hi.a, 990.0, 1e-3);
    assert_true(hi.theta == 0.0f);
    cell lo = rest_cell();
    lo.a = -1000.0f;
    step1(&d, &lo, NULL);
    assert_true(lo.theta == -90.0f);
}

static void noise_is_added_to_the_membrane(void **state)
{
    (void)state;
    sm_lif_coeffs c = default_coeffs(0);
    cell x = rest_cell();
    float n = 0.5f;
    step1(&c, &x, &n);
    assert_float_near(x.v, -69.5, 1e-6);
    cell y = rest_cell();
    n = -1.25f;
    step1(&c, &y, &n);
    assert_float_near(y.v, -71.25, 1e-6);
}

static void many_neurons_each_independent(void **state)
{
    (void)state;
    /* 37 neurons (not a multiple of a vector width), each with its own drive; every
     * lane must match the single-neuron update. */
    enum { N = 37 };
    sm_lif_coeffs c = default_coeffs(0);
    float v[N], i[N], a[N], th[N], dr[N], nz[N];
    uint8_t sp[N];
    cell ref[N];
    sm_config cfg;
    sm_config_default(&cfg);
    sm_lif_init(&cfg.lif[0], N, v, i, a, th);
    for (int k = 0; k < N; k++) {
        assert_true(v[k] == -70.0f && i[k] == 0.0f && a[k] == 0.0f && th[k] == -55.0f);
        ref[k] = rest_cell();
    }
    int total = 0;
    for (int t = 0; t < 50; t++) {
        int want = 0;
        for (int k = 0; k < N; k++) {
            dr[k] = (float)((k % 7) * 0.4 + (t % 3) * 0.3);
            nz[k] = (float)(((k * 31 + t * 17) % 11) - 5) * 0.3f;
            ref[k].drive = dr[k];
            want += step1(&c, &ref[k], &nz[k]);
        }
        int got = sm_lif_step(&c, N, v, i, a, th, dr, nz, sp);
        assert_int_equal(got, want);
        total += got;
        for (int k = 0; k < N; k++) {
            assert_true(v[k] == ref[k].v && i[k] == ref[k].i && a[k] == ref[k].a);
            assert_true(th[k] == ref[k].theta && sp[k] == ref[k].spiked);
            assert_true(dr[k] == 0.0f);
        }
    }
    assert_true(total > 0); /* the strong drives make some neurons fire */
}

/* The spec's update for one neuron, written out with the coefficients of its population
 * (the same float operations, in the same order, as the library promises). */
static int reference_neuron(const sm_lif_coeffs *c, int live, float *v, float *i, float *a,
                            float *theta, float *drive, const float *noise, uint8_t *spiked)
{
    float cur = *i + c->k_syn * (-*i + *drive);
    float vm = *v + c->k_m * (-(*v - c->v_rest) + c->r_m * cur);
    if (noise) vm += *noise;
    vm = vm < c->v_min ? c->v_min : (vm > c->v_max ? c->v_max : vm);
    int s = live && vm > *theta;
    vm = s ? c->v_reset : vm;
    float ad = *a - c->k_a * *a;
    ad = s ? ad + c->delta_a : ad;
    float th = c->theta0 + ad;
    *i = cur;
    *v = vm;
    *a = ad;
    *theta = th < c->theta_min ? c->theta_min : (th > c->theta_max ? c->theta_max : th);
    *drive = 0.0f;
    *spiked = (uint8_t)s;
    return s;
}

enum { MAXN = 300, NARR = 5 };

typedef struct lif_state {
    float f[NARR][MAXN + 1]; /* v, i_syn, a, theta, drive; +1 for an unaligned start */
    float noise[MAXN + 1];
    uint8_t spiked[MAXN + 1];
} lif_state;

static float uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)rand() / (float)RAND_MAX;
}

/* Random state around the thresholds and clamps; a few lanes hold NaN, inf and -0. */
static void random_state(lif_state *s, int n_pad)
{
    for (int k = 0; k < n_pad + 1; k++) {
        s->f[0][k] = uniform(-90.0f, 10.0f);
        s->f[1][k] = uniform(-5.0f, 5.0f);
        s->f[2][k] = uniform(-2.0f, 20.0f);
        s->f[3][k] = uniform(-70.0f, 5.0f);
        s->f[4][k] = uniform(-50.0f, 400.0f);
        s->noise[k] = uniform(-30.0f, 30.0f);
        s->spiked[k] = 7;
    }
    s->f[4][n_pad / 3] = NAN;
    s->f[4][n_pad / 2] = INFINITY;
    s->f[3][n_pad / 5] = -0.0f;
}

static int step_ref(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, lif_state *s, int off,
                    int with_noise)
{
    int count = 0;
    for (int k = off; k < off + n_pad; k++)
        count += reference_neuron(&c[k - off >= n_first], k - off < n, &s->f[0][k], &s->f[1][k],
                                  &s->f[2][k], &s->f[3][k], &s->f[4][k],
                                  with_noise ? &s->noise[k] : NULL, &s->spiked[k]);
    return count;
}

static int step_lib(const sm_lif_coeffs c[2], int n_first, int n, int n_pad, lif_state *s, int off,
                    int with_noise)
{
    float *f[NARR];
    for (int j = 0; j < NARR; j++)
        f[j] = s->f[j] + off;
    const float *noise = with_noise ? s->noise + off : NULL;
    if (n_first == n && n == n_pad && memcmp(&c[0], &c[1], sizeof c[0]) == 0)
        return sm_lif_step(c, n, f[0], f[1], f[2], f[3], f[4], noise, s->spiked + off);
    return sm_lif_step_pops(c, n_first, n, n_pad, f[0], f[1], f[2], f[3], f[4], noise,
                            s->spiked + off);
}

static void vector_loops_equal_scalar_reference(void **state)
{
    (void)state;
    /* Sizes that are and are not multiples of 16, boundaries inside and at the edge of a
     * vector, aligned and unaligned arrays, padding lanes, with and without noise: every
     * float and spike flag must equal the scalar loop's, bit for bit. */
    const int sizes[][3] = {{250, 200, 256}, {250, 200, 250}, {37, 37, 37},  {37, 20, 48},
                            {16, 16, 16},    {33, 0, 33},     {5, 3, 16},    {300, 16, 300},
                            {1, 1, 1},       {64, 64, 80},    {100, 99, 112}};
    sm_config cfg;
    sm_config_default(&cfg);
    sm_lif_params p = cfg.lif[1]; /* a second population unlike the first in every constant */
    p.tau_m = 10, p.tau_syn = 5, p.tau_a = 40, p.r_m = 20, p.v_rest = -60, p.v_reset = -65;
    p.theta0 = -50, p.v_min = -85, p.v_max = 20, p.theta_min = -60, p.theta_max = -10;
    p.delta_a = 7;
    sm_lif_coeffs c[2] = {default_coeffs(0), sm_lif_coeffs_make(&p, cfg.run.dt)};
    const sm_lif_coeffs same[2] = {c[0], c[0]};
    srand(12345);
    for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
        const int n = sizes[q][0], n_first = sizes[q][1], n_pad = sizes[q][2];
        const sm_lif_coeffs *co = n_first == n && n == n_pad ? same : c; /* sm_lif_step */
        for (int variant = 0; variant < 4; variant++) {
            const int off = variant & 1, with_noise = variant >> 1;
            static lif_state got, want;
            random_state(&got, n_pad);
            want = got;
            for (int t = 0; t < 20; t++) {
                const int nw = step_ref(co, n_first, n, n_pad, &want, off, with_noise);
                assert_int_equal(step_lib(co, n_first, n, n_pad, &got, off, with_noise), nw);
                assert_memory_equal(&got, &want, sizeof got);
                for (int k = 0; k < n_pad; k++) /* fresh drive for the next step */
                    got.f[4][k + off] = want.f[4][k + off] = uniform(-50.0f, 400.0f);
            }
        }
    }
}

static void init_clamps_threshold(void **state)
{
    (void)state;
    sm_config cfg;
    sm_config_default(&cfg);
    sm_lif_params p = cfg.lif[1];
    p.v_init = -65;
    p.theta0 = 10; /* above theta_max = 0 */
    float v[3], i[3], a[3], th[3];
    sm_lif_init(&p, 3, v, i, a, th);
    for (int k = 0; k < 3; k++)
        assert_true(v[k] == -65.0f && th[k] == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_steps_by_hand),
        cmocka_unit_test(populations_use_their_own_constants),
        cmocka_unit_test(adaptation_decays_and_jumps),
        cmocka_unit_test(spike_test_uses_previous_threshold),
        cmocka_unit_test(clamps),
        cmocka_unit_test(noise_is_added_to_the_membrane),
        cmocka_unit_test(many_neurons_each_independent),
        cmocka_unit_test(vector_loops_equal_scalar_reference),
        cmocka_unit_test(init_clamps_threshold),
    };
    return cmocka_run_group_tests_name("lif", tests, NULL, NULL);
}

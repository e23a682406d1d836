/* Tests of the federated Hopfield module (spec federated-hopfield.md section 11): the
 * operators, the sharpening map and the TAM dynamics against an independent numpy
 * reference (a script run at test time on .npy files somnus writes; Debian
 * python3-numpy), the Hungarian retrieval against a brute-force search, and the small
 * formulas (controllers, MP edge, mixture count, acceptance) against values computed by
 * hand. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/config.h"
#include "somnus/io/npy.h"
#include "somnus/models/hopfield.h"
#include "somnus/models/hopfield_run.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"

/* The numpy reference: literal formulas of the spec and of the authors' code
 * (unsupervised_J, Hebb_J, propagate_J, TAM_Network.compute_fields / dynamics with
 * noise off). Reads d/in_*.npy, writes d/ref_*.npy. */
static const char REFERENCE[] =
    "import numpy as np, sys\n"
    "d = sys.argv[1]\n"
    "ld = lambda n: np.load(d + '/in_' + n + '.npy')\n"
    "sv = lambda n, a: np.save(d + '/ref_' + n + '.npy', np.ascontiguousarray(a, "
    "dtype=np.float64))\n"
    "e1, e2, xh = ld('eta1').astype(np.float64), ld('eta2').astype(np.float64), ld('xihat')\n"
    "N = e1.shape[1]\n"
    "J1 = e1.T @ e1 / (N * e1.shape[0]); J2 = e2.T @ e2 / (N * e2.shape[0])\n"
    "A = xh.T @ xh / N\n"
    "w = float(ld('w').ravel()[0])\n"
    "C1 = w * J1 + (1 - w) * A; C2 = w * J2 + (1 - w) * A\n"
    "sv('J1', J1); sv('A', A); sv('C1', C1); sv('Js', (C1 + C2) / 2)\n"
    "# sharpening: the literal matrix iteration of propagate_J (k = 0..iters, tol 1e-8)\n"
    "J = ld('Jsh').copy(); eps = 0.01\n"
    "for k in range(0, 200 + 1):\n"
    "    upd = (eps / (1 + eps * k)) * (J - J @ J)\n"
    "    J = J + upd\n"
    "    if np.linalg.norm(upd) / max(np.linalg.norm(J), 1e-12) < 1e-8: break\n"
    "sv('Jks', J)\n"
    "# TAM with noise off: sigma <- sign(tanh(beta h)), sign(0) = +1\n"
    "Jt = ld('Jtam'); S = ld('S0'); p = ld('tamp').ravel(); s, P = int(p[0]), int(p[1])\n"
    "beta, lam, hin, upd = p[2], p[3], p[4], int(p[5])\n"
    "sig = S.reshape(s, P, N).copy(); minf = np.inf\n"
    "for t in range(upd):\n"
    "    h1 = np.einsum('ij,slj->sli', Jt, sig)\n"
    "    t0 = np.einsum('sli,ski->slk', sig, h1)\n"
    "    t1 = np.einsum('slk,sli->ski', t0, h1)\n"
    "    t2 = np.einsum('skk,ski->ski', t0, h1)\n"
    "    h = h1 - lam * (t1 - t2) / N + hin * sig\n"
    "    minf = min(minf, np.abs(h).min())\n"
    "    x = np.tanh(beta * h); sig = np.where(x >= 0, 1.0, -1.0)\n"
    "sv('Stam', sig.reshape(s * P, N)); sv('minf', np.array([minf]))\n";

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void save(const char *dir, const char *name, int rows, int cols, const double *a)
{
    char fn[128];
    snprintf(fn, sizeof fn, "in_%s.npy", name);
    char *p = path_in(dir, fn);
    sm_error err;
    size_t shape[2] = {(size_t)rows, (size_t)cols};
    assert_int_equal(sm_npy_write(p, SM_NPY_F64, 2, shape, a, &err), SM_OK);
    free(p);
}

static sm_npy_array *load(const char *dir, const char *name)
{
    char fn[128];
    snprintf(fn, sizeof fn, "ref_%s.npy", name);
    char *p = path_in(dir, fn);
    sm_error err;
    sm_npy_array *a = sm_npy_read(p, &err);
    if (!a) fail_msg("%s: %s", p, err.msg);
    free(p);
    assert_int_equal(a->dtype, SM_NPY_F64);
    return a;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i] - b[i]) > m) m = fabs(a[i] - b[i]);
    return m;
}

static void random_pm1(sm_rng *r, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (sm_rng_u32(r) >> 31) ? 1.0 : -1.0;
}

/* Operators, sharpening and TAM against numpy (spec 11.1-11.3). */
static void numpy_reference(void **state)
{
    (void)state;
    tu_require_tool(PYTHON " -c 'import numpy'", PYTHON " with numpy", "python3-numpy");
    enum { N = 48, M1 = 37, M2 = 53, KH = 3, S = 4, P = 3 };
    char *dir = tu_mkdtemp();
    sm_rng r;
    sm_rng_init(&r, 7, SM_STREAM_USER, 0);
    double *e1 = malloc(sizeof(double) * M1 * N), *e2 = malloc(sizeof(double) * M2 * N);
    double xh[KH * N], wv = 0.37;
    random_pm1(&r, e1, (size_t)M1 * N);
    random_pm1(&r, e2, (size_t)M2 * N);
    random_pm1(&r, xh, (size_t)KH * N);
    double *J1 = malloc(sizeof(double) * N * N), *J2 = malloc(sizeof(double) * N * N);
    double *A = malloc(sizeof(double) * N * N), *C1 = malloc(sizeof(double) * N * N);
    double *C2 = malloc(sizeof(double) * N * N), *Js = malloc(sizeof(double) * N * N);
    sm_hf_hebb(e1, M1, N, J1);
    sm_hf_hebb(e2, M2, N, J2);
    sm_hf_reencode(xh, KH, N, A);
    sm_hf_blend(wv, J1, A, (size_t)N * N, C1);
    sm_hf_blend(wv, J2, A, (size_t)N * N, C2);
    for (int i = 0; i < N * N; i++)
        Js[i] = 0.5 * (C1[i] + C2[i]);
    for (int i = 0; i < N; i++) /* +-1 examples: every diagonal entry is exactly 1/N */
        assert_true(J1[i * N + i] == 1.0 / N && J2[i * N + i] == 1.0 / N);

    /* sharpening input: a Hebb matrix of noisy examples of 3 patterns (spectrum in [0,1)) */
    double *eta = malloc(sizeof(double) * 300 * N), *Jsh = malloc(sizeof(double) * N * N);
    int mu[300];
    const int set[3] = {0, 1, 2};
    sm_hf_example_labels(&r, set, 3, 300, 0, mu);
    sm_hf_examples(&r, xh, N, mu, 300, 0.7, 0, eta);
    sm_hf_hebb(eta, 300, N, Jsh);

    /* TAM input: J_s above (patterns + noise), 4 groups of 3 layers from mixtures */
    double *S0 = malloc(sizeof(double) * S * P * N);
    for (int a = 0; a < S; a++) {
        double x[N];
        random_pm1(&r, x, N);
        for (int l = 0; l < P; l++)
            memcpy(S0 + ((size_t)a * P + l) * N, x, sizeof x);
    }
    const double tamp[6] = {S, P, 2.5, 0.2, 0.1, 20};
    double w1[1] = {wv};
    save(dir, "eta1", M1, N, e1);
    save(dir, "eta2", M2, N, e2);
    save(dir, "xihat", KH, N, xh);
    save(dir, "w", 1, 1, w1);
    save(dir, "Jsh", N, N, Jsh);
    save(dir, "Jtam", N, N, Js);
    save(dir, "S0", S * P, N, S0);
    save(dir, "tamp", 1, 6, tamp);
    char *script = tu_write_file(dir, "ref.py", REFERENCE, strlen(REFERENCE));
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, PYTHON " %s %s 2>&1", script, dir);
    int rc = tu_run(cmd, &out);
    if (rc != 0) fail_msg("numpy reference failed: %s", out);
    free(out);

    /* 11.1: operators to 1e-12 */
    sm_npy_array *a = load(dir, "J1");
    assert_true(max_abs_diff(a->data, J1, (size_t)N * N) <= 1e-12);
    sm_npy_destroy(a);
    a = load(dir, "A");
    assert_true(max_abs_diff(a->data, A, (size_t)N * N) <= 1e-12);
    sm_npy_destroy(a);
    a = load(dir, "C1");
    assert_true(max_abs_diff(a->data, C1, (size_t)N * N) <= 1e-12);
    sm_npy_destroy(a);
    a = load(dir, "Js");
    assert_true(max_abs_diff(a->data, Js, (size_t)N * N) <= 1e-12);
    sm_npy_destroy(a);

    /* 11.2: eigenbasis sharpening = literal iteration to 1e-10 */
    double *lam = malloc(sizeof(double) * N), *V = malloc(sizeof(double) * N * N);
    double *tmp = malloc(sizeof(double) * N * N), *Jks = malloc(sizeof(double) * N * N);
    sm_error err;
    assert_int_equal(sm_hf_eig(Jsh, N, lam, V, &err), SM_OK);
    for (int d = 1; d < N; d++)
        assert_true(lam[d] <= lam[d - 1]);
    assert_int_equal(sm_hf_sharpen_values(lam, N, 0.01, 200), 201);
    sm_hf_rebuild(V, lam, N, tmp, Jks);
    a = load(dir, "Jks");
    const double dks = max_abs_diff(a->data, Jks, (size_t)N * N);
    if (dks > 1e-10) fail_msg("sharpening differs from the literal iteration by %g", dks);
    sm_npy_destroy(a);

    /* 11.3: TAM with noise off = numpy, bit for bit, no field near 0 */
    const sm_hf_tam_params tp = {2.5, 0.2, 0.1, 20, 0, 0, 0};
    double minf = 0;
    assert_int_equal(sm_hf_tam(Js, N, P, S, &tp, NULL, S0, &minf, &err), SM_OK);
    if (minf < 1e-12) fail_msg("a TAM field is within 1e-12 of 0 (%g): pick other inputs", minf);
    a = load(dir, "Stam");
    assert_int_equal(a->count, (size_t)S * P * N);
    assert_memory_equal(a->data, S0, sizeof(double) * S * P * N);
    sm_npy_destroy(a);
    a = load(dir, "minf");
    assert_true(fabs(((double *)a->data)[0] - minf) <= 1e-12);
    sm_npy_destroy(a);

    free(e1);
    free(e2);
    free(J1);
    free(J2);
    free(A);
    free(C1);
    free(C2);
    free(Js);
    free(eta);
    free(Jsh);
    free(S0);
    free(lam);
    free(V);
    free(tmp);
    free(Jks);
    free(script);
    tu_rmtree(dir);
    free(dir);
}

/* 11.2 (ours): 2000 sharpening steps take the Hebb matrix of 3 patterns to the
 * Kanter-Sompolinsky projector (1/N) Xi^T C^-1 Xi within 1e-2 relative Frobenius. */
static void sharpen_reaches_projector(void **state)
{
    (void)state;
    enum { N = 400, K = 3 };
    sm_rng r;
    sm_rng_init(&r, 3, SM_STREAM_USER, 1);
    double *xi = malloc(sizeof(double) * K * N);
    sm_hf_archetypes(&r, K, N, xi);
    double *J = malloc(sizeof(double) * N * N), *V = malloc(sizeof(double) * N * N);
    double *tmp = malloc(sizeof(double) * N * N), *lam = malloc(sizeof(double) * N);
    sm_hf_reencode(xi, K, N, J);
    sm_error err;
    assert_int_equal(sm_hf_eig(J, N, lam, V, &err), SM_OK);
    sm_hf_sharpen_values(lam, N, 0.01, 2000);
    sm_hf_rebuild(V, lam, N, tmp, J);
    /* C = Xi Xi^T / N (3 x 3) and its inverse by cofactors */
    double C[3][3], Ci[3][3];
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) {
            double s = 0;
            for (int i = 0; i < N; i++)
                s += xi[a * N + i] * xi[b * N + i];
            C[a][b] = s / N;
        }
    const double det = C[0][0] * (C[1][1] * C[2][2] - C[1][2] * C[2][1]) -
                       C[0][1] * (C[1][0] * C[2][2] - C[1][2] * C[2][0]) +
                       C[0][2] * (C[1][0] * C[2][1] - C[1][1] * C[2][0]);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            const int r0 = (b + 1) % 3, r1 = (b + 2) % 3, c0 = (a + 1) % 3, c1 = (a + 2) % 3;
            Ci[a][b] = (C[r0][c0] * C[r1][c1] - C[r0][c1] * C[r1][c0]) / det;
        }
    double num = 0, den = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double ks = 0;
            for (int a = 0; a < K; a++)
                for (int b = 0; b < K; b++)
                    ks += xi[a * N + i] * Ci[a][b] * xi[b * N + j];
            ks /= N;
            num += (J[i * N + j] - ks) * (J[i * N + j] - ks);
            den += ks * ks;
        }
    assert_true(sqrt(num / den) < 1e-2);
    /* the map's fixed points: eigenvalues 0 stay 0, 1 stays 1 */
    double l[2] = {0, 1};
    sm_hf_sharpen_values(l, 2, 0.01, 200);
    assert_true(l[0] == 0 && l[1] == 1);
    free(xi);
    free(J);
    free(V);
    free(tmp);
    free(lam);
}

/* Best total overlap of a one-to-one matching of exactly `need` more pairs among rows
 * row..Kh-1 and the unused columns, by exhaustive search (-1e300 if impossible). */
static double brute(const double *Q, int Kh, int K, int row, unsigned used, int need)
{
    if (need == 0) return 0;
    if (row == Kh) return -1e300;
    double best = brute(Q, Kh, K, row + 1, used, need); /* row left out */
    for (int c = 0; c < K; c++)
        if (!(used >> c & 1)) {
            double v = Q[row * K + c] + brute(Q, Kh, K, row + 1, used | 1u << c, need - 1);
            if (v > best) best = v;
        }
    return best;
}

/* 11.3: Hungarian retrieval = brute force for all shapes up to 6 x 6; magnetizations. */
static void hungarian_matches_brute_force(void **state)
{
    (void)state;
    sm_rng r;
    sm_rng_init(&r, 11, SM_STREAM_USER, 2);
    double Q[36], m[6];
    for (int trial = 0; trial < 40; trial++)
        for (int Kh = 1; Kh <= 6; Kh++)
            for (int K = 1; K <= 6; K++) {
                for (int i = 0; i < Kh * K; i++)
                    Q[i] = sm_rng_uniform(&r);
                const double got = sm_hf_retrieval(Q, Kh, K, m);
                /* min(Kh, K) pairs; the mean over K either way (sum / K when Kh < K) */
                const double want = brute(Q, Kh, K, 0, 0, Kh < K ? Kh : K) / K;
                if (fabs(got - want) > 1e-12)
                    fail_msg("Kh %d K %d: Hungarian %.15g, brute force %.15g", Kh, K, got, want);
                for (int mu = 0; mu < K; mu++) {
                    double mx = 0;
                    for (int a = 0; a < Kh; a++)
                        mx = Q[a * K + mu] > mx ? Q[a * K + mu] : mx;
                    assert_true(m[mu] == mx);
                }
            }
    /* no estimate: retrieval and magnetizations 0 */
    assert_true(sm_hf_retrieval(Q, 0, 3, m) == 0 && m[0] == 0 && m[2] == 0);
}

/* Controllers, entropies and the sign agreement by hand (spec section 5). */
static void controllers_by_hand(void **state)
{
    (void)state;
    /* r_ref = 0.9: p0 = (1 + 0.81)/2 = 0.905; agreement (p - 0.5)/0.405 */
    assert_float_near(sm_hf_controller_raw(SM_HF_AGREEMENT, 0.7025, 0.9), 0.5, 1e-12);
    assert_true(sm_hf_controller_raw(SM_HF_AGREEMENT, 0.49, 0.9) == 0);
    assert_true(sm_hf_controller_raw(SM_HF_AGREEMENT, 0.95, 0.9) == 1);
    /* entropy: p = 1/2 gives H = 1, w = 1; p = p0 gives w = 0 */
    assert_float_near(sm_hf_controller_raw(SM_HF_ENTROPY, 0.5, 0.9), 1.0, 1e-12);
    assert_float_near(sm_hf_controller_raw(SM_HF_ENTROPY, 0.905, 0.9), 0.0, 1e-12);
    /* hb(0.25) = 0.25 log2 4 + 0.75 log2(4/3) = 0.5 + 0.311278124459133 */
    assert_float_near(sm_hf_binary_entropy(0.25), 0.811278124459133, 1e-12);
    /* entropy w at p = 0.75, r_ref = 0.9: hb(0.905) = 0.452943 (python math) */
    const double hmin = sm_hf_binary_entropy(0.905);
    assert_float_near(hmin, 0.45294254818728313, 1e-12);
    assert_float_near(sm_hf_controller_raw(SM_HF_ENTROPY, 0.75, 0.9),
                      (0.811278124459133 - 0.45294254818728313) / (1 - 0.45294254818728313), 1e-12);
    assert_true(isnan(sm_hf_controller_raw(SM_HF_FIXED, 0.7, 0.9)));
    /* sign agreement over the 3 pairs above the diagonal: (0,1) +/+ agree, (0,2) -/+
     * disagree, (1,2) 0/0 agree (numpy's sign), diagonal ignored -> 2/3; and 0 vs + disagree */
    const double A[9] = {9, 1, -2, 1, 9, 0, -2, 0, 9};
    const double B[9] = {-9, 3, 5, 3, -9, 0, 5, 0, -9};
    assert_float_near(sm_hf_sign_agreement(A, B, 3), 2.0 / 3.0, 1e-15);
    const double B2[9] = {0, 3, 5, 3, 0, 1, 5, 1, 0};
    assert_float_near(sm_hf_sign_agreement(A, B2, 3), 1.0 / 3.0, 1e-15);
}

/* MP edge, noise estimate, mixture count, cut counts by hand (spec 4b-4c). */
static void spectral_formulas_by_hand(void **state)
{
    (void)state;
    /* s2 = 0.36, N = 400, q = 1/3, delta = 0.02:
     * 0.36/400 * (1 + 0.5773502691896258)^2 * 1.02 = 0.002284015094232153 (python) */
    assert_float_near(sm_hf_mp_edge(0.36, 400, 1.0 / 3.0, 0.02), 0.002284015094232153, 1e-15);
    /* lower half of {5,4,3,2,1,0.5} is {2,1,0.5}: median 1, times n = 6 */
    const double lam[6] = {5, 4, 3, 2, 1, 0.5};
    assert_float_near(sm_hf_noise_estimate(lam, 6), 6.0, 1e-15);
    assert_int_equal(sm_hf_count_above(lam, 6, 2.5), 3);
    assert_int_equal(sm_hf_count_above(lam, 6, 5), 0);
    /* 10 floor((Kh/P) ln(Kh/0.01)): ln 300 = 5.7038 -> 50 (P = 3), 30 (P = 5);
     * Kh = 1, P = 5: floor(0.921) = 0 -> 1; Kh = 100, P = 1: 10 floor(921.03) -> cap 500 */
    assert_int_equal(sm_hf_init_count(3, 3), 50);
    assert_int_equal(sm_hf_init_count(3, 5), 30);
    assert_int_equal(sm_hf_init_count(1, 5), 1);
    assert_int_equal(sm_hf_init_count(100, 1), 500);
    assert_int_equal(sm_hf_init_count(0, 3), 0);
}

/* Acceptance orders on 4 hand-made states (N = 4). */
static void acceptance_by_hand(void **state)
{
    (void)state;
    /* overlaps |s_i . s_j| / N: (0,1) .5, (0,2) 0, (0,3) .5, (1,2) .5, (1,3) 1, (2,3) .5 */
    const double S[16] = {1, 1, 1, 1, 1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, 1};
    const double score[4] = {0.7, 0.5, 0.8, 0.9};
    int keep[4];
    /* code order: scores >= 0.6 keep 0, 2, 3; (0,2) 0 keeps 2, (0,3) .5 drops 3 */
    assert_int_equal(sm_hf_accept(S, 4, 4, score, 0.6, 0.4, SM_HF_SCORE_FIRST, keep), 2);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 2);
    /* ranked: 3 (0.9), 2 (0.8), 0 (0.7); 3 drops 2 and 0 */
    assert_int_equal(sm_hf_accept(S, 4, 4, score, 0.6, 0.4, SM_HF_SCORE_RANK, keep), 1);
    assert_int_equal(keep[0], 3);
    /* qthr 0.6: only (1,3) is a duplicate. Code order: 1 fails the score first, 0, 2, 3
     * stay; paper order: the dedupe drops 3 for 1, then the score drops 1 */
    assert_int_equal(sm_hf_accept(S, 4, 4, score, 0.6, 0.6, SM_HF_SCORE_FIRST, keep), 3);
    assert_int_equal(sm_hf_accept(S, 4, 4, score, 0.6, 0.6, SM_HF_DEDUPE_FIRST, keep), 2);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 2);
    /* the reference drops j for every pair over the threshold even when i was dropped:
     * scores {.7,.9,.8,.5}: 0, 1, 2 pass; 0 drops 1, and the dropped 1 still drops 2 */
    const double score2[4] = {0.7, 0.9, 0.8, 0.5};
    assert_int_equal(sm_hf_accept(S, 4, 4, score2, 0.6, 0.4, SM_HF_SCORE_FIRST, keep), 1);
    assert_int_equal(keep[0], 0);
}

/* Examples: the flip channel keeps an entry with probability (1 + r)/2 (within 4 sd over
 * 100 x 400 entries); r = 1 copies the archetype; the mask channel zeros with 1 - r. */
static void example_channels(void **state)
{
    (void)state;
    enum { N = 400, M = 100 };
    sm_rng r;
    sm_rng_init(&r, 5, SM_STREAM_USER, 3);
    double xi[2 * N], *eta = malloc(sizeof(double) * M * N);
    sm_hf_archetypes(&r, 2, N, xi);
    int mu[M], set[2] = {0, 1};
    sm_hf_example_labels(&r, set, 2, M, 0, mu);
    for (int a = 0; a < M; a++)
        assert_int_equal(mu[a], a % 2);
    sm_hf_examples(&r, xi, N, mu, M, 0.6, 0, eta);
    long same = 0;
    for (int a = 0; a < M; a++)
        for (int i = 0; i < N; i++)
            same += eta[a * N + i] == xi[mu[a] * N + i];
    const double n = (double)M * N, p = 0.8;
    assert_true(fabs(same - p * n) < 4 * sqrt(n * p * (1 - p)));
    sm_hf_examples(&r, xi, N, mu, M, 1.0, 0, eta);
    for (int a = 0; a < M; a++)
        assert_memory_equal(eta + a * N, xi + mu[a] * N, sizeof(double) * N);
    sm_hf_examples(&r, xi, N, mu, M, 0.3, 1, eta);
    long zeros = 0;
    for (int i = 0; i < M * N; i++) {
        zeros += eta[i] == 0;
        assert_true(eta[i] == 0 || eta[i] == xi[mu[i / N] * N + i % N]);
    }
    assert_true(fabs(zeros - 0.7 * n) < 4 * sqrt(n * 0.21));
    /* subsets: K = 3, L = 3, one each, all archetypes covered */
    int sets[3];
    sm_hf_client_subsets(&r, 3, 3, 1, sets);
    assert_int_equal((1 << sets[0]) | (1 << sets[1]) | (1 << sets[2]), 7);
    int sets5[5 * 3];
    sm_hf_client_subsets(&r, 3, 5, 3, sets5);
    for (int c = 0; c < 5; c++)
        assert_int_equal((1 << sets5[c * 3]) | (1 << sets5[c * 3 + 1]) | (1 << sets5[c * 3 + 2]),
                         7);
    free(eta);
}

/* A whole run: reproducible from its seed; retrieval in [0, 1]; the attacker under the
 * agreement controller is halved each round once its raw weight is 0 (spec section 5),
 * and the good clients keep w > 0. */
static void run_reproducible_and_attacker(void **state)
{
    (void)state;
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    const char *set[] = {"hopfield.N=120",
                         "hopfield.K=2",
                         "hopfield.L=3",
                         "hopfield.T=4",
                         "hopfield.M=200",
                         "hopfield.r=0.9",
                         "hopfield.attackers=2",
                         "hopfield.k_per_client=2",
                         "hopfield.controller=agreement",
                         "hopfield.tau=0.1",
                         "hopfield.rho=0.1",
                         "hopfield.qthr=0.8",
                         "hopfield.tam_updates=10",
                         "hopfield.recall_reps=4",
                         NULL};
    for (int i = 0; set[i]; i++)
        assert_int_equal(sm_config_set_assignment(&c, set[i], "test", &err), SM_OK);
    sm_hf_result *a = NULL, *b = NULL;
    assert_int_equal(sm_hf_run(&c, 9, &a, &err), SM_OK);
    assert_int_equal(sm_hf_run(&c, 9, &b, &err), SM_OK);
    for (int t = 0; t < 4; t++) {
        assert_true(a->retrieval[t] == b->retrieval[t]);
        assert_true(a->retrieval[t] >= 0 && a->retrieval[t] <= 1);
        for (int l = 0; l < 3; l++)
            assert_true(a->w[t * 3 + l] == b->w[t * 3 + l]);
        const double wraw = a->w_raw[t * 3 + 2];
        if (t > 0 && wraw == 0) assert_true(a->w[t * 3 + 2] == 0.5 * a->w[(t - 1) * 3 + 2]);
    }
    /* attacker: at most 0.5^3 plus what positive raw weights add; good clients above it */
    if (!(a->w[3 * 3 + 2] < 0.2 && a->w[3 * 3 + 0] > a->w[3 * 3 + 2]))
        fail_msg("w at t = 3: good %g, attacker %g", a->w[9], a->w[11]);
    assert_memory_equal(a->J_server, b->J_server, sizeof(double) * 120 * 120);
    /* a bad quality list is refused with the option's name */
    assert_int_equal(sm_config_set(&c, "hopfield.r", "0.9,0.8", "test", &err), SM_OK);
    sm_hf_result *bad = NULL;
    assert_int_equal(sm_hf_run(&c, 9, &bad, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "hopfield.r"));
    sm_hf_result_destroy(a);
    sm_hf_result_destroy(b);
}

static void expect_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tol %g)", got, want, tol);
}

/* hopfield.schedule = novelty: parsing (bad text refused, naming the option), the ramp of
 * the new archetypes' share, the balanced and random label splits, and a whole run's
 * exposure of the new archetypes, all by hand. */
static void novelty_schedule_by_hand(void **state)
{
    (void)state;
    sm_hf_schedule s;
    sm_error err;
    const char *bad[] = {"bogus",         "novelty:12,4",    "novelty:12,0,3",  "novelty:-1,4,3",
                         "novelty:1,4,6", "novelty:1.5,4,3", "novelty:1,4,3,2", "novelty:1,4,3x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sm_hf_schedule_parse(bad[i], 6, &s, &err), SM_EINVAL);
        assert_non_null(strstr(err.msg, "hopfield.schedule"));
    }
    assert_int_equal(sm_hf_schedule_parse("uniform", 6, &s, &err), SM_OK);
    assert_int_equal(s.novelty, 0);
    assert_true(sm_hf_novel_fraction(&s, 30) == 0);
    assert_int_equal(sm_hf_schedule_parse("novelty:2,1,1,0.25", 6, &s, &err), SM_OK);
    assert_true(sm_hf_novel_fraction(&s, 1) == 0 && sm_hf_novel_fraction(&s, 2) == 0.25);
    assert_int_equal(sm_hf_schedule_parse("novelty:12,4,3", 6, &s, &err), SM_OK);
    assert_true(s.novelty == 1 && s.t0 == 12 && s.ramp == 4 && s.k_new == 3 && s.a_max == 0.5);
    const double want[] = {0, 0.125, 0.25, 0.375, 0.5, 0.5}; /* t = 11 .. 16 */
    for (int t = 11; t <= 16; t++)
        assert_true(sm_hf_novel_fraction(&s, t) == want[t - 11]);
    /* balanced: round(0.25 * 10) = 3 new examples first, cycling the new, then the old */
    const int set[6] = {4, 0, 5, 2, 3, 1};
    int mu[20000];
    sm_rng rng;
    sm_rng_init(&rng, 1, SM_STREAM_USER, 0);
    sm_hf_example_labels_split(&rng, set, 6, 10, 0, 3, 0.25, mu);
    const int expect[10] = {4, 5, 3, 0, 2, 1, 0, 2, 1, 0};
    assert_memory_equal(mu, expect, sizeof expect);
    /* a client that sees no new archetype draws all from the old ones */
    const int old_only[2] = {2, 0};
    sm_hf_example_labels_split(&rng, old_only, 2, 6, 0, 3, 0.5, mu);
    const int expect2[6] = {2, 0, 2, 0, 2, 0};
    assert_memory_equal(mu, expect2, sizeof expect2);
    /* random: each example new with probability 0.3 (20,000 draws: sd 65) */
    sm_hf_example_labels_split(&rng, set, 6, 20000, 1, 3, 0.3, mu);
    int n_new = 0, count[6] = {0};
    for (int a = 0; a < 20000; a++) {
        n_new += mu[a] >= 3;
        count[mu[a]]++;
    }
    if (abs(n_new - 6000) > 300) fail_msg("%d new of 20000, expected 6000 +- 300", n_new);
    for (int k = 0; k < 6; k++)
        assert_true(count[k] > 0);
    /* a whole run: exposure of the new archetypes = sum_t round(frac(t) M) / (M T) */
    sm_config c;
    sm_config_default(&c);
    const char *cfg_set[] = {"hopfield.N=60",
                             "hopfield.K=4",
                             "hopfield.L=2",
                             "hopfield.T=5",
                             "hopfield.M=30",
                             "hopfield.k_per_client=4",
                             "hopfield.tau=0.1",
                             "hopfield.tam_updates=4",
                             "hopfield.recall_reps=1",
                             "hopfield.schedule=novelty:2,2,2",
                             NULL};
    for (int i = 0; cfg_set[i]; i++)
        assert_int_equal(sm_config_set_assignment(&c, cfg_set[i], "test", &err), SM_OK);
    sm_hf_result *r = NULL;
    assert_int_equal(sm_hf_run(&c, 3, &r, &err), SM_OK);
    /* frac = 0, 0, 0.25, 0.5, 0.5: round(7.5) = 8, 15, 15 of 30 */
    expect_close(r->exposure[2] + r->exposure[3], (8.0 + 15 + 15) / (30.0 * 5), 1e-12);
    expect_close(r->exposure[0] + r->exposure[1], 1 - (8.0 + 15 + 15) / (30.0 * 5), 1e-12);
    sm_hf_result_destroy(r);
    assert_int_equal(sm_config_set(&c, "hopfield.schedule", "novelty:2,2,4", "test", &err), SM_OK);
    assert_int_equal(sm_hf_run(&c, 3, &r, &err), SM_EINVAL);
    assert_non_null(strstr(err.msg, "hopfield.schedule"));
}

/* hopfield.schedule = sequential (drift): parsing and its errors, the archetype in focus per
 * round, the labels, a whole run's exposure (by hand: the fraction of rounds each archetype
 * is in focus), and a short run's behaviour: with w = 1 each round's J_s is the Hebb
 * matrix of the focus archetype's examples alone, one outlier at the BBP prediction. */
static void sequential_schedule_by_hand(void **state)
{
    (void)state;
    sm_hf_schedule s;
    sm_error err;
    const char *bad[] = {"sequential:",   "sequential:0", "sequential:1.5", "sequential:2x",
                         "sequential:-1", "sequentialx",  "sequential,2",   "Sequential"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sm_hf_schedule_parse(bad[i], 3, &s, &err), SM_EINVAL);
        assert_non_null(strstr(err.msg, "hopfield.schedule"));
    }
    assert_int_equal(sm_hf_schedule_parse("uniform", 3, &s, &err), SM_OK);
    assert_int_equal(sm_hf_sequential_focus(&s, 3, 12, 5), -1);
    assert_int_equal(sm_hf_schedule_parse("sequential", 3, &s, &err), SM_OK);
    assert_true(s.sequential == 1 && s.block == 0 && s.novelty == 0);
    /* default block T / K: 12 rounds, 3 archetypes -> 4 rounds each */
    for (int t = 0; t < 12; t++)
        assert_int_equal(sm_hf_sequential_focus(&s, 3, 12, t), t / 4);
    /* T < 2K: block 1, cycling 0, 1, 2, 0, 1 */
    const int cyc[5] = {0, 1, 2, 0, 1};
    for (int t = 0; t < 5; t++)
        assert_int_equal(sm_hf_sequential_focus(&s, 3, 5, t), cyc[t]);
    assert_int_equal(sm_hf_schedule_parse("sequential:2", 3, &s, &err), SM_OK);
    assert_int_equal(s.block, 2);
    const int two[8] = {0, 0, 1, 1, 2, 2, 0, 0};
    for (int t = 0; t < 8; t++)
        assert_int_equal(sm_hf_sequential_focus(&s, 3, 100, t), two[t]);
    /* labels: all from the focus when the client sees it, else the client's own mix */
    const int set[2] = {2, 0};
    int mu[6];
    sm_rng rng;
    sm_rng_init(&rng, 1, SM_STREAM_USER, 0);
    assert_int_equal(sm_hf_example_labels_focus(&rng, set, 2, 6, 0, 0, mu), 1);
    const int all0[6] = {0, 0, 0, 0, 0, 0};
    assert_memory_equal(mu, all0, sizeof all0);
    assert_int_equal(sm_hf_example_labels_focus(&rng, set, 2, 6, 0, 1, mu), 0);
    const int mix[6] = {2, 0, 2, 0, 2, 0};
    assert_memory_equal(mu, mix, sizeof mix);
    /* a whole run, 5 rounds of 3 archetypes (block 1): exposure 2/5, 2/5, 1/5 */
    sm_config c;
    sm_config_default(&c);
    const char *cfg_set[] = {"hopfield.N=100",
                             "hopfield.K=3",
                             "hopfield.L=2",
                             "hopfield.T=5",
                             "hopfield.M=200",
                             "hopfield.r=0.9",
                             "hopfield.k_per_client=3",
                             "hopfield.tau=0.1",
                             "hopfield.tam_updates=8",
                             "hopfield.recall_reps=1",
                             "hopfield.w=1",
                             "hopfield.schedule=sequential",
                             NULL};
    for (int i = 0; cfg_set[i]; i++)
        assert_int_equal(sm_config_set_assignment(&c, cfg_set[i], "test", &err), SM_OK);
    sm_hf_result *r = NULL;
    assert_int_equal(sm_hf_run(&c, 3, &r, &err), SM_OK);
    expect_close(r->exposure[0], 0.4, 1e-12);
    expect_close(r->exposure[1], 0.4, 1e-12);
    expect_close(r->exposure[2], 0.2, 1e-12);
    /* w = 1: J_s of round t is Hebb of the focus's examples only: one outlier at the BBP
     * law lambda_out = s2 (1 + kappa)(1 + q / kappa) / N (J units), kappa = N r^2 / s2,
     * q = N / (M L); the rest in the bulk, below s2 (1 + sqrt q)^2 / N (+ 20%) */
    const double N = 100, s2 = 1 - 0.81, kappa = N * 0.81 / s2, q = N / (200.0 * 2);
    const double out = s2 * (1 + kappa) * (1 + q / kappa) / N,
                 edge = s2 * (1 + sqrt(q)) * (1 + sqrt(q)) / N;
    for (int t = 0; t < 5; t++) {
        const double *top = r->top_js + (size_t)t * r->n_top;
        expect_close(top[0], out, 0.02);
        if (!(top[1] < 1.2 * edge))
            fail_msg("round %d: second eigenvalue %g >= %g", t, top[1], 1.2 * edge);
        /* the focus archetype is the one learned */
        const int f = cyc[t];
        if (!(r->m[(size_t)t * 3 + f] >= 0.9))
            fail_msg("round %d: m of focus %d = %g", t, f, r->m[(size_t)t * 3 + f]);
    }
    sm_hf_result_destroy(r);
}

/* `somnus experiment hopfield-drift` (small sizes): its results keys per spec section 9
 * (retrieval and w per round, final_retrieval) and the drift columns per condition; a
 * non-sequential schedule refused. */
static void drift_experiment_keys(void **state)
{
    const char *dir = *state;
    char *out = NULL;
    assert_int_equal(tu_cli(dir,
                            "experiment hopfield-drift --quick --quiet --set hopfield.N=60 "
                            "--set hopfield.M=60 --set hopfield.T=4 --set hopfield.tam_updates=4 "
                            "--set hopfield.sharpen_iters=200 --set hopfield.tau=0.1 --out d.json",
                            &out),
                     0);
    free(out);
    char *path = path_in(dir, "d.json");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    free(path);
    assert_non_null(doc);
    json_t *res = json_object_get(doc, "results");
    assert_int_equal(json_array_size(json_object_get(res, "retrieval")), 4);
    assert_int_equal(json_array_size(json_object_get(res, "w")), 4);
    assert_true(json_is_number(json_object_get(res, "final_retrieval")));
    assert_int_equal(json_array_size(json_object_get(res, "targets")), 3);
    const char *conds[2] = {"entropy", "nomemory"};
    for (int c = 0; c < 2; c++) {
        json_t *cd = json_object_get(json_object_get(res, "conditions"), conds[c]);
        assert_non_null(cd);
        json_t *foc = json_object_get(cd, "focus"), *mf = json_object_get(cd, "m_focus");
        json_t *mp = json_object_get(cd, "m_past");
        assert_int_equal(json_array_size(foc), 4);
        for (int t = 0; t < 4; t++)
            assert_int_equal(json_integer_value(json_array_get(foc, (size_t)t)), t / 2);
        assert_int_equal(json_array_size(mf), 4);
        /* no past archetype in the first block; archetype 0 from round 2 on */
        assert_true(json_is_null(json_array_get(mp, 0)) && json_is_null(json_array_get(mp, 1)));
        assert_true(json_is_number(json_array_get(mp, 2)));
        assert_true(json_is_null(json_array_get(json_object_get(cd, "m_past_sd"), 0)));
        /* m_focus is the mean over seeds of m[focus]: recomputed from m */
        json_t *m = json_object_get(cd, "m");
        for (int t = 0; t < 4; t++)
            expect_close(
                json_number_value(json_array_get(mf, (size_t)t)),
                json_number_value(json_array_get(json_array_get(m, (size_t)t), (size_t)(t / 2))),
                1e-12);
        /* the control uses w = 1 in every round */
        if (c == 1)
            for (int t = 0; t < 4; t++)
                expect_close(json_number_value(json_array_get(
                                 json_array_get(json_object_get(cd, "w"), (size_t)t), 0)),
                             1, 0);
    }
    json_decref(doc);
    tu_expect_cli_error(dir,
                        "experiment hopfield-drift --quick --quiet --set hopfield.N=60 "
                        "--set hopfield.schedule=uniform --out e.json",
                        "hopfield.schedule");
}

/* `somnus train --model hopfield`: needs no data, runs hopfield.seeds seeds from run.seed
 * and reports per round the mean over seeds of what sm_hf_run measures (recomputed here
 * from two direct runs); --export and --checkpoint are refused. */
static void train_model_hopfield(void **state)
{
    const char *dir = *state;
    const char *set[] = {
        "hopfield.N=80",          "hopfield.K=2",     "hopfield.L=2",     "hopfield.T=3",
        "hopfield.M=150",         "hopfield.r=0.9",   "hopfield.tau=0.1", "hopfield.tam_updates=8",
        "hopfield.recall_reps=2", "hopfield.seeds=2", "run.seed=5",       NULL};
    char args[2048] = "train --model hopfield --quiet --out t.json";
    sm_config c;
    sm_config_default(&c);
    sm_error err;
    for (int i = 0; set[i]; i++) {
        assert_int_equal(sm_config_set_assignment(&c, set[i], "test", &err), SM_OK);
        strcat(args, " --set ");
        strcat(args, set[i]);
    }
    char *out = NULL;
    assert_int_equal(tu_cli(dir, args, &out), 0);
    free(out);
    char *path = path_in(dir, "t.json");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    free(path);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "hopfield");
    assert_int_equal(json_integer_value(json_object_get(doc, "seeds")), 2);
    json_t *res = json_object_get(doc, "results");
    json_t *ret = json_object_get(res, "retrieval"), *w = json_object_get(res, "w");
    assert_int_equal(json_array_size(ret), 3);
    sm_hf_result *a = NULL, *b = NULL;
    assert_int_equal(sm_hf_run(&c, 5, &a, &err), SM_OK);
    assert_int_equal(sm_hf_run(&c, 6, &b, &err), SM_OK);
    for (int t = 0; t < 3; t++) {
        expect_close(json_real_value(json_array_get(ret, (size_t)t)),
                     (a->retrieval[t] + b->retrieval[t]) / 2, 1e-12);
        json_t *row = json_array_get(w, (size_t)t);
        assert_int_equal(json_array_size(row), 2);
        expect_close(json_real_value(json_array_get(row, 1)),
                     (a->w[t * 2 + 1] + b->w[t * 2 + 1]) / 2, 1e-12);
    }
    expect_close(json_real_value(json_object_get(json_object_get(doc, "final"), "final_retrieval")),
                 (a->retrieval[2] + b->retrieval[2]) / 2, 1e-12);
    json_decref(doc);
    sm_hf_result_destroy(a);
    sm_hf_result_destroy(b);
    tu_expect_cli_error(dir, "train --model hopfield --quiet --export ex --out u.json", "--export");
    tu_expect_cli_error(dir, "train --model hopfield --quiet --set hopfield.r=0.9,0.8 --out u.json",
                        "hopfield.r");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numpy_reference),
        cmocka_unit_test(sharpen_reaches_projector),
        cmocka_unit_test(hungarian_matches_brute_force),
        cmocka_unit_test(controllers_by_hand),
        cmocka_unit_test(spectral_formulas_by_hand),
        cmocka_unit_test(acceptance_by_hand),
        cmocka_unit_test(example_channels),
        cmocka_unit_test(run_reproducible_and_attacker),
        cmocka_unit_test(novelty_schedule_by_hand),
        cmocka_unit_test(sequential_schedule_by_hand),
        cmocka_unit_test_setup_teardown(drift_experiment_keys, tu_state_dir_setup,
                                        tu_state_dir_teardown),
        cmocka_unit_test_setup_teardown(train_model_hopfield, tu_state_dir_setup,
                                        tu_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

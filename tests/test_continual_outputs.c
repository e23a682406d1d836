/* CLI tests of the outputs of continual runs (spec continual.md section 8): `somnus train
 * --set protocol.kind=continual --export DIR` read back with numpy against the results JSON
 * and against an independent run (the frozen network's statistics of two tasks equal those
 * of one task of the same images), the permutations of a permuted stream, SAFE's arrays,
 * a sweep's continual.csv and final.csv against its cells, and the figures. */
#include "testutil.h"

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"

static char *dir;

static int setup(void **state)
{
    (void)state;
    return tu_dir_setup(&dir);
}

static int teardown(void **state)
{
    (void)state;
    return tu_dir_teardown(&dir);
}

static void cli_ok(const char *args)
{
    char *out = NULL;
    const int rc = tu_cli(dir, args, &out);
    if (rc != 0) fprintf(stderr, "command: %s\nexit %d, output:\n%s\n", args, rc, out);
    assert_int_equal(rc, 0);
    free(out);
}

/* Runs a Python script (written into the test folder) that prints `ok` at the end. The
 * numpy cross-check needs /usr/bin/python3 with numpy: missing, the test fails. */
static void python_check(const char *script, const char *args, const char *ok)
{
    tu_require_tool(PYTHON " -c 'import numpy'", PYTHON " with numpy", "python3-numpy");
    free(tu_write_file(dir, "check.py", script, strlen(script)));
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, "cd '%s' && " PYTHON " check.py %s; s=$?; rm -f check.py; exit $s",
             dir, args);
    const int rc = tu_run(cmd, &out);
    if (rc != 0 || !strstr(out, ok)) fprintf(stderr, "python check failed:\n%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, ok));
    free(out);
}

/* dir/sub is a PNG that cairo reads back, 800 x 500 (the line plots) or any size (0). */
static void assert_png(const char *sub, int width)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    cairo_surface_t *s = cairo_image_surface_create_from_png(p);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) fprintf(stderr, "%s: not a PNG\n", p);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    if (width) assert_int_equal(cairo_image_surface_get_width(s), width);
    cairo_surface_destroy(s);
}

/* Shared Python: the npy files of a folder, R as JSON (null = NaN), a results document
 * without its timings and version. */
#define PY_HEAD                                                                                    \
    "import json, sys, os, numpy as np\n"                                                          \
    "def L(d, f):\n"                                                                               \
    "    return np.load(os.path.join(d, f + '.npy'))\n"                                            \
    "def M(x):\n"                                                                                  \
    "    return np.array([[np.nan if v is None else v for v in r] for r in x], "                   \
    "dtype=np.float64)\n"                                                                          \
    "def same(a, ref, what):\n"                                                                    \
    "    assert a.dtype == np.float64 and a.shape == ref.shape, (what, a.dtype, a.shape)\n"        \
    "    assert np.array_equal(a, ref, equal_nan=True), (what, a, ref)\n"                          \
    "def strip(o):\n"                                                                              \
    "    if isinstance(o, dict):\n"                                                                \
    "        return {k: strip(v) for k, v in o.items()\n"                                          \
    "                if k not in ('timing', 'wall_s', 'eval_s', 'somnus_version')}\n"              \
    "    return [strip(v) for v in o] if isinstance(o, list) else o\n"

#define STREAM_SMALL                                                                               \
    "--set protocol.kind=continual --set data.dataset=synthetic:100 "                              \
    "--set cl.per_class_train=20 --set cl.per_class_val=6 --set cl.per_class_test=10 "             \
    "--set cl.probe_per_class=4 --set cl.drift_images=24 --set data.batch=20 "                     \
    "--set input.steps_per_image=100 --set sleep.period=2000 --set run.threads=1 --quiet "
#define FROZEN "--set stdp.rule=none --set sleep.rate=0 --set ip.rule=none "

/* STDP: the files, R of every readout equal to the JSON's; the frozen network's ridge
 * statistics after two tasks equal those of one task of all four classes (the same images:
 * a frozen representation depends on the weights and the image alone), G symmetric and
 * diag(G) >= (sum of phi)^2 / N; and without --export the same results. */
static const char *CHECK_STDP = PY_HEAD
    "da, ja, db, jb, jn = sys.argv[1:6]\n"
    "A = json.load(open(ja))['continual']\n"
    "T = A['n_tasks']\n"
    "want = ['R', 'R_probe', 'R_stats', 'R_task', 'ridge_G_stats', 'ridge_Q_stats']\n"
    "assert sorted(os.listdir(da)) == [w + '.npy' for w in want], os.listdir(da)\n"
    "for f, ref in [('R', A['R']), ('R_task', A['R_task']), ('R_stats', A['stats']['R']),\n"
    "               ('R_probe', A['probe']['R'])]:\n"
    "    same(L(da, f), M(ref), f)\n"
    "R = L(da, 'R')\n"
    "assert R.shape == (T + 1, T) and np.isnan(R[0, 0]) and np.isnan(R[1, 1]) and R[2, 1] >= 0\n"
    "G, Q = L(da, 'ridge_G_stats'), L(da, 'ridge_Q_stats')\n"
    "G1, Q1 = L(db, 'ridge_G_stats'), L(db, 'ridge_Q_stats')\n"
    "d = G.shape[0]\n"
    "assert G.shape == (d, d) and Q.shape == (d, 4) and d == 200, (G.shape, Q.shape)\n"
    "assert np.allclose(G, G.T, rtol=1e-12, atol=0)\n"
    "assert G.trace() > 0 and np.all(Q >= 0)\n"
    "assert np.allclose(G, G1, rtol=1e-9, atol=1e-12), abs(G - G1).max()\n"
    "assert np.allclose(Q, Q1, rtol=1e-9, atol=1e-12), abs(Q - Q1).max()\n"
    "N = sum(A['train_images_per_task'])\n"
    "assert N == 80, N\n"
    "s = Q.sum(axis=1)\n"
    "assert np.all(N * np.diag(G) >= s * s * (1 - 1e-12))\n"
    "assert strip(json.load(open(ja))) == strip(json.load(open(jn)))\n"
    "print('continual export ok')\n";

static void stdp_export_matches_results(void **state)
{
    (void)state;
    cli_ok("train " STREAM_SMALL FROZEN
           "--set cl.stream=split:synthetic:100:0,1/2,3 --out a.json --export ea");
    cli_ok("train " STREAM_SMALL FROZEN
           "--set cl.stream=split:synthetic:100:0,1,2,3 --out b.json --export eb");
    cli_ok("train " STREAM_SMALL FROZEN "--set cl.stream=split:synthetic:100:0,1/2,3 --out n.json");
    python_check(CHECK_STDP, "ea a.json eb b.json n.json", "continual export ok");
}

/* SAFE: R of every head, each learner's ridge statistics (the fast learner's start as a
 * copy of the slow one's: the columns of task 1's classes are equal, exactly), the PET
 * parameters (SSF: gamma and shift; LoRA: A and B), the aggregation weights (w_S + w_F = 1,
 * the mean w_S over each task's test images = the JSON's w_slow_per_task). */
static const char *CHECK_SAFE = PY_HEAD
    "d, j, dl, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
    "C = json.load(open(j))['continual']\n"
    "T, h = C['n_tasks'], C['ptm']['hidden']\n"
    "heads = ['slow', 'fast', 'aggregate', 'ptm_ridge', 'oracle_selected']\n"
    "for f, ref in [('R', C['R']), ('R_task', C['R_task'])] + [('R_' + k, C[k]['R']) for k in "
    "heads]:\n"
    "    same(L(d, f), M(ref), f)\n"
    "same(L(d, 'R'), L(d, 'R_aggregate'), 'R = aggregate')\n"
    "for l in ['slow', 'fast', 'ptm_ridge']:\n"
    "    G, Q = L(d, 'ridge_G_' + l), L(d, 'ridge_Q_' + l)\n"
    "    assert G.shape == (h, h) and Q.shape == (h, 4), (l, G.shape, Q.shape)\n"
    "    assert np.allclose(G, G.T, rtol=1e-12, atol=0) and G.trace() > 0, l\n"
    "    s = Q.sum(axis=1)\n"
    "    assert np.all(80 * np.diag(G) >= s * s * (1 - 1e-12)), l\n"
    "Qs, Qf = L(d, 'ridge_Q_slow'), L(d, 'ridge_Q_fast')\n"
    "assert np.array_equal(Qs[:, :2], Qf[:, :2])\n"
    "assert not np.array_equal(Qs[:, 2:], Qf[:, 2:])\n"
    "for l in ['slow', 'fast']:\n"
    "    p = L(d, 'pet_' + l)\n"
    "    assert p.shape == (2, h) and np.all(np.isfinite(p)), p.shape\n"
    "    assert not (np.all(p[0] == 1) and np.all(p[1] == 0)), l  # trained away from the start\n"
    "w = L(d, 'agg_weights')\n"
    "assert w.shape == (n, 2), w.shape\n"
    "assert np.all(np.abs(w.sum(axis=1) - 1) < 1e-15) and np.all((w > 0) & (w < 1))\n"
    "per = n // T\n"
    "for t in range(T):\n"
    "    ref = C['w_slow_per_task'][0][t]\n"
    "    assert abs(w[t * per:(t + 1) * per, 0].mean() - ref) < 1e-12, (t, ref)\n"
    "assert not os.path.exists(os.path.join(dl, 'pet_slow.npy'))\n"
    "for l in ['slow', 'fast']:\n"
    "    A, B = L(dl, 'pet_' + l + '_A'), L(dl, 'pet_' + l + '_B')\n"
    "    assert A.shape == (4, 225) and B.shape == (h, 4), (A.shape, B.shape)\n"
    "assert np.any(L(dl, 'pet_fast_B') != 0)\n"
    "print('safe export ok')\n";

#define SAFE_SMALL                                                                                 \
    "--set protocol.kind=continual --model safe --set data.dataset=synthetic:100 "                 \
    "--set cl.stream=split:synthetic:100:0,1/2,3 --set cl.per_class_train=20 "                     \
    "--set cl.per_class_val=6 --set cl.per_class_test=10 --set cl.ridge_grid=-2:0 "                \
    "--set safe.ptm=random --set sgsnn.n_hidden=40 --set sgsnn.steps=10 "                          \
    "--set safe.epochs_first=1 --set safe.epochs_later=1 --set safe.batch=8 --quiet "

static void safe_export_matches_results(void **state)
{
    (void)state;
    cli_ok("train " SAFE_SMALL "--set safe.lr=0.05 --out s.json --export es");
    cli_ok("train " SAFE_SMALL "--set safe.lr=0.01 --set safe.pet=lora --set safe.lora_rank=4 "
           "--out l.json --export el");
    python_check(CHECK_SAFE, "es s.json el 40", "safe export ok");
}

/* A fake MNIST folder (28 x 28 images, labels i mod 10): 60 training, 40 test images. */
static void fake_mnist(void)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/fake/mnist", dir);
    char cmd[4300], *out = NULL;
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    assert_int_equal(tu_run(cmd, &out), 0);
    free(out);
    tu_write_idx_pair(sub, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60, 60, 28, 28, 60,
                      0x803);
    tu_write_idx_pair(sub, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 40, 40, 28, 28, 40,
                      0x803);
    const char *lbl[2] = {"train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"};
    const int n[2] = {60, 40};
    for (int f = 0; f < 2; f++) {
        unsigned char b[8 + 60] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)n[f]};
        for (int i = 0; i < n[f]; i++)
            b[8 + i] = (unsigned char)(i % 10);
        free(tu_write_file(sub, lbl[f], b, 8 + (size_t)n[f]));
    }
}

/* A permuted stream: permutations.npy (T x n_in int32), task 1 the identity, every row a
 * permutation of the pixels, no two rows equal; R equal to the JSON's (domain-IL: no
 * R_task). */
static const char *CHECK_PERM =
    PY_HEAD "d, j = sys.argv[1:3]\n"
            "C = json.load(open(j))['continual']\n"
            "T = C['n_tasks']\n"
            "assert T == 3 and C['R_task'] is None\n"
            "assert sorted(os.listdir(d)) == ['R.npy', 'permutations.npy'], os.listdir(d)\n"
            "same(L(d, 'R'), M(C['R']), 'R')\n"
            "p = L(d, 'permutations')\n"
            "assert p.dtype == np.int32 and p.shape == (3, 225), (p.dtype, p.shape)\n"
            "assert np.array_equal(p[0], np.arange(225))\n"
            "for t in range(3):\n"
            "    assert np.array_equal(np.sort(p[t]), np.arange(225)), t\n"
            "assert not np.array_equal(p[1], p[2]) and not np.array_equal(p[1], p[0])\n"
            "print('permutations ok')\n";

static void permuted_stream_exports_permutations(void **state)
{
    (void)state;
    fake_mnist();
    cli_ok("train --set protocol.kind=continual --model sgsnn --set data.dir=fake "
           "--set data.dataset=mnist --set cl.stream=permuted-mnist --set cl.tasks=3 "
           "--set cl.per_class_train=3 --set cl.per_class_val=1 --set cl.per_class_test=2 "
           "--set sgsnn.n_hidden=16 --set sgsnn.steps=5 --set cl.epochs_per_task=1 --quiet "
           "--out p.json --export ep");
    python_check(CHECK_PERM, "ep p.json", "permutations ok");
}

/* continual.csv: one row per defined cell of every R of every cell, equal to the cells'
 * JSON (printed with 10 digits); final.csv: acc, aia, bwt, forgetting, fwt of the JSON. */
static const char *CHECK_SWEEP = PY_HEAD
    "import csv, glob\n"
    "d = sys.argv[1]\n"
    "rows = list(csv.DictReader(open(os.path.join(d, 'continual.csv'))))\n"
    "assert list(rows[0].keys()) == ['run.seed', 'cell', 'model', 'seed', 'learner', 'i', 'j',\n"
    "                                'accuracy'], rows[0].keys()\n"
    "got = {(r['cell'], r['learner'], int(r['i']), int(r['j'])): float(r['accuracy']) for r in "
    "rows}\n"
    "assert len(got) == len(rows)\n"
    "want, seeds = {}, {}\n"
    "for f in sorted(glob.glob(os.path.join(d, 'cells', '*.json'))):\n"
    "    doc = json.load(open(f))\n"
    "    cell, C = doc['sweep']['id'], doc['continual']\n"
    "    seeds[cell] = str(doc['seed'])\n"
    "    mats = [('reported', C['R'])] + [(k, v['R']) for k, v in C.items()\n"
    "                                     if isinstance(v, dict) and 'R' in v]\n"
    "    for name, R in mats:\n"
    "        for i, row in enumerate(R):\n"
    "            for j, v in enumerate(row):\n"
    "                if v is not None:\n"
    "                    want[(cell, name, i, j + 1)] = v\n"
    "    fin = [r for r in csv.DictReader(open(os.path.join(d, 'final.csv'))) if r['cell'] == "
    "cell]\n"
    "    assert len(fin) == 1\n"
    "    for k in ['acc', 'aia', 'bwt', 'forgetting', 'fwt']:\n"
    "        v = C[k]\n"
    "        assert (fin[0][k] == '') if v is None else abs(float(fin[0][k]) - v) < 1e-9, (k, v)\n"
    "assert len(seeds) == 2 and set(want) == set(got), (len(want), len(got))\n"
    "assert {r['learner'] for r in rows} == {'reported', 'task', 'stats', 'probe'}\n"
    "for k, v in want.items():\n"
    "    assert abs(got[k] - v) <= 1e-9 * max(1, abs(v)), (k, v, got[k])\n"
    "for r in rows:\n"
    "    assert r['seed'] == seeds[r['cell']] == r['run.seed']\n"
    "print('continual.csv ok')\n";

static void sweep_writes_continual_csv_and_figures(void **state)
{
    (void)state;
    cli_ok("sweep " STREAM_SMALL "--set cl.stream=split:synthetic:100:0,1/2,3 "
           "--set cl.images_per_task=20 --grid run.seed=1,2 --jobs 1 --out sw");
    python_check(CHECK_SWEEP, "sw", "continual.csv ok");
    assert_png("sw/plots/R.png", 0);
    assert_png("sw/plots/sequence.png", 800);
    assert_png("sw/plots/acc_bwt.png", 800);
    /* somnus plot redraws them from the cells */
    char p[4200];
    snprintf(p, sizeof p, "%s/sw/plots/sequence.png", dir);
    remove(p);
    cli_ok("plot sw");
    assert_png("sw/plots/sequence.png", 800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stdp_export_matches_results),
        cmocka_unit_test(safe_export_matches_results),
        cmocka_unit_test(permuted_stream_exports_permutations),
        cmocka_unit_test(sweep_writes_continual_csv_and_figures),
    };
    return cmocka_run_group_tests_name("continual_outputs", tests, setup, teardown);
}

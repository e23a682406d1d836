/* CLI tests of the numpy and SONATA outputs: `somnus train --export DIR` read back with
 * numpy and checked against the results JSON, `somnus run --spikes-out x.h5` read with h5py
 * and replayed with `--input sonata:x.h5:somnus`, and the errors of both. */
#include "testutil.h"

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

static int cli(const char *args, char **out)
{
    return tu_cli(dir, args, out);
}

static void expect_error(const char *args, const char *needle)
{
    tu_expect_cli_error(dir, args, needle);
}

static void cli_ok(const char *args)
{
    char *out = NULL;
    int rc = cli(args, &out);
    if (rc != 0) fprintf(stderr, "command: %s\nexit %d, output:\n%s\n", args, rc, out);
    assert_int_equal(rc, 0);
    free(out);
}

/* The cross-checks need /usr/bin/python3 with `modules` (Debian python3-numpy,
 * python3-h5py): a missing one fails the test, it is never skipped. */
static void require_python(const char *modules)
{
    char cmd[256], what[256];
    snprintf(cmd, sizeof cmd, PYTHON " -c 'import %s'", modules);
    snprintf(what, sizeof what, PYTHON " with %s", modules);
    tu_require_tool(cmd, what, "python3-numpy python3-h5py");
}

/* Runs a Python script (written into the test folder, removed afterwards) that prints
 * `ok` at the end; args are appended to its command line. */
static void python_check(const char *script, const char *args, const char *ok)
{
    free(tu_write_file(dir, "check.py", script, strlen(script)));
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, "cd '%s' && " PYTHON " check.py %s; s=$?; rm -f check.py; exit $s",
             dir, args);
    int rc = tu_run(cmd, &out);
    if (rc != 0 || !strstr(out, ok)) fprintf(stderr, "python check failed:\n%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, ok));
    free(out);
}

#define SMALL_TRAIN                                                                                \
    "--data idx:img,lbl --set data.n_train=20 --set data.n_val=4 --set data.n_test=8 "             \
    "--set data.batch=10 --set train.eval_fit=10 --set input.steps_per_image=20 "                  \
    "--set net.n_exc=40 --set net.n_inh=10 --quiet "

/* Every STDP export file against the results JSON. */
static const char *CHECK_STDP =
    "import json, sys, os, numpy as np\n"
    "d, doc = sys.argv[1], json.load(open(sys.argv[2]))\n"
    "L = lambda n: np.load(os.path.join(d, n))\n"
    "net, fin, ev = doc['network'], doc['final'], doc['evaluations']\n"
    "n_in, n_exc, n_inh = net['n_input'], net['n_exc'], net['n_inh']\n"
    "pre, post, w, pw = L('weights_pre.npy'), L('weights_post.npy'), L('weights.npy'), "
    "L('weights_pathway.npy')\n"
    "assert (pre.dtype, post.dtype, w.dtype, pw.dtype) == "
    "(np.int32, np.int32, np.float32, np.uint8), (pre.dtype, post.dtype, w.dtype, pw.dtype)\n"
    "assert pre.shape == post.shape == w.shape == pw.shape == (net['synapses'],)\n"
    "names = ['SE', 'EE', 'EI', 'IE']\n"
    "for p, name in enumerate(names):\n"
    "    m = pw == p\n"
    "    assert m.sum() == net['synapses_per_pathway'][name], name\n"
    "    s = float(np.abs(w[m].astype(np.float64)).sum())\n"
    "    ref = ev['sum_abs_' + name][-1]\n"
    "    assert abs(s - ref) <= 1e-5 * max(1.0, abs(ref)), (name, s, ref)\n"
    "S, E, I = (0, n_in), (n_in, n_in + n_exc), (n_in + n_exc, n_in + n_exc + n_inh)\n"
    "inr = lambda a, r: bool(((a >= r[0]) & (a < r[1])).all())\n"
    "for p, (a, b) in enumerate([(S, E), (E, E), (E, I), (I, E)]):\n"
    "    m = pw == p\n"
    "    assert inr(pre[m], a) and inr(post[m], b), names[p]\n"
    "assert (w[pw < 3] >= 0).all() and (w[pw == 3] <= 0).all()\n"
    "se = L('se_weights.npy')\n"
    "assert se.dtype == np.float32 and se.shape == (n_exc, n_in), se.shape\n"
    "m = pw == 0\n"
    "dense = np.zeros((n_exc, n_in), np.float32)\n"
    "dense[post[m] - n_in, pre[m]] = w[m]\n"
    "assert np.array_equal(se, dense)\n"
    "tr, ytr, te, yte = L('train_repr.npy'), L('train_labels.npy'), L('test_repr.npy'), "
    "L('test_labels.npy')\n"
    "dim = n_exc + (n_inh if doc['config']['readout']['features'] == 'all' else 0)\n"
    "assert tr.dtype == te.dtype == np.float32 and ytr.dtype == yte.dtype == np.int32\n"
    "assert tr.shape == (fin['n_fit_images'], dim) and ytr.shape == (fin['n_fit_images'],)\n"
    "assert te.shape == (fin['n_test'], dim) and yte.shape == (fin['n_test'],)\n"
    "assert fin['n_test'] == doc['data']['n_test']\n"
    "for r in (tr, te):\n"
    "    assert (r >= 0).all() and (r == np.round(r)).all()\n"
    "assert tr.sum() > 0\n"
    "assert set(ytr.tolist()) <= {0, 1} and set(yte.tolist()) <= {0, 1}\n"
    "rows = [sum(r) for r in fin['confusion']]\n"
    "assert np.bincount(yte, minlength=len(rows)).tolist() == rows, rows\n"
    "mon = doc['monitor']\n"
    "assert len(mon) > 0 and len(mon['step']) > 0\n"
    "for col, vals in mon.items():\n"
    "    a = L('monitor_' + col + '.npy')\n"
    "    assert a.dtype == np.float64 and a.shape == (len(vals),), col\n"
    "    if col == 'phase':\n"
    "        vals = [{'wake': 0, 'sleep': 1, 'test': 2}[v] for v in vals]\n"
    "    ref = np.array([np.nan if v is None else v for v in vals], np.float64)\n"
    "    assert np.array_equal(a, ref, equal_nan=True), col\n"
    "print('export ok')\n";

/* Intrinsic plasticity: h and g per neuron against the results' final and monitor values. */
static const char *CHECK_IP =
    "import json, sys, os, numpy as np\n"
    "d, doc = sys.argv[1], json.load(open(sys.argv[2]))\n"
    "L = lambda n: np.load(os.path.join(d, n))\n"
    "net, fin, mon = doc['network'], doc['final'], doc['monitor']\n"
    "ne, ni = net['n_exc'], net['n_inh']\n"
    "h, g = L('ip_h.npy'), L('ip_g.npy')\n"
    "assert h.dtype == g.dtype == np.float32 and h.shape == g.shape == (ne + ni,), h.shape\n"
    "he, ge = h[:ne].astype(np.float64), g[:ne].astype(np.float64)\n"
    "assert he.std() > 0, 'h did not move'\n"
    "for got, ref in ((he.mean(), fin['ip_h_mean_e']), (he.std(ddof=1), fin['ip_h_sd_e']),\n"
    "                 (ge.mean(), fin['ip_g_mean_e'])):\n"
    "    assert abs(got - ref) <= 1e-6 * max(1.0, abs(ref)), (got, ref)\n"
    "assert (h[ne:] == 0).all() and (g[ne:] == 1).all()  # ip.populations = e\n"
    "for col, ref in (('h_mean_E', he.mean()), ('h_sd_E', he.std(ddof=1)), ('g_mean_E', "
    "ge.mean()),\n"
    "                 ('h_mean_I', 0.0), ('h_sd_I', 0.0), ('g_mean_I', 1.0)):\n"
    "    assert abs(mon[col][-1] - ref) <= 1e-6 * max(1.0, abs(ref)), (col, mon[col][-1], ref)\n"
    "    assert np.array_equal(L('monitor_' + col + '.npy'), np.array(mon[col])), col\n"
    "print('ip export ok')\n";

/* The default rule (triesch) moves the gain of E away from 1 (rate would keep it at 1). */
static const char *CHECK_IP_G_MOVED =
    "import sys, os, numpy as np\n"
    "g = np.load(os.path.join(sys.argv[1], 'ip_g.npy'))\n"
    "assert np.abs(g[:g.size * 4 // 5] - 1).max() > 1e-4, 'g did not move'\n"
    "print('g moved')\n";

static const char *CHECK_SGSNN =
    "import json, sys, os, numpy as np\n"
    "d, doc = sys.argv[1], json.load(open(sys.argv[2]))\n"
    "L = lambda n: np.load(os.path.join(d, n))\n"
    "net = doc['network']\n"
    "w1, b1, w2, b2 = L('w1.npy'), L('b1.npy'), L('w2.npy'), L('b2.npy')\n"
    "assert all(a.dtype == np.float32 for a in (w1, b1, w2, b2))\n"
    "assert w1.shape == (net['n_hidden'], net['n_in']) and b1.shape == (net['n_hidden'],)\n"
    "assert w2.shape == (net['n_out'], net['n_hidden']) and b2.shape == (net['n_out'],)\n"
    "s = doc['final']['sum_abs_w']\n"
    "for a, ref in ((w1, s[0]), (w2, s[1])):\n"
    "    got = float(np.abs(a.astype(np.float64)).sum())\n"
    "    assert abs(got - ref) <= 1e-5 * max(1.0, ref), (got, ref)\n"
    "assert not os.path.exists(os.path.join(d, 'weights.npy'))\n"
    "print('sgsnn export ok')\n";

static void train_export_matches_results(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    cli_ok("train " SMALL_TRAIN "--seed 2 --out r.json --export exp");
    static const char *files[] = {"weights_pre.npy",     "weights_post.npy", "weights.npy",
                                  "weights_pathway.npy", "se_weights.npy",   "train_repr.npy",
                                  "train_labels.npy",    "test_repr.npy",    "test_labels.npy",
                                  "monitor_step.npy",    "monitor_phase.npy"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char p[700];
        snprintf(p, sizeof p, "%s/exp/%s", dir, files[k]);
        if (!tu_exists(p)) fprintf(stderr, "missing %s\n", p);
        assert_true(tu_exists(p));
    }
    require_python("numpy");
    python_check(CHECK_STDP, "exp r.json", "export ok");
    /* somnus's defaults have ip.rule = triesch (gain and offset move): ip_h.npy, ip_g.npy
     * and the monitor's h and g columns; the same with ip.rule = rate (g stays 1); with
     * ip.rule = none, none of them. */
    python_check(CHECK_IP, "exp r.json", "ip export ok");
    python_check(CHECK_IP_G_MOVED, "exp", "g moved");
    cli_ok("train " SMALL_TRAIN "--seed 2 --set ip.rule=rate --out rr.json --export expr");
    python_check(CHECK_IP, "expr rr.json", "ip export ok");
    cli_ok("train " SMALL_TRAIN "--seed 2 --set ip.rule=none --out n.json --export expn");
    char nip[700];
    snprintf(nip, sizeof nip, "%s/expn/ip_h.npy", dir);
    assert_false(tu_exists(nip));
    snprintf(nip, sizeof nip, "%s/expn/monitor_h_mean_E.npy", dir);
    assert_false(tu_exists(nip));
    snprintf(nip, sizeof nip, "%s/expn/weights.npy", dir);
    assert_true(tu_exists(nip));
    /* A nested folder is created; the SG-SNN writes its layers. */
    cli_ok("train " SMALL_TRAIN "--model sgsnn --set sgsnn.n_hidden=16 --set sgsnn.epochs=1 "
           "--set sgsnn.steps=5 --out s.json --export out/sg");
    char p[700];
    snprintf(p, sizeof p, "%s/out/sg/w1.npy", dir);
    assert_true(tu_exists(p));
    python_check(CHECK_SGSNN, "out/sg s.json", "sgsnn export ok");
}

/* diag.iid exports: every diag_* column of the evaluations table as
 * evaluations_diag_<column>.npy equal to the JSON (null = NaN), no other evaluations_
 * file; the probe counts (n_probe x neurons, float32: SG-SNN layers, dc E and I) or
 * posteriors (ppg units), from which numpy's own silent, tau = 0.1 dormant fractions and
 * srank reproduce the last row; dc and ppg: ||W||_F of the exported weights, dc: the
 * fraction of input->E weights near a bound (w_max 1). */
static const char *CHECK_DIAG =
    "import json, sys, os, numpy as np\n"
    "d, doc, model = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]\n"
    "ev = doc['evaluations']\n"
    "cols = [k for k in ev if k.startswith('diag_')]\n"
    "assert len(cols) >= 12, cols\n"
    "files = sorted(f for f in os.listdir(d) if f.startswith('evaluations_'))\n"
    "assert files == sorted('evaluations_%s.npy' % c for c in cols), files\n"
    "for c in cols:\n"
    "    a = np.load(os.path.join(d, 'evaluations_%s.npy' % c))\n"
    "    ref = np.array([np.nan if v is None else v for v in ev[c]], dtype=np.float64)\n"
    "    assert a.dtype == np.float64 and a.shape == ref.shape, c\n"
    "    assert np.array_equal(a, ref, equal_nan=True), c\n"
    "def probe(f, layer, H, T):\n"
    "    c = np.load(os.path.join(d, f))\n"
    "    assert c.dtype == np.float32 and c.shape[1] == H, c.shape\n"
    "    phi = c.astype(np.float64) / T\n"
    "    m = phi.mean(axis=0)\n"
    "    dormant = 1.0 if m.mean() == 0 else float((m / m.mean() <= 0.1).mean())\n"
    "    assert abs(ev['diag_%s_silent' % layer][-1] - float((m == 0).mean())) < 1e-12\n"
    "    assert abs(ev['diag_%s_dormant_0.1' % layer][-1] - dormant) < 1e-12\n"
    "    s = np.linalg.svd(phi, compute_uv=False)\n"
    "    k = 0 if s.sum() == 0 else int(np.searchsorted(np.cumsum(s), 0.99 * s.sum() * (1 - "
    "1e-12)) + 1)\n"
    "    assert ev['diag_%s_srank' % layer][-1] == k, (layer, ev['diag_%s_srank' % layer][-1], k)\n"
    "    return phi\n"
    "def norm(w, col, tol):\n"
    "    w = w.astype(np.float64)\n"
    "    assert abs(ev[col][-1] - np.linalg.norm(w)) <= tol * np.linalg.norm(w), col\n"
    "    return w\n"
    "net = doc.get('network')\n"
    "if model == 'hopfield':\n"
    "    probe('probe_counts_units.npy', 'units', doc['config']['hopfield']['N'], 1)\n"
    "if model == 'sgsnn':\n"
    "    T = doc['config']['sgsnn']['steps']\n"
    "    for layer, H in (('hidden', net['n_hidden']), ('output', net['n_out'])):\n"
    "        probe('probe_counts_%s.npy' % layer, layer, H, T)\n"
    "if model == 'dc':\n"
    "    c = doc['config']['dc']\n"
    "    T = round(c['t_present'] / net['dt']) + round(c['t_rest'] / net['dt'])\n"
    "    for pop in ('E', 'I'):\n"
    "        probe('probe_counts_%s.npy' % pop, pop, net['n_exc'], T)\n"
    "    w = norm(np.load(os.path.join(d, 'dc_weights.npy')), 'diag_SE_weight_norm', 1e-9)\n"
    "    near = float(((np.abs(w) <= 0.01) | (np.abs(w - 1) <= 0.01)).mean())\n"
    "    assert ev['diag_SE_frac_near_bound'][-1] == near, near\n"
    "if model == 'ppg':\n"
    "    phi = probe('probe_posterior_units.npy', 'units', net['n_units'], 1)\n"
    "    assert np.allclose(phi.sum(axis=1), 1, atol=1e-5)\n"
    "    norm(np.load(os.path.join(d, 'ppg_w.npy')), 'diag_W_weight_norm', 1e-6)  # ppg_w.npy is "
    "float32\n"
    "print('diag export ok')\n";

static void train_export_diag_iid(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    require_python("numpy");
    cli_ok("train " SMALL_TRAIN "--model sgsnn --set sgsnn.n_hidden=16 --set sgsnn.epochs=2 "
           "--set sgsnn.steps=5 --set data.n_val=12 --set diag.iid=1 --out sd.json --export sd");
    python_check(CHECK_DIAG, "sd sd.json sgsnn", "diag export ok");
    cli_ok("train " SMALL_TRAIN "--seed 2 --set diag.iid=1 --out td.json --export td");
    python_check(CHECK_DIAG, "td td.json stdp", "diag export ok");
    cli_ok("train --data idx:img,lbl --model dc --set data.n_train=12 --set data.n_val=8 "
           "--set data.n_test=6 --set data.batch=6 --set dc.n_exc=20 --set dc.t_present=50 "
           "--set dc.t_rest=10 --set diag.iid=1 --quiet --out dd.json --export dd");
    python_check(CHECK_DIAG, "dd dd.json dc", "diag export ok");
    cli_ok("train --data idx:img,lbl --model ppg --set data.n_train=24 --set data.n_val=10 "
           "--set data.n_test=6 --set ppg.epochs=2 --set diag.iid=1 --quiet --out pd.json "
           "--export pd");
    python_check(CHECK_DIAG, "pd pd.json ppg", "diag export ok");
    /* hopfield: one seed, so the table's seed means are that seed's values */
    cli_ok("train --model hopfield --set hopfield.N=80 --set hopfield.T=5 --set diag.iid=1 "
           "--quiet --out hd.json --export hd");
    python_check(CHECK_DIAG, "hd hd.json hopfield", "diag export ok");
    cli_ok("train --model theta --set theta.train_min=3 --set diag.iid=1 --quiet --out thd.json "
           "--export thd");
    python_check(CHECK_DIAG, "thd thd.json theta", "diag export ok");
    /* off (the default): no evaluations_ file */
    cli_ok("train " SMALL_TRAIN "--model sgsnn --set sgsnn.n_hidden=16 --set sgsnn.epochs=1 "
           "--set sgsnn.steps=5 --out s0.json --export s0");
    char p[700];
    snprintf(p, sizeof p, "%s/s0/evaluations_diag_hidden_silent.npy", dir);
    assert_false(tu_exists(p));
    snprintf(p, sizeof p, "%s/s0/w1.npy", dir);
    assert_true(tu_exists(p));
}

/* The dc export against the results JSON: shapes (n_in x n_exc, row = input), weights in
 * [0, 1], theta's mean = final.theta_mean; frozen (passes 0, normalized once): every
 * column sums to 78 (a transposed or padded copy would not). */
static const char *CHECK_DC =
    "import json, sys, os, numpy as np\n"
    "d, doc, frozen = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3] == '1'\n"
    "w, th = np.load(os.path.join(d, 'dc_weights.npy')), np.load(os.path.join(d, 'dc_theta.npy'))\n"
    "net = doc['network']\n"
    "assert w.dtype == np.float32 and th.dtype == np.float64\n"
    "assert w.shape == (net['n_in'], net['n_exc']) and th.shape == (net['n_exc'],), w.shape\n"
    "assert w.min() >= 0 and w.max() <= 1\n"
    "assert abs(th.mean() - doc['final']['theta_mean']) < 1e-9, th.mean()\n"
    "if frozen:\n"
    "    s = w.astype(np.float64).sum(axis=0)\n"
    "    assert np.all(np.abs(s - 78) < 1e-3), s\n"
    "    assert np.all(th == 20.0), th\n"
    "print('dc export ok')\n";

#define DC_TRAIN                                                                                   \
    "--data idx:img,lbl --model dc --set data.n_train=12 --set data.n_val=0 "                      \
    "--set data.n_test=6 --set dc.n_exc=20 --set dc.t_present=50 --set dc.t_rest=10 --quiet "

static void train_export_dc(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    require_python("numpy");
    cli_ok("train " DC_TRAIN "--set dc.passes=0 --seed 3 --out d0.json --export dc0");
    python_check(CHECK_DC, "dc0 d0.json 1", "dc export ok");
    cli_ok("train " DC_TRAIN "--set dc.passes=1 --seed 3 --out d1.json --export dc1");
    python_check(CHECK_DC, "dc1 d1.json 0", "dc export ok");
}

static void train_export_errors_before_the_run(void **state)
{
    (void)state;
    tu_write_idx_pair(dir, "img", "lbl", 40, 40, 15, 15, 40, 0x803);
    /* img is a file: no folder can be made under it (even as root). */
    expect_error("train " SMALL_TRAIN "--out r2.json --export img/exp", "--export img/exp");
    expect_error("train " SMALL_TRAIN "--out r2.json --export", "--export");
    /* A run that fails on its data leaves no export folder behind. */
    expect_error("train --data idx:no-img,no-lbl --quiet --out r2.json --export e2",
                 "no-img: cannot open");
}

static const char *CHECK_H5 = "import sys, h5py, numpy as np\n"
                              "f = h5py.File(sys.argv[1], 'r')\n"
                              "assert list(f['spikes'].keys()) == ['somnus']\n"
                              "g = f['spikes/somnus']\n"
                              "t, ids = g['timestamps'][:], g['node_ids'][:]\n"
                              "assert t.dtype == np.float64 and ids.dtype == np.uint64\n"
                              "assert t.tolist() == [6.0, 21.0], t\n"
                              "assert ids.tolist() == [1, 1], ids\n"
                              "u = g['timestamps'].attrs['units']\n"
                              "assert (u.decode() if isinstance(u, bytes) else u) == 'ms'\n"
                              "s = g.attrs['sorting']\n"
                              "assert (s.decode() if isinstance(s, bytes) else s) == 'by_time'\n"
                              "print('h5 ok')\n";

static char *slurp(const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* One S neuron drives one E neuron (global id 1) one step after each input spike; its
 * spikes, written as SONATA, drive input neuron 1 of a second network, whose E neuron
 * (global id 2) fires one step later again. */
#define ONE_TO_ONE                                                                                 \
    "--quiet --steps 30 --plasticity off --set net.n_exc=1 --set net.n_inh=0 --set net.p_se=1 "    \
    "--set net.w_se=1 --set lif_e.tau_m=1 --set lif_e.tau_syn=1 "

static void run_sonata_round_trip(void **state)
{
    (void)state;
    const char *in = "neuron,time_ms\n0,5.0\n0,5.4\n0,20\n";
    free(tu_write_file(dir, "in.csv", in, strlen(in)));
    cli_ok("run " ONE_TO_ONE "--set net.n_input=1 --input spikes:in.csv --out a.json "
           "--spikes-out x.h5");
    require_python("h5py, numpy");
    python_check(CHECK_H5, "x.h5", "h5 ok");
    cli_ok("run " ONE_TO_ONE "--set net.n_input=2 --input sonata:x.h5:somnus --out b.json "
           "--spikes-out b.csv");
    char *b = slurp("b.csv");
    assert_non_null(b);
    assert_string_equal(b, "neuron,time_ms\n2,7\n2,22\n");
    free(b);
    /* Without a population name the only one is taken; .sonata is SONATA too. */
    cli_ok("run " ONE_TO_ONE "--set net.n_input=2 --input sonata:x.h5 --out c.json "
           "--spikes-out c.sonata");
    {
        const char *cmp = "import sys, h5py\n"
                          "g = h5py.File(sys.argv[1], 'r')['spikes/somnus']\n"
                          "assert g['node_ids'][:].tolist() == [2, 2]\n"
                          "assert g['timestamps'][:].tolist() == [7.0, 22.0]\n"
                          "print('sonata ok')\n";
        python_check(cmp, "c.sonata", "sonata ok");
    }
}

static void run_sonata_errors(void **state)
{
    (void)state;
    expect_error("run --steps 10 --input sonata:missing.h5 --out r.json --spikes-out s.h5",
                 "missing.h5");
    expect_error("run --steps 10 --input sonata: --out r.json", "names no file");
    const char *in = "0,1.0\n";
    char *p = tu_write_file(dir, "one.csv", in, strlen(in));
    cli_ok("run " ONE_TO_ONE "--set net.n_input=1 --input spikes:one.csv --out a.json "
           "--spikes-out y.h5");
    remove(p);
    free(p);
    expect_error("run --steps 10 --input sonata:y.h5:other --out r.json", "other");
    /* Global id 1 is out of range for a network with one input neuron. */
    expect_error("run " ONE_TO_ONE "--set net.n_input=1 --input sonata:y.h5 --out r.json",
                 "out of range");
    expect_error("run --steps 10 --input none --out r.json --spikes-out /nonexistent-dir/s.h5",
                 "/nonexistent-dir/s.h5");
    expect_error("run --steps 10 --input nothing --out r.json", "sonata:FILE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_export_matches_results),
        cmocka_unit_test(train_export_diag_iid),
        cmocka_unit_test(train_export_dc),
        cmocka_unit_test(train_export_errors_before_the_run),
        cmocka_unit_test(run_sonata_round_trip),
        cmocka_unit_test(run_sonata_errors),
    };
    return cmocka_run_group_tests_name("export", tests, setup, teardown);
}

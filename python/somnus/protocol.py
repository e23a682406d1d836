"""train, sweep and the registered experiments from Python, results as dicts and
pandas DataFrames."""

import contextlib
import io
import json
import math
import signal
import threading

import numpy as np

from ._lib import ffi, lib, libc, new_error, check, text, take_json, copy_array, \
    SomnusError, Cancelled
from .config import Config, as_config
from .dataset import Dataset

try:
    import pandas as _pd
except ImportError:  # pandas is optional: results stay dicts and lists
    _pd = None


# ---------------------------------------------------------------------- results
class Result(dict):
    """A results document (the JSON somnus writes) as a dict, with
    - frames: {path: pandas.DataFrame} for every table in it (an object of equal-length
      columns such as "evaluations", or a list of flat objects), when pandas is
      installed (otherwise {});
    - arrays: {name: numpy array} of what the run was asked to keep (weights, ...)."""

    def __init__(self, doc, arrays=None):
        super().__init__(doc or {})
        self.arrays = arrays or {}
        self._frames = None

    @property
    def frames(self):
        if self._frames is None:
            self._frames = frames(self) if _pd is not None else {}
        return self._frames


def _is_table(v):
    if isinstance(v, dict) and v and all(isinstance(c, list) for c in v.values()):
        n = {len(c) for c in v.values()}
        return len(n) == 1 and n.pop() > 0 and all(
            not isinstance(x, (dict, list)) for c in v.values() for x in c)
    if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
        # rows; a cell may hold a list (e.g. per-seed accuracies), not an object
        return all(not isinstance(x, dict) for r in v for x in r.values())
    return False


def frames(doc, prefix=""):
    """{path: DataFrame} of every table inside a results document (see Result)."""
    if _pd is None:
        raise ImportError("somnus.frames needs pandas (Debian: python3-pandas)")
    out = {}
    if isinstance(doc, dict):
        items = doc.items()
    elif isinstance(doc, list):
        items = ((str(i), v) for i, v in enumerate(doc))
    else:
        return out
    for k, v in items:
        path = prefix + str(k)
        if _is_table(v):
            out[path] = _pd.DataFrame(v)
        elif isinstance(v, (dict, list)) and path.count(".") < 6:
            out.update(frames(v, path + "."))
    return out


@contextlib.contextmanager
def _blas_one_thread():
    """OpenBLAS on one thread during the call, as the somnus program runs every command
    (the readouts' numbers depend on BLAS's thread count)."""
    saved = lib.openblas_get_num_threads()
    lib.openblas_set_num_threads(1)
    try:
        yield
    finally:
        lib.openblas_set_num_threads(saved)


@contextlib.contextmanager
def _sigint_flag():
    """While active (main thread only), Ctrl-C sets flag[0] instead of raising, so that
    a C run can be asked to stop at its next callback and end cleanly."""
    flag = [False]
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    old = signal.getsignal(signal.SIGINT)

    def handler(_sig, _frame):
        flag[0] = True

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, old)


# ---------------------------------------------------------------------- train
class TrainData:
    """The prepared images of one training run (sm_train_data_load): train, val and
    test as Datasets (numpy views), for train(data=...) or your own analysis."""

    def __init__(self, config=None):
        cfg = as_config(config)
        self._d = ffi.new("sm_train_data *")
        err = new_error()
        check(lib.sm_train_data_load(cfg._c, self._d, err), err)
        self._free = ffi.gc(self._d, lib.sm_train_data_free)
        self.config = cfg.copy()
        self.name = ffi.string(self._d.name).decode()
        self.test_official = bool(self._d.test_official)
        # not owned: sm_train_data_free frees them; the Datasets keep self alive. A model
        # that generates its inputs (train.model = theta) loads none: they are None.
        self.train, self.val, self.test = (
            _Borrowed(self, p) if p != ffi.NULL else None
            for p in (self._d.train, self._d.val, self._d.test))


class _Borrowed(Dataset):
    def __init__(self, owner, ptr):
        self._owner = owner
        super().__init__(ptr, owned=False)


def train(config=None, *, data=None, progress=None, keep_weights=False,
          keep_representations=False, checkpoint=None, checkpoint_every=0, resume=None):
    """Runs `somnus train` (sm_train_data_load + sm_train_run_opts) and returns its
    results document as a Result (a dict; .frames["evaluations"] is the learning curve).

    config: a Config, dict or file path (train.model chooses STDP or SG-SNN).
    data: a TrainData prepared earlier (else loaded from config).
    progress: f(dict) called after every presentation/minibatch with stage, done,
      total, batch, n_batches, last_accuracy; return True to stop (raises Cancelled).
    keep_weights: Result.arrays gets the trained network, as `--export` writes it:
      weights, weights_pre, weights_post, weights_pathway, se_weights (STDP);
      w1, b1, w2, b2 (SG-SNN).
    keep_representations: Result.arrays gets train_repr/labels, test_repr/labels.
    Ctrl-C stops the run at the next presentation and raises Cancelled."""
    cfg = as_config(config)
    if data is None:
        data = TrainData(cfg)
    arrays = {}
    cb_error = []

    with _sigint_flag() as stop, _blas_one_thread():
        def on_progress(_ctx, p):
            try:
                if stop[0]:
                    return 1
                if progress is not None:
                    d = {"stage": ffi.string(p.stage).decode() if p.stage != ffi.NULL else "",
                         "done": p.done, "total": p.total, "batch": p.batch,
                         "n_batches": p.n_batches, "last_accuracy": p.last_accuracy}
                    return 1 if progress(d) else 0
                return 0
            except BaseException as e:  # noqa: B902
                cb_error.append(e)
                return 1

        def on_final(_ctx, sim):
            net = sim.net
            n = int(net.n_syn)
            row = copy_array(net.row, "int64_t", net.n_total + 1)
            arrays["weights"] = copy_array(net.w, "float", n)
            arrays["weights_pre"] = np.repeat(np.arange(net.n_total, dtype=np.int32),
                                              np.diff(row))
            arrays["weights_post"] = copy_array(net.post, "int32_t", n) + net.n_in
            arrays["weights_pathway"] = copy_array(net.pathway, "uint8_t", n)
            sz = ffi.new("size_t *")
            buf = lib.sm_sweep_se_npy(sim, sz)
            if buf != ffi.NULL:
                arrays["se_weights"] = np.load(io.BytesIO(bytes(ffi.buffer(buf, sz[0]))))
                libc.free(buf)

        def on_repr(_ctx, fit, fit_y, n_fit, test, test_y, n_test, d):
            arrays["train_repr"] = copy_array(fit, "float", n_fit * d, (n_fit, d))
            arrays["train_labels"] = copy_array(fit_y, "int", n_fit)
            arrays["test_repr"] = copy_array(test, "float", n_test * d, (n_test, d))
            arrays["test_labels"] = copy_array(test_y, "int", n_test)

        def on_sgsnn(_ctx, net):
            for layer in (0, 1):
                lay = lib.sm_sgsnn_get_layer(net, layer)
                arrays["w%d" % (layer + 1)] = copy_array(lay.w, "float", lay.rows * lay.cols,
                                                         (lay.rows, lay.cols))
                arrays["b%d" % (layer + 1)] = copy_array(lay.b, "float", lay.rows)

        keep = []
        opt = ffi.new("sm_train_options *")
        cb = ffi.callback("int(void *, const sm_train_progress *)", on_progress)
        keep.append(cb)
        opt.progress = cb
        if keep_weights:
            f1 = ffi.callback("void(void *, const struct sm_sim *)", on_final)
            f2 = ffi.callback("void(void *, struct sm_sgsnn *)", on_sgsnn)
            keep += [f1, f2]
            opt.final_fn, opt.sgsnn_final_fn = f1, f2
        if keep_representations:
            f3 = ffi.callback("void(void *, const float *, const int *, int, const float *, "
                              "const int *, int, int)", on_repr)
            keep.append(f3)
            opt.repr_fn = f3
        if checkpoint is not None:
            ck = ffi.new("char[]", text(checkpoint))
            keep.append(ck)
            opt.checkpoint_path = ck
            opt.checkpoint_every = int(checkpoint_every)
        if resume is not None:
            rs = ffi.new("char[]", text(resume))
            keep.append(rs)
            opt.resume_path = rs
        doc = ffi.new("json_t **")
        err = new_error()
        st = lib.sm_train_run_opts(cfg._c, data._d, opt, doc, err)
    if cb_error:
        raise cb_error[0]
    if st == lib.SM_ECANCELED and stop[0]:
        raise Cancelled("train: interrupted (Ctrl-C)", st)
    check(st, err)
    return Result(take_json(doc[0]), arrays)


# ---------------------------------------------------------------------- sweep
def _axis_spec(name, values):
    if isinstance(values, str):
        return "%s=%s" % (name, values)
    vals = [("true" if v else "false") if isinstance(v, bool) else
            repr(v) if isinstance(v, float) else str(v) for v in values]
    sep = ";" if any("," in v for v in vals) else ","
    return "%s=%s" % (name, sep.join(vals))


def sweep(grid, config=None, *, jobs=0, keep_weights=False, log=None):
    """Runs a grid of `train` runs (the runner of `somnus sweep`, without files) and
    returns a Result {"axes": [...], "cells": [cell documents in grid order]} whose
    frames["final"] has one row per cell (its parameters and final scores) and
    frames["evaluations"] the learning curves of all cells, long format.

    grid: {"sleep.rate": [0, 0.5], "run.seed": "1:3"} (values as a list or in the
      `--grid` syntax) or a list of "name=VALUES" strings. jobs: worker threads
      (0 = one per core). keep_weights: Result.arrays["se_weights"] is a list of the
      cells' S->E weight matrices. log(line) gets a line per finished cell.
    Ctrl-C stops the workers (cells running end as interrupted) and raises Cancelled."""
    specs = [_axis_spec(k, v) for k, v in grid.items()] if isinstance(grid, dict) \
        else list(grid)
    cfg = as_config(config)
    g = ffi.new("sm_grid *")
    lib.sm_grid_init(g)
    g_owner = ffi.gc(g, lib.sm_grid_free)
    err = new_error()
    for s in specs:
        check(lib.sm_grid_add(g, text(s), err), err)
    names = [ffi.string(getattr(g.axes[i], "def").name).decode() for i in range(g.n_axes)]
    with _blas_one_thread():
        return _run_grid(g, g_owner, names, cfg, jobs, keep_weights, log)


def _run_grid(g, g_owner, names, cfg, jobs, keep_weights, log):
    err = new_error()
    r = lib.sm_sweep_runner_create(g, cfg._c, err)
    if r == ffi.NULL:
        check(err.code or lib.SM_EINVAL, err)
    runner = ffi.gc(r, lib.sm_sweep_runner_destroy)
    n = lib.sm_sweep_runner_n_cells(runner)
    cells_arr = np.arange(n, dtype=np.int64)
    stop = ffi.new("volatile int *")
    check(lib.sm_sweep_runner_start(runner, ffi.from_buffer("int64_t[]", cells_arr), n,
                                    int(jobs), stop, err), err)
    docs = [None] * n
    npys = [None] * n
    failure = None
    done = ffi.new("int *")
    with _sigint_flag() as flag:
        while not done[0]:
            if flag[0]:
                stop[0] = 1
            c = lib.sm_sweep_runner_next(runner, 0.2, done)
            if c == ffi.NULL:
                continue
            try:
                if c.error != ffi.NULL:
                    failure = failure or ffi.string(c.error).decode()
                    stop[0] = 1
                    continue
                doc = json.loads(ffi.string(c.json, c.json_len).decode())
                docs[c.cell] = doc
                if keep_weights and c.npy != ffi.NULL:
                    npys[c.cell] = np.load(io.BytesIO(bytes(ffi.buffer(c.npy, c.npy_len))))
                if log is not None:
                    log("cell %d/%d: %s" % (c.cell + 1, n, doc.get("sweep", {}).get("id", "")))
            finally:
                lib.sm_sweep_cell_free(c)
    del runner, g_owner
    if flag[0]:
        raise Cancelled("sweep: interrupted (Ctrl-C)", lib.SM_ECANCELED)
    if failure:
        raise SomnusError(failure, lib.SM_EINVAL)
    res = Result({"axes": names, "cells": docs},
                 {"se_weights": npys} if keep_weights else None)
    if _pd is not None:
        res._frames = _sweep_frames(names, docs)
    return res


def _flat_scalars(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            out.update(_flat_scalars(v, prefix + k + "."))
        elif not isinstance(v, list):
            out[prefix + k] = v
    return out


def _sweep_frames(names, docs):
    rows, evals = [], []
    for i, d in enumerate(docs):
        if d is None:
            continue
        params = dict(d.get("sweep", {}).get("params", {}))
        row = {"cell": i, "id": d.get("sweep", {}).get("id")}
        row.update(params)
        row.update(_flat_scalars(d.get("final"), "final."))
        rows.append(row)
        ev = d.get("evaluations")
        if _is_table(ev):
            f = _pd.DataFrame(ev)
            for k, v in params.items():
                f.insert(0, k, v)
            f.insert(0, "cell", i)
            evals.append(f)
    out = {"final": _pd.DataFrame(rows)}
    if evals:
        out["evaluations"] = _pd.concat(evals, ignore_index=True)
    return out


# ---------------------------------------------------------------------- experiments
def experiments():
    """The registered experiments: [{"name", "description"}] in `--list` order."""
    out = []
    for i in range(lib.sm_experiment_count()):
        d = lib.sm_experiment_at(i)
        out.append({"name": ffi.string(d.name).decode(),
                    "description": ffi.string(d.description).decode()})
    return out


def experiment_config(name, quick=False, config=None):
    """The configuration `somnus experiment NAME [--quick]` would run with: defaults, the
    experiment's own defaults (then its quick ones), then `config` (dict or file) on top."""
    err = new_error()
    d = lib.sm_experiment_find(text(name), err)
    if d == ffi.NULL:
        check(lib.SM_EINVAL, err)
    cfg = Config()
    check(lib.sm_experiment_apply_defaults(d, 1 if quick else 0, cfg._c, err), err)
    if isinstance(config, Config):
        # explicit values of a Config: those differing from the defaults
        base = Config().to_dict()
        cfg.update({k: v for k, v in config.to_dict().items() if v != base[k]})
    elif isinstance(config, dict):
        cfg.update(config)
    elif config is not None:
        cfg.load(config)
    return d, cfg


def experiment(name, config=None, *, quick=False, seed=None, jobs=0, out_dir=None,
               out_stem=None, log=None, runs_dir=None):
    """Runs a registered experiment as `somnus experiment NAME` does and returns its
    document {"experiment", "somnus_version", "seed", "quick", "config", "results"} as a
    Result (frames: every table in it). out_dir: where its CSV/PNG files go (None:
    none). log(line): progress lines; return True to stop. Ctrl-C stops it (Cancelled).
    runs_dir: a folder keeping each finished run, so that the same call resumes a stopped
    experiment (as `--runs DIR`; it must exist)."""
    d, cfg = experiment_config(name, quick, config)
    if seed is not None:
        cfg["run.seed"] = int(seed)
    cb_error = []
    with _sigint_flag() as stop:
        def on_log(_ctx, line):
            try:
                if stop[0]:
                    return 1
                if log is not None:
                    return 1 if log(ffi.string(line).decode()) else 0
                return 0
            except BaseException as e:  # noqa: B902
                cb_error.append(e)
                return 1

        cb = ffi.callback("int(void *, const char *)", on_log)
        ctx = ffi.new("sm_experiment_ctx *")
        ctx.cfg = cfg._c
        ctx.quick = 1 if quick else 0
        ctx.jobs = int(jobs)
        keep = [cb]
        if out_dir is not None:
            od = ffi.new("char[]", text(out_dir))
            st_ = ffi.new("char[]", text(out_stem or name))
            keep += [od, st_]
            ctx.out_dir, ctx.out_stem = od, st_
        if runs_dir is not None:
            rd = ffi.new("char[]", text(runs_dir))
            keep.append(rd)
            ctx.runs_dir = rd
        ctx.log = cb
        doc = ffi.new("json_t **")
        err = new_error()
        with _blas_one_thread():
            st = lib.sm_experiment_run(d, ctx, doc, err)
    if cb_error:
        raise cb_error[0]
    if st == lib.SM_ECANCELED and stop[0]:
        raise Cancelled("experiment %s: interrupted (Ctrl-C)" % name, st)
    check(st, err)
    return Result(take_json(doc[0]))

"""The surrogate-gradient SNN baseline (sm_sgsnn) from Python."""

import numpy as np

from ._lib import ffi, lib, new_error, check, view, as_c_array, SomnusError
from .config import as_config

_FIELDS = [name for name, _f in ffi.typeof("sm_sgsnn_params").fields]


def params_from_config(cfg, n_in, n_out):
    """The sm_sgsnn_params that `somnus train --model sgsnn` builds from a config
    (src/protocol/train_sgsnn.c) for n_in inputs and n_out classes, as a dict."""
    cfg = as_config(cfg)
    c = cfg._c
    s = c.sgsnn
    return {
        "n_in": n_in, "n_hidden": s.n_hidden, "n_out": n_out, "steps": s.steps,
        "beta": s.beta, "threshold": s.threshold, "surrogate": s.surrogate,
        "atan_alpha": s.atan_alpha, "sigmoid_slope": s.sigmoid_slope, "lr": s.lr,
        "batch_size": s.batch, "epochs": s.epochs, "seed": c.run.seed,
        "threads": c.run.threads, "sleep_mode": s.sleep_mode,
        "sleep_rate": min(c.sleep.rate, 1.0), "sleep_steps": s.sleep_steps,
        "sleep_noise_sd": s.noise_sd, "stdp_a_plus": s.a_plus, "stdp_a_minus": s.a_minus,
        "stdp_tau": s.tau, "stdp_lr": s.stdp_lr, "sleep_target": s.target,
        "sleep_lambda": s.__getattribute__("lambda"), "sleep_max_iters": s.max_iters,
        "sleep_trigger": s.trigger, "sleep_stop": s.stop,
    }


def default_params():
    p = ffi.new("sm_sgsnn_params *")
    lib.sm_sgsnn_params_default(p)
    return {k: getattr(p, k) for k in _FIELDS}


class SGSNN:
    """The two-layer surrogate-gradient spiking network (include/somnus/models/sgsnn.h).

        net = somnus.SGSNN(n_in=225, n_hidden=100, n_out=4, epochs=2, seed=1)
        stats = net.train_epoch(x, y, x_test, y_test)   # x: n x n_in float32
        acc, loss = net.evaluate(x_test, y_test)
        w1, b1 = net.layer(0)                           # views (n_hidden x n_in, n_hidden)

    Parameters are the fields of sm_sgsnn_params (defaults of sm_sgsnn_params_default);
    params_from_config() gives those of a somnus config."""

    def __init__(self, params=None, **kw):
        p = ffi.new("sm_sgsnn_params *")
        lib.sm_sgsnn_params_default(p)
        for k, v in dict(params or {}, **kw).items():
            if k not in _FIELDS:
                raise KeyError("sgsnn parameter %r: one of %s" % (k, ", ".join(_FIELDS)))
            setattr(p, k, v)
        err = new_error()
        check(lib.sm_sgsnn_params_check(p, err), err)
        net = lib.sm_sgsnn_create(p, err)
        if net == ffi.NULL:
            check(err.code or lib.SM_EINVAL, err)
        self._views = 0
        self._net = ffi.gc(net, lib.sm_sgsnn_destroy)
        self.params = {k: getattr(p, k) for k in _FIELDS}

    def _view_released(self):
        self._views -= 1

    def _xy(self, x, y=None):
        x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        if x.shape[1] != self.params["n_in"]:
            raise ValueError("x has %d columns, the network %d inputs"
                             % (x.shape[1], self.params["n_in"]))
        xa, xp = as_c_array(x, "float")
        if y is None:
            return xa, xp, None, ffi.NULL
        ya, yp = as_c_array(np.asarray(y).ravel(), "int")
        if len(ya) != len(xa):
            raise ValueError("x and y differ in length")
        return xa, xp, ya, yp

    def layer(self, i):
        """(w, b) of layer i (0: input -> hidden, 1: hidden -> output) as writable views
        (w is rows x cols = post x pre, the nn.Linear layout)."""
        lay = lib.sm_sgsnn_get_layer(self._net, int(i))
        w = view(self, lay.w, "float", lay.rows * lay.cols, shape=(lay.rows, lay.cols))
        b = view(self, lay.b, "float", lay.rows)
        return w, b

    def sum_abs_w(self):
        out = ffi.new("double[2]")
        lib.sm_sgsnn_sum_abs_w(self._net, out)
        return out[0], out[1]

    def train_epoch(self, x, y, x_test=None, y_test=None):
        """One epoch (shuffle, minibatches, the sleep rule, evaluation on the test set
        if given); returns the epoch's statistics as a dict."""
        xa, xp, ya, yp = self._xy(x, y)
        if x_test is not None:
            ta, tp, tya, typ = self._xy(x_test, y_test)
            n_test = len(ta)
        else:
            tp, typ, n_test = ffi.NULL, ffi.NULL, 0
        s = ffi.new("sm_sgsnn_epoch_stats *")
        err = new_error()
        check(lib.sm_sgsnn_train_epoch(self._net, xp, yp, len(xa), tp, typ, n_test, s, err),
              err)
        out = {}
        for k, _f in ffi.typeof("sm_sgsnn_epoch_stats").fields:
            v = getattr(s, k)
            out[k] = [v[0], v[1]] if k.startswith(("sum_abs", "grad_norm")) else v
        return out

    def train(self, x, y, x_test=None, y_test=None, epochs=None):
        """params["epochs"] (or `epochs`) epochs; a list of per-epoch dicts."""
        return [self.train_epoch(x, y, x_test, y_test)
                for _ in range(self.params["epochs"] if epochs is None else epochs)]

    def predict(self, x):
        """(predicted classes, output spike counts n x n_out)."""
        xa, xp, _, _ = self._xy(x)
        pred = np.zeros(len(xa), np.intc)
        counts = np.zeros((len(xa), self.params["n_out"]), np.float32)
        err = new_error()
        check(lib.sm_sgsnn_predict(self._net, xp, len(xa), ffi.from_buffer("int[]", pred),
                                   ffi.from_buffer("float[]", counts), err), err)
        return pred, counts

    def evaluate(self, x, y):
        """(accuracy, mean cross-entropy) on a labelled set."""
        xa, xp, ya, yp = self._xy(x, y)
        acc, loss = ffi.new("double *"), ffi.new("double *")
        err = new_error()
        check(lib.sm_sgsnn_evaluate(self._net, xp, yp, len(xa), acc, loss, err), err)
        return acc[0], loss[0]

    def sleep_pass(self):
        """One sleep pass (noise-driven STDP, then the power-law map)."""
        err = new_error()
        check(lib.sm_sgsnn_sleep_pass(self._net, err), err)

    def sleep_phase(self, max_iters=None):
        """Sleep passes until sum|W| <= sleep_stop x W0 or max_iters; the number run."""
        return lib.sm_sgsnn_sleep_phase(
            self._net, self.params["sleep_max_iters"] if max_iters is None else max_iters)

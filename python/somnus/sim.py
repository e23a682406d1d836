"""The recurrent E/I network (sm_sim) from Python: run, input, spikes, state, weights."""

import numpy as np

from ._lib import ffi, lib, libc, new_error, check, view, copy_array, as_c_array, SomnusError
from .config import Config, as_config

PATHWAYS = ("SE", "EE", "EI", "IE")

# Steps per C call in wake()/test(): Ctrl-C is acted on between calls (the interpreter
# runs its signal handlers when a call returns). Results do not depend on it.
CHUNK = 10000


def _pathway_index(p):
    if isinstance(p, str):
        try:
            return PATHWAYS.index(p.upper())
        except ValueError:
            raise ValueError("pathway %r: one of %s" % (p, ", ".join(PATHWAYS))) from None
    p = int(p)
    if not 0 <= p < 4:
        raise ValueError("pathway %d: 0..3 (%s)" % (p, ", ".join(PATHWAYS)))
    return p


class Sim:
    """The recurrent network of somnus (sm_sim): S -> E <-> I with STDP and sleep.

        sim = somnus.Sim({"run.seed": 3})
        sim.set_input(raster)            # numpy (steps x n_input) 0/1, or a callback
        sim.record_spikes()
        sim.wake(1000); sim.sleep(200); sim.test(500)
        steps, neurons = sim.spikes()    # E/I spikes, global neuron indices
        w = sim.weights("SE")            # a numpy view of somnus's weights

    Arrays returned by weights(), v, theta, a and i_syn are views of the simulation's
    memory (no copy) where somnus stores them contiguously; see docs/python.md for
    which are views and for how long they stay valid: in short, always, because a view
    keeps the simulation alive; close() frees the memory once no view is left."""

    def __init__(self, config=None, **overrides):
        cfg = as_config(config)
        if overrides:
            cfg = cfg.copy().update({k.replace("__", "."): v for k, v in overrides.items()})
        err = new_error()
        p = lib.sm_sim_create(cfg._c, err)
        if p == ffi.NULL:
            check(err.code or lib.SM_EINVAL, err)
        self._p = p
        self._views = 0
        self._closed = False
        self._input = None      # whatever the current input function needs kept alive
        self._sink = None
        self._rec = None
        self._cb_error = None
        net = p.net
        self.n_input, self.n_exc, self.n_inh = net.n_in, net.n_exc, net.n_inh
        self.n_post, self.n_total, self.n_syn = net.n_post, net.n_total, int(net.n_syn)

    # ------------------------------------------------------------------ lifetime
    def _ptr(self):
        if self._closed:
            raise SomnusError("somnus.Sim: the simulation is closed", lib.SM_EINVAL)
        return self._p

    def _view_released(self):
        self._views -= 1
        if self._closed and self._views == 0:
            self._free()

    def _free(self):
        if self._p is not None:
            lib.sm_sim_destroy(self._p)
            self._p = None
            self._input = self._sink = None

    def close(self):
        """Ends the simulation. Its memory is freed now, or when the last view of it
        (weights(), v, ...) is gone; every method raises SomnusError afterwards."""
        if not self._closed:
            self._closed = True
            if self._views == 0:
                self._free()

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # Reached only when no view refers to the simulation any more.
        if getattr(self, "_p", None) is not None:
            self._free()

    # ------------------------------------------------------------------ running
    def _run(self, fn, n):
        p = self._ptr()
        n = int(n)
        if n < 0:
            raise ValueError("steps must be >= 0")
        err = new_error()
        done = 0
        while done < n:
            k = min(CHUNK, n - done)
            st = fn(p, k, err)
            self._raise_callback_error()
            check(st, err)
            done += k
        return self

    def wake(self, n):
        """Runs n wake steps (input on, plasticity on); sleep episodes and
        normalizations due by the schedule run in between (sm_sim_wake)."""
        return self._run(lib.sm_sim_wake, n)

    def test(self, n):
        """Runs n test steps: input on, weights frozen, noise per noise.test."""
        return self._run(lib.sm_sim_test, n)

    def sleep(self, max_steps=None):
        """One sleep episode now of at most max_steps steps (default: the schedule's
        window, sm_sim_sleep_window); returns the steps slept."""
        p = self._ptr()
        if max_steps is None:
            max_steps = lib.sm_sim_sleep_window(ffi.addressof(p.cfg))
        slept = ffi.new("int64_t *")
        err = new_error()
        st = lib.sm_sim_sleep(p, int(max_steps), slept, err)
        self._raise_callback_error()
        check(st, err)
        return int(slept[0])

    def run(self, n, phase="wake"):
        """wake(n), test(n) or sleep(n) by name."""
        return {"wake": self.wake, "test": self.test, "sleep": self.sleep}[phase](n)

    def record(self):
        """Appends a monitor record now (sm_sim_record)."""
        err = new_error()
        check(lib.sm_sim_record(self._ptr(), err), err)

    def record_baseline(self):
        """Re-records the sleep baseline W0 from the current weights (after writing
        weights through a view, if sleep should regularize towards them)."""
        lib.sm_sim_record_baseline(self._ptr())

    @property
    def counters(self):
        c = self._ptr().count
        return {k: int(getattr(c, k)) for k in ("steps", "wake_steps", "sleep_steps",
                                                 "test_steps", "episodes",
                                                 "episodes_converged", "normalizations")}

    @property
    def config(self):
        """A copy of the simulation's (validated) configuration."""
        cfg = Config()
        ffi.memmove(cfg._c, ffi.addressof(self._ptr().cfg), ffi.sizeof("sm_config"))
        return cfg

    # ------------------------------------------------------------------ input
    def set_input(self, source=None, steps=None):
        """Sets where stimulus spikes come from. The input clock counts wake and test
        steps (not sleep) from 0 at creation.

        - None: silence.
        - a 2-d array (steps x n_input), nonzero = spike: row t is input step t;
          steps past the last row are silent.
        - a pair (steps, neurons) of 1-d integer arrays: one spike per entry (any
          order, duplicates count once), as a spike file lists them.
        - a callable f(step) -> sequence of stimulus indices (ascending, in
          [0, n_input)) called once per input step. An exception in it stops the run
          and is raised again by wake()/test().
        The simulation checks what it is given (range, order): a bad answer fails the
        step with SomnusError."""
        p = self._ptr()
        if source is None:
            lib.sm_sim_set_input(p, ffi.NULL, ffi.NULL)
            self._input = None
        elif callable(source):
            self._set_callback(source)
        else:
            self._set_train(source)
        return self

    def _set_train(self, source):
        if isinstance(source, tuple) and len(source) == 2:
            steps = np.asarray(source[0], dtype=np.int64).ravel()
            neurons = np.asarray(source[1], dtype=np.int64).ravel()
            if steps.shape != neurons.shape:
                raise ValueError("set_input((steps, neurons)): arrays of different length")
        else:
            a = np.asarray(source)
            if a.ndim != 2 or a.shape[1] != self.n_input:
                raise ValueError("set_input(array): shape (steps, %d) expected, got %s"
                                 % (self.n_input, a.shape))
            steps, neurons = np.nonzero(a)
            steps = steps.astype(np.int64)
        if len(steps) and (steps.min() < 0 or neurons.min() < 0
                           or neurons.max() >= self.n_input):
            raise ValueError("set_input: steps must be >= 0 and neurons in [0, %d)"
                             % self.n_input)
        key = np.unique(steps * self.n_input + neurons)  # sorted by (step, neuron), unique
        st, st_p = as_c_array(key // self.n_input, "int64_t")
        ne, ne_p = as_c_array(key % self.n_input, "int32_t")
        train = ffi.new("sm_spike_train *")
        train.n = len(key)
        train.step = st_p
        train.neuron = ne_p
        train.cursor = 0
        fn = ffi.cast("sm_input_fn", ffi.addressof(lib, "sm_spike_train_input"))
        lib.sm_sim_set_input(self._ptr(), fn, train)
        self._input = (train, st, st_p, ne, ne_p, fn)

    def _set_callback(self, f):
        n_in = self.n_input

        def input_fn(_ctx, step, out):
            try:
                ids = f(int(step))
                if ids is None:
                    return 0
                ids = np.asarray(ids, dtype=np.int32).ravel()
                n = len(ids)
                if n > n_in:
                    return n  # refused by the simulation (never written)
                if n:
                    ffi.memmove(out, ffi.from_buffer(ids), n * 4)
                return n
            except BaseException as e:  # noqa: B902 (KeyboardInterrupt too)
                self._cb_error = e
                return -1

        cb = ffi.callback("int(void *, uint64_t, int32_t *)", input_fn)
        lib.sm_sim_set_input(self._ptr(), cb, ffi.NULL)
        self._input = (cb, f)

    def present(self, image, steps, phase="wake"):
        """Presents one image for `steps` steps through somnus's encoder (input.encoder,
        as `somnus train` does): pixels (n_input values, any shape) are spike rates."""
        p = self._ptr()
        err = new_error()
        enc = getattr(self, "_encoder", None)
        if enc is None:
            e = lib.sm_encoder_create(ffi.addressof(p.cfg), self.n_input, err)
            if e == ffi.NULL:
                check(err.code or lib.SM_EINVAL, err)
            enc = self._encoder = ffi.gc(e, lib.sm_encoder_destroy)
        img, img_p = as_c_array(np.asarray(image).ravel(), "float")
        if img.size != self.n_input:
            raise ValueError("present: %d pixels, the network has %d inputs"
                             % (img.size, self.n_input))
        check(lib.sm_encoder_set_image(enc, img_p, err), err)
        if self._input is None or self._input[0] is not enc:
            fn = ffi.cast("sm_input_fn", ffi.addressof(lib, "sm_encoder_spikes"))
            lib.sm_sim_set_input(p, fn, enc)
            self._input = (enc, fn)
        return self.run(steps, phase)

    def _raise_callback_error(self):
        e, self._cb_error = self._cb_error, None
        if e is not None:
            raise e

    # ------------------------------------------------------------------ spikes
    def record_spikes(self, on=True):
        """Starts (or with on=False stops) keeping every E/I spike for spikes()."""
        self._ptr()
        if on:
            self._rec = self._rec if self._rec is not None else ([], [])
        else:
            self._rec = None
        return self._update_sink()

    def each_step(self, f=None, sync_weights=True):
        """Calls f(step, ids) after every step (wake, sleep and test) with the step's E/I
        spikes (global indices, an int32 array valid during the call only); f=None
        removes it. With sync_weights, every pending weight update is written first
        (sm_sim_sync_weights, results unchanged), so f may read weights() and the state
        mid-episode, e.g. to follow a sleep window step by step. An exception in f is
        raised when the running wake/sleep/test call returns (a spike sink cannot stop
        the C loop; f is not called again before that).

        Costs a Python call per step: for long runs without it, remove it (None)."""
        self._ptr()
        self._step_cb = (f, sync_weights) if f is not None else None
        return self._update_sink()

    def _update_sink(self):
        p = self._ptr()
        rec, step_cb = self._rec, getattr(self, "_step_cb", None)
        if rec is None and step_cb is None:
            lib.sm_sim_set_spike_sink(p, ffi.NULL, ffi.NULL)
            self._sink = None
            return self
        steps_l, ids_l = rec if rec is not None else (None, None)
        f, sync = step_cb if step_cb is not None else (None, False)

        def sink(_ctx, step, ids, n):
            if self._cb_error is not None:
                return
            try:
                if n and steps_l is not None:
                    ids_l.append(np.frombuffer(ffi.buffer(ids, 4 * n), dtype=np.int32).copy())
                    steps_l.append((int(step), n))
                if f is not None:
                    if sync:
                        lib.sm_sim_sync_weights(p)
                    a = np.frombuffer(ffi.buffer(ids, 4 * n), dtype=np.int32) if n else \
                        np.zeros(0, np.int32)
                    f(int(step), a)
            except BaseException as e:  # noqa: B902
                self._cb_error = e

        cb = ffi.callback("void(void *, uint64_t, const int32_t *, int)", sink)
        lib.sm_sim_set_spike_sink(p, cb, ffi.NULL)
        self._sink = cb
        return self

    def spikes(self, clear=True):
        """The spikes recorded since record_spikes() (or the last clear) as two arrays
        (step int64, neuron int32): global neuron indices (E from n_input, then I),
        steps of the simulation clock (all phases), ordered by step then neuron."""
        if self._rec is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        steps_l, ids_l = self._rec
        if ids_l:
            neurons = np.concatenate(ids_l)
            steps = np.repeat(np.array([s for s, _ in steps_l], np.int64),
                              [n for _, n in steps_l])
        else:
            steps, neurons = np.zeros(0, np.int64), np.zeros(0, np.int32)
        if clear:
            steps_l.clear()
            ids_l.clear()
        return steps, neurons

    # ------------------------------------------------------------------ state (views)
    def _state(self, name):
        p = self._ptr()
        return view(self, getattr(p, name), "float", self.n_post, writeable=False)

    @property
    def v(self):
        """Membrane potentials (mV), E then I (n_exc + n_inh): a read-only view."""
        return self._state("v")

    @property
    def theta(self):
        """Thresholds (mV), E then I: a read-only view."""
        return self._state("theta")

    @property
    def a(self):
        """Threshold adaptations (mV), E then I: a read-only view."""
        return self._state("a")

    @property
    def i_syn(self):
        """Synaptic currents, E then I: a read-only view."""
        return self._state("i_syn")

    # ------------------------------------------------------------------ weights
    def _paths(self):
        if getattr(self, "_path_cache", None) is None:
            pw = copy_array(self._ptr().net.pathway, "uint8_t", self.n_syn)
            self._path_cache = pw
        return self._path_cache

    def weights(self, pathway=None):
        """Synaptic weights (float32, signed: inhibitory ones <= 0) in somnus's synapse
        order (CSR by presynaptic neuron; synapses() gives pre/post/pathway).

        pathway=None: all synapses, a writable view. "SE" and "IE" (whose synapses are
        contiguous) are writable views; "EE" and "EI" (interleaved in the E rows) are
        read-only copies. is_view(a) tells which. Writing through a view changes the
        network from the next step on."""
        p = self._ptr()
        w = p.net.w
        if pathway is None:
            return view(self, w, "float", self.n_syn)
        k = _pathway_index(pathway)
        idx = np.flatnonzero(self._paths() == k)
        if len(idx) == 0:
            return np.zeros(0, np.float32)
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        if hi - lo == len(idx):
            return view(self, w + lo, "float", hi - lo)
        out = copy_array(w, "float", self.n_syn)[idx]
        out.flags.writeable = False
        return out

    def synapses(self):
        """{"pre", "post" (global indices), "pathway" (0..3 = SE, EE, EI, IE), "w"}
        per synapse, in synapse order (as `somnus train --export` writes
        weights_pre/post/pathway/.npy); "w" is a view, the others copies."""
        p = self._ptr()
        net = p.net
        row = copy_array(net.row, "int64_t", self.n_total + 1)
        pre = np.repeat(np.arange(self.n_total, dtype=np.int32), np.diff(row))
        post = copy_array(net.post, "int32_t", self.n_syn) + self.n_input
        return {"pre": pre, "post": post, "pathway": self._paths().copy(),
                "w": self.weights()}

    def weight_matrix(self, pathway):
        """A dense copy of one pathway: rows = postsynaptic neurons of the target
        population, columns = presynaptic neurons of the source population (absent
        synapses 0), e.g. "SE" is n_exc x n_input as se_weights.npy."""
        k = _pathway_index(pathway)
        s = self.synapses()
        sel = s["pathway"] == k
        first = {"S": 0, "E": self.n_input, "I": self.n_input + self.n_exc}
        size = {"S": self.n_input, "E": self.n_exc, "I": self.n_inh}
        src, dst = PATHWAYS[k][0], PATHWAYS[k][1]
        m = np.zeros((size[dst], size[src]), np.float32)
        m[s["post"][sel] - first[dst], s["pre"][sel] - first[src]] = s["w"][sel]
        return m

    def pathway_abs_sum(self, pathway):
        """sum |w| over a pathway, computed by somnus (double, fixed order)."""
        return lib.sm_net_pathway_abs_sum(self._ptr().net, _pathway_index(pathway))

    def se_npy(self):
        """The S->E weights as somnus writes them to a sweep's <id>.se.npy (bytes)."""
        n = ffi.new("size_t *")
        buf = lib.sm_sweep_se_npy(self._ptr(), n)
        if buf == ffi.NULL:
            raise MemoryError("sm_sweep_se_npy")
        try:
            return bytes(ffi.buffer(buf, n[0]))
        finally:
            libc.free(buf)


def is_view(a):
    """True if the numpy array `a` views somnus memory (shares it) rather than owning
    a copy."""
    return not a.flags.owndata and a.base is not None

#!/usr/bin/env python3
"""Writes the hand-made seed inputs of fuzz/corpus/<reader>/ (seed-*.bin files).

Run with Debian's interpreter (the npy and SONATA seeds need python3-numpy and
python3-h5py): /usr/bin/python3 fuzz/make-seeds.py. Inputs kept from fuzzing (cov-*,
added with libFuzzer's -merge=1) and regression inputs (regress-*) live next to them;
this script never deletes anything. Input layouts are described at the top of each
fuzz/fuzz_*.c.
"""
import gzip
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(reader, name, data):
    d = os.path.join(ROOT, reader)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- IDX
def idx_images(n, rows, cols, fill=None):
    body = bytes((i * 37) & 0xFF for i in range(n * rows * cols)) if fill is None else fill
    return struct.pack(">IIII", 0x803, n, rows, cols) + body


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_input(img, lab, flags=0):
    return bytes([flags]) + struct.pack("<H", len(img)) + img + lab


img, lab = idx_images(2, 2, 3), idx_labels([3, 7])
put("idx", "valid-plain.bin", idx_input(img, lab))
put("idx", "valid-gzip-images.bin", idx_input(img, lab, 1))
put("idx", "valid-gzip-both.bin", idx_input(img, lab, 3))
put("idx", "valid-one-pixel.bin", idx_input(idx_images(1, 1, 1), idx_labels([0]), 2))
put("idx", "valid-precompressed.bin",
    idx_input(gzip.compress(img), gzip.compress(lab)))  # gzip made by the fuzzer itself
put("idx", "wrong-magic.bin", idx_input(struct.pack(">I", 0x801) + img[4:], lab))
put("idx", "wrong-type.bin", idx_input(struct.pack(">I", 0x0D03) + img[4:], lab))
put("idx", "labels-as-images.bin", idx_input(lab, lab))
put("idx", "zero-size.bin", idx_input(idx_images(0, 2, 3, b""), idx_labels([])))
put("idx", "truncated-body.bin", idx_input(img[:-3], lab))
put("idx", "truncated-header.bin", idx_input(img[:10], lab))
put("idx", "trailing.bin", idx_input(img + b"xx", lab))
put("idx", "count-mismatch.bin", idx_input(img, idx_labels([1, 2, 3])))
put("idx", "huge-header.bin", idx_input(struct.pack(">IIII", 0x803, 0x7FFFFFFF, 28, 28), lab, 1))
put("idx", "corrupt-gzip.bin", idx_input(gzip.compress(img)[:-6] + b"\0\1\2\3\4\5", lab))
put("idx", "empty.bin", b"\0\0\0")
tiny = os.path.join(os.path.dirname(ROOT), "..", "tests", "data")
try:
    with open(os.path.join(tiny, "tiny-images-idx3-ubyte.gz"), "rb") as f:
        ti = f.read()
    with open(os.path.join(tiny, "tiny-labels-idx1-ubyte"), "rb") as f:
        tl = f.read()
    if len(ti) < 65536:
        put("idx", "tests-data-tiny.bin", idx_input(ti, tl))
except OSError:
    pass

# ---------------------------------------------------------------- MNIST JSON
def digits(values):
    return json.dumps({"data": values}, separators=(",", ":"))


zeros = [0] * 784
ramp = [round((i % 256) / 255, 3) for i in range(784)]
put("mnist_json", "valid-one.bin", b"\x03" + digits(ramp).encode())
put("mnist_json", "valid-two.bin", b"\x09" + digits(ramp + zeros).encode())
put("mnist_json", "valid-first.bin", b"\x00" + digits(zeros).encode())
put("mnist_json", "valid-pretty.bin", b"\x05" + json.dumps({"data": ramp, "x": [1]}, indent=1).encode())
put("mnist_json", "out-of-range.bin", b"\x01" + digits(zeros[:-1] + [1.5]).encode())
put("mnist_json", "negative.bin", b"\x02" + digits([-0.0] + zeros[:-2] + [-1e-9]).encode())
put("mnist_json", "not-number.bin", b"\x04" + digits(zeros[:-1] + ["0"]).encode())
put("mnist_json", "short.bin", b"\x06" + digits(zeros[:-1]).encode())
put("mnist_json", "empty-array.bin", b"\x07" + digits([]).encode())
put("mnist_json", "no-data.bin", b"\x08" + b'{"pixels":[0]}')
put("mnist_json", "not-object.bin", b"\x00[0,1]")
put("mnist_json", "syntax.bin", b"\x00{\"data\":[0,0,\n0,}")
put("mnist_json", "empty.bin", b"\x03")
put("mnist_json", "nul.bin", b"\x03{\"data\":[0\0]}")

# ---------------------------------------------------------------- config
paper = os.path.join(os.path.dirname(ROOT), "..", "configs", "paper.cfg")
try:
    with open(paper, "rb") as f:
        put("config", "paper.bin", f.read())
except OSError:
    pass
put("config", "lines.bin", "# comment\nlif_e.tau_m = 20\nrun.seed=18446744073709551615\n"
    "stdp.sign = as_published  # trailing\nnoise.wake = true\ndata.classes = 0-4\n")
put("config", "lines-bad-value.bin", "lif_e.tau_m = -3\n")
put("config", "lines-unknown.bin", "lif_e.tau_n = 30\n")
put("config", "lines-no-eq.bin", "lif_e.tau_m 30\n")
put("config", "lines-nan.bin", "run.dt = nan\nrun.dt = inf\n")
put("config", "lines-int.bin", "run.steps = 1.5\nrun.steps = 1e15\nrun.seed = 9007199254740993\n")
put("config", "lines-long.bin", "data.dataset = " + "x" * 300 + "\n")
put("config", "json-nested.bin", json.dumps({"lif_e": {"tau_m": 25.5}, "stdp": {"sign": "textbook"},
                                             "noise": {"wake": False}, "run": {"seed": 7}}))
put("config", "json-flat.bin", json.dumps({"lif_e.tau_m": 25, "data.dataset": "synthetic:10"}))
put("config", "json-results.bin", json.dumps({"somnus_version": "0.1.0", "config": {"run": {"dt": 0.5}}}))
put("config", "json-bad-type.bin", json.dumps({"run": {"dt": [1]}}))
put("config", "json-duplicate.bin", '{"run.dt": 1, "run.dt": 2}')
put("config", "json-array.bin", "[1, 2]")
put("config", "json-syntax.bin", '{"run": {"dt": 1,}')
put("config", "json-null.bin", '{"run": {"dt": null}}')
put("config", "validate.bin", "lif_e.v_min = 10\nlif_e.v_max = 5\n")
put("config", "empty.bin", "")

# ---------------------------------------------------------------- spike files
put("spikefile", "valid.bin", b"\x05# comment\nneuron,time_ms\n3,0.0\n7,3.5\n3,0.05\n3,0.0\n")
put("spikefile", "valid-ws.bin", b"\x01  2   1e-1 \n\t0 , 0\r\n9,9.99\n")
put("spikefile", "valid-tiny-dt.bin", b"\x11" + b"0,1e6\n1,1e-300\n")
put("spikefile", "bad-neuron.bin", b"\x00" + b"10,1\n")
put("spikefile", "negative.bin", b"\x01" + b"1,-0.5\n")
put("spikefile", "nan.bin", b"\x01" + b"1,nan\n2,inf\n")
put("spikefile", "missing-field.bin", b"\x01" + b"1\n")
put("spikefile", "extra-field.bin", b"\x01" + b"1,2,3\n")
put("spikefile", "two-headers.bin", b"\x01" + b"a,b\nc,d\n")
put("spikefile", "big-time.bin", b"\x19" + b"1,1e300\n1,8e15\n")
put("spikefile", "binary.bin", b"\x01" + b"1,2\0\n")
put("spikefile", "empty.bin", b"\x01")
put("spikefile", "hex.bin", b"\x01" + b"0x10,0x1p3\n")

# ---------------------------------------------------------------- npy (needs numpy)
try:
    import io
    import numpy as np

    def npy(arr):
        b = io.BytesIO()
        np.save(b, arr)
        return b.getvalue()

    put("npy", "f4.bin", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
    put("npy", "f8-scalar.bin", npy(np.float64(2.5)))
    put("npy", "i4.bin", npy(np.array([-1, 2], dtype="<i4")))
    put("npy", "u4-empty.bin", npy(np.zeros((0, 3), dtype="<u4")))
    put("npy", "i8-3d.bin", npy(np.arange(8, dtype="<i8").reshape(2, 2, 2)))
    put("npy", "u1.bin", npy(np.arange(5, dtype="u1")))
    put("npy", "fortran.bin", npy(np.asfortranarray(np.ones((2, 3), dtype="<f4"))))
    put("npy", "big-endian.bin", npy(np.ones(2, dtype=">f4")))
    put("npy", "complex.bin", npy(np.ones(2, dtype="<c8")))
    put("npy", "truncated.bin", npy(np.ones(4, dtype="<f8"))[:-3])
    put("npy", "v2.bin", b"\x93NUMPY\x02\x00" + npy(np.ones(2, dtype="<f4"))[8:10] + b"\0\0"
        + npy(np.ones(2, dtype="<f4"))[10:])
except ImportError:
    pass

# ---------------------------------------------------------------- SONATA (needs h5py)
try:
    import tempfile
    import h5py
    import numpy as np

    def sonata(name, build):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "s.h5")
            with h5py.File(p, "w", libver="latest") as f:
                build(f)
            with open(p, "rb") as fh:
                put("sonata", name, fh.read())

    def pop(f, name="p", ts=(0.5, 1.0, 2.5), ids=(3, 1, 2), tdtype="f8", idtype="u8",
            units="ms", sorting="by_time"):
        g = f.create_group("spikes/" + name)
        if sorting is not None:
            g.attrs["sorting"] = sorting
        t = g.create_dataset("timestamps", data=np.array(ts, dtype=tdtype))
        if units is not None:
            t.attrs["units"] = units
        g.create_dataset("node_ids", data=np.array(ids, dtype=idtype))
        return g

    sonata("valid.bin", lambda f: pop(f))
    sonata("valid-empty.bin", lambda f: pop(f, ts=(), ids=()))
    sonata("valid-seconds-i32.bin", lambda f: pop(f, tdtype="f4", idtype="i4", units="s"))
    sonata("valid-no-attrs.bin", lambda f: pop(f, units=None, sorting=None))
    sonata("two-pops.bin", lambda f: (pop(f, "a"), pop(f, "b")))
    sonata("negative-time.bin", lambda f: pop(f, ts=(1, -1, 2)))
    sonata("negative-id.bin", lambda f: pop(f, idtype="i8", ids=(1, -1, 2)))
    sonata("mismatch.bin", lambda f: pop(f, ids=(1, 2)))
    sonata("no-spikes.bin", lambda f: f.create_group("other"))
    sonata("units-us.bin", lambda f: pop(f, units="us"))
    sonata("out-of-range.bin", lambda f: pop(f, ids=(5000, 1, 2)))
    put("sonata", "text.bin", "neuron,time_ms\n1,2\n")
    put("sonata", "empty.bin", "")
except ImportError:
    pass

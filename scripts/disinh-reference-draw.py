#!/usr/bin/python3
"""The random draw of the authors' Figure 4 run (fmi-basel/disinhibitory-control at
ccf957e, notebooks/Figure 4.ipynb, seed 2), recomputed without JAX.

The notebook draws its inputs, teacher and student with JAX's default PRNG (threefry-2x32,
the non-partitionable key splitting and bit generation of the 2023 JAX releases it was
run with). This script ports those few functions to numpy so that somnus can run the
very networks of the published run (spec disinhibition.md A3: OL MSE 5.26 at epoch 0).

Writes a text file of whitespace-separated numbers, in this order:
  n_in n_hidden n_out
  amp[n_in] freq[n_in] phase[n_in]
  teacher: W1[n_hidden x n_in] (row = hidden unit) b1[n_hidden] W2[n_out x n_hidden] b2[n_out]
  student: the same
Usage: disinh-reference-draw.py [SEED] > tests/data/disinh-teacher-seed2.txt
"""
import sys

import numpy as np
from scipy.special import erfinv

M32 = np.uint64(0xFFFFFFFF)


def _rotl(v, r):
    return ((v << np.uint64(r)) | (v >> np.uint64(32 - r))) & M32


def _threefry2x32(k1, k2, x0, x1):
    """The threefry-2x32 hash of jax._src.prng (20 rounds) on uint32 arrays."""
    k1, k2 = np.uint64(k1), np.uint64(k2)
    ks = [k1, k2, (k1 ^ k2 ^ np.uint64(0x1BD11BDA)) & M32]
    rot = [[13, 15, 26, 6], [17, 29, 16, 24]]
    x = [(x0.astype(np.uint64) + ks[0]) & M32, (x1.astype(np.uint64) + ks[1]) & M32]
    for i in range(5):
        for r in rot[i % 2]:
            x[0] = (x[0] + x[1]) & M32
            x[1] = _rotl(x[1], r)
            x[1] = x[0] ^ x[1]
        x[0] = (x[0] + ks[(i + 1) % 3]) & M32
        x[1] = (x[1] + ks[(i + 2) % 3] + np.uint64(i + 1)) & M32
    return x[0].astype(np.uint32), x[1].astype(np.uint32)


def _threefry_2x32(key, count):
    """jax.random's threefry_2x32(keypair, count): the counts split in two halves."""
    c = np.asarray(count, dtype=np.uint32).ravel()
    odd = c.size % 2
    if odd:
        c = np.concatenate([c, np.zeros(1, np.uint32)])
    h = c.size // 2
    a, b = _threefry2x32(key[0], key[1], c[:h], c[h:])
    out = np.concatenate([a, b])
    return out[:-1] if odd else out


def prng_key(seed):
    return np.array([0, seed & 0xFFFFFFFF], dtype=np.uint32)


def split(key, num):
    return _threefry_2x32(key, np.arange(num * 2, dtype=np.uint32)).reshape(num, 2)


def _bits(key, n):
    return _threefry_2x32(key, np.arange(n, dtype=np.uint32))


def uniform(key, shape, lo=0.0, hi=1.0):
    n = int(np.prod(shape))
    bits = (_bits(key, n) >> np.uint32(9)) | np.uint32(0x3F800000)
    f = bits.view(np.float32) - np.float32(1.0)
    lo32, hi32 = np.float32(lo), np.float32(hi)
    return np.maximum(lo32, f * (hi32 - lo32) + lo32).reshape(shape)


def normal(key, shape):
    lo = np.nextafter(np.float32(-1.0), np.float32(0.0))
    u = uniform(key, shape, lo, 1.0)
    return (np.float32(np.sqrt(2)) * erfinv(u.astype(np.float64)).astype(np.float32)).astype(
        np.float32)


def net(key, n_in, n_hid, n_out, scale=2.0):
    k1, k2, k3, k4 = split(key, 4)
    s = np.float32(scale)
    w1 = normal(k1, (n_in, n_hid)) * s / np.sqrt(np.float32(n_in))
    w2 = normal(k2, (n_hid, n_out)) * s / np.sqrt(np.float32(n_hid))
    b1 = normal(k3, (n_hid,)) * s / np.sqrt(np.float32(n_hid))
    b2 = normal(k4, (n_out,)) * s / np.sqrt(np.float32(n_out))
    return [w1.T, b1, w2.T, b2]


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    n_in, n_hid, n_out = 30, 20, 2
    key_input, key_student, key_teacher = split(prng_key(seed), 3)
    k1, k2, k3 = split(key_input, 3)
    amp = uniform(k1, (n_in,), 0.1, 1.0)
    freq = uniform(k2, (n_in,), 0.1, 2.0)
    phase = uniform(k3, (n_in,), 0.0, np.pi)
    out = [np.array([n_in, n_hid, n_out], dtype=np.float64), amp, freq, phase]
    out += net(key_teacher, n_in, n_hid, n_out) + net(key_student, n_in, n_hid, n_out)
    print("# disinh-reference-draw.py %d: JAX PRNGKey(%d) draw of the Figure 4 notebook" %
          (seed, seed))
    for a in out:
        print(" ".join("%.9g" % v for v in np.asarray(a, dtype=np.float64).ravel()))


if __name__ == "__main__":
    main()

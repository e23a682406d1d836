#!/usr/bin/python3
"""PyTorch reference timing of somnus's surrogate-gradient SNN (include/somnus/sgsnn.h).

The same network in plain torch (no snnTorch): n_in -> n_hidden -> n_out LIF, beta 0.95,
threshold 1, reset by subtraction delayed by one step and detached (snnTorch `Leaky`,
reset_mechanism="subtract"), constant input current over T steps, atan surrogate
(alpha 2, snnTorch `surrogate.atan()`), cross-entropy on the summed output spikes,
torch.optim.Adam (lr 1e-3), minibatches of 128 in a shuffled order:

    mem[t] = beta * mem[t-1] + I[t] - spk[t-1].detach() * threshold     mem[0] = spk[0] = 0
    spk[t] = H(mem[t] - threshold)           (u > 0; surrogate d/du = (a/2) / (1 + (pi a u / 2)^2))
    I_hidden[t] = W1 x + b1,  I_out[t] = W2 spk_hidden[t] + b2,  loss = CE(sum_t spk_out[t], y)

Variants (--variant, comma list):
  step    snnTorch style: one loop over t, both layers per step, autograd
  hoist   autograd, but the hidden layer (which does not depend on the output layer) runs
          first for all t, then fc2 is one GEMM over all T x batch rows, then the output loop
  manual  no autograd: hand-written BPTT of the same equations (as somnus computes it),
          gradients put into .grad and stepped by torch.optim.Adam
  manual-jit  manual, with the time loops in torch.jit.script (NNC CPU fusion enabled when
              torch has LLVM; Debian's 1.13 has not, so this only removes Python overhead)
Gradients of all variants agree (--check-grad).

Timing: per (variant, thread count) a fresh process (OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS set before torch is imported, torch.set_num_threads), a warm-up of a
few minibatches on a throw-away network, then --epochs timed training epochs over --n
samples (wall time train_seconds, and the process's CPU time train_cpu_seconds, which for
one thread is the better figure on a machine that others are using), each followed by a timed evaluation pass (forward only, no_grad, minibatches of
--batch) over --n-eval samples. One JSON line per epoch on stdout.

Data (--data): random (default: x uniform [0, 1), labels uniform 0..9, seeded),
proto (separable synthetic task: 10 random prototypes + noise, clipped to [0, 1]), or
fashion-mnist:DIR (IDX .gz files, bilinear-resized to 15x15, /255).
--save-data PREFIX writes PREFIX.x.f32 (n x n_in float32) and PREFIX.y.i32 so that a C
driver can time somnus on exactly the same inputs.

Only torch and numpy (Debian: apt-get install python3-torch python3-numpy; run with
/usr/bin/python3). Example:
    /usr/bin/python3 bench/torch_sgsnn.py --threads 1,2 --variant step,manual --n 60000
"""
import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import time

VARIANTS = ("step", "hoist", "manual", "manual-jit")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=60000, help="training samples (default 60000)")
    ap.add_argument("--n-eval", type=int, default=10000, help="evaluation samples (default 10000)")
    ap.add_argument("--threads", default="1,2", help="comma list of thread counts (default 1,2)")
    ap.add_argument("--variant", default="step,hoist,manual",
                    help="comma list of " + ", ".join(VARIANTS) + " (default step,hoist,manual)")
    ap.add_argument("--epochs", type=int, default=1, help="timed epochs (default 1)")
    ap.add_argument("--hidden", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--n-in", type=int, default=225)
    ap.add_argument("--n-out", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=0.95)
    ap.add_argument("--threshold", type=float, default=1.0)
    ap.add_argument("--alpha", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="random", help="random | proto | fashion-mnist:DIR")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up minibatches (default 3)")
    ap.add_argument("--no-eval", action="store_true", help="skip the evaluation pass")
    ap.add_argument("--save-data", metavar="PREFIX", help="write the data as raw files and exit")
    ap.add_argument("--check-grad", action="store_true",
                    help="compare the gradients of all variants on one minibatch and exit")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- data

def make_data(args, n, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    kind = args.data
    if kind == "random":
        x = rng.random((n, args.n_in), dtype=np.float32)
        y = rng.integers(0, args.n_out, n).astype(np.int64)
    elif kind == "proto":
        protos = np.random.default_rng(12345).random((args.n_out, args.n_in), dtype=np.float32)
        y = rng.integers(0, args.n_out, n).astype(np.int64)
        x = protos[y] + rng.normal(0.0, 0.35, (n, args.n_in)).astype(np.float32)
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
    elif kind.startswith("fashion-mnist:") or kind.startswith("mnist:"):
        x, y = load_idx(kind.split(":", 1)[1], train=(seed == args.seed), side=int(math.isqrt(args.n_in)))
        x, y = x[:n], y[:n]
    else:
        raise SystemExit("unknown --data " + kind)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def load_idx(d, train, side):
    import numpy as np
    import torch
    pre = "train" if train else "t10k"

    def read(name):
        with gzip.open(os.path.join(d, name), "rb") as f:
            return f.read()
    raw = read(pre + "-images-idx3-ubyte.gz")
    n, r, c = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    img = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, r, c).astype(np.float32) / 255.0
    lab = np.frombuffer(read(pre + "-labels-idx1-ubyte.gz"), np.uint8, offset=8).astype(np.int64)
    img = torch.nn.functional.interpolate(torch.from_numpy(img), size=(side, side), mode="bilinear",
                                          align_corners=False)
    return img.reshape(n, side * side).numpy(), lab


# --------------------------------------------------------------------------- model

def build(args):
    import torch

    class ATanSpike(torch.autograd.Function):
        """Heaviside forward (u > 0), snnTorch atan surrogate backward."""

        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return (u > 0).to(u.dtype)

        @staticmethod
        def backward(ctx, grad_out):
            (u,) = ctx.saved_tensors
            a = args.alpha
            return (a / 2) / (1 + (math.pi / 2 * a * u).pow_(2)) * grad_out

    spike = ATanSpike.apply
    beta, thr, T = args.beta, args.threshold, args.steps

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(args.n_in, args.hidden)   # nn.Linear init, as somnus
            self.fc2 = torch.nn.Linear(args.hidden, args.n_out)

        # snnTorch style: both layers each step
        def forward_step(self, x):
            cur1 = self.fc1(x)
            mem1 = torch.zeros_like(cur1)
            spk1 = torch.zeros_like(cur1)
            mem2 = torch.zeros(x.shape[0], args.n_out, dtype=x.dtype)
            spk2 = torch.zeros_like(mem2)
            cnt = torch.zeros_like(mem2)
            for _ in range(T):
                mem1 = beta * mem1 + cur1 - spk1.detach() * thr
                spk1 = spike(mem1 - thr)
                mem2 = beta * mem2 + self.fc2(spk1) - spk2.detach() * thr
                spk2 = spike(mem2 - thr)
                cnt = cnt + spk2
            return cnt

        # hidden layer for all t, one fc2 GEMM, then the output layer
        def forward_hoist(self, x):
            cur1 = self.fc1(x)
            mem1 = torch.zeros_like(cur1)
            spk1 = torch.zeros_like(cur1)
            s1 = []
            for _ in range(T):
                mem1 = beta * mem1 + cur1 - spk1.detach() * thr
                spk1 = spike(mem1 - thr)
                s1.append(spk1)
            cur2 = self.fc2(torch.stack(s1))            # T x B x O
            mem2 = torch.zeros_like(cur2[0])
            spk2 = torch.zeros_like(mem2)
            cnt = torch.zeros_like(mem2)
            for t in range(T):
                mem2 = beta * mem2 + cur2[t] - spk2.detach() * thr
                spk2 = spike(mem2 - thr)
                cnt = cnt + spk2
            return cnt

    return Net


def surrogate(u, alpha: float):
    return (alpha / 2) / (1 + (math.pi / 2 * alpha * u) ** 2)


def manual_fns(jit):
    """Forward/backward time loops of the hand-written BPTT (optionally TorchScript)."""
    import torch

    def hidden_fwd(cur1: torch.Tensor, T: int, beta: float, thr: float, alpha: float,
                   train: bool):
        B = cur1.shape[0]
        H = cur1.shape[1]
        s1 = torch.empty(T, B, H, dtype=cur1.dtype)
        sg1 = torch.empty(T, B, H, dtype=cur1.dtype) if train else torch.empty(0)
        mem = torch.zeros_like(cur1)
        sp = torch.zeros_like(cur1)
        c = math.pi / 2 * alpha
        for t in range(T):
            mem = beta * mem + cur1 - sp * thr
            u = mem - thr
            sp = (u > 0).to(cur1.dtype)
            s1[t] = sp
            if train:
                sg1[t] = (alpha / 2) / (1 + (c * u) * (c * u))
        return s1, sg1

    def out_fwd(cur2: torch.Tensor, beta: float, thr: float, alpha: float, train: bool):
        T = cur2.shape[0]
        mem = torch.zeros_like(cur2[0])
        sp = torch.zeros_like(mem)
        cnt = torch.zeros_like(mem)
        sg2 = torch.empty_like(cur2) if train else torch.empty(0)
        c = math.pi / 2 * alpha
        for t in range(T):
            mem = beta * mem + cur2[t] - sp * thr
            u = mem - thr
            sp = (u > 0).to(cur2.dtype)
            cnt = cnt + sp
            if train:
                sg2[t] = (alpha / 2) / (1 + (c * u) * (c * u))
        return cnt, sg2

    def bwd_loop(gin: torch.Tensor, sg: torch.Tensor, beta: float):
        """g[t] = gin[t] * sg[t] + beta * g[t+1]; returns all g (T x ...) and sum_t g."""
        T = sg.shape[0]
        g = torch.empty_like(sg)
        gn = torch.zeros_like(sg[0])
        gsum = torch.zeros_like(sg[0])
        for t in range(T - 1, -1, -1):
            gn = gin[t] * sg[t] + beta * gn
            g[t] = gn
            gsum = gsum + gn
        return g, gsum

    def bwd_sum(gin: torch.Tensor, sg: torch.Tensor, beta: float):
        """sum_t g[t] only (the hidden layer's input current is constant)."""
        T = sg.shape[0]
        gn = torch.zeros_like(sg[0])
        gsum = torch.zeros_like(sg[0])
        for t in range(T - 1, -1, -1):
            gn = gin[t] * sg[t] + beta * gn
            gsum = gsum + gn
        return gsum

    if jit:
        if torch._C._llvm_enabled():   # Debian's torch 1.13 has no LLVM: no CPU fusion then
            torch._C._jit_override_can_fuse_on_cpu(True)
        return tuple(torch.jit.script(f) for f in (hidden_fwd, out_fwd, bwd_loop, bwd_sum))
    return hidden_fwd, out_fwd, bwd_loop, bwd_sum


class Runner:
    """One variant: forward for evaluation, one training step (loss, #correct)."""

    def __init__(self, args, variant, seed):
        import torch
        self.torch = torch
        self.args = args
        self.variant = variant
        torch.manual_seed(seed)
        self.net = build(args)()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=args.lr)
        if variant.startswith("manual"):
            self.fns = manual_fns(variant == "manual-jit")

    def counts(self, x):
        """Output spike counts (no grad)."""
        torch, a = self.torch, self.args
        with torch.no_grad():
            if self.variant.startswith("manual"):
                hidden_fwd, out_fwd, _, _ = self.fns
                s1, _ = hidden_fwd(self.net.fc1(x), a.steps, a.beta, a.threshold, a.alpha, False)
                cnt, _ = out_fwd(self.net.fc2(s1), a.beta, a.threshold, a.alpha, False)
                return cnt
            if self.variant == "step":
                return self.net.forward_step(x)
            return self.net.forward_hoist(x)

    def grads(self, x, y):
        """Sets .grad of every parameter; returns (loss tensor, counts)."""
        torch, a = self.torch, self.args
        for p in self.net.parameters():
            p.grad = None
        if not self.variant.startswith("manual"):
            cnt = self.net.forward_step(x) if self.variant == "step" else self.net.forward_hoist(x)
            loss = torch.nn.functional.cross_entropy(cnt, y)
            loss.backward()
            return loss.detach(), cnt.detach()
        hidden_fwd, out_fwd, bwd_loop, bwd_sum = self.fns
        fc1, fc2 = self.net.fc1, self.net.fc2
        with torch.no_grad():
            B = x.shape[0]
            s1, sg1 = hidden_fwd(fc1(x), a.steps, a.beta, a.threshold, a.alpha, True)
            cnt, sg2 = out_fwd(fc2(s1), a.beta, a.threshold, a.alpha, True)
            loss = torch.nn.functional.cross_entropy(cnt, y)
            gcnt = torch.softmax(cnt, 1)
            gcnt[torch.arange(B), y] -= 1.0
            gcnt /= B
            g2, gb2 = bwd_loop(gcnt.expand(a.steps, B, a.n_out), sg2, a.beta)   # T x B x O
            H = s1.shape[2]
            fc2.weight.grad = g2.reshape(-1, a.n_out).t() @ s1.reshape(-1, H)
            fc2.bias.grad = gb2.sum(0)
            gs1 = g2 @ fc2.weight                                             # T x B x H
            gcur1 = bwd_sum(gs1, sg1, a.beta)                                   # B x H
            fc1.weight.grad = gcur1.t() @ x
            fc1.bias.grad = gcur1.sum(0)
        return loss, cnt

    def train_step(self, x, y):
        loss, cnt = self.grads(x, y)
        self.opt.step()
        return float(loss), int((cnt.argmax(1) == y).sum())


# --------------------------------------------------------------------------- timing

def child(args):
    threads = int(args.threads)
    import numpy as np  # noqa: F401
    import torch
    torch.set_num_threads(threads)
    variant = args.variant
    xs, ys = make_data(args, args.n, args.seed)
    X, Y = torch.from_numpy(xs), torch.from_numpy(ys)
    if not args.no_eval:
        xe, ye = make_data(args, args.n_eval, args.seed + 1000)
        XE, YE = torch.from_numpy(xe), torch.from_numpy(ye)
    B = args.batch

    # warm-up on a throw-away network (allocator, OpenMP/BLAS pools, TorchScript profiling)
    w = Runner(args, variant, args.seed + 7)
    for i in range(max(args.warmup, 3 if variant == "manual-jit" else 0)):
        w.train_step(X[i * B:(i + 1) * B], Y[i * B:(i + 1) * B])
        w.counts(X[i * B:(i + 1) * B])
    del w

    r = Runner(args, variant, args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    for ep in range(1, args.epochs + 1):
        load0 = os.getloadavg()[0]
        perm = torch.randperm(args.n, generator=gen)
        t0, c0 = time.perf_counter(), time.process_time()
        tot_loss, correct = 0.0, 0
        for i in range(0, args.n, B):
            idx = perm[i:i + B]
            loss, c = r.train_step(X[idx], Y[idx])
            tot_loss += loss * len(idx)
            correct += c
        t_train, c_train = time.perf_counter() - t0, time.process_time() - c0
        rec = dict(impl="torch", variant=variant, threads=threads, n=args.n, hidden=args.hidden,
                   steps=args.steps, batch=B, data=args.data.split(":")[0], epoch=ep,
                   train_seconds=round(t_train, 3), train_cpu_seconds=round(c_train, 3), train_loss=round(tot_loss / args.n, 5),
                   train_acc=round(correct / args.n, 5))
        if not args.no_eval:
            t0 = time.perf_counter()
            correct = 0
            for i in range(0, args.n_eval, B):
                correct += int((r.counts(XE[i:i + B]).argmax(1) == YE[i:i + B]).sum())
            rec.update(n_eval=args.n_eval, eval_seconds=round(time.perf_counter() - t0, 3),
                       eval_acc=round(correct / args.n_eval, 5))
        rec.update(load1_start=round(load0, 2), load1_end=round(os.getloadavg()[0], 2),
                   torch=torch.__version__)
        print(json.dumps(rec), flush=True)


def check_grad(args):
    import torch
    torch.set_num_threads(int(args.threads.split(",")[0]))
    xs, ys = make_data(args, args.batch, args.seed)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)
    ref = None
    for v in VARIANTS:
        r = Runner(args, v, args.seed)
        loss, _ = r.grads(x, y)
        g = [p.grad.clone() for p in r.net.parameters()]
        if ref is None:
            ref = (v, float(loss), g)
            print(json.dumps(dict(variant=v, loss=float(loss))))
            continue
        diffs = [float((a - b).abs().max() / (b.abs().max() + 1e-30)) for a, b in zip(g, ref[2])]
        print(json.dumps(dict(variant=v, loss=float(loss), vs=ref[0], max_rel_diff=diffs)))


def main():
    args = parse_args()
    if args.child:
        child(args)
        return
    if args.save_data:
        x, y = make_data(args, args.n, args.seed)
        x.astype("<f4").tofile(args.save_data + ".x.f32")
        y.astype("<i4").tofile(args.save_data + ".y.i32")
        if not args.no_eval:
            x, y = make_data(args, args.n_eval, args.seed + 1000)
            x.astype("<f4").tofile(args.save_data + ".xe.f32")
            y.astype("<i4").tofile(args.save_data + ".ye.i32")
        return
    if args.check_grad:
        check_grad(args)
        return
    for v in args.variant.split(","):
        if v not in VARIANTS:
            raise SystemExit("unknown variant " + v)
    argv = [a for a in sys.argv[1:]]
    for v in args.variant.split(","):
        for th in args.threads.split(","):
            env = dict(os.environ, OMP_NUM_THREADS=th, OPENBLAS_NUM_THREADS=th, MKL_NUM_THREADS=th)
            cmd = [sys.executable, os.path.abspath(__file__)] + argv + [
                "--child", "--threads", th, "--variant", v]
            subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()

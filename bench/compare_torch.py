#!/usr/bin/python3
"""innspect's LRP-epsilon against the one a PyTorch user would write, on the same model, same run.

The reference: the connectome seed model as shipped (examples/connectome/data/seed90.h5) rebuilt
in PyTorch (Debian's python3-torch), and LRP-epsilon written with autograd the way Zennit's
documentation describes its rules: for each linear layer, from the output back, recompute
z = layer(a) with a requiring gradients, then R_a = a * autograd.grad(z, a, R / (z + eps*sgn0(z))),
activations, dropout and reshapes passing relevance through (the same conventions as innspect:
README "LRP rules"; the softmax of the classifier, which the decoder reads, passes it through too).
Float32, one thread (torch.set_num_threads(1)), inference mode for the forward pass.

Both sides explain the same held-out samples, tiled to the batch size, for the whole
reconstruction (R0 = the pre-tanh output, every unit) and the logit (R0 = the top logit). First the
script checks that both relevances agree; then, for each batch size, it alternates rounds: a
PyTorch round (median of --calls calls) and an innspect round (bench-compare-torch, the median of
as many calls), --rounds times, and reports the medians and the per-round ratio.

  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DINNSPECT_BUILD_BENCH=ON
  cmake --build build-bench --target innspect_bench_compare_torch
  /usr/bin/python3 bench/compare_torch.py --program build-bench/bench/bench-compare-torch
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "examples", "connectome", "data")
W = 90
EPS = 0.1


def load_layers(path):
    """The seed model's linear layers as torch modules (Keras layouts converted), in graph order."""
    f = h5py.File(path, "r")["model_weights"]

    def kb(name):
        g = f[name][name]
        return np.array(g["kernel:0"]), np.array(g["bias:0"])

    def conv(name, transpose):
        k, b = kb(name)
        kh, kw, a, c = k.shape
        if transpose:  # Keras (kh, kw, out, in) -> torch (in, out, kh, kw)
            m = torch.nn.ConvTranspose2d(c, a, (kh, kw))
            m.weight.data = torch.from_numpy(k.transpose(3, 2, 0, 1).copy())
        else:  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
            m = torch.nn.Conv2d(a, c, (kh, kw))
            m.weight.data = torch.from_numpy(k.transpose(3, 2, 0, 1).copy())
        m.bias.data = torch.from_numpy(b.copy())
        return m

    def dense(name):
        k, b = kb(name)
        m = torch.nn.Linear(k.shape[0], k.shape[1])
        m.weight.data = torch.from_numpy(k.T.copy())
        m.bias.data = torch.from_numpy(b.copy())
        return m

    return {
        "conv1": conv("conv1", False), "conv2": conv("conv2", False),
        "dense1": dense("dense1"), "output": dense("output"), "dense2": dense("dense2"),
        "conv3": conv("conv3", True), "conv4": conv("conv4", True), "autoencoder": conv("autoencoder", True),
    }


# The graph as a chain: (layer, how its input is made from the previous output, activation).
# Dropout is the identity at inference; reshape1 flattens (B, 64, 1, 1), reshape2 restores it.
CHAIN = [
    ("conv1", None, torch.selu),
    ("conv2", None, torch.selu),
    ("dense1", lambda a: a.reshape(a.shape[0], 64), torch.selu),
    ("output", None, lambda z: torch.softmax(z, dim=1)),
    ("dense2", None, torch.selu),
    ("conv3", lambda a: a.reshape(a.shape[0], 64, 1, 1), torch.selu),
    ("conv4", None, torch.selu),
    ("autoencoder", None, torch.tanh),
]


def forward(layers, x, last):
    """Inputs a and pre-activations z of every layer up to `last` (x: B x 1 x W x W)."""
    inputs, pre = [], []
    a = x
    for name, reshape, act in CHAIN:
        if reshape is not None:
            a = reshape(a)
        inputs.append(a)
        z = layers[name](a)
        pre.append(z)
        if name == last:
            break
        a = act(z)
    return inputs, pre


def sgn0(z):
    return torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))


def lrp_epsilon(layers, x, target):
    """LRP-epsilon from `target` ("recon": the pre-tanh reconstruction, every unit; "logit": each
    sample's top logit) back to the input; returns R (B x W x W x 1, channels-last)."""
    last = "autoencoder" if target == "recon" else "output"
    with torch.inference_mode():
        inputs, pre = forward(layers, x, last)
    z = pre[-1]
    if target == "recon":
        r = z.clone()
    else:
        r = torch.zeros_like(z)
        top = z.argmax(dim=1, keepdim=True)
        r.scatter_(1, top, z.gather(1, top))
    for k in range(len(inputs) - 1, -1, -1):
        name = CHAIN[k][0]
        a = inputs[k].clone().requires_grad_(True)
        zk = layers[name](a)
        s = r / (zk.detach() + EPS * sgn0(zk.detach()))
        (c,) = torch.autograd.grad(zk, a, s)
        r = (a * c).detach()
        reshape = CHAIN[k][1]
        if reshape is not None:  # back to the previous layer's output shape
            r = r.reshape(inputs[k - 1].shape[0], *pre[k - 1].shape[1:]) if k > 0 else r
    return r.permute(0, 2, 3, 1).contiguous()


def tiled(samples, batch):
    reps = (batch + samples.shape[0] - 1) // samples.shape[0]
    return np.concatenate([samples] * reps)[:batch]


def torch_round(layers, x, target, calls):
    times = []
    for _ in range(calls + 3):
        t0 = time.perf_counter()
        lrp_epsilon(layers, x, target)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[3:]) / x.shape[0]


def ours_round(program, model, xfile, target, batch, calls, out=None):
    cmd = [program, model, xfile, "--target", target, "--batch", str(batch), "--calls", str(calls)]
    if out:
        cmd += ["--out", out]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    vals = dict(line.split() for line in res.strip().splitlines())
    return float(vals["explain_us_per_sample"]) * 1e-6, float(vals["forward_us_per_sample"]) * 1e-6


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--program", required=True, help="path of bench-compare-torch")
    p.add_argument("--batches", default="1,32")
    p.add_argument("--targets", default="recon,logit")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=30)
    args = p.parse_args()

    torch.set_num_threads(1)
    model = os.path.join(DATA, "seed90.h5")
    xfile = os.path.join(DATA, "heldout_x.npy")
    samples = np.load(xfile).astype(np.float32)
    layers = load_layers(model)
    layers64 = {k: v.double() for k, v in load_layers(model).items()}  # the agreement's reference
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; innspect: {args.program}")
    print(f"load average {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        for target in args.targets.split(","):
            # Agreement first: the same relevance from both, batch 8 (every held-out sample).
            out = os.path.join(tmp, "r.npy")
            ours_round(args.program, model, xfile, target, 8, 1, out)
            ours = np.load(out).astype(np.float64)
            x = torch.from_numpy(tiled(samples, 8).transpose(0, 3, 1, 2).copy())
            ref = lrp_epsilon(layers64, x.double(), target).numpy()
            rel = np.abs(ours - ref).max() / np.abs(ref).max()
            print(f"\n{target}: innspect (float) vs PyTorch (double) relevance, batch 8: "
                  f"max |diff| / max |R| = {rel:.2e}; sum R {ours.sum():.6g} vs {ref.sum():.6g}")
            if not rel < 1e-3:
                sys.exit(f"relevances disagree ({rel:.2e})")

            for batch in [int(b) for b in args.batches.split(",")]:
                x = torch.from_numpy(tiled(samples, batch).transpose(0, 3, 1, 2).copy())
                torch_t, ours_t, ours_f, ratio = [], [], [], []
                for _ in range(args.rounds):
                    t = torch_round(layers, x, target, args.calls)
                    o, f = ours_round(args.program, model, xfile, target, batch, args.calls)
                    torch_t.append(t)
                    ours_t.append(o)
                    ours_f.append(f)
                    ratio.append(t / o)
                med = statistics.median
                print(f"  batch {batch:3d}: PyTorch {med(torch_t) * 1e6:9.1f} us/sample, innspect "
                      f"{med(ours_t) * 1e6:8.1f} us/sample (its forward {med(ours_f) * 1e6:.1f}); "
                      f"PyTorch / innspect = {med(ratio):.1f}x per round "
                      f"[{min(ratio):.1f}, {max(ratio):.1f}] over {args.rounds} rounds")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

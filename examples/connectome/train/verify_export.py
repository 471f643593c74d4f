#!/usr/bin/python3
"""Check examples/connectome/data/seed90.h5 against the PyTorch model it was exported from.

Reads seed90.h5 with h5py only (model_config JSON + /model_weights), runs the independent numpy
reference of Keras's forward pass (tests/reference/keras_numpy.py, channels-last, float64) by
walking the model_config graph, and compares with the PyTorch model (eval mode, float32, NCHW)
on every held-out sample: classifier probabilities, logits and reconstruction must agree to
< 1e-4 (max abs). This proves the weight-layout conversion (torch NCHW -> Keras NHWC).

Then writes examples/connectome/data/heldout_reference/ for the first N_REF held-out samples
(input = heldout_x.npy[:N_REF]), float64 (the reference's own precision):
  output.npy          (N_REF, 2)         softmax probabilities (`output`)
  output.preact.npy   (N_REF, 2)         logits (pre-softmax of `output`)
  autoencoder.npy     (N_REF, 90, 90, 1) reconstruction (tanh)

Usage: /usr/bin/python3 examples/connectome/train/verify_export.py [--state _work/seed90_torch.pt]
"""

import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "data"))
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
sys.path.insert(0, HERE)

import keras_numpy as kn  # noqa: E402
from seed_model import SeedModel  # noqa: E402

TOL = 1e-4
N_REF = 2


def load_keras_h5(path):
    """(model_config dict, {layer: [arrays in weight_names order]}) from a model.save() file."""
    with h5py.File(path, "r") as f:
        cfg = f.attrs["model_config"]
        cfg = json.loads(cfg.decode() if isinstance(cfg, bytes) else cfg)
        assert f.attrs["keras_version"] in ("2.2.4", b"2.2.4")
        g = f["model_weights"]
        weights = {}
        for ln in g.attrs["layer_names"]:
            ln = ln.decode()
            names = [w.decode() for w in g[ln].attrs["weight_names"]]
            weights[ln] = [g[ln][w][()] for w in names]
            for a in weights[ln]:
                assert a.dtype == np.float32, (ln, a.dtype)
    return cfg, weights


def numpy_forward(cfg, weights, x):
    """Walk the functional model_config; returns ({layer: output}, {layer: preact})."""
    outs, pre = {}, {}
    layers = cfg["config"]["layers"]
    for L in layers:
        name, kind, c = L["name"], L["class_name"], L["config"]
        if kind == "InputLayer":
            assert list(x.shape[1:]) == c["batch_input_shape"][1:], (x.shape, c)
            outs[name] = kn.linear(x)
            continue
        (src,) = [n[0] for n in L["inbound_nodes"][0]]
        h = outs[src]
        if kind in ("Dropout", "SpatialDropout2D"):
            outs[name] = kn.dropout(h)
        elif kind == "Reshape":
            outs[name] = kn.reshape(h, c["target_shape"])
        elif kind in ("Dense", "Conv2D", "Conv2DTranspose"):
            k, b = weights[name]
            if kind == "Dense":
                z = kn.dense(h, k, b)
            elif kind == "Conv2D":
                z = kn.conv2d(h, k, c["strides"], c["padding"], b)
            else:
                z = kn.conv2d_transpose(h, k, c["strides"], c["padding"], b)
            pre[name] = z
            outs[name] = kn.activate(c["activation"], z)
        else:
            raise ValueError(f"unexpected layer {kind}")
    return outs, pre


def torch_forward(model, x_nhwc, fast):
    model.eval()
    with torch.no_grad():
        xt = torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
        logits, probs, rec = model(xt, fast=fast)
    return logits.numpy(), probs.numpy(), rec.numpy().transpose(0, 2, 3, 1)


def verify(model, h5_path, x, write_reference=True):
    cfg, weights = load_keras_h5(h5_path)
    outs, pre = numpy_forward(cfg, weights, x)
    print(f"export check on {len(x)} held-out samples: numpy Keras forward of "
          f"{os.path.basename(h5_path)} vs the float32 torch model, max abs diff:")
    diffs = {}
    for fast, path in ((False, "torch nn modules"), (True, "torch matmul path")):
        t_logits, t_probs, t_rec = torch_forward(model, x, fast)
        diffs[path] = {
            "output (probabilities)": float(np.abs(outs["output"] - t_probs).max()),
            "output (logits)": float(np.abs(pre["output"] - t_logits).max()),
            "autoencoder (reconstruction)": float(np.abs(outs["autoencoder"] - t_rec).max()),
        }
        for k, v in diffs[path].items():
            print(f"  {path:18s} {k:30s} {v:.3e}")
    worst = max(v for d in diffs.values() for v in d.values())
    assert worst < TOL, diffs
    print(f"  OK (< {TOL:g})")
    if write_reference:
        d = os.path.join(DATA_DIR, "heldout_reference")
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "output.npy"), outs["output"][:N_REF])
        np.save(os.path.join(d, "output.preact.npy"), pre["output"][:N_REF])
        np.save(os.path.join(d, "autoencoder.npy"), outs["autoencoder"][:N_REF])
        print(f"  wrote {d}/ (first {N_REF} held-out samples)")
    return outs, pre, diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state", default=os.path.join(HERE, "_work", "seed90_torch.pt"))
    ap.add_argument("--h5", default=os.path.join(DATA_DIR, "seed90.h5"))
    args = ap.parse_args()
    model = SeedModel()
    model.load_state_dict(torch.load(args.state))
    x = np.load(os.path.join(DATA_DIR, "heldout_x.npy"))
    verify(model, args.h5, x)


if __name__ == "__main__":
    main()

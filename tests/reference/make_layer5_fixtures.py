"""Fixtures for the activations and layers added after forward4 (softplus, softsign, swish / silu,
gelu, exponential, hard sigmoid of Keras 2 and 3; the LeakyReLU, ELU and Softmax layers,
GlobalMaxPooling2D; RepeatVector, Permute, PReLU), from the numpy Keras reference
(keras_numpy_more.py).

Run from the repository root:   /usr/bin/python3 tests/reference/make_layer5_fixtures.py

Deterministic (np.random.default_rng(crc32(<case name>)) per case; weights and inputs rounded to
the float32 grid, so a float build reads exactly the reference's numbers). It deletes and rewrites
tests/data/forward5/.

tests/data/forward5/<case>/        single-layer cases, the layer is called `l`, batch 2:
    input.npy, l.alpha.npy (PReLU only, Keras's alpha shape), l.out.npy,
    model.json (layer type and Keras config; "keras": 3 where the case follows Keras 3)

tests/data/forward5/sequence_model/   one model (MODEL_SEQ below), batch 3:
    input.npy, <layer>.<role>.npy, <layer>.out.npy for every layer, model.json,
    weights.h5 (Keras model.save() layout, float32, Keras-2.2.4-style Sequential model_config,
    written by keras_h5_layout.py): what tests/hdf5/small_layers_h5.cpp loads PReLU's alpha from.

If torch imports (Debian python3-torch), the elementwise cases are cross-checked against
torch.nn.functional as well.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import keras_numpy as kn  # noqa: E402
import keras_numpy_more as km  # noqa: E402
from keras_h5_layout import write_keras_h5  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "forward5"))
MAX_TOTAL_BYTES = 512 * 1024
BATCH = 2


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def case_rng(name):
    return np.random.default_rng(zlib.crc32(name.encode("ascii")))


def save(d, fname, arr):
    arr = np.asarray(arr, dtype=np.float64)
    assert np.all(np.isfinite(arr)), (d, fname)
    np.save(os.path.join(d, fname), arr)


def write_json(path, doc):
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


# ---------------------------------------------------------------------------------------------
# one layer from a (type, config) description
# ---------------------------------------------------------------------------------------------


def forward_layer(kind, cfg, x, weights, keras=2):
    w = dict(weights or [])
    if kind == "Activation":
        name = cfg["activation"]
        if name == "hard_sigmoid" and keras == 3:
            return km.hard_sigmoid_keras3(x)
        return km.ACTIVATIONS[name](x)
    if kind == "LeakyReLU":
        return km.leaky_relu(x, cfg.get("alpha", cfg.get("negative_slope", 0.3)))
    if kind == "ELU":
        return km.elu(x, cfg.get("alpha", 1.0))
    if kind == "Softmax":
        return km.softmax(x, axis=cfg.get("axis", -1))  # Keras's axis: the batch is axis 0
    if kind == "GlobalMaxPooling2D":
        return km.global_max_pooling2d(x)
    if kind == "RepeatVector":
        return km.repeat_vector(x, cfg["n"])
    if kind == "Permute":
        return km.permute(x, cfg["dims"])
    if kind == "PReLU":
        return km.prelu(x, w["alpha"])
    if kind == "Dense":
        return kn.dense(x, w["kernel"], w.get("bias"))
    if kind == "Flatten":
        return kn.flatten(x)
    raise ValueError(kind)


def make_weights(kind, cfg, in_shape, rng):
    if kind == "PReLU":
        shape = km.prelu_alpha_shape(in_shape, cfg.get("shared_axes"))
        # slopes of both signs and beyond 1, so a wrong broadcast cannot hide
        return [("alpha", f32(rng.uniform(-1.5, 1.5, shape)))]
    if kind == "Dense":
        return [("kernel", f32(rng.standard_normal((in_shape[-1], cfg["units"])) / np.sqrt(in_shape[-1]))),
                ("bias", f32(rng.standard_normal(cfg["units"]) * 0.2))]
    return []


# ---------------------------------------------------------------------------------------------
# single-layer cases
# ---------------------------------------------------------------------------------------------

ACT = (7,)

SINGLE_CASES = [
    # name, input shape, type, config, input scale, Keras major version the case follows
    ("act_softplus", ACT, "Activation", {"activation": "softplus"}, 3.0, 2),
    ("act_softsign", ACT, "Activation", {"activation": "softsign"}, 3.0, 2),
    ("act_swish", ACT, "Activation", {"activation": "swish"}, 3.0, 2),
    ("act_silu", ACT, "Activation", {"activation": "silu"}, 3.0, 3),
    ("act_gelu", ACT, "Activation", {"activation": "gelu"}, 2.0, 2),
    ("act_exponential", ACT, "Activation", {"activation": "exponential"}, 1.5, 2),
    ("act_hard_sigmoid_k2", (12,), "Activation", {"activation": "hard_sigmoid"}, 3.0, 2),
    ("act_hard_sigmoid_k3", (12,), "Activation", {"activation": "hard_sigmoid"}, 3.5, 3),
    ("leaky_relu_alpha", (3, 4, 2), "LeakyReLU", {"alpha": 0.2}, 1.0, 2),
    ("leaky_relu_negative_slope", (3, 4, 2), "LeakyReLU", {"negative_slope": 0.05}, 1.0, 3),
    ("leaky_relu_default", (6,), "LeakyReLU", {"alpha": 0.3}, 1.0, 2),
    ("elu_alpha", (3, 4, 2), "ELU", {"alpha": 0.5}, 1.5, 2),
    ("elu_default", (6,), "ELU", {"alpha": 1.0}, 1.5, 2),
    ("softmax_image", (3, 4, 5), "Softmax", {"axis": -1}, 2.0, 2),
    ("softmax_vector", (6,), "Softmax", {"axis": -1}, 2.0, 2),
    ("softmax_axis1", (3, 4, 5), "Softmax", {"axis": 1}, 2.0, 2),
    ("softmax_axis_minus2", (3, 4, 5), "Softmax", {"axis": -2}, 2.0, 2),
    ("softmax_seq_steps", (4, 3), "Softmax", {"axis": 1}, 2.0, 2),
    ("gmp", (3, 4, 5), "GlobalMaxPooling2D", {}, 1.0, 2),
    ("repeat_vector", (6,), "RepeatVector", {"n": 3}, 1.0, 2),
    ("permute_seq", (4, 3), "Permute", {"dims": [2, 1]}, 1.0, 2),
    ("permute_img_312", (2, 3, 4), "Permute", {"dims": [3, 1, 2]}, 1.0, 2),
    ("permute_img_231", (2, 3, 4), "Permute", {"dims": [2, 3, 1]}, 1.0, 2),
    ("permute_img_132", (2, 3, 4), "Permute", {"dims": [1, 3, 2]}, 1.0, 2),
    ("prelu_full", (3, 4, 2), "PReLU", {"shared_axes": None}, 1.0, 2),
    ("prelu_shared_12", (3, 4, 2), "PReLU", {"shared_axes": [1, 2]}, 1.0, 2),
    ("prelu_shared_2", (3, 4, 2), "PReLU", {"shared_axes": [2]}, 1.0, 2),
    ("prelu_seq_shared_1", (5, 3), "PReLU", {"shared_axes": [1]}, 1.0, 2),
    ("prelu_vector", (6,), "PReLU", {"shared_axes": None}, 1.0, 2),
]

KINKS = {"act_hard_sigmoid_k2": (-2.5, 2.5), "act_hard_sigmoid_k3": (-3.0, 3.0)}


def single_input(name, in_shape, scale, rng):
    x = f32(rng.standard_normal((BATCH,) + tuple(in_shape)) * scale)
    for k in KINKS.get(name, ()):
        assert np.min(np.abs(x - k)) > 1e-3, (name, k)
    if name in KINKS:  # both clipped ends and the slope in between are exercised
        lo, hi = KINKS[name]
        assert np.any(x < lo) and np.any(x > hi) and np.any((x > lo) & (x < hi)), name
    if name == "gmp":  # no ties in any channel's maximum
        flat = np.sort(x.reshape(BATCH, -1, in_shape[-1]), axis=1)
        assert np.min(flat[:, -1, :] - flat[:, -2, :]) > 1e-6
    return x


def make_single_cases():
    for name, in_shape, kind, cfg, scale, keras in SINGLE_CASES:
        d = os.path.join(OUT_DIR, name)
        os.makedirs(d)
        rng = case_rng(name)
        x = single_input(name, in_shape, scale, rng)
        weights = make_weights(kind, cfg, in_shape, rng)
        y = forward_layer(kind, cfg, x, weights, keras)
        save(d, "input.npy", x)
        for role, v in weights:
            save(d, f"l.{role}.npy", v)
        save(d, "l.out.npy", y)
        doc = {"case": name, "layers": [
            {"name": "l", "type": kind, "input": "input", "input_shape": list(in_shape),
             "output_shape": list(y.shape[1:]), "config": cfg}]}
        if keras == 3:
            doc["keras"] = 3
        write_json(os.path.join(d, "model.json"), doc)


# ---------------------------------------------------------------------------------------------
# a small sequence model with a PReLU, written as a Keras model.save() file
# ---------------------------------------------------------------------------------------------

SEQ_BATCH = 3

MODEL_SEQ = [
    # name, type, config (Keras's own field names)
    ("dense_1", "Dense", {"units": 3, "activation": "linear", "use_bias": True}),
    ("repeat_vector_1", "RepeatVector", {"n": 4}),              # (4, 3)
    ("permute_1", "Permute", {"dims": [2, 1]}),                 # (3, 4)
    ("p_re_lu_1", "PReLU", {"shared_axes": [1]}),               # alpha (1, 4)
    ("flatten_1", "Flatten", {}),                               # (12,)
    ("dense_2", "Dense", {"units": 2, "activation": "linear", "use_bias": True}),
]
SEQ_INPUT = (5,)

ZEROS = {"class_name": "Zeros", "config": {}}
INIT = {"class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def keras_config(name, kind, cfg, first):
    """The `config` dict Keras 2.2.4's get_config() writes for one layer."""
    c = {"name": name, "trainable": True}
    if first:
        c["batch_input_shape"] = [None] + list(SEQ_INPUT)
        c["dtype"] = "float32"
    if kind == "Dense":
        c.update({"units": cfg["units"], "activation": cfg["activation"], "use_bias": cfg["use_bias"],
                  "kernel_initializer": INIT, "bias_initializer": ZEROS, "kernel_regularizer": None,
                  "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                  "bias_constraint": None})
    elif kind == "RepeatVector":
        c["n"] = cfg["n"]
    elif kind == "Permute":
        c["dims"] = list(cfg["dims"])
    elif kind == "PReLU":
        c.update({"alpha_initializer": ZEROS, "alpha_regularizer": None, "alpha_constraint": None,
                  "shared_axes": cfg["shared_axes"]})
    elif kind == "Flatten":
        c["data_format"] = "channels_last"
    return c


def make_sequence_model():
    d = os.path.join(OUT_DIR, "sequence_model")
    os.makedirs(d)
    rng = case_rng("sequence_model")
    x = f32(rng.standard_normal((SEQ_BATCH,) + SEQ_INPUT))
    save(d, "input.npy", x)
    h5_layers, config_layers, doc_layers = [], [], []
    shape = SEQ_INPUT
    prev = "input"
    for i, (name, kind, cfg) in enumerate(MODEL_SEQ):
        weights = make_weights(kind, cfg, shape, rng)
        y = forward_layer(kind, cfg, x, weights)
        for role, v in weights:
            save(d, f"{name}.{role}.npy", v)
        save(d, f"{name}.out.npy", y)
        h5_layers.append((name, [(f"{name}/{role}:0", v.astype(np.float32)) for role, v in weights]))
        config_layers.append({"class_name": kind, "config": keras_config(name, kind, cfg, i == 0)})
        doc_layers.append({"name": name, "type": kind, "input": prev, "input_shape": list(shape),
                           "output_shape": list(y.shape[1:]), "config": cfg})
        if kind == "PReLU":  # negative inputs meet slopes of both signs
            assert np.any(x < 0) and np.any(weights[0][1] < 0) and np.any(weights[0][1] > 1), name
        x, shape, prev = y, y.shape[1:], name
    model_config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": config_layers}}
    write_keras_h5(os.path.join(d, "weights.h5"), h5_layers, model_save=True, model_config=model_config)
    write_json(os.path.join(d, "model.json"), {"case": "sequence_model", "input_shape": list(SEQ_INPUT),
                                               "layers": doc_layers})


# ---------------------------------------------------------------------------------------------
# cross-check against torch (independent implementation), if it imports
# ---------------------------------------------------------------------------------------------


def torch_crosscheck():
    try:
        import torch
        import torch.nn.functional as F
    except Exception:  # pragma: no cover
        print("torch not available: skipping the torch cross-check")
        return
    worst = 0.0
    checked = 0
    for name, in_shape, kind, cfg, _scale, keras in SINGLE_CASES:
        d = os.path.join(OUT_DIR, name)
        x = torch.from_numpy(np.load(os.path.join(d, "input.npy")))
        y = np.load(os.path.join(d, "l.out.npy"))
        if kind == "Activation":
            a = cfg["activation"]
            if a == "softplus":
                yt = F.softplus(x)
            elif a == "softsign":
                yt = F.softsign(x)
            elif a in ("swish", "silu"):
                yt = F.silu(x)
            elif a == "gelu":
                yt = F.gelu(x)
            elif a == "exponential":
                yt = torch.exp(x)
            elif a == "hard_sigmoid" and keras == 3:
                yt = F.hardsigmoid(x)  # relu6(x + 3) / 6
            elif a == "hard_sigmoid":
                yt = torch.clamp(0.2 * x + 0.5, 0.0, 1.0)
            else:
                continue
        elif kind == "LeakyReLU":
            yt = F.leaky_relu(x, cfg.get("alpha", cfg.get("negative_slope")))
        elif kind == "ELU":
            yt = F.elu(x, cfg["alpha"])
        elif kind == "Softmax":
            yt = F.softmax(x, dim=cfg["axis"])
        elif kind == "GlobalMaxPooling2D":
            yt = F.adaptive_max_pool2d(x.permute(0, 3, 1, 2), 1).reshape(BATCH, -1)
        elif kind == "PReLU":
            alpha = torch.from_numpy(np.load(os.path.join(d, "l.alpha.npy")))
            yt = torch.where(x >= 0, x, alpha.unsqueeze(0) * x)
        elif kind == "Permute":
            yt = x.permute(0, *cfg["dims"])
        elif kind == "RepeatVector":
            yt = x.unsqueeze(1).expand(-1, cfg["n"], -1)
        else:
            continue
        checked += 1
        worst = max(worst, float(np.max(np.abs(yt.numpy() - y))))
    print(f"torch cross-check of {checked} cases: max |diff| = {worst:.3g}")
    assert worst < 1e-12


def main():
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    make_single_cases()
    make_sequence_model()
    torch_crosscheck()
    total = 0
    for root, _dirs, files in os.walk(OUT_DIR):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"total fixture size: {total} bytes in forward5/")
    assert total < MAX_TOTAL_BYTES, total


if __name__ == "__main__":
    main()

"""Fixtures for the 1D layers (Conv1D, Conv1DTranspose, MaxPooling1D, AveragePooling1D,
GlobalAveragePooling1D, GlobalMaxPooling1D, UpSampling1D, ZeroPadding1D, Cropping1D) and for
Conv2D's dilation_rate, from the numpy Keras reference (keras_numpy.py).

Run from the repository root:   /usr/bin/python3 tests/reference/make_layer1d_fixtures.py

Deterministic (np.random.default_rng(crc32(<case name>)) per case; weights and inputs rounded to
the float32 grid, so a float build reads exactly the reference's numbers). It deletes and rewrites
tests/data/forward1d/ (read by tests/layers/layers_1d.cpp).

tests/data/forward1d/<case>/       single-layer cases, the layer is called `l`, batch 2:
    input.npy, l.kernel.npy / l.bias.npy (Keras shapes, no bias file without use_bias),
    l.preact.npy (layers with a non-linear activation), l.out.npy, model.json (type and config)

tests/data/forward1d/all1d/        one model with every 1D layer (MODEL_ALL below), batch 3:
    input.npy, <layer>.<role>.npy, <layer>.preact.npy, <layer>.out.npy for every layer, model.json

Checks (asserted, and printed):
  * adjointness <conv1d(y), x> = <y, conv1d_transpose(x)> for every Conv1DTranspose case's kernel,
    strides and padding (relative difference < 1e-12);
  * conv1d with dilation 1 equals conv2d on the sequence as an image of height 1; conv2d_dilated
    with dilation 1 equals conv2d (two independent loops);
  * every Conv1D / Conv1DTranspose / dilated Conv2D pre-activation against torch.nn.functional
    (explicit asymmetric padding; crop of the full transposed convolution), if torch imports;
  * total size < 1 MB.
"""

from __future__ import annotations

import os
import shutil
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import keras_numpy as kn  # noqa: E402
from make_layer4_fixtures import case_rng, f32, save, write_json  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "forward1d"))
MAX_TOTAL_BYTES = 1024 * 1024
BATCH = 2
ALL_BATCH = 3


# ---------------------------------------------------------------------------------------------
# one layer from a (type, config) description
# ---------------------------------------------------------------------------------------------

WEIGHTED = ("Dense", "Conv1D", "Conv1DTranspose", "Conv2D")


def make_weights(kind, cfg, in_shape, rng):
    """Random weights in Keras's shapes, as an ordered list of (role, array)."""
    cin = in_shape[-1]
    if kind == "Dense":
        kshape, fan, nb = (cin, cfg["units"]), cin, cfg["units"]
    elif kind == "Conv1D":
        k = cfg["kernel_size"][0]
        kshape, fan, nb = (k, cin, cfg["filters"]), k * cin, cfg["filters"]
    elif kind == "Conv1DTranspose":
        k, s = cfg["kernel_size"][0], cfg["strides"][0]
        kshape, fan, nb = (k, cfg["filters"], cin), -(-k // s) * cin, cfg["filters"]
    else:  # Conv2D
        kh, kw = cfg["kernel_size"]
        kshape, fan, nb = (kh, kw, cin, cfg["filters"]), kh * kw * cin, cfg["filters"]
    out = [("kernel", f32(rng.standard_normal(kshape) / np.sqrt(fan)))]
    if cfg.get("use_bias", True):
        out.append(("bias", f32(rng.standard_normal(nb) * 0.2)))
    return out


def forward_layer(kind, cfg, x, weights):
    """Returns (pre-activation or None, output)."""
    w = dict(weights or [])
    if kind == "Dense":
        z = kn.dense(x, w["kernel"], w.get("bias"))
    elif kind == "Conv1D":
        z = kn.conv1d(x, w["kernel"], cfg["strides"][0], cfg["padding"], cfg["dilation_rate"][0], w.get("bias"))
    elif kind == "Conv1DTranspose":
        z = kn.conv1d_transpose(x, w["kernel"], cfg["strides"][0], cfg["padding"], w.get("bias"))
    elif kind == "Conv2D":
        z = kn.conv2d_dilated(x, w["kernel"], cfg["strides"], cfg["padding"], cfg["dilation_rate"], w.get("bias"))
    elif kind == "MaxPooling1D":
        return None, kn.max_pooling1d(x, cfg["pool_size"][0], cfg["strides"][0], cfg["padding"])
    elif kind == "AveragePooling1D":
        return None, kn.average_pooling1d(x, cfg["pool_size"][0], cfg["strides"][0], cfg["padding"])
    elif kind == "GlobalAveragePooling1D":
        return None, kn.global_average_pooling1d(x)
    elif kind == "GlobalMaxPooling1D":
        return None, kn.global_max_pooling1d(x)
    elif kind == "UpSampling1D":
        return None, kn.up_sampling1d(x, cfg["size"])
    elif kind == "ZeroPadding1D":
        return None, kn.zero_padding1d(x, cfg["padding"])
    elif kind == "Cropping1D":
        return None, kn.cropping1d(x, cfg["cropping"])
    else:
        raise ValueError(kind)
    return z, kn.activate(cfg.get("activation", "linear"), z)


def conv1d_cfg(filters, k, s, padding, d=1, activation="linear", use_bias=True):
    return {"filters": filters, "kernel_size": [k], "strides": [s], "padding": padding, "dilation_rate": [d],
            "activation": activation, "use_bias": use_bias}


def conv1dt_cfg(filters, k, s, padding, activation="linear", use_bias=True):
    return {"filters": filters, "kernel_size": [k], "strides": [s], "padding": padding, "dilation_rate": [1],
            "output_padding": None, "activation": activation, "use_bias": use_bias}


def conv2d_cfg(filters, k, padding, d, activation="linear", use_bias=True):
    return {"filters": filters, "kernel_size": list(k), "strides": [1, 1], "padding": padding,
            "dilation_rate": list(d), "activation": activation, "use_bias": use_bias}


def pool_cfg(p, s, padding):
    return {"pool_size": [p], "strides": [s if s is not None else p], "padding": padding}


# name, input shape (without batch), type, config
SINGLE_CASES = [
    ("conv1d_valid", (7, 2), "Conv1D", conv1d_cfg(3, 3, 1, "valid")),
    ("conv1d_same_s2", (8, 3), "Conv1D", conv1d_cfg(3, 3, 2, "same", activation="relu")),
    ("conv1d_causal_d2", (9, 2), "Conv1D", conv1d_cfg(2, 3, 1, "causal", 2, "tanh")),
    ("conv1d_causal_s2", (7, 1), "Conv1D", conv1d_cfg(2, 4, 2, "causal", use_bias=False)),
    ("conv1d_valid_d3", (10, 2), "Conv1D", conv1d_cfg(2, 3, 1, "valid", 3, "selu")),
    ("conv1d_same_d2_even", (5, 3), "Conv1D", conv1d_cfg(3, 2, 1, "same", 2)),
    ("conv1dt_valid", (4, 2), "Conv1DTranspose", conv1dt_cfg(3, 3, 1, "valid")),
    ("conv1dt_same_s2", (4, 3), "Conv1DTranspose", conv1dt_cfg(3, 3, 2, "same", "relu")),
    ("conv1dt_valid_s3", (3, 1), "Conv1DTranspose", conv1dt_cfg(2, 2, 3, "valid", use_bias=False)),
    ("conv1dt_same_k4_s2", (3, 2), "Conv1DTranspose", conv1dt_cfg(2, 4, 2, "same", "tanh")),
    ("conv2d_dil_valid", (7, 8, 2), "Conv2D", conv2d_cfg(3, (3, 3), "valid", (2, 2), "relu")),
    ("conv2d_dil_same", (5, 6, 1), "Conv2D", conv2d_cfg(2, (2, 3), "same", (2, 1), use_bias=False)),
    ("conv2d_dil_same_span", (4, 5, 2), "Conv2D", conv2d_cfg(2, (3, 2), "same", (3, 2), "tanh")),
    ("maxpool1d_valid", (7, 2), "MaxPooling1D", pool_cfg(2, None, "valid")),
    ("maxpool1d_same_s1", (5, 2), "MaxPooling1D", pool_cfg(3, 1, "same")),
    # all inputs negative: a padded zero must never win the max
    ("maxpool1d_same_negative", (5, 2), "MaxPooling1D", pool_cfg(2, None, "same")),
    ("avgpool1d_valid_3_s2", (8, 2), "AveragePooling1D", pool_cfg(3, 2, "valid")),
    ("avgpool1d_same_odd", (7, 3), "AveragePooling1D", pool_cfg(2, None, "same")),
    ("gap1d", (5, 3), "GlobalAveragePooling1D", {}),
    ("gmp1d", (5, 3), "GlobalMaxPooling1D", {}),
    ("upsampling1d_3", (4, 2), "UpSampling1D", {"size": 3}),
    ("zeropad1d_sym", (4, 2), "ZeroPadding1D", {"padding": 2}),
    ("zeropad1d_asym", (4, 2), "ZeroPadding1D", {"padding": [1, 3]}),
    ("crop1d_sym", (7, 2), "Cropping1D", {"cropping": 1}),
    ("crop1d_asym", (7, 2), "Cropping1D", {"cropping": [0, 3]}),
]

MODEL_ALL = [
    # name, type, config (Keras's field names); input (16, 2)
    ("conv1d_1", "Conv1D", conv1d_cfg(4, 3, 1, "causal", 2, "relu")),        # (16, 4)
    ("max_pooling1d_1", "MaxPooling1D", pool_cfg(2, None, "valid")),          # (8, 4)
    ("zero_padding1d_1", "ZeroPadding1D", {"padding": [1, 2]}),               # (11, 4)
    ("conv1d_2", "Conv1D", conv1d_cfg(5, 3, 1, "same", activation="tanh")),  # (11, 5)
    ("average_pooling1d_1", "AveragePooling1D", pool_cfg(2, None, "same")),   # (6, 5)
    ("up_sampling1d_1", "UpSampling1D", {"size": 2}),                         # (12, 5)
    ("cropping1d_1", "Cropping1D", {"cropping": [1, 0]}),                     # (11, 5)
    ("conv1d_transpose_1", "Conv1DTranspose", conv1dt_cfg(3, 3, 2, "same")),  # (22, 3)
    ("global_average_pooling1d_1", "GlobalAveragePooling1D", {}),            # (3,)
    ("dense_1", "Dense", {"units": 2, "activation": "softmax", "use_bias": True}),
]
ALL_INPUT = (16, 2)


def make_single_cases():
    for name, in_shape, kind, cfg in SINGLE_CASES:
        d = os.path.join(OUT_DIR, name)
        os.makedirs(d)
        rng = case_rng(name)
        x = rng.standard_normal((BATCH,) + tuple(in_shape))
        if name == "maxpool1d_same_negative":
            x = -np.abs(x) - 0.1
        x = f32(x)
        weights = make_weights(kind, cfg, in_shape, rng) if kind in WEIGHTED else []
        z, y = forward_layer(kind, cfg, x, weights)
        save(d, "input.npy", x)
        for role, v in weights:
            save(d, f"l.{role}.npy", v)
        if z is not None and cfg.get("activation", "linear") != "linear":
            save(d, "l.preact.npy", z)
        save(d, "l.out.npy", y)
        write_json(os.path.join(d, "model.json"), {"case": name, "layers": [
            {"name": "l", "type": kind, "input": "input", "input_shape": list(in_shape),
             "output_shape": list(y.shape[1:]), "config": cfg}]})
        yield name, kind, cfg, x, weights, z


def make_model_all():
    d = os.path.join(OUT_DIR, "all1d")
    os.makedirs(d)
    rng = case_rng("all1d")
    x = f32(rng.standard_normal((ALL_BATCH,) + ALL_INPUT))
    save(d, "input.npy", x)
    layers = []
    a = x
    for name, kind, cfg in MODEL_ALL:
        weights = make_weights(kind, cfg, a.shape[1:], rng) if kind in WEIGHTED else []
        z, y = forward_layer(kind, cfg, a, weights)
        for role, v in weights:
            save(d, f"{name}.{role}.npy", v)
        if z is not None and cfg.get("activation", "linear") != "linear":
            save(d, f"{name}.preact.npy", z)
        save(d, f"{name}.out.npy", y)
        layers.append({"name": name, "type": kind, "input_shape": list(a.shape[1:]),
                       "output_shape": list(y.shape[1:]), "config": cfg})
        a = y
    write_json(os.path.join(d, "model.json"), {"case": "all1d", "input_shape": list(ALL_INPUT), "layers": layers})
    # informative: the relu and the tanh both cut somewhere, the softmax is not saturated
    assert 0.02 < a.min() and a.max() < 0.98, a


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


def check_adjoint(name, cfg, x_shape, kernel):
    """<conv1d(y), x> = <y, conv1d_transpose(x)> with the transpose's kernel read as a Conv1D's."""
    rng = np.random.default_rng(zlib.crc32(("adjoint/" + name).encode("ascii")))
    x = rng.standard_normal((2,) + tuple(x_shape))
    yt = kn.conv1d_transpose(x, kernel, cfg["strides"][0], cfg["padding"])
    y = rng.standard_normal(yt.shape)
    cy = kn.conv1d(y, kernel, cfg["strides"][0], cfg["padding"])
    assert cy.shape == x.shape, (cy.shape, x.shape)
    lhs, rhs = float(np.sum(cy * x)), float(np.sum(y * yt))
    rel = abs(lhs - rhs) / max(abs(lhs), 1e-300)
    assert rel < 1e-12, (name, lhs, rhs)
    return rel


def check_independent_loops():
    rng = np.random.default_rng(zlib.crc32(b"loops"))
    for padding in ("valid", "same"):
        for s in (1, 2):
            x = rng.standard_normal((2, 9, 3))
            k = rng.standard_normal((3, 3, 4))
            a = kn.conv1d(x, k, s, padding)
            b = kn.conv2d(x[:, None], k[None], (1, s), padding)[:, 0]
            assert np.max(np.abs(a - b)) < 1e-12, (padding, s)
            x2 = rng.standard_normal((2, 6, 7, 2))
            k2 = rng.standard_normal((3, 2, 2, 3))
            a2 = kn.conv2d_dilated(x2, k2, (s, s), padding, (1, 1))
            b2 = kn.conv2d(x2, k2, (s, s), padding)
            assert np.max(np.abs(a2 - b2)) < 1e-12, (padding, s)


def torch_check(cases):
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001
        print(f"torch cross-check skipped ({e})")
        return None
    worst = 0.0
    for name, kind, cfg, x, weights, z in cases:
        if kind not in ("Conv1D", "Conv1DTranspose", "Conv2D"):
            continue
        w = dict(weights)
        bias = torch.tensor(w["bias"]) if "bias" in w else None
        if kind == "Conv1D":
            k, s, d = cfg["kernel_size"][0], cfg["strides"][0], cfg["dilation_rate"][0]
            steps = x.shape[1]
            out, before = kn.dilated_geometry(steps, k, s, d, cfg["padding"])
            after = max((out - 1) * s + (k - 1) * d + 1 - steps - before, 0)
            xt = F.pad(torch.tensor(x).permute(0, 2, 1), (before, after))
            wt = torch.tensor(w["kernel"]).permute(2, 1, 0)  # (out, in, k)
            got = F.conv1d(xt, wt, bias, stride=s, dilation=d).permute(0, 2, 1).numpy()
        elif kind == "Conv1DTranspose":
            k, s = cfg["kernel_size"][0], cfg["strides"][0]
            steps = x.shape[1]
            out, before, _ = kn.conv_transpose_geometry(steps, k, s, cfg["padding"])
            wt = torch.tensor(w["kernel"]).permute(2, 1, 0)  # (in, out, k)
            full = F.conv_transpose1d(torch.tensor(x).permute(0, 2, 1), wt, None, stride=s)
            if full.shape[2] < before + out:
                full = F.pad(full, (0, before + out - full.shape[2]))
            got = full[:, :, before:before + out].permute(0, 2, 1).numpy()
            if bias is not None:
                got = got + w["bias"]
        else:
            (kh, kw), (dh, dw) = cfg["kernel_size"], cfg["dilation_rate"]
            h, wd = x.shape[1], x.shape[2]
            oh, pt = kn.dilated_geometry(h, kh, 1, dh, cfg["padding"])
            ow, pl = kn.dilated_geometry(wd, kw, 1, dw, cfg["padding"])
            pb = max(oh - 1 + (kh - 1) * dh + 1 - h - pt, 0)
            pr = max(ow - 1 + (kw - 1) * dw + 1 - wd - pl, 0)
            xt = F.pad(torch.tensor(x).permute(0, 3, 1, 2), (pl, pr, pt, pb))
            wt = torch.tensor(w["kernel"]).permute(3, 2, 0, 1)  # (out, in, kh, kw)
            got = F.conv2d(xt, wt, bias, dilation=(dh, dw)).permute(0, 2, 3, 1).numpy()
        assert got.shape == z.shape, (name, got.shape, z.shape)
        err = float(np.max(np.abs(got - z)))
        assert err < 1e-12, (name, err)
        worst = max(worst, err)
    return worst


def main():
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    cases = list(make_single_cases())
    make_model_all()
    check_independent_loops()
    worst_adj = 0.0
    for name, kind, cfg, x, weights, z in cases:
        if kind == "Conv1DTranspose":
            worst_adj = max(worst_adj, check_adjoint(name, cfg, x.shape[1:], dict(weights)["kernel"]))
    print(f"adjointness conv1d / conv1d_transpose: worst relative difference {worst_adj:.2e}")
    worst_torch = torch_check(cases)
    if worst_torch is not None:
        print(f"torch cross-check of every Conv1D / Conv1DTranspose / dilated Conv2D: worst {worst_torch:.2e}")
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT_DIR) for f in fs)
    assert total < MAX_TOTAL_BYTES, total
    print(f"{len(cases)} single-layer cases + all1d written to {OUT_DIR} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()

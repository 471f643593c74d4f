"""Generate the forward-pass fixtures in tests/data/forward/ from the numpy Keras reference.

Run from the repository root:   /usr/bin/python3 tests/reference/make_forward_fixtures.py

Deterministic: every case draws from np.random.default_rng(<fixed seed of that case>). The whole
tests/data/forward/ directory is deleted and rewritten. All generated weights and inputs are
rounded to the float32 grid (then stored as float64), so a float32 computation reads exactly the
same numbers as the float64 reference and the float32 weights.h5 matches the .npy weights bit for
bit. Outputs are computed in float64 and stored as float64.

Per case directory (tests/data/forward/<case>/):
    input.npy                 the batch (batch first, Keras shape)
    <layer>.kernel.npy        Keras shape (Dense [in, units]; Conv2D [kh, kw, in, out];
                              Conv2DTranspose [kh, kw, out, in])
    <layer>.bias.npy          [units] / [filters]   (absent when use_bias=False)
    <layer>.preact.npy        pre-activation output (layers that have an activation)
    <layer>.out.npy           post-activation output, Keras shape, for every layer
    model.json                the layer list of the case (name, type, input, config)
    weights.h5                seed16 / seed16_latent only: Keras model.save() layout, float32
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep tests/reference/ free of __pycache__
sys.path.insert(0, HERE)

import keras_numpy as kn  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "forward"))
MAX_TOTAL_BYTES = 2 * 1024 * 1024


def f32(a):
    """Round to the float32 grid, keep float64 storage."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def case_rng(name):
    return np.random.default_rng(zlib.crc32(name.encode("ascii")))


class Case:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(OUT_DIR, name)
        os.makedirs(self.dir, exist_ok=True)
        self.layers = []

    def save(self, fname, arr):
        arr = np.asarray(arr, dtype=np.float64)
        assert np.all(np.isfinite(arr)), (self.name, fname)
        np.save(os.path.join(self.dir, fname), arr)

    def write_model_json(self, extra=None):
        doc = {"case": self.name, "layers": self.layers}
        if extra:
            doc.update(extra)
        with open(os.path.join(self.dir, "model.json"), "w") as fh:
            json.dump(doc, fh, indent=1, sort_keys=False)
            fh.write("\n")


# ---------------------------------------------------------------------------------------------
# single-layer cases
# ---------------------------------------------------------------------------------------------

BATCH = 2

DENSE_CASES = [
    # name, input shape, units, activation, use_bias
    ("dense_relu", (4,), 5, "relu", True),
    ("dense_nobias", (6,), 3, "linear", False),
    ("dense_rank3", (2, 3, 4), 5, "tanh", True),
]

CONV_CASES = [
    # name, input (h, w, c), filters, kernel, strides, padding, use_bias, activation
    ("conv_c1", (5, 6, 2), 3, (3, 2), (1, 1), "valid", True, "linear"),
    ("conv_c2", (5, 6, 2), 3, (3, 2), (2, 1), "same", True, "relu"),
    ("conv_c3", (7, 7, 3), 4, (3, 3), (2, 2), "same", False, "linear"),
    ("conv_c4", (6, 5, 1), 2, (2, 3), (3, 2), "valid", True, "selu"),
    ("conv_c5", (4, 4, 2), 2, (4, 1), (1, 1), "same", True, "elu"),
    ("conv_c6", (8, 8, 1), 2, (1, 8), (1, 1), "valid", True, "tanh"),
]

CONVT_CASES = [
    ("convt_t1", (3, 4, 2), 3, (3, 2), (1, 1), "valid", True, "linear"),
    ("convt_t2", (3, 4, 2), 3, (3, 3), (2, 2), "same", True, "relu"),
    ("convt_t3", (3, 3, 2), 2, (2, 2), (2, 2), "valid", False, "linear"),
    ("convt_t4", (4, 3, 1), 2, (3, 2), (2, 3), "same", True, "sigmoid"),
    ("convt_t5", (1, 1, 4), 3, (5, 1), (1, 1), "valid", True, "tanh"),
]

ACT_NAMES = ["linear", "relu", "selu", "elu", "leaky_relu", "tanh", "sigmoid", "softmax"]


def single_linear_case(name, in_shape, kind, kernel_shape, bias_len, activation, forward, config):
    c = Case(name)
    rng = case_rng(name)
    x = f32(rng.standard_normal((BATCH,) + tuple(in_shape)))
    k = f32(rng.standard_normal(kernel_shape) * 0.5)
    b = f32(rng.standard_normal(bias_len) * 0.5) if bias_len else None
    z = forward(x, k, b)
    y = kn.activate(activation, z)
    c.save("input.npy", x)
    c.save("l.kernel.npy", k)
    if b is not None:
        c.save("l.bias.npy", b)
    c.save("l.preact.npy", z)
    c.save("l.out.npy", y)
    c.layers = [
        {"name": "l", "type": kind, "input": "input", "input_shape": list(in_shape),
         "output_shape": list(y.shape[1:]), "config": dict(config, activation=activation)}
    ]
    c.write_model_json()
    return x, k, b, y


def make_dense_cases():
    for name, in_shape, units, act, use_bias in DENSE_CASES:
        single_linear_case(
            name, in_shape, "Dense", (in_shape[-1], units), units if use_bias else 0, act,
            lambda x, k, b: kn.dense(x, k, b),
            {"units": units, "use_bias": use_bias})


def make_conv_cases():
    for name, in_shape, filters, ksize, strides, padding, use_bias, act in CONV_CASES:
        kshape = (ksize[0], ksize[1], in_shape[2], filters)
        single_linear_case(
            name, in_shape, "Conv2D", kshape, filters if use_bias else 0, act,
            lambda x, k, b, s=strides, p=padding: kn.conv2d(x, k, s, p, b),
            {"filters": filters, "kernel_size": list(ksize), "strides": list(strides),
             "padding": padding, "use_bias": use_bias,
             "pads_hw": [list(kn.conv_geometry(in_shape[0], ksize[0], strides[0], padding)[1:]),
                         list(kn.conv_geometry(in_shape[1], ksize[1], strides[1], padding)[1:])]})


def make_convt_cases(adjoint_report):
    for name, in_shape, filters, ksize, strides, padding, use_bias, act in CONVT_CASES:
        kshape = (ksize[0], ksize[1], filters, in_shape[2])  # [kh, kw, out, in]
        x, k, b, y = single_linear_case(
            name, in_shape, "Conv2DTranspose", kshape, filters if use_bias else 0, act,
            lambda x, k, b, s=strides, p=padding: kn.conv2d_transpose(x, k, s, p, b),
            {"filters": filters, "kernel_size": list(ksize), "strides": list(strides),
             "padding": padding, "use_bias": use_bias,
             "pad_before_hw": [
                 kn.conv_transpose_geometry(in_shape[0], ksize[0], strides[0], padding)[1],
                 kn.conv_transpose_geometry(in_shape[1], ksize[1], strides[1], padding)[1]]})
        # adjointness: <conv2d(y), x> == <y, conv2d_transpose(x)>, bias off, the same kernel
        lhs, rhs = kn.adjointness_gap(k, strides, padding, (BATCH,) + in_shape,
                                      case_rng(name + "/adjoint"))
        rel = abs(lhs - rhs) / max(abs(lhs), abs(rhs), 1e-300)
        adjoint_report.append((name, lhs, rhs, rel))
        assert rel < 1e-12, (name, lhs, rhs)


def make_activation_cases():
    row0 = np.linspace(-3.0, 3.0, 7)  # -3 -2 -1 0 1 2 3
    row1 = np.array([-2.5, -0.75, -0.125, 0.0, 0.5, 1.5, 2.75])
    x = np.stack([row0, row1])  # (2, 7), exact in float32
    for act in ACT_NAMES:
        name = f"act_{act}"
        c = Case(name)
        c.save("input.npy", x)
        c.save("l.out.npy", kn.activate(act, x))
        c.layers = [{"name": "l", "type": "Activation", "input": "input", "input_shape": [7],
                     "output_shape": [7], "config": {"activation": act}}]
        extra = {}
        if act == "leaky_relu":
            extra["negative_slope"] = kn.LEAKY_RELU_SLOPE
        c.write_model_json(extra)


# ---------------------------------------------------------------------------------------------
# the seed model (design.md §7) at W = 16
# ---------------------------------------------------------------------------------------------

W = 16
SEED_BATCH = 3


def seed_layers(dense2_input):
    """The layer list: (name, type, input, config). dense2 reads `dense2_input`."""
    return [
        ("input_1", "InputLayer", None, {"shape": [W, W, 1]}),
        ("conv1", "Conv2D", "input_1",
         {"filters": 32, "kernel_size": [1, W], "strides": [1, 1], "padding": "valid",
          "activation": "selu", "use_bias": True}),
        ("dropout1", "SpatialDropout2D", "conv1", {"rate": 0.2}),
        ("conv2", "Conv2D", "dropout1",
         {"filters": 64, "kernel_size": [W, 1], "strides": [1, 1], "padding": "valid",
          "activation": "selu", "use_bias": True}),
        ("dropout2", "Dropout", "conv2", {"rate": 0.2}),
        ("reshape1", "Reshape", "dropout2", {"target_shape": [64]}),
        ("dense1", "Dense", "reshape1", {"units": 64, "activation": "selu", "use_bias": True}),
        ("output", "Dense", "dense1", {"units": 2, "activation": "softmax", "use_bias": True}),
        ("dense2", "Dense", dense2_input, {"units": 64, "activation": "selu", "use_bias": True}),
        ("reshape2", "Reshape", "dense2", {"target_shape": [1, 1, 64]}),
        ("conv3", "Conv2DTranspose", "reshape2",
         {"filters": 64, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid",
          "activation": "selu", "use_bias": True}),
        ("conv4", "Conv2DTranspose", "conv3",
         {"filters": 32, "kernel_size": [W, 1], "strides": [1, 1], "padding": "valid",
          "activation": "selu", "use_bias": True}),
        ("autoencoder", "Conv2DTranspose", "conv4",
         {"filters": 1, "kernel_size": [1, W], "strides": [1, 1], "padding": "valid",
          "activation": "tanh", "use_bias": True}),
    ]


def forward_layer(kind, cfg, x, weights):
    """One layer: returns (preact or None, out)."""
    if kind == "InputLayer":
        return None, kn.linear(x)
    if kind in ("Dropout", "SpatialDropout2D"):
        return None, kn.dropout(x)
    if kind == "Reshape":
        return None, kn.reshape(x, cfg["target_shape"])
    if kind == "Flatten":
        return None, kn.flatten(x)
    k, b = weights
    if kind == "Dense":
        z = kn.dense(x, k, b)
    elif kind == "Conv2D":
        z = kn.conv2d(x, k, cfg["strides"], cfg["padding"], b)
    elif kind == "Conv2DTranspose":
        z = kn.conv2d_transpose(x, k, cfg["strides"], cfg["padding"], b)
    else:
        raise ValueError(kind)
    return z, kn.activate(cfg["activation"], z)


def kernel_shape(kind, cfg, in_shape):
    if kind == "Dense":
        return (in_shape[-1], cfg["units"])
    kh, kw = cfg["kernel_size"]
    if kind == "Conv2D":
        return (kh, kw, in_shape[-1], cfg["filters"])
    return (kh, kw, cfg["filters"], in_shape[-1])  # Conv2DTranspose: [kh, kw, out, in]


def fan_in(kind, cfg, in_shape):
    """Number of inputs feeding one output unit (what 1/sqrt(fan_in) must normalise)."""
    if kind == "Dense":
        return in_shape[-1]
    kh, kw = cfg["kernel_size"]
    sh, sw = cfg["strides"]
    if kind == "Conv2D":
        return kh * kw * in_shape[-1]
    # Conv2DTranspose: an output pixel receives at most ceil(k/s) taps per axis, and never more
    # than the input extent (conv4 reads a 1x1 map, so one tap of its 16-tall kernel).
    th = min(-(-kh // sh), in_shape[0])
    tw = min(-(-kw // sw), in_shape[1])
    return th * tw * in_shape[-1]


def make_seed_inputs(rng):
    mats = []
    for _ in range(SEED_BATCH):
        # 16 "regions", 24 time points, with a shared component so correlations are sizeable
        t = 24
        common = rng.standard_normal(t)
        loadings = rng.uniform(-0.8, 0.8, size=(W, 1))
        data = loadings * common + rng.standard_normal((W, t))
        m = np.corrcoef(data)
        m = f32((m + m.T) / 2.0)
        np.fill_diagonal(m, 1.0)
        mats.append(m)
    return np.stack(mats)[..., None]  # (3, 16, 16, 1)


def run_model(layers, x, weights):
    outs, preacts, shapes = {}, {}, {}
    for name, kind, src, cfg in layers:
        inp = x if src is None else outs[src]
        z, y = forward_layer(kind, cfg, inp, weights.get(name))
        outs[name] = y
        if z is not None:
            preacts[name] = z
        shapes[name] = list(y.shape[1:])
    return outs, preacts, shapes


def keras_model_config(model_name, layers, shapes, outputs):
    """A Keras 2.2.4-style functional model_config (what model.save() writes)."""
    out = []
    for name, kind, src, cfg in layers:
        if kind == "InputLayer":
            conf = {"batch_input_shape": [None] + cfg["shape"], "dtype": "float32",
                    "sparse": False, "name": name}
        else:
            conf = {"name": name, "trainable": True}
            if kind in ("Conv2D", "Conv2DTranspose"):
                conf.update({
                    "filters": cfg["filters"], "kernel_size": cfg["kernel_size"],
                    "strides": cfg["strides"], "padding": cfg["padding"],
                    "data_format": "channels_last", "dilation_rate": [1, 1],
                    "activation": cfg["activation"], "use_bias": cfg["use_bias"],
                    "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                        "scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": None}},
                    "bias_initializer": {"class_name": "Zeros", "config": {}},
                    "kernel_regularizer": None, "bias_regularizer": None,
                    "activity_regularizer": None, "kernel_constraint": None,
                    "bias_constraint": None})
                if kind == "Conv2DTranspose":
                    conf["output_padding"] = None
            elif kind == "Dense":
                conf.update({
                    "units": cfg["units"], "activation": cfg["activation"],
                    "use_bias": cfg["use_bias"],
                    "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                        "scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": None}},
                    "bias_initializer": {"class_name": "Zeros", "config": {}},
                    "kernel_regularizer": None, "bias_regularizer": None,
                    "activity_regularizer": None, "kernel_constraint": None,
                    "bias_constraint": None})
            elif kind in ("Dropout", "SpatialDropout2D"):
                conf.update({"rate": cfg["rate"], "noise_shape": None, "seed": None})
                if kind == "SpatialDropout2D":
                    del conf["noise_shape"]
                    conf["data_format"] = "channels_last"
            elif kind == "Reshape":
                conf["target_shape"] = cfg["target_shape"]
        out.append({
            "name": name, "class_name": kind, "config": conf,
            "inbound_nodes": [] if src is None else [[[src, 0, 0, {}]]]})
    return {"class_name": "Model", "config": {
        "name": model_name, "layers": out,
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [[o, 0, 0] for o in outputs]}}


def write_seed_h5(path, layers, weights, model_config):
    from keras_h5_layout import write_keras_h5

    h5_layers = []
    for name, _kind, _src, _cfg in layers:
        if name in weights:
            k, b = weights[name]
            h5_layers.append((name, [(f"{name}/kernel:0", k.astype(np.float32)),
                                     (f"{name}/bias:0", b.astype(np.float32))]))
        else:
            h5_layers.append((name, []))
    write_keras_h5(path, h5_layers, model_save=True, model_config=model_config)


def make_seed_cases(stats):
    rng = case_rng("seed16")
    x = make_seed_inputs(rng)
    layers = seed_layers("output")
    # weights, in layer order, from one stream (shapes from a running forward pass)
    weights, acts = {}, {}
    for name, kind, src, cfg in layers:
        inp = x if src is None else acts[src]
        if kind in ("Dense", "Conv2D", "Conv2DTranspose"):
            in_shape = inp.shape[1:]
            ks = kernel_shape(kind, cfg, in_shape)
            k = f32(rng.standard_normal(ks) / np.sqrt(fan_in(kind, cfg, in_shape)))
            nb = cfg["units"] if kind == "Dense" else cfg["filters"]
            b = f32(rng.standard_normal(nb) * 0.1)
            weights[name] = (k, b)
        acts[name] = forward_layer(kind, cfg, inp, weights.get(name))[1]
    outs, preacts, shapes_all = run_model(layers, x, weights)

    def write(case_name, layers, weights, outs, preacts, shapes, write_weights, notes):
        c = Case(case_name)
        c.save("input.npy", x)
        for name, kind, src, cfg in layers:
            if write_weights(name) and name in weights:
                c.save(f"{name}.kernel.npy", weights[name][0])
                c.save(f"{name}.bias.npy", weights[name][1])
            if name in preacts:
                c.save(f"{name}.preact.npy", preacts[name])
            c.save(f"{name}.out.npy", outs[name])
        c.layers = [{"name": n, "type": k, "input": s,
                     "output_shape": shapes[n], "config": cfg} for n, k, s, cfg in layers]
        c.write_model_json({"notes": notes})
        mc = keras_model_config("model_1", layers, shapes, ["output", "autoencoder"])
        write_seed_h5(os.path.join(c.dir, "weights.h5"), layers, weights, mc)
        for name in outs:
            o = outs[name]
            stats.append((case_name, name, tuple(o.shape), float(o.std()), float(np.abs(o).max())))

    write("seed16", layers, weights, outs, preacts, shapes_all, lambda n: True,
          "design.md §7 seed model, W=16; dense2 reads `output` (softmax probabilities).")

    # variant: dense2 reads the latent code (reshape1's output, 64 features). Its kernel must be
    # [64, 64]; every other weight (and dense2's bias) is seed16's.
    rng_l = case_rng("seed16_latent")
    lweights = dict(weights)
    lweights["dense2"] = (f32(rng_l.standard_normal((64, 64)) / np.sqrt(64.0)), weights["dense2"][1])
    llayers = seed_layers("reshape1")
    louts, lpreacts, lshapes = run_model(llayers, x, lweights)
    # the trunk is shared: encoder and classifier outputs equal seed16's
    for n in ("conv1", "conv2", "reshape1", "dense1", "output"):
        assert np.array_equal(louts[n], outs[n])
    write("seed16_latent", llayers, lweights, louts, lpreacts, lshapes,
          lambda n: n == "dense2",
          "dense2 reads reshape1 (the latent code). Only dense2.kernel.npy ([64,64], new) and "
          "dense2.bias.npy (= seed16's) are stored here as .npy; every other weight is "
          "../seed16/<layer>.{kernel,bias}.npy. weights.h5 holds the complete set.")


# ---------------------------------------------------------------------------------------------
# optional cross-check against torch (an independent implementation); not needed to generate
# ---------------------------------------------------------------------------------------------


def torch_crosscheck():
    try:
        import torch
        import torch.nn.functional as F
    except Exception:  # pragma: no cover
        print("torch not available: skipping the torch cross-check")
        return
    worst = 0.0
    for name, in_shape, filters, ksize, strides, padding, use_bias, act in CONV_CASES:
        d = os.path.join(OUT_DIR, name)
        x = np.load(os.path.join(d, "input.npy"))
        k = np.load(os.path.join(d, "l.kernel.npy"))
        z = np.load(os.path.join(d, "l.preact.npy"))
        _, ph0, ph1 = kn.conv_geometry(in_shape[0], ksize[0], strides[0], padding)
        _, pw0, pw1 = kn.conv_geometry(in_shape[1], ksize[1], strides[1], padding)
        xt = F.pad(torch.from_numpy(x).permute(0, 3, 1, 2), (pw0, pw1, ph0, ph1))
        zt = F.conv2d(xt, torch.from_numpy(k).permute(3, 2, 0, 1), stride=tuple(strides))
        zt = zt.permute(0, 2, 3, 1).numpy()
        if use_bias:
            zt = zt + np.load(os.path.join(d, "l.bias.npy"))
        worst = max(worst, float(np.max(np.abs(zt - z))))
    for name, in_shape, filters, ksize, strides, padding, use_bias, act in CONVT_CASES:
        d = os.path.join(OUT_DIR, name)
        x = np.load(os.path.join(d, "input.npy"))
        k = np.load(os.path.join(d, "l.kernel.npy"))
        z = np.load(os.path.join(d, "l.preact.npy"))
        # torch conv_transpose2d weight: [in, out, kh, kw]; output (size-1)*s+k, then crop
        full = F.conv_transpose2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                  torch.from_numpy(k).permute(3, 2, 0, 1),
                                  stride=tuple(strides)).permute(0, 2, 3, 1).numpy()
        oh, ph, _ = kn.conv_transpose_geometry(in_shape[0], ksize[0], strides[0], padding)
        ow, pw, _ = kn.conv_transpose_geometry(in_shape[1], ksize[1], strides[1], padding)
        padded = np.zeros((full.shape[0], max(full.shape[1], ph + oh), max(full.shape[2], pw + ow),
                           full.shape[3]))
        padded[:, : full.shape[1], : full.shape[2]] = full
        zt = padded[:, ph : ph + oh, pw : pw + ow]
        if use_bias:
            zt = zt + np.load(os.path.join(d, "l.bias.npy"))
        worst = max(worst, float(np.max(np.abs(zt - z))))
    print(f"torch cross-check of Conv2D / Conv2DTranspose pre-activations: max |diff| = {worst:.3g}")
    assert worst < 1e-12


def main():
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    adjoint_report, stats = [], []
    make_dense_cases()
    make_conv_cases()
    make_convt_cases(adjoint_report)
    make_activation_cases()
    make_seed_cases(stats)

    print("adjointness <conv2d(y), x> == <y, conv2d_transpose(x)> (bias off):")
    for name, lhs, rhs, rel in adjoint_report:
        print(f"  {name:10s} lhs={lhs:+.15e} rhs={rhs:+.15e} rel.diff={rel:.2e}")
    # also the seed model's transposed layers
    for name, kshape, in_shape in (("conv3", (1, 1, 64, 64), (3, 1, 1, 64)),
                                   ("conv4", (W, 1, 32, 64), (3, 1, 1, 64)),
                                   ("autoencoder", (1, W, 1, 32), (3, W, 1, 32))):
        k = np.load(os.path.join(OUT_DIR, "seed16", f"{name}.kernel.npy"))
        assert k.shape == kshape, (name, k.shape)
        lhs, rhs = kn.adjointness_gap(k, (1, 1), "valid", in_shape, case_rng(name + "/adjoint"))
        rel = abs(lhs - rhs) / max(abs(lhs), abs(rhs))
        print(f"  seed16/{name:11s} lhs={lhs:+.15e} rhs={rhs:+.15e} rel.diff={rel:.2e}")
        assert rel < 1e-12

    print("seed model activations (case, layer, shape, std, max|.|):")
    for case, name, shape, sd, mx in stats:
        print(f"  {case:14s} {name:12s} {str(shape):16s} std={sd:.3f} max={mx:.3f}")
    out = {n: np.load(os.path.join(OUT_DIR, "seed16", f"{n}.out.npy"))
           for n in ("output", "autoencoder")}
    assert np.all(out["output"].max(axis=1) < 0.99), "softmax saturated"
    assert np.all(np.abs(out["autoencoder"]) < 0.999), "tanh saturated"

    torch_crosscheck()

    total = 0
    for root, _dirs, files in os.walk(OUT_DIR):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"total fixture size: {total} bytes")
    assert total < MAX_TOTAL_BYTES, total


if __name__ == "__main__":
    main()

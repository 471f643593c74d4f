"""Generate the graph fixtures in tests/data/graph/ from the DAG reference (graph_reference.py)
and check the reference against itself, keras_numpy's layer functions, finite differences and
torch autograd.

Run from the repository root:   /usr/bin/python3 tests/reference/make_graph_fixtures.py

Deletes and rewrites tests/data/graph/. Deterministic: every random array comes from
np.random.default_rng(zlib.crc32(b"<model>/<what>")); weights and inputs are rounded to the
float32 grid.

Models (the C++ declarations are in tests/analyzers/graph_reference.cpp):
  unet      8×8×1: two same-padded Conv2D, MaxPooling2D, a bottleneck Conv2D, UpSampling2D,
            Concatenate (channels) of the upsampled bottleneck with the encoder, Conv2D, Add
            with the first encoder map, 1×1 Conv2D (tanh)
  residual  6×6×2: Conv2D pair with an Add, a strided Conv2D, Flatten, Dense bottleneck (tanh),
            Dense, Subtract (decoder − flattened encoder), Dense + Add (residual block), Reshape,
            Conv2DTranspose (stride 2), Average of three maps, Maximum, Concatenate along the
            width (Keras axis 2) with the first residual map, 1×1 Conv2D
  conv1d    16 steps × 2: Conv1D (same) + BatchNormalization (merged) + Activation(relu),
            MaxPooling1D, Conv1D (valid, relu) + BatchNormalization (not merged: a diagonal
            linear layer), Conv1D bottleneck, UpSampling1D, Conv1DTranspose (valid), Add with the
            first encoder map, Conv1DTranspose (same)
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

import graph_reference as gr  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
OUT = os.path.join(DATA, "graph")
MAX_TOTAL_BYTES = 1024 * 1024
BATCH = 2


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def rng(model, what):
    return np.random.default_rng(zlib.crc32(f"{model}/{what}".encode()))


def L(name, type_, inputs, activation="linear", **config):
    return {"name": name, "type": type_, "inputs": inputs, "activation": activation, "config": config}


MODELS = {
    "unet": {
        "input_shape": (8, 8, 1),
        "spec": [
            L("enc1", "Conv2D", ["input"], "relu", filters=4, kernel_size=(3, 3), padding="same"),
            L("enc2", "Conv2D", ["enc1"], "relu", filters=4, kernel_size=(3, 3), padding="same"),
            L("pool1", "MaxPooling2D", ["enc2"], pool_size=(2, 2)),
            L("bottleneck", "Conv2D", ["pool1"], "relu", filters=6, kernel_size=(3, 3), padding="same"),
            L("up1", "UpSampling2D", ["bottleneck"], size=(2, 2)),
            L("skip", "Concatenate", ["up1", "enc2"], axis=-1),
            L("dec1", "Conv2D", ["skip"], "relu", filters=4, kernel_size=(3, 3), padding="same"),
            L("residual", "Add", ["dec1", "enc1"]),
            L("reconstruction", "Conv2D", ["residual"], "tanh", filters=1, kernel_size=(1, 1)),
        ],
        "recon": "reconstruction",
        "bottleneck": ("bottleneck", (1, 2, 3)),
        "region": (slice(2, 6), slice(3, 7)),
    },
    "residual": {
        "input_shape": (6, 6, 2),
        "spec": [
            L("c1", "Conv2D", ["input"], "relu", filters=3, kernel_size=(3, 3), padding="same"),
            L("c2", "Conv2D", ["c1"], "linear", filters=3, kernel_size=(3, 3), padding="same"),
            L("res1", "Add", ["c1", "c2"]),
            L("down", "Conv2D", ["res1"], "relu", filters=4, kernel_size=(2, 2), strides=(2, 2)),
            L("flat", "Flatten", ["down"]),
            L("code", "Dense", ["flat"], "tanh", units=5),
            L("d1", "Dense", ["code"], "relu", units=36),
            L("sub", "Subtract", ["d1", "flat"]),
            L("d2", "Dense", ["sub"], "linear", units=36),
            L("res2", "Add", ["d2", "sub"]),
            L("r", "Reshape", ["res2"], target_shape=(3, 3, 4)),
            L("up", "Conv2DTranspose", ["r"], "relu", filters=3, kernel_size=(2, 2), strides=(2, 2)),
            L("avg", "Average", ["up", "res1", "c1"]),
            L("max", "Maximum", ["avg", "c2"]),
            L("wide", "Concatenate", ["max", "res1"], axis=2),  # along the width: 6×12×3
            L("reconstruction", "Conv2D", ["wide"], "linear", filters=2, kernel_size=(1, 1)),
        ],
        "recon": "reconstruction",
        "bottleneck": ("code", (2,)),
        "region": (slice(1, 4), slice(2, 8)),  # straddles the two halves of "wide"
    },
    "conv1d": {
        "input_shape": (16, 2),
        "spec": [
            L("e1", "Conv1D", ["input"], "linear", filters=4, kernel_size=3, padding="same"),
            L("bn1", "BatchNormalization", ["e1"]),
            L("a1", "Activation", ["bn1"], "relu"),
            L("p1", "MaxPooling1D", ["a1"], pool_size=2),
            L("e2", "Conv1D", ["p1"], "relu", filters=6, kernel_size=3, padding="valid"),
            L("bn2", "BatchNormalization", ["e2"]),
            L("bottleneck", "Conv1D", ["bn2"], "relu", filters=3, kernel_size=3, padding="same"),
            L("u1", "UpSampling1D", ["bottleneck"], size=2),
            L("t1", "Conv1DTranspose", ["u1"], "relu", filters=4, kernel_size=5, padding="valid"),
            L("skip", "Add", ["t1", "a1"]),
            L("out", "Conv1DTranspose", ["skip"], "linear", filters=2, kernel_size=3, padding="same"),
        ],
        "recon": "out",
        "bottleneck": ("bottleneck", (2, 1)),
        "region": (slice(4, 10),),
    },
}

LRP_METHODS = list(gr.METHODS)  # lrp.epsilon, lrp.alpha_beta, lrp.zplus, lrp.epsilon_plus_flat, lrp.composite
GRADIENT_METHODS = ["gradient", "input_x_gradient"]
TARGETS = ["recon_all", "recon_region", "bottleneck_unit"]
STOP_TARGET = "region_to_bottleneck"  # the region's relevance / gradient at the bottleneck's output
STOP_METHODS = ["lrp.epsilon", "lrp.alpha_beta", "lrp.composite", "gradient", "input_x_gradient"]
CONSERVE = "conserve.epsilon_tiny"  # zero biases, Epsilon(1e-13) everywhere (merges too)
TINY = 1e-13


def make_weights(name, model):
    """Kernels normal / sqrt(fan-in), biases normal · 0.1; BN γ, σ² = |normal| + 0.5, β, μ normal · 0.1."""
    weights, shapes = {}, {"input": model["input_shape"]}
    for l in model["spec"]:
        t, cfg = l["type"], l["config"]
        in_shape = shapes[l["inputs"][0]]
        r = rng(name, l["name"])
        w = {}
        if t == "Dense":
            w["kernel"] = r.standard_normal((in_shape[-1], cfg["units"])) / np.sqrt(in_shape[-1])
            w["bias"] = 0.1 * r.standard_normal(cfg["units"])
        elif t in ("Conv2D", "Conv1D"):
            ks = tuple(np.atleast_1d(cfg["kernel_size"]))
            w["kernel"] = r.standard_normal(ks + (in_shape[-1], cfg["filters"])) / np.sqrt(np.prod(ks) * in_shape[-1])
            w["bias"] = 0.1 * r.standard_normal(cfg["filters"])
        elif t in ("Conv2DTranspose", "Conv1DTranspose"):
            ks = tuple(np.atleast_1d(cfg["kernel_size"]))
            s = np.prod(np.atleast_1d(cfg.get("strides", 1)))
            w["kernel"] = r.standard_normal(ks + (cfg["filters"], in_shape[-1])) / np.sqrt(np.prod(ks) / s * in_shape[-1])
            w["bias"] = 0.1 * r.standard_normal(cfg["filters"])
        elif t == "BatchNormalization":
            c = in_shape[-1]
            w["gamma"] = np.abs(r.standard_normal(c)) + 0.5
            w["beta"] = 0.1 * r.standard_normal(c)
            w["moving_mean"] = 0.1 * r.standard_normal(c)
            w["moving_variance"] = np.abs(r.standard_normal(c)) + 0.5
        weights[l["name"]] = {k: f32(v) for k, v in w.items()}
        # output shape by a probe through the direct forward
        probe = gr.direct_forward(
            dict(l, out_shape=tuple(cfg.get("target_shape", (int(np.prod(in_shape)),)))),
            [np.zeros((1,) + shapes[p]) for p in l["inputs"]], weights[l["name"]])
        shapes[l["name"]] = probe.shape[1:]
    return weights


def make_targets(name, model, g):
    recon = model["recon"]
    out_shape = g.layers[g.index(recon)]["out_shape"]
    mask = np.zeros((1,) + out_shape)
    mask[(0,) + model["region"]] = 1.0
    bl, bidx = model["bottleneck"]
    bshape = g.layers[g.index(bl)]["out_shape"]
    flat = int(np.ravel_multi_index(bidx, bshape))
    T = gr.Target
    return mask, {
        "recon_all": (T(recon, "all"), {"layer": recon, "selection": "all"}),
        "recon_region": (T(recon, "mask", values=mask), {"layer": recon, "selection": "mask", "values": "recon_region.mask.npy"}),
        "bottleneck_unit": (T(bl, "index", index=flat),
                            {"layer": bl, "selection": "index", "index": list(bidx), "flat_index": flat}),
        "region_to_bottleneck": (T(recon, "mask", values=mask, stop=bl),
                                 {"layer": recon, "selection": "mask", "values": "recon_region.mask.npy", "stop_at": bl}),
    }


def rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def conservation_json(rep):
    lines = ["{", f' "initial": {rep["initial"]!r},', f' "final": {rep["final"]!r},',
             f' "bypassed": {rep["bypassed"]!r},',
             ' "initial_per_sample": [' + ", ".join(repr(v) for v in rep["initial_per_sample"]) + "],", ' "layers": [']
    rows = [f'  {{"layer": "{l["layer"]}", "rule": "{l["rule"]}", "sum_out": {l["sum_out"]!r}, '
            f'"sum_in": {l["sum_in"]!r}, "bias_absorbed": {l["bias_absorbed"]!r}, '
            f'"abs_out": {l["abs_out"]!r}, "abs_in": {l["abs_in"]!r}}}' for l in rep["layers"]]
    lines += [",\n".join(rows), " ]", "}", ""]
    text = "\n".join(lines)
    json.loads(text)
    return text


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


def check_forward(name, model, weights, g, x, fw):
    """The matrix form (merged batch norms) against each layer's direct Keras forward, and torch."""
    outs = {"input": x}
    worst = 0.0
    for k, l in enumerate(model["spec"]):
        Lk = g.layers[k]
        y = gr.direct_forward(Lk, [outs[p] for p in l["inputs"]], weights[l["name"]])
        outs[l["name"]] = y
    for k, l in enumerate(model["spec"]):
        # a layer with a batch norm merged into it computes the batch norm's output
        mb = g.layers[k]["merged_bn"]
        y = outs[l["name"] if mb is None else g.layers[mb]["name"]]
        worst = max(worst, rel(fw[k]["a"], y.reshape(x.shape[0], -1)))
    tw = 0.0
    try:
        _, touts = gr.torch_gradient(model["spec"], weights, x, model["input_shape"],
                                     gr.Target(model["recon"], "all"), np.ones((x.shape[0], g.size(g.index(model["recon"])))))
        for k, l in enumerate(model["spec"]):
            tw = max(tw, rel(touts[l["name"]], outs[l["name"]]))
        tmsg = f", torch {tw:.1e}"
    except ImportError:
        tmsg = ", torch not importable"
    print(f"[{name}] forward: matrix form vs direct Keras-numpy layers {worst:.1e}{tmsg}")
    assert worst < 1e-12 and tw < 1e-12
    return outs


def check_gradients(name, model, weights, g, x, targets):
    h = 1e-5
    xf = x.reshape(x.shape[0], -1)
    wfd = wt = 0.0
    for tn, (t, _) in targets.items():
        fw = g.forward(x)
        m = t.weights(gr.explained(g, fw, t))
        gg = gr.gradient(g, x, t)
        if t.stop is None:
            v0 = xf
            sc = lambda v: gr.score(g, g.forward(v.reshape(x.shape)), t, m)
        else:  # perturb the stop layer's output only: what goes around it stays as at x
            ks = g.index(t.stop)
            v0 = fw[ks]["a"]
            sc = lambda v: gr.score(g, g.forward(x, override={ks: v}), t, m)
        fd = np.zeros_like(v0)
        for i in range(v0.shape[1]):
            xp, xm = v0.copy(), v0.copy()
            xp[:, i] += h
            xm[:, i] -= h
            fd[:, i] = (sc(xp) - sc(xm)) / (2 * h)
        wfd = max(wfd, rel(gg, fd))
        try:
            tg, _ = gr.torch_gradient(model["spec"], weights, x, model["input_shape"], t, m)
            wt = max(wt, rel(gg, tg))
        except ImportError:
            pass
    print(f"[{name}] gradient vs central differences (h {h}) {wfd:.1e}, vs torch autograd {wt:.1e}")
    assert wfd < 1e-6 and wt < 1e-10


def check_conservation(name, g0, x, targets):
    """Zero biases, ε = 1e-13 on every linear layer and merge: Σ R in = Σ R out at every layer."""
    meth = gr.uniform(CONSERVE, "epsilon", eps=TINY)
    worst_l = worst_t = 0.0
    for tn, (t, _) in targets.items():
        R, rep = gr.lrp(g0, x, t, meth)
        for l in rep["layers"]:
            worst_l = max(worst_l, abs(l["sum_out"] - l["sum_in"]) / l["abs_out"])
        scale = rep["layers"][0]["abs_out"]
        worst_t = max(worst_t, abs(rep["final"] + rep["bypassed"] - rep["initial"]) / scale)
        if t.stop is None:
            assert rep["bypassed"] == 0.0
            for b in range(x.shape[0]):  # per sample too
                worst_t = max(worst_t, abs(R[b].sum() - rep["initial_per_sample"][b]) / scale)
        else:
            assert abs(rep["bypassed"]) > 1e-3 * scale, "a skip connection goes around the stop layer"
    print(f"[{name}] zero biases, epsilon 1e-13: per layer |sum out - sum in| / sum|R out| {worst_l:.1e}, "
          f"input (+ bypassed, with stop_at) vs R0 (total and per sample) {worst_t:.1e}")
    assert worst_l < 1e-10 and worst_t < 1e-10


def check_lrp0_is_ixg(name, g0, x, targets, which):
    """Bias-free, piecewise-linear path (ReLU, max, Add, …): LRP-0 (ε 1e-13) = input × gradient."""
    meth = gr.uniform("tiny", "epsilon", eps=TINY)
    worst = 0.0
    for tn in which:
        t = targets[tn][0]
        R, _ = gr.lrp(g0, x, t, meth)
        worst = max(worst, rel(R, gr.input_x_gradient(g0, x, t)))
    print(f"[{name}] zero biases, LRP-eps(1e-13) vs input x gradient on {', '.join(which)}: {worst:.1e}")
    assert worst < 1e-8


def check_bias_share(name, g, x, targets):
    """With biases, ε 1e-13: Σ R out = Σ R in + bias share at every linear layer (the merges' ε is 1e-13)."""
    meth = gr.uniform("tiny", "epsilon", eps=TINY)
    worst = 0.0
    for tn, (t, _) in targets.items():
        _, rep = gr.lrp(g, x, t, meth)
        for l in rep["layers"]:
            worst = max(worst, abs(l["sum_out"] - l["sum_in"] - l["bias_absorbed"]) / l["abs_out"])
    print(f"[{name}] with biases: |sum out - sum in - bias share| / sum|R out| {worst:.1e}")
    assert worst < 1e-9


# ---------------------------------------------------------------------------------------------


def write_model(name, model):
    d = os.path.join(OUT, name)
    os.makedirs(d)
    weights = make_weights(name, model)
    g = gr.Graph(model["spec"], weights, model["input_shape"])
    g0 = gr.Graph(model["spec"], weights, model["input_shape"], zero_bias=True)
    x = f32(rng(name, "input").standard_normal((BATCH,) + model["input_shape"]))
    fw = g.forward(x)
    mask, targets = make_targets(name, model, g)

    outs = check_forward(name, model, weights, g, x, fw)
    check_gradients(name, model, weights, g, x, targets)
    check_conservation(name, g0, x, targets)
    check_bias_share(name, g, x, targets)
    # no tanh on these paths (the residual model's bottleneck "code" is Dense(tanh))
    ixg = {"unet": TARGETS + [STOP_TARGET], "conv1d": TARGETS + [STOP_TARGET],
           "residual": ["bottleneck_unit", STOP_TARGET]}[name]
    check_lrp0_is_ixg(name, g0, x, targets, ixg)

    np.save(os.path.join(d, "input.npy"), x)
    np.save(os.path.join(d, "recon_region.mask.npy"), mask)
    for l in model["spec"]:
        for role, arr in weights[l["name"]].items():
            np.save(os.path.join(d, f"{l['name']}.{role}.npy"), arr)
        np.save(os.path.join(d, f"{l['name']}.out.npy"), outs[l["name"]])  # Keras's outputs (no merged BN)
    with open(os.path.join(d, "model.json"), "w") as fh:
        json.dump({"input_shape": list(model["input_shape"]),
                   "layers": [dict(l, out_shape=list(g.layers[g.index(l["name"])]["out_shape"]),
                                   merged_into=(None if g.layers[k]["merged_into"] is None
                                                else g.layers[g.layers[k]["merged_into"]]["name"]))
                              for k, l in enumerate(model["spec"])]}, fh, indent=1, default=list)
        fh.write("\n")

    plan = [(m, t) for m in LRP_METHODS for t in TARGETS] + [(m, t) for m in GRADIENT_METHODS for t in TARGETS]
    plan += [(CONSERVE, t) for t in TARGETS]
    plan += [(m, STOP_TARGET) for m in STOP_METHODS] + [(CONSERVE, STOP_TARGET)]
    index = []
    for method, tn in plan:
        t, tparams = targets[tn]
        shape = (BATCH,) + (model["input_shape"] if t.stop is None else g.layers[g.index(t.stop)]["out_shape"])
        report = None
        if method in gr.METHODS:
            arr, report = gr.lrp(g, x, t, gr.METHODS[method])
            mparams = gr.METHODS[method].params
        elif method == CONSERVE:
            arr, report = gr.lrp(g0, x, t, gr.uniform(CONSERVE, "epsilon", eps=TINY))
            mparams = {"rule": "epsilon", "eps": TINY, "zero_biases": "bias, beta and moving_mean set to 0"}
        elif method == "gradient":
            arr, mparams = gr.gradient(g, x, t), {}
        else:
            arr, mparams = gr.input_x_gradient(g, x, t), {}
        assert np.all(np.isfinite(arr))
        fname = f"{method}__{tn}"
        np.save(os.path.join(d, fname + ".npy"), arr.reshape(shape))
        e = {"name": fname, "file": fname + ".npy", "method": method, "method_params": mparams, "target": tn,
             "target_params": tparams, "shape": list(shape)}
        if report is not None:
            e["conservation"] = fname + ".conservation.json"
            with open(os.path.join(d, e["conservation"]), "w") as fh:
                fh.write(conservation_json(report))
        index.append(e)
    with open(os.path.join(d, "index.json"), "w") as fh:
        json.dump({"model": name, "fixtures": index}, fh, indent=1, default=str)
        fh.write("\n")
    with open(os.path.join(d, "index.txt"), "w") as fh:
        fh.write("# name method target   (parameters: index.json; regenerate: make_graph_fixtures.py)\n")
        for e in index:
            fh.write(f"{e['name']} {e['method']} {e['target']}\n")
    return len(index)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    n = sum(write_model(name, model) for name, model in MODELS.items())
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"{n} fixtures, {total} bytes in {os.path.relpath(OUT, os.getcwd())}")
    assert total < MAX_TOTAL_BYTES


if __name__ == "__main__":
    main()

"""Generate the explanation fixtures in tests/data/explain/ from the numpy reference
(explain_reference.py) and check the reference against itself, finite differences and torch.

Run from the repository root:   /usr/bin/python3 tests/reference/make_explain_fixtures.py

Reads tests/data/forward/seed16/ (weights, input), deletes and rewrites tests/data/explain/seed16/.
Deterministic: the only random array (the latent direction) comes from
np.random.default_rng(zlib.crc32(b"seed16/latent_dir")).

Writes, per fixture, `<method>__<target>.npy` (float64, Keras shape, batch first) and for LRP
methods `<method>__<target>.conservation.json`; `index.json` (every fixture with its method and
target parameters), `index.txt` (the same as `name method target` lines, for the C++ test),
`recon_region.mask.npy` (1, 16, 16, 1) and `latent_dir.direction.npy` (1, 1, 1, 64).
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

import explain_reference as er  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
FORWARD = os.path.join(DATA, "forward", "seed16")
OUT_DIR = os.path.join(DATA, "explain", "seed16")
MAX_TOTAL_BYTES = 3 * 1024 * 1024

IG_STEPS = 16
OCC_WINDOW, OCC_STRIDE, OCC_FILL = (4, 4), (4, 4), 0.0

LRP_TARGETS = ["logit_max", "latent_5", "recon_all", "recon_region"]
GRADIENT_METHODS = ["gradient", "input_x_gradient", "integrated_gradients", "occlusion"]
GRADIENT_TARGETS = ["logit_1", "prob_1_keep", "latent_dir", "recon_region"]
REGION_TO_LATENT_METHODS = ["lrp.epsilon", "gradient"]

GRADIENT_PARAMS = {
    "gradient": {},
    "input_x_gradient": {},
    "integrated_gradients": {"steps": IG_STEPS, "baseline": "zeros"},
    "occlusion": {"window": list(OCC_WINDOW), "stride": list(OCC_STRIDE), "fill": OCC_FILL},
}


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def region_mask():
    """1 on rows 2..5 and columns 8..11 (inclusive) of the 16 × 16 reconstruction."""
    m = np.zeros((1, 16, 16, 1))
    m[0, 2:6, 8:12, 0] = 1.0
    return m


def latent_direction():
    rng = np.random.default_rng(zlib.crc32(b"seed16/latent_dir"))
    v = rng.standard_normal(64)
    return f32(v / np.linalg.norm(v)).reshape(1, 1, 1, 64)


def make_targets(mask, direction):
    T = er.Target
    return {
        "logit_max": (T("output", "max"), {"layer": "output", "selection": "max"}),
        "logit_1": (T("output", "index", index=1), {"layer": "output", "selection": "index", "index": 1}),
        "prob_1_keep": (T("output", "index", index=1, keep=True),
                        {"layer": "output", "selection": "index", "index": 1, "keep_activation": True}),
        "latent_5": (T("conv2", "index", index=5), {"layer": "conv2", "selection": "index", "index": 5}),
        "latent_dir": (T("conv2", "direction", values=direction),
                       {"layer": "conv2", "selection": "direction", "values": "latent_dir.direction.npy"}),
        "recon_all": (T("autoencoder", "all"), {"layer": "autoencoder", "selection": "all"}),
        "recon_region": (T("autoencoder", "mask", values=mask),
                         {"layer": "autoencoder", "selection": "mask", "values": "recon_region.mask.npy"}),
        "region_to_latent": (T("autoencoder", "mask", values=mask, stop="conv2"),
                             {"layer": "autoencoder", "selection": "mask", "values": "recon_region.mask.npy",
                              "stop_at": "conv2"}),
    }


def run_method(model, x, t, method):
    if method in er.LRP_METHODS:
        return er.lrp(model, x, t, method)
    if method == "gradient":
        return er.gradient(model, x, t), None
    if method == "input_x_gradient":
        return er.input_x_gradient(model, x, t), None
    if method == "integrated_gradients":
        return er.integrated_gradients(model, x, t, IG_STEPS), None
    if method == "occlusion":
        return er.occlusion(model, x, t, OCC_WINDOW, OCC_STRIDE, OCC_FILL), None
    raise ValueError(method)


def rel_maxdiff(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ---------------------------------------------------------------------------------------------
# self checks
# ---------------------------------------------------------------------------------------------


def check_forward(model, x):
    fw = model.forward(x)
    worst = 0.0
    for k, L in enumerate(model.layers):
        ref = np.load(os.path.join(FORWARD, L["name"] + ".out.npy")).reshape(x.shape[0], -1)
        worst = max(worst, rel_maxdiff(fw[k]["a"], ref))
    print(f"forward (dense matrices) vs tests/data/forward/seed16 outputs: max rel diff {worst:.2e}")
    assert worst < 1e-12


def check_conservation_without_bias(x, targets):
    """Zero biases: the z rule and epsilon with ε → 0 conserve Σ R at every layer."""
    model0 = er.SeedModel(FORWARD, zero_bias=True)
    er.LRP_METHODS["check.epsilon_tiny"] = (er.uniform("epsilon", eps=1e-13), {})
    worst = 0.0
    for method in ("lrp.z", "check.epsilon_tiny"):
        for name in LRP_TARGETS + ["region_to_latent"]:
            R, rep = er.lrp(model0, x, targets[name][0], method)
            for l in rep["layers"]:
                gap = abs(l["sum_out"] - l["sum_in"]) / l["abs_out"]
                worst = max(worst, gap)
            assert abs(rep["final"] - rep["initial"]) <= 1e-9 * rep["layers"][0]["abs_out"], (method, name)
    del er.LRP_METHODS["check.epsilon_tiny"]
    print(f"zero biases, z and epsilon(1e-13): per-layer |sum out - sum in| / sum|R out| <= {worst:.2e}")
    assert worst < 1e-10


def check_bias_share(model, x, targets):
    """With biases, the z rule splits Σ R_out exactly into Σ R_in + the bias share."""
    worst = 0.0
    for name in LRP_TARGETS:
        _, rep = er.lrp(model, x, targets[name][0], "lrp.z")
        for l in rep["layers"]:
            worst = max(worst, abs(l["sum_out"] - l["sum_in"] - l["bias_absorbed"]) / l["abs_out"])
    print(f"z rule with biases: |sum out - sum in - bias share| / sum|R out| <= {worst:.2e}")
    assert worst < 1e-10


def check_gradients_fd(model, x, targets):
    """Central finite differences of S w.r.t. every input feature (m fixed at x)."""
    h = 1e-5
    xf = x.reshape(x.shape[0], -1)
    worst = 0.0
    for name in GRADIENT_TARGETS + ["logit_max", "latent_5", "recon_all"]:
        t = targets[name][0]
        m = t.weights(er.explained(model, model.forward(x), t))
        g = er.gradient(model, x, t)
        fd = np.zeros_like(xf)
        for i in range(xf.shape[1]):
            xp, xm = xf.copy(), xf.copy()
            xp[:, i] += h
            xm[:, i] -= h
            sp = er.score(model, model.forward(xp.reshape(x.shape)), t, m)
            sm = er.score(model, model.forward(xm.reshape(x.shape)), t, m)
            fd[:, i] = (sp - sm) / (2 * h)
        worst = max(worst, rel_maxdiff(g, fd))
    print(f"gradient vs central finite differences (h = {h}): max rel diff {worst:.2e}")
    assert worst < 1e-6


def check_ig_completeness(model, x, targets):
    """Σ_i A_i ≈ S(x) − S(0). The integrand has kinks (SELU's derivative jumps at 0), so the right
    Riemann sum converges irregularly, like 1/steps; the error is measured against |S(x)| + |S(0)|
    (ΔS itself can be near 0: sample 2 of logit_1 has ΔS = -0.009)."""
    for name in GRADIENT_TARGETS:
        t = targets[name][0]
        fw = model.forward(x)
        m = t.weights(er.explained(model, fw, t))
        s1 = er.score(model, fw, t, m)
        s0 = er.score(model, model.forward(np.zeros_like(x)), t, m)
        errs = {}
        for steps in (IG_STEPS, 1024):
            A = er.integrated_gradients(model, x, t, steps)
            errs[steps] = np.abs(A.sum(axis=1) - (s1 - s0)) / (np.abs(s1) + np.abs(s0))
        print(f"IG completeness {name:13s}: |sum A - dS| / (|S(x)| + |S(0)|) steps {IG_STEPS}: "
              f"{errs[IG_STEPS].max():.2e}, steps 1024: {errs[1024].max():.2e}")
        assert errs[IG_STEPS].max() < 0.1, name
        assert errs[1024].max() < 2e-3, name


def check_torch(model, x, targets, fixtures):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not importable: cross-check skipped")
        return
    ts = er.TorchSeed(model)
    worst_lrp = worst_grad = 0.0
    for fx in fixtures:
        t = targets[fx["target"]][0]
        m = fx["method"]
        if m in er.LRP_METHODS:
            worst_lrp = max(worst_lrp, rel_maxdiff(ts.lrp(x, t, m), fx["array"]))
        elif m == "gradient":
            worst_grad = max(worst_grad, rel_maxdiff(ts.gradient(x, t), fx["array"]))
        elif m == "input_x_gradient":
            worst_grad = max(worst_grad, rel_maxdiff(x.reshape(x.shape[0], -1) * ts.gradient(x, t), fx["array"]))
    print(f"torch cross-check (rules via torch conv + autograd VJPs): LRP max rel diff {worst_lrp:.2e}, "
          f"gradients (autograd) {worst_grad:.2e}")
    assert worst_lrp < 1e-10 and worst_grad < 1e-10


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def main():
    model = er.SeedModel(FORWARD)
    x = np.load(os.path.join(FORWARD, "input.npy"))
    batch = x.shape[0]
    mask, direction = region_mask(), latent_direction()
    targets = make_targets(mask, direction)

    check_forward(model, x)

    plan = [(m, t) for m in er.LRP_METHODS for t in LRP_TARGETS]
    plan += [(m, t) for m in GRADIENT_METHODS for t in GRADIENT_TARGETS]
    plan += [(m, "region_to_latent") for m in REGION_TO_LATENT_METHODS]

    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    np.save(os.path.join(OUT_DIR, "recon_region.mask.npy"), mask)
    np.save(os.path.join(OUT_DIR, "latent_dir.direction.npy"), direction)

    fixtures, index = [], []
    for method, tname in plan:
        t, tparams = targets[tname]
        arr, report = run_method(model, x, t, method)
        assert np.all(np.isfinite(arr)), (method, tname)
        if t.stop is None:
            shape = (batch,) + model.input_shape
        else:
            shape = (batch,) + tuple(model.layers[model.index(t.stop)]["out_shape"])
        name = f"{method}__{tname}"
        np.save(os.path.join(OUT_DIR, name + ".npy"), arr.reshape(shape))
        entry = {
            "name": name,
            "file": name + ".npy",
            "method": method,
            "method_params": er.LRP_METHODS[method][1] if method in er.LRP_METHODS else GRADIENT_PARAMS[method],
            "target": tname,
            "target_params": tparams,
            "shape": list(shape),
        }
        if report is not None:
            entry["conservation"] = name + ".conservation.json"
            with open(os.path.join(OUT_DIR, entry["conservation"]), "w") as fh:
                fh.write(conservation_json(report))
        index.append(entry)
        fixtures.append({"method": method, "target": tname, "array": arr})

    with open(os.path.join(OUT_DIR, "index.json"), "w") as fh:
        json.dump({"case": "seed16", "forward": "tests/data/forward/seed16", "fixtures": index}, fh, indent=1)
        fh.write("\n")
    with open(os.path.join(OUT_DIR, "index.txt"), "w") as fh:
        fh.write("# name method target   (parameters: index.json; regenerate: make_explain_fixtures.py)\n")
        for e in index:
            fh.write(f"{e['name']} {e['method']} {e['target']}\n")

    check_conservation_without_bias(x, targets)
    check_bias_share(model, x, targets)
    check_gradients_fd(model, x, targets)
    check_ig_completeness(model, x, targets)
    check_torch(model, x, targets, fixtures)

    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"{len(index)} fixtures, {total} bytes in {os.path.relpath(OUT_DIR, os.getcwd())}")
    assert total < MAX_TOTAL_BYTES


def conservation_json(rep):
    """One key per line, one layer per line: easy to read back without a JSON library."""
    lines = ["{",
             f' "initial": {rep["initial"]!r},',
             f' "final": {rep["final"]!r},',
             ' "initial_per_sample": [' + ", ".join(repr(v) for v in rep["initial_per_sample"]) + "],",
             ' "layers": [']
    rows = []
    for l in rep["layers"]:
        rows.append(
            f'  {{"layer": "{l["layer"]}", "rule": "{l["rule"]}", "sum_out": {l["sum_out"]!r}, '
            f'"sum_in": {l["sum_in"]!r}, "bias_absorbed": {l["bias_absorbed"]!r}, '
            f'"abs_out": {l["abs_out"]!r}, "abs_in": {l["abs_in"]!r}}}')
    lines.append(",\n".join(rows))
    lines += [" ]", "}", ""]
    text = "\n".join(lines)
    json.loads(text)  # valid JSON
    return text


if __name__ == "__main__":
    main()

"""Fixtures for the reconstruction-error target (issue 11) on the seed model (W = 16), from the
numpy reference explain_reference.py, which knows nothing of the error target: everything here
is assembled from the decomposition, written from the issue's math, not from the C++ code.

    E(x) = Σ_j m_j (x_j − x̂_j)²,   d = m ⊙ (x̂ − x)   (fixed at x)
    E    = Σ_j d_j x̂_j − Σ_j d_j x_j
    LRP:      R = R_net + R_direct,  R_net = LRP of the direction target d at the reconstruction
              with its activation kept (R⁰ = d ⊙ x̂),  R_direct = −d ⊙ x
    gradient: ∂E/∂x = 2 Jᵀ d − 2 d   (Jᵀ d = the reference's gradient of Σ d ⊙ x̂)
    IG:       A = x ⊙ mean_k ∂E/∂x (k/n · x),  d recomputed at every point (E is a function of x)
    residual: m ⊙ (x − x̂)²

E, the gradient and IG's completeness are checked here against central differences of E itself.

Run from the repository root:   /usr/bin/python3 tests/reference/make_error_fixtures.py
Reads tests/data/forward/seed16/ and tests/data/explain/seed16/recon_region.mask.npy; deletes and
rewrites tests/data/explain/seed16_error/: `<method>__<target>.npy` (float64, (batch, 16, 16, 1)),
`score__<target>.npy` (E per sample), `index.txt` (`name method target` lines).
"""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import explain_reference as er  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
FORWARD = os.path.join(DATA, "forward", "seed16")
OUT_DIR = os.path.join(DATA, "explain", "seed16_error")
TAP = "autoencoder"
IG_STEPS = 16
LRP_METHODS = ["lrp.epsilon", "lrp.zplus", "lrp.alpha_beta", "lrp.epsilon_plus_flat"]


def flat(a):
    return np.asarray(a, dtype=np.float64).reshape(a.shape[0], -1)


def reconstruct(model, x):
    return flat(model.forward(x)[model.index(TAP)]["a"])


def error(model, x, m):
    return np.sum(m * (flat(x) - reconstruct(model, x)) ** 2, axis=1)


def direction_d(model, x, m):
    return m * (reconstruct(model, x) - flat(x))


def lrp_error(model, x, m, method):
    d = direction_d(model, x, m)
    rows = []
    for b in range(x.shape[0]):
        t = er.Target(TAP, "direction", values=d[b], keep=True)
        r_net, _ = er.lrp(model, x[b:b + 1], t, method)
        rows.append(flat(r_net)[0] - d[b] * flat(x[b:b + 1])[0])
    return np.array(rows)


def gradient_error(model, x, m):
    d = direction_d(model, x, m)
    rows = []
    for b in range(x.shape[0]):
        t = er.Target(TAP, "direction", values=d[b], keep=True)
        jtd = flat(er.gradient(model, x[b:b + 1], t))[0]
        rows.append(2 * jtd - 2 * d[b])
    return np.array(rows)


def ig_error(model, x, m, steps):
    out = []
    for b in range(x.shape[0]):
        xb = x[b:b + 1]
        points = np.concatenate([(k / steps) * xb for k in range(1, steps + 1)])
        g = gradient_error(model, points, m)
        out.append(flat(xb)[0] * g.mean(axis=0))
    return np.array(out)


def main():
    model = er.SeedModel(FORWARD)
    x = np.load(os.path.join(FORWARD, "input.npy")).astype(np.float64)
    n = flat(x).shape[1]
    region = np.load(os.path.join(DATA, "explain", "seed16", "recon_region.mask.npy")).reshape(1, n)
    masks = {"error_all": np.ones((1, n)), "error_region": region}

    # Self-checks: E's decomposition, the gradient against central differences of E, IG's completeness.
    for tname, m in masks.items():
        E = error(model, x, m)
        d = direction_d(model, x, m)
        assert np.allclose(E, np.sum(d * reconstruct(model, x), 1) - np.sum(d * flat(x), 1), rtol=1e-12)
        g = gradient_error(model, x, m)
        h = 1e-6
        worst = 0.0
        for j in range(0, n, 17):
            xp, xm = x.copy().reshape(x.shape[0], -1), x.copy().reshape(x.shape[0], -1)
            xp[:, j] += h
            xm[:, j] -= h
            fd = (error(model, xp.reshape(x.shape), m) - error(model, xm.reshape(x.shape), m)) / (2 * h)
            worst = max(worst, float(np.max(np.abs(fd - g[:, j]))))
        assert worst < 1e-6 * max(1.0, float(np.abs(g).max())), (tname, worst)
        ig = ig_error(model, x, m, 256)
        gap = E - error(model, np.zeros_like(x), m)
        print(f"{tname}: E = {E}, |dE/dx - FD| = {worst:.2e}, IG(256) completeness {np.abs(ig.sum(1) - gap).max():.2e}")

    shutil.rmtree(OUT_DIR, ignore_errors=True)
    os.makedirs(OUT_DIR)
    index = []

    def save(name, method, target, value):
        np.save(os.path.join(OUT_DIR, name + ".npy"), np.asarray(value, dtype=np.float64).reshape(x.shape))
        index.append(f"{name} {method} {target}")

    for tname, m in masks.items():
        np.save(os.path.join(OUT_DIR, f"score__{tname}.npy"), error(model, x, m))
        for method in LRP_METHODS:
            save(f"{method}__{tname}", method, tname, lrp_error(model, x, m, method))
        save(f"gradient__{tname}", "gradient", tname, gradient_error(model, x, m))
        save(f"input_x_gradient__{tname}", "input_x_gradient", tname, flat(x) * gradient_error(model, x, m))
        save(f"integrated_gradients__{tname}", "integrated_gradients", tname, ig_error(model, x, m, IG_STEPS))
        save(f"residual__{tname}", "residual", tname, m * (flat(x) - reconstruct(model, x)) ** 2)
    with open(os.path.join(OUT_DIR, "index.txt"), "w") as fh:
        fh.write("\n".join(index) + "\n")
    print(f"wrote {len(index)} fixtures to {os.path.relpath(OUT_DIR)}")


if __name__ == "__main__":
    main()

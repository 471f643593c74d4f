#!/usr/bin/python3
"""Synthetic connectome data for the innspect seed model (design.md §7) at W = 90.

Every sample is a 90x90 correlation matrix (np.corrcoef of 90 simulated regional time series,
unit diagonal, symmetric, values in [-1, 1]). Two classes differ in ONE known block of
connections, regions 20-34 x regions 50-64 (and its mirror 50-64 x 20-34):

  * the 90 regions form 7 contiguous "networks"; network A = regions 20-34, network B = regions
    50-64. Every network k has a latent signal s_k; each region reads its network's signal with a
    per-subject loading lambda ~ U(0.45, 0.9), plus a weak global signal (loading U(0, 0.3)), plus
    unit-variance independent noise (T = 100 time points).
  * in every subject the network signals are randomly coupled (s_k = u_k + sum_j c_kj u_j,
    c_kj ~ N(0, 0.12^2)), so every between-network block varies from subject to subject in both
    classes;
  * class 1 only: network B's signal additionally carries network A's innovation,
    s_B += beta * u_A, beta ~ U(0.5, 1.0) per subject. Each signal is then rescaled to unit
    variance, so within-A and within-B correlations have the same distribution in both classes
    and the class difference is confined to the A x B block (+ mirror): on average the block's
    correlations rise from about +0.01 to about +0.18 (block-mean sd about 0.055 within a class;
    the off-diagonal cells of a matrix have sd about 0.15).

The effect is moderate relative to the subject-to-subject coupling and the finite-T sampling
noise, so a classifier cannot be perfect: the best threshold on the block-mean feature (which
knows where the block is) reaches about 93-94 % on the test split.

Writes
  <work>/train.npz, <work>/test.npz       x (n,90,90,1) float32, y (n,) int64   [not shipped]
  examples/connectome/data/block.json      the block definition
  examples/connectome/data/block_mask.npy  (90,90,1) float32, 1 on the block and its mirror
  examples/connectome/data/heldout_x.npy   (8,90,90,1) float32, heldout_y.npy (8,) float32 (0/1)
  examples/connectome/data/concept_with.npy / concept_without.npy   (12,90,90,1) float32,
                                           class 1 / class 0, independent of every other split
Deterministic: every split has its own numpy Generator seeded from (SEED, split id).

Usage: /usr/bin/python3 examples/connectome/train/make_data.py [--work DIR]
"""

import argparse
import json
import os

import numpy as np

W = 90
T = 100
SEED = 20240917
# contiguous networks: [start, stop)
NETWORKS = [(0, 10), (10, 20), (20, 35), (35, 50), (50, 65), (65, 78), (78, 90)]
NET_A, NET_B = 2, 4  # regions 20-34 and 50-64
BLOCK_ROWS = NETWORKS[NET_A]
BLOCK_COLS = NETWORKS[NET_B]
LOADING = (0.45, 0.9)
GLOBAL_LOADING = (0.0, 0.3)
COUPLING_SD = 0.12
BETA = (0.5, 1.0)

N_TRAIN = 3000
N_TEST = 1000
N_HELDOUT = 8
N_CONCEPT = 12

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "data"))
DEFAULT_WORK = os.path.join(HERE, "_work")

SPLIT_IDS = {"train": 1, "test": 2, "heldout": 3, "concept_with": 4, "concept_without": 5}


def block_mask():
    m = np.zeros((W, W), dtype=np.float32)
    (r0, r1), (c0, c1) = BLOCK_ROWS, BLOCK_COLS
    m[r0:r1, c0:c1] = 1.0
    m[c0:c1, r0:r1] = 1.0
    return m


def simulate(labels, rng):
    """labels: (n,) ints in {0, 1}. Returns (n, W, W, 1) float32 correlation matrices."""
    labels = np.asarray(labels)
    n = labels.shape[0]
    k = len(NETWORKS)
    u = rng.standard_normal((n, k, T))  # network innovations
    c = rng.normal(0.0, COUPLING_SD, size=(n, k, k))
    c[:, np.arange(k), np.arange(k)] = 1.0
    beta = rng.uniform(*BETA, size=n) * (labels == 1)
    c[:, NET_B, NET_A] += beta  # class 1: B also carries A's innovation
    s = np.einsum("nkj,njt->nkt", c, u)
    # unit variance in expectation (theoretical, so no class-dependent empirical rescaling)
    s /= np.sqrt(np.sum(c ** 2, axis=2))[:, :, None]
    g = rng.standard_normal((n, T))  # global signal

    region_net = np.empty(W, dtype=np.int64)
    for i, (a, b) in enumerate(NETWORKS):
        region_net[a:b] = i
    lam = rng.uniform(*LOADING, size=(n, W))
    gam = rng.uniform(*GLOBAL_LOADING, size=(n, W))
    noise = rng.standard_normal((n, W, T))
    ts = lam[:, :, None] * s[:, region_net, :] + gam[:, :, None] * g[:, None, :] + noise

    ts = ts - ts.mean(axis=2, keepdims=True)
    ts = ts / np.linalg.norm(ts, axis=2, keepdims=True)
    corr = np.einsum("nit,njt->nij", ts, ts)
    corr = np.clip((corr + np.transpose(corr, (0, 2, 1))) / 2.0, -1.0, 1.0)
    corr[:, np.arange(W), np.arange(W)] = 1.0
    return corr.astype(np.float32)[..., None]


def split(name, labels):
    rng = np.random.default_rng([SEED, SPLIT_IDS[name]])
    return simulate(labels, rng)


def balanced_labels(n, rng):
    y = np.array([0, 1] * (n // 2) + [0] * (n % 2), dtype=np.int64)
    return rng.permutation(y)


def block_mean(x):
    m = block_mask().astype(bool)
    return x[..., 0][:, m].mean(axis=1)


def describe(x, y, name):
    bm = block_mean(x)
    off = ~np.eye(W, dtype=bool)
    print(f"  {name}: n={len(y)} class1={int(y.sum())} "
          f"range=[{x.min():+.3f}, {x.max():+.3f}] off-diag mean={x[..., 0][:, off].mean():+.3f} "
          f"sd={x[..., 0][:, off].std():.3f}; block mean class0 {bm[y == 0].mean():+.3f}"
          f"±{bm[y == 0].std():.3f}, class1 {bm[y == 1].mean():+.3f}±{bm[y == 1].std():.3f}")


def block_mean_accuracy(xtr, ytr, xte, yte):
    """Accuracy of the best threshold on the block-mean feature (fitted on train)."""
    ftr, fte = block_mean(xtr), block_mean(xte)
    cands = np.sort(ftr)
    accs = [np.mean((ftr > t) == ytr) for t in cands]
    t = cands[int(np.argmax(accs))]
    return float(np.max(accs)), float(np.mean((fte > t) == yte)), float(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=DEFAULT_WORK,
                    help="where train.npz / test.npz go (not shipped; default %(default)s)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(DATA_DIR, exist_ok=True)

    lab_rng = np.random.default_rng([SEED, 0])
    ytr = balanced_labels(N_TRAIN, lab_rng)
    yte = balanced_labels(N_TEST, lab_rng)
    yho = np.array([0, 1] * (N_HELDOUT // 2), dtype=np.int64)

    print("generating ...")
    xtr = split("train", ytr)
    xte = split("test", yte)
    xho = split("heldout", yho)
    xcw = split("concept_with", np.ones(N_CONCEPT, dtype=np.int64))
    xco = split("concept_without", np.zeros(N_CONCEPT, dtype=np.int64))

    for x, y, name in ((xtr, ytr, "train"), (xte, yte, "test")):
        describe(x, y, name)
        for a in (x[..., 0],):
            assert np.array_equal(a, np.transpose(a, (0, 2, 1))), "not symmetric"
            assert np.all(a[:, np.arange(W), np.arange(W)] == 1.0)
            assert a.min() >= -1.0 and a.max() <= 1.0
    tr_acc, te_acc, thr = block_mean_accuracy(xtr, ytr, xte, yte)
    print(f"  block-mean threshold classifier: train {tr_acc:.3f} test {te_acc:.3f} "
          f"(threshold {thr:+.4f})")

    np.savez(os.path.join(args.work, "train.npz"), x=xtr, y=ytr)
    np.savez(os.path.join(args.work, "test.npz"), x=xte, y=yte)

    (r0, r1), (c0, c1) = BLOCK_ROWS, BLOCK_COLS
    block = {
        "W": W,
        "indexing": "0-based, half-open [start, stop); the mask also covers the mirror block",
        "rows": [r0, r1],
        "cols": [c0, c1],
        "mirror_rows": [c0, c1],
        "mirror_cols": [r0, r1],
        "rows_inclusive": [r0, r1 - 1],
        "cols_inclusive": [c0, c1 - 1],
        "n_cells_incl_mirror": int(2 * (r1 - r0) * (c1 - c0)),
        "class_with_stronger_block": 1,
        "effect": {
            "mechanism": "class 1: network B (cols) signal += beta * network A (rows) innovation, "
                         "then rescaled to unit variance",
            "beta_uniform": list(BETA),
            "block_mean_class0_test": float(block_mean(xte)[yte == 0].mean()),
            "block_mean_class1_test": float(block_mean(xte)[yte == 1].mean()),
            "block_mean_threshold_accuracy_test": te_acc,
        },
        "input_range": [-1.0, 1.0],
        "diagonal": 1.0,
        "time_points": T,
        "networks": [list(n) for n in NETWORKS],
        "seed": SEED,
    }
    with open(os.path.join(DATA_DIR, "block.json"), "w") as f:
        json.dump(block, f, indent=2)
        f.write("\n")
    np.save(os.path.join(DATA_DIR, "block_mask.npy"), block_mask()[..., None])
    np.save(os.path.join(DATA_DIR, "heldout_x.npy"), xho)
    np.save(os.path.join(DATA_DIR, "heldout_y.npy"), yho.astype(np.float32))
    np.save(os.path.join(DATA_DIR, "concept_with.npy"), xcw)
    np.save(os.path.join(DATA_DIR, "concept_without.npy"), xco)
    print(f"  heldout labels {yho.tolist()}, block means {np.round(block_mean(xho), 3).tolist()}")
    print(f"  concept_with block mean {block_mean(xcw).mean():+.3f}, "
          f"concept_without {block_mean(xco).mean():+.3f}")
    print(f"wrote {args.work}/{{train,test}}.npz and {DATA_DIR}/")


if __name__ == "__main__":
    main()

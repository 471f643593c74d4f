#!/usr/bin/python3
"""Train the design.md §7 seed model at W = 90 on the synthetic connectome data (make_data.py)
and export it as examples/connectome/data/seed90.h5 (Keras 2.2.4 model.save() layout).

PyTorch (Debian's python3-torch), CPU, one thread, deterministic (torch.manual_seed,
torch.use_deterministic_algorithms). Loss = cross-entropy(classifier logits) + MSE_WEIGHT *
MSE(reconstruction, input). Adam, fixed number of epochs (no model selection on the test set).

After training: exports the weights in Keras layouts (seed_model.keras_weights), writes the
model_config, and runs verify_export.verify (numpy Keras forward of the .h5 == torch) which also
writes data/heldout_reference/.

Usage: /usr/bin/python3 examples/connectome/train/make_data.py
       /usr/bin/python3 examples/connectome/train/train.py [--epochs N] [--work DIR]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "data"))
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
sys.path.insert(0, HERE)

from keras_h5_layout import write_keras_h5  # noqa: E402
from seed_model import SeedModel, keras_model_config, keras_weights  # noqa: E402
import verify_export  # noqa: E402

TORCH_SEED = 1234
EPOCHS = 8
BATCH = 64
LR = 1e-3
WEIGHT_DECAY = 1e-3  # Adam's (coupled) L2
MSE_WEIGHT = 20.0


def nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def evaluate(model, x, y, batch=500):
    """accuracy, reconstruction MSE (all cells), mean cross-entropy, MSE on the diagonal only,
    MSE off the diagonal only."""
    model.eval()
    eye = torch.eye(x.shape[-1], dtype=torch.bool)
    correct, se, ce, sd, so, n = 0, 0.0, 0.0, 0.0, 0.0, len(y)
    with torch.no_grad():
        for i in range(0, n, batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            logits, probs, rec = model(xb, fast=True)
            correct += int((logits.argmax(1) == yb).sum())
            ce += float(F.cross_entropy(logits, yb, reduction="sum"))
            e = ((rec - xb) ** 2)[:, 0]
            se += float(e.mean(dim=(1, 2)).sum())
            sd += float(e[:, eye].mean(dim=1).sum())
            so += float(e[:, ~eye].mean(dim=1).sum())
    return correct / n, se / n, ce / n, sd / n, so / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=os.path.join(HERE, "_work"))
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args()

    torch.manual_seed(TORCH_SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    tr = np.load(os.path.join(args.work, "train.npz"))
    te = np.load(os.path.join(args.work, "test.npz"))
    xtr, ytr = nchw(tr["x"]), torch.from_numpy(tr["y"]).long()
    xte, yte = nchw(te["x"]), torch.from_numpy(te["y"]).long()
    print(f"train {tuple(xtr.shape)}  test {tuple(xte.shape)}")

    # reconstruction baselines: the training-set mean matrix, and the per-class mean matrix
    # (the decoder only sees the 2 class probabilities, so the latter is about its floor)
    mean_all = xtr.mean(0, keepdim=True)
    mse_mean = float(((xte - mean_all) ** 2).mean())
    mean_c = torch.stack([xtr[ytr == c].mean(0) for c in (0, 1)])
    mse_class = float(((xte - mean_c[yte]) ** 2).mean())
    off = ~torch.eye(xte.shape[-1], dtype=torch.bool)
    mse_class_off = float(((xte - mean_c[yte]) ** 2)[:, 0][:, off].mean())
    print(f"baseline test MSE: global mean matrix {mse_mean:.5f}, true-class mean matrix "
          f"{mse_class:.5f} (off-diagonal only {mse_class_off:.5f})")

    model = SeedModel()
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    gen = torch.Generator().manual_seed(TORCH_SEED)
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(perm), BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            logits, _probs, rec = model(xb, fast=True)
            loss = F.cross_entropy(logits, yb) + MSE_WEIGHT * F.mse_loss(rec, xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        a_tr, m_tr, c_tr, _, _ = evaluate(model, xtr, ytr)
        a_te, m_te, c_te, md_te, mo_te = evaluate(model, xte, yte)
        print(f"epoch {epoch:3d}  train acc {a_tr:.4f} ce {c_tr:.4f} mse {m_tr:.5f} | "
              f"test acc {a_te:.4f} ce {c_te:.4f} mse {m_te:.5f}  ({time.time() - t0:.0f}s)",
              flush=True)
    train_s = time.time() - t0

    a_tr, m_tr, c_tr, _, _ = evaluate(model, xtr, ytr)
    a_te, m_te, c_te, md_te, mo_te = evaluate(model, xte, yte)
    os.makedirs(args.work, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.work, "seed90_torch.pt"))

    h5_path = os.path.join(DATA_DIR, "seed90.h5")
    write_keras_h5(h5_path, keras_weights(model), model_save=True,
                   model_config=json.dumps(keras_model_config()))
    print(f"wrote {h5_path} ({os.path.getsize(h5_path)} bytes)")

    xho = np.load(os.path.join(DATA_DIR, "heldout_x.npy"))
    yho = np.load(os.path.join(DATA_DIR, "heldout_y.npy"))
    outs, _pre, diffs = verify_export.verify(model, h5_path, xho)
    p1 = outs["output"][:, 1]
    print("held-out: label, P(class 1):",
          ", ".join(f"{int(l)}:{p:.3f}" for l, p in zip(yho, p1)))
    rec_mse_ho = float(((outs["autoencoder"] - xho) ** 2).mean())

    metrics = {
        "train_accuracy": a_tr, "test_accuracy": a_te,
        "train_cross_entropy": c_tr, "test_cross_entropy": c_te,
        "train_reconstruction_mse": m_tr, "test_reconstruction_mse": m_te,
        "test_reconstruction_mse_diagonal": md_te, "test_reconstruction_mse_offdiagonal": mo_te,
        "baseline_test_mse_global_mean": mse_mean, "baseline_test_mse_class_mean": mse_class,
        "baseline_test_mse_class_mean_offdiagonal": mse_class_off,
        "heldout_labels": yho.astype(int).tolist(),
        "heldout_p_class1": [round(float(p), 6) for p in p1],
        "heldout_reconstruction_mse": rec_mse_ho,
        "export_max_abs_diff": diffs,
        "epochs": args.epochs, "batch": BATCH, "lr": LR, "mse_weight": MSE_WEIGHT,
        "torch_seed": TORCH_SEED, "torch_version": torch.__version__,
        "train_seconds": round(train_s, 1),
    }
    with open(os.path.join(DATA_DIR, "seed90_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(f"final: train acc {a_tr:.4f}, test acc {a_te:.4f}; reconstruction MSE train "
          f"{m_tr:.5f}, test {m_te:.5f} (diagonal {md_te:.4f}, off-diagonal {mo_te:.5f}); "
          f"training took {train_s:.0f}s")


if __name__ == "__main__":
    main()

"""Write a W = 90 seed-model case for the CLI tests (cli.w90.*): random weights in the Keras 2.x
layout, an input batch, and every layer's output from the independent numpy reference.

    /usr/bin/python3 tests/cli/make_w90_case.py OUT_DIR

OUT_DIR gets weights.h5 (model.save_weights() layout), input.npy (2, 90, 90, 1) and
<layer>.out.npy for the twelve layers, as tests/data/forward/seed16/ holds for W = 16 (so
tests/cli/predict.cmake checks both). Deterministic (numpy default_rng(90)). Needs numpy and
h5py; uses tests/reference/keras_numpy.py and keras_h5_layout.py. Made at test time rather than
stored: the weights alone would be 1.5 MB.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "reference"))

import keras_h5_layout  # noqa: E402
import keras_numpy as kn  # noqa: E402

W = 90


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(90)

    # Kernels scaled by 1/sqrt(fan-in): SELU stays in its working range, softmax and tanh do not
    # saturate.
    k1 = rng.standard_normal((1, W, 1, 32)) / np.sqrt(W)
    k2 = rng.standard_normal((W, 1, 32, 64)) / np.sqrt(W * 32)
    kd1 = rng.standard_normal((64, 64)) / np.sqrt(64)
    ko = rng.standard_normal((64, 2)) / np.sqrt(64)
    kd2 = rng.standard_normal((2, 64)) / np.sqrt(2)
    k3 = rng.standard_normal((1, 1, 64, 64)) / np.sqrt(64)   # Conv2DTranspose: [kh, kw, out, in]
    k4 = rng.standard_normal((W, 1, 32, 64)) / np.sqrt(64)
    k5 = rng.standard_normal((1, W, 1, 32)) / np.sqrt(32 * W)
    bias = {n: 0.1 * rng.standard_normal(c) for n, c in
            [("conv1", 32), ("conv2", 64), ("dense1", 64), ("output", 2), ("dense2", 64), ("conv3", 64),
             ("conv4", 32), ("autoencoder", 1)]}
    kernel = {"conv1": k1, "conv2": k2, "dense1": kd1, "output": ko, "dense2": kd2, "conv3": k3, "conv4": k4,
              "autoencoder": k5}

    x = rng.standard_normal((2, W, W, 1))
    x = (x + np.transpose(x, (0, 2, 1, 3))) / 2  # symmetric, like a connectivity matrix

    out = {}
    out["conv1"] = kn.selu(kn.conv2d(x, k1, bias=bias["conv1"]))
    out["dropout1"] = kn.dropout(out["conv1"])
    out["conv2"] = kn.selu(kn.conv2d(out["dropout1"], k2, bias=bias["conv2"]))
    out["dropout2"] = kn.dropout(out["conv2"])
    out["reshape1"] = kn.reshape(out["dropout2"], (64,))
    out["dense1"] = kn.selu(kn.dense(out["reshape1"], kd1, bias["dense1"]))
    out["output"] = kn.softmax(kn.dense(out["dense1"], ko, bias["output"]))
    out["dense2"] = kn.selu(kn.dense(out["output"], kd2, bias["dense2"]))
    out["reshape2"] = kn.reshape(out["dense2"], (1, 1, 64))
    out["conv3"] = kn.selu(kn.conv2d_transpose(out["reshape2"], k3, bias=bias["conv3"]))
    out["conv4"] = kn.selu(kn.conv2d_transpose(out["conv3"], k4, bias=bias["conv4"]))
    out["autoencoder"] = kn.tanh(kn.conv2d_transpose(out["conv4"], k5, bias=bias["autoencoder"]))
    assert out["autoencoder"].shape == (2, W, W, 1)

    np.save(os.path.join(out_dir, "input.npy"), x)
    for name, a in out.items():
        np.save(os.path.join(out_dir, name + ".out.npy"), a)
    names = ["conv1", "dropout1", "conv2", "dropout2", "reshape1", "dense1", "output", "dense2", "reshape2", "conv3",
             "conv4", "autoencoder"]
    layers = [(n, [(n + "/kernel:0", kernel[n]), (n + "/bias:0", bias[n])] if n in kernel else []) for n in names]
    keras_h5_layout.write_keras_h5(os.path.join(out_dir, "weights.h5"), layers)
    print(f"W = {W} case in {out_dir}: probabilities {out['output'].round(3).tolist()}, "
          f"reconstruction in [{out['autoencoder'].min():.3f}, {out['autoencoder'].max():.3f}]")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_w90_case.py OUT_DIR")
    main(sys.argv[1])

#!/usr/bin/python3
"""Train the sensors example's LSTM autoencoder on synthetic multichannel sensor signals and
export it in Keras 2's model.save() HDF5 layout (examples/sensors/data/sensors.h5).

Signals: 8 channels × 64 steps per sample. A sample is a machine whose 8 sensors read two shared
oscillations (frequencies and phases drawn per sample) through a fixed per-channel mixing
(gain, phase shift, offset), plus noise:

    x_c(t) = A · (m1_c · sin(2π f1 t/64 + φ1 + δ_c) + m2_c · sin(2π f2 t/64 + φ2)) + o_c + N(0, 0.05²)

So the channels are correlated, and an autoencoder can learn what a normal sample looks like.

Model (Keras names; the C++ declaration is examples/sensors/sensors_model.hpp):
    signals          Input((64, 8))
    encoder          LSTM(32, go_backwards=True)    → the bottleneck (32 units)
    repeat           RepeatVector(64)
    decoder          LSTM(32, return_sequences=True)
    reconstruction   TimeDistributed(Dense(8))      → the reconstruction (64, 8)

The encoder reads the sequence backwards (Sutskever et al. 2014's reversed source): its last
step is the decoder's first, which takes training off the plateau where the output is the mean
within a hundred or two updates instead of thousands.

Trained with Debian's PyTorch (CPU, one thread, torch.manual_seed, fixed epochs, MSE), then
exported with Keras's gate order and shapes: torch.nn.LSTM's gates are i, f, g, o — Keras's
i, f, c, o, the same order — so kernel = weight_ih_l0ᵀ [in, 4u], recurrent_kernel = weight_hh_l0ᵀ
[u, 4u], bias = bias_ih_l0 + bias_hh_l0 [4u]; Dense kernel = weightᵀ. Weight names as tf.keras
2.x writes them ("encoder/lstm_cell/kernel:0", TimeDistributed's Dense under the wrapper's name),
with a tf.keras model_config so the architecture check runs.

Held-out samples (data/heldout_x.npy, 8 × 64 × 8) carry planted anomalies in some channels and
time windows (data/heldout_mask.npy marks them; data/anomalies.json lists them): a spike, a
flatline (the sensor stuck at its value), a drift (a linear ramp). data/heldout_clean.npy is the
same samples without them.

After export, the numpy reference forward (tests/reference/rnn_reference.py) of the weights read
back from the .h5 must equal torch's output (float32 round-off); its float64 output on the
held-out samples is committed as data/heldout_reference/{reconstruction,encoder}.npy, which the
C++ demo's test compares against.

Usage: /usr/bin/python3 examples/sensors/train/train.py     (about a minute on one core)
"""

import json
import os
import sys
import time

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))

import rnn_reference as rr  # noqa: E402
from keras_h5_layout import write_keras_h5  # noqa: E402

SEED = 20261206
S, C, U = 64, 8, 32
N_TRAIN, N_TEST = int(os.environ.get("SENSORS_N_TRAIN", 2048)), 256
EPOCHS, BATCH, LR = int(os.environ.get("SENSORS_EPOCHS", 10)), 32, 1e-2
NOISE = 0.05

# ---- data -------------------------------------------------------------------------------------

mix_rng = np.random.default_rng(SEED)
M1 = mix_rng.uniform(0.3, 1.0, C)
M2 = mix_rng.uniform(0.0, 0.6, C)
DELTA = mix_rng.uniform(0.0, np.pi, C)
OFFSET = mix_rng.uniform(-0.3, 0.3, C)


def signals(rng, n):
    t = np.arange(S)[None, :, None] / S
    f1 = rng.uniform(1.5, 2.5, (n, 1, 1))
    f2 = rng.uniform(4.0, 6.0, (n, 1, 1))
    p1 = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    p2 = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    a = rng.uniform(0.6, 1.0, (n, 1, 1))
    x = a * (M1 * np.sin(2 * np.pi * f1 * t + p1 + DELTA) + M2 * np.sin(2 * np.pi * f2 * t + p2)) + OFFSET
    return (x + NOISE * rng.standard_normal(x.shape)).astype(np.float32)


# (sample, kind, channels, first step, last step inclusive, size)
ANOMALIES = [
    (0, "spike", [2], 20, 22, 2.5),
    (1, "flatline", [5], 28, 47, 0.0),
    (2, "drift", [1, 6], 40, 63, 1.5),
    (3, "spike", [7], 50, 52, -2.5),
    (4, "flatline", [0, 3], 8, 27, 0.0),
    (5, "drift", [4], 16, 39, -1.5),
    (6, "spike", [0, 6], 10, 12, 2.0),
    (7, "flatline", [2], 44, 63, 0.0),
]


def plant(clean):
    x = clean.copy()
    mask = np.zeros_like(x)
    for b, kind, chans, t0, t1, size in ANOMALIES:
        for c in chans:
            if kind == "spike":
                x[b, t0:t1 + 1, c] += size
            elif kind == "flatline":
                x[b, t0:t1 + 1, c] = clean[b, t0, c]
            else:  # drift: a linear ramp from 0 to size
                x[b, t0:t1 + 1, c] += np.linspace(0, size, t1 - t0 + 1, dtype=np.float32)
            mask[b, t0:t1 + 1, c] = 1
    return x, mask


# ---- model ------------------------------------------------------------------------------------

class LstmAe(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.LSTM(C, U, batch_first=True)
        self.decoder = torch.nn.LSTM(U, U, batch_first=True)
        self.reconstruction = torch.nn.Linear(U, C)

    def forward(self, x):
        _, (h, _) = self.encoder(torch.flip(x, [1]))  # Keras's go_backwards=True
        code = h[-1]
        d, _ = self.decoder(code[:, None, :].repeat(1, S, 1))
        return self.reconstruction(d), code


def keras_lstm(lstm):
    w = {k: v.detach().numpy().astype(np.float32) for k, v in lstm.state_dict().items()}
    return [w["weight_ih_l0"].T.copy(), w["weight_hh_l0"].T.copy(), w["bias_ih_l0"] + w["bias_hh_l0"]]


def model_config():
    lstm = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "return_state": False,
            "go_backwards": False, "stateful": False, "unroll": False, "time_major": False, "dropout": 0.0,
            "recurrent_dropout": 0.0, "unit_forget_bias": True, "implementation": 2}
    layers = [
        ("encoder", "LSTM", dict(lstm, units=U, return_sequences=False, go_backwards=True)),
        ("repeat", "RepeatVector", {"n": S}),
        ("decoder", "LSTM", dict(lstm, units=U, return_sequences=True)),
        ("reconstruction", "TimeDistributed",
         {"layer": {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32",
                                                      "units": C, "activation": "linear", "use_bias": True}}}),
    ]
    out = [{"class_name": "InputLayer", "name": "signals", "inbound_nodes": [],
            "config": {"batch_input_shape": [None, S, C], "dtype": "float32", "sparse": False, "name": "signals"}}]
    src = "signals"
    for name, cls, cfg in layers:
        out.append({"class_name": cls, "name": name, "inbound_nodes": [[[src, 0, 0, {}]]],
                    "config": dict({"name": name, "trainable": True, "dtype": "float32"}, **cfg)})
        src = name
    return {"class_name": "Model", "config": {"name": "sensors_lstm_ae", "layers": out,
                                              "input_layers": [["signals", 0, 0]],
                                              "output_layers": [["reconstruction", 0, 0]]}}


def numpy_forward(path, x):
    """The Keras equations (rnn_reference.py) on the weights read back from the exported file."""
    with h5py.File(path, "r") as f:
        g = f["model_weights"]

        def w(layer, name):
            return g[layer][layer][name][()].astype(np.float64)
        enc = [w("encoder", "lstm_cell/" + r + ":0") for r in ("kernel", "recurrent_kernel", "bias")]
        dec = [w("decoder", "lstm_cell_1/" + r + ":0") for r in ("kernel", "recurrent_kernel", "bias")]
        td = [w("reconstruction", r + ":0") for r in ("kernel", "bias")]
    x = x.astype(np.float64)
    code, _ = rr.lstm_forward(x, *enc, U, go_backwards=True)
    d, _ = rr.lstm_forward(np.repeat(code[:, None, :], S, axis=1), *dec, U, return_sequences=True)
    return d @ td[0] + td[1], code


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED + 1)
    x_train, x_test = signals(rng, N_TRAIN), signals(rng, N_TEST)
    clean = signals(rng, len(ANOMALIES))
    heldout, mask = plant(clean)

    model = LstmAe()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    xt = torch.from_numpy(x_train)
    start = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.from_numpy(rng.permutation(N_TRAIN))
        for i in range(0, N_TRAIN, BATCH):
            xb = xt[perm[i:i + BATCH]]
            loss = torch.mean((model(xb)[0] - xb) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            test_mse = float(torch.mean((model(torch.from_numpy(x_test))[0] - torch.from_numpy(x_test)) ** 2))
        print("epoch %2d  train batch MSE %.4f  test MSE %.4f  (%.0f s)" % (epoch + 1, float(loss), test_mse,
                                                                           time.time() - start), flush=True)

    os.makedirs(os.path.join(DATA, "heldout_reference"), exist_ok=True)
    path = os.path.join(DATA, "sensors.h5")
    enc, dec = keras_lstm(model.encoder), keras_lstm(model.decoder)
    td = [model.reconstruction.weight.detach().numpy().T.copy(), model.reconstruction.bias.detach().numpy().copy()]
    roles = ("kernel", "recurrent_kernel", "bias")
    write_keras_h5(path, [
        ("signals", []),
        ("encoder", [("encoder/lstm_cell/%s:0" % r, a) for r, a in zip(roles, enc)]),
        ("repeat", []),
        ("decoder", [("decoder/lstm_cell_1/%s:0" % r, a) for r, a in zip(roles, dec)]),
        ("reconstruction", [("reconstruction/%s:0" % r, a) for r, a in zip(("kernel", "bias"), td)]),
    ], model_save=True, model_config=model_config())

    # The exported file, run by the numpy reference, against torch.
    with torch.no_grad():
        y_torch, code_torch = model(torch.from_numpy(heldout))
    y_ref, code_ref = numpy_forward(path, heldout)
    diff = float(np.max(np.abs(y_ref - y_torch.numpy())))
    print("export check: numpy reference of the .h5 vs torch, max |difference| %.2e" % diff)
    assert diff < 1e-4, diff
    assert float(np.max(np.abs(code_ref - code_torch.numpy()))) < 1e-4

    np.save(os.path.join(DATA, "heldout_x.npy"), heldout)
    np.save(os.path.join(DATA, "heldout_clean.npy"), clean)
    np.save(os.path.join(DATA, "heldout_mask.npy"), mask)
    np.save(os.path.join(DATA, "heldout_reference", "reconstruction.npy"), y_ref)
    np.save(os.path.join(DATA, "heldout_reference", "encoder.npy"), code_ref)
    y_clean, _ = numpy_forward(path, clean)
    e_planted = ((y_ref - heldout) ** 2).sum(axis=(1, 2))
    e_clean = ((y_clean - clean) ** 2).sum(axis=(1, 2))
    with open(os.path.join(DATA, "anomalies.json"), "w") as f:
        json.dump([dict(sample=b, kind=k, channels=c, first_step=t0, last_step=t1, size=s)
                   for b, k, c, t0, t1, s in ANOMALIES], f, indent=1)
    metrics = dict(seed=SEED, epochs=EPOCHS, train_samples=N_TRAIN, test_mse=test_mse,
                   test_mse_noise_floor=NOISE ** 2, export_max_abs_difference=diff,
                   heldout_error_planted=[round(float(v), 4) for v in e_planted],
                   heldout_error_clean=[round(float(v), 4) for v in e_clean],
                   training_seconds=round(time.time() - start, 1))
    with open(os.path.join(DATA, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps(metrics, indent=1))
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()

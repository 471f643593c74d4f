"""Make the recurrent Keras-file fixtures of tests/hdf5/recurrent_files.cpp (tests/data/rnn_files/).

The weights are those of tests/data/rnn/lstm_ae and tests/data/rnn/bidi (make_rnn_fixtures.py,
whose numpy forward pass is checked against torch there), written in the layouts Keras writes,
so a loaded model must reproduce tests/data/rnn/<model>/forward.npy. Keras is not available
where the fixtures are made; the layouts follow Keras's saving code (facts only):

Keras 2 (tf.keras 2.x `model.save`, keras/saving/hdf5_format.py; checked against names seen in
real files: "model_weights/bidirectional/bidirectional/forward_lstm/lstm_cell_1/bias:0",
"time_distributed/time_distributed/kernel:0"):
  LSTM / GRU         <layer>/<layer>/<cell>/kernel:0, recurrent_kernel:0, bias:0, the cell named
                     lstm_cell, lstm_cell_1, ... (numbered per session)
  Bidirectional      <layer>/<layer>/forward_<inner>/<cell>/...:0, then backward_<inner>/...
  TimeDistributed    <layer>/<layer>/kernel:0, bias:0 (the wrapped Dense's weights)
  config             tf.keras: Sequential, batch_input_shape, the wrapped layer as
                     {"class_name", "config"} under "layer"
Keras 3 legacy .h5 (keras/src/legacy/saving/legacy_h5_format.py): the same tree with the
  variables' paths as names, no ":0": "bi_lstm/forward_lstm/lstm_cell/kernel".
Keras 3 (.keras's model.weights.h5 and .weights.h5; keras/src/saving/saving_lib.py
  `_save_state` / `_walk_saveable`: every KerasSaveable attribute of a layer gets a group named
  after the attribute, its own variables under `vars/<i>` in build order; the `vars` group is
  created with a "name" attribute even when the object has no variables of its own):
  LSTM / GRU         layers/lstm/vars (empty), layers/lstm/cell/vars/0..2 (kernel,
                     recurrent_kernel, bias: LSTMCell.build / GRUCell.build order)
  Bidirectional      layers/bidirectional/{forward_layer,backward_layer}/cell/vars/0..2
  TimeDistributed    layers/time_distributed/layer/vars/0..1 (Wrapper.layer)
  config             Bidirectional: merge_mode, layer, backward_layer (go_backwards true)

Files: lstm_ae_keras2.h5, lstm_ae_legacy.h5, lstm_ae.keras, lstm_ae.weights.h5, bidi_keras2.h5,
bidi_legacy.h5, bidi.keras, bidi.weights.h5; lstm_ae_masked_* (the LSTM autoencoder behind a
Masking(mask_value=0.0) layer, which holds no weights: Keras 2 and 3 write its config, and Keras 3
an empty `layers/masking/vars` group; the forward of lstm_ae, as no step of x.npy is all zeros); broken: deep.weights.h5 (layers held 9 levels deep),
bidi_forward_only.weights.h5 (bi_lstm without its backward layer).

Run from the repository root:   /usr/bin/python3 tests/reference/make_rnn_h5_fixtures.py
Deterministic (fixed zip dates); needs numpy and h5py.
"""

import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from keras_h5_layout import write_keras_h5  # noqa: E402
import make_keras3_fixtures as k3  # noqa: E402

RNN = os.path.join(HERE, "..", "data", "rnn")
OUT = os.path.join(HERE, "..", "data", "rnn_files")


def npy(model, name):
    return np.load(os.path.join(RNN, model, name + ".npy")).astype(np.float32)


def rnn_weights(model, prefix):
    return [npy(model, prefix + "." + r) for r in ("kernel", "recurrent_kernel", "bias")]


# ---- configs: (name, class, config fields, output shape) ------------------------------------

def rnn_cfg(units, return_sequences=False, go_backwards=False, **extra):
    c = {"units": units, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
         "return_sequences": return_sequences, "return_state": False, "go_backwards": go_backwards,
         "stateful": False, "unroll": False, "dropout": 0.0, "recurrent_dropout": 0.0}
    c.update(extra)
    return c


def lstm_cfg(units, **kw):
    return rnn_cfg(units, unit_forget_bias=True, **kw)


def gru_cfg(units, **kw):
    return rnn_cfg(units, reset_after=True, **kw)


def wrapped(cls, cfg, name, keras3):
    c = dict({"name": name, "trainable": True}, **cfg)
    if keras3:
        return {"module": "keras.layers", "class_name": cls, "config": dict(c, dtype=k3.DTYPE), "registered_name": None}
    return {"class_name": cls, "config": c}


def bidirectional_cfg(cls, cfg, inner, merge_mode, keras3):
    c = {"merge_mode": merge_mode, "layer": wrapped(cls, cfg, inner, keras3)}
    if keras3:  # Keras 3's get_config always writes the backward layer
        c["backward_layer"] = wrapped(cls, dict(cfg, go_backwards=True), inner, keras3)
    return c


DENSE = {"activation": "linear", "use_bias": True}


def lstm_ae_layers(keras3):
    return [
        ("encoder", "LSTM", lstm_cfg(5), [5]),
        ("repeat_vector", "RepeatVector", {"n": 8}, [8, 5]),
        ("decoder", "LSTM", lstm_cfg(4, return_sequences=True), [8, 4]),
        ("time_distributed", "TimeDistributed", {"layer": wrapped("Dense", dict(DENSE, units=3), "dense", keras3)}, [8, 3]),
    ]


def lstm_ae_masked_layers(keras3):
    return [("masking", "Masking", {"mask_value": 0.0}, [8, 3])] + lstm_ae_layers(keras3)


def bidi_layers(keras3):
    return [
        ("bi_lstm", "Bidirectional", bidirectional_cfg("LSTM", lstm_cfg(4, return_sequences=True), "lstm", "concat", keras3),
         [6, 8]),
        ("bi_gru", "Bidirectional", bidirectional_cfg("GRU", gru_cfg(3), "gru", "sum", keras3), [3]),
        ("dense", "Dense", dict(DENSE, units=2), [2]),
    ]


# ---- weights per layer, as (Keras 2 weight names, Keras 3 sub-paths) -----------------------------

ROLES = ("kernel", "recurrent_kernel", "bias")


def lstm_ae_weights():
    m = "lstm_ae"
    return {
        # (Keras 2 names below the layer, Keras 3 groups below the layer: [(sub-path, arrays)])
        "encoder": ([("lstm_cell/" + r, a) for r, a in zip(ROLES, rnn_weights(m, "encoder"))],
                    [("cell", rnn_weights(m, "encoder"))]),
        "decoder": ([("lstm_cell_1/" + r, a) for r, a in zip(ROLES, rnn_weights(m, "decoder"))],
                    [("cell", rnn_weights(m, "decoder"))]),
        "time_distributed": ([(r, npy(m, "time_distributed." + r)) for r in ("kernel", "bias")],
                             [("layer", [npy(m, "time_distributed.kernel"), npy(m, "time_distributed.bias")])]),
    }


def bidi_weights(keras2_cells):
    """keras2_cells: the cell names Keras 2 gives (numbered) or Keras 3 (not numbered)."""
    m = "bidi"
    w = {}
    for layer, inner, cells in (("bi_lstm", "lstm", keras2_cells[0:2]), ("bi_gru", "gru", keras2_cells[2:4])):
        names, groups = [], []
        for d, cell in zip(("forward", "backward"), cells):
            arrays = rnn_weights(m, layer + "." + d)
            names += [("%s_%s/%s/%s" % (d, inner, cell, r), a) for r, a in zip(ROLES, arrays)]
            groups.append((d + "_layer/cell", arrays))
        w[layer] = (names, groups)
    w["dense"] = ([(r, npy(m, "dense." + r)) for r in ("kernel", "bias")], [("", [npy(m, "dense.kernel"), npy(m, "dense.bias")])])
    return w


# ---- writers ----------------------------------------------------------------------------------

def keras2_file(path, input_name, input_shape, layers, weights, colon, config):
    entries = [(input_name, [])] if config.get("class_name") != "Sequential" else []
    for name, _, _, _ in layers:
        names = weights[name][0] if name in weights else []
        entries.append((name, [("%s/%s%s" % (name, n, ":0" if colon else ""), a) for n, a in names]))
    write_keras_h5(path, entries, model_save=True, model_config=config)


def keras2_sequential(name, input_shape, layers):
    out = []
    for i, (lname, cls, cfg, _) in enumerate(layers):
        c = dict({"name": lname, "trainable": True, "dtype": "float32"}, **cfg)
        if i == 0:
            c["batch_input_shape"] = [None] + list(input_shape)
        out.append({"class_name": cls, "config": c})
    return {"class_name": "Sequential", "config": {"name": name, "layers": out}}


def keras3_tree(layers, weights):
    """Keras 3's groups: layers/<snake(class)>[_n]/<sub-path>/vars/<i>, every layer object (with
    or without variables) holding a vars group with its name."""
    def write(f):
        f.create_group("vars")
        f.require_group("layers/input_layer/vars")
        used = {}
        for lname, cls, _, _ in layers:
            stem = k3.snake(cls)
            n = used.get(stem, -1) + 1
            used[stem] = n
            path = "layers/" + (stem if n == 0 else "%s_%d" % (stem, n))
            f.require_group(path + "/vars").attrs["name"] = lname
            for sub, arrays in (weights[lname][1] if lname in weights else []):
                g = f.require_group(path + ("/" + sub if sub else "") + "/vars")
                for i, a in enumerate(arrays):
                    g.create_dataset(str(i), data=a)
    return k3.h5_bytes(write)


def write_all(model, input_shape, layers2, layers3, weights2, weights3):
    """Writes <model>_keras2.h5, <model>_legacy.h5, <model>.keras and <model>.weights.h5."""
    cfg3 = k3.keras3_functional(model, "x", input_shape, layers3)
    keras2_file(os.path.join(OUT, model + "_keras2.h5"), "x", input_shape, layers2, weights2, True,
                keras2_sequential(model, input_shape, layers2))
    keras2_file(os.path.join(OUT, model + "_legacy.h5"), "x", input_shape, layers3, weights3, False, cfg3)
    tree = keras3_tree(layers3, weights3)
    k3.keras_archive(os.path.join(OUT, model + ".keras"), cfg3, tree)
    with open(os.path.join(OUT, model + ".weights.h5"), "wb") as f:
        f.write(tree)


def main():
    os.makedirs(OUT, exist_ok=True)
    write_all("lstm_ae", [8, 3], lstm_ae_layers(False), lstm_ae_layers(True), lstm_ae_weights(), lstm_ae_weights())
    # Keras 2 numbers every cell it makes; Keras 3 names them after their class only.
    write_all("lstm_ae_masked", [8, 3], lstm_ae_masked_layers(False), lstm_ae_masked_layers(True), lstm_ae_weights(),
              lstm_ae_weights())
    write_all("bidi", [6, 3], bidi_layers(False), bidi_layers(True),
              bidi_weights(["lstm_cell_1", "lstm_cell_2", "gru_cell_4", "gru_cell_5"]),
              bidi_weights(["lstm_cell", "lstm_cell", "gru_cell", "gru_cell"]))

    # Broken trees: layers held 9 deep below a layer; a Bidirectional without its backward layer.
    def deep(f):
        f.require_group("layers/lstm/" + "/".join(["cell"] * 9) + "/vars").create_dataset("0", data=np.zeros(3, np.float32))
    with open(os.path.join(OUT, "deep.weights.h5"), "wb") as f:
        f.write(k3.h5_bytes(deep))
    one_way = bidi_weights(["lstm_cell", "lstm_cell", "gru_cell", "gru_cell"])
    one_way["bi_lstm"] = (one_way["bi_lstm"][0], one_way["bi_lstm"][1][:1])
    with open(os.path.join(OUT, "bidi_forward_only.weights.h5"), "wb") as f:
        f.write(keras3_tree(bidi_layers(True), one_way))

    # What the layouts must hold (the paths the loader has to find).
    with h5py.File(os.path.join(OUT, "bidi_keras2.h5"), "r") as f:
        assert "model_weights/bi_lstm/bi_lstm/backward_lstm/lstm_cell_2/recurrent_kernel:0" in f
    with h5py.File(os.path.join(OUT, "lstm_ae.weights.h5"), "r") as f:
        assert f["layers/lstm_1/cell/vars/1"].shape == (4, 16)
        assert f["layers/time_distributed/layer/vars/0"].shape == (4, 3)
    with h5py.File(os.path.join(OUT, "lstm_ae_masked.weights.h5"), "r") as f:
        assert f["layers/masking/vars"].attrs["name"] == "masking" and len(f["layers/masking/vars"]) == 0
    assert not (np.load(os.path.join(RNN, "lstm_ae", "x.npy")) == 0).all(axis=-1).any(), "x.npy has a masked step"
    with h5py.File(os.path.join(OUT, "bidi.weights.h5"), "r") as f:
        assert f["layers/bidirectional_1/backward_layer/cell/vars/2"].shape == (2, 9)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("tests/data/rnn_files: %d files, %d bytes" % (len(os.listdir(OUT)), total))
    assert total < 400_000


if __name__ == "__main__":
    main()

"""Make the Keras 3 fixtures of tests/hdf5/keras3.cpp (written into tests/data/keras3/).

Keras is not available where innspect's fixtures are made, so this script writes, with h5py and
zipfile, what Keras 3 writes (checked against keras/src/saving/saving_lib.py and
keras/src/legacy/saving/legacy_h5_format.py of keras-team/keras; facts only):

  m.keras             a zip, members stored (not compressed), in this order:
                        metadata.json     {"keras_version": ..., "date_saved": ...}
                        config.json       the model's serialized config (Keras 3 style: module,
                                          class_name, config, registered_name, build_config;
                                          InputLayer batch_shape, dtype-policy dicts, dict-style
                                          inbound_nodes with __keras_tensor__ / keras_history,
                                          flat input_layers / output_layers ["x", 0, 0])
                        model.weights.h5  HDF5 written by h5py into memory:
                                          layers/<snake_case(class)>[_<n>]/vars/<i>
                          * a model's layers, in model.layers order, are named after their class,
                            de-duplicated per class inside their model: dense, dense_1, ...;
                          * a nested model: layers/functional/layers/...;
                          * vars/<i>: the layer's variables in build order (Dense / Conv: kernel,
                            bias; BatchNormalization: gamma if scale, beta if center,
                            moving_mean, moving_variance);
                          * weightless layers get no vars datasets (no group, or an empty vars).
  m.weights.h5        the same HDF5 tree as a file (model.save_weights("m.weights.h5")).
  Keras 2.13-2.14     the same, under _layer_checkpoint_dependencies/ instead of layers/: those
                      versions walked the model's _layer_checkpoint_dependencies dict, which lists
                      each layer with weights twice ("layer_with_weights-k", "layer-i"), so every
                      layer with weights uses up two numbers of its class: dense, dense_2, ...
  legacy .h5          Keras 3's model.save("m.h5"): the Keras 2 layout (model_weights, layer_names,
                      weight_names) with weight names without ":0" ("enc_conv1/kernel") and a
                      Keras 3 model_config.

The model (every fixture holds the same weights, np.random.default_rng(3)):

  image (8, 8, 1) -> enc_conv1 Conv2D 4 3x3 same relu -> enc_bn BatchNormalization (scale=False)
  -> enc_conv2 Conv2D 2 3x3 strides 2 same relu -> flat Flatten -> code Dense 6
  -> dec_dense Dense 32 relu use_bias=False -> unflat Reshape (4, 4, 2)
  -> dec_up Conv2DTranspose 4 3x3 strides 2 same relu -> dec_out Conv2D 1 3x3 same sigmoid

Files (all small):
  ae.keras, ae.weights.h5, ae_nested.keras (encoder and decoder as nested Functional models),
  ae_sequential.keras (the same as a Sequential model),
  ae_keras213.keras, ae_backslash.keras (member names ".\\config.json", as zipped on Windows),
  ae_legacy.h5 (Keras 3 legacy), ae_keras2.h5 (Keras 2.2.4 layout, the same weights),
  enc.keras + dec_legacy.h5 (the encoder and the decoder as two files),
  ae.input.npy / ae.output.npy (the forward of tests/reference/keras_numpy.py, float64),
  and malformed archives: not_a_zip.keras, no_config.keras, no_weights.keras, npz_weights.keras,
  wrong_shape.keras, truncated.keras, bomb.keras (config.json padded with 2 MiB of spaces,
  deflated: ratio > 1000), dotdot.keras (a member "../evil"), twice.keras (config.json and
  .\\config.json); and hostile weight trees: cycle.keras (a nested model's layers group hard-linked
  to the root's: a cycle), soft_link.keras (a variable that is a soft link), vars_names.keras (a vars
  group holding "kernel").

Run with /usr/bin/python3 (numpy, h5py); the output is deterministic (fixed dates, zip times).
"""

import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import keras_numpy as kn  # noqa: E402
from keras_h5_layout import write_keras_h5  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "keras3")
DATE = (2025, 1, 1, 0, 0, 0)

# ---- weights --------------------------------------------------------------------------------

rng = np.random.default_rng(3)


def arr(*shape, scale=0.4):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


W = {
    "enc_conv1": [arr(3, 3, 1, 4), arr(4, scale=0.1)],
    # scale=False: beta, moving_mean, moving_variance
    "enc_bn": [arr(4, scale=0.1), arr(4, scale=0.2), (0.5 + rng.random(4)).astype(np.float32)],
    "enc_conv2": [arr(3, 3, 4, 2), arr(2, scale=0.1)],
    "code": [arr(32, 6), arr(6, scale=0.1)],
    "dec_dense": [arr(6, 32)],  # use_bias=False
    "dec_up": [arr(3, 3, 4, 2), arr(4, scale=0.1)],  # [kh, kw, out, in]
    "dec_out": [arr(3, 3, 4, 1), arr(1, scale=0.1)],
}
ROLES = {
    "enc_conv1": ["kernel", "bias"],
    "enc_bn": ["beta", "moving_mean", "moving_variance"],
    "enc_conv2": ["kernel", "bias"],
    "code": ["kernel", "bias"],
    "dec_dense": ["kernel"],
    "dec_up": ["kernel", "bias"],
    "dec_out": ["kernel", "bias"],
}

# (name, class, Keras 3 config fields, output shape); the model in order.
CONV = {"data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                               "config": {"seed": None}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}
LAYERS = [
    ("enc_conv1", "Conv2D", dict(CONV, filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same",
                                 activation="relu", use_bias=True), [8, 8, 4]),
    ("enc_bn", "BatchNormalization", {"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True,
                                      "scale": False}, [8, 8, 4]),
    ("enc_conv2", "Conv2D", dict(CONV, filters=2, kernel_size=[3, 3], strides=[2, 2], padding="same",
                                 activation="relu", use_bias=True), [4, 4, 2]),
    ("flat", "Flatten", {"data_format": "channels_last"}, [32]),
    ("code", "Dense", {"units": 6, "activation": "linear", "use_bias": True}, [6]),
    ("dec_dense", "Dense", {"units": 32, "activation": "relu", "use_bias": False}, [32]),
    ("unflat", "Reshape", {"target_shape": [4, 4, 2]}, [4, 4, 2]),
    ("dec_up", "Conv2DTranspose", dict(CONV, filters=4, kernel_size=[3, 3], strides=[2, 2], padding="same",
                                       activation="relu", use_bias=True, output_padding=None), [8, 8, 4]),
    ("dec_out", "Conv2D", dict(CONV, filters=1, kernel_size=[3, 3], strides=[1, 1], padding="same",
                               activation="sigmoid", use_bias=True), [8, 8, 1]),
]
ENCODER = [l for l in LAYERS if l[0] in ("enc_conv1", "enc_bn", "enc_conv2", "flat", "code")]
DECODER = [l for l in LAYERS if l[0] in ("dec_dense", "unflat", "dec_up", "dec_out")]


def snake(cls):
    import re
    name = re.sub(r"\W+", "", cls)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ---- the numpy forward ------------------------------------------------------------------------

def forward(x):
    y = kn.conv2d(x, W["enc_conv1"][0], (1, 1), "same", W["enc_conv1"][1])
    y = kn.relu(y)
    beta, mean, var = W["enc_bn"]
    y = kn.batch_normalization(y, mean, var, gamma=None, beta=beta, epsilon=0.001)
    y = kn.relu(kn.conv2d(y, W["enc_conv2"][0], (2, 2), "same", W["enc_conv2"][1]))
    y = kn.flatten(y)
    y = kn.dense(y, W["code"][0], W["code"][1])
    y = kn.relu(kn.dense(y, W["dec_dense"][0]))
    y = kn.reshape(y, (4, 4, 2))
    y = kn.relu(kn.conv2d_transpose(y, W["dec_up"][0], (2, 2), "same", W["dec_up"][1]))
    return kn.sigmoid(kn.conv2d(y, W["dec_out"][0], (1, 1), "same", W["dec_out"][1]))


# ---- configs ----------------------------------------------------------------------------------

DTYPE = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def tensor(src, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + list(shape), "dtype": "float32", "keras_history": [src, 0, 0]}}


def keras3_input(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False, "name": name},
            "registered_name": None, "name": name, "inbound_nodes": []}


def keras3_layer(name, cls, cfg, src, src_shape):
    return {"module": "keras.layers", "class_name": cls,
            "config": dict({"name": name, "trainable": True, "dtype": DTYPE}, **cfg),
            "registered_name": None, "build_config": {"input_shape": [None] + list(src_shape)}, "name": name,
            "inbound_nodes": [{"args": [tensor(src, src_shape)], "kwargs": {}}]}


def keras3_functional(name, input_name, input_shape, layers, first_src=None):
    out = [keras3_input(input_name, input_shape)]
    src, shape = input_name, input_shape
    for lname, cls, cfg, oshape in layers:
        out.append(keras3_layer(lname, cls, cfg, src, shape))
        src, shape = lname, oshape
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": out,
                       "input_layers": [input_name, 0, 0], "output_layers": [src, 0, 0]},
            "registered_name": "Functional", "build_config": {"input_shape": None}, "compile_config": None}


def keras3_nested():
    enc = keras3_functional("encoder", "image", [8, 8, 1], ENCODER)
    dec = keras3_functional("decoder", "code_in", [6], DECODER)
    top_layers = [keras3_input("ae_in", [8, 8, 1])]
    for sub, src, shape in ((enc, "ae_in", [8, 8, 1]), (dec, "encoder", [6])):
        entry = dict(sub)
        entry["name"] = sub["config"]["name"]
        entry["inbound_nodes"] = [{"args": [tensor(src, shape)], "kwargs": {}}]
        top_layers.append(entry)
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": "ae", "trainable": True, "layers": top_layers,
                       "input_layers": ["ae_in", 0, 0], "output_layers": ["decoder", 0, 0]},
            "registered_name": "Functional", "build_config": {"input_shape": None}, "compile_config": None}


def keras2_config(name, class_name, input_name, input_shape, layers, functional_213=False):
    """tf.keras style: batch_input_shape, list inbound_nodes [[[src, 0, 0, {}]]]."""
    out = [{"name": input_name, "class_name": "InputLayer",
            "config": {"batch_input_shape": [None] + list(input_shape), "dtype": "float32", "sparse": False,
                       "name": input_name}, "inbound_nodes": []}]
    src = input_name
    for lname, cls, cfg, _ in layers:
        c = dict({"name": lname, "trainable": True, "dtype": "float32"}, **cfg)
        c.pop("groups", None)
        if cls == "BatchNormalization":
            c["axis"] = [3]
        out.append({"name": lname, "class_name": cls, "config": c, "inbound_nodes": [[[src, 0, 0, {}]]]})
        src = lname
    doc = {"class_name": class_name,
           "config": {"name": name, "layers": out, "input_layers": [[input_name, 0, 0]],
                      "output_layers": [[src, 0, 0]]}}
    if functional_213:
        doc["module"] = "keras.src.engine.functional"
        doc["registered_name"] = "Functional"
    return doc


# ---- weight trees -----------------------------------------------------------------------------

def write_keras3_tree(f, groups):
    """groups: [(path, [arrays])] — path like 'layers/dense_1'."""
    for path, arrays in groups:
        g = f.require_group(path).require_group("vars")
        for i, a in enumerate(arrays):
            g.create_dataset(str(i), data=a)


def flat_groups(layers, dir_name="layers", per_weighted=1, prefix=""):
    """Keras's names for `layers` (one model): class name de-duplicated per class; a layer with
    weights uses up `per_weighted` numbers (2 in Keras 2.13-2.14)."""
    used = {}
    groups = []
    for lname, cls, _, _ in layers:
        stem = snake(cls)
        weighted = lname in W
        for k in range(per_weighted if weighted else 1):
            n = used.get(stem, -1) + 1
            used[stem] = n
            name = stem if n == 0 else "%s_%d" % (stem, n)
            if k == 0 and weighted:
                groups.append((prefix + dir_name + "/" + name, W[lname]))
    return groups


def h5_bytes(write):
    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        write(f)
    return bio.getvalue()


def keras3_weights_h5(groups, extra=None):
    def write(f):
        f.create_group("vars")  # the model's own (empty) variables
        f.require_group("layers/input_layer/vars")  # a weightless layer's empty group
        write_keras3_tree(f, groups)
        f.require_group("optimizer/vars")
        if extra:
            extra(f)
    return h5_bytes(write)


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = compression
            z.writestr(info, data)


def metadata(version):
    return json.dumps({"keras_version": version, "date_saved": "2025-01-01@00:00:00"})


def keras_archive(path, config, weights, version="3.8.0", names=("metadata.json", "config.json", "model.weights.h5")):
    write_zip(path, [(names[0], metadata(version)), (names[1], json.dumps(config)), (names[2], weights)])


def out(name):
    return os.path.join(OUT, name)


def main():
    os.makedirs(OUT, exist_ok=True)

    x = rng.random((2, 8, 8, 1))
    y = forward(x)
    np.save(out("ae.input.npy"), x)
    np.save(out("ae.output.npy"), y)

    config = keras3_functional("ae", "image", [8, 8, 1], LAYERS)
    groups = flat_groups(LAYERS)
    assert [g for g, _ in groups] == ["layers/conv2d", "layers/batch_normalization", "layers/conv2d_1",
                                      "layers/dense", "layers/dense_1", "layers/conv2d_transpose",
                                      "layers/conv2d_2"], groups
    weights = keras3_weights_h5(groups)
    keras_archive(out("ae.keras"), config, weights)
    with open(out("ae.weights.h5"), "wb") as f:
        f.write(weights)

    # encoder and decoder as nested models: layers/functional/layers/..., layers/functional_1/layers/...
    nested = flat_groups(ENCODER, prefix="layers/functional/") + flat_groups(DECODER, prefix="layers/functional_1/")
    keras_archive(out("ae_nested.keras"), keras3_nested(), keras3_weights_h5(nested))

    # Keras 2.13-2.14: _layer_checkpoint_dependencies, two numbers per layer with weights
    g213 = flat_groups(LAYERS, dir_name="_layer_checkpoint_dependencies", per_weighted=2)
    assert [g for g, _ in g213][:3] == ["_layer_checkpoint_dependencies/conv2d",
                                        "_layer_checkpoint_dependencies/batch_normalization",
                                        "_layer_checkpoint_dependencies/conv2d_2"], g213

    def write213(f):
        f.create_group("vars")
        f.require_group("_input_layers/input_layer/vars")
        write_keras3_tree(f, g213)
    keras_archive(out("ae_keras213.keras"), keras2_config("ae", "Functional", "image", [8, 8, 1], LAYERS, True),
                  h5_bytes(write213), version="2.13.1")

    # a Sequential model: its config lists an InputLayer first, then the layers without inbound nodes
    seq_layers = [keras3_input("image", [8, 8, 1])]
    for lname, cls, cfg, _ in LAYERS:
        entry = keras3_layer(lname, cls, cfg, "x", [1])
        del entry["inbound_nodes"]
        seq_layers.append(entry)
    sequential = {"module": "keras", "class_name": "Sequential",
                  "config": {"name": "ae", "trainable": True, "dtype": DTYPE, "layers": seq_layers},
                  "registered_name": None, "build_config": {"input_shape": [None, 8, 8, 1]}}
    keras_archive(out("ae_sequential.keras"), sequential, weights)

    # written on Windows: ".\config.json"
    keras_archive(out("ae_backslash.keras"), config, weights,
                  names=(".\\metadata.json", ".\\config.json", ".\\model.weights.h5"))

    # Keras 3 legacy .h5: Keras 2 layout, names without ":0", Keras 3 config
    legacy_layers = [("image", [])] + [(n, [("%s/%s" % (n, r), a) for r, a in zip(ROLES[n], W[n])] if n in W else [])
                                       for n, _, _, _ in LAYERS]
    write_keras_h5(out("ae_legacy.h5"), legacy_layers, model_save=True, model_config=config)
    # the same weights in the Keras 2.2.4 layout
    k2_layers = [("image", [])] + [(n, [("%s/%s:0" % (n, r), a) for r, a in zip(ROLES[n], W[n])] if n in W else [])
                                   for n, _, _, _ in LAYERS]
    write_keras_h5(out("ae_keras2.h5"), k2_layers, model_save=True,
                   model_config=keras2_config("ae", "Model", "image", [8, 8, 1], LAYERS))

    # two files, one model: the encoder as .keras, the decoder as a Keras 3 legacy .h5
    keras_archive(out("enc.keras"), keras3_functional("encoder", "image", [8, 8, 1], ENCODER),
                  keras3_weights_h5(flat_groups(ENCODER)))
    dec_layers = [("code_in", [])] + [(n, [("%s/%s" % (n, r), a) for r, a in zip(ROLES[n], W[n])] if n in W else [])
                                      for n, _, _, _ in DECODER]
    write_keras_h5(out("dec_legacy.h5"), dec_layers, model_save=True,
                   model_config=keras3_functional("decoder", "code_in", [6], DECODER))

    # ---- malformed archives ----
    with open(out("not_a_zip.keras"), "w") as f:
        f.write("this is not a zip archive\n")
    placeholder = b"\x89HDF\r\n\x1a\n"  # where the archive is refused before its weights are read
    write_zip(out("no_config.keras"), [("metadata.json", metadata("3.8.0")), ("model.weights.h5", weights)])
    write_zip(out("no_weights.keras"), [("metadata.json", metadata("3.8.0")), ("config.json", json.dumps(config))])
    write_zip(out("npz_weights.keras"), [("metadata.json", metadata("3.8.0")), ("config.json", json.dumps(config)),
                                         ("model.weights.npz", b"PK\x05\x06" + bytes(18))])
    bad = [(p, [a.T.copy() if p.endswith("dense") else a for a in arrays]) for p, arrays in groups]
    keras_archive(out("wrong_shape.keras"), config, keras3_weights_h5(bad))
    with open(out("ae.keras"), "rb") as f:
        whole = f.read()
    with open(out("truncated.keras"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    padded = json.dumps(config) + " " * (2 << 20)
    write_zip(out("bomb.keras"), [("metadata.json", metadata("3.8.0")), ("config.json", padded),
                                  ("model.weights.h5", weights)], compression=zipfile.ZIP_DEFLATED)
    write_zip(out("dotdot.keras"), [("metadata.json", metadata("3.8.0")), ("config.json", json.dumps(config)),
                                    ("model.weights.h5", placeholder), ("../evil", b"x")])
    write_zip(out("twice.keras"), [("metadata.json", metadata("3.8.0")), ("config.json", json.dumps(config)),
                                   (".\\config.json", json.dumps(config)), ("model.weights.h5", placeholder)])

    # hostile weight trees inside well-formed archives
    def cycle(f):  # a nested model's layers group that is the root's own: a cycle of hard links
        f["layers/functional/layers"] = f["layers"]
    keras_archive(out("cycle.keras"), config, keras3_weights_h5(groups, cycle))

    def soft(f):  # a variable that is a soft link to another one
        f["layers/conv2d_9/vars/0"] = h5py.SoftLink("/layers/conv2d/vars/0")
    keras_archive(out("soft_link.keras"), config, keras3_weights_h5(groups, soft))

    def names(f):  # vars holding something else than 0, 1, ...
        f.create_dataset("layers/dense_7/vars/kernel", data=np.zeros(3, np.float32))
    keras_archive(out("vars_names.keras"), config, keras3_weights_h5(groups, names))

    total = sum(os.path.getsize(out(n)) for n in os.listdir(OUT))
    print("tests/data/keras3: %d files, %d bytes" % (len(os.listdir(OUT)), total))
    assert total < 700_000


if __name__ == "__main__":
    main()

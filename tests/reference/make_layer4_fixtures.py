"""Fixtures for the layers added after the first four (BatchNormalization, pooling, resampling,
ReLU layer) and for the architecture check, from the numpy Keras reference (keras_numpy.py).

Run from the repository root:   /usr/bin/python3 tests/reference/make_layer4_fixtures.py

Deterministic (np.random.default_rng(crc32(<case name>)) per case; weights and inputs rounded to
the float32 grid, so a float build reads exactly the reference's numbers). It deletes and rewrites
tests/data/forward4/ and rewrites tests/data/h5/arch_*.

tests/data/forward4/<case>/        single-layer cases, the layer is called `l`, batch 2:
    input.npy, l.<role>.npy (BatchNormalization: gamma, beta, moving_mean, moving_variance as the
    case has them), l.out.npy, model.json (layer type and config)

tests/data/forward4/all_new/       one model with every new layer (MODEL_ALL below), batch 3:
    input.npy, <layer>.<role>.npy, <layer>.preact.npy (layers with a non-linear fused
    activation), <layer>.out.npy for every layer, model.json, weights.h5 (Keras model.save()
    layout, float32, with a Keras-2.2.4-style functional model_config)

tests/data/h5/arch_*               architecture-check fixtures (tests/hdf5/architecture.cpp):
    arch_sequential.h5     MODEL_ALL as a Keras 2.2.4 Sequential model_config, same weights
    arch_weights_only.h5   MODEL_ALL's weights in the model.save_weights() layout (no config)
    arch_functional_tf2.h5 MODEL_ALL with class_name "Functional" (tf.keras >= 2.4 spelling)
    arch_nested.h5         a functional model using a nested functional model and a nested
                           Sequential model as layers (weights grouped under the nested models'
                           names, as Keras writes them); arch_nested.input.npy / .output.npy
    arch_bad_json.h5       model_config that is not JSON

tests/data/forward4/real12/        only when /work/shared/keras/ exists (the real Keras 2.2.4 files
    of mayank31313/CNN-Autoencoder model 12): an independent numpy forward of their weights.
    encoder_input.u8   raw bytes, shape (1, 360, 640, 3) C order, pixel value = byte (0..255)
    decoder_input.u8   raw bytes, shape (1, 230400), value = 2 * byte (the latent code is 20..700)
    <model>.stats.npy  per layer, in model order: [sum, sum |y|, max, min] of the layer output
    <model>.index.npy  flat indices (C order, within the one sample) of a strided subsample of the
                       model output: every STRIDE-th value starting at OFFSET
    <model>.values.npy those output values
    for <model> in encoder (12-encoder.h5), decoder (12-decoder.h5), autoencoder
    (12-autoencoder-weights.h5 applied to encoder_input.u8).
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

import keras_numpy as kn  # noqa: E402
from keras_h5_layout import write_keras_h5  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "forward4"))
H5_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "h5"))
REAL_DIR = "/work/shared/keras"
MAX_TOTAL_BYTES = 2 * 1024 * 1024


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def case_rng(name):
    return np.random.default_rng(zlib.crc32(name.encode("ascii")))


def save(d, fname, arr):
    arr = np.asarray(arr, dtype=np.float64)
    assert np.all(np.isfinite(arr)), (d, fname)
    np.save(os.path.join(d, fname), arr)


def write_json(path, doc):
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


# ---------------------------------------------------------------------------------------------
# one layer: forward and weights from a (type, config) description
# ---------------------------------------------------------------------------------------------

WEIGHTED = ("Dense", "Conv2D", "Conv2DTranspose", "BatchNormalization")


def bn_roles(cfg):
    roles = []
    if cfg.get("scale", True):
        roles.append("gamma")
    if cfg.get("center", True):
        roles.append("beta")
    return roles + ["moving_mean", "moving_variance"]


def make_weights(kind, cfg, in_shape, rng, scale=None):
    """Random weights in Keras's shapes, as an ordered list of (role, array)."""
    if kind == "BatchNormalization":
        c = in_shape[-1]
        out = []
        for role in bn_roles(cfg):
            if role == "gamma":
                v = rng.uniform(0.5, 1.5, c) * rng.choice([-1.0, 1.0], c, p=[0.2, 0.8])
            elif role == "beta":
                v = rng.standard_normal(c) * 0.3
            elif role == "moving_mean":
                v = rng.standard_normal(c) * 0.5
            else:
                v = rng.uniform(0.3, 2.0, c)
            out.append((role, f32(v)))
        return out
    if kind == "Dense":
        kshape = (in_shape[-1], cfg["units"])
        fan = in_shape[-1]
        nb = cfg["units"]
    else:
        kh, kw = cfg["kernel_size"]
        if kind == "Conv2D":
            kshape = (kh, kw, in_shape[-1], cfg["filters"])
            fan = kh * kw * in_shape[-1]
        else:
            kshape = (kh, kw, cfg["filters"], in_shape[-1])
            sh, sw = cfg["strides"]
            fan = -(-kh // sh) * -(-kw // sw) * in_shape[-1]
        nb = cfg["filters"]
    s = scale if scale is not None else 1.0 / np.sqrt(fan)
    out = [("kernel", f32(rng.standard_normal(kshape) * s))]
    if cfg.get("use_bias", True):
        out.append(("bias", f32(rng.standard_normal(nb) * 0.2)))
    return out


def forward_layer(kind, cfg, x, weights):
    """Returns (pre-activation or None, output)."""
    w = dict(weights or [])
    if kind == "InputLayer":
        return None, kn.linear(x)
    if kind == "Dense":
        z = kn.dense(x, w["kernel"], w.get("bias"))
    elif kind == "Conv2D":
        z = kn.conv2d(x, w["kernel"], cfg["strides"], cfg["padding"], w.get("bias"))
    elif kind == "Conv2DTranspose":
        z = kn.conv2d_transpose(x, w["kernel"], cfg["strides"], cfg["padding"], w.get("bias"))
    elif kind == "BatchNormalization":
        return None, kn.batch_normalization(x, w["moving_mean"], w["moving_variance"], w.get("gamma"),
                                            w.get("beta"), cfg.get("epsilon", kn.BN_EPSILON))
    elif kind == "Activation":
        return None, kn.activate(cfg["activation"], x)
    elif kind == "ReLU":
        return None, kn.relu_layer(x, cfg.get("max_value"), cfg.get("negative_slope", 0.0),
                                   cfg.get("threshold", 0.0))
    elif kind == "MaxPooling2D":
        return None, kn.max_pooling2d(x, cfg["pool_size"], cfg.get("strides"), cfg["padding"])
    elif kind == "AveragePooling2D":
        return None, kn.average_pooling2d(x, cfg["pool_size"], cfg.get("strides"), cfg["padding"])
    elif kind == "GlobalAveragePooling2D":
        return None, kn.global_average_pooling2d(x)
    elif kind == "UpSampling2D":
        return None, kn.up_sampling2d(x, cfg["size"])
    elif kind == "ZeroPadding2D":
        return None, kn.zero_padding2d(x, cfg["padding"])
    elif kind == "Cropping2D":
        return None, kn.cropping2d(x, cfg["cropping"])
    elif kind == "Flatten":
        return None, kn.flatten(x)
    elif kind == "Reshape":
        return None, kn.reshape(x, cfg["target_shape"])
    elif kind in ("Dropout", "SpatialDropout2D"):
        return None, kn.dropout(x)
    else:
        raise ValueError(kind)
    return z, kn.activate(cfg.get("activation", "linear"), z)


# ---------------------------------------------------------------------------------------------
# single-layer cases
# ---------------------------------------------------------------------------------------------

BATCH = 2

SINGLE_CASES = [
    # name, input shape, type, config, input scale / offset
    ("bn_default", (4, 5, 3), "BatchNormalization", {"epsilon": 1e-3, "center": True, "scale": True}),
    ("bn_no_scale", (3, 4, 2), "BatchNormalization", {"epsilon": 1e-2, "center": True, "scale": False}),
    ("bn_no_center", (3, 3, 4), "BatchNormalization", {"epsilon": 1e-5, "center": False, "scale": True}),
    ("bn_vector", (6,), "BatchNormalization", {"epsilon": 1e-3, "center": True, "scale": True}),
    ("maxpool_valid_2x2", (5, 6, 2), "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}),
    ("maxpool_valid_3x2_s1", (4, 5, 2), "MaxPooling2D", {"pool_size": [3, 2], "strides": [1, 1], "padding": "valid"}),
    ("maxpool_same_3x3_s2", (5, 6, 2), "MaxPooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}),
    ("maxpool_same_2x3_s1x2", (4, 5, 1), "MaxPooling2D", {"pool_size": [2, 3], "strides": [1, 2], "padding": "same"}),
    # all inputs negative: a padded zero must never win the max
    ("maxpool_same_negative", (5, 5, 2), "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "same"}),
    ("avgpool_valid_2x2", (5, 6, 2), "AveragePooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}),
    ("avgpool_same_2x2_odd", (5, 7, 2), "AveragePooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "same"}),
    ("avgpool_same_3x3_s2", (6, 5, 3), "AveragePooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}),
    ("avgpool_same_3x2_s1", (4, 4, 1), "AveragePooling2D", {"pool_size": [3, 2], "strides": [1, 1], "padding": "same"}),
    ("gap", (3, 4, 5), "GlobalAveragePooling2D", {}),
    ("upsampling_2x2", (2, 3, 2), "UpSampling2D", {"size": [2, 2]}),
    ("upsampling_3x1", (2, 2, 3), "UpSampling2D", {"size": [3, 1]}),
    ("zeropad_sym", (3, 4, 2), "ZeroPadding2D", {"padding": [[1, 1], [1, 1]]}),
    ("zeropad_asym", (3, 4, 2), "ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}),
    ("crop_sym", (6, 7, 2), "Cropping2D", {"cropping": [[1, 1], [1, 1]]}),
    ("crop_asym", (6, 7, 2), "Cropping2D", {"cropping": [[2, 0], [1, 3]]}),
    ("relu_plain", (3, 4, 2), "ReLU", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
    ("relu_max6", (3, 4, 2), "ReLU", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
    ("relu_slope_threshold", (3, 4, 2), "ReLU", {"max_value": None, "negative_slope": 0.1, "threshold": 0.5}),
    ("relu_all", (10,), "ReLU", {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.25}),
]


def single_input(name, in_shape, rng):
    x = rng.standard_normal((BATCH,) + tuple(in_shape))
    if name == "maxpool_same_negative":
        x = -np.abs(x) - 0.1
    if name.startswith("relu"):
        x = x * 4.0
    x = f32(x)
    if name.startswith("relu"):
        # stay away from the kinks (threshold, max_value), where Keras's backend and its docs
        # disagree (strict vs non-strict comparison) and a derivative is undefined
        for k in (0.0, 0.25, 0.5, 2.0, 6.0):
            assert np.min(np.abs(x - k)) > 1e-3, (name, k)
    return x


def make_single_cases():
    for name, in_shape, kind, cfg in SINGLE_CASES:
        d = os.path.join(OUT_DIR, name)
        os.makedirs(d)
        rng = case_rng(name)
        x = single_input(name, in_shape, rng)
        weights = make_weights(kind, cfg, in_shape, rng) if kind in WEIGHTED else []
        z, y = forward_layer(kind, cfg, x, weights)
        save(d, "input.npy", x)
        for role, v in weights:
            save(d, f"l.{role}.npy", v)
        save(d, "l.out.npy", y)
        write_json(os.path.join(d, "model.json"), {"case": name, "layers": [
            {"name": "l", "type": kind, "input": "input", "input_shape": list(in_shape),
             "output_shape": list(y.shape[1:]), "config": cfg}]})
        if name == "relu_max6":
            assert np.any(x > 6) and np.any(x < 0), name
        if name == "relu_all":
            assert np.any(x > 2) and np.any(x < 0.25) and np.any((x > 0.25) & (x < 2)), name


# ---------------------------------------------------------------------------------------------
# the model with every new layer
# ---------------------------------------------------------------------------------------------

ALL_BATCH = 3

MODEL_ALL = [
    # name, type, config (Keras's own field names)
    ("input_1", "InputLayer", {"shape": [12, 12, 2]}),
    ("conv2d_1", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
                            "activation": "linear", "use_bias": True}),
    ("batch_normalization_1", "BatchNormalization", {"epsilon": 1e-3, "center": True, "scale": True}),
    ("activation_1", "Activation", {"activation": "relu"}),
    ("max_pooling2d_1", "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}),
    ("zero_padding2d_1", "ZeroPadding2D", {"padding": [[1, 0], [1, 2]]}),
    ("conv2d_2", "Conv2D", {"filters": 5, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                            "activation": "linear", "use_bias": True}),
    ("re_lu_1", "ReLU", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
    ("average_pooling2d_1", "AveragePooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}),
    ("up_sampling2d_1", "UpSampling2D", {"size": [2, 3]}),
    ("cropping2d_1", "Cropping2D", {"cropping": [[1, 0], [2, 1]]}),
    ("conv2d_transpose_1", "Conv2DTranspose", {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2],
                                               "padding": "same", "activation": "linear", "use_bias": True}),
    ("global_average_pooling2d_1", "GlobalAveragePooling2D", {}),
    ("dense_1", "Dense", {"units": 2, "activation": "softmax", "use_bias": True}),
]

# weight scales that keep every layer informative: conv2d_2's outputs must cross both 0 and 6
WEIGHT_SCALE = {"conv2d_2": 1.2}

INIT = {"class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}
ONES = {"class_name": "Ones", "config": {}}


def keras_layer_config(name, kind, cfg):
    """The `config` dict Keras 2.2.4's get_config() writes for one layer (key order included)."""
    if kind == "InputLayer":
        return {"batch_input_shape": [None] + list(cfg["shape"]), "dtype": "float32", "sparse": False,
                "name": name}
    c = {"name": name, "trainable": True}
    if kind in ("Conv2D", "Conv2DTranspose"):
        c.update({"filters": cfg["filters"], "kernel_size": cfg["kernel_size"], "strides": cfg["strides"],
                  "padding": cfg["padding"], "data_format": "channels_last", "dilation_rate": [1, 1],
                  "activation": cfg["activation"], "use_bias": cfg["use_bias"], "kernel_initializer": INIT,
                  "bias_initializer": ZEROS, "kernel_regularizer": None, "bias_regularizer": None,
                  "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None})
        if kind == "Conv2DTranspose":
            c["output_padding"] = None
    elif kind == "Dense":
        c.update({"units": cfg["units"], "activation": cfg["activation"], "use_bias": cfg["use_bias"],
                  "kernel_initializer": INIT, "bias_initializer": ZEROS, "kernel_regularizer": None,
                  "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                  "bias_constraint": None})
    elif kind == "BatchNormalization":
        c.update({"axis": -1, "momentum": 0.99, "epsilon": cfg["epsilon"], "center": cfg["center"],
                  "scale": cfg["scale"], "beta_initializer": ZEROS, "gamma_initializer": ONES,
                  "moving_mean_initializer": ZEROS, "moving_variance_initializer": ONES,
                  "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                  "gamma_constraint": None})
    elif kind == "Activation":
        c["activation"] = cfg["activation"]
    elif kind == "ReLU":
        c.update({"max_value": cfg["max_value"], "negative_slope": cfg["negative_slope"],
                  "threshold": cfg["threshold"]})
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        c.update({"pool_size": cfg["pool_size"], "padding": cfg["padding"], "strides": cfg["strides"],
                  "data_format": "channels_last"})
    elif kind in ("GlobalAveragePooling2D", "Flatten"):
        c["data_format"] = "channels_last"
    elif kind == "UpSampling2D":
        c.update({"size": cfg["size"], "data_format": "channels_last"})
    elif kind == "ZeroPadding2D":
        c.update({"padding": cfg["padding"], "data_format": "channels_last"})
    elif kind == "Cropping2D":
        c.update({"cropping": cfg["cropping"], "data_format": "channels_last"})
    elif kind == "Reshape":
        c["target_shape"] = cfg["target_shape"]
    elif kind == "Dropout":
        c.update({"rate": cfg["rate"], "noise_shape": None, "seed": None})
    elif kind == "SpatialDropout2D":
        c.update({"rate": cfg["rate"], "noise_shape": None, "seed": None})
    else:
        raise ValueError(kind)
    return c


def functional_config(model_name, layers, class_name="Model"):
    """Keras 2.2.4 Network.get_config() for a chain (each layer reads the one before)."""
    out, prev = [], None
    for name, kind, cfg in layers:
        out.append({"name": name, "class_name": kind, "config": keras_layer_config(name, kind, cfg),
                    "inbound_nodes": [] if prev is None else [[[prev, 0, 0, {}]]]})
        prev = name
    return {"class_name": class_name, "config": {
        "name": model_name, "layers": out, "input_layers": [[layers[0][0], 0, 0]],
        "output_layers": [[layers[-1][0], 0, 0]]}}


def sequential_config(model_name, layers):
    """Keras 2.2.4 Sequential.get_config(): no InputLayer; the first layer carries
    batch_input_shape and dtype right after name and trainable."""
    assert layers[0][1] == "InputLayer"
    shape = layers[0][2]["shape"]
    out = []
    for i, (name, kind, cfg) in enumerate(layers[1:]):
        c = keras_layer_config(name, kind, cfg)
        if i == 0:
            c = dict([("name", c.pop("name")), ("trainable", c.pop("trainable")),
                      ("batch_input_shape", [None] + list(shape)), ("dtype", "float32")] + list(c.items()))
        out.append({"class_name": kind, "config": c})
    return {"class_name": "Sequential", "config": {"name": model_name, "layers": out}}


def h5_layers(layers, weights):
    """(group name, [(weight name, float32 array)]) in model order, as Keras lists them."""
    out = []
    for name, _kind, _cfg in layers:
        out.append((name, [(f"{name}/{role}:0", v.astype(np.float32)) for role, v in weights.get(name, [])]))
    return out


def run_chain(layers, x, weights):
    outs, pres = {}, {}
    a = x
    for name, kind, cfg in layers:
        z, a = forward_layer(kind, cfg, a, weights.get(name))
        outs[name] = a
        if z is not None and cfg.get("activation", "linear") != "linear":
            pres[name] = z
    return outs, pres


def make_model_all():
    d = os.path.join(OUT_DIR, "all_new")
    os.makedirs(d)
    rng = case_rng("all_new")
    x = f32(rng.standard_normal((ALL_BATCH, 12, 12, 2)))
    weights, a = {}, x
    for name, kind, cfg in MODEL_ALL:
        if kind in WEIGHTED:
            weights[name] = make_weights(kind, cfg, a.shape[1:], rng, WEIGHT_SCALE.get(name))
        a = forward_layer(kind, cfg, a, weights.get(name))[1]
    outs, pres = run_chain(MODEL_ALL, x, weights)
    save(d, "input.npy", x)
    for name, kind, cfg in MODEL_ALL:
        for role, v in weights.get(name, []):
            save(d, f"{name}.{role}.npy", v)
        if name in pres:
            save(d, f"{name}.preact.npy", pres[name])
        save(d, f"{name}.out.npy", outs[name])
    shapes = {n: list(outs[n].shape[1:]) for n, _k, _c in MODEL_ALL}
    write_json(os.path.join(d, "model.json"), {"case": "all_new", "layers": [
        {"name": n, "type": k, "output_shape": shapes[n], "config": c} for n, k, c in MODEL_ALL]})
    write_keras_h5(os.path.join(d, "weights.h5"), h5_layers(MODEL_ALL, weights), model_save=True,
                   model_config=functional_config("model_1", MODEL_ALL))

    # every layer does something: ReLU(6) clips at both ends, BN is not the identity, the softmax
    # is not saturated, the max pool sees no ties (positive inputs after ReLU are distinct)
    z2 = outs["conv2d_2"]
    assert np.any(z2 > 6) and np.any(z2 < 0), "conv2d_2 should cross 0 and 6"
    assert 0.05 < outs["dense_1"].max() < 0.95
    print("all_new shapes:", {n: tuple(s) for n, s in shapes.items()})
    print(f"  conv2d_2 outputs: {np.mean(z2 > 6):.2f} above 6, {np.mean(z2 < 0):.2f} below 0")

    # architecture fixtures with the same layers and weights
    write_keras_h5(os.path.join(H5_DIR, "arch_sequential.h5"), h5_layers(MODEL_ALL, weights),
                   model_save=True, model_config=sequential_config("sequential_1", MODEL_ALL))
    write_keras_h5(os.path.join(H5_DIR, "arch_functional_tf2.h5"), h5_layers(MODEL_ALL, weights),
                   model_save=True, model_config=functional_config("model_1", MODEL_ALL, "Functional"))
    write_keras_h5(os.path.join(H5_DIR, "arch_weights_only.h5"), h5_layers(MODEL_ALL, weights))
    write_keras_h5(os.path.join(H5_DIR, "arch_bad_json.h5"), h5_layers(MODEL_ALL, weights),
                   model_save=True, model_config='{"class_name": "Model", "config": {"layers": [')
    return x, outs


# ---------------------------------------------------------------------------------------------
# nested models
# ---------------------------------------------------------------------------------------------

NESTED_OUTER = [("input_1", "InputLayer", {"shape": [8, 8, 1]}),
                ("conv2d_1", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                                        "padding": "same", "activation": "relu", "use_bias": True})]
NESTED_ENCODER = [("input_2", "InputLayer", {"shape": [8, 8, 4]}),
                  ("max_pooling2d_1", "MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}),
                  ("conv2d_2", "Conv2D", {"filters": 6, "kernel_size": [3, 3], "strides": [1, 1],
                                          "padding": "valid", "activation": "relu", "use_bias": True})]
NESTED_HEAD = [("input_3", "InputLayer", {"shape": [2, 2, 6]}),
               ("flatten_1", "Flatten", {}),
               ("dense_1", "Dense", {"units": 3, "activation": "softmax", "use_bias": True})]


def make_nested():
    """input_1 -> conv2d_1 -> encoder (a functional Model: max_pooling2d_1, conv2d_2) ->
    head (a Sequential: flatten_1, dense_1)."""
    rng = case_rng("arch_nested")
    x = f32(rng.standard_normal((2, 8, 8, 1)))
    flat = NESTED_OUTER + NESTED_ENCODER[1:] + NESTED_HEAD[1:]
    weights, a = {}, x
    for name, kind, cfg in flat:
        if kind in WEIGHTED:
            weights[name] = make_weights(kind, cfg, a.shape[1:], rng)
        a = forward_layer(kind, cfg, a, weights.get(name))[1]
    outs, _ = run_chain(flat, x, weights)

    enc = functional_config("encoder", NESTED_ENCODER)
    head = sequential_config("head", NESTED_HEAD)
    outer = functional_config("model_1", NESTED_OUTER)
    outer["config"]["layers"].append({"name": "encoder", "class_name": "Model", "config": enc["config"],
                                      "inbound_nodes": [[["conv2d_1", 0, 0, {}]]]})
    outer["config"]["layers"].append({"name": "head", "class_name": "Sequential", "config": head["config"],
                                      "inbound_nodes": [[["encoder", 1, 0, {}]]]})
    outer["config"]["output_layers"] = [["head", 1, 0]]

    def group(nested_name, names):
        return (nested_name, [(f"{n}/{role}:0", v.astype(np.float32)) for n in names for role, v in weights.get(n, [])])

    layers = [("input_1", []), ("conv2d_1", [(f"conv2d_1/{r}:0", v.astype(np.float32)) for r, v in weights["conv2d_1"]]),
              group("encoder", ["max_pooling2d_1", "conv2d_2"]), group("head", ["flatten_1", "dense_1"])]
    write_keras_h5(os.path.join(H5_DIR, "arch_nested.h5"), layers, model_save=True, model_config=outer)
    save(H5_DIR, "arch_nested.input.npy", x)
    save(H5_DIR, "arch_nested.output.npy", outs["dense_1"])


# ---------------------------------------------------------------------------------------------
# real Keras files (optional)
# ---------------------------------------------------------------------------------------------

ENCODER = [("input_1", "InputLayer", {"shape": [360, 640, 3]}),
           ("conv2d_1", "Conv2D", {"filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                   "activation": "linear", "use_bias": True}),
           ("activation_1", "Activation", {"activation": "relu"}),
           ("average_pooling2d_1", "AveragePooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "same"}),
           ("conv2d_2", "Conv2D", {"filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                   "activation": "linear", "use_bias": True}),
           ("activation_2", "Activation", {"activation": "relu"}),
           ("average_pooling2d_2", "AveragePooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "same"}),
           ("flatten_1", "Flatten", {})]
DECODER = [("input_2", "InputLayer", {"shape": [230400]}),
           ("reshape_1", "Reshape", {"target_shape": [90, 160, 16]}),
           ("conv2d_transpose_1", "Conv2DTranspose", {"filters": 16, "kernel_size": [3, 3], "strides": [2, 2],
                                                      "padding": "same", "activation": "linear", "use_bias": True}),
           ("activation_3", "Activation", {"activation": "relu"}),
           ("conv2d_transpose_2", "Conv2DTranspose", {"filters": 3, "kernel_size": [3, 3], "strides": [2, 2],
                                                      "padding": "same", "activation": "linear", "use_bias": True}),
           ("re_lu_1", "ReLU", {"max_value": 255.0, "negative_slope": 0.0, "threshold": 0.0})]

SUBSAMPLE = {"encoder": (7, 97), "decoder": (3, 331), "autoencoder": (11, 331)}  # (offset, stride)
DECODER_INPUT_SCALE = 2.0


def read_real_weights(path, names):
    """{layer: [(role, float64 array)]} read with h5py, following weight_names (nested included)."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        for group_name in root.attrs["layer_names"]:
            g = root[group_name.decode()]
            for wn in g.attrs["weight_names"]:
                wn = wn.decode()
                layer = wn.split("/")[0]
                role = wn.split("/")[-1].split(":")[0]
                assert layer in names, (path, wn)
                out.setdefault(layer, []).append((role, np.asarray(g[wn], dtype=np.float64)))
    return out


def real_config_check(path, layers):
    """The file's model_config names exactly our layer list (names, types, main fields)."""
    import h5py

    with h5py.File(path, "r") as f:
        mc = f.attrs["model_config"]
    mc = json.loads(mc.decode() if isinstance(mc, bytes) else mc)
    got = [(l["name"], l["class_name"]) for l in mc["config"]["layers"]]
    assert got == [(n, k) for n, k, _ in layers], got
    for l, (_n, _k, cfg) in zip(mc["config"]["layers"], layers):
        for key, v in cfg.items():
            if key == "shape":
                assert l["config"]["batch_input_shape"][1:] == v
            else:
                assert l["config"][key] == v, (l["name"], key, l["config"][key], v)


def write_real(d, model, layers, x, weights):
    outs, _ = run_chain(layers, x, weights)
    stats = np.array([[o.sum(), np.abs(o).sum(), o.max(), o.min()] for o in (outs[n] for n, _k, _c in layers[1:])])
    save(d, f"{model}.stats.npy", stats)
    y = outs[layers[-1][0]].reshape(-1)
    offset, stride = SUBSAMPLE[model]
    idx = np.arange(offset, y.size, stride)
    save(d, f"{model}.index.npy", idx.astype(np.float64))
    save(d, f"{model}.values.npy", y[idx])
    print(f"  {model}: output {outs[layers[-1][0]].shape}, {idx.size} sampled values, "
          f"per-layer [sum, sum|y|, max, min]:")
    for (n, _k, _c), s in zip(layers[1:], stats):
        print(f"    {n:22s} " + " ".join(f"{v:14.6g}" for v in s))
    return outs


def make_real():
    if not os.path.isdir(REAL_DIR):
        print(f"no {REAL_DIR}: real Keras fixtures not written")
        return
    d = os.path.join(OUT_DIR, "real12")
    os.makedirs(d)
    real_config_check(os.path.join(REAL_DIR, "12-encoder.h5"), ENCODER)
    real_config_check(os.path.join(REAL_DIR, "12-decoder.h5"), DECODER)
    rng = case_rng("real12")
    enc_bytes = rng.integers(0, 256, size=(1, 360, 640, 3), dtype=np.uint8)
    dec_bytes = rng.integers(0, 256, size=(1, 230400), dtype=np.uint8)
    enc_bytes.tofile(os.path.join(d, "encoder_input.u8"))
    dec_bytes.tofile(os.path.join(d, "decoder_input.u8"))
    xe = enc_bytes.astype(np.float64)
    xd = dec_bytes.astype(np.float64) * DECODER_INPUT_SCALE

    names = {n for n, _k, _c in ENCODER + DECODER}
    we = read_real_weights(os.path.join(REAL_DIR, "12-encoder.h5"), names)
    wd = read_real_weights(os.path.join(REAL_DIR, "12-decoder.h5"), names)
    wa = read_real_weights(os.path.join(REAL_DIR, "12-autoencoder-weights.h5"), names)
    print("real Keras model 12 (numpy forward of the files' weights):")
    write_real(d, "encoder", ENCODER, xe, we)
    write_real(d, "decoder", DECODER, xd, wd)
    write_real(d, "autoencoder", ENCODER + DECODER[1:], xe, wa)


# ---------------------------------------------------------------------------------------------
# cross-check against torch (independent implementation), if it imports
# ---------------------------------------------------------------------------------------------


def torch_crosscheck():
    try:
        import torch
        import torch.nn.functional as F
    except Exception:  # pragma: no cover
        print("torch not available: skipping the torch cross-check")
        return
    worst = 0.0
    for name, in_shape, kind, cfg in SINGLE_CASES:
        d = os.path.join(OUT_DIR, name)
        x = np.load(os.path.join(d, "input.npy"))
        y = np.load(os.path.join(d, "l.out.npy"))
        xt = torch.from_numpy(x)
        if kind in ("MaxPooling2D", "AveragePooling2D"):
            kh, kw = cfg["pool_size"]
            sh, sw = cfg["strides"]
            _, pt, pb = kn.conv_geometry(in_shape[0], kh, sh, cfg["padding"])
            _, pl, pr = kn.conv_geometry(in_shape[1], kw, sw, cfg["padding"])
            xc = xt.permute(0, 3, 1, 2)
            if kind == "MaxPooling2D":
                yt = F.max_pool2d(F.pad(xc, (pl, pr, pt, pb), value=-np.inf), (kh, kw), (sh, sw))
            else:
                s = F.avg_pool2d(F.pad(xc, (pl, pr, pt, pb)), (kh, kw), (sh, sw), divisor_override=1)
                n = F.avg_pool2d(F.pad(torch.ones_like(xc), (pl, pr, pt, pb)), (kh, kw), (sh, sw),
                                 divisor_override=1)
                yt = s / n
            yt = yt.permute(0, 2, 3, 1)
        elif kind == "BatchNormalization":
            w = {r: torch.from_numpy(np.load(os.path.join(d, f"l.{r}.npy"))) for r in bn_roles(cfg)}
            xc = xt.reshape(-1, in_shape[-1])
            yt = F.batch_norm(xc, w["moving_mean"], w["moving_variance"], w.get("gamma"), w.get("beta"),
                              training=False, eps=cfg["epsilon"]).reshape(xt.shape)
        elif kind == "UpSampling2D":
            yt = F.interpolate(xt.permute(0, 3, 1, 2), scale_factor=tuple(cfg["size"]),
                               mode="nearest").permute(0, 2, 3, 1)
        elif kind == "GlobalAveragePooling2D":
            yt = F.adaptive_avg_pool2d(xt.permute(0, 3, 1, 2), 1).reshape(BATCH, -1)
        elif kind == "ReLU":
            mv = cfg["max_value"]
            yt = torch.where(xt > cfg["threshold"], xt if mv is None else torch.clamp(xt, max=mv),
                             cfg["negative_slope"] * (xt - cfg["threshold"]))
        else:
            continue
        worst = max(worst, float(np.max(np.abs(yt.numpy() - y))))
    print(f"torch cross-check of pooling / BN / upsampling / ReLU layers: max |diff| = {worst:.3g}")
    assert worst < 1e-12


def main():
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)
    for f in os.listdir(H5_DIR):
        if f.startswith("arch_"):
            os.remove(os.path.join(H5_DIR, f))
    make_single_cases()
    make_model_all()
    make_nested()
    torch_crosscheck()
    make_real()
    total = 0
    for root, _dirs, files in os.walk(OUT_DIR):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    arch = sum(os.path.getsize(os.path.join(H5_DIR, f)) for f in os.listdir(H5_DIR) if f.startswith("arch_"))
    print(f"total fixture size: {total} bytes in forward4/, {arch} bytes in h5/arch_*")
    assert total < MAX_TOTAL_BYTES, total


if __name__ == "__main__":
    main()

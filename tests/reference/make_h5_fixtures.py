"""Make the small Keras-layout HDF5 fixtures of tests/hdf5/ (written into tests/data/h5/).

Run from anywhere with /usr/bin/python3 (h5py, numpy); output is deterministic, so rerunning it
leaves `git status` clean. The C++ tests (tests/hdf5/keras_h5_test.cpp) know the values through
the same formulas, written next to each array below:

  mock model          layer      role    shape           values (C order, i = flat index)
  dense-like          dense_1    kernel  (4, 3)          0.5 * i - 2
                                 bias    (3,)            i + 0.25
  weightless          act        -
  conv-transpose-like deconv     kernel  (2, 2, 2, 3)    0.25 * i - 3    ([kh, kw, out, in])
                                 bias    (2,)            2 * i - 1
  float64 file: dense_1 kernel i / 3, bias i / 7 (not representable in float32, so a double
  model sees the exact double and a float model the rounded one).
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from keras_h5_layout import write_keras_h5  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "h5")


def dense_kernel(dtype=np.float32):
    return (0.5 * np.arange(12) - 2).reshape(4, 3).astype(dtype)


def dense_bias(dtype=np.float32):
    return (np.arange(3) + 0.25).astype(dtype)


def deconv_kernel(dtype=np.float32):
    return (0.25 * np.arange(24) - 3).reshape(2, 2, 2, 3).astype(dtype)


def deconv_bias(dtype=np.float32):
    return (2 * np.arange(2) - 1).astype(dtype)


def dense(name="dense_1", inner=None, kernel=None, bias=None):
    inner = inner or name
    return (name, [(inner + "/kernel:0", dense_kernel() if kernel is None else kernel),
                   (inner + "/bias:0", dense_bias() if bias is None else bias)])


def deconv(name="deconv", kernel=None):
    return (name, [(name + "/kernel:0", deconv_kernel() if kernel is None else kernel),
                   (name + "/bias:0", deconv_bias())])


def standard():
    return [("input_1", []), dense(), ("act", []), deconv()]


MODEL_CONFIG = {
    "class_name": "Model",
    "config": {
        "name": "mock",
        "layers": [
            {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}},
            {"name": "dense_1", "class_name": "Dense", "config": {"units": 3}},
            {"name": "act", "class_name": "Activation", "config": {"activation": "relu"}},
            {"name": "deconv", "class_name": "Conv2DTranspose", "config": {"filters": 2}},
        ],
    },
}


def path(name):
    return os.path.join(OUT, name)


def main():
    os.makedirs(OUT, exist_ok=True)

    # The two layouts, same weights.
    write_keras_h5(path("save_weights.h5"), standard())
    write_keras_h5(path("model_save.h5"), standard(), model_save=True, model_config=MODEL_CONFIG)

    # Inner group name != layer name, as TensorFlow name scopes produce: group dense_1 holds
    # output/dense_3/kernel:0.
    write_keras_h5(path("inner_name.h5"),
                   [("input_1", []), dense(inner="output/dense_3"), ("act", []), deconv()])

    # Nested model: model_2 holds deconv's arrays and an inner layer no C++ layer has (dense_9);
    # dense_extra is a top-level layer no C++ layer has. Both end up in LoadReport::extra.
    extra = np.zeros((2, 2), np.float32)
    write_keras_h5(path("nested.h5"), [
        ("input_1", []),
        dense(),
        ("model_2", [("deconv/kernel:0", deconv_kernel()), ("deconv/bias:0", deconv_bias()),
                     ("dense_9/kernel:0", extra)]),
        ("dense_extra", [("dense_extra/kernel:0", extra)]),
    ])

    # deconv both as a top-level group and inside a nested model: ambiguous.
    write_keras_h5(path("duplicate.h5"), [
        dense(), deconv(),
        ("model_2", [("deconv/kernel:0", deconv_kernel()), ("deconv/bias:0", deconv_bias())]),
    ])

    # float64 arrays (Keras with floatx='float64').
    write_keras_h5(path("float64.h5"), [
        ("input_1", []),
        dense(kernel=np.arange(12, dtype=np.float64).reshape(4, 3) / 3,
              bias=np.arange(3, dtype=np.float64) / 7),
        ("act", []),
        deconv(kernel=deconv_kernel(np.float64)),
    ])
    # A float64 value too large for float: fine for a double model, an error for a float model.
    big = dense_kernel(np.float64)
    big[1, 2] = 1e300
    write_keras_h5(path("float64_overflow.h5"), [dense(kernel=big), deconv()])

    # Bad dtypes.
    write_keras_h5(path("int32.h5"), [dense(kernel=np.arange(12, dtype=np.int32).reshape(4, 3)), deconv()])
    write_keras_h5(path("float16.h5"), [dense(bias=dense_bias(np.float16)), deconv()])

    # A NaN at deconv kernel [0, 1, 1, 2] (flat index 11).
    nan = deconv_kernel()
    nan[0, 1, 1, 2] = np.nan
    write_keras_h5(path("nan.h5"), [dense(), deconv(kernel=nan)])

    # Wrong shape: dense_1 kernel (5, 3) instead of (4, 3).
    write_keras_h5(path("wrong_shape.h5"),
                   [dense(kernel=(0.5 * np.arange(15) - 2).reshape(5, 3).astype(np.float32)), deconv()])

    # dense_1 without its bias.
    write_keras_h5(path("missing_bias.h5"), [("dense_1", [("dense_1/kernel:0", dense_kernel())]), deconv()])

    # Name lists split into layer_names0, layer_names1, ... as Keras does for huge models
    # (forced here with a tiny header limit).
    write_keras_h5(path("split_names.h5"), standard(), header_limit=20)

    # Valid HDF5, but not a Keras weight file.
    import h5py
    with h5py.File(path("not_keras.h5"), "w") as f:
        f.create_dataset("x", data=np.zeros(3, np.float32))


if __name__ == "__main__":
    main()

"""Write HDF5 files in the Keras 2.x weight layout, without Keras.

Keras is not available where innspect's fixtures are made, so this module writes what Keras 2.2.4
writes (`keras/engine/saving.py`: `save_weights_to_hdf5_group`, `save_model`), checked against
real files (/work/shared/keras/*.h5) with `h5dump -A`:

    /                                   attrs: layer_names, backend, keras_version   (save_weights)
    /                                   attrs: keras_version, backend, model_config  (save)
    /model_weights                      attrs: layer_names, backend, keras_version   (save)
    <root>/<layer_name>                 attr:  weight_names
    <root>/<layer_name>/<weight_name>   dataset, e.g. conv1/conv1/kernel:0

Attribute types, as Keras writes them through h5py:
  * layer_names, weight_names: 1-D fixed-length byte strings (H5T_STR_NULLPAD, ASCII), the length
    being the longest name; an empty list becomes an empty float64 array (that is what
    `np.array([])` is), which is what weightless layers carry.
  * backend, keras_version, model_config: scalar variable-length ASCII strings (Keras encodes them
    to bytes before storing).
  * datasets: contiguous, the array's own dtype, shape as in Keras (kernels [.., in, out];
    Conv2DTranspose kernels [kh, kw, out, in]).

A list attribute larger than HDF5's object header limit is split by Keras into `name0`, `name1`,
...; `_save_attributes` mirrors that (`header_limit` is a parameter only so tests can exercise it).

Run with /usr/bin/python3 (needs h5py and numpy).
"""

import json

import h5py
import numpy as np

#: Keras's own constant: HDF5 object headers cannot hold attributes larger than this.
HDF5_OBJECT_HEADER_LIMIT = 64512

KERAS_VERSION = "2.2.4"
BACKEND = "tensorflow"

_VLEN_ASCII = h5py.string_dtype(encoding="ascii")


def _set_scalar_string(obj, name, text):
    """A scalar variable-length ASCII string, as h5py stores Keras's `str.encode('utf8')`."""
    obj.attrs.create(name, text.encode("utf8"), dtype=_VLEN_ASCII)


def _save_attributes(group, name, data, header_limit=HDF5_OBJECT_HEADER_LIMIT):
    """Keras's `save_attributes_to_hdf5_group`: a list of byte strings as one fixed-length string
    array, split into chunks `name0`, `name1`, ... when it would not fit in an object header."""
    bad = [x for x in data if len(x) > header_limit]
    if bad:
        raise RuntimeError("names longer than %d bytes cannot be saved: %r" % (header_limit, bad))
    data_npy = np.asarray(data)  # [] -> float64 (0,), as in real Keras files
    num_chunks = 1
    chunked = np.array_split(data_npy, num_chunks)
    while any(x.nbytes > header_limit for x in chunked):
        num_chunks += 1
        chunked = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for i, chunk in enumerate(chunked):
            group.attrs["%s%d" % (name, i)] = chunk
    else:
        group.attrs[name] = data_npy


def _save_weights_to_group(root, layers, header_limit):
    """Keras's `save_weights_to_hdf5_group`."""
    _save_attributes(root, "layer_names", [n.encode("utf8") for n, _ in layers], header_limit)
    _set_scalar_string(root, "backend", BACKEND)
    _set_scalar_string(root, "keras_version", KERAS_VERSION)
    for layer_name, weights in layers:
        g = root.create_group(layer_name)
        names = [w.encode("utf8") for w, _ in weights]
        _save_attributes(g, "weight_names", names, header_limit)
        for weight_name, value in weights:
            value = np.asarray(value)
            # A weight name holding "/" creates the inner groups, as h5py does for Keras.
            dset = g.create_dataset(weight_name, value.shape, dtype=value.dtype)
            if value.shape:
                dset[:] = value
            else:
                dset[()] = value


def write_keras_h5(path, layers, *, model_save=False, model_config=None,
                   header_limit=HDF5_OBJECT_HEADER_LIMIT):
    """Write `layers` to `path` in the Keras 2.x layout.

    layers: list of (layer_name, [(weight_name, np.ndarray), ...]) in model order; weight_name
    like 'conv1/kernel:0' (the dataset goes to <root>/<layer_name>/<weight_name>; for a nested
    model use layer_name='model_2' and weight names 'conv2d_transpose_1/kernel:0', ...).
    Weightless layers: []. Arrays keep their dtype (float32, float64, or a wrong one on purpose).

    model_save=False -> the model.save_weights() layout (root group holds attrs layer_names,
    backend, keras_version); model_save=True -> the model.save() layout (same under
    /model_weights, root attr model_config = JSON string if given (a dict is serialised),
    plus keras_version/backend).
    """
    with h5py.File(path, "w") as f:
        if model_save:
            _set_scalar_string(f, "keras_version", KERAS_VERSION)
            _set_scalar_string(f, "backend", BACKEND)
            if model_config is not None:
                if not isinstance(model_config, str):
                    model_config = json.dumps(model_config)
                _set_scalar_string(f, "model_config", model_config)
            _save_weights_to_group(f.create_group("model_weights"), layers, header_limit)
        else:
            if model_config is not None:
                raise ValueError("model.save_weights() files carry no model_config")
            _save_weights_to_group(f, layers, header_limit)

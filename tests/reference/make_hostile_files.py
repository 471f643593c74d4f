"""Make the hostile (malformed or malicious) input files of tests/hdf5/hostile_h5.cpp and
tests/io/npy_hostile.cpp, written into tests/data/hostile/ (issue 9, "Hostile files").

Run from anywhere with /usr/bin/python3 (h5py, numpy); output is deterministic. Every file is
small. The HDF5 files start from the mock model of make_h5_fixtures.py (dense_1: kernel (4, 3),
bias (3,); act: no weights; deconv: kernel (2, 2, 2, 3), bias (2,)) and break one thing each:

  weight names that leave the layer's group  abs_weight_name, abs_weight_name_model_save,
                                             dotdot_weight_name, dot_weight_name,
                                             empty_component, dangling_weight_name
  links and data from elsewhere              soft_link_weight, external_link_weight,
                                             soft_link_layer, external_storage, virtual_dataset
                                             (+ external_target.h5 / external_raw.bin they name)
  wrong object kinds                         group_as_weight, dataset_as_layer, model_weights_dataset
  wrong dtypes / dataspaces                  string_kernel, compound_kernel, bool_kernel, int64_kernel,
                                             null_dataspace, wrong_rank, zero_size, huge_declared
  attributes                                 nul_in_layer_name, nul_in_weight_name,
                                             non_utf8_layer_name, int_layer_names, layer_names_2d,
                                             abs_layer_name, dotdot_layer_name, model_config_nul,
                                             vlen_layer_names
  npy headers                                npy_*.npy (see NPY below)

abs_weight_name.h5 is the heap-overflow case of the issue: dense_1's weight_names holds
"/s/kernel:0". Looked up from group dense_1, HDF5 resolves it from the root: /s/kernel:0, shape
(4, 3), which passes the shape check. The loader before the fix then read the path
"/dense_1//s/kernel:0", i.e. /dense_1/s/kernel:0 of shape (40, 40), into a buffer of 12 values.
"""

import os
import struct
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from keras_h5_layout import write_keras_h5  # noqa: E402
from make_h5_fixtures import MODEL_CONFIG, dense_bias, dense_kernel, standard  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "hostile")


def path(name):
    return os.path.join(OUT, name)


def base(name, **kw):
    """The standard mock file; returns its path for further damage."""
    p = path(name)
    if os.path.exists(p):
        os.remove(p)
    write_keras_h5(p, standard(), **kw)
    return p


def set_names(obj, attr, names):
    """A Keras name list (fixed-length NULLPAD byte strings), bytes kept as given."""
    del obj.attrs[attr]
    obj.attrs[attr] = np.array(names)


def replace(group, name, **create):
    del group[name]
    return group.create_dataset(name, **create)


def hdf5_files():
    # ---- weight names that leave the layer's group --------------------------------------
    with h5py.File(base("abs_weight_name.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"/s/kernel:0", b"dense_1/bias:0"])
        f.create_dataset("s/kernel:0", data=dense_kernel())              # checked (4, 3)
        f.create_dataset("dense_1/s/kernel:0", data=np.full((40, 40), 7, np.float32))  # read before
    with h5py.File(base("abs_weight_name_model_save.h5", model_save=True, model_config=MODEL_CONFIG), "r+") as f:
        g = f["model_weights"]
        set_names(g["dense_1"], "weight_names", [b"/s/kernel:0", b"dense_1/bias:0"])
        f.create_dataset("s/kernel:0", data=dense_kernel())
        g.create_dataset("dense_1/s/kernel:0", data=np.full((40, 40), 7, np.float32))
    with h5py.File(base("dotdot_weight_name.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"../deconv/deconv/bias:0", b"dense_1/bias:0"])
    with h5py.File(base("dot_weight_name.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"./dense_1/kernel:0", b"dense_1/bias:0"])
    with h5py.File(base("empty_component.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"dense_1//kernel:0", b"dense_1/bias:0"])
    with h5py.File(base("dangling_weight_name.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"dense_1/kernel:0", b"dense_1/gone:0"])

    # ---- links and data from elsewhere --------------------------------------------------
    target = path("external_target.h5")
    if os.path.exists(target):
        os.remove(target)
    with h5py.File(target, "w") as f:
        f.create_dataset("kernel", data=np.full((4, 3), 9, np.float32))
    with open(path("external_raw.bin"), "wb") as raw:
        raw.write(np.full((4, 3), 9, np.float32).tobytes())
    with h5py.File(base("soft_link_weight.h5"), "r+") as f:
        f.create_dataset("elsewhere/kernel", data=np.full((4, 3), 9, np.float32))
        del f["dense_1/dense_1/kernel:0"]
        f["dense_1/dense_1/kernel:0"] = h5py.SoftLink("/elsewhere/kernel")
    with h5py.File(base("external_link_weight.h5"), "r+") as f:
        del f["dense_1/dense_1/kernel:0"]
        f["dense_1/dense_1/kernel:0"] = h5py.ExternalLink("external_target.h5", "/kernel")
    with h5py.File(base("soft_link_layer.h5"), "r+") as f:
        f.move("dense_1", "hidden_dense_1")
        f["dense_1"] = h5py.SoftLink("/hidden_dense_1")
    with h5py.File(base("external_storage.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", shape=(4, 3), dtype=np.float32,
                external=[("external_raw.bin", 0, 48)])
    with h5py.File(base("virtual_dataset.h5"), "r+") as f:
        # Low-level API: h5py's create_virtual_dataset stores creation times (not reproducible).
        del f["dense_1/dense_1/kernel:0"]
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        space = h5py.h5s.create_simple((4, 3))
        dcpl.set_virtual(space, b"external_target.h5", b"kernel", h5py.h5s.create_simple((4, 3)))
        h5py.h5d.create(f["dense_1/dense_1"].id, b"kernel:0", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)

    # ---- wrong object kinds -------------------------------------------------------------
    with h5py.File(base("group_as_weight.h5"), "r+") as f:
        del f["dense_1/dense_1/kernel:0"]
        f["dense_1/dense_1"].create_group("kernel:0")
    with h5py.File(base("dataset_as_layer.h5"), "r+") as f:
        del f["dense_1"]
        f.create_dataset("dense_1", data=dense_kernel())
    with h5py.File(base("model_weights_dataset.h5", model_save=True, model_config=MODEL_CONFIG), "r+") as f:
        del f["model_weights"]
        f.create_dataset("model_weights", data=np.zeros(3, np.float32))

    # ---- wrong dtypes and dataspaces (dense_1's kernel, C++ expects float (4, 3)) -------
    kernel = "dense_1/dense_1/kernel:0"
    with h5py.File(base("string_kernel.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=np.full((4, 3), b"ab", "S2"))
    with h5py.File(base("compound_kernel.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=np.zeros((4, 3), [("a", "<f4"), ("b", "<f4")]))
    with h5py.File(base("bool_kernel.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=np.ones((4, 3), bool))
    with h5py.File(base("int64_kernel.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=np.arange(12, dtype=np.int64).reshape(4, 3))
    with h5py.File(base("null_dataspace.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=h5py.Empty("<f4"))
    with h5py.File(base("wrong_rank.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", data=dense_kernel().reshape(12))
    with h5py.File(base("zero_size.h5"), "r+") as f:
        replace(f["dense_1/dense_1"], "kernel:0", shape=(0, 3), dtype=np.float32)
    with h5py.File(base("huge_declared.h5"), "r+") as f:
        # 2^40 x 2^20 float32 = 4 PiB declared; chunked and never written, so the file is small.
        replace(f["dense_1/dense_1"], "kernel:0", shape=(1 << 40, 1 << 20), dtype=np.float32,
                chunks=(1, 1024))
    assert kernel  # (documentation of which dataset the block above replaces)

    # ---- attributes --------------------------------------------------------------------
    with h5py.File(base("nul_in_layer_name.h5"), "r+") as f:
        set_names(f, "layer_names", [b"input_1", b"dense_1\x00evil", b"act", b"deconv"])
    with h5py.File(base("nul_in_weight_name.h5"), "r+") as f:
        set_names(f["dense_1"], "weight_names", [b"dense_1/kernel:0\x00x", b"dense_1/bias:0"])
    with h5py.File(base("non_utf8_layer_name.h5"), "r+") as f:
        set_names(f, "layer_names", [b"input_1", b"dense_\xff1", b"act", b"deconv"])
    with h5py.File(base("int_layer_names.h5"), "r+") as f:
        del f.attrs["layer_names"]
        f.attrs["layer_names"] = np.arange(4, dtype=np.int32)
    with h5py.File(base("layer_names_2d.h5"), "r+") as f:
        set_names(f, "layer_names", [[b"input_1", b"dense_1"], [b"act", b"deconv"]])
    with h5py.File(base("abs_layer_name.h5"), "r+") as f:
        set_names(f, "layer_names", [b"input_1", b"/dense_1", b"act", b"deconv"])
    with h5py.File(base("dotdot_layer_name.h5"), "r+") as f:
        set_names(f, "layer_names", [b"input_1", b"dense_1/..", b"act", b"deconv"])
    with h5py.File(base("model_config_nul.h5", model_save=True), "r+") as f:
        # A fixed-length string with a NUL inside: a C string would silently stop at the NUL.
        f.attrs["model_config"] = np.array(b'{"class_name": "Model"}\x00{"evil": 1}')
    with h5py.File(base("vlen_layer_names.h5"), "r+") as f:
        # Variable-length strings (HDF5's global heap), as h5py stores a list of str; Keras never does.
        del f.attrs["layer_names"]
        f.attrs.create("layer_names", ["input_1", "dense_1", "act", "deconv"], dtype=h5py.string_dtype("utf-8"))


# ---- NPY ---------------------------------------------------------------------------------
def npy_bytes(header, data=b"", major=1):
    """An .npy file from a header dict text, padded like numpy's to a multiple of 64 bytes."""
    header = header.encode("latin1") if isinstance(header, str) else header
    pre = 6 + 2 + (2 if major == 1 else 4)
    total = pre + len(header) + 1
    header += b" " * ((64 - total % 64) % 64) + b"\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + data


NPY = {
    # shapes whose product overflows 64 bits, or that declare terabytes in a tiny file
    "npy_overflow_shape.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }"),
    "npy_huge_shape.npy": npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"),
    "npy_huge_dim.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
    "npy_too_many_dims.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 100 + "), }",
                                       b"\0\0\0\0"),
    "npy_negative_dim.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
    "npy_float_dim.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", b"\0" * 8),
    # data that does not match the header
    "npy_truncated_data.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 23),
    "npy_trailing_data.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 25),
    "npy_header_past_end.npy": b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'",
    "npy_no_header_end.npy": b"\x93NUMPY\x01\x00\x40\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
    # dtypes and orders the reader refuses
    "npy_int32.npy": npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", b"\0" * 8),
    "npy_bool.npy": npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", b"\0" * 2),
    "npy_complex.npy": npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    "npy_big_endian.npy": npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    "npy_object.npy": npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
    "npy_structured.npy": npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 4),
    "npy_fortran.npy": npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", b"\0" * 24),
    # header text the parser must refuse
    "npy_non_ascii_header.npy": npy_bytes(b"{'descr': '<f4\xff', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4),
    "npy_nul_in_header.npy": npy_bytes(b"{'descr': '<f4\x00', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4),
    "npy_bad_version.npy": b"\x93NUMPY\x07\x00" + npy_bytes("{}")[8:],
    "npy_not_npy.npy": b"\x89PNG\r\n\x1a\n\0\0\0\0",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    hdf5_files()
    for name, data in NPY.items():
        with open(path(name), "wb") as f:
            f.write(data)
    # Which of them numpy itself reads (for the record: innspect refuses all of them).
    lenient = []
    for name in NPY:
        try:
            np.load(path(name), allow_pickle=False)
        except Exception:  # noqa: BLE001 - any refusal is fine
            continue
        lenient.append(name)
    print("numpy %s reads %s; innspect refuses every file" % (np.__version__, ", ".join(lenient)))

if __name__ == "__main__":
    main()

"""Writes the .npy fixtures that tests/io/npy.cpp reads, with numpy itself as the writer.

Run from anywhere:  /usr/bin/python3 tests/reference/make_npy_fixtures.py
Output: tests/data/npy/*.npy (small; committed together with this script).

Every value follows a rule the C++ test recomputes, so no expected values are stored twice:

    ramp file:   a.flat[k] == 0.5 * k - 1        (exact in float32 and float64)

Files:
    f4_1d.npy, f8_2d.npy, f4_3d.npy, f8_4d.npy   ramps of shapes (5,), (2, 3), (2, 3, 4), (2, 1, 3, 2)
    f4_empty.npy                                 float32 of shape (0, 3)
    f8_0d.npy                                    a 0-d float64 holding 2.5
    f8_v2.npy, f4_v3.npy                         ramp (2, 3) written as format 2.0 / 3.0
    f4_nonfinite.npy                             [nan, inf, -inf, -0.0, 1.5]
    f8_rounding.npy                              [0.1, 1/3, 1e300, -1e300, 1e-50]: float64 values that
                                                 are rounded (or overflow to +-inf, or underflow to 0)
                                                 when read as float32
    bad_fortran.npy                              ramp (2, 3) stored in Fortran order
    bad_i8.npy                                   int64 arange(3) ('<i8')
    bad_be_f4.npy                                big-endian float32 ramp (3,) ('>f4')

The files written with np.save (format 1.0) are also the reference for the C++ writer: the test
writes the same arrays and compares the bytes. They were generated with numpy 1.24.2; a numpy that
formats headers differently would show up there, not as a reader failure.
"""

from __future__ import annotations

import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "npy"


def ramp(shape, dtype):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.5 - 1.0).astype(dtype).reshape(shape)


def save(name, array):
    path = OUT / name
    np.save(path, array, allow_pickle=False)
    back = np.load(path, allow_pickle=False)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=back.dtype.kind == "f")


def save_version(name, array, version):
    path = OUT / name
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)
    with open(path, "rb") as f:
        assert np.lib.format.read_magic(f) == version
    assert np.array_equal(np.load(path), array)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    save("f4_1d.npy", ramp((5,), "<f4"))
    save("f8_2d.npy", ramp((2, 3), "<f8"))
    save("f4_3d.npy", ramp((2, 3, 4), "<f4"))
    save("f8_4d.npy", ramp((2, 1, 3, 2), "<f8"))
    save("f4_empty.npy", np.zeros((0, 3), dtype="<f4"))
    save("f8_0d.npy", np.array(2.5, dtype="<f8"))
    save_version("f8_v2.npy", ramp((2, 3), "<f8"), (2, 0))
    save_version("f4_v3.npy", ramp((2, 3), "<f4"), (3, 0))
    save("f4_nonfinite.npy", np.array([np.nan, np.inf, -np.inf, -0.0, 1.5], dtype="<f4"))
    save("f8_rounding.npy", np.array([0.1, 1.0 / 3.0, 1e300, -1e300, 1e-50], dtype="<f8"))

    fortran = np.asfortranarray(ramp((2, 3), "<f8"))
    save("bad_fortran.npy", fortran)
    with open(OUT / "bad_fortran.npy", "rb") as f:
        np.lib.format.read_magic(f)
        _, fortran_order, _ = np.lib.format.read_array_header_1_0(f)
    assert fortran_order, "np.save must have kept the Fortran order"
    save("bad_i8.npy", np.arange(3, dtype="<i8"))
    save("bad_be_f4.npy", ramp((3,), ">f4"))
    print(f"wrote {len(list(OUT.glob('*.npy')))} files to {OUT} with numpy {np.__version__}")


if __name__ == "__main__":
    main()

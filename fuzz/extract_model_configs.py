#!/usr/bin/python3
"""Writes the root `model_config` attribute (a JSON string) of every HDF5 file given to OUT_DIR,
one file per config, named after the file's path: seeds for fuzz_model_config.

    extract_model_configs.py OUT_DIR ROOT FILE.h5...

Files without a model_config, or that h5py cannot open (hostile fixtures), are skipped.
Needs h5py (Debian: python3-h5py)."""
import os
import sys

import h5py


def main() -> int:
    out, root, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in files:
        try:
            with h5py.File(path, "r") as f:
                cfg = f.attrs.get("model_config")
        except Exception:  # hostile or damaged fixtures
            continue
        if cfg is None:
            continue
        data = cfg if isinstance(cfg, bytes) else str(cfg).encode("utf-8", "surrogateescape")
        name = os.path.relpath(path, root).replace("/", "_") + ".json"
        with open(os.path.join(out, name), "wb") as g:
            g.write(data)
        n += 1
    print(f"extract_model_configs: {n} model_config strings from {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Make tests/data/h5/seed16_other_strides.h5: a copy of the W = 16 seed model's file
(tests/data/forward/seed16/weights.h5) whose model_config says conv1 has strides (2, 1) instead of
(1, 1). Such a model's weights have the very same shapes, so only the architecture check can tell
the file from the seed model: innspect-connectome must refuse it, naming conv1 and the strides
(tests/cli: cli.error.architecture.*).

Run with Debian's /usr/bin/python3 (python3-h5py) from the repository root."""
import json
import shutil

import h5py

SRC = "tests/data/forward/seed16/weights.h5"
DST = "tests/data/h5/seed16_other_strides.h5"

with h5py.File(SRC, "r") as f:
    raw = f.attrs["model_config"]
config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
(conv1,) = [l for l in config["config"]["layers"] if l["name"] == "conv1"]
assert conv1["config"]["strides"] in ([1, 1], (1, 1)), conv1["config"]["strides"]
conv1["config"]["strides"] = [2, 1]
shutil.copyfile(SRC, DST)
with h5py.File(DST, "r+") as f:
    f.attrs["model_config"] = json.dumps(config).encode()
print("wrote", DST)

"""Make tests/data/h5/seed16_other_strides.h5: the W = 16 seed model's model_config
(tests/data/forward/seed16/weights.h5) with conv1's strides changed from (1, 1) to (2, 1), and no
weights. The weights of such a model would have the very same shapes, so only the architecture
check can tell the file from the seed model: innspect-connectome must refuse it, naming conv1 and
the strides, before it reads any weight (tests/cli: cli.error.architecture).

Run with Debian's /usr/bin/python3 (python3-h5py) from the repository root."""
import json

import h5py

SRC = "tests/data/forward/seed16/weights.h5"
DST = "tests/data/h5/seed16_other_strides.h5"

with h5py.File(SRC, "r") as f:
    raw = f.attrs["model_config"]
config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
(conv1,) = [l for l in config["config"]["layers"] if l["name"] == "conv1"]
assert conv1["config"]["strides"] in ([1, 1], (1, 1)), conv1["config"]["strides"]
conv1["config"]["strides"] = [2, 1]
with h5py.File(DST, "w") as f:
    f.attrs["model_config"] = json.dumps(config).encode()
    f.attrs["keras_version"] = b"2.2.4"
    f.attrs["backend"] = b"tensorflow"
print("wrote", DST)

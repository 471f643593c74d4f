"""Make the fixtures of the generator's error and --until tests (tests/generator/), written into
tests/data/generator/, from tests/data/keras3/ae.keras (make_keras3_fixtures.py) with zipfile only.

The generator reads a file's config; these archives keep ae.keras's metadata.json and
model.weights.h5 (so they open as .keras files) and change config.json:

  vae_encoder.keras  a VAE encoder as Keras's VAE example builds it: image -> enc_conv1 -> enc_bn
                     -> enc_conv2 -> flat -> z_mean Dense 6, z_log_var Dense 6 (both read flat)
                     -> sampling, a custom layer (class Sampling, registered "Custom>Sampling")
                     reading [z_mean, z_log_var]. `--until z_mean` must declare the first five.
  lambda.keras       ae.keras with a Lambda layer "scale" between flat and code.

Run from the repository root: python3 tests/reference/make_generator_fixtures.py
"""
import copy
import json
import os
import zipfile

SRC = "tests/data/keras3/ae.keras"
OUT = "tests/data/generator"


def node(name, shape):
    return {"args": [{"class_name": "__keras_tensor__",
                      "config": {"shape": [None] + shape, "dtype": "float32", "keras_history": [name, 0, 0]}}],
            "kwargs": {}}


def write(path, config, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("metadata.json", members["metadata.json"])
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", members["model.weights.h5"])


def main():
    os.makedirs(OUT, exist_ok=True)
    with zipfile.ZipFile(SRC) as z:
        members = {n: z.read(n) for n in z.namelist()}
    ae = json.loads(members["config.json"])
    layers = {l["name"]: l for l in ae["config"]["layers"]}

    # The VAE encoder.
    vae = copy.deepcopy(ae)
    keep = [copy.deepcopy(layers[n]) for n in ["image", "enc_conv1", "enc_bn", "enc_conv2", "flat"]]
    for name in ["z_mean", "z_log_var"]:
        d = copy.deepcopy(layers["code"])
        d["name"] = d["config"]["name"] = name
        keep.append(d)
    keep.append({"module": None, "class_name": "Sampling", "config": {"name": "sampling", "trainable": True,
                                                                       "dtype": "float32"},
                 "registered_name": "Custom>Sampling", "name": "sampling",
                 "inbound_nodes": [{"args": [[node("z_mean", [6])["args"][0], node("z_log_var", [6])["args"][0]]],
                                    "kwargs": {}}]})
    vae["config"]["name"] = "encoder"
    vae["config"]["layers"] = keep
    vae["config"]["output_layers"] = [["z_mean", 0, 0], ["z_log_var", 0, 0], ["sampling", 0, 0]]
    write(os.path.join(OUT, "vae_encoder.keras"), vae, members)

    # A Lambda layer.
    lam = copy.deepcopy(ae)
    out = []
    for l in lam["config"]["layers"]:
        out.append(l)
        if l["name"] == "flat":
            out.append({"module": "keras.layers", "class_name": "Lambda",
                        "config": {"name": "scale", "trainable": True, "dtype": "float32",
                                   "function": {"class_name": "__lambda__", "config": {"code": "...", "defaults": None,
                                                                                       "closure": None}},
                                   "arguments": {}},
                        "registered_name": None, "name": "scale", "inbound_nodes": [node("flat", [32])]})
        if l["name"] == "code":
            l["inbound_nodes"] = [node("scale", [32])]
    lam["config"]["layers"] = out
    write(os.path.join(OUT, "lambda.keras"), lam, members)


if __name__ == "__main__":
    main()

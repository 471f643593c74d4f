"""Make the fixtures of the generator's error and --until tests (tests/generator/), written into
tests/data/generator/, from tests/data/keras3/ae.keras (make_keras3_fixtures.py) with zipfile only.

The generator reads a file's config; these archives keep ae.keras's metadata.json and
model.weights.h5 (so they open as .keras files) and change config.json:

  vae_encoder.keras  a VAE encoder as Keras's VAE example builds it: image -> enc_conv1 -> enc_bn
                     -> enc_conv2 -> flat -> z_mean Dense 6, z_log_var Dense 6 (both read flat)
                     -> sampling, a custom layer (class Sampling, registered "Custom>Sampling")
                     reading [z_mean, z_log_var]. `--until z_mean` must declare the first five.
  lambda.keras       ae.keras with a Lambda layer "scale" between flat and code.
  graph_<g>.keras    the graphs of tests/data/graph/<g>/model.json (make_graph_fixtures.py: unet,
                     residual, conv1d) as Keras 3 Functional configs (merges read lists of
                     tensors); graph_unet_shuffled.keras lists the U-Net's layers out of order
                     (not what Keras writes: the generator must still order them).
  seed16_two_heads.keras  the seed model (design.md §7) at W = 16 with the decoder reading the
                     latent code (reshape1), as tests/data/forward/seed16_latent: the generator
                     must write From<"reshape1", ...>.

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

    graphs(members)
    seed16_two_heads(members)


def functional(name, input_shape, layers):
    """A Keras 3 Functional config from (name, class, inputs, config) tuples; "input" = the input."""
    def tensor(src):
        return node("image" if src == "input" else src, [])["args"][0]
    out = [{"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(input_shape), "dtype": "float32", "name": "image"},
            "registered_name": None, "name": "image", "inbound_nodes": []}]
    for lname, cls, inputs, cfg in layers:
        cfg = dict(cfg, name=lname)
        args = [tensor(inputs[0])] if len(inputs) == 1 else [[tensor(i) for i in inputs]]
        out.append({"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None,
                    "name": lname, "inbound_nodes": [{"args": args, "kwargs": {}}]})
    last = layers[-1][0]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": out, "input_layers": ["image", 0, 0],
                       "output_layers": [last, 0, 0]},
            "registered_name": "Functional"}


ACTIVATED = {"Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "Dense", "Activation"}


def graphs(members):
    for g in ["unet", "residual", "conv1d"]:
        with open(f"tests/data/graph/{g}/model.json") as f:
            m = json.load(f)
        layers = []
        for l in m["layers"]:
            cfg = dict(l["config"])
            if l["type"] in ACTIVATED:
                cfg["activation"] = l["activation"]
            layers.append((l["name"], l["type"], l["inputs"], cfg))
        write(os.path.join(OUT, f"graph_{g}.keras"), functional(g, m["input_shape"], layers), members)
        if g == "unet":
            # reconstruction first, skip before up1, residual before dec1: every layer still reads
            # layers that exist, but not in an order a C++ declaration can follow.
            order = ["reconstruction", "enc1", "enc2", "pool1", "skip", "bottleneck", "residual", "up1", "dec1"]
            by_name = {l[0]: l for l in layers}
            shuffled = [by_name[n] for n in order]
            config = functional(g, m["input_shape"], shuffled)
            config["config"]["output_layers"] = ["reconstruction", 0, 0]
            write(os.path.join(OUT, "graph_unet_shuffled.keras"), config, members)


def seed16_two_heads(members):
    W = 16
    conv = lambda f, k, act: {"filters": f, "kernel_size": k, "strides": [1, 1], "padding": "valid",
                              "activation": act, "use_bias": True}
    layers = [
        ("conv1", "Conv2D", ["input"], conv(32, [1, W], "selu")),
        ("dropout1", "SpatialDropout2D", ["conv1"], {"rate": 0.2}),
        ("conv2", "Conv2D", ["dropout1"], conv(64, [W, 1], "selu")),
        ("dropout2", "Dropout", ["conv2"], {"rate": 0.2}),
        ("reshape1", "Reshape", ["dropout2"], {"target_shape": [64]}),
        ("dense1", "Dense", ["reshape1"], {"units": 64, "activation": "selu", "use_bias": True}),
        ("output", "Dense", ["dense1"], {"units": 2, "activation": "softmax", "use_bias": True}),
        ("dense2", "Dense", ["reshape1"], {"units": 64, "activation": "selu", "use_bias": True}),
        ("reshape2", "Reshape", ["dense2"], {"target_shape": [1, 1, 64]}),
        ("conv3", "Conv2DTranspose", ["reshape2"], conv(64, [1, 1], "selu")),
        ("conv4", "Conv2DTranspose", ["conv3"], conv(32, [W, 1], "selu")),
        ("autoencoder", "Conv2DTranspose", ["conv4"], conv(1, [1, W], "tanh")),
    ]
    config = functional("seed16_two_heads", [W, W, 1], layers)
    config["config"]["output_layers"] = [["output", 0, 0], ["autoencoder", 0, 0]]
    write(os.path.join(OUT, "seed16_two_heads.keras"), config, members)


if __name__ == "__main__":
    main()

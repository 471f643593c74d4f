"""The seed model of design.md §7 in PyTorch, its Keras 2.2.4 model_config, and the export of
its weights to Keras layouts.

PyTorch works in NCHW; Keras in NHWC. The layer semantics are the same (cross-correlation, no
kernel flip; a transposed convolution is the adjoint of the convolution with the same kernel),
so only the weight layouts differ:

  Conv2D           torch [out, in, kh, kw]  -> Keras [kh, kw, in, out]   permute(2, 3, 1, 0)
  Conv2DTranspose  torch [in, out, kh, kw]  -> Keras [kh, kw, out, in]   permute(2, 3, 1, 0)
  Dense            torch [units, in]        -> Keras [in, units]         transpose
  biases unchanged.

The two Reshape layers act on 1x1 spatial maps, so torch's flatten of (64, 1, 1) and Keras's
C-order reshape of (1, 1, 64) give the same 64-vector order.
"""

import torch
from torch import nn

W = 90
DROPOUT1 = 0.2  # SpatialDropout2D rate
DROPOUT2 = 0.2  # Dropout rate


class SeedModel(nn.Module):
    """input (N,1,W,W) -> conv1 (1,W) -> SpatialDropout2D -> conv2 (W,1) -> Dropout -> reshape1
    -> dense1 -> output (softmax) -> dense2 -> reshape2 -> conv3 (1,1)^T -> conv4 (W,1)^T
    -> autoencoder (1,W)^T, tanh. dense2 reads the softmax probabilities."""

    def __init__(self, w=W):
        super().__init__()
        self.w = w
        self.conv1 = nn.Conv2d(1, 32, (1, w))
        self.dropout1 = nn.Dropout2d(DROPOUT1)  # drops whole channels = SpatialDropout2D
        self.conv2 = nn.Conv2d(32, 64, (w, 1))
        self.dropout2 = nn.Dropout(DROPOUT2)
        self.dense1 = nn.Linear(64, 64)
        self.output = nn.Linear(64, 2)
        self.dense2 = nn.Linear(2, 64)
        self.conv3 = nn.ConvTranspose2d(64, 64, (1, 1))
        self.conv4 = nn.ConvTranspose2d(64, 32, (w, 1))
        self.autoencoder = nn.ConvTranspose2d(32, 1, (1, w))
        self.act = nn.SELU()
        self._init()

    def _init(self):
        # LeCun normal (Keras VarianceScaling(1, fan_in, normal) as used with SELU), zero biases.
        # fan_in = inputs feeding one output unit (for the transposed convs on these shapes:
        # conv3 64, conv4 64 (its input is 1x1, one kernel tap per output), autoencoder 32).
        fan = {"conv1": W, "conv2": W * 32, "dense1": 64, "output": 64, "dense2": 2,
               "conv3": 64, "conv4": 64, "autoencoder": 32}
        for name, f in fan.items():
            m = getattr(self, name)
            nn.init.normal_(m.weight, 0.0, f ** -0.5)
            nn.init.zeros_(m.bias)

    def forward(self, x, fast=False):
        """x: (N, 1, W, W). Returns (logits, probabilities, reconstruction (N, 1, W, W)).

        fast=False runs the nn.Conv2d / nn.ConvTranspose2d modules themselves (the reference
        semantics). fast=True computes the same five convolutions as matrix products on the same
        parameters (on these shapes every convolution is one: each kernel spans its whole input
        axis, or the input is 1x1); torch's CPU ConvTranspose2d is ~20x slower here, so training
        uses fast=True. verify_export checks both paths against each other and against the
        numpy Keras reference.
        """
        n, w = x.shape[0], self.w
        if fast:
            h = x[:, 0] @ self.conv1.weight[:, 0, 0, :].t() + self.conv1.bias  # (N, W, 32)
            h = self.act(h).transpose(1, 2).unsqueeze(3)                        # (N, 32, W, 1)
        else:
            h = self.act(self.conv1(x))           # (N, 32, W, 1)
        h = self.dropout1(h)
        if fast:
            h = h.reshape(n, -1) @ self.conv2.weight.reshape(64, -1).t() + self.conv2.bias
            h = self.act(h).reshape(n, 64, 1, 1)
        else:
            h = self.act(self.conv2(h))           # (N, 64, 1, 1)
        h = self.dropout2(h)                      # the latent code ("encoded")
        h = h.reshape(n, 64)                      # reshape1
        h = self.act(self.dense1(h))
        logits = self.output(h)
        probs = torch.softmax(logits, dim=1)      # `output`
        d = self.act(self.dense2(probs))          # dense2 reads `output`
        if fast:
            d = self.act(d @ self.conv3.weight[:, :, 0, 0] + self.conv3.bias)        # (N, 64)
            d = d @ self.conv4.weight.reshape(64, -1)                                 # (N, 32*W)
            d = self.act(d.reshape(n, 32, w) + self.conv4.bias[:, None])             # (N, 32, W)
            r = d.transpose(1, 2) @ self.autoencoder.weight[:, 0, 0, :]              # (N, W, W)
            rec = torch.tanh(r + self.autoencoder.bias).unsqueeze(1)                  # (N, 1, W, W)
        else:
            d = d.reshape(n, 64, 1, 1)            # reshape2
            d = self.act(self.conv3(d))           # (N, 64, 1, 1)
            d = self.act(self.conv4(d))           # (N, 32, W, 1)
            rec = torch.tanh(self.autoencoder(d))  # (N, 1, W, W)
        return logits, probs, rec


# (name, Keras class, inbound layer, config) in model order
def keras_layers(w=W):
    conv = lambda f, k, act: {"filters": f, "kernel_size": list(k), "strides": [1, 1],
                              "padding": "valid", "activation": act, "use_bias": True}
    dense = lambda u, act: {"units": u, "activation": act, "use_bias": True}
    return [
        ("input_1", "InputLayer", None, {"shape": [w, w, 1]}),
        ("conv1", "Conv2D", "input_1", conv(32, (1, w), "selu")),
        ("dropout1", "SpatialDropout2D", "conv1", {"rate": DROPOUT1}),
        ("conv2", "Conv2D", "dropout1", conv(64, (w, 1), "selu")),
        ("dropout2", "Dropout", "conv2", {"rate": DROPOUT2}),
        ("reshape1", "Reshape", "dropout2", {"target_shape": [64]}),
        ("dense1", "Dense", "reshape1", dense(64, "selu")),
        ("output", "Dense", "dense1", dense(2, "softmax")),
        ("dense2", "Dense", "output", dense(64, "selu")),
        ("reshape2", "Reshape", "dense2", {"target_shape": [1, 1, 64]}),
        ("conv3", "Conv2DTranspose", "reshape2", conv(64, (1, 1), "selu")),
        ("conv4", "Conv2DTranspose", "conv3", conv(32, (w, 1), "selu")),
        ("autoencoder", "Conv2DTranspose", "conv4", conv(1, (1, w), "tanh")),
    ]


def _initializers():
    return {
        "kernel_initializer": {"class_name": "VarianceScaling", "config": {
            "scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }


def keras_model_config(w=W, model_name="model_1"):
    """A Keras 2.2.4 functional `Model` config, as model.save() writes it (key order as Keras)."""
    out = []
    for name, kind, src, cfg in keras_layers(w):
        if kind == "InputLayer":
            conf = {"batch_input_shape": [None] + cfg["shape"], "dtype": "float32",
                    "sparse": False, "name": name}
        else:
            conf = {"name": name, "trainable": True}
            if kind in ("Conv2D", "Conv2DTranspose"):
                conf.update({"filters": cfg["filters"], "kernel_size": cfg["kernel_size"],
                             "strides": cfg["strides"], "padding": cfg["padding"]})
                conf.update({"data_format": "channels_last", "dilation_rate": [1, 1],
                             "activation": cfg["activation"], "use_bias": cfg["use_bias"]})
                conf.update(_initializers())
                if kind == "Conv2DTranspose":  # Keras 2.2.4 appends it after the Conv2D keys
                    conf["output_padding"] = None
            elif kind == "Dense":
                conf.update({"units": cfg["units"], "activation": cfg["activation"],
                             "use_bias": cfg["use_bias"]})
                conf.update(_initializers())
            elif kind in ("Dropout", "SpatialDropout2D"):
                # Keras 2.2.4's SpatialDropout2D has no get_config of its own: Dropout's keys
                conf.update({"rate": cfg["rate"], "noise_shape": None, "seed": None})
            elif kind == "Reshape":
                conf["target_shape"] = cfg["target_shape"]
        out.append({"name": name, "class_name": kind, "config": conf,
                    "inbound_nodes": [] if src is None else [[[src, 0, 0, {}]]]})
    return {"class_name": "Model", "config": {
        "name": model_name, "layers": out,
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["output", 0, 0], ["autoencoder", 0, 0]]}}


def keras_weights(model):
    """[(layer_name, [(weight_name, float32 array in Keras layout), ...]), ...] in model order,
    weightless layers with [] (what keras_h5_layout.write_keras_h5 takes)."""
    layers = []
    for name, kind, _src, _cfg in keras_layers(model.w):
        if kind in ("Conv2D", "Conv2DTranspose", "Dense"):
            m = getattr(model, name)
            k = m.weight.detach().cpu()
            k = k.t() if kind == "Dense" else k.permute(2, 3, 1, 0)
            k = k.contiguous().numpy().astype("float32")
            b = m.bias.detach().cpu().numpy().astype("float32")
            layers.append((name, [(f"{name}/kernel:0", k), (f"{name}/bias:0", b)]))
        else:
            layers.append((name, []))
    return layers

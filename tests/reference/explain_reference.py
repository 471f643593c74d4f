"""Independent numpy reference of innspect's explanations (LRP rules, composites, gradient family).

Written from /work/shared/design.md (§4 rule math, §6 targets, §7 seed model), not from the C++
code. The approach is deliberately different from the library's (which runs every rule through
a layer's `apply` / `apply_transposed`): every linear layer of a model is first turned into an
explicit dense matrix M (n_in × n_out, flat channels-last indices, C order) and a flat bias b
(n_out), by applying the numpy Keras forward reference (keras_numpy.py) to the basis vectors
with the bias off. Each rule is then a plain matrix formula over (x, M, b, z):

    z_j = Σ_i x_i M_ij + b_j
    z rule        R_i = x_i Σ_j M_ij R_j / z_j,  neurons with z_j = 0 pass nothing
    epsilon(ε)    R_i = x_i Σ_j M_ij R_j / (z_j + ε·sgn₀(z_j)),   sgn₀(0) = +1
    alpha-beta    R_i = α[x⁺_i Σ_j M⁺_ij R_j/z⁺_j + x⁻_i Σ_j M⁻_ij R_j/z⁺_j]
                      − β[x⁺_i Σ_j M⁻_ij R_j/z⁻_j + x⁻_i Σ_j M⁺_ij R_j/z⁻_j]
                  z⁺ = x⁺M⁺ + x⁻M⁻ + b⁺,  z⁻ = x⁺M⁻ + x⁻M⁺ + b⁻, each + 1e-6·sgn₀
    gamma(γ)      z_j > 0: over x⁺(M + γM⁺) + x⁻(M + γM⁻) (+ b + γb⁺);
                  z_j < 0: over x⁺(M + γM⁻) + x⁻(M + γM⁺) (+ b + γb⁻);  z_j = 0 passes nothing;
                  denominators + 1e-6·sgn₀; the case is chosen by the sign of the original z
    flat          R_i = Σ_j C_ij R_j / n_j,  C the 0/1 structural connectivity, n_j = Σ_i C_ij
    w-square      R_i = Σ_j M²_ij R_j / Σ_i M²_ij
    z-box(l, h)   R_i = Σ_j (x_i M_ij − l M⁺_ij − h M⁻_ij) R_j / (Σ_i (...) + 1e-6·sgn₀); no bias

"bias = False" leaves b out of z (and out of the denominators). The *bias share* of a rule is
the relevance the bias would receive if it were one more input under the same rule
(b_j R_j / den_j summed over j; α/β and γ weighted like their parts; 0 for flat, w², z-box);
the conservation json files record it next to Σ R_out and Σ R_in.

Activations, Dropout and Reshape pass relevance unchanged; gradients go through activations by
their derivative (softmax: g ↦ s ⊙ (g − Σ s⊙g)).

Targets (design.md §6): R⁰ = m ⊙ z at the tap, z its pre-activation (activation stripped) or
its output (activation kept); for a Dropout / Reshape tap the pre-activation is its input (= its
output). Gradient methods differentiate S = Σ m ⊙ z with m fixed (taken at x).

A second, torch-based implementation (`TorchSeed`) runs each rule through torch's own conv2d /
conv_transpose2d on modified kernels (the vector-Jacobian product from autograd): it shares no
code with the matrix reference and is used only as a cross-check (`make_explain_fixtures.py`).
"""

from __future__ import annotations

import json
import os

import numpy as np

import keras_numpy as kn

STAB = 1e-6  # stabiliser of alpha-beta, gamma and z-box denominators (design.md §4)


# ---------------------------------------------------------------------------------------------
# the model as dense matrices
# ---------------------------------------------------------------------------------------------

LINEAR_TYPES = ("Dense", "Conv2D", "Conv2DTranspose")
PASS_TYPES = ("Dropout", "SpatialDropout2D", "Reshape", "Flatten")
CONV_TYPES = ("Conv2D", "Conv2DTranspose")  # "convolutions" for composites (transposed counts)


def _op(layer, x, kernel, bias):
    """The layer's Keras forward pre-activation (keras_numpy) on x of Keras shape (n, ...)."""
    cfg = layer["config"]
    if layer["type"] == "Dense":
        return kn.dense(x, kernel, bias)
    if layer["type"] == "Conv2D":
        return kn.conv2d(x, kernel, cfg["strides"], cfg["padding"], bias)
    if layer["type"] == "Conv2DTranspose":
        return kn.conv2d_transpose(x, kernel, cfg["strides"], cfg["padding"], bias)
    raise ValueError(layer["type"])


class SeedModel:
    """A model of tests/data/forward/<case>/ (model.json + npy weights) as dense matrices.

    layers[k]: dict with name, type, parent (index, -1 = model input), activation, in_shape,
    out_shape, and for linear layers M (n_in × n_out), b (n_out, zeros without bias), C (0/1
    connectivity), has_bias.
    """

    def __init__(self, case_dir, zero_bias=False):
        with open(os.path.join(case_dir, "model.json")) as fh:
            doc = json.load(fh)
        entries = [l for l in doc["layers"] if l["type"] != "InputLayer"]
        inputs = [l for l in doc["layers"] if l["type"] == "InputLayer"]
        assert len(inputs) == 1
        self.input_name = inputs[0]["name"]
        self.input_shape = tuple(inputs[0]["output_shape"])
        names = [l["name"] for l in entries]
        shapes = {self.input_name: self.input_shape}
        self.layers = []
        for l in entries:
            parent = -1 if l["input"] == self.input_name else names.index(l["input"])
            in_shape = shapes[l["input"]]
            out_shape = tuple(l["output_shape"])
            shapes[l["name"]] = out_shape
            d = {
                "name": l["name"],
                "type": l["type"],
                "parent": parent,
                "in_shape": in_shape,
                "out_shape": out_shape,
                "activation": l["config"].get("activation", "linear"),
                "config": l["config"],
            }
            if l["type"] in LINEAR_TYPES:
                kernel = np.load(os.path.join(case_dir, l["name"] + ".kernel.npy"))
                use_bias = l["config"]["use_bias"]
                bias = np.load(os.path.join(case_dir, l["name"] + ".bias.npy")) if use_bias else None
                if zero_bias and bias is not None:
                    bias = np.zeros_like(bias)
                n_in = int(np.prod(in_shape))
                n_out = int(np.prod(out_shape))
                basis = np.eye(n_in).reshape((n_in,) + in_shape)
                M = _op(d, basis, kernel, None).reshape(n_in, n_out)
                b = (_op(d, np.zeros((1,) + in_shape), kernel, bias).reshape(n_out)
                     if bias is not None else np.zeros(n_out))
                C = _op(d, basis, np.ones_like(kernel), None).reshape(n_in, n_out)
                # stride 1 and no dilation here: every (i, j) pair meets at most one kernel tap
                assert set(np.unique(C)) <= {0.0, 1.0}, l["name"]
                d.update(M=M, b=b, C=C, has_bias=bias is not None, kernel=kernel, bias=bias)
            else:
                assert l["type"] in PASS_TYPES, l["type"]
            self.layers.append(d)
        self.names = names

    def index(self, name):
        return self.names.index(name)

    def first_linear(self, k):
        """No linear layer between layer k and the model input (design.md §4 composites)."""
        if self.layers[k]["type"] not in LINEAR_TYPES:
            return False
        p = self.layers[k]["parent"]
        while p >= 0:
            if self.layers[p]["type"] in LINEAR_TYPES:
                return False
            p = self.layers[p]["parent"]
        return True

    # -- forward ---------------------------------------------------------------------------

    def forward(self, x):
        """x: (batch, *input_shape). Returns per layer dict(x=input, z=pre-activation, a=output),
        all flat (batch × features)."""
        xf = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
        out = []
        for l in self.layers:
            xin = xf if l["parent"] < 0 else out[l["parent"]]["a"]
            if l["type"] in LINEAR_TYPES:
                z = xin @ l["M"] + l["b"]
                a = activate(l, z)
            else:
                z = xin  # Dropout / Reshape: the "pre-activation" is the input
                a = xin
            out.append({"x": xin, "z": z, "a": a})
        return out

    def path(self, tap, stop=-1):
        """Layer indices from the tap down to (not including) `stop` (-1: the input)."""
        p, k = [], tap
        while k != stop:
            assert k >= 0, "stop layer is not an ancestor of the tap"
            p.append(k)
            k = self.layers[k]["parent"]
        return p


def activate(layer, z):
    act = layer["activation"]
    shape = (z.shape[0],) + tuple(layer["out_shape"])
    return kn.activate(act, z.reshape(shape)).reshape(z.shape)


def activation_vjp(layer, z, a, g):
    """g ↦ (∂a/∂z)ᵀ g for the layer's activation; z, a, g flat (batch × features)."""
    act = layer["activation"]
    if act == "linear":
        return g
    if act == "selu":
        return g * np.where(z > 0, kn.SELU_SCALE, kn.SELU_SCALE * kn.SELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    if act == "tanh":
        return g * (1.0 - a * a)
    if act == "sigmoid":
        return g * a * (1.0 - a)
    if act == "relu":
        return g * (z > 0)
    if act == "softmax":
        c = layer["out_shape"][-1]
        s = a.reshape(a.shape[0], -1, c)
        gg = g.reshape(s.shape)
        return (s * (gg - np.sum(s * gg, axis=-1, keepdims=True))).reshape(g.shape)
    raise ValueError(act)


def sgn0(z):
    return np.where(z >= 0, 1.0, -1.0)


def stabilize(z, eps):
    return z + eps * sgn0(z)


def pos(a):
    return np.maximum(a, 0.0)


def neg(a):
    return np.minimum(a, 0.0)


# ---------------------------------------------------------------------------------------------
# rules: (x, layer, R) -> (R_in, bias share)    x: batch × n_in, R: batch × n_out
# ---------------------------------------------------------------------------------------------


def rule_z(x, L, R, bias=True):
    b = L["b"] if bias else np.zeros_like(L["b"])
    z = x @ L["M"] + b
    s = np.divide(R, z, out=np.zeros_like(R), where=z != 0)
    return x * (s @ L["M"].T), float(np.sum(s * b))


def rule_epsilon(x, L, R, eps=1e-6, bias=True):
    b = L["b"] if bias else np.zeros_like(L["b"])
    z = x @ L["M"] + b
    s = R / stabilize(z, eps)
    return x * (s @ L["M"].T), float(np.sum(s * b))


def rule_alpha_beta(x, L, R, alpha=1.0, beta=0.0, bias=True):
    assert abs(alpha - beta - 1) < 1e-12 and beta >= 0
    M, b = L["M"], (L["b"] if bias else np.zeros_like(L["b"]))
    Mp, Mn, bp, bn = pos(M), neg(M), pos(b), neg(b)
    xp, xn = pos(x), neg(x)
    zp = stabilize(xp @ Mp + xn @ Mn + bp, STAB)
    zn = stabilize(xp @ Mn + xn @ Mp + bn, STAB)
    sp, sn = R / zp, R / zn
    r_in = alpha * (xp * (sp @ Mp.T) + xn * (sp @ Mn.T)) - beta * (xp * (sn @ Mn.T) + xn * (sn @ Mp.T))
    share = alpha * np.sum(sp * bp) - beta * np.sum(sn * bn)
    return r_in, float(share)


def rule_gamma(x, L, R, gamma=0.25, bias=True):
    M, b = L["M"], (L["b"] if bias else np.zeros_like(L["b"]))
    Mp, Mn, bp, bn = pos(M), neg(M), pos(b), neg(b)
    xp, xn = pos(x), neg(x)
    z = x @ M + b
    up, dn = M + gamma * Mp, M + gamma * Mn
    b_up, b_dn = b + gamma * bp, b + gamma * bn
    # z > 0: x⁺ with M + γM⁺, x⁻ with M + γM⁻;  z < 0: the reverse
    d_pos = stabilize(xp @ up + xn @ dn + b_up, STAB)
    d_neg = stabilize(xp @ dn + xn @ up + b_dn, STAB)
    s_pos = np.where(z > 0, R / d_pos, 0.0)
    s_neg = np.where(z < 0, R / d_neg, 0.0)
    r_in = xp * (s_pos @ up.T) + xn * (s_pos @ dn.T) + xp * (s_neg @ dn.T) + xn * (s_neg @ up.T)
    share = np.sum(s_pos * b_up) + np.sum(s_neg * b_dn)
    return r_in, float(share)


def rule_flat(x, L, R):
    C = (L["C"] != 0).astype(np.float64)
    n = C.sum(axis=0)
    s = np.divide(R, n, out=np.zeros_like(R), where=n != 0)
    return s @ C.T, 0.0


def rule_wsquare(x, L, R):
    M2 = L["M"] ** 2
    d = M2.sum(axis=0)
    s = np.divide(R, d, out=np.zeros_like(R), where=d != 0)
    return s @ M2.T, 0.0


def rule_zbox(x, L, R, low=-1.0, high=1.0):
    M = L["M"]
    Mp, Mn = pos(M), neg(M)
    lo = np.full_like(x, low)
    hi = np.full_like(x, high)
    d = stabilize(x @ M - lo @ Mp - hi @ Mn, STAB)
    s = R / d
    return x * (s @ M.T) - lo * (s @ Mp.T) - hi * (s @ Mn.T), 0.0


RULES = {
    "z": rule_z,
    "epsilon": rule_epsilon,
    "alpha_beta": rule_alpha_beta,
    "gamma": rule_gamma,
    "flat": rule_flat,
    "wsquare": rule_wsquare,
    "zbox": rule_zbox,
}


def rule_label(spec):
    """A readable name of a rule spec (for the json files; not compared with the C++ names)."""
    kind, params = spec
    if not params:
        return kind
    return kind + "(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


# ---------------------------------------------------------------------------------------------
# LRP methods and composites: method name -> function(model, layer index) -> (rule, params)
# ---------------------------------------------------------------------------------------------


def uniform(kind, **params):
    return lambda model, k: (kind, params)


def composite(first=None, dense=None, conv=None):
    """First match wins, in the order: first linear layer, Dense, convolutions."""

    def choose(model, k):
        t = model.layers[k]["type"]
        if first is not None and model.first_linear(k):
            return first
        if t == "Dense" and dense is not None:
            return dense
        if t in CONV_TYPES and conv is not None:
            return conv
        raise ValueError(f"no rule for layer {model.layers[k]['name']}")

    return choose


LRP_METHODS = {
    "lrp.z": (uniform("z"), {"rule": "z"}),
    "lrp.epsilon": (uniform("epsilon", eps=0.1), {"rule": "epsilon", "epsilon": 0.1}),
    "lrp.epsilon_nobias": (uniform("epsilon", eps=0.1, bias=False),
                           {"rule": "epsilon", "epsilon": 0.1, "bias": False}),
    "lrp.alpha_beta": (uniform("alpha_beta", alpha=2.0, beta=1.0), {"rule": "alpha_beta", "alpha": 2, "beta": 1}),
    "lrp.zplus": (uniform("alpha_beta", alpha=1.0, beta=0.0), {"rule": "zplus (alpha_beta 1, 0)"}),
    "lrp.gamma": (uniform("gamma", gamma=0.25), {"rule": "gamma", "gamma": 0.25}),
    "lrp.flat": (uniform("flat"), {"rule": "flat"}),
    "lrp.wsquare": (uniform("wsquare"), {"rule": "w_square"}),
    "lrp.zbox": (uniform("zbox", low=-1.0, high=1.0), {"rule": "zbox on every linear layer", "low": -1, "high": 1}),
    "lrp.epsilon_plus_flat": (
        composite(first=("flat", {}), dense=("epsilon", {"eps": 1e-6}), conv=("alpha_beta", {"alpha": 1.0, "beta": 0.0})),
        {"composite": "epsilon_plus_flat", "first_linear": "flat", "dense": "epsilon 1e-6", "conv": "zplus"}),
    "lrp.epsilon_gamma_box": (
        composite(first=("zbox", {"low": -1.0, "high": 1.0}), dense=("epsilon", {"eps": 1e-6}),
                  conv=("gamma", {"gamma": 0.25})),
        {"composite": "epsilon_gamma_box", "low": -1, "high": 1, "first_linear": "zbox(-1, 1)",
         "dense": "epsilon 1e-6", "conv": "gamma 0.25"}),
    "lrp.sequential_preset_a": (
        composite(dense=("epsilon", {"eps": 0.1}), conv=("alpha_beta", {"alpha": 1.0, "beta": 0.0})),
        {"composite": "sequential_preset_a", "dense": "epsilon 0.1", "conv": "alpha_beta(1, 0)"}),
    "lrp.sequential_preset_b": (
        composite(dense=("epsilon", {"eps": 0.1}), conv=("alpha_beta", {"alpha": 2.0, "beta": 1.0})),
        {"composite": "sequential_preset_b", "dense": "epsilon 0.1", "conv": "alpha_beta(2, 1)"}),
}


# ---------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------


class Target:
    """tap (layer name), selection kind in {index, max, all, mask, direction}, values (flat, one
    row), keep activation, stop layer (None: the input)."""

    def __init__(self, layer, kind, index=None, values=None, keep=False, stop=None):
        self.layer, self.kind, self.idx, self.values, self.keep, self.stop = layer, kind, index, values, keep, stop

    def weights(self, zt):
        """The selection weighting m (batch × tap size) at explained values zt."""
        m = np.zeros_like(zt)
        if self.kind == "index":
            m[:, self.idx] = 1.0
        elif self.kind == "max":
            m[np.arange(zt.shape[0]), np.argmax(zt, axis=1)] = 1.0  # first maximum on ties
        elif self.kind == "all":
            m[:] = 1.0
        elif self.kind in ("mask", "direction"):
            m[:] = np.asarray(self.values, dtype=np.float64).reshape(1, -1)
        else:
            raise ValueError(self.kind)
        return m


def explained(model, fw, t):
    k = model.index(t.layer)
    return fw[k]["a"] if t.keep else fw[k]["z"]


def score(model, fw, t, m):
    return np.sum(m * explained(model, fw, t), axis=1)


# ---------------------------------------------------------------------------------------------
# analyzers
# ---------------------------------------------------------------------------------------------


def lrp(model, x, t, method):
    """Returns (relevance flat, report) for LRP method `method` (a key of LRP_METHODS)."""
    choose = LRP_METHODS[method][0]
    fw = model.forward(x)
    tap = model.index(t.layer)
    stop = -1 if t.stop is None else model.index(t.stop)
    zt = explained(model, fw, t)
    R = t.weights(zt) * zt
    report = {"initial": float(R.sum()), "initial_per_sample": R.sum(axis=1).tolist(), "layers": []}
    for k in model.path(tap, stop):
        L = model.layers[k]
        # activation: relevance passes unchanged (at the tap it is already the seed)
        if L["type"] in LINEAR_TYPES:
            kind, params = choose(model, k)
            R_in, share = RULES[kind](fw[k]["x"], L, R, **params)
            label = rule_label((kind, params))
        else:
            R_in, share, label = R, 0.0, "pass-through"
        report["layers"].append({
            "layer": L["name"], "rule": label,
            "sum_out": float(R.sum()), "sum_in": float(R_in.sum()), "bias_absorbed": share,
            "abs_out": float(np.abs(R).sum()), "abs_in": float(np.abs(R_in).sum()),
        })
        R = R_in
    report["final"] = float(R.sum())
    return R, report


def gradient(model, x, t, m=None):
    """∂S/∂v (flat) at the end of the path, S = Σ m ⊙ z; m defaults to the selection at x."""
    fw = model.forward(x)
    tap = model.index(t.layer)
    stop = -1 if t.stop is None else model.index(t.stop)
    if m is None:
        m = t.weights(explained(model, fw, t))
    g = np.array(m, dtype=np.float64, copy=True)
    for k in model.path(tap, stop):
        L = model.layers[k]
        if k != tap or t.keep:
            g = activation_vjp(L, fw[k]["z"], fw[k]["a"], g)
        if L["type"] in LINEAR_TYPES:
            g = g @ L["M"].T
    return g


def end_value(model, x, t):
    if t.stop is None:
        return np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    return model.forward(x)[model.index(t.stop)]["a"]


def input_x_gradient(model, x, t):
    return end_value(model, x, t) * gradient(model, x, t)


def integrated_gradients(model, x, t, steps):
    """Zero baseline, points (k/n)·x, k = 1..n; A = x ⊙ mean of the gradients; m fixed at x."""
    assert t.stop is None
    xf = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    m = t.weights(explained(model, model.forward(x), t))
    out = np.zeros_like(xf)
    for b in range(xf.shape[0]):
        pts = np.stack([(k / steps) * xf[b] for k in range(1, steps + 1)])
        g = gradient(model, pts.reshape((steps,) + model.input_shape), t, np.repeat(m[b:b + 1], steps, axis=0))
        out[b] = xf[b] * g.mean(axis=0)
    return out


def occlusion(model, x, t, window, stride, fill):
    """Windows start at 0, stride, 2·stride, ... (clipped at the border), filled with `fill` over
    all channels; a pixel's attribution is the mean of S(x) − S(x_occluded) over the windows
    that cover it (m fixed at x)."""
    assert t.stop is None
    H, W, Cc = model.input_shape
    x = np.asarray(x, dtype=np.float64)
    fw = model.forward(x)
    m = t.weights(explained(model, fw, t))
    s0 = score(model, fw, t, m)
    total = np.zeros(x.shape)
    count = np.zeros(x.shape[1:])
    for h0 in range(0, H, stride[0]):
        for w0 in range(0, W, stride[1]):
            h1, w1 = min(h0 + window[0], H), min(w0 + window[1], W)
            xo = x.copy()
            xo[:, h0:h1, w0:w1, :] = fill
            s = score(model, model.forward(xo), t, m)
            total[:, h0:h1, w0:w1, :] += (s0 - s)[:, None, None, None]
            count[h0:h1, w0:w1, :] += 1
    return (total / count).reshape(x.shape[0], -1)


# ---------------------------------------------------------------------------------------------
# torch cross-check: the same rules through torch's convolutions (shares no code with the above)
# ---------------------------------------------------------------------------------------------


class TorchSeed:
    """The model run with torch.nn.functional on NCHW tensors, float64. Rules are written against
    apply(x, P) (torch conv / linear with substitute kernels) and its vector-Jacobian product
    from autograd."""

    def __init__(self, model):
        import torch

        self.torch = torch
        self.model = model

    def _apply(self, L, x, kernel, bias):
        """x: batch × flat features (numpy or torch); returns flat torch pre-activation."""
        torch, F = self.torch, self.torch.nn.functional
        x = torch.as_tensor(x, dtype=torch.float64)
        n = x.shape[0]
        K = torch.as_tensor(kernel, dtype=torch.float64)
        bt = None if bias is None else torch.as_tensor(bias, dtype=torch.float64)
        if L["type"] == "Dense":
            y = x @ K
            if bt is not None:
                y = y + bt
            return y
        h, w, c = L["in_shape"]
        xi = x.reshape(n, h, w, c).permute(0, 3, 1, 2)
        assert L["config"]["padding"] == "valid" and tuple(L["config"]["strides"]) == (1, 1)
        if L["type"] == "Conv2D":  # Keras [kh, kw, in, out] -> torch [out, in, kh, kw]
            y = F.conv2d(xi, K.permute(3, 2, 0, 1), bt)
        else:  # Conv2DTranspose: Keras [kh, kw, out, in] -> torch [in, out, kh, kw]
            y = F.conv_transpose2d(xi, K.permute(3, 2, 0, 1), bt)
        return y.permute(0, 2, 3, 1).reshape(n, -1)

    def _vjp(self, L, s, kernel, n_in):
        """apply_transposed: (∂ apply(x, kernel) / ∂x)ᵀ s."""
        torch = self.torch
        x = torch.zeros(s.shape[0], n_in, dtype=torch.float64, requires_grad=True)
        y = self._apply(L, x, kernel, None)
        (g,) = torch.autograd.grad(y, x, torch.as_tensor(s, dtype=torch.float64))
        return g.numpy()

    def rule(self, kind, params, x, L, R):
        torch = self.torch
        K, bias = L["kernel"], L["bias"]
        n_in = x.shape[1]
        app = lambda xx, kk, bb=None: self._apply(L, xx, kk, bb).numpy()
        vjp = lambda s, kk: self._vjp(L, s, kk, n_in)
        sg = lambda z: np.where(z >= 0, 1.0, -1.0)
        use_b = params.get("bias", True) and bias is not None
        b = bias if use_b else None
        if kind in ("z", "epsilon"):
            z = app(x, K, b)
            if kind == "z":
                s = np.divide(R, z, out=np.zeros_like(R), where=z != 0)
            else:
                s = R / (z + params.get("eps", 1e-6) * sg(z))
            return x * vjp(s, K)
        if kind == "alpha_beta":
            a, be = params["alpha"], params["beta"]
            Kp, Kn = np.maximum(K, 0), np.minimum(K, 0)
            bp = None if b is None else np.maximum(b, 0)
            bn = None if b is None else np.minimum(b, 0)
            xp, xn = np.maximum(x, 0), np.minimum(x, 0)
            zp = app(xp, Kp, bp) + app(xn, Kn)
            zn = app(xp, Kn, bn) + app(xn, Kp)
            sp = R / (zp + STAB * sg(zp))
            sn = R / (zn + STAB * sg(zn))
            return a * (xp * vjp(sp, Kp) + xn * vjp(sp, Kn)) - be * (xp * vjp(sn, Kn) + xn * vjp(sn, Kp))
        if kind == "gamma":
            g = params["gamma"]
            up, dn = K + g * np.maximum(K, 0), K + g * np.minimum(K, 0)
            b_up = None if b is None else b + g * np.maximum(b, 0)
            b_dn = None if b is None else b + g * np.minimum(b, 0)
            xp, xn = np.maximum(x, 0), np.minimum(x, 0)
            z = app(x, K, b)
            dp = app(xp, up, b_up) + app(xn, dn)
            dm = app(xp, dn, b_dn) + app(xn, up)
            spos = np.where(z > 0, R / (dp + STAB * sg(dp)), 0.0)
            sneg = np.where(z < 0, R / (dm + STAB * sg(dm)), 0.0)
            return xp * vjp(spos, up) + xn * vjp(spos, dn) + xp * vjp(sneg, dn) + xn * vjp(sneg, up)
        if kind == "flat":
            ones = np.ones_like(K)
            nj = app(np.ones((1, n_in)), ones)
            return vjp(R / nj, ones)
        if kind == "wsquare":
            K2 = K * K
            d = app(np.ones((1, n_in)), K2)
            return vjp(R / d, K2)
        if kind == "zbox":
            lo, hi = np.full_like(x, params["low"]), np.full_like(x, params["high"])
            Kp, Kn = np.maximum(K, 0), np.minimum(K, 0)
            d = app(x, K) - app(lo, Kp) - app(hi, Kn)
            s = R / (d + STAB * sg(d))
            return x * vjp(s, K) - lo * vjp(s, Kp) - hi * vjp(s, Kn)
        raise ValueError(kind)

    def forward(self, x, requires_grad=False):
        """Flat torch activations per layer (x, z, a); x leaf returned first."""
        torch = self.torch
        F = torch.nn.functional
        xin0 = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1))
        xin0 = xin0.clone().requires_grad_(requires_grad)
        outs = []
        for L in self.model.layers:
            xin = xin0 if L["parent"] < 0 else outs[L["parent"]]["a"]
            if L["type"] in LINEAR_TYPES:
                z = self._apply(L, xin, L["kernel"], L["bias"])
                act = L["activation"]
                if act == "selu":
                    a = F.selu(z)
                elif act == "tanh":
                    a = torch.tanh(z)
                elif act == "softmax":
                    a = torch.softmax(z, dim=-1)  # rank-1 layers only in the seed model
                elif act == "linear":
                    a = z
                else:
                    raise ValueError(act)
            else:
                z = a = xin
            outs.append({"x": xin, "z": z, "a": a})
        return xin0, outs

    def lrp(self, x, t, method):
        choose = LRP_METHODS[method][0]
        model = self.model
        _, outs = self.forward(x)
        fw = [{k: v.detach().numpy() for k, v in o.items()} for o in outs]
        tap = model.index(t.layer)
        stop = -1 if t.stop is None else model.index(t.stop)
        zt = fw[tap]["a"] if t.keep else fw[tap]["z"]
        R = t.weights(zt) * zt
        for k in model.path(tap, stop):
            L = model.layers[k]
            if L["type"] in LINEAR_TYPES:
                kind, params = choose(model, k)
                R = self.rule(kind, params, fw[k]["x"], L, R)
        return R

    def gradient(self, x, t, m=None):
        """Autograd ∂S/∂v at the end of the path (the input, or the stop layer's output)."""
        torch = self.torch
        model = self.model
        x0, outs = self.forward(x, requires_grad=True)
        tap = model.index(t.layer)
        zt = outs[tap]["a"] if t.keep else outs[tap]["z"]
        if m is None:
            m = t.weights(zt.detach().numpy())
        S = (torch.as_tensor(m) * zt).sum()
        wrt = x0 if t.stop is None else outs[model.index(t.stop)]["a"]
        (g,) = torch.autograd.grad(S, wrt)
        return g.detach().numpy()

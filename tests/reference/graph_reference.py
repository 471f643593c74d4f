"""Independent numpy reference of innspect's explanations on graphs (DAGs): skip connections,
residual blocks, merges (Add, Subtract, Average, Maximum, Concatenate), pooling, upsampling,
batch normalisation, and the 1D layers (Conv1D, Conv1DTranspose, MaxPooling1D, UpSampling1D).

Written from /work/shared/design.md (§4 rules, §5 other layers and merges, §6 targets) and the
README's "Graphs" section, not from the C++ code. As in explain_reference.py (whose matrix rule
formulas `rule_*` this module reuses unchanged), every linear layer is an explicit dense matrix
M (n_in × n_out, flat channels-last C order) with a flat bias b, obtained by applying the layer's
numpy Keras forward to the basis vectors; the fixed resampling layers (UpSampling) are 0/1
matrices the same way; max pooling is an index map (the first maximum of each window, in
row-major window order); merges are written directly from their definitions:

    Add / Subtract / Average   y_j = Σ_k c_{k,j},  c_{k,j} = s_k x_{k,j}  (s = 1; −1 for
                               Subtract's second input; 1/n for Average)
                               LRP:  R_{k,j} = c_{k,j} R_j / (y_j + ε·sgn₀(y_j))
                               ε = the epsilon of the rule the method applies to that merge
                               (uniform Epsilon(e): e; a composite's entry for the merge; 1e-6
                               when the rule has no epsilon — z⁺, α-β — or no entry matches)
                               gradient: s_k g_j
    Maximum                    relevance and gradient to the first input holding the maximum
    Concatenate                each input its slice along the axis (Keras axis: −1 = last)

A layer whose output several layers read receives the sum of what they hand back. Layers are
visited in reverse declaration order (declaration order is topological), so a layer is visited
after all its readers.

Batch normalisation (z = k x + c, k = γ/√(σ²+ε), c = β − kμ) directly after a linear layer with
a linear activation that nothing else reads is merged into that layer (M' = M·diag(k),
b' = k ⊙ b + c) and passes relevance through; anywhere else it is a diagonal linear layer whose
rule family is "dense" on vectors and "convolution" on feature maps and sequences.

Gradient family: S = Σ_j m_j z_j at the tap (activation stripped unless kept), m fixed at x.

Stop layer (`Target.stop`): the pass visits only the layers the tap depends on that depend on the
stop layer (which is excluded); what they hand to the stop layer is the result (at its output),
what they hand to any other layer (a branch around the stop layer, or the model input) is summed
as `bypassed`. The gradient there is ∂S/∂(stop output) with everything not downstream of the
stop layer held at its value for x (torch: autograd w.r.t. the intermediate tensor).
"""

from __future__ import annotations

import numpy as np

import explain_reference as er
import keras_numpy as kn

STAB = 1e-6  # a merge's ε when the rule has none (design.md §5)

LINEAR = ("Dense", "Conv2D", "Conv2DTranspose", "Conv1D", "Conv1DTranspose", "BatchNormalization")
CONV = ("Conv2D", "Conv2DTranspose", "Conv1D", "Conv1DTranspose")
SUM_MERGES = ("Add", "Subtract", "Average")
MERGES = SUM_MERGES + ("Maximum", "Concatenate")
PASS = ("Flatten", "Reshape", "Activation", "Dropout")
BN_EPS = 1e-3


# ---------------------------------------------------------------------------------------------
# 1D layers on (batch, steps, channels), Keras semantics, explicit loops
# ---------------------------------------------------------------------------------------------


def conv1d(x, kernel, stride=1, padding="valid", bias=None):
    """Keras Conv1D: kernel [k, in, filters]; y[n,t,o] = Σ_{a,c} xpad[n, t·s + a, c] K[a,c,o] + b[o].
    valid: out = (L − k)//s + 1; same: out = ceil(L/s), pad_total = max((out−1)s + k − L, 0),
    pad_before = pad_total // 2 (the odd zero after)."""
    x = np.asarray(x, dtype=np.float64)
    n, L, cin = x.shape
    k, kcin, cout = kernel.shape
    assert kcin == cin
    if padding == "valid":
        out, before = (L - k) // stride + 1, 0
    else:
        out = -(-L // stride)
        before = max((out - 1) * stride + k - L, 0) // 2
    y = np.zeros((n, out, cout))
    for t in range(out):
        for a in range(k):
            src = t * stride + a - before
            if 0 <= src < L:
                y[:, t, :] += x[:, src, :] @ kernel[a]
    if bias is not None:
        y = y + bias
    return y


def conv1d_transpose(x, kernel, stride=1, padding="valid", bias=None):
    """Keras Conv1DTranspose: kernel [k, out, in]; scatter y[n, t·s − pb + a, o] += x[n,t,c] K[a,o,c].
    valid: out = L·s + max(k − s, 0), pb = 0; same: out = L·s, pb = max(k − s, 0) // 2."""
    x = np.asarray(x, dtype=np.float64)
    n, L, cin = x.shape
    k, cout, kcin = kernel.shape
    assert kcin == cin
    if padding == "valid":
        out, pb = L * stride + max(k - stride, 0), 0
    else:
        out, pb = L * stride, max(k - stride, 0) // 2
    y = np.zeros((n, out, cout))
    for t in range(L):
        for a in range(k):
            dst = t * stride - pb + a
            if 0 <= dst < out:
                y[:, dst, :] += x[:, t, :] @ kernel[a].T
    if bias is not None:
        y = y + bias
    return y


def max_pooling1d(x, pool=2):
    x = np.asarray(x, dtype=np.float64)
    n, L, c = x.shape
    out = (L - pool) // pool + 1
    return np.stack([x[:, t * pool:(t + 1) * pool, :].max(axis=1) for t in range(out)], axis=1)


def up_sampling1d(x, size=2):
    return np.repeat(np.asarray(x, dtype=np.float64), size, axis=1)


# ---------------------------------------------------------------------------------------------
# shapes and single-layer forward (Keras shapes, batch first)
# ---------------------------------------------------------------------------------------------


def linear_op(L, x, weights, with_bias=True):
    """The linear layer's Keras forward pre-activation on x (batch, *in_shape)."""
    t, cfg, w = L["type"], L["config"], weights
    b = w.get("bias") if with_bias else None
    if t == "Dense":
        return kn.dense(x, w["kernel"], b)
    if t == "Conv2D":
        return kn.conv2d(x, w["kernel"], cfg.get("strides", (1, 1)), cfg.get("padding", "valid"), b)
    if t == "Conv2DTranspose":
        return kn.conv2d_transpose(x, w["kernel"], cfg.get("strides", (1, 1)), cfg.get("padding", "valid"), b)
    if t == "Conv1D":
        return conv1d(x, w["kernel"], cfg.get("strides", 1), cfg.get("padding", "valid"), b)
    if t == "Conv1DTranspose":
        return conv1d_transpose(x, w["kernel"], cfg.get("strides", 1), cfg.get("padding", "valid"), b)
    if t == "BatchNormalization":
        k, c = bn_affine(w)
        return x * k + (c if with_bias else 0.0)
    raise ValueError(t)


def bn_affine(w):
    k = w["gamma"] / np.sqrt(w["moving_variance"] + BN_EPS)
    return k, w["beta"] - k * w["moving_mean"]


def direct_forward(L, xs, weights):
    """One layer's output from its parents' outputs (Keras shapes), with keras_numpy / the 1D
    functions above: the forward the matrix form is checked against."""
    t, cfg = L["type"], L["config"]
    if t in LINEAR:
        if t == "BatchNormalization":
            w = weights
            return kn.batch_normalization(xs[0], w["moving_mean"], w["moving_variance"], w["gamma"], w["beta"], BN_EPS)
        return kn.activate(L["activation"], linear_op(L, xs[0], weights))
    if t == "Activation":
        return kn.activate(L["activation"], xs[0])
    if t in ("Flatten", "Reshape", "Dropout"):
        return xs[0].reshape((xs[0].shape[0],) + tuple(L["out_shape"]))
    if t == "MaxPooling2D":
        return kn.max_pooling2d(xs[0], cfg["pool_size"])
    if t == "UpSampling2D":
        return kn.up_sampling2d(xs[0], cfg["size"])
    if t == "MaxPooling1D":
        return max_pooling1d(xs[0], cfg["pool_size"])
    if t == "UpSampling1D":
        return up_sampling1d(xs[0], cfg["size"])
    if t == "Add":
        return sum(xs)
    if t == "Subtract":
        return xs[0] - xs[1]
    if t == "Average":
        return sum(xs) / len(xs)
    if t == "Maximum":
        out = xs[0]
        for v in xs[1:]:
            out = np.maximum(out, v)
        return out
    if t == "Concatenate":
        return np.concatenate(xs, axis=cfg.get("axis", -1))
    raise ValueError(t)


def max_pool_winners(shape, x, pool):
    """For max pooling on one flat batch x: idx[b, j] = flat input index of output j's first
    maximum in row-major window order. shape: the Keras input shape (h, w, c) or (steps, c)."""
    if len(shape) == 2:
        shape, pool = (1,) + tuple(shape), (1, pool)
    h, w, c = shape
    ph, pw = pool
    oh, ow = h // ph, w // pw
    xs = x.reshape(x.shape[0], h, w, c)
    idx = np.zeros((x.shape[0], oh * ow * c), dtype=np.int64)
    for b in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best, where = None, None
                    for a in range(ph):
                        for bb in range(pw):
                            r, q = i * ph + a, j * pw + bb
                            v = xs[b, r, q, ch]
                            if best is None or v > best:
                                best, where = v, (r * w + q) * c + ch
                    idx[b, (i * ow + j) * c + ch] = where
    return idx


# ---------------------------------------------------------------------------------------------
# the graph
# ---------------------------------------------------------------------------------------------


class Graph:
    """spec: list of layers {name, type, inputs (names; "input" = the model input), config,
    activation}, in an order where each comes after what it reads. weights: {layer: {role: array}}
    (Keras shapes). Builds each layer's matrix form; `merge_bn` applies the batch-norm canonizer."""

    def __init__(self, spec, weights, input_shape, zero_bias=False, merge_bn=True):
        self.input_shape = tuple(input_shape)
        self.names = [l["name"] for l in spec]
        self.layers = []
        shapes = {"input": self.input_shape}
        readers = {n: 0 for n in ["input"] + self.names}
        for l in spec:
            for p in l["inputs"]:
                readers[p] += 1
        for l in spec:
            L = {"name": l["name"], "type": l["type"], "config": dict(l.get("config", {})),
                 "activation": l.get("activation", "linear"), "inputs": list(l["inputs"])}
            L["parents"] = [-1 if p == "input" else self.names.index(p) for p in l["inputs"]]
            L["in_shapes"] = [shapes[p] for p in l["inputs"]]
            w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.get(l["name"], {}).items()}
            if zero_bias:
                for role in ("bias", "beta", "moving_mean"):
                    if role in w:
                        w[role] = np.zeros_like(w[role])
            L["weights"] = w
            in_shape = L["in_shapes"][0]
            if L["type"] in LINEAR:
                n_in = int(np.prod(in_shape))
                basis = np.eye(n_in).reshape((n_in,) + in_shape)
                M = linear_op(L, basis, w, with_bias=False)
                out_shape = M.shape[1:]
                M = M.reshape(n_in, -1)
                b = linear_op(L, np.zeros((1,) + in_shape), w).reshape(-1)
                if L["type"] == "BatchNormalization":
                    C = (M != 0).astype(np.float64)
                else:
                    ones = {"kernel": np.ones_like(w["kernel"])}
                    C = linear_op(L, basis, ones, with_bias=False).reshape(n_in, -1)
                assert set(np.unique(C)) <= {0.0, 1.0}, L["name"]
                L.update(M=M, b=b, C=C)
                L["family"] = ("dense" if L["type"] == "Dense" or (L["type"] == "BatchNormalization" and len(in_shape) == 1)
                               else "conv")
            elif L["type"] in ("UpSampling2D", "UpSampling1D", "Flatten", "Reshape", "Dropout", "Activation",
                               "MaxPooling2D", "MaxPooling1D"):
                probe = np.zeros((1,) + in_shape)
                out_shape = direct_forward(L, [probe], w).shape[1:] if L["type"] not in ("Flatten", "Reshape") else (
                    (int(np.prod(in_shape)),) if L["type"] == "Flatten" else tuple(L["config"]["target_shape"]))
                if L["type"].startswith("UpSampling"):
                    n_in = int(np.prod(in_shape))
                    U = direct_forward(L, [np.eye(n_in).reshape((n_in,) + in_shape)], w).reshape(n_in, -1)
                    L["U"] = U
            elif L["type"] in MERGES:
                probes = [np.zeros((1,) + s) for s in L["in_shapes"]]
                out_shape = direct_forward(L, probes, w).shape[1:]
            else:
                raise ValueError(L["type"])
            L["out_shape"] = tuple(out_shape)
            shapes[l["name"]] = L["out_shape"]
            L["merged_into"] = None
            L["merged_bn"] = None
            self.layers.append(L)
        if merge_bn:
            for j, L in enumerate(self.layers):
                if L["type"] != "BatchNormalization" or len(L["parents"]) != 1:
                    continue
                p = L["parents"][0]
                if p < 0:
                    continue
                P = self.layers[p]
                if (P["type"] in LINEAR and P["type"] != "BatchNormalization" and P["activation"] == "linear"
                        and readers[P["name"]] == 1):
                    # M' = M diag(k), b' = k b + c (k, c tiled over positions: the BN's own matrix)
                    P["M"] = P["M"] @ L["M"]
                    P["b"] = P["b"] @ L["M"] + L["b"]
                    P["merged_bn"] = j
                    L["merged_into"] = p

    def index(self, name):
        return self.names.index(name)

    def size(self, k):
        return int(np.prod(self.input_shape if k < 0 else self.layers[k]["out_shape"]))

    def first_linear(self, k):
        """A linear layer with no linear layer before it on any path from the input."""
        if self.layers[k]["type"] not in LINEAR or self.layers[k]["merged_into"] is not None:
            return False
        todo, seen = list(self.layers[k]["parents"]), set()
        while todo:
            p = todo.pop()
            if p < 0 or p in seen:
                continue
            seen.add(p)
            if self.layers[p]["type"] in LINEAR:
                return False
            todo += self.layers[p]["parents"]
        return True

    def path(self, tap, stop=-1):
        """The layers a backward pass from `tap` visits: those the tap depends on and, with a stop
        layer (>= 0), only those that depend on the stop layer (which is excluded)."""
        anc = self.ancestors(tap)
        if stop < 0:
            return anc
        assert stop in anc and stop != tap
        on = set()
        for i in sorted(anc):
            if any(p == stop or p in on for p in self.layers[i]["parents"]):
                on.add(i)
        return on

    def ancestors(self, tap):
        """The layers `tap` depends on, tap included."""
        out, todo = set(), [tap]
        while todo:
            k = todo.pop()
            if k < 0 or k in out:
                continue
            out.add(k)
            todo += self.layers[k]["parents"]
        return out

    # -- forward (matrix form) ---------------------------------------------------------------

    def forward(self, x, override=None):
        """Per layer dict(x = joined input, z = pre-activation, a = output), flat (batch × ·).
        override {k: a}: layer k's output replaced by a (what reads it sees a; the rest is x's)."""
        xf = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
        n = xf.shape[0]
        fw = []
        for L in self.layers:
            parts = [xf if p < 0 else fw[p]["a"] for p in L["parents"]]
            xin = np.concatenate(parts, axis=1)
            t = L["type"]
            if t in LINEAR:
                if L["merged_into"] is not None:  # merged: its parent already computed its output
                    z = xin
                else:
                    z = xin @ L["M"] + L["b"]
                a = kn.activate(L["activation"], z.reshape((n,) + L["out_shape"])).reshape(n, -1)
            elif t == "Activation":
                z = xin
                a = kn.activate(L["activation"], xin.reshape((n,) + L["out_shape"])).reshape(n, -1)
            elif t in ("Flatten", "Reshape", "Dropout"):
                z = a = xin
            elif t.startswith("UpSampling"):
                z = a = xin @ L["U"]
            elif t.startswith("MaxPooling"):
                idx = max_pool_winners(L["in_shapes"][0], xin, L["config"]["pool_size"])
                z = a = np.take_along_axis(xin, idx, axis=1)
            elif t in SUM_MERGES:
                z = a = sum(self._contributions(L, xin))
            elif t == "Maximum":
                z = a = np.max(np.stack(self._split(L, xin)), axis=0)
            elif t == "Concatenate":
                shaped = [v.reshape((n,) + s) for v, s in zip(self._split(L, xin), L["in_shapes"])]
                z = a = np.concatenate(shaped, axis=L["config"].get("axis", -1)).reshape(n, -1)
            else:
                raise ValueError(t)
            if override is not None and len(fw) in override:
                a = np.asarray(override[len(fw)], dtype=np.float64)
            fw.append({"x": xin, "z": z, "a": a})
        return fw

    def _split(self, L, joined):
        sizes = [int(np.prod(s)) for s in L["in_shapes"]]
        return np.split(joined, np.cumsum(sizes)[:-1], axis=1)

    def _contributions(self, L, joined):
        xs = self._split(L, joined)
        if L["type"] == "Add":
            return xs
        if L["type"] == "Subtract":
            return [xs[0], -xs[1]]
        return [v / len(xs) for v in xs]  # Average

    # -- the backward step of one layer, shared by LRP and the gradient -------------------------

    def _concat_back(self, L, v):
        n = v.shape[0]
        axis = L["config"].get("axis", -1)
        y = v.reshape((n,) + L["out_shape"])
        lens = [s[axis if axis < 0 else axis - 1] for s in L["in_shapes"]]
        parts = np.split(y, np.cumsum(lens)[:-1], axis=axis)
        return np.concatenate([p.reshape(n, -1) for p in parts], axis=1)

    def _max_back(self, L, joined, v):
        xs = np.stack(self._split(L, joined))  # inputs × batch × features
        win = np.argmax(xs, axis=0)  # the first maximum
        out = np.zeros_like(xs)
        for k in range(xs.shape[0]):
            out[k] = np.where(win == k, v, 0.0)
        return np.concatenate(list(out), axis=1)

    def _pool_back(self, L, joined, v):
        idx = max_pool_winners(L["in_shapes"][0], joined, L["config"]["pool_size"])
        out = np.zeros_like(joined)
        for b in range(joined.shape[0]):
            np.add.at(out[b], idx[b], v[b])
        return out


def activation_vjp(act, z, a, g):
    if act == "linear":
        return g
    if act == "relu":
        return g * (z > 0)
    if act == "tanh":
        return g * (1.0 - a * a)
    if act == "sigmoid":
        return g * a * (1.0 - a)
    if act == "selu":
        return g * np.where(z > 0, kn.SELU_SCALE, kn.SELU_SCALE * kn.SELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    raise ValueError(act)


# ---------------------------------------------------------------------------------------------
# methods: a method maps (graph, layer index) to a rule (kind, params) for linear layers and an
# epsilon for the sum merges
# ---------------------------------------------------------------------------------------------


class Method:
    def __init__(self, name, linear_rule, merge_eps, params):
        self.name, self.linear_rule, self.merge_eps, self.params = name, linear_rule, merge_eps, params


def uniform(name, kind, **params):
    eps = params.get("eps", STAB) if kind == "epsilon" else STAB
    return Method(name, lambda g, k: (kind, params), lambda g, k: eps, {"rule": kind, **params})


def composite(name, first=None, merges=None, dense=None, conv=None):
    """First match wins: first linear layer, the sum merges (their ε), Dense family, convolutions."""

    def rule(g, k):
        L = g.layers[k]
        if first is not None and g.first_linear(k):
            return first
        if L["family"] == "dense" and dense is not None:
            return dense
        if L["family"] == "conv" and conv is not None:
            return conv
        raise ValueError(f"no rule for {L['name']}")

    def eps(g, k):
        return merges if merges is not None else STAB

    return Method(name, rule, eps, {"composite": name, "first_linear": first, "merges_epsilon": merges,
                                    "dense": dense, "conv": conv})


METHODS = [
    uniform("lrp.epsilon", "epsilon", eps=0.05),
    uniform("lrp.alpha_beta", "alpha_beta", alpha=2.0, beta=1.0),
    uniform("lrp.zplus", "alpha_beta", alpha=1.0, beta=0.0),
    composite("lrp.epsilon_plus_flat", first=("flat", {}), dense=("epsilon", {"eps": 1e-6}),
              conv=("alpha_beta", {"alpha": 1.0, "beta": 0.0})),
    composite("lrp.composite", first=("flat", {}), merges=0.01, dense=("epsilon", {"eps": 1e-6}),
              conv=("alpha_beta", {"alpha": 1.0, "beta": 0.0})),
]
METHODS = {m.name: m for m in METHODS}


# ---------------------------------------------------------------------------------------------
# targets and analyzers
# ---------------------------------------------------------------------------------------------


class Target:
    """tap (layer name), kind in {index, all, mask}, flat index / mask values, keep activation."""

    def __init__(self, layer, kind, index=None, values=None, keep=False, stop=None):
        self.layer, self.kind, self.idx, self.values, self.keep = layer, kind, index, values, keep
        self.stop = stop  # None: the input; else a layer name: relevance / gradient at its output

    def weights(self, zt):
        m = np.zeros_like(zt)
        if self.kind == "index":
            m[:, self.idx] = 1.0
        elif self.kind == "all":
            m[:] = 1.0
        elif self.kind == "mask":
            m[:] = np.asarray(self.values, dtype=np.float64).reshape(1, -1)
        else:
            raise ValueError(self.kind)
        return m


def explained(g, fw, t):
    k = g.index(t.layer)
    return fw[k]["a"] if t.keep else fw[k]["z"]


def score(g, fw, t, m):
    return np.sum(m * explained(g, fw, t), axis=1)


def _deliver(acc, k, v):
    acc[k] = v if k not in acc else acc[k] + v


def lrp(g, x, t, method):
    """Relevance at the input (flat) and the conservation report (layers in visiting order)."""
    fw = g.forward(x)
    tap = g.index(t.layer)
    stop = -1 if t.stop is None else g.index(t.stop)
    path = g.path(tap, stop)
    zt = explained(g, fw, t)
    R0 = t.weights(zt) * zt
    rep = {"initial": float(R0.sum()), "initial_per_sample": R0.sum(axis=1).tolist(), "layers": []}
    acc = {tap: R0}
    final = np.zeros((R0.shape[0], g.size(stop)))
    bypassed = 0.0
    for k in sorted(path, reverse=True):
        L = g.layers[k]
        R = acc.pop(k)
        xin = fw[k]["x"]
        share = 0.0
        t_ = L["type"]
        if t_ in LINEAR and L["merged_into"] is None:
            kind, params = method.linear_rule(g, k)
            R_in, share = er.RULES[kind](xin, L, R, **params)
            label = er.rule_label((kind, params))
        elif t_ in LINEAR:
            R_in, label = R, "merged into " + g.layers[L["merged_into"]]["name"]
        elif t_ in PASS:
            R_in, label = R, "pass-through"
        elif t_.startswith("UpSampling"):
            R_in, label = R @ L["U"].T, "sum over copies"
        elif t_.startswith("MaxPooling"):
            R_in, label = g._pool_back(L, xin, R), "winner takes all"
        elif t_ in SUM_MERGES:
            eps = method.merge_eps(g, k)
            c = g._contributions(L, xin)
            y = sum(c)
            s = R / er.stabilize(y, eps)
            R_in = np.concatenate([ck * s for ck in c], axis=1)
            label = f"proportional (eps {eps})"
        elif t_ == "Maximum":
            R_in, label = g._max_back(L, xin, R), "winner takes all"
        elif t_ == "Concatenate":
            R_in, label = g._concat_back(L, R), "slices"
        else:
            raise ValueError(t_)
        rep["layers"].append({"layer": L["name"], "rule": label, "sum_out": float(R.sum()), "sum_in": float(R_in.sum()),
                              "bias_absorbed": float(share), "abs_out": float(np.abs(R).sum()),
                              "abs_in": float(np.abs(R_in).sum())})
        off = 0
        for p in L["parents"]:
            part = R_in[:, off:off + g.size(p)]
            off += g.size(p)
            if p == stop:
                final += part
            elif p in path:
                _deliver(acc, p, part)
            else:  # a branch around the stop layer
                bypassed += float(part.sum())
        assert off == R_in.shape[1]
    assert not acc
    rep["final"] = float(final.sum())
    rep["bypassed"] = bypassed
    return final, rep


def gradient(g, x, t, m=None):
    """∂S/∂x (flat), S = Σ m ⊙ z at the tap, m fixed (default: the selection at x)."""
    fw = g.forward(x)
    tap = g.index(t.layer)
    stop = -1 if t.stop is None else g.index(t.stop)
    path = g.path(tap, stop)
    if m is None:
        m = t.weights(explained(g, fw, t))
    acc = {tap: np.array(m, dtype=np.float64)}
    out = np.zeros((m.shape[0], g.size(stop)))
    for k in sorted(path, reverse=True):
        L = g.layers[k]
        v = acc.pop(k)
        if (k != tap or t.keep) and (L["type"] in LINEAR or L["type"] == "Activation"):
            v = activation_vjp(L["activation"], fw[k]["z"], fw[k]["a"], v)
        xin, t_ = fw[k]["x"], L["type"]
        if t_ in LINEAR:
            v = v if L["merged_into"] is not None else v @ L["M"].T
        elif t_ in PASS:
            pass
        elif t_.startswith("UpSampling"):
            v = v @ L["U"].T
        elif t_.startswith("MaxPooling"):
            v = g._pool_back(L, xin, v)
        elif t_ in SUM_MERGES:
            s = {"Add": [1.0] * len(L["parents"]), "Subtract": [1.0, -1.0],
                 "Average": [1.0 / len(L["parents"])] * len(L["parents"])}[t_]
            v = np.concatenate([sk * v for sk in s], axis=1)
        elif t_ == "Maximum":
            v = g._max_back(L, xin, v)
        elif t_ == "Concatenate":
            v = g._concat_back(L, v)
        off = 0
        for p in L["parents"]:
            part = v[:, off:off + g.size(p)]
            off += g.size(p)
            if p == stop:
                out += part
            elif p in path:
                _deliver(acc, p, part)
    return out


def end_value(g, x, t):
    if t.stop is None:
        return np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    return g.forward(x)[g.index(t.stop)]["a"]


def input_x_gradient(g, x, t):
    return end_value(g, x, t) * gradient(g, x, t)


# ---------------------------------------------------------------------------------------------
# torch: the same graph with torch.nn.functional, for autograd gradients (shares no code above)
# ---------------------------------------------------------------------------------------------


def torch_forward(spec, weights, x, input_shape):
    """Returns (x leaf, {name: (pre-activation, output)}) as torch float64 tensors, Keras layout."""
    import torch
    import torch.nn.functional as F

    T = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))
    x0 = T(x).clone().requires_grad_(True)
    outs = {"input": (x0, x0)}

    def pad_same(size, k, s):
        out = -(-size // s)
        tot = max((out - 1) * s + k - size, 0)
        return tot // 2, tot - tot // 2

    def act(name, z):
        return {"linear": lambda v: v, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                "selu": F.selu}[name](z)

    for l in spec:
        t, cfg, w = l["type"], l.get("config", {}), weights.get(l["name"], {})
        xs = [outs[p][1] for p in l["inputs"]]
        v = xs[0]
        a_name = l.get("activation", "linear")
        if t == "Dense":
            z = v @ T(w["kernel"]) + T(w["bias"])
        elif t in ("Conv2D", "Conv2DTranspose"):
            sh, sw = cfg.get("strides", (1, 1))
            K = T(w["kernel"]).permute(3, 2, 0, 1)  # Conv2D [kh,kw,in,out] -> [out,in,kh,kw]; T: [in,out,kh,kw]
            kh, kw = w["kernel"].shape[:2]
            xi = v.permute(0, 3, 1, 2)
            if t == "Conv2D":
                if cfg.get("padding", "valid") == "same":
                    (t0, t1), (l0, l1) = pad_same(xi.shape[2], kh, sh), pad_same(xi.shape[3], kw, sw)
                    xi = F.pad(xi, (l0, l1, t0, t1))
                y = F.conv2d(xi, K, T(w["bias"]), stride=(sh, sw))
            else:
                y = F.conv_transpose2d(xi, K, T(w["bias"]), stride=(sh, sw))
                assert cfg.get("padding", "valid") == "valid"
            z = y.permute(0, 2, 3, 1)
        elif t in ("Conv1D", "Conv1DTranspose"):
            s = cfg.get("strides", 1)
            K = T(w["kernel"]).permute(2, 1, 0)  # Conv1D [k,in,out] -> [out,in,k]; T [k,out,in] -> [in,out,k]
            k = w["kernel"].shape[0]
            xi = v.permute(0, 2, 1)
            if t == "Conv1D":
                if cfg.get("padding", "valid") == "same":
                    xi = F.pad(xi, pad_same(xi.shape[2], k, s))
                y = F.conv1d(xi, K, T(w["bias"]), stride=s)
            else:
                y = F.conv_transpose1d(xi, K, T(w["bias"]), stride=s)
                if cfg.get("padding", "valid") == "same":
                    pb = max(k - s, 0) // 2
                    y = y[:, :, pb:pb + xi.shape[2] * s]
            z = y.permute(0, 2, 1)
        elif t == "BatchNormalization":
            z = (v - T(w["moving_mean"])) / torch.sqrt(T(w["moving_variance"]) + BN_EPS) * T(w["gamma"]) + T(w["beta"])
        elif t == "Activation":
            z = v
        elif t in ("Flatten", "Reshape", "Dropout"):
            z = v.reshape((v.shape[0],) + tuple(cfg.get("target_shape", (-1,))))
        elif t == "MaxPooling2D":
            z = F.max_pool2d(v.permute(0, 3, 1, 2), cfg["pool_size"]).permute(0, 2, 3, 1)
        elif t == "MaxPooling1D":
            z = F.max_pool1d(v.permute(0, 2, 1), cfg["pool_size"]).permute(0, 2, 1)
        elif t == "UpSampling2D":
            a, b = cfg["size"]
            z = v.repeat_interleave(a, dim=1).repeat_interleave(b, dim=2)
        elif t == "UpSampling1D":
            z = v.repeat_interleave(cfg["size"], dim=1)
        elif t == "Add":
            z = sum(xs)
        elif t == "Subtract":
            z = xs[0] - xs[1]
        elif t == "Average":
            z = sum(xs) / len(xs)
        elif t == "Maximum":
            z = xs[0]
            for u in xs[1:]:
                z = torch.maximum(z, u)
        elif t == "Concatenate":
            ax = cfg.get("axis", -1)
            z = torch.cat(xs, dim=ax)
        else:
            raise ValueError(t)
        outs[l["name"]] = (z, act(a_name, z) if t in LINEAR + ("Activation",) else z)
    return x0, outs


def torch_gradient(spec, weights, x, input_shape, t, m):
    import torch

    x0, outs = torch_forward(spec, weights, x, input_shape)
    z, a = outs[t.layer]
    S = (torch.as_tensor(m).reshape(z.shape) * (a if t.keep else z)).sum()
    wrt = x0 if t.stop is None else outs[t.stop][1]  # an intermediate tensor: the branches around it are fixed
    (gx,) = torch.autograd.grad(S, wrt)
    return gx.detach().numpy().reshape(x.shape[0], -1), {k: v[1].detach().numpy() for k, v in outs.items()}

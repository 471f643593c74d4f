"""Generate the recurrent fixtures in tests/data/rnn/ from the numpy reference (rnn_reference.py)
and check the reference's forward pass against torch.nn.LSTM / torch.nn.GRU (gate orders mapped
explicitly), its gradients (torch autograd) against central differences, and its LRP's
conservation.

Run from the repository root:   /usr/bin/python3 tests/reference/make_rnn_fixtures.py

Deletes and rewrites tests/data/rnn/. Deterministic (np.random.default_rng(zlib.crc32(name))),
weights and inputs rounded to the float32 grid.

Models (the C++ declarations are in tests/layers/rnn_fixtures.cpp):
  lstm_ae  (8, 3): LSTM encoder (5) → RepeatVector(8) → LSTM decoder (4, return_sequences)
           → TimeDistributed(Dense(3))
  gru_ae   (8, 3): GRU encoder (5, reset_after) → RepeatVector(8) → GRU decoder (4,
           return_sequences, reset_after=False) → TimeDistributed(Dense(3))
  bidi     (6, 3): Bidirectional(LSTM(4, return_sequences), concat) → Bidirectional(GRU(3), sum)
           → Dense(2)
Files per model: x.npy; weights <layer>.<role>.npy (Bidirectional: <layer>.forward.<role>.npy,
<layer>.backward.<role>.npy); forward.npy (model output); lrp_eps.npy (ε = 0.01 everywhere,
the whole output explained); lrp_zplus.npy (z+ everywhere, its stabiliser 1e-6 also splitting the
cells' sums); gradient.npy (∂ Σ output / ∂x); lstm_ae also mask.npy and lrp_eps_mask.npy (a region
of steps × features of the reconstruction).
"""

from __future__ import annotations

import os
import shutil
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import rnn_reference as rr  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "rnn")
B = 3


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def lstm_weights(name, F, u):
    g = rng(name)
    return dict(kernel=f32(0.5 * g.standard_normal((F, 4 * u))), recurrent_kernel=f32(0.4 * g.standard_normal((u, 4 * u))),
                bias=f32(0.3 * g.standard_normal(4 * u)))


def gru_weights(name, F, u, reset_after):
    g = rng(name)
    return dict(kernel=f32(0.5 * g.standard_normal((F, 3 * u))), recurrent_kernel=f32(0.4 * g.standard_normal((u, 3 * u))),
                bias=f32(0.3 * g.standard_normal((2, 3 * u) if reset_after else 3 * u)))


def dense_weights(name, F, u):
    g = rng(name)
    return dict(kernel=f32(0.6 * g.standard_normal((F, u))), bias=f32(0.2 * g.standard_normal(u)))


# ---- the models, as forward / LRP / torch functions ---------------------------------------------

class LstmAe:
    S, F = 8, 3

    def __init__(self):
        self.enc = lstm_weights("lstm_ae/encoder", 3, 5)
        self.dec = lstm_weights("lstm_ae/decoder", 5, 4)
        self.td = dense_weights("lstm_ae/time_distributed", 4, 3)

    def weights(self):
        return {"encoder": self.enc, "decoder": self.dec, "time_distributed": self.td}

    def forward(self, x, keep=False):
        e, _ = rr.lstm_forward(x, self.enc["kernel"], self.enc["recurrent_kernel"], self.enc["bias"], 5)
        rep = np.repeat(e[:, None, :], self.S, axis=1)  # RepeatVector
        d, _ = rr.lstm_forward(rep, self.dec["kernel"], self.dec["recurrent_kernel"], self.dec["bias"], 4,
                               return_sequences=True)
        y = rr.dense(d, self.td["kernel"], self.td["bias"])
        return (y, e, rep, d) if keep else y

    def lrp(self, x, R, rule, eps):
        _, e, rep, d = self.forward(x, keep=True)
        Rd, a1 = rr.dense_lrp(d, self.td["kernel"], self.td["bias"], R, rule, eps)
        Rrep, a2 = rr.lstm_lrp(rep, self.dec["kernel"], self.dec["recurrent_kernel"], self.dec["bias"], 4, Rd, rule, eps,
                               return_sequences=True)
        Re = Rrep.sum(axis=1)  # RepeatVector: sum over the copies
        Rx, a3 = rr.lstm_lrp(x, self.enc["kernel"], self.enc["recurrent_kernel"], self.enc["bias"], 5, Re, rule, eps)
        return Rx, a1 + a2 + a3

    def torch_forward(self, xt):
        e = torch_lstm(xt, self.enc, 5, False)
        rep = e[:, None, :].repeat(1, self.S, 1)
        d = torch_lstm(rep, self.dec, 4, True)
        return d @ T(self.td["kernel"]) + T(self.td["bias"])


class GruAe:
    S, F = 8, 3

    def __init__(self):
        self.enc = gru_weights("gru_ae/encoder", 3, 5, True)
        self.dec = gru_weights("gru_ae/decoder", 5, 4, False)
        self.td = dense_weights("gru_ae/time_distributed", 4, 3)

    def weights(self):
        return {"encoder": self.enc, "decoder": self.dec, "time_distributed": self.td}

    def forward(self, x, keep=False):
        e, _ = rr.gru_forward(x, self.enc["kernel"], self.enc["recurrent_kernel"], self.enc["bias"], 5)
        rep = np.repeat(e[:, None, :], self.S, axis=1)
        d, _ = rr.gru_forward(rep, self.dec["kernel"], self.dec["recurrent_kernel"], self.dec["bias"], 4,
                              return_sequences=True, reset_after=False)
        y = rr.dense(d, self.td["kernel"], self.td["bias"])
        return (y, e, rep, d) if keep else y

    def lrp(self, x, R, rule, eps):
        _, e, rep, d = self.forward(x, keep=True)
        Rd, a1 = rr.dense_lrp(d, self.td["kernel"], self.td["bias"], R, rule, eps)
        Rrep, a2 = rr.gru_lrp(rep, self.dec["kernel"], self.dec["recurrent_kernel"], self.dec["bias"], 4, Rd, rule, eps,
                              reset_after=False, return_sequences=True)
        Rx, a3 = rr.gru_lrp(x, self.enc["kernel"], self.enc["recurrent_kernel"], self.enc["bias"], 5, Rrep.sum(axis=1),
                            rule, eps)
        return Rx, a1 + a2 + a3

    def torch_forward(self, xt):
        e = torch_gru(xt, self.enc, 5, False)
        rep = e[:, None, :].repeat(1, self.S, 1)
        d = torch_gru_reset_before(rep, self.dec, 4)
        return d @ T(self.td["kernel"]) + T(self.td["bias"])


class Bidi:
    S, F = 6, 3

    def __init__(self):
        self.l1 = {"forward": lstm_weights("bidi/bi_lstm/forward", 3, 4), "backward": lstm_weights("bidi/bi_lstm/backward", 3, 4)}
        self.l2 = {"forward": gru_weights("bidi/bi_gru/forward", 8, 3, True), "backward": gru_weights("bidi/bi_gru/backward", 8, 3, True)}
        self.out = dense_weights("bidi/dense", 3, 2)

    def weights(self):
        w = {"dense": self.out}
        for name, l in (("bi_lstm", self.l1), ("bi_gru", self.l2)):
            for d in ("forward", "backward"):
                w[name + "." + d] = l[d]
        return w

    def _l1(self, go_backwards):
        w = self.l1["backward" if go_backwards else "forward"]
        return lambda x: rr.lstm_forward(x, w["kernel"], w["recurrent_kernel"], w["bias"], 4, return_sequences=True,
                                         go_backwards=go_backwards)[0]

    def _l1_lrp(self, go_backwards, rule, eps):
        w = self.l1["backward" if go_backwards else "forward"]
        return lambda x, R: rr.lstm_lrp(x, w["kernel"], w["recurrent_kernel"], w["bias"], 4, R, rule, eps,
                                        return_sequences=True, go_backwards=go_backwards)

    def _l2(self, go_backwards):
        w = self.l2["backward" if go_backwards else "forward"]
        return lambda x: rr.gru_forward(x, w["kernel"], w["recurrent_kernel"], w["bias"], 3, go_backwards=go_backwards)[0]

    def _l2_lrp(self, go_backwards, rule, eps):
        w = self.l2["backward" if go_backwards else "forward"]
        return lambda x, R: rr.gru_lrp(x, w["kernel"], w["recurrent_kernel"], w["bias"], 3, R, rule, eps,
                                       go_backwards=go_backwards)

    def forward(self, x, keep=False):
        a = rr.bidirectional_forward(self._l1(False), self._l1(True), x, True, "concat")
        c = rr.bidirectional_forward(self._l2(False), self._l2(True), a, False, "sum")
        y = rr.dense(c, self.out["kernel"], self.out["bias"])
        return (y, a, c) if keep else y

    def lrp(self, x, R, rule, eps):
        _, a, c = self.forward(x, keep=True)
        Rc, a1 = rr.dense_lrp(c, self.out["kernel"], self.out["bias"], R, rule, eps)
        Ra, a2 = rr.bidirectional_lrp(self._l2(False), self._l2(True), self._l2_lrp(False, rule, eps),
                                      self._l2_lrp(True, rule, eps), a, Rc, False, "sum", eps)
        Rx, a3 = rr.bidirectional_lrp(self._l1(False), self._l1(True), self._l1_lrp(False, rule, eps),
                                      self._l1_lrp(True, rule, eps), x, Ra, True, "concat", eps)
        return Rx, a1 + a2 + a3

    def torch_forward(self, xt):
        f = torch_lstm(xt, self.l1["forward"], 4, True)
        b = torch_lstm(torch.flip(xt, [1]), self.l1["backward"], 4, True)  # go_backwards
        a = torch.cat([f, torch.flip(b, [1])], dim=-1)                     # back to input order
        c = torch_gru(a, self.l2["forward"], 3, False) + torch_gru(torch.flip(a, [1]), self.l2["backward"], 3, False)
        return c @ T(self.out["kernel"]) + T(self.out["bias"])


# ---- torch: the same layers through torch.nn, gate orders mapped ---------------------------------

import torch  # noqa: E402

torch.set_default_dtype(torch.float64)


def T(a):
    return torch.tensor(a, dtype=torch.float64)


def torch_lstm(x, w, u, return_sequences):
    """torch.nn.LSTM's gates are i, f, g, o: Keras's i, f, c, o in the same order, weights transposed."""
    m = torch.nn.LSTM(x.shape[2], u, batch_first=True)
    with torch.no_grad():
        m.weight_ih_l0.copy_(T(w["kernel"].T))
        m.weight_hh_l0.copy_(T(w["recurrent_kernel"].T))
        m.bias_ih_l0.copy_(T(w["bias"]))
        m.bias_hh_l0.zero_()
    y, _ = m(x)
    return y if return_sequences else y[:, -1, :]


def gru_to_torch(a, u):
    """Keras's gate blocks z, r, h (columns) → torch's r, z, n (rows)."""
    return np.concatenate([a[..., u:2 * u], a[..., 0:u], a[..., 2 * u:3 * u]], axis=-1)


def torch_gru(x, w, u, return_sequences):
    """torch.nn.GRU is Keras's reset_after=True GRU with gates r, z, n."""
    m = torch.nn.GRU(x.shape[2], u, batch_first=True)
    with torch.no_grad():
        m.weight_ih_l0.copy_(T(gru_to_torch(w["kernel"], u).T))
        m.weight_hh_l0.copy_(T(gru_to_torch(w["recurrent_kernel"], u).T))
        m.bias_ih_l0.copy_(T(gru_to_torch(w["bias"][0], u)))
        m.bias_hh_l0.copy_(T(gru_to_torch(w["bias"][1], u)))
    y, _ = m(x)
    return y if return_sequences else y[:, -1, :]


def torch_gru_reset_before(x, w, u):
    """reset_after=False has no torch.nn module: its equations in torch ops."""
    W, U, b = T(w["kernel"]), T(w["recurrent_kernel"]), T(w["bias"])
    h = torch.zeros(x.shape[0], u)
    outs = []
    for t in range(x.shape[1]):
        xs = x[:, t, :] @ W + b
        z = torch.sigmoid(xs[:, :u] + h @ U[:, :u])
        r = torch.sigmoid(xs[:, u:2 * u] + h @ U[:, u:2 * u])
        n = torch.tanh(xs[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * n
        outs.append(h)
    return torch.stack(outs, dim=1)


# ---- checks and files ---------------------------------------------------------------------------

def zero_biases(model):
    for w in model.weights().values():
        if "bias" in w:
            w["bias"] = np.zeros_like(w["bias"])


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, cls in (("lstm_ae", LstmAe), ("gru_ae", GruAe), ("bidi", Bidi)):
        m = cls()
        d = os.path.join(OUT, name)
        os.makedirs(d)
        x = f32(rng(name + "/x").standard_normal((B, m.S, m.F)))
        y = m.forward(x)
        # forward: numpy against torch.nn
        xt = T(x).requires_grad_(True)
        yt = m.torch_forward(xt)
        fwd_err = np.max(np.abs(yt.detach().numpy() - y))
        assert fwd_err < 1e-12, (name, fwd_err)
        # gradient of Σ output: torch autograd, checked by central differences on numpy
        yt.sum().backward()
        grad = xt.grad.numpy()
        h = 1e-6
        fd = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += h
            xm[idx] -= h
            fd[idx] = (m.forward(xp).sum() - m.forward(xm).sum()) / (2 * h)
        fd_err = np.max(np.abs(fd - grad)) / max(1, np.max(np.abs(grad)))
        assert fd_err < 1e-7, (name, fd_err)
        # LRP
        R = y.copy()  # select::all on a linear output: R0 = z
        r_eps, ab_eps = m.lrp(x, R, "epsilon", 0.01)
        r_zp, ab_zp = m.lrp(x, R, "zplus", 1e-6)
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "forward.npy"), y)
        np.save(os.path.join(d, "gradient.npy"), grad)
        np.save(os.path.join(d, "lrp_eps.npy"), r_eps)
        np.save(os.path.join(d, "lrp_zplus.npy"), r_zp)
        if name == "lstm_ae":
            mask = np.zeros((1, m.S, 3))
            mask[0, 2:5, 1] = 1
            mask[0, 6, :] = 1
            r_mask, _ = m.lrp(x, mask * y, "epsilon", 0.01)
            np.save(os.path.join(d, "mask.npy"), mask)
            np.save(os.path.join(d, "lrp_eps_mask.npy"), r_mask)
        for layer, ws in m.weights().items():
            for role, a in ws.items():
                np.save(os.path.join(d, layer + "." + role + ".npy"), a)
        # conservation: zero biases and ε → 0 (here 1e-12): Σ R_x = Σ R0 per sample
        zero_biases(m)
        y0 = m.forward(x)
        r0, ab0 = m.lrp(x, y0, "epsilon", 1e-12)
        cons = np.max(np.abs(r0.sum(axis=(1, 2)) - y0.reshape(B, -1).sum(axis=1)))
        assert ab0 == 0 and cons < 1e-9, (name, cons)
        print(f"{name}: forward vs torch {fwd_err:.1e}, autograd vs central differences {fd_err:.1e}, "
              f"sum R0 {R.sum():.6g}, LRP-eps sum {r_eps.sum():.6g} (bias {ab_eps:.4g}), "
              f"z+ sum {r_zp.sum():.6g} (bias {ab_zp:.4g}), zero-bias conservation error {cons:.1e}")


if __name__ == "__main__":
    main()

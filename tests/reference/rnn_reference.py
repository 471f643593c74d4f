"""Independent numpy reference of Keras's recurrent layers and of LRP through time.

Written from the Keras equations and from Arras et al., "Explaining Recurrent Neural Network
Predictions in Sentiment Analysis" (2017) / "Explaining and Interpreting LSTMs" (2019), not from
innspect's C++ code. Batch first, float64, one time step at a time, every gate written out.

Keras layouts (kernel [F, n·u], recurrent_kernel [u, n·u], gates side by side in the columns):

* LSTM, gates i, f, c, o; bias [4u]:
      z = x_t W + h U + b;  i = σ(z_i), f = σ(z_f), g = φ(z_c), o = σ(z_o)
      c_t = f c_{t-1} + i g;  h_t = o φ(c_t)
* GRU, gates z, r, h. reset_after=True (Keras 2.3+/3 default), bias [2, 3u] = (input, recurrent):
      xz, xr, xh = x_t W + b_in;  qz, qr, qh = h U + b_rec
      z = σ(xz + qz), r = σ(xr + qr), n = xh + r qh
  reset_after=False, bias [3u]:
      xz, xr, xh = x_t W + b;  z = σ(xz + h U_z), r = σ(xr + h U_r), n = xh + (r h) U_h
  h_t = z h_{t-1} + (1 - z) φ(n)
* SimpleRNN: h_t = φ(x_t W + h U + b).
* go_backwards: the steps are read from last to first and the output sequence is in processing
  order. Bidirectional: forward layer + a copy with go_backwards flipped whose output sequence is
  reversed back to input order; merge concat ([fwd, bwd] on the last axis), sum or ave.
* h_0 = c_0 = 0. σ = sigmoid (Keras 2.3+/3) or hard_sigmoid (Keras 2: clip(0.2x + 0.5, 0, 1)).

LRP through time (relevance R at the layer's output; ε the rule's epsilon, also used for the
cell's sums; stab(v) = v + ε sgn0(v), sgn0(0) = +1; 0/0 → 0 when ε = 0):

* A product gate ⊙ signal gives all relevance to the signal, none to the gate.
* A sum y = a + b splits in proportion: R_a = a R / stab(y).
* An activation passes relevance through.
* A linear map z = x K + b: the rule (ε: R_i = x_i Σ_j K_ij R_j / stab(z_j); z+: see rule_zplus).
LSTM, per step from the last: R_c += R_h; R_g = i g R_c / stab(c_t); R_c' = f c_{t-1} R_c / stab(c_t);
  [R_x_t, R_h'] = rule([x_t, h_{t-1}], [W_c; U_c], b_c, z_c, R_g).
GRU: R_h' = z h_{t-1} R_h / stab(h_t), R_n = (1 - z) φ(n) R_h / stab(h_t);
  reset_after: R_xh = xh R_n / stab(n), R_q = r qh R_n / stab(n); R_x_t = rule(x_t, W_h, b_in_h, xh, R_xh),
  R_h' += rule(h_{t-1}, U_h, b_rec_h, qh, R_q);
  otherwise: [R_x_t, R_rh] = rule([x_t, r h_{t-1}], [W_h; U_h], b_h, n, R_n), R_h' += R_rh.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


ACT = {"tanh": np.tanh, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "linear": lambda z: z}


def stab(v, eps):
    return np.where(v >= 0, v + eps, v - eps)


def divide(r, d):
    """r / d, 0 where d = 0."""
    out = np.zeros_like(r)
    np.divide(r, d, out=out, where=d != 0)
    return out


# ---- rules on one linear map z = x K + b (x: (B, I), K: (I, J), b: (J,) or None) ----------------

def rule_epsilon(x, K, b, z, R, eps):
    """R_i = x_i Σ_j K_ij R_j / (z_j + ε sgn0(z_j)); z is given (the forward pass's, bias included)."""
    B, I = x.shape
    J = K.shape[1]
    s = divide(R, stab(z, eps))
    out = np.zeros((B, I))
    for n in range(B):
        for i in range(I):
            out[n, i] = sum(x[n, i] * K[i, j] * s[n, j] for j in range(J))
    bias = 0.0 if b is None else float(np.sum(s * b[None, :]))
    return out, bias


def rule_zplus(x, K, b, z, R, eps, stabilizer=1e-6):
    """z+ (alpha-beta with α=1, β=0; negative inputs through x⁻w⁻), design.md §4:
    z⁺_j = Σ x⁺w⁺ + Σ x⁻w⁻ + b⁺_j, R_i = x⁺_i Σ_j w⁺_ij R_j/stab(z⁺_j) + x⁻_i Σ_j w⁻_ij R_j/stab(z⁺_j)."""
    xp, xn = np.maximum(x, 0), np.minimum(x, 0)
    Kp, Kn = np.maximum(K, 0), np.minimum(K, 0)
    zp = xp @ Kp + xn @ Kn
    bp = None if b is None else np.maximum(b, 0)
    if bp is not None:
        zp = zp + bp[None, :]
    s = R / stab(zp, stabilizer)
    out = xp * (s @ Kp.T) + xn * (s @ Kn.T)
    bias = 0.0 if bp is None else float(np.sum(s * bp[None, :]))
    return out, bias


RULES = {"epsilon": rule_epsilon, "zplus": rule_zplus}


# ---- LSTM ---------------------------------------------------------------------------------------

def lstm_forward(x, W, U, b, units, return_sequences=False, go_backwards=False, act="tanh", rec="sigmoid"):
    Bn, S, _ = x.shape
    u = units
    phi, sig = ACT[act], ACT[rec]
    h = np.zeros((Bn, u))
    c = np.zeros((Bn, u))
    steps = []
    outs = []
    for k in range(S):
        t = S - 1 - k if go_backwards else k
        z = x[:, t, :] @ W + h @ U + (b if b is not None else 0)
        i = sig(z[:, 0:u])
        f = sig(z[:, u:2 * u])
        g = phi(z[:, 2 * u:3 * u])
        o = sig(z[:, 3 * u:4 * u])
        c_new = f * c + i * g
        h_new = o * phi(c_new)
        steps.append(dict(t=t, z=z, i=i, f=f, g=g, o=o, c_prev=c, c=c_new, h_prev=h, h=h_new))
        c, h = c_new, h_new
        outs.append(h)
    out = np.stack(outs, axis=1) if return_sequences else h
    return out, steps


def lstm_lrp(x, W, U, b, units, R, rule="epsilon", eps=1e-6, **kw):
    """Returns (R at the input (B, S, F), what b_c absorbed)."""
    u = units
    _, steps = lstm_forward(x, W, U, b, units, **kw)
    S = x.shape[1]
    Rx = np.zeros_like(x)
    Rh = np.zeros((x.shape[0], u))
    Rc = np.zeros((x.shape[0], u))
    K = np.vstack([W[:, 2 * u:3 * u], U[:, 2 * u:3 * u]])
    bc = None if b is None else b[2 * u:3 * u]
    absorbed = 0.0
    for k in reversed(range(S)):
        st = steps[k]
        Rh = Rh + (R[:, k, :] if kw.get("return_sequences") else (R if k == S - 1 else 0))
        Rc = Rc + Rh                                   # h = o ⊙ φ(c): all to c
        d = stab(st["c"], eps)
        Rg = divide(st["i"] * st["g"] * Rc, d)         # c = f c' + i g, split in proportion
        Rc = divide(st["f"] * st["c_prev"] * Rc, d)
        xin = np.concatenate([x[:, st["t"], :], st["h_prev"]], axis=1)
        Rin, ab = RULES[rule](xin, K, bc, st["z"][:, 2 * u:3 * u], Rg, eps)
        absorbed += ab
        Rx[:, st["t"], :] = Rin[:, :x.shape[2]]
        Rh = Rin[:, x.shape[2]:]
    return Rx, absorbed


# ---- GRU ----------------------------------------------------------------------------------------

def gru_forward(x, W, U, b, units, return_sequences=False, go_backwards=False, reset_after=True, act="tanh",
                rec="sigmoid"):
    Bn, S, _ = x.shape
    u = units
    phi, sig = ACT[act], ACT[rec]
    h = np.zeros((Bn, u))
    steps, outs = [], []
    for k in range(S):
        t = S - 1 - k if go_backwards else k
        if reset_after:
            xs = x[:, t, :] @ W + (b[0] if b is not None else 0)
            q = h @ U + (b[1] if b is not None else 0)
            z = sig(xs[:, 0:u] + q[:, 0:u])
            r = sig(xs[:, u:2 * u] + q[:, u:2 * u])
            qh = q[:, 2 * u:]
            n = xs[:, 2 * u:] + r * qh
        else:
            xs = x[:, t, :] @ W + (b if b is not None else 0)
            z = sig(xs[:, 0:u] + h @ U[:, 0:u])
            r = sig(xs[:, u:2 * u] + h @ U[:, u:2 * u])
            qh = None
            n = xs[:, 2 * u:] + (r * h) @ U[:, 2 * u:]
        hh = phi(n)
        h_new = z * h + (1 - z) * hh
        steps.append(dict(t=t, z=z, r=r, n=n, hh=hh, xh=xs[:, 2 * u:], qh=qh, h_prev=h, h=h_new))
        h = h_new
        outs.append(h)
    out = np.stack(outs, axis=1) if return_sequences else h
    return out, steps


def gru_lrp(x, W, U, b, units, R, rule="epsilon", eps=1e-6, reset_after=True, **kw):
    u = units
    F = x.shape[2]
    _, steps = gru_forward(x, W, U, b, units, reset_after=reset_after, **kw)
    S = x.shape[1]
    Rx = np.zeros_like(x)
    Rh = np.zeros((x.shape[0], u))
    absorbed = 0.0
    for k in reversed(range(S)):
        st = steps[k]
        Rh = Rh + (R[:, k, :] if kw.get("return_sequences") else (R if k == S - 1 else 0))
        d = stab(st["h"], eps)
        Rprev = divide(st["z"] * st["h_prev"] * Rh, d)  # h = z h' + (1 − z) φ(n); the gate takes nothing
        Rn = divide((1 - st["z"]) * st["hh"] * Rh, d)   # φ passes R to n
        if reset_after:
            dn = stab(st["n"], eps)
            Rxh = divide(st["xh"] * Rn, dn)                # n = xh + r ⊙ qh, split in proportion
            Rq = divide(st["r"] * st["qh"] * Rn, dn)       # r ⊙ qh: all to qh
            bx = None if b is None else b[0][2 * u:]
            bq = None if b is None else b[1][2 * u:]
            Rin_x, a1 = RULES[rule](x[:, st["t"], :], W[:, 2 * u:], bx, st["xh"], Rxh, eps)
            Rin_h, a2 = RULES[rule](st["h_prev"], U[:, 2 * u:], bq, st["qh"], Rq, eps)
            absorbed += a1 + a2
            Rx[:, st["t"], :] = Rin_x
            Rh = Rprev + Rin_h
        else:
            xin = np.concatenate([x[:, st["t"], :], st["r"] * st["h_prev"]], axis=1)
            K = np.vstack([W[:, 2 * u:], U[:, 2 * u:]])
            bh = None if b is None else b[2 * u:]
            Rin, a = RULES[rule](xin, K, bh, st["n"], Rn, eps)
            absorbed += a
            Rx[:, st["t"], :] = Rin[:, :F]
            Rh = Rprev + Rin[:, F:]                      # r ⊙ h: all to h
    return Rx, absorbed


# ---- wrappers -----------------------------------------------------------------------------------

def bidirectional_forward(fwd, bwd, x, return_sequences, mode):
    """fwd / bwd: x -> output (bwd already reads backwards, output in processing order)."""
    f = fwd(x)
    bb = bwd(x)
    if return_sequences:
        bb = bb[:, ::-1, :]
    if mode == "concat":
        return np.concatenate([f, bb], axis=-1)
    return f + bb if mode == "sum" else 0.5 * (f + bb)


def bidirectional_lrp(fwd, bwd, fwd_lrp, bwd_lrp, x, R, return_sequences, mode, eps):
    f = fwd(x)
    bb = bwd(x)
    if return_sequences:
        bb = bb[:, ::-1, :]
    u = f.shape[-1]
    if mode == "concat":
        Rf, Rb = R[..., :u], R[..., u:]
    else:
        s = 1.0 if mode == "sum" else 0.5
        d = stab(s * (f + bb), eps)
        Rf, Rb = divide(s * f * R, d), divide(s * bb * R, d)
    if return_sequences:
        Rb = Rb[:, ::-1, :]
    a, ab1 = fwd_lrp(x, Rf)
    c, ab2 = bwd_lrp(x, Rb)
    return a + c, ab1 + ab2


def dense(x, K, b):
    return x @ K + (b if b is not None else 0)


def dense_lrp(x, K, b, R, rule, eps):
    """Dense on the last axis of a sequence: the rule per step."""
    z = dense(x, K, b)
    shape = x.shape
    xs, zs, Rs = x.reshape(-1, shape[-1]), z.reshape(-1, K.shape[1]), R.reshape(-1, K.shape[1])
    Rin, ab = RULES[rule](xs, K, b, zs, Rs, eps)
    return Rin.reshape(shape), ab

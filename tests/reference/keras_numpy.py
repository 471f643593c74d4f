"""Independent numpy reference of Keras's inference forward pass (channels-last, batch first).

Written from the Keras / TensorFlow semantics, not from innspect's C++ code, so the two can be
compared. Everything is computed in float64 and kept deliberately simple (explicit loops over
kernel taps) so each function can be checked by reading it.

Conventions (identical to Keras with the TensorFlow backend):

* Dense: kernel [in, units], bias [units]. On an input of rank > 2 the kernel acts on the last
  axis only (y[..., u] = sum_i x[..., i] * K[i, u] + b[u]).
* Conv2D: kernel [kh, kw, in, out], bias [out]; input/output (batch, h, w, c). This is a
  cross-correlation (no kernel flip):
      y[n, i, j, o] = sum_{a, b, c} xpad[n, i*sh + a, j*sw + b, c] * K[a, b, c, o] + bias[o]
  padding "valid": out = floor((in - k) / s) + 1, no padding.
  padding "same":  out = ceil(in / s); pad_total = max((out - 1) * s + k - in, 0);
                   pad_before = pad_total // 2, pad_after = pad_total - pad_before (the odd
                   one goes after / bottom / right); zero padding.
* Conv2DTranspose: kernel [kh, kw, out, in] (note: out before in), bias [out]. It is the adjoint
  (gradient w.r.t. its input) of the Conv2D with the same kernel array, strides and padding that
  maps the transposed layer's output back to its input. Output size (Keras
  conv_utils.deconv_output_length, output_padding=None):
      "valid": out = in * s + max(k - s, 0)        (= (in - 1) * s + k when k >= s), pad_before 0
      "same":  out = in * s;  pad_total = max(k - s, 0), pad_before = pad_total // 2
  As an explicit scatter:
      y[n, i*s - pad_before + a, j*s - pad_before_w + b, o] += x[n, i, j, c] * K[a, b, o, c]
  (contributions that fall outside the output are dropped), then + bias[o].
* Activations: linear, relu, selu, elu (alpha 1), leaky_relu (slope 0.3, Keras 2 LeakyReLU
  default), tanh, sigmoid, softmax (over the last axis).
* Reshape / Flatten: C-order reshape of the non-batch axes. Dropout / SpatialDropout2D: identity
  at inference.

Layers without weights or with statistics only (Keras 2.2.4, TensorFlow backend, inference):

* BatchNormalization(axis=-1, epsilon=1e-3, center, scale), tf.nn.batch_normalization:
      y = (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta
  per channel (last axis); gamma = 1 when scale=False, beta = 0 when center=False. The h5 arrays
  are, in this order, gamma (if scale), beta (if center), moving_mean, moving_variance.
* MaxPooling2D / AveragePooling2D(pool_size, strides=pool_size, padding): TensorFlow's pooling
  geometry is the convolution's (out, pad_before, pad_after from conv_geometry, odd pad after).
  Padded positions never take part: the max is over the in-bounds values only (so an all-negative
  window gives a negative max), and the mean divides by the number of in-bounds values.
* GlobalAveragePooling2D: mean over height and width -> (batch, channels).
* UpSampling2D(size, interpolation="nearest"): every pixel repeated size[0] x size[1] times.
* ZeroPadding2D(padding) / Cropping2D(cropping): padding given as an int, (sym_h, sym_w) or
  ((top, bottom), (left, right)); zeros added / rows and columns removed.
* ReLU(max_value=None, negative_slope=0, threshold=0), keras.backend.relu of Keras 2.2.4:
      f(x) = min(x, max_value)                 for x > threshold (clipped to [0, max_value] when
                                               max_value is given)
      f(x) = negative_slope * (x - threshold)  for x <= threshold
  (the backend uses a strict x > threshold; the Keras docs write threshold <= x. They differ only
  at x == threshold with threshold != 0, which the fixtures avoid.)

Dilation and the 1D layers (sequences (batch, steps, channels); used by make_layer1d_fixtures.py):

* Dilation (Conv2D / Conv1D dilation_rate d): the kernel's taps are d apart, so it spans
  (k - 1) * d + 1 inputs; TensorFlow's geometry uses that span in place of k (valid:
  out = floor((in - span) / s) + 1; same: out = ceil(in / s), pad_total = max((out - 1) * s +
  span - in, 0), odd one after). Keras accepts strides > 1 or dilation > 1, not both.
      y[n, i, j, o] = sum_{a,b,c} xpad[n, i*sh + a*dh, j*sw + b*dw, c] * K[a, b, c, o] + bias[o]
* Conv1D: kernel [k, in, out]; y[n, t, o] = sum_{a,c} xpad[n, t*s + a*d, c] * K[a, c, o] + bias[o],
  padding valid / same as above, or "causal": d * (k - 1) zeros before the sequence, none after,
  then valid (out = ceil(in / s); output t sees inputs <= t*s only).
* Conv1DTranspose: kernel [k, out, in]; sizes as Conv2DTranspose along one axis; scatter
  y[n, i*s - pad_before + a, o] += x[n, i, c] * K[a, o, c], then + bias[o] (dilation 1).
* MaxPooling1D / AveragePooling1D(pool_size, strides=pool_size, padding): the 2D rules along the
  steps (padding never takes part). GlobalAveragePooling1D / GlobalMaxPooling1D: mean / max over
  the steps -> (batch, channels).
* UpSampling1D(size): every step repeated size times. ZeroPadding1D(padding) / Cropping1D(cropping):
  an int n or (left, right); zeros added / steps removed at the two ends.
"""

from __future__ import annotations

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ELU_ALPHA = 1.0
LEAKY_RELU_SLOPE = 0.3

# ---------------------------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------------------------


def linear(x):
    return np.array(x, dtype=np.float64, copy=True)


def relu(x):
    return np.maximum(x, 0.0)


def selu(x):
    x = np.asarray(x, dtype=np.float64)
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def elu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, ELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def leaky_relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, LEAKY_RELU_SLOPE * x)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    # numerically stable in both tails
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


ACTIVATIONS = {
    "linear": linear,
    "relu": relu,
    "selu": selu,
    "elu": elu,
    "leaky_relu": leaky_relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
}


def activate(name, z):
    return ACTIVATIONS[name](z)


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------


def _pair(v):
    if isinstance(v, int):
        return (v, v)
    return tuple(int(t) for t in v)


def conv_geometry(size, k, s, padding):
    """Conv2D along one axis: returns (out, pad_before, pad_after)."""
    if padding == "valid":
        if size < k:
            raise ValueError(f"valid conv: kernel {k} larger than input {size}")
        return (size - k) // s + 1, 0, 0
    if padding == "same":
        out = -(-size // s)  # ceil
        pad_total = max((out - 1) * s + k - size, 0)
        before = pad_total // 2
        return out, before, pad_total - before
    raise ValueError(f"unknown padding {padding!r}")


def conv_transpose_geometry(size, k, s, padding):
    """Conv2DTranspose along one axis: returns (out, pad_before, pad_after).

    pad_before/pad_after are the padding of the *forward* Conv2D (output -> input) this layer is
    the adjoint of, i.e. how much of the full scatter is cropped at each end.
    """
    if padding == "valid":
        out = size * s + max(k - s, 0)
        before = 0
    elif padding == "same":
        out = size * s
        before = max(k - s, 0) // 2
    else:
        raise ValueError(f"unknown padding {padding!r}")
    full = (size - 1) * s + k  # length of the un-cropped scatter
    after = full - out - before  # may be negative: zero rows appended at the end
    return out, before, after


# ---------------------------------------------------------------------------------------------
# linear layers
# ---------------------------------------------------------------------------------------------


def dense(x, kernel, bias=None):
    """Keras Dense pre-activation: contraction over the last axis."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    assert x.shape[-1] == kernel.shape[0], (x.shape, kernel.shape)
    z = np.tensordot(x, kernel, axes=([x.ndim - 1], [0]))
    if bias is not None:
        z = z + np.asarray(bias, dtype=np.float64)
    return z


def conv2d(x, kernel, strides=(1, 1), padding="valid", bias=None):
    """Keras Conv2D pre-activation. x: (n, h, w, cin); kernel: (kh, kw, cin, cout)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, h, w, cin = x.shape
    kh, kw, kcin, cout = kernel.shape
    assert kcin == cin, (x.shape, kernel.shape)
    sh, sw = _pair(strides)
    oh, ph0, ph1 = conv_geometry(h, kh, sh, padding)
    ow, pw0, pw1 = conv_geometry(w, kw, sw, padding)
    xp = np.zeros((n, h + ph0 + ph1, w + pw0 + pw1, cin))
    xp[:, ph0 : ph0 + h, pw0 : pw0 + w, :] = x
    y = np.zeros((n, oh, ow, cout))
    for a in range(kh):
        for b in range(kw):
            # rows a, a+sh, ..., a+(oh-1)*sh of the padded input
            patch = xp[:, a : a + (oh - 1) * sh + 1 : sh, b : b + (ow - 1) * sw + 1 : sw, :]
            y += np.einsum("nijc,co->nijo", patch, kernel[a, b])
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def conv2d_transpose(x, kernel, strides=(1, 1), padding="valid", bias=None):
    """Keras Conv2DTranspose pre-activation. x: (n, h, w, cin); kernel: (kh, kw, cout, cin).

    Explicit scatter: y[n, i*sh - ph + a, j*sw - pw + b, o] += x[n, i, j, c] * K[a, b, o, c],
    keeping only positions inside the output.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, h, w, cin = x.shape
    kh, kw, cout, kcin = kernel.shape
    assert kcin == cin, (x.shape, kernel.shape)
    sh, sw = _pair(strides)
    oh, ph, _ = conv_transpose_geometry(h, kh, sh, padding)
    ow, pw, _ = conv_transpose_geometry(w, kw, sw, padding)
    y = np.zeros((n, oh, ow, cout))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                r = i * sh - ph + a
                if r < 0 or r >= oh:
                    continue
                for b in range(kw):
                    c = j * sw - pw + b
                    if c < 0 or c >= ow:
                        continue
                    # sum over input channels: x[n,i,j,:] . K[a,b,o,:]
                    y[:, r, c, :] += x[:, i, j, :] @ kernel[a, b].T
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


# ---------------------------------------------------------------------------------------------
# shape / identity layers
# ---------------------------------------------------------------------------------------------


def reshape(x, target_shape):
    x = np.asarray(x, dtype=np.float64)
    return x.reshape((x.shape[0],) + tuple(target_shape), order="C")


def flatten(x):
    x = np.asarray(x, dtype=np.float64)
    return x.reshape((x.shape[0], -1), order="C")


def dropout(x):
    """Dropout and SpatialDropout2D at inference: identity."""
    return np.array(x, dtype=np.float64, copy=True)


# ---------------------------------------------------------------------------------------------
# batch normalization, pooling, resampling, ReLU layer
# ---------------------------------------------------------------------------------------------

BN_EPSILON = 1e-3


def batch_normalization(x, moving_mean, moving_variance, gamma=None, beta=None, epsilon=BN_EPSILON):
    """Keras BatchNormalization at inference over the last axis. gamma=None means scale=False,
    beta=None means center=False."""
    x = np.asarray(x, dtype=np.float64)
    mean = np.asarray(moving_mean, dtype=np.float64)
    var = np.asarray(moving_variance, dtype=np.float64)
    assert mean.shape == var.shape == (x.shape[-1],), (x.shape, mean.shape, var.shape)
    if np.any(var < 0):
        raise ValueError("negative moving_variance")
    y = (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        y = y * np.asarray(gamma, dtype=np.float64)
    if beta is not None:
        y = y + np.asarray(beta, dtype=np.float64)
    return y


def _pool2d(x, pool_size, strides, padding, reduce_max):
    x = np.asarray(x, dtype=np.float64)
    n, h, w, c = x.shape
    ph_, pw_ = _pair(pool_size)
    sh, sw = _pair(strides if strides is not None else pool_size)
    oh, pt, _ = conv_geometry(h, ph_, sh, padding)
    ow, pl, _ = conv_geometry(w, pw_, sw, padding)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            # the window in input coordinates, clipped to the image: padding takes no part
            r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph_, h)
            c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw_, w)
            win = x[:, r0:r1, c0:c1, :]
            assert win.shape[1] > 0 and win.shape[2] > 0
            if reduce_max:
                y[:, i, j, :] = win.max(axis=(1, 2))
            else:
                y[:, i, j, :] = win.sum(axis=(1, 2)) / float((r1 - r0) * (c1 - c0))
    return y


def max_pooling2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Keras MaxPooling2D: the max over the in-bounds part of each window."""
    return _pool2d(x, pool_size, strides, padding, True)


def average_pooling2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Keras AveragePooling2D: the mean over the in-bounds part of each window."""
    return _pool2d(x, pool_size, strides, padding, False)


def global_average_pooling2d(x):
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=(1, 2))


def up_sampling2d(x, size=(2, 2)):
    """Keras UpSampling2D, nearest: y[n, i, j, c] = x[n, i // size_h, j // size_w, c]."""
    x = np.asarray(x, dtype=np.float64)
    sh, sw = _pair(size)
    return np.repeat(np.repeat(x, sh, axis=1), sw, axis=2)


def _four(v):
    """int | (sym_h, sym_w) | ((top, bottom), (left, right)) -> (top, bottom, left, right)."""
    if isinstance(v, int):
        return (v, v, v, v)
    a, b = v
    if isinstance(a, int) and isinstance(b, int):
        return (a, a, b, b)
    return (int(a[0]), int(a[1]), int(b[0]), int(b[1]))


def zero_padding2d(x, padding=(1, 1)):
    x = np.asarray(x, dtype=np.float64)
    t, b, l, r = _four(padding)
    n, h, w, c = x.shape
    y = np.zeros((n, h + t + b, w + l + r, c))
    y[:, t : t + h, l : l + w, :] = x
    return y


def cropping2d(x, cropping=((0, 0), (0, 0))):
    x = np.asarray(x, dtype=np.float64)
    t, b, l, r = _four(cropping)
    n, h, w, c = x.shape
    assert t + b < h and l + r < w, "crops away the whole input"
    return np.array(x[:, t : h - b, l : w - r, :], copy=True)


def relu_layer(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras 2.2.4 ReLU layer = keras.backend.relu(x, alpha=negative_slope, max_value, threshold),
    transcribed step by step from the TensorFlow backend."""
    x = np.asarray(x, dtype=np.float64)
    if negative_slope != 0.0:
        negative_part = np.maximum(-x + threshold, 0.0)
    if threshold != 0.0:
        y = x * (x > threshold).astype(np.float64)
    else:
        y = np.maximum(x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * negative_part
    return y


# ---------------------------------------------------------------------------------------------
# dilation and the 1D layers
# ---------------------------------------------------------------------------------------------


def dilated_geometry(size, k, s, d, padding):
    """A convolution along one axis with k taps d apart: (out, pad_before). Written from the
    TensorFlow rules with the span (k - 1) * d + 1 in place of k; "causal" pads d * (k - 1) before."""
    span = (k - 1) * d + 1
    if padding == "valid":
        if size < span:
            raise ValueError(f"valid conv: kernel span {span} larger than input {size}")
        return (size - span) // s + 1, 0
    if padding == "same":
        out = -(-size // s)
        return out, max((out - 1) * s + span - size, 0) // 2
    if padding == "causal":
        padded = size + span - 1
        return (padded - span) // s + 1, span - 1
    raise ValueError(f"unknown padding {padding!r}")


def conv2d_dilated(x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1), bias=None):
    """Keras Conv2D pre-activation with dilation_rate, one output value at a time."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, h, w, cin = x.shape
    kh, kw, kcin, cout = kernel.shape
    assert kcin == cin, (x.shape, kernel.shape)
    sh, sw = _pair(strides)
    dh, dw = _pair(dilation_rate)
    assert (sh == 1 and sw == 1) or (dh == 1 and dw == 1), "Keras: strides > 1 with dilation > 1"
    oh, pt = dilated_geometry(h, kh, sh, dh, padding)
    ow, pl = dilated_geometry(w, kw, sw, dw, padding)
    y = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                r = i * sh + a * dh - pt
                if r < 0 or r >= h:
                    continue  # a padded zero
                for b in range(kw):
                    c = j * sw + b * dw - pl
                    if c < 0 or c >= w:
                        continue
                    y[:, i, j, :] += x[:, r, c, :] @ kernel[a, b]
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1, bias=None):
    """Keras Conv1D pre-activation. x: (n, steps, cin); kernel: (k, cin, cout)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, steps, cin = x.shape
    k, kcin, cout = kernel.shape
    assert kcin == cin, (x.shape, kernel.shape)
    s, d = int(strides), int(dilation_rate)
    assert s == 1 or d == 1, "Keras: strides > 1 with dilation > 1"
    out, before = dilated_geometry(steps, k, s, d, padding)
    y = np.zeros((n, out, cout))
    for t in range(out):
        for a in range(k):
            src = t * s + a * d - before
            if 0 <= src < steps:
                for o in range(cout):
                    for c in range(cin):
                        y[:, t, o] += x[:, src, c] * kernel[a, c, o]
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def conv1d_transpose(x, kernel, strides=1, padding="valid", bias=None):
    """Keras Conv1DTranspose pre-activation. x: (n, steps, cin); kernel: (k, cout, cin)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, steps, cin = x.shape
    k, cout, kcin = kernel.shape
    assert kcin == cin, (x.shape, kernel.shape)
    s = int(strides)
    out, before, _ = conv_transpose_geometry(steps, k, s, padding)
    y = np.zeros((n, out, cout))
    for i in range(steps):
        for a in range(k):
            t = i * s - before + a
            if 0 <= t < out:
                for o in range(cout):
                    for c in range(cin):
                        y[:, t, o] += x[:, i, c] * kernel[a, o, c]
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def _pool1d(x, pool_size, strides, padding, reduce_max):
    x = np.asarray(x, dtype=np.float64)
    n, steps, c = x.shape
    p = int(pool_size)
    s = int(strides) if strides is not None else p
    out, before, _ = conv_geometry(steps, p, s, padding)
    y = np.zeros((n, out, c))
    for t in range(out):
        lo, hi = max(t * s - before, 0), min(t * s - before + p, steps)
        assert hi > lo
        for ch in range(c):
            vals = [x[:, q, ch] for q in range(lo, hi)]
            if reduce_max:
                m = vals[0].copy()
                for v in vals[1:]:
                    m = np.maximum(m, v)
                y[:, t, ch] = m
            else:
                y[:, t, ch] = sum(vals) / float(hi - lo)
    return y


def max_pooling1d(x, pool_size=2, strides=None, padding="valid"):
    return _pool1d(x, pool_size, strides, padding, True)


def average_pooling1d(x, pool_size=2, strides=None, padding="valid"):
    return _pool1d(x, pool_size, strides, padding, False)


def global_average_pooling1d(x):
    x = np.asarray(x, dtype=np.float64)
    return x.sum(axis=1) / x.shape[1]


def global_max_pooling1d(x):
    x = np.asarray(x, dtype=np.float64)
    return x.max(axis=1)


def up_sampling1d(x, size=2):
    """y[n, t, c] = x[n, t // size, c]."""
    x = np.asarray(x, dtype=np.float64)
    n, steps, c = x.shape
    y = np.zeros((n, steps * size, c))
    for t in range(steps * size):
        y[:, t, :] = x[:, t // size, :]
    return y


def _two(v):
    """int | (left, right) -> (left, right)."""
    if isinstance(v, int):
        return (v, v)
    return (int(v[0]), int(v[1]))


def zero_padding1d(x, padding=1):
    x = np.asarray(x, dtype=np.float64)
    left, right = _two(padding)
    n, steps, c = x.shape
    y = np.zeros((n, left + steps + right, c))
    for t in range(steps):
        y[:, left + t, :] = x[:, t, :]
    return y


def cropping1d(x, cropping=(1, 1)):
    x = np.asarray(x, dtype=np.float64)
    left, right = _two(cropping)
    n, steps, c = x.shape
    assert left + right < steps, "crops away the whole input"
    y = np.zeros((n, steps - left - right, c))
    for t in range(steps - left - right):
        y[:, t, :] = x[:, left + t, :]
    return y


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


def adjointness_gap(kernel, strides, padding, x_shape, rng):
    """<conv2d(y), x> - <y, conv2d_transpose(x)> for random x (transpose input) and y.

    kernel is a Conv2DTranspose kernel (kh, kw, cout, cin); read as a Conv2D kernel
    (kh, kw, in=cout, out=cin) it maps the transpose's output back to its input shape.
    Returns (lhs, rhs).
    """
    x = rng.standard_normal(x_shape)
    yt = conv2d_transpose(x, kernel, strides, padding)
    y = rng.standard_normal(yt.shape)
    cy = conv2d(y, kernel, strides, padding)
    assert cy.shape == x.shape, (cy.shape, x.shape)
    lhs = float(np.sum(cy * x))
    rhs = float(np.sum(y * yt))
    return lhs, rhs

"""Independent numpy reference of Keras's inference forward pass for the activations and layers
added after keras_numpy.py (channels-last, batch first, float64). Same rules as there: written
from Keras's documented semantics, not from innspect's C++ code.

Activations (keras.activations, applied elementwise unless said otherwise):

* softplus(x)    = log(1 + e^x)                    (computed as logaddexp(0, x): no overflow)
* softsign(x)    = x / (1 + |x|)
* swish(x)       = silu(x) = x * sigmoid(x)        (tf.keras "swish", Keras 3 "silu")
* gelu(x)        = 0.5 x (1 + erf(x / sqrt 2))      (approximate=False, Keras's default)
* exponential(x) = e^x
* hard_sigmoid   Keras 2 (2.x backend):  clip(0.2 x + 0.5, 0, 1)
                 Keras 3:                relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)
* elu(x, alpha)  = x for x > 0, alpha (e^x - 1) otherwise

Layers:

* LeakyReLU(alpha)        x for x > 0, alpha x otherwise (Keras 3 names alpha negative_slope;
                          Keras 2 default 0.3)
* ELU(alpha)              elu(x, alpha)
* Softmax(axis=-1)        e^x / sum e^x over the last axis
* GlobalMaxPooling2D      max over height and width -> (batch, channels)
* RepeatVector(n)         (batch, F) -> (batch, n, F): the vector repeated n times along a new axis 1
* Permute(dims)           dims 1-based over the non-batch axes: y = transpose(x, (0,) + dims)
* PReLU(shared_axes)      relu(x) - alpha * relu(-x), alpha of the input's non-batch shape with the
                          shared axes (1-based) set to 1, broadcast over them
"""

from __future__ import annotations

import math

import numpy as np

from keras_numpy import sigmoid, softmax  # noqa: F401  (same definitions as the older layers)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def softsign(x):
    x = np.asarray(x, dtype=np.float64)
    return x / (1.0 + np.abs(x))


def swish(x):
    x = np.asarray(x, dtype=np.float64)
    return x * sigmoid(x)


silu = swish


def gelu(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def exponential(x):
    return np.exp(np.asarray(x, dtype=np.float64))


def hard_sigmoid_keras2(x):
    x = np.asarray(x, dtype=np.float64)
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def relu6(x):
    return np.clip(np.asarray(x, dtype=np.float64), 0.0, 6.0)


def hard_sigmoid_keras3(x):
    return relu6(np.asarray(x, dtype=np.float64) + 3.0) / 6.0


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def leaky_relu(x, alpha=0.3):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)


def global_max_pooling2d(x):
    return np.max(np.asarray(x, dtype=np.float64), axis=(1, 2))


def repeat_vector(x, n):
    x = np.asarray(x, dtype=np.float64)
    assert x.ndim == 2, x.shape
    return np.repeat(x[:, np.newaxis, :], n, axis=1)


def permute(x, dims):
    x = np.asarray(x, dtype=np.float64)
    assert sorted(dims) == list(range(1, x.ndim)), (dims, x.shape)
    return np.transpose(x, (0,) + tuple(dims))


def prelu_alpha_shape(in_shape, shared_axes):
    """Keras's alpha shape: the non-batch input shape with the shared (1-based) axes set to 1."""
    shape = list(in_shape)
    for a in shared_axes or []:
        shape[a - 1] = 1
    return tuple(shape)


def prelu(x, alpha):
    x = np.asarray(x, dtype=np.float64)
    alpha = np.asarray(alpha, dtype=np.float64)
    assert alpha.ndim == x.ndim - 1, (alpha.shape, x.shape)
    pos = np.maximum(x, 0.0)
    neg = -alpha[np.newaxis] * np.maximum(-x, 0.0)
    return pos + neg


ACTIVATIONS = {
    "softplus": softplus,
    "softsign": softsign,
    "swish": swish,
    "silu": silu,
    "gelu": gelu,
    "exponential": exponential,
    "hard_sigmoid": hard_sigmoid_keras2,  # the name Keras 2 and Keras 3 share: see hard_sigmoid_keras3
    "elu": elu,
}

#pragma once
/// \file
/// Activation functions as small types: `forward` computes a = f(z) and `vjp` multiplies an
/// incoming gradient g (w.r.t. a) by the Jacobian, giving the gradient w.r.t. z. They act on
/// whole batches with Eigen's vectorised array functions. `channels` is the length of the last
/// Keras axis, which only softmax needs.
///
/// Every derivative is written in terms of z and a so the backward pass needs no re-evaluation.

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "innspect/core/scratch.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
/// e^min(z,0) − 1, what SELU and ELU need for z ≤ 0. Eigen 3.4 evaluates `expm1` one scalar libm
/// call at a time (a third of the seed model's forward pass in float); for float the vectorised
/// `exp` − 1 is used instead: its absolute error (~6e-8) is below float's resolution of the
/// result's scale. Double keeps `expm1` for full relative accuracy near 0.
/// Written into `e` (vectorised; no temporary), which the caller then combines coefficient by
/// coefficient: Eigen's select is not vectorised, so the exponential must not be inside it.
template <class T>
void expm1_nonpositive(const Batch<T>& z, Batch<T>& e) {
    if constexpr (std::is_same_v<T, float>)
        e = (z.array().min(T(0)).exp() - T(1)).matrix();
    else
        e = z.array().min(T(0)).expm1().matrix();
}
}  // namespace detail

/// f(z) = z.
struct Linear {
    static constexpr std::string_view name = "linear";
    static constexpr bool is_identity = true;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = z;
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>&, Batch<T>&, int) {}
};

/// f(z) = max(z, 0); f'(0) = 0.
struct Relu {
    static constexpr std::string_view name = "relu";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = z.cwiseMax(T(0));
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        g = (z.array() > T(0)).select(g, T(0));
    }
};

/// SELU (Klambauer et al. 2017): f(z) = s·z for z > 0, s·α·(eᶻ − 1) otherwise, with Keras's
/// constants α = 1.6732632423543772848, s = 1.0507009873554804934.
struct Selu {
    static constexpr std::string_view name = "selu";
    static constexpr bool is_identity = false;
    static constexpr double alpha = 1.6732632423543772848170429916717;
    static constexpr double scale = 1.0507009873554804934193349852946;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        const T s = T(scale), sa = T(scale * alpha);
        detail::expm1_nonpositive(z, a);  // then a_i is read and written in place, index by index
        a = (z.array() > T(0)).select(s * z.array(), sa * a.array());
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>& a, Batch<T>& g, int) {
        // For z <= 0, f'(z) = s·α·eᶻ = a + s·α.
        const T s = T(scale), sa = T(scale * alpha);
        g.array() *= (z.array() > T(0)).select(Batch<T>::Constant(z.rows(), z.cols(), s).array(), a.array() + sa);
    }
};

/// ELU: f(z) = z for z > 0, α(eᶻ − 1) otherwise; f' = 1 or a + α. α = 1 is Keras's default and
/// what the fused `activation="elu"` uses; the ELU layer takes other values.
template <double Alpha = 1.0>
struct EluWith {
    static constexpr std::string_view name = "elu";
    static constexpr bool is_identity = false;
    static constexpr double elu_alpha = Alpha;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        detail::expm1_nonpositive(z, a);  // then a_i is read and written in place, index by index
        if constexpr (Alpha == 1.0)
            a = (z.array() > T(0)).select(z.array(), a.array());
        else
            a = (z.array() > T(0)).select(z.array(), T(Alpha) * a.array());
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>& a, Batch<T>& g, int) {
        g.array() *= (z.array() > T(0)).select(Batch<T>::Ones(z.rows(), z.cols()).array(), a.array() + T(Alpha));
    }
};
using Elu = EluWith<>;

/// Leaky ReLU: f(z) = z for z > 0, slope·z otherwise. The default slope 0.3 is Keras 2's
/// `LeakyReLU` default.
template <double Slope = 0.3>
struct LeakyReluWith {
    static constexpr std::string_view name = "leaky_relu";
    static constexpr bool is_identity = false;
    static constexpr double slope = Slope;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (z.array() > T(0)).select(z.array(), T(Slope) * z.array());
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        g = (z.array() > T(0)).select(g, T(Slope) * g);
    }
};
using LeakyRelu = LeakyReluWith<>;

/// Keras's ReLU layer in full, as Keras 2.2.4's backend computes it:
///   f(z) = clip(z·[z > threshold], 0, max_value) − slope·max(threshold − z, 0)
/// (the clip only when max_value is finite). (Keras ReLU(max_value=255) appears in real decoders.)
template <double MaxValue, double Slope = 0.0, double Threshold = 0.0>
struct ReluWith {
    static constexpr std::string_view name = "relu";
    static constexpr bool is_identity = false;
    static constexpr double max_value = MaxValue, negative_slope = Slope, threshold = Threshold;
    static constexpr bool clipped = MaxValue < std::numeric_limits<double>::infinity();
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        auto kept = (z.array() > T(Threshold)).select(z.array(), T(0));
        if constexpr (clipped)
            a = kept.max(T(0)).min(T(MaxValue)) - T(Slope) * (T(Threshold) - z.array()).max(T(0));
        else
            a = kept - T(Slope) * (T(Threshold) - z.array()).max(T(0));
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        // d/dz: 1 where z passes (above the threshold, inside the clip), + slope below the threshold.
        const auto pass = clipped ? (z.array() > T(Threshold) && z.array() > T(0) && z.array() < T(MaxValue)).eval()
                                  : (z.array() > T(Threshold)).eval();
        const auto below = (z.array() < T(Threshold)).eval();
        g = (pass.template cast<T>() + T(Slope) * below.template cast<T>()).matrix().cwiseProduct(g);
    }
};

/// f(z) = tanh z; f' = 1 − a².
struct Tanh {
    static constexpr std::string_view name = "tanh";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = z.array().tanh();
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int) {
        g.array() *= T(1) - a.array().square();
    }
};

/// f(z) = 1 / (1 + e⁻ᶻ); f' = a(1 − a).
struct Sigmoid {
    static constexpr std::string_view name = "sigmoid";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (T(1) + (-z.array()).exp()).inverse();
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int) {
        g.array() *= a.array() * (T(1) - a.array());
    }
};

/// Softmax over the last Keras axis (groups of `channels` consecutive features):
/// a_k = e^{z_k} / Σ_l e^{z_l}. Not elementwise: its vector-Jacobian product is
/// g ↦ a ⊙ (g − Σ a⊙g) within each group.
struct Softmax {
    static constexpr std::string_view name = "softmax";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int channels) {
        a.resize(z.rows(), z.cols());
        const Eigen::Index groups = z.size() / channels;
        Eigen::Map<const Matrix<T>> zm(z.data(), groups, channels);
        Eigen::Map<Matrix<T>> am(a.data(), groups, channels);
        // Subtracting the row maximum keeps exp from overflowing; the result is unchanged. The
        // per-group maxima and sums go to the thread's scratch (Eigen would make temporaries).
        auto m = detail::scratch_matrix<T>(groups, 1);
        m = zm.rowwise().maxCoeff();
        am = (zm.colwise() - m.col(0)).array().exp();
        m = am.rowwise().sum();
        am.array().colwise() /= m.col(0).array();
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int channels) {
        const Eigen::Index groups = a.size() / channels;
        Eigen::Map<const Matrix<T>> am(a.data(), groups, channels);
        Eigen::Map<Matrix<T>> gm(g.data(), groups, channels);
        // The per-group sums go to the thread's scratch, as in forward.
        auto dot = detail::scratch_matrix<T>(groups, 1);
        dot = (am.array() * gm.array()).rowwise().sum();
        gm = (am.array() * (gm.colwise() - dot.col(0)).array()).matrix();
    }
};

/// Softmax along one axis that is not the last: the flat channels-last row is a sequence of blocks
/// of N × Stride values (N the axis's size, Stride the size of the axes after it), and within a
/// block each of the Stride columns is one group: a_j = e^{z_j} / Σ_{l in its column} e^{z_l}.
/// Its vector-Jacobian product is g ↦ a ⊙ (g − Σ a⊙g) within each group, as Softmax's.
template <int N, int Stride>
struct SoftmaxOver {
    static_assert(N > 0 && Stride > 0, "SoftmaxOver: sizes must be positive");
    static constexpr std::string_view name = "softmax";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a.resize(z.rows(), z.cols());
        for (Eigen::Index b = 0; b < z.size() / (N * Stride); ++b) {
            Eigen::Map<const Matrix<T>> zb(z.data() + b * N * Stride, N, Stride);
            Eigen::Map<Matrix<T>> ab(a.data() + b * N * Stride, N, Stride);
            ab = (zb.rowwise() - zb.colwise().maxCoeff()).array().exp();
            ab.array().rowwise() /= ab.colwise().sum().array();
        }
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int) {
        for (Eigen::Index b = 0; b < a.size() / (N * Stride); ++b) {
            Eigen::Map<const Matrix<T>> ab(a.data() + b * N * Stride, N, Stride);
            Eigen::Map<Matrix<T>> gb(g.data() + b * N * Stride, N, Stride);
            const Eigen::Matrix<T, 1, Eigen::Dynamic> dot = (ab.array() * gb.array()).colwise().sum();
            gb = (ab.array() * (gb.rowwise() - dot).array()).matrix();
        }
    }
};

/// f(z) = log(1 + eᶻ), computed as max(z, 0) + log1p(e^−|z|) (no overflow); f' = σ(z).
struct Softplus {
    static constexpr std::string_view name = "softplus";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (z.array().max(T(0)) + (-z.array().abs()).exp().log1p()).matrix();
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        g.array() *= (T(1) + (-z.array()).exp()).inverse();
    }
};

/// f(z) = z / (1 + |z|); f' = 1 / (1 + |z|)².
struct Softsign {
    static constexpr std::string_view name = "softsign";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (z.array() / (T(1) + z.array().abs())).matrix();
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        g.array() *= (T(1) + z.array().abs()).square().inverse();
    }
};

/// Swish / SiLU: f(z) = z·σ(z); f' = σ(z)·(1 + z·(1 − σ(z))). tf.keras names it "swish", Keras 3
/// "silu": `Swish` and `Silu` differ only in that name (what the architecture check compares).
template <class Tag>
struct SwishNamed {
    static constexpr std::string_view name = Tag::name;
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (z.array() * (T(1) + (-z.array()).exp()).inverse()).matrix();
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        const auto s = (T(1) + (-z.array()).exp()).inverse().eval();
        g.array() *= s * (T(1) + z.array() * (T(1) - s));
    }
};
namespace detail {
struct SwishName {
    static constexpr std::string_view name = "swish";
};
struct SiluName {
    static constexpr std::string_view name = "silu";
};
}  // namespace detail
using Swish = SwishNamed<detail::SwishName>;
using Silu = SwishNamed<detail::SiluName>;

/// GELU, exact (Keras's `gelu` with approximate=False, its default in tf.keras and Keras 3):
/// f(z) = z·Φ(z) = ½ z (1 + erf(z/√2)); f' = Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π).
struct Gelu {
    static constexpr std::string_view name = "gelu";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = z.unaryExpr([](T v) { return T(0.5) * v * (T(1) + std::erf(v / std::sqrt(T(2)))); });
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        const T inv_sqrt_2pi = T(0.39894228040143267793994605993438);
        g.array() *= z.array().unaryExpr([inv_sqrt_2pi](T v) {
            return T(0.5) * (T(1) + std::erf(v / std::sqrt(T(2)))) + v * inv_sqrt_2pi * std::exp(T(-0.5) * v * v);
        });
    }
};

/// f(z) = eᶻ; f' = a.
struct Exponential {
    static constexpr std::string_view name = "exponential";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = z.array().exp().matrix();
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int) {
        g.array() *= a.array();
    }
};

/// Hard sigmoid, f(z) = clip(slope·z + ½, 0, 1), f' = slope inside. Keras 2 and Keras 3 both call
/// it "hard_sigmoid" but differ: Keras 2 uses slope 0.2 (`HardSigmoid`), Keras 3 slope 1/6
/// (relu6(z + 3)/6, `HardSigmoidKeras3`). A file does not say which Keras wrote its config in
/// the config itself, so the declaration chooses explicitly.
template <int Numerator, int Denominator>
struct HardSigmoidWith {
    static constexpr std::string_view name = "hard_sigmoid";
    static constexpr bool is_identity = false;
    static constexpr double hard_slope = double(Numerator) / double(Denominator);
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (T(hard_slope) * z.array() + T(0.5)).max(T(0)).min(T(1)).matrix();
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>&, Batch<T>& g, int) {
        const T edge = T(0.5 / hard_slope);  // f is flat beyond ±edge
        g = (z.array().abs() < edge).select(T(hard_slope) * g.array(), T(0)).matrix();
    }
};
using HardSigmoid = HardSigmoidWith<1, 5>;
using HardSigmoidKeras3 = HardSigmoidWith<1, 6>;

/// Satisfied by the activation types above: value and vector-Jacobian product on batches.
template <class A>
concept ActivationFunction = requires(const Batch<float>& z, Batch<float>& a) {
    { A::name } -> std::convertible_to<std::string_view>;
    { A::is_identity } -> std::convertible_to<bool>;
    A::forward(z, a, 1);
    A::vjp(z, z, a, 1);
};

}  // namespace innspect

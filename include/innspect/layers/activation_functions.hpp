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
#include <string_view>
#include <type_traits>

#include "innspect/core/tensor.hpp"

namespace innspect {

namespace detail {
/// e^min(z,0) − 1, what SELU and ELU need for z ≤ 0. Eigen 3.4 evaluates `expm1` one scalar libm
/// call at a time (a third of the seed model's forward pass in float); for float the vectorised
/// `exp` − 1 is used instead: its absolute error (~6e-8) is below float's resolution of the
/// result's scale. Double keeps `expm1` for full relative accuracy near 0.
template <class T>
Batch<T> expm1_nonpositive(const Batch<T>& z) {
    if constexpr (std::is_same_v<T, float>)
        return (z.array().min(T(0)).exp() - T(1)).matrix();
    else
        return z.array().min(T(0)).expm1().matrix();
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
        a = (z.array() > T(0)).select(s * z.array(), sa * detail::expm1_nonpositive(z));
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>& a, Batch<T>& g, int) {
        // For z <= 0, f'(z) = s·α·eᶻ = a + s·α.
        const T s = T(scale), sa = T(scale * alpha);
        g.array() *= (z.array() > T(0)).select(Batch<T>::Constant(z.rows(), z.cols(), s).array(), a.array() + sa);
    }
};

/// ELU with α = 1 (Keras's default): f(z) = z for z > 0, eᶻ − 1 otherwise.
struct Elu {
    static constexpr std::string_view name = "elu";
    static constexpr bool is_identity = false;
    template <class T>
    static void forward(const Batch<T>& z, Batch<T>& a, int) {
        a = (z.array() > T(0)).select(z.array(), detail::expm1_nonpositive(z));
    }
    template <class T>
    static void vjp(const Batch<T>& z, const Batch<T>& a, Batch<T>& g, int) {
        g.array() *= (z.array() > T(0)).select(Batch<T>::Ones(z.rows(), z.cols()).array(), a.array() + T(1));
    }
};

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
        // Subtracting the row maximum keeps exp from overflowing; the result is unchanged.
        am = (zm.colwise() - zm.rowwise().maxCoeff()).array().exp();
        am.array().colwise() /= am.rowwise().sum().array();
    }
    template <class T>
    static void vjp(const Batch<T>&, const Batch<T>& a, Batch<T>& g, int channels) {
        const Eigen::Index groups = a.size() / channels;
        Eigen::Map<const Matrix<T>> am(a.data(), groups, channels);
        Eigen::Map<Matrix<T>> gm(g.data(), groups, channels);
        const Vector<T> dot = (am.array() * gm.array()).rowwise().sum();
        gm = (am.array() * (gm.colwise() - dot).array()).matrix();
    }
};

/// Satisfied by the activation types above: value and vector-Jacobian product on batches.
template <class A>
concept ActivationFunction = requires(const Batch<float>& z, Batch<float>& a) {
    { A::name } -> std::convertible_to<std::string_view>;
    { A::is_identity } -> std::convertible_to<bool>;
    A::forward(z, a, 1);
    A::vjp(z, z, a, 1);
};

}  // namespace innspect

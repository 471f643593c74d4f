#pragma once
/// \file
/// Helpers shared by the layer and model tests: seeded random batches and parameters, closeness
/// checks with the worst entry in the message, and reference implementations written from the
/// Keras / TensorFlow definitions (tests/reference/README.md), not from innspect's code:
/// activations as scalar std:: functions, Conv2D as the direct 6-fold sum, Conv2DTranspose as
/// the scatter, Dense as the per-position matrix product.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

namespace innspect::test {

// ---- random data --------------------------------------------------------------------------------

/// A seeded generator: every test is reproducible.
struct Rng {
    std::mt19937_64 engine;
    explicit Rng(std::uint64_t seed) : engine(seed) {}

    double normal() { return std::normal_distribution<double>(0.0, 1.0)(engine); }
    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(engine); }

    template <class T>
    Batch<T> batch(Eigen::Index rows, Eigen::Index cols) {
        Batch<T> b(rows, cols);
        for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = static_cast<T>(normal());
        return b;
    }
    template <class T>
    void fill(Matrix<T>& m) {
        for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(normal());
    }
    template <class T>
    void fill(Vector<T>& v) {
        for (Eigen::Index i = 0; i < v.size(); ++i) v.data()[i] = static_cast<T>(normal());
    }
};

// ---- exceptions ---------------------------------------------------------------------------------

/// The message of the E that f() throws, or "(nothing thrown)".
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

// ---- comparisons --------------------------------------------------------------------------------

/// Outcome of an elementwise comparison: ok, and where the worst violation is.
struct Closeness {
    bool ok = true;
    std::string message;
};

/// |actual − expected| ≤ rtol · max(1, |expected|) for every entry (relative for values beyond 1,
/// absolute below), shapes equal. The message names the worst entry.
template <class A, class B>
Closeness close(const Eigen::MatrixBase<A>& actual, const Eigen::MatrixBase<B>& expected, double rtol) {
    Closeness c;
    if (actual.rows() != expected.rows() || actual.cols() != expected.cols()) {
        c.ok = false;
        c.message = "shape " + std::to_string(actual.rows()) + "x" + std::to_string(actual.cols()) + " vs expected " +
                    std::to_string(expected.rows()) + "x" + std::to_string(expected.cols());
        return c;
    }
    double worst = -1;
    Eigen::Index wr = 0, wc = 0;
    for (Eigen::Index r = 0; r < actual.rows(); ++r)
        for (Eigen::Index k = 0; k < actual.cols(); ++k) {
            const double a = static_cast<double>(actual(r, k)), e = static_cast<double>(expected(r, k));
            const double bound = rtol * std::max(1.0, std::abs(e)), diff = std::abs(a - e);
            if (!(diff <= bound)) c.ok = false;  // a NaN on either side fails
            double ratio = bound > 0 ? diff / bound : (diff == 0 ? 0.0 : INFINITY);
            if (std::isnan(ratio)) ratio = INFINITY;
            if (ratio > worst) {
                worst = ratio;
                wr = r;
                wc = k;
            }
        }
    std::ostringstream os;
    os.precision(17);
    if (actual.size() > 0)
        os << "worst at (" << wr << ", " << wc << "): actual " << static_cast<double>(actual(wr, wc)) << ", expected "
           << static_cast<double>(expected(wr, wc)) << ", |diff| / (rtol·max(1,|expected|)) = " << worst
           << " (rtol " << rtol << ")";
    c.message = os.str();
    return c;
}

/// CHECKs closeness, printing the worst entry when it fails.
#define INNSPECT_CHECK_CLOSE(actual, expected, rtol)                                  \
    do {                                                                              \
        const ::innspect::test::Closeness innspect_c_ = ::innspect::test::close((actual), (expected), (rtol)); \
        INFO(innspect_c_.message);                                                    \
        CHECK(innspect_c_.ok);                                                        \
    } while (0)

/// Bitwise-equal matrices of equal shape.
template <class A, class B>
bool identical(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (Eigen::Index r = 0; r < a.rows(); ++r)
        for (Eigen::Index k = 0; k < a.cols(); ++k)
            if (!(a(r, k) == b(r, k))) return false;
    return true;
}

/// Builds a batch from a braced list of rows: rows({{1, 2}, {3, 4}}).
template <class T = double>
Batch<T> rows(std::initializer_list<std::initializer_list<double>> values) {
    const auto n = static_cast<Eigen::Index>(values.size());
    const auto m = static_cast<Eigen::Index>(values.begin()->size());
    Batch<T> b(n, m);
    Eigen::Index r = 0;
    for (const auto& row : values) {
        REQUIRE(static_cast<Eigen::Index>(row.size()) == m);
        Eigen::Index k = 0;
        for (double v : row) b(r, k++) = static_cast<T>(v);
        ++r;
    }
    return b;
}

/// "(16, 16, 1)" for any Shape type, from its static members.
template <class S>
std::string shape_str() {
    return S::rank == 1 ? "(" + std::to_string(S::c) + ",)"
                        : "(" + std::to_string(S::h) + ", " + std::to_string(S::w) + ", " + std::to_string(S::c) + ")";
}

// ---- reference activations (Keras definitions, scalar std:: functions) ---------------------------

inline constexpr double selu_alpha = 1.6732632423543772848170429916717;
inline constexpr double selu_scale = 1.0507009873554804934193349852946;

template <class Act>
struct is_leaky : std::false_type {};
template <double S>
struct is_leaky<LeakyReluWith<S>> : std::true_type {};

/// f(z) for an elementwise activation.
template <class Act>
double ref_activation(double z) {
    if constexpr (std::is_same_v<Act, Linear>) return z;
    else if constexpr (std::is_same_v<Act, Relu>) return z > 0 ? z : 0.0;
    else if constexpr (std::is_same_v<Act, Selu>) return z > 0 ? selu_scale * z : selu_scale * selu_alpha * (std::exp(z) - 1);
    else if constexpr (std::is_same_v<Act, Elu>) return z > 0 ? z : std::exp(z) - 1;
    else if constexpr (is_leaky<Act>::value) return z > 0 ? z : Act::slope * z;
    else if constexpr (std::is_same_v<Act, Tanh>) return std::tanh(z);
    else if constexpr (std::is_same_v<Act, Sigmoid>) return 1.0 / (1.0 + std::exp(-z));
    else static_assert(sizeof(Act) == 0, "ref_activation: no reference for this activation");
}

/// f applied to a batch whose last Keras axis has `channels` entries (softmax normalises each
/// group of `channels` consecutive features; the others act elementwise). Computed in double.
template <class Act, class T>
Batch<double> ref_activation_batch(const Batch<T>& z, int channels) {
    Batch<double> a(z.rows(), z.cols());
    for (Eigen::Index r = 0; r < z.rows(); ++r) {
        if constexpr (std::is_same_v<Act, Softmax>) {
            for (Eigen::Index g = 0; g < z.cols(); g += channels) {
                double m = -INFINITY, sum = 0;
                for (int k = 0; k < channels; ++k) m = std::max(m, static_cast<double>(z(r, g + k)));
                for (int k = 0; k < channels; ++k) sum += std::exp(static_cast<double>(z(r, g + k)) - m);
                for (int k = 0; k < channels; ++k) a(r, g + k) = std::exp(static_cast<double>(z(r, g + k)) - m) / sum;
            }
        } else {
            for (Eigen::Index k = 0; k < z.cols(); ++k) a(r, k) = ref_activation<Act>(static_cast<double>(z(r, k)));
        }
    }
    return a;
}

// ---- reference linear layers (written from the Keras definitions) --------------------------------

/// Keras/TensorFlow output length and padding before, per axis (README "Conventions").
struct AxisGeometry {
    int out, pad_before;
};
/// k taps d apart span (k − 1)·d + 1 inputs. Causal (Conv1D): d·(k − 1) zeros before, then valid.
inline AxisGeometry keras_conv_axis(int in, int k, int s, Padding p, int d = 1) {
    const int span = (k - 1) * d + 1;
    if (p == Padding::valid) return {(in - span) / s + 1, 0};
    if (p == Padding::causal) return {(in + span - 1 - span) / s + 1, span - 1};
    const int out = (in + s - 1) / s;
    const int total = std::max((out - 1) * s + span - in, 0);
    return {out, total / 2};
}
inline AxisGeometry keras_conv_transpose_axis(int in, int k, int s, Padding p) {
    if (p == Padding::valid) return {in * s + std::max(k - s, 0), 0};
    return {in * s, std::max(k - s, 0) / 2};
}

/// Conv2D: y[n,i,j,o] = Σ_{a,b,c} xpad[n, i·sh + a·dh, j·sw + b·dw, c] K[a,b,c,o] (+ bias[o]).
/// `kernel` holds K in Keras's C order [kh, kw, in, out] (Conv1D: [k, in, out], H = kh = 1).
template <class T>
Batch<double> ref_conv2d(const Batch<T>& x, int H, int W, int C, const T* kernel, int kh, int kw, int F, int sh, int sw,
                         Padding p, const T* bias, int dh = 1, int dw = 1) {
    const AxisGeometry gh = keras_conv_axis(H, kh, sh, p, dh), gw = keras_conv_axis(W, kw, sw, p, dw);
    Batch<double> y = Batch<double>::Zero(x.rows(), gh.out * gw.out * F);
    for (Eigen::Index n = 0; n < x.rows(); ++n)
        for (int i = 0; i < gh.out; ++i)
            for (int j = 0; j < gw.out; ++j)
                for (int o = 0; o < F; ++o) {
                    double acc = bias ? static_cast<double>(bias[o]) : 0.0;
                    for (int a = 0; a < kh; ++a)
                        for (int b = 0; b < kw; ++b) {
                            const int ih = i * sh + a * dh - gh.pad_before, iw = j * sw + b * dw - gw.pad_before;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            for (int c = 0; c < C; ++c)
                                acc += static_cast<double>(x(n, (ih * W + iw) * C + c)) *
                                       static_cast<double>(kernel[((a * kw + b) * C + c) * F + o]);
                        }
                    y(n, (i * gw.out + j) * F + o) = acc;
                }
    return y;
}

/// Conv2DTranspose: y[n, i·sh − ph + a, j·sw − pw + b, o] += x[n,i,j,c] K[a,b,o,c], positions
/// outside the output dropped, then + bias[o]. `kernel` holds K in Keras's C order [kh, kw, out, in].
template <class T>
Batch<double> ref_conv2d_transpose(const Batch<T>& x, int H, int W, int C, const T* kernel, int kh, int kw, int F,
                                   int sh, int sw, Padding p, const T* bias) {
    const AxisGeometry gh = keras_conv_transpose_axis(H, kh, sh, p), gw = keras_conv_transpose_axis(W, kw, sw, p);
    Batch<double> y = Batch<double>::Zero(x.rows(), gh.out * gw.out * F);
    for (Eigen::Index n = 0; n < x.rows(); ++n) {
        for (int i = 0; i < H; ++i)
            for (int j = 0; j < W; ++j)
                for (int a = 0; a < kh; ++a)
                    for (int b = 0; b < kw; ++b) {
                        const int oh = i * sh - gh.pad_before + a, ow = j * sw - gw.pad_before + b;
                        if (oh < 0 || oh >= gh.out || ow < 0 || ow >= gw.out) continue;
                        for (int o = 0; o < F; ++o)
                            for (int c = 0; c < C; ++c)
                                y(n, (oh * gw.out + ow) * F + o) += static_cast<double>(x(n, (i * W + j) * C + c)) *
                                                                     static_cast<double>(kernel[((a * kw + b) * F + o) * C + c]);
                    }
        if (bias)
            for (int q = 0; q < gh.out * gw.out; ++q)
                for (int o = 0; o < F; ++o) y(n, q * F + o) += static_cast<double>(bias[o]);
    }
    return y;
}

/// Dense on the last axis: y[n, q, u] = Σ_c x[n, q, c] K[c, u] (+ bias[u]), q over the positions.
template <class T>
Batch<double> ref_dense(const Batch<T>& x, int C, const T* kernel, int U, const T* bias) {
    const Eigen::Index positions = x.cols() / C;
    Batch<double> y(x.rows(), positions * U);
    for (Eigen::Index n = 0; n < x.rows(); ++n)
        for (Eigen::Index q = 0; q < positions; ++q)
            for (int u = 0; u < U; ++u) {
                double acc = bias ? static_cast<double>(bias[u]) : 0.0;
                for (int c = 0; c < C; ++c)
                    acc += static_cast<double>(x(n, q * C + c)) * static_cast<double>(kernel[c * U + u]);
                y(n, q * U + u) = acc;
            }
    return y;
}

}  // namespace innspect::test

#pragma once
/// \file
/// The conformance check every linear layer (Dense, Conv2D, Conv2DTranspose, and any new one)
/// passes: one call per layer declaration and input shape,
///
///   check_linear_layer<Conv2D<"c", 3, Kernel<3, 2>, Relu, Strides<2, 1>, Padding::same>, Shape<5, 6, 2>>();
///
/// What it checks, for random x, s, P (seeded, so reproducible):
///  1. the contract types: LinearLayer concept, output shape = Keras's, kernel / bias shapes and
///     `weights()` in Keras's layout (writing through a WeightRef changes the parameters);
///  2. adjointness  ⟨apply(x, P without bias), s⟩ = ⟨x, apply_transposed(s, P)⟩;
///  3. apply_transposed = the Jacobian of apply, column by column by central differences
///     (exact for a linear map up to rounding), and it ignores the bias;
///  4. bias handling: apply(x, P) − apply(x, P without bias) = bias broadcast per output channel;
///  5. apply against a direct reference written from the Keras definition (Dense: per-position
///     matrix product; Conv2D: the 6-fold sum with TensorFlow's padding; Conv2DTranspose: the scatter);
///  6. forward(x) = f(apply(x, own params)), f evaluated with scalar std:: functions; `pre` holds
///     apply(x) (empty for a linear activation);
///  7. the layer gradient backward_linear(vjp_f(g)) against central differences of forward;
///  8. determinism (bitwise) and batch independence (a batch equals its rows one at a time);
///  9. backward_linear = apply_transposed with the layer's own parameters (bitwise);
/// 10. an empty batch maps to an empty batch; a wrong feature count is a shape_error naming the layer.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

namespace innspect::test {

/// Tolerance (relative to the natural scale of each check) for rounding-level agreement.
template <class T>
constexpr double rounding_tol() {
    return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

/// Keras's kernel shape and output shape of a linear layer, derived from its declaration only.
template <class L>
std::vector<std::int64_t> expected_kernel_shape() {
    using In = typename L::input_shape;
    if constexpr (L::keras_class == "Dense") return {In::c, L::units};
    else if constexpr (L::keras_class == "Conv2D")
        return {L::kernel_size::h, L::kernel_size::w, In::c, L::filters};
    else if constexpr (L::keras_class == "Conv1D")
        return {L::kernel_size::w, In::c, L::filters};
    else if constexpr (L::keras_class == "Conv1DTranspose")
        return {L::kernel_size::w, L::filters, In::c};
    else
        return {L::kernel_size::h, L::kernel_size::w, L::filters, In::c};
}

/// The dilation of a layer (1, 1 for those without one).
template <class L>
constexpr int dilation_h() {
    if constexpr (requires { L::dilation::h; }) return L::dilation::h;
    else return 1;
}
template <class L>
constexpr int dilation_w() {
    if constexpr (requires { L::dilation::w; }) return L::dilation::w;
    else return 1;
}
template <class L>
std::vector<std::int64_t> expected_output_shape() {
    using In = typename L::input_shape;
    if constexpr (L::keras_class == "Dense") {
        if constexpr (In::rank == 1) return {L::units};
        else return {In::h, In::w, L::units};
    } else {
        using K = typename L::kernel_size;
        using S = typename L::strides;
        constexpr bool t = L::keras_class == "Conv2DTranspose" || L::keras_class == "Conv1DTranspose";
        const auto ax = [](int in, int k, int s, int d) {
            return t ? keras_conv_transpose_axis(in, k, s, L::padding).out : keras_conv_axis(in, k, s, L::padding, d).out;
        };
        if constexpr (L::keras_class == "Conv1D" || L::keras_class == "Conv1DTranspose") {
            static_assert(In::rank == 2);
            return {ax(In::w, K::w, S::w, dilation_w<L>()), L::filters};
        } else {
            return {ax(In::h, K::h, S::h, dilation_h<L>()), ax(In::w, K::w, S::w, dilation_w<L>()), L::filters};
        }
    }
}

/// apply(x, P) computed from the Keras definition, in double.
template <class L, class T>
Batch<double> reference_apply(const Batch<T>& x, const LinearParams<T>& p) {
    using In = typename L::input_shape;
    const T* bias = p.has_bias ? p.bias.data() : nullptr;
    if constexpr (L::keras_class == "Dense") {
        return ref_dense(x, In::c, p.kernel.data(), L::units, bias);
    } else {
        using K = typename L::kernel_size;
        using S = typename L::strides;
        if constexpr (L::keras_class == "Conv2D" || L::keras_class == "Conv1D")
            return ref_conv2d(x, In::h, In::w, In::c, p.kernel.data(), K::h, K::w, L::filters, S::h, S::w, L::padding,
                              bias, dilation_h<L>(), dilation_w<L>());
        else
            return ref_conv2d_transpose(x, In::h, In::w, In::c, p.kernel.data(), K::h, K::w, L::filters, S::h, S::w,
                                        L::padding, bias);
    }
}

/// A readable description of the layer under test, for failure messages.
template <class L>
std::string describe_linear() {
    std::string d = std::string(L::keras_class) + " in " + shape_str<typename L::input_shape>() + " out " +
                    shape_str<typename L::output_shape>();
    if constexpr (L::keras_class != "Dense") {
        d += " kernel (" + std::to_string(L::kernel_size::h) + "," + std::to_string(L::kernel_size::w) + ") strides (" +
             std::to_string(L::strides::h) + "," + std::to_string(L::strides::w) + ") " +
             padding_name(L::padding) + " dilation (" + std::to_string(dilation_h<L>()) + "," +
             std::to_string(dilation_w<L>()) + ")";
        d += detail::im2col_is_identity(L::conv_geometry()) ? " [im2col identity path]" : " [im2col path]";
    }
    d += std::string(" bias ") + (L::use_bias ? "on" : "off") + " activation " + std::string(L::activation::name);
    return d;
}

namespace conformance {
// The checks proper depend on the scalar only, so they compile once per scalar type rather than
// once per layer; the per-layer template below only calls the layer.

/// ⟨z, s⟩ = ⟨x, c⟩ where z = apply(x), c = apply_transposed(s).
template <class T>
void adjoint(const Batch<T>& x, const Batch<T>& z, const Batch<T>& s, const Batch<T>& c, double tol) {
    REQUIRE(c.rows() == x.rows());
    REQUIRE(c.cols() == x.cols());
    const double lhs = (z.template cast<double>().array() * s.template cast<double>().array()).sum();
    const double rhs = (x.template cast<double>().array() * c.template cast<double>().array()).sum();
    const double scale = static_cast<double>(z.norm()) * static_cast<double>(s.norm()) +
                         static_cast<double>(x.norm()) * static_cast<double>(c.norm());
    INFO("<apply(x), s> = " << lhs << ", <x, apply_transposed(s)> = " << rhs);
    CHECK(z.norm() > 0);
    CHECK(std::abs(lhs - rhs) <= tol * scale);
}

/// x0 ± h·e_i for every i, one per row.
template <class T>
std::pair<Batch<T>, Batch<T>> perturbed(const Batch<T>& x0, T h) {
    const Eigen::Index n = x0.cols();
    Batch<T> xp = x0.replicate(n, 1), xm = xp;
    for (Eigen::Index i = 0; i < n; ++i) {
        xp(i, i) += h;
        xm(i, i) -= h;
    }
    return {std::move(xp), std::move(xm)};
}

/// zp, zm: apply at x0 ± h·e_i (row i); J = apply_transposed(identity): J(j, i) = ∂z_j/∂x_i.
template <class T>
void jacobian(const Batch<T>& zp, const Batch<T>& zm, T h, const Batch<T>& J, double tol) {
    const Batch<double> D = (zp.template cast<double>() - zm.template cast<double>()) / (2.0 * static_cast<double>(h));
    const Batch<double> Jt = J.template cast<double>().transpose();
    CHECK(D.cwiseAbs().maxCoeff() > 0);
    INNSPECT_CHECK_CLOSE(Jt, D, tol);
}

/// zb − z0 = bias[k mod channels] for every feature k.
template <class T>
void bias_broadcast(const Batch<T>& zb, const Batch<T>& z0, const Vector<T>& bias, int channels, double tol) {
    const Batch<double> diff = zb.template cast<double>() - z0.template cast<double>();
    Batch<double> expect(z0.rows(), z0.cols());
    for (Eigen::Index r = 0; r < expect.rows(); ++r)
        for (Eigen::Index k = 0; k < expect.cols(); ++k) expect(r, k) = static_cast<double>(bias(k % channels));
    const double scale = std::max(1.0, static_cast<double>(z0.cwiseAbs().maxCoeff()));
    INNSPECT_CHECK_CLOSE(diff, expect, tol * scale);
}

template <class T, class U>
void close_to(const Batch<T>& actual, const Batch<U>& expected, double tol) {
    INNSPECT_CHECK_CLOSE(actual, expected, tol);
}
template <class T>
void same_bits(const Batch<T>& a, const Batch<T>& b) {
    CHECK(identical(a, b));
}

/// A directional derivative: ⟨grad, v⟩ against ⟨(f(x + hv) − f(x − hv)) / 2h, g⟩.
inline void directional(const Batch<double>& grad, const Batch<double>& v, const Batch<double>& fp,
                        const Batch<double>& fm, const Batch<double>& g, double h) {
    const double analytic = (grad.array() * v.array()).sum();
    const double numeric = ((fp - fm).array() * g.array()).sum() / (2 * h);
    INFO("directional derivative: analytic " << analytic << ", central differences " << numeric);
    CHECK(std::abs(analytic - numeric) <= 1e-6 * (1.0 + std::abs(numeric)));
}

inline void keras_shapes(const std::vector<std::int64_t>& out, const std::vector<std::int64_t>& expected_out,
                         const std::vector<std::int64_t>& kernel, const std::vector<std::int64_t>& expected_kernel) {
    CHECK(out == expected_out);
    CHECK(kernel == expected_kernel);
}
}  // namespace conformance

/// The conformance check (see the file comment). `Spec` is a layer declaration, `In` its input
/// shape, T the scalar. Finite differences run on layers with at most `max_jacobian` entries.
template <LayerSpec Spec, ShapeType In, class T = double>
void check_linear_layer(std::uint64_t seed = 7, long max_jacobian = 60000) {
    using L = typename Spec::template layer<T, In>;
    using Out = typename L::output_shape;
    using Act = typename L::activation;
    static_assert(LinearLayer<L>, "check_linear_layer: not a linear layer");
    static_assert(std::is_same_v<Out, typename Spec::template output_shape_for<In>>);
    constexpr int n_in = In::size, n_out = Out::size, channels = Out::c;
    const double tol = rounding_tol<T>();
    const std::string what = describe_linear<L>();
    INFO("layer under test: " << what);

    Rng rng(seed);
    const Eigen::Index B = 3;

    // 1. contract types and Keras layout -------------------------------------------------------
    L layer;
    {
        const std::vector<std::int64_t> ks = expected_kernel_shape<L>();
        conformance::keras_shapes(Out::keras(), expected_output_shape<L>(), L::kernel_shape(), ks);
        std::int64_t kernel_values = 1;
        for (auto d : ks) kernel_values *= d;
        CHECK(layer.params().kernel.size() == kernel_values);
        CHECK(layer.params().has_bias == L::use_bias);
        auto w = layer.weights();
        REQUIRE(w.size() == (L::use_bias ? 2u : 1u));
        CHECK(w[0].role == "kernel");
        CHECK(w[0].shape == ks);
        CHECK(w[0].data == layer.params().kernel.data());
        if constexpr (L::use_bias) {
            CHECK(w[1].role == "bias");
            CHECK(w[1].shape == std::vector<std::int64_t>{channels});
            CHECK(layer.params().bias.size() == channels);
            w[1].data[channels - 1] = T(4.5);
            CHECK(layer.params().bias(channels - 1) == T(4.5));
        }
        w[0].data[kernel_values - 1] = T(-2.5);
        CHECK(layer.params().kernel.data()[kernel_values - 1] == T(-2.5));
        layer.check_finite();
    }
    rng.fill(layer.params().kernel);
    if constexpr (L::use_bias) rng.fill(layer.params().bias);

    // Substitute parameters of the same shape, with and without a bias.
    LinearParams<T> P0;
    P0.kernel = layer.params().kernel;
    rng.fill(P0.kernel);
    LinearParams<T> Pb = P0;
    Pb.has_bias = true;
    Pb.bias.resize(channels);
    rng.fill(Pb.bias);

    const Batch<T> x = rng.batch<T>(B, n_in);
    const Batch<T> s = rng.batch<T>(B, n_out);
    const Batch<T> z0 = layer.apply(x, P0);
    REQUIRE(z0.rows() == B);
    REQUIRE(z0.cols() == n_out);

    // 2. adjointness; the transposed op ignores the bias ------------------------------------------
    const Batch<T> c = layer.apply_transposed(s, P0);
    conformance::adjoint(x, z0, s, c, tol);
    conformance::same_bits(layer.apply_transposed(s, Pb), c);

    // 3. apply_transposed = Jacobian of apply, by central differences ------------------------------
    if (static_cast<long>(n_in) * n_out <= max_jacobian) {
        const T h = T(0.25);  // exact in binary; apply is linear, so the differences are exact up to rounding
        const auto [xp, xm] = conformance::perturbed(rng.batch<T>(1, n_in), h);
        // With a bias, which must cancel in the differences.
        conformance::jacobian(layer.apply(xp, Pb), layer.apply(xm, Pb), h,
                              layer.apply_transposed(Batch<T>::Identity(n_out, n_out), P0),
                              100 * tol * std::max(1.0, static_cast<double>(P0.kernel.cwiseAbs().maxCoeff())));
    }

    // 4. bias handling ----------------------------------------------------------------------------
    const Batch<T> zb = layer.apply(x, Pb);
    conformance::bias_broadcast(zb, z0, Pb.bias, channels, 4 * tol);

    // 5. apply against the Keras definition -------------------------------------------------------
    {
        const double scale = 1.0 + static_cast<double>(x.cwiseAbs().maxCoeff()) *
                                       static_cast<double>(Pb.kernel.cwiseAbs().maxCoeff()) * std::max(1, n_in / channels);
        conformance::close_to(zb, reference_apply<L>(x, Pb), tol * scale);
        conformance::close_to(z0, reference_apply<L>(x, P0), tol * scale);
    }

    // 6. forward = f(apply(x, own params)) --------------------------------------------------------
    Batch<T> pre, out;
    layer.forward(x, pre, out);
    const Batch<T> z_own = layer.apply(x, layer.params());
    if constexpr (Act::is_identity) {
        CHECK(pre.size() == 0);
        conformance::same_bits(out, z_own);
    } else {
        conformance::same_bits(pre, z_own);
        conformance::close_to(out, ref_activation_batch<Act>(z_own, channels), std::is_same_v<T, float> ? 1e-6 : 1e-14);
    }

    // 7. layer gradient: backward_linear(vjp_f(g)) against central differences of forward ---------
    if constexpr (std::is_same_v<T, double>) {
        for (int trial = 0; trial < 2; ++trial) {
            const Batch<T> g = rng.batch<T>(B, n_out), v = rng.batch<T>(B, n_in);
            Batch<T> gz = g;
            Act::vjp(pre.size() ? pre : out, out, gz, channels);
            const double h = 1e-5;
            Batch<T> pp, op, pm, om;
            layer.forward(x + h * v, pp, op);
            layer.forward(x - h * v, pm, om);
            conformance::directional(layer.backward_linear(gz), v, op, om, g, h);
        }
    }

    // 8. determinism and batch independence -------------------------------------------------------
    {
        conformance::same_bits(layer.apply(x, Pb), zb);
        conformance::same_bits(layer.apply_transposed(s, P0), c);
        Batch<T> pre2, out2;
        layer.forward(x, pre2, out2);
        conformance::same_bits(out, out2);
        conformance::same_bits(pre, pre2);
        const double zs = 1.0 + static_cast<double>(zb.cwiseAbs().maxCoeff());
        const double cs = 1.0 + static_cast<double>(c.cwiseAbs().maxCoeff());
        for (Eigen::Index r = 0; r < B; ++r) {
            conformance::close_to(layer.apply(x.row(r), Pb), Batch<T>(zb.row(r)), tol * zs);
            conformance::close_to(layer.apply_transposed(s.row(r), P0), Batch<T>(c.row(r)), tol * cs);
        }
    }

    // 9. backward_linear = apply_transposed with the layer's own parameters -----------------------
    conformance::same_bits(layer.backward_linear(s), layer.apply_transposed(s, layer.params()));

    // 10. empty batch, wrong sizes -----------------------------------------------------------------
    {
        const Batch<T> e = layer.apply(Batch<T>(0, n_in), Pb);
        CHECK(e.rows() == 0);
        CHECK(e.cols() == n_out);
        const Batch<T> et = layer.apply_transposed(Batch<T>(0, n_out), Pb);
        CHECK(et.rows() == 0);
        CHECK(et.cols() == n_in);
        CHECK_THROWS_AS(layer.apply(Batch<T>::Zero(1, n_in + 1), Pb), shape_error);
        CHECK_THROWS_AS(layer.apply_transposed(Batch<T>::Zero(1, n_out + 1), Pb), shape_error);
        CHECK_THROWS_WITH_AS(layer.apply(Batch<T>::Zero(2, n_in > 1 ? n_in - 1 : 2), Pb),
                             doctest::Contains(std::string(Spec::name).c_str()), shape_error);
    }
}

/// Conv2D's transposed op is Conv2DTranspose's forward and vice versa (same kernel array,
/// strides and padding), when the Conv2DTranspose maps the Conv2D's output back to its input shape.
template <class ConvSpec, class ConvTSpec, ShapeType In, class T = double>
void check_conv_transpose_duality(std::uint64_t seed = 11) {
    using C = typename ConvSpec::template layer<T, In>;
    using CT = typename ConvTSpec::template layer<T, typename C::output_shape>;
    static_assert(std::is_same_v<typename CT::output_shape, In>, "the pair does not map back to the input shape");
    C conv;
    CT convt;
    REQUIRE(conv.params().kernel.rows() == convt.params().kernel.rows());
    REQUIRE(conv.params().kernel.cols() == convt.params().kernel.cols());
    Rng rng(seed);
    LinearParams<T> P;
    P.kernel = conv.params().kernel;
    rng.fill(P.kernel);
    const Batch<T> x = rng.batch<T>(2, In::size), y = rng.batch<T>(2, C::output_shape::size);
    const double tol = rounding_tol<T>() * 10;
    INNSPECT_CHECK_CLOSE(convt.apply(y, P), conv.apply_transposed(y, P), tol);
    INNSPECT_CHECK_CLOSE(convt.apply_transposed(x, P), conv.apply(x, P), tol);
}

}  // namespace innspect::test

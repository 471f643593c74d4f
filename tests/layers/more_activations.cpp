// The activations and activation layers added as one header each (issue 7, step 3): softplus,
// softsign, swish / silu, gelu, exponential, both hard sigmoids, ELU with α; the LeakyReLU, ELU and
// Softmax layers, GlobalMaxPooling2D. Values at points where the closed form is known (ln 2, Φ(1),
// e^−2, ...), derivatives against central differences, the layers' LRP policy and relevance.

#include <doctest/doctest.h>

#include <cmath>
#include <type_traits>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::rows;

namespace {

template <class Act>
Batch<double> act(const Batch<double>& z) {
    Batch<double> a;
    Act::forward(z, a, static_cast<int>(z.cols()));
    return a;
}

/// f'(z) from Act::vjp with g = 1, and from central differences of Act::forward.
template <class Act>
void check_derivative(const Batch<double>& z) {
    Batch<double> a = act<Act>(z), g = Batch<double>::Ones(z.rows(), z.cols());
    Act::vjp(z, a, g, static_cast<int>(z.cols()));
    const double h = 1e-6;
    const Batch<double> fd = (act<Act>(z.array() + h) - act<Act>(z.array() - h)) / (2 * h);
    INFO(Act::name);
    INNSPECT_CHECK_CLOSE(g, fd, 1e-8);
}

const double ln2 = std::log(2.0);
const double phi1 = 0.84134474606854293;  // Φ(1), the standard normal CDF at 1
const double phi_m2 = 0.022750131948179195;  // Φ(−2)

}  // namespace

TEST_CASE("more activations: values at known points") {
    const double tol = 1e-14;
    const Batch<double> z = rows({{-2, 0, 1}});
    // softplus(0) = ln 2; softplus(z) − softplus(−z) = z
    const Batch<double> sp = act<Softplus>(rows({{0, 3, -3}}));
    CHECK(sp(0, 0) == doctest::Approx(ln2).epsilon(tol));
    CHECK(sp(0, 1) - sp(0, 2) == doctest::Approx(3.0).epsilon(tol));
    CHECK(act<Softplus>(rows({{800}}))(0, 0) == 800);  // no overflow
    INNSPECT_CHECK_CLOSE(act<Softsign>(z), rows({{-2.0 / 3, 0, 0.5}}), tol);
    // swish(z) = z / (1 + e^−z): at ln 3 → ln 3 · 3/4
    INNSPECT_CHECK_CLOSE(act<Swish>(rows({{std::log(3.0), 0}})), rows({{0.75 * std::log(3.0), 0}}), tol);
    CHECK(Swish::name == "swish");
    CHECK(Silu::name == "silu");
    CHECK(act<Silu>(z) == act<Swish>(z));
    // gelu(z) = z Φ(z)
    INNSPECT_CHECK_CLOSE(act<Gelu>(z), rows({{-2 * phi_m2, 0, phi1}}), 1e-12);
    INNSPECT_CHECK_CLOSE(act<Exponential>(rows({{-2, 0, ln2}})), rows({{std::exp(-2.0), 1, 2}}), tol);
    // Keras 2: clip(0.2 z + 0.5, 0, 1); Keras 3: clip(z/6 + 0.5, 0, 1)
    INNSPECT_CHECK_CLOSE(act<HardSigmoid>(rows({{-3, -2, 0, 1, 3}})), rows({{0, 0.1, 0.5, 0.7, 1}}), tol);
    INNSPECT_CHECK_CLOSE(act<HardSigmoidKeras3>(rows({{-4, -2, 0, 1.5, 4}})), rows({{0, 1.0 / 6, 0.5, 0.75, 1}}), tol);
    CHECK(HardSigmoid::name == HardSigmoidKeras3::name);
    // ELU with α = 0.5: 0.5 (e^z − 1) below 0; at ln 0.5 → −0.25
    INNSPECT_CHECK_CLOSE(act<EluWith<0.5>>(rows({{std::log(0.5), 0, 2}})), rows({{-0.25, 0, 2}}), tol);
}

TEST_CASE("more activations: derivatives against central differences") {
    const Batch<double> z = rows({{-2.2, -0.7, 0.3, 1.1, 2.7}});
    check_derivative<Softplus>(z);
    check_derivative<Softsign>(z);
    check_derivative<Swish>(z);
    check_derivative<Gelu>(z);
    check_derivative<Exponential>(z);
    check_derivative<HardSigmoid>(rows({{-3.1, -1.2, 0.3, 2.2, 2.8}}));        // kinks at ±2.5
    check_derivative<HardSigmoidKeras3>(rows({{-3.4, -2.2, 0.3, 2.7, 3.3}}));  // kinks at ±3
    check_derivative<EluWith<0.5>>(z);
}

TEST_CASE("LeakyReLU, ELU and Softmax layers, GlobalMaxPooling2D: forward, classes, LRP") {
    using M = Model<double, Input<2, 2, 2>,              //
                    LeakyReLU<"leaky", 0.2>,             // (2, 2, 2)
                    ELU<"elu", 0.5>,                     //
                    SoftmaxLayer<"soft">,                // over the 2 channels
                    GlobalMaxPooling2D<"gmp">>;          // (2,)
    M m;
    // pixels (h, w) with channels (c0, c1)
    const Batch<double> x = rows({{-1, 2, 3, -4, ln2, 0, 0.5, 0.5}});
    const auto t = m.forward(x);
    // leaky: −1 → −0.2, −4 → −0.8
    INNSPECT_CHECK_CLOSE(t.output("leaky"), rows({{-0.2, 2, 3, -0.8, ln2, 0, 0.5, 0.5}}), 1e-15);
    // elu(α 0.5) of the negatives: 0.5 (e^−0.2 − 1), 0.5 (e^−0.8 − 1)
    const double e1 = 0.5 * (std::exp(-0.2) - 1), e2 = 0.5 * (std::exp(-0.8) - 1);
    INNSPECT_CHECK_CLOSE(t.output("elu"), rows({{e1, 2, 3, e2, ln2, 0, 0.5, 0.5}}), 1e-15);
    // softmax of (ln 2, 0) is (2/3, 1/3); of equal values (1/2, 1/2)
    const Batch<double>& s = t.output("soft");
    CHECK(s(0, 4) == doctest::Approx(2.0 / 3).epsilon(1e-14));
    CHECK(s(0, 6) == doctest::Approx(0.5).epsilon(1e-14));
    // global max over the 4 pixels, per channel
    const Batch<double> expected_max = rows({{s.col(0).cwiseMax(s.col(2)).cwiseMax(s.col(4)).cwiseMax(s.col(6))(0),
                                               s.col(1).cwiseMax(s.col(3)).cwiseMax(s.col(5)).cwiseMax(s.col(7))(0)}});
    INNSPECT_CHECK_CLOSE(t.output("gmp"), expected_max, 1e-15);

    const auto& info = M::layer_infos();
    CHECK(info[0].keras_class == "LeakyReLU");
    CHECK(info[1].keras_class == "ELU");
    CHECK(info[2].keras_class == "Softmax");
    CHECK(info[3].keras_class == "GlobalMaxPooling2D");
    CHECK(info[3].output_keras_shape() == std::vector<std::int64_t>{2});
    for (int i : {0, 1, 2}) CHECK(info[static_cast<std::size_t>(i)].lrp == LrpPolicy::pass_through);
    CHECK(info[3].lrp == LrpPolicy::own_rule);

    // LRP: the global max sends each channel's relevance to its winning pixel, the activation
    // layers pass it through; so R at the input is R⁰ at the winners, zero elsewhere.
    const auto e = lrp(m, Epsilon()).explain(x, target<double>("gmp", select::all<double>()));
    Batch<double> expected = Batch<double>::Zero(1, 8);
    for (int c = 0; c < 2; ++c) {
        Eigen::Index best = c;
        for (Eigen::Index k = c; k < 8; k += 2)
            if (s(0, k) > s(0, best)) best = k;
        expected(0, best) = t.output("gmp")(0, c);
    }
    INNSPECT_CHECK_CLOSE(e.relevance, expected, 1e-15);
    CHECK(e.report.layers.front().rule == "winner-takes-all");
}

TEST_CASE("Softmax along an axis that is not the last: groups by hand, the vector-Jacobian product by differences") {
    // A (3, 2) sample: softmax along the first axis, so each of the 2 columns is one group.
    // Column 0 holds (0, ln 2, ln 5) → (1, 2, 5)/8; column 1 holds equal values → 1/3 each.
    const Batch<double> z = rows({{0, 7, ln2, 7, std::log(5.0), 7}, {1, -1, 1, -2, 1, -3}});
    const Batch<double> a = act<SoftmaxOver<3, 2>>(z);
    INNSPECT_CHECK_CLOSE(a.row(0), rows({{1.0 / 8, 1.0 / 3, 2.0 / 8, 1.0 / 3, 5.0 / 8, 1.0 / 3}}), 1e-15);
    const double e1 = std::exp(-1.0), e2 = std::exp(-2.0), e3 = std::exp(-3.0), s = e1 + e2 + e3;
    INNSPECT_CHECK_CLOSE(a.row(1), rows({{1.0 / 3, e1 / s, 1.0 / 3, e2 / s, 1.0 / 3, e3 / s}}), 1e-15);

    // gᵀ ∂a/∂z for a random g, against central differences of Σ g ⊙ a(z).
    const Batch<double> g0 = rows({{0.3, -1.2, 0.7, 2.0, -0.4, 0.9}, {1.1, 0.2, -0.8, -0.5, 0.6, 1.4}});
    Batch<double> g = g0;
    SoftmaxOver<3, 2>::vjp(z, a, g, 2);
    Batch<double> fd(z.rows(), z.cols());
    const double h = 1e-6;
    for (Eigen::Index r = 0; r < z.rows(); ++r)
        for (Eigen::Index i = 0; i < z.cols(); ++i) {
            Batch<double> zp = z, zm = z;
            zp(r, i) += h;
            zm(r, i) -= h;
            fd(r, i) = ((act<SoftmaxOver<3, 2>>(zp) - act<SoftmaxOver<3, 2>>(zm)).row(r).dot(g0.row(r))) / (2 * h);
        }
    INNSPECT_CHECK_CLOSE(g, fd, 1e-9);

    // The layer picks it by the Keras axis: (3, 4, 5) along axis 1 → SoftmaxOver<3, 20>, along −2 → <4, 5>.
    static_assert(std::is_same_v<detail::softmax_along<1, Shape<3, 4, 5>>::type, SoftmaxOver<3, 20>>);
    static_assert(std::is_same_v<detail::softmax_along<-2, Shape<3, 4, 5>>::type, SoftmaxOver<4, 5>>);
    static_assert(std::is_same_v<detail::softmax_along<3, Shape<3, 4, 5>>::type, Softmax>);
    static_assert(std::is_same_v<detail::softmax_along<1, Shape<4, 3>>::type, SoftmaxOver<4, 3>>);
}

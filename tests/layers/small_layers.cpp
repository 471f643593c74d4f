// RepeatVector, Permute and PReLU:
//   - hand cases (values worked out in the comments): forward, shapes, gradient and LRP routes,
//   - PReLU's α in Keras's shape with shared axes, and a non-finite α naming the layer,
//   - gradients against central finite differences through all three,
//   - LRP conservation through RepeatVector and Permute (zero biases, LRP-ε with a tiny ε, double).
// Their forward against the numpy reference is in tests/layers/forward5_fixtures.cpp.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {

/// Fills every weight array of every layer with N(0, 0.49).
template <class M>
void randomize(M& m, t::Rng& rng) {
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            for (std::int64_t i = 0; i < n; ++i) w.data[i] = rng.normal() * 0.7;
        }
    });
}

/// Σ_j c_j z_j at the tap (its pre-activation), summed over the batch.
template <class M>
double explained(const M& m, const Batch<double>& x, const std::string& tap, const Batch<double>& c) {
    const auto tr = m.forward(x);
    const auto& z = tr.pre_activation(tr.index_of(tap));
    return (z.array() * c.replicate(z.rows(), 1).array()).sum();
}

/// Gradient of Σ c ⊙ z_tap w.r.t. the input against central differences (step 1e-6).
template <class M>
void check_gradient_fd(const M& m, const Batch<double>& x, const std::string& tap, t::Rng& rng) {
    const auto tr = m.forward(x);
    const Batch<double> c = rng.batch<double>(1, tr.pre_activation(tr.index_of(tap)).cols());
    const auto e = gradient(m).explain(x, target(tap, select::direction<double>(c)));
    Batch<double> fd(x.rows(), x.cols());
    const double h = 1e-6;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
        for (Eigen::Index k = 0; k < x.cols(); ++k) {
            Batch<double> xp = x, xm = x;
            xp(r, k) += h;
            xm(r, k) -= h;
            fd(r, k) = (explained(m, xp, tap, c) - explained(m, xm, tap, c)) / (2 * h);
        }
    INNSPECT_CHECK_CLOSE(e.relevance, fd, 1e-6);
}

const LayerConservation& report_row(const Explanation<double>& e, const std::string& layer) {
    for (const auto& r : e.report.layers)
        if (r.layer == layer) return r;
    FAIL("no report row for " << layer);
    return e.report.layers.front();
}

}  // namespace

// =================================================================================================
// RepeatVector
// =================================================================================================

TEST_CASE("RepeatVector: (F,) -> (n, F); gradient and LRP sum over the copies") {
    using M = Model<double, Input<3>, RepeatVector<"rep", 2>>;
    static_assert(std::is_same_v<M::output_shape_of<"rep">, Shape<2, 3>>);
    const M m;
    const auto& info = M::layer_infos()[0];
    CHECK(info.keras_class == "RepeatVector");
    CHECK(info.lrp == LrpPolicy::own_rule);
    CHECK(info.output_keras_shape() == std::vector<std::int64_t>{2, 3});

    const Batch<double> x = t::rows({{1, -2, 3}, {0.5, 0, -1}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("rep"), t::rows({{1, -2, 3, 1, -2, 3}, {0.5, 0, -1, 0.5, 0, -1}}), 0.0);

    // R = (1 2 3 | 4 5 6): each feature gets the sum of its two copies, (5, 7, 9).
    const Batch<double> r = t::rows({{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}});
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("rep", select::relevance<double>(r)));
    INNSPECT_CHECK_CLOSE(el.relevance, t::rows({{5, 7, 9}, {5, 7, 9}}), 0.0);
    REQUIRE(el.report.layers.size() == 1);
    CHECK(el.report.layers[0].rule == "sum over the copies");
    CHECK(el.report.layers[0].relevance_in == doctest::Approx(42.0));
    CHECK(el.report.layers[0].relevance_out == doctest::Approx(42.0));
    // The gradient of Σ c ⊙ out: the same sums.
    const auto eg = gradient(m).explain(x, target("rep", select::direction<double>(r.topRows(1))));
    INNSPECT_CHECK_CLOSE(eg.relevance, t::rows({{5, 7, 9}, {5, 7, 9}}), 0.0);
}

TEST_CASE("RepeatVector: a wrong number of features is a shape_error naming the layer") {
    const Model<double, Input<3>, RepeatVector<"rep", 2>>::node<0>::layer l;
    Batch<double> pre, out;
    CHECK_THROWS_WITH_AS(l.forward(Batch<double>::Zero(1, 4), pre, out), doctest::Contains("rep: input has 4"), shape_error);
    CHECK_THROWS_WITH_AS((void)l.backward_linear(Batch<double>::Zero(1, 5)), doctest::Contains("rep: gradient"), shape_error);
}

// =================================================================================================
// Permute
// =================================================================================================

TEST_CASE("Permute a sequence (S, C) with dims (2, 1): Shape<C, S>") {
    // (2 steps, 3 channels) = [[a b c], [d e f]] -> (3, 2) = [[a d], [b e], [c f]]
    using M = Model<double, Input<2, 3>, Permute<"p", 2, 1>>;
    static_assert(std::is_same_v<M::output_shape_of<"p">, Shape<3, 2>>);
    const M m;
    CHECK(M::layer_infos()[0].keras_class == "Permute");
    CHECK(M::layer_infos()[0].output_keras_shape() == std::vector<std::int64_t>{3, 2});
    const Batch<double> x = t::rows({{1, 2, 3, 4, 5, 6}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("p"), t::rows({{1, 4, 2, 5, 3, 6}}), 0.0);

    // Relevance (and gradient) moves back: R_out = [[10 20], [30 40], [50 60]] -> [[10 30 50], [20 40 60]].
    const Batch<double> r = t::rows({{10, 20, 30, 40, 50, 60}});
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("p", select::relevance<double>(r)));
    INNSPECT_CHECK_CLOSE(el.relevance, t::rows({{10, 30, 50, 20, 40, 60}}), 0.0);
    CHECK(el.report.layers.at(0).rule == "permuted back");
    const auto eg = gradient(m).explain(x, target("p", select::direction<double>(r)));
    INNSPECT_CHECK_CLOSE(eg.relevance, t::rows({{10, 30, 50, 20, 40, 60}}), 0.0);
}

TEST_CASE("Permute an image (H, W, C) = (2, 3, 2) with dims (3, 1, 2): Shape<C, H, W>") {
    using M = Model<double, Input<2, 3, 2>, Permute<"p", 3, 1, 2>>;
    static_assert(std::is_same_v<M::output_shape_of<"p">, Shape<2, 2, 3>>);
    const M m;
    // x[h, w, c] = 100 h + 10 w + c at flat index (h·3 + w)·2 + c; out[c, h, w] = x[h, w, c].
    Batch<double> x(1, 12);
    for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 3; ++w)
            for (int c = 0; c < 2; ++c) x(0, (h * 3 + w) * 2 + c) = 100 * h + 10 * w + c;
    const Batch<double> expected = t::rows({{0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("p"), expected, 0.0);
    // Moving relevance back puts every value where it came from: R_out = out gives R_in = x.
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("p", select::relevance<double>(expected)));
    INNSPECT_CHECK_CLOSE(el.relevance, x, 0.0);

    // dims (2, 1, 3) swaps height and width: out[w, h, c] = x[h, w, c]
    using M2 = Model<double, Input<2, 3, 2>, Permute<"p", 2, 1, 3>>;
    static_assert(std::is_same_v<M2::output_shape_of<"p">, Shape<3, 2, 2>>);
    const Batch<double> swapped = t::rows({{0, 1, 100, 101, 10, 11, 110, 111, 20, 21, 120, 121}});
    INNSPECT_CHECK_CLOSE(M2().forward(x).output("p"), swapped, 0.0);
    // The identity permutation leaves everything in place.
    INNSPECT_CHECK_CLOSE((Model<double, Input<2, 3, 2>, Permute<"p", 1, 2, 3>>().forward(x).output("p")), x, 0.0);
}

// =================================================================================================
// PReLU
// =================================================================================================

TEST_CASE("PReLU: alpha per value, Keras's shape, forward, gradient, LRP pass-through") {
    using M = Model<double, Input<2, 2>, PReLU<"pr">>;
    M m;
    auto w = m.layer<"pr">().weights();
    REQUIRE(w.size() == 1);
    CHECK(w[0].role == "alpha");
    CHECK(w[0].shape == std::vector<std::int64_t>{2, 2});
    // A fresh PReLU has Keras's default alpha 0: a ReLU.
    const Batch<double> x = t::rows({{-2, 3, -4, 0}});
    INNSPECT_CHECK_CLOSE(m.forward(x).output("pr"), t::rows({{0, 3, 0, 0}}), 0.0);
    // alpha = [[0.1, 0.2], [0.3, 0.4]]: -2 -> -0.2, -4 -> -1.2; 3 and 0 unchanged
    const double a[] = {0.1, 0.2, 0.3, 0.4};
    for (int i = 0; i < 4; ++i) w[0].data[i] = a[i];
    const auto tr = m.forward(x);
    INNSPECT_CHECK_CLOSE(tr.output("pr"), t::rows({{-0.2, 3, -1.2, 0}}), 1e-15);
    // The pre-activation is the output: a PReLU tap explains f(x).
    CHECK(t::identical(tr.pre_activation(0), tr.output("pr")));
    CHECK(M::layer_infos()[0].lrp == LrpPolicy::pass_through);
    CHECK(M::layer_infos()[0].keras_class == "PReLU");

    // f' = 1 for x > 0, alpha otherwise (x = 0 too, as LeakyReLU)
    const auto eg = gradient(m).explain(x, target("pr", select::all<double>()));
    INNSPECT_CHECK_CLOSE(eg.relevance, t::rows({{0.1, 1, 0.3, 0.4}}), 1e-15);
    // LRP: unchanged
    const Batch<double> r = t::rows({{1, 2, 3, 4}});
    const auto el = lrp(m, Epsilon(0.1)).explain(x, target("pr", select::relevance<double>(r)));
    INNSPECT_CHECK_CLOSE(el.relevance, r, 0.0);
    CHECK(el.report.layers.at(0).rule == "pass-through");
}

TEST_CASE("PReLU with shared axes: one alpha per channel, or per step") {
    // Image (2, 2, 2), shared_axes (1, 2): alpha (1, 1, 2) = (0.5, -1), broadcast over pixels.
    Model<double, Input<2, 2, 2>, PReLU<"pr", SharedAxes<1, 2>>> img;
    auto w = img.layer<"pr">().weights();
    CHECK(w[0].shape == std::vector<std::int64_t>{1, 1, 2});
    w[0].data[0] = 0.5;
    w[0].data[1] = -1;
    const Batch<double> x = t::rows({{-2, -2, 1, -3, -4, 5, -6, -8}});
    INNSPECT_CHECK_CLOSE(img.forward(x).output("pr"), t::rows({{-1, 2, 1, 3, -2, 5, -3, 8}}), 1e-15);
    const auto eg = gradient(img).explain(x, target("pr", select::all<double>()));
    INNSPECT_CHECK_CLOSE(eg.relevance, t::rows({{0.5, -1, 1, -1, 0.5, 1, 0.5, -1}}), 1e-15);

    // Image (2, 3, 1), shared_axes (2): alpha (2, 1, 1), one per row.
    Model<double, Input<2, 3, 1>, PReLU<"pr", SharedAxes<2>>> rows_shared;
    auto wr = rows_shared.layer<"pr">().weights();
    CHECK(wr[0].shape == std::vector<std::int64_t>{2, 1, 1});
    wr[0].data[0] = 0.1;
    wr[0].data[1] = 0.2;
    INNSPECT_CHECK_CLOSE(rows_shared.forward(t::rows({{-1, -2, 3, -1, -2, 3}})).output("pr"),
                         t::rows({{-0.1, -0.2, 3, -0.2, -0.4, 3}}), 1e-15);

    // Sequence (3, 2), shared_axes (2): alpha (3, 1), one per step.
    Model<double, Input<3, 2>, PReLU<"pr", SharedAxes<2>>> seq;
    auto ws = seq.layer<"pr">().weights();
    CHECK(ws[0].shape == std::vector<std::int64_t>{3, 1});
    ws[0].data[0] = 1;
    ws[0].data[1] = 2;
    ws[0].data[2] = 3;
    INNSPECT_CHECK_CLOSE(seq.forward(t::rows({{-1, -1, -1, 4, -1, -2}})).output("pr"), t::rows({{-1, -1, -2, 4, -3, -6}}),
                         1e-15);
    // Vector (3,): alpha (3,); shared_axes (1) on a vector: one alpha for all.
    Model<double, Input<3>, PReLU<"pr", SharedAxes<1>>> vec;
    auto wv = vec.layer<"pr">().weights();
    CHECK(wv[0].shape == std::vector<std::int64_t>{1});
    wv[0].data[0] = 0.25;
    INNSPECT_CHECK_CLOSE(vec.forward(t::rows({{-4, 2, -8}})).output("pr"), t::rows({{-1, 2, -2}}), 1e-15);
}

TEST_CASE("PReLU: a non-finite alpha is a value_error naming the layer and the array") {
    Model<double, Input<2, 2, 2>, PReLU<"p_re_lu_7", SharedAxes<1, 2>>> m;
    m.layer<"p_re_lu_7">().alpha()(1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(m.check_finite(), doctest::Contains("p_re_lu_7: alpha"), value_error);
}

// =================================================================================================
// gradients against finite differences
// =================================================================================================

TEST_CASE("gradient vs finite differences through RepeatVector, Permute and PReLU") {
    t::Rng rng(5150);
    SUBCASE("vector -> RepeatVector -> Permute -> PReLU (per value) -> Dense on the sequence") {
        Model<double, Input<4>, Dense<"a", 3, Tanh>, RepeatVector<"rep", 5>, Permute<"perm", 2, 1>,  // (3, 5)
              Dense<"b", 4>, PReLU<"pr">,                                                           // (3, 4)
              Flatten<"f">, Dense<"d", 2>>
            m;
        randomize(m, rng);
        const Batch<double> x = rng.batch<double>(3, 4);
        REQUIRE(m.forward(x).output("b").cwiseAbs().minCoeff() > 1e-4);  // away from PReLU's kink
        REQUIRE((m.forward(x).output("b").array() < 0).any());
        check_gradient_fd(m, x, "d", rng);
    }
    SUBCASE("image -> Permute (3, 1, 2) -> Conv2D -> PReLU shared over (1, 2)") {
        Model<double, Input<3, 4, 2>, Permute<"perm", 3, 1, 2>,  // (2, 3, 4)
              Conv2D<"c", 3, Kernel<2, 2>>, PReLU<"pr", SharedAxes<1, 2>>, Flatten<"f">, Dense<"d", 2>>
            m;
        randomize(m, rng);
        const Batch<double> x = rng.batch<double>(2, 24);
        REQUIRE(m.forward(x).output("c").cwiseAbs().minCoeff() > 1e-4);
        REQUIRE((m.forward(x).output("c").array() < 0).any());
        check_gradient_fd(m, x, "d", rng);
    }
}

// =================================================================================================
// LRP conservation
// =================================================================================================

TEST_CASE("LRP-epsilon conserves relevance through RepeatVector and Permute (zero biases, tiny epsilon)") {
    // With no biases, LRP-ε loses only ε·Σ R_j / z_j per linear layer (≈ 1e-14 here) and the
    // shape layers move relevance exactly, so Σ R at the input equals Σ R⁰.
    t::Rng rng(99);
    using M = Model<double, Input<4>, Dense<"d1", 3, Linear, false>, RepeatVector<"rep", 5>,  // (5, 3)
                    Permute<"perm", 2, 1>,                                                    // (3, 5)
                    PReLU<"pr", SharedAxes<1>>,                                               // alpha (1, 5)
                    Dense<"d2", 2, Linear, false>,                                            // (3, 2)
                    Flatten<"f">, Dense<"d3", 2, Linear, false>>;
    M m;
    randomize(m, rng);
    const Batch<double> x = rng.batch<double>(4, 4);
    const auto e = lrp(m, Epsilon(1e-13)).explain(x, target<double>("d3", select::all<double>()));
    const double r0 = e.initial.sum(), r_in = e.relevance.sum();
    INFO("sum R0 " << r0 << ", sum R_input " << r_in);
    CHECK(std::abs(r_in - r0) <= 1e-10 * std::max(1.0, std::abs(r0)));
    // Per sample too, and exactly across the two shape layers.
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        CHECK(std::abs(e.relevance.row(b).sum() - e.initial.row(b).sum()) <= 1e-10 * std::max(1.0, std::abs(e.initial.row(b).sum())));
    for (const char* l : {"rep", "perm", "pr"}) {
        INFO(l);
        CHECK(report_row(e, l).relevance_in == doctest::Approx(report_row(e, l).relevance_out).epsilon(1e-14));
    }
    CHECK(report_row(e, "rep").rule == "sum over the copies");
    CHECK(report_row(e, "perm").rule == "permuted back");

    // An image permuted before a convolution.
    using I = Model<double, Input<3, 4, 2>, Permute<"perm", 3, 1, 2>, Conv2D<"c", 3, Kernel<2, 2>, Linear, Strides<1, 1>, Padding::valid, false>,
                    Flatten<"f">, Dense<"d", 2, Linear, false>>;
    I mi;
    randomize(mi, rng);
    const Batch<double> xi = rng.batch<double>(3, 24);
    const auto ei = lrp(mi, Epsilon(1e-13)).explain(xi, target<double>("d", select::all<double>()));
    CHECK(std::abs(ei.relevance.sum() - ei.initial.sum()) <= 1e-10 * std::max(1.0, std::abs(ei.initial.sum())));
}

// LRP properties that hold by construction (design.md §4–§6), checked on random networks:
// conservation, LRP-0 = input × gradient on bias-free ReLU networks, sign of z⁺, independence of
// x for flat and w², rules on a convolution = rules on its unrolled Dense matrix, the conservation
// report's numbers, per-layer relevance and stop_at.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "connectome/seed_model.hpp"

using namespace innspect;

namespace {

// ---- models -----------------------------------------------------------------------------------

/// The seed model of design.md §7 (decoder reads the classifier output).
template <int W, class T = double>
using Seed = seed::SeedModel<T, W>;

/// The variant with two heads on one trunk: the decoder reads the latent code.
template <int W, class T = double>
using SeedTwoHeads = seed::SeedModelTwoHeads<T, W>;

/// A ReLU network with Conv2D ('same' and strided 'valid'), Conv2DTranspose, Flatten and Dense;
/// c1 has no bias at all, the others have one (zeroed where a test needs a bias-free network).
using ReluNet = Model<double, Input<5, 5, 2>,
                      Conv2D<"c1", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same, false>,  // 5×5×3
                      Conv2D<"c2", 4, Kernel<2, 2>, Relu, Strides<2, 2>>,                         // 2×2×4
                      Conv2DTranspose<"t1", 2, Kernel<2, 2>, Relu>,                               // 3×3×2
                      Flatten<"f">,                                                                // 18
                      Dense<"d1", 6, Relu>,
                      Dense<"d2", 3>>;

/// Seeded N(0, 1/fan_in) weights; biases N(0, bias_scale²) (0: zero biases).
template <class M>
void randomize(M& m, std::uint64_t seed, double bias_scale) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    m.for_each_layer([&](auto& l) {
        using L = std::remove_cvref_t<decltype(l)>;
        if constexpr (LinearLayer<L>) {
            using T = typename L::scalar;
            auto& p = l.params();
            // Conv2DTranspose's kernel matrix is (kh·kw·filters) × in: its fan-in is the columns.
            const double fan = L::keras_class == "Conv2DTranspose" ? double(p.kernel.cols()) : double(p.kernel.rows());
            for (Eigen::Index i = 0; i < p.kernel.size(); ++i) p.kernel.data()[i] = T(normal(gen) / std::sqrt(fan));
            if (p.has_bias)
                for (Eigen::Index i = 0; i < p.bias.size(); ++i) p.bias(i) = T(bias_scale * normal(gen));
        }
    });
}

template <class T = double>
Batch<T> random_batch(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, double lo = 0, double hi = 0) {
    std::mt19937_64 gen(seed);
    Batch<T> b(rows, cols);
    if (lo < hi) {
        std::uniform_real_distribution<double> u(lo, hi);
        for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = T(u(gen));
    } else {
        std::normal_distribution<double> n(0.0, 1.0);
        for (Eigen::Index i = 0; i < b.size(); ++i) b.data()[i] = T(n(gen));
    }
    return b;
}

Batch<double> row(std::initializer_list<double> v) {
    Batch<double> b(1, static_cast<Eigen::Index>(v.size()));
    Eigen::Index k = 0;
    for (double e : v) b(0, k++) = e;
    return b;
}

double max_abs(const Batch<double>& b) { return b.cwiseAbs().maxCoeff(); }

/// max |a − b| ≤ tol · max(1, max |b|), shapes equal.
void check_close(const Batch<double>& a, const Batch<double>& b, double tol) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    const double diff = (a - b).cwiseAbs().maxCoeff();
    INFO("max |diff| = " << diff << ", scale " << std::max(1.0, max_abs(b)) << ", tol " << tol);
    CHECK(diff <= tol * std::max(1.0, max_abs(b)));
}

std::vector<std::string> names_of(const std::vector<LayerRelevance<double>>& layers) {
    std::vector<std::string> n;
    for (const auto& l : layers) n.push_back(l.layer);
    return n;
}
std::vector<std::string> names_of(const std::vector<LayerConservation>& layers) {
    std::vector<std::string> n;
    for (const auto& l : layers) n.push_back(l.layer);
    return n;
}

const Batch<double>& record(const Explanation<double>& e, const std::string& name) {
    for (const auto& l : e.layers)
        if (l.layer == name) return l.relevance;
    FAIL("no per-layer relevance recorded for " << name);
    return e.relevance;
}

}  // namespace

TEST_SUITE("analyzers: LRP properties") {

// ---- conservation ------------------------------------------------------------------------------

TEST_CASE("conservation on a tiny network: z and epsilon (ε → 0) sum to the explained logit") {
    // Input<3> → Dense<"a", 2, Relu, no bias> → Dense<"b", 2, linear, no bias>
    //   x = (1, 2, 3), W_a = [[1, −1], [2, 1], [−1, 2]] → z_a = (2, 7), a = (2, 7)
    //   W_b = [[4, −2], [−1, 1]] → z_b = (8 − 7, −4 + 7) = (1, 3). Explain unit 1: S = 3.
    //   LRP-0: layer b s = (0, 3/3): R_a = (2·(−2)·1, 7·1·1) = (−4, 7) (Σ 3);
    //          layer a s = (−4/2, 7/7) = (−2, 1): R_x = (1·(−2 − 1), 2·(−4 + 1), 3·(2 + 2)) = (−3, −6, 12) (Σ 3)
    Model<double, Input<3>, Dense<"a", 2, Relu, false>, Dense<"b", 2, Linear, false>> m;
    m.layer<"a">().params().kernel.resize(3, 2);
    m.layer<"a">().params().kernel << 1, -1, 2, 1, -1, 2;
    m.layer<"b">().params().kernel.resize(2, 2);
    m.layer<"b">().params().kernel << 4, -2, -1, 1;
    const Batch<double> x = row({1, 2, 3});
    const auto t = target<double>("b", select::index<double>(1));
    const auto z = lrp(m, ZRule{}).explain(x, t);
    check_close(z.relevance, row({-3, -6, 12}), 1e-14);
    CHECK(z.relevance.sum() == doctest::Approx(3.0).epsilon(1e-14));
    // Epsilon loses Σ_j R_j ε / (z_j + ε) per layer, O(ε) each (≈ +ε at b, ≈ −ε at a: here the
    // first-order terms even cancel), so the gap is below 10·ε and vanishes with ε.
    for (double eps : {1e-1, 1e-3, 1e-6, 1e-9, 1e-12}) {
        CAPTURE(eps);
        const auto e = lrp(m, Epsilon(eps)).explain(x, t);
        CHECK(std::abs(e.relevance.sum() - 3.0) <= 10 * eps);
    }
    CHECK(lrp(m, Epsilon(0.1)).explain(x, t).relevance.sum() != 3.0);  // ε really enters
}

TEST_CASE("conservation through the seed model (W = 16, zero biases) to a latent unit and to the reconstruction") {
    Seed<16> m;
    randomize(m, 1601, 0.0);
    const Batch<double> x = random_batch(2, 256, 1602);
    const auto trace = m.forward(x);
    const int k = 17;

    SUBCASE("to latent unit k (target conv2, index k)") {
        // S = z_conv2[k] per row (pre-SELU). LRP-0 with zero biases conserves exactly: only
        // rounding, amplified by R_j / z_j — 1e-9 relative leaves a wide margin for double.
        const auto& zc = trace.pre_activation(trace.index_of("conv2"));
        const auto e = lrp(m, ZRule{}).explain(trace, target<double>("conv2", select::index<double>(k)));
        for (Eigen::Index r = 0; r < 2; ++r) {
            CAPTURE(r);
            CHECK(e.relevance.row(r).sum() == doctest::Approx(zc(r, k)).epsilon(1e-9));
        }
        // Epsilon: what is lost is first order in ε.
        const auto e6 = lrp(m, Epsilon(1e-6)).explain(trace, target<double>("conv2", select::index<double>(k)));
        const auto e9 = lrp(m, Epsilon(1e-9)).explain(trace, target<double>("conv2", select::index<double>(k)));
        for (Eigen::Index r = 0; r < 2; ++r) {
            const double gap6 = std::abs(e6.relevance.row(r).sum() - zc(r, k));
            const double gap9 = std::abs(e9.relevance.row(r).sum() - zc(r, k));
            CAPTURE(gap6);
            CAPTURE(gap9);
            CHECK(gap9 <= 1e-6 * std::abs(zc(r, k)));
            CHECK(gap9 <= gap6);
        }
    }
    SUBCASE("to the whole reconstruction (target autoencoder, all)") {
        // S = Σ_p z_autoencoder[p] (pre-tanh), through the decoder, the 2-unit classifier head
        // (softmax passes relevance through) and the encoder.
        const auto& za = trace.pre_activation(trace.index_of("autoencoder"));
        const auto e = lrp(m, ZRule{}).explain(trace, target<double>("autoencoder", select::all<double>()));
        for (Eigen::Index r = 0; r < 2; ++r) {
            CAPTURE(r);
            CHECK(e.relevance.row(r).sum() == doctest::Approx(za.row(r).sum()).epsilon(1e-9));
        }
        const auto e9 = lrp(m, Epsilon(1e-9)).explain(trace, target<double>("autoencoder", select::all<double>()));
        for (Eigen::Index r = 0; r < 2; ++r)
            CHECK(e9.relevance.row(r).sum() == doctest::Approx(za.row(r).sum()).epsilon(1e-6));
    }
}

TEST_CASE("flat and w-square conserve exactly on the seed model (every output has in-bounds inputs)") {
    Seed<8> m;
    randomize(m, 801, 0.3);  // biases do not matter to either rule
    const Batch<double> x = random_batch(1, 64, 802);
    const auto t = target<double>("autoencoder", select::all<double>());
    const double s = m.forward(x).pre_activation(Seed<8>::index_of("autoencoder")).sum();
    CHECK(lrp(m, Flat{}).explain(x, t).relevance.sum() == doctest::Approx(s).epsilon(1e-12));
    CHECK(lrp(m, WSquare{}).explain(x, t).relevance.sum() == doctest::Approx(s).epsilon(1e-12));
}

// ---- LRP-0 = input × gradient ---------------------------------------------------------------------

TEST_CASE("LRP-0 equals input × gradient on a bias-free ReLU network (Conv2D, Conv2DTranspose, Dense)") {
    // For positively homogeneous layers without bias, R_j = a_j ∂S/∂a_j at every layer by
    // induction: R_i = x_i Σ_j w_ij a_j ∂S/∂a_j / z_j = x_i Σ_j w_ij 1[z_j > 0] ∂S/∂a_j = x_i ∂S/∂x_i.
    ReluNet m;
    randomize(m, 51, 0.0);
    const Batch<double> x = random_batch(3, 50, 52);
    for (const auto& sel : {select::index<double>(1), select::all<double>(), select::max<double>(),
                            select::mask<double>(row({0.5, -2, 1}))}) {
        const auto t = target<double>("d2", sel);
        const auto lrp0 = lrp(m, ZRule{}).explain(x, t);
        const auto ixg = input_x_gradient(m).explain(x, t);
        check_close(lrp0.relevance, ixg.relevance, 1e-10);
        // and to an intermediate tap
        const auto t2 = target<double>("t1", select::index<double>(5));
        check_close(lrp(m, ZRule{}).explain(x, t2).relevance, input_x_gradient(m).explain(x, t2).relevance, 1e-10);
    }
}

TEST_CASE("LRP-0 equals input × gradient in float") {
    // float: ~1e-7 relative per operation, a few dozen operations per path: 1e-4 of the scale.
    Model<float, Input<4, 4, 1>, Conv2D<"c", 3, Kernel<2, 2>, Relu, Strides<1, 1>, Padding::valid, false>,
          Flatten<"f">, Dense<"d", 2, Linear, false>>
        m;
    randomize(m, 61, 0.0);
    const Batch<float> x = random_batch<float>(2, 16, 62);
    const auto t = target<float>("d", select::index<float>(0));
    const Batch<float> a = lrp(m, ZRule{}).explain(x, t).relevance;
    const Batch<float> b = input_x_gradient(m).explain(x, t).relevance;
    CHECK((a - b).cwiseAbs().maxCoeff() <= 1e-4f * std::max(1.0f, b.cwiseAbs().maxCoeff()));
}

// ---- sign ----------------------------------------------------------------------------------------

TEST_CASE("alpha-beta with β = 0 on non-negative inputs gives non-negative relevance") {
    // R ≥ 0 at the output and x ≥ 0: every term x⁺ w⁺ R / z⁺ is ≥ 0 (b⁺ ≥ 0 keeps z⁺ ≥ 0), at
    // every layer (ReLU outputs are ≥ 0). Biases of both signs.
    ReluNet m;
    randomize(m, 71, 0.1);
    const Batch<double> x = random_batch(4, 50, 72, 0.0, 1.0);
    {
        // meaningful only if every layer has active units
        const auto tr = m.forward(x);
        for (const auto& o : tr.out) REQUIRE(o.maxCoeff() > 0);
    }
    const auto t = target<double>("d2", select::relevance<double>(random_batch(4, 3, 73, 0.1, 2.0)));
    auto check_rule = [&](auto rule) {
        const auto e = lrp(m, rule).explain(x, t, ExplainOptions{.keep_layers = true});
        CHECK(e.relevance.minCoeff() >= 0.0);
        CHECK(e.relevance.maxCoeff() > 0.0);
        for (const auto& l : e.layers) {
            CAPTURE(l.layer);
            CHECK(l.relevance.minCoeff() >= 0.0);
        }
    };
    check_rule(AlphaBeta(1, 0));
    check_rule(AlphaBeta(1, 0, false));
    check_rule(ZPlus());
}

TEST_CASE("z-plus is non-negative for inputs of both signs (x⁻w⁻ ≥ 0), through SELU layers") {
    Seed<8> m;
    randomize(m, 81, 0.5);
    const Batch<double> x = random_batch(2, 64, 82);  // both signs; SELU outputs are negative too
    REQUIRE(x.minCoeff() < 0);
    const auto e = lrp(m, ZPlus()).explain(
        x, target<double>("output", select::relevance<double>(row({1.0, 0.5}))), ExplainOptions{.keep_layers = true});
    CHECK(e.relevance.minCoeff() >= 0.0);
    CHECK(e.relevance.maxCoeff() > 0.0);
}

// ---- independence of x -----------------------------------------------------------------------------

TEST_CASE("flat and w-square do not depend on x (nor on the biases)") {
    ReluNet m;
    randomize(m, 91, 0.5);
    const auto t = target<double>("d2", select::relevance<double>(row({1.0, -2.0, 0.5})));
    const Batch<double> x1 = random_batch(1, 50, 92), x2 = random_batch(1, 50, 93, 0.0, 5.0);
    for (int which = 0; which < 2; ++which) {
        CAPTURE(which);
        const auto r1 = which == 0 ? lrp(m, Flat{}).explain(x1, t).relevance : lrp(m, WSquare{}).explain(x1, t).relevance;
        const auto r2 = which == 0 ? lrp(m, Flat{}).explain(x2, t).relevance : lrp(m, WSquare{}).explain(x2, t).relevance;
        CHECK(r1 == r2);
        CHECK(r1.cwiseAbs().maxCoeff() > 0);
        CHECK(r1.sum() == doctest::Approx(-0.5).epsilon(1e-12));  // both conserve: Σ R⁰ = 1 − 2 + 0.5
    }
    // and not on the biases
    ReluNet m2 = m;
    randomize(m2, 91, 3.0);  // same kernels (same seed, same draw order), other biases
    CHECK(lrp(m, Flat{}).explain(x1, t).relevance == lrp(m2, Flat{}).explain(x1, t).relevance);
    CHECK(lrp(m, WSquare{}).explain(x1, t).relevance == lrp(m2, WSquare{}).explain(x1, t).relevance);
}

// ---- convolutions are linear layers like any other ---------------------------------------------------

namespace {
/// The Dense matrix of a linear layer model with input size N and output size K (forward of basis
/// vectors minus the forward of 0), and its bias (the forward of 0).
template <class M>
std::pair<Matrix<double>, Vector<double>> unroll(const M& m, int n, int k) {
    const Batch<double> zero = Batch<double>::Zero(1, n);
    const Batch<double> b = m.forward(zero).out.back();
    Matrix<double> w(n, k);
    for (int i = 0; i < n; ++i) {
        Batch<double> e = Batch<double>::Zero(1, n);
        e(0, i) = 1;
        w.row(i) = m.forward(e).out.back() - b;
    }
    return {w, b.row(0).transpose()};
}

template <class Conv, int N, int K>
void check_conv_as_dense(const Conv& conv, std::uint64_t seed) {
    Model<double, Input<N>, Dense<"d", K>> dense;
    auto [w, b] = unroll(conv, N, K);
    dense.template layer<"d">().params().kernel = w;
    dense.template layer<"d">().params().bias = b;
    const Batch<double> x = random_batch(3, N, seed);  // both signs: the x⁻ terms are used
    const Batch<double> r = random_batch(3, K, seed + 1);
    const auto name = std::string(Conv::layer_infos()[0].name);
    const auto tc = target<double>(name, select::relevance<double>(r));
    const auto td = target<double>("d", select::relevance<double>(r));
    auto same = [&](auto rule) {
        const std::string rule_name = rule.name();
        CAPTURE(rule_name);
        check_close(lrp(conv, rule).explain(x, tc).relevance, lrp(dense, rule).explain(x, td).relevance, 1e-11);
    };
    same(ZRule{});
    same(ZRule{false});
    same(Epsilon(0.3));
    same(Epsilon(0.3, false));
    same(AlphaBeta(2, 1));
    same(AlphaBeta(1, 0, false));
    same(ZPlus());
    same(Gamma(0.25));
    same(Gamma(1.0, false));
    same(WSquare{});  // out-of-bounds positions are zero weights in the unrolled matrix
    same(ZBox(-2, 2));
    // Flat is the exception: the convolution counts in-bounds inputs, the Dense counts all N.
}
}  // namespace

TEST_CASE("every rule on Conv2D / Conv2DTranspose ('same', strided) equals the rule on its unrolled Dense") {
    using C = Model<double, Input<4, 5, 2>, Conv2D<"c", 3, Kernel<3, 2>, Linear, Strides<2, 2>, Padding::same>>;
    C c;
    randomize(c, 101, 0.5);
    check_conv_as_dense<C, 40, C::output_shape_of<"c">::size>(c, 102);

    using T = Model<double, Input<2, 3, 2>, Conv2DTranspose<"t", 2, Kernel<3, 2>, Linear, Strides<2, 1>, Padding::same>>;
    T t;
    randomize(t, 103, 0.5);
    check_conv_as_dense<T, 12, T::output_shape_of<"t">::size>(t, 104);

    using V = Model<double, Input<3, 3, 2>, Conv2DTranspose<"v", 3, Kernel<2, 3>, Linear, Strides<2, 2>>>;
    V v;
    randomize(v, 105, 0.5);
    check_conv_as_dense<V, 18, V::output_shape_of<"v">::size>(v, 106);
}

// ---- the conservation report ------------------------------------------------------------------------

namespace {
using NetN = Model<double, Input<3>, Dense<"a", 2, Relu>, Dense<"b", 2>>;
NetN make_n() {
    NetN m;
    m.layer<"a">().params().kernel.resize(3, 2);
    m.layer<"a">().params().kernel << 1, -1, 2, 1, -1, 2;
    m.layer<"a">().params().bias.resize(2);
    m.layer<"a">().params().bias << 0.5, -1;
    m.layer<"b">().params().kernel.resize(2, 2);
    m.layer<"b">().params().kernel << 4, -2, -1, 1;
    m.layer<"b">().params().bias.resize(2);
    m.layer<"b">().params().bias << -1, 1;
    return m;
}
}  // namespace

TEST_CASE("conservation report on network N (tests/rules/hand_computed.cpp), epsilon (ε = 1)") {
    // From the epsilon derivation there: R⁰ = (3, 1), z_b = (3, 2), z_a = (2.5, 6).
    // layer b: s = (3/4, 1/3). in = Σ R_a = 35/6 − 5/2 = 10/3
    //   bias   = Σ_j s_j b_j       = 3/4·(−1) + 1/3·1 = −5/12
    //   lost   = Σ_j s_j ε sgn₀ z_j = 3/4 + 1/3        = 13/12      (4 − 10/3 + 5/12 = 13/12 ✓)
    // layer a: s = (5/3, −5/14). in = Σ R_x = (85 + 250 − 300)/42 = 5/6
    //   bias   = 5/3·0.5 + (−5/14)(−1) = 5/6 + 5/14 = 25/21
    //   lost   = 5/3 − 5/14                        = 55/42      (10/3 − 5/6 − 25/21 = 55/42 ✓)
    const auto m = make_n();
    const auto e = lrp(m, Epsilon(1.0)).explain(row({1, 2, 3}), target<double>("b", select::relevance<double>(row({3, 1}))));
    const auto& r = e.report;
    CHECK(r.initial == doctest::Approx(4.0));
    CHECK(r.final == doctest::Approx(5.0 / 6));
    REQUIRE(r.layers.size() == 2);
    CHECK(r.layers[0].layer == "b");
    CHECK(r.layers[0].rule == Epsilon(1.0).name());
    CHECK(r.layers[0].relevance_out == doctest::Approx(4.0).epsilon(1e-14));
    CHECK(r.layers[0].relevance_in == doctest::Approx(10.0 / 3).epsilon(1e-14));
    CHECK(r.layers[0].bias_absorbed == doctest::Approx(-5.0 / 12).epsilon(1e-14));
    CHECK(r.layers[0].stabilizer_lost == doctest::Approx(13.0 / 12).epsilon(1e-14));
    CHECK(r.layers[1].layer == "a");
    CHECK(r.layers[1].relevance_out == doctest::Approx(10.0 / 3).epsilon(1e-14));
    CHECK(r.layers[1].relevance_in == doctest::Approx(5.0 / 6).epsilon(1e-14));
    CHECK(r.layers[1].bias_absorbed == doctest::Approx(25.0 / 21).epsilon(1e-14));
    CHECK(r.layers[1].stabilizer_lost == doctest::Approx(55.0 / 42).epsilon(1e-14));
    CHECK(!r.table().empty());
}

TEST_CASE("conservation report on network N, alpha-beta (2, 1) without stabiliser: the bias takes all the gap") {
    // layer b: bias = α Σ s⁺b⁺ − β Σ s⁻b⁻ = 2·(1/7·1) − (−3/7)(−1) = 2/7 − 3/7 = −1/7
    //          in = 5 − 6/7 = 29/7; out − in − bias = 4 − 29/7 + 1/7 = 0
    // layer a: s⁺ = (10/11, −3/28), b⁺ = (0.5, 0) → Σ s⁺b⁺ = 5/11
    //          s⁻ = (−5/3, 3/7),   b⁻ = (0, −1)  → Σ s⁻b⁻ = −3/7
    //          bias = 2·5/11 + 3/7 = 103/77; in = (173 + 527 − 484)/77 = 216/77; out − in = 103/77
    const auto m = make_n();
    AlphaBeta rule(2, 1);
    rule.stabilizer = 0;
    const auto e = lrp(m, rule).explain(row({1, 2, 3}), target<double>("b", select::relevance<double>(row({3, 1}))));
    const auto& r = e.report;
    REQUIRE(r.layers.size() == 2);
    CHECK(r.layers[0].bias_absorbed == doctest::Approx(-1.0 / 7).epsilon(1e-14));
    CHECK(r.layers[0].relevance_in == doctest::Approx(29.0 / 7).epsilon(1e-14));
    CHECK(std::abs(r.layers[0].stabilizer_lost) <= 1e-14);
    CHECK(r.layers[1].bias_absorbed == doctest::Approx(103.0 / 77).epsilon(1e-14));
    CHECK(r.layers[1].relevance_in == doctest::Approx(216.0 / 77).epsilon(1e-14));
    CHECK(std::abs(r.layers[1].stabilizer_lost) <= 1e-14);
}

TEST_CASE("conservation report: per layer, bias share = Σ_j R_j b_j / (z_j + ε·sgn₀ z_j), computed independently") {
    // A Dense / Conv2D / Conv2DTranspose network with biases, a batch of 3, epsilon 0.05.
    // R_j: the recorded relevance at each layer's output; z_j: the trace's pre-activation.
    ReluNet m;
    randomize(m, 111, 0.5);
    const double eps = 0.05;
    const Batch<double> x = random_batch(3, 50, 112);
    const auto trace = m.forward(x);
    const auto e = lrp(m, Epsilon(eps)).explain(trace, target<double>("d2", select::all<double>()),
                                                ExplainOptions{.keep_layers = true});
    const auto& infos = ReluNet::layer_infos();
    REQUIRE(e.report.layers.size() == e.layers.size());
    CHECK(e.report.initial == doctest::Approx(trace.output("d2").sum()).epsilon(1e-12));
    CHECK(e.report.final == doctest::Approx(e.relevance.sum()).epsilon(1e-12));
    for (std::size_t li = 0; li < e.layers.size(); ++li) {
        const auto& line = e.report.layers[li];
        CAPTURE(line.layer);
        REQUIRE(line.layer == e.layers[li].layer);
        const Batch<double>& rj = e.layers[li].relevance;
        CHECK(line.relevance_out == doctest::Approx(rj.sum()).epsilon(1e-12));
        // Σ in of a layer = Σ out of the next one visited (the chain's parent)
        const double next_out = li + 1 < e.layers.size() ? e.report.layers[li + 1].relevance_out : e.relevance.sum();
        CHECK(line.relevance_in == doctest::Approx(next_out).epsilon(1e-12));
        const int i = trace.index_of(line.layer);
        const auto& info = infos[static_cast<std::size_t>(i)];
        if (!info.linear()) {
            CHECK(line.bias_absorbed == 0.0);
            CHECK(std::abs(line.stabilizer_lost) <= 1e-12 * std::max(1.0, std::abs(line.relevance_out)));
            continue;
        }
        Vector<double> bias = Vector<double>::Zero(info.out_c);
        m.for_each_layer([&](const auto& l) {
            using L = std::remove_cvref_t<decltype(l)>;
            if constexpr (LinearLayer<L>)
                if (L::name == line.layer && l.params().has_bias) bias = l.params().bias;
        });
        const Batch<double>& z = trace.pre_activation(i);
        double bias_share = 0, lost = 0;
        for (Eigen::Index r = 0; r < z.rows(); ++r)
            for (Eigen::Index j = 0; j < z.cols(); ++j) {
                const double sg = z(r, j) >= 0 ? 1.0 : -1.0;
                const double s = rj(r, j) / (z(r, j) + eps * sg);
                bias_share += s * bias(j % info.out_c);
                lost += s * eps * sg;
            }
        CHECK(line.bias_absorbed == doctest::Approx(bias_share).epsilon(1e-10));
        CHECK(line.stabilizer_lost == doctest::Approx(lost).epsilon(1e-10));
        CHECK(line.relevance_out - line.relevance_in ==
              doctest::Approx(line.bias_absorbed + line.stabilizer_lost).epsilon(1e-10));
    }
}

// ---- per-layer relevance and stop_at ------------------------------------------------------------------

TEST_CASE("keep_layers lists exactly the visited layers, tap first, with their output widths") {
    Seed<8> m;
    randomize(m, 121, 0.1);
    const Batch<double> x = random_batch(2, 64, 122);
    const ExplainOptions keep{.keep_layers = true};
    const auto& infos = Seed<8>::layer_infos();
    auto check_widths = [&](const Explanation<double>& e) {
        for (const auto& l : e.layers) {
            CAPTURE(l.layer);
            const auto& info = infos[static_cast<std::size_t>(Seed<8>::index_of(l.layer))];
            CHECK(l.relevance.rows() == 2);
            CHECK(l.relevance.cols() == info.out_size);
        }
    };
    {
        const auto e = lrp(m, Epsilon(0.01)).explain(x, target<double>("output", select::max<double>()), keep);
        const std::vector<std::string> expected{"output", "dense1", "reshape1", "dropout2", "conv2", "dropout1", "conv1"};
        CHECK(names_of(e.layers) == expected);
        CHECK(names_of(e.report.layers) == expected);
        check_widths(e);
        CHECK(e.report.layers[2].rule == "pass-through");
        const auto g = gradient(m).explain(x, target<double>("output", select::max<double>()), keep);
        CHECK(names_of(g.layers) == expected);
    }
    {
        const auto e = lrp(m, Epsilon(0.01)).explain(x, target<double>("autoencoder", select::all<double>()), keep);
        const std::vector<std::string> expected{"autoencoder", "conv4",  "conv3",    "reshape2", "dense2",   "output",
                                                "dense1",      "reshape1", "dropout2", "conv2",    "dropout1", "conv1"};
        CHECK(names_of(e.layers) == expected);
        check_widths(e);
    }
    {
        const auto e = lrp(m, Epsilon(0.01)).explain(x, target<double>("conv2", select::index<double>(3)), keep);
        CHECK(names_of(e.layers) == std::vector<std::string>{"conv2", "dropout1", "conv1"});
    }
    {
        // Without keep_layers nothing is recorded (the report is always there).
        const auto e = lrp(m, Epsilon(0.01)).explain(x, target<double>("conv2", select::index<double>(3)));
        CHECK(e.layers.empty());
        CHECK(e.report.layers.size() == 3);
    }
    {
        // Two heads on one trunk: the reconstruction's path skips the classifier head.
        SeedTwoHeads<8> two;
        randomize(two, 123, 0.1);
        const auto e = lrp(two, Epsilon(0.01)).explain(x, target<double>("autoencoder", select::all<double>()), keep);
        const std::vector<std::string> expected{"autoencoder", "conv4", "conv3", "reshape2", "dense2",
                                                "reshape1", "dropout2", "conv2", "dropout1", "conv1"};
        CHECK(names_of(e.layers) == expected);
        const auto c = lrp(two, Epsilon(0.01)).explain(x, target<double>("output", select::max<double>()), keep);
        CHECK(names_of(c.layers) ==
              std::vector<std::string>{"output", "dense1", "reshape1", "dropout2", "conv2", "dropout1", "conv1"});
    }
}

TEST_CASE("stop_at: the stop layer's output shape, and the relevance the full run records there") {
    Seed<8> m;
    randomize(m, 131, 0.1);
    const Batch<double> x = random_batch(2, 64, 132);
    const auto analyzer = lrp(m, presets::epsilon_plus());
    auto full_target = target<double>("autoencoder", select::all<double>());
    const auto full = analyzer.explain(x, full_target, ExplainOptions{.keep_layers = true});

    struct Case {
        std::string stop;
        std::vector<std::int64_t> shape;
        std::size_t report_lines;
    };
    for (const auto& c : {Case{"dropout2", {1, 1, 64}, 8}, Case{"output", {2}, 5}, Case{"conv4", {8, 1, 32}, 1},
                          Case{"dropout1", {8, 1, 32}, 10}, Case{"conv1", {8, 1, 32}, 11}}) {
        CAPTURE(c.stop);
        auto t = full_target;
        t.stop_at = c.stop;
        const auto e = analyzer.explain(x, t);
        CHECK(e.at == c.stop);
        CHECK(e.shape == c.shape);
        CHECK(e.relevance.rows() == 2);
        CHECK(e.relevance.cols() == Seed<8>::layer_infos()[static_cast<std::size_t>(Seed<8>::index_of(c.stop))].out_size);
        CHECK(e.relevance == record(full, c.stop));
        CHECK(e.report.layers.size() == c.report_lines);
        CHECK(e.report.final == doctest::Approx(e.relevance.sum()).epsilon(1e-12));
    }
    // The full run ends at the input, shape (8, 8, 1).
    CHECK(full.at == "input");
    CHECK(full.shape == std::vector<std::int64_t>{8, 8, 1});
}

TEST_CASE("stop_at with zero biases and LRP-0 conserves down to the stop layer") {
    Seed<8> m;
    randomize(m, 141, 0.0);
    const Batch<double> x = random_batch(1, 64, 142);
    auto t = target<double>("autoencoder", select::all<double>());
    t.stop_at = "dropout2";
    const auto e = lrp(m, ZRule{}).explain(x, t);
    const double s = m.forward(x).pre_activation(Seed<8>::index_of("autoencoder")).sum();
    CHECK(e.relevance.sum() == doctest::Approx(s).epsilon(1e-9));
}

}  // TEST_SUITE

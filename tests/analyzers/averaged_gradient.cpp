// Integrated gradients and SmoothGrad run the path points / noisy copies of several samples
// through the model together, in passes of at most `rows_per_pass` rows
// (analyzers/averaged_gradient.hpp). Checked here: each sample's attribution is what the
// one-sample-at-a-time algorithm gives (written out below with GradientAnalyzer, std::seed_seq and
// fixed_at, as the analyzers did before the passes), a batch explained at once equals each sample
// explained alone, and the bound changes nothing beyond the last bits (Eigen's products sum a row
// in an order that depends on its place in the batch). The noise streams are SmoothGrad's before
// the change: FixedSeedSeq generates what std::seed_seq does.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include <innspect/innspect.hpp>

#include "connectome/seed_model.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;

namespace {

using Seed16 = seed::SeedModel<double, 16>;

/// Weights of a trained network's scale, kernel ~ N(0, 1/fan_in), bias ~ N(0, 0.1²): the seed
/// model's units stay away from saturation, so every target has gradients well away from 0.
template <class M>
M make_model(std::uint64_t seed) {
    M m;
    test::Rng rng(seed);
    m.for_each_layer([&](auto& l) {
        for (auto& w : l.weights()) {
            std::int64_t n = 1;
            for (auto d : w.shape) n *= d;
            const double scale = w.role == "kernel" ? 1 / std::sqrt(double(n / w.shape.back())) : 0.1;
            for (std::int64_t i = 0; i < n; ++i) {
                const double v = scale * rng.normal();  // a variance is positive
                w.data[i] = static_cast<std::remove_pointer_t<decltype(w.data)>>(w.role == "moving_variance" ? 0.5 + std::abs(v) : v);
            }
        }
    });
    return m;
}

/// max |a − b| / max |b|: how far two attributions differ, relative to their scale.
template <class T>
double max_rel_diff(const Batch<T>& a, const Batch<T>& b) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    const double scale = static_cast<double>(b.cwiseAbs().maxCoeff());
    REQUIRE(scale > 0);
    return static_cast<double>((a - b).cwiseAbs().maxCoeff()) / scale;
}

/// Integrated gradients one sample at a time, each sample's path points as a batch of their own:
/// A_b = (x_b − x₀) ⊙ mean_k ∇S(x₀ + (k/n)(x_b − x₀)), S fixed at x_b.
template <class M, class T>
Batch<T> ig_by_sample(const M& m, const Batch<T>& x, const Target<T>& t, int steps, const Batch<T>& x0) {
    const auto rt = detail::resolve(m.forward(x), t);
    Batch<T> a(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
        const Batch<T> dx = x.row(b) - x0;
        Batch<T> points(steps, x.cols());
        for (int k = 1; k <= steps; ++k) points.row(k - 1) = x0 + (T(k) / T(steps)) * dx;
        const Batch<T> g = gradient(m).explain(points, detail::fixed_at(t, rt, b)).relevance;
        a.row(b) = dx.cwiseProduct(g.colwise().mean());
    }
    return a;
}

/// SmoothGrad one sample at a time, with the noise stream std::seed_seq{seed, b} gives.
template <class M, class T>
Batch<T> smoothgrad_by_sample(const M& m, const Batch<T>& x, const Target<T>& t, int n, double level, std::uint64_t seed) {
    const auto rt = detail::resolve(m.forward(x), t);
    Batch<T> a(x.rows(), x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
        const auto s = static_cast<std::uint64_t>(b);
        std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                          static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(s >> 32)};
        std::mt19937_64 gen(seq);
        std::normal_distribution<double> normal(0.0, 1.0);
        const T sigma = T(level) * (x.row(b).maxCoeff() - x.row(b).minCoeff());
        Batch<T> noisy(n, x.cols());
        for (Eigen::Index k = 0; k < noisy.rows(); ++k)
            for (Eigen::Index f = 0; f < noisy.cols(); ++f) noisy(k, f) = x(b, f) + sigma * T(normal(gen));
        a.row(b) = gradient(m).explain(noisy, detail::fixed_at(t, rt, b)).relevance.colwise().mean();
    }
    return a;
}

template <class T>
std::vector<Target<T>> targets() {
    return {target("output", select::max<T>()), target("dropout2", select::index<T>(3)),
            target("autoencoder", select::all<T>()), target("autoencoder", select::reconstruction_error<T>())};
}

}  // namespace

TEST_CASE("FixedSeedSeq generates what std::seed_seq does, without the heap") {
    for (const std::array<std::uint32_t, 4> words :
         {std::array<std::uint32_t, 4>{0, 0, 0, 0}, {7, 0, 3, 0}, {0xffffffffu, 0x12345678u, 0xdeadbeefu, 1}}) {
        const detail::FixedSeedSeq<4> fixed{words};
        std::seed_seq standard(words.begin(), words.end());
        for (std::size_t n : {1u, 2u, 3u, 5u, 7u, 38u, 39u, 67u, 68u, 622u, 623u, 624u, 1000u}) {
            CAPTURE(n);
            std::vector<std::uint32_t> a(n), b(n);
            fixed.generate(a.begin(), a.end());
            standard.generate(b.begin(), b.end());
            CHECK(a == b);
        }
        std::mt19937_64 g1(standard);
        auto seq = fixed;
        std::mt19937_64 g2(seq);
        for (int k = 0; k < 100; ++k) CHECK(g1() == g2());
    }
}

TEST_CASE("integrated gradients in passes: each sample as one at a time, a batch as its samples alone, any bound") {
    const auto m = make_model<Seed16>(31);
    test::Rng rng(32);
    const Batch<double> x = rng.batch<double>(5, 256);
    const Batch<double> x0 = rng.batch<double>(1, 256) * 0.3;
    const int steps = 6;
    for (const auto& t : targets<double>()) {
        CAPTURE(t.layer);
        for (const bool with_baseline : {false, true}) {
            CAPTURE(with_baseline);
            const Batch<double> base = with_baseline ? x0 : Batch<double>(Batch<double>::Zero(1, 256));
            const auto ig = [&](Eigen::Index rows) {
                return with_baseline ? IntegratedGradients(m, steps, x0, rows) : IntegratedGradients(m, steps, {}, rows);
            };
            const Batch<double> reference = ig_by_sample(m, x, t, steps, base);
            const Batch<double> at_once = ig(1000).explain(x, t).relevance;  // one pass of 30 rows
            CHECK(max_rel_diff(at_once, reference) < 1e-13);
            // 1 and 6 rows: one sample per pass; 13 (and 0, automatic: 2¹⁵ / 2 498 values per row
            // = 13): two samples per pass and a last pass of one.
            for (const Eigen::Index rows : {0, 1, 6, 13}) {
                CAPTURE(rows);
                CHECK(max_rel_diff(ig(rows).explain(x, t).relevance, at_once) < 1e-13);
            }
            for (Eigen::Index b = 0; b < x.rows(); ++b) {
                CAPTURE(b);
                const Batch<double> alone = ig(0).explain(Batch<double>(x.row(b)), t).relevance;
                CHECK(max_rel_diff(alone, Batch<double>(at_once.row(b))) < 1e-13);
            }
        }
    }
}

TEST_CASE("SmoothGrad in passes: each sample as one at a time with the same noise, a batch as its samples alone, any bound") {
    const auto m = make_model<Seed16>(33);
    test::Rng rng(34);
    const Batch<double> x = rng.batch<double>(5, 256);
    const int n = 6;
    for (const auto& t : targets<double>()) {
        CAPTURE(t.layer);
        const Batch<double> reference = smoothgrad_by_sample(m, x, t, n, 0.2, 77);
        const Batch<double> at_once = SmoothGrad(m, n, 0.2, 77, 1000).explain(x, t).relevance;
        // Another noise draw would differ by far more than this (the noise is 20 % of the range).
        CHECK(max_rel_diff(at_once, reference) < 1e-13);
        for (const Eigen::Index rows : {0, 1, 6, 13}) {
            CAPTURE(rows);
            CHECK(max_rel_diff(SmoothGrad(m, n, 0.2, 77, rows).explain(x, t).relevance, at_once) < 1e-13);
        }
        // Sample b alone, told its place in the batch (its noise stream).
        for (Eigen::Index b = 0; b < x.rows(); ++b) {
            CAPTURE(b);
            const auto alone = SmoothGrad(m, n, 0.2, 77).explain_rows(Batch<double>(x.row(b)), t, {}, b).relevance;
            CHECK(max_rel_diff(alone, Batch<double>(at_once.row(b))) < 1e-13);
        }
    }
}

TEST_CASE("integrated gradients in passes, float, W = 90: the bound changes only the last bits") {
    using M = seed::SeedModel<float, 90>;
    const auto m = make_model<M>(35);
    test::Rng rng(36);
    const Batch<float> x = rng.batch<float>(4, 8100);
    const auto t = target("output", select::max<float>());
    const Batch<float> reference = ig_by_sample(m, x, t, 8, Batch<float>(Batch<float>::Zero(1, 8100)));
    for (const Eigen::Index rows : {8, 17, 256}) {
        CAPTURE(rows);
        CHECK(max_rel_diff(IntegratedGradients(m, 8, {}, rows).explain(x, t).relevance, reference) < 1e-5);
    }
}

TEST_CASE("rows per pass: as given, or 2¹⁵ layer output values (at least one row); negative is an error") {
    // Seed model, W = 16: input 256; conv1, dropout1, conv4 16·32 = 512 each; seven layers of 64;
    // output 2; autoencoder 256.
    CHECK(detail::values_per_row<Seed16>() == 256 + 3 * 512 + 7 * 64 + 2 + 256);
    CHECK(detail::pass_rows<Seed16>(0, "") == 32768 / 2498);
    CHECK(detail::pass_rows<Seed16>(5, "") == 5);
    // W = 90: 25 290 values per row, more than the budget: one row, so one sample per pass.
    CHECK(detail::values_per_row<seed::SeedModel<float, 90>>() == 8100 + 3 * 2880 + 7 * 64 + 2 + 8100);
    CHECK(detail::pass_rows<seed::SeedModel<float, 90>>(0, "") == 1);
    const auto m = make_model<Seed16>(37);
    CHECK_THROWS_WITH_AS(IntegratedGradients(m, 4, {}, -1), doctest::Contains("IntegratedGradients: rows_per_pass must be >= 0, got -1"),
                         value_error);
    CHECK_THROWS_WITH_AS(SmoothGrad(m, 4, 0.1, 0, -3), doctest::Contains("SmoothGrad: rows_per_pass must be >= 0, got -3"), value_error);
}

namespace {

using Chain = Model<double, Input<4, 4, 2>, Flatten<"f">, Dense<"d1", 6>, Dense<"d2", 5, Tanh>, Dense<"out", 3>>;
using NormThenRelu = Model<double, Input<16, 2>, Conv1D<"e1", 4, Kernel<3>, Linear, Strides<1>, Padding::same>,
                           BatchNormalization<"bn1">, Activation<"a1", Relu>, MaxPooling1D<"p1", PoolSize<2>>,
                           Conv1D<"e2", 3, Kernel<3>, Relu>, Flatten<"f">, Dense<"out", 2>>;
using SkipFromInput = Model<double, Input<4, 4, 1>, Conv2D<"c1", 2, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                            From<"input", Conv2D<"c2", 2, Kernel<1, 1>>>, Add<"sum", Inputs<"c1", "c2">>,
                            Flatten<"f">, Dense<"out", 2>>;
using PoolFirst = Model<double, Input<4, 4, 1>, MaxPooling2D<"p", PoolSize<2, 2>>, Flatten<"f">, Dense<"out", 2>>;
// The tap is the averaging layer (dec: its tanh ends the chain), for the reconstruction error too.
using LinearCode = Model<double, Input<2, 3>, Flatten<"f">, Dense<"enc", 3>, Dense<"dec", 6, Tanh>, Reshape<"rec", Shape<2, 3>>>;

/// averaging_layer for the full path from `tap`.
template <class M>
int averaging_layer_for(std::string_view tap) {
    std::vector<bool> path, needed;
    detail::backward_path(M::layer_infos(), M::index_of(tap), -1, path, needed);
    return detail::averaging_layer<M>(M::layer_infos(), path);
}

/// IG and SmoothGrad from the analyzers (which average at averaging_layer) against per-row
/// gradients averaged at the input (ig_by_sample, smoothgrad_by_sample: GradientAnalyzer).
template <class M>
void check_averaged_like_per_row(std::uint64_t seed, const Target<double>& t) {
    const auto m = make_model<M>(seed);
    test::Rng rng(seed + 1);
    constexpr Eigen::Index features = M::input_shape::size;
    const Batch<double> x = rng.batch<double>(3, features);
    const Batch<double> x0 = rng.batch<double>(1, features) * 0.3;
    const Batch<double> ig_reference = ig_by_sample(m, x, t, 7, x0);
    // One pass, and passes of two samples with a last, shorter one.
    for (const Eigen::Index rows : {0, 14}) {
        CAPTURE(rows);
        CHECK(max_rel_diff(IntegratedGradients(m, 7, x0, rows).explain(x, t).relevance, ig_reference) < 1e-13);
    }
    const Batch<double> sg = SmoothGrad(m, 5, 0.2, 9).explain(x, t).relevance;
    CHECK(max_rel_diff(sg, smoothgrad_by_sample(m, x, t, 5, 0.2, 9)) < 1e-13);

    // The walk itself: where averaging_layer finds a layer, rows are averaged there (one row per
    // group comes back) and give the per-row gradients' group means; elsewhere per-row gradients.
    const Batch<double> v = rng.batch<double>(3 * 4, features);
    const auto trace = m.forward(v);
    const auto rt = detail::resolve(trace, t);
    const Batch<double> per_row = detail::backpropagate(m, trace, rt, ReluMode::gradient, nullptr);
    detail::WalkBuffers<double> w;
    Batch<double> g;
    const bool averaged = detail::backpropagate(m, trace, rt, ReluMode::gradient, nullptr, static_cast<ParamCache<double>*>(nullptr), w, g, 4);
    CHECK(averaged == (averaging_layer_for<M>(t.layer) >= 0));
    Batch<double> means(3, per_row.cols());
    for (Eigen::Index j = 0; j < 3; ++j) means.row(j) = per_row.middleRows(j * 4, 4).colwise().mean();
    if (averaged) {
        CHECK(g.rows() == 3);
        CHECK(max_rel_diff(g, means) < 1e-13);
    } else {
        CHECK(max_rel_diff(g, per_row) == 0);
    }
}

}  // namespace

TEST_CASE("averaging the path's rows early: at the top of the chain of fixed linear maps from the input") {
    // Flatten and d1 have identity activations: the chain goes on to d2, whose tanh ends it.
    CHECK(averaging_layer_for<Chain>("out") == 2);
    CHECK(averaging_layer_for<Chain>("d1") == 1);
    // A batch norm is a fixed affine map; the Activation layer's ReLU ends the chain.
    CHECK(averaging_layer_for<NormThenRelu>("out") == 2);
    // The input goes two ways (c1 and c2): each of its rows' gradients is a sum, nothing to average early.
    CHECK(averaging_layer_for<SkipFromInput>("out") == -1);
    // ... unless the target needs one of them only.
    CHECK(averaging_layer_for<SkipFromInput>("c1") == 0);
    // Max pooling's gradient depends on its input: no chain.
    CHECK(averaging_layer_for<PoolFirst>("out") == -1);
    // The seed model: conv1, whose SELU ends the chain.
    CHECK(averaging_layer_for<Seed16>("output") == 0);
    CHECK(averaging_layer_for<LinearCode>("rec") == 2);
}

TEST_CASE("integrated gradients and SmoothGrad averaging early give what per-row gradients averaged at the input give") {
    for (const bool max : {true, false}) {
        CAPTURE(max);
        const auto t = target("out", max ? select::max<double>() : select::index<double>(1));
        check_averaged_like_per_row<Chain>(41, t);
        check_averaged_like_per_row<NormThenRelu>(43, t);
        check_averaged_like_per_row<SkipFromInput>(45, t);
        check_averaged_like_per_row<PoolFirst>(47, t);
    }
    check_averaged_like_per_row<Chain>(49, target("d1", select::all<double>()));
    check_averaged_like_per_row<SkipFromInput>(51, target("c1", select::index<double>(5)));
    // The tap at the averaging layer, its activation stripped or kept; the reconstruction error
    // (kept activation, and the input's own term −2d averaged apart).
    auto kept = target("dec", select::all<double>());
    kept.strip_activation = false;
    check_averaged_like_per_row<LinearCode>(53, target("dec", select::all<double>()));
    check_averaged_like_per_row<LinearCode>(55, kept);
    check_averaged_like_per_row<LinearCode>(57, target("rec", select::reconstruction_error<double>()));
}

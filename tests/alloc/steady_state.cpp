// Issue 10, step 1 (the forward pass): after a first call with a batch size, a forward pass into a
// kept trace allocates nothing — no trace buffer, no layer temporary (im2col, col2im, activation,
// softmax), no GEMM packing buffer — and gives the same bits as the allocating pass into a fresh
// trace. The same for the analyzers (issue 10 item 1): LRP (rules, a composite) and the gradient
// analyzers explaining into a kept Explanation, with their workspace (forward trace, the backward
// walk's and the rules' buffers) kept by the analyzer. Heap calls are counted by replacing glibc's
// malloc (bench/alloc_counter.cpp), so this is a program of its own, built without the sanitizers
// (which replace malloc themselves).

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <innspect/innspect.hpp>

#include "alloc_counter.hpp"
#include "connectome/seed_model.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace alloc = innspect_bench::alloc;

namespace {

template <class T>
using Conv = Model<T, Input<12, 12, 3>, Conv2D<"c1", 8, Kernel<3, 3>, Elu, Strides<1, 1>, Padding::same>,
                   Conv2D<"c2", 16, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,
                   BatchNormalization<"bn">, Conv2DTranspose<"up", 4, Kernel<3, 3>, Selu, Strides<2, 2>, Padding::same>,
                   Flatten<"f">, Dense<"head", 37, Softmax>>;

/// test::randomize with its own seeded generator.
template <class M>
void randomize(M& m, std::uint64_t seed) {
    test::Rng rng(seed);
    test::randomize(m, rng);
}

template <class T>
bool same_bits(const Batch<T>& a, const Batch<T>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

/// Batch sizes that grow and shrink: the kept buffers are resized, the scratch only grows.
template <class M>
void check_model(std::uint64_t seed) {
    using T = typename M::scalar;
    M m;
    randomize(m, seed);
    test::Rng rng(seed + 1);
    Trace<T> kept;
    for (int batch : {8, 3, 64, 1, 8}) {
        CAPTURE(batch);
        const Batch<T> x = rng.batch<T>(batch, M::input_shape::size);
        m.forward(x, kept);  // the first call with this batch size may allocate
        alloc::start();
        m.forward(x, kept);
        const alloc::Counts c = alloc::stop();
        if constexpr (detail::kept_gemm_buffers) {
            CHECK(c.calls == 0);
        } else {
            MESSAGE("this Eigen build's GEMM allocates its packing buffers (not Eigen 3.4, or OpenMP): " << c.calls);
        }
        const Trace<T> fresh = m.forward(x);
        REQUIRE(fresh.out.size() == kept.out.size());
        for (std::size_t i = 0; i < fresh.out.size(); ++i) {
            CAPTURE(i);
            CHECK(same_bits(fresh.out[i], kept.out[i]));
            CHECK(same_bits(fresh.pre[i], kept.pre[i]));
        }
    }
}

template <class T>
bool same_bits(const Vector<T>& a, const Vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Every field of two explanations, byte for byte.
template <class T>
void check_same(const Explanation<T>& fresh, const Explanation<T>& kept) {
    CHECK(same_bits(fresh.relevance, kept.relevance));
    CHECK(same_bits(fresh.initial, kept.initial));
    CHECK(same_bits(fresh.score, kept.score));
    CHECK(fresh.at == kept.at);
    CHECK(fresh.shape == kept.shape);
    REQUIRE(fresh.layers.size() == kept.layers.size());
    for (std::size_t l = 0; l < fresh.layers.size(); ++l) {
        CAPTURE(l);
        CHECK(fresh.layers[l].layer == kept.layers[l].layer);
        CHECK(same_bits(fresh.layers[l].relevance, kept.layers[l].relevance));
    }
    const ConservationReport &a = fresh.report, &b = kept.report;
    CHECK(same_bits(a.initial, b.initial));
    CHECK(same_bits(a.final, b.final));
    CHECK(same_bits(a.bypassed, b.bypassed));
    CHECK(same_bits(a.direct, b.direct));
    CHECK(a.has_direct == b.has_direct);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        CAPTURE(l);
        CHECK(a.layers[l].layer == b.layers[l].layer);
        CHECK(a.layers[l].rule == b.layers[l].rule);
        CHECK(same_bits(a.layers[l].relevance_out, b.layers[l].relevance_out));
        CHECK(same_bits(a.layers[l].relevance_in, b.layers[l].relevance_in));
        CHECK(same_bits(a.layers[l].bias_absorbed, b.layers[l].bias_absorbed));
        CHECK(same_bits(a.layers[l].stabilizer_lost, b.layers[l].stabilizer_lost));
    }
}

/// `make(model)` makes an analyzer; into one kept Explanation it explains `target` repeatedly. After
/// a first call with a batch size, a call makes no heap call and gives, field by field, the bits a
/// fresh analyzer's plain `explain(x, target)` returns. With and without every layer's relevance.
template <class M, class Make>
void check_explain(std::uint64_t seed, Make make, const std::vector<Target<typename M::scalar>>& targets) {
    using T = typename M::scalar;
    M m;
    randomize(m, seed);
    test::Rng rng(seed + 1);
    const auto analyzer = make(m);
    for (const auto& target : targets) {
        CAPTURE(target.layer);
        for (bool keep_layers : {false, true}) {
            CAPTURE(keep_layers);
            const ExplainOptions opt{.keep_layers = keep_layers};
            Explanation<T> kept;
            for (int batch : {8, 3, 64, 1, 8}) {
                CAPTURE(batch);
                const Batch<T> x = rng.batch<T>(batch, M::input_shape::size);
                analyzer.explain(x, target, kept, opt);  // the first call with this batch size may allocate
                alloc::start();
                analyzer.explain(x, target, kept, opt);
                const alloc::Counts c = alloc::stop();
                if constexpr (detail::kept_gemm_buffers) {
                    CHECK(c.calls == 0);
                } else {
                    MESSAGE("this Eigen build's GEMM allocates its packing buffers (not Eigen 3.4, or OpenMP): " << c.calls);
                }
                check_same(make(m).explain(x, target, opt), kept);
            }
        }
    }
}

/// The seed model's read-out points: the reconstruction (every unit), a logit, the latent code.
template <class T>
std::vector<Target<T>> seed_targets() {
    return {target("autoencoder", select::all<T>()), target("output", select::index<T>(1)),
            target("dropout2", select::max<T>())};
}

template <class M>
void check_seed_analyzers(std::uint64_t seed) {
    using T = typename M::scalar;
    const auto targets = seed_targets<T>();
    SUBCASE("LRP-epsilon") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, Epsilon()); }, targets);
    }
    SUBCASE("LRP-epsilon(0.1), no bias") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, Epsilon(0.1, false)); }, targets);
    }
    SUBCASE("LRP alpha2beta1") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, AlphaBeta(2, 1)); }, targets);
    }
    SUBCASE("LRP-z") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, ZRule()); }, targets);
    }
    SUBCASE("the composite EpsilonPlus (epsilon on dense, z-plus on convolutions)") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, presets::epsilon_plus()); }, targets);
    }
    SUBCASE("gradient") {
        check_explain<M>(seed, [](const M& m) { return gradient(m); }, targets);
    }
    SUBCASE("input x gradient") {
        check_explain<M>(seed, [](const M& m) { return input_x_gradient(m); }, targets);
    }
}

}  // namespace

TEST_CASE("steady state: the counter counts") {
    REQUIRE(alloc::available());
    alloc::start();
    std::vector<int> v(1000, 1);
    const alloc::Counts c = alloc::stop();
    CHECK(c.calls == 1);
    CHECK(v[999] == 1);
}

TEST_CASE("steady state: a forward pass into a kept trace allocates nothing and gives the fresh trace's bits") {
    SUBCASE("the seed model, float, W = 90") { check_model<seed::SeedModel<float, 90>>(1); }
    SUBCASE("the seed model, double, W = 16") { check_model<seed::SeedModel<double, 16>>(2); }
    SUBCASE("strided and transposed convolutions, batch norm, ELU, SELU, softmax over 37, float") { check_model<Conv<float>>(3); }
    SUBCASE("the same in double") { check_model<Conv<double>>(4); }
}

TEST_CASE("steady state: LRP and gradient explanations into a kept Explanation allocate nothing and give the plain path's bits") {
    SUBCASE("the seed model, float, W = 90") { check_seed_analyzers<seed::SeedModel<float, 90>>(5); }
    SUBCASE("the seed model, double, W = 16") { check_seed_analyzers<seed::SeedModel<double, 16>>(6); }
}

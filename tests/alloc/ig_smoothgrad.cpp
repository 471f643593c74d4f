// Issue 10 item 2: integrated gradients and SmoothGrad keep their workspace (the forward pass of x,
// the passes' path points / noisy copies, traces, targets, walks and gradients) across calls.
// After a first call with a batch size, explaining into a kept Explanation makes no heap call and
// gives, field by field, the bits a fresh analyzer's plain `explain(x, target)` returns — with
// passes of several samples, a shorter last pass, and batch sizes that grow and shrink. Heap calls
// are counted by replacing glibc's malloc (bench/alloc_counter.cpp); the byte comparison is
// kept_checks.hpp's.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <innspect/innspect.hpp>

#include "alloc/kept_checks.hpp"
#include "alloc_counter.hpp"
#include "connectome/seed_model.hpp"
#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace alloc = innspect_bench::alloc;

namespace {

using test::kept::check_same;

/// `make(model)` makes an analyzer; into one kept Explanation it explains each target repeatedly,
/// at batch sizes that grow and shrink. After a first call with a batch size, a call makes no heap
/// call, and gives what a fresh analyzer's plain `explain(x, target)` returns.
template <class M, class Make>
void check_explain(std::uint64_t seed, Make make, const std::vector<Target<typename M::scalar>>& targets) {
    using T = typename M::scalar;
    M m;
    test::Rng weights(seed);
    test::randomize(m, weights);
    test::Rng rng(seed + 1);
    const auto analyzer = make(m);
    for (const auto& target : targets) {
        CAPTURE(target.layer);
        Explanation<T> kept;
        for (int batch : {8, 3, 1, 7, 8}) {
            CAPTURE(batch);
            const Batch<T> x = rng.batch<T>(batch, M::input_shape::size);
            analyzer.explain(x, target, kept);  // the first call with this batch size may allocate
            alloc::start();
            analyzer.explain(x, target, kept);
            const alloc::Counts c = alloc::stop();
            if constexpr (detail::kept_gemm_buffers) {
                CHECK(c.calls == 0);
            } else {
                MESSAGE("this Eigen build's GEMM allocates its packing buffers (not Eigen 3.4, or OpenMP): " << c.calls);
            }
            check_same(make(m).explain(x, target), kept);
        }
    }
}

/// The seed model's read-out points: the reconstruction (every unit), a logit, the latent code
/// (its max, chosen at x and kept for every path point or noisy copy).
template <class T>
std::vector<Target<T>> seed_targets() {
    return {target("autoencoder", select::all<T>()), target("output", select::index<T>(1)),
            target("dropout2", select::max<T>())};
}

/// 3 steps / copies and at most 7 rows per pass: 2 samples per pass, so a batch of 7 runs 3 full
/// passes and a shorter last one, and 8 runs 4 full ones.
template <class M>
void check_averaging_analyzers(std::uint64_t seed) {
    using T = typename M::scalar;
    const auto targets = seed_targets<T>();
    SUBCASE("integrated gradients, zero baseline, 2 samples per pass") {
        check_explain<M>(seed, [](const M& m) { return IntegratedGradients(m, 3, {}, 7); }, targets);
    }
    SUBCASE("integrated gradients, a one-row baseline, one sample per pass") {
        const Batch<T> x0 = Batch<T>::Constant(1, M::input_shape::size, T(0.25));
        check_explain<M>(seed, [&](const M& m) { return IntegratedGradients(m, 3, x0, 2); }, targets);
    }
    SUBCASE("integrated gradients, the automatic bound (W = 16: 4 samples per pass; W = 90: 1)") {
        check_explain<M>(seed, [](const M& m) { return IntegratedGradients(m, 3); }, targets);
    }
    SUBCASE("SmoothGrad, 2 samples per pass") {
        check_explain<M>(seed, [](const M& m) { return SmoothGrad(m, 3, 0.2, 11, 7); }, targets);
    }
    SUBCASE("SmoothGrad, the automatic bound") {
        check_explain<M>(seed, [](const M& m) { return SmoothGrad(m, 3, 0.2, 11); }, targets);
    }
}

}  // namespace

TEST_CASE("steady state: integrated gradients and SmoothGrad into a kept Explanation allocate nothing and give the plain path's bits") {
    SUBCASE("the seed model, float, W = 90") { check_averaging_analyzers<seed::SeedModel<float, 90>>(21); }
    SUBCASE("the seed model, double, W = 16") { check_averaging_analyzers<seed::SeedModel<double, 16>>(22); }
}

TEST_CASE("steady state: integrated gradients and SmoothGrad of the reconstruction error give the plain path's bits") {
    // Not heap-free: resolving the error target checks the reconstruction's shape against the
    // input's with two small vectors (as in every analyzer). A per-sample mask exercises the mask
    // rows repeated for each sample's inputs.
    using M = seed::SeedModel<double, 16>;
    test::Rng rng(23);
    const Batch<double> mask = rng.batch<double>(8, M::input_shape::size).cwiseAbs();
    const std::vector<Target<double>> targets{target("autoencoder", select::reconstruction_error<double>())};
    check_explain<M>(24, [](const M& m) { return IntegratedGradients(m, 3, {}, 7); }, targets);
    check_explain<M>(25, [](const M& m) { return SmoothGrad(m, 3, 0.2, 11, 7); }, targets);
    // The per-sample mask needs the batch to match it.
    M m;
    test::randomize(m, rng);
    const Batch<double> x = rng.batch<double>(8, M::input_shape::size);
    const auto t = target("autoencoder", select::reconstruction_error(mask));
    const auto ig = IntegratedGradients(m, 3, {}, 7);
    const auto sg = SmoothGrad(m, 3, 0.2, 11, 7);
    Explanation<double> kept_ig, kept_sg;
    for (int k = 0; k < 2; ++k) {
        ig.explain(x, t, kept_ig);
        sg.explain(x, t, kept_sg);
    }
    check_same(IntegratedGradients(m, 3, {}, 7).explain(x, t), kept_ig);
    check_same(SmoothGrad(m, 3, 0.2, 11, 7).explain(x, t), kept_sg);
}

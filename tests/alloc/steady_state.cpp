// Issue 10, step 1 (the forward pass): after a first call with a batch size, a forward pass into a
// kept trace allocates nothing — no trace buffer, no layer temporary (im2col, col2im, activation,
// softmax), no GEMM packing buffer — and gives the same bits as the allocating pass into a fresh
// trace. The same for the analyzers (issue 10 item 1): LRP (rules, a composite) and the gradient
// analyzers explaining into a kept Explanation, with their workspace (forward trace, the backward
// walk's and the rules' buffers) kept by the analyzer, the recurrent layers' records of the
// forward pass they re-run among them. Heap calls are counted by replacing glibc's
// malloc (bench/alloc_counter.cpp), so this is a program of its own, built without the sanitizers
// (which replace malloc themselves).

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

template <class T>
using Conv = Model<T, Input<12, 12, 3>, Conv2D<"c1", 8, Kernel<3, 3>, Elu, Strides<1, 1>, Padding::same>,
                   Conv2D<"c2", 16, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>,
                   BatchNormalization<"bn">, Conv2DTranspose<"up", 4, Kernel<3, 3>, Selu, Strides<2, 2>, Padding::same>,
                   Flatten<"f">, Dense<"head", 37, Softmax>>;

/// A graph of the layers with an own rule (pooling, upsampling, every merge), a batch norm that
/// no canonizer merges (a ReLU sits between it and the convolution before it) and PReLU (α shared
/// over height and width, and one α per value).
template <class T>
using OwnRules = Model<T, Input<8, 8, 2>, Conv2D<"c1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                       BatchNormalization<"bn">, MaxPooling2D<"maxpool", PoolSize<2, 2>>,
                       Conv2D<"c2", 4, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,
                       AveragePooling2D<"avgpool", PoolSize<2, 2>>, UpSampling2D<"up", UpSize<2, 2>>,
                       Add<"add", Inputs<"up", "c2">>, Subtract<"sub", Inputs<"add", "maxpool">>,
                       Maximum<"max", Inputs<"sub", "c2">>, Average<"avg", Inputs<"max", "add">>,
                       Concatenate<"cat", Inputs<"avg", "maxpool">>, UpSampling2D<"up2", UpSize<2, 2>>,
                       PReLU<"prelu", SharedAxes<1, 2>>, PReLU<"prelu_full">, Conv2D<"out", 2, Kernel<1, 1>>>;

/// Every recurrent layer: LSTM, GRU (reset_after and not), SimpleRNN reading backwards, and
/// Bidirectional with sequences (concat) and without (ave).
template <class T>
using Sequences = Model<T, Input<12, 3>, LSTM<"lstm", 6, Recurrent{.return_sequences = true}>,
                        GRU<"gru", 5, Recurrent{.return_sequences = true}>,
                        GRU<"gru_v1", 4, Recurrent{.return_sequences = true, .reset_after = false}>,
                        SimpleRNN<"rnn", 4, Recurrent{.return_sequences = true, .go_backwards = true}>,
                        Bidirectional<"bi", LSTM<"bi_lstm", 3, Recurrent{.return_sequences = true}>>,
                        Bidirectional<"bi_ave", GRU<"bi_gru", 3>, BidirectionalMerge::ave>, Dense<"head", 2>>;

using test::kept::check_explain;
using test::kept::check_same;
using test::kept::randomize;
using test::kept::same_bits;

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

/// The seed model's read-out points: the reconstruction (every unit), a logit, the latent code, the
/// reconstruction error.
template <class T>
std::vector<Target<T>> seed_targets() {
    return {target("autoencoder", select::all<T>()), target("output", select::index<T>(1)),
            target("dropout2", select::max<T>()), target("autoencoder", select::reconstruction_error<T>())};
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

/// LRP-ε, α2β1 and the gradient on `targets`.
template <class M>
void check_three_analyzers(std::uint64_t seed, const std::vector<Target<typename M::scalar>>& targets) {
    SUBCASE("LRP-epsilon") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, Epsilon()); }, targets);
    }
    SUBCASE("LRP alpha2beta1") {
        check_explain<M>(seed, [](const M& m) { return lrp(m, AlphaBeta(2, 1)); }, targets);
    }
    SUBCASE("gradient") {
        check_explain<M>(seed, [](const M& m) { return gradient(m); }, targets);
    }
}

template <class M>
void check_own_rule_analyzers(std::uint64_t seed) {
    using T = typename M::scalar;
    check_three_analyzers<M>(seed, {target("out", select::all<T>()), target("cat", select::index<T>(5)),
                                    target("out", select::reconstruction_error<T>())});
}

/// Every recurrent layer's explanation steps: LRP through time with the composite's rule on the
/// cells' linear maps (ε; α2β1, whose sign split runs on them too) and backpropagation through time.
template <class M>
void check_sequence_analyzers(std::uint64_t seed) {
    using T = typename M::scalar;
    check_three_analyzers<M>(seed, {target("head", select::all<T>()), target("gru", select::index<T>(17)),
                                    target("bi", select::max<T>())});
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
    SUBCASE("pooling, upsampling, every merge, a stand-alone batch norm, float") { check_model<OwnRules<float>>(7); }
    SUBCASE("LSTM, GRU, SimpleRNN, Bidirectional, float") { check_model<Sequences<float>>(10); }
    SUBCASE("the same in double") { check_model<Sequences<double>>(11); }
}

TEST_CASE("steady state: LRP and gradient explanations into a kept Explanation allocate nothing and give the plain path's bits") {
    SUBCASE("the seed model, float, W = 90") { check_seed_analyzers<seed::SeedModel<float, 90>>(5); }
    SUBCASE("the seed model, double, W = 16") { check_seed_analyzers<seed::SeedModel<double, 16>>(6); }
}

TEST_CASE("steady state: layers with an own rule and a stand-alone batch norm explain without allocating") {
    SUBCASE("float") { check_own_rule_analyzers<OwnRules<float>>(8); }
    SUBCASE("double") { check_own_rule_analyzers<OwnRules<double>>(9); }
}

TEST_CASE("steady state: LSTM, GRU, SimpleRNN and Bidirectional explain without allocating") {
    SUBCASE("float") { check_sequence_analyzers<Sequences<float>>(12); }
    SUBCASE("double") { check_sequence_analyzers<Sequences<double>>(13); }
}

// The recurrent layers keep their LRP record in the analyzer's workspace (ParamCache::workspace),
// reused across calls and resized when the batch size changes: whatever a previous call left
// there must not reach the next result. Each explanation of a reused analyzer is compared bit
// for bit with a fresh analyzer's, across batch sizes 3 → 1 → 5 → 3 and back.

#include <doctest/doctest.h>

#include <vector>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
using innspect::test::identical;

namespace {

constexpr Recurrent seq{.return_sequences = true};

/// Explains inputs of several batch sizes, in turn, with one analyzer made once and with a fresh
/// analyzer per call; every relevance and bias share must be identical.
template <class Net, class MakeAnalyzer>
void check_reuse(const char* tap, MakeAnalyzer make) {
    using T = typename Net::scalar;
    Net m;
    test::Rng rng(12);
    test::randomize(m, rng);
    const auto target = innspect::target<T>(tap, select::all<T>());
    const auto reused = make(m);
    std::vector<Batch<T>> xs;
    for (int b : {3, 1, 5}) xs.push_back(rng.batch<T>(b, Net::input_shape::size));
    for (int i : {0, 0, 1, 2, 0, 1}) {
        CAPTURE(i);
        const auto fresh = make(m).explain(xs[static_cast<std::size_t>(i)], target);
        const auto again = reused.explain(xs[static_cast<std::size_t>(i)], target);
        CHECK(identical(again.relevance, fresh.relevance));
        REQUIRE(again.report.layers.size() == fresh.report.layers.size());
        for (std::size_t l = 0; l < fresh.report.layers.size(); ++l)
            CHECK(again.report.layers[l].bias_absorbed == fresh.report.layers[l].bias_absorbed);
    }
}

template <class Net>
void check_rules(const char* tap) {
    check_reuse<Net>(tap, [](const Net& m) { return lrp(m, Epsilon(0.01)); });
    check_reuse<Net>(tap, [](const Net& m) { return lrp(m, ZPlus()); });
    check_reuse<Net>(tap, [](const Net& m) { return lrp(m, AlphaBeta(2, 1)); });
    check_reuse<Net>(tap, [](const Net& m) { return gradient(m); });
}

}  // namespace

TEST_CASE("recurrent workspaces: a reused analyzer explains bit for bit as a fresh one, across batch sizes") {
    SUBCASE("LSTM autoencoder (float)") {
        check_rules<Model<float, Input<7, 3>, LSTM<"encoder", 5>, RepeatVector<"rv", 7>, LSTM<"decoder", 5, seq>,
                          TimeDistributed<"recon", Dense<"dense", 3>>>>("recon");
    }
    SUBCASE("LSTM go_backwards, hard sigmoid, no bias (double)") {
        check_rules<Model<double, Input<6, 3>, LSTM<"l", 4, Recurrent{.go_backwards = true, .use_bias = false}, Tanh, HardSigmoid>>>("l");
    }
    SUBCASE("GRU, both bias layouts") {
        check_rules<Model<float, Input<6, 3>, GRU<"g1", 4, seq>, GRU<"g2", 3, Recurrent{.reset_after = false}>>>("g2");
    }
    SUBCASE("SimpleRNN") {
        check_rules<Model<float, Input<6, 3>, SimpleRNN<"s1", 4, Recurrent{.return_sequences = true, .go_backwards = true}>,
                          SimpleRNN<"s2", 3>>>("s2");
    }
    SUBCASE("Bidirectional: a workspace per direction") {
        check_rules<Model<float, Input<6, 3>, Bidirectional<"b1", LSTM<"l", 4, seq>>,
                          Bidirectional<"b2", GRU<"g", 3>, BidirectionalMerge::sum>>>("b2");
    }
}

// A loaded model is immutable in use and may be shared between threads; each thread owns its
// analyzer (README, Design: caches and threads). Several threads explain with one shared model
// (a batch norm among its layers: it used to fill a cache from a const forward, a data race), each
// with its own LRP and gradient analyzers, and every result must equal the serial one bit for bit.
// CI also runs this program under ThreadSanitizer (scripts/test.sh --tsan).

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string_view>
#include <thread>
#include <vector>

#include <innspect/innspect.hpp>

#include "fill_weights.hpp"

namespace {

using namespace innspect;

// A batch norm merged into a linear layer and one standing alone, max pooling, a dense head.
using Net = Model<double, Input<8, 8, 1>,                                   //
                  Conv2D<"conv", 4, Kernel<3, 3>>,                          // (6, 6, 4)
                  BatchNormalization<"bn">,                                 // merged into conv
                  Activation<"relu", Relu>,                                 //
                  BatchNormalization<"bn2">,                                // on its own
                  MaxPooling2D<"pool">,                                     // (3, 3, 4)
                  Flatten<"flat">,                                          // (36,)
                  Dense<"logits", 3>>;

}  // namespace

TEST_CASE("threads share one model, one analyzer each: results equal the serial run bit for bit") {
    Net net;
    fill_weights(net, 12345);
    net.check_finite();
    Batch<double> x(6, 64);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.37 * double(i));
    const auto tgt = target<double>("logits", select::all<double>());

    const Batch<double> lrp_serial = lrp(net, Epsilon(1e-6)).explain(x, tgt).relevance;
    const Batch<double> ab_serial = lrp(net, AlphaBeta(2, 1)).explain(x, tgt).relevance;
    const Batch<double> grad_serial = gradient(net).explain(x, tgt).relevance;
    // The merged batch norm must matter, or the race it once had would go untested.
    CHECK(lrp_serial.cwiseAbs().sum() > 0);

    constexpr int threads = 4;
    std::vector<Batch<double>> lrp_out(threads), ab_out(threads), grad_out(threads);
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const auto eps = lrp(net, Epsilon(1e-6));
                const auto ab = lrp(net, AlphaBeta(2, 1));
                const auto g = gradient(net);
                for (int rep = 0; rep < 3; ++rep) {
                    lrp_out[static_cast<std::size_t>(t)] = eps.explain(x, tgt).relevance;
                    ab_out[static_cast<std::size_t>(t)] = ab.explain(x, tgt).relevance;
                    grad_out[static_cast<std::size_t>(t)] = g.explain(net.forward(x), tgt).relevance;
                }
            });
    }
    for (int t = 0; t < threads; ++t) {
        INFO("thread " << t);
        CHECK(lrp_out[static_cast<std::size_t>(t)] == lrp_serial);
        CHECK(ab_out[static_cast<std::size_t>(t)] == ab_serial);
        CHECK(grad_out[static_cast<std::size_t>(t)] == grad_serial);
    }
}

// A forward pass for one layer runs only what that layer needs (issue 10, step 2): explaining a
// latent code does not run the decoder. Checked on a U-Net and a two-headed graph: which layers
// run (the needs relation by hand), the outputs of those that run equal the full pass's bit for
// bit, a layer that did not run cannot be read by mistake, and every analyzer gives the same
// explanation from its own (partial) pass as from a full trace.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {

// enc1 → pool1 → bottleneck → up1 ⊕ enc1 (skip) → dec1 (+ enc1) → reconstruction, and a second
// head on the bottleneck (code) that the reconstruction does not need.
using Net = Model<double, Input<4, 4, 1>,
                  Conv2D<"enc1", 2, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,  // 0
                  MaxPooling2D<"pool1", PoolSize<2, 2>>,                                // 1
                  Conv2D<"bottleneck", 3, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,  // 2
                  From<"bottleneck", Flatten<"flat">>,                                  // 3
                  Dense<"code", 2, Tanh>,                                               // 4
                  From<"bottleneck", UpSampling2D<"up1", UpSize<2, 2>>>,                // 5
                  Concatenate<"skip", Inputs<"up1", "enc1">>,                           // 6
                  Conv2D<"dec1", 2, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same>,  // 7
                  Add<"residual", Inputs<"dec1", "enc1">>,                              // 8
                  Conv2D<"reconstruction", 1, Kernel<1, 1>, Tanh>>;                     // 9

std::vector<int> ran(const Trace<double>& tr) {
    std::vector<int> r;
    for (std::size_t i = 0; i < tr.ran.size(); ++i)
        if (tr.ran[i] != 0) r.push_back(static_cast<int>(i));
    return r;
}

}  // namespace

TEST_CASE("partial forward: the layers a layer needs, by hand") {
    static_assert(Net::needs[4][0] && Net::needs[4][1] && Net::needs[4][2] && Net::needs[4][3] && !Net::needs[4][5]);
    static_assert(!Net::needs[9][3] && !Net::needs[9][4] && Net::needs[9][8] && Net::needs[9][0]);
    Net m;
    t::Rng rng(3);
    t::randomize(m, rng);
    const Batch<double> x = rng.batch<double>(3, 16);
    const Trace<double> full = m.forward(x);
    CHECK(ran(full) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});

    const Trace<double> code = m.forward(x, "code");
    CHECK(ran(code) == std::vector<int>{0, 1, 2, 3, 4});
    for (int i : {0, 1, 2, 3, 4}) CHECK(code.output(i) == full.output(i));
    CHECK_THROWS_WITH_AS(code.output("reconstruction"), doctest::Contains("'reconstruction' was not run"), error);

    const Trace<double> rec = m.forward(x, "reconstruction");
    CHECK(ran(rec) == std::vector<int>{0, 1, 2, 5, 6, 7, 8, 9});
    CHECK(rec.output("reconstruction") == full.output("reconstruction"));
    CHECK(m.predict(x, "code") == full.output("code"));

    // Into an existing trace: a full pass after a partial one runs everything again.
    Trace<double> reused;
    m.forward(x, reused, "bottleneck");
    CHECK(ran(reused) == std::vector<int>{0, 1, 2});
    m.forward(x, reused);
    CHECK(ran(reused).size() == Net::size);
    CHECK(reused.output("code") == full.output("code"));
    CHECK_THROWS_AS(m.forward(x, reused, "nope"), name_error);
}

TEST_CASE("partial forward: every analyzer explains from its own pass as from a full trace") {
    Net m;
    t::Rng rng(5);
    t::randomize(m, rng);
    const Batch<double> x = rng.batch<double>(2, 16);
    const Trace<double> full = m.forward(x);
    for (const auto& tg : {target<double>("code", select::index<double>(1)), target<double>("reconstruction", select::all<double>()),
                           target<double>("bottleneck", select::max<double>())}) {
        INFO(tg.layer);
        const auto eps = lrp(m, Epsilon(0.01));
        CHECK(eps.explain(x, tg).relevance == eps.explain(full, tg).relevance);
        const auto grad = input_x_gradient(m);
        CHECK(grad.explain(x, tg).relevance == grad.explain(full, tg).relevance);
    }
    // Integrated gradients reuse one trace for every sample's path: the same as one pass each.
    const auto tg = target<double>("code", select::index<double>(0));
    const Batch<double> ig = IntegratedGradients<Net>(m, 8).explain(x, tg).relevance;
    for (Eigen::Index b = 0; b < x.rows(); ++b)
        CHECK(IntegratedGradients<Net>(m, 8).explain(Batch<double>(x.row(b)), tg).relevance == Batch<double>(ig.row(b)));
}

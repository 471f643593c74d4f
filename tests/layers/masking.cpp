// Masking (issue 12: "Masking as an error if a mask is active"):
//   - no step masked: the identity, so a model with Masking gives the same bits as the model
//     without it, forward, LRP and gradient alike (Masking has no weights: the same seed fills both);
//   - a step whose every feature equals mask_value is refused by the forward pass, naming the
//     layer, the sample and the step (pixel for an image, the sample for a vector), whichever
//     analyzer runs it; a step where only some features equal it is not masked (Keras: any ≠);
//   - the comparison is made in the model's scalar type, as Keras compares in the input's dtype;
//   - the keras values the architecture check compares.
// The Keras file with a Masking layer is tests/hdf5/recurrent_files.cpp's.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include <innspect/innspect.hpp>

#include "support/model_checks.hpp"
#include "support/test_support.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {

/// test::randomize with its own seeded generator.
template <class M>
void randomize(M& m, std::uint64_t seed) {
    test::Rng rng(seed);
    test::randomize(m, rng);
}

template <class T>
using Masked = Model<T, Input<6, 3>, Masking<"masking">, LSTM<"encoder", 4>, Dense<"head", 2>>;
template <class T>
using Plain = Model<T, Input<6, 3>, LSTM<"encoder", 4>, Dense<"head", 2>>;

std::string message_of(auto&& f) { return t::message_of<value_error>(f); }

}  // namespace

TEST_CASE("Masking: with no step masked, the model is the one without it, forward, LRP and gradient") {
    Masked<double> m;
    Plain<double> p;
    randomize(m, 7);
    randomize(p, 7);
    t::Rng rng(3);
    Batch<double> x = rng.batch<double>(4, 18);
    x(1, 3) = 0.0;  // one feature of a step at the mask value: not a masked step
    x(1, 4) = 0.0;

    CHECK(m.forward(x).out.back() == p.forward(x).out.back());
    const auto tm = target("head", select::index(1));
    const auto lm = lrp(m, Epsilon(0.01)).explain(x, tm);
    const auto lp = lrp(p, Epsilon(0.01)).explain(x, tm);
    CHECK(lm.relevance == lp.relevance);
    CHECK(gradient(m).explain(x, tm).relevance == gradient(p).explain(x, tm).relevance);
    // Its row of the conservation report: relevance passes through unchanged.
    bool found = false;
    for (const auto& r : lm.report.layers)
        if (r.layer == "masking") {
            found = true;
            CHECK(r.relevance_in == doctest::Approx(r.relevance_out).epsilon(1e-12));
        }
    CHECK(found);
}

TEST_CASE("Masking: a step with every feature at mask_value is refused, naming layer, sample and step") {
    Masked<double> m;
    randomize(m, 7);
    t::Rng rng(5);
    Batch<double> x = rng.batch<double>(3, 18);
    x.row(2).segment(2 * 3, 3).setZero();  // sample 2, step 2
    const std::string expected = "masking (Masking): sample 2, step 2: every feature equals mask_value 0";

    CHECK(message_of([&] { (void)m.forward(x); }).rfind(expected, 0) == 0);
    CHECK_THROWS_AS((void)m.forward(x, "encoder"), value_error);
    CHECK(message_of([&] { (void)lrp(m, Epsilon(0.01)).explain(x, target("head", select::all())); }).rfind(expected, 0) == 0);
    CHECK(message_of([&] { (void)gradient(m).explain(x, target("head", select::all())); }).rfind(expected, 0) == 0);
    // Occlusion's windows cover all features of a step: a fill equal to mask_value masks it.
    Batch<double> clean = rng.batch<double>(1, 18);
    CHECK(message_of([&] { (void)Occlusion(m, 1, 2, 1, 2, 0.0).explain(clean, target("head", select::index(0))); })
              .find("every feature equals mask_value 0") != std::string::npos);
    CHECK_NOTHROW((void)Occlusion(m, 1, 2, 1, 2, 0.5).explain(clean, target("head", select::index(0))));
    // Integrated gradients' right end points k/n·x never reach the zero baseline itself.
    CHECK_NOTHROW((void)IntegratedGradients(m, 8).explain(clean, target("head", select::index(0))));
}

TEST_CASE("Masking: another mask_value, compared in the model's scalar type") {
    using M = Model<float, Input<4, 2>, Masking<"pad", -1.0>, Flatten<"flat">, Dense<"d", 1>>;
    M m;
    randomize(m, 11);
    Batch<float> x = Batch<float>::Zero(2, 8);  // zeros are data here
    CHECK_NOTHROW((void)m.forward(x));
    x.row(1).segment(6, 2).setConstant(-1.0f);
    CHECK(message_of([&] { (void)m.forward(x); }).rfind("pad (Masking): sample 1, step 3: every feature equals mask_value -1", 0) ==
          0);

    // 0.1 is not a float: Keras compares x with float32(0.1), and so does a float model.
    using F = Model<float, Input<2, 2>, Masking<"m", 0.1>, Flatten<"f">>;
    Batch<float> y = Batch<float>::Constant(1, 4, 0.1f);
    CHECK_THROWS_AS((void)F{}.forward(y), value_error);
    using D = Model<double, Input<2, 2>, Masking<"m", 0.1>, Flatten<"f">>;
    CHECK_NOTHROW((void)D{}.forward(Batch<double>::Constant(1, 4, static_cast<double>(0.1f))));
    CHECK_THROWS_AS((void)D{}.forward(Batch<double>::Constant(1, 4, 0.1)), value_error);
}

TEST_CASE("Masking: an image masks pixels, a vector the whole sample") {
    using I = Model<double, Input<2, 3, 2>, Masking<"m">, Flatten<"f">>;
    Batch<double> x = Batch<double>::Ones(1, 12);
    x.row(0).segment((1 * 3 + 2) * 2, 2).setZero();  // pixel (1, 2)
    CHECK(message_of([&] { (void)I{}.forward(x); }).rfind("m (Masking): sample 0, pixel (1, 2):", 0) == 0);
    using V = Model<double, Input<3>, Masking<"m">, Dense<"d", 1>>;
    CHECK_NOTHROW((void)V{}.forward(Batch<double>{{0.0, 0.0, 1.0}}));
    CHECK(message_of([&] { (void)V{}.forward(Batch<double>::Zero(2, 3)); }).rfind("m (Masking): sample 0, all features:", 0) == 0);
}

TEST_CASE("Masking: what the architecture check compares") {
    using L = Masking<"m", -1.0>;
    static_assert(L::keras_class == "Masking");
    KerasValues v;
    L::keras_values(v);
    REQUIRE(v.values().size() == 1);
    CHECK(v.values()[0].key == "mask_value");
    CHECK(v.values()[0].numbers == std::vector<double>{-1.0});
    static_assert(Masking<"m">::mask_value == 0.0);
}

// Single-layer cases of tests/data/forward/ (numpy reference of Keras, tests/reference/): the same
// layer declared in C++, weights loaded by Keras name, every output and pre-activation compared at
// 1e-10 (double) and 1e-5 (float). A case directory without a declaration here fails the last test.

#include <doctest/doctest.h>

#include <set>
#include <string>

#include <innspect/innspect.hpp>

#include "support/fixtures.hpp"

using namespace innspect;
namespace t = innspect::test;

namespace {
constexpr Padding valid = Padding::valid, same = Padding::same;

// The cases this file declares a layer for (each check_case below requires its name here; the
// last test requires every case directory here). A table rather than a record of the cases run,
// so the check holds when CTest runs each test case in a process of its own.
const std::set<std::string> declared_cases = {
    "dense_relu", "dense_nobias", "dense_rank3",                                     //
    "conv_c1",    "conv_c2",      "conv_c3",     "conv_c4", "conv_c5", "conv_c6",     //
    "convt_t1",   "convt_t2",     "convt_t3",    "convt_t4", "convt_t5",               //
    "act_linear", "act_relu",     "act_selu",    "act_elu", "act_leaky_relu", "act_tanh", "act_sigmoid",
    "act_softmax"};

/// One layer called "l" reading the input, in float and double, against case `name`.
template <class InputSpec, class Spec>
void check_case(const std::string& name) {
    REQUIRE(declared_cases.count(name) == 1);
    const auto dir = t::forward_case(name);
    {
        Model<double, InputSpec, Spec> m;
        t::load_model_weights(m, dir);
        t::check_model_against_case(m, dir);
    }
    {
        Model<float, InputSpec, Spec> m;
        t::load_model_weights(m, dir);
        t::check_model_against_case(m, dir);
    }
}
}  // namespace

TEST_CASE("forward fixtures: Dense") {
    check_case<Input<4>, Dense<"l", 5, Relu>>("dense_relu");
    check_case<Input<6>, Dense<"l", 3, Linear, false>>("dense_nobias");
    check_case<Input<2, 3, 4>, Dense<"l", 5, Tanh>>("dense_rank3");
}

TEST_CASE("forward fixtures: Conv2D") {
    check_case<Input<5, 6, 2>, Conv2D<"l", 3, Kernel<3, 2>>>("conv_c1");
    check_case<Input<5, 6, 2>, Conv2D<"l", 3, Kernel<3, 2>, Relu, Strides<2, 1>, same>>("conv_c2");
    check_case<Input<7, 7, 3>, Conv2D<"l", 4, Kernel<3, 3>, Linear, Strides<2, 2>, same, false>>("conv_c3");
    check_case<Input<6, 5, 1>, Conv2D<"l", 2, Kernel<2, 3>, Selu, Strides<3, 2>>>("conv_c4");
    check_case<Input<4, 4, 2>, Conv2D<"l", 2, Kernel<4, 1>, Elu, Strides<1, 1>, same>>("conv_c5");
    check_case<Input<8, 8, 1>, Conv2D<"l", 2, Kernel<1, 8>, Tanh>>("conv_c6");
}

TEST_CASE("forward fixtures: Conv2DTranspose") {
    check_case<Input<3, 4, 2>, Conv2DTranspose<"l", 3, Kernel<3, 2>>>("convt_t1");
    check_case<Input<3, 4, 2>, Conv2DTranspose<"l", 3, Kernel<3, 3>, Relu, Strides<2, 2>, same>>("convt_t2");
    check_case<Input<3, 3, 2>, Conv2DTranspose<"l", 2, Kernel<2, 2>, Linear, Strides<2, 2>, valid, false>>("convt_t3");
    check_case<Input<4, 3, 1>, Conv2DTranspose<"l", 2, Kernel<3, 2>, Sigmoid, Strides<2, 3>, same>>("convt_t4");
    check_case<Input<1, 1, 4>, Conv2DTranspose<"l", 3, Kernel<5, 1>, Tanh>>("convt_t5");
}

TEST_CASE("forward fixtures: activations") {
    check_case<Input<7>, Activation<"l", Linear>>("act_linear");
    check_case<Input<7>, Activation<"l", Relu>>("act_relu");
    check_case<Input<7>, Activation<"l", Selu>>("act_selu");
    check_case<Input<7>, Activation<"l", Elu>>("act_elu");
    check_case<Input<7>, Activation<"l", LeakyRelu>>("act_leaky_relu");
    check_case<Input<7>, Activation<"l", Tanh>>("act_tanh");
    check_case<Input<7>, Activation<"l", Sigmoid>>("act_sigmoid");
    check_case<Input<7>, Activation<"l", Softmax>>("act_softmax");
}

TEST_CASE("forward fixtures: every single-layer case is declared above") {
    // The seed models are tested in tests/core/seed_model.cpp.
    for (const auto& entry : std::filesystem::directory_iterator(t::forward_dir())) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("seed16", 0) == 0) continue;
        INFO("case directory without a test: " << name);
        CHECK(declared_cases.count(name) == 1);
    }
}

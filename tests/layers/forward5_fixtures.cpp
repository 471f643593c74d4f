// Forward of the activations and layers added after forward4 against the numpy reference of
// Keras (tests/data/forward5/, written by tests/reference/make_layer5_fixtures.py from
// tests/reference/keras_numpy_more.py and cross-checked there against torch): softplus, softsign,
// swish / silu, gelu, exponential, hard sigmoid (Keras 2 and Keras 3), the LeakyReLU (alpha and
// Keras 3's negative_slope), ELU and Softmax layers, GlobalMaxPooling2D, RepeatVector, Permute and
// PReLU (with and without shared axes), and the sequence model of tests/hdf5/small_layers_h5.cpp.
// Every output compared at 1e-10 (double) and 1e-5 (float).

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include <innspect/innspect.hpp>

#include "support/fixtures.hpp"

using namespace innspect;
namespace t = innspect::test;
namespace fs = std::filesystem;

namespace {

fs::path forward5(const std::string& name) { return fs::path(INNSPECT_TEST_DATA_DIR) / "forward5" / name; }

// The cases this file declares a layer for (check_case requires its name here; the coverage test
// requires every case directory here).
const std::set<std::string> declared_cases = {
    "act_softplus", "act_softsign", "act_swish", "act_silu", "act_gelu", "act_exponential",           //
    "act_hard_sigmoid_k2", "act_hard_sigmoid_k3",                                                      //
    "leaky_relu_alpha", "leaky_relu_negative_slope", "leaky_relu_default", "elu_alpha", "elu_default", //
    "softmax_image", "softmax_vector", "softmax_axis1", "softmax_axis_minus2", "softmax_seq_steps",     //
    "gmp", "repeat_vector",                                                                            //
    "permute_seq", "permute_img_312", "permute_img_231", "permute_img_132",                            //
    "prelu_full", "prelu_shared_12", "prelu_shared_2", "prelu_seq_shared_1", "prelu_vector",           //
    "sequence_model"};

/// One layer "l" reading the input, in double and float, against tests/data/forward5/<name>/.
template <class InputSpec, class Spec>
void check_case(const std::string& name) {
    REQUIRE(declared_cases.count(name) == 1);
    const auto dir = forward5(name);
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

TEST_CASE("forward5 fixtures: activations") {
    check_case<Input<7>, Activation<"l", Softplus>>("act_softplus");
    check_case<Input<7>, Activation<"l", Softsign>>("act_softsign");
    check_case<Input<7>, Activation<"l", Swish>>("act_swish");
    check_case<Input<7>, Activation<"l", Silu>>("act_silu");
    check_case<Input<7>, Activation<"l", Gelu>>("act_gelu");
    check_case<Input<7>, Activation<"l", Exponential>>("act_exponential");
    check_case<Input<12>, Activation<"l", HardSigmoid>>("act_hard_sigmoid_k2");
    check_case<Input<12>, Activation<"l", HardSigmoidKeras3>>("act_hard_sigmoid_k3");
}

TEST_CASE("forward5 fixtures: the LeakyReLU, ELU and Softmax layers, GlobalMaxPooling2D") {
    check_case<Input<3, 4, 2>, LeakyReLU<"l", 0.2>>("leaky_relu_alpha");
    check_case<Input<3, 4, 2>, LeakyReLU<"l", 0.05>>("leaky_relu_negative_slope");
    check_case<Input<6>, LeakyReLU<"l">>("leaky_relu_default");
    check_case<Input<3, 4, 2>, ELU<"l", 0.5>>("elu_alpha");
    check_case<Input<6>, ELU<"l">>("elu_default");
    check_case<Input<3, 4, 5>, SoftmaxLayer<"l">>("softmax_image");
    check_case<Input<6>, SoftmaxLayer<"l">>("softmax_vector");
    check_case<Input<3, 4, 5>, SoftmaxLayer<"l", Axis<1>>>("softmax_axis1");
    check_case<Input<3, 4, 5>, SoftmaxLayer<"l", Axis<-2>>>("softmax_axis_minus2");
    check_case<Input<4, 3>, SoftmaxLayer<"l", Axis<1>>>("softmax_seq_steps");
    check_case<Input<3, 4, 5>, GlobalMaxPooling2D<"l">>("gmp");
}

TEST_CASE("forward5 fixtures: RepeatVector and Permute") {
    check_case<Input<6>, RepeatVector<"l", 3>>("repeat_vector");
    check_case<Input<4, 3>, Permute<"l", 2, 1>>("permute_seq");
    check_case<Input<2, 3, 4>, Permute<"l", 3, 1, 2>>("permute_img_312");
    check_case<Input<2, 3, 4>, Permute<"l", 2, 3, 1>>("permute_img_231");
    check_case<Input<2, 3, 4>, Permute<"l", 1, 3, 2>>("permute_img_132");
}

TEST_CASE("forward5 fixtures: PReLU") {
    check_case<Input<3, 4, 2>, PReLU<"l">>("prelu_full");
    check_case<Input<3, 4, 2>, PReLU<"l", SharedAxes<1, 2>>>("prelu_shared_12");
    check_case<Input<3, 4, 2>, PReLU<"l", SharedAxes<2>>>("prelu_shared_2");
    check_case<Input<5, 3>, PReLU<"l", SharedAxes<1>>>("prelu_seq_shared_1");
    check_case<Input<6>, PReLU<"l">>("prelu_vector");
}

TEST_CASE_TEMPLATE("forward5 fixtures: the sequence model (weights from .npy)", T, float, double) {
    REQUIRE(declared_cases.count("sequence_model") == 1);
    Model<T, Input<5>, Dense<"dense_1", 3>, RepeatVector<"repeat_vector_1", 4>, Permute<"permute_1", 2, 1>,
          PReLU<"p_re_lu_1", SharedAxes<1>>, Flatten<"flatten_1">, Dense<"dense_2", 2>>
        m;
    t::load_model_weights(m, forward5("sequence_model"));
    t::check_model_against_case(m, forward5("sequence_model"));
}

TEST_CASE("forward5 fixtures: every case directory is declared above") {
    for (const auto& entry : fs::directory_iterator(fs::path(INNSPECT_TEST_DATA_DIR) / "forward5")) {
        const std::string name = entry.path().filename().string();
        INFO("case directory without a test: " << name);
        CHECK(declared_cases.count(name) == 1);
    }
}

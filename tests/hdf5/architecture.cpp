// The architecture check of io/keras_config.hpp: a C++ model against a file's model_config.
// Fixtures: tests/data/forward4/all_new/weights.h5 (functional, every new layer) and
// tests/data/h5/arch_* (Sequential, "Functional", weights only, nested models, bad JSON), written
// by tests/reference/make_layer4_fixtures.py; tests/data/forward/seed16*/weights.h5 (seed model).
// Small configs are written inline as JSON, in the shapes Keras 2.x writes.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>
#include <innspect/io/keras_h5.hpp>
#include <innspect/io/npy.hpp>

using namespace innspect;
namespace fs = std::filesystem;

namespace {

constexpr Padding same = Padding::same;

fs::path data(const std::string& rel) { return fs::path(INNSPECT_TEST_DATA_DIR) / rel; }

/// The model of tests/data/forward4/all_new/ (see tests/layers/new_layers.cpp).
template <class T>
using AllNew = Model<T, Input<12, 12, 2>, Conv2D<"conv2d_1", 4, Kernel<3, 3>>, BatchNormalization<"batch_normalization_1">,
                     Activation<"activation_1", Relu>, MaxPooling2D<"max_pooling2d_1">,
                     ZeroPadding2D<"zero_padding2d_1", 1, 0, 1, 2>,
                     Conv2D<"conv2d_2", 5, Kernel<3, 3>, Linear, Strides<1, 1>, same>, ReLU<"re_lu_1", 6.0>,
                     AveragePooling2D<"average_pooling2d_1", PoolSize<3, 3>, Strides<2, 2>, same>,
                     UpSampling2D<"up_sampling2d_1", UpSize<2, 3>>, Cropping2D<"cropping2d_1", 1, 0, 2, 1>,
                     Conv2DTranspose<"conv2d_transpose_1", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>,
                     GlobalAveragePooling2D<"global_average_pooling2d_1">, Dense<"dense_1", 2, Softmax>>;

/// The same with one or more differences in (almost) every layer.
using AllNewWrong =
    Model<double, Input<12, 12, 2>,
          Conv2D<"conv2d_1", 4, Kernel<3, 5>>,                                   // kernel
          BatchNormalization<"batch_normalization_1", 1e-5>,                     // epsilon
          Activation<"activation_1", Relu>,                                      //
          MaxPooling2D<"max_pooling2d_1", PoolSize<2, 2>, void, same>,           // padding
          ZeroPadding2D<"zero_padding2d_1", 1, 1, 1, 1>,                         // amounts
          Conv2D<"conv_b", 5, Kernel<3, 3>, Linear, Strides<1, 1>, same>,        // name
          ReLU<"re_lu_1", 255.0>,                                                // max_value
          AveragePooling2D<"average_pooling2d_1", PoolSize<2, 2>, Strides<2, 2>, same>,  // pool_size
          Dropout<"dropout_9">,                                                  // not in the file
          UpSampling2D<"up_sampling2d_1", UpSize<2, 2>>,                         // size (and its input)
          Cropping2D<"cropping2d_1", 0, 0, 2, 1>,                                // amounts
          Conv2DTranspose<"conv2d_transpose_1", 4, Kernel<3, 3>, Linear, Strides<2, 2>, same>,  // filters
          GlobalAveragePooling2D<"global_average_pooling2d_1">,                  //
          Dense<"dense_1", 3, Linear, false>>;                                   // units, activation, use_bias

/// arch_nested.h5: input_1 → conv2d_1 → [encoder: max_pooling2d_1, conv2d_2] → [head: flatten_1, dense_1].
template <int Filters1 = 4>
using Nested = Model<double, Input<8, 8, 1>, Conv2D<"conv2d_1", Filters1, Kernel<3, 3>, Relu, Strides<1, 1>, same>,
                     MaxPooling2D<"max_pooling2d_1">, Conv2D<"conv2d_2", 6, Kernel<3, 3>, Relu>, Flatten<"flatten_1">,
                     Dense<"dense_1", 3, Softmax>>;

/// The seed model of tests/data/forward/seed16 (dense2 reads `output`), and the variant whose
/// dense2 reads the latent code.
template <class Dense2>
using Seed = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 32, Kernel<1, 16>, Selu>, SpatialDropout2D<"dropout1", 0.2>,
                   Conv2D<"conv2", 64, Kernel<16, 1>, Selu>, Dropout<"dropout2", 0.2>, Reshape<"reshape1", Shape<64>>,
                   Dense<"dense1", 64, Selu>, Dense<"output", 2, Softmax>, Dense2, Reshape<"reshape2", Shape<1, 1, 64>>,
                   Conv2DTranspose<"conv3", 64, Kernel<1, 1>, Selu>, Conv2DTranspose<"conv4", 32, Kernel<16, 1>, Selu>,
                   Conv2DTranspose<"autoencoder", 1, Kernel<1, 16>, Tanh>>;
using Seed16 = Seed<Dense<"dense2", 64, Selu>>;
using Seed16Latent = Seed<From<"reshape1", Dense<"dense2", 64, Selu>>>;

template <class T>
Batch<T> npy_batch(const fs::path& p) {
    const auto a = io::read_npy<T>(p);
    Batch<T> b(a.shape.at(0), static_cast<Eigen::Index>(a.data.size()) / a.shape.at(0));
    std::copy(a.data.begin(), a.data.end(), b.data());
    return b;
}

/// Lines joined by newlines, so doctest prints both sides of a failed comparison.
std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

template <class M>
std::string diffs(const std::string& json) {
    return lines(io::compare_architecture<M>(io::parse_keras_model_config(json)).differences);
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE_TEMPLATE("architecture: the model with every new layer matches its file and loads", T, float, double) {
    AllNew<T> m;
    const fs::path file = data("forward4/all_new/weights.h5");
    const auto rep = io::check_architecture(m, file);
    CHECK(rep.ok());
    CHECK(rep.compared == 13);
    CHECK(rep.class_name == "Model");
    CHECK(rep.model_name == "model_1");
    CHECK(rep.text().find("matches the C++ model (13 layers compared)") != std::string::npos);

    const auto load = io::load_keras_model(m, file);
    CHECK(has_note(load.notes, "architecture: 13 layers match the model_config (Keras Model 'model_1')"));
    CHECK(load.loaded == std::vector<std::string>{"conv2d_1", "batch_normalization_1", "conv2d_2", "conv2d_transpose_1",
                                                  "dense_1"});
    const Batch<T> x = npy_batch<T>(data("forward4/all_new/input.npy"));
    const Batch<double> y = npy_batch<double>(data("forward4/all_new/dense_1.out.npy"));
    const Batch<double> got = m.forward(x).output("dense_1").template cast<double>();
    CHECK((got - y).cwiseAbs().maxCoeff() < (std::is_same_v<T, float> ? 1e-5 : 1e-12));
}

TEST_CASE("architecture: Sequential, Functional (tf.keras) and weights-only files") {
    AllNew<double> m;
    SUBCASE("Keras 2.2.4 Sequential: no InputLayer, batch_input_shape on the first layer") {
        const auto rep = io::check_architecture(m, data("h5/arch_sequential.h5"));
        CHECK(rep.ok());
        CHECK(rep.class_name == "Sequential");
        CHECK(rep.compared == 13);
        CHECK(io::parse_keras_model_config(io::KerasH5File(data("h5/arch_sequential.h5")).model_config()).inputs.at(0).name ==
              "conv2d_1_input");
        CHECK_NOTHROW(io::load_keras_model(m, data("h5/arch_sequential.h5")));
    }
    SUBCASE("class_name Functional") {
        const auto rep = io::check_architecture(m, data("h5/arch_functional_tf2.h5"));
        CHECK(rep.ok());
        CHECK(rep.class_name == "Functional");
    }
    SUBCASE("model.save_weights(): nothing to check; load_keras_model notes that and loads") {
        CHECK_THROWS_WITH_AS(io::check_architecture(m, data("h5/arch_weights_only.h5")),
                             doctest::Contains("has no model_config (written by model.save_weights())"), io_error);
        const auto rep = io::load_keras_model(m, data("h5/arch_weights_only.h5"));
        CHECK(has_note(rep.notes, "architecture: not checked, the file has no model_config"));
        CHECK(rep.arrays == 12);  // conv 2, BN 4, conv 2, conv transpose 2, dense 2
    }
    SUBCASE("a model_config that is not JSON: io_error naming the file") {
        CHECK_THROWS_WITH_AS(io::check_architecture(m, data("h5/arch_bad_json.h5")),
                             doctest::Contains("arch_bad_json.h5"), io_error);
        CHECK_THROWS_WITH_AS(io::load_keras_model(m, data("h5/arch_bad_json.h5")), doctest::Contains("not valid JSON"),
                             io_error);
    }
}

TEST_CASE("architecture: every difference is listed, one a line") {
    AllNewWrong m;
    const std::vector<std::string> expected = {
        "conv2d_1: kernel (3,5) in C++, (3,3) in the file",
        "batch_normalization_1: epsilon 1e-05 in C++, 0.001 in the file",
        "max_pooling2d_1: padding same in C++, valid in the file",
        "zero_padding2d_1: padding ((1,1),(1,1)) in C++, ((1,0),(1,2)) in the file",
        "conv_b: name conv_b in C++, conv2d_2 in the file",
        "re_lu_1: max_value 255 in C++, 6 in the file",
        "average_pooling2d_1: pool_size (2,2) in C++, (3,3) in the file",
        "dropout_9: Dropout in C++, not in the file",
        "up_sampling2d_1: input dropout_9 in C++, average_pooling2d_1 in the file",
        "up_sampling2d_1: size (2,2) in C++, (2,3) in the file",
        "cropping2d_1: cropping ((0,0),(2,1)) in C++, ((1,0),(2,1)) in the file",
        "conv2d_transpose_1: filters 4 in C++, 3 in the file",
        "dense_1: units 3 in C++, 2 in the file",
        "dense_1: activation linear in C++, softmax in the file",
        "dense_1: use_bias false in C++, true in the file",
    };
    const fs::path file = data("forward4/all_new/weights.h5");
    try {
        io::check_architecture(m, file);
        FAIL("no architecture_error");
    } catch (const architecture_error& e) {
        CHECK(lines(e.differences) == lines(expected));
        std::string lines;
        for (const auto& d : expected) lines += "\n" + d;
        const std::string what = e.what();
        CHECK(what.find("differs from the C++ model in 15 places:" + lines) != std::string::npos);
        CHECK(what.find(file.string()) != std::string::npos);
    }
    // An innspect::error; load_keras_model throws it before touching the weights.
    CHECK_THROWS_AS(io::load_keras_model(m, file), error);
    CHECK(m.layer<"conv2d_1">().params().kernel.isZero());
}

TEST_CASE("architecture: nested models are flattened into their layers") {
    Nested<> m;
    const fs::path file = data("h5/arch_nested.h5");
    const auto rep = io::check_architecture(m, file);
    CHECK(rep.ok());
    CHECK(rep.compared == 5);
    CHECK(has_note(rep.notes, "nested model encoder flattened"));
    CHECK(has_note(rep.notes, "nested model head flattened"));
    const auto cfg = io::parse_keras_model_config(io::KerasH5File(file).model_config());
    REQUIRE(cfg.layers.size() == 5);
    CHECK(cfg.layers[1].nested_in == "encoder");
    CHECK(cfg.layers[1].inputs == std::vector<std::string>{"conv2d_1"});  // the encoder's input_2 is conv2d_1
    CHECK(cfg.layers[3].inputs == std::vector<std::string>{"conv2d_2"});  // the head's input is the encoder's output
    CHECK(cfg.layers[3].nested_in == "head");
    REQUIRE(cfg.nested_inputs.size() == 2);
    CHECK(cfg.nested_inputs[1].fed_by == "conv2d_2");

    const auto load = io::load_keras_model(m, file);
    CHECK(load.loaded == std::vector<std::string>{"conv2d_1", "conv2d_2", "dense_1"});
    const Batch<double> y = npy_batch<double>(data("h5/arch_nested.output.npy"));
    CHECK((m.forward(npy_batch<double>(data("h5/arch_nested.input.npy"))).output("dense_1") - y).cwiseAbs().maxCoeff() <
          1e-12);

    // A nested model's input is checked against the C++ layer that feeds it.
    const auto wrong = io::compare_architecture<Nested<5>>(cfg);
    CHECK(lines(wrong.differences) ==
          lines({"conv2d_1: filters 5 in C++, 4 in the file",
                 "encoder/input_2: input shape (8,8,4) in the file, C++ layer conv2d_1 gives (8,8,5)"}));
}

TEST_CASE("architecture: the seed model, Dropout vs SpatialDropout2D, and which layer reads which") {
    const Seed16 seed;
    CHECK(io::check_architecture(seed, data("forward/seed16/weights.h5")).ok());
    const Seed16Latent latent;
    CHECK(io::check_architecture(latent, data("forward/seed16_latent/weights.h5")).ok());
    CHECK(lines(io::compare_architecture<Seed16Latent>(
                    io::parse_keras_model_config(io::KerasH5File(data("forward/seed16/weights.h5")).model_config()))
                    .differences) == lines({"dense2: input reshape1 in C++, output in the file"}));

    using Swapped = Model<float, Input<16, 16, 1>, Conv2D<"conv1", 32, Kernel<1, 16>, Selu>, Dropout<"dropout1", 0.2>,
                          Conv2D<"conv2", 64, Kernel<16, 1>, Selu>, Dropout<"dropout2", 0.5>, Flatten<"reshape1">,
                          Dense<"dense1", 64, Selu>, Dense<"output", 2, Softmax>, Dense<"dense2", 64, Selu>,
                          Reshape<"reshape2", Shape<1, 1, 64>>, Conv2DTranspose<"conv3", 64, Kernel<1, 1>, Selu>,
                          Conv2DTranspose<"conv4", 32, Kernel<16, 1>, Selu>,
                          Conv2DTranspose<"autoencoder", 1, Kernel<1, 16>, Tanh>>;
    CHECK(lines(io::compare_architecture<Swapped>(
                    io::parse_keras_model_config(io::KerasH5File(data("forward/seed16/weights.h5")).model_config()))
                    .differences) == lines({"dropout1: type Dropout in C++, SpatialDropout2D in the file",
                                            "dropout2: rate 0.5 in C++, 0.2 in the file",
                                            "reshape1: type Flatten in C++, Reshape in the file"}));
}

TEST_CASE("architecture: config variants Keras writes") {
    using Small = Model<float, Input<8, 8, 1>, Conv2D<"c", 2, Kernel<3, 3>, Relu>, Flatten<"f">, Dense<"d", 3, Softmax>>;
    SUBCASE("Keras 2.1 Sequential: config is the bare layer list") {
        const auto cfg = io::parse_keras_model_config(R"({"class_name": "Sequential", "config": [
            {"class_name": "Conv2D", "config": {"name": "c", "batch_input_shape": [null, 8, 8, 1], "filters": 2,
             "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "activation": "relu", "use_bias": true}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]})");
        CHECK(io::compare_architecture<Small>(cfg).ok());
        CHECK(cfg.inputs.at(0).name == "c_input");
    }
    SUBCASE("tf.keras Sequential with an InputLayer; None dimensions match anything") {
        CHECK(diffs<Small>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, null, null, 1]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "activation": "relu"}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}})")
                  .empty());
        CHECK(diffs<Small>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 8, 9, 1]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "activation": "relu"}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}})") ==
              lines({"in: input shape (8,8,1) in C++, (8,9,1) in the file"}));
    }
    SUBCASE("no input shape in the file: a note, not a difference") {
        const auto rep = io::compare_architecture<Small>(io::parse_keras_model_config(R"({"class_name": "Sequential",
            "config": {"name": "s", "layers": [
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "activation": "relu"}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}})"));
        CHECK(rep.ok());
        CHECK(has_note(rep.notes, "the file states no input shape"));
    }
    SUBCASE("layers only in the file, unknown layers, several inputs") {
        CHECK(diffs<Small>(R"({"class_name": "Model", "config": {"name": "m", "layers": [
            {"name": "i", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 1]}, "inbound_nodes": []},
            {"name": "j", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 1]}, "inbound_nodes": []},
            {"name": "c", "class_name": "Conv2D", "config": {"filters": 2, "kernel_size": [3, 3], "activation": "relu"},
             "inbound_nodes": [[["i", 0, 0, {}]]]},
            {"name": "dropout_3", "class_name": "Dropout", "config": {"rate": 0.1}, "inbound_nodes": [[["c", 0, 0, {}]]]},
            {"name": "f", "class_name": "ConvLSTM2D", "config": {"filters": 4}, "inbound_nodes": [[["dropout_3", 0, 0, {}]]]},
            {"name": "add_1", "class_name": "Add", "config": {}, "inbound_nodes": [[["f", 0, 0, {}], ["j", 0, 0, {}]]]},
            {"name": "d", "class_name": "Dense", "config": {"units": 3, "activation": "softmax"},
             "inbound_nodes": [[["add_1", 0, 0, {}]]]}],
            "input_layers": [["i", 0, 0], ["j", 0, 0]], "output_layers": [["d", 0, 0]]}})") ==
              lines({
                  "inputs: 1 in C++, 2 in the file (i, j)",
                  "dropout_3: Dropout in the file, not in C++",
                  "f: type Flatten in C++, ConvLSTM2D in the file (innspect has no such layer)",
                  "add_1: Add in the file, not in C++",
                  "d: input f in C++, add_1 in the file",
              }));
    }
    SUBCASE("settings innspect does not implement") {
        using M = Model<float, Input<8, 8, 2>, Conv2D<"c", 2, Kernel<3, 3>>, Conv2DTranspose<"t", 2, Kernel<2, 2>>,
                        UpSampling2D<"u", UpSize<2, 2>>, BatchNormalization<"bn">>;
        CHECK(diffs<M>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Conv2D", "config": {"name": "c", "batch_input_shape": [null, 8, 8, 2], "filters": 2,
             "kernel_size": [3, 3], "dilation_rate": [2, 2], "data_format": "channels_first", "groups": 2}},
            {"class_name": "Conv2DTranspose", "config": {"name": "t", "filters": 2, "kernel_size": [2, 2],
             "dilation_rate": [2, 2], "output_padding": [1, 1], "groups": 1}},
            {"class_name": "UpSampling2D", "config": {"name": "u", "size": [2, 2], "interpolation": "bilinear"}},
            {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": 1}}]}})") ==
              lines({
                  "c: dilation_rate (1,1) in C++, (2,2) in the file",  // Conv2D runs a dilation: compared
                  "c: data_format channels_first in the file; innspect is channels_last only",
                  "c: groups 2 in the file; innspect has no grouped convolution, groups 1 only",
                  "t: dilation_rate (2,2) in the file; innspect has no dilation, (1,1) only",
                  "t: output_padding [1,1] in the file; innspect supports none (null) only",
                  "u: interpolation bilinear in the file; innspect upsamples nearest only",
                  "bn: axis 1 in the file; innspect normalises the last (channel) axis only",
              }));
    }
    SUBCASE("Activation, ReLU and LeakyReLU are compared by the function they compute") {
        using Relu6Conv = Model<float, Input<4>, Dense<"c", 2, ReluWith<6.0>>, ReLU<"a">, Activation<"b", Relu>,
                                Activation<"l", LeakyReluWith<0.2>>, ReLU<"r">>;
        CHECK(diffs<Relu6Conv>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Dense", "config": {"name": "c", "batch_input_shape": [null, 4], "units": 2, "activation": "relu"}},
            {"class_name": "Activation", "config": {"name": "a", "activation": "relu"}},
            {"class_name": "ReLU", "config": {"name": "b", "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}},
            {"class_name": "LeakyReLU", "config": {"name": "l", "alpha": 0.30000001192092896}},
            {"class_name": "Activation", "config": {"name": "r", "activation": "tanh"}}]}})") ==
              lines({
                  "c: max_value 6 in C++, none in the file",
                  "b: max_value none in C++, 6 in the file",
                  "l: alpha 0.2 in C++, 0.3 in the file",
                  "r: activation relu in C++, tanh in the file",
              }));
        using Same = Model<float, Input<4>, ReLU<"a", 6.0>, Activation<"l", LeakyReluWith<0.3>>>;
        CHECK(diffs<Same>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "ReLU", "config": {"name": "a", "batch_input_shape": [null, 4], "max_value": 6.0}},
            {"class_name": "LeakyReLU", "config": {"name": "l", "alpha": 0.30000001192092896}}]}})")
                  .empty());
    }
    SUBCASE("malformed configs: io_error") {
        CHECK_THROWS_WITH_AS(io::parse_keras_model_config("{\"class_name\": ", "x.h5"),
                             doctest::Contains("x.h5: model_config is not valid JSON"), io_error);
        CHECK_THROWS_WITH_AS(io::parse_keras_model_config(R"({"class_name": "Dense", "config": {}})"),
                             doctest::Contains("describes a Dense, not a Model"), io_error);
        CHECK_THROWS_WITH_AS(io::parse_keras_model_config(R"({"class_name": "Model"})"), doctest::Contains("has no 'config'"),
                             io_error);
        CHECK_THROWS_WITH_AS(io::parse_keras_model_config(R"({"class_name": "Model", "config": {"layers": [{"config": {}}]}})"),
                             doctest::Contains("a layer without a name"), io_error);
        CHECK_THROWS_AS(io::parse_keras_model_config(R"({"class_name": "Model", "config": {"layers": 3}})"), io_error);
    }
}

TEST_CASE("architecture: merges, checked input by input (Keras 2 functional configs)") {
    using U = Model<double, Input<8, 8, 1>, Conv2D<"c1", 4, Kernel<3, 3>, Relu, Strides<1, 1>, same>,
                    MaxPooling2D<"p1">, UpSampling2D<"u1", UpSize<2, 2>>, Concatenate<"cat", Inputs<"u1", "c1">>,
                    Conv2D<"c2", 4, Kernel<3, 3>, Linear, Strides<1, 1>, same>, Add<"res", Inputs<"c2", "c1">>>;
    auto config = [](const std::string& cat_inputs, const std::string& axis, const std::string& add_inputs) {
        return R"({"class_name": "Model", "config": {"name": "unet", "layers": [
            {"name": "in", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 1]}, "inbound_nodes": []},
            {"name": "c1", "class_name": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "padding": "same",
             "activation": "relu"}, "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"name": "p1", "class_name": "MaxPooling2D", "config": {"pool_size": [2, 2]}, "inbound_nodes": [[["c1", 0, 0, {}]]]},
            {"name": "u1", "class_name": "UpSampling2D", "config": {"size": [2, 2]}, "inbound_nodes": [[["p1", 0, 0, {}]]]},
            {"name": "cat", "class_name": "Concatenate", "config": {)" + axis + R"(}, "inbound_nodes": [[)" + cat_inputs + R"(]]},
            {"name": "c2", "class_name": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "padding": "same"},
             "inbound_nodes": [[["cat", 0, 0, {}]]]},
            {"name": "res", "class_name": "Add", "config": {}, "inbound_nodes": [[)" + add_inputs + R"(]]}],
            "input_layers": [["in", 0, 0]], "output_layers": [["res", 0, 0]]}})";
    };
    const std::string cat_in = R"(["u1", 0, 0, {}], ["c1", 0, 0, {}])", add_in = R"(["c2", 0, 0, {}], ["c1", 0, 0, {}])";
    // Keras 2 U-Nets write axis=3 for the channels; -1 and an absent axis are the same axis.
    CHECK(diffs<U>(config(cat_in, R"("axis": 3)", add_in)).empty());
    CHECK(diffs<U>(config(cat_in, R"("axis": -1)", add_in)).empty());
    CHECK(diffs<U>(config(cat_in, "", add_in)).empty());
    CHECK(diffs<U>(config(cat_in, R"("axis": 2)", add_in)) == lines({"cat: axis 3 or -1 in C++, 2 in the file"}));
    CHECK(diffs<U>(config(R"(["c1", 0, 0, {}], ["u1", 0, 0, {}])", "", add_in)) ==
          lines({"cat: inputs (u1, c1) in C++, (c1, u1) in the file"}));
    CHECK(diffs<U>(config(cat_in, "", R"(["c2", 0, 0, {}])")) == lines({"res: inputs (c2, c1) in C++, c2 in the file"}));
    CHECK(diffs<U>(config(cat_in, "", R"(["c2", 0, 0, {}], ["p1", 0, 0, {}], ["in", 0, 0, {}])")) ==
          lines({"res: inputs (c2, c1) in C++, (c2, p1, the model input) in the file"}));
}

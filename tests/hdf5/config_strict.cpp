// The model_config reader and the architecture check are strict (issue 9, "lenient config
// checks"): a field of the wrong type is an io_error naming the layer and the field, never a
// silent fallback to Keras's default or a skipped comparison; absurd nesting is refused before
// anything walks it. Every config below is a valid Keras config with one thing broken, so the
// message must name that thing.

#include <doctest/doctest.h>

#include <string>

#include <innspect/innspect.hpp>
#include <innspect/io/architecture.hpp>
#include <innspect/io/keras_json.hpp>

using namespace innspect;

namespace {

using Small = Model<float, Input<8, 8, 1>, Conv2D<"c", 2, Kernel<3, 3>, Relu>, Flatten<"f">, Dense<"d", 3, Softmax>>;

/// A Sequential config of Small whose Conv2D config is `conv` and InputLayer shape is `shape`.
std::string config(const std::string& conv, const std::string& shape = "[null, 8, 8, 1]") {
    return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": )" + shape + R"(}},
        {"class_name": "Conv2D", "config": {"name": "c", )" + conv + R"(}},
        {"class_name": "Flatten", "config": {"name": "f"}},
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}})";
}
const std::string good_conv = R"("filters": 2, "kernel_size": [3, 3], "activation": "relu", "use_bias": true)";

/// The message of the io_error the check throws (parse and compare), or "" if it throws none.
std::string error_of(const std::string& json) {
    try {
        (void)io::compare_architecture<Small>(io::parse_keras_model_config(json, "test config"));
    } catch (const io_error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("config check: the control config matches") {
    CHECK(error_of(config(good_conv)).empty());
    CHECK(io::compare_architecture<Small>(io::parse_keras_model_config(config(good_conv))).ok());
}

TEST_CASE("config check: a field of the wrong type names the layer and the field") {
    const std::string bias = error_of(config(R"("filters": 2, "kernel_size": [3, 3], "activation": "relu", "use_bias": "yes")"));
    CHECK(contains(bias, "layer c (Conv2D): config field 'use_bias' should be true or false"));
    const std::string filters = error_of(config(R"("filters": "2", "kernel_size": [3, 3], "activation": "relu")"));
    CHECK(contains(filters, "layer c (Conv2D): config field 'filters' should be a number, it is \"2\""));
    const std::string kernel = error_of(config(R"("filters": 2, "kernel_size": [3, 3, 3], "activation": "relu")"));
    CHECK(contains(kernel, "config field 'kernel_size' should be a number or a list of 2"));
    const std::string act = error_of(config(R"("filters": 2, "kernel_size": 3, "activation": 7)"));
    CHECK(contains(act, "config field 'activation' should be a string"));
    const std::string pad = error_of(config(R"("filters": 2, "kernel_size": 3, "activation": "relu", "padding": ["same"])"));
    CHECK(contains(pad, "config field 'padding' should be a string"));
}

TEST_CASE("config check: input shapes are sizes or null, nothing else") {
    for (const char* bad : {R"([null, "8", 8, 1])", R"([null, 8.5, 8, 1])", R"([null, -8, 8, 1])",
                            R"([null, 8, 8, 99999999999])", R"([null, 8, {}, 1])"}) {
        INFO(bad);
        CHECK(contains(error_of(config(good_conv, bad)), "layer in: model_config 'batch_input_shape' entry"));
    }
    CHECK(contains(error_of(config(good_conv, R"("8x8")")), "'batch_input_shape' should be a list"));
    CHECK(error_of(config(good_conv, "[null, null, null, 1]")).empty());  // None: any size
}

TEST_CASE("config check: garbage inbound_nodes and names are errors") {
    const std::string base = R"({"class_name": "Model", "config": {"name": "m", "layers": [
        {"name": "in", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}, "inbound_nodes": []},
        {"name": "d", "class_name": "Dense", "config": {"units": 2}, "inbound_nodes": NODES}],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})";
    auto with = [&](const std::string& nodes) {
        std::string s = base;
        s.replace(s.find("NODES"), 5, nodes);
        try {
            (void)io::parse_keras_model_config(s, "test config");
        } catch (const io_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(with(R"([[["in", 0, 0, {}]]])").empty());
    CHECK(contains(with(R"([[[7, 0, 0, {}]]])"), "layer d: model_config has an inbound node entry [7,0,0,{}]"));
    CHECK(contains(with(R"("in")"), "layer d: model_config 'inbound_nodes' should be a list"));
    CHECK(contains(with(R"([42])"), "layer d: model_config has an inbound node 42"));
    CHECK(contains(with(R"([{"args": [{"config": {"keras_history": [3]}}]}])"), "has a keras_history [3]"));
    std::string nul = base;
    nul.replace(nul.find(R"("name": "d")"), 11, "\"name\": \"d\\u0000x\"");
    nul.replace(nul.find("NODES"), 5, R"([[["in", 0, 0, {}]]])");
    CHECK_THROWS_WITH_AS(io::parse_keras_model_config(nul, "test config"), doctest::Contains("a layer name with a NUL character"), io_error);
}

TEST_CASE("config check: absurd nesting is refused before it is walked") {
    const int depth = 200000;  // a stack overflow in any recursive walk
    std::string deep = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": )";
    deep += std::string(static_cast<std::size_t>(depth), '[') + "1" + std::string(static_cast<std::size_t>(depth), ']') + "}}]}}";
    CHECK_THROWS_WITH_AS(io::parse_keras_model_config(deep, "deep"),
                         doctest::Contains("model_config nests deeper than 256 levels"), io_error);
    // Thousands of nested models: the same limit, and linear work until it is reached.
    std::string nested = "1";
    for (int i = 0; i < 3000; ++i)
        nested = R"({"class_name": "Sequential", "config": {"name": "m)" + std::to_string(i) + R"(", "layers": [)" +
                 nested + "]}}";
    CHECK_THROWS_WITH_AS(io::parse_keras_model_config(nested, "nested"), doctest::Contains("nests deeper than"), io_error);
}

TEST_CASE("config check: the activation layers and activations added as one header each") {
    using M = Model<float, Input<4, 4, 2>, Conv2D<"c", 2, Kernel<3, 3>, Swish>, LeakyReLU<"l", 0.2>, ELU<"e", 0.5>,
                    SoftmaxLayer<"s">, GlobalMaxPooling2D<"g">, Dense<"d", 3, Gelu>>;
    auto config_with = [](const std::string& conv_act, const std::string& leaky, const std::string& elu,
                          const std::string& softmax) {
        return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 4, 4, 2]}},
            {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "activation": ")" +
               conv_act + R"("}},
            {"class_name": "LeakyReLU", "config": {"name": "l", )" + leaky + R"(}},
            {"class_name": "ELU", "config": {"name": "e", )" + elu + R"(}},
            {"class_name": "Softmax", "config": {"name": "s", )" + softmax + R"(}},
            {"class_name": "GlobalMaxPooling2D", "config": {"name": "g", "keepdims": false}},
            {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "gelu"}}]}})";
    };
    auto diffs = [](const std::string& json) {
        std::string s;
        for (const auto& d : io::compare_architecture<M>(io::parse_keras_model_config(json)).differences) s += d + "\n";
        return s;
    };
    // Keras 3 spells LeakyReLU's alpha negative_slope.
    CHECK(diffs(config_with("swish", R"("negative_slope": 0.2)", R"("alpha": 0.5)", R"("axis": -1)")).empty());
    CHECK(diffs(config_with("swish", R"("alpha": 0.2)", R"("alpha": 0.5)", R"("axis": -1)")).empty());
    CHECK(diffs(config_with("silu", R"("alpha": 0.3)", R"("alpha": 1.0)", R"("axis": 1)")) ==
          "c: activation swish in C++, silu in the file\n"
          "l: alpha 0.2 in C++, 0.3 in the file\n"
          "e: alpha 0.5 in C++, 1 in the file\n"
          "s: axis 3 or -1 in C++, 1 in the file\n");
    // Softmax along another axis: the axis is compared in either Keras spelling.
    using A = Model<float, Input<3, 4, 5>, SoftmaxLayer<"rows", Axis<1>>, SoftmaxLayer<"cols", Axis<-2>>>;
    auto softmax_diffs = [](int rows, int cols) {
        std::string s;
        for (const auto& d : io::compare_architecture<A>(io::parse_keras_model_config(
                 R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
                     {"class_name": "Softmax", "config": {"name": "rows", "batch_input_shape": [null, 3, 4, 5], "axis": )" +
                 std::to_string(rows) + R"(}},
                     {"class_name": "Softmax", "config": {"name": "cols", "axis": )" + std::to_string(cols) + "}}]}}"))
                                 .differences)
            s += d + "\n";
        return s;
    };
    CHECK(softmax_diffs(1, -2).empty());
    CHECK(softmax_diffs(-3, 2).empty());
    CHECK(softmax_diffs(-1, 1) == "rows: axis 1 or -3 in C++, -1 in the file\ncols: axis 2 or -2 in C++, 1 in the file\n");
    // An ELU layer and Activation("elu") are the same function when alpha is 1.
    using N = Model<float, Input<3>, ELU<"e">>;
    CHECK(io::compare_architecture<N>(io::parse_keras_model_config(R"({"class_name": "Sequential", "config": {"name": "s",
        "layers": [{"class_name": "Activation", "config": {"name": "e", "activation": "elu", "batch_input_shape": [null, 3]}}]}})"))
              .ok());
}

// The architecture check on the 1D layers and on Conv2D's dilation_rate: configs as Keras 2
// (tf.keras, batch_input_shape, lists for sizes) and Keras 3 (batch_shape) write them, and configs
// that leave fields at Keras's defaults, match; a differing field is reported naming the layer and
// the field; a field of the wrong type is an io_error naming both.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/architecture.hpp>
#include <innspect/io/keras_json.hpp>

using namespace innspect;

namespace {

constexpr Padding same = Padding::same, causal = Padding::causal;

using M = Model<float, Input<16, 2>,                                                        //
                Conv1D<"c1", 4, Kernel<3>, Relu, Strides<1>, causal, true, Dilation<2>>,   //
                MaxPooling1D<"p">,                                                          //
                ZeroPadding1D<"z", 1, 2>,                                                   //
                Conv1D<"c2", 5, Kernel<3>, Tanh, Strides<1>, same>,                         //
                AveragePooling1D<"a", PoolSize<2>, void, same>,                             //
                UpSampling1D<"u">,                                                          //
                Cropping1D<"k", 1, 0>,                                                      //
                Conv1DTranspose<"t", 3, Kernel<3>, Linear, Strides<2>, same>,               //
                GlobalAveragePooling1D<"g">,                                                //
                Dense<"d", 2, Softmax>>;

/// A Sequential config of M; `with` replaces the text "KEY" of a layer's config by another value.
struct Config {
    std::string input = R"("batch_input_shape": [null, 16, 2])";
    std::string c1 = R"("filters": 4, "kernel_size": [3], "strides": [1], "padding": "causal", "data_format": "channels_last",
                        "dilation_rate": [2], "groups": 1, "activation": "relu", "use_bias": true)";
    std::string p = R"("pool_size": [2], "strides": [2], "padding": "valid", "data_format": "channels_last")";
    std::string z = R"("padding": [1, 2])";
    std::string c2 = R"("filters": 5, "kernel_size": [3], "strides": [1], "padding": "same", "dilation_rate": [1],
                        "activation": "tanh", "use_bias": true)";
    std::string a = R"("pool_size": [2], "strides": [2], "padding": "same", "data_format": "channels_last")";
    std::string u = R"("size": 2)";
    std::string k = R"("cropping": [1, 0])";
    std::string t = R"("filters": 3, "kernel_size": [3], "strides": [2], "padding": "same", "output_padding": null,
                       "dilation_rate": [1], "activation": "linear", "use_bias": true)";
    std::string g = R"("data_format": "channels_last", "keepdims": false)";

    std::string json() const {
        auto layer = [](const std::string& cls, const std::string& name, const std::string& cfg) {
            return R"({"class_name": ")" + cls + R"(", "config": {"name": ")" + name + "\", " + cfg + "}}";
        };
        return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [)" +
               layer("Conv1D", "c1", input + ", " + c1) + ",\n" + layer("MaxPooling1D", "p", p) + ",\n" +
               layer("ZeroPadding1D", "z", z) + ",\n" + layer("Conv1D", "c2", c2) + ",\n" +
               layer("AveragePooling1D", "a", a) + ",\n" + layer("UpSampling1D", "u", u) + ",\n" +
               layer("Cropping1D", "k", k) + ",\n" + layer("Conv1DTranspose", "t", t) + ",\n" +
               layer("GlobalAveragePooling1D", "g", g) + ",\n" +
               layer("Dense", "d", R"("units": 2, "activation": "softmax")") + "]}}";
    }
};

template <class Model>
std::string diffs(const std::string& json) {
    std::string s;
    for (const auto& d : io::compare_architecture<Model>(io::parse_keras_model_config(json, "test config")).differences)
        s += d + "\n";
    return s;
}

std::string error_of(const std::string& json) {
    try {
        (void)io::compare_architecture<M>(io::parse_keras_model_config(json, "test config"));
    } catch (const io_error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("1D config check: Keras 2 and Keras 3 configs of the same model match") {
    const Config keras2;
    CHECK(diffs<M>(keras2.json()).empty());
    CHECK(io::compare_architecture<M>(io::parse_keras_model_config(keras2.json())).compared == 10);
    Config keras3;  // batch_shape; sizes written as Keras 3 writes them
    keras3.input = R"("batch_shape": [null, 16, 2])";
    keras3.c1 = R"("filters": 4, "kernel_size": [3], "strides": [1], "padding": "causal", "data_format": "channels_last",
                   "dilation_rate": [2], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {}, "lora_rank": null)";
    keras3.u = R"("size": 2)";
    CHECK(diffs<M>(keras3.json()).empty());
    // Fields left out take Keras's defaults: strides 1, padding valid, dilation 1, activation
    // linear, use_bias true; pooling strides = pool_size; size 2; padding 1; cropping (1, 1).
    using D = Model<float, Input<10, 3>, Conv1D<"c", 2, Kernel<3>>, MaxPooling1D<"p", PoolSize<3>>, UpSampling1D<"u">,
                    ZeroPadding1D<"z">, Cropping1D<"k">, Conv1DTranspose<"t", 2, Kernel<2>>, GlobalMaxPooling1D<"g">>;
    CHECK(diffs<D>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Conv1D", "config": {"name": "c", "batch_input_shape": [null, 10, 3], "filters": 2, "kernel_size": 3}},
        {"class_name": "MaxPooling1D", "config": {"name": "p", "pool_size": 3}},
        {"class_name": "UpSampling1D", "config": {"name": "u"}},
        {"class_name": "ZeroPadding1D", "config": {"name": "z"}},
        {"class_name": "Cropping1D", "config": {"name": "k"}},
        {"class_name": "Conv1DTranspose", "config": {"name": "t", "filters": 2, "kernel_size": 2}},
        {"class_name": "GlobalMaxPooling1D", "config": {"name": "g"}}]}})")
              .empty());
    // An int n for ZeroPadding1D / Cropping1D is (n, n).
    using S = Model<float, Input<10, 3>, ZeroPadding1D<"z", 2, 2>, Cropping1D<"k", 3, 3>>;
    CHECK(diffs<S>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "ZeroPadding1D", "config": {"name": "z", "batch_input_shape": [null, 10, 3], "padding": 2}},
        {"class_name": "Cropping1D", "config": {"name": "k", "cropping": 3}}]}})")
              .empty());
}

TEST_CASE("1D config check: each differing field is reported, naming the layer and the field") {
    auto one = [](auto&& change) {
        Config c;
        change(c);
        return diffs<M>(c.json());
    };
    CHECK(one([](Config& c) { c.c1.replace(c.c1.find("\"causal\""), 8, "\"same\""); }) ==
          "c1: padding causal in C++, same in the file\n");
    CHECK(one([](Config& c) { c.c1.replace(c.c1.find("\"dilation_rate\": [2]"), 20, "\"dilation_rate\": [1]"); }) ==
          "c1: dilation_rate 2 in C++, 1 in the file\n");
    CHECK(one([](Config& c) { c.c2.replace(c.c2.find("\"kernel_size\": [3]"), 18, "\"kernel_size\": 5"); }) ==
          "c2: kernel 3 in C++, 5 in the file\n");
    CHECK(one([](Config& c) { c.p.replace(c.p.find("\"strides\": [2]"), 14, "\"strides\": [1]"); }) ==
          "p: strides 2 in C++, 1 in the file\n");
    CHECK(one([](Config& c) { c.a.replace(c.a.find("\"same\""), 6, "\"valid\""); }) ==
          "a: padding same in C++, valid in the file\n");
    CHECK(one([](Config& c) { c.z = R"("padding": [2, 1])"; }) == "z: padding (1,2) in C++, (2,1) in the file\n");
    CHECK(one([](Config& c) { c.k = R"("cropping": 1)"; }) == "k: cropping (1,0) in C++, (1,1) in the file\n");
    CHECK(one([](Config& c) { c.u = R"("size": 3)"; }) == "u: size 2 in C++, 3 in the file\n");
    CHECK(one([](Config& c) { c.t.replace(c.t.find("\"strides\": [2]"), 14, "\"strides\": [1]"); }) ==
          "t: strides 2 in C++, 1 in the file\n");
    // Settings innspect does not run.
    CHECK(one([](Config& c) { c.t.replace(c.t.find("\"dilation_rate\": [1]"), 20, "\"dilation_rate\": [2]"); }) ==
          "t: dilation_rate 2 in the file; innspect has no dilation, 1 only\n");
    CHECK(one([](Config& c) { c.g = R"("keepdims": true)"; }) ==
          "g: keepdims true in the file; innspect returns (channels,) only (keepdims false)\n");
    // Pooling strides left out: pool_size, as in Keras.
    CHECK(one([](Config& c) { c.p = R"("pool_size": [2])"; }).empty());
}

TEST_CASE("1D config check: a field of the wrong type names the layer and the field") {
    Config c;
    c.z = R"("padding": [[1, 2]])";
    CHECK(contains(error_of(c.json()), "layer z (ZeroPadding1D): config field 'padding' should be a number or a list of 2"));
    Config d;
    d.c1.replace(d.c1.find("\"dilation_rate\": [2]"), 20, "\"dilation_rate\": [2, 2]");
    CHECK(contains(error_of(d.json()), "layer c1 (Conv1D): config field 'dilation_rate' should be a number or a list of 1"));
}

TEST_CASE("config check: Conv2D's dilation_rate is compared") {
    using C = Model<float, Input<8, 8, 1>, Conv2D<"c", 2, Kernel<3, 3>, Relu, Strides<1, 1>, same, true, Dilation<2, 2>>>;
    auto config = [](const std::string& dilation) {
        return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Conv2D", "config": {"name": "c", "batch_input_shape": [null, 8, 8, 1], "filters": 2,
             "kernel_size": [3, 3], "padding": "same", "activation": "relu")" + dilation + "}}]}}";
    };
    CHECK(diffs<C>(config(R"(, "dilation_rate": [2, 2])")).empty());
    CHECK(diffs<C>(config(R"(, "dilation_rate": 2)")).empty());
    CHECK(diffs<C>(config(R"(, "dilation_rate": [2, 1])")) == "c: dilation_rate (2,2) in C++, (2,1) in the file\n");
    CHECK(diffs<C>(config("")) == "c: dilation_rate (2,2) in C++, (1,1) in the file\n");  // Keras's default
    using U = Model<float, Input<8, 8, 1>, Conv2D<"c", 2, Kernel<3, 3>, Relu, Strides<1, 1>, same>>;
    CHECK(diffs<U>(config("")).empty());
}

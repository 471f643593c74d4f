// The architecture check (io/architecture.hpp) on recurrent layers: Keras 2 and Keras 3 style
// configs of LSTM, every field compared, the settings innspect runs only as Keras's defaults
// (return_state, stateful, time_major) reported, the sequence input shape (steps, features).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <innspect/innspect.hpp>
#include <innspect/io/keras_config.hpp>

using namespace innspect;

namespace {

std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
}

template <class M>
std::string diffs(const std::string& json) {
    return lines(io::compare_architecture<M>(io::parse_keras_model_config(json)).differences);
}

using LstmAe = Model<float, Input<10, 3>, LSTM<"encoder", 8>, Dense<"head", 3>>;

}  // namespace

TEST_CASE("architecture: LSTM as Keras 2 and Keras 3 write it") {
    SUBCASE("tf.keras 2: every field written") {
        CHECK(diffs<LstmAe>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 10, 3]}},
            {"class_name": "LSTM", "config": {"name": "encoder", "units": 8, "activation": "tanh",
             "recurrent_activation": "sigmoid", "use_bias": true, "return_sequences": false, "return_state": false,
             "go_backwards": false, "stateful": false, "unroll": false, "time_major": false, "dropout": 0.0,
             "recurrent_dropout": 0.0, "unit_forget_bias": true, "implementation": 2}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3, "activation": "linear"}}]}})")
                  .empty());
    }
    SUBCASE("Keras 2.2: hard_sigmoid gates must be declared") {
        CHECK(diffs<LstmAe>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "LSTM", "config": {"name": "encoder", "batch_input_shape": [null, 10, 3], "units": 8,
             "activation": "tanh", "recurrent_activation": "hard_sigmoid", "return_sequences": false}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3}}]}})") ==
              lines({"encoder: recurrent_activation sigmoid in C++, hard_sigmoid in the file"}));
        using Old = Model<float, Input<10, 3>, LSTM<"encoder", 8, Recurrent{}, Tanh, HardSigmoid>, Dense<"head", 3>>;
        CHECK(diffs<Old>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "LSTM", "config": {"name": "encoder", "batch_input_shape": [null, 10, 3], "units": 8,
             "activation": "tanh", "recurrent_activation": "hard_sigmoid", "return_sequences": false}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3}}]}})")
                  .empty());
    }
    SUBCASE("differences and unsupported settings, one a line") {
        CHECK(diffs<LstmAe>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 10, 3]}},
            {"class_name": "LSTM", "config": {"name": "encoder", "units": 6, "activation": "relu",
             "use_bias": false, "return_sequences": true, "go_backwards": true, "return_state": true,
             "stateful": true, "time_major": true}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3}}]}})") ==
              lines({
                  "encoder: units 8 in C++, 6 in the file",
                  "encoder: activation tanh in C++, relu in the file",
                  "encoder: use_bias true in C++, false in the file",
                  "encoder: return_sequences false in C++, true in the file",
                  "encoder: go_backwards false in C++, true in the file",
                  "encoder: return_state true in the file; innspect returns the output only (return_state false)",
                  "encoder: stateful true in the file; innspect keeps no state between batches (stateful false)",
                  "encoder: time_major true in the file; innspect reads (batch, steps, features) only (time_major false)",
              }));
    }
    SUBCASE("the sequence input shape") {
        CHECK(diffs<LstmAe>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 12, 3]}},
            {"class_name": "LSTM", "config": {"name": "encoder", "units": 8}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3}}]}})") ==
              lines({"in: input shape (10,3) in C++, (12,3) in the file"}));
    }
    SUBCASE("a padded-sequence model: Masking first, any number of steps (None)") {
        using Masked = Model<float, Input<10, 3>, Masking<"masking">, LSTM<"encoder", 8>, Dense<"head", 3>>;
        const std::string file = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Masking", "config": {"name": "masking", "batch_input_shape": [null, null, 3], "mask_value": 0.0}},
            {"class_name": "LSTM", "config": {"name": "encoder", "units": 8}},
            {"class_name": "Dense", "config": {"name": "head", "units": 3}}]}})";
        CHECK(diffs<Masked>(file).empty());
        using Longer = Model<float, Input<250, 3>, Masking<"masking">, LSTM<"encoder", 8>, Dense<"head", 3>>;
        CHECK(diffs<Longer>(file).empty());
        CHECK(diffs<LstmAe>(file) != "");
    }
}

TEST_CASE("architecture: GRU (reset_after as written or Keras's default) and SimpleRNN") {
    using Gru = Model<float, Input<10, 3>, GRU<"g", 8, Recurrent{.return_sequences = true}>, SimpleRNN<"s", 4>>;
    CHECK(diffs<Gru>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "GRU", "config": {"name": "g", "batch_input_shape": [null, 10, 3], "units": 8,
         "activation": "tanh", "recurrent_activation": "sigmoid", "return_sequences": true, "reset_after": true}},
        {"class_name": "SimpleRNN", "config": {"name": "s", "units": 4, "activation": "tanh"}}]}})")
              .empty());
    CHECK(diffs<Gru>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "GRU", "config": {"name": "g", "batch_input_shape": [null, 10, 3], "units": 8,
         "return_sequences": true}},
        {"class_name": "SimpleRNN", "config": {"name": "s", "units": 4}}]}})")
              .empty());
    CHECK(diffs<Gru>(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "GRU", "config": {"name": "g", "batch_input_shape": [null, 10, 3], "units": 8,
         "recurrent_activation": "hard_sigmoid", "return_sequences": true, "reset_after": false}},
        {"class_name": "SimpleRNN", "config": {"name": "s", "units": 4, "activation": "relu", "go_backwards": true}}]}})") ==
          lines({
              "g: recurrent_activation sigmoid in C++, hard_sigmoid in the file",
              "g: reset_after true in C++, false in the file",
              "s: activation tanh in C++, relu in the file",
              "s: go_backwards false in C++, true in the file",
          }));
}

TEST_CASE("architecture: Bidirectional and TimeDistributed compare the wrapped layer's own fields") {
    using Ae = Model<float, Input<10, 3>, Bidirectional<"bi", LSTM<"lstm", 8, Recurrent{.return_sequences = true}>>,
                     TimeDistributed<"td", Dense<"dense", 3, Relu>>>;
    const std::string head = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 10, 3]}},)";
    SUBCASE("as tf.keras writes them: no difference") {
        CHECK(diffs<Ae>(head + R"(
            {"class_name": "Bidirectional", "config": {"name": "bi", "merge_mode": "concat",
             "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 8, "return_sequences": true}}}},
            {"class_name": "TimeDistributed", "config": {"name": "td",
             "layer": {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu"}}}}]}})")
                  .empty());
    }
    SUBCASE("every wrapped field that differs, and the wrapped layer's unsupported settings") {
        CHECK(diffs<Ae>(head + R"(
            {"class_name": "Bidirectional", "config": {"name": "bi", "merge_mode": "sum",
             "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 6, "activation": "relu",
               "recurrent_activation": "hard_sigmoid", "return_sequences": false, "go_backwards": true,
               "stateful": true}}}},
            {"class_name": "TimeDistributed", "config": {"name": "td",
             "layer": {"class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "linear"}}}}]}})") ==
              lines({
                  "bi: merge_mode concat in C++, sum in the file",
                  "bi: layer.units 8 in C++, 6 in the file",
                  "bi: layer.activation tanh in C++, relu in the file",
                  "bi: layer.return_sequences true in C++, false in the file",
                  "bi: layer.go_backwards false in C++, true in the file",
                  "bi: layer.recurrent_activation sigmoid in C++, hard_sigmoid in the file",
                  "bi: layer.stateful true in the file; innspect keeps no state between batches (stateful false)",
                  "td: layer.units 3 in C++, 4 in the file",
                  "td: layer.activation relu in C++, linear in the file",
              }));
    }
    SUBCASE("another wrapped class") {
        CHECK(diffs<Ae>(head + R"(
            {"class_name": "Bidirectional", "config": {"name": "bi",
             "layer": {"class_name": "GRU", "config": {"name": "gru", "units": 8, "return_sequences": true}}}},
            {"class_name": "TimeDistributed", "config": {"name": "td",
             "layer": {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu"}}}}]}})") ==
              lines({"bi: layer LSTM in C++, GRU in the file"}));
    }
    SUBCASE("a wrapped layer that is not a layer's config is an io_error naming the field") {
        CHECK_THROWS_WITH_AS(diffs<Ae>(head + R"(
            {"class_name": "Bidirectional", "config": {"name": "bi", "layer": "LSTM"}},
            {"class_name": "TimeDistributed", "config": {"name": "td", "layer": {"class_name": "Dense"}}}]}})"),
                             doctest::Contains("layer bi (Bidirectional): config field 'layer' should be a layer's"),
                             io_error);
    }
}

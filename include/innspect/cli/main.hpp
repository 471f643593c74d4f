#pragma once
/// \file
/// innspect::cli::main<Net>: a complete command-line program for one model,
///
///   PROGRAM predict --weights F --input X.npy --out-dir D [--precision float|double]
///   PROGRAM explain --weights F --input X.npy --method M --target LAYER[:SEL] --out R.npy [options]
///   PROGRAM summary
///
/// where Net<float> and Net<double> are innspect::Model types (what `innspect-keras header`
/// generates: `template <class T> using NAME = innspect::Model<T, ...>;`). Link innspect::cli.
///
///   #include <innspect/cli/main.hpp>
///   #include "my_model.hpp"
///   int main(int argc, char** argv) { return innspect::cli::main<MyModel>(argc, argv, "my-model"); }
///
/// --weights takes .h5, .weights.h5 and (built with innspect::keras3) .keras; a file with a
/// model config is checked against Net first (innspect::io::load_keras_model), a mismatch exits 1
/// naming the layer and the field. Inputs are (batch, *input shape) or one sample.

#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <innspect/cli/commands.hpp>
#include <innspect/cli/input.hpp>
#include <innspect/cli/options.hpp>
#include <innspect/cli/program.hpp>
#include <innspect/cli/requests.hpp>
#include <innspect/cli/summary.hpp>

#ifndef INNSPECT_VERSION_STRING
#define INNSPECT_VERSION_STRING "0.1.0"
#endif

namespace innspect::cli {

namespace detail {

inline constexpr OptionSpec summary_options[] = {
    {"--help", "", "show this help"},
};

/// "Layers: a b c", wrapped, then "(input shape (8, 8, 1))": for the --help texts.
template <class Model>
std::string layers_help() {
    std::string s = "Layers:";
    std::size_t column = s.size();
    for (const auto& l : Model::layer_infos()) {
        if (column + 1 + l.name.size() > 96) s += "\n       ", column = 7;
        s += " " + std::string(l.name);
        column += 1 + l.name.size();
    }
    return s + "\n(input shape " + shape_string(Model::input_shape::keras()) + ")";
}

/// The input of `option` checked against Net's input shape.
template <class Model>
InputData read_model_input(const Args& a, std::string_view option) {
    return read_input(option, a.required(std::string(option)), Model::input_shape::keras());
}

}  // namespace detail

/// The program for the model Net (see the file comment); returns the exit code.
template <template <class> class Net>
int main(int argc, char** argv, std::string_view program_name) {
    using F = Net<float>;
    using D = Net<double>;
    static_assert(std::is_same_v<typename F::scalar, float> && std::is_same_v<typename D::scalar, double>,
                  "innspect::cli::main<Net>: Net<T> must be an innspect::Model of scalar T");
    const Context ctx{program_name, "the model"};

    Program p;
    p.name = program_name;
    p.version = INNSPECT_VERSION_STRING;
    p.description = "Runs and explains a Keras model (input " + shape_string(F::input_shape::keras()) + ", " +
                    std::to_string(F::size) + " layers) loaded from a Keras file.";
    p.commands.push_back(
        {"predict", "run the model, write every layer's output as D/<layer>.npy",
         "predict --weights F --input X.npy --out-dir D [--precision float|double]", predict_options,
         "Writes D/<layer>.npy for every layer, Keras shapes with the batch first.\n" +
             detail::layers_help<F>(),
         [&](const Args& a) {
             const Precision precision = parse_precision(a);
             const PredictRequest r{a.required("--weights"), a.required("--out-dir")};
             const InputData in = detail::read_model_input<F>(a, "--input");
             return precision == Precision::f32 ? run_predict<F>(ctx, r, in) : run_predict<D>(ctx, r, in);
         }});
    p.commands.push_back(
        {"explain", "explain units of any layer (LRP, gradients, occlusion), write the relevance",
         "explain --weights F --input X.npy --method METHOD --target LAYER[:SEL] --out R.npy [options]",
         explain_options, std::string(explain_selections_help) + "\n" + detail::layers_help<F>(),
         [&](const Args& a) {
             const Precision precision = parse_precision(a);
             const ExplainRequest r = parse_explain(a);
             const InputData in = detail::read_model_input<F>(a, "--input");
             return precision == Precision::f32 ? run_explain<F>(ctx, r, in) : run_explain<D>(ctx, r, in);
         },
         true});
    p.commands.push_back({"summary", "list the model's layers: name, Keras class, output shape, parameters",
                          "summary", detail::summary_options, "",
                          [](const Args&) { return run_summary<F>(std::cout); }});
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return run_program(p, args);
}

}  // namespace innspect::cli

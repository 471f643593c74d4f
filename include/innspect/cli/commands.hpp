#pragma once
/// \file
/// The model-dependent commands `predict` and `explain` for one innspect::Model type (`summary`:
/// cli/summary.hpp), and loading the weight file. A program instantiates them once per model and
/// scalar (innspect::cli::main does it for float and double).
///
/// Each run_* returns the exit code (0) and throws usage_error (exit 2) for a command-line value
/// the model rejects, innspect::error or std::exception (exit 1) for anything failing while running.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <innspect/cli/input.hpp>
#include <innspect/cli/methods.hpp>
#include <innspect/cli/options.hpp>
#include <innspect/cli/requests.hpp>
#include <innspect/cli/selection.hpp>
#include <innspect/cli/summary.hpp>
#include <innspect/innspect.hpp>
#include <innspect/io/keras_model.hpp>
#include <innspect/io/npy.hpp>

namespace innspect::cli {

/// Loads a Keras file: its architecture checked against the model first when the file has a
/// model_config (a mismatch is an innspect::architecture_error naming layer and field, exit 1),
/// then the weights; the loader's notes and the file's unused arrays go to stderr.
template <class Model>
void load_weights(const Context& ctx, Model& model, const std::filesystem::path& path) {
    const auto report = innspect::io::load_keras_model(model, path);
    for (const auto& note : report.notes)
        std::cerr << ctx.program << ": " << path.string() << ": " << note << '\n';
    if (!report.extra.empty())
        std::cerr << ctx.program << ": " << path.string() << ": arrays " << ctx.model
                  << " does not use (ignored): " << detail::join_strings(report.extra) << '\n';
}

/// Runs the model on `input` and writes every layer's output, Keras shape with the batch first,
/// as `r.out_dir/<layer>.npy`.
template <class Model>
int run_predict(const Context& ctx, const PredictRequest& r, const InputData& input) {
    using T = typename Model::scalar;
    const auto model = std::make_unique<Model>();
    load_weights(ctx, *model, r.weights);
    const auto trace = model->forward(to_batch<T>(input));
    std::filesystem::create_directories(r.out_dir);
    for (std::size_t i = 0; i < Model::size; ++i) {
        const LayerInfo& l = Model::layer_infos()[i];
        io::write_npy(r.out_dir / (std::string(l.name) + ".npy"), trace.out[i],
                      batch_shape(trace.batch(), l.output_keras_shape()));
    }
    std::cerr << ctx.program << ": wrote " << Model::size << " layer outputs (batch " << trace.batch()
              << ") to " << r.out_dir.string() << '\n';
    return 0;
}

/// Explains `input` as `r` asks and writes the relevance (batch, shape at the stop layer) to r.out;
/// with r.report the conservation table goes to stdout.
template <class Model>
int run_explain(const Context& ctx, const ExplainRequest& r, const InputData& input) {
    using T = typename Model::scalar;
    const auto& layers = Model::layer_infos();
    // Every check of the command line against the model comes before the weights are read.
    const int tap = layer_index(ctx, layers, r.tap, "--target");
    if (!r.stop_at.empty()) check_stop(layers, tap, layer_index(ctx, layers, r.stop_at, "--stop-at"));
    const Batch<T> x = to_batch<T>(input);
    Target<T> target = innspect::target<T>(
        r.tap, make_selection<T>(r.selection, layers[static_cast<std::size_t>(tap)], x.rows()));
    target.strip_activation = !r.keep_activation;
    target.stop_at = r.stop_at;

    const auto model = std::make_unique<Model>();
    load_weights(ctx, *model, r.weights);
    const auto e = explain_with(*model, x, target, r);
    if (r.report) std::cout << e.report.table() << std::flush;
    const auto shape = batch_shape(e.relevance.rows(), e.shape);
    io::write_npy(r.out, e.relevance, shape);
    std::cerr << ctx.program << ": wrote " << r.out.string() << ' ' << shape_string(shape)
              << " (relevance at " << e.at << ")\n";
    return 0;
}

}  // namespace innspect::cli

#pragma once
/// \file
/// `summary`: the model's layers as Keras's model.summary() lists them (name, class, output
/// shape, parameters), plus the layers each one reads.

#include <cstdint>
#include <iomanip>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <innspect/cli/input.hpp>
#include <innspect/core/layer_info.hpp>
#include <innspect/core/shape.hpp>

namespace innspect::cli {

/// The number of parameters of every layer (weights and biases, batch-norm statistics included),
/// as Keras counts them in model.summary().
template <class Model>
std::vector<std::int64_t> parameter_counts() {
    // weights() hands out writable views (what loaders fill), so it needs a model of its own.
    const auto model = std::make_unique<Model>();
    std::vector<std::int64_t> counts;
    model->for_each_layer([&](auto& layer) {
        std::int64_t n = 0;
        for (const auto& w : layer.weights()) {
            std::int64_t k = 1;
            for (const auto d : w.shape) k *= d;
            n += k;
        }
        counts.push_back(n);
    });
    return counts;
}

/// Prints the model's layers to `os`: name, Keras class, output shape (batch first, as Keras's
/// model.summary()), parameters, and the layer it reads; then the total.
template <class Model>
int run_summary(std::ostream& os) {
    const auto& layers = Model::layer_infos();
    const auto counts = parameter_counts<Model>();
    const auto none = [](std::vector<std::int64_t> s) {
        std::string text = shape_string(batch_shape(0, std::move(s)));
        return text.replace(1, 1, "None");
    };
    os << std::left << std::setw(24) << "Layer" << std::setw(22) << "Class" << std::setw(20) << "Output shape"
       << std::right << std::setw(10) << "Params"
       << "  Reads\n";
    os << std::left << std::setw(24) << "(input)" << std::setw(22) << "InputLayer" << std::setw(20)
       << none(Model::input_shape::keras()) << std::right << std::setw(10) << 0 << '\n';
    std::int64_t total = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const LayerInfo& l = layers[i];
        std::string reads;
        for (const int p : l.parents.list())
            reads += (reads.empty() ? "" : ", ") +
                     (p < 0 ? std::string("(input)") : std::string(layers[static_cast<std::size_t>(p)].name));
        os << std::left << std::setw(24) << l.name << std::setw(22) << l.keras_class << std::setw(20)
           << none(l.output_keras_shape()) << std::right << std::setw(10) << counts[i] << "  " << reads
           << '\n';
        total += counts[i];
    }
    os << "Total params: " << total << '\n';
    return 0;
}

}  // namespace innspect::cli

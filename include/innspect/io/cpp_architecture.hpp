#pragma once
/// \file
/// The C++ side of the architecture check (io/architecture.hpp), as plain data: what each layer
/// declaration states (its Keras class, its `keras_values`, what it reads) and the model's
/// shapes, collected from an innspect::Model type by io::cpp_architecture<Model>(). The
/// comparison with a file's config is model-independent code that takes this description, so it
/// can be compiled once (io/keras_compiled.hpp). Also the report types of the check. No
/// dependency beyond the core and the layer schemas: no nlohmann-json, no HDF5.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// A Keras file's architecture differs from the C++ model. what() lists every difference, one a
/// line; `differences` holds the same lines.
struct architecture_error : error {
    std::vector<std::string> differences;
    architecture_error(const std::string& what, std::vector<std::string> diffs)
        : error(what), differences(std::move(diffs)) {}
};

namespace io {

/// The outcome of a comparison.
struct ArchitectureReport {
    std::string source;                    ///< where the config came from (file path or "model_config")
    std::string model_name, class_name;    ///< the file's model name and class
    std::size_t compared = 0;              ///< layers paired and compared
    std::vector<std::string> differences;  ///< one line each; empty when the architectures agree
    std::vector<std::string> notes;        ///< nested models flattened, fields innspect cannot compare

    bool ok() const { return differences.empty(); }

    /// A summary line followed by every difference (one a line).
    std::string text() const {
        std::string s = "architecture of " + source + " (Keras " + class_name + " '" + model_name + "') ";
        if (ok()) return s + "matches the C++ model (" + std::to_string(compared) + " layers compared)";
        s += "differs from the C++ model in " + std::to_string(differences.size()) +
             (differences.size() == 1 ? " place:" : " places:");
        for (const auto& d : differences) s += "\n" + d;
        return s;
    }
};

/// The C++ layers [begin, end) of a model that one of several files describes (an encoder file,
/// a decoder file): the part's input is what its first layer reads, and an input from before the
/// part is the part's input (the file's InputLayer).
struct ModelPart {
    std::size_t begin = 0;
    std::size_t end = std::numeric_limits<std::size_t>::max();
};

namespace detail {

/// One layer as the comparison sees it, from a C++ declaration or a file's config.
struct ArchLayer {
    std::string name, type, nested_in;
    const KerasSchema* schema = nullptr;  ///< nullptr: innspect has no such layer
    bool has_inputs = false;
    std::vector<std::string> inputs;  ///< what it reads, in order; "" = the model input
    std::vector<KerasValue> fields;
};

template <class Model, std::size_t I>
ArchLayer describe_cpp_layer() {
    using S = typename Model::template node<I>::spec;
    const LayerInfo& info = Model::layer_infos()[I];
    ArchLayer d;
    d.name = std::string(info.name);
    d.type = std::string(S::keras.keras_class);
    d.schema = &S::keras;
    d.has_inputs = true;
    for (int p : info.parents.list())
        d.inputs.push_back(p < 0 ? std::string()
                                 : std::string(Model::layer_infos()[static_cast<std::size_t>(p)].name));
    KerasValues v;
    // A value that depends on the input (Concatenate's axis, counted from either end) is stated
    // with the input's shape.
    if constexpr (requires { S::template keras_values_for<typename Model::template node<I>::in>(v); })
        S::template keras_values_for<typename Model::template node<I>::in>(v);
    else
        S::keras_values(v);
    d.fields = std::move(v.values());
    return d;
}

}  // namespace detail

/// What the architecture check needs of a C++ model: its layers as the comparison sees them, its
/// static layer table (names, parents, output shapes) and the Keras shape of one input sample.
struct CppArchitecture {
    std::vector<detail::ArchLayer> layers;
    std::span<const LayerInfo> infos;  ///< Model::layer_infos(): static storage
    std::vector<std::int64_t> input_shape;
};

/// The description of `Model` (an innspect::Model type) for the architecture check.
template <class Model>
CppArchitecture cpp_architecture() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return CppArchitecture{std::vector<detail::ArchLayer>{detail::describe_cpp_layer<Model, I>()...},
                               Model::layer_infos(), Model::input_shape::keras()};
    }
    (std::make_index_sequence<Model::size>{});
}

namespace detail {

/// The Keras shape of one sample of `part`'s input: the model input, or the output of the layer
/// the part's first layer reads.
inline std::vector<std::int64_t> part_input_shape(const CppArchitecture& model, const ModelPart& part) {
    if (part.begin == 0 || part.begin >= model.infos.size()) return model.input_shape;
    const int p = model.infos[part.begin].parent;
    return p < 0 ? model.input_shape : model.infos[static_cast<std::size_t>(p)].output_keras_shape();
}

}  // namespace detail
}  // namespace io
}  // namespace innspect

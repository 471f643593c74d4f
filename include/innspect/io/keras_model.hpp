#pragma once
/// \file
/// Loading a Keras HDF5 file into a C++ model with its architecture checked first: the file's
/// model_config (io/keras_json.hpp) against the model (io/architecture.hpp), then the weights
/// (io/keras_h5.hpp). Needs HDF5 and nlohmann-json (the `innspect::hdf5` and `innspect::keras`
/// CMake targets).

#include <filesystem>
#include <string>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/architecture.hpp"
#include "innspect/io/keras_h5.hpp"
#include "innspect/io/keras_json.hpp"

namespace innspect::io {

/// Checks `model` against the model_config of a file written by model.save(). Throws io_error
/// if the file has no model_config (model.save_weights() files) or it cannot be parsed, and
/// architecture_error (an innspect::error) listing every difference, one a line.
template <class Model>
ArchitectureReport check_architecture(const Model& model, const KerasH5File& file) {
    const std::string where = "'" + file.path().string() + "'";
    if (!file.has_model_config())
        throw io_error("Keras file " + where + " has no model_config (written by " +
                       std::string(to_string(file.layout())) + "); there is no architecture to check");
    return check_architecture(model, parse_keras_model_config(file.model_config(), "Keras file " + where), where);
}

template <class Model>
ArchitectureReport check_architecture(const Model& model, const std::filesystem::path& path) {
    const KerasH5File file(path);
    return check_architecture(model, file);
}

/// Loads a Keras HDF5 file into `model`: first the architecture check (when the file has a
/// model_config; a model.save_weights() file has none, and the report's notes say the check
/// was skipped), then load_keras_weights(). On any exception the model is unchanged.
template <class Model>
LoadReport load_keras_model(Model& model, const KerasH5File& file) {
    std::vector<std::string> notes;
    if (file.has_model_config()) {
        const ArchitectureReport arch = check_architecture(model, file);
        notes.push_back("architecture: " + std::to_string(arch.compared) + " layers match the model_config (Keras " +
                        arch.class_name + " '" + arch.model_name + "')");
        for (const auto& n : arch.notes) notes.push_back("architecture: " + n);
    } else {
        notes.push_back("architecture: not checked, the file has no model_config (written by " +
                        std::string(to_string(file.layout())) + ")");
    }
    LoadReport rep = load_keras_weights(model, file);
    rep.notes.insert(rep.notes.end(), notes.begin(), notes.end());
    return rep;
}

template <class Model>
LoadReport load_keras_model(Model& model, const std::filesystem::path& path) {
    const KerasH5File file(path);
    return load_keras_model(model, file);
}

}  // namespace innspect::io

#pragma once
/// \file
/// Loading a Keras file into a C++ model with its architecture checked first: the file's
/// config (io/keras_json.hpp) against the model (io/architecture.hpp), then the weights
/// (io/keras_h5.hpp). Needs HDF5 and nlohmann-json (the `innspect::hdf5` and `innspect::keras`
/// CMake targets).
///
/// Which files (recognised by their content, not their extension):
///   * Keras 2 `.h5` (model.save(), model.save_weights()) and Keras 3's legacy `.h5`
///     (model.save("m.h5"): the Keras 2 layout with a Keras 3 config);
///   * Keras 3 `.weights.h5` (model.save_weights(); no config: the check is skipped, with a note);
///   * Keras 3 `.keras` archives (and Keras 2.13-2.14's) when INNSPECT_KERAS3 is defined, as the
///     `innspect::keras3` CMake target does (it needs libzip: io/keras_archive.hpp). Without it a
///     `.keras` file is an io_error saying so.
///
/// Several files, one model: load_keras_model(model, {"encoder.h5", "decoder.h5"}) — each file
/// describes the next part of the C++ model (see load_keras_model()).
///
/// The templates here only describe the model (its weights, detail::collect_cpp_layers(); its
/// architecture, io::cpp_architecture<Model>()) and hand that to model-independent functions,
/// which the `innspect::keras_compiled` library compiles once (io/keras_compiled.hpp). With it
/// (INNSPECT_KERAS_COMPILED) this header includes neither nlohmann-json nor the config readers:
/// include io/keras_config.hpp for parse_keras_model_config() and compare_architecture().

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/cpp_architecture.hpp"
#include "innspect/io/keras_compiled.hpp"
#include "innspect/io/keras_h5.hpp"
#if INNSPECT_KERAS_DEFINITIONS
#  include <algorithm>
#  include <optional>
#  include <set>
#  include <utility>

#  include "innspect/io/architecture.hpp"
#  include "innspect/io/keras_json.hpp"
#endif
#if defined(INNSPECT_KERAS3)
#  include "innspect/io/keras_archive.hpp"  // (indented: tests/CMakeLists.txt checks this header without it)
#endif

namespace innspect::io {

// What a file is opened as depends on INNSPECT_KERAS3 (a zip is read or refused), so the functions
// here live in an inline namespace named for it: a program whose translation units disagree (one
// links innspect::keras3, another not) gets two distinct sets of functions, not one inline
// function with two bodies (an ODR violation the linker would resolve silently either way). The
// name also says whether the compiled library (INNSPECT_KERAS_COMPILED) provides them, for the same
// reason; a program built the other way than the library names functions the library does not
// have: it fails to link. (One inline namespace for both facts: a second one nested in it would
// make io/keras_compiled.hpp's INNSPECT_KERAS_MODE_NS, opened directly in io, ambiguous.)
#if defined(INNSPECT_KERAS3) && defined(INNSPECT_KERAS_COMPILED)
#  define INNSPECT_KERAS_FILES_NS compiled_with_keras_archives
#elif defined(INNSPECT_KERAS3)
#  define INNSPECT_KERAS_FILES_NS with_keras_archives
#elif defined(INNSPECT_KERAS_COMPILED)
#  define INNSPECT_KERAS_FILES_NS compiled_without_keras_archives
#else
#  define INNSPECT_KERAS_FILES_NS without_keras_archives
#endif

namespace detail {
inline namespace INNSPECT_KERAS_FILES_NS {

// The model-independent parts of the templates below: `cpp` is the model's weights
// (collect_cpp_layers()), `model` its architecture (cpp_architecture<Model>()).

/// load_keras_model(model, paths, limits).
INNSPECT_KERAS_INLINE LoadReport load_keras_files(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                                  const std::vector<std::filesystem::path>& paths, const ReadLimits& limits);
/// check_architecture(model, path).
INNSPECT_KERAS_INLINE ArchitectureReport check_file_architecture(const CppArchitecture& model,
                                                                 const std::filesystem::path& path);
/// check_architecture(model, file).
INNSPECT_KERAS_INLINE ArchitectureReport check_h5_architecture(const CppArchitecture& model, const KerasH5File& file);
/// load_keras_model(model, file).
INNSPECT_KERAS_INLINE LoadReport load_h5_model(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                               const KerasH5File& file);
#if defined(INNSPECT_KERAS3)
/// check_architecture(model, archive).
INNSPECT_KERAS_INLINE ArchitectureReport check_archive_architecture(const CppArchitecture& model,
                                                                    const KerasArchive& archive);
/// load_keras_model(model, archive).
INNSPECT_KERAS_INLINE LoadReport load_archive_model(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                                    const KerasArchive& archive);
#endif

}  // inline namespace INNSPECT_KERAS_FILES_NS
}  // namespace detail

inline namespace INNSPECT_KERAS_FILES_NS {

/// Checks `model` against the model_config of a file written by model.save(). Throws io_error
/// if the file has no model_config (model.save_weights() files) or it cannot be parsed, and
/// architecture_error (an innspect::error) listing every difference, one a line.
template <class Model>
ArchitectureReport check_architecture(const Model&, const KerasH5File& file) {
    return detail::check_h5_architecture(cpp_architecture<Model>(), file);
}

#if defined(INNSPECT_KERAS3)
/// Checks `model` against the config.json of a `.keras` archive (see the overload above).
template <class Model>
ArchitectureReport check_architecture(const Model&, const KerasArchive& archive) {
    return detail::check_archive_architecture(cpp_architecture<Model>(), archive);
}
#endif

/// Loads a Keras HDF5 file into `model`: first the architecture check (when the file has a
/// model_config; a model.save_weights() file has none, and the report's notes say the check
/// was skipped), then load_keras_weights(). On any exception the model is unchanged.
template <class Model>
LoadReport load_keras_model(Model& model, const KerasH5File& file) {
    auto cpp = detail::collect_cpp_layers(model);
    return detail::load_h5_model(cpp, cpp_architecture<Model>(), file);
}

#if defined(INNSPECT_KERAS3)
/// Loads a `.keras` archive into `model`: the architecture check against its config.json, then
/// its model.weights.h5 (matched through the config, see load_keras_weights()). On any
/// exception the model is unchanged.
template <class Model>
LoadReport load_keras_model(Model& model, const KerasArchive& archive) {
    auto cpp = detail::collect_cpp_layers(model);
    return detail::load_archive_model(cpp, cpp_architecture<Model>(), archive);
}
#endif

/// Loads the Keras file at `path` into `model`, whatever its kind (recognised by its content):
/// a Keras 2 or Keras 3 legacy `.h5`, a Keras 3 `.weights.h5`, a `.keras` archive (with
/// INNSPECT_KERAS3). A file with a config is checked against the model first (architecture_error
/// listing every difference); then its weights are loaded. On any exception the model is unchanged.
template <class Model>
LoadReport load_keras_model(Model& model, const std::filesystem::path& path, const ReadLimits& limits = {}) {
    auto cpp = detail::collect_cpp_layers(model);
    return detail::load_keras_files(cpp, cpp_architecture<Model>(), {path}, limits);
}

/// Several files, one model (an encoder file and a decoder file): each file holds the next part
/// of `model` — from where the previous file's part ended to the last C++ layer its config (or,
/// without one, its weights) names; the last file's part runs to the end. The first file's input
/// is the model input, a later file's input the output of the layer before its part. Every
/// file's architecture is checked against its part (one architecture_error listing every
/// difference, each line starting with the file), then every file's weights are staged, then
/// written: on any exception the model is unchanged. Every message names the file and the layer.
template <class Model>
LoadReport load_keras_model(Model& model, const std::vector<std::filesystem::path>& paths, const ReadLimits& limits = {}) {
    auto cpp = detail::collect_cpp_layers(model);
    return detail::load_keras_files(cpp, cpp_architecture<Model>(), paths, limits);
}

template <class Model>
LoadReport load_keras_model(Model& model, std::initializer_list<std::filesystem::path> paths, const ReadLimits& limits = {}) {
    auto cpp = detail::collect_cpp_layers(model);
    return detail::load_keras_files(cpp, cpp_architecture<Model>(), std::vector<std::filesystem::path>(paths), limits);
}

template <class Model>
ArchitectureReport check_architecture(const Model&, const std::filesystem::path& path) {
    return detail::check_file_architecture(cpp_architecture<Model>(), path);
}

}  // inline namespace INNSPECT_KERAS_FILES_NS

#if INNSPECT_KERAS_DEFINITIONS
namespace detail {
inline namespace INNSPECT_KERAS_FILES_NS {

/// One file of a load: its weights and, when it has one, its parsed config.
struct keras_source {
    std::string name;  ///< the path as given
    std::optional<KerasH5File> weights;
    std::optional<KerasModelConfig> config;
    std::string config_source;  ///< "'m.keras'": how the architecture report names the file
    std::string no_config;      ///< why there is no config
};

inline keras_source open_keras_source(const std::filesystem::path& path, const ReadLimits& limits) {
    keras_source s;
    s.name = path.string();
    s.config_source = "'" + path.string() + "'";
    if (looks_like_zip(file_head(path))) {
#if defined(INNSPECT_KERAS3)
        const KerasArchive archive(path, limits);
        s.config = parse_keras_model_config(archive.config_json(), "Keras archive " + s.config_source + ", config.json");
        s.weights.emplace(archive.weights());
        return s;
#else
#  if defined(INNSPECT_KERAS_COMPILED)
        throw io_error("Keras file '" + path.string() + "' is a zip archive (a Keras 3 .keras file): the "
                       "innspect::keras_compiled library this program uses was built without .keras support; "
                       "build innspect with libzip (Debian: libzip-dev) so that it has innspect::keras3");
#  else
        throw io_error("Keras file '" + path.string() + "' is a zip archive (a Keras 3 .keras file): this build reads "
                       "none; link innspect::keras3 (libzip) or define INNSPECT_KERAS3 and include "
                       "innspect/io/keras_archive.hpp");
#  endif
#endif
    }
    s.weights.emplace(path, limits);
    if (s.weights->has_model_config())
        s.config = parse_keras_model_config(s.weights->model_config(), "Keras file " + s.config_source);
    else
        s.no_config = "the file has no model_config (written by " + std::string(to_string(s.weights->layout())) + ")";
    return s;
}

/// The C++ layer names a file's config or weights name (to find its part of the model).
inline std::set<std::string, std::less<>> named_layers(const keras_source& s) {
    std::set<std::string, std::less<>> names;
    if (s.config) {
        for (const auto& l : s.config->layers) names.insert(l.name);
        return names;
    }
    for (const auto& g : s.weights->layers()) {
        names.insert(g.name);
        for (const auto& a : g.weights) names.insert(first_component_of(a.name));
    }
    return names;
}

/// Loads `files` into the model whose weights are `cpp` and whose architecture is `model`.
inline LoadReport load_keras_sources(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                     std::vector<keras_source>& files) {
    const std::size_t n = cpp.size();
    const bool several = files.size() > 1;
    if (files.empty()) throw io_error("load_keras_model: no file given");

    // Each file's part of the model: from where the previous one ended to the last C++ layer it names.
    std::vector<ModelPart> parts;
    std::size_t begin = 0;
    for (std::size_t k = 0; k < files.size(); ++k) {
        const auto& f = files[k];
        const bool last = k + 1 == files.size();
        const bool keras3 = f.weights->layout() == KerasLayout::keras3 || f.weights->layout() == KerasLayout::keras2_13;
        if (several && !f.config && keras3)
            throw io_error("Keras file '" + f.name + "' stores weights without layer names or a config (Keras 3 "
                           ".weights.h5), so it cannot say which part of the model it holds; load the .keras file");
        std::size_t end = begin;
        const auto names = named_layers(f);
        for (std::size_t i = begin; i < n; ++i)
            if (names.count(cpp[i].name) != 0) end = i + 1;
        if (last || (keras3 && !several)) end = n;
        if (end == begin && f.config) end = std::min(n, begin + f.config->layers.size());
        if (several && end == begin)
            throw name_error("Keras file '" + f.name + "' names none of the C++ layers after " +
                             (begin == 0 ? std::string("the model input")
                                         : cpp[begin - 1].name + " (the files before it hold the C++ layers up to " +
                                               cpp[begin - 1].name + "; are the files in model order?)"));
        parts.push_back({begin, end});
        begin = end;
    }

    // Every file's architecture first, every difference of every file in one exception.
    std::vector<std::string> notes, differences;
    std::string text;
    for (std::size_t k = 0; k < files.size(); ++k) {
        const auto& f = files[k];
        const std::string prefix = several ? "'" + f.name + "': " : "";
        if (!f.config) {
            notes.push_back(prefix + "architecture: not checked, " + f.no_config);
            continue;
        }
        const ArchitectureReport arch = compare_architecture(model, *f.config, f.config_source, parts[k]);
        if (!arch.ok()) {
            text += (text.empty() ? "" : "\n") + arch.text();
            for (const auto& d : arch.differences) differences.push_back(prefix + d);
            continue;
        }
        notes.push_back(prefix + "architecture: " + std::to_string(arch.compared) + " layers match the model_config (Keras " +
                        arch.class_name + " '" + arch.model_name + "')");
        for (const auto& nt : arch.notes) notes.push_back(prefix + "architecture: " + nt);
    }
    if (!differences.empty()) throw architecture_error(text, differences);

    // Then the weights, all staged before any is written.
    LoadReport report;
    for (std::size_t k = 0; k < files.size(); ++k) {
        auto& f = files[k];
        LoadReport part;
        std::optional<std::vector<Keras3Layer>> plan;
        if (f.config) plan = keras3_plan(*f.config);
        stage_file(cpp, parts[k].begin, parts[k].end, *f.weights, plan ? &*plan : nullptr, part);
        const std::string prefix = several ? "'" + f.name + "': " : "";
        if (k == 0) report.layout = part.layout;
        for (const auto& nt : part.notes) report.notes.push_back(prefix + nt);
        for (const auto& e : part.extra) report.extra.push_back(prefix + e);
    }
    // The parts are [0, n) in order: one commit, so that a failure writes nothing of any file.
    commit(cpp, 0, n, report);
    report.notes.insert(report.notes.end(), notes.begin(), notes.end());
    return report;
}


INNSPECT_KERAS_INLINE LoadReport load_keras_files(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                                  const std::vector<std::filesystem::path>& paths, const ReadLimits& limits) {
    std::vector<keras_source> files;
    for (const auto& p : paths) files.push_back(open_keras_source(p, limits));
    return load_keras_sources(cpp, model, files);
}

INNSPECT_KERAS_INLINE ArchitectureReport check_file_architecture(const CppArchitecture& model,
                                                                 const std::filesystem::path& path) {
    const auto s = open_keras_source(path, {});
    if (!s.config) throw io_error("Keras file '" + path.string() + "' has no model_config: " + s.no_config +
                                  "; there is no architecture to check");
    return checked(compare_architecture(model, *s.config, s.config_source));
}

INNSPECT_KERAS_INLINE ArchitectureReport check_h5_architecture(const CppArchitecture& model, const KerasH5File& file) {
    const std::string where = "'" + file.path().string() + "'";
    if (!file.has_model_config())
        throw io_error("Keras file " + where + " has no model_config (written by " +
                       std::string(to_string(file.layout())) + "); there is no architecture to check");
    return checked(compare_architecture(model, parse_keras_model_config(file.model_config(), "Keras file " + where), where));
}

INNSPECT_KERAS_INLINE LoadReport load_h5_model(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                               const KerasH5File& file) {
    std::vector<std::string> notes;
    if (file.has_model_config()) {
        const ArchitectureReport arch = check_h5_architecture(model, file);
        notes.push_back("architecture: " + std::to_string(arch.compared) + " layers match the model_config (Keras " +
                        arch.class_name + " '" + arch.model_name + "')");
        for (const auto& n : arch.notes) notes.push_back("architecture: " + n);
    } else {
        notes.push_back("architecture: not checked, the file has no model_config (written by " +
                        std::string(to_string(file.layout())) + ")");
    }
    LoadReport rep;
    stage_file(cpp, 0, cpp.size(), file, nullptr, rep);
    commit(cpp, 0, cpp.size(), rep);
    rep.notes.insert(rep.notes.end(), notes.begin(), notes.end());
    return rep;
}

#if defined(INNSPECT_KERAS3)
INNSPECT_KERAS_INLINE ArchitectureReport check_archive_architecture(const CppArchitecture& model,
                                                                    const KerasArchive& archive) {
    const std::string where = "'" + archive.path().string() + "'";
    return checked(compare_architecture(
        model, parse_keras_model_config(archive.config_json(), "Keras archive " + where + ", config.json"), where));
}

INNSPECT_KERAS_INLINE LoadReport load_archive_model(std::vector<cpp_layer>& cpp, const CppArchitecture& model,
                                                    const KerasArchive& archive) {
    const auto config = parse_keras_model_config(archive.config_json(),
                                                 "Keras archive '" + archive.path().string() + "', config.json");
    const ArchitectureReport arch = checked(compare_architecture(model, config, "'" + archive.path().string() + "'"));
    const KerasH5File weights = archive.weights();
    const auto plan = keras3_plan(config);
    LoadReport rep;
    stage_file(cpp, 0, cpp.size(), weights, &plan, rep);
    commit(cpp, 0, cpp.size(), rep);
    rep.notes.push_back("architecture: " + std::to_string(arch.compared) + " layers match the config.json (Keras " +
                        arch.class_name + " '" + arch.model_name + "')");
    for (const auto& n : arch.notes) rep.notes.push_back("architecture: " + n);
    return rep;
}
#endif

}  // inline namespace INNSPECT_KERAS_FILES_NS
}  // namespace detail
#endif

#undef INNSPECT_KERAS_FILES_NS
}  // namespace innspect::io

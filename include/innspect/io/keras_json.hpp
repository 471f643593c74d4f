#pragma once
/// \file
/// Reading the architecture a Keras file was saved with: `model.save()` stores it as the root
/// attribute `model_config`, a JSON document (Keras 2.x, here as written by 2.2.4):
///
///   {"class_name": "Model",                      "Sequential" / "Functional" (tf.keras >= 2.4)
///    "config": {"name": "model_1",
///      "layers": [                               in topological order
///        {"name": "input_1", "class_name": "InputLayer",
///         "config": {"batch_input_shape": [null, 360, 640, 3], ...}, "inbound_nodes": []},
///        {"name": "conv2d_1", "class_name": "Conv2D",
///         "config": {"filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
///                    "activation": "linear", "use_bias": true, ...},
///         "inbound_nodes": [[["input_1", 0, 0, {}]]]},       [[[layer, node, tensor, kwargs]]]
///        {"name": "model_2", "class_name": "Model", "config": {...}, ...},   a nested model
///        ...],
///      "input_layers": [["input_1", 0, 0]], "output_layers": [["flatten_1", 0, 0]]}}
///
///   Sequential: "config" is {"name", "layers": [{"class_name", "config"}, ...]} (or, before
///   Keras 2.2.3, the bare list); no InputLayer (tf.keras may list one first): the first layer's
///   config carries "batch_input_shape"; each layer reads the one before.
///
/// A model used as a layer (nested Model / Sequential) is flattened into its layers: its own
/// InputLayer stands for whatever feeds the nested model, and the nested model as an input of a
/// later layer stands for its output layer. So the C++ model declares the inner layers directly,
/// under their own names (that is also how load_keras_weights() finds their weights).
///
/// Needs nlohmann-json (the `innspect::keras` CMake target), not HDF5: a config read from
/// anywhere (a file's attribute, a `.keras` archive's config.json, a string) is parsed here.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/keras3_layer.hpp"
#include "innspect/io/keras_compiled.hpp"

// The compiled library (innspect::keras_compiled) hands nlohmann::json values to its users (in
// KerasLayerConfig below), but its functions' names do not say which json they mean: a program
// built against another nlohmann-json version, or with another JSON_DIAGNOSTICS setting (which
// changes every json value's layout), would link and then misread them. The library's target
// records both as it was built (INNSPECT_KERAS_COMPILED_JSON_VERSION = major·10000 + minor·100 +
// patch, INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS = 0 or 1; CMakeLists.txt) and every translation
// unit that sees these types, the library's own included, checks them here: a mismatch is a
// compile error naming the setting, not a crash. Header-only users define neither macro.
#if defined(INNSPECT_KERAS_COMPILED) && defined(INNSPECT_KERAS_COMPILED_JSON_VERSION)
#  if NLOHMANN_JSON_VERSION_MAJOR * 10000 + NLOHMANN_JSON_VERSION_MINOR * 100 + NLOHMANN_JSON_VERSION_PATCH != \
      INNSPECT_KERAS_COMPILED_JSON_VERSION
#    error "innspect::keras_compiled was built with another nlohmann-json version than the one this translation unit includes (compare NLOHMANN_JSON_VERSION_MAJOR/MINOR/PATCH with INNSPECT_KERAS_COMPILED_JSON_VERSION): build the program against the nlohmann-json innspect was built with"
#  endif
#endif
#if defined(INNSPECT_KERAS_COMPILED) && defined(INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS)
#  if (defined(JSON_DIAGNOSTICS) && JSON_DIAGNOSTICS) != (INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS != 0)
#    error "innspect::keras_compiled was built with another JSON_DIAGNOSTICS setting than this translation unit (compare JSON_DIAGNOSTICS with INNSPECT_KERAS_COMPILED_JSON_DIAGNOSTICS): nlohmann::json values differ between the two; build the program with the library's setting"
#  endif
#endif

namespace innspect::io {

/// One layer of a Keras model_config, after nested models are flattened.
struct KerasLayerConfig {
    std::string name;                 ///< Keras layer name
    std::string class_name;           ///< "Conv2D", "Dense", ...
    nlohmann::json config;            ///< the layer's "config" object as stored
    std::vector<std::string> inputs;  ///< the layers it reads ("" = the model input), resolved through nested models
    std::string nested_in;            ///< the nested model it came from ("model_2/inner" when nested twice), "" at top level
};

/// An input of the model or of a nested model. Dimensions are −1 where Keras stores None.
struct KerasInputConfig {
    std::string name;
    std::vector<std::int64_t> shape;  ///< one sample (without the batch axis); empty if the file has none
    std::string nested_in;            ///< "" for the model's own inputs
    std::string fed_by;               ///< nested inputs: the layer feeding the nested model ("" = the model input)
};

/// A parsed model_config.
struct KerasModelConfig {
    std::string class_name;                    ///< "Model", "Functional" or "Sequential"
    std::string name;                          ///< the model's name
    std::vector<KerasInputConfig> inputs;      ///< the model's own inputs
    std::vector<KerasInputConfig> nested_inputs;
    std::vector<KerasLayerConfig> layers;      ///< every layer but InputLayers, nested models flattened
    std::vector<std::string> nested_models;    ///< names of the nested models that were flattened
    std::vector<std::string> nested_model_classes;  ///< their classes, in the same order ("Functional", ...)
};

namespace detail {

using json = nlohmann::json;

inline std::string json_type(const json& j) { return j.type_name(); }

[[noreturn]] inline void config_error(const std::string& where, const std::string& what) {
    throw io_error(where + ": model_config " + what);
}

inline const json& member(const json& obj, const char* key, const std::string& where) {
    if (!obj.is_object()) config_error(where, std::string("expected an object holding '") + key + "', got " + json_type(obj));
    const auto it = obj.find(key);
    if (it == obj.end()) config_error(where, std::string("has no '") + key + "'");
    return *it;
}

inline std::string string_member(const json& obj, const char* key, const std::string& where) {
    const json& v = member(obj, key, where);
    if (!v.is_string()) config_error(where, std::string("'") + key + "' should be a string, it is " + json_type(v));
    return v.get<std::string>();
}

inline bool is_model_class(const std::string& c) { return c == "Model" || c == "Functional" || c == "Sequential"; }

/// [null, 360, 640, 3] → {360, 640, 3} (−1 for null). Empty when absent.
inline std::vector<std::int64_t> input_shape_of(const json& cfg, const std::string& where) {
    const json* s = nullptr;
    const char* key = "batch_input_shape";
    if (cfg.is_object()) {
        if (auto it = cfg.find("batch_input_shape"); it != cfg.end()) s = &*it;
        else if (auto it2 = cfg.find("batch_shape"); it2 != cfg.end()) s = &*it2, key = "batch_shape";
    }
    std::vector<std::int64_t> out;
    if (s == nullptr || s->is_null()) return out;
    if (!s->is_array() || s->empty())
        config_error(where, std::string("'") + key + "' should be a list [batch, dims...], it is " + s->dump());
    // Only null is "any size": a string, a fraction, a negative or absurd size is a broken file.
    for (std::size_t i = 1; i < s->size(); ++i) {
        const json& d = (*s)[i];
        if (d.is_null()) {
            out.push_back(-1);
        } else if (d.is_number_integer() && d.get<std::int64_t>() > 0 && d.get<std::int64_t>() <= (std::int64_t{1} << 31)) {
            out.push_back(d.get<std::int64_t>());
        } else {
            config_error(where, std::string("'") + key + "' entry " + std::to_string(i) + " is " + d.dump() +
                                    "; expected a positive size or null");
        }
    }
    return out;
}

inline std::string path_join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

class ConfigFlattener {
public:
    ConfigFlattener(KerasModelConfig& out, std::string where) : out_(out), where_(std::move(where)) {}

    /// Flattens a model (`class_name` + `config`) whose inputs are fed by `feeding` (resolved
    /// names; "" = the model input). Returns the resolved names of its outputs.
    std::vector<std::string> model(const std::string& class_name, const json& config, const std::vector<std::string>& feeding,
                                   const std::string& nested_in) {
        if (class_name == "Sequential") return sequential(config, feeding, nested_in);
        return functional(config, feeding, nested_in);
    }

private:
    /// The layer names of a node entry: Keras 2 [[name, node, tensor, kwargs], ...]; tf.keras /
    /// Keras 3 dict nodes {"args": [{"config": {"keras_history": [name, node, tensor]}}]} too.
    static std::vector<std::string> node_sources(const json& node, const std::string& where) {
        std::vector<std::string> names;
        if (node.is_array()) {
            for (const auto& e : node) {
                if (!(e.is_array() && !e.empty() && e[0].is_string()))
                    config_error(where, "has an inbound node entry " + e.dump() + "; expected [layer, node, tensor, ...]");
                names.push_back(e[0].get<std::string>());
            }
        } else if (node.is_object()) {
            auto walk = [&](auto&& self, const json& j) -> void {
                if (j.is_object()) {
                    if (auto it = j.find("keras_history"); it != j.end()) {
                        if (!(it->is_array() && !it->empty() && (*it)[0].is_string()))
                            config_error(where, "has a keras_history " + it->dump() + "; expected [layer, node, tensor]");
                        names.push_back((*it)[0].get<std::string>());
                        return;
                    }
                    for (const auto& v : j) self(self, v);  // an object's values
                } else if (j.is_array()) {
                    for (const auto& v : j) self(self, v);
                }
            };
            if (auto it = node.find("args"); it != node.end()) walk(walk, *it);
        } else {
            config_error(where, "has an inbound node " + node.dump() + "; expected a list or an object");
        }
        return names;
    }

    /// The layer names of `input_layers` / `output_layers`: a list of [name, node, tensor]
    /// entries (Keras 2), or one such entry by itself, ["x", 0, 0] (Keras 3 for a single
    /// tensor), or a dict of entries (Keras 3 for named inputs), in their order.
    static std::vector<std::string> layer_refs(const json& refs) {
        std::vector<std::string> names;
        if (refs.is_array() && !refs.empty() && refs[0].is_string()) return {refs[0].get<std::string>()};
        if (refs.is_array() || refs.is_object())
            for (const auto& e : refs)
                if (e.is_array() && !e.empty() && e[0].is_string()) names.push_back(e[0].get<std::string>());
        return names;
    }

    /// A layer's "config" object, or an empty one; by reference, so a deep model copies nothing.
    static const json& layer_config(const json& layer) {
        static const json empty = json::object();
        if (!layer.is_object()) return empty;
        const auto it = layer.find("config");
        return it == layer.end() ? empty : *it;
    }

    static std::string layer_name(const json& layer, const std::string& where) {
        std::string name;
        if (layer.is_object()) {
            if (auto it = layer.find("name"); it != layer.end() && it->is_string()) name = it->get<std::string>();
            else if (auto c = layer.find("config"); c != layer.end() && c->is_object())
                if (auto n = c->find("name"); n != c->end() && n->is_string()) name = n->get<std::string>();
        }
        if (name.empty()) config_error(where, "has a layer without a name");
        // A NUL would cut the name wherever it is used as a C string (HDF5 paths): refuse it.
        if (name.find('\0') != std::string::npos) config_error(where, "has a layer name with a NUL character");
        return name;
    }

    void add_input(const std::string& name, const json& cfg, const std::string& nested_in, const std::string& fed_by) {
        KerasInputConfig in{name, input_shape_of(cfg, where_ + ", layer " + name), nested_in, fed_by};
        (nested_in.empty() ? out_.inputs : out_.nested_inputs).push_back(std::move(in));
    }

    std::vector<std::string> functional(const json& config, const std::vector<std::string>& feeding, const std::string& nested_in) {
        const std::string where = where_;
        const json& layers = member(config, "layers", where);
        if (!layers.is_array()) config_error(where, "'layers' should be a list, it is " + json_type(layers));
        // Inputs in input_layers order; a top-level model's inputs are all "the model input".
        std::vector<std::string> input_order;
        if (auto it = config.find("input_layers"); it != config.end()) input_order = layer_refs(*it);
        std::map<std::string, std::string> resolved;  // name in this model → resolved name
        auto resolve = [&](const std::string& n) {
            const auto it = resolved.find(n);
            return it == resolved.end() ? n : it->second;
        };
        for (const auto& layer : layers) {
            const std::string name = layer_name(layer, where);
            const std::string cls = string_member(layer, "class_name", where + ", layer " + name);
            const json& cfg = layer_config(layer);
            std::vector<std::string> ins;
            if (auto it = layer.find("inbound_nodes"); it != layer.end() && !it->is_null()) {
                if (!it->is_array()) config_error(where + ", layer " + name, "'inbound_nodes' should be a list, it is " + json_type(*it));
                if (!it->empty())
                    for (const auto& src : node_sources((*it)[0], where + ", layer " + name)) ins.push_back(resolve(src));
            }
            if (cls == "InputLayer") {
                std::string fed = "";
                if (!nested_in.empty()) {
                    const auto pos = std::find(input_order.begin(), input_order.end(), name) - input_order.begin();
                    const auto k = static_cast<std::size_t>(pos);
                    fed = k < feeding.size() ? feeding[k] : (feeding.empty() ? std::string() : feeding.front());
                }
                resolved[name] = fed;
                add_input(name, cfg, nested_in, fed);
            } else if (is_model_class(cls)) {
                out_.nested_models.push_back(path_join(nested_in, name));
                out_.nested_model_classes.push_back(cls);
                const auto outs = model(cls, cfg, ins, path_join(nested_in, name));
                resolved[name] = outs.empty() ? name : outs.front();
            } else {
                resolved[name] = name;
                out_.layers.push_back({name, cls, cfg, std::move(ins), nested_in});
            }
        }
        std::vector<std::string> outs;
        if (auto it = config.find("output_layers"); it != config.end())
            for (const auto& name : layer_refs(*it)) outs.push_back(resolve(name));
        return outs;
    }

    std::vector<std::string> sequential(const json& config, const std::vector<std::string>& feeding, const std::string& nested_in) {
        const std::string where = where_;
        const json& layers = config.is_array() ? config : member(config, "layers", where);
        if (!layers.is_array()) config_error(where, "Sequential 'layers' should be a list, it is " + json_type(layers));
        std::string prev = feeding.empty() ? std::string() : feeding.front();
        bool first = true;
        for (const auto& layer : layers) {
            const std::string name = layer_name(layer, where);
            const std::string cls = string_member(layer, "class_name", where + ", layer " + name);
            const json& cfg = layer_config(layer);
            if (cls == "InputLayer") {
                add_input(name, cfg, nested_in, prev);
                first = false;
                continue;
            }
            if (first && !input_shape_of(cfg, where + ", layer " + name).empty()) add_input(name + "_input", cfg, nested_in, prev);
            first = false;
            if (is_model_class(cls)) {
                out_.nested_models.push_back(path_join(nested_in, name));
                out_.nested_model_classes.push_back(cls);
                const auto outs = model(cls, cfg, {prev}, path_join(nested_in, name));
                prev = outs.empty() ? name : outs.front();
            } else {
                out_.layers.push_back({name, cls, cfg, {prev}, nested_in});
                prev = name;
            }
        }
        return {prev};
    }

    KerasModelConfig& out_;
    std::string where_;
};

}  // namespace detail

/// How deep a model_config may nest (objects and arrays). Real ones stay below 20 even with a
/// few nested models; the limit keeps hostile documents from exhausting the stack.
inline constexpr int max_model_config_depth = 256;

/// Parses a model_config JSON document; `where` names its origin in error messages. Throws
/// io_error (naming `where`) if it is not JSON, nests deeper than max_model_config_depth, or is
/// not a Keras model configuration.
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE KerasModelConfig parse_keras_model_config(std::string_view json_text,
                                                                 const std::string& where = "model_config");
}  // inline namespace INNSPECT_KERAS_MODE_NS

/// How a Keras 3 weight file addresses the layers of `config` (see Keras3Layer): the model's
/// layers by class, in its order, nested models with theirs.
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE std::vector<Keras3Layer> keras3_plan(const KerasModelConfig& config);
}  // inline namespace INNSPECT_KERAS_MODE_NS

#if INNSPECT_KERAS_DEFINITIONS
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE KerasModelConfig parse_keras_model_config(std::string_view json_text, const std::string& where) {
    detail::json doc;
    // Refused while parsing, before anything walks the document: every later step (nested models,
    // node arguments) may recurse as deep as the document is.
    const auto depth_guard = [&](int depth, detail::json::parse_event_t, detail::json&) {
        if (depth > max_model_config_depth)
            throw io_error(where + ": model_config nests deeper than " + std::to_string(max_model_config_depth) +
                           " levels; a Keras model config does not");
        return true;
    };
    try {
        doc = detail::json::parse(json_text.begin(), json_text.end(), depth_guard);
    } catch (const detail::json::exception& e) {
        throw io_error(where + ": model_config is not valid JSON (" + e.what() + ")");
    }
    KerasModelConfig out;
    out.class_name = detail::string_member(doc, "class_name", where);
    if (!detail::is_model_class(out.class_name))
        detail::config_error(where, "describes a " + out.class_name + ", not a Model, Functional or Sequential model");
    const detail::json& config = detail::member(doc, "config", where);
    if (config.is_object())
        if (auto it = config.find("name"); it != config.end() && it->is_string()) out.name = it->get<std::string>();
    detail::ConfigFlattener(out, where).model(out.class_name, config, {""}, "");
    return out;
}
}  // inline namespace INNSPECT_KERAS_MODE_NS

namespace detail {

/// What Keras 3 stores in vars/0, vars/1, ... for a layer of this class and config (Keras's
/// build() order); {} for a class not listed (then the C++ layer's order is used).
inline std::vector<std::string> keras3_roles(const KerasLayerConfig& l) {
    const auto flag = [&](const char* key) {
        const auto it = l.config.find(key);
        return it == l.config.end() || !it->is_boolean() || it->get<bool>();  // Keras's default: true
    };
    static const std::set<std::string, std::less<>> kernel_bias = {
        "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"};
    if (kernel_bias.count(l.class_name) != 0)
        return flag("use_bias") ? std::vector<std::string>{"kernel", "bias"} : std::vector<std::string>{"kernel"};
    if (l.class_name == "BatchNormalization") {
        std::vector<std::string> r;
        if (flag("scale")) r.push_back("gamma");
        if (flag("center")) r.push_back("beta");
        r.push_back("moving_mean");
        r.push_back("moving_variance");
        return r;
    }
    if (l.class_name == "PReLU") return {"alpha"};
    return {};
}

inline std::vector<Keras3Layer> keras3_members(const KerasModelConfig& config, const std::string& container) {
    std::vector<Keras3Layer> out;
    for (std::size_t i = 0; i < config.nested_models.size(); ++i) {
        const auto& path = config.nested_models[i];
        const auto slash = path.rfind('/');
        const std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
        const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
        if (parent != container) continue;
        const std::string cls = i < config.nested_model_classes.size() ? config.nested_model_classes[i] : "Functional";
        out.push_back({name, cls, {}, keras3_members(config, path)});
    }
    for (const auto& l : config.layers)
        if (l.nested_in == container) out.push_back({l.name, l.class_name, keras3_roles(l), {}});
    return out;
}

}  // namespace detail

inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE std::vector<Keras3Layer> keras3_plan(const KerasModelConfig& config) {
    return detail::keras3_members(config, "");
}
}  // inline namespace INNSPECT_KERAS_MODE_NS
#endif

}  // namespace innspect::io

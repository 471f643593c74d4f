#pragma once
/// \file
/// Checking a C++ model against the architecture a Keras file was saved with, before its weights
/// are loaded. Optional part, like keras_h5.hpp: needs HDF5 (`innspect::hdf5`) and nlohmann-json.
///
/// `model.save()` stores the architecture as the root attribute `model_config`, a JSON document
/// (Keras 2.x, here as written by 2.2.4):
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
/// The comparison pairs the file's layers with the C++ layers by name (longest common
/// subsequence, so one missing layer does not shift every later pair), then by position between
/// name matches, and reports every difference, one line each, e.g.
///
///   conv1: kernel (1,90) in C++, (1,89) in the file
///   input_1: input shape (16,16,1) in C++, (16,17,1) in the file
///   dropout_3: Dropout in the file, not in C++
///
/// Compared, where the layer type has it: type (Keras class name), name, the layer's input,
/// filters / units, kernel, strides, padding, activation (for ReLU-like activations also
/// max_value, negative_slope, threshold; alpha for LeakyReLU), use_bias, pool_size, target_shape,
/// the amounts of ZeroPadding2D / Cropping2D, UpSampling2D size, BatchNormalization epsilon /
/// center / scale, Dropout rate, the input shape (InputLayer or Sequential batch_input_shape;
/// a nested model's InputLayer against the C++ layer feeding it), and settings innspect does not
/// implement (dilation_rate ≠ 1, channels_first, Conv2DTranspose output_padding, bilinear
/// upsampling, batch normalisation over another axis).
/// Activation(relu), ReLU() and a fused relu are the same function: Activation / ReLU /
/// LeakyReLU layers are compared by their activation, not their class name.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/layer_kind.hpp"
#include "innspect/io/keras_h5.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/reshape.hpp"

namespace innspect {

/// A Keras file's architecture differs from the C++ model. what() lists every difference, one a
/// line; `differences` holds the same lines.
struct architecture_error : error {
    std::vector<std::string> differences;
    architecture_error(const std::string& what, std::vector<std::string> diffs)
        : error(what), differences(std::move(diffs)) {}
};

namespace io {

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
};

/// The outcome of a comparison.
struct ArchitectureReport {
    std::string source;                     ///< where the config came from (file path or "model_config")
    std::string model_name, class_name;     ///< the file's model name and class
    std::size_t compared = 0;               ///< layers paired and compared
    std::vector<std::string> differences;   ///< one line each; empty when the architectures agree
    std::vector<std::string> notes;         ///< nested models flattened, fields innspect cannot compare

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
inline std::vector<std::int64_t> input_shape_of(const json& cfg) {
    const json* s = nullptr;
    if (cfg.is_object()) {
        if (auto it = cfg.find("batch_input_shape"); it != cfg.end()) s = &*it;
        else if (auto it2 = cfg.find("batch_shape"); it2 != cfg.end()) s = &*it2;
    }
    std::vector<std::int64_t> out;
    if (s == nullptr || !s->is_array() || s->empty()) return out;
    for (std::size_t i = 1; i < s->size(); ++i)
        out.push_back((*s)[i].is_number_integer() ? (*s)[i].get<std::int64_t>() : -1);
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
    static std::vector<std::string> node_sources(const json& node) {
        std::vector<std::string> names;
        if (node.is_array()) {
            for (const auto& e : node)
                if (e.is_array() && !e.empty() && e[0].is_string()) names.push_back(e[0].get<std::string>());
        } else if (node.is_object()) {
            auto walk = [&](auto&& self, const json& j) -> void {
                if (j.is_object()) {
                    if (auto it = j.find("keras_history"); it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
                        names.push_back((*it)[0].get<std::string>());
                        return;
                    }
                    for (const auto& v : j) self(self, v);  // an object's values
                } else if (j.is_array()) {
                    for (const auto& v : j) self(self, v);
                }
            };
            if (auto it = node.find("args"); it != node.end()) walk(walk, *it);
        }
        return names;
    }

    static std::string layer_name(const json& layer, const std::string& where) {
        if (layer.is_object()) {
            if (auto it = layer.find("name"); it != layer.end() && it->is_string()) return it->get<std::string>();
            if (auto it = layer.find("config"); it != layer.end() && it->is_object())
                if (auto n = it->find("name"); n != it->end() && n->is_string()) return n->get<std::string>();
        }
        config_error(where, "has a layer without a name");
    }

    void add_input(const std::string& name, const json& cfg, const std::string& nested_in, const std::string& fed_by) {
        KerasInputConfig in{name, input_shape_of(cfg), nested_in, fed_by};
        (nested_in.empty() ? out_.inputs : out_.nested_inputs).push_back(std::move(in));
    }

    std::vector<std::string> functional(const json& config, const std::vector<std::string>& feeding, const std::string& nested_in) {
        const std::string where = where_;
        const json& layers = member(config, "layers", where);
        if (!layers.is_array()) config_error(where, "'layers' should be a list, it is " + json_type(layers));
        // Inputs in input_layers order; a top-level model's inputs are all "the model input".
        std::vector<std::string> input_order;
        if (auto it = config.find("input_layers"); it != config.end() && it->is_array())
            for (const auto& e : *it)
                if (e.is_array() && !e.empty() && e[0].is_string()) input_order.push_back(e[0].get<std::string>());
        std::map<std::string, std::string> resolved;  // name in this model → resolved name
        auto resolve = [&](const std::string& n) {
            const auto it = resolved.find(n);
            return it == resolved.end() ? n : it->second;
        };
        for (const auto& layer : layers) {
            const std::string name = layer_name(layer, where);
            const std::string cls = string_member(layer, "class_name", where + ", layer " + name);
            const json cfg = layer.contains("config") ? layer.at("config") : json::object();
            std::vector<std::string> ins;
            if (auto it = layer.find("inbound_nodes"); it != layer.end() && it->is_array() && !it->empty())
                for (const auto& src : node_sources((*it)[0])) ins.push_back(resolve(src));
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
                const auto outs = model(cls, cfg, ins, path_join(nested_in, name));
                resolved[name] = outs.empty() ? name : outs.front();
            } else {
                resolved[name] = name;
                out_.layers.push_back({name, cls, cfg, std::move(ins), nested_in});
            }
        }
        std::vector<std::string> outs;
        if (auto it = config.find("output_layers"); it != config.end() && it->is_array())
            for (const auto& e : *it)
                if (e.is_array() && !e.empty() && e[0].is_string()) outs.push_back(resolve(e[0].get<std::string>()));
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
            const json cfg = layer.contains("config") ? layer.at("config") : json::object();
            if (cls == "InputLayer") {
                add_input(name, cfg, nested_in, prev);
                first = false;
                continue;
            }
            if (first && !input_shape_of(cfg).empty()) add_input(name + "_input", cfg, nested_in, prev);
            first = false;
            if (is_model_class(cls)) {
                out_.nested_models.push_back(path_join(nested_in, name));
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

/// Parses a model_config JSON document; `where` names its origin in error messages. Throws
/// io_error (naming `where`) if it is not JSON or not a Keras model configuration.
inline KerasModelConfig parse_keras_model_config(std::string_view json_text, const std::string& where = "model_config") {
    detail::json doc;
    try {
        doc = detail::json::parse(json_text.begin(), json_text.end());
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

namespace detail {

/// One compared property: its text as printed, and numbers when it is numeric (compared with a
/// relative tolerance of 1e-6, so float32-rounded values in a config still match).
struct ArchField {
    std::string key;
    std::string text;
    std::vector<double> numbers;
};

struct ArchLayer {
    std::string name, type, nested_in;
    bool has_input = false;
    std::string input;  ///< "" = the model input
    std::vector<ArchField> fields;
};

inline std::string number_text(double v) {
    if (std::isinf(v)) return "none";
    std::ostringstream os;
    os << v;
    return os.str();
}

inline ArchField numbers_field(std::string key, std::vector<double> v) {
    std::string t;
    if (v.size() == 1) {
        t = number_text(v[0]);
    } else {
        t = "(";
        for (std::size_t i = 0; i < v.size(); ++i) t += (i ? "," : "") + number_text(v[i]);
        t += ")";
    }
    return {std::move(key), std::move(t), std::move(v)};
}
inline ArchField text_field(std::string key, std::string text) { return {std::move(key), std::move(text), {}}; }
inline ArchField bool_field(std::string key, bool b) { return text_field(std::move(key), b ? "true" : "false"); }
/// ((top,bottom),(left,right))
inline ArchField four_field(std::string key, double t, double b, double l, double r) {
    ArchField f{std::move(key), {}, {t, b, l, r}};
    f.text = "((" + number_text(t) + "," + number_text(b) + "),(" + number_text(l) + "," + number_text(r) + "))";
    return f;
}

inline bool same_value(const ArchField& a, const ArchField& b) {
    if (!a.numbers.empty() && a.numbers.size() == b.numbers.size()) {
        for (std::size_t i = 0; i < a.numbers.size(); ++i) {
            const double x = a.numbers[i], y = b.numbers[i];
            if (x == y) continue;
            if (std::isinf(x) || std::isinf(y) || !(std::abs(x - y) <= 1e-6 * std::max(std::abs(x), std::abs(y))))
                return false;
        }
        return true;
    }
    return a.text == b.text;
}

inline std::string shape_text(const std::vector<std::int64_t>& s) {
    std::string t = "(";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + (s[i] < 0 ? std::string("None") : std::to_string(s[i]));
    return t + (s.size() == 1 ? ",)" : ")");
}

inline bool shape_matches(const std::vector<std::int64_t>& cpp, const std::vector<std::int64_t>& file) {
    if (cpp.size() != file.size()) return false;
    for (std::size_t i = 0; i < cpp.size(); ++i)
        if (file[i] >= 0 && file[i] != cpp[i]) return false;
    return true;
}

// ---- the C++ side -------------------------------------------------------------------------------

template <fixed_string N>
std::true_type flatten_probe(const Flatten<N>*);
std::false_type flatten_probe(const void*);
template <fixed_string N, double M, double S, double T>
std::true_type relu_layer_probe(const ReLU<N, M, S, T>*);
std::false_type relu_layer_probe(const void*);

template <class Spec>
inline constexpr bool is_flatten_spec = decltype(flatten_probe(static_cast<const Spec*>(nullptr)))::value;
template <class Spec>
inline constexpr bool is_relu_layer_spec = decltype(relu_layer_probe(static_cast<const Spec*>(nullptr)))::value;

/// "relu" with max_value / negative_slope / threshold, "leaky_relu" with alpha, or the name.
template <class Act>
void activation_fields(std::vector<ArchField>& f) {
    f.push_back(text_field("activation", std::string(Act::name)));
    if constexpr (requires { Act::max_value; Act::negative_slope; Act::threshold; }) {
        f.push_back(numbers_field("max_value", {Act::max_value}));
        f.push_back(numbers_field("negative_slope", {Act::negative_slope}));
        f.push_back(numbers_field("threshold", {Act::threshold}));
    } else if constexpr (std::is_same_v<Act, Relu>) {
        f.push_back(numbers_field("max_value", {std::numeric_limits<double>::infinity()}));
        f.push_back(numbers_field("negative_slope", {0.0}));
        f.push_back(numbers_field("threshold", {0.0}));
    } else if constexpr (requires { Act::slope; }) {
        f.push_back(numbers_field("alpha", {Act::slope}));
    }
}

inline std::string padding_text(Padding p) { return p == Padding::same ? "same" : "valid"; }

template <class Model, std::size_t I>
ArchLayer describe_cpp_layer() {
    using node = typename Model::template node<I>;
    using L = typename node::layer;
    using S = typename node::spec;
    const LayerInfo& info = Model::layer_infos()[I];
    ArchLayer d;
    d.name = std::string(info.name);
    d.has_input = true;
    d.input = info.parent < 0 ? std::string() : std::string(Model::layer_infos()[static_cast<std::size_t>(info.parent)].name);
    auto& f = d.fields;
    switch (info.kind) {
        case LayerKind::avg_pool: d.type = info.out_rank == 1 ? "GlobalAveragePooling2D" : "AveragePooling2D"; break;
        case LayerKind::reshape: d.type = is_flatten_spec<S> ? "Flatten" : "Reshape"; break;
        case LayerKind::activation: d.type = is_relu_layer_spec<S> ? "ReLU" : "Activation"; break;
        case LayerKind::dropout:
            if constexpr (requires { S::spatial; })
                d.type = S::spatial ? "SpatialDropout2D" : "Dropout";
            else
                d.type = "Dropout";
            break;
        default: d.type = std::string(kind_name(info.kind)); break;
    }
    if (d.type == "Conv2D" || d.type == "Conv2DTranspose" || d.type == "Dense") {
        if constexpr (requires { L::filters; }) f.push_back(numbers_field("filters", {double(L::filters)}));
        if constexpr (requires { L::units; }) f.push_back(numbers_field("units", {double(L::units)}));
        if constexpr (requires { L::kernel_size::h; L::kernel_size::w; })
            f.push_back(numbers_field("kernel", {double(L::kernel_size::h), double(L::kernel_size::w)}));
        if constexpr (requires { L::strides::h; L::strides::w; })
            f.push_back(numbers_field("strides", {double(L::strides::h), double(L::strides::w)}));
        if constexpr (requires { L::padding; }) f.push_back(text_field("padding", padding_text(L::padding)));
        activation_fields<typename L::activation>(f);
        if constexpr (requires { L::use_bias; }) f.push_back(bool_field("use_bias", L::use_bias));
    } else if (d.type == "MaxPooling2D" || d.type == "AveragePooling2D") {
        if constexpr (requires { L::pool_size::h; L::pool_strides::h; L::padding; }) {
            f.push_back(numbers_field("pool_size", {double(L::pool_size::h), double(L::pool_size::w)}));
            f.push_back(numbers_field("strides", {double(L::pool_strides::h), double(L::pool_strides::w)}));
            f.push_back(text_field("padding", padding_text(L::padding)));
        }
    } else if (d.type == "UpSampling2D") {
        if constexpr (requires { L::size::h; L::size::w; })
            f.push_back(numbers_field("size", {double(L::size::h), double(L::size::w)}));
    } else if (d.type == "ZeroPadding2D" || d.type == "Cropping2D") {
        if constexpr (requires { L::top; L::bottom; L::left; L::right; })
            f.push_back(four_field(d.type == "ZeroPadding2D" ? "padding" : "cropping", L::top, L::bottom, L::left, L::right));
    } else if (d.type == "BatchNormalization") {
        if constexpr (requires { L::epsilon; L::center; L::scale; }) {
            f.push_back(numbers_field("epsilon", {double(L::epsilon)}));
            f.push_back(bool_field("center", L::center));
            f.push_back(bool_field("scale", L::scale));
        }
    } else if (d.type == "Activation" || d.type == "ReLU") {
        activation_fields<typename L::activation>(f);
    } else if (d.type == "Reshape") {
        const auto k = info.output_keras_shape();
        f.push_back(numbers_field("target_shape", std::vector<double>(k.begin(), k.end())));
    } else if (d.type == "Dropout" || d.type == "SpatialDropout2D") {
        if constexpr (requires { S::rate; }) f.push_back(numbers_field("rate", {double(S::rate)}));
    }
    return d;
}

template <class Model>
std::vector<ArchLayer> describe_cpp_model() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::vector<ArchLayer>{describe_cpp_layer<Model, I>()...};
    }(std::make_index_sequence<Model::size>{});
}

// ---- the file side ------------------------------------------------------------------------------

inline const json* find_key(const json& cfg, const char* key) {
    if (!cfg.is_object()) return nullptr;
    const auto it = cfg.find(key);
    return it == cfg.end() || it->is_null() ? nullptr : &*it;
}

/// An int or a list of ints (kernel_size: 3 or [3, 3]) as `n` numbers; nullopt if malformed.
inline std::vector<double> int_list(const json* v, std::size_t n, std::vector<double> fallback) {
    if (v == nullptr) return fallback;
    if (v->is_number()) return std::vector<double>(n, v->get<double>());
    std::vector<double> out;
    if (v->is_array())
        for (const auto& e : *v) out.push_back(e.is_number() ? e.get<double>() : -1.0);
    return out;
}

/// int | (sym_h, sym_w) | ((top, bottom), (left, right)) → {top, bottom, left, right}.
inline std::vector<double> four_amounts(const json* v, double fallback) {
    if (v == nullptr) return {fallback, fallback, fallback, fallback};
    if (v->is_number()) return std::vector<double>(4, v->get<double>());
    if (v->is_array() && v->size() == 2) {
        const json &a = (*v)[0], &b = (*v)[1];
        if (a.is_number() && b.is_number()) return {a.get<double>(), a.get<double>(), b.get<double>(), b.get<double>()};
        if (a.is_array() && b.is_array() && a.size() == 2 && b.size() == 2 && a[0].is_number() && a[1].is_number() &&
            b[0].is_number() && b[1].is_number())
            return {a[0].get<double>(), a[1].get<double>(), b[0].get<double>(), b[1].get<double>()};
    }
    return {-1, -1, -1, -1};
}

inline std::string string_or(const json& cfg, const char* key, std::string fallback) {
    const json* v = find_key(cfg, key);
    if (v == nullptr) return fallback;
    return v->is_string() ? v->get<std::string>() : v->dump();
}
inline double number_or(const json& cfg, const char* key, double fallback) {
    const json* v = find_key(cfg, key);
    return v != nullptr && v->is_number() ? v->get<double>() : fallback;
}
inline bool bool_or(const json& cfg, const char* key, bool fallback) {
    const json* v = find_key(cfg, key);
    return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

/// A Keras activation name with its parameters, as activation_fields<Act>() spells them.
inline void file_activation_fields(std::vector<ArchField>& f, const std::string& name) {
    f.push_back(text_field("activation", name));
    if (name == "relu") {
        f.push_back(numbers_field("max_value", {std::numeric_limits<double>::infinity()}));
        f.push_back(numbers_field("negative_slope", {0.0}));
        f.push_back(numbers_field("threshold", {0.0}));
    }
}

/// Settings innspect cannot run, as differences (the C++ layer has no such option).
inline void unsupported_settings(const KerasLayerConfig& l, std::vector<std::string>& diffs, const std::string& label) {
    const json& c = l.config;
    if (const json* df = find_key(c, "data_format"); df != nullptr && df->is_string() && df->get<std::string>() != "channels_last")
        diffs.push_back(label + ": data_format " + df->get<std::string>() + " in the file; innspect is channels_last only");
    if (l.class_name == "Conv2D" || l.class_name == "Conv2DTranspose") {
        const auto dil = int_list(find_key(c, "dilation_rate"), 2, {1, 1});
        if (dil != std::vector<double>{1, 1})
            diffs.push_back(label + ": dilation_rate " + numbers_field("", dil).text +
                            " in the file; innspect has no dilation, (1,1) only");
    }
    if (l.class_name == "Conv2DTranspose")
        if (const json* op = find_key(c, "output_padding"))
            diffs.push_back(label + ": output_padding " + op->dump() + " in the file; innspect supports none (null) only");
    if (l.class_name == "UpSampling2D") {
        const std::string interp = string_or(c, "interpolation", "nearest");
        if (interp != "nearest")
            diffs.push_back(label + ": interpolation " + interp + " in the file; innspect upsamples nearest only");
    }
    if (l.class_name == "BatchNormalization") {
        const json* ax = find_key(c, "axis");
        bool last = ax == nullptr;
        if (ax != nullptr && ax->is_number_integer()) last = ax->get<int>() == -1 || ax->get<int>() == 3;
        if (ax != nullptr && ax->is_array() && ax->size() == 1 && (*ax)[0].is_number_integer())
            last = (*ax)[0].get<int>() == -1 || (*ax)[0].get<int>() == 3;
        if (!last)
            diffs.push_back(label + ": axis " + ax->dump() + " in the file; innspect normalises the last (channel) axis only");
    }
}

inline ArchLayer describe_file_layer(const KerasLayerConfig& l) {
    ArchLayer d;
    d.name = l.name;
    d.type = l.class_name;
    d.nested_in = l.nested_in;
    d.has_input = l.inputs.size() == 1;
    if (d.has_input) d.input = l.inputs.front();
    const json& c = l.config;
    auto& f = d.fields;
    const std::string& t = l.class_name;
    if (t == "Conv2D" || t == "Conv2DTranspose" || t == "Dense") {
        if (t == "Dense")
            f.push_back(numbers_field("units", {number_or(c, "units", -1)}));
        else {
            f.push_back(numbers_field("filters", {number_or(c, "filters", -1)}));
            f.push_back(numbers_field("kernel", int_list(find_key(c, "kernel_size"), 2, {-1, -1})));
            f.push_back(numbers_field("strides", int_list(find_key(c, "strides"), 2, {1, 1})));
            f.push_back(text_field("padding", string_or(c, "padding", "valid")));
        }
        file_activation_fields(f, string_or(c, "activation", "linear"));
        f.push_back(bool_field("use_bias", bool_or(c, "use_bias", true)));
    } else if (t == "MaxPooling2D" || t == "AveragePooling2D") {
        const auto pool = int_list(find_key(c, "pool_size"), 2, {2, 2});
        f.push_back(numbers_field("pool_size", pool));
        f.push_back(numbers_field("strides", int_list(find_key(c, "strides"), 2, pool)));
        f.push_back(text_field("padding", string_or(c, "padding", "valid")));
    } else if (t == "UpSampling2D") {
        f.push_back(numbers_field("size", int_list(find_key(c, "size"), 2, {2, 2})));
    } else if (t == "ZeroPadding2D") {
        const auto a = four_amounts(find_key(c, "padding"), 1);
        f.push_back(four_field("padding", a[0], a[1], a[2], a[3]));
    } else if (t == "Cropping2D") {
        const auto a = four_amounts(find_key(c, "cropping"), 0);
        f.push_back(four_field("cropping", a[0], a[1], a[2], a[3]));
    } else if (t == "BatchNormalization") {
        f.push_back(numbers_field("epsilon", {number_or(c, "epsilon", 1e-3)}));
        f.push_back(bool_field("center", bool_or(c, "center", true)));
        f.push_back(bool_field("scale", bool_or(c, "scale", true)));
    } else if (t == "Activation") {
        file_activation_fields(f, string_or(c, "activation", "linear"));
    } else if (t == "ReLU") {
        f.push_back(text_field("activation", "relu"));
        f.push_back(numbers_field("max_value", {number_or(c, "max_value", std::numeric_limits<double>::infinity())}));
        f.push_back(numbers_field("negative_slope", {number_or(c, "negative_slope", 0.0)}));
        f.push_back(numbers_field("threshold", {number_or(c, "threshold", 0.0)}));
    } else if (t == "LeakyReLU") {
        f.push_back(text_field("activation", "leaky_relu"));
        f.push_back(numbers_field("alpha", {number_or(c, "alpha", number_or(c, "negative_slope", 0.3))}));
    } else if (t == "Reshape") {
        f.push_back(numbers_field("target_shape", int_list(find_key(c, "target_shape"), 1, {})));
    } else if (t == "Dropout" || t == "SpatialDropout2D") {
        f.push_back(numbers_field("rate", {number_or(c, "rate", 0.5)}));
    }
    return d;
}

inline bool known_keras_class(const std::string& t) {
    static const char* const known[] = {"Conv2D", "Conv2DTranspose", "Dense", "MaxPooling2D", "AveragePooling2D",
                                        "GlobalAveragePooling2D", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
                                        "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "Reshape", "Flatten",
                                        "Dropout", "SpatialDropout2D"};
    return std::find(std::begin(known), std::end(known), t) != std::end(known);
}

inline bool activation_family(const std::string& t) { return t == "Activation" || t == "ReLU" || t == "LeakyReLU"; }

inline std::string input_text(const std::string& in) { return in.empty() ? "the model input" : in; }

/// Pairs of indices (C++, file): name matches by longest common subsequence, then positional
/// pairs between them; −1 on one side for a layer only the other has.
inline std::vector<std::pair<int, int>> align(const std::vector<ArchLayer>& a, const std::vector<ArchLayer>& b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<int>> L(n + 1, std::vector<int>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;)
        for (std::size_t j = m; j-- > 0;)
            L[i][j] = a[i].name == b[j].name ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
    std::vector<std::pair<std::size_t, std::size_t>> anchors;
    for (std::size_t i = 0, j = 0; i < n && j < m;) {
        if (a[i].name == b[j].name) {
            anchors.emplace_back(i++, j++);
        } else if (L[i + 1][j] >= L[i][j + 1]) {
            ++i;
        } else {
            ++j;
        }
    }
    anchors.emplace_back(n, m);  // sentinel
    std::vector<std::pair<int, int>> out;
    std::size_t i = 0, j = 0;
    for (const auto& [ai, aj] : anchors) {
        while (i < ai && j < aj) out.emplace_back(static_cast<int>(i++), static_cast<int>(j++));
        // What is left of a gap: a file layer goes before a C++ one, as the file lists it there.
        while (j < aj) out.emplace_back(-1, static_cast<int>(j++));
        while (i < ai) out.emplace_back(static_cast<int>(i++), -1);
        if (ai < n) out.emplace_back(static_cast<int>(i++), static_cast<int>(j++));
    }
    return out;
}

}  // namespace detail

/// Compares `Model` (an innspect::Model type) with a parsed model_config, without throwing.
template <class Model>
ArchitectureReport compare_architecture(const KerasModelConfig& config, std::string source = "model_config") {
    using namespace detail;
    ArchitectureReport rep;
    rep.source = std::move(source);
    rep.model_name = config.name;
    rep.class_name = config.class_name;
    for (const auto& nm : config.nested_models) rep.notes.push_back("nested model " + nm + " flattened into its layers");

    const std::vector<ArchLayer> cpp = describe_cpp_model<Model>();
    std::vector<ArchLayer> file;
    for (const auto& l : config.layers) file.push_back(describe_file_layer(l));
    auto& diffs = rep.differences;
    auto nested_label = [](const ArchLayer& l) {
        return l.nested_in.empty() ? std::string() : " (in nested model " + l.nested_in + ")";
    };

    // The model input.
    const std::vector<std::int64_t> cpp_in = Model::input_shape::keras();
    if (config.inputs.empty()) {
        rep.notes.push_back("the file states no input shape; input shape not compared");
    } else {
        if (config.inputs.size() > 1) {
            std::string names;
            for (const auto& in : config.inputs) names += (names.empty() ? "" : ", ") + in.name;
            diffs.push_back("inputs: 1 in C++, " + std::to_string(config.inputs.size()) + " in the file (" + names + ")");
        }
        const auto& in = config.inputs.front();
        if (in.shape.empty())
            rep.notes.push_back(in.name + ": no shape in the file; input shape not compared");
        else if (!shape_matches(cpp_in, in.shape))
            diffs.push_back(in.name + ": input shape " + shape_text(cpp_in) + " in C++, " + shape_text(in.shape) +
                            " in the file");
    }

    // Layer by layer.
    const auto pairs = align(cpp, file);
    std::map<std::string, std::string> paired_name;  // C++ name → the file name it was paired with
    paired_name[""] = "";
    for (const auto& [ci, fj] : pairs)
        if (ci >= 0 && fj >= 0) paired_name[cpp[static_cast<std::size_t>(ci)].name] = file[static_cast<std::size_t>(fj)].name;
    for (const auto& [ci, fj] : pairs) {
        if (fj < 0) {
            const auto& c = cpp[static_cast<std::size_t>(ci)];
            diffs.push_back(c.name + ": " + c.type + " in C++, not in the file");
            continue;
        }
        const auto& fl = config.layers[static_cast<std::size_t>(fj)];
        const auto& f = file[static_cast<std::size_t>(fj)];
        if (ci < 0) {
            diffs.push_back(f.name + ": " + f.type + " in the file" + nested_label(f) + ", not in C++" +
                            (known_keras_class(f.type) ? "" : " (innspect has no such layer)"));
            continue;
        }
        const auto& c = cpp[static_cast<std::size_t>(ci)];
        ++rep.compared;
        const std::string& label = c.name;
        if (c.name != f.name)
            diffs.push_back(label + ": name " + c.name + " in C++, " + f.name + " in the file" + nested_label(f));
        if (!known_keras_class(f.type)) {
            diffs.push_back(label + ": type " + c.type + " in C++, " + f.type + " in the file (innspect has no such layer)");
            continue;
        }
        if (c.type != f.type && !(activation_family(c.type) && activation_family(f.type))) {
            diffs.push_back(label + ": type " + c.type + " in C++, " + f.type + " in the file");
            continue;
        }
        // Its input (graph structure); names are compared after mapping the pair's names.
        if (fl.inputs.size() > 1) {
            std::string names;
            for (const auto& s : fl.inputs) names += (names.empty() ? "" : ", ") + input_text(s);
            diffs.push_back(label + ": inputs 1 in C++, " + std::to_string(fl.inputs.size()) + " in the file (" + names + ")");
        } else if (f.has_input && c.input != f.input) {
            // A parent renamed but paired is reported once, at the parent itself.
            const auto it = paired_name.find(c.input);
            if (it == paired_name.end() || it->second != f.input)
                diffs.push_back(label + ": input " + input_text(c.input) + " in C++, " + input_text(f.input) + " in the file");
        }
        bool same_activation = true;
        for (const auto& cf : c.fields) {
            const auto it = std::find_if(f.fields.begin(), f.fields.end(), [&](const ArchField& x) { return x.key == cf.key; });
            if (it == f.fields.end()) continue;
            // Parameters of an activation only mean something when the activations agree.
            const bool activation_parameter =
                cf.key == "max_value" || cf.key == "negative_slope" || cf.key == "threshold" || cf.key == "alpha";
            if (activation_parameter && !same_activation) continue;
            if (!same_value(cf, *it)) {
                diffs.push_back(label + ": " + cf.key + " " + cf.text + " in C++, " + it->text + " in the file");
                if (cf.key == "activation") same_activation = false;
            }
        }
        unsupported_settings(fl, diffs, label);
    }

    // Nested models' inputs against what feeds them in C++.
    for (const auto& in : config.nested_inputs) {
        if (in.shape.empty()) continue;
        const std::string label = in.nested_in + "/" + in.name;
        if (in.fed_by.empty()) {
            if (!shape_matches(cpp_in, in.shape))
                diffs.push_back(label + ": input shape " + shape_text(in.shape) + " in the file, the C++ model input is " +
                                shape_text(cpp_in));
            continue;
        }
        for (const auto& info : Model::layer_infos())
            if (info.name == in.fed_by && !shape_matches(info.output_keras_shape(), in.shape))
                diffs.push_back(label + ": input shape " + shape_text(in.shape) + " in the file, C++ layer " + in.fed_by +
                                " gives " + shape_text(info.output_keras_shape()));
    }
    return rep;
}

/// Throws architecture_error listing every difference, or returns the (clean) report.
template <class Model>
ArchitectureReport check_architecture(const Model&, const KerasModelConfig& config, std::string source = "model_config") {
    ArchitectureReport rep = compare_architecture<Model>(config, std::move(source));
    if (!rep.ok()) throw architecture_error(rep.text(), rep.differences);
    return rep;
}

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

}  // namespace io
}  // namespace innspect

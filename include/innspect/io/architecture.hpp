#pragma once
/// \file
/// Checking a C++ model against the architecture a Keras file was saved with (a parsed
/// model_config, io/keras_json.hpp), before its weights are loaded. Needs nlohmann-json (the
/// `innspect::keras` CMake target), not HDF5; io/keras_model.hpp applies it to Keras files.
///
/// Every layer declaration states its Keras class and config values (its `keras` schema and
/// `keras_values`, layers/keras_schema.hpp); a file's layer is read through the schema of its
/// class (layers/keras_classes.hpp). So what is compared is what each layer header declares:
/// filters / units, kernel, strides, padding, activation (for ReLU-like activations also
/// max_value, negative_slope, threshold; alpha for LeakyReLU), use_bias, pool_size,
/// target_shape, padding and cropping amounts, upsampling size, batch-norm epsilon / center /
/// scale, dropout rate, dilation_rate, Concatenate's axis, which layers each layer reads — and the
/// settings innspect does not run (a transposed convolution's dilation_rate ≠ 1, channels_first,
/// Conv2DTranspose output_padding, bilinear upsampling, batch normalisation over another axis). A field of the wrong type in the file is an io_error naming layer and field.
/// Activation(relu), ReLU() and a fused relu are the same function: Activation / ReLU /
/// LeakyReLU layers are compared by their activation, not their class name.
///
/// The comparison pairs the file's layers with the C++ layers by name (longest common
/// subsequence, so one missing layer does not shift every later pair), then by position between
/// name matches, and reports every difference, one line each, e.g.
///
///   conv1: kernel (1,90) in C++, (1,89) in the file
///   input_1: input shape (16,16,1) in C++, (16,17,1) in the file
///   dropout_3: Dropout in the file, not in C++

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/cpp_architecture.hpp"
#include "innspect/io/keras_compiled.hpp"
#include "innspect/io/keras_json.hpp"
#include "innspect/layers/keras_classes.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect::io {

namespace detail {

using json = nlohmann::json;

/// Values are compared as numbers with a relative tolerance of 1e-6 (float32-rounded values
/// in a config still match), else as text.
inline bool same_value(const KerasValue& a, const KerasValue& b) {
    if (a.any_of && b.numbers.size() == 1)
        return std::any_of(a.numbers.begin(), a.numbers.end(), [&](double x) { return same_value({"", "", {x}}, b); });
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

// ---- the file side: a layer's config read through its class's schema ---------------------------

inline const json* find_key(const json& cfg, std::string_view key) {
    if (!cfg.is_object()) return nullptr;
    const auto it = cfg.find(key);
    return it == cfg.end() || it->is_null() ? nullptr : &*it;
}

/// The JSON value of a field (through its alias too), or nullptr when absent or null.
inline const json* field_value(const json& cfg, const KerasField& f) {
    if (const json* v = find_key(cfg, f.key)) return v;
    return f.alias.empty() ? nullptr : find_key(cfg, f.alias);
}

/// Reads the fields of a file layer by its schema, strictly: a field of the wrong type is an
/// io_error naming the layer and the field, never a silent fallback to Keras's default.
class FileFieldReader {
public:
    FileFieldReader(const KerasLayerConfig& l, const std::string& source) : l_(l), source_(source) {}

    void read(const KerasSchema& schema, KerasValues& out) const {
        // ReLU / LeakyReLU: the activation they stand for; their parameters are their fields.
        if (!schema.implied_activation.empty()) out.text("activation", schema.implied_activation);
        for (const KerasField& f : schema.fields) {
            if (!f.requirement.empty()) continue;  // settings, not values: unsupported_settings()
            const json* v = field_value(l_.config, f);
            switch (f.type) {
                case FieldType::numbers: {
                    std::vector<double> n;
                    if (v != nullptr) n = numbers(*v, f);
                    else if (!f.fallback_from.empty()) n = from_other(schema, f);
                    else if (f.has_fallback) n.assign(f.fallback, f.fallback + f.count);  // also null (None)
                    if (!n.empty()) out.numbers(f.name(), std::move(n));
                    break;
                }
                case FieldType::text:
                    if (v != nullptr) out.text(f.name(), text(*v, f));
                    else if (f.has_fallback) out.text(f.name(), f.text_fallback);
                    break;
                case FieldType::boolean:
                    if (v != nullptr) {
                        if (!v->is_boolean()) fail(f, "should be true or false, it is " + v->dump());
                        out.boolean(f.name(), v->get<bool>());
                    } else if (f.has_fallback) {
                        out.boolean(f.name(), f.fallback[0] != 0);
                    }
                    break;
                case FieldType::activation:
                    if (v != nullptr) out.activation_name(text(*v, f));
                    else if (f.has_fallback) out.activation_name(f.text_fallback);
                    break;
                case FieldType::amounts: {
                    const auto a = v != nullptr ? amounts(*v, f) : std::vector<double>(f.fallback, f.fallback + 4);
                    out.amounts(f.name(), a[0], a[1], a[2], a[3]);
                    break;
                }
                case FieldType::shape: {
                    if (v == nullptr) {
                        // null / absent: Keras's default when it has one (PReLU's shared_axes: none)
                        if (f.has_fallback) out.numbers(f.name(), {});
                        break;
                    }
                    if (!v->is_array()) fail(f, "should be a list of sizes, it is " + v->dump());
                    std::vector<double> n;
                    for (const auto& e : *v) n.push_back(number(e, f));
                    out.numbers(f.name(), std::move(n));
                    break;
                }
                case FieldType::raw:
                    if (f.wrapped && v != nullptr) read_wrapped(*v, f, out);
                    break;
            }
        }
    }

    [[noreturn]] void fail(const KerasField& f, const std::string& what) const {
        throw io_error(source_ + ", layer " + l_.name + " (" + l_.class_name + "): config field '" + std::string(f.key) +
                       "' " + what);
    }

    /// A wrapped layer's {class_name, config} (Bidirectional's, TimeDistributed's `layer`), or
    /// nullptr when the field is absent. The class must be a string, the config an object.
    static const json* wrapped_config(const json& v, std::string& class_name) {
        const json* cls = find_key(v, "class_name");
        const json* cfg = find_key(v, "config");
        if (cls == nullptr || !cls->is_string() || cfg == nullptr || !cfg->is_object()) return nullptr;
        class_name = cls->get<std::string>();
        return cfg;
    }

private:
    /// The wrapped layer's class under the field's name, its schema's fields under `<name>.<field>`.
    void read_wrapped(const json& v, const KerasField& f, KerasValues& out) const {
        std::string cls;
        const json* cfg = wrapped_config(v, cls);
        if (cfg == nullptr) fail(f, "should be a layer's {\"class_name\": ..., \"config\": {...}}, it is " + v.dump());
        KerasValues inner;
        if (const KerasSchema* schema = find_keras_class(cls)) {
            const KerasLayerConfig wrapped_layer{l_.name + "'s " + std::string(f.key), cls, *cfg, {}, {}};
            FileFieldReader(wrapped_layer, source_).read(*schema, inner);
        }
        out.wrapped(f.name(), cls, inner);
    }

    double number(const json& e, const KerasField& f) const {
        if (!e.is_number()) fail(f, "should hold numbers, it holds " + e.dump());
        const double d = e.get<double>();
        if (!std::isfinite(d)) fail(f, "holds a non-finite number");
        return d;
    }
    /// An int or a list of `count` numbers (kernel_size: 3 or [3, 3]).
    std::vector<double> numbers(const json& v, const KerasField& f) const {
        if (v.is_number()) return std::vector<double>(static_cast<std::size_t>(f.count), number(v, f));
        if (f.count == 1 && !v.is_array()) fail(f, "should be a number, it is " + v.dump());
        if (!v.is_array() || v.size() != static_cast<std::size_t>(f.count))
            fail(f, "should be a number or a list of " + std::to_string(f.count) + ", it is " + v.dump());
        std::vector<double> out;
        for (const auto& e : v) out.push_back(number(e, f));
        return out;
    }
    std::string text(const json& v, const KerasField& f) const {
        if (!v.is_string()) fail(f, "should be a string, it is " + v.dump());
        return v.get<std::string>();
    }
    /// int | (sym_h, sym_w) | ((top, bottom), (left, right)) → {top, bottom, left, right}.
    std::vector<double> amounts(const json& v, const KerasField& f) const {
        if (v.is_number()) return std::vector<double>(4, number(v, f));
        if (v.is_array() && v.size() == 2) {
            const json &a = v[0], &b = v[1];
            if (a.is_number() && b.is_number()) return {number(a, f), number(a, f), number(b, f), number(b, f)};
            if (a.is_array() && b.is_array() && a.size() == 2 && b.size() == 2)
                return {number(a[0], f), number(a[1], f), number(b[0], f), number(b[1], f)};
        }
        fail(f, "should be n, (h, w) or ((top, bottom), (left, right)), it is " + v.dump());
    }
    /// A field whose default is another field's value (pooling strides default to pool_size).
    std::vector<double> from_other(const KerasSchema& schema, const KerasField& f) const {
        for (const KerasField& o : schema.fields)
            if (o.key == f.fallback_from) {
                if (const json* v = field_value(l_.config, o)) return numbers(*v, o);
                return std::vector<double>(o.fallback, o.fallback + o.count);
            }
        return {};
    }

    const KerasLayerConfig& l_;
    const std::string& source_;
};

inline ArchLayer describe_file_layer(const KerasLayerConfig& l, const std::string& source) {
    ArchLayer d;
    d.name = l.name;
    d.type = l.class_name;
    d.nested_in = l.nested_in;
    d.schema = find_keras_class(l.class_name);
    d.has_inputs = !l.inputs.empty();
    d.inputs = l.inputs;
    if (d.schema != nullptr) {
        KerasValues v;
        FileFieldReader(l, source).read(*d.schema, v);
        d.fields = std::move(v.values());
    }
    return d;
}

/// Settings innspect cannot run (the C++ layer has no such option), as differences.
inline void unsupported_settings(const KerasLayerConfig& l, const KerasSchema& schema, std::vector<std::string>& diffs,
                                 const std::string& label) {
    const json& c = l.config;
    if (const json* df = find_key(c, "data_format"); df != nullptr && df->is_string() && df->get<std::string>() != "channels_last")
        diffs.push_back(label + ": data_format " + df->get<std::string>() + " in the file; innspect is channels_last only");
    for (const KerasField& f : schema.fields) {
        if (f.requirement.empty()) continue;
        const json* v = find_key(c, f.key);
        if (v == nullptr) continue;  // absent or null: Keras's default, which innspect runs
        std::string shown;
        bool ok = false;
        if (f.type == FieldType::numbers) {
            std::vector<double> n;
            if (v->is_number()) n.assign(static_cast<std::size_t>(f.count), v->get<double>());
            if (v->is_array())
                for (const auto& e : *v) n.push_back(e.is_number() ? e.get<double>() : std::nan(""));
            KerasValues got;
            got.numbers(f.key, n);
            shown = n.empty() ? v->dump() : got.values().front().text;
            ok = n == std::vector<double>(f.fallback, f.fallback + f.count);
        } else if (f.type == FieldType::text) {
            shown = v->is_string() ? v->get<std::string>() : v->dump();
            ok = v->is_string() && v->get<std::string>() == f.text_fallback;
        } else {
            shown = v->dump();
            for (std::string_view rest = f.accepted; !ok;) {
                const auto bar = rest.find('|');
                ok = shown == rest.substr(0, bar);
                if (bar == std::string_view::npos) break;
                rest.remove_prefix(bar + 1);
            }
        }
        if (!ok) diffs.push_back(label + ": " + std::string(f.key) + " " + shown + " in the file; innspect " + std::string(f.requirement));
    }
    // A wrapped layer's settings too ("bi: layer.return_state true in the file; ...").
    for (const KerasField& f : schema.fields) {
        std::string cls;
        const json* v = f.wrapped ? find_key(c, f.key) : nullptr;
        const json* cfg = v != nullptr ? FileFieldReader::wrapped_config(*v, cls) : nullptr;
        const KerasSchema* inner = cfg != nullptr ? find_keras_class(cls) : nullptr;
        if (inner == nullptr) continue;
        const KerasLayerConfig wrapped_layer{l.name, cls, *cfg, {}, {}};
        std::vector<std::string> own;
        unsupported_settings(wrapped_layer, *inner, own, label);
        for (auto& d : own) diffs.push_back(d.replace(label.size(), 2, ": " + std::string(f.key) + "."));
    }
}

inline std::string input_text(const std::string& in) { return in.empty() ? "the model input" : in; }
inline std::string inputs_text(const std::vector<std::string>& ins) {
    if (ins.size() == 1) return input_text(ins.front());
    std::string s = "(";
    for (const auto& in : ins) s += (s.size() > 1 ? ", " : "") + input_text(in);
    return s + ")";
}

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

/// The C++ layers of `part`, what they read from before the part renamed to "" (its input).
inline std::vector<ArchLayer> part_of(std::vector<ArchLayer> all, const ModelPart& part) {
    if (part.begin == 0 && part.end >= all.size()) return all;
    std::vector<ArchLayer> out(all.begin() + static_cast<std::ptrdiff_t>(std::min(part.begin, all.size())),
                               all.begin() + static_cast<std::ptrdiff_t>(std::min(part.end, all.size())));
    for (auto& l : out)
        for (auto& in : l.inputs)
            if (std::none_of(out.begin(), out.end(), [&](const ArchLayer& o) { return o.name == in; })) in.clear();
    return out;
}

}  // namespace detail

namespace detail {

/// `rep` if the architectures agree, else architecture_error listing every difference.
inline ArchitectureReport checked(ArchitectureReport rep) {
    if (!rep.ok()) throw architecture_error(rep.text(), rep.differences);
    return rep;
}

}  // namespace detail

/// Compares a C++ model's description (io::cpp_architecture<Model>()) with a parsed model_config,
/// without throwing; `part`: only those C++ layers (one of several files). Model-independent:
/// compiled once with INNSPECT_KERAS_COMPILED (io/keras_compiled.hpp).
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE ArchitectureReport compare_architecture(const CppArchitecture& model, const KerasModelConfig& config,
                                                              std::string source = "model_config", ModelPart part = {});

/// Compares `Model` (an innspect::Model type) with a parsed model_config, without throwing;
/// `part`: only those C++ layers (one of several files).
template <class Model>
ArchitectureReport compare_architecture(const KerasModelConfig& config, std::string source = "model_config",
                                        ModelPart part = {}) {
    return compare_architecture(cpp_architecture<Model>(), config, std::move(source), part);
}

/// Throws architecture_error listing every difference, or returns the (clean) report.
template <class Model>
ArchitectureReport check_architecture(const Model&, const KerasModelConfig& config, std::string source = "model_config",
                                      ModelPart part = {}) {
    return detail::checked(compare_architecture<Model>(config, std::move(source), part));
}

}  // inline namespace INNSPECT_KERAS_MODE_NS

#if INNSPECT_KERAS_DEFINITIONS
inline namespace INNSPECT_KERAS_MODE_NS {
INNSPECT_KERAS_INLINE ArchitectureReport compare_architecture(const CppArchitecture& model, const KerasModelConfig& config,
                                                              std::string source, ModelPart part) {
    using namespace detail;
    ArchitectureReport rep;
    rep.source = std::move(source);
    rep.model_name = config.name;
    rep.class_name = config.class_name;
    for (const auto& nm : config.nested_models) rep.notes.push_back("nested model " + nm + " flattened into its layers");

    const std::vector<ArchLayer> cpp = part_of(model.layers, part);
    std::vector<ArchLayer> file;
    for (const auto& l : config.layers) file.push_back(describe_file_layer(l, rep.source));
    auto& diffs = rep.differences;
    auto nested_label = [](const ArchLayer& l) {
        return l.nested_in.empty() ? std::string() : " (in nested model " + l.nested_in + ")";
    };

    // The model input.
    const std::vector<std::int64_t> cpp_in = part_input_shape(model, part);
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
                            (f.schema != nullptr ? "" : " (innspect has no such layer)"));
            continue;
        }
        const auto& c = cpp[static_cast<std::size_t>(ci)];
        ++rep.compared;
        const std::string& label = c.name;
        if (c.name != f.name)
            diffs.push_back(label + ": name " + c.name + " in C++, " + f.name + " in the file" + nested_label(f));
        if (f.schema == nullptr) {
            diffs.push_back(label + ": type " + c.type + " in C++, " + f.type + " in the file (innspect has no such layer)");
            continue;
        }
        if (c.type != f.type && !(c.schema->activation_layer && f.schema->activation_layer)) {
            diffs.push_back(label + ": type " + c.type + " in C++, " + f.type + " in the file");
            continue;
        }
        // What it reads (graph structure), in order; names are compared after mapping the pairs'
        // names, so a parent renamed but paired is reported once, at the parent itself.
        if (f.has_inputs) {
            bool same = c.inputs.size() == f.inputs.size();
            for (std::size_t k = 0; same && k < c.inputs.size(); ++k) {
                const auto it = paired_name.find(c.inputs[k]);
                same = c.inputs[k] == f.inputs[k] || (it != paired_name.end() && it->second == f.inputs[k]);
            }
            if (!same) {
                const char* what = c.inputs.size() == 1 && f.inputs.size() == 1 ? ": input " : ": inputs ";
                diffs.push_back(label + what + inputs_text(c.inputs) + " in C++, " + inputs_text(f.inputs) + " in the file");
            }
        }
        bool same_activation = true;
        for (const auto& cf : c.fields) {
            const auto it = std::find_if(f.fields.begin(), f.fields.end(), [&](const KerasValue& x) { return x.key == cf.key; });
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
        unsupported_settings(fl, *f.schema, diffs, label);
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
        for (const auto& info : model.infos)
            if (info.name == in.fed_by && !shape_matches(info.output_keras_shape(), in.shape))
                diffs.push_back(label + ": input shape " + shape_text(in.shape) + " in the file, C++ layer " + in.fed_by +
                                " gives " + shape_text(info.output_keras_shape()));
    }
    return rep;
}
}  // inline namespace INNSPECT_KERAS_MODE_NS
#endif

}  // namespace innspect::io

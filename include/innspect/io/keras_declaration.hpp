#pragma once
/// \file
/// The C++ declaration of a Keras model, generated from its files' configs (what the program
/// `innspect-keras` prints, tools/innspect-keras/). Needs nlohmann-json (the `innspect::keras`
/// CMake target), not HDF5: it works on parsed configs (io/keras_json.hpp), whatever file they
/// came from.
///
/// Generic: every layer is read through its class's schema (layers/keras_classes.hpp) as the
/// architecture check reads it (io/architecture.hpp), and spelled by its class's printer
/// (keras_printer, next to the layer's header in layers/declarations/). What is here is the graph: the order of the
/// layers (each after what it reads), `From<"name", ...>` where a layer does not read the one
/// declared before it, several files chained into one model (a later file's input is the output
/// of the file before it), and `until` (only what one layer needs).
///
///   auto model = io::describe_keras_model({{config_enc, "enc.h5"}, {config_dec, "dec.h5"}});
///   std::string text = io::keras_model_header(model, {.name = "Autoencoder"});

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/io/architecture.hpp"
#include "innspect/io/keras_json.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/keras_classes.hpp"
#include "innspect/layers/keras_printers.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect::io {

/// One file's parsed config and how messages name it.
struct KerasConfigSource {
    KerasModelConfig config;
    std::string file;     ///< "enc.h5": how messages and comments name it
    bool keras3 = false;  ///< written by Keras 3 (its hard_sigmoid differs from Keras 2's)
};

/// One layer of the generated model.
struct DescribedLayer {
    std::string file;                     ///< the file it comes from
    const KerasSchema* schema = nullptr;  ///< nullptr: innspect has no layer of its class
    std::string problem;                  ///< why it cannot be declared ("" when it can)
    KerasDeclaration decl;  ///< name, class, inputs ("input": the model input), declaration, shape
    std::shared_ptr<KerasDeclaration> wrapped;  ///< the layer a Bidirectional / TimeDistributed wraps
};

/// The model a set of files describes, layers in an order where each follows what it reads.
struct DescribedModel {
    std::vector<std::string> files;
    std::string model_name, class_name;     ///< the first file's
    std::vector<std::int64_t> input_shape;  ///< one sample; −1 for a size the file leaves open (None)
    std::vector<DescribedLayer> layers;

    /// The first layer that cannot be declared, or nullptr.
    const DescribedLayer* first_problem() const {
        for (const auto& l : layers)
            if (!l.problem.empty()) return &l;
        return nullptr;
    }
};

namespace detail {

/// Why innspect has no layer for a Keras class (the summary's and the generator's words).
inline std::string missing_class_text(const std::string& cls) {
    if (cls == "Lambda") return "a Lambda layer runs Python code, which innspect cannot run";
    if (cls == "InputLayer") return "a second model input; innspect models have one input";
    return "innspect has no layer for Keras class " + cls + " (a custom or unsupported layer)";
}

/// The file layer's wrapped layer (Bidirectional, TimeDistributed: config "layer"), or none.
inline bool wrapped_layer(const KerasLayerConfig& l, KerasLayerConfig& inner) {
    const auto it = l.config.find("layer");
    if (it == l.config.end() || !it->is_object()) return false;
    const auto cls = it->find("class_name");
    if (cls == it->end() || !cls->is_string()) return false;
    inner.class_name = cls->get<std::string>();
    const auto cfg = it->find("config");
    inner.config = cfg != it->end() ? *cfg : json::object();
    if (const auto n = inner.config.find("name"); n != inner.config.end() && n->is_string())
        inner.name = n->get<std::string>();
    inner.name = inner.name.empty() ? l.name + "_inner" : inner.name;
    return true;
}

/// Reads `l` through `schema` into `d.values`; "" or why it cannot (an unsupported setting, a
/// field of the wrong type).
inline std::string read_values(const KerasLayerConfig& l, const KerasSchema& schema,
                               const std::string& source, KerasDeclaration& d) {
    std::vector<std::string> unsupported;
    unsupported_settings(l, schema, unsupported, l.name);
    if (!unsupported.empty()) {
        std::string s;
        for (const auto& u : unsupported) s += (s.empty() ? "" : "; ") + u.substr(u.find(": ") + 2);
        return s;
    }
    try {
        KerasValues v;
        FileFieldReader(l, source).read(schema, v);
        d.values = std::move(v.values());
    } catch (const error& e) {
        return e.what();
    }
    return {};
}

}  // namespace detail

/// The layers of `files` (in model order: an encoder's file, then its decoder's) as one model;
/// `until` non-empty: only that layer and what it needs. Throws innspect::error for what makes
/// the model undeclarable as a whole (several inputs, a missing `until` layer, a name in two
/// files); a layer innspect cannot declare is kept with its `problem` (see first_problem()).
inline DescribedModel describe_keras_model(const std::vector<KerasConfigSource>& files,
                                           const std::string& until = {}) {
    using namespace detail;
    if (files.empty()) throw error("innspect-keras: no file given");
    DescribedModel m;
    m.model_name = files.front().config.name;
    m.class_name = files.front().config.class_name;

    // 1. Every file's layers, what they read as C++ names: a file's input is the model input for
    // the first file, the previous file's output (its last layer) for the others.
    struct Raw {
        const KerasLayerConfig* layer;
        const KerasConfigSource* source;
        std::vector<std::string> inputs;
    };
    std::vector<Raw> raw;
    std::map<std::string, std::string> file_of;  // layer name → file
    for (std::size_t k = 0; k < files.size(); ++k) {
        const auto& f = files[k];
        m.files.push_back(f.file);
        const auto& c = f.config;
        if (c.inputs.size() > 1) {
            std::string names;
            for (const auto& in : c.inputs) names += (names.empty() ? "" : ", ") + in.name;
            throw error(f.file + ": the model has " + std::to_string(c.inputs.size()) + " inputs (" + names +
                        "); an innspect model has one");
        }
        if (k == 0) {
            if (c.inputs.empty() || c.inputs.front().shape.empty())
                throw error(
                    f.file +
                    ": the config states no input shape (a Sequential model saved before it was built?)");
            m.input_shape = c.inputs.front().shape;
        }
        const std::string fed = k == 0 ? "input" : (raw.empty() ? "input" : raw.back().layer->name);
        for (const auto& l : c.layers) {
            if (const auto it = file_of.find(l.name); it != file_of.end())
                throw error("layer " + l.name + " (" + l.class_name + ") is in " + it->second + " and in " +
                            f.file + "; C++ layer names must be unique");
            file_of[l.name] = f.file;
            std::vector<std::string> ins;
            for (const auto& in : l.inputs) ins.push_back(in.empty() ? fed : in);
            if (ins.empty()) ins.push_back(raw.empty() ? fed : raw.back().layer->name);
            raw.push_back({&l, &f, std::move(ins)});
        }
    }

    // 2. `until`: that layer and its ancestors only.
    std::vector<bool> keep(raw.size(), true);
    if (!until.empty()) {
        std::map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < raw.size(); ++i) index[raw[i].layer->name] = i;
        const auto it = index.find(until);
        if (it == index.end()) {
            std::string names;
            for (const auto& r : raw) names += (names.empty() ? "" : ", ") + r.layer->name;
            throw error("--until " + until + ": no layer of that name in the file" +
                        (files.size() > 1 ? "s" : "") + " (layers: " + names + ")");
        }
        std::fill(keep.begin(), keep.end(), false);
        std::vector<std::size_t> todo{it->second};
        while (!todo.empty()) {
            const std::size_t i = todo.back();
            todo.pop_back();
            if (keep[i]) continue;
            keep[i] = true;
            for (const auto& in : raw[i].inputs)
                if (const auto p = index.find(in); p != index.end()) todo.push_back(p->second);
        }
    }

    // 3. An order where each layer follows what it reads: the files' own order where it is one
    // (Keras's is), else the first layer whose inputs are all placed, each time.
    std::vector<std::size_t> order;
    std::set<std::string> placed{"input"};
    std::vector<bool> done(raw.size(), false);
    for (bool progress = true; progress;) {
        progress = false;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (done[i] || !keep[i]) continue;
            const bool ready = std::all_of(raw[i].inputs.begin(), raw[i].inputs.end(),
                                           [&](const std::string& in) { return placed.count(in) != 0; });
            if (!ready) continue;
            order.push_back(i);
            placed.insert(raw[i].layer->name);
            done[i] = progress = true;
            break;
        }
    }
    for (std::size_t i = 0; i < raw.size(); ++i)
        if (keep[i] && !done[i]) {
            std::string missing;
            for (const auto& in : raw[i].inputs)
                if (placed.count(in) == 0) missing += (missing.empty() ? "" : ", ") + in;
            throw error("layer " + raw[i].layer->name + " (" + raw[i].layer->class_name + ") reads " +
                        missing +
                        ", which no file declares before it (a cycle, or a layer of another model)");
        }

    // 4. Each layer declared by its schema, with the output shapes of what it reads.
    std::map<std::string, std::vector<std::int64_t>> shapes{{"input", m.input_shape}};
    for (const std::size_t i : order) {
        const Raw& r = raw[i];
        DescribedLayer out;
        out.file = r.source->file;
        KerasDeclaration& d = out.decl;
        d.name = r.layer->name;
        d.keras_class = r.layer->class_name;
        d.inputs = r.inputs;
        d.keras3 = r.source->keras3;
        for (const auto& in : r.inputs) {
            const auto s = shapes.find(in);
            d.input_shapes.push_back(s == shapes.end() ? std::vector<std::int64_t>{} : s->second);
        }
        out.schema = find_keras_class(d.keras_class);
        const std::string where = r.source->file;
        if (out.schema == nullptr) {
            out.problem = missing_class_text(d.keras_class);
        } else if (find_keras_printer(*out.schema) == nullptr) {
            out.problem = "innspect cannot print a declaration of a " + d.keras_class + " yet";
        } else {
            out.problem = read_values(*r.layer, *out.schema, where, d);
            KerasLayerConfig inner;
            if (out.problem.empty() && wrapped_layer(*r.layer, inner)) {
                out.wrapped = std::make_shared<KerasDeclaration>();
                out.wrapped->name = inner.name;
                out.wrapped->keras_class = inner.class_name;
                d.wrapped = out.wrapped.get();
                d.wrapped_schema = find_keras_class(inner.class_name);
                if (d.wrapped_schema != nullptr) d.wrapped_printer = find_keras_printer(*d.wrapped_schema);
                if (d.wrapped_schema == nullptr)
                    out.problem =
                        "it wraps a " + inner.class_name + ": " + missing_class_text(inner.class_name);
                else if (const std::string p = read_values(inner, *d.wrapped_schema, where, *out.wrapped);
                         !p.empty())
                    out.problem = "its wrapped " + inner.class_name + " " + inner.name + ": " + p;
            }
            if (out.problem.empty()) {
                try {
                    find_keras_printer(*out.schema)(d);
                } catch (const error& e) {
                    const std::string w = e.what(), prefix = "layer " + d.name + " (" + d.keras_class + "): ";
                    out.problem = w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : w;
                }
            }
        }
        if (d.output_shape_known) shapes[d.name] = d.output_shape;
        m.layers.push_back(std::move(out));
    }
    return m;
}

/// How the generated header is named and placed.
struct HeaderOptions {
    std::string name = "KerasModel";  ///< the alias template's name
    std::string ns;                   ///< its namespace ("" = global; "a::b" allowed)
    std::string command;              ///< the command that made it, for the header's comment
};

namespace detail {

inline std::string shape_comment(const KerasDeclaration& d) {
    if (!d.output_shape_known) return "";
    std::string s = "(";
    for (std::size_t i = 0; i < d.output_shape.size(); ++i)
        s += (i ? ", " : "") +
             (d.output_shape[i] < 0 ? std::string("None") : std::to_string(d.output_shape[i]));
    return s + (d.output_shape.size() == 1 ? ",)" : ")");
}

inline bool is_identifier(const std::string& s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace detail

/// A self-contained C++ header declaring `template <class T> using NAME = innspect::Model<T,
/// Input<...>, ...>;`, one layer a line (with its output shape as a comment). Throws
/// innspect::error naming the first layer that cannot be declared (and its class), suggesting
/// `--until`, or an input with an open size.
inline std::string keras_model_header(const DescribedModel& m, const HeaderOptions& opt) {
    using namespace detail;
    if (!is_identifier(opt.name)) throw error("--name " + opt.name + ": not a C++ identifier");
    for (std::size_t b = 0; !opt.ns.empty();) {
        const std::size_t e = opt.ns.find("::", b);
        if (!is_identifier(opt.ns.substr(b, e == std::string::npos ? std::string::npos : e - b)))
            throw error("--namespace " + opt.ns + ": not a C++ namespace name");
        if (e == std::string::npos) break;
        b = e + 2;
    }
    if (const DescribedLayer* p = m.first_problem()) {
        std::string hint;
        for (const auto& in : p->decl.inputs) hint += (hint.empty() ? "" : " or --until ") + in;
        throw error("layer " + p->decl.name + " (" + p->decl.keras_class + ") in " + p->file + ": " +
                    p->problem + "; use --until LAYER to declare only what LAYER needs" +
                    (hint.empty() || hint == "input" ? "" : " (e.g. --until " + hint + ")"));
    }
    if (m.layers.empty()) throw error("the model has no layers to declare");
    std::string input;
    for (const auto s : m.input_shape) {
        if (s < 0)
            throw error("the model input " + shape_text(m.input_shape) +
                        " has a size the file leaves open (None); innspect models have fixed sizes");
        input += (input.empty() ? "" : ", ") + std::to_string(s);
    }

    std::string files;
    for (const auto& f : m.files) files += (files.empty() ? "" : ", ") + f;
    std::string h;
    h += "// Generated by innspect-keras from " + files + " (Keras " + m.class_name + " '" + m.model_name +
         "').\n";
    if (!opt.command.empty()) h += "// Regenerate with: " + opt.command + "\n";
    h += "// Layer names, classes and hyper-parameters are the file's; the weights load by name:\n";
    h += "//   innspect::io::load_keras_model(model, {";
    for (std::size_t i = 0; i < m.files.size(); ++i)
        h += (i ? ", " : "") + KerasDeclaration::quote(m.files[i]);
    h += "});\n#pragma once\n\n#include <innspect/innspect.hpp>\n\n";
    const std::string detail_ns = "innspect_keras_" + opt.name;
    if (!opt.ns.empty()) h += "namespace " + opt.ns + " {\n";
    h += "namespace " + detail_ns + " {\nusing namespace innspect;\n\n";
    h += "/// The Keras model of " + files + ": " + std::to_string(m.layers.size()) +
         " layers; T is float or double.\n";
    h += "template <class T>\nusing " + opt.name + " = Model<T, Input<" + input + ">,\n";

    std::vector<std::string> lines, comments;
    std::string previous = "input";
    for (const auto& l : m.layers) {
        const KerasDeclaration& d = l.decl;
        std::string decl = d.declaration;
        // A merge names what it reads (Inputs<...>); any other layer reads the previous one unless From<>
        // says.
        const bool merge = d.inputs.size() > 1;
        if (!merge && d.inputs.size() == 1 && d.inputs.front() != previous)
            decl = "From<" + KerasDeclaration::quote(d.inputs.front()) + ", " + decl + ">";
        lines.push_back("    " + decl);
        std::string c = shape_comment(d);
        if (d.parameters > 0) c += (c.empty() ? "" : ", ") + std::to_string(d.parameters) + " parameters";
        comments.push_back(c);
        previous = d.name;
    }
    std::size_t width = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) width = std::max(width, lines[i].size() + 1);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string line = lines[i] + (i + 1 < lines.size() ? "," : ">;");
        if (!comments[i].empty()) line += std::string(width + 2 - line.size(), ' ') + "// " + comments[i];
        h += line + "\n";
    }
    h += "\n}  // namespace " + detail_ns + "\nusing " + detail_ns + "::" + opt.name + ";\n";
    if (!opt.ns.empty()) h += "}  // namespace " + opt.ns + "\n";
    return h;
}

}  // namespace innspect::io

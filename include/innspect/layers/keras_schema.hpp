#pragma once
/// \file
/// A layer's hyper-parameters as Keras's `config` names them: every layer header declares its
/// Keras class's fields once (a `KerasSchema`: keys, types, Keras's defaults) and its values
/// (`keras_values`), so the architecture check (io/architecture.hpp) compares a C++ model with a
/// file's model_config, and the file side is read, with no per-layer code outside the layer's
/// own header. The same header states how a layer of the class is spelled in C++ (its schema's
/// `declare`, a small printer), which the generator `innspect-keras header` calls for each layer
/// of a file (io/keras_declaration.hpp), so the generator holds no per-layer code either.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"

namespace innspect {

class KerasDeclaration;

/// How a field is stored in a Keras config.
enum class FieldType {
    numbers,     ///< a number or a list of `count` numbers (one number stands for `count` equal ones); null = +∞ ("None")
    text,        ///< a string (padding, interpolation, data_format)
    boolean,     ///< true / false (use_bias)
    activation,  ///< an activation's name; compared with its parameters (max_value, ... / alpha)
    amounts,     ///< int | (sym_h, sym_w) | ((top, bottom), (left, right)), as ZeroPadding2D / Cropping2D
    shape,       ///< a list of any length (Reshape's target_shape)
    raw,         ///< any JSON value, compared as written (settings innspect cannot run)
};

/// One field of a Keras class's config.
struct KerasField {
    std::string_view key;                ///< the config key
    FieldType type = FieldType::numbers;
    std::string_view label = {};         ///< how differences name it (the key when empty)
    int count = 1;                       ///< numbers: how many values
    bool has_fallback = false;           ///< Keras's default applies when the key is absent (else: no value)
    double fallback[4] = {0, 0, 0, 0};   ///< numbers / amounts / boolean (1 = true): Keras's default
    std::string_view text_fallback = {}; ///< text / activation: Keras's default
    std::string_view fallback_from = {}; ///< numbers: absent → the value of this other field (pooling strides)
    std::string_view alias = {};         ///< another key some Keras versions use for it
    std::string_view requirement = {};   ///< non-empty: innspect runs only Keras's default, and this says why
    std::string_view accepted = {};      ///< raw: the values (JSON text, '|'-separated) innspect runs
    bool wrapped = false;                ///< raw: a wrapped layer's {class_name, config}, compared as
                                         ///< `<key>` (its class) and `<key>.<field>` (its schema's fields)

    constexpr std::string_view name() const { return label.empty() ? key : label; }
};

/// A Keras class: its name and the fields its config holds that matter to innspect.
struct KerasSchema {
    std::string_view keras_class;
    std::span<const KerasField> fields;
    /// Activation, ReLU, LeakyReLU: the same function in any of them is the same layer, so they
    /// are compared by their activation, not their class name.
    bool activation_layer = false;
    /// ReLU → "relu", LeakyReLU → "leaky_relu": the activation the class stands for.
    std::string_view implied_activation = {};
    /// Prints the C++ declaration of a file's layer of this class from its config values
    /// (`d.values`, read through `fields`) and sets what it knows of the layer's output shape and
    /// parameter count (`d.output_shape`, `d.parameters`); nullptr: no declaration can be printed
    /// (the generator then names the layer and its class). Throws innspect::error for a value
    /// innspect cannot declare.
    void (*declare)(KerasDeclaration& d) = nullptr;
};

/// One value of a C++ layer, under the field's label: its text as printed and its numbers.
struct KerasValue {
    std::string key;
    std::string text;
    std::vector<double> numbers;
    bool any_of = false;  ///< the numbers are alternatives: a single number equal to one of them matches
};

/// What a C++ layer declaration states, field by field, in its schema's order (`keras_values`).
class KerasValues {
public:
    void numbers(std::string_view key, std::vector<double> v) {
        std::string t;
        if (v.size() == 1) {
            t = number_text(v[0]);
        } else {
            t = "(";
            for (std::size_t i = 0; i < v.size(); ++i) t += (i ? "," : "") + number_text(v[i]);
            t += ")";
        }
        values_.push_back({std::string(key), std::move(t), std::move(v)});
    }
    /// A value a file may write in several equivalent ways (an axis as 3 or −1).
    void numbers_any_of(std::string_view key, std::vector<double> v) {
        std::string t;
        for (std::size_t i = 0; i < v.size(); ++i) t += (i ? " or " : "") + number_text(v[i]);
        values_.push_back({std::string(key), std::move(t), std::move(v), true});
    }
    void text(std::string_view key, std::string_view v) { values_.push_back({std::string(key), std::string(v), {}}); }
    void boolean(std::string_view key, bool b) { text(key, b ? "true" : "false"); }
    /// A wrapped layer: its class under `key`, its values under `key.<field>` (Bidirectional's and
    /// TimeDistributed's `layer`).
    void wrapped(std::string_view key, std::string_view keras_class, const KerasValues& inner) {
        text(key, keras_class);
        for (const auto& v : inner.values()) {
            values_.push_back(v);
            values_.back().key = std::string(key) + "." + v.key;
        }
    }
    /// ((top,bottom),(left,right))
    void amounts(std::string_view key, double t, double b, double l, double r) {
        values_.push_back({std::string(key),
                           "((" + number_text(t) + "," + number_text(b) + "),(" + number_text(l) + "," + number_text(r) + "))",
                           {t, b, l, r}});
    }
    /// An activation type's name and, for ReLU-like and leaky ones, their parameters.
    template <class Act>
    void activation() {
        text("activation", Act::name);
        if constexpr (requires { Act::max_value; Act::negative_slope; Act::threshold; }) {
            relu(Act::max_value, Act::negative_slope, Act::threshold);
        } else if constexpr (requires { Act::slope; }) {
            numbers("alpha", {Act::slope});
        } else if constexpr (requires { Act::elu_alpha; }) {
            numbers("alpha", {Act::elu_alpha});
        } else if (Act::name == "relu") {
            relu(std::numeric_limits<double>::infinity(), 0.0, 0.0);
        }
    }
    /// An activation given by its Keras name, as a file states it (relu's parameters: Keras's defaults).
    void activation_name(std::string_view name) {
        text("activation", name);
        if (name == "relu") relu(std::numeric_limits<double>::infinity(), 0.0, 0.0);
    }
    void relu(double max_value, double negative_slope, double threshold) {
        numbers("max_value", {max_value});
        numbers("negative_slope", {negative_slope});
        numbers("threshold", {threshold});
    }

    const std::vector<KerasValue>& values() const { return values_; }
    std::vector<KerasValue>& values() { return values_; }

    /// "6", "1e-05", "none" for +∞ (Keras's None).
    static std::string number_text(double v) {
        if (std::isinf(v)) return "none";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return buf;
    }

private:
    std::vector<KerasValue> values_;
};

/// One layer of a Keras file on its way to a C++ declaration (the generator,
/// io/keras_declaration.hpp, fills the inputs; the class's `KerasSchema::declare` fills the outputs).
class KerasDeclaration {
public:
    // ---- given ----
    std::string name;                          ///< the Keras layer name
    std::string keras_class;                   ///< its Keras class
    std::vector<KerasValue> values;            ///< its config values, read through its schema's fields
    std::vector<std::string> inputs;           ///< what it reads (C++ names: "input" is the model input)
    std::vector<std::vector<std::int64_t>> input_shapes;  ///< one sample each (Keras's shape); empty when unknown
    bool keras3 = false;                       ///< written by Keras 3 (where an activation differs: hard_sigmoid)
    /// A layer this one wraps (Bidirectional, TimeDistributed): its values, not yet declared; the
    /// wrapper's printer gives it its input shape and calls `wrapped_schema->declare`. nullptr: none.
    KerasDeclaration* wrapped = nullptr;
    const KerasSchema* wrapped_schema = nullptr;

    // ---- set by the schema's `declare` ----
    std::string declaration;                   ///< e.g. `Conv2D<"conv1", 32, Kernel<1, 90>, Selu>`
    std::vector<std::int64_t> output_shape;    ///< one sample; empty when the printer cannot tell
    bool output_shape_known = false;
    std::int64_t parameters = -1;              ///< weights the layer holds; −1 when unknown

    // ---- reading the values ----
    const KerasValue* find(std::string_view key) const {
        for (const auto& v : values)
            if (v.key == key) return &v;
        return nullptr;
    }
    const KerasValue& value(std::string_view key) const {
        if (const KerasValue* v = find(key)) return *v;
        fail("its config has no '" + std::string(key) + "' (Keras writes one for every " + keras_class + ")");
    }
    double number(std::string_view key, std::size_t i = 0) const {
        const KerasValue& v = value(key);
        if (i >= v.numbers.size()) fail("'" + std::string(key) + "' holds " + v.text + ", too few numbers");
        return v.numbers[i];
    }
    /// A whole number, as template arguments take them.
    int integer(std::string_view key, std::size_t i = 0) const {
        const double x = number(key, i);
        if (!(x == std::floor(x) && std::abs(x) < 1e9)) fail("'" + std::string(key) + "' is " + number_text(x) + ", not a whole number");
        return static_cast<int>(x);
    }
    std::vector<int> integers(std::string_view key) const {
        std::vector<int> out;
        for (std::size_t i = 0; i < value(key).numbers.size(); ++i) out.push_back(integer(key, i));
        return out;
    }
    const std::string& text(std::string_view key) const { return value(key).text; }
    bool boolean(std::string_view key) const { return text(key) == "true"; }

    // ---- spelling C++ ----
    /// The name as a template argument: "conv1" with its quotes (and escapes).
    std::string quoted() const { return quote(name); }
    static std::string quote(std::string_view s) {
        std::string q = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') q += '\\';
            q += c;
        }
        return q + "\"";
    }
    /// `Inputs<"a", "b">`: what a merge reads.
    std::string quoted_inputs() const {
        std::string s = "Inputs<";
        for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + quote(inputs[i]);
        return s + ">";
    }
    /// `Tag<a, b>` from a field's whole numbers: sizes("Kernel", "kernel") → "Kernel<3, 3>".
    std::string sizes(std::string_view tag, std::string_view key) const { return std::string(tag) + "<" + list(integers(key)) + ">"; }
    static std::string list(const std::vector<int>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
        return s;
    }
    /// A double as a template argument, the shortest text that reads back as the same double.
    static std::string cpp_number(double x) {
        if (std::isinf(x)) return x > 0 ? "std::numeric_limits<double>::infinity()" : "-std::numeric_limits<double>::infinity()";
        char buf[40];
        for (int p = 1; p <= 17; ++p) {
            std::snprintf(buf, sizeof buf, "%.*g", p, x);
            if (std::strtod(buf, nullptr) == x) break;
        }
        std::string s = buf;
        // A double literal, never an int one: a double template parameter takes either, but
        // "0.5" reads as what it is.
        if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
        return s;
    }
    std::string cpp_number(std::string_view key, std::size_t i = 0) const { return cpp_number(number(key, i)); }

    /// `Class<args..., optional...>`, the trailing optional arguments equal to their defaults
    /// left out (each optional argument is {text, the template's default text}).
    static std::string spell(std::string_view cpp_class, std::vector<std::string> args,
                             const std::vector<std::pair<std::string, std::string>>& optional = {}) {
        std::size_t keep = optional.size();
        while (keep > 0 && optional[keep - 1].first == optional[keep - 1].second) --keep;
        for (std::size_t i = 0; i < keep; ++i) args.push_back(optional[i].first);
        std::string s(cpp_class);
        s += "<";
        for (std::size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i];
        return s + ">";
    }

    void shape(std::vector<std::int64_t> s) {
        output_shape = std::move(s);
        output_shape_known = true;
    }
    /// The output has the input's shape (activations, dropout, batch norm, elementwise merges).
    void same_shape() {
        if (!input_shapes.empty() && !input_shapes.front().empty()) shape(input_shapes.front());
    }
    /// The (first) input's shape, or empty when unknown.
    const std::vector<std::int64_t>& input_shape() const {
        static const std::vector<std::int64_t> none;
        return input_shapes.empty() ? none : input_shapes.front();
    }

    /// Declares the wrapped layer on input shape `in` (empty: unknown); an error when there is none.
    KerasDeclaration& declare_wrapped(std::vector<std::int64_t> in) {
        if (wrapped == nullptr || wrapped_schema == nullptr || wrapped_schema->declare == nullptr)
            fail("its config holds no wrapped layer innspect can declare");
        wrapped->keras3 = keras3;
        wrapped->input_shapes.clear();
        if (!in.empty()) wrapped->input_shapes.push_back(std::move(in));
        wrapped_schema->declare(*wrapped);
        return *wrapped;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw error("layer " + name + " (" + keras_class + "): " + what);
    }

private:
    static std::string number_text(double v) { return KerasValues::number_text(v); }
};

}  // namespace innspect

#pragma once
/// \file
/// A layer's hyper-parameters as Keras's `config` names them: every layer header declares its
/// Keras class's fields once (a `KerasSchema`: keys, types, Keras's defaults) and its values
/// (`keras_values`), so the architecture check (io/architecture.hpp) compares a C++ model with a
/// file's model_config, and the file side is read, with no per-layer code outside the layer's
/// own header. How a layer of the class is spelled in C++ (a small printer, which the generator
/// `innspect-keras header` calls for each layer of a file) is the one per-layer fact that lives
/// next to the layer header rather than in it: layers/declarations/<the layer header's name>.hpp,
/// found through keras_printer<schema>. Only the generator includes those headers, so a program
/// that loads or checks a file neither parses nor compiles the 42 printers (they cost it 69 MiB
/// of compiler memory when every schema pointed at its printer; bench/README.md).

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

}  // namespace innspect

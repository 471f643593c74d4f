#pragma once
/// \file
/// What a printer (how a Keras class is spelled in C++, for the header generator) works on: one
/// file layer's config values in, its C++ declaration, output shape and parameter count out
/// (KerasDeclaration); and where the generator finds the printer of a class, keras_printer<its
/// schema>, specialised in layers/declarations/<layer header>.hpp. Neither the layers nor the
/// loader include this: only the printers and the generator (io/keras_declaration.hpp) do.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// One layer of a Keras file on its way to a C++ declaration (the generator,
/// io/keras_declaration.hpp, fills the inputs; the class's printer, keras_printer<schema>, fills the
/// outputs).
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
    /// wrapper's printer gives it its input shape and calls `wrapped_printer`. nullptr: none.
    KerasDeclaration* wrapped = nullptr;
    const KerasSchema* wrapped_schema = nullptr;
    void (*wrapped_printer)(KerasDeclaration&) = nullptr;

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
        if (wrapped == nullptr || wrapped_printer == nullptr)
            fail("its config holds no wrapped layer innspect can declare");
        wrapped->keras3 = keras3;
        wrapped->input_shapes.clear();
        if (!in.empty()) wrapped->input_shapes.push_back(std::move(in));
        wrapped_printer(*wrapped);
        return *wrapped;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw error("layer " + name + " (" + keras_class + "): " + what);
    }

private:
    static std::string number_text(double v) { return KerasValues::number_text(v); }
};

/// Prints the C++ declaration of a file's layer from its config values (`d.values`, read through
/// the schema's fields) and sets what it knows of the layer's output shape and parameter count
/// (`d.output_shape`, `d.parameters`). Throws innspect::error for a value innspect cannot declare.
using KerasPrinter = void (*)(KerasDeclaration& d);

/// The printer of the Keras class `Schema` describes; nullptr: no declaration can be printed (the
/// generator then names the layer and its class). Specialised next to each layer header, in
/// layers/declarations/; layers/keras_printers.hpp checks that every registered class has one.
template <const KerasSchema& Schema>
inline constexpr KerasPrinter keras_printer = nullptr;

}  // namespace innspect

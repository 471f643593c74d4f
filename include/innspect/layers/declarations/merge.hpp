#pragma once
/// \file
/// How Add, Subtract, Average, Maximum and Concatenate are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/merge.hpp. They live here, not in the layer
/// header, so that a program that loads or checks a Keras file (which includes every layer header
/// through layers/keras_classes.hpp) neither parses nor compiles them; only the generator includes
/// this header (through layers/keras_printers.hpp).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/merge.hpp"

namespace innspect {

namespace detail {
/// `Add<"a", Inputs<"x", "y">>` and the other elementwise merges.
inline void declare_elementwise_merge(KerasDeclaration& d, std::string_view cpp_class) {
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted(), d.quoted_inputs()});
    d.same_shape();
    d.parameters = 0;
}
inline void declare_add(KerasDeclaration& d) { declare_elementwise_merge(d, "Add"); }
inline void declare_subtract(KerasDeclaration& d) { declare_elementwise_merge(d, "Subtract"); }
inline void declare_average(KerasDeclaration& d) { declare_elementwise_merge(d, "Average"); }
inline void declare_maximum(KerasDeclaration& d) { declare_elementwise_merge(d, "Maximum"); }
/// `Concatenate<"c", Inputs<...>, Axis<a>>`; the last axis written as −1 (the default, left out).
inline void declare_concatenate(KerasDeclaration& d) {
    int axis = d.integer("axis");
    const auto& in = d.input_shape();
    const int rank = static_cast<int>(in.size());
    if (rank > 0 && axis == rank) axis = -1;
    d.declaration = KerasDeclaration::spell("Concatenate", {d.quoted(), d.quoted_inputs()},
                                            {{"Axis<" + std::to_string(axis) + ">", "Axis<-1>"}});
    d.parameters = 0;
    if (rank == 0 || axis == 0 || axis > rank || axis < -rank) return;
    const auto k = static_cast<std::size_t>(axis > 0 ? axis - 1 : rank + axis);
    auto out = in;
    out[k] = 0;
    for (const auto& s : d.input_shapes) {
        if (s.size() != in.size() || s[k] < 0) return;
        out[k] += s[k];
    }
    d.shape(out);
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<add_schema> = &detail::declare_add;
template <>
inline constexpr KerasPrinter keras_printer<subtract_schema> = &detail::declare_subtract;
template <>
inline constexpr KerasPrinter keras_printer<average_schema> = &detail::declare_average;
template <>
inline constexpr KerasPrinter keras_printer<maximum_schema> = &detail::declare_maximum;
template <>
inline constexpr KerasPrinter keras_printer<concatenate_schema> = &detail::declare_concatenate;

}  // namespace innspect

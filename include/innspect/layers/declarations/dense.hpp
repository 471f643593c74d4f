#pragma once
/// \file
/// How Dense are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/dense.hpp. They live here, not in the layer
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

#include "innspect/layers/declarations/activation_functions.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/dense.hpp"

namespace innspect {

namespace detail {
/// `Dense<"d", units, Act, use_bias>` (defaults Linear, true left out); acts on the last axis.
inline void declare_dense(KerasDeclaration& d) {
    const int units = d.integer("units");
    d.declaration = KerasDeclaration::spell("Dense", {d.quoted(), std::to_string(units)},
                                            {{declared_activation(d), "Linear"}, {d.boolean("use_bias") ? "true" : "false", "true"}});
    if (d.input_shape().empty()) return;
    auto out = d.input_shape();
    const std::int64_t in = out.back();
    out.back() = units;
    d.shape(out);
    if (in > 0) d.parameters = in * units + (d.boolean("use_bias") ? units : 0);
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<dense_schema> = &detail::declare_dense;

}  // namespace innspect

#pragma once
/// \file
/// How BatchNormalization are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/batch_normalization.hpp. They live here, not in the layer
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

#include "innspect/layers/batch_normalization.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
/// `BatchNormalization<"bn", epsilon, center, scale>` (Keras's defaults 1e-3, true, true left out).
inline void declare_batch_normalization(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("BatchNormalization", {d.quoted()},
                                            {{d.cpp_number("epsilon"), "0.001"},
                                             {d.boolean("center") ? "true" : "false", "true"},
                                             {d.boolean("scale") ? "true" : "false", "true"}});
    d.same_shape();
    if (!d.input_shape().empty() && d.input_shape().back() > 0)
        d.parameters = d.input_shape().back() * (2 + (d.boolean("center") ? 1 : 0) + (d.boolean("scale") ? 1 : 0));
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<batch_normalization_schema> = &detail::declare_batch_normalization;

}  // namespace innspect

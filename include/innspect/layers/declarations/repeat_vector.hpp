#pragma once
/// \file
/// How RepeatVector are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/repeat_vector.hpp. They live here, not in the layer
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
#include "innspect/layers/repeat_vector.hpp"

namespace innspect {

namespace detail {
/// `RepeatVector<"r", n>`: (F,) → (n, F).
inline void declare_repeat_vector(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("RepeatVector", {d.quoted(), std::to_string(d.integer("n"))});
    d.parameters = 0;
    if (d.input_shape().size() == 1) d.shape({d.integer("n"), d.input_shape()[0]});
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<repeat_vector_schema> = &detail::declare_repeat_vector;

}  // namespace innspect

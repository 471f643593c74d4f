#pragma once
/// \file
/// How Conv1DTranspose are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/conv1d_transpose.hpp. They live here, not in the layer
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

#include "innspect/layers/conv1d_transpose.hpp"
#include "innspect/layers/declarations/conv_options.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
inline void declare_conv1d_transpose(KerasDeclaration& d) { declare_conv(d, "Conv1DTranspose", 1, true); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<conv1d_transpose_schema> = &detail::declare_conv1d_transpose;

}  // namespace innspect

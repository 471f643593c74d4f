#pragma once
/// \file
/// How the 1D poolings are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/pooling1d.hpp. They live here, not in the layer
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
#include "innspect/layers/declarations/pooling.hpp"
#include "innspect/layers/pooling1d.hpp"

namespace innspect {

namespace detail {
inline void declare_max_pooling1d(KerasDeclaration& d) { declare_pooling(d, "MaxPooling1D", 1); }
inline void declare_average_pooling1d(KerasDeclaration& d) { declare_pooling(d, "AveragePooling1D", 1); }
inline void declare_global_average_pooling1d(KerasDeclaration& d) { declare_global_pooling(d, "GlobalAveragePooling1D"); }
inline void declare_global_max_pooling1d(KerasDeclaration& d) { declare_global_pooling(d, "GlobalMaxPooling1D"); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<max_pooling1d_schema> = &detail::declare_max_pooling1d;
template <>
inline constexpr KerasPrinter keras_printer<average_pooling1d_schema> = &detail::declare_average_pooling1d;
template <>
inline constexpr KerasPrinter keras_printer<global_average_pooling1d_schema> = &detail::declare_global_average_pooling1d;
template <>
inline constexpr KerasPrinter keras_printer<global_max_pooling1d_schema> = &detail::declare_global_max_pooling1d;

}  // namespace innspect

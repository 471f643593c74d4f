#pragma once
/// \file
/// How Dropout and SpatialDropout2D are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/dropout.hpp. They live here, not in the layer
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
#include "innspect/layers/dropout.hpp"

namespace innspect {

namespace detail {
/// `Dropout<"d", rate>` / `SpatialDropout2D<"d", rate>` (the default 0.5 left out).
inline void declare_dropout_as(KerasDeclaration& d, std::string_view cpp_class) {
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted()}, {{d.cpp_number("rate"), "0.5"}});
    d.same_shape();
    d.parameters = 0;
}
inline void declare_dropout(KerasDeclaration& d) { declare_dropout_as(d, "Dropout"); }
inline void declare_spatial_dropout2d(KerasDeclaration& d) { declare_dropout_as(d, "SpatialDropout2D"); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<dropout_schema> = &detail::declare_dropout;
template <>
inline constexpr KerasPrinter keras_printer<spatial_dropout2d_schema> = &detail::declare_spatial_dropout2d;

}  // namespace innspect

#pragma once
/// \file
/// How Masking is spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printer of layers/masking.hpp. It lives here, not in the layer
/// header, so that a program that loads or checks a Keras file neither parses nor compiles it; only
/// the generator includes this header (through layers/keras_printers.hpp).

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/masking.hpp"

namespace innspect {

namespace detail {
/// `Masking<"m", mask_value>` (the default 0.0 left out).
inline void declare_masking(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("Masking", {d.quoted()}, {{d.cpp_number("mask_value"), "0.0"}});
    d.same_shape();
    d.parameters = 0;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<masking_schema> = &detail::declare_masking;

}  // namespace innspect

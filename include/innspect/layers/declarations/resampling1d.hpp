#pragma once
/// \file
/// How UpSampling1D, ZeroPadding1D and Cropping1D are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/resampling1d.hpp. They live here, not in the layer
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
#include "innspect/layers/declarations/resampling.hpp"
#include "innspect/layers/resampling1d.hpp"

namespace innspect {

namespace detail {
inline void declare_up_sampling1d(KerasDeclaration& d) { declare_up_sampling(d, "UpSampling1D", 1); }
/// `ZeroPadding1D<"z", left, right>` / `Cropping1D<...>` (defaults 1 and right = left left out).
inline void declare_pad_crop1d(KerasDeclaration& d, std::string_view cpp_class, std::string_view key, int sign) {
    const std::string l = std::to_string(d.integer(key, 0)), r = std::to_string(d.integer(key, 1));
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted()}, {{l, "1"}, {r, l}});
    d.parameters = 0;
    auto out = d.input_shape();
    if (out.size() != 2) return;
    if (out[0] >= 0) out[0] += sign * (d.integer(key, 0) + d.integer(key, 1));
    d.shape(out);
}
inline void declare_zero_padding1d(KerasDeclaration& d) { declare_pad_crop1d(d, "ZeroPadding1D", "padding", 1); }
inline void declare_cropping1d(KerasDeclaration& d) { declare_pad_crop1d(d, "Cropping1D", "cropping", -1); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<up_sampling1d_schema> = &detail::declare_up_sampling1d;
template <>
inline constexpr KerasPrinter keras_printer<zero_padding1d_schema> = &detail::declare_zero_padding1d;
template <>
inline constexpr KerasPrinter keras_printer<cropping1d_schema> = &detail::declare_cropping1d;

}  // namespace innspect

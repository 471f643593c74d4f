#pragma once
/// \file
/// How UpSampling2D, ZeroPadding2D and Cropping2D are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/resampling.hpp. They live here, not in the layer
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
#include "innspect/layers/resampling.hpp"

namespace innspect {

namespace detail {
/// `UpSampling2D<"u", UpSize<h, w>>` (and 1D, `dims` 1): every pixel copied size times per axis.
inline void declare_up_sampling(KerasDeclaration& d, std::string_view cpp_class, int dims) {
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted()},
                                            {{d.sizes("UpSize", "size"), dims == 2 ? "UpSize<2, 2>" : "UpSize<2>"}});
    d.parameters = 0;
    auto out = d.input_shape();
    if (out.size() != static_cast<std::size_t>(dims) + 1) return;
    for (std::size_t a = 0; a < static_cast<std::size_t>(dims); ++a)
        if (out[a] >= 0) out[a] *= d.integer("size", a);
    d.shape(out);
}
inline void declare_up_sampling2d(KerasDeclaration& d) { declare_up_sampling(d, "UpSampling2D", 2); }
/// `ZeroPadding2D<"z", top, bottom, left, right>` / `Cropping2D<...>`: `sign` +1 pads, −1 crops.
inline void declare_pad_crop2d(KerasDeclaration& d, std::string_view cpp_class, std::string_view key, int sign) {
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted(), KerasDeclaration::list(d.integers(key))});
    d.parameters = 0;
    auto out = d.input_shape();
    if (out.size() != 3) return;
    for (std::size_t a = 0; a < 2; ++a)
        if (out[a] >= 0) out[a] += sign * (d.integer(key, 2 * a) + d.integer(key, 2 * a + 1));
    d.shape(out);
}
inline void declare_zero_padding2d(KerasDeclaration& d) { declare_pad_crop2d(d, "ZeroPadding2D", "padding", 1); }
inline void declare_cropping2d(KerasDeclaration& d) { declare_pad_crop2d(d, "Cropping2D", "cropping", -1); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<up_sampling2d_schema> = &detail::declare_up_sampling2d;
template <>
inline constexpr KerasPrinter keras_printer<zero_padding2d_schema> = &detail::declare_zero_padding2d;
template <>
inline constexpr KerasPrinter keras_printer<cropping2d_schema> = &detail::declare_cropping2d;

}  // namespace innspect

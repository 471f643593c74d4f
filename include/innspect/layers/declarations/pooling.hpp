#pragma once
/// \file
/// How the 2D poolings (MaxPooling2D, AveragePooling2D, the global ones) are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/pooling.hpp. They live here, not in the layer
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

#include "innspect/layers/declarations/conv_options.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/pooling.hpp"

namespace innspect {

namespace detail {
/// `MaxPooling2D<"p", PoolSize<h, w>, Strides<h, w>, Padding::same>` and the 1D ones over `dims`
/// axes; strides equal to the pool are `void` (Keras's default), trailing defaults left out.
inline void declare_pooling(KerasDeclaration& d, std::string_view cpp_class, int dims) {
    const bool strides_are_pool = d.integers("strides") == d.integers("pool_size");
    d.declaration = KerasDeclaration::spell(
        cpp_class, {d.quoted()},
        {{d.sizes("PoolSize", "pool_size"), dims == 2 ? "PoolSize<2, 2>" : "PoolSize<2>"},
         {strides_are_pool ? "void" : d.sizes("Strides", "strides"), "void"},
         {declared_padding(d, false), "Padding::valid"}});
    d.parameters = 0;
    const auto& in = d.input_shape();
    if (in.size() != static_cast<std::size_t>(dims) + 1) return;
    std::vector<std::int64_t> out;
    for (std::size_t a = 0; a < static_cast<std::size_t>(dims); ++a)
        out.push_back(conv_out_length(in[a], d.integer("pool_size", a), d.integer("strides", a), 1, d.text("padding"), false));
    out.push_back(in.back());
    d.shape(out);
}
inline void declare_max_pooling2d(KerasDeclaration& d) { declare_pooling(d, "MaxPooling2D", 2); }
inline void declare_average_pooling2d(KerasDeclaration& d) { declare_pooling(d, "AveragePooling2D", 2); }
/// `GlobalAveragePooling2D<"g">` and the other global poolings: (..., c) → (c,).
inline void declare_global_pooling(KerasDeclaration& d, std::string_view cpp_class) {
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted()});
    if (!d.input_shape().empty()) d.shape({d.input_shape().back()});
    d.parameters = 0;
}
inline void declare_global_average_pooling2d(KerasDeclaration& d) { declare_global_pooling(d, "GlobalAveragePooling2D"); }
inline void declare_global_max_pooling2d(KerasDeclaration& d) { declare_global_pooling(d, "GlobalMaxPooling2D"); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<max_pooling2d_schema> = &detail::declare_max_pooling2d;
template <>
inline constexpr KerasPrinter keras_printer<average_pooling2d_schema> = &detail::declare_average_pooling2d;
template <>
inline constexpr KerasPrinter keras_printer<global_average_pooling2d_schema> = &detail::declare_global_average_pooling2d;
template <>
inline constexpr KerasPrinter keras_printer<global_max_pooling2d_schema> = &detail::declare_global_max_pooling2d;

}  // namespace innspect

#pragma once
/// \file
/// How Reshape and Flatten are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/reshape.hpp. They live here, not in the layer
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
#include "innspect/layers/reshape.hpp"

namespace innspect {

namespace detail {
/// The number of values in one sample of `s`, −1 when a size is unknown.
inline std::int64_t sample_size(const std::vector<std::int64_t>& s) {
    std::int64_t n = 1;
    for (auto x : s) {
        if (x < 0) return -1;
        n *= x;
    }
    return n;
}
/// `Reshape<"r", Shape<...>>`; Keras's −1 ("the rest") is resolved from the input's size.
inline void declare_reshape(KerasDeclaration& d) {
    std::vector<std::int64_t> target;
    int unknown = -1;
    for (std::size_t i = 0; i < d.value("target_shape").numbers.size(); ++i) {
        const int t = d.integer("target_shape", i);
        if (t == -1 && unknown < 0) unknown = static_cast<int>(i);
        else if (t <= 0) d.fail("target_shape " + d.text("target_shape") + " holds a size " + std::to_string(t));
        target.push_back(t);
    }
    if (unknown >= 0) {
        const std::int64_t in = sample_size(d.input_shape()), known = -sample_size(target);
        if (in <= 0 || known <= 0 || in % known != 0)
            d.fail("target_shape " + d.text("target_shape") + " has a -1 that the input's size does not determine");
        target[static_cast<std::size_t>(unknown)] = in / known;
    }
    std::vector<int> sizes(target.begin(), target.end());
    d.declaration = KerasDeclaration::spell("Reshape", {d.quoted(), "Shape<" + KerasDeclaration::list(sizes) + ">"});
    d.shape(target);
    d.parameters = 0;
}
/// `Flatten<"f">`: (h, w, c) → (h·w·c,).
inline void declare_flatten(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("Flatten", {d.quoted()});
    if (const std::int64_t n = sample_size(d.input_shape()); n > 0) d.shape({n});
    d.parameters = 0;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<reshape_schema> = &detail::declare_reshape;
template <>
inline constexpr KerasPrinter keras_printer<flatten_schema> = &detail::declare_flatten;

}  // namespace innspect

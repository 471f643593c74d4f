#pragma once
/// \file
/// How Permute are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/permute.hpp. They live here, not in the layer
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
#include "innspect/layers/permute.hpp"

namespace innspect {

namespace detail {
/// `Permute<"p", 2, 1>` (Keras's 1-based axes).
inline void declare_permute(KerasDeclaration& d) {
    const std::vector<int> dims = d.integers("dims");
    d.declaration = KerasDeclaration::spell("Permute", {d.quoted(), KerasDeclaration::list(dims)});
    d.parameters = 0;
    const auto& in = d.input_shape();
    if (in.size() != dims.size()) return;
    std::vector<std::int64_t> out;
    for (int a : dims) {
        if (a < 1 || a > static_cast<int>(in.size())) return;
        out.push_back(in[static_cast<std::size_t>(a - 1)]);
    }
    d.shape(out);
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<permute_schema> = &detail::declare_permute;

}  // namespace innspect

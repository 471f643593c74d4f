#pragma once
/// \file
/// How PReLU are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/prelu.hpp. They live here, not in the layer
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
#include "innspect/layers/prelu.hpp"

namespace innspect {

namespace detail {
/// `PReLU<"p", SharedAxes<1, 2>>` (axes in increasing order; none shared: the default, left out).
inline void declare_prelu(KerasDeclaration& d) {
    std::vector<int> axes = d.find("shared_axes") != nullptr ? d.integers("shared_axes") : std::vector<int>{};
    std::sort(axes.begin(), axes.end());
    d.declaration = KerasDeclaration::spell("PReLU", {d.quoted()},
                                            {{"SharedAxes<" + KerasDeclaration::list(axes) + ">", "SharedAxes<>"}});
    d.same_shape();
    std::int64_t n = 1;
    for (std::size_t a = 0; a < d.input_shape().size(); ++a)
        if (std::find(axes.begin(), axes.end(), static_cast<int>(a + 1)) == axes.end()) n *= d.input_shape()[a];
    if (!d.input_shape().empty() && n > 0) d.parameters = n;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<prelu_schema> = &detail::declare_prelu;

}  // namespace innspect

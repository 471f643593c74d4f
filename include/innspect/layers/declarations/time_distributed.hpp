#pragma once
/// \file
/// How TimeDistributed are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/time_distributed.hpp. They live here, not in the layer
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
#include "innspect/layers/time_distributed.hpp"

namespace innspect {

namespace detail {
/// `TimeDistributed<"td", Dense<...>>`: the wrapped layer declared on one step.
inline void declare_time_distributed(KerasDeclaration& d) {
    const auto& in = d.input_shape();
    const KerasDeclaration& inner =
        d.declare_wrapped(in.size() >= 2 ? std::vector<std::int64_t>(in.begin() + 1, in.end()) : std::vector<std::int64_t>{});
    d.declaration = KerasDeclaration::spell("TimeDistributed", {d.quoted(), inner.declaration});
    if (inner.output_shape_known && !in.empty()) {
        std::vector<std::int64_t> out{in.front()};
        out.insert(out.end(), inner.output_shape.begin(), inner.output_shape.end());
        d.shape(out);
    }
    d.parameters = inner.parameters;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<time_distributed_schema> = &detail::declare_time_distributed;

}  // namespace innspect

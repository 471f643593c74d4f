#pragma once
/// \file
/// How Bidirectional are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/bidirectional.hpp. They live here, not in the layer
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

#include "innspect/layers/bidirectional.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
/// `Bidirectional<"bi", LSTM<...>, BidirectionalMerge::sum>` (concat, the default, left out).
inline void declare_bidirectional(KerasDeclaration& d) {
    const std::string& mode = d.text("merge_mode");
    if (mode != "concat" && mode != "sum" && mode != "ave") d.fail("merge_mode '" + mode + "': innspect runs concat, sum and ave");
    const KerasDeclaration& inner = d.declare_wrapped(d.input_shape());
    d.declaration = KerasDeclaration::spell("Bidirectional", {d.quoted(), inner.declaration},
                                            {{"BidirectionalMerge::" + mode, "BidirectionalMerge::concat"}});
    if (inner.output_shape_known) {
        auto out = inner.output_shape;
        if (mode == "concat") out.back() *= 2;
        d.shape(out);
    }
    if (inner.parameters >= 0) d.parameters = 2 * inner.parameters;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<bidirectional_schema> = &detail::declare_bidirectional;

}  // namespace innspect

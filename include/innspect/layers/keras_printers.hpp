#pragma once
/// \file
/// Every registered Keras class's printer (how its layers are spelled in C++), in the order of
/// the registry (layers/keras_classes.hpp): what the header generator (io/keras_declaration.hpp)
/// uses, and only it. A program that loads or checks a Keras file includes keras_classes.hpp but
/// not this, so it neither parses nor compiles a printer. Adding a layer adds its printer header
/// here, next to its line in keras_classes.hpp.

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <utility>

#include "innspect/layers/declarations/activation.hpp"
#include "innspect/layers/declarations/batch_normalization.hpp"
#include "innspect/layers/declarations/bidirectional.hpp"
#include "innspect/layers/declarations/conv1d.hpp"
#include "innspect/layers/declarations/conv1d_transpose.hpp"
#include "innspect/layers/declarations/conv2d.hpp"
#include "innspect/layers/declarations/conv2d_transpose.hpp"
#include "innspect/layers/declarations/dense.hpp"
#include "innspect/layers/declarations/dropout.hpp"
#include "innspect/layers/declarations/gru.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/declarations/lstm.hpp"
#include "innspect/layers/declarations/masking.hpp"
#include "innspect/layers/declarations/merge.hpp"
#include "innspect/layers/declarations/permute.hpp"
#include "innspect/layers/declarations/pooling.hpp"
#include "innspect/layers/declarations/pooling1d.hpp"
#include "innspect/layers/declarations/prelu.hpp"
#include "innspect/layers/declarations/repeat_vector.hpp"
#include "innspect/layers/declarations/resampling.hpp"
#include "innspect/layers/declarations/resampling1d.hpp"
#include "innspect/layers/declarations/reshape.hpp"
#include "innspect/layers/declarations/simple_rnn.hpp"
#include "innspect/layers/declarations/time_distributed.hpp"
#include "innspect/layers/keras_classes.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
template <std::size_t... I>
constexpr std::array<KerasPrinter, sizeof...(I)> registered_printers(std::index_sequence<I...>) {
    return {keras_printer<*keras_classes[I]>...};
}
}  // namespace detail

/// keras_printers[i] prints keras_classes[i].
inline constexpr auto keras_printers = detail::registered_printers(std::make_index_sequence<std::size(keras_classes)>{});

// GCC 12 does not treat comparing a function's address with null as a constant expression under
// -fsanitize=address, so the check runs in the other builds (CI's Release build among them).
#ifndef __SANITIZE_ADDRESS__
static_assert(std::ranges::find(keras_printers, nullptr) == keras_printers.end(),
              "every Keras class in layers/keras_classes.hpp needs a printer: a keras_printer specialisation in "
              "layers/declarations/, included by layers/keras_printers.hpp");
#endif

/// The printer of the class `schema` describes, or nullptr when it has none.
inline KerasPrinter find_keras_printer(const KerasSchema& schema) {
    for (std::size_t i = 0; i < std::size(keras_classes); ++i)
        if (keras_classes[i] == &schema) return keras_printers[i];
    return nullptr;
}

}  // namespace innspect

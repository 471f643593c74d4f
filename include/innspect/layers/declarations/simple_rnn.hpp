#pragma once
/// \file
/// How a SimpleRNN is spelled in C++ by the header generator (io/keras_declaration.hpp).

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/declarations/recurrent.hpp"
#include "innspect/layers/simple_rnn.hpp"

namespace innspect {

namespace detail {
inline void declare_simple_rnn(KerasDeclaration& d) { declare_recurrent(d, "SimpleRNN", 1); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<simple_rnn_schema> = &detail::declare_simple_rnn;

}  // namespace innspect

#pragma once
/// \file
/// How a LSTM is spelled in C++ by the header generator (io/keras_declaration.hpp).

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/declarations/recurrent.hpp"
#include "innspect/layers/lstm.hpp"

namespace innspect {

namespace detail {
inline void declare_lstm(KerasDeclaration& d) { declare_recurrent(d, "LSTM", 4); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<lstm_schema> = &detail::declare_lstm;

}  // namespace innspect

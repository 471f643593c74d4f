#pragma once
/// \file
/// How a GRU is spelled in C++ by the header generator (io/keras_declaration.hpp).

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/declarations/recurrent.hpp"
#include "innspect/layers/gru.hpp"

namespace innspect {

namespace detail {
inline void declare_gru(KerasDeclaration& d) { declare_recurrent(d, "GRU", 3); }
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<gru_schema> = &detail::declare_gru;

}  // namespace innspect

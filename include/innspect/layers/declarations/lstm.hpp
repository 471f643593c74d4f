#pragma once
/// \file
/// Where the header generator (io/keras_declaration.hpp) finds how a LSTM is spelled in C++.
/// The printer itself, detail::declare_lstm, is still defined in layers/lstm.hpp and passed to its schema
/// (which drops it, layers/keras_schema.hpp's DroppedPrinter): that header was being edited when
/// the printers moved out of the layer headers. Moving it here (and dropping the schema's fifth
/// value) finishes the move; until then a loading program parses that one-line printer and
/// detail::declare_recurrent (layers/declarations/recurrent.hpp), but compiles neither.

#include "innspect/layers/declarations/keras_printer.hpp"
#include "innspect/layers/declarations/recurrent.hpp"
#include "innspect/layers/lstm.hpp"

namespace innspect {

template <>
inline constexpr KerasPrinter keras_printer<lstm_schema> = &detail::declare_lstm;

}  // namespace innspect

#pragma once
/// \file
/// How the recurrent layers are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): detail::declare_recurrent, which LSTM's, GRU's and SimpleRNN's
/// printers call (layers/declarations/lstm.hpp, gru.hpp, simple_rnn.hpp).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/layers/declarations/activation_functions.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
/// The C++ declaration of a file's recurrent layer: `LSTM<"l", units, Recurrent{...}, Act, RecAct>`
/// (`gates`: 4 LSTM, 3 GRU, 1 SimpleRNN, which has no recurrent activation), the options Keras's
/// defaults left out, with its output shape and parameters.
inline void declare_recurrent(KerasDeclaration& d, std::string_view cpp_class, int gates) {
    const int units = d.integer("units");
    const bool gru = gates == 3;
    std::string opt;
    const auto option = [&](std::string_view key, bool keras_default) {
        if (d.boolean(key) != keras_default) opt += std::string(opt.empty() ? "" : ", ") + "." + std::string(key) + " = " + (keras_default ? "false" : "true");
    };
    option("return_sequences", false);
    option("go_backwards", false);
    option("use_bias", true);
    if (gru) option("reset_after", true);
    std::vector<std::pair<std::string, std::string>> optional = {{"Recurrent{" + opt + "}", "Recurrent{}"},
                                                                 {declared_activation(d), "Tanh"}};
    if (gates > 1) optional.push_back({declared_activation(d, "recurrent_activation"), "Sigmoid"});
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted(), std::to_string(units)}, optional);
    const auto& in = d.input_shape();
    if (in.size() != 2) return;
    if (d.boolean("return_sequences")) d.shape({in[0], units});
    else d.shape({units});
    if (in[1] < 0) return;
    const std::int64_t u = units, bias = d.boolean("use_bias") ? u * gates * (gru && d.boolean("reset_after") ? 2 : 1) : 0;
    d.parameters = gates * u * (in[1] + u) + bias;
}
}  // namespace detail

}  // namespace innspect

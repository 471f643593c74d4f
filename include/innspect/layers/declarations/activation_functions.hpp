#pragma once
/// \file
/// How a fused activation is spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/activation_functions.hpp. They live here, not in the layer
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

namespace innspect {

/// The C++ type of the activation Keras names `keras_name` (a fused `activation=` or an Activation
/// layer), as the header generator prints it: "selu" → "Selu"; "" when innspect has none.
/// `keras3`: the file was written by Keras 3, whose hard_sigmoid is x/6 + 1/2 (Keras 2: 0.2x + 1/2)
/// and whose fused leaky_relu has slope 0.2 (keras.activations.leaky_relu's default, as tf.nn's).
inline std::string activation_declaration(std::string_view keras_name, bool keras3) {
    struct Entry {
        std::string_view keras, cpp;
    };
    static constexpr Entry names[] = {
        {"linear", "Linear"},       {"relu", "Relu"},         {"selu", "Selu"},       {"elu", "Elu"},
        {"tanh", "Tanh"},           {"sigmoid", "Sigmoid"},   {"softmax", "Softmax"}, {"softplus", "Softplus"},
        {"softsign", "Softsign"},   {"swish", "Swish"},       {"silu", "Silu"},       {"gelu", "Gelu"},
        {"exponential", "Exponential"}, {"leaky_relu", "LeakyReluWith<0.2>"},
    };
    if (keras_name == "hard_sigmoid") return keras3 ? "HardSigmoidKeras3" : "HardSigmoid";
    for (const Entry& e : names)
        if (e.keras == keras_name) return std::string(e.cpp);
    return {};
}
/// The C++ activation type of a file layer's activation field `key` (the header generator), or
/// an error naming the layer and the activation innspect does not have.
inline std::string declared_activation(const KerasDeclaration& d, std::string_view key = "activation") {
    const std::string& keras_name = d.text(key);
    std::string cpp = activation_declaration(keras_name, d.keras3);
    if (cpp.empty()) d.fail(std::string(key) + " '" + keras_name + "': innspect has no such activation");
    return cpp;
}

}  // namespace innspect

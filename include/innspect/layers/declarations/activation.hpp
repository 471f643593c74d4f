#pragma once
/// \file
/// How Activation, ReLU, LeakyReLU, ELU and Softmax are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/activation.hpp. They live here, not in the layer
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

#include "innspect/layers/activation.hpp"
#include "innspect/layers/declarations/activation_functions.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
// How each class is declared in C++ (the header generator); the output has the input's shape.
inline void declare_activation(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("Activation", {d.quoted(), declared_activation(d)});
    d.same_shape();
    d.parameters = 0;
}
inline void declare_relu(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell(
        "ReLU", {d.quoted()},
        {{d.cpp_number("max_value"), KerasDeclaration::cpp_number(std::numeric_limits<double>::infinity())},
         {d.cpp_number("negative_slope"), "0.0"},
         {d.cpp_number("threshold"), "0.0"}});
    d.same_shape();
    d.parameters = 0;
}
inline void declare_leaky_relu(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("LeakyReLU", {d.quoted()}, {{d.cpp_number("alpha"), "0.3"}});
    d.same_shape();
    d.parameters = 0;
}
inline void declare_elu(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("ELU", {d.quoted()}, {{d.cpp_number("alpha"), "1.0"}});
    d.same_shape();
    d.parameters = 0;
}
/// `SoftmaxLayer<"s", Axis<a>>`; the last axis written as −1 (the default, left out).
inline void declare_softmax(KerasDeclaration& d) {
    int axis = d.integer("axis");
    const auto rank = static_cast<int>(d.input_shape().size());
    if (rank > 0 && axis == rank) axis = -1;
    d.declaration = KerasDeclaration::spell("SoftmaxLayer", {d.quoted()}, {{"Axis<" + std::to_string(axis) + ">", "Axis<-1>"}});
    d.same_shape();
    d.parameters = 0;
}
}  // namespace detail

template <>
inline constexpr KerasPrinter keras_printer<activation_schema> = &detail::declare_activation;
template <>
inline constexpr KerasPrinter keras_printer<relu_schema> = &detail::declare_relu;
template <>
inline constexpr KerasPrinter keras_printer<leaky_relu_schema> = &detail::declare_leaky_relu;
template <>
inline constexpr KerasPrinter keras_printer<elu_schema> = &detail::declare_elu;
template <>
inline constexpr KerasPrinter keras_printer<softmax_schema> = &detail::declare_softmax;

}  // namespace innspect

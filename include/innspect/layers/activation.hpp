#pragma once
/// \file
/// Keras `Activation(name)`: an activation as a layer of its own ("linear conv + Activation" style).

#include <limits>
#include <type_traits>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/pass_through_base.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField activation_fields[] = {
    {.key = "activation", .type = FieldType::activation, .has_fallback = true, .text_fallback = "linear"}};
inline constexpr KerasField relu_fields[] = {
    {.key = "max_value", .has_fallback = true, .fallback = {std::numeric_limits<double>::infinity()}},
    {.key = "negative_slope", .has_fallback = true, .fallback = {0}},
    {.key = "threshold", .has_fallback = true, .fallback = {0}},
};
// Keras 3 renamed LeakyReLU's alpha to negative_slope.
inline constexpr KerasField leaky_relu_fields[] = {
    {.key = "alpha", .has_fallback = true, .fallback = {0.3}, .alias = "negative_slope"}};
inline constexpr KerasField elu_fields[] = {{.key = "alpha", .has_fallback = true, .fallback = {1.0}}};
inline constexpr KerasField softmax_fields[] = {
    {.key = "axis", .type = FieldType::raw, .requirement = "applies softmax over the last axis only", .accepted = "-1|[-1]"}};

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
inline void declare_softmax(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("SoftmaxLayer", {d.quoted()});
    d.same_shape();
    d.parameters = 0;
}
}  // namespace detail
/// Keras's Activation, ReLU and LeakyReLU configs: the three are compared by their activation
/// (Activation("relu"), ReLU() and a fused relu are the same function).
inline constexpr KerasSchema activation_schema{"Activation", detail::activation_fields, true, {}, &detail::declare_activation};
inline constexpr KerasSchema relu_schema{"ReLU", detail::relu_fields, true, "relu", &detail::declare_relu};
inline constexpr KerasSchema leaky_relu_schema{"LeakyReLU", detail::leaky_relu_fields, true, "leaky_relu",
                                               &detail::declare_leaky_relu};
inline constexpr KerasSchema elu_schema{"ELU", detail::elu_fields, true, "elu", &detail::declare_elu};
inline constexpr KerasSchema softmax_schema{"Softmax", detail::softmax_fields, true, "softmax", &detail::declare_softmax};

namespace detail {
/// An activation as a layer of its own, under the Keras class `Schema`.
template <fixed_string Name, ActivationFunction Act, const KerasSchema& Schema>
struct ActivationSpec {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.activation<Act>(); }

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    struct layer : PassThroughBase<layer<T, In>, T, Act, In> {
        static constexpr std::string_view name = ActivationSpec::name;
        static constexpr std::string_view keras_class = ActivationSpec::keras_class;
        using input_shape = In;
        using output_shape = In;
    };
};
}  // namespace detail

/// Keras Activation layer: a = f(x). Its pre-activation is its input.
template <fixed_string Name, ActivationFunction Act>
struct Activation : detail::ActivationSpec<Name, Act, activation_schema> {};

/// Keras ReLU layer: ReLU(max_value, negative_slope, threshold); `ReLU<"re_lu_1">` is a plain ReLU.
template <fixed_string Name, double MaxValue = std::numeric_limits<double>::infinity(), double Slope = 0.0,
          double Threshold = 0.0>
struct ReLU : detail::ActivationSpec<Name,
                                     std::conditional_t<(MaxValue == std::numeric_limits<double>::infinity() &&
                                                         Slope == 0.0 && Threshold == 0.0),
                                                        Relu, ReluWith<MaxValue, Slope, Threshold>>,
                                     relu_schema> {};

/// Keras LeakyReLU layer: f(x) = x for x > 0, alpha·x otherwise (Keras 2's default alpha 0.3;
/// Keras 3 calls it negative_slope, same default).
template <fixed_string Name, double Alpha = 0.3>
struct LeakyReLU : detail::ActivationSpec<Name, LeakyReluWith<Alpha>, leaky_relu_schema> {};

/// Keras ELU layer: f(x) = x for x > 0, alpha·(eˣ − 1) otherwise.
template <fixed_string Name, double Alpha = 1.0>
struct ELU : detail::ActivationSpec<Name, EluWith<Alpha>, elu_schema> {};

/// Keras Softmax layer over the last axis (axis=-1, Keras's default).
template <fixed_string Name>
struct SoftmaxLayer : detail::ActivationSpec<Name, Softmax, softmax_schema> {};

}  // namespace innspect

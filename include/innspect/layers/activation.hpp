#pragma once
/// \file
/// Keras `Activation(name)`: an activation as a layer of its own ("linear conv + Activation" style).

#include <limits>
#include <type_traits>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/axis.hpp"
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
inline constexpr KerasField softmax_fields[] = {{.key = "axis", .has_fallback = true, .fallback = {-1}}};

}  // namespace detail
/// Keras's Activation, ReLU and LeakyReLU configs: the three are compared by their activation
/// (Activation("relu"), ReLU() and a fused relu are the same function).
inline constexpr KerasSchema activation_schema{"Activation", detail::activation_fields, true, {}};
inline constexpr KerasSchema relu_schema{"ReLU", detail::relu_fields, true, "relu"};
inline constexpr KerasSchema leaky_relu_schema{"LeakyReLU", detail::leaky_relu_fields, true, "leaky_relu"};
inline constexpr KerasSchema elu_schema{"ELU", detail::elu_fields, true, "elu"};
inline constexpr KerasSchema softmax_schema{"Softmax", detail::softmax_fields, true, "softmax"};

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

namespace detail {
/// The softmax along Keras axis `A` of a sample of shape `In`: Softmax over the channels when it
/// is the last axis, SoftmaxOver<size of the axis, size of the axes after it> otherwise.
template <int A, ShapeType In>
struct softmax_along {
    static constexpr int axis = sample_axis(A, In::rank);
    static_assert(axis >= 0 && axis < In::rank, "SoftmaxLayer: the axis is not an axis of the input");
    static constexpr auto dims = dims_of<In>();
    static constexpr int inner = axis == In::rank - 1 ? 1
                               : axis == In::rank - 2 ? dims[static_cast<std::size_t>(In::rank - 1)]
                                                      : dims[1] * dims[2];
    using type = std::conditional_t<axis == In::rank - 1, Softmax, SoftmaxOver<dims[static_cast<std::size_t>(axis)], inner>>;
};
}  // namespace detail

/// Keras Softmax layer: a_j = e^{z_j} / Σ_l e^{z_l} along one axis, the last by default (Keras's
/// axis=-1); `SoftmaxLayer<"s", Axis<1>>` along the first axis of a sample (Keras counts the batch
/// as axis 0). Relevance passes through it, as through every activation.
template <fixed_string Name, class Ax = Axis<-1>>
struct SoftmaxLayer {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = softmax_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    /// Compared as the activation it computes, and its axis in either Keras spelling (3 or −1).
    template <class In>
    static void keras_values_for(KerasValues& v) {
        v.activation<Softmax>();
        const int a = detail::sample_axis(Ax::value, In::rank);
        v.numbers_any_of("axis", {double(a + 1), double(a - In::rank)});
    }

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    struct layer : detail::PassThroughBase<layer<T, In>, T, typename detail::softmax_along<Ax::value, In>::type, In> {
        static constexpr std::string_view name = SoftmaxLayer::name;
        static constexpr std::string_view keras_class = SoftmaxLayer::keras_class;
        using input_shape = In;
        using output_shape = In;
    };
};

}  // namespace innspect

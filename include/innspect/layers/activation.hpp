#pragma once
/// \file
/// Keras `Activation(name)`: an activation as a layer of its own ("linear conv + Activation" style).

#include <limits>
#include <type_traits>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_kind.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/pass_through_base.hpp"

namespace innspect {

/// Keras Activation layer: a = f(x). Its pre-activation is its input.
template <fixed_string Name, ActivationFunction Act>
struct Activation {
    static constexpr std::string_view name = Name.view();
    static constexpr LayerKind kind = LayerKind::activation;

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    struct layer : detail::PassThroughBase<layer<T, In>, T, Act, In> {
        static constexpr std::string_view name = Activation::name;
        static constexpr LayerKind kind = LayerKind::activation;
        using input_shape = In;
        using output_shape = In;
    };
};

/// Keras ReLU layer: ReLU(max_value, negative_slope, threshold); `ReLU<"re_lu_1">` is a plain ReLU.
template <fixed_string Name, double MaxValue = std::numeric_limits<double>::infinity(), double Slope = 0.0,
          double Threshold = 0.0>
struct ReLU : Activation<Name, std::conditional_t<(MaxValue == std::numeric_limits<double>::infinity() &&
                                                   Slope == 0.0 && Threshold == 0.0),
                                                  Relu, ReluWith<MaxValue, Slope, Threshold>>> {};

}  // namespace innspect

#pragma once
/// \file
/// Keras `Dropout(rate)` and `SpatialDropout2D(rate)`: the identity at inference, which is all
/// an explanation ever runs. The rate is kept for architecture checks only.

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/pass_through_base.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField dropout_fields[] = {{.key = "rate", .has_fallback = true, .fallback = {0.5}}};
}  // namespace detail
/// Keras's Dropout and SpatialDropout2D configs.
inline constexpr KerasSchema dropout_schema{"Dropout", detail::dropout_fields, false, {}};
inline constexpr KerasSchema spatial_dropout2d_schema{"SpatialDropout2D", detail::dropout_fields, false, {}};

namespace detail {
template <fixed_string Name, double Rate, bool Spatial>
struct DropoutSpec {
    static_assert(Rate >= 0.0 && Rate < 1.0, "Dropout: the rate must lie in [0, 1)");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Spatial ? spatial_dropout2d_schema : dropout_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("rate", {Rate}); }
    static constexpr double rate = Rate;
    static constexpr bool spatial = Spatial;

    template <ShapeType In>
    using output_shape_for = In;

    template <class T, ShapeType In>
    struct layer : PassThroughBase<layer<T, In>, T, Linear, In> {
        static_assert(!Spatial || In::rank == 3, "SpatialDropout2D needs an image input (height, width, channels)");
        static constexpr std::string_view name = DropoutSpec::name;
        static constexpr std::string_view keras_class = DropoutSpec::keras_class;
        using input_shape = In;
        using output_shape = In;
    };
};
}  // namespace detail

/// Keras Dropout: identity at inference.
template <fixed_string Name, double Rate = 0.5>
struct Dropout : detail::DropoutSpec<Name, Rate, false> {};

/// Keras SpatialDropout2D: identity at inference.
template <fixed_string Name, double Rate = 0.5>
struct SpatialDropout2D : detail::DropoutSpec<Name, Rate, true> {};

}  // namespace innspect

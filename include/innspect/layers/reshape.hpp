#pragma once
/// \file
/// Keras `Reshape(target_shape)` and `Flatten()`: C-order reshapes, which leave the flat
/// channels-last storage untouched. Relevance and gradients are reshaped back unchanged.

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/pass_through_base.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField reshape_fields[] = {{.key = "target_shape", .type = FieldType::shape}};
}  // namespace detail
/// Keras's Reshape and Flatten configs.
inline constexpr KerasSchema reshape_schema{"Reshape", detail::reshape_fields, false, {}};
inline constexpr KerasSchema flatten_schema{"Flatten", {}, false, {}};

/// Keras Reshape to `Target` (a `Shape<...>`), which must hold as many values as the input.
template <fixed_string Name, ShapeType Target>
struct Reshape {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = reshape_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        const auto k = Target::keras();
        v.numbers("target_shape", std::vector<double>(k.begin(), k.end()));
    }

    template <ShapeType In>
    static constexpr bool check() {
        static_assert(In::size == Target::size, "Reshape: the target shape holds a different number of values than the input");
        return true;
    }
    template <ShapeType In>
        requires(check<In>())
    using output_shape_for = Target;

    template <class T, ShapeType In>
    struct layer : detail::PassThroughBase<layer<T, In>, T, Linear, In> {
        static constexpr std::string_view name = Reshape::name;
        static constexpr std::string_view keras_class = Reshape::keras_class;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
    };
};

/// Keras Flatten: (h, w, c) → (h·w·c,).
template <fixed_string Name>
struct Flatten {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = flatten_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues&) {}

    template <ShapeType In>
    using output_shape_for = Shape<In::size>;

    template <class T, ShapeType In>
    struct layer : detail::PassThroughBase<layer<T, In>, T, Linear, In> {
        static constexpr std::string_view name = Flatten::name;
        static constexpr std::string_view keras_class = Flatten::keras_class;
        using input_shape = In;
        using output_shape = output_shape_for<In>;
    };
};

}  // namespace innspect

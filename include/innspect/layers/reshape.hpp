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

/// The number of values in one sample of `s`, −1 when a size is unknown.
inline std::int64_t sample_size(const std::vector<std::int64_t>& s) {
    std::int64_t n = 1;
    for (auto x : s) {
        if (x < 0) return -1;
        n *= x;
    }
    return n;
}

/// `Reshape<"r", Shape<...>>`; Keras's −1 ("the rest") is resolved from the input's size.
inline void declare_reshape(KerasDeclaration& d) {
    std::vector<std::int64_t> target;
    int unknown = -1;
    for (std::size_t i = 0; i < d.value("target_shape").numbers.size(); ++i) {
        const int t = d.integer("target_shape", i);
        if (t == -1 && unknown < 0) unknown = static_cast<int>(i);
        else if (t <= 0) d.fail("target_shape " + d.text("target_shape") + " holds a size " + std::to_string(t));
        target.push_back(t);
    }
    if (unknown >= 0) {
        const std::int64_t in = sample_size(d.input_shape()), known = -sample_size(target);
        if (in <= 0 || known <= 0 || in % known != 0)
            d.fail("target_shape " + d.text("target_shape") + " has a -1 that the input's size does not determine");
        target[static_cast<std::size_t>(unknown)] = in / known;
    }
    std::vector<int> sizes(target.begin(), target.end());
    d.declaration = KerasDeclaration::spell("Reshape", {d.quoted(), "Shape<" + KerasDeclaration::list(sizes) + ">"});
    d.shape(target);
    d.parameters = 0;
}

/// `Flatten<"f">`: (h, w, c) → (h·w·c,).
inline void declare_flatten(KerasDeclaration& d) {
    d.declaration = KerasDeclaration::spell("Flatten", {d.quoted()});
    if (const std::int64_t n = sample_size(d.input_shape()); n > 0) d.shape({n});
    d.parameters = 0;
}
}  // namespace detail
/// Keras's Reshape and Flatten configs.
inline constexpr KerasSchema reshape_schema{"Reshape", detail::reshape_fields, false, {}, &detail::declare_reshape};
inline constexpr KerasSchema flatten_schema{"Flatten", {}, false, {}, &detail::declare_flatten};

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

#pragma once
/// \file
/// Keras `MaxPooling1D`, `AveragePooling1D` (pool_size, strides = pool_size by default, valid or
/// same padding), `GlobalAveragePooling1D` and `GlobalMaxPooling1D` on a sequence (steps,
/// channels). Each is its 2D counterpart (layers/pooling.hpp) with a (1, n) pool on the sequence
/// seen as an image of height 1 (detail::SequenceLayer): the same forward (padding never takes
/// part), gradient and LRP rule (max: winner takes all, the first maximum on ties; average:
/// R_i = x_i R_j / (Σ_window x + ε·sgn₀)).

#include <string_view>
#include <type_traits>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/pooling.hpp"
#include "innspect/layers/sequence_layer.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField pooling1d_fields[] = {
    {.key = "pool_size", .count = 1, .has_fallback = true, .fallback = {2}},
    {.key = "strides", .count = 1, .fallback_from = "pool_size"},
    {.key = "padding", .type = FieldType::text, .has_fallback = true, .text_fallback = "valid"},
};
}  // namespace detail
/// Keras's MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D and GlobalMaxPooling1D configs.
inline constexpr KerasSchema max_pooling1d_schema{"MaxPooling1D", detail::pooling1d_fields, false, {}};
inline constexpr KerasSchema average_pooling1d_schema{"AveragePooling1D", detail::pooling1d_fields, false, {}};
inline constexpr KerasSchema global_average_pooling1d_schema{"GlobalAveragePooling1D", detail::global_pooling_fields,
                                                             false, {}};
inline constexpr KerasSchema global_max_pooling1d_schema{"GlobalMaxPooling1D", detail::global_pooling_fields, false, {}};

namespace detail {

/// MaxPooling1D / AveragePooling1D: PoolingSpec (2D) with the (1, n) pool and (1, s) strides.
template <fixed_string Name, class Pool, class S, Padding P, bool Max>
struct Pooling1DSpec {
    static_assert(Pool::rank == 1, "Pooling1D: PoolSize takes one size (PoolSize<n>)");
    using spec2d = PoolingSpec<Name, Pool, S, P, Max>;
    using strides = typename spec2d::strides;
    static_assert(strides::rank == 1, "Pooling1D: Strides takes one size (Strides<s>)");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Max ? max_pooling1d_schema : average_pooling1d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.numbers("pool_size", {Pool::w});
        v.numbers("strides", {strides::w});
        v.text("padding", padding_name(P));
    }

    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 2, "Pooling1D needs a sequence input (steps, channels)");
        static_assert(P == Padding::same || Pool::w <= In::w,
                      "Pooling1D: the pool is larger than its input (valid padding)");
        return true;
    }
    /// spec2d, with the pool clamped to the input after a failed static_assert in fits() (so the
    /// compiler adds no errors of its own).
    template <ShapeType In>
    using checked2d =
        PoolingSpec<Name, std::conditional_t<(Pool::w <= In::w || P == Padding::same), Pool, PoolSize<In::w>>, strides,
                    P, Max>;
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<checked2d<In>::template geometry<image_of<In>>().out_w, In::c>;

    template <class T, ShapeType In>
    using layer = SequenceLayer<Pooling1DSpec, checked2d<In>, T, In>;
};

/// GlobalAveragePooling1D / GlobalMaxPooling1D: (steps, c) → (c,), the 2D global pooling on (1, steps, c).
template <fixed_string Name, const KerasSchema& Schema, class Spec2D>
struct GlobalPooling1DSpec {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues&) {}

    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 2, "GlobalPooling1D needs a sequence input (steps, channels)");
        return true;
    }
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<In::c>;

    template <class T, ShapeType In>
    using layer = SequenceLayer<GlobalPooling1DSpec, Spec2D, T, In>;
};

}  // namespace detail

/// Keras MaxPooling1D(pool_size, strides = pool_size, padding): `MaxPooling1D<"p", PoolSize<2>>`.
template <fixed_string Name, class Pool = PoolSize<2>, class S = void, Padding P = Padding::valid>
struct MaxPooling1D : detail::Pooling1DSpec<Name, Pool, S, P, true> {};

/// Keras AveragePooling1D(pool_size, strides = pool_size, padding):
/// `AveragePooling1D<"p", PoolSize<3>, Strides<2>, Padding::same>`.
template <fixed_string Name, class Pool = PoolSize<2>, class S = void, Padding P = Padding::valid>
struct AveragePooling1D : detail::Pooling1DSpec<Name, Pool, S, P, false> {};

/// Keras GlobalAveragePooling1D: (steps, c) → (c,), the mean over the steps.
template <fixed_string Name>
struct GlobalAveragePooling1D
    : detail::GlobalPooling1DSpec<Name, global_average_pooling1d_schema, GlobalAveragePooling2D<Name>> {};

/// Keras GlobalMaxPooling1D: (steps, c) → (c,), the maximum over the steps (winner takes all).
template <fixed_string Name>
struct GlobalMaxPooling1D
    : detail::GlobalPooling1DSpec<Name, global_max_pooling1d_schema, GlobalMaxPooling2D<Name>> {};

}  // namespace innspect

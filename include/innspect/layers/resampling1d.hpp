#pragma once
/// \file
/// Keras `UpSampling1D(size)`, `ZeroPadding1D(padding)` and `Cropping1D(cropping)` on a sequence
/// (steps, channels), padding and cropping given as an int or (left, right). Each is its 2D
/// counterpart (layers/resampling.hpp) on the sequence seen as an image of height 1
/// (detail::SequenceLayer): values moved forward, gradient and relevance moved back (summed over
/// the copies, cropped, padded with zeros).

#include <algorithm>
#include <string_view>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/resampling.hpp"
#include "innspect/layers/sequence_layer.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField up_sampling1d_fields[] = {
    {.key = "size", .count = 1, .has_fallback = true, .fallback = {2}},
};
/// An int n stands for (n, n), as Keras reads it.
inline constexpr KerasField zero_padding1d_fields[] = {
    {.key = "padding", .count = 2, .has_fallback = true, .fallback = {1, 1}},
};
inline constexpr KerasField cropping1d_fields[] = {
    {.key = "cropping", .count = 2, .has_fallback = true, .fallback = {1, 1}},
};

}  // namespace detail
/// Keras's UpSampling1D, ZeroPadding1D and Cropping1D configs.
inline constexpr KerasSchema up_sampling1d_schema{"UpSampling1D", detail::up_sampling1d_fields, false, {}};
inline constexpr KerasSchema zero_padding1d_schema{"ZeroPadding1D", detail::zero_padding1d_fields, false, {}};
inline constexpr KerasSchema cropping1d_schema{"Cropping1D", detail::cropping1d_fields, false, {}};

/// Keras UpSampling1D(size): every step repeated n times, `UpSampling1D<"u", UpSize<3>>`.
template <fixed_string Name, class Size = UpSize<2>>
struct UpSampling1D {
    static_assert(Size::rank == 1, "UpSampling1D: UpSize takes one factor (UpSize<n>)");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = up_sampling1d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("size", {Size::w}); }
    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 2, "UpSampling1D needs a sequence input (steps, channels)");
        return true;
    }
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<In::w * Size::w, In::c>;
    template <class T, ShapeType In>
    using layer = detail::SequenceLayer<UpSampling1D, UpSampling2D<Name, UpSize<1, Size::w>>, T, In>;
};

/// Keras ZeroPadding1D(padding = 1 or (left, right)): `ZeroPadding1D<"z", 2>`, `ZeroPadding1D<"z", 1, 3>`.
template <fixed_string Name, int Left = 1, int Right = Left>
struct ZeroPadding1D {
    static_assert(Left >= 0 && Right >= 0, "ZeroPadding1D: padding must be >= 0");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = zero_padding1d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("padding", {Left, Right}); }
    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 2, "ZeroPadding1D needs a sequence input (steps, channels)");
        return true;
    }
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<In::w + Left + Right, In::c>;
    template <class T, ShapeType In>
    using layer = detail::SequenceLayer<ZeroPadding1D, ZeroPadding2D<Name, 0, 0, Left, Right>, T, In>;
};

/// Keras Cropping1D(cropping = (1, 1), an int or (left, right)): `Cropping1D<"c", 2>`,
/// `Cropping1D<"c", 0, 3>`.
template <fixed_string Name, int Left = 1, int Right = Left>
struct Cropping1D {
    static_assert(Left >= 0 && Right >= 0, "Cropping1D: cropping must be >= 0");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = cropping1d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("cropping", {Left, Right}); }
    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 2, "Cropping1D needs a sequence input (steps, channels)");
        static_assert(Left + Right < In::w, "Cropping1D: crops away the whole input");
        return true;
    }
    // After a failed static_assert in fits(), the clamps keep the compiler from adding errors of its own.
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<std::max(In::w - Left - Right, 1), In::c>;
    template <class T, ShapeType In>
    using layer = detail::SequenceLayer<
        Cropping1D,
        Cropping2D<Name, 0, 0, (Left + Right < In::w ? Left : 0), (Left + Right < In::w ? Right : In::w - 1)>, T, In>;
};

}  // namespace innspect

#pragma once
/// \file
/// Keras `UpSampling2D(size)` (nearest), `ZeroPadding2D(((top, bottom), (left, right)))` and
/// `Cropping2D(((top, bottom), (left, right)))`, channels-last. All three only move values, so
/// gradient and relevance are moved back the same way: summed over the copies (upsampling),
/// cropped (padding; relevance landing on padded zeros is dropped and shows in the conservation
/// report), padded with zeros (cropping).

#include <string>
#include <string_view>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField up_sampling2d_fields[] = {
    {.key = "size", .count = 2, .has_fallback = true, .fallback = {2, 2}},
    {.key = "interpolation", .type = FieldType::text, .has_fallback = true, .text_fallback = "nearest",
     .requirement = "upsamples nearest only"},
};
inline constexpr KerasField zero_padding2d_fields[] = {
    {.key = "padding", .type = FieldType::amounts, .has_fallback = true, .fallback = {1, 1, 1, 1}},
};
inline constexpr KerasField cropping2d_fields[] = {
    {.key = "cropping", .type = FieldType::amounts, .has_fallback = true, .fallback = {0, 0, 0, 0}},
};

}  // namespace detail
/// Keras's UpSampling2D, ZeroPadding2D and Cropping2D configs.
inline constexpr KerasSchema up_sampling2d_schema{"UpSampling2D", detail::up_sampling2d_fields, false, {}};
inline constexpr KerasSchema zero_padding2d_schema{"ZeroPadding2D", detail::zero_padding2d_fields, false, {}};
inline constexpr KerasSchema cropping2d_schema{"Cropping2D", detail::cropping2d_fields, false, {}};

/// Upsampling factors, Keras's `size`: `UpSize<h, w>` (2D) or `UpSize<n>` (1D, resampling1d.hpp).
template <int... N>
struct UpSize : detail::AxisSizes<N...> {
    static_assert(((N > 0) && ...), "UpSize: every factor must be positive");
};

namespace detail {

/// Shared by the three layers: an index map from every output feature to the input feature it
/// copies (−1 for a zero), applied forward as a gather and backward as a scatter-add.
template <class T, class In, class Out, class Derived>
struct IndexMapLayer {
    using scalar = T;
    using activation = Linear;
    using input_shape = In;
    using output_shape = Out;
    static constexpr bool pre_is_input = false;
    static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
    static constexpr RuleFamily family = RuleFamily::none;
    static constexpr std::string_view lrp_rule_name = "moved back";
    std::vector<WeightRef<T>> weights() { return {}; }
    void check_finite() const {}

    void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
        check(x, In::size, "input");
        pre.resize(0, 0);
        out.resize(x.rows(), Out::size);
        for (Eigen::Index b = 0; b < x.rows(); ++b)
            for (int k = 0; k < Out::size; ++k) {
                const int src = Derived::source(k);
                out(b, k) = src < 0 ? T(0) : x(b, src);
            }
    }
    /// Each output's value back to its source, summed, into `r` (its buffer reused).
    void backward_linear_into(const Batch<T>& g, Batch<T>& r) const {
        check(g, Out::size, "gradient/relevance at the output");
        r.setZero(g.rows(), In::size);
        for (Eigen::Index b = 0; b < g.rows(); ++b)
            for (int k = 0; k < Out::size; ++k) {
                const int src = Derived::source(k);
                if (src >= 0) r(b, src) += g(b, k);
            }
    }
    Batch<T> backward_linear(const Batch<T>& g) const {
        Batch<T> r;
        backward_linear_into(g, r);
        return r;
    }
    void lrp_backward_into(const Batch<T>&, const Batch<T>& r, Batch<T>& out) const { backward_linear_into(r, out); }
    Batch<T> lrp_backward(const Batch<T>&, const Batch<T>& r) const { return backward_linear(r); }

private:
    static void check(const Batch<T>& x, int expected, const char* what) {
        if (x.cols() != expected)
            throw shape_error(std::string(Derived::name) + ": " + what + " has " + std::to_string(x.cols()) +
                              " features per sample, expected " + std::to_string(expected));
    }
};

}  // namespace detail

/// Keras UpSampling2D(size, interpolation="nearest").
template <fixed_string Name, class Size = UpSize<2, 2>>
struct UpSampling2D {
    static_assert(Size::rank == 2, "UpSampling2D: UpSize takes two factors (height, width)");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = up_sampling2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.numbers("size", {Size::h, Size::w}); }
    template <ShapeType In>
    using output_shape_for = Shape<In::h * Size::h, In::w * Size::w, In::c>;

    template <class T, ShapeType In>
    struct layer : detail::IndexMapLayer<T, In, output_shape_for<In>, layer<T, In>> {
        static_assert(In::rank == 3, "UpSampling2D needs an image input (height, width, channels)");
        static constexpr std::string_view name = UpSampling2D::name;
        static constexpr std::string_view keras_class = UpSampling2D::keras_class;
        using size = Size;
        static int source(int k) {
            using Out = output_shape_for<In>;
            const int c = k % In::c, w = (k / In::c) % Out::w, h = k / (In::c * Out::w);
            return ((h / Size::h) * In::w + w / Size::w) * In::c + c;
        }
    };
};

/// Keras ZeroPadding2D(((top, bottom), (left, right))).
template <fixed_string Name, int Top, int Bottom, int Left, int Right>
struct ZeroPadding2D {
    static_assert(Top >= 0 && Bottom >= 0 && Left >= 0 && Right >= 0, "ZeroPadding2D: padding must be >= 0");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = zero_padding2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.amounts("padding", Top, Bottom, Left, Right); }
    template <ShapeType In>
    using output_shape_for = Shape<In::h + Top + Bottom, In::w + Left + Right, In::c>;

    template <class T, ShapeType In>
    struct layer : detail::IndexMapLayer<T, In, output_shape_for<In>, layer<T, In>> {
        static_assert(In::rank == 3, "ZeroPadding2D needs an image input (height, width, channels)");
        static constexpr std::string_view name = ZeroPadding2D::name;
        static constexpr std::string_view keras_class = ZeroPadding2D::keras_class;
        static constexpr int top = Top, bottom = Bottom, left = Left, right = Right;
        static int source(int k) {
            using Out = output_shape_for<In>;
            const int c = k % In::c, w = (k / In::c) % Out::w - Left, h = k / (In::c * Out::w) - Top;
            if (h < 0 || h >= In::h || w < 0 || w >= In::w) return -1;
            return (h * In::w + w) * In::c + c;
        }
    };
};

/// Keras Cropping2D(((top, bottom), (left, right))).
template <fixed_string Name, int Top, int Bottom, int Left, int Right>
struct Cropping2D {
    static_assert(Top >= 0 && Bottom >= 0 && Left >= 0 && Right >= 0, "Cropping2D: cropping must be >= 0");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = cropping2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { v.amounts("cropping", Top, Bottom, Left, Right); }
    template <ShapeType In>
    static constexpr bool fits() {
        static_assert(In::rank == 3, "Cropping2D needs an image input (height, width, channels)");
        static_assert(Top + Bottom < In::h && Left + Right < In::w, "Cropping2D: crops away the whole input");
        return true;
    }
    template <ShapeType In>
        requires(fits<In>())
    using output_shape_for = Shape<In::h - Top - Bottom, In::w - Left - Right, In::c>;

    template <class T, ShapeType In>
    struct layer : detail::IndexMapLayer<T, In, output_shape_for<In>, layer<T, In>> {
        static constexpr std::string_view name = Cropping2D::name;
        static constexpr std::string_view keras_class = Cropping2D::keras_class;
        static constexpr int top = Top, bottom = Bottom, left = Left, right = Right;
        static int source(int k) {
            using Out = output_shape_for<In>;
            const int c = k % In::c, w = (k / In::c) % Out::w + Left, h = k / (In::c * Out::w) + Top;
            return (h * In::w + w) * In::c + c;
        }
    };
};

}  // namespace innspect

#pragma once
/// \file
/// Keras `MaxPooling2D`, `AveragePooling2D` (pool_size, strides = pool_size by default, valid or
/// same padding with TensorFlow's geometry) and `GlobalAveragePooling2D`, channels-last.
/// Padding never takes part: the max ignores it and the mean divides by the in-bounds count, as
/// TensorFlow does.
///
/// Backward (design.md §5):
///   max:      gradient and relevance go to the window's maximum (the first one, in row-major
///             window order, on ties — ties are common after ReLU)
///   average:  gradient g/n to each in-bounds input; relevance R_i = x_i R_j / (Σ_window x + ε·sgn₀)

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
inline constexpr KerasField pooling_fields[] = {
    {.key = "pool_size", .count = 2, .has_fallback = true, .fallback = {2, 2}},
    {.key = "strides", .count = 2, .fallback_from = "pool_size"},
    {.key = "padding", .type = FieldType::text, .has_fallback = true, .text_fallback = "valid"},
};
inline constexpr KerasField global_pooling_fields[] = {
    {.key = "keepdims", .type = FieldType::raw, .requirement = "returns (channels,) only (keepdims false)",
     .accepted = "false"}};

}  // namespace detail
/// Keras's MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D configs.
inline constexpr KerasSchema max_pooling2d_schema{"MaxPooling2D", detail::pooling_fields, false, {}};
inline constexpr KerasSchema average_pooling2d_schema{"AveragePooling2D", detail::pooling_fields, false, {}};
inline constexpr KerasSchema global_average_pooling2d_schema{"GlobalAveragePooling2D", detail::global_pooling_fields, false,
                                                             {}};
inline constexpr KerasSchema global_max_pooling2d_schema{"GlobalMaxPooling2D", detail::global_pooling_fields, false, {}};

/// Pool size, Keras's `pool_size`: `PoolSize<h, w>` (2D) or `PoolSize<n>` (1D, pooling1d.hpp).
template <int... N>
struct PoolSize : detail::AxisSizes<N...> {
    static_assert(((N > 0) && ...), "PoolSize: every size must be positive");
};

namespace detail {

/// Calls f(b, out_index, in_pixel_begin...) over every output pixel with its clipped window.
template <class F>
void for_each_window(const ConvGeometry& g, Eigen::Index batch, F&& f) {
    for (Eigen::Index b = 0; b < batch; ++b)
        for (int oh = 0; oh < g.out_h; ++oh)
            for (int ow = 0; ow < g.out_w; ++ow) {
                const int h0 = std::max(oh * g.sh - g.pad_top, 0), h1 = std::min(oh * g.sh - g.pad_top + g.kh, g.in_h);
                const int w0 = std::max(ow * g.sw - g.pad_left, 0), w1 = std::min(ow * g.sw - g.pad_left + g.kw, g.in_w);
                f(b, oh * g.out_w + ow, h0, h1, w0, w1);
            }
}

/// What every pooling layer shares: no weights, identity activation.
template <class T, class In, class Out>
struct PoolingBase {
    using scalar = T;
    using activation = Linear;
    using input_shape = In;
    using output_shape = Out;
    static constexpr bool pre_is_input = false;
    static constexpr LrpPolicy lrp = LrpPolicy::own_rule;
    static constexpr RuleFamily family = RuleFamily::none;
    std::vector<WeightRef<T>> weights() { return {}; }
    void check_finite() const {}

protected:
    static void check(const Batch<T>& x, int expected, std::string_view name, const char* what) {
        if (x.cols() != expected)
            throw shape_error(std::string(name) + ": " + what + " has " + std::to_string(x.cols()) +
                              " features per sample, expected " + std::to_string(expected));
    }
};

template <fixed_string Name, class Pool, class S, Padding P, bool Max>
struct PoolingSpec {
    using strides = std::conditional_t<std::is_void_v<S>, Pool, S>;
    static_assert(P != Padding::causal, "Pooling: causal padding exists for Conv1D only");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Max ? max_pooling2d_schema : average_pooling2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        v.numbers("pool_size", {Pool::h, Pool::w});
        v.numbers("strides", {strides::h, strides::w});
        v.text("padding", padding_name(P));
    }

    template <ShapeType In>
    static constexpr ConvGeometry geometry() {
        static_assert(In::rank == 3, "Pooling needs an image input (height, width, channels)");
        static_assert(P == Padding::same || (Pool::h <= In::h && Pool::w <= In::w),
                      "Pooling: the pool is larger than its input (valid padding)");
        return conv_geometry(In::h, In::w, In::c, Pool::h, Pool::w, strides::h, strides::w, P);
    }
    template <ShapeType In>
    using output_shape_for = Shape<geometry<In>().out_h, geometry<In>().out_w, In::c>;

    template <class T, ShapeType In>
    struct layer : PoolingBase<T, In, output_shape_for<In>> {
        static constexpr std::string_view name = PoolingSpec::name;
        static constexpr std::string_view keras_class = PoolingSpec::keras_class;
        static constexpr std::string_view lrp_rule_name = Max ? "winner-takes-all" : "proportional";
        static constexpr ConvGeometry g = geometry<In>();
        static constexpr int C = In::c;
        using Out = output_shape_for<In>;
        using pool_size = Pool;
        using pool_strides = strides;
        static constexpr Padding padding = P;

        void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
            this->check(x, In::size, name, "input");
            pre.resize(0, 0);
            out.resize(x.rows(), Out::size);
            for_each_window(g, x.rows(), [&](Eigen::Index b, int o, int h0, int h1, int w0, int w1) {
                for (int c = 0; c < C; ++c) {
                    T acc = Max ? -std::numeric_limits<T>::infinity() : T(0);
                    for (int h = h0; h < h1; ++h)
                        for (int w = w0; w < w1; ++w) {
                            const T v = x(b, (h * In::w + w) * C + c);
                            acc = Max ? std::max(acc, v) : acc + v;
                        }
                    out(b, o * C + c) = Max ? acc : acc / T((h1 - h0) * (w1 - w0));
                }
            });
        }

        /// Gradient w.r.t. the input into `g_in` (its buffer reused): to the first maximum, or g/n
        /// to every in-bounds input.
        void backward_into(const Batch<T>& x, const Batch<T>& g_out, Batch<T>& g_in) const {
            this->check(g_out, Out::size, name, "gradient at the output");
            g_in.setZero(x.rows(), In::size);
            for_each_window(g, x.rows(), [&](Eigen::Index b, int o, int h0, int h1, int w0, int w1) {
                for (int c = 0; c < C; ++c) {
                    const T go = g_out(b, o * C + c);
                    if constexpr (Max) {
                        g_in(b, argmax(x, b, c, h0, h1, w0, w1)) += go;
                    } else {
                        const T share = go / T((h1 - h0) * (w1 - w0));
                        for (int h = h0; h < h1; ++h)
                            for (int w = w0; w < w1; ++w) g_in(b, (h * In::w + w) * C + c) += share;
                    }
                }
            });
        }
        Batch<T> backward(const Batch<T>& x, const Batch<T>& g_out) const {
            Batch<T> g_in;
            backward_into(x, g_out, g_in);
            return g_in;
        }

        /// Relevance into `r_in` (its buffer reused): winner takes all (max), or
        /// R_i = x_i R_j / (Σ_window x + ε·sgn₀) (average).
        void lrp_backward_into(const Batch<T>& x, const Batch<T>& r, Batch<T>& r_in) const {
            if constexpr (Max) {
                backward_into(x, r, r_in);
            } else {
                this->check(r, Out::size, name, "relevance at the output");
                r_in.setZero(x.rows(), In::size);
                for_each_window(g, x.rows(), [&](Eigen::Index b, int o, int h0, int h1, int w0, int w1) {
                    for (int c = 0; c < C; ++c) {
                        T sum = 0;
                        for (int h = h0; h < h1; ++h)
                            for (int w = w0; w < w1; ++w) sum += x(b, (h * In::w + w) * C + c);
                        const T s = r(b, o * C + c) / (sum >= T(0) ? sum + T(1e-6) : sum - T(1e-6));
                        for (int h = h0; h < h1; ++h)
                            for (int w = w0; w < w1; ++w) {
                                const Eigen::Index k = (h * In::w + w) * C + c;
                                r_in(b, k) += x(b, k) * s;
                            }
                    }
                });
            }
        }
        Batch<T> lrp_backward(const Batch<T>& x, const Batch<T>& r) const {
            Batch<T> r_in;
            lrp_backward_into(x, r, r_in);
            return r_in;
        }

    private:
        static Eigen::Index argmax(const Batch<T>& x, Eigen::Index b, int c, int h0, int h1, int w0, int w1) {
            Eigen::Index best = (h0 * In::w + w0) * C + c;
            for (int h = h0; h < h1; ++h)
                for (int w = w0; w < w1; ++w) {
                    const Eigen::Index k = (h * In::w + w) * C + c;
                    if (x(b, k) > x(b, best)) best = k;  // strict: the first maximum wins ties
                }
            return best;
        }
    };
};

}  // namespace detail

/// Keras MaxPooling2D(pool_size, strides = pool_size, padding).
template <fixed_string Name, class Pool = PoolSize<2, 2>, class S = void, Padding P = Padding::valid>
struct MaxPooling2D : detail::PoolingSpec<Name, Pool, S, P, true> {
    static_assert(Pool::rank == 2, "MaxPooling2D: PoolSize takes two sizes (height, width)");
};

/// Keras AveragePooling2D(pool_size, strides = pool_size, padding).
template <fixed_string Name, class Pool = PoolSize<2, 2>, class S = void, Padding P = Padding::valid>
struct AveragePooling2D : detail::PoolingSpec<Name, Pool, S, P, false> {
    static_assert(Pool::rank == 2, "AveragePooling2D: PoolSize takes two sizes (height, width)");
};

/// Keras GlobalAveragePooling2D: (h, w, c) → (c,), the mean over all pixels.
template <fixed_string Name>
struct GlobalAveragePooling2D {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = global_average_pooling2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues&) {}

    template <ShapeType In>
    using output_shape_for = Shape<In::c>;

    template <class T, ShapeType In>
    struct layer : AveragePooling2D<Name, PoolSize<In::h, In::w>>::template layer<T, In> {
        static_assert(In::rank == 3, "GlobalAveragePooling2D needs an image input (height, width, channels)");
        using output_shape = Shape<In::c>;  // same storage as (1, 1, c)
        static constexpr std::string_view keras_class = GlobalAveragePooling2D::keras_class;
    };
};

/// Keras GlobalMaxPooling2D: (h, w, c) → (c,), the maximum over all pixels (gradient and relevance
/// to it: winner takes all, the first maximum on ties).
template <fixed_string Name>
struct GlobalMaxPooling2D {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = global_max_pooling2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues&) {}

    template <ShapeType In>
    using output_shape_for = Shape<In::c>;

    template <class T, ShapeType In>
    struct layer : MaxPooling2D<Name, PoolSize<In::h, In::w>>::template layer<T, In> {
        static_assert(In::rank == 3, "GlobalMaxPooling2D needs an image input (height, width, channels)");
        using output_shape = Shape<In::c>;  // same storage as (1, 1, c)
        static constexpr std::string_view keras_class = GlobalMaxPooling2D::keras_class;
    };
};

}  // namespace innspect

#pragma once
/// \file
/// Keras `Conv2D(filters, kernel_size, strides, padding, activation, use_bias)`, channels-last,
/// kernel [kh, kw, in, filters], no dilation.

#include <Eigen/Core>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/linear_base.hpp"

namespace innspect {

/// Keras's Conv2D config.
inline constexpr KerasSchema conv2d_schema{"Conv2D", detail::conv_fields};

/// Keras Conv2D. `apply(x, P)` = im2col(x)·K (+ b), z_{o,f} = Σ_{a,b,c} x_{o·s+(a,b)−pad, c} K_{a,b,c,f};
/// `apply_transposed(s, P)` = col2im(s·Kᵀ), the exact adjoint. Padding as Keras/TensorFlow pads.
template <fixed_string Name, int Filters, class K, ActivationFunction Act = Linear, class S = Strides<1, 1>,
          Padding P = Padding::valid, bool UseBias = true>
struct Conv2D {
    static_assert(Filters > 0, "Conv2D: filters must be positive");
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = conv2d_schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) { detail::conv_keras_values<Filters, K, Act, S, P, UseBias>(v); }

    template <ShapeType In>
    static constexpr detail::ConvGeometry geometry() {
        static_assert(In::rank == 3, "Conv2D needs an image input (height, width, channels)");
        static_assert(P == Padding::same || (K::h <= In::h && K::w <= In::w),
                      "Conv2D: the kernel is larger than its input (valid padding)");
        return detail::conv_geometry(In::h, In::w, In::c, K::h, K::w, S::h, S::w, P);
    }

    template <ShapeType In>
    using output_shape_for = Shape<geometry<In>().out_h, geometry<In>().out_w, Filters>;

    template <class T, ShapeType In>
    class layer : public detail::LinearLayerBase<layer<T, In>, T, Act> {
        using base = detail::LinearLayerBase<layer<T, In>, T, Act>;
        static constexpr detail::ConvGeometry g = geometry<In>();

    public:
        static constexpr std::string_view name = Conv2D::name;
        static constexpr std::string_view keras_class = Conv2D::keras_class;
        static constexpr RuleFamily family = RuleFamily::convolution;
        static constexpr bool use_bias = UseBias;
        static constexpr int filters = Filters;
        static constexpr Padding padding = P;
        using kernel_size = K;
        using strides = S;
        using input_shape = In;
        using output_shape = output_shape_for<In>;

        layer() : base(g.patch(), Filters, Filters, UseBias) {}

        static std::vector<std::int64_t> kernel_shape() { return {K::h, K::w, In::c, Filters}; }
        static constexpr const detail::ConvGeometry& conv_geometry() { return g; }

        Batch<T> apply(const Batch<T>& x, const LinearParams<T>& p) const {
            base::check_input(x, In::size, "input");
            const Eigen::Index rows = x.rows() * g.pixels_out();
            Batch<T> z(x.rows(), output_shape::size);
            Eigen::Map<Matrix<T>> zm(z.data(), rows, Filters);
            if constexpr (detail::im2col_is_identity(g)) {
                zm.noalias() = Eigen::Map<const Matrix<T>>(x.data(), rows, g.patch()) * p.kernel;
            } else {
                Matrix<T> cols(rows, g.patch());
                detail::im2col(g, x.data(), x.rows(), cols.data());
                zm.noalias() = cols * p.kernel;
            }
            if (p.has_bias) zm.rowwise() += p.bias.transpose();
            return z;
        }

        Batch<T> apply_transposed(const Batch<T>& s, const LinearParams<T>& p) const {
            base::check_input(s, output_shape::size, "relevance/gradient at the output");
            const Eigen::Index rows = s.rows() * g.pixels_out();
            Eigen::Map<const Matrix<T>> sm(s.data(), rows, Filters);
            Batch<T> c(s.rows(), In::size);
            if constexpr (detail::im2col_is_identity(g)) {
                Eigen::Map<Matrix<T>>(c.data(), rows, g.patch()).noalias() = sm * p.kernel.transpose();
            } else {
                const Matrix<T> cols = sm * p.kernel.transpose();
                detail::col2im(g, cols.data(), s.rows(), c.data());
            }
            return c;
        }
    };
};

}  // namespace innspect

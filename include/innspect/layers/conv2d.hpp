#pragma once
/// \file
/// Keras `Conv2D(filters, kernel_size, strides, padding, activation, use_bias, dilation_rate)`,
/// channels-last, kernel [kh, kw, in, filters]; and `detail::ConvLayer`, the bound convolution
/// Conv2D and Conv1D share.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/scratch.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/gemm.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/linear_base.hpp"

namespace innspect {

/// Keras's Conv2D config.
inline constexpr KerasSchema conv2d_schema{"Conv2D", detail::conv_fields, false, {}};

namespace detail {

/// A convolution bound to the scalar T and the input shape In: what Conv2D and Conv1D declare.
/// `Spec` gives name, keras_class, activation, filters, use_bias, padding, kernel_size, strides,
/// dilation, `geometry<In>()`, `output_shape_for<In>` and `kernel_shape<In>()` (Keras's layout;
/// the memory is [kh, kw, in, filters] either way).
///
///   apply(x, P)            = im2col(x)·K (+ b),
///                            z_{o,f} = Σ_{a,b,c} x_{o·s + (a,b)·d − pad, c} K_{a,b,c,f}
///   apply_transposed(s, P) = col2im(s·Kᵀ), the exact adjoint.
template <class Spec, class T, ShapeType In>
class ConvLayer : public LinearLayerBase<ConvLayer<Spec, T, In>, T, typename Spec::activation>,
                  public ConvLayerMembers<Spec, In> {
    using base = LinearLayerBase<ConvLayer<Spec, T, In>, T, typename Spec::activation>;
    using members = ConvLayerMembers<Spec, In>;
    static constexpr ConvGeometry g = members::geometry;
    static constexpr int F = Spec::filters;

public:
    using typename members::output_shape;
    /// apply(x, P) = X·K (+ b) with X a sample's x as pixels_out rows, when im2col is the
    /// identity; else 0 (LayerProducts::plain_rows, rules/rule.hpp).
    static constexpr Eigen::Index plain_rows = im2col_is_identity(g) ? g.pixels_out() : 0;

    ConvLayer() : base(g.patch(), F, F, Spec::use_bias) {}

    void apply_into(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& z) const {
        base::check_input(x, In::size, "input");
        const Eigen::Index rows = x.rows() * g.pixels_out();
        z.resize(x.rows(), output_shape::size);
        Eigen::Map<Matrix<T>> zm(z.data(), rows, F);
        if constexpr (im2col_is_identity(g)) {
            gemm(zm, Eigen::Map<const Matrix<T>>(x.data(), rows, g.patch()), p.kernel);
        } else {
            auto cols = scratch_matrix<T>(rows, g.patch());
            im2col(g, x.data(), x.rows(), cols.data());
            gemm(zm, cols, p.kernel);
        }
        if (p.has_bias) zm.rowwise() += p.bias.transpose();
    }

    void apply_transposed_into(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& c) const {
        base::check_input(s, output_shape::size, "relevance/gradient at the output");
        const Eigen::Index rows = s.rows() * g.pixels_out();
        Eigen::Map<const Matrix<T>> sm(s.data(), rows, F);
        c.resize(s.rows(), In::size);
        if constexpr (im2col_is_identity(g)) {
            gemm(Eigen::Map<Matrix<T>>(c.data(), rows, g.patch()), sm, p.kernel.transpose());
        } else {
            auto cols = scratch_matrix<T>(rows, g.patch());
            gemm(cols, sm, p.kernel.transpose());
            col2im(g, cols.data(), s.rows(), c.data());
        }
    }
};

}  // namespace detail

/// Keras Conv2D: the bound layer is `detail::ConvLayer` (above). Padding as Keras/TensorFlow pads;
/// a dilation (taps d apart) as Keras's dilation_rate, which Keras allows only with stride 1:
///   `Conv2D<"c", 8, Kernel<3, 3>, Relu>`,
///   `Conv2D<"c", 8, Kernel<3, 3>, Relu, Strides<2, 2>, Padding::same>`,
///   `Conv2D<"c", 8, Kernel<3, 3>, Relu, Strides<1, 1>, Padding::same, true, Dilation<2, 2>>`.
template <fixed_string Name, int Filters, class K, ActivationFunction Act = Linear, class S = Strides<1, 1>,
          Padding P = Padding::valid, bool UseBias = true, class D = Dilation<1, 1>>
struct Conv2D : detail::ConvSpecBase<Name, conv2d_schema, Filters, K, Act, S, P, UseBias, D, true> {
    static_assert(Filters > 0, "Conv2D: filters must be positive");
    static_assert(K::rank == 2 && S::rank == 2 && D::rank == 2,
                  "Conv2D: kernel, strides and dilation take two sizes (height, width)");
    static_assert((S::h == 1 && S::w == 1) || (D::h == 1 && D::w == 1),
                  "Conv2D: Keras allows strides > 1 or a dilation > 1, not both");
    static_assert(P != Padding::causal, "Conv2D: causal padding exists for Conv1D only");

    template <ShapeType In>
    static constexpr detail::ConvGeometry geometry() {
        static_assert(In::rank == 3, "Conv2D needs an image input (height, width, channels)");
        static_assert(P == Padding::same || (detail::dilated_extent(K::h, D::h) <= In::h &&
                                             detail::dilated_extent(K::w, D::w) <= In::w),
                      "Conv2D: the kernel is larger than its input (valid padding)");
        return detail::conv_geometry(In::h, In::w, In::c, K::h, K::w, S::h, S::w, P, D::h, D::w);
    }

    template <ShapeType In>
    using output_shape_for = Shape<geometry<In>().out_h, geometry<In>().out_w, Filters>;

    template <ShapeType In>
    static std::vector<std::int64_t> kernel_shape() {
        return {K::h, K::w, In::c, Filters};
    }

    template <class T, ShapeType In>
    using layer = detail::ConvLayer<Conv2D, T, In>;
};

}  // namespace innspect

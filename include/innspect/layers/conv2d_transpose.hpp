#pragma once
/// \file
/// Keras `Conv2DTranspose(filters, kernel_size, strides, padding, activation, use_bias)`,
/// channels-last, kernel stored [kh, kw, filters, in], no output_padding, no dilation; and
/// `detail::ConvTransposeLayer`, the bound transposed convolution Conv2DTranspose and
/// Conv1DTranspose share.

#include <algorithm>
#include <array>
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

namespace detail {
/// A transposed convolution's fields over `Dims` axes: the convolution's (dilation_rate run at 1
/// only) and output_padding, which innspect runs only as Keras's default (None).
template <int Dims>
inline constexpr auto conv_transpose_fields_of = [] {
    constexpr const auto& conv = conv_fields_of<Dims, false>;
    std::array<KerasField, conv.size() + 1> f{};
    for (std::size_t i = 0; i < conv.size(); ++i) f[i] = conv[i];
    f.back() = {.key = "output_padding", .type = FieldType::raw, .requirement = "supports none (null) only", .accepted = "null"};
    return f;
}();

/// Output length of a Keras transposed convolution along one axis (output_padding None, no
/// dilation): valid → in·s + max(k − s, 0), same → in·s.
constexpr int conv_transpose_out_length(int in, int k, int s, Padding p) {
    return p == Padding::valid ? in * s + std::max(k - s, 0) : in * s;
}

/// A transposed convolution bound to T and In: what Conv2DTranspose and Conv1DTranspose declare.
/// `Spec` gives what ConvLayer's does; its `geometry<In>()` is the geometry of the convolution this
/// layer is the adjoint of (from this layer's output back to its input).
///
///   apply(x, P)            = col2im(x·Kᵀ) (+ b)
///   apply_transposed(s, P) = im2col(s)·K
template <class Spec, class T, ShapeType In>
class ConvTransposeLayer
    : public LinearLayerBase<ConvTransposeLayer<Spec, T, In>, T, typename Spec::activation>,
      public ConvLayerMembers<Spec, In> {
    using base = LinearLayerBase<ConvTransposeLayer<Spec, T, In>, T, typename Spec::activation>;
    using members = ConvLayerMembers<Spec, In>;
    static constexpr ConvGeometry g = members::geometry;
    static constexpr int F = Spec::filters;
    static_assert(g.out_h == In::h && g.out_w == In::w, "ConvTransposeLayer: inconsistent geometry");

public:
    using typename members::output_shape;

    ConvTransposeLayer() : base(g.patch(), In::c, F, Spec::use_bias) {}

    /// The kernel's rows run over (kh, kw, filters), the filter fastest: the output channel
    /// of row r is r mod filters.
    static LinearParams<T> scale_output_channels(const LinearParams<T>& p, const Vector<T>& k) {
        LinearParams<T> s = p;
        for (Eigen::Index r = 0; r < s.kernel.rows(); ++r) s.kernel.row(r) *= k(r % k.size());
        if (p.has_bias) s.bias = p.bias.cwiseProduct(k);
        return s;
    }

    void apply_into(const Batch<T>& x, const LinearParams<T>& p, Batch<T>& z) const {
        base::check_input(x, In::size, "input");
        const Eigen::Index rows = x.rows() * g.pixels_out();  // input pixels of this layer
        Eigen::Map<const Matrix<T>> xm(x.data(), rows, In::c);
        z.resize(x.rows(), output_shape::size);
        if constexpr (im2col_is_identity(g)) {
            gemm(Eigen::Map<Matrix<T>>(z.data(), rows, g.patch()), xm, p.kernel.transpose());
        } else {
            auto cols = scratch_matrix<T>(rows, g.patch());
            gemm(cols, xm, p.kernel.transpose());
            col2im(g, cols.data(), x.rows(), z.data());
        }
        if (p.has_bias) {
            Eigen::Map<Matrix<T>> zm(z.data(), x.rows() * g.pixels_in(), F);
            zm.rowwise() += p.bias.transpose();
        }
    }

    void apply_transposed_into(const Batch<T>& s, const LinearParams<T>& p, Batch<T>& c) const {
        base::check_input(s, output_shape::size, "relevance/gradient at the output");
        const Eigen::Index rows = s.rows() * g.pixels_out();
        c.resize(s.rows(), In::size);
        Eigen::Map<Matrix<T>> cm(c.data(), rows, In::c);
        if constexpr (im2col_is_identity(g)) {
            gemm(cm, Eigen::Map<const Matrix<T>>(s.data(), rows, g.patch()), p.kernel);
        } else {
            auto cols = scratch_matrix<T>(rows, g.patch());
            im2col(g, s.data(), s.rows(), cols.data());
            gemm(cm, cols, p.kernel);
        }
    }
};

}  // namespace detail

/// Keras's Conv2DTranspose config.
inline constexpr KerasSchema conv2d_transpose_schema{"Conv2DTranspose", detail::conv_transpose_fields_of<2>, false, {}};

/// Keras Conv2DTranspose: the adjoint of the Conv2D (same kernel, strides, padding) that maps its
/// output back to its input. Output length per axis, as Keras computes it: valid → in·s + max(k − s, 0),
/// same → in·s. The bound layer is `detail::ConvTransposeLayer` (above).
template <fixed_string Name, int Filters, class K, ActivationFunction Act = Linear, class S = Strides<1, 1>,
          Padding P = Padding::valid, bool UseBias = true>
struct Conv2DTranspose
    : detail::ConvSpecBase<Name, conv2d_transpose_schema, Filters, K, Act, S, P, UseBias, Dilation<1, 1>, false> {
    static_assert(Filters > 0, "Conv2DTranspose: filters must be positive");
    static_assert(K::rank == 2 && S::rank == 2,
                  "Conv2DTranspose: kernel and strides take two sizes (height, width)");
    static_assert(P != Padding::causal, "Conv2DTranspose: causal padding exists for Conv1D only");

    /// The geometry of the Conv2D this layer is the adjoint of: from the output image to the input.
    template <ShapeType In>
    static constexpr detail::ConvGeometry geometry() {
        static_assert(In::rank == 3, "Conv2DTranspose needs an image input (height, width, channels)");
        return detail::conv_geometry(detail::conv_transpose_out_length(In::h, K::h, S::h, P),
                                     detail::conv_transpose_out_length(In::w, K::w, S::w, P), Filters, K::h, K::w,
                                     S::h, S::w, P);
    }

    template <ShapeType In>
    using output_shape_for = Shape<geometry<In>().in_h, geometry<In>().in_w, Filters>;

    template <ShapeType In>
    static std::vector<std::int64_t> kernel_shape() {
        return {K::h, K::w, Filters, In::c};
    }

    template <class T, ShapeType In>
    using layer = detail::ConvTransposeLayer<Conv2DTranspose, T, In>;
};

}  // namespace innspect

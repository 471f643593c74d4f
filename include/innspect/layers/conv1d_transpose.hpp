#pragma once
/// \file
/// Keras `Conv1DTranspose(filters, kernel_size, strides, padding, activation, use_bias)` on a
/// sequence (steps, channels), kernel stored [k, filters, in] (as Conv2DTranspose's [kh, kw,
/// filters, in]), no output_padding, no dilation. Conv2DTranspose's bound layer
/// (detail::ConvTransposeLayer, layers/conv2d_transpose.hpp) with a (1, k) kernel.

#include <cstdint>
#include <vector>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv2d_transpose.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// Keras's Conv1DTranspose config.
inline constexpr KerasSchema conv1d_transpose_schema{"Conv1DTranspose", detail::conv_transpose_fields_of<1>, false, {}};

/// Keras Conv1DTranspose: the adjoint of the Conv1D (same kernel, strides, padding) that maps its
/// output back to its input; output length valid → in·s + max(k − s, 0), same → in·s. E.g.
///   `Conv1DTranspose<"t", 4, Kernel<3>, Relu, Strides<2>, Padding::same>`.
/// `D` exists only to say that innspect runs dilation_rate 1 only.
template <fixed_string Name, int Filters, class K, ActivationFunction Act = Linear, class S = Strides<1>,
          Padding P = Padding::valid, bool UseBias = true, class D = Dilation<1>>
struct Conv1DTranspose
    : detail::ConvSpecBase<Name, conv1d_transpose_schema, Filters, K, Act, S, P, UseBias, D, false> {
    static_assert(Filters > 0, "Conv1DTranspose: filters must be positive");
    static_assert(K::rank == 1 && S::rank == 1,
                  "Conv1DTranspose: kernel and strides take one size (Kernel<k>, Strides<s>)");
    static_assert(D::rank == 1 && D::w == 1,
                  "Conv1DTranspose: innspect runs no dilation (dilation_rate 1 only)");
    static_assert(P != Padding::causal,
                  "Conv1DTranspose: Keras has no causal padding for a transposed convolution");

    /// The geometry of the Conv1D this layer is the adjoint of: from the output sequence to the input.
    template <ShapeType In>
    static constexpr detail::ConvGeometry geometry() {
        static_assert(In::rank == 2, "Conv1DTranspose needs a sequence input (steps, channels)");
        constexpr int out = detail::conv_transpose_out_length(In::w, K::w, S::w, P);
        return detail::conv_geometry(1, out, Filters, 1, K::w, 1, S::w, P);
    }

    template <ShapeType In>
    using output_shape_for = Shape<geometry<In>().in_w, Filters>;

    template <ShapeType In>
    static std::vector<std::int64_t> kernel_shape() {
        return {K::w, Filters, In::c};
    }

    template <class T, ShapeType In>
    using layer = detail::ConvTransposeLayer<Conv1DTranspose, T, In>;
};

}  // namespace innspect

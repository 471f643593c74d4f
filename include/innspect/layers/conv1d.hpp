#pragma once
/// \file
/// Keras `Conv1D(filters, kernel_size, strides, padding, activation, use_bias, dilation_rate)` on a
/// sequence (steps, channels), kernel [k, in, filters]. A sequence is an image of height 1, so
/// Conv1D is Conv2D's bound layer (detail::ConvLayer, layers/conv2d.hpp) with a (1, k) kernel:
/// the same im2col, the same rules. Padding valid, same (TensorFlow's, odd zero after) or causal
/// (d·(k − 1) zeros before the sequence: output t reads inputs ≤ t·s).

#include <algorithm>
#include <cstdint>
#include <vector>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv2d.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// Keras's Conv1D config.
inline constexpr KerasSchema conv1d_schema{"Conv1D", detail::conv_fields_of<1, true>, false, {}};

/// Keras Conv1D: y_{t,f} = Σ_{a,c} x_{t·s + a·d − pad, c} K_{a,c,f} (+ b_f), e.g.
///   `Conv1D<"c", 8, Kernel<3>, Relu>`, `Conv1D<"c", 8, Kernel<3>, Relu, Strides<2>, Padding::same>`,
///   `Conv1D<"c", 8, Kernel<3>, Relu, Strides<1>, Padding::causal, true, Dilation<2>>`.
/// Keras allows strides > 1 or a dilation > 1, not both.
template <fixed_string Name, int Filters, class K, ActivationFunction Act = Linear, class S = Strides<1>,
          Padding P = Padding::valid, bool UseBias = true, class D = Dilation<1>>
struct Conv1D : detail::ConvSpecBase<Name, conv1d_schema, Filters, K, Act, S, P, UseBias, D, true> {
    static_assert(Filters > 0, "Conv1D: filters must be positive");
    static_assert(K::rank == 1 && S::rank == 1 && D::rank == 1,
                  "Conv1D: kernel, strides and dilation take one size (Kernel<k>, Strides<s>, Dilation<d>)");
    static_assert(S::w == 1 || D::w == 1, "Conv1D: Keras allows strides > 1 or a dilation > 1, not both");

    template <ShapeType In>
    static constexpr detail::ConvGeometry geometry() {
        static_assert(In::rank == 2, "Conv1D needs a sequence input (steps, channels)");
        static_assert(P != Padding::valid || detail::dilated_extent(K::w, D::w) <= In::w,
                      "Conv1D: the kernel is larger than its input (valid padding)");
        return detail::conv_geometry(1, In::w, In::c, 1, K::w, 1, S::w, P, 1, D::w);
    }

    /// (After a failed static_assert in geometry(), the clamp keeps the compiler from adding errors
    /// of its own.)
    template <ShapeType In>
    using output_shape_for = Shape<std::max(geometry<In>().out_w, 1), Filters>;

    template <ShapeType In>
    static std::vector<std::int64_t> kernel_shape() {
        return {K::w, In::c, Filters};
    }

    template <class T, ShapeType In>
    using layer = detail::ConvLayer<Conv1D, T, In>;
};

}  // namespace innspect

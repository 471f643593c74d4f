#pragma once
/// \file
/// Spelling of convolution hyper-parameters in layer declarations: `Kernel<1, 90>`, `Strides<2, 2>`,
/// and the Keras config fields every convolution has.

#include <array>

#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

/// Kernel size (height, width), Keras's `kernel_size`.
template <int H, int W>
struct Kernel {
    static_assert(H > 0 && W > 0, "Kernel: both sizes must be positive");
    static constexpr int h = H, w = W;
};

/// Strides (height, width), Keras's `strides`.
template <int H, int W>
struct Strides {
    static_assert(H > 0 && W > 0, "Strides: both strides must be positive");
    static constexpr int h = H, w = W;
};

namespace detail {
/// The config fields of Keras's Conv2D; Conv2DTranspose has them too.
inline constexpr std::array<KerasField, 7> conv_fields{{
    {.key = "filters"},
    {.key = "kernel_size", .label = "kernel", .count = 2},
    {.key = "strides", .count = 2, .has_fallback = true, .fallback = {1, 1}},
    {.key = "padding", .type = FieldType::text, .has_fallback = true, .text_fallback = "valid"},
    {.key = "activation", .type = FieldType::activation, .has_fallback = true, .text_fallback = "linear"},
    {.key = "use_bias", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
    {.key = "dilation_rate", .count = 2, .has_fallback = true, .fallback = {1, 1},
     .requirement = "has no dilation, (1,1) only"},
}};

/// The values of those fields in a convolution's declaration.
template <int Filters, class K, class Act, class S, Padding P, bool UseBias>
void conv_keras_values(KerasValues& v) {
    v.numbers("filters", {Filters});
    v.numbers("kernel", {K::h, K::w});
    v.numbers("strides", {S::h, S::w});
    v.text("padding", padding_name(P));
    v.activation<Act>();
    v.boolean("use_bias", UseBias);
}
}  // namespace detail

}  // namespace innspect

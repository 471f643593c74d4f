#pragma once
/// \file
/// Spelling of convolution hyper-parameters in layer declarations: `Kernel<1, 90>`, `Strides<2, 2>`.

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

}  // namespace innspect

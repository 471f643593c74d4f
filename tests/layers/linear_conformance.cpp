// Every linear layer passes tests/support/linear_conformance.hpp: one line per declaration and
// input shape. Geometries cover valid/same, strides 1-3 (also stride > kernel), even and odd
// kernels, a kernel as large as the input, and the (1,W) / (W,1) kernels that take the im2col
// identity fast path (asserted below, so a change to that path's condition is noticed).

#include <doctest/doctest.h>

#include <innspect/innspect.hpp>

#include "support/linear_conformance.hpp"

using namespace innspect;
using innspect::test::check_conv_transpose_duality;
using innspect::test::check_linear_layer;

namespace {
template <class Spec, class In>
constexpr bool identity_path() {
    return detail::im2col_is_identity(Spec::template layer<double, In>::conv_geometry());
}
constexpr Padding valid = Padding::valid, same = Padding::same, causal = Padding::causal;
}  // namespace

// ---- which geometries take the im2col identity fast path --------------------------------------
static_assert(identity_path<Conv2D<"c", 2, Kernel<1, 8>>, Shape<8, 8, 1>>());                     // (1,W)
static_assert(identity_path<Conv2D<"c", 3, Kernel<6, 1>>, Shape<6, 1, 3>>());                     // (W,1) on W×1
static_assert(identity_path<Conv2D<"c", 2, Kernel<5, 5>, Linear, Strides<2, 2>>, Shape<5, 5, 2>>());  // whole input
static_assert(identity_path<Conv2D<"c", 2, Kernel<3, 3>, Linear, Strides<3, 3>, same>, Shape<3, 3, 1>>());
static_assert(identity_path<Conv2D<"c", 2, Kernel<1, 4>, Linear, Strides<1, 3>>, Shape<5, 4, 1>>());
static_assert(!identity_path<Conv2D<"c", 2, Kernel<1, 4>, Linear, Strides<2, 1>>, Shape<6, 4, 2>>());  // stride 2 rows
static_assert(!identity_path<Conv2D<"c", 2, Kernel<4, 4>, Linear, Strides<1, 1>, same>, Shape<4, 4, 2>>());
static_assert(identity_path<Conv2DTranspose<"t", 3, Kernel<5, 1>>, Shape<1, 1, 4>>());            // (W,1) from 1×1
static_assert(identity_path<Conv2DTranspose<"t", 1, Kernel<1, 6>>, Shape<6, 1, 4>>());            // (1,W)
static_assert(identity_path<Conv2DTranspose<"t", 8, Kernel<1, 1>>, Shape<1, 1, 8>>());            // 1×1 on 1×1
static_assert(!identity_path<Conv2DTranspose<"t", 2, Kernel<1, 2>, Linear, Strides<1, 2>>, Shape<3, 2, 1>>());
static_assert(identity_path<Conv1D<"c", 2, Kernel<6>>, Shape<6, 2>>());                           // whole sequence
static_assert(!identity_path<Conv1D<"c", 2, Kernel<6>, Linear, Strides<1>, causal>, Shape<6, 2>>());  // padded
static_assert(!identity_path<Conv2D<"c", 2, Kernel<1, 4>, Linear, Strides<1, 1>, valid, true, Dilation<1, 2>>,
                             Shape<3, 7, 1>>());  // dilated: the taps are not the input in order

TEST_CASE("linear conformance: Dense") {
    check_linear_layer<Dense<"dense_a", 5, Relu>, Shape<4>>();
    check_linear_layer<Dense<"dense_b", 3, Linear, false>, Shape<6>>();
    check_linear_layer<Dense<"dense_c", 1>, Shape<1>>();
    check_linear_layer<Dense<"dense_d", 4, Softmax>, Shape<7>>();
    check_linear_layer<Dense<"dense_e", 6, Sigmoid>, Shape<9>>();
    check_linear_layer<Dense<"dense_f", 5, Tanh>, Shape<2, 3, 4>>();          // rank 3: last axis
    check_linear_layer<Dense<"dense_g", 3, Selu, false>, Shape<3, 1, 2>>();   // rank 3, no bias
    check_linear_layer<Dense<"dense_h", 4, Softmax>, Shape<2, 2, 3>>();       // softmax per position
    check_linear_layer<Dense<"dense_i", 7, LeakyRelu>, Shape<1, 1, 5>>();
    check_linear_layer<Dense<"dense_j", 8, Elu>, Shape<64>>();
}

TEST_CASE("linear conformance: Conv2D") {
    // The fixture geometries (tests/data/forward conv_c1..c6).
    check_linear_layer<Conv2D<"conv_a", 3, Kernel<3, 2>>, Shape<5, 6, 2>>();
    check_linear_layer<Conv2D<"conv_b", 3, Kernel<3, 2>, Relu, Strides<2, 1>, same>, Shape<5, 6, 2>>();
    check_linear_layer<Conv2D<"conv_c", 4, Kernel<3, 3>, Linear, Strides<2, 2>, same, false>, Shape<7, 7, 3>>();
    check_linear_layer<Conv2D<"conv_d", 2, Kernel<2, 3>, Selu, Strides<3, 2>>, Shape<6, 5, 1>>();
    check_linear_layer<Conv2D<"conv_e", 2, Kernel<4, 1>, Elu, Strides<1, 1>, same>, Shape<4, 4, 2>>();
    check_linear_layer<Conv2D<"conv_f", 2, Kernel<1, 8>, Tanh>, Shape<8, 8, 1>>();  // identity path (1,W)
    // Identity path: (W,1) on a W×1 map, kernel = whole input (any stride), same padding with no pad.
    check_linear_layer<Conv2D<"conv_g", 3, Kernel<6, 1>, Selu>, Shape<6, 1, 3>>();
    check_linear_layer<Conv2D<"conv_h", 2, Kernel<5, 5>, Linear, Strides<2, 2>>, Shape<5, 5, 2>>();
    check_linear_layer<Conv2D<"conv_i", 2, Kernel<3, 3>, Linear, Strides<3, 3>, same, false>, Shape<3, 3, 1>>();
    check_linear_layer<Conv2D<"conv_j", 3, Kernel<1, 4>, Relu, Strides<1, 3>>, Shape<5, 4, 1>>();
    check_linear_layer<Conv2D<"conv_k", 4, Kernel<1, 6>>, Shape<1, 6, 2>>();
    check_linear_layer<Conv2D<"conv_l", 2, Kernel<1, 16>, Selu>, Shape<16, 16, 1>>();  // the seed model's conv1
    check_linear_layer<Conv2D<"conv_m", 4, Kernel<16, 1>, Selu>, Shape<16, 1, 3>>();   // the seed model's conv2
    // Near misses of the identity path.
    check_linear_layer<Conv2D<"conv_n", 2, Kernel<1, 4>, Linear, Strides<2, 1>>, Shape<6, 4, 2>>();
    check_linear_layer<Conv2D<"conv_o", 2, Kernel<4, 4>, Linear, Strides<1, 1>, same>, Shape<4, 4, 2>>();
    check_linear_layer<Conv2D<"conv_p", 2, Kernel<1, 5>, Linear, Strides<1, 1>, same>, Shape<3, 5, 1>>();
    // Stride larger than the kernel (inputs skipped), even kernels, kernel larger than the input (same).
    check_linear_layer<Conv2D<"conv_q", 2, Kernel<1, 1>, Linear, Strides<2, 2>>, Shape<6, 6, 1>>();
    check_linear_layer<Conv2D<"conv_r", 2, Kernel<2, 2>, Sigmoid, Strides<3, 3>, same>, Shape<7, 5, 2>>();
    check_linear_layer<Conv2D<"conv_s", 3, Kernel<2, 2>, Linear, Strides<2, 2>, same>, Shape<4, 4, 1>>();
    check_linear_layer<Conv2D<"conv_t", 2, Kernel<3, 3>, Relu, Strides<1, 1>, same>, Shape<2, 3, 2>>();
    check_linear_layer<Conv2D<"conv_u", 3, Kernel<3, 2>, Softmax, Strides<2, 3>, same>, Shape<5, 7, 1>>();
    check_linear_layer<Conv2D<"conv_v", 2, Kernel<2, 4>, LeakyRelu, Strides<3, 1>, valid, false>, Shape<8, 6, 2>>();
    check_linear_layer<Conv2D<"conv_w", 3, Kernel<3, 3>, Linear, Strides<3, 3>, same>, Shape<8, 7, 2>>();
}

TEST_CASE("linear conformance: Conv2DTranspose") {
    // The fixture geometries (tests/data/forward convt_t1..t5).
    check_linear_layer<Conv2DTranspose<"convt_a", 3, Kernel<3, 2>>, Shape<3, 4, 2>>();
    check_linear_layer<Conv2DTranspose<"convt_b", 3, Kernel<3, 3>, Relu, Strides<2, 2>, same>, Shape<3, 4, 2>>();
    check_linear_layer<Conv2DTranspose<"convt_c", 2, Kernel<2, 2>, Linear, Strides<2, 2>, valid, false>, Shape<3, 3, 2>>();
    check_linear_layer<Conv2DTranspose<"convt_d", 2, Kernel<3, 2>, Sigmoid, Strides<2, 3>, same>, Shape<4, 3, 1>>();
    check_linear_layer<Conv2DTranspose<"convt_e", 3, Kernel<5, 1>, Tanh>, Shape<1, 1, 4>>();  // identity path
    // Identity path: the seed decoder's 1×1, (W,1) and (1,W) kernels.
    check_linear_layer<Conv2DTranspose<"convt_f", 8, Kernel<1, 1>, Selu>, Shape<1, 1, 8>>();
    check_linear_layer<Conv2DTranspose<"convt_g", 4, Kernel<6, 1>, Selu>, Shape<1, 1, 8>>();
    check_linear_layer<Conv2DTranspose<"convt_h", 1, Kernel<1, 6>, Tanh>, Shape<6, 1, 4>>();
    check_linear_layer<Conv2DTranspose<"convt_i", 2, Kernel<1, 16>, Tanh>, Shape<16, 1, 3>>();
    // Stride larger than the kernel (gaps in the output), stride 3, even kernels, same padding.
    check_linear_layer<Conv2DTranspose<"convt_j", 2, Kernel<1, 1>, Linear, Strides<2, 2>>, Shape<2, 2, 1>>();
    check_linear_layer<Conv2DTranspose<"convt_k", 2, Kernel<2, 2>, Relu, Strides<3, 3>>, Shape<2, 2, 1>>();
    check_linear_layer<Conv2DTranspose<"convt_l", 2, Kernel<2, 3>, Linear, Strides<3, 1>, same>, Shape<3, 2, 2>>();
    check_linear_layer<Conv2DTranspose<"convt_m", 1, Kernel<4, 4>, Elu, Strides<2, 2>, same>, Shape<2, 3, 1>>();
    check_linear_layer<Conv2DTranspose<"convt_n", 2, Kernel<3, 3>, Linear, Strides<1, 1>, same, false>, Shape<2, 2, 3>>();
    check_linear_layer<Conv2DTranspose<"convt_o", 2, Kernel<1, 2>, Softmax, Strides<1, 2>>, Shape<3, 2, 1>>();
    check_linear_layer<Conv2DTranspose<"convt_p", 3, Kernel<2, 3>, LeakyRelu, Strides<1, 1>>, Shape<2, 1, 2>>();
    check_linear_layer<Conv2DTranspose<"convt_q", 2, Kernel<3, 2>, Linear, Strides<3, 2>, valid>, Shape<2, 3, 2>>();
}

TEST_CASE("linear conformance: Conv2D with dilation") {
    check_linear_layer<Conv2D<"convd_a", 3, Kernel<3, 3>, Relu, Strides<1, 1>, valid, true, Dilation<2, 2>>, Shape<7, 8, 2>>();
    check_linear_layer<Conv2D<"convd_b", 2, Kernel<2, 3>, Linear, Strides<1, 1>, same, false, Dilation<2, 1>>, Shape<5, 6, 1>>();
    // The dilated kernel spans more than the input (7 rows on 4): same padding only.
    check_linear_layer<Conv2D<"convd_c", 2, Kernel<3, 2>, Tanh, Strides<1, 1>, same, true, Dilation<3, 2>>, Shape<4, 5, 2>>();
    check_linear_layer<Conv2D<"convd_d", 3, Kernel<1, 3>, Linear, Strides<1, 1>, valid, true, Dilation<1, 3>>, Shape<3, 7, 2>>();
    check_linear_layer<Conv2D<"convd_e", 2, Kernel<4, 4>, Selu, Strides<1, 1>, same, true, Dilation<2, 2>>, Shape<6, 5, 1>>();
}

TEST_CASE("linear conformance: Conv1D") {
    check_linear_layer<Conv1D<"c1_a", 3, Kernel<3>>, Shape<7, 2>>();
    check_linear_layer<Conv1D<"c1_b", 3, Kernel<3>, Relu, Strides<2>, same>, Shape<8, 3>>();
    check_linear_layer<Conv1D<"c1_c", 2, Kernel<3>, Linear, Strides<1>, causal, true, Dilation<2>>, Shape<9, 2>>();
    check_linear_layer<Conv1D<"c1_d", 2, Kernel<4>, Tanh, Strides<2>, causal>, Shape<7, 1>>();
    check_linear_layer<Conv1D<"c1_e", 2, Kernel<3>, Linear, Strides<1>, valid, false, Dilation<3>>, Shape<10, 2>>();
    check_linear_layer<Conv1D<"c1_f", 3, Kernel<2>, Selu, Strides<1>, same, true, Dilation<2>>, Shape<5, 3>>();
    check_linear_layer<Conv1D<"c1_g", 2, Kernel<6>, Sigmoid>, Shape<6, 2>>();                          // identity path
    check_linear_layer<Conv1D<"c1_h", 2, Kernel<5>, Linear, Strides<1>, same>, Shape<3, 2>>();         // kernel > input
    check_linear_layer<Conv1D<"c1_i", 2, Kernel<3>, Linear, Strides<1>, same, true, Dilation<3>>, Shape<4, 1>>();
    check_linear_layer<Conv1D<"c1_j", 2, Kernel<1>, Linear, Strides<3>>, Shape<7, 2>>();               // stride > kernel
    check_linear_layer<Conv1D<"c1_k", 2, Kernel<3>, Relu, Strides<1>, causal, true, Dilation<4>>, Shape<5, 2>>();  // span > input
}

TEST_CASE("linear conformance: Conv1DTranspose") {
    check_linear_layer<Conv1DTranspose<"t1_a", 3, Kernel<3>>, Shape<4, 2>>();
    check_linear_layer<Conv1DTranspose<"t1_b", 3, Kernel<3>, Relu, Strides<2>, same>, Shape<4, 3>>();
    check_linear_layer<Conv1DTranspose<"t1_c", 2, Kernel<2>, Linear, Strides<3>, valid, false>, Shape<3, 1>>();
    check_linear_layer<Conv1DTranspose<"t1_d", 2, Kernel<4>, Tanh, Strides<2>, same>, Shape<3, 2>>();
    check_linear_layer<Conv1DTranspose<"t1_e", 2, Kernel<1>, Linear, Strides<2>>, Shape<3, 2>>();
    check_linear_layer<Conv1DTranspose<"t1_f", 1, Kernel<5>, Linear, Strides<1>, same>, Shape<2, 3>>();
}

TEST_CASE("linear conformance: float") {
    // The same contract in single precision, on a few geometries of each kind.
    check_linear_layer<Dense<"dense_f32", 5, Tanh>, Shape<2, 3, 4>, float>();
    check_linear_layer<Conv2D<"conv_f32", 3, Kernel<3, 2>, Relu, Strides<2, 1>, same>, Shape<5, 6, 2>, float>();
    check_linear_layer<Conv2D<"conv_f32_id", 2, Kernel<1, 16>, Selu>, Shape<16, 16, 1>, float>();
    check_linear_layer<Conv2DTranspose<"convt_f32", 3, Kernel<3, 3>, Relu, Strides<2, 2>, same>, Shape<3, 4, 2>, float>();
    check_linear_layer<Conv2DTranspose<"convt_f32_id", 1, Kernel<1, 16>, Tanh>, Shape<16, 1, 3>, float>();
    check_linear_layer<Conv2D<"convd_f32", 3, Kernel<3, 3>, Relu, Strides<1, 1>, same, true, Dilation<2, 2>>, Shape<7, 6, 2>, float>();
    check_linear_layer<Conv1D<"c1_f32", 3, Kernel<3>, Relu, Strides<1>, causal, true, Dilation<2>>, Shape<9, 2>, float>();
    check_linear_layer<Conv1DTranspose<"t1_f32", 3, Kernel<3>, Relu, Strides<2>, same>, Shape<4, 3>, float>();
}

TEST_CASE("Conv2D's transposed op is Conv2DTranspose's forward, and vice versa") {
    check_conv_transpose_duality<Conv2D<"c", 3, Kernel<3, 2>>, Conv2DTranspose<"t", 2, Kernel<3, 2>>, Shape<5, 6, 2>>();
    check_conv_transpose_duality<Conv2D<"c", 4, Kernel<3, 3>, Linear, Strides<2, 2>, same>,
                                 Conv2DTranspose<"t", 3, Kernel<3, 3>, Linear, Strides<2, 2>, same>, Shape<8, 8, 3>>();
    check_conv_transpose_duality<Conv2D<"c", 2, Kernel<3, 3>, Linear, Strides<2, 2>>,
                                 Conv2DTranspose<"t", 1, Kernel<3, 3>, Linear, Strides<2, 2>>, Shape<7, 7, 1>>();
    check_conv_transpose_duality<Conv2D<"c", 2, Kernel<2, 3>, Linear, Strides<3, 2>>,
                                 Conv2DTranspose<"t", 1, Kernel<2, 3>, Linear, Strides<3, 2>>, Shape<6, 5, 1>>();
    check_conv_transpose_duality<Conv2D<"c", 5, Kernel<1, 6>>, Conv2DTranspose<"t", 2, Kernel<1, 6>>, Shape<6, 6, 2>>();
    check_conv_transpose_duality<Conv2D<"c", 5, Kernel<6, 1>>, Conv2DTranspose<"t", 2, Kernel<6, 1>>, Shape<6, 1, 2>>();
    check_conv_transpose_duality<Conv2D<"c", 2, Kernel<1, 1>, Linear, Strides<2, 2>>,
                                 Conv2DTranspose<"t", 1, Kernel<1, 1>, Linear, Strides<2, 2>>, Shape<4, 6, 1>>();
}

TEST_CASE("Conv1D's transposed op is Conv1DTranspose's forward, and vice versa") {
    check_conv_transpose_duality<Conv1D<"c", 3, Kernel<3>>, Conv1DTranspose<"t", 2, Kernel<3>>, Shape<7, 2>>();
    check_conv_transpose_duality<Conv1D<"c", 4, Kernel<3>, Linear, Strides<2>, same>,
                                 Conv1DTranspose<"t", 3, Kernel<3>, Linear, Strides<2>, same>, Shape<8, 3>>();
    check_conv_transpose_duality<Conv1D<"c", 2, Kernel<2>, Linear, Strides<3>>,
                                 Conv1DTranspose<"t", 1, Kernel<2>, Linear, Strides<3>>, Shape<6, 1>>();
}

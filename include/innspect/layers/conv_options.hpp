#pragma once
/// \file
/// Spelling of convolution hyper-parameters in layer declarations: `Kernel<1, 90>`, `Strides<2, 2>`,
/// `Dilation<2, 2>` for 2D layers, `Kernel<3>`, `Strides<2>`, `Dilation<2>` for 1D layers (a
/// sequence is an image of height 1, so a 1D size n is the 2D size (1, n)), and the Keras config
/// fields every convolution has.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_traits.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/keras_schema.hpp"

namespace innspect {

namespace detail {
/// The sizes of a size tag: (height, width), or one size n of a 1D layer, which acts on the width
/// of a sequence seen as an image of height 1: (1, n). `rank` says which was written.
template <int... N>
struct AxisSizes {
    static_assert(sizeof...(N) == 1 || sizeof...(N) == 2,
                  "a size takes one value (1D layers) or two (height, width: 2D layers)");
};
template <int N>
struct AxisSizes<N> {
    static constexpr int h = 1, w = N, rank = 1;
};
template <int H, int W>
struct AxisSizes<H, W> {
    static constexpr int h = H, w = W, rank = 2;
};
}  // namespace detail

/// Kernel size, Keras's `kernel_size`: `Kernel<h, w>` (2D) or `Kernel<k>` (1D).
template <int... N>
struct Kernel : detail::AxisSizes<N...> {
    static_assert(((N > 0) && ...), "Kernel: every size must be positive");
};

/// Strides, Keras's `strides`: `Strides<h, w>` (2D) or `Strides<s>` (1D).
template <int... N>
struct Strides : detail::AxisSizes<N...> {
    static_assert(((N > 0) && ...), "Strides: every stride must be positive");
};

/// Dilation, Keras's `dilation_rate`: `Dilation<h, w>` (2D) or `Dilation<d>` (1D); the kernel's taps
/// are d apart. Keras runs a dilation > 1 only with stride 1.
template <int... N>
struct Dilation : detail::AxisSizes<N...> {
    static_assert(((N > 0) && ...), "Dilation: every rate must be positive");
};

namespace detail {
/// The config fields of Keras's convolutions over `Dims` axes (Conv2D, Conv1D; with dilation_rate
/// as a compared value or, for the transposed ones, as a setting innspect runs only at 1).
template <int Dims, bool Dilated>
inline constexpr std::array<KerasField, 8> conv_fields_of{{
    {.key = "filters"},
    {.key = "kernel_size", .label = "kernel", .count = Dims},
    {.key = "strides", .count = Dims, .has_fallback = true, .fallback = {1, 1}},
    {.key = "padding", .type = FieldType::text, .has_fallback = true, .text_fallback = "valid"},
    {.key = "activation", .type = FieldType::activation, .has_fallback = true, .text_fallback = "linear"},
    {.key = "use_bias", .type = FieldType::boolean, .has_fallback = true, .fallback = {1}},
    {.key = "dilation_rate", .count = Dims, .has_fallback = true, .fallback = {1, 1},
     .requirement = Dilated ? std::string_view{}
                            : (Dims == 2 ? "has no dilation, (1,1) only" : "has no dilation, 1 only")},
    // Keras 2.3+ and Keras 3 write groups (grouped convolution); innspect's kernels are dense.
    {.key = "groups", .has_fallback = true, .fallback = {1}, .requirement = "has no grouped convolution, groups 1 only"},
}};
/// Keras's Conv2D fields; Conv2DTranspose's start with the same six.
inline constexpr const auto& conv_fields = conv_fields_of<2, true>;

/// A size tag as Keras's config writes it: (h, w) for a 2D layer, (n,) for a 1D one.
template <class Size>
std::vector<double> keras_sizes() {
    if constexpr (Size::rank == 1) return {Size::w};
    else return {Size::h, Size::w};
}

/// The values of those fields in a convolution's declaration (dilation_rate: only when compared).
template <int Filters, class K, class Act, class S, Padding P, bool UseBias, class D = void>
void conv_keras_values(KerasValues& v) {
    v.numbers("filters", {Filters});
    v.numbers("kernel", keras_sizes<K>());
    v.numbers("strides", keras_sizes<S>());
    v.text("padding", padding_name(P));
    v.activation<Act>();
    v.boolean("use_bias", UseBias);
    if constexpr (!std::is_void_v<D>) v.numbers("dilation_rate", keras_sizes<D>());
}

/// What every convolution declaration (Conv2D, Conv1D and their transposes) states besides its
/// geometry: name, Keras class and config values (dilation_rate compared when `CompareDilation`),
/// and its hyper-parameters, which the bound layer reads.
template <fixed_string Name, const KerasSchema& Schema, int Filters, class K, class Act, class S, Padding P,
          bool UseBias, class D, bool CompareDilation>
struct ConvSpecBase {
    static constexpr std::string_view name = Name.view();
    static constexpr const KerasSchema& keras = Schema;
    static constexpr std::string_view keras_class = keras.keras_class;
    static void keras_values(KerasValues& v) {
        conv_keras_values<Filters, K, Act, S, P, UseBias, std::conditional_t<CompareDilation, D, void>>(v);
    }
    using activation = Act;
    using kernel_size = K;
    using strides = S;
    using dilation = D;
    static constexpr int filters = Filters;
    static constexpr bool use_bias = UseBias;
    static constexpr Padding padding = P;
};

/// What a bound convolution (detail::ConvLayer, detail::ConvTransposeLayer) declares, read from
/// its declaration `Spec` and input shape `In`.
template <class Spec, class In>
struct ConvLayerMembers {
    static constexpr std::string_view name = Spec::name;
    static constexpr std::string_view keras_class = Spec::keras_class;
    static constexpr RuleFamily family = RuleFamily::convolution;
    static constexpr bool use_bias = Spec::use_bias;
    static constexpr int filters = Spec::filters;
    static constexpr Padding padding = Spec::padding;
    using kernel_size = typename Spec::kernel_size;
    using strides = typename Spec::strides;
    using dilation = typename Spec::dilation;
    using input_shape = In;
    using output_shape = typename Spec::template output_shape_for<In>;

    /// Keras's kernel shape; the memory is the kernel matrix either way.
    static std::vector<std::int64_t> kernel_shape() { return Spec::template kernel_shape<In>(); }
    /// The geometry of the convolution (for a transposed one: of the convolution it is the adjoint of).
    static constexpr const ConvGeometry& conv_geometry() { return geometry; }

protected:
    static constexpr ConvGeometry geometry = Spec::template geometry<In>();
};
}  // namespace detail

}  // namespace innspect

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

/// Padding::valid / same / causal from a file layer's `padding` (`causal`: Conv1D only).
inline std::string declared_padding(const KerasDeclaration& d, bool causal_allowed) {
    const std::string& p = d.text("padding");
    if (p == "valid" || p == "same" || (causal_allowed && p == "causal")) return "Padding::" + p;
    d.fail("padding '" + p + "': innspect runs " + (causal_allowed ? "valid, same and causal" : "valid and same"));
}

/// Output length along one axis of a Keras convolution (TensorFlow's padding) or, `transposed`,
/// of its transpose (output_padding None, no dilation).
inline std::int64_t conv_out_length(std::int64_t in, int k, int s, int dil, std::string_view padding, bool transposed) {
    if (in < 0) return -1;
    if (transposed) return padding == "valid" ? in * s + std::max(k - s, 0) : in * s;
    if (padding == "valid") return (in - (static_cast<std::int64_t>(k - 1) * dil + 1)) / s + 1;
    return (in + s - 1) / s;  // same, causal
}

/// The C++ declaration of a file's convolution over `Dims` axes (Conv2D, Conv1D; `transposed`:
/// Conv2DTranspose, Conv1DTranspose, which take no Dilation), with its output shape and
/// parameters; the template defaults (Linear, stride 1, valid, bias, dilation 1) left out.
inline void declare_conv(KerasDeclaration& d, std::string_view cpp_class, int dims, bool transposed) {
    const std::string_view strides_default = dims == 2 ? "Strides<1, 1>" : "Strides<1>";
    const std::string_view dilation_default = dims == 2 ? "Dilation<1, 1>" : "Dilation<1>";
    std::vector<std::pair<std::string, std::string>> optional = {
        {declared_activation(d), "Linear"},
        {d.sizes("Strides", "strides"), std::string(strides_default)},
        {declared_padding(d, dims == 1 && !transposed), "Padding::valid"},
        {d.boolean("use_bias") ? "true" : "false", "true"},
    };
    if (!transposed) optional.push_back({d.sizes("Dilation", "dilation_rate"), std::string(dilation_default)});
    d.declaration = KerasDeclaration::spell(cpp_class, {d.quoted(), std::to_string(d.integer("filters")), d.sizes("Kernel", "kernel")},
                                            optional);
    const auto& in = d.input_shape();
    if (in.size() != static_cast<std::size_t>(dims) + 1) return;
    std::vector<std::int64_t> out;
    for (int a = 0; a < dims; ++a) {
        const int dil = transposed ? 1 : d.integer("dilation_rate", static_cast<std::size_t>(a));
        out.push_back(conv_out_length(in[static_cast<std::size_t>(a)], d.integer("kernel", static_cast<std::size_t>(a)),
                                      d.integer("strides", static_cast<std::size_t>(a)), dil, d.text("padding"), transposed));
    }
    for (int a = 0; a < dims; ++a)
        if (in[static_cast<std::size_t>(a)] >= 0 && out[static_cast<std::size_t>(a)] <= 0)
            d.fail("the kernel " + d.text("kernel") + " is larger than its input along axis " + std::to_string(a + 1) + " (" +
                   std::to_string(in[static_cast<std::size_t>(a)]) + ", " + d.text("padding") + " padding)");
    out.push_back(d.integer("filters"));
    d.shape(out);
    std::int64_t k = d.integer("filters") * in.back();
    for (int a = 0; a < dims; ++a) k *= d.integer("kernel", static_cast<std::size_t>(a));
    d.parameters = k + (d.boolean("use_bias") ? d.integer("filters") : 0);
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

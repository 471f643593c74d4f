#pragma once
/// \file
/// How the convolutions (shared by conv1d.hpp ... conv2d_transpose.hpp and pooling.hpp) are spelled in C++ by the header generator (`innspect-keras header`,
/// io/keras_declaration.hpp): the printers of layers/conv_options.hpp. They live here, not in the layer
/// header, so that a program that loads or checks a Keras file (which includes every layer header
/// through layers/keras_classes.hpp) neither parses nor compiles them; only the generator includes
/// this header (through layers/keras_printers.hpp).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/layers/declarations/activation_functions.hpp"
#include "innspect/layers/declarations/keras_printer.hpp"

namespace innspect {

namespace detail {
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
}  // namespace detail

}  // namespace innspect

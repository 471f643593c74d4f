#pragma once
/// \file
/// What a layer is, as composites and analyzers need to know it.

#include <string_view>

namespace innspect {

/// The role a layer plays in the backward pass. Composites pick rules by it.
enum class LayerKind {
    dense,             ///< linear: Dense
    conv2d,            ///< linear: Conv2D
    conv2d_transpose,  ///< linear: Conv2DTranspose (counts as a convolution for composites)
    activation,        ///< elementwise activation only (Activation, ReLU layers)
    reshape,           ///< Reshape, Flatten: relevance and gradients are reshaped back
    dropout,           ///< Dropout, SpatialDropout2D: identity at inference
};

/// True for the layers every LRP rule applies to.
constexpr bool is_linear(LayerKind k) {
    return k == LayerKind::dense || k == LayerKind::conv2d || k == LayerKind::conv2d_transpose;
}

/// True for convolutions (Conv2D and Conv2DTranspose).
constexpr bool is_convolution(LayerKind k) {
    return k == LayerKind::conv2d || k == LayerKind::conv2d_transpose;
}

constexpr std::string_view kind_name(LayerKind k) {
    switch (k) {
        case LayerKind::dense: return "Dense";
        case LayerKind::conv2d: return "Conv2D";
        case LayerKind::conv2d_transpose: return "Conv2DTranspose";
        case LayerKind::activation: return "Activation";
        case LayerKind::reshape: return "Reshape";
        case LayerKind::dropout: return "Dropout";
    }
    return "?";
}

}  // namespace innspect

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
    batch_norm,        ///< linear (diagonal): BatchNormalization at inference, z = k·x + c per channel
    max_pool,          ///< MaxPooling2D: winner takes all
    avg_pool,          ///< AveragePooling2D, GlobalAveragePooling2D: proportional to the inputs
    upsampling,        ///< UpSampling2D (nearest): sum over the copies
    zero_padding,      ///< ZeroPadding2D: crop back
    cropping,          ///< Cropping2D: pad back with zeros
};

/// True for the layers every LRP rule applies to.
constexpr bool is_linear(LayerKind k) {
    return k == LayerKind::dense || k == LayerKind::conv2d || k == LayerKind::conv2d_transpose ||
           k == LayerKind::batch_norm;
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
        case LayerKind::batch_norm: return "BatchNormalization";
        case LayerKind::max_pool: return "MaxPooling2D";
        case LayerKind::avg_pool: return "AveragePooling2D";
        case LayerKind::upsampling: return "UpSampling2D";
        case LayerKind::zero_padding: return "ZeroPadding2D";
        case LayerKind::cropping: return "Cropping2D";
    }
    return "?";
}

}  // namespace innspect

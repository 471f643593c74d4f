#pragma once
/// \file
/// What every layer declares about its role in an explanation. Each layer states these itself
/// (design.md §9); nothing elsewhere lists layer types, so a new layer is one header.

namespace innspect {

/// How relevance crosses a layer. Chosen by the layer, never by a fallback: a layer that
/// forgets to say is a compile error (core/concepts.hpp), not a gradient used as its LRP rule.
enum class LrpPolicy {
    linear,        ///< the composite's rule, written against apply / apply_transposed (Dense, Conv2D, ...)
    own_rule,      ///< the layer's own `lrp_backward(x, R)` (pooling, resampling, merges)
    pass_through,  ///< R reaches the input unchanged (activations, Reshape, Flatten, Dropout)
};

/// The family composites choose rules by (as iNNvestigate's and Zennit's presets do): dense
/// layers, convolutions (Conv2DTranspose counts as one), or neither.
enum class RuleFamily { dense, convolution, none };

}  // namespace innspect

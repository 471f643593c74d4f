#pragma once
/// \file
/// How a layer exposes its parameters to weight loaders, in Keras's own layout.

#include <cstdint>
#include <string_view>
#include <vector>

namespace innspect {

/// One parameter array of a layer, as Keras stores it: `role` is the weight's Keras name
/// without the layer prefix and ":0" ("kernel", "bias", "gamma", "beta", "moving_mean",
/// "moving_variance"); `shape` is Keras's shape; `data` points at `product(shape)` scalars laid
/// out in C order exactly as in the Keras file, so a loader copies without reordering.
template <class T>
struct WeightRef {
    std::string_view role;
    std::vector<std::int64_t> shape;
    T* data;
};

}  // namespace innspect

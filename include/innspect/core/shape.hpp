#pragma once
/// \file
/// Compile-time shapes. A sample is either an image `Shape<H, W, C>` (Keras `(h, w, c)`,
/// channels-last) or a vector `Shape<N>` (Keras `(n,)`). Both are stored flat, H*W*C features.

#include <concepts>
#include <cstdint>
#include <string>
#include <vector>

namespace innspect {

template <int... Dims>
struct Shape {
    static_assert(sizeof...(Dims) == 1 || sizeof...(Dims) == 3,
                  "Shape takes one dimension (a vector) or three (height, width, channels)");
};

/// A vector of N features (Keras shape `(N,)`).
template <int N>
struct Shape<N> {
    static_assert(N > 0, "Shape: every dimension must be positive");
    static constexpr int h = 1, w = 1, c = N, size = N, rank = 1;
    static std::vector<std::int64_t> keras() { return {N}; }
};

/// An image of H x W pixels with C channels (Keras shape `(H, W, C)`).
template <int H, int W, int C>
struct Shape<H, W, C> {
    static_assert(H > 0 && W > 0 && C > 0, "Shape: every dimension must be positive");
    static constexpr int h = H, w = W, c = C, size = H * W * C, rank = 3;
    static std::vector<std::int64_t> keras() { return {H, W, C}; }
};

/// Satisfied by the Shape types above.
template <class S>
concept ShapeType = requires {
    { S::size } -> std::convertible_to<int>;
    { S::rank } -> std::convertible_to<int>;
    S::h;
    S::w;
    S::c;
};

/// "(16, 16, 1)" or "(64,)", as Keras prints shapes.
inline std::string shape_string(const std::vector<std::int64_t>& dims) {
    std::string s = "(";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(dims[i]);
    }
    if (dims.size() == 1) s += ",";
    return s + ")";
}

}  // namespace innspect

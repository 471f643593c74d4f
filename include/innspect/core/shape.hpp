#pragma once
/// \file
/// Compile-time shapes. A sample is an image `Shape<H, W, C>` (Keras `(h, w, c)`, channels-last),
/// a sequence `Shape<S, C>` (Keras `(steps, channels)`, what the 1D layers read) or a vector
/// `Shape<N>` (Keras `(n,)`). All are stored flat, channels-last: H*W*C, S*C or N features. A
/// sequence is an image of height 1 (h = 1, w = S), so 1D layers share the 2D kernels.

#include <concepts>
#include <cstdint>
#include <string>
#include <vector>

namespace innspect {

template <int... Dims>
struct Shape {
    static_assert(sizeof...(Dims) >= 1 && sizeof...(Dims) <= 3,
                  "Shape takes one dimension (a vector), two (steps, channels) or three (height, width, channels)");
};

/// A vector of N features (Keras shape `(N,)`).
template <int N>
struct Shape<N> {
    static_assert(N > 0, "Shape: every dimension must be positive");
    static constexpr int h = 1, w = 1, c = N, size = N, rank = 1;
    static std::vector<std::int64_t> keras() { return {N}; }
};

/// A sequence of S steps with C channels (Keras shape `(S, C)`), seen as an image of height 1.
template <int S, int C>
struct Shape<S, C> {
    static_assert(S > 0 && C > 0, "Shape: every dimension must be positive");
    static constexpr int h = 1, w = S, c = C, size = S * C, rank = 2;
    static std::vector<std::int64_t> keras() { return {S, C}; }
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

namespace detail {
template <class S, int C>
struct with_channels_impl;
template <int N, int C>
struct with_channels_impl<Shape<N>, C> { using type = Shape<C>; };
template <int S, int C0, int C>
struct with_channels_impl<Shape<S, C0>, C> { using type = Shape<S, C>; };
template <int H, int W, int C0, int C>
struct with_channels_impl<Shape<H, W, C0>, C> { using type = Shape<H, W, C>; };
}  // namespace detail

/// `S` with its last (channel) axis of length C: what a layer acting on channels outputs.
template <ShapeType S, int C>
using with_channels = typename detail::with_channels_impl<S, C>::type;

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

#pragma once
/// \file
/// An axis as Keras's configs count it (the batch is axis 0, −1 the last axis), for the layers that
/// act along one axis of a sample: Concatenate and Softmax.

#include <array>

#include "innspect/core/shape.hpp"

namespace innspect {

/// A Keras axis: `Axis<-1>` (the channels, Keras's default), `Axis<1>` (the first axis of a sample).
template <int A>
struct Axis {
    static_assert(A != 0, "Axis<0> is the batch axis; a layer acts along an axis of one sample");
    static constexpr int value = A;
};

namespace detail {
/// Keras axis (batch = 0, negative from the end) as a 0-based axis of a sample of rank r.
constexpr int sample_axis(int axis, int rank) { return axis < 0 ? axis + rank : axis - 1; }

/// A shape's sizes in C order (channels last), padded with 1.
template <ShapeType S>
constexpr std::array<int, 3> dims_of() {
    if constexpr (S::rank == 1) return {S::c, 1, 1};
    else if constexpr (S::rank == 2) return {S::w, S::c, 1};
    else return {S::h, S::w, S::c};
}
}  // namespace detail

}  // namespace innspect

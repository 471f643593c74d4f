#pragma once
/// \file
/// A per-thread scratch matrix for what a layer computes on its way to its output (a
/// convolution's patch matrix): kept across calls and grown only when a call needs more, so a pass
/// repeated with the same batch size allocates nothing. Per thread, because one model is shared
/// read-only by every thread that explains with it. One buffer per scalar type serves every layer:
/// a layer holds it only within one of its own calls, and it never holds an input or a result.
/// It keeps the largest size asked for until the thread ends.

#include "innspect/core/tensor.hpp"

namespace innspect::detail {

/// A rows × cols view of the calling thread's scratch buffer; its contents are unspecified.
template <class T>
Eigen::Map<Matrix<T>> scratch_matrix(Eigen::Index rows, Eigen::Index cols) {
    thread_local Vector<T> buffer;
    if (buffer.size() < rows * cols) buffer.resize(rows * cols);
    return {buffer.data(), rows, cols};
}

}  // namespace innspect::detail

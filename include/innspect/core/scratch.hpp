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

/// The calling thread's workspace of type W (default-constructed at its first use, kept until the
/// thread ends): the buffers of a layer's forward pass that are more than one matrix (a recurrent
/// layer's step state). The model is shared read-only by threads and a forward pass has no
/// analyzer cache to keep them in. A layer holds it only within one call of its own forward pass;
/// two layers of the same type run one after the other, never nested.
template <class W>
W& thread_workspace() {
    thread_local W w;
    return w;
}

}  // namespace innspect::detail

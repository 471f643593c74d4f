#pragma once
/// \file
/// The parameters a linear layer's `apply` / `apply_transposed` run with: the layer's own, or
/// modified copies (W⁺, W⁻, W², all ones, ...) that LRP rules make.

#include <utility>

#include "innspect/core/tensor.hpp"

namespace innspect {

/// A kernel in Keras's layout viewed as a row-major matrix (Dense: in × units; Conv2D:
/// (kh·kw·in) × filters; Conv2DTranspose: (kh·kw·filters) × in) and an optional bias.
/// `apply` adds the bias only when `has_bias`.
template <class T>
struct LinearParams {
    Matrix<T> kernel;
    Vector<T> bias;
    bool has_bias = false;

    /// The same parameters with f applied to every kernel entry and g to every bias entry.
    template <class F, class G>
    LinearParams map(F&& f, G&& g) const {
        LinearParams out;
        out.kernel = kernel.unaryExpr(std::forward<F>(f));
        out.has_bias = has_bias;
        if (has_bias) out.bias = bias.unaryExpr(std::forward<G>(g));
        return out;
    }
    /// The same kernel with f applied to every entry, no bias.
    template <class F>
    LinearParams map_kernel(F&& f) const {
        LinearParams out;
        out.kernel = kernel.unaryExpr(std::forward<F>(f));
        return out;
    }
    /// The same kernel, no bias.
    LinearParams without_bias() const {
        LinearParams out;
        out.kernel = kernel;
        return out;
    }
};

}  // namespace innspect

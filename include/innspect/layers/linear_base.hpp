#pragma once
/// \file
/// What Dense, Conv2D and Conv2DTranspose share: their parameters, the forward pass
/// a = f(apply(x, P)), the Keras view of their weights, and the gradient through the linear part.
/// Each derived layer only says how `apply_into` and `apply_transposed_into` run: into a buffer
/// the caller keeps (a trace's), resized only when its shape differs, so a repeated pass with the
/// same batch size allocates nothing; `apply` / `apply_transposed` return a fresh matrix.

#include <string>
#include <vector>

#include "innspect/core/layer_traits.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"

namespace innspect::detail {

template <class Derived, class T, class Act>
class LinearLayerBase {
public:
    using scalar = T;
    using activation = Act;
    /// The pre-activation apply(x, P) differs from the input: a trace stores it (unless f is linear).
    static constexpr bool pre_is_input = false;
    /// Every LRP rule applies, through apply / apply_transposed.
    static constexpr LrpPolicy lrp = LrpPolicy::linear;

    /// P with its output channels scaled: W·diag(k), b ⊙ k. Output channels are the kernel
    /// matrix's columns (a layer whose kernel is laid out otherwise says so by hiding this).
    static LinearParams<T> scale_output_channels(const LinearParams<T>& p, const Vector<T>& k) {
        LinearParams<T> s;
        s.kernel = p.kernel * k.asDiagonal();
        s.has_bias = p.has_bias;
        if (p.has_bias) s.bias = p.bias.cwiseProduct(k);
        return s;
    }

    const LinearParams<T>& params() const { return params_; }
    LinearParams<T>& params() { return params_; }

    /// Keras's arrays: "kernel" in Keras's shape and, with use_bias, "bias".
    std::vector<WeightRef<T>> weights() {
        std::vector<WeightRef<T>> w{{"kernel", Derived::kernel_shape(), params_.kernel.data()}};
        if (params_.has_bias) w.push_back({"bias", {params_.bias.size()}, params_.bias.data()});
        return w;
    }

    /// z = x·P (+ b) as a new matrix.
    Batch<T> apply(const Batch<T>& x, const LinearParams<T>& p) const {
        Batch<T> z;
        self().apply_into(x, p, z);
        return z;
    }
    /// s·Pᵀ as a new matrix.
    Batch<T> apply_transposed(const Batch<T>& s, const LinearParams<T>& p) const {
        Batch<T> c;
        self().apply_transposed_into(s, p, c);
        return c;
    }

    /// pre = apply(x, P); out = f(pre), into the caller's buffers. `pre` is left empty for the
    /// linear activation.
    void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
        if constexpr (Act::is_identity) {
            self().apply_into(x, params_, out);
            pre.resize(0, 0);
        } else {
            self().apply_into(x, params_, pre);
            Act::forward(pre, out, Derived::output_shape::c);
        }
    }

    /// Gradient w.r.t. the layer input given the gradient w.r.t. the pre-activation.
    Batch<T> backward_linear(const Batch<T>& g) const { return self().apply_transposed(g, params_); }
    /// The same into `out` (its buffer reused).
    void backward_linear_into(const Batch<T>& g, Batch<T>& out) const { self().apply_transposed_into(g, params_, out); }

    /// Throws value_error naming the layer if a weight is NaN or infinite.
    void check_finite() const {
        require_finite(params_.kernel, std::string(Derived::name) + ": kernel");
        if (params_.has_bias) require_finite(params_.bias, std::string(Derived::name) + ": bias");
    }

protected:
    LinearLayerBase(Eigen::Index kernel_rows, Eigen::Index kernel_cols, Eigen::Index units, bool use_bias) {
        params_.kernel = Matrix<T>::Zero(kernel_rows, kernel_cols);
        params_.has_bias = use_bias;
        if (use_bias) params_.bias = Vector<T>::Zero(units);
    }

    static void check_input(const Batch<T>& x, int expected, const char* what) {
        if (x.cols() != expected)
            throw shape_error(std::string(Derived::name) + ": " + what + " has " + std::to_string(x.cols()) +
                              " features per sample, expected " + std::to_string(expected));
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    LinearParams<T> params_;
};

}  // namespace innspect::detail

#pragma once
/// \file
/// What Reshape, Flatten, Dropout and Activation share: no weights, and a core that copies its
/// input. An activation, if any, is applied to that copy, so the pre-activation is the input.

#include <string>
#include <vector>

#include "innspect/core/layer_traits.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/weights.hpp"

namespace innspect::detail {

template <class Derived, class T, class Act, class In>
class PassThroughBase {
public:
    using scalar = T;
    using activation = Act;
    /// The pre-activation of this layer is its input: a trace need not store it again.
    static constexpr bool pre_is_input = true;
    /// Relevance reaches the input unchanged (an activation's work is done by the rule of the
    /// linear layer before it, design.md §4).
    static constexpr LrpPolicy lrp = LrpPolicy::pass_through;
    static constexpr RuleFamily family = RuleFamily::none;

    std::vector<WeightRef<T>> weights() { return {}; }
    void check_finite() const {}

    void forward(const Batch<T>& x, Batch<T>& pre, Batch<T>& out) const {
        if (x.cols() != In::size)
            throw shape_error(std::string(Derived::name) + ": input has " + std::to_string(x.cols()) +
                              " features per sample, expected " + std::to_string(In::size));
        pre.resize(0, 0);
        if constexpr (Act::is_identity)
            out = x;
        else
            Act::forward(x, out, In::c);
    }

    /// Gradient and relevance w.r.t. the input, given them w.r.t. the (pre-activation) output:
    /// flat storage is shared between shapes, so this is the identity.
    Batch<T> backward_linear(const Batch<T>& g) const { return g; }
    /// The same into `out` (its buffer reused).
    void backward_linear_into(const Batch<T>& g, Batch<T>& out) const { out = g; }
};

}  // namespace innspect::detail

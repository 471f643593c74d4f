#pragma once
/// \file
/// LRP-0: R_i = x_i Σ_j w_ij R_j / z_j, and a neuron with z_j = 0 passes no relevance.

#include <string>

#include "innspect/rules/rule.hpp"

namespace innspect {

/// The z rule (LRP-0, Bach et al. 2015). `bias = false` leaves the bias out of z_j.
struct ZRule {
    bool bias = true;

    std::string name() const { return bias ? "z" : "z(no bias)"; }

    /// R_in into `out` (its buffer reused; the temporaries kept in ctx.cache): with s = R / z, and
    /// 0 where z = 0, R_in = x ⊙ apply_transposed(s, P). Returns Σ s ⊙ b, what the bias absorbed.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& p = detail::own_params(ctx, bias);
        const auto& z = detail::denominator_z(ctx, bias, w.z);
        w.s = (z.array() != T(0)).select(r.array() / z.array(), T(0)).matrix();  // safe_divide(r, z)
        return detail::distribute(ctx, p, w, out);
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }
};

}  // namespace innspect

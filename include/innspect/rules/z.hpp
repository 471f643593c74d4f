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

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        const auto& p = detail::own_params(ctx, bias);
        const auto s = detail::safe_divide(r, detail::denominator_z(ctx, bias));
        LrpStep<typename L::scalar> out;
        out.relevance = ctx.x.cwiseProduct(ctx.layer.apply_transposed(s, p));
        if (p.has_bias) out.bias_absorbed = detail::bias_share(s, p.bias);
        return out;
    }
};

}  // namespace innspect

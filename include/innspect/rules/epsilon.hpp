#pragma once
/// \file
/// LRP-ε: R_i = x_i Σ_j w_ij R_j / (z_j + ε·sgn₀(z_j)).

#include <string>

#include "innspect/core/errors.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

/// The epsilon rule. ε ≥ 0 (default 1e-6) absorbs relevance of weak or contradictory
/// contributions; `bias = false` leaves the bias out of z_j. Reuses the forward pass's z.
struct Epsilon {
    double epsilon = 1e-6;
    bool bias = true;

    Epsilon() = default;
    explicit Epsilon(double eps, bool use_bias = true) : epsilon(eps), bias(use_bias) {
        if (!(eps >= 0)) throw value_error("Epsilon rule: epsilon must be >= 0, got " + std::to_string(eps));
    }

    std::string name() const { return "epsilon(" + detail::format_number(epsilon) + (bias ? ")" : ", no bias)"); }

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        using T = typename L::scalar;
        const auto& p = detail::own_params(ctx, bias);
        // safe_divide: with ε = 0 a neuron with z = 0 passes nothing, as in the z rule.
        const Batch<T> s = detail::safe_divide(r, detail::stabilize(detail::denominator_z(ctx, bias), T(epsilon)));
        LrpStep<T> out;
        out.relevance = ctx.x.cwiseProduct(ctx.layer.apply_transposed(s, p));
        if (p.has_bias) out.bias_absorbed = detail::bias_share(s, p.bias);
        return out;
    }
};

}  // namespace innspect

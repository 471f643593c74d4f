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

    /// R_in into `out` (its buffer reused; the temporaries kept in ctx.cache): with the quotient
    /// s = R / (z + ε·sgn₀(z)), and 0 where that is 0, R_in = x ⊙ apply_transposed(s, P). Returns
    /// Σ s ⊙ b, what the bias absorbed.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& p = detail::own_params(ctx, bias);
        // With ε = 0 a neuron with z = 0 passes nothing, as in the z rule.
        detail::stabilized_quotient(r, detail::denominator_z(ctx, bias, w.z), T(epsilon), w.s);
        return detail::distribute(ctx, p, w, out);
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }
};

}  // namespace innspect

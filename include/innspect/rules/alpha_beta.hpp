#pragma once
/// \file
/// LRP-αβ, sign-aware (negative inputs allowed):
///   R_i = α·[x⁺_i Σ_j w⁺_ij R_j/z⁺_j + x⁻_i Σ_j w⁻_ij R_j/z⁺_j] − β·[x⁺_i Σ_j w⁻_ij R_j/z⁻_j + x⁻_i Σ_j w⁺_ij R_j/z⁻_j]
/// with z⁺_j = Σ x⁺w⁺ + Σ x⁻w⁻ + b⁺_j and z⁻_j = Σ x⁺w⁻ + Σ x⁻w⁺ + b⁻_j, each stabilised by
/// +1e-6·sgn₀. Each bias part enters only its own denominator (unlike iNNvestigate 2.x, whose
/// alpha-beta puts the whole bias into both and yields relevances of ±1e7).

#include <cmath>
#include <string>

#include "innspect/core/errors.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

/// The alpha-beta rule; α − β = 1 is enforced (α ≥ 1, β ≥ 0).
struct AlphaBeta {
    double alpha = 1, beta = 0;
    bool bias = true;
    double stabilizer = 1e-6;

    AlphaBeta() = default;
    AlphaBeta(double a, double b, bool use_bias = true) : alpha(a), beta(b), bias(use_bias) {
        if (!(b >= 0) || !(std::abs(a - b - 1) <= 1e-9))
            throw value_error("AlphaBeta rule: needs alpha - beta = 1 and beta >= 0, got alpha = " + std::to_string(a) +
                              ", beta = " + std::to_string(b));
    }

    std::string name() const {
        return "alpha_beta(" + detail::format_number(alpha) + ", " + detail::format_number(beta) + (bias ? ")" : ", no bias)");
    }

    /// R_in into `out` (its buffer reused; the products and quotients kept in ctx.cache), every
    /// product on its own (detail::sign_split_step says why). Returns what the bias parts absorbed
    /// (α·Σ s⁺ ⊙ b⁺ − β·Σ s⁻ ⊙ b⁻, s± = R / z±).
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& own = ctx.params;
        const bool with_bias = bias && own.has_bias;
        if (with_bias) {
            w.bp = own.bias.cwiseMax(T(0));
            w.bn = own.bias.cwiseMin(T(0));
        }
        const detail::SignSplit<T> split{detail::positive_params(ctx, false),
                                         detail::negative_params(ctx, false),
                                         with_bias ? &w.bp : nullptr,
                                         with_bias ? &w.bn : nullptr,
                                         T(alpha),
                                         T(beta),
                                         beta != 0,
                                         true,
                                         nullptr,
                                         T(stabilizer)};
        return detail::sign_split_step(ctx, r, split, out);
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }
};

/// z⁺ rule: alpha-beta with α = 1, β = 0 (negative inputs allowed through their x⁻w⁻ term).
struct ZPlus : AlphaBeta {
    explicit ZPlus(bool use_bias = true) : AlphaBeta(1, 0, use_bias) {}
    std::string name() const { return bias ? "zplus" : "zplus(no bias)"; }
};

}  // namespace innspect

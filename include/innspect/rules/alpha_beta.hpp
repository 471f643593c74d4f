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

namespace detail {
template <class T>
void add_bias(Batch<T>& z, const Vector<T>& b) {
    Eigen::Map<Matrix<T>> zm(z.data(), z.size() / b.size(), b.size());
    zm.rowwise() += b.transpose();
}
}  // namespace detail

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

    /// R_in into `out` (its buffer reused; x⁺, x⁻, the products and quotients kept in ctx.cache).
    /// Returns what the bias parts absorbed (α·Σ s⁺ ⊙ b⁺ − β·Σ s⁻ ⊙ b⁻).
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& wp = detail::positive_params(ctx, false);
        const auto& wn = detail::negative_params(ctx, false);
        const auto& own = ctx.params;
        const bool with_bias = bias && own.has_bias;
        w.xp = ctx.x.cwiseMax(T(0));
        w.xn = ctx.x.cwiseMin(T(0));
        // After ReLU-like layers and on non-negative inputs x⁻ = 0: skip its two GEMMs.
        const bool has_negative = w.xn.minCoeff() < T(0);
        const auto& l = ctx.layer;

        double bias_absorbed = 0;
        out.setZero(ctx.x.rows(), ctx.x.cols());
        // One signed part: `same` weights pair with x⁺, `other` with x⁻.
        auto part = [&](const LinearParams<T>& same, const LinearParams<T>& other, const Vector<T>& b, double factor) {
            detail::apply_into(l, w.xp, same, w.z);
            if (has_negative) {
                detail::apply_into(l, w.xn, other, w.z2);
                w.z += w.z2;
            }
            if (with_bias) detail::add_bias(w.z, b);
            w.s = (r.array() / (w.z.array() >= T(0)).select(w.z.array() + T(stabilizer), w.z.array() - T(stabilizer)))
                      .matrix();  // R / stabilize(z)
            detail::apply_transposed_into(l, w.s, same, w.c);
            w.c.array() *= w.xp.array();
            if (has_negative) {
                detail::apply_transposed_into(l, w.s, other, w.c2);
                w.c += w.xn.cwiseProduct(w.c2);
            }
            out += T(factor) * w.c;
            if (with_bias) bias_absorbed += factor * detail::bias_share(w.s, b, w.bias_sums);
        };
        if (with_bias) {
            w.bp = own.bias.cwiseMax(T(0));
            w.bn = own.bias.cwiseMin(T(0));
        } else {
            w.bp.resize(0);
            w.bn.resize(0);
        }
        part(wp, wn, w.bp, alpha);
        if (beta != 0) part(wn, wp, w.bn, -beta);
        return bias_absorbed;
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

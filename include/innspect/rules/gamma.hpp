#pragma once
/// \file
/// The generalised, sign-aware γ rule: for z_j > 0, relevance is distributed over
/// x⁺(w + γw⁺) + x⁻(w + γw⁻) (+ b + γb⁺); for z_j < 0 over x⁺(w + γw⁻) + x⁻(w + γw⁺) (+ b + γb⁻);
/// z_j = 0 passes nothing. On x ≥ 0 it is the original γ rule (Montavon et al. 2019).

#include <string>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

namespace detail {
/// A layer's γ kernels for one γ, made once: U = W + γW⁺, D = W + γW⁻ (kernels only) and their
/// biases b + γb⁺, b + γb⁻ (empty without a bias).
template <class T>
struct GammaParams {
    double gamma = 0;
    LinearParams<T> up, down;
    Vector<T> bias_up, bias_down;
};
}  // namespace detail

/// The gamma rule, γ ≥ 0 (default 0.25). Denominators are stabilised by +1e-6·sgn₀.
struct Gamma {
    double gamma = 0.25;
    bool bias = true;
    double stabilizer = 1e-6;

    Gamma() = default;
    explicit Gamma(double g, bool use_bias = true) : gamma(g), bias(use_bias) {
        if (!(g >= 0)) throw value_error("Gamma rule: gamma must be >= 0, got " + std::to_string(g));
    }

    std::string name() const { return "gamma(" + detail::format_number(gamma) + (bias ? ")" : ", no bias)"); }

    /// R_in into `out` (its buffer reused; U, D and their biases cached per γ, the products kept in
    /// ctx.cache): the sign-split step (detail::sign_split_step) with P = U, N = D, s⁺ where z > 0
    /// and s⁻ where z < 0. Returns Σ s⁺ ⊙ (b + γb⁺) + Σ s⁻ ⊙ (b + γb⁻), what the biases absorbed.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& gp = params(ctx);
        const bool with_bias = bias && ctx.params.has_bias;
        const detail::SignSplit<T> split{gp.up,
                                         gp.down,
                                         with_bias ? &gp.bias_up : nullptr,
                                         with_bias ? &gp.bias_down : nullptr,
                                         T(1),
                                         T(1),
                                         true,
                                         false,
                                         &detail::denominator_z(ctx, bias, w.z0),
                                         T(stabilizer)};
        return detail::sign_split_step(ctx, r, split, out);
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }

private:
    /// U, D and their biases for this γ, made on first use. Kept in a list searched by the value
    /// of γ rather than under a key string, which would allocate on every call.
    template <class L>
    const detail::GammaParams<typename L::scalar>& params(const RuleContext<L>& ctx) const {
        using T = typename L::scalar;
        auto& list = ctx.cache.template workspace<std::vector<detail::GammaParams<T>>>("gamma params");
        for (const auto& p : list)
            if (p.gamma == gamma) return p;
        const T g = T(gamma);
        const auto& own = ctx.params;
        detail::GammaParams<T> p;
        p.gamma = gamma;
        p.up = own.map_kernel([g](T v) { return v + g * detail::positive(v); });
        p.down = own.map_kernel([g](T v) { return v + g * detail::negative(v); });
        if (own.has_bias) {
            p.bias_up = own.bias + g * own.bias.cwiseMax(T(0));
            p.bias_down = own.bias + g * own.bias.cwiseMin(T(0));
        }
        list.push_back(std::move(p));
        return list.back();
    }
};

}  // namespace innspect

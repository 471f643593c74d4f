#pragma once
/// \file
/// The generalised, sign-aware γ rule: for z_j > 0, relevance is distributed over
/// x⁺(w + γw⁺) + x⁻(w + γw⁻) (+ b + γb⁺); for z_j < 0 over x⁺(w + γw⁻) + x⁻(w + γw⁺) (+ b + γb⁻);
/// z_j = 0 passes nothing. On x ≥ 0 it is the original γ rule (Montavon et al. 2019).

#include <string>

#include "innspect/core/errors.hpp"
#include "innspect/rules/alpha_beta.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

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

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        using T = typename L::scalar;
        const T g = T(gamma);
        const auto& own = ctx.params;
        const bool with_bias = bias && own.has_bias;
        const std::string key = detail::format_number(gamma);
        const auto& up = ctx.cache.get("gamma+" + key, [&] { return own.map_kernel([g](T w) { return w + g * detail::positive(w); }); });
        const auto& dn = ctx.cache.get("gamma-" + key, [&] { return own.map_kernel([g](T w) { return w + g * detail::negative(w); }); });
        const Batch<T> z = detail::denominator_z(ctx, bias);
        const Batch<T> xp = ctx.x.cwiseMax(T(0));
        const Batch<T> xn = ctx.x.cwiseMin(T(0));
        const bool has_negative = xn.minCoeff() < T(0);
        const auto& l = ctx.layer;

        LrpStep<T> out;
        out.relevance = Batch<T>::Zero(ctx.x.rows(), ctx.x.cols());
        // sign = +1: neurons with z > 0 use (up for x⁺, dn for x⁻); sign = −1: z < 0 use the reverse.
        auto part = [&](const LinearParams<T>& for_xp, const LinearParams<T>& for_xn, T sign) {
            Batch<T> zz = l.apply(xp, for_xp);
            if (has_negative) zz += l.apply(xn, for_xn);
            Vector<T> b;
            if (with_bias) {
                b = sign > 0 ? Vector<T>(own.bias + g * own.bias.cwiseMax(T(0)))
                             : Vector<T>(own.bias + g * own.bias.cwiseMin(T(0)));
                detail::add_bias(zz, b);
            }
            const Batch<T> selected = (sign * z.array() > T(0)).select(r, T(0));
            const Batch<T> s = selected.cwiseQuotient(detail::stabilize(zz, T(stabilizer)));
            Batch<T> c = xp.cwiseProduct(l.apply_transposed(s, for_xp));
            if (has_negative) c += xn.cwiseProduct(l.apply_transposed(s, for_xn));
            out.relevance += c;
            if (with_bias) out.bias_absorbed += detail::bias_share(s, b);
        };
        part(up, dn, T(1));
        part(dn, up, T(-1));
        return out;
    }
};

}  // namespace innspect

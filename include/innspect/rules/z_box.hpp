#pragma once
/// \file
/// z^B (bounded input) rule for a first layer whose inputs lie in [l, h]:
///   R_i = Σ_j (x_i w_ij − l_i w⁺_ij − h_i w⁻_ij) R_j / Σ_i' (x_i' w_i'j − l_i' w⁺_i'j − h_i' w⁻_i'j)
/// The bias cancels out; the denominator is stabilised by +1e-6·sgn₀.

#include <string>
#include <vector>

#include "innspect/core/errors.hpp"
#include "innspect/rules/rule.hpp"

namespace innspect {

/// Bounds are one value for every input feature, or one value per feature (channels-last).
struct ZBox {
    std::vector<double> low{0.0}, high{1.0};
    double stabilizer = 1e-6;

    ZBox() = default;
    ZBox(double l, double h) : low{l}, high{h} {
        if (!(l <= h)) throw value_error("ZBox rule: needs low <= high, got " + std::to_string(l) + " > " + std::to_string(h));
    }
    ZBox(std::vector<double> l, std::vector<double> h) : low(std::move(l)), high(std::move(h)) {
        if (low.size() != high.size() || low.empty())
            throw shape_error("ZBox rule: low has " + std::to_string(low.size()) + " values, high " +
                              std::to_string(high.size()));
        for (std::size_t i = 0; i < low.size(); ++i)
            if (!(low[i] <= high[i]))
                throw value_error("ZBox rule: needs low <= high, got " + std::to_string(low[i]) + " > " +
                                  std::to_string(high[i]) + " at feature " + std::to_string(i));
    }

    std::string name() const {
        if (low.size() == 1) return "zbox(" + detail::format_number(low[0]) + ", " + detail::format_number(high[0]) + ")";
        return "zbox(per-feature)";
    }

    /// R_in into `out` (its buffer reused; the bounds as rows, x − l, x − h and the products kept
    /// in ctx.cache). Each term splits by the sign of the weight, x w − l w⁺ − h w⁻ =
    /// (x − l) w⁺ + (x − h) w⁻, so with c± = s·W±ᵀ and s = R / stabilise(z):
    ///   z = (x − l)·W⁺ + (x − h)·W⁻,   R_in = (x − l) ⊙ c⁺ + (x − h) ⊙ c⁻
    /// Four products instead of six, and for x in [l, h] every term of z is ≥ 0: no sum of
    /// opposite-signed products of the size of x·W that cancel down to a small z. Returns 0.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        auto& w = detail::rule_buffers(ctx);
        const auto& bounds = bound_rows(ctx);
        const auto& wp = detail::positive_params(ctx, false);
        const auto& wn = detail::negative_params(ctx, false);
        const auto& l = ctx.layer;
        w.xp = ctx.x.array().rowwise() - bounds.low.row(0).array();   // x − l
        w.xn = ctx.x.array().rowwise() - bounds.high.row(0).array();  // x − h
        detail::apply_into(l, w.xp, wp, w.z);
        detail::apply_into(l, w.xn, wn, w.z2);
        w.s = r.binaryExpr(w.z + w.z2, detail::stabilized_quotient_op<T>{T(1), T(stabilizer)});
        detail::apply_transposed_into(l, w.s, wp, w.c);
        detail::apply_transposed_into(l, w.s, wn, w.c2);
        out = w.xp.cwiseProduct(w.c) + w.xn.cwiseProduct(w.c2);
        return 0.0;
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }

private:
    /// The bounds as one row over the layer input's features each, for the bounds they were made
    /// from (remade when those differ: another rule on the same cache, another input width).
    template <class T>
    struct BoundRows {
        std::vector<double> from_low, from_high;
        Batch<T> low, high;
    };

    template <class L>
    const BoundRows<typename L::scalar>& bound_rows(const RuleContext<L>& ctx) const {
        using T = typename L::scalar;
        auto& b = ctx.cache.template workspace<BoundRows<T>>("zbox bounds");
        if (b.from_low != low || b.from_high != high || b.low.cols() != ctx.x.cols()) {
            b.low = bound<T>(low, ctx.x.cols(), "low");
            b.high = bound<T>(high, ctx.x.cols(), "high");
            b.from_low = low;
            b.from_high = high;
        }
        return b;
    }

    template <class T>
    static Batch<T> bound(const std::vector<double>& v, Eigen::Index features, const char* which) {
        if (v.size() == 1) return Batch<T>::Constant(1, features, T(v[0]));
        if (static_cast<Eigen::Index>(v.size()) != features)
            throw shape_error(std::string("ZBox rule: ") + which + " bound has " + std::to_string(v.size()) +
                              " values, the layer input has " + std::to_string(features) + " features");
        Batch<T> b(1, features);
        for (Eigen::Index c = 0; c < features; ++c) b(0, c) = T(v[static_cast<std::size_t>(c)]);
        return b;
    }
};

}  // namespace innspect

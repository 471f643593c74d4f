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

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        using T = typename L::scalar;
        const Batch<T> lo = bound(low, ctx.x, "low");
        const Batch<T> hi = bound(high, ctx.x, "high");
        const auto& p = ctx.cache.get("nobias", [&] { return ctx.params.without_bias(); });
        const auto& wp = detail::positive_params(ctx, false);
        const auto& wn = detail::negative_params(ctx, false);
        const auto& l = ctx.layer;
        const Batch<T> z = l.apply(ctx.x, p) - l.apply(lo, wp) - l.apply(hi, wn);
        const Batch<T> s = r.cwiseQuotient(detail::stabilize(z, T(stabilizer)));
        LrpStep<T> out;
        out.relevance = ctx.x.cwiseProduct(l.apply_transposed(s, p)) - lo.cwiseProduct(l.apply_transposed(s, wp)) -
                        hi.cwiseProduct(l.apply_transposed(s, wn));
        return out;
    }

private:
    template <class T>
    static Batch<T> bound(const std::vector<double>& v, const Batch<T>& x, const char* which) {
        if (v.size() == 1) return Batch<T>::Constant(x.rows(), x.cols(), T(v[0]));
        if (static_cast<Eigen::Index>(v.size()) != x.cols())
            throw shape_error(std::string("ZBox rule: ") + which + " bound has " + std::to_string(v.size()) +
                              " values, the layer input has " + std::to_string(x.cols()) + " features");
        Batch<T> b(x.rows(), x.cols());
        for (Eigen::Index c = 0; c < x.cols(); ++c) b.col(c).setConstant(T(v[static_cast<std::size_t>(c)]));
        return b;
    }
};

}  // namespace innspect

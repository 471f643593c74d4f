#pragma once
/// \file
/// w² rule: R_i = Σ_j w²_ij R_j / Σ_i' w²_i'j (over in-bounds inputs). Ignores x and b.

#include <string>

#include "innspect/rules/rule.hpp"

namespace innspect {

struct WSquare {
    std::string name() const { return "w_square"; }

    /// R_in into `out` (its buffer reused; W² and its column sums cached): R_in =
    /// apply_transposed(R / apply(1, W²), W²). Returns 0: no bias enters.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        const auto& w2 = ctx.cache.get("w2", [&] { return ctx.params.map_kernel([](T w) { return w * w; }); });
        const auto& d = ctx.cache.get_batch("w2.sum", [&] {
            return ctx.layer.apply(Batch<T>::Ones(1, ctx.x.cols()), w2);
        });
        detail::spread(ctx, r, w2, d, out);
        return 0.0;
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }
};

}  // namespace innspect

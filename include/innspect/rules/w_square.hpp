#pragma once
/// \file
/// w² rule: R_i = Σ_j w²_ij R_j / Σ_i' w²_i'j (over in-bounds inputs). Ignores x and b.

#include <string>

#include "innspect/rules/rule.hpp"

namespace innspect {

struct WSquare {
    std::string name() const { return "w_square"; }

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        using T = typename L::scalar;
        const auto& w2 = ctx.cache.get("w2", [&] { return ctx.params.map_kernel([](T w) { return w * w; }); });
        const auto& d = ctx.cache.get_batch("w2.sum", [&] {
            return ctx.layer.apply(Batch<T>::Ones(1, ctx.x.cols()), w2);
        });
        const Batch<T> s = detail::safe_divide(r, Batch<T>(d.replicate(r.rows(), 1)));
        return {ctx.layer.apply_transposed(s, w2), 0.0};
    }
};

}  // namespace innspect

#pragma once
/// \file
/// Flat rule: R_i = Σ_j R_j / n_j, n_j the number of in-bounds inputs of j (padding excluded).
/// Ignores x, W and b: relevance spreads uniformly over each neuron's receptive field.

#include <string>

#include "innspect/rules/rule.hpp"

namespace innspect {

struct Flat {
    std::string name() const { return "flat"; }

    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        using T = typename L::scalar;
        const auto& ones = ctx.cache.get("ones", [&] { return ctx.params.map_kernel([](T) { return T(1); }); });
        // n_j = apply(1, 1): zero padding makes out-of-bounds inputs count for nothing.
        const auto& n = ctx.cache.get_batch("flat.n", [&] {
            return ctx.layer.apply(Batch<T>::Ones(1, ctx.x.cols()), ones);
        });
        const Batch<T> s = detail::safe_divide(r, Batch<T>(n.replicate(r.rows(), 1)));
        return {ctx.layer.apply_transposed(s, ones), 0.0};
    }
};

}  // namespace innspect

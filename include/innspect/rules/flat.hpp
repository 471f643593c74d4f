#pragma once
/// \file
/// Flat rule: R_i = Σ_j R_j / n_j, n_j the number of in-bounds inputs of j (padding excluded).
/// Ignores x, W and b: relevance spreads uniformly over each neuron's receptive field.

#include <string>

#include "innspect/rules/rule.hpp"

namespace innspect {

struct Flat {
    std::string name() const { return "flat"; }

    /// R_in into `out` (its buffer reused; the all-ones kernel and n cached): R_in = apply_transposed(R / n, 1).
    /// Returns 0: no bias enters.
    template <class L>
    double relevance_into(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                          Batch<typename L::scalar>& out) const {
        using T = typename L::scalar;
        const auto& ones = ctx.cache.get("ones", [&] { return ctx.params.map_kernel([](T) { return T(1); }); });
        // n_j = apply(1, 1): zero padding makes out-of-bounds inputs count for nothing.
        const auto& n = ctx.cache.get_batch("flat.n", [&] {
            return ctx.layer.apply(Batch<T>::Ones(1, ctx.x.cols()), ones);
        });
        detail::spread(ctx, r, ones, n, out);
        return 0.0;
    }
    template <class L>
    LrpStep<typename L::scalar> relevance(const RuleContext<L>& ctx, const Batch<typename L::scalar>& r) const {
        return detail::relevance_step(*this, ctx, r);
    }
};

}  // namespace innspect

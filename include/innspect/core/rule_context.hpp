#pragma once
/// \file
/// What an LRP rule sees and returns at one linear map: `RuleContext` (the map, its parameters,
/// its input, its pre-activation, a cache of parameter variants), `LrpStep` (the relevance at the
/// input and the bias's share) and `ParamCache`. In core, not in rules/, because a layer whose own
/// rule contains linear maps (a recurrent cell: design.md §5) runs the composite's rule on them
/// without naming any rule (rules/rule.hpp builds the rules on these types).

#include <any>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "innspect/core/linear_params.hpp"
#include "innspect/core/tensor.hpp"

namespace innspect {

/// Result of one rule step at one layer.
template <class T>
struct LrpStep {
    Batch<T> relevance;       ///< at the layer input
    double bias_absorbed = 0; ///< Σ over batch and units of the share the bias took in the denominator
};

/// Modified parameters (W⁺, W⁻, W², ones, ...) of one layer, made once per analyzer and reused
/// across calls: rules ask for them by key. Keys are looked up as they are (a string_view: a key
/// longer than the short-string buffer builds no std::string per lookup); one is copied only when
/// its entry is made.
template <class T>
class ParamCache {
public:
    template <class Make>
    const LinearParams<T>& get(std::string_view key, Make&& make) {
        return find_or_make(params_, key, std::forward<Make>(make));
    }
    template <class Make>
    const Batch<T>& get_batch(std::string_view key, Make&& make) {
        return find_or_make(batches_, key, std::forward<Make>(make));
    }

    /// A cache of its own for one of several linear maps inside a layer (a recurrent cell's
    /// input and recurrent parts), so each map's variants ("w+", ...) are kept apart.
    ParamCache& part(std::string_view key) {
        // A vector of one: a member of the class's own (incomplete) type.
        auto& p = find_or_make(parts_, key, [] { return std::vector<ParamCache>(1); });
        return p.front();
    }

    /// A layer's own workspace of type W under `key`, default-constructed on first use and kept
    /// across calls: buffers sized once per batch shape (a recurrent layer's per-step record)
    /// instead of fresh allocations, which glibc maps and page-faults anew on every call. Its
    /// contents are what the last call left; the layer overwrites them before reading.
    template <class W>
    W& workspace(std::string_view key) {
        return std::any_cast<W&>(find_or_make(workspaces_, key, [] { return std::any(W{}); }));
    }

private:
    template <class V>
    using Map = std::map<std::string, V, std::less<>>;  // std::less<>: found by string_view

    template <class V, class Make>
    static V& find_or_make(Map<V>& m, std::string_view key, Make&& make) {
        auto it = m.find(key);
        if (it == m.end()) it = m.emplace(std::string(key), std::invoke(std::forward<Make>(make))).first;
        return it->second;
    }

    Map<std::vector<ParamCache>> parts_;
    Map<LinearParams<T>> params_;
    Map<Batch<T>> batches_;
    Map<std::any> workspaces_;
};

/// Everything a rule sees at one linear layer: the layer (its apply / apply_transposed), the
/// parameters P it is explained with (its own, or with a batch norm merged in), its input x, its
/// pre-activation z = apply(x, P) with the bias, and a cache for variants of P.
template <class L>
struct RuleContext {
    using T = typename L::scalar;
    const L& layer;
    const LinearParams<T>& params;
    const Batch<T>& x;
    const Batch<T>& z;
    ParamCache<T>& cache;
    bool first_layer;  ///< reads the model input (for bounded-input rules)
};

namespace detail {

/// `rule`'s step at one linear map, its relevance at the map's input into `out`; returns what
/// the bias absorbed. A rule with `relevance_into(ctx, r, out)` writes into `out` (no allocation
/// in steady state); any other rule's `relevance(ctx, r)` result is moved in.
template <class Rule, class L>
double rule_relevance(const Rule& rule, const RuleContext<L>& ctx, const Batch<typename L::scalar>& r,
                      Batch<typename L::scalar>& out) {
    if constexpr (requires { rule.relevance_into(ctx, r, out); }) {
        return rule.relevance_into(ctx, r, out);
    } else {
        auto step = rule.relevance(ctx, r);
        out = std::move(step.relevance);
        return step.bias_absorbed;
    }
}

}  // namespace detail
}  // namespace innspect
